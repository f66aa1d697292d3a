/* test_backtest: the backtest evaluator without a server: times of the
 * command line, the grid planned from an alert table, range answers copied
 * onto it, and the alert logic on histories made by hand (every window given
 * the same rate, so each expected number is worked out in the comments), down
 * to the failure of every allocation. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"

#include "backtest/backtest.h"

/* 2026-01-01T00:00:00Z, a UTC midnight */
#define T0 1767225600.0
#define MIN 60.0
#define HOUR 3600.0

static void load_slo(struct br_slo *slo, double objective, const char *extra)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"burnrate.dev/v1alpha1\",\"kind\":\"ServiceLevelObjective\","
		 "\"metadata\":{\"name\":\"checkout\",\"namespace\":\"shop\"},"
		 "\"spec\":{\"service\":\"checkout\",\"objective\":%g,\"window\":\"30d\","
		 "\"indicator\":{\"ratio\":{\"errors\":\"e\",\"total\":\"t\"}}%s}}",
		 objective, extra);
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	br_slo_init(slo);
	assert_int_equal(br_slo_parse(doc, NULL, NULL, slo, NULL), 0);
	json_decref(doc);
}

/* Sets every raw window (and the 5m one) to rate events/s and ratio errors at
 * the points [a, b). A step function, as if every window saw the same
 * traffic: enough to test the logic, not the rates. */
static void set_all(struct br_backtest_history *h, size_t a, size_t b, double rate, double ratio)
{
	for (size_t w = 0; w < h->nwindows; w++) {
		if (h->windows[w].derived)
			continue;
		for (size_t i = a; i < b && i < h->count; i++) {
			h->windows[w].requests[i] = rate;
			h->windows[w].errors[i] = rate * ratio;
		}
	}
}

/* A history of slo over [T0, T0 + hours] every minute. */
static void plan(struct br_backtest_history *h, const struct br_slo *slo, double hours)
{
	br_backtest_history_init(h);
	assert_int_equal(br_backtest_history_plan(h, slo, T0, T0 + hours * HOUR, MIN, NULL), 0);
}

static size_t at(const struct br_backtest_history *h, double t)
{
	return (size_t)llround((t - h->start) / h->step);
}

/* ---- times ---- */

static void test_times(void **state)
{
	struct br_error err;
	double t = 0;
	char out[32];

	assert_int_equal(br_backtest_parse_time("now", T0, "--to", &t, NULL), 0);
	assert_true(t == T0);
	assert_int_equal(br_backtest_parse_time("-30d", T0, "--from", &t, NULL), 0);
	assert_true(t == T0 - 30 * 86400);
	assert_int_equal(br_backtest_parse_time("-1h30m", T0, "--from", &t, NULL), 0);
	assert_true(t == T0 - 5400);
	assert_int_equal(br_backtest_parse_time("2026-01-01T00:00:00Z", 0, "--from", &t, NULL), 0);
	assert_true(t == T0);
	assert_int_equal(br_backtest_parse_time("2026-01-01T02:00:00.5+02:00", 0, "--from", &t, NULL), 0);
	assert_true(t == T0 + 0.5);
	assert_int_equal(br_backtest_parse_time("2024-02-29T00:00:00-01:30", 0, "--from", &t, NULL), 0);
	assert_true(t == 1709164800.0 + 5400);
	assert_int_equal(br_backtest_parse_time("1767225600", 0, "--from", &t, NULL), 0);
	assert_true(t == T0);
	const char *bad[] = { "", "yesterday", "-", "-3x", "2026-02-30T00:00:00Z",
			      "2026-01-01T24:00:00Z", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
			      "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+2:00", "12345678901234",
			      "1e9", "+30d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		br_error_init(&err);
		assert_int_equal(br_backtest_parse_time(bad[i], T0, "--from", &t, &err), BR_EINVAL);
		assert_string_equal(err.field, "--from");
		assert_non_null(strstr(err.text, *bad[i] ? "is not a time" : "required"));
	}
	assert_string_equal(br_backtest_format_time(T0 + 59.9, out, sizeof(out)), "2026-01-01T00:00:59Z");
}

/* ---- plan and fill ---- */

static void test_plan(void **state)
{
	struct br_backtest_history h;
	struct br_slo slo;
	struct br_error err;
	const long long want[] = { 300, 1800, 3600, 7200, 21600, 86400, 259200, 2592000 };

	load_slo(&slo, 99.9, "");
	plan(&h, &slo, 24);
	/* lookback: the SLO window, 30d, the longest; then a day and one point */
	assert_true(h.start == T0 - 30 * 86400);
	assert_int_equal(h.count, 30 * 1440 + 1440 + 1);
	assert_int_equal(h.nwindows, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(h.windows[i].window_s, want[i]);
		assert_int_equal(h.windows[i].derived, want[i] > 21600);
		assert_true(isnan(h.windows[i].requests[h.count - 1]));
	}
	/* the 5m window from the lookback, the others from --from */
	assert_int_equal(br_backtest_first_point(&h, &h.windows[0], T0), 0);
	assert_int_equal(br_backtest_first_point(&h, &h.windows[1], T0), 30 * 1440);
	br_backtest_history_release(&h);

	br_error_init(&err);
	assert_int_equal(br_backtest_history_plan(&h, &slo, T0, T0 - 1, MIN, &err), BR_EINVAL);
	assert_non_null(strstr(err.text, "before its start"));
	assert_null(h.windows);
	br_error_init(&err);
	assert_int_equal(br_backtest_history_plan(&h, &slo, T0, T0 + 1, 0, &err), BR_EINVAL);
	assert_non_null(strstr(err.text, "step"));
	br_error_init(&err);
	assert_int_equal(br_backtest_history_plan(&h, &slo, T0, T0 + 365 * 86400.0, 0.1, &err), BR_EINVAL);
	assert_non_null(strstr(err.text, "100 million"));
	br_slo_release(&slo);
}

static void test_fill(void **state)
{
	struct br_backtest_history h;
	struct br_slo slo;
	struct br_error err;
	struct br_prom_matrix m;
	double *v;
	const char good[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			    "[{\"metric\":{},\"values\":[[1767225600,\"1.5\"],[1767225660.0004,\"NaN\"]]}]}}";
	const char offgrid[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			       "[{\"metric\":{},\"values\":[[1767225630,\"1\"]]}]}}";
	const char outside[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			       "[{\"metric\":{},\"values\":[[1867225600,\"1\"]]}]}}";
	const char two[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			   "[{\"metric\":{\"a\":\"1\"},\"values\":[]},{\"metric\":{\"a\":\"2\"},\"values\":[]}]}}";

	load_slo(&slo, 99.9, "");
	plan(&h, &slo, 1);
	v = h.windows[1].requests;
	assert_int_equal(br_prom_parse_matrix(good, strlen(good), 200, &m, NULL), 0);
	assert_int_equal(br_backtest_history_fill(&h, &m, "the events over 30m", v, NULL), 0);
	br_prom_matrix_release(&m);
	assert_true(v[at(&h, T0)] == 1.5);
	assert_true(isnan(v[at(&h, T0 + MIN)]));
	const char *bad[] = { offgrid, outside, two };
	const char *why[] = { "not a time it was asked for", "not a time it was asked for", "2 series" };
	for (size_t i = 0; i < 3; i++) {
		br_error_init(&err);
		assert_int_equal(br_prom_parse_matrix(bad[i], strlen(bad[i]), 200, &m, NULL), 0);
		assert_int_equal(br_backtest_history_fill(&h, &m, "the events over 30m", v, &err), BR_EPARSE);
		br_prom_matrix_release(&m);
		assert_non_null(strstr(err.text, why[i]));
		assert_non_null(strstr(err.text, "the events over 30m"));
	}
	br_backtest_history_release(&h);
	br_slo_release(&slo);
}

/* ---- the alert logic ---- */

/* A full outage (every window at 100% errors) from 10:00 to 10:30 of a day
 * at 10 events/s, 99.9%: the page fires at 10:00 through the 1h/5m row
 * (row 0) at 1 / 0.001 = 1000x and ends at 10:30. The budget at the end of
 * the day averages the 5m window over 30d (43,201 points, both ends), 30 of
 * them at 100% errors: 1 - (30 / 43201) / 0.001. */
static void test_outage(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;

	load_slo(&slo, 99.9, "");
	plan(&h, &slo, 24);
	set_all(&h, 0, h.count, 10, 0);
	set_all(&h, at(&h, T0 + 10 * HOUR), at(&h, T0 + 10.5 * HOUR), 10, 1);
	assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
	assert_true(r.from == T0 && r.to == T0 + 24 * HOUR && r.step == MIN);
	assert_int_equal(r.pages, 1);
	assert_int_equal(r.count, r.pages + r.tickets);
	assert_int_equal(r.alerts[0].severity, BR_SEVERITY_PAGE);
	assert_int_equal(r.alerts[0].row, 0);
	assert_true(r.alerts[0].start == T0 + 10 * HOUR);
	assert_true(r.alerts[0].end == T0 + 10.5 * HOUR);
	assert_false(r.alerts[0].open);
	assert_true(fabs(r.alerts[0].burn_rate - 1000) < 1e-6);
	assert_true(r.have_budget);
	double ratio = 30.0 / 43201;
	assert_true(fabs(r.budget_end - (1 - ratio / 0.001)) < 1e-9);
	assert_true(r.budget_low <= r.budget_end);
	assert_int_equal(r.npoints, 1441);
	br_backtest_result_release(&r);
	br_backtest_history_release(&h);
	br_slo_release(&slo);
}

/* Zero traffic: no alert, a full budget (1, not NaN); no data at all: no
 * alert and no budget. */
static void test_zero_and_nodata(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;

	load_slo(&slo, 99.9, "");
	plan(&h, &slo, 6);
	set_all(&h, 0, h.count, 0, 0);
	assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
	assert_int_equal(r.count, 0);
	assert_true(r.have_budget && r.budget_end == 1 && r.budget_low == 1);
	br_backtest_result_release(&r);
	br_backtest_history_release(&h);

	plan(&h, &slo, 6);
	assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
	assert_int_equal(r.count, 0);
	assert_false(r.have_budget);
	assert_true(isnan(r.budget[0]));
	br_backtest_result_release(&r);
	br_backtest_history_release(&h);
	br_slo_release(&slo);
}

/* minEvents 50 at 18 events an hour (0.005/s), 99%, everything failing from
 * 06:00 to the end: the 1h/5m row sees 18 events and never fires; the 6h/30m
 * row sees 108 and pages (row 1, at 1 / 0.01 = 100x). The alert is still
 * firing at the end: open, ending at the range's end. */
static void test_min_events(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;

	load_slo(&slo, 99, ",\"traffic\":{\"minEvents\":50}");
	plan(&h, &slo, 12);
	set_all(&h, 0, h.count, 0.005, 0);
	set_all(&h, at(&h, T0 + 6 * HOUR), h.count, 0.005, 1);
	assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
	assert_int_equal(r.pages, 1);
	assert_int_equal(r.alerts[0].row, 1);
	assert_true(r.alerts[0].open && r.alerts[0].end == T0 + 12 * HOUR);
	assert_true(fabs(r.alerts[0].burn_rate - 100) < 1e-6);
	br_backtest_result_release(&r);
	br_backtest_history_release(&h);
	br_slo_release(&slo);
}

/* confidence 95 at 0.005/s, 99%, 5 errors of the 1h's 18 events (27.8%,
 * 27.8x, above 14.4x): the Wilson lower bound at z 1.645 is (5 + 1.353 -
 * 1.645 * sqrt(3.611 + 0.676)) / 20.706 = 14.2%, 14.2x, below 14.4x: no
 * page. Without confidence the same history pages. The 6h window is kept
 * healthy, so that only the 1h/5m row is in play. */
static void test_confidence(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;
	const char *extra[] = { ",\"traffic\":{\"confidence\":95}", "" };
	size_t pages[] = { 0, 1 };

	for (int k = 0; k < 2; k++) {
		load_slo(&slo, 99, extra[k]);
		plan(&h, &slo, 3);
		set_all(&h, 0, h.count, 0.005, 0);
		set_all(&h, at(&h, T0 + HOUR), at(&h, T0 + 1.5 * HOUR), 0.005, 5.0 / 18);
		for (size_t i = 0; i < h.count; i++) /* 6h healthy: only 1h/5m may fire */
			h.windows[4].errors[i] = 0;
		assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
		assert_int_equal(r.pages, pages[k]);
		br_backtest_result_release(&r);
		br_backtest_history_release(&h);
		br_slo_release(&slo);
	}
}

/* Off-peak 22:00-06:00 at +02:00 mutes the 1h/5m row from 20:00 to 04:00
 * UTC. 1.5% errors (15x) for 20 minutes, with the 6h window kept healthy so
 * that only the 1h/5m row (14.4x) can fire: at 02:00 UTC (04:00 local) it is
 * muted, at 12:00 UTC it pages, at row 0. */
static void test_off_peak(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;

	load_slo(&slo, 99.9, ",\"alerting\":{\"offPeak\":{\"from\":\"22:00\",\"to\":\"06:00\","
		  "\"utcOffset\":\"+02:00\"}}");
	plan(&h, &slo, 24);
	set_all(&h, 0, h.count, 10, 0);
	set_all(&h, at(&h, T0 + 2 * HOUR), at(&h, T0 + 2 * HOUR + 20 * MIN), 10, 0.015);
	set_all(&h, at(&h, T0 + 12 * HOUR), at(&h, T0 + 12 * HOUR + 20 * MIN), 10, 0.015);
	/* the 6h window (index 4) stays healthy: only the 1h/5m row may fire */
	for (size_t i = 0; i < h.count; i++)
		h.windows[4].errors[i] = 0;
	assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
	assert_int_equal(r.pages, 1);
	assert_int_equal(r.alerts[0].row, 0);
	assert_true(r.alerts[0].start == T0 + 12 * HOUR);
	br_backtest_result_release(&r);
	br_backtest_history_release(&h);
	br_slo_release(&slo);
}

/* The derived windows are the mean of the 5m window over [t - W, t]: a 5m
 * series at 4% errors for the last 6 hours before --from and 0 before gives
 * the 1d window 361/1441 * 4% at --from (both ends included), 10.02x of a
 * 99.9% budget, so with the 2h window at 4% (40x) the 1d/2h ticket row (3x)
 * fires at --from (and the page too: every raw window is at 40x). */
static void test_derived(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;
	size_t from;

	load_slo(&slo, 99.9, "");
	plan(&h, &slo, 1);
	from = at(&h, T0);
	set_all(&h, 0, h.count, 1, 0.04);
	for (size_t i = 0; i < h.count; i++) /* the 5m window: 0 until 6h before */
		h.windows[0].errors[i] = i + 360 >= from ? 0.04 : 0;
	assert_int_equal(br_backtest_run(&slo, &h, T0, &r, NULL), 0);
	assert_true(fabs(h.windows[5].errors[from] - 0.04 * 361 / 1441) < 1e-12);
	assert_true(h.windows[5].requests[from] == 1);
	assert_true(r.tickets == 1 && r.pages == 1 && r.count == 2);
	assert_int_equal(r.alerts[1].severity, BR_SEVERITY_TICKET);
	assert_int_equal(r.alerts[1].row, 2);
	assert_true(r.alerts[1].start == T0);
	br_backtest_result_release(&r);
	br_backtest_history_release(&h);
	br_slo_release(&slo);
}

/* Every allocation of plan and run fails in turn: each failure is
 * BR_ENOMEM with everything released (the sanitizer's leak check), and the
 * run succeeds once no allocation fails. */
static void test_failalloc(void **state)
{
	struct br_backtest_history h;
	struct br_backtest_result r;
	struct br_slo slo;
	int rc = -1;

	load_slo(&slo, 99.9, "");
	for (long n = 0; rc != 0; n++) {
		br_backtest_history_init(&h);
		failing_after = n;
		rc = br_backtest_history_plan(&h, &slo, T0, T0 + HOUR, MIN, NULL);
		if (rc == 0) {
			set_all(&h, 0, h.count, 1, 0);
			rc = br_backtest_run(&slo, &h, T0, &r, NULL);
			failing_after = -1;
			if (rc == 0)
				br_backtest_result_release(&r);
			else
				assert_null(r.alerts);
		}
		failing_after = -1;
		assert_true(rc == 0 || rc == BR_ENOMEM);
		br_backtest_history_release(&h);
	}
	br_slo_release(&slo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_outage),
		cmocka_unit_test(test_zero_and_nodata),
		cmocka_unit_test(test_min_events),
		cmocka_unit_test(test_confidence),
		cmocka_unit_test(test_off_peak),
		cmocka_unit_test(test_derived),
		cmocka_unit_test(test_failalloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
