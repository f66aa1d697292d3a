/* test_prom: the answer parser on good and bad answers, and the client
 * against a libmicrohttpd server on 127.0.0.1 (a port the system picked)
 * that answers what each test sets and records what it was asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf/buf.h"
#include "prom/internal.h"
#include "prom/prom.h"

/* ---- parser ---- */

static int parse(const char *body, long status, struct br_prom_vector *v,
		 struct br_error *err)
{
	br_error_init(err);
	return br_prom_parse_vector(body, strlen(body), status, v, err);
}

static void test_parse_vector(void **state)
{
	struct br_prom_vector v;
	struct br_error err;
	const char *body =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.8123\"]},"
		"{\"metric\":{},\"value\":[1,\"NaN\"]},"
		"{\"metric\":{\"x\":\"\"},\"value\":[1,\"+Inf\"]},"
		"{\"metric\":{\"x\":\"y\"},\"value\":[1,\"-Inf\"]},"
		"{\"metric\":{\"x\":\"z\"},\"value\":[1,\"1e-05\"]}]}}";

	(void)state;
	assert_int_equal(parse(body, 200, &v, &err), 0);
	assert_int_equal(v.count, 5);
	assert_string_equal(br_prom_sample_label(&v.samples[0], "slo"), "a");
	assert_string_equal(br_prom_sample_label(&v.samples[0], "slo_namespace"), "ns");
	assert_null(br_prom_sample_label(&v.samples[0], "nope"));
	assert_true(v.samples[0].value == 0.8123);
	assert_string_equal(v.samples[0].text, "0.8123");
	assert_true(v.samples[0].timestamp == 1700000000.5);
	assert_true(isnan(v.samples[1].value));
	assert_int_equal(v.samples[1].nlabels, 0);
	assert_true(isinf(v.samples[2].value) && v.samples[2].value > 0);
	assert_string_equal(br_prom_sample_label(&v.samples[2], "x"), "");
	assert_true(isinf(v.samples[3].value) && v.samples[3].value < 0);
	assert_true(v.samples[4].value == 1e-05);
	br_prom_vector_release(&v);
	assert_int_equal(v.count, 0);

	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
			       "\"result\":[]}}", 0, &v, &err), 0);
	assert_int_equal(v.count, 0);
	br_prom_vector_release(&v);
}

/* The same answer in Prometheus's plain shape (scanned without a tree) and
 * with spaces, and in shapes only the tree parser reads (keys in another
 * order, escapes, a warnings field): the same vector. */
static void test_parse_shapes(void **state)
{
	static const char *const bodies[] = {
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.25\"]},"
		"{\"metric\":{},\"value\":[17e8,\"NaN\"]}]}}",
		"{\"status\": \"success\", \"data\": {\"resultType\": \"vector\", \"result\": [\n"
		"{\"metric\": {\"slo\": \"a\", \"slo_namespace\": \"ns\"}, \"value\": [1700000000.5, \"0.25\"]},"
		"{\"metric\": {}, \"value\": [1700000000, \"NaN\"]}]}}",
		"{\"data\":{\"result\":[{\"value\":[1700000000.5,\"0.25\"],"
		"\"metric\":{\"slo\":\"a\",\"slo_namespace\":\"ns\"}},"
		"{\"metric\":{},\"value\":[1700000000,\"NaN\"]}],\"resultType\":\"vector\"},"
		"\"status\":\"success\"}",
		"{ \"status\": \"success\", \"data\": { \"resultType\": \"vector\", \"result\": [\n"
		"{\"metric\":{\"slo\":\"\\u0061\",\"slo_namespace\":\"ns\"},\"value\":[1700000000.5,\"0.25\"]},"
		"{\"metric\":{},\"value\":[1.7e9,\"NaN\"]}]}, \"warnings\": [\"w\"]}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct br_prom_vector v;
		struct br_error err;

		/* the first two without a tree, the others with one */
		assert_int_equal(prom_scan_vector(bodies[i], strlen(bodies[i]), &v), i < 2 ? 0 : 1);
		br_prom_vector_release(&v);
		if (parse(bodies[i], 200, &v, &err) != 0)
			fail_msg("body %zu: %s", i, err.text);
		assert_int_equal(v.count, 2);
		assert_int_equal(v.samples[0].nlabels, 2);
		assert_string_equal(v.samples[0].labels[0].name, "slo");
		assert_string_equal(br_prom_sample_label(&v.samples[0], "slo"), "a");
		assert_string_equal(br_prom_sample_label(&v.samples[0], "slo_namespace"), "ns");
		assert_true(v.samples[0].timestamp == 1700000000.5 && v.samples[0].value == 0.25);
		assert_string_equal(v.samples[0].text, "0.25");
		assert_int_equal(v.samples[1].nlabels, 0);
		assert_true(v.samples[1].timestamp == 1.7e9 && isnan(v.samples[1].value));
		br_prom_vector_release(&v);
	}
}

struct bad_case {
	const char *body;
	long status;
	int code;
	const char *text; /* a part of the message */
};

static void test_parse_refuses(void **state)
{
	static const struct bad_case cases[] = {
		{"", 200, BR_EPARSE, "empty answer"},
		{"", 502, BR_EHTTP, "HTTP 502"},
		{"<html>Bad Gateway</html>", 502, BR_EHTTP, "HTTP 502: <html>Bad Gateway"},
		{"<html>hi</html>", 200, BR_EPARSE, "not JSON"},
		{"not\x01json", 200, BR_EPARSE, "not json"},
		{"[1,2]", 200, BR_EPARSE, "no \"status\""},
		{"{\"status\":1}", 200, BR_EPARSE, "no \"status\""},
		{"{\"status\":\"maybe\"}", 200, BR_EPARSE, "\"maybe\""},
		{"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 3\"}",
		 400, BR_EINVAL, "bad_data): parse error at char 3"},
		{"{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out\"}",
		 503, BR_ETIMEOUT, "query timed out"},
		{"{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"boom\"}",
		 422, BR_EHTTP, "execution): boom"},
		{"{\"status\":\"error\"}", 500, BR_EHTTP, "no errorType"},
		{"{\"status\":\"error\",\"errorType\":\"x\",\"error\":\"y\"}", 401, BR_EAUTH, "y"},
		{"Unauthorized", 401, BR_EAUTH, "HTTP 401"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
		 500, BR_EHTTP, "HTTP 500"},
		{"{\"status\":\"success\"}", 200, BR_EPARSE, "no \"data\""},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
		 200, BR_EPARSE, "\"matrix\", want vector"},
		{"{\"status\":\"success\",\"data\":{\"result\":[]}}", 200, BR_EPARSE, "resultType"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
		 200, BR_EPARSE, "data.result: missing or not an array"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
		 200, BR_EPARSE, "data.result[0]: not an object"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"1\"]},{\"metric\":[],\"value\":[1,\"1\"]}]}}",
		 200, BR_EPARSE, "data.result[1].metric: not an object"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{\"a\":1},\"value\":[1,\"1\"]}]}}", 200, BR_EPARSE, "metric.a: not a string"},
		/* what the plain-shape scanner leaves to the tree parser to refuse */
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{\"a\":\"1\",\"a\":\"2\"},\"value\":[1,\"1\"]}]}}", 200, BR_EPARSE,
		 "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[01,\"1\"]}]}}", 200, BR_EPARSE, "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1e999,\"1\"]}]}}", 200, BR_EPARSE, "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"1\"]}]}}x", 200, BR_EPARSE, "not JSON"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"1\"]}]}}", 500, BR_EHTTP, "HTTP 500"},
		/* converted from the end, but the first bad sample is the one named */
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"x\"]},{\"metric\":{},\"value\":[1,\"1\"]},"
		 "{\"metric\":[],\"value\":[1,\"1\"]}]}}", 200, BR_EPARSE,
		 "data.result[0].value[1]: \"x\" is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1]}]}}", 200, BR_EPARSE, "[time, \"value\"] pair"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[\"1\",\"1\"]}]}}", 200, BR_EPARSE, "time is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,1]}]}}", 200, BR_EPARSE, "value[1]: not a string"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"12abc\"]}]}}", 200, BR_EPARSE, "\"12abc\" is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\"\"]}]}}", 200, BR_EPARSE, "is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		 "[{\"metric\":{},\"value\":[1,\" 1\"]}]}}", 200, BR_EPARSE, "is not a number"},
		{"{\"status\":\"success\",\"status\":\"success\"}", 200, BR_EPARSE, "not JSON"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br_prom_vector v;
		struct br_error err;
		int rc = parse(cases[i].body, cases[i].status, &v, &err);

		if (rc != cases[i].code || !strstr(err.text, cases[i].text))
			fail_msg("case %zu: got %s \"%s\", want %s containing \"%s\"", i,
				 br_code_name(rc), err.text, br_code_name(cases[i].code),
				 cases[i].text);
		assert_int_equal(v.count, 0);
		assert_null(v.samples);
	}
}

/* ---- range answers ---- */

static void test_parse_matrix(void **state)
{
	struct br_prom_matrix m;
	struct br_error err;
	const char *body =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		"{\"metric\":{\"job\":\"a\"},\"values\":[[3600,\"10\"],[7200,\"NaN\"],[10800.5,\"2.5e3\"]]},"
		"{\"metric\":{},\"values\":[]}]}}";

	(void)state;
	br_error_init(&err);
	assert_int_equal(br_prom_parse_matrix(body, strlen(body), 200, &m, &err), 0);
	assert_int_equal(m.count, 2);
	assert_int_equal(m.series[0].nlabels, 1);
	assert_string_equal(m.series[0].labels[0].name, "job");
	assert_string_equal(m.series[0].labels[0].value, "a");
	assert_int_equal(m.series[0].count, 3);
	assert_true(m.series[0].points[0].t == 3600 && m.series[0].points[0].v == 10);
	assert_true(isnan(m.series[0].points[1].v));
	assert_true(m.series[0].points[2].t == 10800.5 && m.series[0].points[2].v == 2500);
	assert_int_equal(m.series[1].count, 0);
	br_prom_matrix_release(&m);
	assert_int_equal(m.count, 0);
	assert_null(m.series);
}

static void test_parse_matrix_refuses(void **state)
{
	static const struct bad_case cases[] = {
		{"", 200, BR_EPARSE, "empty answer"},
		{"<html>Bad Gateway</html>", 502, BR_EHTTP, "HTTP 502: <html>Bad Gateway"},
		{"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded maximum resolution\"}",
		 400, BR_EINVAL, "exceeded maximum resolution"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
		 200, BR_EPARSE, "data.resultType is \"vector\", want matrix"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{}}]}}",
		 200, BR_EPARSE, "data.result[0].values: missing"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{},\"values\":[[1,\"1\"],[2]]}]}}",
		 200, BR_EPARSE, "data.result[0].values[1]: not a [time"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{},\"values\":[[\"1\",\"1\"]]}]}}",
		 200, BR_EPARSE, "values[0][0]: time is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{\"a\":\"b\"},\"values\":[[1,\"x\"]]}]}}",
		 200, BR_EPARSE, "values[0][1]: \"x\" is not a number"},
		{"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		 "{\"metric\":{\"a\":1},\"values\":[]}]}}",
		 200, BR_EPARSE, "data.result[0].metric.a: not a string"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br_prom_matrix m;
		struct br_error err;

		br_error_init(&err);
		assert_int_equal(br_prom_parse_matrix(cases[i].body, strlen(cases[i].body),
						      cases[i].status, &m, &err), cases[i].code);
		if (!strstr(err.text, cases[i].text))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.text, cases[i].text);
		assert_int_equal(m.count, 0);
		assert_null(m.series);
	}
}

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
		cmocka_unit_test(test_parse_vector),
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_parse_matrix),
		cmocka_unit_test(test_parse_matrix_refuses),
		cmocka_unit_test(test_query_ok),
		cmocka_unit_test(test_query_range),
		cmocka_unit_test(test_token_reread),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_cancel_and_limits),
		cmocka_unit_test(test_connection_refused),
	};
	return cmocka_run_group_tests(tests, server_up, server_down);
}
