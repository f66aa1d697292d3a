/* parse: a ServiceLevelObjective document (a jansson tree) into struct
 * br_slo, with defaults, reporting every problem with its field path. */
#include "slo/slo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slo/internal.h"
#include "yaml/yaml.h"

#define MIN_WINDOW (86400LL)
#define MAX_WINDOW (90 * 86400LL)

/* --- Helpers shared with alerting.c ---------------------------------------- */

/* true, false and null are jansson singletons without a position of their
 * own: point at the object holding them. */
static const json_t *at(const json_t *v, const json_t *parent)
{
	return json_is_boolean(v) || json_is_null(v) ? parent : v;
}

static void add(struct br__slo_ctx *c, const json_t *node, struct br_error *e)
{
	c->count++;
	if (br_yaml_add_problem(c->marks, node, c->file, e, c->problems) != 0)
		c->nomem = 1;
}

void br__slo_problem(struct br__slo_ctx *c, const json_t *node, const char *field,
		     const char *fmt, ...)
{
	struct br_error e;
	va_list ap;

	br_error_init(&e);
	e.code = BR_EINVAL;
	snprintf(e.field, sizeof(e.field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	add(c, node, &e);
}

void br__slo_add_error(struct br__slo_ctx *c, const json_t *node, int rc, struct br_error *err)
{
	/* Out of memory may come without a record (a failed append). */
	if (rc == BR_ENOMEM || err->code == BR_ENOMEM || err->code == 0) {
		c->nomem = 1;
		c->count++;
		return;
	}
	add(c, node, err);
}

char *br__slo_path(const char *path, const char *key, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", path, *path ? "." : "", key);
	return out;
}

static const char *type_name(enum br__slo_type type)
{
	static const char *const names[] = {"an object", "a list", "a string",
					    "a number", "an integer", "a boolean"};
	return names[type];
}

static int has_type(const json_t *v, enum br__slo_type type)
{
	switch (type) {
	case BR__SLO_OBJECT: return json_is_object(v);
	case BR__SLO_LIST: return json_is_array(v);
	case BR__SLO_STRING: return json_is_string(v);
	case BR__SLO_NUMBER: return json_is_number(v);
	case BR__SLO_INT: return json_is_integer(v);
	case BR__SLO_BOOL: return json_is_boolean(v);
	}
	return 0;
}

/* Not openslo's: strings meet their length limits here; a NUL is refused when copied. */
const json_t *br__slo_member(struct br__slo_ctx *c, const json_t *obj, const char *path,
			     const char *key, enum br__slo_type type, int required)
{
	char field[256];
	const json_t *v = json_object_get(obj, key);

	br__slo_path(path, key, field, sizeof(field));
	if (!v || json_is_null(v)) {
		if (required)
			br__slo_problem(c, v ? v : obj, field, "required field is missing");
		return NULL;
	}
	if (!has_type(v, type)) {
		br__slo_problem(c, at(v, obj), field, "must be %s", type_name(type));
		return NULL;
	}
	/* Here, before any parser or message reads the string, so a
	   multi-megabyte value costs one length check. */
	if (type == BR__SLO_STRING && !br__slo_check_length(c, v, NULL, field))
		return NULL;
	return v;
}

char *br__slo_strdup(struct br__slo_ctx *c, const json_t *node, const char *field)
{
	const char *s = json_string_value(node);
	char *copy;

	if (strlen(s) != json_string_length(node)) {
		br__slo_problem(c, node, field, "must not contain a NUL character");
		return NULL;
	}
	copy = strdup(s);
	if (!copy)
		c->nomem = 1;
	return copy;
}

/* Not openslo's: strict decoding refuses even a null unknown field, giving no reason. */
void br__slo_check_fields(struct br__slo_ctx *c, const json_t *obj, const char *path,
			  const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i = 0;
		char field[256];

		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (!allowed[i])
			br__slo_problem(c, at(v, obj),
					br__slo_path(path, key, field, sizeof(field)),
					"unknown field");
	}
}

int br__slo_present(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return v && !json_is_null(v);
}

const json_t *br__slo_at(const json_t *v, const json_t *parent)
{
	return at(v, parent);
}

int br__slo_valid_name(const char *s, int colon)
{
	if (!*s)
		return 0;
	for (size_t i = 0; s[i]; i++) {
		char ch = s[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
			 (colon && ch == ':') || (i > 0 && ch >= '0' && ch <= '9');
		if (!ok)
			return 0;
	}
	return 1;
}

/* --- metadata ------------------------------------------------------------ */

/* A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, n bytes long. */
int br__slo_dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* A DNS-1123 subdomain: labels joined by dots, at most 253 bytes. */
int br__slo_dns_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (const char *p = s;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!br__slo_dns_label(p, len))
			return 0;
		if (!dot)
			return 1;
		p = dot + 1;
	}
}

char *br__slo_namespace(struct br__slo_ctx *c, const json_t *meta)
{
	const json_t *v = br__slo_member(c, meta, "metadata", "namespace", BR__SLO_STRING, 0);
	char *ns = v ? br__slo_strdup(c, v, "metadata.namespace") : strdup("default");

	if (!ns && !v)
		c->nomem = 1;
	if (v && ns && !br__slo_dns_label(ns, strlen(ns)))
		br__slo_problem(c, v, "metadata.namespace",
				"must be a DNS-1123 label (lowercase letters, digits and '-', "
				"at most 63 characters), got \"%.300s\"", ns);
	return ns;
}

static char *required_string(struct br__slo_ctx *c, const json_t *obj, const char *path,
			     const char *key)
{
	const json_t *v = br__slo_member(c, obj, path, key, BR__SLO_STRING, 1);
	char field[256];

	return v ? br__slo_strdup(c, v, br__slo_path(path, key, field, sizeof(field))) : NULL;
}

static void parse_metadata(struct br__slo_ctx *c, const json_t *doc, struct br_slo *out)
{
	const json_t *meta = br__slo_member(c, doc, "", "metadata", BR__SLO_OBJECT, 1);
	const json_t *v;

	if (!meta)
		return;
	out->name = required_string(c, meta, "metadata", "name");
	if (out->name && !br__slo_dns_subdomain(out->name))
		br__slo_problem(c, json_object_get(meta, "name"), "metadata.name",
				"must be a DNS-1123 subdomain (lowercase letters, digits, '-' "
				"and '.', starting and ending with a letter or digit, at most "
				"253 characters), got \"%.300s\"", out->name);
	out->namespace = br__slo_namespace(c, meta);
	v = br__slo_member(c, meta, "metadata", "uid", BR__SLO_STRING, 0);
	if (v)
		out->uid = br__slo_strdup(c, v, "metadata.uid");
	v = br__slo_member(c, meta, "metadata", "generation", BR__SLO_INT, 0);
	if (v)
		out->generation = json_integer_value(v);
}

/* As the API server's strict decoding: status is the server's, the rest
 * would be a typo. */
static const char *const top_fields[] = {"apiVersion", "kind", "metadata", "spec",
					 "status", NULL};

void br__slo_check_top(struct br__slo_ctx *c, const json_t *doc, const char *kind)
{
	const json_t *v;

	br__slo_check_fields(c, doc, "", top_fields);
	v = br__slo_member(c, doc, "", "apiVersion", BR__SLO_STRING, 1);
	if (v && strcmp(json_string_value(v), BR_SLO_API_VERSION) != 0)
		br__slo_problem(c, v, "apiVersion", "must be %s, got \"%.300s\"",
				BR_SLO_API_VERSION, json_string_value(v));
	v = br__slo_member(c, doc, "", "kind", BR__SLO_STRING, 1);
	if (v && strcmp(json_string_value(v), kind) != 0)
		br__slo_problem(c, v, "kind", "must be %s, got \"%.300s\"", kind,
				json_string_value(v));
}

/* --- spec ---------------------------------------------------------------- */

/* A string that is written as a Prometheus label value. */
static char *label_value(struct br__slo_ctx *c, const json_t *obj, const char *path,
			 const char *key, int required)
{
	const json_t *v = br__slo_member(c, obj, path, key, BR__SLO_STRING, required);
	char field[256];
	const char *s;

	if (!v)
		return NULL;
	br__slo_path(path, key, field, sizeof(field));
	s = json_string_value(v);
	if (!*s)
		br__slo_problem(c, v, field, "must not be empty");
	else if (strpbrk(s, "\r\n"))
		br__slo_problem(c, v, field, "must not contain a line break");
	else
		return br__slo_strdup(c, v, field);
	return NULL;
}

static int parse_objective(struct br__slo_ctx *c, const json_t *spec, struct br_slo *out)
{
	const json_t *v = br__slo_member(c, spec, "spec", "objective", BR__SLO_NUMBER, 1);
	double o;

	if (!v)
		return 0;
	o = json_number_value(v);
	if (!(o > 0 && o < 100) || !isfinite(o)) {
		br__slo_problem(c, v, "spec.objective",
				"must be greater than 0 and less than 100, got %g", o);
		return 0;
	}
	out->objective = o;
	return 1;
}

static int parse_window(struct br__slo_ctx *c, const json_t *spec, struct br_slo *out)
{
	const json_t *v = br__slo_member(c, spec, "spec", "window", BR__SLO_STRING, 0);
	char text[32];
	long long s;

	out->window_s = 30 * 86400LL;
	if (!v)
		return !br__slo_present(spec, "window");
	if (br_duration_parse(json_string_value(v), &s) != 0) {
		br__slo_problem(c, v, "spec.window",
				"invalid duration \"%.100s\" (use whole numbers with units "
				"s, m, h, d, w, largest first, such as 30d or 4w)",
				json_string_value(v));
		return 0;
	}
	if (s < MIN_WINDOW || s > MAX_WINDOW) {
		br__slo_problem(c, v, "spec.window", "must be between 1d and 90d, got %s",
				br_duration_format(s, text, sizeof(text)));
		return 0;
	}
	out->window_s = s;
	return 1;
}

/* A guard that counts events cannot work on a raw error ratio. */
static int countable(struct br__slo_ctx *c, const json_t *v, const char *field,
		     const struct br_slo *out)
{
	if (out->indicator != BR_INDICATOR_RAW)
		return 1;
	br__slo_problem(c, v, field, "cannot be used with a raw indicator: burnrate cannot "
			"count the events of a raw error ratio");
	return 0;
}

static void parse_traffic(struct br__slo_ctx *c, const json_t *spec, struct br_slo *out)
{
	static const char *const fields[] = {"minEvents", "confidence",
					     "expectedEventsPerDay", NULL};
	const json_t *traffic = br__slo_member(c, spec, "spec", "traffic", BR__SLO_OBJECT, 0);
	const json_t *v;
	double d;

	if (!traffic)
		return;
	br__slo_check_fields(c, traffic, "spec.traffic", fields);
	v = br__slo_member(c, traffic, "spec.traffic", "minEvents", BR__SLO_INT, 0);
	if (v && json_integer_value(v) < 0)
		br__slo_problem(c, v, "spec.traffic.minEvents",
				"must be 0 or more, got %" JSON_INTEGER_FORMAT,
				json_integer_value(v));
	else if (v && countable(c, v, "spec.traffic.minEvents", out))
		out->min_events = json_integer_value(v);
	v = br__slo_member(c, traffic, "spec.traffic", "confidence", BR__SLO_NUMBER, 0);
	d = v ? json_number_value(v) : 0;
	if (v && !(d > 50 && d < 100))
		br__slo_problem(c, v, "spec.traffic.confidence",
				"must be a percentage greater than 50 and less than 100 "
				"(e.g. 95), got %g", d);
	else if (v && countable(c, v, "spec.traffic.confidence", out))
		out->confidence = d;
	v = br__slo_member(c, traffic, "spec.traffic", "expectedEventsPerDay", BR__SLO_NUMBER, 0);
	d = v ? json_number_value(v) : 0;
	if (v && !(d > 0 && isfinite(d)))
		br__slo_problem(c, v, "spec.traffic.expectedEventsPerDay",
				"must be a number of events greater than 0, got %g", d);
	else if (v)
		out->expected_events_per_day = d;
}

/* Parses selector field key of obj into sel. Returns 1 when it was given. */
static int selector(struct br__slo_ctx *c, const json_t *obj, const char *path,
		    const char *key, int required, struct br_selector *sel)
{
	const json_t *v = br__slo_member(c, obj, path, key, BR__SLO_STRING, required);
	char field[256];
	struct br_error err;
	int rc;

	if (!v)
		return br__slo_present(obj, key);
	br__slo_path(path, key, field, sizeof(field));
	br_error_init(&err);
	if (strlen(json_string_value(v)) != json_string_length(v))
		br__slo_problem(c, v, field, "must not contain a NUL character");
	else if ((rc = br_selector_parse(json_string_value(v), field, sel, &err)) != 0)
		br__slo_add_error(c, v, rc, &err);
	return 1;
}

static void parse_ratio(struct br__slo_ctx *c, const json_t *ratio, struct br_slo *out)
{
	static const char *const fields[] = {"errors", "good", "total", NULL};
	const char *path = "spec.indicator.ratio";
	int has_errors, has_good;

	br__slo_check_fields(c, ratio, path, fields);
	has_errors = selector(c, ratio, path, "errors", 0, &out->errors);
	has_good = selector(c, ratio, path, "good", 0, &out->good);
	selector(c, ratio, path, "total", 1, &out->total);
	out->ratio_has_good = has_good && !has_errors;
	if (has_errors == has_good)
		br__slo_problem(c, ratio, path, "exactly one of errors or good is required, "
				"found %s", has_errors ? "both" : "neither");
}

void br__slo_parse_histogram(struct br__slo_ctx *c, const json_t *obj, const char *path,
			     struct br_selector *out)
{
	static const char *const suffixes[] = {"_bucket", "_count", "_sum"};
	const json_t *v = json_object_get(obj, "histogram");
	char field[128];
	const char *m;

	br__slo_path(path, "histogram", field, sizeof(field));
	selector(c, obj, path, "histogram", 1, out);
	m = out->metric;
	if (!out->matchers && !m)
		return;
	if (!m)
		br__slo_problem(c, v, field, "needs a metric name (the _bucket and _count series "
				"are derived from it)");
	for (size_t i = 0; m && i < 3; i++) {
		size_t n = strlen(m), k = strlen(suffixes[i]);
		if (n > k && strcmp(m + n - k, suffixes[i]) == 0)
			br__slo_problem(c, v, field, "give the histogram's base name without %s "
					"(burnrate adds _bucket and _count itself), got %.200s",
					suffixes[i], m);
	}
	for (size_t i = 0; i < out->count; i++)
		if (strcmp(out->matchers[i].name, "le") == 0)
			br__slo_problem(c, v, field, "must not match on le: use threshold");
}

static void parse_latency(struct br__slo_ctx *c, const json_t *lat, struct br_slo *out)
{
	static const char *const fields[] = {"histogram", "threshold", NULL};
	const char *path = "spec.indicator.latency";
	const json_t *v;

	br__slo_check_fields(c, lat, path, fields);
	br__slo_parse_histogram(c, lat, path, &out->histogram);
	v = br__slo_member(c, lat, path, "threshold", BR__SLO_NUMBER, 1);
	if (v && !(json_number_value(v) > 0 && isfinite(json_number_value(v))))
		br__slo_problem(c, v, "spec.indicator.latency.threshold",
				"must be a positive number of seconds, got %g",
				json_number_value(v));
	else if (v)
		out->threshold_s = json_number_value(v);
}

static void parse_raw(struct br__slo_ctx *c, const json_t *raw, struct br_slo *out)
{
	static const char *const fields[] = {"errorRatio", NULL};
	const char *path = "spec.indicator.raw";
	const json_t *v;

	br__slo_check_fields(c, raw, path, fields);
	v = br__slo_member(c, raw, path, "errorRatio", BR__SLO_STRING, 1);
	if (!v)
		return;
	if (!*json_string_value(v))
		br__slo_problem(c, v, "spec.indicator.raw.errorRatio", "must not be empty");
	else if (!strstr(json_string_value(v), "$window"))
		br__slo_problem(c, v, "spec.indicator.raw.errorRatio",
				"must contain $window where the range goes, as in "
				"rate(errors[$window]) / rate(total[$window])");
	else
		out->raw_error_ratio = br__slo_strdup(c, v, "spec.indicator.raw.errorRatio");
}

static void parse_indicator(struct br__slo_ctx *c, const json_t *spec, struct br_slo *out)
{
	static const char *const kinds[] = {"ratio", "latency", "raw", "timeSlice", NULL};
	const json_t *ind = br__slo_member(c, spec, "spec", "indicator", BR__SLO_OBJECT, 1);
	const json_t *found[4] = {NULL};
	char names[64] = "";
	int n = 0;

	if (!ind)
		return;
	br__slo_check_fields(c, ind, "spec.indicator", kinds);
	for (int i = 0; i < 4; i++) {
		if (!br__slo_present(ind, kinds[i]))
			continue;
		found[i] = br__slo_member(c, ind, "spec.indicator", kinds[i], BR__SLO_OBJECT, 0);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 n ? ", " : "", kinds[i]);
		n++;
	}
	if (n != 1) {
		br__slo_problem(c, ind, "spec.indicator",
				"exactly one of ratio, latency, raw or timeSlice is required, "
				"found %d%s%s",
				n, n ? ": " : "", names);
		return;
	}
	if (found[0]) {
		out->indicator = BR_INDICATOR_RATIO;
		parse_ratio(c, found[0], out);
	} else if (found[1]) {
		out->indicator = BR_INDICATOR_LATENCY;
		parse_latency(c, found[1], out);
	} else if (found[2]) {
		out->indicator = BR_INDICATOR_RAW;
		parse_raw(c, found[2], out);
	} else if (found[3]) {
		out->indicator = BR_INDICATOR_TIMESLICE;
		br__slo_parse_timeslice(c, found[3], out);
	}
}

/* A time-slice SLO's windows must hold whole slices: every short window of
 * an enabled row at least one slice (a 5m window of 10m slices would read
 * a slice now and then, not a rate). */
static void check_slices(struct br__slo_ctx *c, const json_t *spec, struct br_slo *out)
{
	char sw[32], sl[32];

	if (out->indicator != BR_INDICATOR_TIMESLICE)
		return;
	for (size_t i = 0; i < out->window_count; i++) {
		const struct br_alert_window *w = &out->windows[i];
		int off = w->severity == BR_SEVERITY_PAGE ? out->page.disabled
							  : out->ticket.disabled;
		if (!off && w->short_s < out->slice_s) {
			br__slo_problem(c,
					json_object_get(json_object_get(spec, "indicator"),
							"timeSlice"),
					"spec.indicator.timeSlice.slice",
					"%s is longer than the %s short window of a %s row: "
					"every window must hold at least one slice",
					br_duration_format(out->slice_s, sl, sizeof(sl)),
					br_duration_format(w->short_s, sw, sizeof(sw)),
					w->severity == BR_SEVERITY_PAGE ? "page" : "ticket");
			return;
		}
	}
}

static void parse_spec(struct br__slo_ctx *c, const json_t *spec, struct br_slo *out)
{
	static const char *const fields[] = {"service", "description", "objective", "window",
					     "indicator", "traffic", "alerting", NULL};
	const json_t *v;
	int objective_ok, window_ok;

	br__slo_check_fields(c, spec, "spec", fields);
	out->service = label_value(c, spec, "spec", "service", 1);
	v = br__slo_member(c, spec, "spec", "description", BR__SLO_STRING, 0);
	if (v)
		out->description = br__slo_strdup(c, v, "spec.description");
	objective_ok = parse_objective(c, spec, out);
	window_ok = parse_window(c, spec, out);
	parse_indicator(c, spec, out);
	parse_traffic(c, spec, out);
	br__slo_parse_alerting(c, br__slo_member(c, spec, "spec", "alerting", BR__SLO_OBJECT, 0),
			       spec, out, window_ok, objective_ok);
	check_slices(c, spec, out);
}

char *br__slo_label_value(struct br__slo_ctx *c, const json_t *obj, const char *path,
			  const char *key)
{
	return label_value(c, obj, path, key, 0);
}

int br_slo_parse(const json_t *doc, const struct br_yaml_marks *marks,
		 const char *file, struct br_slo *out,
		 struct br_problems *problems)
{
	struct br__slo_ctx c = {marks, file, problems, 0, 0};
	const json_t *spec;

	br_slo_init(out);
	if (!json_is_object(doc)) {
		br__slo_problem(&c, doc, "", "a ServiceLevelObjective must be an object");
		return BR_EINVAL;
	}
	br__slo_check_top(&c, doc, BR_SLO_KIND);
	parse_metadata(&c, doc, out);
	spec = br__slo_member(&c, doc, "", "spec", BR__SLO_OBJECT, 1);
	if (spec)
		parse_spec(&c, spec, out);
	if (c.nomem || c.count) {
		br_slo_release(out);
		return c.nomem ? BR_ENOMEM : BR_EINVAL;
	}
	return 0;
}
