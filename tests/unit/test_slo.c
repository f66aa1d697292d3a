/* test_slo: durations, selectors, defaults, the alert table, validation. */
#define _GNU_SOURCE /* RTLD_NEXT, for the allocation-failure test */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "buf/buf.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

#include "failalloc.h"

/* --- Durations ----------------------------------------------------------- */

static void test_duration_table(void **state)
{
	static const struct {
		const char *in;
		long long seconds;
		const char *out;
	} cases[] = {
		{"1h", 3600, "1h"},
		{"4m40s", 280, "4m40s"},
		{"67h12m", 241920, "67h12m"},
		{"30d", 2592000, "30d"},
		{"28d", 2419200, "4w"},
		{"4w", 2419200, "4w"},
		{"2w3d", 1468800, "17d"},
		{"1d12h", 129600, "36h"},
		{"90s", 90, "1m30s"},
		{"1h30m", 5400, "1h30m"},
		{"5m", 300, "5m"},
		{"1s", 1, "1s"},
		{"7d", 604800, "1w"},
		{"90d", 7776000, "90d"},
		{"3d", 259200, "3d"},
		{"0h5m", 300, "5m"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long s = -1;
		char out[32];

		assert_int_equal(br_duration_parse(cases[i].in, &s), 0);
		assert_int_equal(s, cases[i].seconds);
		assert_string_equal(br_duration_format(cases[i].seconds, out, sizeof(out)),
				    cases[i].out);
		/* and back: what we print, we read */
		assert_int_equal(br_duration_parse(out, &s), 0);
		assert_int_equal(s, cases[i].seconds);
	}
}

static void test_duration_invalid(void **state)
{
	static const char *const bad[] = {
		"", "0s", "0d", "500ms", "1y", "1x", "h", "1m1h", "1h1h", "-1h", "1.5h",
		" 1h", "1h ", "1", "99999999999999999999s", "9999999999999999w", "1H", "1h30",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long s = 42;
		assert_int_equal(br_duration_parse(bad[i], &s), BR_EINVAL);
		assert_int_equal(s, 42);
	}
	char out[32];
	assert_string_equal(br_duration_format(0, out, sizeof(out)), "0s");
	/* truncation is safe and terminated */
	assert_string_equal(br_duration_format(280, out, 3), "4m");
}

/* --- Selectors ----------------------------------------------------------- */

static char *render(const struct br_selector *sel, const char *suffix,
		    const struct br_matcher *extra)
{
	struct br_buf b;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	assert_int_equal(br_selector_render(sel, suffix, extra, &b), 0);
	return br_buf_detach(&b);
}

static void test_selector_valid(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{"up", "up"},
		{"  up  ", "up"},
		{"up{}", "up"},
		{"ns:http_requests:rate5m", "ns:http_requests:rate5m"},
		{"http_requests_total{job=\"checkout\",code=~\"5..\"}",
		 "http_requests_total{job=\"checkout\",code=~\"5..\"}"},
		{"x{ a = 'b' , c != \"d\", e !~ `f\\d+`, }", "x{a=\"b\",c!=\"d\",e!~\"f\\\\d+\"}"},
		{"{job=\"a\"}", "{job=\"a\"}"},
		{"{__name__=\"up\",job=\"a\"}", "up{job=\"a\"}"},
		{"x{a=\"q\\\"uote\\\\back\\nline\"}", "x{a=\"q\\\"uote\\\\back\\nline\"}"},
		{"x{a='it\\'s'}", "x{a=\"it's\"}"},
		{"x{a=\"\\u00e9\\x41\\101\"}", "x{a=\"\xc3\xa9" "AA\"}"},
		{"x{a=\"\"}", "x{a=\"\"}"},
		{"x{a=`raw \\n \"q\"`}", "x{a=\"raw \\\\n \\\"q\\\"\"}"},
		/* keywords and numbers cannot stand as bare metric names */
		{"sum", "{__name__=\"sum\"}"},
		{"Inf{job=\"a\"}", "{__name__=\"Inf\",job=\"a\"}"},
		{"{__name__=\"on\"}", "{__name__=\"on\"}"},
		{"summary", "summary"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br_selector sel;
		struct br_error err;
		char *s;

		br_error_init(&err);
		if (br_selector_parse(cases[i].in, "f", &sel, &err) != 0)
			fail_msg("%s: %s", cases[i].in, err.text);
		s = render(&sel, NULL, NULL);
		assert_string_equal(s, cases[i].out);
		free(s);
		br_selector_release(&sel);
	}
}

static void test_selector_render_extra(void **state)
{
	struct br_selector sel;
	struct br_matcher le = {"le", BR_MATCH_EQ, "0.5"};
	char *s;

	assert_int_equal(br_selector_parse("lat{job=\"a\"}", "f", &sel, NULL), 0);
	s = render(&sel, "_bucket", &le);
	assert_string_equal(s, "lat_bucket{job=\"a\",le=\"0.5\"}");
	free(s);
	br_selector_release(&sel);
	assert_int_equal(br_selector_parse("lat", "f", &sel, NULL), 0);
	s = render(&sel, "_count", NULL);
	assert_string_equal(s, "lat_count");
	free(s);
	s = render(&sel, "_bucket", &le);
	assert_string_equal(s, "lat_bucket{le=\"0.5\"}");
	free(s);
	br_selector_release(&sel);
	/* the suffix can make a name a keyword, or stop it being one */
	assert_int_equal(br_selector_parse("co{a=\"b\"}", "f", &sel, NULL), 0);
	s = render(&sel, "unt", &le);
	assert_string_equal(s, "{__name__=\"count\",a=\"b\",le=\"0.5\"}");
	free(s);
	br_selector_release(&sel);
	assert_int_equal(br_selector_parse("sum", "f", &sel, NULL), 0);
	s = render(&sel, "_count", NULL);
	assert_string_equal(s, "sum_count");
	free(s);
	br_selector_release(&sel);
}

static void test_selector_invalid(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{"", "empty selector"},
		{"   ", "empty selector"},
		{"{}", "empty selector"},
		{"{a=\"\"}", "does not match the empty string"},
		{"{a!=\"x\"}", "does not match the empty string"},
		{"up{", "missing '}'"},
		{"up{a=\"b\"", "missing '}'"},
		{"up}", "unexpected '}'"},
		{"up{a=\"b\"}}", "unexpected '}'"},
		{"up{a=\"b}", "unterminated"},
		{"up{a='b}", "unterminated"},
		{"up{a=`b}", "unterminated"},
		{"up{a==\"b\"}", "unknown matcher operator"},
		{"up{a<\"b\"}", "unknown matcher operator"},
		{"up{a~\"b\"}", "unknown matcher operator"},
		{"up{a}", "unknown matcher operator"},
		{"up{1a=\"b\"}", "expected a label name"},
		{"up{a:b=\"c\"}", "unknown matcher operator"},
		{"up{a=b}", "expected a quoted string"},
		{"up{a=\"b\" c=\"d\"}", "expected ',' or '}'"},
		{"up{a=~\"\"}", "regular expression for label a is empty"},
		{"up{a!~''}", "regular expression for label a is empty"},
		{"up or vector(1)", "unexpected text after the selector"},
		{"up{a=\"b\"} + 1", "unexpected text after the selector"},
		{"rate(up[5m])", "unexpected text after the selector"},
		{"up[5m]", "unexpected text after the selector"},
		{"1up", "unexpected text after the selector"},
		{"up{a=\"\\q\"}", "unknown escape sequence \\q"},
		{"up{a=\"\\x4\"}", "invalid escape"},
		{"up{a=\"\\x00\"}", "NUL"},
		{"up{a=\"\\xff\"}", "byte escape above"},
		{"up{a=\"\\ud800\"}", "not a valid Unicode"},
		{"up{a=\"line\nbreak\"}", "newline in quoted string"},
		{"up{__name__=\"x\"}", "metric name is set twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br_selector sel;
		struct br_error err;

		br_error_init(&err);
		if (br_selector_parse(cases[i].in, "spec.x", &sel, &err) != BR_EPARSE)
			fail_msg("accepted: %s", cases[i].in);
		assert_string_equal(err.field, "spec.x");
		if (!strstr(err.text, cases[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].in, err.text, cases[i].want);
		assert_null(sel.metric);
		assert_null(sel.matchers);
	}
}

static void test_promql_quote(void **state)
{
	struct br_buf b;

	br_buf_init(&b, 1024);
	assert_int_equal(br_promql_quote("a\"}\\\n\t\x01z", &b), 0);
	assert_string_equal(br_buf_str(&b), "\"a\\\"}\\\\\\n\\t\\x01z\"");
	br_buf_release(&b);
}

/* --- The model ----------------------------------------------------------- */

static json_t *minimal(void)
{
	json_error_t jerr;
	json_t *doc = json_loads(
		"{\"apiVersion\":\"burnrate.dev/v1alpha1\",\"kind\":\"ServiceLevelObjective\","
		"\"metadata\":{\"name\":\"checkout-availability\"},"
		"\"spec\":{\"service\":\"checkout\",\"objective\":99.5,"
		"\"indicator\":{\"ratio\":{\"errors\":\"http_requests_total{job=\\\"checkout\\\",code=~\\\"5..\\\"}\","
		"\"total\":\"http_requests_total{job=\\\"checkout\\\"}\"}}}}", 0, &jerr);
	assert_non_null(doc);
	return doc;
}

/* Sets path (dotted, objects created as needed) in doc to value (stolen). */
static void set(json_t *doc, const char *path, json_t *value)
{
	char key[128];
	const char *dot = strchr(path, '.');

	if (!dot) {
		assert_int_equal(json_object_set_new(doc, path, value), 0);
		return;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	json_t *child = json_object_get(doc, key);
	if (!child) {
		child = json_object();
		json_object_set_new(doc, key, child);
	}
	set(child, dot + 1, value);
}

static void test_defaults(void **state)
{
	json_t *doc = minimal();
	struct br_slo slo;
	struct br_problems p;

	br_problems_init(&p);
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, &p), 0);
	assert_int_equal(p.count, 0);
	assert_string_equal(slo.name, "checkout-availability");
	assert_string_equal(slo.namespace, "default");
	assert_null(slo.uid);
	assert_string_equal(slo.service, "checkout");
	assert_true(fabs(slo.objective - 99.5) < 1e-12);
	assert_true(fabs(br_slo_error_budget(&slo) - 0.005) < 1e-12);
	assert_int_equal(slo.window_s, 30 * 86400);
	assert_int_equal(slo.indicator, BR_INDICATOR_RATIO);
	assert_int_equal(slo.ratio_has_good, 0);
	assert_string_equal(slo.errors.metric, "http_requests_total");
	assert_int_equal(slo.errors.count, 2);
	assert_string_equal(slo.total.matchers[0].value, "checkout");
	assert_string_equal(slo.alert_name, "CheckoutAvailability");
	assert_int_equal(slo.page.disabled, 0);
	assert_null(slo.page.receiver);
	assert_string_equal(slo.page.severity, "critical");
	assert_string_equal(slo.ticket.severity, "warning");
	assert_int_equal(slo.labels.count, 0);
	assert_int_equal(slo.min_events, 0);
	assert_int_equal(slo.window_count, 4);
	assert_int_equal(slo.windows[0].long_s, 3600);
	br_slo_release(&slo);
	assert_null(slo.name);

	/* alert names from names with dots and a leading digit */
	set(doc, "metadata.name", json_string("5xx.errors-api"));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, &p), 0);
	assert_string_equal(slo.alert_name, "Slo5xxErrorsApi");
	br_slo_release(&slo);
	br_problems_release(&p);
	json_decref(doc);
}

static void test_full(void **state)
{
	json_t *doc = minimal();
	struct br_slo slo;
	struct br_problems p;

	set(doc, "metadata.namespace", json_string("payments"));
	set(doc, "metadata.uid", json_string("u-1"));
	set(doc, "metadata.generation", json_integer(3));
	set(doc, "spec.window", json_string("4w"));
	set(doc, "spec.traffic.minEvents", json_integer(50));
	set(doc, "spec.alerting.name", json_string("Checkout:SLO"));
	set(doc, "spec.alerting.labels.team", json_string("payments"));
	set(doc, "spec.alerting.labels.a_first", json_string("1"));
	set(doc, "spec.alerting.annotations.summary", json_string("mine"));
	set(doc, "spec.alerting.page.receiver", json_string("pd"));
	set(doc, "spec.alerting.page.severity", json_string("sev1"));
	set(doc, "spec.alerting.ticket.disabled", json_true());
	br_problems_init(&p);
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, &p), 0);
	assert_string_equal(slo.namespace, "payments");
	assert_string_equal(slo.uid, "u-1");
	assert_int_equal(slo.generation, 3);
	assert_int_equal(slo.window_s, 28 * 86400);
	assert_int_equal(slo.min_events, 50);
	assert_string_equal(slo.alert_name, "Checkout:SLO");
	assert_int_equal(slo.labels.count, 2);
	assert_string_equal(slo.labels.items[0].name, "a_first"); /* sorted */
	assert_string_equal(slo.labels.items[1].value, "payments");
	assert_string_equal(slo.annotations.items[0].value, "mine");
	assert_string_equal(slo.page.receiver, "pd");
	assert_string_equal(slo.page.severity, "sev1");
	assert_int_equal(slo.ticket.disabled, 1);
	assert_string_equal(slo.ticket.severity, "warning");
	assert_int_equal(slo.window_count, 4);
	assert_int_equal(slo.windows[0].long_s, 3360);
	br_slo_release(&slo);
	br_problems_release(&p);
	json_decref(doc);
}

static void check_row(const struct br_alert_window *w, enum br_severity sev, long long l,
		      long long s, double f, double b)
{
	assert_int_equal(w->severity, sev);
	assert_int_equal(w->long_s, l);
	assert_int_equal(w->short_s, s);
	if (fabs(w->burn_rate - f) > 1e-9 || fabs(w->budget_percent - b) > 1e-9)
		fail_msg("row %lld: f %g b %g, want %g %g", l, w->burn_rate, w->budget_percent, f, b);
}

static void test_default_windows(void **state)
{
	struct br_alert_window r[4];

	br_slo_default_windows(30 * 86400, r);
	check_row(&r[0], BR_SEVERITY_PAGE, 3600, 300, 14.4, 2);
	check_row(&r[1], BR_SEVERITY_PAGE, 21600, 1800, 6, 5);
	check_row(&r[2], BR_SEVERITY_TICKET, 86400, 7200, 3, 10);
	check_row(&r[3], BR_SEVERITY_TICKET, 259200, 21600, 1, 10);

	/* 28d: 1h -> 56m (short 4m40s), 3d -> 67h12m; burn rates unchanged */
	br_slo_default_windows(28 * 86400, r);
	check_row(&r[0], BR_SEVERITY_PAGE, 3360, 280, 14.4, 2);
	check_row(&r[1], BR_SEVERITY_PAGE, 20160, 1680, 6, 5);
	check_row(&r[2], BR_SEVERITY_TICKET, 80640, 6720, 3, 10);
	check_row(&r[3], BR_SEVERITY_TICKET, 241920, 20160, 1, 10);

	br_slo_default_windows(7 * 86400, r);
	check_row(&r[0], BR_SEVERITY_PAGE, 840, 70, 14.4, 2);
	check_row(&r[1], BR_SEVERITY_PAGE, 5040, 420, 6, 5);
	check_row(&r[2], BR_SEVERITY_TICKET, 20160, 1680, 3, 10);
	check_row(&r[3], BR_SEVERITY_TICKET, 60480, 5040, 1, 10);

	/* every row spends its share of the budget: f * L / T = b */
	for (long long days = 1; days <= 90; days++) {
		br_slo_default_windows(days * 86400, r);
		for (int i = 0; i < 4; i++) {
			double b = r[i].burn_rate * (double)r[i].long_s / (double)(days * 86400) * 100;
			assert_true(fabs(b - r[i].budget_percent) < 1e-9);
			assert_true(r[i].short_s * 12 - r[i].long_s <= 6 &&
				    r[i].long_s - r[i].short_s * 12 <= 6);
		}
	}
}

static void test_override_windows(void **state)
{
	json_t *doc = minimal();
	struct br_slo slo;
	json_error_t jerr;

	set(doc, "spec.alerting.windows", json_loads(
		"[{\"severity\":\"ticket\",\"long\":\"2d\",\"budgetPercent\":20},"
		" {\"severity\":\"page\",\"long\":\"2h\",\"short\":\"10m\",\"burnRate\":10}]", 0, &jerr));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.window_count, 2);
	/* sorted: page first; budget from burn rate and back */
	check_row(&slo.windows[0], BR_SEVERITY_PAGE, 7200, 600, 10, 10.0 * 7200 / 2592000 * 100);
	check_row(&slo.windows[1], BR_SEVERITY_TICKET, 172800, 14400, 0.2 * 30 / 2, 20);
	br_slo_release(&slo);
	json_decref(doc);
}

/* Presets: workbook is the default; low-traffic has its own rows, scales
 * with the window, and pages only when spec.alerting.page is given. */
static void test_presets(void **state)
{
	json_t *doc = minimal();
	struct br_slo slo;
	size_t n;
	const struct br_slo_preset *all = br_slo_presets(&n);

	assert_true(n >= 2);
	assert_string_equal(all[0].name, "workbook");
	assert_ptr_equal(br_slo_preset_find("low-traffic"), &all[1]);
	assert_null(br_slo_preset_find("Workbook"));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_ptr_equal(slo.preset, &all[0]);
	br_slo_release(&slo);

	set(doc, "spec.alerting.preset", json_string("low-traffic"));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.window_count, 3);
	check_row(&slo.windows[0], BR_SEVERITY_PAGE, 86400, 7200, 6, 20);
	check_row(&slo.windows[2], BR_SEVERITY_TICKET, 7 * 86400, 14 * 3600, 1.5, 35);
	assert_int_equal(slo.page.disabled, 1);
	assert_int_equal(slo.ticket.disabled, 0);
	br_slo_release(&slo);

	/* asking for pages turns them on; a 7d window scales the rows */
	set(doc, "spec.alerting.page", json_pack("{s:s}", "receiver", "oncall"));
	set(doc, "spec.window", json_string("7d"));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.page.disabled, 0);
	check_row(&slo.windows[0], BR_SEVERITY_PAGE, 20160, 1680, 6, 20);
	br_slo_release(&slo);
	set(doc, "spec.alerting.page", json_pack("{s:b}", "disabled", 1));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.page.disabled, 1);
	br_slo_release(&slo);
	json_decref(doc);
}

static void test_off_peak(void **state)
{
	json_t *doc = minimal();
	struct br_slo slo;
	long long from, to;

	set(doc, "spec.alerting.offPeak", json_pack("{s:s, s:s, s:s}", "from", "22:00",
						    "to", "06:00", "utcOffset", "+02:00"));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.off_peak.enabled, 1);
	assert_int_equal(slo.off_peak.from_min, 22 * 60);
	assert_int_equal(slo.off_peak.to_min, 6 * 60);
	assert_int_equal(slo.off_peak.utc_offset_min, 120);
	/* default: the fastest page row only */
	assert_int_equal(slo.windows[0].off_peak_muted, 1);
	for (size_t i = 1; i < slo.window_count; i++)
		assert_int_equal(slo.windows[i].off_peak_muted, 0);
	br_off_peak_utc(&slo.off_peak, &from, &to);
	assert_int_equal(from, 20 * 3600);
	assert_int_equal(to, 4 * 3600);
	br_slo_release(&slo);

	/* named rows; a negative offset moves UTC later, across midnight */
	set(doc, "spec.alerting.offPeak", json_pack("{s:s, s:s, s:s, s:[s,s]}", "from", "20:30",
						    "to", "23:00", "utcOffset", "-05:00",
						    "rows", "6h", "1d"));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.windows[0].off_peak_muted, 0);
	assert_int_equal(slo.windows[1].off_peak_muted, 1);
	assert_int_equal(slo.windows[2].off_peak_muted, 1);
	br_off_peak_utc(&slo.off_peak, &from, &to);
	assert_int_equal(from, 1 * 3600 + 1800);
	assert_int_equal(to, 4 * 3600);
	br_slo_release(&slo);
	json_decref(doc);
}

/* z and the Wilson bound against values computed independently (R's
 * qnorm and the textbook formula). */
static void test_confidence(void **state)
{
	(void)state;
	assert_true(fabs(br_slo_confidence_z(95) - 1.6448536269514722) < 1e-9);
	assert_true(fabs(br_slo_confidence_z(99) - 2.3263478740408408) < 1e-9);
	assert_true(fabs(br_slo_confidence_z(84.13447460685429) - 1.0) < 1e-9);
	assert_true(br_slo_confidence_z(50) == 0);
	assert_true(br_slo_confidence_z(100) == 0);
	/* 5 errors of 23 events at 95%: 0.110054...; none: 0; all: below 1 */
	assert_true(fabs(br_slo_wilson_lower(5, 23, 1.6448536269514722) - 0.1100544505) < 1e-9);
	assert_true(fabs(br_slo_wilson_lower(0, 100, 1.6448536269514722)) < 1e-12);
	assert_true(br_slo_wilson_lower(100, 100, 1.6448536269514722) < 1);
	assert_true(br_slo_wilson_lower(3, 0, 1.64) == 0);
	/* a lot of evidence: the bound nears the ratio */
	assert_true(fabs(br_slo_wilson_lower(1e6, 1e8, 1.6448536269514722) - 0.01) < 0.0002);
}

static void test_good_latency_raw(void **state)
{
	json_t *doc = minimal();
	json_error_t jerr;
	struct br_slo slo;

	set(doc, "spec.indicator", json_loads("{\"ratio\":{\"good\":\"ok_total\",\"total\":\"all_total\"}}", 0, &jerr));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.ratio_has_good, 1);
	assert_string_equal(slo.good.metric, "ok_total");
	assert_null(slo.errors.metric);
	br_slo_release(&slo);

	set(doc, "spec.indicator", json_loads("{\"latency\":{\"histogram\":\"lat_seconds{job=\\\"a\\\"}\",\"threshold\":0.25}}", 0, &jerr));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.indicator, BR_INDICATOR_LATENCY);
	assert_string_equal(slo.histogram.metric, "lat_seconds");
	assert_true(slo.threshold_s == 0.25);
	br_slo_release(&slo);

	set(doc, "spec.indicator", json_loads("{\"raw\":{\"errorRatio\":\"sum(rate(e[$window]))/sum(rate(t[$window]))\"}}", 0, &jerr));
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, NULL), 0);
	assert_int_equal(slo.indicator, BR_INDICATOR_RAW);
	assert_non_null(strstr(slo.raw_error_ratio, "$window"));
	br_slo_release(&slo);
	json_decref(doc);
}

/* Parses doc, expects failure and a problem containing want. */
static void expect_problem(json_t *doc, const char *want)
{
	struct br_slo slo;
	struct br_problems p;
	char line[2048];
	int found = 0;

	br_problems_init(&p);
	assert_int_equal(br_slo_parse(doc, NULL, NULL, &slo, &p), BR_EINVAL);
	assert_null(slo.name);
	assert_true(p.count > 0);
	for (size_t i = 0; i < p.count; i++)
		if (strstr(br_error_format(&p.items[i], line, sizeof(line)), want))
			found = 1;
	if (!found) {
		for (size_t i = 0; i < p.count; i++)
			print_message("  %s\n", br_error_format(&p.items[i], line, sizeof(line)));
		fail_msg("no problem contains \"%s\"", want);
	}
	br_problems_release(&p);
	json_decref(doc);
}

static void test_json_problems(void **state)
{
	json_t *d;
	json_error_t jerr;

	d = minimal(); set(d, "spec.objective", json_integer(100));
	expect_problem(d, "spec.objective: must be greater than 0 and less than 100, got 100");
	d = minimal(); set(d, "spec.objective", json_string("99"));
	expect_problem(d, "spec.objective: must be a number");
	d = minimal(); set(d, "spec.objective", json_integer(90));
	expect_problem(d, "spec.objective: the 1h/5m page alert can never fire: burn rate 14.4 x "
		       "error budget 0.1 = 1.44 >= 1; lower the burn rate or disable page "
		       "alerts (spec.alerting.page.disabled)");
	d = minimal(); set(d, "spec.objective", json_integer(90));
	set(d, "spec.alerting.page.disabled", json_true());
	{
		struct br_slo slo;
		assert_int_equal(br_slo_parse(d, NULL, NULL, &slo, NULL), 0);
		br_slo_release(&slo);
		json_decref(d);
	}
	d = minimal(); set(d, "spec.window", json_string("1d"));
	expect_problem(d, "spec.window: window 1d is too short for the default alert table");
	d = minimal(); set(d, "spec.window", json_string("91d"));
	expect_problem(d, "spec.window: must be between 1d and 90d, got 13w");
	d = minimal(); set(d, "spec.indicator.latency", json_object());
	expect_problem(d, "spec.indicator: exactly one of ratio, latency, raw or timeSlice is required, found 2: ratio, latency");
	d = minimal(); set(d, "spec.bogus", json_true());
	expect_problem(d, "spec.bogus: unknown field");
	d = minimal(); set(d, "spec.traffic.minEvents", json_integer(-1));
	expect_problem(d, "spec.traffic.minEvents: must be 0 or more");
	d = minimal(); set(d, "spec.alerting.labels.severity", json_string("x"));
	expect_problem(d, "spec.alerting.labels.severity: is set by burnrate");
	d = minimal(); set(d, "metadata.name", json_string("Bad_Name"));
	expect_problem(d, "metadata.name: must be a DNS-1123 subdomain");
	d = minimal(); set(d, "spec.alerting.windows", json_loads(
		"[{\"severity\":\"page\",\"long\":\"1h\",\"short\":\"1h\",\"burnRate\":2}]", 0, &jerr));
	expect_problem(d, "spec.alerting.windows[0].short: must be shorter than the long window 1h, got 1h");

	/* every problem, not just the first */
	struct br_slo slo;
	struct br_problems p;
	d = minimal();
	set(d, "spec.objective", json_integer(0));
	set(d, "spec.service", json_string(""));
	set(d, "metadata.namespace", json_string("UPPER"));
	set(d, "kind", json_string("Other"));
	br_problems_init(&p);
	assert_int_equal(br_slo_parse(d, NULL, "f.yaml", &slo, &p), BR_EINVAL);
	assert_int_equal(p.count, 4);
	assert_string_equal(p.items[0].file, "f.yaml");
	br_problems_release(&p);
	json_decref(d);
}

/* --- Data-driven cases: tests/data/slo/{valid,invalid} -------------------- */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct br_buf b;
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(br_buf_add(&b, chunk, n), 0);
	fclose(f);
	*len = b.len;
	return b.data ? br_buf_detach(&b) : strdup("");
}

/* Loads dir/name and parses every document. Returns the number of documents
 * that failed; their problems, formatted, are appended to out. */
static int parse_file(const char *dir, const char *name, struct br_buf *out)
{
	struct br_yaml_stream st;
	struct br_error err;
	char path[1024], line[2048];
	size_t len;
	char *data;
	int failed = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	data = read_all(path, &len);
	br_error_init(&err);
	if (br_yaml_load(data, len, name, &st, &err) != 0)
		fail_msg("%s: %s", path, br_error_format(&err, line, sizeof(line)));
	assert_true(st.count > 0);
	for (size_t i = 0; i < st.count; i++) {
		struct br_problems p;
		struct br_slo slo;
		int rc;

		br_problems_init(&p);
		const char *kind = json_string_value(json_object_get(st.docs[i].root, "kind"));
		if (kind && strcmp(kind, BR_CORRECTION_KIND) == 0) {
			struct br_correction c;
			rc = br_correction_parse(st.docs[i].root, st.marks, name, &c, &p);
			if (rc == 0) {
				assert_true(c.span_count > 0);
				assert_non_null(c.summary);
				br_correction_release(&c);
			}
		} else {
			rc = br_slo_parse(st.docs[i].root, st.marks, name, &slo, &p);
			if (rc == 0) {
				assert_non_null(slo.alert_name);
				assert_true(slo.window_count > 0);
				br_slo_release(&slo);
			}
		}
		if (rc == 0) {
			assert_int_equal(p.count, 0);
		} else {
			assert_int_equal(rc, BR_EINVAL);
			assert_true(p.count > 0);
			failed++;
		}
		for (size_t j = 0; j < p.count; j++) {
			br_buf_adds(out, br_error_format(&p.items[j], line, sizeof(line)));
			br_buf_addc(out, '\n');
		}
		br_problems_release(&p);
	}
	br_yaml_stream_release(&st);
	free(data);
	return failed;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static void data_dir(char *out, size_t size, const char *which)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");

	if (!src)
		src = ".";
	snprintf(out, size, "%s/tests/data/slo/%s", src, which);
}

static void test_data_valid(void **state)
{
	char dir[1024];
	struct dirent *e;
	DIR *d;
	int n = 0;

	data_dir(dir, sizeof(dir), "valid");
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (set BURNRATE_SOURCE_DIR)", dir);
	while ((e = readdir(d)) != NULL) {
		struct br_buf out;

		if (!has_suffix(e->d_name, ".yaml"))
			continue;
		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		if (parse_file(dir, e->d_name, &out) != 0)
			fail_msg("%s should be valid:\n%s", e->d_name, br_buf_str(&out));
		br_buf_release(&out);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

static void test_data_invalid(void **state)
{
	char dir[1024], path[1100];
	struct dirent *e;
	struct br_buf failures;
	DIR *d;
	int n = 0;

	br_buf_init(&failures, BR_BUF_MAX_DEFAULT);
	data_dir(dir, sizeof(dir), "invalid");
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (set BURNRATE_SOURCE_DIR)", dir);
	while ((e = readdir(d)) != NULL) {
		struct br_buf out;
		char *want, *nl;
		size_t len;

		if (!has_suffix(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.expected", dir,
			 (int)(strlen(e->d_name) - 5), e->d_name);
		want = read_all(path, &len);
		if ((nl = strchr(want, '\n')) != NULL)
			*nl = '\0';
		assert_true(*want);
		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		/* every case is checked, then all that failed are listed */
		if (parse_file(dir, e->d_name, &out) == 0)
			br_buf_addf(&failures, "%s was accepted\n", e->d_name);
		else if (!strstr(br_buf_str(&out), want))
			br_buf_addf(&failures, "%s: want \"%s\" among:\n%s", e->d_name, want,
				    br_buf_str(&out));
		br_buf_release(&out);
		free(want);
		n++;
	}
	closedir(d);
	assert_true(n >= 40);
	if (failures.len) {
		print_message("%s", br_buf_str(&failures));
		br_buf_release(&failures);
		fail_msg("some invalid cases did not fail as expected");
	}
}

/* --- String limits ------------------------------------------------------- */

/* A string of n copies of the UTF-8 character c (1 to 4 bytes). Free it. */
static char *repeat(const char *c, size_t n)
{
	size_t k = strlen(c);
	char *s = malloc(n * k + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * k, c, k);
	s[n * k] = '\0';
	return s;
}

static json_t *repeat_json(const char *c, size_t n)
{
	char *s = repeat(c, n);
	json_t *v = json_string(s);

	free(s);
	assert_non_null(v);
	return v;
}

/* Parses doc (stolen) and expects success. */
static void expect_valid(json_t *doc)
{
	struct br_problems p;
	struct br_slo slo;
	char line[2048];

	br_problems_init(&p);
	if (br_slo_parse(doc, NULL, NULL, &slo, &p) != 0)
		fail_msg("refused: %s", p.count ? br_error_format(&p.items[0], line, sizeof(line)) : "?");
	br_slo_release(&slo);
	br_problems_release(&p);
	json_decref(doc);
}

static void test_limits_table(void **state)
{
	const struct br_slo_limit *t;
	size_t n;

	assert_int_equal(br_slo_max_length("spec.service"), 253);
	assert_int_equal(br_slo_max_length("spec.description"), 1024);
	assert_int_equal(br_slo_max_length("spec.alerting.labels.*"), 253);
	assert_int_equal(br_slo_max_length("spec.alerting.windows[].long"), 32);
	assert_int_equal(br_slo_max_length("metadata.name"), 0);
	assert_int_equal(br_slo_max_length("spec.alerting.windows[0].long"), 0);
	assert_int_equal(br_slo_utf8_length("", 0), 0);
	assert_int_equal(br_slo_utf8_length("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\xa5", 10), 4);
	t = br_slo_limits(&n);
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		assert_true(strncmp(t[i].field, "spec.", 5) == 0);
		assert_true(t[i].max_length > 0);
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(t[i].field, t[j].field);
	}
}

/* Strings over their limit are refused with the field and the limit, counted
 * in characters as the API server counts maxLength; at the limit they pass. */
static void test_limits_enforced(void **state)
{
	json_t *d;
	json_error_t jerr;
	char want[256];
	char *name;

	d = minimal(); set(d, "spec.description", repeat_json("d", 1025));
	expect_problem(d, "spec.description: must be at most 1024 characters, got 1025");
	d = minimal(); set(d, "spec.description", repeat_json("\xc3\xa9", 1024));
	expect_valid(d); /* 2048 bytes, 1024 characters */
	d = minimal(); set(d, "spec.description", repeat_json("\xe2\x82\xac", 1025));
	expect_problem(d, "spec.description: must be at most 1024 characters, got 1025");
	d = minimal(); set(d, "spec.service", repeat_json("s", 253));
	expect_valid(d);
	d = minimal(); set(d, "spec.indicator.ratio.total", repeat_json("t", 4097));
	expect_problem(d, "spec.indicator.ratio.total: must be at most 4096 characters, got 4097");
	d = minimal(); set(d, "spec.alerting.labels.team", repeat_json("v", 254));
	expect_problem(d, "spec.alerting.labels.team: must be at most 253 characters, got 254");
	d = minimal(); set(d, "spec.alerting.annotations.summary", repeat_json("v", 4097));
	expect_problem(d, "spec.alerting.annotations.summary: must be at most 4096 characters, got 4097");
	d = minimal(); set(d, "spec.alerting.page.receiver", repeat_json("r", 254));
	expect_problem(d, "spec.alerting.page.receiver: must be at most 253 characters, got 254");
	d = minimal(); set(d, "spec.window", repeat_json("0", 33));
	expect_problem(d, "spec.window: must be at most 32 characters, got 33");
	d = minimal(); set(d, "spec.alerting.windows", json_loads(
		"[{\"severity\":\"page\",\"long\":\"1h\",\"burnRate\":14.4},"
		" {\"severity\":\"ticket\",\"long\":\"000000000000000000000000000000001d\","
		"\"burnRate\":3}]", 0, &jerr));
	expect_problem(d, "spec.alerting.windows[1].long: must be at most 32 characters, got 34");

	/* names: 63 characters, a limit of burnrate's own */
	name = repeat("n", 63);
	d = minimal(); set(d, "spec.alerting.labels", json_object());
	json_object_set_new(json_object_get(json_object_get(json_object_get(d, "spec"),
		"alerting"), "labels"), name, json_string("x"));
	expect_valid(d);
	free(name);
	name = repeat("n", 64);
	d = minimal(); set(d, "spec.alerting.annotations", json_object());
	json_object_set_new(json_object_get(json_object_get(json_object_get(d, "spec"),
		"alerting"), "annotations"), name, json_string("x"));
	snprintf(want, sizeof(want), "spec.alerting.annotations.%s: name must be at most 63 "
		 "characters, got 64", name);
	expect_problem(d, want);
	free(name);
}

/* A multi-megabyte value is refused at once, not parsed, copied or quoted
 * whole into a message (ASan and the test's timeout watch this). */
static void test_limits_huge(void **state)
{
	static const char *const fields[] = {
		"spec.description", "spec.service", "spec.indicator.ratio.errors",
		"spec.alerting.annotations.runbook_url", "spec.alerting.name",
	};
	size_t big = 8u << 20;
	char want[256];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *d = minimal();

		set(d, fields[i], repeat_json("x", big));
		snprintf(want, sizeof(want), "%s: must be at most", fields[i]);
		expect_problem(d, want);
	}
	/* a name: the problem's field path is cut short, the length is exact */
	json_t *d = minimal();
	char *name = repeat("n", big);

	set(d, "spec.alerting.labels", json_object());
	json_object_set_new(json_object_get(json_object_get(json_object_get(d, "spec"),
		"alerting"), "labels"), name, json_string("x"));
	free(name);
	expect_problem(d, ": name must be at most 63 characters, got 8388608");
}

/* Every string field of the CRD's spec has the limit the table gives it, and
 * the table names no field the CRD lacks (tests/cli/limits.test.sh checks the
 * same through `burnrate validate`, a value at a time). */
static void crd_strings(const json_t *node, const char *path, struct br_buf *out)
{
	const json_t *props = json_object_get(node, "properties");
	const json_t *items = json_object_get(node, "items");
	const json_t *more = json_object_get(node, "additionalProperties");
	const char *key;
	json_t *sub;
	char child[256];

	if (json_is_string(json_object_get(node, "type")) &&
	    strcmp(json_string_value(json_object_get(node, "type")), "string") == 0 &&
	    !json_object_get(node, "enum"))
		br_buf_addf(out, "%s=%lld\n", path,
			    (long long)json_integer_value(json_object_get(node, "maxLength")));
	json_object_foreach((json_t *)props, key, sub) {
		snprintf(child, sizeof(child), "%s.%s", path, key);
		crd_strings(sub, child, out);
	}
	if (json_is_object(items)) {
		snprintf(child, sizeof(child), "%s[]", path);
		crd_strings(items, child, out);
	}
	if (json_is_object(more)) {
		snprintf(child, sizeof(child), "%s.*", path);
		crd_strings(more, child, out);
	}
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_limits_crd(void **state)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");
	struct br_yaml_stream st;
	struct br_error err;
	struct br_buf crd, table;
	char path[1024], line[2048];
	const json_t *spec;
	size_t len, n;
	char *data;

	snprintf(path, sizeof(path), "%s/crds/servicelevelobjectives.yaml", src ? src : ".");
	data = read_all(path, &len);
	br_error_init(&err);
	if (br_yaml_load(data, len, path, &st, &err) != 0)
		fail_msg("%s", br_error_format(&err, line, sizeof(line)));
	spec = json_object_get(json_object_get(json_object_get(json_object_get(
		json_array_get(json_object_get(json_object_get(st.docs[0].root, "spec"),
		"versions"), 0), "schema"), "openAPIV3Schema"), "properties"), "spec");
	assert_non_null(spec);
	br_buf_init(&crd, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&crd, "");
	crd_strings(spec, "spec", &crd);
	/* the table, in the CRD's order: as many lines, the same ones */
	br_buf_init(&table, BR_BUF_MAX_DEFAULT);
	br_slo_limits(&n);
	for (const char *p = br_buf_str(&crd); *p; p = strchr(p, '\n') + 1) {
		char field[256];

		snprintf(field, sizeof(field), "%.*s", (int)strcspn(p, "="), p);
		br_buf_addf(&table, "%s=%zu\n", field, br_slo_max_length(field));
	}
	assert_string_equal(br_buf_str(&crd), br_buf_str(&table));
	/* no string without a limit; as many lines as the table: none extra */
	assert_null(strstr(br_buf_str(&crd), "=0\n"));
	assert_int_equal(n, count_lines(br_buf_str(&crd)));
	br_buf_release(&crd);
	br_buf_release(&table);
	br_yaml_stream_release(&st);
	free(data);
}

/* --- Allocation failures ------------------------------------------------- */

/* Parses doc with the Nth allocation failing, for every N until one run
 * needs no more than N allocations. Each run must fail cleanly with
 * BR_ENOMEM (or give the normal answer, want); LeakSanitizer checks that
 * nothing leaks on any path. Returns the number of runs. */
static long fail_every_allocation(const json_t *doc, int want)
{
	long n;

	for (n = 0;; n++) {
		struct br_problems p;
		struct br_slo slo;
		int rc;

		br_problems_init(&p);
		allocations = 0;
		failing_after = n;
		rc = br_slo_parse(doc, NULL, "f.yaml", &slo, &p);
		failing_after = -1;
		if (rc != want && rc != BR_ENOMEM)
			fail_msg("allocation %ld failed: got %s", n, br_code_name(rc));
		if (rc == 0)
			br_slo_release(&slo);
		else
			assert_null(slo.name);
		br_problems_release(&p);
		if (allocations <= n) {
			assert_int_equal(rc, want); /* nothing failed: the normal answer */
			return n;
		}
	}
}

static void test_allocation_failures(void **state)
{
	json_error_t jerr;
	json_t *doc = minimal();

	set(doc, "metadata.namespace", json_string("payments"));
	set(doc, "spec.description", json_string("orders"));
	set(doc, "spec.alerting.labels.team", json_string("payments"));
	set(doc, "spec.alerting.labels.tier", json_string("1"));
	set(doc, "spec.alerting.annotations.runbook_url", json_string("https://r"));
	set(doc, "spec.alerting.page.receiver", json_string("pd"));
	set(doc, "spec.alerting.windows", json_loads(
		"[{\"severity\":\"page\",\"long\":\"1h\",\"burnRate\":14.4},"
		" {\"severity\":\"ticket\",\"long\":\"1d\",\"budgetPercent\":10}]", 0, &jerr));
	assert_true(fail_every_allocation(doc, 0) > 20);

	/* and on the paths that report problems */
	set(doc, "spec.objective", json_integer(100));
	set(doc, "spec.bogus", json_true());
	set(doc, "spec.alerting.labels.slo", json_string("x"));
	assert_true(fail_every_allocation(doc, BR_EINVAL) > 3);
	json_decref(doc);
}

/* --- Budget corrections -------------------------------------------------- */

static void test_time(void **state)
{
	long long t;
	char out[32];

	(void)state;
	assert_int_equal(br_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(br_time_parse("2026-12-01T04:00:00.75+01:00", &t), 0);
	assert_string_equal(br_time_format(t, out, sizeof(out)), "2026-12-01T03:00:00Z");
	assert_int_equal(br_time_parse("2024-02-29T23:59:59-00:30", &t), 0);
	assert_string_equal(br_time_format(t, out, sizeof(out)), "2024-03-01T00:29:59Z");
	const char *bad[] = {"2026-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T02:00:00",
			     "2026-12-01 02:00:00Z", "2026-12-01T02:00:00.Z", "2026-12-01T02:00:00+1:00",
			     "1969-12-31T23:59:59Z", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(br_time_parse(bad[i], &t), BR_EINVAL);
}

/* A correction parsed from YAML text (it must be valid). */
static void correction_of(const char *yaml, struct br_correction *c)
{
	struct br_yaml_stream st;
	struct br_problems p;
	struct br_error err;

	br_error_init(&err);
	br_problems_init(&p);
	assert_int_equal(br_yaml_load(yaml, strlen(yaml), "t.yaml", &st, &err), 0);
	if (br_correction_parse(st.docs[0].root, st.marks, "t.yaml", c, &p) != 0) {
		char line[2048];
		fail_msg("%s", br_error_format(&p.items[0], line, sizeof(line)));
	}
	br_problems_release(&p);
	br_yaml_stream_release(&st);
}

/* A weekly window crossing midnight at an offset: its spans, when each holds,
 * and the rules' modulo test agrees with br_exclusion_at everywhere. */
static void test_correction_weekly(void **state)
{
	struct br_correction c;
	long long s, e, t;
	char a[32];

	(void)state;
	correction_of("apiVersion: burnrate.dev/v1alpha1\nkind: BudgetCorrection\n"
		      "metadata: {name: w, namespace: shop}\nspec:\n  selector: {}\n"
		      "  reason: reindex\n  windows:\n"
		      "  - {schedule: \"0 23 * * SAT,SUN\", duration: 3h, utcOffset: \"+01:00\"}\n", &c);
	assert_int_equal(c.span_count, 2);
	assert_string_equal(c.summary, "weekly Sun,Sat 23:00 +01:00 for 3h");
	/* Saturday 2026-12-05 23:00 at +01:00 is 22:00 UTC */
	assert_int_equal(br_time_parse("2026-12-05T21:59:59Z", &t), 0);
	int in = br_exclusion_at(&c.spans[1], t, &s, &e);
	assert_int_equal(in, 0);
	assert_string_equal(br_time_format(s, a, sizeof(a)), "2026-12-05T22:00:00Z");
	assert_string_equal(br_time_format(e, a, sizeof(a)), "2026-12-06T01:00:00Z");
	assert_int_equal(br_exclusion_at(&c.spans[1], t + 2, &s, &e), 1);
	assert_int_equal(br_exclusion_at(&c.spans[1], e, &s, &e), 0);
	for (size_t i = 0; i < c.span_count; i++)
		for (t = 1796000000; t < 1796000000 + 2 * 604800; t += 61) {
			int at = br_exclusion_at(&c.spans[i], t, &s, &e) == 1;
			assert_int_equal(at, (t + br_exclusion_shift(&c.spans[i])) %
					 c.spans[i].period < c.spans[i].duration);
		}
	br_correction_release(&c);
}

/* Selectors, and a window longer than the SLO's own refused when applied. */
static void test_correction_apply(void **state)
{
	struct br_correction c;
	struct br_slo slo;
	struct br_error err;
	json_t *labels = json_pack("{s:s, s:s}", "team", "shop", "tier", "gold");

	(void)state;
	correction_of("apiVersion: burnrate.dev/v1alpha1\nkind: BudgetCorrection\n"
		      "metadata: {name: m, namespace: shop}\nspec:\n  selector:\n"
		      "    matchLabels: {team: shop}\n    matchExpressions:\n"
		      "    - {key: tier, operator: NotIn, values: [bronze]}\n"
		      "    - {key: canary, operator: DoesNotExist}\n  reason: r\n  windows:\n"
		      "  - {start: \"2026-11-01T00:00:00Z\", end: \"2026-11-10T00:00:00Z\"}\n", &c);
	assert_true(br_correction_matches(&c, labels));
	json_object_set_new(labels, "canary", json_string("yes"));
	assert_false(br_correction_matches(&c, labels));
	json_object_del(labels, "canary");
	json_object_set_new(labels, "tier", json_string("bronze"));
	assert_false(br_correction_matches(&c, labels));
	assert_false(br_correction_matches(&c, NULL));
	br_slo_init(&slo);
	slo.name = "s";
	slo.namespace = "shop";
	slo.window_s = 7 * 86400;
	br_error_init(&err);
	assert_int_equal(br_slo_add_correction(&slo, &c, &err), BR_EINVAL);
	assert_non_null(strstr(err.text, "is longer than the window of SLO s (1w)"));
	assert_int_equal(slo.exclusion_count, 0);
	slo.window_s = 30 * 86400;
	assert_int_equal(br_slo_add_correction(&slo, &c, &err), 0);
	assert_int_equal(slo.exclusion_count, 1);
	assert_string_equal(slo.exclusions[0].correction, "m");
	free(slo.exclusions);
	br_correction_release(&c);
	json_decref(labels);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_table),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_correction_weekly),
		cmocka_unit_test(test_correction_apply),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_selector_valid),
		cmocka_unit_test(test_selector_render_extra),
		cmocka_unit_test(test_selector_invalid),
		cmocka_unit_test(test_promql_quote),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_default_windows),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_off_peak),
		cmocka_unit_test(test_confidence),
		cmocka_unit_test(test_override_windows),
		cmocka_unit_test(test_good_latency_raw),
		cmocka_unit_test(test_json_problems),
		cmocka_unit_test(test_data_valid),
		cmocka_unit_test(test_data_invalid),
		cmocka_unit_test(test_limits_table),
		cmocka_unit_test(test_limits_enforced),
		cmocka_unit_test(test_limits_huge),
		cmocka_unit_test(test_limits_crd),
		cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
