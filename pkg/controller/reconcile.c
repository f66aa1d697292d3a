/* Reconcile one SLO: desired PrometheusRule and status from the cached SLO,
 * compared with the caches, written only where they differ. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf/buf.h"
#include "internal.h"
#include "rules/rules.h"

#define FIELD_MANAGER "burnrate"
#define SLO_GROUP "burnrate.dev"
#define SLO_VERSION "v1alpha1"
#define SLO_PLURAL "servicelevelobjectives"

int br__controller_problems_message(const struct br_problems *p, struct br_buf *out)
{
	for (size_t i = 0; i < p->count; i++) {
		const struct br_error *e = &p->items[i];
		if (i > 0 && br_buf_adds(out, "; ") != 0)
			return BR_ENOMEM;
		if (e->field[0] && (br_buf_adds(out, e->field) != 0 ||
				    br_buf_adds(out, ": ") != 0))
			return BR_ENOMEM;
		if (br_buf_adds(out, e->text) != 0)
			return BR_ENOMEM;
	}
	return 0;
}

json_t *br__controller_alert_rows(const struct br_slo *slo)
{
	json_t *rows = json_array();
	char lw[32], sw[32];

	for (size_t i = 0; rows && i < slo->window_count; i++) {
		const struct br_alert_window *w = &slo->windows[i];
		int page = w->severity == BR_SEVERITY_PAGE;
		json_t *row;

		if ((page ? slo->page.disabled : slo->ticket.disabled))
			continue;
		br_duration_format(w->long_s, lw, sizeof(lw));
		br_duration_format(w->short_s, sw, sizeof(sw));
		row = json_pack("{s:s, s:f, s:s, s:s, s:f}",
			"severity", page ? "page" : "ticket", "burnRate", w->burn_rate,
			"longWindow", lw, "shortWindow", sw,
			"budgetPercent", w->budget_percent);
		/* only muted rows say so: the status of an SLO without offPeak
		   stays as it was */
		if (row && slo->off_peak.enabled && w->off_peak_muted)
			json_object_set_new(row, "offPeakMuted", json_true());
		json_array_append_new(rows, row);
	}
	return rows;
}

/* The body of a status write: the SLO's identity and resourceVersion, and
 * status. The server takes everything but status (and managedFields) from
 * the object it has (the CRD status strategy), so spec, labels and
 * annotations would be bytes to print, send and decode for nothing. */
static json_t *status_body(const json_t *slo_obj, json_t *status,
			   const char *ns, const char *name)
{
	const json_t *meta = json_object_get(slo_obj, "metadata");

	return json_pack("{s:O*, s:O*, s:{s:s, s:s, s:O*, s:O*}, s:O}",
			 "apiVersion", json_object_get(slo_obj, "apiVersion"),
			 "kind", json_object_get(slo_obj, "kind"),
			 "metadata", "name", name, "namespace", ns,
			 "resourceVersion", json_object_get(meta, "resourceVersion"),
			 "uid", json_object_get(meta, "uid"),
			 "status", status);
}

/* Writes status to /status (PUT, with the cached resourceVersion: a 409
 * means our cache is behind, and we requeue). */
static int write_status(struct br_controller *c, const json_t *slo_obj,
			json_t *status, const char *ns, const char *name,
			double *retry_after)
{
	struct br_buf path;
	struct br_error err;
	int rc;

	br_buf_init(&path, (size_t)1 << 20);
	br_error_init(&err);
	json_t *obj = status_body(slo_obj, status, ns, name);
	if (!obj)
		return BR_ENOMEM;
	char *body = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	rc = body ? br_kube_path(SLO_GROUP, SLO_VERSION, ns, SLO_PLURAL, name,
				 "status", &path) : BR_ENOMEM;
	if (rc == 0) {
		rc = br_kube_write(c->client, "PUT", br_buf_str(&path), NULL,
				   NULL, body, retry_after, &err);
		atomic_fetch_add(&c->status_writes, 1);
		br__controller_count_write(c, "status");
		if (rc != 0)
			br__controller_log(c, BR_LOG_WARN, ns, name, "status write failed: %s",
					   err.text);
		else
			br__controller_log(c, BR_LOG_INFO, ns, name, "status updated");
	}
	free(body);
	br_buf_release(&path);
	return rc;
}

static int emit_event(struct br_controller *c, const json_t *slo_obj,
		      const char *ns, const char *name, const char *reason,
		      const char *message)
{
	char now[32], gen[300];
	struct br_buf path;
	json_t *meta = json_object_get(slo_obj, "metadata");
	int rc;

	br__controller_rfc3339_now(now, sizeof(now));
	snprintf(gen, sizeof(gen), "%s.", name);
	json_t *ev = json_pack(
		"{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:O*, s:O*},"
		" s:s, s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s}",
		"apiVersion", "v1", "kind", "Event",
		"metadata", "generateName", gen, "namespace", ns,
		"involvedObject", "apiVersion", SLO_GROUP "/" SLO_VERSION,
		"kind", "ServiceLevelObjective", "name", name, "namespace", ns,
		"uid", json_object_get(meta, "uid"),
		"resourceVersion", json_object_get(meta, "resourceVersion"),
		"reason", reason, "message", message, "type", "Warning",
		"source", "component", "burnrate",
		"firstTimestamp", now, "lastTimestamp", now, "count", 1,
		"reportingComponent", "burnrate");
	if (!ev)
		return BR_ENOMEM;
	br_buf_init(&path, (size_t)1 << 20);
	rc = br_kube_path(NULL, "v1", ns, "events", NULL, NULL, &path);
	if (rc == 0)
		rc = br_kube_post(c->client, br_buf_str(&path), ev, NULL, NULL);
	atomic_fetch_add(&c->events, 1);
	br__controller_count_write(c, "event");
	if (rc != 0)
		br__controller_log(c, BR_LOG_WARN, ns, name, "event not recorded: %s",
				   br_strerror(rc));
	json_decref(ev);
	br_buf_release(&path);
	return 0; /* an Event is best effort: never requeue for it */
}

json_t *br__controller_invalid_status(const json_t *cur, const char *message,
				      long long generation)
{
	json_t *st = json_object();
	json_t *conds = json_array();
	json_array_append_new(conds, br__controller_condition(cur, "Ready", "False", "InvalidSpec",
							      message, generation));
	json_array_append_new(conds, br__controller_condition(cur, "RulesReady", "False",
							      "InvalidSpec", message, generation));
	json_object_set_new(st, "observedGeneration", json_integer(generation));
	json_object_set_new(st, "conditions", conds);
	if (json_object_get(cur, "prometheusRule"))
		json_object_set(st, "prometheusRule", json_object_get(cur, "prometheusRule"));
	if (json_object_get(cur, "alerts"))
		json_object_set(st, "alerts", json_object_get(cur, "alerts"));
	return st;
}

int br__controller_status_changed(const json_t *cur, const json_t *st)
{
	return !cur || !br__controller_json_same(st, cur);
}

/* Status of an SLO whose spec is invalid, written (with an Event) when it
 * changed. */
static int reconcile_invalid(struct br_controller *c, const json_t *obj,
			     const char *ns, const char *name,
			     const struct br_problems *problems,
			     double *retry_after)
{
	struct br_buf msg;
	const json_t *cur = json_object_get(obj, "status");
	long long gen = json_integer_value(json_object_get(
		json_object_get(obj, "metadata"), "generation"));
	int rc;

	br_buf_init(&msg, (size_t)1 << 20);
	if (br__controller_problems_message(problems, &msg) != 0) {
		br_buf_release(&msg);
		return BR_ENOMEM;
	}
	const char *m = br_buf_str(&msg);
	json_t *st = br__controller_invalid_status(cur, m, gen);
	rc = br__controller_budget_status(c, NULL, ns, name, cur, st, gen);
	if (rc == 0 && br__controller_status_changed(cur, st)) {
		br__controller_log(c, BR_LOG_WARN, ns, name, "invalid spec: %s", m);
		rc = write_status(c, obj, st, ns, name, retry_after);
		if (rc == 0)
			emit_event(c, obj, ns, name, "InvalidSpec", m);
	}
	json_decref(st);
	br_buf_release(&msg);
	return rc;
}

/* Server-side applies rule; *generation gets the rule's metadata.generation
 * from the answer, which is asked for as metadata alone. */
static int apply_rule(struct br_controller *c, const json_t *rule,
		      const char *ns, const char *name, long long *generation,
		      double *retry_after)
{
	const struct br_rules_resource *res = br_rules_resource_of(c->o.target);
	struct br_kube_response resp;
	struct br_buf path;
	struct br_error err;
	int rc;

	br_buf_init(&path, (size_t)1 << 20);
	br_error_init(&err);
	br_kube_response_init(&resp);
	char *body = json_dumps(rule, JSON_COMPACT);
	rc = body ? br_kube_path(res->group, res->version, ns, res->plural,
				 name, NULL, &path) : BR_ENOMEM;
	if (rc == 0) {
		rc = br_kube_request_accept(c->client, "PATCH", br_buf_str(&path),
					    "fieldManager=" FIELD_MANAGER "&force=true",
					    "application/apply-patch+yaml",
					    BR_KUBE_ACCEPT_METADATA, body, &resp, &err);
		atomic_fetch_add(&c->applies, 1);
		br__controller_count_write(c, "rule");
		*generation = json_integer_value(json_object_get(
			json_object_get(resp.body, "metadata"), "generation"));
		*retry_after = rc != 0 && resp.retry_after > 0 ? resp.retry_after : 0;
		if (rc != 0)
			br__controller_log(c, BR_LOG_WARN, ns, name, "apply of %s failed: %s",
					   res->kind, err.text);
		else
			br__controller_log(c, BR_LOG_INFO, ns, name, "%s applied", res->kind);
	}
	br_kube_response_release(&resp);
	free(body);
	br_buf_release(&path);
	return rc;
}

/* The SLO's rule as the cache has it, read once per reconcile. */
struct cached_rule {
	char key[600];          /* "namespace/name" */
	json_t *have;           /* NULL when not cached */
	long long generation;   /* of our last apply (br__controller_wanted_generation) */
};

static void cached_rule_load(struct br_controller *c, const struct br_slo *slo,
			     const json_t *cur_status, struct cached_rule *cr)
{
	snprintf(cr->key, sizeof(cr->key), "%s/%s", slo->namespace, slo->name);
	cr->have = br__controller_get_rule(c, cr->key);
	cr->generation = br__controller_wanted_generation(c, cr->key, cur_status);
}

/* Sets the digest annotations, then applies rule unless the cached one is
 * already it; *generation: the rule's generation after that. input: the
 * input digest, or NULL when unknown. */
static int ensure_rule(struct br_controller *c, json_t *rule, const struct br_slo *slo,
		       const struct cached_rule *cr, const char *input,
		       long long *generation, double *retry_after)
{
	char digest[65];
	json_t *meta = json_object_get(rule, "metadata");
	int rc = br__controller_rule_stamp(rule, input, digest);

	*generation = cr->generation;
	if (rc != 0 || br__controller_rule_matches(meta, digest, *generation, cr->have))
		return rc;
	/* before the write: its watch event may come before its answer */
	br__controller_expect_rule(c, cr->key, rule, digest);
	rc = apply_rule(c, rule, slo->namespace, slo->name, generation, retry_after);
	if (rc != 0)
		br__controller_expect_forget(c, cr->key);
	else
		br__controller_expect_applied(c, cr->key, *generation);
	return rc;
}

/* Requeues key when a correction's window next opens or closes, so that
 * status.corrections[].active flips on time (the rules need no change). */
static void requeue_at(struct br_controller *c, const char *ns, const char *name,
		       long long edge)
{
	long long now = (long long)time(NULL);
	char key[600];

	if (edge <= now)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	br_queue_add_after(c->q, key, (edge - now) * 1000 + 500);
}

json_t *br__controller_ready_condition(const json_t *cur, const json_t *rcond,
				       long long generation)
{
	char ready_msg[2600];
	const char *not_ready = br__controller_routing_not_ready(rcond, ready_msg,
								 sizeof(ready_msg));

	return not_ready
		? br__controller_condition(cur, "Ready", "False", not_ready, ready_msg, generation)
		: br__controller_condition(cur, "Ready", "True", "Reconciled",
					   "rules are up to date", generation);
}

/* The rule burnrate would render from the SLO as it is now is the cached
 * one (its input digest, labels, owners and our generation), so nothing is
 * rendered: *rec, *alert and *generation come from the status, which we
 * wrote with that rule. 0 when the rule must be rendered. */
static int rule_current(const json_t *obj, const struct br_slo *slo,
			const struct br_rules_options *ro, const struct cached_rule *cr,
			const char *input, size_t *rec, size_t *alert, long long *generation)
{
	const json_t *pr = json_object_get(json_object_get(obj, "status"), "prometheusRule");

	if (!input || !br__controller_status_rule(pr, slo->name, rec, alert) ||
	    !br__controller_rule_current(ro, slo->namespace, slo->name, slo->uid, input,
					 cr->generation, cr->have))
		return 0;
	*generation = cr->generation;
	return 1;
}

/* Makes the rule what the SLO wants: nothing when the cached one carries
 * its input digest (rule_current), else renders it and applies it unless
 * the cached one is it. *rec, *alert and *generation of the rule. */
static int rule_step(struct br_controller *c, const json_t *obj, struct br_slo *slo,
		     const struct br_rules_options *ro, const char *input, size_t *rec,
		     size_t *alert, long long *generation, double *retry_after)
{
	struct cached_rule cr;
	json_t *rule = NULL;
	int rc = 0;

	cached_rule_load(c, slo, json_object_get(obj, "status"), &cr);
	if (!rule_current(obj, slo, ro, &cr, input, rec, alert, generation)) {
		rc = br_rules_object(slo, ro, &rule, NULL);
		br__controller_count_render(c);
		if (rc == 0)
			rc = ensure_rule(c, rule, slo, &cr, input, generation, retry_after);
		if (rc == 0)
			br_rules_count(json_object_get(json_object_get(rule, "spec"), "groups"),
				       rec, alert);
		json_decref(rule);
	}
	json_decref(cr.have);
	return rc;
}

static int reconcile_valid(struct br_controller *c, const json_t *obj,
			   struct br_slo *slo, double *retry_after)
{
	struct br_rules_options ro = { .rule_labels = c->o.rule_labels,
				       .runbook_base_url = c->o.runbook_base_url,
				       .target = c->o.target };
	json_t *corrections = NULL;
	const char *ns = slo->namespace, *name = slo->name;
	struct br__controller_held held = {NULL, 0, 0};
	long long edge = 0, rule_gen = 0;
	size_t rec = 0, alert = 0;
	char input[65];
	int rc;

	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	rc = br__controller_corrections_apply(c, slo, labels, &held, &corrections, &edge);
	/* corrections change the rules without being in the digest: render */
	const char *in = rc == 0 && held.n == 0 &&
		br__controller_input_digest(obj, &ro, c->build, input) == 0 ? input : NULL;
	if (rc == 0)
		rc = rule_step(c, obj, slo, &ro, in, &rec, &alert, &rule_gen, retry_after);
	br__controller_held_release(&held);
	if (rc != 0) {
		json_decref(corrections);
		return rc;
	}

	char msg[256];
	const json_t *cur = json_object_get(obj, "status");
	snprintf(msg, sizeof(msg), "%s %s has %zu recording and %zu alerting rules",
		 br_rules_resource_of(c->o.target)->kind, name, rec, alert);
	json_t *st = json_object();
	json_t *conds = json_array();
	json_t *routing = NULL, *rcond = br__controller_routing_condition(c, slo, cur, &routing);
	json_array_append_new(conds, br__controller_ready_condition(cur, rcond, slo->generation));
	json_t *rules_ready = br__controller_condition(cur, "RulesReady", "True", "RulesApplied",
						      msg, slo->generation);
	json_array_append_new(conds, rules_ready);
	if (rcond)
		json_array_append_new(conds, rcond);
	if (routing)
		json_object_set_new(st, "routing", routing);
	json_object_set_new(st, "observedGeneration", json_integer(slo->generation));
	json_object_set_new(st, "conditions", conds);
	json_object_set_new(st, "prometheusRule", json_pack("{s:s, s:I, s:I, s:I}",
		"name", name, "recordingRules", (json_int_t)rec,
		"alertingRules", (json_int_t)alert, "generation", (json_int_t)rule_gen));
	json_object_set_new(st, "alerts", br__controller_alert_rows(slo));
	/* only SLOs that corrections select say so: the others' status stays
	   as it was */
	if (corrections)
		json_object_set_new(st, "corrections", corrections);
	rc = br__controller_budget_status(c, slo, ns, name, cur, st, slo->generation);
	if (rc == 0 && br__controller_status_changed(cur, st))
		rc = write_status(c, obj, st, ns, name, retry_after);
	if (rc == 0 && edge)
		requeue_at(c, ns, name, edge);
	json_decref(st);
	return rc;
}

int br__controller_reconcile(struct br_controller *c, const char *key,
			     double *retry_after)
{
	struct br_slo slo;
	struct br_problems problems;
	int rc;

	*retry_after = 0;
	if (br__controller_routing_is_key(key))
		return br__controller_routing_reconcile(c, retry_after);
	if (br__controller_corrections_is_key(key))
		return br__controller_correction_reconcile(c, key, retry_after);
	json_t *obj = br__controller_get_slo(c, key);
	if (!obj)
		return 0; /* gone: garbage collection deletes the rule */
	json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	if (!ns || !name || json_object_get(meta, "deletionTimestamp")) {
		json_decref(obj);
		return 0;
	}
	br_slo_init(&slo);
	br_problems_init(&problems);
	/* br_slo_parse refuses a "status" at the top level it does not know:
	 * parse a view without it. */
	json_t *view = json_copy(obj);
	if (!view) {
		json_decref(obj);
		return BR_ENOMEM;
	}
	json_object_del(view, "status");
	rc = br_slo_parse(view, NULL, NULL, &slo, &problems);
	json_decref(view);
	if (rc == BR_ENOMEM)
		;
	else if (rc != 0)
		rc = reconcile_invalid(c, obj, ns, name, &problems, retry_after);
	else
		rc = reconcile_valid(c, obj, &slo, retry_after);
	br_slo_release(&slo);
	br_problems_release(&problems);
	json_decref(obj);
	return rc;
}
