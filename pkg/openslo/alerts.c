/* alerts: OpenSLO AlertPolicies and AlertConditions of kind burnrate into
 * the rows of spec.alerting.windows and the receivers of each severity.
 *
 * A condition "burn rate gt T over lookbackWindow L" is burnrate's row of
 * long window L and burn rate T. burnrate pairs every long window with a
 * short one (L/12, or the condition's burnrate.dev/short-window annotation)
 * that ends the alert soon after recovery; its alerts have no `for`, so only
 * alertAfter 0 (the OpenSLO default) maps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openslo/internal.h"
#include "slo/slo.h"

static const char *const sev_names[] = {"page", "ticket"};

/* What one policy contributes: a row, its severity, its receiver. */
struct os_policy {
	json_t *row;
	int severity;              /* 0 page, 1 ticket, -1 unknown */
	const json_t *receiver;    /* a string node, or NULL for the default */
};

/* An inline object's kind, when it gives one, must be kind. */
static int check_inline_kind(struct br__openslo_ctx *c, const json_t *obj, const char *path,
			     const char *kind)
{
	const json_t *k = br__openslo_member(c, obj, path, "kind", BR__OPENSLO_STRING, 0);
	char field[256];

	if (!k || strcmp(json_string_value(k), kind) == 0)
		return 1;
	br__openslo_problem(c, k, br__openslo_path(path, "kind", field, sizeof(field)), "must be "
			    "%s, got \"%.100s\"", kind, json_string_value(k));
	return 0;
}

static long long duration_of(struct br__openslo_ctx *c, const json_t *v, const char *field)
{
	char why[256] = "";
	long long s;

	if (br__openslo_duration(json_string_value(v), &s, why, sizeof(why)) != 0) {
		br__openslo_problem(c, v, field, "%s", why);
		return -1;
	}
	return s;
}

/* The short window from the condition's annotation, 0 when not given. */
static long long short_window(struct br__openslo_ctx *c, const json_t *cond, const char *path)
{
	const json_t *ann = json_object_get(json_object_get(cond, "metadata"), "annotations");
	const json_t *v = json_object_get(ann, BR_OPENSLO_ANN_SHORT);
	char field[256];
	long long s;

	snprintf(field, sizeof(field), "%s.metadata.annotations.%s", path, BR_OPENSLO_ANN_SHORT);
	if (!v)
		return 0;
	if (!json_is_string(v)) {
		br__openslo_problem(c, ann, field, "must be a duration string");
		return -1;
	}
	s = duration_of(c, v, field);
	if (s == 0) {
		br__openslo_problem(c, v, field, "must be longer than 0");
		return -1;
	}
	return s;
}

static int severity_of(struct br__openslo_ctx *c, const json_t *spec, const char *path)
{
	const json_t *v = br__openslo_member(c, spec, path, "severity", BR__OPENSLO_STRING, 1);
	char field[256];

	for (int i = 0; v && i < 2; i++)
		if (strcmp(json_string_value(v), sev_names[i]) == 0)
			return i;
	if (v)
		br__openslo_problem(c, v, br__openslo_path(path, "severity", field, sizeof(field)),
				    "must be page or ticket (burnrate's two severities), got "
				    "\"%.100s\"", json_string_value(v));
	return -1;
}

/* The burnrate row of condition.{kind, op, threshold, lookbackWindow,
 * alertAfter} under path, or NULL. */
static json_t *burn_row(struct br__openslo_ctx *c, const json_t *cond, const char *path,
			long long short_s, const char *sev)
{
	static const char *const fields[] = {"kind", "op", "threshold", "lookbackWindow",
					     "alertAfter", NULL};
	const json_t *k = br__openslo_member(c, cond, path, "kind", BR__OPENSLO_STRING, 0);
	const json_t *op = br__openslo_member(c, cond, path, "op", BR__OPENSLO_STRING, 1);
	const json_t *t = br__openslo_member(c, cond, path, "threshold", BR__OPENSLO_NUMBER, 1);
	const json_t *lw = br__openslo_member(c, cond, path, "lookbackWindow",
					      BR__OPENSLO_STRING, 1);
	const json_t *aa = br__openslo_member(c, cond, path, "alertAfter", BR__OPENSLO_STRING, 0);
	char field[256], l[32], s[32];
	long long long_s = -1, after = 0;

	br__openslo_check_fields(c, cond, path, fields, NULL);
	if (k && strcmp(json_string_value(k), "burnrate") != 0)
		br__openslo_problem(c, k, br__openslo_path(path, "kind", field, sizeof(field)),
				    "must be burnrate, got \"%.100s\"", json_string_value(k));
	if (op && strcmp(json_string_value(op), "gt") != 0)
		br__openslo_problem(c, op, br__openslo_path(path, "op", field, sizeof(field)),
				    "must be gt: burnrate's rows fire while the burn rate is "
				    "above the threshold (a > b), got \"%.20s\"",
				    json_string_value(op));
	if (t && !(json_number_value(t) > 0))
		br__openslo_problem(c, t, br__openslo_path(path, "threshold", field, sizeof(field)),
				    "must be a burn rate greater than 0, got %g",
				    json_number_value(t));
	if (lw && (long_s = duration_of(c, lw, br__openslo_path(path, "lookbackWindow", field,
								sizeof(field)))) == 0)
		br__openslo_problem(c, lw, field, "must be longer than 0");
	if (aa && (after = duration_of(c, aa, br__openslo_path(path, "alertAfter", field,
						       sizeof(field)))) > 0)
		br__openslo_problem(c, aa, field, "must be 0m (the default): burnrate's alerts "
				    "fire as soon as both windows burn, and its short window, "
				    "not a delay, guards against blips");
	if (!op || !t || long_s <= 0 || after != 0 || short_s < 0 || c->count)
		return NULL;
	br_duration_format(long_s, l, sizeof(l));
	if (short_s == 0)
		return json_pack("{s:s, s:s, s:f}", "severity", sev, "long", l, "burnRate",
				 json_number_value(t));
	return json_pack("{s:s, s:s, s:s, s:f}", "severity", sev, "long", l, "short",
			 br_duration_format(short_s, s, sizeof(s)), "burnRate",
			 json_number_value(t));
}

/* An AlertCondition object (inline or a document) under path. */
static void condition(struct br__openslo_ctx *c, const json_t *obj, const char *path,
		      struct os_policy *p)
{
	static const char *const fields[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const spec_fields[] = {"description", "severity", "condition", NULL};
	char spath[256], cpath[256];
	const json_t *spec, *cond;
	long long short_s;

	br__openslo_check_fields(c, obj, path, fields, NULL);
	if (!check_inline_kind(c, obj, path, "AlertCondition"))
		return;
	short_s = short_window(c, obj, path);
	br__openslo_path(path, "spec", spath, sizeof(spath));
	spec = br__openslo_member(c, obj, path, "spec", BR__OPENSLO_OBJECT, 1);
	if (!spec)
		return;
	br__openslo_check_fields(c, spec, spath, spec_fields, NULL);
	p->severity = severity_of(c, spec, spath);
	br__openslo_path(spath, "condition", cpath, sizeof(cpath));
	cond = br__openslo_member(c, spec, spath, "condition", BR__OPENSLO_OBJECT, 1);
	if (cond && p->severity >= 0)
		p->row = burn_row(c, cond, cpath, short_s, sev_names[p->severity]);
}

/* conditions: exactly one, inline or by conditionRef. */
/* The item of a list checked to hold one, with its field path into field;
 * NULL after a problem when it is not an object. */
static const json_t *only_object(struct br__openslo_ctx *c, const json_t *list,
				 const char *list_field, char *field, size_t size)
{
	const json_t *item = json_array_get(list, 0);

	br__openslo_index(list_field, 0, field, size);
	if (!json_is_object(item)) {
		br__openslo_problem(c, list, field, "must be an object");
		return NULL;
	}
	return item;
}

static void conditions(struct br__openslo_ctx *c, const json_t *spec, const char *path,
		       struct os_policy *p)
{
	const json_t *list = br__openslo_member(c, spec, path, "conditions", BR__OPENSLO_LIST, 1);
	const json_t *item, *ref;
	const struct br_openslo_doc *saved = c->doc, *d;
	char list_field[256], field[256], ref_field[256];

	if (!list)
		return;
	br__openslo_path(path, "conditions", list_field, sizeof(list_field));
	if (json_array_size(list) != 1) {
		br__openslo_problem(c, list, list_field, "must hold exactly one condition "
				    "(OpenSLO allows one; each burnrate row is one policy), found "
				    "%zu", json_array_size(list));
		return;
	}
	if ((item = only_object(c, list, list_field, field, sizeof(field))) == NULL)
		return;
	ref = br__openslo_member(c, item, field, "conditionRef", BR__OPENSLO_STRING, 0);
	if (!ref) {
		condition(c, item, field, p);
		return;
	}
	br__openslo_path(field, "conditionRef", ref_field, sizeof(ref_field));
	if ((d = br__openslo_ref(c, "AlertCondition", ref, ref_field)) == NULL)
		return;
	c->doc = d;
	condition(c, d->root, "", p);
	c->doc = saved;
}

/* notificationTargets: at most one; its name (or targetRef) is the
 * receiver. */
static void targets(struct br__openslo_ctx *c, const json_t *spec, const char *path,
		    struct os_policy *p)
{
	const json_t *list = br__openslo_member(c, spec, path, "notificationTargets",
						BR__OPENSLO_LIST, 0);
	const json_t *item, *meta;
	char list_field[256], field[256], mpath[256];

	if (!list || json_array_size(list) == 0)
		return;
	br__openslo_path(path, "notificationTargets", list_field, sizeof(list_field));
	if (json_array_size(list) > 1) {
		br__openslo_problem(c, list, list_field, "burnrate routes each severity to one "
				    "Alertmanager receiver: give at most one target, found %zu",
				    json_array_size(list));
		return;
	}
	if ((item = only_object(c, list, list_field, field, sizeof(field))) == NULL)
		return;
	p->receiver = br__openslo_member(c, item, field, "targetRef", BR__OPENSLO_STRING, 0);
	if (p->receiver || json_object_get(item, "targetRef") ||
	    !check_inline_kind(c, item, field, "AlertNotificationTarget"))
		return;
	br__openslo_path(field, "metadata", mpath, sizeof(mpath));
	meta = br__openslo_member(c, item, field, "metadata", BR__OPENSLO_OBJECT, 1);
	if (meta)
		p->receiver = br__openslo_member(c, meta, mpath, "name", BR__OPENSLO_STRING, 1);
}

static void flag(struct br__openslo_ctx *c, const json_t *spec, const char *path, const char *key,
		 int want, const char *why)
{
	const json_t *v = br__openslo_member(c, spec, path, key, BR__OPENSLO_BOOL, 0);
	char field[256];

	if (v && json_is_true(v) != want)
		br__openslo_problem(c, spec, br__openslo_path(path, key, field, sizeof(field)),
				    "must be %s: %s", want ? "true" : "false", why);
}

/* An AlertPolicy object (inline or a document) under path. */
static void policy(struct br__openslo_ctx *c, const json_t *obj, const char *path,
		   struct os_policy *p)
{
	static const char *const fields[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const spec_fields[] = {"description", "alertWhenNoData",
		"alertWhenResolved", "alertWhenBreaching", "conditions", "notificationTargets",
		NULL};
	const json_t *spec;
	char spath[256];

	br__openslo_check_fields(c, obj, path, fields, NULL);
	if (!check_inline_kind(c, obj, path, "AlertPolicy"))
		return;
	br__openslo_path(path, "spec", spath, sizeof(spath));
	spec = br__openslo_member(c, obj, path, "spec", BR__OPENSLO_OBJECT, 1);
	if (!spec)
		return;
	br__openslo_check_fields(c, spec, spath, spec_fields, NULL);
	flag(c, spec, spath, "alertWhenNoData", 0, "burnrate never alerts on missing data "
	     "(zero traffic raises nothing)");
	flag(c, spec, spath, "alertWhenResolved", 0, "resolved notifications are the "
	     "Alertmanager receiver's setting (send_resolved)");
	flag(c, spec, spath, "alertWhenBreaching", 1, "a policy that does not alert when "
	     "breaching has no burnrate row");
	conditions(c, spec, spath, p);
	targets(c, spec, spath, p);
}

/* One item of spec.alertPolicies: inline, or by alertPolicyRef. */
static void policy_item(struct br__openslo_ctx *c, const json_t *item, const char *path,
			struct os_policy *p)
{
	const struct br_openslo_doc *saved = c->doc, *d;
	const json_t *ref;
	char field[256];

	if (!json_is_object(item)) {
		br__openslo_problem(c, item, path, "must be an object (an AlertPolicy, or "
				    "alertPolicyRef)");
		return;
	}
	ref = br__openslo_member(c, item, path, "alertPolicyRef", BR__OPENSLO_STRING, 0);
	if (!ref) {
		policy(c, item, path, p);
		return;
	}
	if (json_object_size(item) != 1)
		br__openslo_problem(c, item, path, "alertPolicyRef stands alone");
	br__openslo_path(path, "alertPolicyRef", field, sizeof(field));
	if ((d = br__openslo_ref(c, "AlertPolicy", ref, field)) == NULL)
		return;
	c->doc = d;
	policy(c, d->root, "", p);
	c->doc = saved;
}

/* Each severity's receiver must be one; sets page/ticket in alerting. */
static void routes(struct br__openslo_ctx *c, const struct os_policy *ps, const json_t *list,
		   json_t *alerting)
{
	for (int sev = 0; sev < 2; sev++) {
		const struct os_policy *first = NULL;
		json_t *route = json_object_get(alerting, sev_names[sev]);

		for (size_t i = 0; i < json_array_size(list); i++) {
			const struct os_policy *p = &ps[i];
			char field[96];
			const char *a, *b;

			if (p->severity != sev)
				continue;
			if (!first) {
				first = p;
				continue;
			}
			a = first->receiver ? json_string_value(first->receiver) : "";
			b = p->receiver ? json_string_value(p->receiver) : "";
			snprintf(field, sizeof(field), "spec.alertPolicies[%zu]", i);
			if (strcmp(a, b) != 0)
				br__openslo_problem(c, json_array_get(list, i), field, "every %s "
						    "policy must name the same notification "
						    "target (burnrate routes a severity to one "
						    "receiver): \"%s\" and \"%s\"", sev_names[sev],
						    a, b);
		}
		if (!route) {
			route = json_object();
			if (!route || json_object_set_new(alerting, sev_names[sev], route) != 0) {
				c->nomem = 1;
				return;
			}
		}
		if (!first)
			br__openslo_set(c, route, "disabled", json_true());
		else if (first->receiver)
			br__openslo_set(c, route, "receiver",
					json_incref((json_t *)first->receiver));
		if (json_object_size(route) == 0)
			json_object_del(alerting, sev_names[sev]);
	}
}

void br__openslo_alert_policies(struct br__openslo_ctx *c, const json_t *spec, json_t *alerting)
{
	const json_t *list = br__openslo_member(c, spec, "spec", "alertPolicies",
						BR__OPENSLO_LIST, 0);
	const json_t *item;
	struct os_policy *ps;
	json_t *windows;
	size_t i, n = json_array_size(list);
	char path[64], br[64];

	if (n == 0)
		return; /* burnrate's default alert table */
	ps = calloc(n, sizeof(*ps));
	windows = json_array();
	if (!ps || !windows) {
		c->nomem = 1;
		free(ps);
		json_decref(windows);
		return;
	}
	json_array_foreach(list, i, item) {
		ps[i].severity = -1;
		br__openslo_index("spec.alertPolicies", i, path, sizeof(path));
		policy_item(c, item, path, &ps[i]);
		if (ps[i].row) {
			snprintf(br, sizeof(br), "spec.alerting.windows[%zu]",
				 json_array_size(windows));
			br__openslo_origin(c, br, path, item);
			if (json_array_append_new(windows, ps[i].row) != 0)
				c->nomem = 1;
		}
	}
	routes(c, ps, list, alerting);
	br__openslo_set(c, alerting, "windows", windows);
	br__openslo_origin(c, "spec.alerting.windows", "spec.alertPolicies", list);
	br__openslo_origin(c, "spec.alerting.page", "spec.alertPolicies", list);
	br__openslo_origin(c, "spec.alerting.ticket", "spec.alertPolicies", list);
	free(ps);
}
