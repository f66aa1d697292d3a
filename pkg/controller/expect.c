/* Expectations (client-go's ControllerExpectations, for one object per key).
 *
 * 1. The PrometheusRule a worker is applying, kept until the rule's watch
 *    event shows it. That event then needs no second reconcile of the SLO: it
 *    would render the same rules again only to find nothing to do, and could
 *    write the status a second time from an SLO cache that has not yet seen
 *    the first write (a 409). Any other rule event, or none, changes nothing:
 *    the owner is reconciled as before.
 *
 * 2. The rule's metadata.generation the apply answered with, kept until the
 *    SLO cache shows it in status.prometheusRule.generation. Drift is a rule
 *    whose generation is not the one burnrate wrote (see br__controller_rule_matches);
 *    between the apply and the status event, this is where that number is.
 *
 * One JSON object per key: {"want": <rule metadata and spec digest>,
 * "pending": true while the event is awaited, "generation": N once known}. */
#include <pthread.h>
#include <string.h>

#include "internal.h"

int br__controller_expect_init(struct br_controller *c)
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

void br__controller_expect_release(struct br_controller *c)
{
	if (!c->expected)
		return;
	pthread_mutex_destroy(&c->expect_mu);
	json_decref(c->expected);
	c->expected = NULL;
}

/* What of a rule is compared: labels and owners as we set them, and the
 * digest of the spec (as the rule carries it in an annotation). */
void br__controller_expect_rule(struct br_controller *c, const char *key,
				const json_t *rule, const char *digest)
{
	const json_t *meta = json_object_get(rule, "metadata");
	json_t *e = json_pack("{s:{s:O*, s:O*, s:{s:s}}, s:b}", "want",
		"labels", json_object_get(meta, "labels"),
		"ownerReferences", json_object_get(meta, "ownerReferences"),
		"annotations", BR__CONTROLLER_DIGEST_KEY, digest, "pending", 1);

	if (!e)
		return; /* without it the rule's event reconciles the SLO: correct, slower */
	pthread_mutex_lock(&c->expect_mu);
	json_object_set_new(c->expected, key, e);
	pthread_mutex_unlock(&c->expect_mu);
}

void br__controller_expect_applied(struct br_controller *c, const char *key,
				   long long generation)
{
	pthread_mutex_lock(&c->expect_mu);
	json_t *e = json_object_get(c->expected, key);
	if (!e) {
		e = json_object();
		json_object_set_new(c->expected, key, e);
	}
	json_object_set_new(e, "generation", json_integer(generation));
	pthread_mutex_unlock(&c->expect_mu);
}

long long br__controller_expect_generation(struct br_controller *c, const char *key)
{
	pthread_mutex_lock(&c->expect_mu);
	long long g = json_integer_value(json_object_get(
		json_object_get(c->expected, key), "generation"));
	pthread_mutex_unlock(&c->expect_mu);
	return g;
}

void br__controller_expect_confirm(struct br_controller *c, const char *key,
				   long long generation)
{
	pthread_mutex_lock(&c->expect_mu);
	json_t *e = json_object_get(c->expected, key);
	if (e && !json_is_true(json_object_get(e, "pending")) &&
	    json_integer_value(json_object_get(e, "generation")) == generation)
		json_object_del(c->expected, key);
	pthread_mutex_unlock(&c->expect_mu);
}

void br__controller_expect_forget(struct br_controller *c, const char *key)
{
	pthread_mutex_lock(&c->expect_mu);
	json_object_del(c->expected, key);
	pthread_mutex_unlock(&c->expect_mu);
}

int br__controller_expect_seen(struct br_controller *c, const char *key, const json_t *rule)
{
	int seen = 0;

	pthread_mutex_lock(&c->expect_mu);
	json_t *e = json_object_get(c->expected, key);
	if (e && json_is_true(json_object_get(e, "pending"))) {
		const json_t *want = json_object_get(e, "want");
		const char *digest = json_string_value(json_object_get(
			json_object_get(want, "annotations"), BR__CONTROLLER_DIGEST_KEY));
		seen = digest && br__controller_rule_matches(want, digest, -1, rule);
		/* this event settles it either way; the generation stays */
		json_object_set_new(e, "pending", json_false());
		if (!json_object_get(e, "generation") && !seen)
			json_object_del(c->expected, key);
	}
	pthread_mutex_unlock(&c->expect_mu);
	return seen;
}
