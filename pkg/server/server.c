/* server: /metrics, /healthz and /readyz on libmicrohttpd's internal polling
 * thread. Every request is answered on its first callback: none has a body. */
#include "server/server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct br_server {
	struct MHD_Daemon *daemon;
	struct br_metrics *metrics;
	int (*ready)(void *arg);
	int (*ready_reason)(void *arg, char *why, size_t size);
	void *ready_arg;
	void (*handler)(void *arg, const struct br_server_request *req,
			struct br_server_response *resp);
	void *handler_arg;
	int port;
};

/* Queues a response of n bytes; MHD frees body when owned. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *type, char *body, size_t n, int owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		n, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
				  const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", (char *)text,
		     strlen(text), 0);
}

static enum MHD_Result serve_metrics(struct br_server *s, struct MHD_Connection *c)
{
	if (!s->metrics)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
	struct br_buf b;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	if (br_metrics_render(s->metrics, &b) != 0)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	size_t n = b.len;
	char *body = n ? br_buf_detach(&b) : NULL;
	if (n && !body)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(c, MHD_HTTP_OK, BR_METRICS_CONTENT_TYPE, body ? body : "",
		     n, body != NULL);
}

static enum MHD_Result serve_ready(struct br_server *s, struct MHD_Connection *c)
{
	char why[1024] = "";

	if (s->ready_reason ? s->ready_reason(s->ready_arg, why, sizeof(why))
	    : !s->ready || s->ready(s->ready_arg))
		return reply_text(c, MHD_HTTP_OK, "ok");
	if (!why[0])
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready");
	why[sizeof(why) - 1] = '\0';
	size_t n = strlen("not ready: ") + strlen(why) + 1;
	char *body = malloc(n + 1);
	if (!body)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready");
	snprintf(body, n + 1, "not ready: %s\n", why);
	return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
		     body, n, 1);
}

const char *br_server_request_arg(const struct br_server_request *r,
				  const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

#define PAGE_MAX ((size_t)16 << 20)

static enum MHD_Result serve_page(struct br_server *s, struct MHD_Connection *c,
				  const char *url)
{
	struct br_server_request req = {.path = url, .conn = c};
	struct br_server_response resp = {.status = MHD_HTTP_OK,
		.content_type = "text/html; charset=utf-8"};

	br_buf_init(&resp.body, PAGE_MAX);
	s->handler(s->handler_arg, &req, &resp);
	size_t n = resp.body.len;
	char *body = br_buf_detach(&resp.body);  /* NULL when it failed */
	if (!body)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
	for (size_t i = 0; i + 1 < sizeof(resp.headers) / sizeof(*resp.headers) &&
	     resp.headers[i] && resp.headers[i + 1]; i += 2)
		MHD_add_response_header(r, resp.headers[i], resp.headers[i + 1]);
	enum MHD_Result ret = MHD_queue_response(c, resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct br_server *s = cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(s, c);
	if (strcmp(url, "/healthz") == 0)
		return reply_text(c, MHD_HTTP_OK, "ok");
	if (strcmp(url, "/readyz") == 0)
		return serve_ready(s, c);
	if (s->handler)
		return serve_page(s, c, url);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
}

/* Splits "host:port", ":port" or "[v6]:port" into host (empty for all
 * interfaces) and port text. */
static int split_bind(const char *bind, char *host, size_t hsize,
		      const char **port, struct br_error *err)
{
	const char *colon = bind ? strrchr(bind, ':') : NULL;
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || strtol(colon + 1, NULL, 10) > 65535)
		return br_error_set(err, BR_EINVAL,
				    "server: bind address \"%s\" is not host:port",
				    bind ? bind : "(null)");
	const char *h = bind;
	size_t n = (size_t)(colon - bind);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= hsize || memchr(h, '[', n) || memchr(h, ']', n))
		return br_error_set(err, BR_EINVAL, "server: bad host in \"%s\"", bind);
	memcpy(host, h, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

/* Resolves the bind address into addr. An empty host means every IPv6 and
 * IPv4 interface (*dual = 1). */
static int resolve(const char *bind, struct sockaddr_storage *addr, int *dual,
		   struct br_error *err)
{
	char host[256];
	const char *port = NULL;
	int rc = split_bind(bind, host, sizeof(host), &port, err);
	if (rc)
		return rc;
	*dual = host[0] == '\0';
	struct addrinfo hints = {.ai_family = *dual ? AF_INET6 : AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV |
					     (strcmp(host, "localhost") ? AI_NUMERICHOST : 0)};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(*dual ? NULL : host, port, &hints, &res);
	if (gai != 0)
		return br_error_set(err, BR_EINVAL, "server: bind address \"%s\": %s",
				    bind, gai_strerror(gai));
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

static struct MHD_Daemon *start_daemon(struct br_server *s,
				       const struct sockaddr_storage *addr,
				       unsigned flags)
{
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				MHD_OPTION_END);
}

int br_server_start(const struct br_server_options *o, struct br_server **out,
		    struct br_error *err)
{
	struct sockaddr_storage addr = {0};
	int dual;
	*out = NULL;
	int rc = resolve(o->bind, &addr, &dual, err);
	if (rc)
		return rc;
	struct br_server *s = calloc(1, sizeof(*s));
	if (!s)
		return br_error_set(err, BR_ENOMEM, "server: out of memory");
	s->metrics = o->metrics;
	s->ready = o->ready;
	s->ready_reason = o->ready_reason;
	s->ready_arg = o->ready_arg;
	s->handler = o->handler;
	s->handler_arg = o->handler_arg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	if (dual)
		flags |= MHD_USE_DUAL_STACK;
	else if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = start_daemon(s, &addr, flags);
	if (!s->daemon && dual) {
		/* No IPv6 on this host: every IPv4 interface instead. */
		struct sockaddr_in *in = (struct sockaddr_in *)&addr;
		in_port_t port = ((struct sockaddr_in6 *)&addr)->sin6_port;
		memset(&addr, 0, sizeof(addr));
		in->sin_family = AF_INET;
		in->sin_port = port;
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		s->daemon = start_daemon(s, &addr, flags & ~(unsigned)MHD_USE_DUAL_STACK);
	}
	if (!s->daemon) {
		free(s);
		return br_error_set(err, BR_EIO, "server: can't listen on \"%s\"", o->bind);
	}
	s->port = bound_port(s->daemon);
	*out = s;
	return 0;
}

int br_server_port(const struct br_server *s)
{
	return s->port;
}

void br_server_stop(struct br_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}
