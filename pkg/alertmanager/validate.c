/* validate: the checks Alertmanager (0.25, config.LoadFile and amtool
 * check-config) makes on a configuration, for the parts burnrate reads or
 * writes: the top level, receivers, the routing tree, inhibit rules and
 * time interval names. Integrations are checked only for where they send. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "yaml/yaml.h"

int br__alertmanager_bad(struct br__alertmanager_ctx *c, const json_t *node, const json_t *parent,
			 const char *field, const char *fmt, ...)
{
	char text[1024];
	int line = 0, col = 0;
	va_list ap;

	if (br_yaml_mark(c->marks, node, &line, &col) != 0)
		br_yaml_mark(c->marks, parent, &line, &col);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	br_error_set_at(c->err, BR_EINVAL, field, line, col, "%s", text);
	br_error_set_file(c->err, c->file);
	if (!c->failed)
		c->failed = BR_EINVAL;
	return BR_EINVAL;
}

char *br__alertmanager_path_key(const char *path, const char *key, char *out, size_t size)
{
	/* a long path is cut: it only names the field in a message */
	if (snprintf(out, size, "%s%s%.200s", path, *path ? "." : "", key) >= (int)size)
		out[size - 1] = '\0';
	return out;
}

char *br__alertmanager_path_index(const char *path, size_t i, char *out, size_t size)
{
	if (snprintf(out, size, "%s[%zu]", path, i) >= (int)size)
		out[size - 1] = '\0';
	return out;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int br__alertmanager_known_keys(struct br__alertmanager_ctx *c, const json_t *obj,
				const char *path, const char *const *allowed, const char *why)
{
	const char *k;
	json_t *v;
	char f[300];

	json_object_foreach((json_t *)obj, k, v) {
		if (!in_list(k, allowed)) {
			br__alertmanager_path_key(path, k, f, sizeof(f));
			return br__alertmanager_bad(c, v, obj, f, "%s", why);
		}
	}
	return 0;
}

/* Unknown keys: Alertmanager reads its file strictly. */
static int known_keys(struct br__alertmanager_ctx *c, const json_t *obj, const char *path,
		      const char *const *allowed)
{
	return br__alertmanager_known_keys(c, obj, path, allowed,
					   "unknown field (Alertmanager refuses it)");
}

/* obj[key] if present and not null; a problem if it has the wrong type. */
static const json_t *member(struct br__alertmanager_ctx *c, const json_t *obj, const char *path,
			    const char *key, json_type type, const char *what)
{
	const json_t *v = json_object_get(obj, key);
	char f[300];

	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) != type) {
		br__alertmanager_bad(c, v, obj, br__alertmanager_path_key(path, key, f, sizeof(f)),
				     "must be %s", what);
		return NULL;
	}
	return v;
}

static int duration(struct br__alertmanager_ctx *c, const json_t *obj, const char *path,
		    const char *key, int nonzero)
{
	const json_t *v = json_object_get(obj, key);
	long long ms;
	char f[300];

	if (!v || json_is_null(v))
		return 0;
	br__alertmanager_path_key(path, key, f, sizeof(f));
	if (!json_is_string(v) || br__alertmanager_duration_parse(json_string_value(v), &ms) != 0)
		return br__alertmanager_bad(c, v, obj, f,
					    "not a valid duration (e.g. 30s, 5m, 1h30m)");
	if (nonzero && ms == 0)
		return br__alertmanager_bad(c, v, obj, f, "cannot be zero");
	return 0;
}

/* A list of strings, each checked by ok (NULL: any string). */
static int string_list(struct br__alertmanager_ctx *c, const json_t *obj, const char *path,
		       const char *key, int (*ok)(const char *), const char *what)
{
	const json_t *list = member(c, obj, path, key, JSON_ARRAY, "a list");
	char f[300], g[300];
	size_t i;
	json_t *v;

	br__alertmanager_path_key(path, key, f, sizeof(f));
	json_array_foreach(list, i, v) {
		br__alertmanager_path_index(f, i, g, sizeof(g));
		if (!json_is_string(v))
			return br__alertmanager_bad(c, v, list, g, "must be a string");
		if (ok && !ok(json_string_value(v)))
			return br__alertmanager_bad(c, v, list, g, "\"%.100s\" is not %s",
						    json_string_value(v), what);
	}
	return c->failed;
}

/* match (label -> value) and match_re maps, matchers lists. */
static int match_fields(struct br__alertmanager_ctx *c, const json_t *obj, const char *path,
			const char *prefix)
{
	char key[64], f[300], g[300];
	const char *k, *why;
	json_t *v;
	size_t i;

	for (int re = 0; re < 2; re++) {
		snprintf(key, sizeof(key), "%smatch%s", prefix, re ? "_re" : "");
		const json_t *m = member(c, obj, path, key, JSON_OBJECT, "a mapping");
		br__alertmanager_path_key(path, key, f, sizeof(f));
		json_object_foreach((json_t *)m, k, v) {
			br__alertmanager_path_key(f, k, g, sizeof(g));
			if (!br__alertmanager_label_name_ok(k))
				return br__alertmanager_bad(c, v, m, g, "not a valid label name");
			if (!json_is_string(v))
				return br__alertmanager_bad(c, v, m, g, "must be a string");
		}
	}
	snprintf(key, sizeof(key), "%smatchers", prefix);
	const json_t *list = member(c, obj, path, key, JSON_ARRAY, "a list");
	br__alertmanager_path_key(path, key, f, sizeof(f));
	json_array_foreach(list, i, v) {
		br__alertmanager_path_index(f, i, g, sizeof(g));
		if (!json_is_string(v))
			return br__alertmanager_bad(c, v, list, g, "must be a string");
		if (br__alertmanager_matchers_ok(json_string_value(v), &why) != 0)
			return br__alertmanager_bad(c, v, list, g, "%s: %.200s", why,
						    json_string_value(v));
	}
	return c->failed;
}

static int group_by_ok(struct br__alertmanager_ctx *c, const json_t *route, const char *path)
{
	const json_t *list = member(c, route, path, "group_by", JSON_ARRAY, "a list");
	char f[300], g[300];
	size_t i, j;
	json_t *v;

	br__alertmanager_path_key(path, "group_by", f, sizeof(f));
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		br__alertmanager_path_index(f, i, g, sizeof(g));
		if (!s)
			return br__alertmanager_bad(c, v, list, g, "must be a string");
		if (strcmp(s, "...") == 0 ? json_array_size(list) != 1
					  : !br__alertmanager_label_name_ok(s))
			return br__alertmanager_bad(c, v, list, g, strcmp(s, "...") == 0
						    ? "\"...\" must be the only entry of group_by"
						    : "\"%.100s\" is not a valid label name", s);
		for (j = 0; j < i; j++)
			if (strcmp(s, json_string_value(json_array_get(list, j))) == 0)
				return br__alertmanager_bad(c, v, list, g,
							    "duplicated label \"%.100s\"", s);
	}
	return c->failed;
}

struct names {
	const json_t *receivers;  /* the receivers list */
	const json_t *intervals[2];
};

static int named(const json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (json_is_string(json_object_get(v, "name")) &&
		    strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
			return 1;
	return 0;
}

static int intervals_ok(struct br__alertmanager_ctx *c, const json_t *route, const char *path,
			const struct names *n)
{
	static const char *const keys[] = {"mute_time_intervals", "active_time_intervals"};
	char f[300];

	for (int k = 0; k < 2; k++) {
		if (string_list(c, route, path, keys[k], NULL, NULL))
			return c->failed;
		const json_t *list = json_object_get(route, keys[k]);
		size_t i;
		json_t *v;

		json_array_foreach(list, i, v) {
			const char *s = json_string_value(v);
			char g[300];

			br__alertmanager_path_key(path, keys[k], f, sizeof(f));
			if (!named(n->intervals[0], s) && !named(n->intervals[1], s)) {
				br__alertmanager_path_index(f, i, g, sizeof(g));
				return br__alertmanager_bad(c, v, list, g, "undefined time "
							    "interval \"%.100s\"", s);
			}
		}
	}
	return 0;
}

static int route_ok(struct br__alertmanager_ctx *c, const json_t *route, const char *path,
		    const struct names *n, int depth)
{
	static const char *const keys[] = {
		"receiver", "group_by", "match", "match_re", "matchers", "continue",
		"routes", "group_wait", "group_interval", "repeat_interval",
		"mute_time_intervals", "active_time_intervals", NULL,
	};
	char f[300], g[300];
	const json_t *v;
	size_t i;

	if (depth > 32)
		return br__alertmanager_bad(c, route, NULL, path, "routes nested too deep");
	if (known_keys(c, route, path, keys))
		return c->failed;
	v = member(c, route, path, "receiver", JSON_STRING, "a string");
	if (v && !named(n->receivers, json_string_value(v))) {
		br__alertmanager_path_key(path, "receiver", f, sizeof(f));
		return br__alertmanager_bad(c, v, route, f,
					    "undefined receiver \"%.100s\" (not in receivers)",
					    json_string_value(v));
	}
	if (c->failed || match_fields(c, route, path, "") || group_by_ok(c, route, path) ||
	    duration(c, route, path, "group_wait", 0) ||
	    duration(c, route, path, "group_interval", 1) ||
	    duration(c, route, path, "repeat_interval", 1) ||
	    intervals_ok(c, route, path, n))
		return c->failed ? c->failed : BR_EINVAL;
	v = json_object_get(route, "continue");
	if (v && !json_is_boolean(v) && !json_is_null(v)) {
		br__alertmanager_path_key(path, "continue", f, sizeof(f));
		return br__alertmanager_bad(c, v, route, f, "must be true or false");
	}
	const json_t *routes = member(c, route, path, "routes", JSON_ARRAY, "a list");
	br__alertmanager_path_key(path, "routes", f, sizeof(f));
	json_array_foreach(routes, i, v) {
		br__alertmanager_path_index(f, i, g, sizeof(g));
		if (!json_is_object(v))
			return br__alertmanager_bad(c, v, routes, g, "must be a mapping");
		if (route_ok(c, v, g, n, depth + 1))
			return c->failed;
	}
	return c->failed;
}

static int root_route_ok(struct br__alertmanager_ctx *c, const json_t *root, const struct names *n)
{
	static const char *const refused[] = {
		"match", "match_re", "matchers", "continue", "mute_time_intervals",
		"active_time_intervals", NULL,
	};
	const json_t *route = json_object_get(root, "route");
	char f[64];

	if (!route || json_is_null(route))
		return br__alertmanager_bad(c, NULL, root, "route", "required: no root route");
	if (!json_is_object(route))
		return br__alertmanager_bad(c, route, root, "route", "must be a mapping");
	for (size_t i = 0; refused[i]; i++) {
		const json_t *v = json_object_get(route, refused[i]);
		if (v && !json_is_null(v) && !json_is_false(v)) {
			br__alertmanager_path_key("route", refused[i], f, sizeof(f));
			return br__alertmanager_bad(c, v, route, f,
						    "not allowed on the root route");
		}
	}
	if (!json_is_string(json_object_get(route, "receiver")))
		return br__alertmanager_bad(c, json_object_get(route, "receiver"), route,
					    "route.receiver", "required: the root route must "
					    "name a default receiver");
	return route_ok(c, route, "route", n, 0);
}

/* The url fields an integration needs: one of them, or a global default. */
static int integration_ok(struct br__alertmanager_ctx *c, const json_t *root, const char *kind,
			  const json_t *conf, const char *path)
{
	static const struct { const char *kind, *fields[5], *global[3]; } need[] = {
		{"webhook_configs", {"url", "url_file"}, {NULL}},
		{"slack_configs", {"api_url", "api_url_file"},
		 {"slack_api_url", "slack_api_url_file"}},
		{"pagerduty_configs", {"routing_key", "routing_key_file", "service_key",
				       "service_key_file"}, {NULL}},
	};
	const json_t *global = json_object_get(root, "global");

	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
		int found = 0;

		if (strcmp(kind, need[k].kind) != 0)
			continue;
		for (size_t f = 0; need[k].fields[f]; f++)
			found |= json_is_string(json_object_get(conf, need[k].fields[f]));
		for (size_t g = 0; need[k].global[g]; g++)
			found |= json_is_string(json_object_get(global, need[k].global[g]));
		if (!found)
			return br__alertmanager_bad(c, conf, NULL, path, "needs %s%s%s",
						    need[k].fields[0],
						    need[k].global[0] ? " (or global." : "",
						    need[k].global[0] ? "slack_api_url)" : "");
		const json_t *url = json_object_get(conf, "url");
		if (k == 0 && json_is_string(url) &&
		    strncmp(json_string_value(url), "http://", 7) != 0 &&
		    strncmp(json_string_value(url), "https://", 8) != 0)
			return br__alertmanager_bad(c, url, conf, path,
						    "url must be http:// or https://");
	}
	return 0;
}

static int receiver_ok(struct br__alertmanager_ctx *c, const json_t *root, const json_t *r,
		       const char *path)
{
	static const char *const keys[] = {
		"name", "email_configs", "pagerduty_configs", "slack_configs",
		"webhook_configs", "opsgenie_configs", "wechat_configs",
		"pushover_configs", "victorops_configs", "sns_configs",
		"telegram_configs", "discord_configs", "webex_configs", NULL,
	};
	char f[300], g[300];
	const char *k;
	json_t *list, *v;
	size_t i;

	if (known_keys(c, r, path, keys))
		return c->failed;
	v = json_object_get(r, "name");
	if (!json_is_string(v) || !*json_string_value(v))
		return br__alertmanager_bad(c, v, r,
					    br__alertmanager_path_key(path, "name", f, sizeof(f)),
					    "required: a receiver needs a name");
	json_object_foreach((json_t *)r, k, list) {
		if (strcmp(k, "name") == 0 || json_is_null(list))
			continue;
		br__alertmanager_path_key(path, k, f, sizeof(f));
		if (!json_is_array(list))
			return br__alertmanager_bad(c, list, r, f, "must be a list");
		json_array_foreach(list, i, v) {
			br__alertmanager_path_index(f, i, g, sizeof(g));
			if (!json_is_object(v))
				return br__alertmanager_bad(c, v, list, g, "must be a mapping");
			if (integration_ok(c, root, k, v, g))
				return c->failed;
		}
	}
	return 0;
}

static int receivers_ok(struct br__alertmanager_ctx *c, const json_t *root)
{
	const json_t *list = member(c, root, "", "receivers", JSON_ARRAY, "a list");
	char f[64];
	size_t i, j;
	json_t *r;

	json_array_foreach(list, i, r) {
		br__alertmanager_path_index("receivers", i, f, sizeof(f));
		if (!json_is_object(r))
			return br__alertmanager_bad(c, r, list, f, "must be a mapping");
		if (receiver_ok(c, root, r, f))
			return c->failed;
		const json_t *name = json_object_get(r, "name");
		for (j = 0; j < i; j++)
			if (json_equal(json_object_get(json_array_get(list, j), "name"), name))
				return br__alertmanager_bad(c, name, r, f, "receiver name "
							    "\"%.100s\" is not unique",
							    json_string_value(name));
	}
	return c->failed;
}

static int inhibit_ok(struct br__alertmanager_ctx *c, const json_t *root)
{
	static const char *const keys[] = {
		"source_match", "source_match_re", "source_matchers", "target_match",
		"target_match_re", "target_matchers", "equal", NULL,
	};
	const json_t *list = member(c, root, "", "inhibit_rules", JSON_ARRAY, "a list");
	char f[64];
	size_t i;
	json_t *r;

	json_array_foreach(list, i, r) {
		br__alertmanager_path_index("inhibit_rules", i, f, sizeof(f));
		if (!json_is_object(r))
			return br__alertmanager_bad(c, r, list, f, "must be a mapping");
		if (known_keys(c, r, f, keys) || match_fields(c, r, f, "source_") ||
		    match_fields(c, r, f, "target_") ||
		    string_list(c, r, f, "equal", br__alertmanager_label_name_ok,
				"a valid label name"))
			return c->failed;
	}
	return c->failed;
}

/* time_intervals and mute_time_intervals: named entries, names unique. */
static int intervals_defined(struct br__alertmanager_ctx *c, const json_t *root, struct names *n)
{
	static const char *const keys[] = {"mute_time_intervals", "time_intervals"};
	char f[64];

	for (int k = 0; k < 2; k++) {
		const json_t *list = member(c, root, "", keys[k], JSON_ARRAY, "a list");
		size_t i;
		json_t *t;

		n->intervals[k] = list;
		json_array_foreach(list, i, t) {
			br__alertmanager_path_index(keys[k], i, f, sizeof(f));
			if (!json_is_object(t) || !json_is_string(json_object_get(t, "name")))
				return br__alertmanager_bad(c, t, list, f,
							    "must be a mapping with a name");
		}
	}
	return c->failed;
}

int br__alertmanager_validate_base(struct br__alertmanager_ctx *c, const json_t *root)
{
	static const char *const keys[] = {
		"global", "route", "inhibit_rules", "receivers", "templates",
		"mute_time_intervals", "time_intervals", NULL,
	};
	struct names n = { NULL, { NULL, NULL } };

	if (!json_is_object(root))
		return br__alertmanager_bad(c, root, NULL, "",
					    "must be a mapping (an Alertmanager configuration)");
	if (known_keys(c, root, "", keys))
		return c->failed;
	member(c, root, "", "global", JSON_OBJECT, "a mapping");
	if (c->failed)
		return c->failed;
	if (duration(c, json_object_get(root, "global"), "global", "resolve_timeout", 0) ||
	    string_list(c, root, "", "templates", NULL, NULL) || receivers_ok(c, root) ||
	    intervals_defined(c, root, &n))
		return c->failed;
	n.receivers = json_object_get(root, "receivers");
	if (root_route_ok(c, root, &n) || inhibit_ok(c, root))
		return c->failed;
	return 0;
}
