/* test_server: the probe and metrics endpoints, fetched with libcurl from a
 * server on 127.0.0.1 and a port the system picked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

struct reply {
	long status;
	char type[128];
	struct br_buf body;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	return br_buf_add(&r->body, p, size * n) == 0 ? size * n : 0;
}

/* Fetches http://127.0.0.1:port/path with method; fills r (release its body
 * with br_buf_release). */
static void fetch(int port, const char *method, const char *path, struct reply *r)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	memset(r, 0, sizeof(*r));
	br_buf_init(&r->body, 1 << 20);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	char *type = NULL;
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	snprintf(r->type, sizeof(r->type), "%s", type ? type : "");
	curl_easy_cleanup(c);
}

static void expect(int port, const char *method, const char *path,
		   long status, const char *body)
{
	struct reply r;
	fetch(port, method, path, &r);
	assert_int_equal(r.status, status);
	if (body)
		assert_string_equal(br_buf_str(&r.body), body);
	br_buf_release(&r.body);
}

static int ready_cb(void *arg)
{
	return atomic_load((atomic_int *)arg);
}

static void test_endpoints(void **state)
{
	struct br_metrics *m;
	struct br_metric *c;
	assert_int_equal(br_metrics_create(&m, NULL), 0);
	assert_int_equal(br_metrics_counter(m, "burnrate_reconcile_total", "Reconciles.",
					    (const char *[]){"result", NULL}, &c, NULL), 0);
	br_metric_inc(c, (const char *[]){"success"});
	atomic_int ready = 0;
	struct br_server_options o = {.bind = "127.0.0.1:0", .metrics = m,
				      .ready = ready_cb, .ready_arg = &ready};
	struct br_server *s = NULL;
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	int port = br_server_port(s);
	assert_in_range(port, 1, 65535);

	expect(port, "GET", "/healthz", 200, "ok");
	expect(port, "GET", "/readyz", 503, "not ready");
	atomic_store(&ready, 1);
	expect(port, "GET", "/readyz", 200, "ok");
	atomic_store(&ready, 0);
	expect(port, "GET", "/readyz", 503, NULL);

	struct reply r;
	fetch(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, BR_METRICS_CONTENT_TYPE);
	assert_string_equal(br_buf_str(&r.body),
			    "# HELP burnrate_reconcile_total Reconciles.\n"
			    "# TYPE burnrate_reconcile_total counter\n"
			    "burnrate_reconcile_total{result=\"success\"} 1\n");
	br_buf_release(&r.body);
	/* Each scrape renders afresh. */
	br_metric_inc(c, (const char *[]){"error"});
	fetch(port, "GET", "/metrics", &r);
	assert_non_null(strstr(br_buf_str(&r.body), "{result=\"error\"} 1\n"));
	br_buf_release(&r.body);

	expect(port, "HEAD", "/metrics", 200, "");
	expect(port, "GET", "/nope", 404, NULL);
	expect(port, "GET", "/metrics/x", 404, NULL);
	expect(port, "POST", "/healthz", 405, NULL);
	expect(port, "DELETE", "/metrics", 405, NULL);

	/* The port is taken while the server runs, and free after stop. */
	char bind[32];
	snprintf(bind, sizeof(bind), "127.0.0.1:%d", port);
	struct br_server_options o2 = {.bind = bind};
	struct br_server *s2 = (struct br_server *)1;
	struct br_error err;
	br_error_init(&err);
	assert_int_equal(br_server_start(&o2, &s2, &err), BR_EIO);
	assert_null(s2);
	assert_non_null(strstr(err.text, bind));
	br_server_stop(s);
	assert_int_equal(br_server_start(&o2, &s2, NULL), 0);
	assert_int_equal(br_server_port(s2), port);
	br_server_stop(s2);
	br_metrics_free(m);
}

static void test_defaults(void **state)
{
	/* No registry: /metrics is 404. No callback: always ready. */
	struct br_server_options o = {.bind = "127.0.0.1:0"};
	struct br_server *s;
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	int port = br_server_port(s);
	expect(port, "GET", "/metrics", 404, NULL);
	expect(port, "GET", "/readyz", 200, "ok");
	br_server_stop(s);
	br_server_stop(NULL);
}

/* Echoes the path and ?q= back, with a header; /fail fails its body. */
static void page_cb(void *arg, const struct br_server_request *req,
		    struct br_server_response *resp)
{
	const char *q = br_server_request_arg(req, "q");

	(*(int *)arg)++;
	resp->headers[0] = "X-Test";
	resp->headers[1] = "yes";
	if (strcmp(req->path, "/fail") == 0) {
		br_buf_release(&resp->body);
		resp->body.failed = 1;
		return;
	}
	resp->status = strcmp(req->path, "/teapot") == 0 ? 418 : 200;
	resp->content_type = "text/plain";
	br_buf_addf(&resp->body, "%s %s", req->path, q ? q : "-");
}

static void test_page_handler(void **state)
{
	int calls = 0;
	struct br_server_options o = {.bind = "127.0.0.1:0", .handler = page_cb,
		.handler_arg = &calls};
	struct br_server *s;
	struct reply r;

	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	int port = br_server_port(s);
	expect(port, "GET", "/healthz", 200, "ok");   /* still the server's */
	expect(port, "GET", "/slo/a/b?q=%3Cx%3E%20y", 200, "/slo/a/b <x> y");
	expect(port, "GET", "/", 200, "/ -");
	expect(port, "GET", "/teapot", 418, "/teapot -");
	expect(port, "GET", "/fail", 500, NULL);
	expect(port, "POST", "/", 405, NULL);
	assert_int_equal(calls, 4);
	fetch(port, "GET", "/", &r);
	assert_string_equal(r.type, "text/plain");
	br_buf_release(&r.body);
	br_server_stop(s);
}

static int reason_cb(void *arg, char *why, size_t size)
{
	const char *reason = arg;
	if (!reason)
		return 1;
	snprintf(why, size, "%s", reason);
	return 0;
}

static void test_ready_reason(void **state)
{
	/* The reason the callback gives is the 503's body, whole; none:
	 * plain "not ready"; it wins over ready. */
	char reason[1200];
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	memcpy(reason, "leader election: cannot get Lease", 33);
	struct br_server_options o = {.bind = "127.0.0.1:0", .ready = ready_cb,
				      .ready_reason = reason_cb, .ready_arg = reason};
	struct br_server *s;
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	struct reply r;
	fetch(br_server_port(s), "GET", "/readyz", &r);
	assert_int_equal(r.status, 503);
	const char *body = br_buf_str(&r.body);
	assert_true(strncmp(body, "not ready: leader election: cannot get Leasexxx", 47) == 0);
	assert_int_equal(r.body.len, strlen("not ready: ") + 1023 + 1);  /* truncated */
	assert_int_equal(body[r.body.len - 1], '\n');
	br_buf_release(&r.body);
	br_server_stop(s);
	reason[0] = '\0';
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	expect(br_server_port(s), "GET", "/readyz", 503, "not ready");
	br_server_stop(s);
	o.ready_arg = NULL;
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	expect(br_server_port(s), "GET", "/readyz", 200, "ok");
	br_server_stop(s);
}

static void test_all_interfaces(void **state)
{
	/* ":0" listens everywhere, so 127.0.0.1 reaches it. */
	struct br_server_options o = {.bind = ":0"};
	struct br_server *s;
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	assert_in_range(br_server_port(s), 1, 65535);
	expect(br_server_port(s), "GET", "/healthz", 200, "ok");
	br_server_stop(s);
	o.bind = "localhost:0";
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	br_server_stop(s);
}

static void test_bad_bind(void **state)
{
	const char *bad[] = {"", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
			     "127.0.0.1:70000", "127.0.0.1:-1", "not-a-host:80",
			     "[::1:80", "1.2.3.4.5:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct br_server_options o = {.bind = bad[i]};
		struct br_server *s = (struct br_server *)1;
		struct br_error err;
		br_error_init(&err);
		int rc = br_server_start(&o, &s, &err);
		if (rc != BR_EINVAL)
			fail_msg("bind \"%s\": got %d, want BR_EINVAL", bad[i], rc);
		assert_null(s);
		assert_true(err.text[0] != '\0');
	}
	struct br_server_options o = {.bind = NULL};
	struct br_server *s;
	assert_int_equal(br_server_start(&o, &s, NULL), BR_EINVAL);
}

struct updater {
	struct br_metric *c;
	atomic_int stop;
};

static void *update_loop(void *arg)
{
	struct updater *u = arg;
	char v[16];
	for (int i = 0; !atomic_load(&u->stop); i++) {
		snprintf(v, sizeof(v), "r%d", i % 50);
		br_metric_inc(u->c, (const char *[]){v});
	}
	return NULL;
}

static void test_scrape_while_updating(void **state)
{
	/* Scrapes on the server's thread race updates on others: every
	 * scrape must be whole, and the sanitizer builds must stay quiet. */
	struct br_metrics *m;
	struct updater u = {0};
	assert_int_equal(br_metrics_create(&m, NULL), 0);
	assert_int_equal(br_metrics_counter(m, "x_total", "X.",
					    (const char *[]){"r", NULL}, &u.c, NULL), 0);
	struct br_server_options o = {.bind = "127.0.0.1:0", .metrics = m};
	struct br_server *s;
	assert_int_equal(br_server_start(&o, &s, NULL), 0);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, update_loop, &u), 0);
	for (int i = 0; i < 30; i++) {
		struct reply r;
		fetch(br_server_port(s), "GET", "/metrics", &r);
		assert_int_equal(r.status, 200);
		const char *body = br_buf_str(&r.body);
		assert_true(strncmp(body, "# HELP x_total X.\n# TYPE x_total counter\n", 40) == 0);
		assert_true(r.body.len > 0 && body[r.body.len - 1] == '\n');
		br_buf_release(&r.body);
	}
	atomic_store(&u.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	br_server_stop(s);
	assert_true(br_metric_value(u.c, (const char *[]){"r0"}) >= 1);
	br_metrics_free(m);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_page_handler),
		cmocka_unit_test(test_ready_reason),
		cmocka_unit_test(test_all_interfaces),
		cmocka_unit_test(test_bad_bind),
		cmocka_unit_test(test_scrape_while_updating),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
