/* server: the operator's small HTTP server for probes and metrics, on
 * libmicrohttpd with its own polling thread.
 *
 *   GET /metrics   200, the registry rendered in the Prometheus text format
 *                  (404 when the server has no registry)
 *   GET /healthz   200 "ok" while the process serves requests (liveness)
 *   GET /readyz    200 "ok" when the ready callback returns non-zero (or there
 *                  is none), else 503 "not ready", followed by ": " and the
 *                  reason the callback gave, if any (readiness: caches
 *                  synced, the leader Lease readable)
 * Any other path goes to the page handler when there is one (the web UI,
 * pkg/ui), else is 404; a method other than GET or HEAD is 405.
 *
 * The controller runs two of them (--metrics-bind-address and
 * --health-probe-bind-address); each serves all three paths.
 *
 * Thread-safety: requests are answered on libmicrohttpd's thread, so the
 * ready callback and the registry must be safe to use from another thread
 * (struct br_metrics is). start and stop belong to one thread.
 */
#ifndef BR_SERVER_H
#define BR_SERVER_H

#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"
#include "metrics/metrics.h"

struct br_server;

/* A GET or HEAD the page handler answers. Borrowed for the call only. */
struct br_server_request {
	const char *path;  /* "/slo/ns/name", percent-decoded by libmicrohttpd */
	void *conn;        /* for br_server_request_arg */
};

/* The value of query argument key ("?page=2" -> "2"), percent-decoded, or
 * NULL when absent. Borrowed, valid during the handler call. */
const char *br_server_request_arg(const struct br_server_request *r,
				  const char *key);

/* What the page handler answers: it sets status, content_type (a static
 * string) and appends the body to body (init'ed by the server with a cap of
 * 16 MiB; a failed buffer is answered 500). headers: up to 4 static
 * name/value pairs, NULL-terminated (Content-Security-Policy...). */
struct br_server_response {
	unsigned status;
	const char *content_type;
	struct br_buf body;
	const char *headers[9];
};

struct br_server_options {
	/* "host:port", ":port" (all interfaces) or "[v6addr]:port"; port 0
	 * lets the system pick one (see br_server_port). Borrowed, only read
	 * by br_server_start. Hosts are numeric addresses, or "localhost". */
	const char *bind;
	/* Rendered on GET /metrics; borrowed, must outlive the server. May be
	 * NULL. */
	struct br_metrics *metrics;
	/* Called on every GET /readyz from the server's thread; non-zero means
	 * ready. NULL means always ready. */
	int (*ready)(void *arg);
	void *ready_arg;
	/* As ready, and wins over it when set: when returning 0 it may write
	 * a one-line reason into why (size bytes, NUL-terminated), served in
	 * the 503 body. Called with ready_arg. */
	int (*ready_reason)(void *arg, char *why, size_t size);
	/* Answers every other path, on the server's thread (so one slow
	 * page holds up the others: the handler bounds its own waits).
	 * NULL: 404. Called with handler_arg. */
	void (*handler)(void *arg, const struct br_server_request *req,
			struct br_server_response *resp);
	void *handler_arg;
};

/* Binds and starts serving. Returns 0 and sets *out (stop with
 * br_server_stop), BR_EINVAL for a malformed bind address, BR_EIO when the
 * address can't be bound (in use, not local), or BR_ENOMEM. */
int br_server_start(const struct br_server_options *o, struct br_server **out,
		    struct br_error *err);

/* The TCP port the server listens on (the one the system picked for port
 * 0). Can't fail. */
int br_server_port(const struct br_server *s);

/* Stops serving, waits for the server's thread and frees s. Requests in
 * flight are finished or cut. NULL is allowed. */
void br_server_stop(struct br_server *s);

#endif
