/* test_rules: the rule design of DESIGN.md section 3, checked on SLOs built
 * by hand: group layout, exact expressions, escaping, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/rules.h"

static const struct br_alert_window workbook[4] = {
	{BR_SEVERITY_PAGE, 3600, 300, 14.4, 2, 0},
	{BR_SEVERITY_PAGE, 6 * 3600, 1800, 6, 5, 0},
	{BR_SEVERITY_TICKET, 86400, 7200, 3, 10, 0},
	{BR_SEVERITY_TICKET, 3 * 86400, 6 * 3600, 1, 10, 0},
};

static char *xdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void parse_sel(const char *text, struct br_selector *out)
{
	struct br_error err;

	br_error_init(&err);
	assert_int_equal(br_selector_parse(text, "test", out, &err), 0);
}

/* A 99.5% ratio SLO over 30d with the Workbook table. */
static void make_slo(struct br_slo *s, enum br_indicator ind)
{
	br_slo_init(s);
	s->name = xdup("checkout-availability");
	s->namespace = xdup("payments");
	s->service = xdup("checkout");
	s->objective = 99.5;
	s->window_s = 30 * 86400;
	s->indicator = ind;
	if (ind == BR_INDICATOR_RATIO) {
		parse_sel("http_requests_total{job=\"checkout\",code=~\"5..\"}", &s->errors);
		parse_sel("http_requests_total{job=\"checkout\"}", &s->total);
	} else if (ind == BR_INDICATOR_LATENCY) {
		parse_sel("http_request_duration_seconds{job=\"checkout\"}", &s->histogram);
		s->threshold_s = 0.5;
	} else {
		s->raw_error_ratio = xdup("1 - avg(avg_over_time(up{job=\"x\"}[$window])) or $window_x");
	}
	s->alert_name = xdup("CheckoutAvailability");
	s->page.severity = xdup("critical");
	s->ticket.severity = xdup("warning");
	s->windows = malloc(sizeof(workbook));
	assert_non_null(s->windows);
	memcpy(s->windows, workbook, sizeof(workbook));
	s->window_count = 4;
}

static json_t *groups_of(const struct br_slo *s)
{
	struct br_error err;
	json_t *g = NULL;

	br_error_init(&err);
	assert_int_equal(br_rules_groups(s, &g, &err), 0);
	assert_non_null(g);
	return g;
}

/* The rule whose record or alert name is name, in any group. */
static json_t *find_rule(const json_t *groups, const char *key, const char *name)
{
	size_t gi, ri;
	json_t *g, *r;

	json_array_foreach(groups, gi, g) {
		json_array_foreach(json_object_get(g, "rules"), ri, r) {
			const char *n = json_string_value(json_object_get(r, key));

			if (n && strcmp(n, name) == 0)
				return r;
		}
	}
	return NULL;
}

static const char *expr_of(const json_t *groups, const char *record)
{
	json_t *r = find_rule(groups, "record", record);

	if (!r)
		fail_msg("no record %s", record);
	return json_string_value(json_object_get(r, "expr"));
}

static const char *group_name(const json_t *groups, size_t i)
{
	return json_string_value(json_object_get(json_array_get(groups, i), "name"));
}

#define SEL "{slo=\"checkout-availability\",slo_namespace=\"payments\"}"

static void test_structure(void **state)
{
	struct br_slo s;
	json_t *g;
	size_t rec = 99, alert = 99;

	make_slo(&s, BR_INDICATOR_RATIO);
	g = groups_of(&s);
	assert_int_equal(json_array_size(g), 4);
	assert_string_equal(group_name(g, 0), "payments/checkout-availability/sli");
	assert_string_equal(group_name(g, 1), "payments/checkout-availability/sli-long");
	assert_string_equal(group_name(g, 2), "payments/checkout-availability/budget");
	assert_string_equal(group_name(g, 3), "payments/checkout-availability/alerts");
	assert_null(json_object_get(json_array_get(g, 0), "interval"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(g, 1), "interval")), "1m");
	assert_string_equal(json_string_value(json_object_get(json_array_get(g, 2), "interval")), "5m");
	assert_null(json_object_get(json_array_get(g, 3), "interval"));
	/* windows 5m 30m 1h 2h 6h raw (15 records), 1d 3d long (6),
	   budget: 30d errors+requests, remaining, allowed events, objective (5) */
	br_rules_count(g, &rec, &alert);
	assert_int_equal(rec, 26);
	assert_int_equal(alert, 2);
	assert_int_equal(json_array_size(json_object_get(json_array_get(g, 0), "rules")), 15);
	assert_int_equal(json_array_size(json_object_get(json_array_get(g, 1), "rules")), 6);

	json_t *r = find_rule(g, "record", "burnrate:sli_error_ratio:rate1h");
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "labels"), "slo")),
			    "checkout-availability");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "labels"), "slo_namespace")),
			    "payments");
	assert_null(find_rule(g, "record", "burnrate:sli_error_ratio:rate30d"));
	json_decref(g);
	br_slo_release(&s);
}

static void test_ratio_expressions(void **state)
{
	struct br_slo s;
	json_t *g;

	make_slo(&s, BR_INDICATOR_RATIO);
	g = groups_of(&s);
	assert_string_equal(expr_of(g, "burnrate:sli_requests:rate1h"),
			    "sum(rate(http_requests_total{job=\"checkout\"}[1h]))");
	assert_string_equal(expr_of(g, "burnrate:sli_errors:rate5m"),
			    "sum(rate(http_requests_total{job=\"checkout\",code=~\"5..\"}[5m]))"
			    " or 0 * sum(rate(http_requests_total{job=\"checkout\"}[5m]))");
	assert_string_equal(expr_of(g, "burnrate:sli_error_ratio:rate6h"),
			    "burnrate:sli_errors:rate6h" SEL " / (burnrate:sli_requests:rate6h" SEL " > 0)");
	assert_string_equal(expr_of(g, "burnrate:sli_errors:rate3d"),
			    "avg_over_time(burnrate:sli_errors:rate5m" SEL "[3d])");
	assert_string_equal(expr_of(g, "burnrate:sli_requests:rate1d"),
			    "avg_over_time(burnrate:sli_requests:rate5m" SEL "[1d])");
	assert_string_equal(expr_of(g, "burnrate:sli_requests:rate30d"),
			    "avg_over_time(burnrate:sli_requests:rate5m" SEL "[30d])");
	assert_string_equal(expr_of(g, "burnrate:error_budget:remaining"),
			    "1 - ((burnrate:sli_errors:rate30d" SEL " / (burnrate:sli_requests:rate30d" SEL
			    " > 0)) or (0 * burnrate:sli_requests:rate30d" SEL ")) / 0.005");
	assert_string_equal(expr_of(g, "burnrate:slo:objective_ratio"), "vector(0.995)");

	json_t *page = json_array_get(json_object_get(json_array_get(g, 3), "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(page, "alert")), "CheckoutAvailability");
	assert_string_equal(json_string_value(json_object_get(page, "expr")),
			    "(burnrate:sli_error_ratio:rate1h" SEL " / 0.005 > 14.4 and "
			    "burnrate:sli_error_ratio:rate5m" SEL " / 0.005 > 14.4) or "
			    "(burnrate:sli_error_ratio:rate6h" SEL " / 0.005 > 6 and "
			    "burnrate:sli_error_ratio:rate30m" SEL " / 0.005 > 6)");
	assert_null(json_object_get(page, "for"));
	json_decref(g);
	br_slo_release(&s);
}

static void test_good_instead_of_errors(void **state)
{
	struct br_slo s;
	json_t *g;

	make_slo(&s, BR_INDICATOR_RATIO);
	br_selector_release(&s.errors);
	parse_sel("http_requests_total{job=\"checkout\",code=~\"2..\"}", &s.good);
	s.ratio_has_good = 1;
	g = groups_of(&s);
	assert_string_equal(expr_of(g, "burnrate:sli_errors:rate30m"),
			    "sum(rate(http_requests_total{job=\"checkout\"}[30m])) - "
			    "(sum(rate(http_requests_total{job=\"checkout\",code=~\"2..\"}[30m]))"
			    " or 0 * sum(rate(http_requests_total{job=\"checkout\"}[30m])))");
	json_decref(g);
	br_slo_release(&s);
}

static void test_latency(void **state)
{
	struct br_slo s;
	json_t *g;

	make_slo(&s, BR_INDICATOR_LATENCY);
	g = groups_of(&s);
	assert_string_equal(expr_of(g, "burnrate:sli_requests:rate5m"),
			    "sum(rate(http_request_duration_seconds_count{job=\"checkout\"}[5m]))");
	assert_string_equal(expr_of(g, "burnrate:sli_errors:rate5m"),
			    "sum(rate(http_request_duration_seconds_count{job=\"checkout\"}[5m])) - "
			    "(sum(rate(http_request_duration_seconds_bucket{job=\"checkout\",le=\"0.5\"}[5m]))"
			    " or 0 * sum(rate(http_request_duration_seconds_count{job=\"checkout\"}[5m])))");
	json_decref(g);
	s.threshold_s = 2;
	g = groups_of(&s);
	assert_non_null(strstr(expr_of(g, "burnrate:sli_errors:rate1h"),
			       "http_request_duration_seconds_bucket{job=\"checkout\",le=~\"2(\\\\.0)?\"}[1h]"));
	json_decref(g);
	br_slo_release(&s);
}

static void test_raw(void **state)
{
	struct br_slo s;
	json_t *g;
	size_t rec;

	make_slo(&s, BR_INDICATOR_RAW);
	g = groups_of(&s);
	/* every $window is replaced, even when followed by more name characters */
	assert_string_equal(expr_of(g, "burnrate:sli_error_ratio:rate2h"),
			    "1 - avg(avg_over_time(up{job=\"x\"}[2h])) or 2h_x");
	assert_string_equal(expr_of(g, "burnrate:sli_error_ratio:rate1d"),
			    "avg_over_time(burnrate:sli_error_ratio:rate5m" SEL "[1d])");
	assert_string_equal(expr_of(g, "burnrate:error_budget:remaining"),
			    "1 - burnrate:sli_error_ratio:rate30d" SEL " / 0.005");
	assert_null(find_rule(g, "record", "burnrate:sli_requests:rate5m"));
	br_rules_count(g, &rec, NULL);
	assert_int_equal(rec, 5 + 2 + 3);
	json_decref(g);
	br_slo_release(&s);
}

static void test_min_events(void **state)
{
	struct br_slo s;
	json_t *g, *ticket;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.min_events = 50;
	g = groups_of(&s);
	ticket = find_rule(g, "alert", "CheckoutAvailability");
	assert_non_null(strstr(json_string_value(json_object_get(ticket, "expr")),
			       "(burnrate:sli_error_ratio:rate1h" SEL " / 0.005 > 14.4 and "
			       "burnrate:sli_error_ratio:rate5m" SEL " / 0.005 > 14.4 and "
			       "burnrate:sli_requests:rate1h" SEL " * 3600 >= 50)"));
	ticket = json_array_get(json_object_get(json_array_get(g, 3), "rules"), 1);
	assert_non_null(strstr(json_string_value(json_object_get(ticket, "expr")),
			       "burnrate:sli_requests:rate3d" SEL " * 259200 >= 50)"));
	json_decref(g);
	br_slo_release(&s);
}

/* confidence: one lower-bound record per long window of an enabled row, in
 * the group of that window's ratio and after it; each row of the alerts
 * requires it; nothing of it without confidence. */
static void test_confidence(void **state)
{
	struct br_slo s;
	json_t *g, *rules;
	size_t rec, rec_plain, i, ratio_at = 0, lower_at = 0;
	const char *page;

	make_slo(&s, BR_INDICATOR_RATIO);
	g = groups_of(&s);
	br_rules_count(g, &rec_plain, NULL);
	assert_null(find_rule(g, "record", "burnrate:sli_error_ratio_lower:rate1h"));
	json_decref(g);

	s.confidence = 95;
	g = groups_of(&s);
	br_rules_count(g, &rec, NULL);
	assert_int_equal(rec, rec_plain + 4);
	assert_non_null(strstr(expr_of(g, "burnrate:sli_error_ratio_lower:rate1h"),
			       "(clamp_max(clamp_min(burnrate:sli_error_ratio:rate1h" SEL
			       ", 0), 1) * burnrate:sli_requests:rate1h" SEL " * 3600 + 1.352771727"
			       " - 1.644853627 * sqrt("));
	assert_non_null(find_rule(g, "record", "burnrate:sli_error_ratio_lower:rate3d"));
	assert_null(find_rule(g, "record", "burnrate:sli_error_ratio_lower:rate5m"));
	rules = json_object_get(json_array_get(g, 0), "rules");
	for (i = 0; i < json_array_size(rules); i++) {
		const char *n = json_string_value(json_object_get(json_array_get(rules, i), "record"));

		if (strcmp(n, "burnrate:sli_error_ratio:rate1h") == 0)
			ratio_at = i;
		if (strcmp(n, "burnrate:sli_error_ratio_lower:rate1h") == 0)
			lower_at = i;
	}
	assert_true(lower_at == ratio_at + 1);
	page = json_string_value(json_object_get(find_rule(g, "alert", "CheckoutAvailability"), "expr"));
	assert_non_null(strstr(page, "(burnrate:sli_error_ratio:rate1h" SEL " / 0.005 > 14.4 and "
				     "burnrate:sli_error_ratio_lower:rate1h" SEL " / 0.005 > 14.4 and "
				     "burnrate:sli_error_ratio:rate5m" SEL " / 0.005 > 14.4)"));
	json_decref(g);

	/* a disabled severity's long windows get no bound */
	s.ticket.disabled = 1;
	g = groups_of(&s);
	assert_null(find_rule(g, "record", "burnrate:sli_error_ratio_lower:rate1d"));
	json_decref(g);
	br_slo_release(&s);
}

/* offPeak: muted rows carry the peak-hours clause, the others do not. */
static void test_off_peak(void **state)
{
	struct br_slo s;
	json_t *g;
	const char *page;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.off_peak = (struct br_off_peak){1, 22 * 60, 6 * 60, 120};
	s.windows[0].off_peak_muted = 1;
	g = groups_of(&s);
	page = json_string_value(json_object_get(find_rule(g, "alert", "CheckoutAvailability"), "expr"));
	/* 22:00-06:00 at +02:00: peak is 06:00-22:00 local, 04:00-20:00 UTC;
	   time()+72000 puts 04:00 UTC at 0, and peak lasts 16h = 57600 s */
	assert_non_null(strstr(page, "rate5m" SEL " / 0.005 > 14.4 and on() "
				     "vector((time() + 72000) % 86400) < 57600) or ("));
	assert_null(strstr(strstr(page, ") or ("), "time()"));
	json_decref(g);

	/* off-peak within one day, negative offset: 01:00-05:00 at -05:00 is
	   06:00-10:00 UTC; peak 10:00-06:00 UTC, 20h */
	s.off_peak = (struct br_off_peak){1, 60, 5 * 60, -300};
	g = groups_of(&s);
	page = json_string_value(json_object_get(find_rule(g, "alert", "CheckoutAvailability"), "expr"));
	assert_non_null(strstr(page, "vector((time() + 50400) % 86400) < 72000)"));
	json_decref(g);
	br_slo_release(&s);
}

static void test_alert_labels(void **state)
{
	struct br_slo s;
	json_t *g, *rules, *l;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.labels.items = calloc(1, sizeof(*s.labels.items));
	s.labels.items[0].name = xdup("team");
	s.labels.items[0].value = xdup("payments");
	s.labels.count = 1;
	s.annotations.items = calloc(1, sizeof(*s.annotations.items));
	s.annotations.items[0].name = xdup("runbook_url");
	s.annotations.items[0].value = xdup("https://runbooks.example.com/checkout");
	s.annotations.count = 1;
	g = groups_of(&s);
	rules = json_object_get(json_array_get(g, 3), "rules");
	assert_int_equal(json_array_size(rules), 2);
	l = json_object_get(json_array_get(rules, 0), "labels");
	assert_string_equal(json_string_value(json_object_get(l, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(l, "burnrate_severity")), "page");
	assert_string_equal(json_string_value(json_object_get(l, "service")), "checkout");
	assert_string_equal(json_string_value(json_object_get(l, "team")), "payments");
	l = json_object_get(json_array_get(rules, 1), "labels");
	assert_string_equal(json_string_value(json_object_get(l, "severity")), "warning");
	assert_string_equal(json_string_value(json_object_get(l, "burnrate_severity")), "ticket");
	l = json_object_get(json_array_get(rules, 1), "annotations");
	assert_string_equal(json_string_value(json_object_get(l, "runbook_url")),
			    "https://runbooks.example.com/checkout");
	assert_non_null(strstr(json_string_value(json_object_get(l, "description")),
			       "1d and 2h above 3x (10% of the budget); 3d and 6h above 1x"));
	json_decref(g);
	br_slo_release(&s);
}

/* burnrate_receiver names the receiver of each severity, and only when set:
 * without it the alert falls to the Alertmanager root route. */
static void test_receiver_label(void **state)
{
	struct br_slo s;
	json_t *g, *rules, *page, *ticket;

	make_slo(&s, BR_INDICATOR_RATIO);
	g = groups_of(&s);
	rules = json_object_get(json_array_get(g, 3), "rules");
	assert_null(json_object_get(json_object_get(json_array_get(rules, 0), "labels"),
				    "burnrate_receiver"));
	assert_null(json_object_get(json_object_get(json_array_get(rules, 1), "labels"),
				    "burnrate_receiver"));
	json_decref(g);
	s.page.receiver = xdup("payments-pagerduty");
	s.ticket.receiver = xdup("team-{{slack}}");
	g = groups_of(&s);
	rules = json_object_get(json_array_get(g, 3), "rules");
	page = json_object_get(json_array_get(rules, 0), "labels");
	ticket = json_object_get(json_array_get(rules, 1), "labels");
	assert_string_equal(json_string_value(json_object_get(page, "burnrate_receiver")),
			    "payments-pagerduty");
	/* labels are templates in Prometheus: the name must come out literally */
	assert_string_equal(json_string_value(json_object_get(ticket, "burnrate_receiver")),
			    "team-{{ \"{{\" }}slack}}");
	json_decref(g);
	br_slo_release(&s);
}

static void test_disabled_severity(void **state)
{
	struct br_slo s;
	json_t *g;
	size_t rec, alert;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.ticket.disabled = 1;
	g = groups_of(&s);
	br_rules_count(g, &rec, &alert);
	assert_int_equal(alert, 1);
	/* only the page windows: 5m 30m 1h 6h, no sli-long group */
	assert_int_equal(json_array_size(g), 3);
	assert_string_equal(group_name(g, 1), "payments/checkout-availability/budget");
	assert_null(find_rule(g, "record", "burnrate:sli_requests:rate2h"));
	assert_int_equal(rec, 12 + 5);
	json_decref(g);
	s.page.disabled = 1;
	g = groups_of(&s);
	br_rules_count(g, &rec, &alert);
	assert_int_equal(alert, 0);
	assert_int_equal(json_array_size(g), 2); /* sli (5m) and budget */
	json_decref(g);
	br_slo_release(&s);
}

/* Removes the double-quoted string literals (with escapes) from a PromQL
 * expression; what is left is code. Fails on an unterminated literal. */
static char *code_only(const char *e)
{
	char *out = calloc(1, strlen(e) + 1), *o = out;
	int in = 0;

	assert_non_null(out);
	for (; *e; e++) {
		if (in && *e == '\\') {
			assert_true(e[1] != '\0');
			e++;
		} else if (*e == '"') {
			in = !in;
		} else if (!in) {
			*o++ = *e;
		}
		assert_false(in && (*e == '\n'));
	}
	assert_false(in);
	return out;
}

static void test_hostile_values(void **state)
{
	static const char hostile[] = "a\"}) or vector(1) #\\\n}";
	struct br_slo s;
	struct br_selector *t;
	json_t *g, *rules;
	size_t gi, ri;
	json_t *grp, *r;

	make_slo(&s, BR_INDICATOR_RATIO);
	t = &s.total;
	free(t->matchers[0].value);
	t->matchers[0].value = xdup(hostile);
	s.labels.items = calloc(1, sizeof(*s.labels.items));
	s.labels.items[0].name = xdup("team");
	s.labels.items[0].value = xdup(hostile);
	s.labels.count = 1;
	g = groups_of(&s);
	json_array_foreach(g, gi, grp) {
		rules = json_object_get(grp, "rules");
		json_array_foreach(rules, ri, r) {
			char *code = code_only(json_string_value(json_object_get(r, "expr")));

			assert_null(strstr(code, "vector(1)"));
			assert_null(strchr(code, '#'));
			free(code);
		}
	}
	assert_non_null(strstr(expr_of(g, "burnrate:sli_requests:rate5m"),
			       "{job=\"a\\\"}) or vector(1) #\\\\\\n}\"}[5m]"));
	r = find_rule(g, "alert", "CheckoutAvailability");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "labels"), "team")),
			    hostile);
	json_decref(g);
	br_slo_release(&s);
}

/* Prometheus expands alert labels as Go templates: "{{" from the spec must
 * come back as text. */
static void test_template_literal_labels(void **state)
{
	struct br_slo s;
	json_t *g, *l;

	make_slo(&s, BR_INDICATOR_RATIO);
	free(s.service);
	s.service = xdup("a{{ .X }}b{{");
	s.labels.items = calloc(1, sizeof(*s.labels.items));
	s.labels.items[0].name = xdup("team");
	s.labels.items[0].value = xdup("{{ $value }}");
	s.labels.count = 1;
	g = groups_of(&s);
	l = json_object_get(find_rule(g, "alert", "CheckoutAvailability"), "labels");
	assert_string_equal(json_string_value(json_object_get(l, "service")),
			    "a{{ \"{{\" }} .X }}b{{ \"{{\" }}");
	assert_string_equal(json_string_value(json_object_get(l, "team")),
			    "{{ \"{{\" }} $value }}");
	json_decref(g);
	br_slo_release(&s);
}

/* The alert rule of severity sev ("page"/"ticket") in groups, or NULL. */
static json_t *alert_of(json_t *groups, const char *sev)
{
	size_t gi, ri;
	json_t *g, *r;

	json_array_foreach(groups, gi, g) {
		json_array_foreach(json_object_get(g, "rules"), ri, r) {
			const char *v = json_string_value(json_object_get(
				json_object_get(r, "labels"), "burnrate_severity"));
			if (json_object_get(r, "alert") && v && strcmp(v, sev) == 0)
				return r;
		}
	}
	return NULL;
}

static const char *runbook_of(json_t *groups, const char *sev)
{
	json_t *r = alert_of(groups, sev);

	assert_non_null(r);
	return json_string_value(json_object_get(json_object_get(r, "annotations"), "runbook_url"));
}

static void test_runbooks(void **state)
{
	struct br_slo s;
	struct br_rules_options opt = {.runbook_base_url = "https://rb.example.com/slo"};
	struct br_label mine[1] = {{"runbook_url", "https://wiki.example.com/checkout"}};
	json_t *o, *g;
	struct br_error err;

	make_slo(&s, BR_INDICATOR_RATIO);
	br_error_init(&err);
	/* without the option: no runbook_url */
	assert_int_equal(br_rules_groups(&s, &g, &err), 0);
	assert_null(runbook_of(g, "page"));
	/* with it: page.md and ticket.md; recording rules untouched */
	assert_int_equal(br_rules_set_runbooks(g, opt.runbook_base_url, &err), 0);
	assert_string_equal(runbook_of(g, "page"), "https://rb.example.com/slo/page.md");
	assert_string_equal(runbook_of(g, "ticket"), "https://rb.example.com/slo/ticket.md");
	json_decref(g);
	assert_int_equal(br_rules_prometheus_rule(&s, &opt, &o, &err), 0);
	g = json_object_get(json_object_get(o, "spec"), "groups");
	assert_string_equal(runbook_of(g, "page"), "https://rb.example.com/slo/page.md");
	json_decref(o);
	/* the SLO's own runbook_url wins */
	s.annotations.items = mine;
	s.annotations.count = 1;
	assert_int_equal(br_rules_prometheus_rule(&s, &opt, &o, &err), 0);
	g = json_object_get(json_object_get(o, "spec"), "groups");
	assert_string_equal(runbook_of(g, "page"), "https://wiki.example.com/checkout");
	assert_string_equal(runbook_of(g, "ticket"), "https://wiki.example.com/checkout");
	json_decref(o);
	s.annotations.items = NULL;
	s.annotations.count = 0;
	br_slo_release(&s);
}

static void test_deterministic(void **state)
{
	struct br_slo s;
	struct br_rules_options opt = {.rule_labels = NULL};
	json_t *a, *b;
	char *da, *db;
	struct br_error err;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.min_events = 10;
	br_error_init(&err);
	assert_int_equal(br_rules_prometheus_rule(&s, &opt, &a, &err), 0);
	assert_int_equal(br_rules_prometheus_rule(&s, &opt, &b, &err), 0);
	da = json_dumps(a, JSON_COMPACT);
	db = json_dumps(b, JSON_COMPACT);
	assert_non_null(da);
	assert_string_equal(da, db);
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);
	br_slo_release(&s);
}

static void test_prometheus_rule(void **state)
{
	struct br_slo s;
	struct br_label extra[2] = {{"app.kubernetes.io/managed-by", "someone-else"},
				    {"release", "kube-prometheus-stack"}};
	struct br_labels labels = {extra, 2};
	struct br_rules_options opt = {.rule_labels = &labels};
	json_t *o, *md, *ref;
	struct br_error err;

	make_slo(&s, BR_INDICATOR_RATIO);
	br_error_init(&err);
	assert_int_equal(br_rules_prometheus_rule(&s, &opt, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "apiVersion")), "monitoring.coreos.com/v1");
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "PrometheusRule");
	md = json_object_get(o, "metadata");
	assert_string_equal(json_string_value(json_object_get(md, "name")), "checkout-availability");
	assert_string_equal(json_string_value(json_object_get(md, "namespace")), "payments");
	assert_string_equal(json_string_value(json_object_get(json_object_get(md, "labels"),
							      "app.kubernetes.io/managed-by")), "burnrate");
	assert_string_equal(json_string_value(json_object_get(json_object_get(md, "labels"), "release")),
			    "kube-prometheus-stack");
	assert_null(json_object_get(md, "ownerReferences"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "spec"), "groups")), 4);
	json_decref(o);

	s.uid = xdup("0b4e8c1a-1111-2222-3333-444455556666");
	assert_int_equal(br_rules_prometheus_rule(&s, NULL, &o, &err), 0);
	md = json_object_get(o, "metadata");
	assert_int_equal(json_object_size(json_object_get(md, "labels")), 1);
	assert_int_equal(json_array_size(json_object_get(md, "ownerReferences")), 1);
	ref = json_array_get(json_object_get(md, "ownerReferences"), 0);
	assert_string_equal(json_string_value(json_object_get(ref, "apiVersion")), "burnrate.dev/v1alpha1");
	assert_string_equal(json_string_value(json_object_get(ref, "kind")), "ServiceLevelObjective");
	assert_string_equal(json_string_value(json_object_get(ref, "name")), "checkout-availability");
	assert_string_equal(json_string_value(json_object_get(ref, "uid")), s.uid);
	assert_true(json_is_true(json_object_get(ref, "controller")));
	assert_true(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
	json_decref(o);
	br_slo_release(&s);
}

/* Every jansson allocation is made to fail in turn: each must give BR_ENOMEM,
 * no output and (under the sanitizer build) no leak. */
static long alloc_left;

static void *failing_malloc(size_t n)
{
	if (alloc_left-- == 0)
		return NULL;
	return malloc(n);
}

static void test_allocation_failures(void **state)
{
	struct br_slo s;
	struct br_error err;
	json_t *o;
	long n;
	int rc = -1;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.uid = xdup("uid-1");
	s.min_events = 5;
	for (n = 0; rc != 0; n++) {
		alloc_left = n;
		o = (json_t *)1;
		br_error_init(&err);
		json_set_alloc_funcs(failing_malloc, free);
		rc = br_rules_prometheus_rule(&s, NULL, &o, &err);
		json_set_alloc_funcs(malloc, free);
		if (rc) {
			assert_int_equal(rc, BR_ENOMEM);
			assert_int_equal(err.code, BR_ENOMEM);
			assert_null(o);
		}
		assert_true(n < 100000);
	}
	assert_true(n > 100); /* the loop really walked through the allocations */
	json_decref(o);
	br_slo_release(&s);
}

static void test_invalid_slo(void **state)
{
	struct br_slo s;
	json_t *g = (json_t *)1;
	struct br_error err;

	make_slo(&s, BR_INDICATOR_RATIO);
	s.objective = 100;
	br_error_init(&err);
	assert_int_equal(br_rules_groups(&s, &g, &err), BR_EINVAL);
	assert_null(g);
	assert_int_equal(err.code, BR_EINVAL);
	br_slo_release(&s);
}

static void test_count_ignores_junk(void **state)
{
	json_t *j = json_loads("[1, {\"rules\": [2, {\"record\": 3}, {\"alert\": \"A\"}]}, {}]", 0, NULL);
	size_t rec = 9, alert = 9;

	br_rules_count(j, &rec, &alert);
	assert_int_equal(rec, 0);
	assert_int_equal(alert, 1);
	br_rules_count(NULL, &rec, NULL);
	assert_int_equal(rec, 0);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_ratio_expressions),
		cmocka_unit_test(test_good_instead_of_errors),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_min_events),
		cmocka_unit_test(test_confidence),
		cmocka_unit_test(test_off_peak),
		cmocka_unit_test(test_alert_labels),
		cmocka_unit_test(test_receiver_label),
		cmocka_unit_test(test_disabled_severity),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_template_literal_labels),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_prometheus_rule),
		cmocka_unit_test(test_runbooks),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_invalid_slo),
		cmocka_unit_test(test_count_ignores_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
