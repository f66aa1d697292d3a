/* corrections: BudgetCorrections (issue 17). An informer per watched
 * namespace set keeps them; a change to one requeues the SLOs of its
 * namespace (whose rules carry its windows) and its own status; an SLO's
 * reconcile adds the windows of the corrections that select it. Each
 * correction's status says which SLOs it selects and whether a window
 * holds now, and is requeued at its next window's edges so that "active"
 * flips on time. Without the CRD (or the right to list it) corrections are
 * off, with a warning: the rest of the operator works as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/array.h"
#include "buf/buf.h"
#include "informer/informer.h"
#include "internal.h"
#include "slo/slo.h"

#define BC_GROUP "burnrate.dev"
#define BC_VERSION "v1alpha1"
#define BC_PLURAL "budgetcorrections"
#define MAX_LISTED 100   /* status.slos */

static void bc_touch(void *ctx, json_t *obj);

static void bc_add(void *ctx, json_t *obj) { bc_touch(ctx, obj); }
static void bc_update(void *ctx, json_t *old, json_t *obj) { (void)old; bc_touch(ctx, obj); }
static void bc_delete(void *ctx, json_t *obj) { bc_touch(ctx, obj); }

static void bc_transform(void *ctx, json_t *obj)
{
	(void)ctx;
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

/* Whether the CRD is served and we may list it where we watch (all
 * namespaces, or the first one watched: the rights are per namespace
 * then): 0, or why not (logged). */
static int probe(struct br_controller *c)
{
	json_t *page = NULL;
	struct br_error err;
	struct br_buf path;

	br_error_init(&err);
	br_buf_init(&path, 4096);
	int rc = br_kube_path(BC_GROUP, BC_VERSION, c->namespaces ? c->namespaces[0] : NULL,
			      BC_PLURAL, NULL, NULL, &path);
	if (rc == 0)
		rc = br_kube_list(c->client, br_buf_str(&path), NULL, 1, NULL, &page, &err);
	json_decref(page);
	br_buf_release(&path);
	if (rc == BR_ENOTFOUND || rc == BR_EAUTH)
		br__controller_log(c, BR_LOG_WARN, NULL, NULL, "BudgetCorrections are off: %s "
				   "(apply crds/budgetcorrections.yaml and the chart's RBAC, then "
				   "restart)", err.text);
	else if (rc != 0)
		br__controller_log(c, BR_LOG_WARN, NULL, NULL, "BudgetCorrections are off: cannot "
				   "list them: %s", err.text);
	return rc;
}

int br__controller_corrections_start(struct br_controller *c, struct br_error *err)
{
	if (probe(c) != 0)
		return 0;
	c->bc_inf = calloc(c->ninf, sizeof(*c->bc_inf));
	if (!c->bc_inf)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->ninf; i++) {
		struct br_informer_options o = {
			.group = BC_GROUP, .version = BC_VERSION, .plural = BC_PLURAL,
			.namespace = c->namespaces ? c->namespaces[i] : NULL,
			.handlers = {bc_add, bc_update, bc_delete, c},
			.transform = bc_transform, .synced_wake = c->wake,
		};
		int rc = br_informer_create(c->client, &o, &c->bc_inf[i], err);
		if (rc == 0)
			rc = br_informer_start(c->bc_inf[i], err);
		if (rc != 0)
			return rc;
	}
	atomic_store(&c->corrections_on, 1);
	return 0;
}

int br__controller_corrections_synced(struct br_controller *c)
{
	for (size_t i = 0; c->bc_inf && i < c->ninf; i++)
		if (!br_informer_has_synced(c->bc_inf[i]))
			return 0;
	return 1;
}

void br__controller_corrections_stop(struct br_controller *c)
{
	for (size_t i = 0; c->bc_inf && i < c->ninf; i++)
		br_informer_stop(c->bc_inf[i]);
}

void br__controller_corrections_free(struct br_controller *c)
{
	for (size_t i = 0; c->bc_inf && i < c->ninf; i++)
		br_informer_free(c->bc_inf[i]);
	free(c->bc_inf);
	c->bc_inf = NULL;
}

int br__controller_corrections_is_key(const char *key)
{
	return strncmp(key, BR__CONTROLLER_BC_PREFIX, strlen(BR__CONTROLLER_BC_PREFIX)) == 0;
}

/* The cached keys ("ns/name") of inf that are in namespace ns. *keys as
 * br_informer_keys (free with br_informer_keys_free(*keys, *all)). */
static size_t keys_in(struct br_informer *inf, const char *ns, char ***keys, size_t *all,
		      size_t *first)
{
	size_t n = 0, len = strlen(ns);

	*first = 0;
	if (!inf || br_informer_keys(inf, keys, all) != 0) {
		*keys = NULL;
		*all = 0;
		return 0;
	}
	/* sorted: the namespace's keys are one run */
	while (*first < *all && !(strncmp((*keys)[*first], ns, len) == 0 &&
				  (*keys)[*first][len] == '/'))
		(*first)++;
	while (*first + n < *all && strncmp((*keys)[*first + n], ns, len) == 0 &&
	       (*keys)[*first + n][len] == '/')
		n++;
	return n;
}

/* Requeues every key of namespace ns that inf caches, with prefix. */
static void requeue_namespace(struct br_controller *c, struct br_informer *inf,
			      const char *ns, const char *prefix)
{
	char **keys;
	size_t all, first, n = keys_in(inf, ns, &keys, &all, &first);
	struct br_buf k;

	br_buf_init(&k, 4096);
	for (size_t i = 0; i < n; i++) {
		br_buf_reset(&k);
		if (br_buf_addf(&k, "%s%s", prefix, keys[first + i]) == 0)
			br_queue_add(c->q, br_buf_str(&k));
	}
	br_buf_release(&k);
	br_informer_keys_free(keys, all);
}

int br__controller_corrections_any(struct br_controller *c, const char *key)
{
	const char *slash = strchr(key, '/');
	char ns[256];
	char **keys;
	size_t all, first, n = 0;

	if (!atomic_load(&c->corrections_on) || !slash ||
	    (size_t)(slash - key) >= sizeof(ns))
		return 0;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	long i = br__controller_informer_index(c, ns);
	if (i >= 0) {
		n = keys_in(c->bc_inf[i], ns, &keys, &all, &first);
		br_informer_keys_free(keys, all);
	}
	return n > 0;
}

/* A correction changed: its SLOs' rules and its own status. */
static void bc_touch(void *ctx, json_t *obj)
{
	struct br_controller *c = ctx;
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	char key[600];

	if (!ns || !name)
		return;
	long i = br__controller_informer_index(c, ns);
	if (i >= 0)
		requeue_namespace(c, c->slo_inf[i], ns, "");
	snprintf(key, sizeof(key), BR__CONTROLLER_BC_PREFIX "%s/%s", ns, name);
	br_queue_add(c->q, key);
}

void br__controller_corrections_slo_event(struct br_controller *c, const json_t *slo_obj)
{
	const char *ns = json_string_value(json_object_get(json_object_get(slo_obj, "metadata"),
							   "namespace"));
	long i = ns && atomic_load(&c->corrections_on) ? br__controller_informer_index(c, ns) : -1;

	if (i >= 0)
		requeue_namespace(c, c->bc_inf[i], ns, BR__CONTROLLER_BC_PREFIX);
}

/* Parses a cached correction (its status left out). 0, or the problems. */
static int parse_cached(const json_t *obj, struct br_correction *out, struct br_problems *p)
{
	json_t *view = json_copy((json_t *)obj);

	if (!view)
		return BR_ENOMEM;
	json_object_del(view, "status");
	int rc = br_correction_parse(view, NULL, NULL, out, p);
	json_decref(view);
	return rc;
}

/* --- the SLO side ------------------------------------------------------------ */

void br__controller_held_release(struct br__controller_held *h)
{
	for (size_t i = 0; i < h->n; i++)
		br_correction_release(&h->items[i]);
	free(h->items);
	h->items = NULL;
	h->n = 0;
	h->cap = 0;
}


/* The next instant after now at which a window of bc opens or closes;
 * LLONG_MAX when none will. */
static long long next_edge(const struct br_correction *bc, long long now)
{
	long long edge = -1;

	for (size_t i = 0; i < bc->span_count; i++) {
		long long s, e;
		int at = br_exclusion_at(&bc->spans[i], now, &s, &e);
		long long t = at == 1 ? e : at == 0 ? s : -1;
		if (t > now && (edge < 0 || t < edge))
			edge = t;
	}
	return edge;
}

/* {name, reason, active, start, end} of a correction that applies. */
static json_t *status_entry(const struct br_correction *bc, long long now)
{
	long long s = 0, e = 0;
	char a[32], b[32];
	int at = br_correction_window(bc, now, &s, &e);

	return json_pack("{s:s, s:s, s:b, s:s, s:s}", "name", bc->name, "reason", bc->reason,
			 "active", at == 1, "start", br_time_format(s, a, sizeof(a)),
			 "end", br_time_format(e, b, sizeof(b)));
}

/* Keeps the correction in *held when it selects slo; adds its windows. */
static int apply_one(struct br_controller *c, struct br_slo *slo, const json_t *labels,
		     const json_t *obj, struct br__controller_held *held)
{
	struct br_correction bc;
	struct br_error err;

	if (parse_cached(obj, &bc, NULL) != 0)
		return 0;   /* invalid: its own status says why */
	if (!br_correction_matches(&bc, labels)) {
		br_correction_release(&bc);
		return 0;
	}
	struct br_correction *grown = br_array_grow(held->items, sizeof(*grown), held->n + 1,
						    &held->cap);
	if (!grown) {
		br_correction_release(&bc);
		return BR_ENOMEM;
	}
	held->items = grown;
	br_error_init(&err);
	/* the spans borrow bc.name: kept in held until the rules are made */
	int rc = br_slo_add_correction(slo, &bc, &err);
	if (rc == BR_EINVAL)
		br__controller_log(c, BR_LOG_WARN, slo->namespace, slo->name, "%s", err.text);
	if (rc != 0) {
		br_correction_release(&bc);
		return rc == BR_EINVAL ? 0 : rc;
	}
	held->items[held->n++] = bc;
	return 0;
}

int br__controller_corrections_apply(struct br_controller *c, struct br_slo *slo,
				     const json_t *labels, struct br__controller_held *held,
				     json_t **status, long long *edge)
{
	long i = atomic_load(&c->corrections_on)
		? br__controller_informer_index(c, slo->namespace) : -1;
	char **keys;
	size_t all, first, n;
	int rc = 0;

	*status = NULL;
	*edge = 0;
	if (i < 0)
		return 0;
	n = keys_in(c->bc_inf[i], slo->namespace, &keys, &all, &first);
	for (size_t k = 0; rc == 0 && k < n; k++) {
		json_t *obj = br_informer_get(c->bc_inf[i], keys[first + k]);
		rc = obj ? apply_one(c, slo, labels, obj, held) : 0;
		json_decref(obj);
	}
	br_informer_keys_free(keys, all);
	if (rc != 0 || held->n == 0)
		return rc;
	long long now = (long long)time(NULL);
	*status = json_array();
	for (size_t k = 0; *status && k < held->n; k++) {
		long long t = next_edge(&held->items[k], now);
		if (t > 0 && (*edge == 0 || t < *edge))
			*edge = t;
		if (json_array_append_new(*status, status_entry(&held->items[k], now)) != 0)
			rc = BR_ENOMEM;
	}
	return *status ? rc : BR_ENOMEM;
}

/* --- the correction's own status -------------------------------------------- */

/* The longest one-off window of bc, seconds (0 without one). */
static long long longest_once(const struct br_correction *bc)
{
	long long n = 0;

	for (size_t i = 0; i < bc->span_count; i++)
		if (bc->spans[i].kind == BR_EXCLUSION_ONCE &&
		    bc->spans[i].end - bc->spans[i].start > n)
			n = bc->spans[i].end - bc->spans[i].start;
	return n;
}

/* Whether the SLO obj's window (30d unless it says) is shorter than secs. */
static int window_shorter(const json_t *obj, long long secs)
{
	const char *w = json_string_value(json_object_get(json_object_get(obj, "spec"), "window"));
	long long ws = 30 * 86400LL;

	if (w && br_duration_parse(w, &ws) != 0)
		return 0;
	return ws < secs;
}

/* The names of the SLOs of the correction's namespace that bc selects:
 * how many, and the first MAX_LISTED into names; those whose window is
 * shorter than one of its one-off windows (it does not apply to them)
 * into too_short. */
static size_t selected(struct br_controller *c, const struct br_correction *bc, json_t *names,
		       json_t *too_short)
{
	long i = br__controller_informer_index(c, bc->namespace);
	char **keys;
	size_t all, first, n, count = 0;

	if (i < 0)
		return 0;
	n = keys_in(c->slo_inf[i], bc->namespace, &keys, &all, &first);
	for (size_t k = 0; k < n; k++) {
		json_t *obj = br_informer_get(c->slo_inf[i], keys[first + k]);
		const json_t *meta = json_object_get(obj, "metadata");
		if (obj && br_correction_matches(bc, json_object_get(meta, "labels"))) {
			if (count++ < MAX_LISTED)
				json_array_append(names, json_object_get(meta, "name"));
			if (window_shorter(obj, longest_once(bc)) &&
			    json_array_size(too_short) < MAX_LISTED)
				json_array_append(too_short, json_object_get(meta, "name"));
		}
		json_decref(obj);
	}
	br_informer_keys_free(keys, all);
	return count;
}

/* The status of a valid correction; *edge: when it next changes. */
static json_t *valid_status(struct br_controller *c, const struct br_correction *bc,
			    const json_t *cur, long long gen, long long *edge)
{
	long long now = (long long)time(NULL), s = 0, e = 0;
	json_t *names = json_array(), *short_ones = json_array();
	size_t n = names && short_ones ? selected(c, bc, names, short_ones) : 0;
	int at = br_correction_window(bc, now, &s, &e);
	char a[32], b[32], msg[160];
	json_t *conds = json_array();

	*edge = next_edge(bc, now);
	snprintf(msg, sizeof(msg), "selects %zu ServiceLevelObjective(s)", n);
	if (json_array_size(short_ones)) {
		char *list = json_dumps(short_ones, JSON_COMPACT);
		char why[1200];
		snprintf(why, sizeof(why), "a one-off window is longer than the window of %s: it "
			 "applies to none of them", list ? list : "some SLOs");
		free(list);
		json_array_append_new(conds,
				      br__controller_condition(cur, "Ready", "False",
							       "WindowLongerThanSLO", why, gen));
	} else {
		json_array_append_new(conds,
				      br__controller_condition(cur, "Ready", "True", "Applied",
							       "the windows are in the rules of "
							       "the SLOs it selects", gen));
	}
	json_decref(short_ones);
	json_array_append_new(conds, n
		? br__controller_condition(cur, "SelectsSLOs", "True", "Matched", msg, gen)
		: br__controller_condition(cur, "SelectsSLOs", "False", "NoMatch",
					   "the selector matches no ServiceLevelObjective of this "
					   "namespace: nothing is left out", gen));
	json_t *st = json_pack("{s:I, s:I, s:o, s:b, s:s, s:o}", "observedGeneration",
			       (json_int_t)gen, "matchedSLOs", (json_int_t)n, "slos", names,
			       "active", at == 1, "window", bc->summary, "conditions", conds);
	if (st && at >= 0) {
		json_object_set_new(st, "nextStart", json_string(br_time_format(s, a, sizeof(a))));
		json_object_set_new(st, "nextEnd", json_string(br_time_format(e, b, sizeof(b))));
	}
	return st;
}

/* The status of a correction the API server took but burnrate refuses
 * (an overlap, a monthly schedule): Ready False with every problem. */
static json_t *invalid_status(const struct br_problems *p, const json_t *cur, long long gen)
{
	struct br_buf msg;
	json_t *st;

	br_buf_init(&msg, 1 << 16);
	for (size_t i = 0; i < p->count; i++)
		br_buf_addf(&msg, "%s%s%s%s", i ? "; " : "", p->items[i].field,
			    p->items[i].field[0] ? ": " : "", p->items[i].text);
	json_t *conds = json_array();
	json_array_append_new(conds,
			      br__controller_condition(cur, "Ready", "False", "InvalidSpec",
						       msg.data ? br_buf_str(&msg) : "invalid",
						       gen));
	st = json_pack("{s:I, s:I, s:[], s:b, s:o}", "observedGeneration", (json_int_t)gen,
		       "matchedSLOs", (json_int_t)0, "slos", "active", 0, "conditions", conds);
	br_buf_release(&msg);
	return st;
}

/* PUT obj with st as its status to /status (the cached resourceVersion: a
 * 409 means the cache is behind, and the key is retried). */
static int write_bc_status(struct br_controller *c, const json_t *obj, json_t *st,
			   const char *ns, const char *name, double *retry_after)
{
	struct br_buf path;
	struct br_error err;
	json_t *copy = json_deep_copy(obj);
	char *body = NULL;
	int rc = BR_ENOMEM;

	br_buf_init(&path, 1 << 16);
	br_error_init(&err);
	if (copy && json_object_set(copy, "status", st) == 0)
		body = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (body)
		rc = br_kube_path(BC_GROUP, BC_VERSION, ns, BC_PLURAL, name, "status", &path);
	if (rc == 0) {
		rc = br_kube_write(c->client, "PUT", br_buf_str(&path), NULL, NULL, body,
				   retry_after, &err);
		br__controller_count_write(c, "status");
		if (rc != 0)
			br__controller_log(c, BR_LOG_WARN, ns, name, "BudgetCorrection status "
					   "write failed: %s", err.text);
	}
	free(body);
	br_buf_release(&path);
	return rc;
}

int br__controller_correction_reconcile(struct br_controller *c, const char *key,
					double *retry_after)
{
	const char *k = key + strlen(BR__CONTROLLER_BC_PREFIX);
	long i = atomic_load(&c->corrections_on) ? br__controller_informer_for(c, k) : -1;
	json_t *obj = i >= 0 ? br_informer_get(c->bc_inf[i], k) : NULL;
	struct br_correction bc;
	struct br_problems p;
	long long edge = -1;

	if (!obj)
		return 0;   /* gone */
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	long long gen = json_integer_value(json_object_get(meta, "generation"));
	const json_t *cur = json_object_get(obj, "status");
	br_problems_init(&p);
	int rc = parse_cached(obj, &bc, &p);
	json_t *st = rc == 0 ? valid_status(c, &bc, cur, gen, &edge)
			     : rc == BR_EINVAL ? invalid_status(&p, cur, gen) : NULL;
	rc = st ? 0 : BR_ENOMEM;
	if (rc == 0 && (!cur || !br__controller_json_same(st, cur)))
		rc = write_bc_status(c, obj, st, ns, name, retry_after);
	/* "active" flips at the next edge: come back then */
	long long now = (long long)time(NULL);
	if (rc == 0 && edge > now)
		br_queue_add_after(c->q, key, (edge - now) * 1000 + 500);
	json_decref(st);
	br_correction_release(&bc);
	br_problems_release(&p);
	json_decref(obj);
	return rc;
}
