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
 * Anything else is 404; a method other than GET or HEAD is 405.
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

#include "errors/errors.h"
#include "metrics/metrics.h"

struct br_server;

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
};

/* Binds and starts serving. Returns 0 and sets *out (stop with
 * br_server_stop), BR_EINVAL for a malformed bind address, BR_EIO when the
 * address can't be bound (in use, not local), or BR_ENOMEM. */
int br_server_start(struct br_server **out, const struct br_server_options *o,
		    struct br_error *err);

/* The TCP port the server listens on (the one the system picked for port
 * 0). Can't fail. */
int br_server_port(const struct br_server *s);

/* Stops serving, waits for the server's thread and frees s. Requests in
 * flight are finished or cut. NULL is allowed. */
void br_server_stop(struct br_server *s);

#endif
