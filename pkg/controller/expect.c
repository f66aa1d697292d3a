/* Expectations (client-go's ControllerExpectations, for one object per key):
 * the PrometheusRule a worker is applying, kept until the rule's watch event
 * shows it. That event then needs no second reconcile of the SLO: it would
 * generate the same rules again only to find nothing to do, and could write
 * the status a second time from an SLO cache that has not yet seen the first
 * write (a 409). Any other rule event, or none, changes nothing: the owner is
 * reconciled as before. */
#include <pthread.h>
#include <string.h>

#include "internal.h"

int ctl_expect_init(struct br_controller *c)
{
	c->expected = json_object();
	if (!c->expected)
		return BR_ENOMEM;
	if (pthread_mutex_init(&c->expect_mu, NULL) != 0) {
		json_decref(c->expected);
		c->expected = NULL;
		return BR_ENOMEM;
	}
	return 0;
}

void ctl_expect_free(struct br_controller *c)
{
	if (!c->expected)
		return;
	pthread_mutex_destroy(&c->expect_mu);
	json_decref(c->expected);
	c->expected = NULL;
}

/* What of a rule is compared: labels and owners as we set them, and the
 * digest of the spec (as the rule cache keeps it). */
void ctl_expect_rule(struct br_controller *c, const char *key,
		     const json_t *rule, const char *digest)
{
	const json_t *meta = json_object_get(rule, "metadata");
	json_t *want = json_pack("{s:{s:O*, s:O*}, s:{s:s}}", "metadata",
		"labels", json_object_get(meta, "labels"),
		"ownerReferences", json_object_get(meta, "ownerReferences"),
		"spec", CTL_DIGEST_KEY, digest);

	if (!want)
		return; /* without it the rule's event reconciles the SLO: correct, slower */
	pthread_mutex_lock(&c->expect_mu);
	json_object_set_new(c->expected, key, want);
	pthread_mutex_unlock(&c->expect_mu);
}

void ctl_expect_forget(struct br_controller *c, const char *key)
{
	pthread_mutex_lock(&c->expect_mu);
	json_object_del(c->expected, key);
	pthread_mutex_unlock(&c->expect_mu);
}

int ctl_expect_seen(struct br_controller *c, const char *key, const json_t *rule)
{
	int seen = 0;

	pthread_mutex_lock(&c->expect_mu);
	json_t *want = json_object_get(c->expected, key);
	if (want) {
		const char *digest = json_string_value(json_object_get(
			json_object_get(want, "spec"), CTL_DIGEST_KEY));
		seen = digest && ctl_rule_matches(json_object_get(want, "metadata"),
						  digest, rule);
		json_object_del(c->expected, key); /* this event settles it either way */
	}
	pthread_mutex_unlock(&c->expect_mu);
	return seen;
}
