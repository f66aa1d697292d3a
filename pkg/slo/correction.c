/* correction: the BudgetCorrection resource: parsing and validation (every
 * problem with its field), which SLOs its selector matches, and adding its
 * windows to an SLO's exclusions. */
#include "slo/slo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "slo/internal.h"

#define MAX_REASON 1024
#define MAX_VALUES 64
#define MAX_ONCE (90 * 86400LL)   /* a one-off window: at most the longest SLO window */

void br_correction_init(struct br_correction *c)
{
	memset(c, 0, sizeof(*c));
}

static void requirement_release(struct br_label_requirement *r)
{
	free(r->key);
	for (size_t i = 0; i < r->value_count; i++)
		free(r->values[i]);
	free(r->values);
}

void br_correction_release(struct br_correction *c)
{
	free(c->name);
	free(c->namespace);
	free(c->reason);
	for (size_t i = 0; i < c->selector_count; i++)
		requirement_release(&c->selector[i]);
	free(c->selector);
	free(c->spans);
	free(c->summary);
	br_correction_init(c);
}

/* --- metadata and reason ---------------------------------------------------- */

static void parse_meta(struct br__slo_ctx *c, const json_t *doc, struct br_correction *out)
{
	const json_t *meta = br__slo_member(c, doc, "", "metadata", BR__SLO_OBJECT, 1);
	const json_t *v;

	if (!meta)
		return;
	v = br__slo_member(c, meta, "metadata", "name", BR__SLO_STRING, 1);
	if (v && (out->name = br__slo_strdup(c, v, "metadata.name")) &&
	    !br__slo_dns_subdomain(out->name))
		br__slo_problem(c, v, "metadata.name", "must be a DNS-1123 subdomain (lowercase "
				"letters, digits, '-' and '.', at most 253 characters), got "
				"\"%.300s\"",
				out->name);
	out->namespace = br__slo_namespace(c, meta);
}

static void parse_reason(struct br__slo_ctx *c, const json_t *spec, struct br_correction *out)
{
	const json_t *v = br__slo_member(c, spec, "spec", "reason", BR__SLO_STRING, 1);

	if (!v)
		return;
	if (json_string_length(v) == 0 || br_slo_utf8_length(json_string_value(v),
							     json_string_length(v)) > MAX_REASON) {
		br__slo_problem(c, v, "spec.reason", "must say why, in 1 to %d characters",
				MAX_REASON);
		return;
	}
	out->reason = br__slo_strdup(c, v, "spec.reason");
}

/* --- selector ------------------------------------------------------------- */

static struct br_label_requirement *add_requirement(struct br__slo_ctx *c,
						     struct br_correction *out)
{
	struct br_label_requirement *r = br_array_grow(out->selector, sizeof(*r),
						       out->selector_count + 1, &out->selector_cap);

	if (!r) {
		c->nomem = 1;
		return NULL;
	}
	out->selector = r;
	r += out->selector_count++;
	memset(r, 0, sizeof(*r));
	return r;
}

/* values (an array of strings, or NULL) into r. */
static void parse_values(struct br__slo_ctx *c, const json_t *values, const char *field,
			 struct br_label_requirement *r)
{
	size_t i;
	const json_t *v;

	if (json_array_size(values) > MAX_VALUES) {
		br__slo_problem(c, values, field, "at most %d values", MAX_VALUES);
		return;
	}
	r->values = calloc(json_array_size(values) + 1, sizeof(*r->values));
	if (!r->values) {
		c->nomem = 1;
		return;
	}
	json_array_foreach(values, i, v) {
		if (!json_is_string(v)) {
			br__slo_problem(c, br__slo_at(v, values), field, "values must be strings");
			return;
		}
		if (!(r->values[r->value_count] = br__slo_strdup(c, v, field)))
			return;
		r->value_count++;
	}
}

static void parse_match_labels(struct br__slo_ctx *c, const json_t *sel, struct br_correction *out)
{
	const json_t *ml = br__slo_member(c, sel, "spec.selector", "matchLabels",
					  BR__SLO_OBJECT, 0);
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)ml, k, v) {
		char field[320];
		snprintf(field, sizeof(field), "spec.selector.matchLabels.%.250s", k);
		if (!json_is_string(v)) {
			br__slo_problem(c, br__slo_at(v, ml), field, "must be a string");
			continue;
		}
		struct br_label_requirement *r = add_requirement(c, out);
		json_t *one = json_pack("[O]", v);
		if (r && one && (r->key = strdup(k)) != NULL)
			parse_values(c, one, field, r);
		else
			c->nomem = 1;
		json_decref(one);
	}
}

static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist"};

static void parse_expression(struct br__slo_ctx *c, const json_t *e, size_t i,
			     struct br_correction *out)
{
	static const char *const fields[] = {"key", "operator", "values", NULL};
	char path[96];
	snprintf(path, sizeof(path), "spec.selector.matchExpressions[%zu]", i);
	const json_t *key = br__slo_member(c, e, path, "key", BR__SLO_STRING, 1);
	const json_t *op = br__slo_member(c, e, path, "operator", BR__SLO_STRING, 1);
	const json_t *values = br__slo_member(c, e, path, "values", BR__SLO_LIST, 0);
	size_t o = 0;

	br__slo_check_fields(c, e, path, fields);
	if (!key || !op)
		return;
	while (o < 4 && strcmp(ops[o], json_string_value(op)) != 0)
		o++;
	if (o == 4) {
		br__slo_problem(c, op, strcat(path, ".operator"), "must be In, NotIn, Exists or "
				"DoesNotExist, got \"%.40s\"", json_string_value(op));
		return;
	}
	if ((o < 2) != (json_array_size(values) > 0)) {
		br__slo_problem(c, values ? values : e, strcat(path, ".values"), o < 2 ?
				"In and NotIn need values" :
				"Exists and DoesNotExist take no values");
		return;
	}
	struct br_label_requirement *r = add_requirement(c, out);
	if (!r || !(r->key = br__slo_strdup(c, key, "key")))
		return;
	r->op = (enum br_label_op)o;
	parse_values(c, values, strcat(path, ".values"), r);
}

static void parse_selector(struct br__slo_ctx *c, const json_t *spec, struct br_correction *out)
{
	static const char *const fields[] = {"matchLabels", "matchExpressions", NULL};
	const json_t *sel = br__slo_member(c, spec, "spec", "selector", BR__SLO_OBJECT, 1);
	const json_t *exprs, *e;
	size_t i;

	if (!sel)
		return;
	br__slo_check_fields(c, sel, "spec.selector", fields);
	parse_match_labels(c, sel, out);
	exprs = br__slo_member(c, sel, "spec.selector", "matchExpressions", BR__SLO_LIST, 0);
	if (json_array_size(exprs) > BR_CORRECTION_MAX_EXPRESSIONS) {
		br__slo_problem(c, exprs, "spec.selector.matchExpressions",
				"at most %d expressions",
				BR_CORRECTION_MAX_EXPRESSIONS);
		return;
	}
	json_array_foreach(exprs, i, e) {
		char path[96];
		snprintf(path, sizeof(path), "spec.selector.matchExpressions[%zu]", i);
		if (!json_is_object(e))
			br__slo_problem(c, br__slo_at(e, exprs), path, "must be an object");
		else
			parse_expression(c, e, i, out);
	}
}

int br_correction_matches(const struct br_correction *c, const json_t *labels)
{
	for (size_t i = 0; i < c->selector_count; i++) {
		const struct br_label_requirement *r = &c->selector[i];
		const char *v = json_string_value(json_object_get(labels, r->key));
		int in = 0;
		for (size_t k = 0; v && k < r->value_count; k++)
			in |= strcmp(v, r->values[k]) == 0;
		if ((r->op == BR_LABEL_IN && !in) || (r->op == BR_LABEL_NOTIN && in) ||
		    (r->op == BR_LABEL_EXISTS && !v) || (r->op == BR_LABEL_NOTEXISTS && v))
			return 0;
	}
	return 1;
}

/* --- windows -------------------------------------------------------------- */

/* Appends spans to out; 0, or -1 when there is no room (a problem). */
static int add_spans(struct br__slo_ctx *c, const json_t *node, const char *path,
		     struct br_correction *out, const struct br_exclusion *spans, size_t n)
{
	if (out->span_count + n > BR_CORRECTION_MAX_SPANS) {
		br__slo_problem(c, node, path, "too many windows");
		return -1;
	}
	struct br_exclusion *s = realloc(out->spans, (out->span_count + n) * sizeof(*s));
	if (!s) {
		c->nomem = 1;
		return -1;
	}
	memcpy(s + out->span_count, spans, n * sizeof(*s));
	out->spans = s;
	out->span_count += n;
	return 0;
}

static int parse_instant(struct br__slo_ctx *c, const json_t *w, const char *path,
			 const char *key, long long *t)
{
	const json_t *v = br__slo_member(c, w, path, key, BR__SLO_STRING, 1);
	char field[128];

	if (!v)
		return -1;
	if (br_time_parse(json_string_value(v), t) == 0)
		return 0;
	br__slo_problem(c, v, br__slo_path(path, key, field, sizeof(field)),
			"must be an RFC 3339 date-time such as 2026-12-01T02:00:00Z, got \"%.64s\"",
			json_string_value(v));
	return -1;
}

/* start and end: one span, or a problem. */
static void parse_once(struct br__slo_ctx *c, const json_t *w, const char *path,
		       struct br_correction *out, char *summary, size_t size)
{
	struct br_exclusion e = {.kind = BR_EXCLUSION_ONCE};
	char field[128], a[32], b[32];

	if (parse_instant(c, w, path, "start", &e.start) ||
	    parse_instant(c, w, path, "end", &e.end))
		return;
	if (e.end <= e.start) {
		br__slo_problem(c, json_object_get(w, "end"),
				br__slo_path(path, "end", field, sizeof(field)),
				"must be after start (%s), got %s",
				br_time_format(e.start, a, sizeof(a)),
				br_time_format(e.end, b, sizeof(b)));
		return;
	}
	if (e.end - e.start > MAX_ONCE) {
		br__slo_problem(c, w, path, "a window of at most 90 days (the longest SLO window), "
				"got %lld days", (e.end - e.start + 86399) / 86400);
		return;
	}
	snprintf(summary, size, "%s to %s", br_time_format(e.start, a, sizeof(a)),
		 br_time_format(e.end, b, sizeof(b)));
	add_spans(c, w, path, out, &e, 1);
}

/* utcOffset (default +00:00) in seconds, or a problem and -1 in *ok. */
static long long parse_window_offset(struct br__slo_ctx *c, const json_t *w, const char *path,
				     char *text, int *ok)
{
	const json_t *v = br__slo_member(c, w, path, "utcOffset", BR__SLO_STRING, 0);
	char field[128];

	snprintf(text, 8, "+00:00");
	if (!v)
		return 0;
	int minutes = br__slo_utc_offset(json_string_value(v));
	if (minutes == BR__SLO_BAD_OFFSET) {
		br__slo_problem(c, v, br__slo_path(path, "utcOffset", field, sizeof(field)),
				"must be an offset from UTC as +HH:MM or -HH:MM between -12:00 and "
				"+14:00, got \"%.40s\"", json_string_value(v));
		*ok = 0;
		return 0;
	}
	snprintf(text, 8, "%.6s", json_string_value(v));
	return minutes * 60LL;
}

/* schedule, duration and utcOffset: a span a day of the week, or a problem. */
static void parse_recurring(struct br__slo_ctx *c, const json_t *w, const char *path,
			    struct br_correction *out, char *summary, size_t size)
{
	const json_t *sv = br__slo_member(c, w, path, "schedule", BR__SLO_STRING, 1);
	const json_t *dv = br__slo_member(c, w, path, "duration", BR__SLO_STRING, 1);
	struct br__slo_schedule s;
	struct br_exclusion spans[7];
	long long duration = 0;
	char field[128], why[256], off[8], when[64], d[32];
	int ok = 1;
	long long offset = parse_window_offset(c, w, path, off, &ok);

	if (!sv || !dv || !ok)
		return;
	if (br__slo_schedule_parse(json_string_value(sv), &s, why, sizeof(why)) != 0) {
		br__slo_problem(c, sv, br__slo_path(path, "schedule", field, sizeof(field)), "%s",
				why);
		return;
	}
	br__slo_path(path, "duration", field, sizeof(field));
	if (br_duration_parse(json_string_value(dv), &duration) != 0 || duration < 60) {
		br__slo_problem(c, dv, field, "must be a duration of at least 1m such as 2h, got "
				"\"%.32s\"", json_string_value(dv));
		return;
	}
	if (duration >= br__slo_schedule_gap(&s)) {
		br__slo_problem(c, dv, field, "%s reaches the schedule's next start (%s later): "
				"such a window never ends", json_string_value(dv),
				br_duration_format(br__slo_schedule_gap(&s), d, sizeof(d)));
		return;
	}
	br__slo_schedule_describe(&s, when, sizeof(when));
	snprintf(summary, size, "%s %s for %s", when, off,
		 br_duration_format(duration, d, sizeof(d)));
	add_spans(c, w, path, out, spans, br__slo_schedule_spans(&s, duration, offset, spans));
}

static void parse_window(struct br__slo_ctx *c, const json_t *w, const char *path,
			 struct br_correction *out, char *summary, size_t size)
{
	static const char *const fields[] = {"start", "end", "schedule", "duration", "utcOffset",
					     NULL};
	int once = br__slo_present(w, "start") || br__slo_present(w, "end");
	int rec = br__slo_present(w, "schedule") || br__slo_present(w, "duration");

	br__slo_check_fields(c, w, path, fields);
	if (once == rec) {
		br__slo_problem(c, w, path, "a window is either start and end (once) or schedule "
				"and duration (recurring)");
		return;
	}
	if (once && br__slo_present(w, "utcOffset")) {
		char field[128];
		br__slo_problem(c, json_object_get(w, "utcOffset"),
				br__slo_path(path, "utcOffset", field, sizeof(field)),
				"only with a schedule: start and end carry their own offset");
		return;
	}
	if (once)
		parse_once(c, w, path, out, summary, size);
	else
		parse_recurring(c, w, path, out, summary, size);
}

/* Refuses windows that overlap: the first pair found. */
static void check_overlaps(struct br__slo_ctx *c, const json_t *windows,
			   const struct br_correction *out)
{
	for (size_t i = 0; i < out->span_count; i++)
		for (size_t k = i + 1; k < out->span_count; k++)
			if (br__slo_spans_overlap(&out->spans[i], &out->spans[k])) {
				br__slo_problem(c, windows, "spec.windows", "windows overlap: "
						"merge them into one, or move one of them");
				return;
			}
}

static void parse_windows(struct br__slo_ctx *c, const json_t *spec, struct br_correction *out)
{
	const json_t *windows = br__slo_member(c, spec, "spec", "windows", BR__SLO_LIST, 1);
	const json_t *w;
	char summary[160] = "";
	size_t i;
	int before = c->count;

	if (!windows)
		return;
	if (json_array_size(windows) == 0 || json_array_size(windows) > BR_CORRECTION_MAX_WINDOWS) {
		br__slo_problem(c, windows, "spec.windows", "must hold 1 to %d windows, got %zu",
				BR_CORRECTION_MAX_WINDOWS, json_array_size(windows));
		return;
	}
	json_array_foreach(windows, i, w) {
		char path[64];
		snprintf(path, sizeof(path), "spec.windows[%zu]", i);
		if (!json_is_object(w))
			br__slo_problem(c, br__slo_at(w, windows), path, "must be an object");
		else
			parse_window(c, w, path, out, summary, sizeof(summary));
	}
	if (c->count == before)
		check_overlaps(c, windows, out);
	if (json_array_size(windows) > 1)
		snprintf(summary, sizeof(summary), "%zu windows", json_array_size(windows));
	if (!(out->summary = strdup(summary)))
		c->nomem = 1;
}

int br_correction_parse(const json_t *doc, const struct br_yaml_marks *marks,
			const char *file, struct br_correction *out,
			struct br_problems *problems)
{
	static const char *const spec_fields[] = {"selector", "reason", "windows", NULL};
	struct br__slo_ctx c = {marks, file, problems, 0, 0};
	const json_t *spec;

	br_correction_init(out);
	if (!json_is_object(doc)) {
		br__slo_problem(&c, doc, "", "a BudgetCorrection must be an object");
		return BR_EINVAL;
	}
	br__slo_check_top(&c, doc, BR_CORRECTION_KIND);
	parse_meta(&c, doc, out);
	spec = br__slo_member(&c, doc, "", "spec", BR__SLO_OBJECT, 1);
	if (spec) {
		br__slo_check_fields(&c, spec, "spec", spec_fields);
		parse_selector(&c, spec, out);
		parse_reason(&c, spec, out);
		parse_windows(&c, spec, out);
	}
	for (size_t i = 0; i < out->span_count; i++)
		out->spans[i].correction = out->name;
	if (c.nomem || c.count) {
		br_correction_release(out);
		return c.nomem ? BR_ENOMEM : BR_EINVAL;
	}
	return 0;
}

int br_correction_window(const struct br_correction *c, long long t, long long *start,
			 long long *end)
{
	int best = -2;

	for (size_t i = 0; i < c->span_count; i++) {
		long long s, e;
		int at = br_exclusion_at(&c->spans[i], t, &s, &e);
		/* holding beats to come beats over; among equals the nearest */
		if (at > best || (at == best && (at == -1 ? e > *end : s < *start))) {
			best = at;
			*start = s;
			*end = e;
		}
	}
	return best;
}

/* --- applying to an SLO ------------------------------------------------------- */

int br_slo_add_correction(struct br_slo *slo, const struct br_correction *c,
			  struct br_error *err)
{
	char a[32], b[32], w[32];

	for (size_t i = 0; i < c->span_count; i++) {
		const struct br_exclusion *e = &c->spans[i];
		if (e->kind == BR_EXCLUSION_ONCE && e->end - e->start > slo->window_s)
			return br_error_set(err, BR_EINVAL, "BudgetCorrection %s/%s: the window "
					    "%s to %s is longer than the window of SLO %s (%s)",
					    c->namespace, c->name,
					    br_time_format(e->start, a, sizeof(a)),
					    br_time_format(e->end, b, sizeof(b)), slo->name,
					    br_duration_format(slo->window_s, w, sizeof(w)));
	}
	if (slo->exclusion_count + c->span_count > BR_CORRECTION_MAX_SPANS)
		return br_error_set(err, BR_EINVAL, "SLO %s/%s: more than %d correction windows "
				    "select it", slo->namespace, slo->name,
				    BR_CORRECTION_MAX_SPANS);
	struct br_exclusion *x = realloc(slo->exclusions, (slo->exclusion_count + c->span_count) *
					 sizeof(*x) + 1);
	if (!x)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	memcpy(x + slo->exclusion_count, c->spans, c->span_count * sizeof(*x));
	slo->exclusions = x;
	slo->exclusion_count += c->span_count;
	return 0;
}
