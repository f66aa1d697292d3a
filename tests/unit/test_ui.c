/* Tests for pkg/ui: the HTML escape, the burn-down SVG, the overview's
 * filter, order and pages, and that no hostile string survives rendering. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui/ui.h"

#define HOSTILE "<script>alert(1)</script>\"'&</svg>"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_escape(void **state)
{
	struct br_buf b;

	(void)state;
	br_buf_init(&b, 1024);
	assert_int_equal(br_ui_escape(HOSTILE, &b), 0);
	assert_string_equal(br_buf_str(&b), "&lt;script&gt;alert(1)&lt;/script&gt;"
			    "&quot;&#39;&amp;&lt;/svg&gt;");
	br_buf_reset(&b);
	assert_int_equal(br_ui_escape("a\x01\x1b" "b\tc\n", &b), 0);
	assert_string_equal(br_buf_str(&b), "ab\tc\n");
	assert_int_equal(br_ui_escape(NULL, &b), 0);
	assert_string_equal(br_buf_str(&b), "ab\tc\n");
	br_buf_release(&b);
	/* a buffer too small fails and stays failed */
	br_buf_init(&b, 8);
	assert_int_equal(br_ui_escape("<<<", &b), BR_ENOMEM);
	assert_null(b.data);
	br_buf_release(&b);
}

/* The last "x,y" of the path's d attribute. */
static void last_point(const char *svg, double *x, double *y)
{
	const char *d = strstr(svg, " d=\"");
	assert_non_null(d);
	const char *end = strchr(d + 4, '"');
	const char *p = end;
	while (p > d && p[-1] != 'M' && p[-1] != 'L')
		p--;
	assert_int_equal(sscanf(p, "%lf,%lf", x, y), 2);
}

static void test_svg_path(void **state)
{
	struct br_prom_point pts[10];
	struct br_buf b;
	size_t drawn = 0;
	double x, y;

	(void)state;
	for (int i = 0; i < 10; i++)
		pts[i] = (struct br_prom_point){100.0 * i, 1.0 - i / 12.0};
	pts[9].v = 0.25;
	br_buf_init(&b, 1 << 20);
	assert_int_equal(br_ui_svg_burndown(pts, 10, 0, 900, &drawn, &b), 0);
	assert_int_equal(drawn, 10);
	assert_int_equal(count(b.data, "<svg"), 1);
	assert_int_equal(count(b.data, "</svg>"), 1);
	assert_int_equal(count(b.data, "<path"), 1);
	assert_int_equal(count(b.data, "M"), 1);
	assert_int_equal(count(b.data, "L"), 9);
	last_point(b.data, &x, &y);
	/* the right edge, and 0.25 of the way up the [0, 1] range of 180 px */
	assert_true(fabs(x - 770.0) < 0.05);
	assert_true(fabs(y - (210.0 - 0.25 * 180.0)) < 0.05);
	assert_non_null(strstr(b.data, ">25.00% left<"));
	/* a gap (NaN) breaks the line into two */
	pts[4].v = NAN;
	br_buf_reset(&b);
	assert_int_equal(br_ui_svg_burndown(pts, 10, 0, 900, &drawn, &b), 0);
	assert_int_equal(drawn, 9);
	assert_int_equal(count(b.data, "M"), 2);
	/* nothing at all */
	br_buf_reset(&b);
	assert_int_equal(br_ui_svg_burndown(NULL, 0, 0, 900, &drawn, &b), 0);
	assert_int_equal(drawn, 0);
	assert_non_null(strstr(b.data, "no data"));
	br_buf_release(&b);
}

static void test_svg_thins_long_series(void **state)
{
	size_t n = 11000, drawn = 0;
	struct br_prom_point *pts = calloc(n, sizeof(*pts));
	struct br_buf b;
	double x, y;

	(void)state;
	assert_non_null(pts);
	for (size_t i = 0; i < n; i++)
		pts[i] = (struct br_prom_point){(double)i, -0.5 + (double)i / (double)n};
	pts[n - 1].v = -0.5;
	br_buf_init(&b, 1 << 20);
	assert_int_equal(br_ui_svg_burndown(pts, n, 0, (double)(n - 1), &drawn, &b), 0);
	assert_true(drawn <= 2 * BR_UI_MAX_POINTS + 1);
	assert_true(drawn >= BR_UI_MAX_POINTS);
	last_point(b.data, &x, &y);
	/* the last point is always drawn: -0.5 is the bottom of [-0.5, 1] */
	assert_true(fabs(x - 770.0) < 0.05);
	assert_true(fabs(y - 210.0) < 0.05);
	assert_non_null(strstr(b.data, ">-50.00% left<"));
	br_buf_release(&b);
	free(pts);
}

static void test_step(void **state)
{
	(void)state;
	assert_true(br_ui_step(30 * 86400.0) == 5184.0);
	assert_true(30 * 86400.0 / br_ui_step(30 * 86400.0) + 1 <= BR_UI_MAX_POINTS + 1);
	assert_true(br_ui_step(7 * 86400.0 + 1) * BR_UI_MAX_POINTS >= 7 * 86400.0 + 1);
	assert_true(br_ui_step(100) == 1.0);
	assert_true(br_ui_step(0) > 0);
}

static void test_svg_burnrate(void **state)
{
	size_t n = 1441, drawn = 0;
	struct br_prom_point *pts = calloc(n, sizeof(*pts));
	struct br_buf b;
	double ty = 0;

	(void)state;
	assert_non_null(pts);
	/* a day at 60 s: 1441 points, thinned to at most 2 * BR_UI_MAX_POINTS */
	for (size_t i = 0; i < n; i++)
		pts[i] = (struct br_prom_point){60.0 * (double)i, i == 700 ? 20.0 : 1.0};
	br_buf_init(&b, 1 << 20);
	assert_int_equal(br_ui_svg_burnrate(pts, n, 0, 86400, 10, &drawn, &ty, &b), 0);
	assert_int_equal(drawn, 721);   /* every 2nd point, with the last */
	assert_int_equal(count(b.data, "L"), 720);
	/* the highest value, 20, tops the 180 px plot; 10 is half way up */
	assert_true(fabs(ty - (210.0 - 180.0 * 10 / 20)) < 0.05);
	assert_non_null(strstr(b.data, "<line class=\"threshold\" x1=\"30\" x2=\"770\" "
			       "y1=\"120.0\" y2=\"120.0\""));
	assert_non_null(strstr(b.data, ">threshold 10x<"));
	/* below the threshold: the scale is the threshold's * 1.25 */
	br_buf_reset(&b);
	assert_int_equal(br_ui_svg_burnrate(pts, 10, 0, 600, 14.4, &drawn, &ty, &b), 0);
	assert_int_equal(drawn, 10);
	assert_true(fabs(ty - (210.0 - 180.0 / 1.25)) < 0.05);
	/* no data, no threshold */
	br_buf_reset(&b);
	assert_int_equal(br_ui_svg_burnrate(NULL, 0, 0, 600, 0, &drawn, NULL, &b), 0);
	assert_int_equal(drawn, 0);
	assert_non_null(strstr(b.data, "no data"));
	assert_null(strstr(b.data, "class=\"threshold\""));
	br_buf_release(&b);
	free(pts);
}

static void test_intervals(void **state)
{
	struct br_prom_point pts[] = {{60, 1}, {120, 1}, {180, 1}, {600, 1}, {900, 1},
		{960, NAN}, {1020, 1}};
	struct br_prom_series s = {NULL, 0, pts, 7};
	struct br_ui_interval iv[2];

	(void)state;
	/* at 60 s: 60-180, 600, 900, 1020 (a NaN is a missing point); only
	 * the first 2 written, all 4 counted */
	assert_int_equal(br_ui_intervals(&s, 60, iv, 2), 4);
	assert_true(iv[0].start == 60 && iv[0].end == 180);
	assert_true(iv[1].start == 600 && iv[1].end == 600);
	/* at 100 s, 120 s apart is under 1.5 steps: 900-1020 joined */
	assert_int_equal(br_ui_intervals(&s, 100, iv, 2), 3);
	assert_true(iv[0].start == 60 && iv[0].end == 180);
	assert_int_equal(br_ui_intervals(&s, 300, iv, 2), 1);
	assert_true(iv[0].start == 60 && iv[0].end == 1020);
	assert_int_equal(br_ui_intervals(NULL, 60, iv, 2), 0);
}

static void test_cache(void **state)
{
	struct br_ui_cache *c = NULL;
	struct br_ui_answer *a, *got;
	char key[16];

	(void)state;
	assert_int_equal(br_ui_cache_create(3, 10, &c), 0);
	a = br_ui_answer_new();
	assert_non_null(a);
	assert_null(br_ui_cache_get(c, "q", 100));   /* a miss */
	br_ui_cache_add(c, "q", 100, a);
	/* a hit, held: the same answer while under 10 s old */
	got = br_ui_cache_get(c, "q", 109.5);
	assert_ptr_equal(got, a);
	br_ui_answer_drop(got);
	assert_null(br_ui_cache_get(c, "other", 101));
	/* expired: gone, but a holder (here the test) still has it */
	assert_null(br_ui_cache_get(c, "q", 110));
	assert_int_equal(br_ui_cache_count(c), 0);
	assert_int_equal(a->refs, 1);
	br_ui_answer_drop(a);
	/* bounded: the fourth answer evicts the oldest */
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "q%d", i);
		a = br_ui_answer_new();
		assert_non_null(a);
		br_ui_cache_add(c, key, 200 + i, a);
		br_ui_answer_drop(a);
		assert_int_equal(br_ui_cache_count(c), i < 3 ? (size_t)i + 1 : 3);
	}
	assert_null(br_ui_cache_get(c, "q0", 204));
	got = br_ui_cache_get(c, "q3", 204);
	assert_non_null(got);
	/* an evicted answer lives while held; the same key replaces */
	a = br_ui_answer_new();
	br_ui_cache_add(c, "q3", 205, a);
	br_ui_answer_drop(a);
	assert_int_equal(br_ui_cache_count(c), 3);
	assert_int_equal(got->refs, 1);
	br_ui_answer_drop(got);
	got = br_ui_cache_get(c, "q3", 205);
	assert_ptr_equal(got, a);
	br_ui_answer_drop(got);
	br_ui_cache_free(c);
	br_ui_cache_free(NULL);
}

static json_t *slo(const char *ns, const char *name, double left, const char *desc)
{
	json_t *o = json_pack("{s:{s:s, s:s, s:{s:s}}, s:{s:s, s:f, s:s, s:s}}",
		"metadata", "namespace", ns, "name", name, "labels", "team", desc,
		"spec", "service", desc, "objective", 99.5, "window", "30d",
		"description", desc);
	assert_non_null(o);
	if (!isnan(left))
		json_object_set_new(o, "status", json_pack(
			"{s:{s:f, s:i}, s:[{s:s, s:s, s:s}], s:[{s:s, s:f, s:s, s:s}]}",
			"budget", "remaining", left / 100, "remainingEvents", 42,
			"conditions", "type", "Ready", "status", "True", "message", desc,
			"alerts", "severity", "page", "burnRate", 14.4, "longWindow", "1h",
			"shortWindow", desc));
	return o;
}

/* An index of n SLOs: slo-000... in namespaces odd and even, the budget
 * left (i * 37) % 101 percent, slo-007 without a status. */
static struct br_ui_index *list_of(size_t n)
{
	struct br_ui_index *x = NULL;
	char name[32];

	assert_int_equal(br_ui_index_create(&x), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "slo-%03zu", i);
		json_t *o = slo(i % 2 ? "odd" : "even", name,
				i == 7 ? NAN : (double)((i * 37) % 101), HOSTILE);
		assert_int_equal(br_ui_index_put(x, o), 0);
		json_decref(o);
	}
	assert_int_equal(br_ui_index_size(x), n);
	return x;
}

static void test_overview_pages_and_order(void **state)
{
	struct br_ui_index *list = list_of(120);
	struct br_ui_filter f = {NULL, NULL, 1};
	struct br_buf b;

	(void)state;
	br_buf_init(&b, 16 << 20);
	assert_int_equal(br_ui_render_overview(list, &f, NULL, NULL, &b), 0);
	assert_int_equal(count(b.data, "<tr><td>"), BR_UI_PAGE_SIZE);
	assert_non_null(strstr(b.data, "120 SLOs; page 1 of 3"));
	assert_non_null(strstr(b.data, "rel=\"next\" href=\"/?page=2\""));
	/* least budget first: slo-000 (0%) leads */
	assert_true(strstr(b.data, "slo-000") < strstr(b.data, "<tr><td>odd"));
	assert_null(strstr(b.data, "slo-007"));   /* no budget: last page */
	f.page = 99;   /* past the end: the last page */
	br_buf_reset(&b);
	assert_int_equal(br_ui_render_overview(list, &f, NULL, NULL, &b), 0);
	assert_int_equal(count(b.data, "<tr><td>"), 20);
	assert_non_null(strstr(b.data, "slo-007"));
	assert_non_null(strstr(b.data, "rel=\"prev\""));
	/* filters, kept in the page links */
	struct br_ui_filter g = {"odd", "SLO-01", 1};
	br_buf_reset(&b);
	assert_int_equal(br_ui_render_overview(list, &g, NULL, NULL, &b), 0);
	assert_int_equal(count(b.data, "<tr><td>odd"), 5);
	assert_int_equal(count(b.data, "<tr><td>even"), 0);
	assert_non_null(strstr(b.data, "5 SLOs; page 1 of 1"));
	br_buf_release(&b);
	br_ui_index_free(list);
}

/* The overview's row of SLO name: from its <tr> to its </tr>, in row. */
static void row_of(const char *html, const char *name, char *row, size_t size)
{
	char href[64];

	snprintf(href, sizeof(href), "/%s\">", name);
	const char *p = strstr(html, href);
	assert_non_null(p);
	const char *end = strstr(p, "</tr>");
	assert_non_null(end);
	snprintf(row, size, "%.*s", (int)(end - p), p);
}

static void test_overview_live(void **state)
{
	struct br_ui_index *list = list_of(120);
	struct br_ui_filter f = {NULL, NULL, 1};
	struct br_prom_label l[][3] = {
		{{"slo", "slo-000"}, {"slo_namespace", "even"}, {"burnrate_severity", "ticket"}},
		{{"slo", "slo-000"}, {"slo_namespace", "even"}, {"burnrate_severity", "page"}},
		{{"slo", "slo-001"}, {"slo_namespace", "odd"}, {"burnrate_severity", "ticket"}},
		{{"slo", "slo-001"}, {"slo_namespace", "even"}, {"burnrate_severity", "page"}},
	};
	/* error ratios: slo-001's over its fastest page row (1h) and over 5m,
	 * which is not that row's; slo-000's NaN */
	struct br_prom_label r[][3] = {
		{{"__name__", "burnrate:sli_error_ratio:rate5m"}, {"slo", "slo-001"},
		 {"slo_namespace", "odd"}},
		{{"__name__", "burnrate:sli_error_ratio:rate1h"}, {"slo", "slo-001"},
		 {"slo_namespace", "odd"}},
		{{"__name__", "burnrate:sli_error_ratio:rate1h"}, {"slo", "slo-000"},
		 {"slo_namespace", "even"}},
	};
	struct br_prom_sample fs[4], rs[3];
	for (size_t i = 0; i < 4; i++)
		fs[i] = (struct br_prom_sample){l[i], 3, 0, "1", 1};
	rs[0] = (struct br_prom_sample){r[0], 3, 0, "0.5", 0.5};
	rs[1] = (struct br_prom_sample){r[1], 3, 0, "0.0175", 0.0175};
	rs[2] = (struct br_prom_sample){r[2], 3, 0, "NaN", NAN};
	/* slo-002's budget over its 30d window, and a point before it */
	struct br_prom_label bl[] = {{"slo", "slo-002"}, {"slo_namespace", "even"}};
	struct br_prom_point bp[] = {{-86400, 0.2}, {0, 1}, {15 * 86400, 0.5}, {30 * 86400, 0.25}};
	struct br_prom_series bs = {bl, 2, bp, 4};
	struct br_prom_matrix budgets = {&bs, 1};
	struct br_prom_vector firing = {fs, 4}, ratios = {rs, 3};
	struct br_ui_live live = {&firing, &ratios, &budgets, 30 * 86400};
	struct br_buf b;
	char row[4096];

	(void)state;
	br_buf_init(&b, 16 << 20);
	f.q = "slo-00";   /* slo-000 to slo-009, one page */
	assert_int_equal(br_ui_render_overview(list, &f, &live, NULL, &b), 0);
	/* page beats ticket; a sample of another namespace is not this SLO's */
	row_of(b.data, "slo-000", row, sizeof(row));
	assert_non_null(strstr(row, "<td class=\"fire\">firing: page</td>"
			       "<td class=\"muted\">-</td>"));
	row_of(b.data, "slo-001", row, sizeof(row));
	assert_non_null(strstr(row, "<td class=\"fire\">firing: ticket</td>"
			       "<td>3.50x <span class=\"muted\">1h</span></td>"));
	assert_non_null(strstr(row, "<span class=\"muted\">no data</span>"));
	row_of(b.data, "slo-002", row, sizeof(row));
	assert_non_null(strstr(row, "<td>ok</td><td class=\"muted\">-</td>"));
	/* the sparkline: the window's three points, 1 at the top left, 0.25
	 * at the bottom right */
	assert_non_null(strstr(row, "class=\"spark\""));
	assert_non_null(strstr(row, " d=\"M0.0,1.0 L50.0,12.0 L100.0,17.5\""));
	/* nothing from Prometheus: "-" */
	br_buf_reset(&b);
	assert_int_equal(br_ui_render_overview(list, &f, NULL, "down", &b), 0);
	assert_null(strstr(b.data, "<td>ok</td>"));
	assert_non_null(strstr(b.data, "role=\"alert\">down</div>"));
	br_buf_release(&b);
	br_ui_index_free(list);
}

static void assert_only_escaped(const char *html)
{
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "alert(1)</"));
	assert_null(strstr(html, "\"'&<"));
	assert_int_equal(count(html, "</svg>"), count(html, "<svg"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;/svg&gt;"));
}

static void test_hostile_strings(void **state)
{
	struct br_ui_index *list = list_of(3);
	json_t *one = slo("ns", "x", 12.5, HOSTILE);
	struct br_ui_filter f = {NULL, HOSTILE, 1};
	struct br_prom_point pts[2] = {{0, 1}, {10, 0.125}};
	struct br_prom_series s = {NULL, 0, pts, 2};
	struct br_buf b;

	(void)state;
	br_buf_init(&b, 16 << 20);
	assert_int_equal(br_ui_render_overview(list, &f, NULL, HOSTILE, &b), 0);
	assert_only_escaped(b.data);
	br_buf_reset(&b);
	struct br_prom_label page = {"burnrate_severity", "page"};
	struct br_prom_point fired[] = {{0, 1}, {3600, 1}};
	struct br_prom_series fs = {&page, 1, fired, 2};
	struct br_prom_matrix firing = {&fs, 1};
	struct br_ui_slo_data d = {&s, 0, 10, "7d", 0, 7200, {&s}, 1, &firing, 3600};
	assert_int_equal(br_ui_render_slo(one, &d, HOSTILE, &b), 0);
	assert_only_escaped(b.data);
	/* the burn-down, row 0's burn rate, the timeline */
	assert_int_equal(count(b.data, "<svg"), 3);
	assert_int_equal(count(b.data, "<rect class=\"fired-page\" x=\"30.0\" y=\"6\" "
			       "width=\"370.0\""), 1);
	assert_non_null(strstr(b.data, "<li>page: 1970-01-01 00:00 to 1970-01-01 01:00 (UTC)</li>"));
	assert_non_null(strstr(b.data, "<li>ticket: did not fire</li>"));
	assert_non_null(strstr(b.data, "<strong>7d</strong> <a href=\"/slo/ns/x?range=window\">"));
	assert_non_null(strstr(b.data, ">threshold 14.4x<"));
	assert_non_null(strstr(b.data, "<td>page</td><td>14.4</td><td>1h</td>"));
	assert_non_null(strstr(b.data, "<td>Ready</td><td>True</td>"));
	assert_non_null(strstr(b.data, ">12.50% left<"));
	/* 1h x 14.4 x 0.5%: a total outage fires it after 259 s */
	assert_non_null(strstr(b.data, "<td>4 min</td><td>-</td></tr>"));
	assert_non_null(strstr(b.data, "<tr><th>PrometheusRule</th><td>-</td></tr>"));
	/* a runbook that is not http(s) is text, not a link */
	json_object_set_new(json_object_get(one, "spec"), "alerting", json_pack(
		"{s:{s:s}}", "annotations", "runbook_url", "javascript:void(0)"));
	json_object_set_new(json_object_get(one, "status"), "prometheusRule", json_pack(
		"{s:s, s:i, s:i}", "name", "x", "recordingRules", 12, "alertingRules", 2));
	json_object_set_new(json_object_get(one, "status"), "routing", json_pack(
		"{s:[s, s], s:s}", "receivers", "a", HOSTILE, "secret", "mon/am"));
	br_buf_reset(&b);
	assert_int_equal(br_ui_render_slo(one, &d, NULL, &b), 0);
	assert_only_escaped(b.data);
	assert_non_null(strstr(b.data, "<tr><th>runbook</th><td>javascript:void(0)</td></tr>"));
	assert_non_null(strstr(b.data, "<td>ns/x (12 recording rules, 2 alerting rules)</td>"));
	assert_non_null(strstr(b.data, "<tr><th>routes in Secret</th><td>mon/am</td></tr>"));
	json_object_set_new(json_object_get(json_object_get(one, "spec"), "alerting"), "annotations",
			    json_pack("{s:s}", "runbook_url", "https://r.example/" HOSTILE));
	br_buf_reset(&b);
	assert_int_equal(br_ui_render_slo(one, &d, NULL, &b), 0);
	assert_only_escaped(b.data);
	assert_non_null(strstr(b.data, "<a rel=\"noreferrer\" href=\"https://r.example/&lt;script"));
	/* remainingPercent, as the controller writes it, wins for display */
	json_object_set_new(json_object_get(json_object_get(one, "status"), "budget"),
			    "remainingPercent", json_string("12.5%" HOSTILE));
	br_buf_reset(&b);
	assert_int_equal(br_ui_index_put(list, one), 0);
	assert_int_equal(br_ui_render_overview(list, &f, NULL, NULL, &b), 0);
	assert_only_escaped(b.data);
	assert_non_null(strstr(b.data, "width:12.5%\"></span></span>12.5%&lt;script"));
	br_buf_release(&b);
	json_decref(one);
	br_ui_index_free(list);
}

/* The index keeps one entry a namespace/name, replaced by a put and
 * dropped by a delete, and shows each SLO's fastest page row. */
static void test_index(void **state)
{
	struct br_ui_index *x = NULL;
	struct br_ui_filter f = {NULL, NULL, 1};
	struct br_buf b;
	json_t *a = slo("ns", "a", 80, "svc"), *bad = json_pack("{s:{}}", "metadata");
	char row[4096];

	(void)state;
	assert_int_equal(br_ui_index_create(&x), 0);
	assert_int_equal(br_ui_index_put(x, bad), BR_EINVAL);
	assert_int_equal(br_ui_index_put(x, a), 0);
	/* a ticket row and a slower page row: the fastest page row is 1h */
	json_t *alerts = json_object_get(json_object_get(a, "status"), "alerts");
	json_array_append_new(alerts, json_pack("{s:s, s:s}", "severity", "ticket",
						"longWindow", "30m"));
	json_array_append_new(alerts, json_pack("{s:s, s:s}", "severity", "page",
						"longWindow", "6h"));
	json_object_set_new(json_object_get(json_object_get(a, "status"), "budget"),
			    "remaining", json_real(0.25));
	assert_int_equal(br_ui_index_put(x, a), 0);
	assert_int_equal(br_ui_index_size(x), 1);
	br_buf_init(&b, 1 << 20);
	assert_int_equal(br_ui_render_overview(x, &f, NULL, NULL, &b), 0);
	row_of(b.data, "a", row, sizeof(row));
	assert_non_null(strstr(row, "width:25.0%\"></span></span>25.0% "
			       "<span class=\"muted\">(42 events)</span>"));
	assert_non_null(strstr(row, "<td>99.5% / 30d</td>"));
	assert_non_null(strstr(row, "<td>True</td>"));
	br_ui_index_delete(x, a);
	br_ui_index_delete(x, a);
	assert_int_equal(br_ui_index_size(x), 0);
	br_buf_reset(&b);
	assert_int_equal(br_ui_render_overview(x, &f, NULL, NULL, &b), 0);
	assert_non_null(strstr(b.data, "0 SLOs; page 1 of 1"));
	br_buf_release(&b);
	json_decref(a);
	json_decref(bad);
	br_ui_index_free(x);
	br_ui_index_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_svg_path),
		cmocka_unit_test(test_svg_thins_long_series),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_svg_burnrate),
		cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_overview_live),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_overview_pages_and_order),
		cmocka_unit_test(test_hostile_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
