/* target.c: the object that carries an SLO's rules to a rule engine: a
 * PrometheusRule for Prometheus (and Thanos Ruler, through the Prometheus
 * Operator), a VMRule for the VictoriaMetrics operator. The groups are
 * rules.c's for every target. */
#include "rules/rules.h"

#include <string.h>

static const struct br_rules_resource resources[] = {
	[BR_RULES_TARGET_PROMETHEUS] = {
		"monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule",
		"monitoring.coreos.com/v1" },
	[BR_RULES_TARGET_VICTORIAMETRICS] = {
		"operator.victoriametrics.com", "v1beta1", "vmrules", "VMRule",
		"operator.victoriametrics.com/v1beta1" },
};

int br_rules_target_parse(const char *name, enum br_rules_target *out)
{
	if (strcmp(name, "prometheus") == 0)
		*out = BR_RULES_TARGET_PROMETHEUS;
	else if (strcmp(name, "victoriametrics") == 0)
		*out = BR_RULES_TARGET_VICTORIAMETRICS;
	else
		return BR_EINVAL;
	return 0;
}

const struct br_rules_resource *br_rules_resource_of(enum br_rules_target target)
{
	if (target != BR_RULES_TARGET_VICTORIAMETRICS)
		target = BR_RULES_TARGET_PROMETHEUS;
	return &resources[target];
}

int br_rules_object(const struct br_slo *slo, const struct br_rules_options *opt,
		    json_t **out, struct br_error *err)
{
	const struct br_rules_resource *res =
		br_rules_resource_of(opt ? opt->target : BR_RULES_TARGET_PROMETHEUS);
	int rc = br_rules_prometheus_rule(slo, opt, out, err);

	if (rc != 0 || res == &resources[BR_RULES_TARGET_PROMETHEUS])
		return rc;
	/* metadata and spec.groups carry over as they are: only the type changes */
	if (json_object_set_new(*out, "apiVersion", json_string(res->api_version)) ||
	    json_object_set_new(*out, "kind", json_string(res->kind))) {
		json_decref(*out);
		*out = NULL;
		return br_error_set(err, BR_ENOMEM, "out of memory while building the %s",
				    res->kind);
	}
	return 0;
}
