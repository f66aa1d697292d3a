/* rules: turns one parsed ServiceLevelObjective into Prometheus rules: the
 * recording rules of the SLI at every window the alert table needs, the error
 * budget over the SLO window, and the multi-window multi-burn-rate alerts
 * (DESIGN.md section 3, "the rule design").
 *
 * Output is jansson trees, never text: the caller serialises them (the YAML
 * emitter in pkg/yaml quotes label values, so no value can break the file).
 * PromQL expressions are built with br_buf; selectors are written with
 * br_selector_render() so every label value is escaped. Alert label values
 * from the spec (service, alerting.labels) have every "{{" written as
 * {{ "{{" }}, because Prometheus expands alert labels as templates; the
 * user's annotations are passed through as templates on purpose.
 *
 * Group names have the form "<namespace>/<name>/<part>", part one of sli,
 * sli-long, budget, alerts. Output is deterministic: the same SLO always gives
 * byte-identical json_dumps() output.
 *
 * Thread-safety: pure functions, no shared state, no I/O. The SLO is borrowed
 * and must be valid (as br_slo_parse() leaves it); these functions never
 * re-validate it.
 */
#ifndef BR_RULES_H
#define BR_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "errors/errors.h"
#include "slo/slo.h"

#define BR_RULES_MANAGED_BY "burnrate"

/* The rule engine the output is for: the object that carries the groups
 * (br_rules_object), and where an engine's query semantics differ in a way
 * that changes when an alert fires, the expressions (br_rules_groups_for). */
enum br_rules_target {
	BR_RULES_TARGET_PROMETHEUS = 0,      /* monitoring.coreos.com/v1 PrometheusRule */
	BR_RULES_TARGET_VICTORIAMETRICS = 1  /* operator.victoriametrics.com/v1beta1 VMRule */
};

/* Options for the PrometheusRule object. */
struct br_rules_options {
	/* Labels put on metadata.labels of every PrometheusRule (so a
	   Prometheus Operator ruleSelector picks it up, e.g. release:
	   kube-prometheus-stack). NULL for none. Borrowed. */
	const struct br_labels *rule_labels;
	/* When set (e.g. https://runbooks.example.com/burnrate, no trailing
	   slash), alerts whose SLO gives no runbook_url annotation get
	   runbook_url <base>/page.md or <base>/ticket.md (br_rules_set_runbooks).
	   NULL for none. Borrowed. */
	const char *runbook_base_url;
	/* Which rule engine the object is for (br_rules_object); 0, the
	   default, is Prometheus. */
	enum br_rules_target target;
};

/* Builds the rule groups of one SLO as a new JSON array of
 * {"name": ..., ["interval": ...,] "rules": [...]} objects, in the order sli,
 * sli-long (only when a window is longer than 6h), budget, alerts (only when a
 * severity is enabled). A plain Prometheus rules file is {"groups": <this>}.
 *
 * On success returns 0 and you own *out (json_decref). On failure returns
 * BR_ENOMEM (or BR_EINVAL for an SLO no validator would have let through),
 * records why in err, and leaves *out NULL. */
int br_rules_groups(const struct br_slo *slo, json_t **out,
		    struct br_error *err);

/* Builds a PrometheusRule object for one SLO: apiVersion
 * monitoring.coreos.com/v1, kind PrometheusRule; metadata.name and namespace
 * of the SLO; metadata.labels app.kubernetes.io/managed-by: burnrate plus
 * opt->rule_labels; when slo->uid is set, metadata.ownerReferences
 * [{apiVersion burnrate.dev/v1alpha1, kind ServiceLevelObjective, name, uid,
 * controller: true, blockOwnerDeletion: true}] so Kubernetes garbage-collects
 * it with the SLO; spec.groups as br_rules_groups_for(slo, opt). opt may be NULL.
 *
 * Ownership and failure as br_rules_groups(). */
int br_rules_prometheus_rule(const struct br_slo *slo,
			     const struct br_rules_options *opt, json_t **out,
			     struct br_error *err);

/* Sets annotations.runbook_url to "<base_url>/<page|ticket>.md" (after the
 * burnrate_severity label) on every alerting rule of groups (as
 * br_rules_groups() returns) that has no runbook_url yet; the runbook
 * templates are docs/runbooks/page.md and ticket.md. base_url is used as
 * given: the caller checks it is a URL without a trailing slash. Rules that
 * are not burnrate's alerts are left alone. Returns 0, or BR_ENOMEM (groups
 * may then be partly changed) with err set. */
int br_rules_set_runbooks(json_t *groups, const char *base_url,
			  struct br_error *err);

/* Counts the recording ("record") and alerting ("alert") rules in an array of
 * groups (as br_rules_groups() returns). Anything that is not a group or a
 * rule is ignored. Either pointer may be NULL. Can't fail. */
void br_rules_count(const json_t *groups, size_t *recording, size_t *alerting);

/* --- targets (target.c) --------------------------------------------------- */

/* The Kubernetes resource that carries one SLO's rules for a target: the
 * one place that knows its group, version, plural and kind. */
struct br_rules_resource {
	const char *group;       /* "monitoring.coreos.com" */
	const char *version;     /* "v1" */
	const char *plural;      /* "prometheusrules" */
	const char *kind;        /* "PrometheusRule" */
	const char *api_version; /* "monitoring.coreos.com/v1" */
};

/* The list of target names, for messages: "prometheus, victoriametrics". */
#define BR_RULES_TARGET_NAMES "prometheus, victoriametrics"

/* br_rules_groups() for opt->target (Prometheus when opt is NULL). For
 * VictoriaMetrics every counter's sum(rate(X[W])) is written
 * (sum(increase_prometheus(X[W])) / W), because VictoriaMetrics' rate() of
 * a series younger than W, and its increase() of a counter first seen at a
 * small value, change when alerts fire (rules.c, add_sum_rate). The user's
 * own raw errorRatio is written as given. Ownership and failure as
 * br_rules_groups(). */
int br_rules_groups_for(const struct br_slo *slo, const struct br_rules_options *opt,
			json_t **out, struct br_error *err);

/* Parses a target name ("prometheus" or "victoriametrics", exactly). Returns
 * 0 and sets *out, or BR_EINVAL (*out unchanged) for any other string. */
int br_rules_target_parse(const char *name, enum br_rules_target *out);

/* The resource of target: a static struct, never NULL (an unknown value
 * gives Prometheus's). Can't fail. */
const struct br_rules_resource *br_rules_resource_of(enum br_rules_target target);

/* Builds the rules object of one SLO for opt->target (Prometheus when opt
 * is NULL): br_rules_prometheus_rule()'s object with the apiVersion and kind
 * of br_rules_resource_of(opt->target) and the groups of
 * br_rules_groups_for(). A VMRule has the PrometheusRule's metadata; the
 * VictoriaMetrics operator's VMRule schema accepts both as they are.
 * Ownership and failure as br_rules_prometheus_rule(). */
int br_rules_object(const struct br_slo *slo, const struct br_rules_options *opt,
		    json_t **out, struct br_error *err);

/* The metadata br_rules_object puts on the object (name, namespace, labels,
 * ownerReferences), alone: a new object you own, or NULL when out of
 * memory. Cheap next to rendering the groups, for a caller that checks a
 * rule it already has. It reads only slo's name, namespace and uid, so a
 * caller that has not parsed a spec may fill in just those. */
json_t *br_rules_metadata(const struct br_slo *slo, const struct br_rules_options *opt);

#endif
