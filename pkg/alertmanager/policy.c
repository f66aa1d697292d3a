/* policy: burnrate.yaml, which namespaces may use which receiver and the
 * timing of each severity's routes (see alertmanager.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const br__alertmanager_timing_keys[BR__ALERTMANAGER_TIMINGS] = {
	"group_wait", "group_interval", "repeat_interval",
};

/* Pages reach someone fast and repeat hourly; tickets batch up. */
static const char *const default_timing[2][BR__ALERTMANAGER_TIMINGS] = {
	{"30s", "5m", "1h"},
	{"5m", "30m", "24h"},
};

static const char *const severity_keys[2] = {"page", "ticket"};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_allow(const void *a, const void *b)
{
	return strcmp(((const struct br__alertmanager_allow *)a)->receiver,
		      ((const struct br__alertmanager_allow *)b)->receiver);
}

/* A DNS-1123 label, as namespace names are. */
static int namespace_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

/* burnrate.yaml is ours: its unknown fields are simply unknown. */
static int unknown_keys(struct br__alertmanager_ctx *c, const json_t *obj, const char *path,
			const char *const *allowed)
{
	return br__alertmanager_known_keys(c, obj, path, allowed, "unknown field");
}

static int timing_load(struct br__alertmanager_ctx *c, const json_t *timing,
		       struct br_am_config *cfg)
{
	static const char *const sev_keys[] = {"page", "ticket", NULL};
	static const char *const fields[] = {
		"group_wait", "group_interval", "repeat_interval", NULL,
	};
	char path[64], f[300];

	if (!timing)
		return 0;
	if (!json_is_object(timing))
		return br__alertmanager_bad(c, timing, NULL, "timing", "must be a mapping");
	if (unknown_keys(c, timing, "timing", sev_keys))
		return c->failed;
	for (int s = 0; s < 2; s++) {
		const json_t *t = json_object_get(timing, severity_keys[s]);

		br__alertmanager_path_key("timing", severity_keys[s], path, sizeof(path));
		if (!t || json_is_null(t))
			continue;
		if (!json_is_object(t))
			return br__alertmanager_bad(c, t, timing, path, "must be a mapping");
		if (unknown_keys(c, t, path, fields) != 0)
			return c->failed;
		for (int k = 0; k < BR__ALERTMANAGER_TIMINGS; k++) {
			const json_t *v = json_object_get(t, br__alertmanager_timing_keys[k]);
			long long ms;

			if (!v || json_is_null(v))
				continue;
			br__alertmanager_path_key(path, br__alertmanager_timing_keys[k], f,
						  sizeof(f));
			if (!json_is_string(v) ||
			    br__alertmanager_duration_parse(json_string_value(v), &ms) != 0 ||
			    strlen(json_string_value(v)) >= sizeof(cfg->timing[s][k]))
				return br__alertmanager_bad(c, v, t, f, "not a valid duration "
							    "(e.g. 30s, 5m, 1h30m)");
			if (ms == 0 && k != BR__ALERTMANAGER_GROUP_WAIT)
				return br__alertmanager_bad(c, v, t, f, "cannot be zero");
			snprintf(cfg->timing[s][k], sizeof(cfg->timing[s][k]), "%s",
				 json_string_value(v));
		}
	}
	return 0;
}

static int allow_load(struct br__alertmanager_ctx *c, const char *receiver, const json_t *list,
		      const json_t *parent, struct br__alertmanager_allow *a)
{
	char path[300], f[320];
	size_t i;
	json_t *v;

	br__alertmanager_path_key("receivers", receiver, path, sizeof(path));
	if (!json_is_array(list))
		return br__alertmanager_bad(c, list, parent, path, "must be a list of "
					    "namespaces (\"*\" for every namespace)");
	a->receiver = strdup(receiver);
	a->namespaces = calloc(json_array_size(list) + 1, sizeof(char *));
	if (!a->receiver || !a->namespaces)
		return br_error_set(c->err, c->failed = BR_ENOMEM, "out of memory");
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		br__alertmanager_path_index(path, i, f, sizeof(f));
		if (!s || !(strcmp(s, "*") == 0 || namespace_ok(s)))
			return br__alertmanager_bad(c, v, list, f,
						    "must be a namespace name or \"*\"");
		if (strcmp(s, "*") == 0) {
			a->any = 1;
			continue;
		}
		if (!(a->namespaces[a->count] = strdup(s)))
			return br_error_set(c->err, c->failed = BR_ENOMEM, "out of memory");
		a->count++;
	}
	qsort(a->namespaces, a->count, sizeof(char *), cmp_str);
	return 0;
}

static int receivers_load(struct br__alertmanager_ctx *c, const json_t *recv,
			  struct br_am_config *cfg)
{
	const char *name;
	json_t *list;
	char f[300];

	if (!recv)
		return 0;
	if (!json_is_object(recv))
		return br__alertmanager_bad(c, recv, NULL, "receivers",
					    "must be a mapping of receiver names to namespaces");
	cfg->restricted = 1;
	cfg->allow = calloc(json_object_size(recv) + 1, sizeof(*cfg->allow));
	if (!cfg->allow)
		return br_error_set(c->err, c->failed = BR_ENOMEM, "out of memory");
	json_object_foreach((json_t *)recv, name, list) {
		if (!br__alertmanager_has_receiver(cfg, name)) {
			br__alertmanager_path_key("receivers", name, f, sizeof(f));
			return br__alertmanager_bad(c, list, recv, f, "\"%.100s\" is not a "
						    "receiver of " BR_AM_CONFIG_KEY, name);
		}
		int rc = allow_load(c, name, list, recv, &cfg->allow[cfg->nallow]);
		cfg->nallow++; /* counted even half-filled: freed with the rest */
		if (rc)
			return rc;
	}
	qsort(cfg->allow, cfg->nallow, sizeof(*cfg->allow), cmp_allow);
	return 0;
}

int br__alertmanager_policy_load(struct br__alertmanager_ctx *c, const json_t *root,
				 struct br_am_config *cfg)
{
	static const char *const keys[] = {"receivers", "timing", NULL};
	const json_t *v;

	for (int s = 0; s < 2; s++)
		for (int k = 0; k < BR__ALERTMANAGER_TIMINGS; k++)
			snprintf(cfg->timing[s][k], sizeof(cfg->timing[s][k]), "%s",
				 default_timing[s][k]);
	if (!root)
		return 0;
	if (!json_is_object(root))
		return br__alertmanager_bad(c, root, NULL, "",
					    "must be a mapping with receivers and timing");
	if (unknown_keys(c, root, "", keys))
		return c->failed;
	v = json_object_get(root, "receivers");
	if (receivers_load(c, json_is_null(v) ? NULL : v, cfg))
		return c->failed;
	v = json_object_get(root, "timing");
	return timing_load(c, json_is_null(v) ? NULL : v, cfg);
}

int br__alertmanager_has_receiver(const struct br_am_config *cfg, const char *name)
{
	return bsearch(&name, cfg->receivers, cfg->nreceivers, sizeof(char *), cmp_str) != NULL;
}

int br__alertmanager_allowed(const struct br_am_config *cfg, const char *receiver,
			     const char *namespace)
{
	struct br__alertmanager_allow key = { (char *)receiver, NULL, 0, 0 };
	const struct br__alertmanager_allow *a;

	if (!cfg->restricted)
		return 1;
	a = bsearch(&key, cfg->allow, cfg->nallow, sizeof(key), cmp_allow);
	return a && (a->any || bsearch(&namespace, a->namespaces, a->count,
				       sizeof(char *), cmp_str) != NULL);
}
