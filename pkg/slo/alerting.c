/* alerting: spec.alerting (alert name, labels, annotations, routes) and the
 * alert table, default or overridden, with the checks that refuse tables
 * that cannot work. */
#include "slo/slo.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "slo/internal.h"

#define MIN_SHORT 60LL

/* Labels burnrate writes itself: a spec may not override them, or alerts
 * would escape their routes or collide with another SLO's. */
static const char *const owned_labels[] = {
	"slo", "slo_namespace", "severity", "burnrate_severity", "burnrate_receiver",
	"service", "alertname", NULL,
};

static const char *const severity_names[] = {"page", "ticket"};

/* "checkout-availability" -> "CheckoutAvailability". Names that start with a
 * digit get "Slo" in front so the result is a valid alert name. */
static char *camel_case(const char *name)
{
	struct br_buf b;
	int upper = 1;
	int rc;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	rc = isdigit((unsigned char)name[0]) ? br_buf_adds(&b, "Slo") : 0;
	for (const char *p = name; rc == 0 && *p; p++) {
		if (*p == '-' || *p == '.') {
			upper = 1;
			continue;
		}
		rc = br_buf_addc(&b, upper ? (char)toupper((unsigned char)*p) : *p);
		upper = 0;
	}
	return rc == 0 && b.data ? br_buf_detach(&b) : (br_buf_release(&b), NULL);
}

static void parse_name(struct br__slo_ctx *c, const json_t *alerting, struct br_slo *out)
{
	const json_t *v = br__slo_member(c, alerting, "spec.alerting", "name", BR__SLO_STRING, 0);

	if (v) {
		if (!br__slo_valid_name(json_string_value(v), 1))
			br__slo_problem(c, v, "spec.alerting.name",
					"must be a valid Prometheus alert name "
					"([a-zA-Z_:][a-zA-Z0-9_:]*), got \"%.200s\"",
					json_string_value(v));
		else
			out->alert_name = br__slo_strdup(c, v, "spec.alerting.name");
	} else if (out->name) {
		out->alert_name = camel_case(out->name);
		if (!out->alert_name)
			c->nomem = 1;
	}
}

static int owned(const char *name)
{
	if (strncmp(name, "__", 2) == 0)
		return 1;
	for (size_t i = 0; owned_labels[i]; i++)
		if (strcmp(owned_labels[i], name) == 0)
			return 1;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct br_label *)a)->name, ((const struct br_label *)b)->name);
}

/* Is the name of a label or annotation acceptable? Records why not. The
 * length comes first: a megabyte of name is refused without being read. */
static int check_label_name(struct br__slo_ctx *c, const json_t *where, const char *field,
			    const char *name, int check_owned)
{
	size_t n = strlen(name);

	if (n > BR_SLO_MAX_LABEL_NAME)
		n = br_slo_utf8_length(name, n);
	if (n > BR_SLO_MAX_LABEL_NAME)
		br__slo_problem(c, where, field, "name must be at most %d characters, got %zu",
				BR_SLO_MAX_LABEL_NAME, n);
	else if (!br__slo_valid_name(name, 0))
		br__slo_problem(c, where, field,
				"is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)");
	else if (check_owned && owned(name))
		br__slo_problem(c, where, field, "is set by burnrate and cannot be overridden "
				"(owned: slo, slo_namespace, severity, burnrate_severity, "
				"burnrate_receiver, service, alertname, and names starting with "
				"__)");
	else
		return 1;
	return 0;
}

/* labels or annotations: an object of strings, names valid label names.
 * check_owned refuses the labels burnrate writes itself. */
static void parse_map(struct br__slo_ctx *c, const json_t *alerting, const char *key,
		      int check_owned, struct br_labels *out)
{
	char path[64], schema[80], field[320];
	const json_t *obj;
	const char *name;
	json_t *v;

	br__slo_path("spec.alerting", key, path, sizeof(path));
	snprintf(schema, sizeof(schema), "%s.*", path);
	obj = br__slo_member(c, alerting, "spec.alerting", key, BR__SLO_OBJECT, 0);
	if (!obj || json_object_size(obj) == 0)
		return;
	out->items = calloc(json_object_size(obj), sizeof(*out->items));
	if (!out->items) {
		c->nomem = 1;
		return;
	}
	json_object_foreach((json_t *)obj, name, v) {
		const json_t *where = br__slo_at(v, obj);

		snprintf(field, sizeof(field), "%s.%.200s", path, name);
		if (!check_label_name(c, where, field, name, check_owned))
			continue;
		if (!json_is_string(v))
			br__slo_problem(c, where, field, "must be a string");
		else if (br__slo_check_length(c, v, schema, field)) {
			struct br_label *l = &out->items[out->count];

			/* only complete items are kept: the sort reads them.
			   br__slo_strdup has recorded why it failed. */
			l->value = br__slo_strdup(c, v, field);
			if (!l->value)
				continue;
			l->name = strdup(name);
			if (!l->name) {
				free(l->value);
				l->value = NULL;
				c->nomem = 1;
				continue;
			}
			out->count++;
		}
	}
	qsort(out->items, out->count, sizeof(*out->items), by_name);
}

/* on_by_default: whether the severity is on when spec.alerting does not
 * mention it (the preset's pages_by_default for page). */
static void parse_route(struct br__slo_ctx *c, const json_t *alerting,
			enum br_severity sev, int on_by_default, struct br_route *out)
{
	static const char *const fields[] = {"receiver", "severity", "disabled", NULL};
	static const char *const defaults[] = {"critical", "warning"};
	const char *key = severity_names[sev];
	char path[64];
	const json_t *route = NULL, *v;

	br__slo_path("spec.alerting", key, path, sizeof(path));
	if (alerting)
		route = br__slo_member(c, alerting, "spec.alerting", key, BR__SLO_OBJECT, 0);
	if (route) {
		br__slo_check_fields(c, route, path, fields);
		out->receiver = br__slo_label_value(c, route, path, "receiver");
		out->severity = br__slo_label_value(c, route, path, "severity");
		v = br__slo_member(c, route, path, "disabled", BR__SLO_BOOL, 0);
		out->disabled = v && json_is_true(v);
	} else {
		out->disabled = !on_by_default;
	}
	/* an invalid severity has its problem: no default hides it */
	if (!out->severity && !(route && br__slo_present(route, "severity"))) {
		out->severity = strdup(defaults[sev]);
		if (!out->severity)
			c->nomem = 1;
	}
}

/* --- The alert table ----------------------------------------------------- */

static int duration_field(struct br__slo_ctx *c, const json_t *row, const char *path,
			  const char *key, int required, long long *out)
{
	const json_t *v = br__slo_member(c, row, path, key, BR__SLO_STRING, required);
	char field[96];

	if (!v)
		return 0;
	if (br_duration_parse(json_string_value(v), out) != 0) {
		br__slo_problem(c, v, br__slo_path(path, key, field, sizeof(field)),
				"invalid duration \"%.100s\"", json_string_value(v));
		return -1;
	}
	return 1;
}

static int parse_severity(struct br__slo_ctx *c, const json_t *row, const char *path,
			  enum br_severity *sev)
{
	const json_t *v = br__slo_member(c, row, path, "severity", BR__SLO_STRING, 1);
	char field[96];

	if (!v)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (strcmp(json_string_value(v), severity_names[i]) == 0) {
			*sev = (enum br_severity)i;
			return 1;
		}
	}
	br__slo_problem(c, v, br__slo_path(path, "severity", field, sizeof(field)),
			"must be page or ticket, got \"%.100s\"", json_string_value(v));
	return 0;
}

/* burnRate or budgetPercent, exactly one. Needs the window for the other. */
static int parse_rate(struct br__slo_ctx *c, const json_t *row, const char *path,
		      long long window_s, struct br_alert_window *w)
{
	const json_t *f = br__slo_member(c, row, path, "burnRate", BR__SLO_NUMBER, 0);
	const json_t *b = br__slo_member(c, row, path, "budgetPercent", BR__SLO_NUMBER, 0);
	char field[96];

	if (!f == !b) {
		br__slo_problem(c, row, path, "exactly one of burnRate or budgetPercent is "
				"required, found %s", f ? "both" : "neither");
		return 0;
	}
	if (f && !(json_number_value(f) > 0 && isfinite(json_number_value(f)))) {
		br__slo_problem(c, f, br__slo_path(path, "burnRate", field, sizeof(field)),
				"must be greater than 0, got %g", json_number_value(f));
		return 0;
	}
	if (b && !(json_number_value(b) > 0 && json_number_value(b) <= 100)) {
		br__slo_problem(c, b, br__slo_path(path, "budgetPercent", field, sizeof(field)),
				"must be greater than 0 and at most 100, got %g",
				json_number_value(b));
		return 0;
	}
	if (f) {
		w->burn_rate = json_number_value(f);
		w->budget_percent = br__slo_budget_percent(w->burn_rate, window_s, w->long_s);
	} else {
		w->budget_percent = json_number_value(b);
		w->burn_rate = br__slo_burn_rate(w->budget_percent, window_s, w->long_s);
	}
	return 1;
}

/* One row of spec.alerting.windows. Returns 1 when it is valid. */
static int parse_row(struct br__slo_ctx *c, const json_t *row, const char *path,
		     long long window_s, struct br_alert_window *w)
{
	static const char *const fields[] = {"severity", "long", "short", "burnRate",
					     "budgetPercent", NULL};
	char text[2][32], field[96];
	int ok, has_long, has_short;

	br__slo_check_fields(c, row, path, fields);
	ok = parse_severity(c, row, path, &w->severity);
	has_long = duration_field(c, row, path, "long", 1, &w->long_s);
	has_short = duration_field(c, row, path, "short", 0, &w->short_s);
	if (has_long != 1 || has_short < 0)
		return 0;
	if (has_short == 0)
		w->short_s = w->long_s / 12;
	if (w->short_s >= w->long_s)
		ok = 0, br__slo_problem(c, row, br__slo_path(path, "short", field, sizeof(field)),
					"must be shorter than the long window %s, got %s",
					br_duration_format(w->long_s, text[0], 32),
					br_duration_format(w->short_s, text[1], 32));
	else if (w->short_s < MIN_SHORT)
		ok = 0, br__slo_problem(c, row, br__slo_path(path, "short", field, sizeof(field)),
					"must be at least 1m (Prometheus needs several samples), "
					"got %s",
					br_duration_format(w->short_s, text[0], 32));
	if (w->long_s > window_s)
		ok = 0, br__slo_problem(c, row, br__slo_path(path, "long", field, sizeof(field)),
					"must not be longer than the SLO window %s, got %s",
					br_duration_format(window_s, text[0], 32),
					br_duration_format(w->long_s, text[1], 32));
	return parse_rate(c, row, path, window_s, w) && ok;
}

static int by_severity(const void *a, const void *b)
{
	const struct br_alert_window *x = a, *y = b;

	if (x->severity != y->severity)
		return (int)x->severity - (int)y->severity;
	return (x->long_s > y->long_s) - (x->long_s < y->long_s);
}

static const struct br_route *route_of(const struct br_slo *slo, enum br_severity sev)
{
	return sev == BR_SEVERITY_PAGE ? &slo->page : &slo->ticket;
}

/* spec's member key, or spec itself when it has none: where a problem of the
 * default table points (its only causes are the window and the objective). */
static const json_t *spec_member(const json_t *spec, const char *key)
{
	const json_t *v = json_object_get(spec, key);
	return v ? v : spec;
}

/* The checks every row must pass when its severity is enabled. node and
 * field locate the row: an override's row, or spec for the default table. */
static void check_row(struct br__slo_ctx *c, const json_t *node, const char *field,
		      const struct br_alert_window *w, const struct br_slo *out,
		      int is_default, int objective_ok)
{
	const char *sev = severity_names[w->severity];
	double eb = br_slo_error_budget(out);
	char l[32], s[32], t[32];

	if (route_of(out, w->severity)->disabled)
		return;
	br_duration_format(w->long_s, l, sizeof(l));
	br_duration_format(w->short_s, s, sizeof(s));
	if (is_default && w->short_s < MIN_SHORT)
		br__slo_problem(c, spec_member(node, "window"), "spec.window",
				"window %s is too short for the default alert table: the "
				"%s alert over %s would use a short window of %s, under 1m; "
				"use a longer window or set spec.alerting.windows",
				br_duration_format(out->window_s, t, sizeof(t)), sev, l, s);
	if (objective_ok && w->burn_rate * eb >= 1)
		br__slo_problem(c, is_default ? spec_member(node, "objective") : node,
				is_default ? "spec.objective" : field,
				"the %s/%s %s alert can never fire: burn rate %g x error "
				"budget %g = %g >= 1; lower the burn rate or disable %s "
				"alerts (spec.alerting.%s.disabled)", l, s, sev,
				w->burn_rate, eb, w->burn_rate * eb, sev, sev);
}

/* The override. Sets out->windows, sorted; returns 1 when every row is valid. */
static int parse_windows(struct br__slo_ctx *c, const json_t *list, struct br_slo *out,
			 int objective_ok)
{
	size_t n = json_array_size(list);
	int ok = 1;

	if (n == 0) {
		br__slo_problem(c, list, "spec.alerting.windows",
				"must have at least one row (leave it out for the default table)");
		return 0;
	}
	out->windows = calloc(n, sizeof(*out->windows));
	if (!out->windows) {
		c->nomem = 1;
		return 0;
	}
	out->window_count = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *row = json_array_get(list, i);
		char path[64];

		snprintf(path, sizeof(path), "spec.alerting.windows[%zu]", i);
		if (!json_is_object(row)) {
			br__slo_problem(c, row, path, "must be an object");
			ok = 0;
		} else if (!parse_row(c, row, path, out->window_s, &out->windows[i]))
			ok = 0;
		else
			check_row(c, row, path, &out->windows[i], out, 0, objective_ok);
	}
	qsort(out->windows, n, sizeof(*out->windows), by_severity);
	return ok;
}

static void resolve_windows(struct br__slo_ctx *c, const json_t *alerting,
			    const json_t *spec, struct br_slo *out, int window_ok,
			    int objective_ok)
{
	const json_t *list = NULL;

	if (alerting)
		list = br__slo_member(c, alerting, "spec.alerting", "windows", BR__SLO_LIST, 0);
	if (!window_ok)
		return;
	if (list) {
		parse_windows(c, list, out, objective_ok);
		return;
	}
	out->windows = calloc(out->preset->count, sizeof(*out->windows));
	if (!out->windows) {
		c->nomem = 1;
		return;
	}
	out->window_count = out->preset->count;
	br_slo_preset_windows(out->preset, out->window_s, out->windows);
	for (size_t i = 0; i < out->window_count; i++)
		check_row(c, spec, "spec.window", &out->windows[i], out, 1, objective_ok);
}

/* spec.alerting.preset; the default preset when absent or invalid. */
static void parse_preset(struct br__slo_ctx *c, const json_t *alerting, struct br_slo *out)
{
	const json_t *v = NULL;
	size_t n;
	const struct br_slo_preset *all = br_slo_presets(&n);
	struct br_buf names;

	out->preset = &all[0];
	if (alerting)
		v = br__slo_member(c, alerting, "spec.alerting", "preset", BR__SLO_STRING, 0);
	if (!v)
		return;
	out->preset = br_slo_preset_find(json_string_value(v));
	if (out->preset)
		return;
	out->preset = &all[0];
	br_buf_init(&names, BR_BUF_MAX_DEFAULT);
	for (size_t i = 0; i < n; i++)
		br_buf_addf(&names, "%s%s", i ? ", " : "", all[i].name);
	br__slo_problem(c, v, "spec.alerting.preset", "unknown preset \"%.100s\" (one of: %s)",
			json_string_value(v), names.data ? br_buf_str(&names) : "?");
	br_buf_release(&names);
}

void br__slo_parse_alerting(struct br__slo_ctx *c, const json_t *alerting,
			    const json_t *spec, struct br_slo *out, int window_ok,
			    int objective_ok)
{
	static const char *const fields[] = {"name", "labels", "annotations", "page",
					     "ticket", "windows", "preset", "offPeak", NULL};

	if (alerting) {
		br__slo_check_fields(c, alerting, "spec.alerting", fields);
		parse_name(c, alerting, out);
		parse_map(c, alerting, "labels", 1, &out->labels);
		parse_map(c, alerting, "annotations", 0, &out->annotations);
	} else if (out->name) {
		out->alert_name = camel_case(out->name);
		if (!out->alert_name)
			c->nomem = 1;
	}
	parse_preset(c, alerting, out);
	parse_route(c, alerting, BR_SEVERITY_PAGE, out->preset->pages_by_default, &out->page);
	parse_route(c, alerting, BR_SEVERITY_TICKET, 1, &out->ticket);
	resolve_windows(c, alerting, spec, out, window_ok, objective_ok);
	br__slo_parse_off_peak(c, alerting, out);
}
