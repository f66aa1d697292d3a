/* The helpers every part of the controller shares: logging through the
 * callbacks, comparing JSON as the API server would, reading the caches,
 * building a condition. They call nothing else in pkg/controller, so
 * reconcile.c, budget.c, routing.c and corrections.c all depend on this file
 * and it on none of them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "informer/informer.h"
#include "internal.h"

void br__controller_log(struct br_controller *c, enum br_log_level level,
			const char *ns, const char *name, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->o.log || level < c->o.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->o.log(c->o.log_ctx, level, ns, name, msg);
}

void br__controller_log_kv(struct br_controller *c, enum br_log_level level,
			   const char *ns, const char *name, const char *message,
			   const char *const *kv)
{
	char msg[2048];
	size_t n;

	if (level < c->o.log_level)
		return;
	if (c->o.log_kv) {
		c->o.log_kv(c->o.log_ctx, level, ns, name, message, kv);
		return;
	}
	if (!c->o.log)
		return;
	n = (size_t)snprintf(msg, sizeof(msg), "%s", message);
	for (; kv && kv[0] && kv[1] && n < sizeof(msg); kv += 2)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, " %s=%s", kv[0], kv[1]);
	c->o.log(c->o.log_ctx, level, ns, name, msg);
}

int br__controller_json_same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!br__controller_json_same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	if (json_is_object(a)) {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) {
			json_t *w = json_object_get(b, k);
			if (!w || !br__controller_json_same(v, w))
				return 0;
		}
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

/* The informer of the namespace of len bytes at ns (index), or -1. */
static long informer_of(struct br_controller *c, const char *ns, size_t len)
{
	if (!c->namespaces)
		return 0;
	for (size_t i = 0; i < c->ninf; i++)
		if (strlen(c->namespaces[i]) == len && strncmp(c->namespaces[i], ns, len) == 0)
			return (long)i;
	return -1;
}

long br__controller_informer_for(struct br_controller *c, const char *key)
{
	const char *slash = strchr(key, '/');

	return slash ? informer_of(c, key, (size_t)(slash - key)) : -1;
}

long br__controller_informer_index(struct br_controller *c, const char *ns)
{
	return informer_of(c, ns, strlen(ns));
}

json_t *br__controller_get_slo(struct br_controller *c, const char *key)
{
	long i = br__controller_informer_for(c, key);
	return i < 0 ? NULL : br_informer_get(c->slo_inf[i], key);
}

json_t *br__controller_get_rule(struct br_controller *c, const char *key)
{
	long i = br__controller_informer_for(c, key);
	return i < 0 ? NULL : br_informer_get(c->rule_inf[i], key);
}

void br__controller_rfc3339_now(char *out, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *br__controller_condition(const json_t *cur_status, const char *type,
				 const char *status, const char *reason,
				 const char *message, long long generation)
{
	char now[32];
	const char *ltt = NULL;
	json_t *conds = json_object_get(cur_status, "conditions");
	size_t i;
	json_t *cc;

	json_array_foreach(conds, i, cc) {
		if (json_is_string(json_object_get(cc, "type")) &&
		    strcmp(json_string_value(json_object_get(cc, "type")), type) == 0 &&
		    json_is_string(json_object_get(cc, "status")) &&
		    strcmp(json_string_value(json_object_get(cc, "status")), status) == 0)
			ltt = json_string_value(json_object_get(cc, "lastTransitionTime"));
	}
	if (!ltt) {
		br__controller_rfc3339_now(now, sizeof(now));
		ltt = now;
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", type,
			 "status", status, "reason", reason, "message", message,
			 "lastTransitionTime", ltt, "observedGeneration",
			 (json_int_t)generation);
}
