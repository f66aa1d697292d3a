/* Settled SLOs: whether a queued SLO needs a reconcile at all.
 *
 * A restart, or a new leader, queues every SLO, and almost all of them are
 * as burnrate left them. A reconcile would read each whole (inflate and
 * decode its text), parse its spec, render or check its rule and build its
 * status, to write nothing: at 10,000 SLOs that was most of a restart's CPU.
 * What the SLO is now is in its metadata (its generation moves with every
 * change of its spec), and what burnrate last made of it is in the cached
 * rule (the input digest of that metadata, and the generation our apply
 * got) and in the status (the generation observed, the rule's generation);
 * when they agree, the reconcile would change nothing, and it is not run.
 * This reads the SLO's metadata and those two status fields alone. */
#include <stdio.h>
#include <string.h>

#include "informer/informer.h"
#include "internal.h"
#include "rules/rules.h"
#include "slo/slo.h"

/* What the check reads of a cached SLO. */
static const char *const check_view[] = {
	"metadata", "status.observedGeneration", "status.prometheusRule", NULL
};

long long br__controller_wanted_generation(struct br_controller *c, const char *key,
					   const json_t *cur_status)
{
	long long in_status = json_integer_value(json_object_get(
		json_object_get(cur_status, "prometheusRule"), "generation"));

	br__controller_expect_confirm(c, key, in_status);
	long long applied = br__controller_expect_generation(c, key);
	return applied ? applied : in_status;
}

int br__controller_rule_current(const struct br_rules_options *ro, const char *ns,
				const char *name, const char *uid, const char *input,
				long long generation, const json_t *have)
{
	char ns_copy[256], name_copy[256], uid_copy[128];
	struct br_slo who;
	int current = 0;

	if (snprintf(ns_copy, sizeof(ns_copy), "%s", ns) >= (int)sizeof(ns_copy) ||
	    snprintf(name_copy, sizeof(name_copy), "%s", name) >= (int)sizeof(name_copy) ||
	    snprintf(uid_copy, sizeof(uid_copy), "%s", uid ? uid : "") >= (int)sizeof(uid_copy))
		return 0; /* longer than Kubernetes allows: not ours */
	/* br_rules_metadata reads the name, namespace and uid alone */
	br_slo_init(&who);
	who.namespace = ns_copy;
	who.name = name_copy;
	who.uid = uid ? uid_copy : NULL;
	json_t *meta = br_rules_metadata(&who, ro);
	json_t *ann = json_pack("{s:s}", BR__CONTROLLER_INPUT_KEY, input);
	if (meta && ann && json_object_set(meta, "annotations", ann) == 0)
		current = br__controller_rule_matches(meta, NULL, generation, have);
	json_decref(ann);
	json_decref(meta);
	return current;
}

int br__controller_status_rule(const json_t *pr, const char *name, size_t *rec,
			       size_t *alert)
{
	const json_t *nrec = json_object_get(pr, "recordingRules");
	const json_t *nalert = json_object_get(pr, "alertingRules");
	const char *prname = json_string_value(json_object_get(pr, "name"));

	if (!prname || strcmp(prname, name) != 0 || !json_is_integer(nrec) ||
	    !json_is_integer(nalert) || json_integer_value(nrec) < 0 ||
	    json_integer_value(nalert) < 0)
		return 0;
	*rec = (size_t)json_integer_value(nrec);
	*alert = (size_t)json_integer_value(nalert);
	return 1;
}

/* The check on the SLO's view (see the top of this file). */
static int view_settled(struct br_controller *c, const char *key, const json_t *obj)
{
	const struct br_rules_options ro = { .rule_labels = c->o.rule_labels,
					     .runbook_base_url = c->o.runbook_base_url,
					     .target = c->o.target };
	const json_t *meta = json_object_get(obj, "metadata");
	const json_t *status = json_object_get(obj, "status");
	const json_t *pr = json_object_get(status, "prometheusRule");
	const json_t *gen = json_object_get(meta, "generation");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	char input[65];
	size_t rec, alert;

	if (!ns || !name || !uid || !json_is_integer(gen) ||
	    json_object_get(meta, "deletionTimestamp") ||
	    !json_equal(gen, json_object_get(status, "observedGeneration")) ||
	    !br__controller_status_rule(pr, name, &rec, &alert) ||
	    !json_is_integer(json_object_get(pr, "generation")) ||
	    br__controller_input_digest(obj, &ro, c->build, input) != 0)
		return 0;
	/* the generation our last apply got, which the status must show */
	long long rule_gen = br__controller_wanted_generation(c, key, status);
	if (rule_gen != json_integer_value(json_object_get(pr, "generation")))
		return 0;
	json_t *have = br__controller_get_rule(c, key);
	int settled = br__controller_rule_current(&ro, ns, name, uid, input, rule_gen, have);
	json_decref(have);
	return settled;
}

int br__controller_settled(struct br_controller *c, const char *key)
{
	long i = br__controller_informer_for(c, key);

	/* routing: the conditions follow the base Secret, which may have
	   changed while burnrate was down. Corrections change the rules
	   without being in the input digest: an SLO of a namespace with any
	   is reconciled (one added while burnrate was down is in no rule). */
	if (i < 0 || c->rt || br__controller_corrections_any(c, key))
		return 0;
	json_t *obj = br_informer_get_view(c->slo_inf[i], key, check_view);
	int settled = obj && view_settled(c, key, obj);
	json_decref(obj);
	return settled;
}
