/* build: parsing a base and a policy into a configuration, checking one
 * SLO's routing against it, and the merged configuration for all SLOs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "yaml/yaml.h"

static const char *const severity_names[2] = {"page", "ticket"};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void br_am_config_free(struct br_am_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nallow; i++) {
		for (size_t k = 0; k < cfg->allow[i].count; k++)
			free(cfg->allow[i].namespaces[k]);
		free(cfg->allow[i].namespaces);
		free(cfg->allow[i].receiver);
	}
	free(cfg->allow);
	free(cfg->receivers); /* the names are borrowed from base */
	json_decref(cfg->base);
	free(cfg);
}

const char *br_am_config_root_receiver(const struct br_am_config *cfg)
{
	return cfg->root;
}

/* Loads exactly one document (zero allowed when optional: *doc NULL). */
static int load_one(const char *text, size_t len, const char *file, int optional,
		    struct br_yaml_stream *s, json_t **doc, struct br_error *err)
{
	int rc;

	*doc = NULL;
	if (len > BR_AM_MAX_INPUT)
		return br_error_set_at(err, BR_ELIMIT, "", 0, 0, "%s: larger than %zu bytes",
				       file, BR_AM_MAX_INPUT);
	rc = br_yaml_load(text, len, file, s, err);
	if (rc != 0) {
		br_error_set_file(err, file);
		return rc;
	}
	if (s->count > 1 || (s->count == 0 && !optional)) {
		br_error_set_at(err, BR_EINVAL, "", s->count > 1 ? s->docs[1].line : 0, 0,
				s->count ? "must hold one YAML document, not %zu" :
				"is empty: want an Alertmanager configuration%.0zu", s->count);
		br_error_set_file(err, file);
		return BR_EINVAL;
	}
	*doc = s->count ? s->docs[0].root : NULL;
	return 0;
}

static int receivers_index(struct br_am_config *cfg, struct br_error *err)
{
	const json_t *list = json_object_get(cfg->base, "receivers");
	size_t i;
	json_t *r;

	cfg->receivers = calloc(json_array_size(list) + 1, sizeof(char *));
	if (!cfg->receivers)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	json_array_foreach(list, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));

		cfg->receivers[cfg->nreceivers++] = (char *)name;
	}
	qsort(cfg->receivers, cfg->nreceivers, sizeof(char *), cmp_str);
	cfg->root = json_string_value(json_object_get(json_object_get(cfg->base, "route"),
						      "receiver"));
	return 0;
}

static int parse_base(const char *base, size_t len, struct br_am_config *cfg,
		      struct br_error *err)
{
	struct br_yaml_stream s;
	json_t *doc;
	int rc;

	br_yaml_stream_init(&s);
	rc = load_one(base, len, BR_AM_CONFIG_KEY, 0, &s, &doc, err);
	if (rc == 0) {
		struct br__alertmanager_ctx c = { s.marks, BR_AM_CONFIG_KEY, err, 0 };
		rc = br__alertmanager_validate_base(&c, doc);
	}
	if (rc == 0) {
		cfg->base = json_incref(doc);
		rc = receivers_index(cfg, err);
	}
	br_yaml_stream_release(&s);
	return rc;
}

static int parse_policy(const char *policy, size_t plen, struct br_am_config *cfg,
			struct br_error *err)
{
	struct br_yaml_stream s;
	json_t *doc = NULL;
	int rc = 0;

	br_yaml_stream_init(&s);
	if (policy && plen)
		rc = load_one(policy, plen, BR_AM_POLICY_KEY, 1, &s, &doc, err);
	if (rc == 0) {
		struct br__alertmanager_ctx c = { s.marks, BR_AM_POLICY_KEY, err, 0 };
		rc = br__alertmanager_policy_load(&c, doc, cfg);
	}
	br_yaml_stream_release(&s);
	return rc;
}

int br_am_config_parse(const char *base, size_t len, const char *policy,
		       size_t plen, struct br_am_config **out,
		       struct br_error *err)
{
	struct br_am_config *cfg = calloc(1, sizeof(*cfg));
	int rc;

	*out = NULL;
	if (!cfg)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	rc = parse_base(base, len, cfg, err);
	if (rc == 0)
		rc = parse_policy(policy, plen, cfg, err);
	if (rc != 0) {
		br_am_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* --- One SLO ------------------------------------------------------------- */

const char *br_am_reason(enum br_am_verdict v)
{
	static const char *const names[] = {
		"Routed", "NoReceivers", "ReceiverNotFound", "ReceiverNotAllowed",
		"BaseConfigInvalid",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "Unknown";
}

/* The verdict for one severity's receiver (not NULL). */
static enum br_am_verdict check_one(const struct br_am_config *cfg, const char *ns,
				    const char *receiver)
{
	if (!cfg)
		return BR_AM_BASE_CONFIG_INVALID;
	if (!br__alertmanager_has_receiver(cfg, receiver))
		return BR_AM_RECEIVER_NOT_FOUND;
	if (!br__alertmanager_allowed(cfg, receiver, ns))
		return BR_AM_RECEIVER_NOT_ALLOWED;
	return BR_AM_ROUTED;
}

enum br_am_verdict br_am_check(const struct br_am_config *cfg,
			       const struct br_am_target *t, char *msg,
			       size_t size)
{
	int named = 0;

	for (int s = 0; s < 2; s++) {
		const char *r = t->receiver[s];
		enum br_am_verdict v;

		if (!r)
			continue;
		named = 1;
		v = check_one(cfg, t->namespace, r);
		if (v == BR_AM_RECEIVER_NOT_FOUND)
			snprintf(msg, size, "spec.alerting.%s.receiver: receiver \"%.200s\" is not "
				 "defined in the Alertmanager base configuration",
				 severity_names[s], r);
		else if (v == BR_AM_RECEIVER_NOT_ALLOWED)
			snprintf(msg, size, "spec.alerting.%s.receiver: receiver \"%.200s\" "
				 "may not be used from namespace \"%.100s\" "
				 "(policy " BR_AM_POLICY_KEY ")",
				 severity_names[s], r, t->namespace);
		else if (v == BR_AM_BASE_CONFIG_INVALID)
			snprintf(msg, size, "spec.alerting.%s.receiver: no valid Alertmanager base "
				 "configuration to route with", severity_names[s]);
		if (v != BR_AM_ROUTED)
			return v;
	}
	if (!named) {
		snprintf(msg, size, "no receiver named: alerts go to the root route (receiver "
			 "\"%.200s\")",
			 cfg && cfg->root ? cfg->root : "of the Alertmanager configuration");
		return BR_AM_NO_RECEIVERS;
	}
	snprintf(msg, size, "page -> %.200s, ticket -> %.200s",
		 t->receiver[0] ? t->receiver[0] : "(root route)",
		 t->receiver[1] ? t->receiver[1] : "(root route)");
	return BR_AM_ROUTED;
}

/* --- The merged configuration -------------------------------------------- */

struct route_key {
	const char *ns, *receiver;
	int severity;
};

static int cmp_key(const void *a, const void *b)
{
	const struct route_key *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	if (!c)
		c = strcmp(x->receiver, y->receiver);
	return c ? c : x->severity - y->severity;
}

/* The distinct usable (namespace, receiver, severity) of the targets,
 * sorted. Returns the count, or -1 when out of memory. */
static long route_keys(const struct br_am_config *cfg, const struct br_am_target *t,
		       size_t n, struct route_key **out)
{
	struct route_key *k = calloc(2 * n + 1, sizeof(*k));
	size_t m = 0, u = 0;

	*out = k;
	if (!k)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < 2; s++)
			if (t[i].namespace && t[i].receiver[s] &&
			    check_one(cfg, t[i].namespace, t[i].receiver[s]) == BR_AM_ROUTED)
				k[m++] = (struct route_key){ t[i].namespace, t[i].receiver[s], s };
	qsort(k, m, sizeof(*k), cmp_key);
	for (size_t i = 0; i < m; i++)
		if (u == 0 || cmp_key(&k[u - 1], &k[i]) != 0)
			k[u++] = k[i];
	return (long)u;
}

static json_t *matcher(const char *name, const char *value)
{
	struct br_buf b;
	json_t *s;

	br_buf_init(&b, (size_t)1 << 16);
	br__alertmanager_matcher_add(name, value, &b);
	s = b.data ? json_string(b.data) : NULL;
	br_buf_release(&b);
	return s;
}

static json_t *route_of(const struct br_am_config *cfg, const struct route_key *k)
{
	json_t *r = json_pack("{s:s, s:[o,o,o], s:[s,s,s]}",
		"receiver", k->receiver,
		"matchers", matcher(BR_AM_LABEL_NAMESPACE, k->ns),
		matcher(BR_AM_LABEL_RECEIVER, k->receiver),
		matcher(BR_AM_LABEL_SEVERITY, severity_names[k->severity]),
		"group_by", BR_AM_LABEL_NAMESPACE, BR_AM_LABEL_SLO, BR_AM_LABEL_SEVERITY);

	for (int f = 0; r && f < BR__ALERTMANAGER_TIMINGS; f++)
		if (json_object_set_new(r, br__alertmanager_timing_keys[f],
					json_string(cfg->timing[k->severity][f])) != 0) {
			json_decref(r);
			return NULL;
		}
	return r;
}

/* The base with the generated routes first and the inhibit rule last. */
static json_t *merged(const struct br_am_config *cfg, const struct route_key *k, long n)
{
	json_t *doc = json_deep_copy(cfg->base);
	json_t *route = json_object_get(doc, "route");
	json_t *routes = json_array(), *old = json_object_get(route, "routes");
	json_t *inhibit = json_object_get(doc, "inhibit_rules");
	int failed = !doc || !routes;

	for (long i = 0; !failed && i < n; i++)
		failed = json_array_append_new(routes, route_of(cfg, &k[i])) != 0;
	if (!failed && json_is_array(old))
		failed = json_array_extend(routes, old) != 0;
	failed = failed || json_object_set(route, "routes", routes) != 0;
	if (!failed && !json_is_array(inhibit)) {
		inhibit = json_array();
		failed = json_object_set_new(doc, "inhibit_rules", inhibit) != 0;
	}
	failed = failed || json_array_append_new(inhibit, json_pack(
		"{s:[s], s:[s], s:[s,s]}",
		"source_matchers", BR_AM_LABEL_SEVERITY "=\"page\"",
		"target_matchers", BR_AM_LABEL_SEVERITY "=\"ticket\"",
		"equal", BR_AM_LABEL_NAMESPACE, BR_AM_LABEL_SLO)) != 0;
	json_decref(routes);
	if (failed) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The output must read back as a valid configuration: a safety net, so that
 * nothing reaches Alertmanager that it would refuse. */
static int recheck(const char *text, size_t len, struct br_error *err)
{
	struct br_am_config *again = NULL;
	struct br_error e;
	int rc;

	br_error_init(&e);
	rc = br_am_config_parse(text, len, NULL, 0, &again, &e);
	br_am_config_free(again);
	if (rc == BR_ENOMEM)
		return br_error_set(err, rc, "out of memory");
	if (rc != 0)
		return br_error_set_at(err, BR_EINVAL, e.field, e.line, e.column,
				       "merged configuration does not validate: %s", e.text);
	return 0;
}

int br_am_build(const struct br_am_config *cfg, const struct br_am_target *t,
		size_t n, struct br_buf *out, struct br_error *err)
{
	struct route_key *keys = NULL;
	long nk = route_keys(cfg, t, n, &keys);
	json_t *doc = nk < 0 ? NULL : merged(cfg, keys, nk);
	size_t start = out->len;
	int rc;

	free(keys);
	if (!doc)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	br_buf_addf(out, "# Generated by burnrate: the base configuration with %ld route(s) "
		    "for SLOs first under the root route. Do not edit.\n", nk);
	rc = br_yaml_emit(doc, out, err);
	json_decref(doc);
	if (rc == 0 && !out->data)
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
	if (rc == 0)
		rc = recheck(out->data + start, out->len - start, err);
	return rc;
}
