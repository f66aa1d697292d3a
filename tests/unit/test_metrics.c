/* test_metrics: the registry renders exactly the Prometheus text format, and
 * promtool accepts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics/metrics.h"

static struct br_metrics *new_registry(void)
{
	struct br_metrics *m = NULL;
	assert_int_equal(br_metrics_create(&m, NULL), 0);
	return m;
}

static char *render(struct br_metrics *m)
{
	struct br_buf b;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	assert_int_equal(br_metrics_render(m, &b), 0);
	char *s = br_buf_detach(&b);
	return s ? s : strdup("");
}

static double depth_fn(void *arg)
{
	return *(double *)arg;
}

static void test_exact_text(void **state)
{
	struct br_metrics *m = new_registry();
	struct br_metric *req, *leader, *dur, *info;
	double depth = 7;
	assert_int_equal(br_metrics_counter(m, "burnrate_api_requests_total",
					    "API requests by verb and code.",
					    (const char *[]){"verb", "code", NULL}, &req, NULL), 0);
	assert_int_equal(br_metrics_gauge(m, "burnrate_leader", "1 when leader.\\ok\nnext",
					  NULL, &leader, NULL), 0);
	assert_int_equal(br_metrics_gauge_func(m, "burnrate_workqueue_depth",
					       "Keys waiting.", depth_fn, &depth, NULL), 0);
	const double bounds[] = {0.1, 1, 2.5};
	assert_int_equal(br_metrics_histogram(m, "burnrate_reconcile_duration_seconds",
					      "Reconcile time.", NULL, bounds, 3, &dur, NULL), 0);
	assert_int_equal(br_metrics_gauge(m, "burnrate_build_info", "Build.",
					  (const char *[]){"version", NULL}, &info, NULL), 0);

	assert_int_equal(br_metric_inc(req, (const char *[]){"GET", "200"}), 0);
	assert_int_equal(br_metric_add(req, (const char *[]){"GET", "200"}, 2), 0);
	assert_int_equal(br_metric_inc(req, (const char *[]){"PATCH", "409"}), 0);
	assert_int_equal(br_metric_set(leader, NULL, 1), 0);
	assert_int_equal(br_metric_observe(dur, NULL, 0.05), 0);
	assert_int_equal(br_metric_observe(dur, NULL, 1), 0); /* le is inclusive */
	assert_int_equal(br_metric_observe(dur, NULL, 30), 0);
	assert_int_equal(br_metric_set(info, (const char *[]){"a\"b\\c\nd"}, 1), 0);

	char *got = render(m);
	const char *want =
		"# HELP burnrate_api_requests_total API requests by verb and code.\n"
		"# TYPE burnrate_api_requests_total counter\n"
		"burnrate_api_requests_total{verb=\"GET\",code=\"200\"} 3\n"
		"burnrate_api_requests_total{verb=\"PATCH\",code=\"409\"} 1\n"
		"# HELP burnrate_leader 1 when leader.\\\\ok\\nnext\n"
		"# TYPE burnrate_leader gauge\n"
		"burnrate_leader 1\n"
		"# HELP burnrate_workqueue_depth Keys waiting.\n"
		"# TYPE burnrate_workqueue_depth gauge\n"
		"burnrate_workqueue_depth 7\n"
		"# HELP burnrate_reconcile_duration_seconds Reconcile time.\n"
		"# TYPE burnrate_reconcile_duration_seconds histogram\n"
		"burnrate_reconcile_duration_seconds_bucket{le=\"0.1\"} 1\n"
		"burnrate_reconcile_duration_seconds_bucket{le=\"1\"} 2\n"
		"burnrate_reconcile_duration_seconds_bucket{le=\"2.5\"} 2\n"
		"burnrate_reconcile_duration_seconds_bucket{le=\"+Inf\"} 3\n"
		"burnrate_reconcile_duration_seconds_sum 31.05\n"
		"burnrate_reconcile_duration_seconds_count 3\n"
		"# HELP burnrate_build_info Build.\n"
		"# TYPE burnrate_build_info gauge\n"
		"burnrate_build_info{version=\"a\\\"b\\\\c\\nd\"} 1\n";
	assert_string_equal(got, want);
	free(got);

	assert_true(br_metric_value(req, (const char *[]){"GET", "200"}) == 3);
	assert_true(br_metric_value(req, (const char *[]){"GET", "500"}) == 0);
	depth = 2;
	assert_true(br_metric_value(NULL, NULL) == 0);
	got = render(m);
	assert_non_null(strstr(got, "\nburnrate_workqueue_depth 2\n"));
	free(got);
	br_metrics_free(m);
}

/* A counter or gauge without labels is there, at 0, before it first moves;
 * one with labels has no series until one is touched. */
static void test_untouched(void **state)
{
	struct br_metrics *m = new_registry();
	struct br_metric *plain, *labelled, *g;
	(void)state;
	assert_int_equal(br_metrics_counter(m, "a_total", "A.", NULL, &plain, NULL), 0);
	assert_int_equal(br_metrics_counter(m, "b_total", "B.", (const char *[]){"k", NULL},
					    &labelled, NULL), 0);
	assert_int_equal(br_metrics_gauge(m, "c", "C.", NULL, &g, NULL), 0);
	char *got = render(m);
	assert_string_equal(got, "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
				 "# HELP b_total B.\n# TYPE b_total counter\n"
				 "# HELP c C.\n# TYPE c gauge\nc 0\n");
	free(got);
	assert_int_equal(br_metric_inc(plain, NULL), 0);
	got = render(m);
	assert_non_null(strstr(got, "\na_total 1\n"));
	assert_null(strstr(got, "a_total 0"));
	free(got);
	br_metrics_free(m);
}

static void test_histogram_labels_and_defaults(void **state)
{
	struct br_metrics *m = new_registry();
	struct br_metric *h;
	assert_int_equal(br_metrics_histogram(m, "h_seconds", "H.",
					      (const char *[]){"result", NULL}, NULL, 0, &h, NULL), 0);
	assert_int_equal(br_metric_observe(h, (const char *[]){"ok"}, 0.3), 0);
	char *got = render(m);
	assert_non_null(strstr(got, "h_seconds_bucket{result=\"ok\",le=\"0.005\"} 0\n"));
	assert_non_null(strstr(got, "h_seconds_bucket{result=\"ok\",le=\"0.25\"} 0\n"));
	assert_non_null(strstr(got, "h_seconds_bucket{result=\"ok\",le=\"0.5\"} 1\n"));
	assert_non_null(strstr(got, "h_seconds_bucket{result=\"ok\",le=\"10\"} 1\n"));
	assert_non_null(strstr(got, "h_seconds_bucket{result=\"ok\",le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(got, "h_seconds_sum{result=\"ok\"} 0.3\n"));
	assert_non_null(strstr(got, "h_seconds_count{result=\"ok\"} 1\n"));
	free(got);
	br_metrics_free(m);
}

static void test_refusals(void **state)
{
	struct br_metrics *m = new_registry();
	struct br_metric *c, *g, *x = (struct br_metric *)1;
	struct br_error err;
	br_error_init(&err);
	assert_int_equal(br_metrics_counter(m, "c_total", "C.", NULL, &c, NULL), 0);
	assert_int_equal(br_metrics_counter(m, "c_total", "again", NULL, &x, &err), BR_EINVAL);
	assert_null(x);
	assert_non_null(strstr(err.text, "twice"));
	assert_int_equal(br_metrics_counter(m, "9bad", "", NULL, NULL, NULL), BR_EINVAL);
	assert_int_equal(br_metrics_counter(m, "bad-name", "", NULL, NULL, NULL), BR_EINVAL);
	assert_int_equal(br_metrics_gauge(m, "g", "", (const char *[]){"__x", NULL}, NULL, NULL), BR_EINVAL);
	assert_int_equal(br_metrics_gauge(m, "g", "", (const char *[]){"a", "a", NULL}, NULL, NULL), BR_EINVAL);
	assert_int_equal(br_metrics_histogram(m, "h", "", (const char *[]){"le", NULL},
					      NULL, 0, NULL, NULL), BR_EINVAL);
	const double unordered[] = {1, 0.5};
	assert_int_equal(br_metrics_histogram(m, "h", "", NULL, unordered, 2, NULL, NULL), BR_EINVAL);
	assert_int_equal(br_metrics_gauge(m, "ns:g", "", (const char *[]){"a", NULL}, &g, NULL), 0);
	assert_int_equal(br_metric_add(c, NULL, -1), BR_EINVAL);
	assert_int_equal(br_metric_add(c, NULL, NAN), BR_EINVAL);
	assert_int_equal(br_metric_set(c, NULL, 1), BR_EINVAL);     /* not a gauge */
	assert_int_equal(br_metric_observe(g, (const char *[]){"x"}, 1), BR_EINVAL);
	assert_int_equal(br_metric_set(g, NULL, 1), BR_EINVAL);     /* missing labels */
	assert_int_equal(br_metric_set(g, (const char *[]){NULL}, 1), BR_EINVAL);
	assert_int_equal(br_metric_set(g, (const char *[]){"x"}, -2.5), 0);
	char *got = render(m);
	assert_non_null(strstr(got, "# TYPE c_total counter\nc_total 0\n# HELP ns:g \n"
				    "# TYPE ns:g gauge\nns:g{a=\"x\"} -2.5\n"));
	free(got);
	/* Numbers as Go prints them. */
	const double nums[] = {10, 1e6, 123456, 0.1, 1e-5, 0.0001, 1.0 / 3, 2.5e10};
	const char *texts[] = {"10", "1e+06", "123456", "0.1", "1e-05", "0.0001",
			       "0.3333333333333333", "2.5e+10"};
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(br_metric_set(g, (const char *[]){"n"}, nums[i]), 0);
		got = render(m);
		char want[80];
		snprintf(want, sizeof(want), "ns:g{a=\"n\"} %s\n", texts[i]);
		assert_non_null(strstr(got, want));
		free(got);
	}
	br_metrics_free(m);
}

/* --- Concurrency ---------------------------------------------------------- */

static void *bump(void *arg)
{
	for (int i = 0; i < 10000; i++)
		br_metric_inc(arg, (const char *[]){i % 2 ? "odd" : "even"});
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	struct br_metrics *m = new_registry();
	struct br_metric *c;
	assert_int_equal(br_metrics_counter(m, "n_total", "N.", (const char *[]){"p", NULL}, &c, NULL), 0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, bump, c);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_true(br_metric_value(c, (const char *[]){"odd"}) == 20000);
	assert_true(br_metric_value(c, (const char *[]){"even"}) == 20000);
	br_metrics_free(m);
}

/* --- promtool ------------------------------------------------------------- */

/* Pipes text into `promtool check metrics`; returns its exit status, or -1
 * when promtool can't be run. */
static int promtool_check(const char *text)
{
	int in[2];
	if (pipe(in) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		close(in[0]);
		close(in[1]);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	size_t n = strlen(text);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(in[1], text + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(in[1]);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_promtool_accepts(void **state)
{
	struct br_metrics *m = new_registry();
	struct br_metric *rec, *dur, *restarts, *info;
	br_metrics_counter(m, "burnrate_reconcile_total", "Reconciles by result.",
			   (const char *[]){"result", NULL}, &rec, NULL);
	br_metrics_histogram(m, "burnrate_reconcile_duration_seconds",
			     "Time spent in one reconcile.", NULL, NULL, 0, &dur, NULL);
	br_metrics_counter(m, "burnrate_watch_restarts_total", "Watch restarts.",
			   (const char *[]){"resource", NULL}, &restarts, NULL);
	br_metrics_gauge(m, "burnrate_build_info", "Build information.",
			 (const char *[]){"version", NULL}, &info, NULL);
	br_metric_inc(rec, (const char *[]){"success"});
	br_metric_inc(rec, (const char *[]){"error"});
	br_metric_observe(dur, NULL, 0.012);
	br_metric_inc(restarts, (const char *[]){"servicelevelobjectives \"quoted\"\\"});
	br_metric_set(info, (const char *[]){"0.1.0"}, 1);
	char *text = render(m);
	int rc = promtool_check(text);
	if (rc == 127 || rc < 0) {
		free(text);
		br_metrics_free(m);
		skip();
	}
	assert_int_equal(rc, 0);
	/* And promtool can fail: here an unterminated label value. */
	assert_int_not_equal(promtool_check("# HELP x X.\n# TYPE x counter\nx{a=\"b} 1\n"), 0);
	free(text);
	br_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_text),
		cmocka_unit_test(test_untouched),
		cmocka_unit_test(test_histogram_labels_and_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_concurrent_updates),
		cmocka_unit_test(test_promtool_accepts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
