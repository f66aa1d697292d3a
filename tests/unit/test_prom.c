/* test_prom: the client against a libmicrohttpd server on 127.0.0.1 (a
 * port the system picked) that answers what each test sets and records what
 * it was asked. The answer parsers are tested in test_promdata.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf/buf.h"
#include "prom/prom.h"

/* ---- a server that answers what the test sets ---- */

static struct {
	pthread_mutex_t mu;
	unsigned status;
	char body[1 << 16];
	size_t body_len;       /* 0: strlen(body) */
	int delay_ms;
	int requests;
	char method[16], url[256], auth[256], accept[128], form[4096];
} srv = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void answer_with(unsigned status, const char *body)
{
	pthread_mutex_lock(&srv.mu);
	srv.status = status;
	snprintf(srv.body, sizeof(srv.body), "%s", body);
	srv.body_len = 0;
	srv.delay_ms = 0;
	pthread_mutex_unlock(&srv.mu);
}

struct upload {
	struct br_buf data;
};

static void copy_header(struct MHD_Connection *con, const char *name,
			char *out, size_t size)
{
	const char *v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
	snprintf(out, size, "%s", v ? v : "");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	struct upload *up = *con_cls;
	(void)cls, (void)version;

	if (!up) {
		up = calloc(1, sizeof(*up));
		br_buf_init(&up->data, 1 << 20);
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_size) {
		br_buf_add(&up->data, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&srv.mu);
	srv.requests++;
	snprintf(srv.method, sizeof(srv.method), "%s", method);
	snprintf(srv.url, sizeof(srv.url), "%s", url);
	snprintf(srv.form, sizeof(srv.form), "%s", br_buf_str(&up->data));
	copy_header(con, "Authorization", srv.auth, sizeof(srv.auth));
	copy_header(con, "Accept", srv.accept, sizeof(srv.accept));
	int delay = srv.delay_ms;
	unsigned status = srv.status;
	size_t len = srv.body_len ? srv.body_len : strlen(srv.body);
	char *body = malloc(len + 1);
	memcpy(body, srv.body, len);
	pthread_mutex_unlock(&srv.mu);
	if (delay)
		nanosleep(&(struct timespec){ delay / 1000, (long)(delay % 1000) * 1000000L }, NULL);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
								 MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;
	(void)cls, (void)con, (void)toe;
	if (up) {
		br_buf_release(&up->data);
		free(up);
	}
	*con_cls = NULL;
}

static struct MHD_Daemon *daemon_;
static int port;

static int server_up(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	(void)state;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				   0, NULL, NULL, handle, NULL,
				   MHD_OPTION_SOCK_ADDR, &addr,
				   MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				   MHD_OPTION_END);
	if (!daemon_)
		return -1;
	port = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static int server_down(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	return 0;
}

static struct br_prom_client *client(const char *token_file, long timeout_ms)
{
	char url[64];
	struct br_prom_client *c = NULL;
	struct br_prom_options o = { .url = url, .token_file = token_file,
				     .timeout_ms = timeout_ms };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prefix/", port);
	assert_int_equal(br_prom_client_create(&o, &c, NULL), 0);
	return c;
}

static const char ok_body[] =
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	"{\"metric\":{\"slo\":\"a\"},\"value\":[1,\"0.5\"]}]}}";

static void test_query_ok(void **state)
{
	struct br_prom_client *c = client(NULL, 0);
	struct br_prom_vector v;
	struct br_error err;
	(void)state;

	answer_with(200, ok_body);
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "burnrate:error_budget:remaining{a=\"b c\"}", &v, &err), 0);
	assert_int_equal(v.count, 1);
	assert_true(v.samples[0].value == 0.5);
	br_prom_vector_release(&v);
	assert_string_equal(srv.method, "POST");
	assert_string_equal(srv.url, "/prefix/api/v1/query");
	assert_string_equal(srv.accept, "application/json");
	assert_string_equal(srv.auth, "");
	assert_non_null(strstr(srv.form,
		"query=burnrate%3Aerror_budget%3Aremaining%7Ba%3D%22b%20c%22%7D"));
	assert_non_null(strstr(srv.form, "&timeout=10s"));
	const char *u = br_prom_client_url(c);
	assert_string_equal(u + strlen(u) - 7, "/prefix"); /* trailing '/' dropped */
	br_prom_client_free(c);
}

static void test_query_range(void **state)
{
	struct br_prom_client *c = client(NULL, 0);
	struct br_prom_matrix m;
	struct br_error err;
	(void)state;

	answer_with(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
		    "\"result\":[{\"metric\":{},\"values\":[[3600,\"7\"],[7200,\"8\"]]}]}}");
	br_error_init(&err);
	assert_int_equal(br_prom_query_range(c, "sum(x)", 3600, 7200.5, 3600, &m, &err), 0);
	assert_int_equal(m.count, 1);
	assert_int_equal(m.series[0].count, 2);
	assert_true(m.series[0].points[1].v == 8);
	br_prom_matrix_release(&m);
	assert_string_equal(srv.url, "/prefix/api/v1/query_range");
	assert_non_null(strstr(srv.form, "query=sum%28x%29&start=3600.000&end=7200.500&step=3600.000&timeout=10s"));

	answer_with(200, ok_body); /* an instant answer to a range query */
	assert_int_equal(br_prom_query_range(c, "sum(x)", 0, 1, 1, &m, &err), BR_EPARSE);
	assert_non_null(strstr(err.text, "want matrix"));
	assert_non_null(strstr(err.text, "127.0.0.1"));
	assert_int_equal(br_prom_query_range(c, "sum(x)", 10, 1, 1, &m, &err), BR_EINVAL);
	assert_int_equal(br_prom_query_range(c, "sum(x)", 0, 1, 0, &m, &err), BR_EINVAL);
	assert_null(m.series);
	br_prom_client_free(c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_token_reread(void **state)
{
	char dir[] = "/tmp/test_prom.XXXXXX", path[64], moved[80];
	struct br_prom_vector v;
	struct br_error err;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	write_file(path, "first-token\n");
	struct br_prom_client *c = client(path, 0);
	answer_with(200, ok_body);
	assert_int_equal(br_prom_query(c, "up", &v, NULL), 0);
	br_prom_vector_release(&v);
	assert_string_equal(srv.auth, "Bearer first-token");
	/* rotated the way kubelet does: a new file renamed over the old one */
	snprintf(moved, sizeof(moved), "%s/token.new", dir);
	write_file(moved, "second-token");
	assert_int_equal(rename(moved, path), 0);
	assert_int_equal(br_prom_query(c, "up", &v, NULL), 0);
	br_prom_vector_release(&v);
	assert_string_equal(srv.auth, "Bearer second-token");
	/* a token with a line break in it is refused, never sent */
	write_file(moved, "evil\r\nX-Injected: 1\n");
	assert_int_equal(rename(moved, path), 0);
	int before = srv.requests;
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_EAUTH);
	assert_int_equal(srv.requests, before);
	assert_null(strstr(err.text, "evil"));
	unlink(path);
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_EAUTH);
	assert_non_null(strstr(err.text, "token"));
	br_prom_client_free(c);
	rmdir(dir);
}

static void test_query_errors(void **state)
{
	struct br_prom_client *c = client(NULL, 400);
	struct br_prom_vector v;
	struct br_error err;
	(void)state;

	answer_with(500, "<html>internal error</html>");
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_EHTTP);
	assert_non_null(strstr(err.text, "HTTP 500: <html>internal error"));
	assert_non_null(strstr(err.text, "http://127.0.0.1:"));

	answer_with(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{");
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_EPARSE);

	answer_with(400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"bad\"}");
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up{", &v, &err), BR_EINVAL);
	assert_non_null(strstr(err.text, "bad_data"));

	/* slow: the client gives up after timeout_ms */
	answer_with(200, ok_body);
	srv.delay_ms = 1500;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	srv.delay_ms = 0;
	br_prom_client_free(c);
}

static int cancel_now(void *ctx)
{
	return *(int *)ctx;
}

static void test_cancel_and_limits(void **state)
{
	char url[64];
	int cancel = 1;
	struct br_prom_client *c = NULL;
	struct br_prom_vector v;
	struct br_error err;
	(void)state;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	struct br_prom_options o = { .url = url, .cancel = cancel_now, .cancel_ctx = &cancel };
	assert_int_equal(br_prom_client_create(&o, &c, NULL), 0);
	answer_with(200, ok_body);
	srv.delay_ms = 3000;
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_ECANCELED);
	srv.delay_ms = 0;
	br_prom_client_free(c);

	struct br_prom_options small = { .url = url, .max_body = 16 };
	assert_int_equal(br_prom_client_create(&small, &c, NULL), 0);
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_ELIMIT);
	br_prom_client_free(c);

	struct br_prom_options bad = { .url = "ftp://127.0.0.1/" };
	assert_int_equal(br_prom_client_create(&bad, &c, NULL), BR_EINVAL);
	assert_null(c);
}

static void test_connection_refused(void **state)
{
	struct br_prom_client *c = NULL;
	struct br_prom_vector v;
	struct br_error err;
	(void)state;

	/* a port nobody listens on: bind one, note it, close it */
	struct sockaddr_in addr = { .sin_family = AF_INET };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
						handle, NULL, MHD_OPTION_SOCK_ADDR, &addr,
						MHD_OPTION_END);
	assert_non_null(d);
	int p = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	MHD_stop_daemon(d);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", p);
	struct br_prom_options o = { .url = url };
	assert_int_equal(br_prom_client_create(&o, &c, NULL), 0);
	br_error_init(&err);
	assert_int_equal(br_prom_query(c, "up", &v, &err), BR_EIO);
	assert_non_null(strstr(err.text, url));
	assert_int_equal(v.count, 0);
	br_prom_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_ok),
		cmocka_unit_test(test_query_range),
		cmocka_unit_test(test_token_reread),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_cancel_and_limits),
		cmocka_unit_test(test_connection_refused),
	};
	return cmocka_run_group_tests(tests, server_up, server_down);
}
