/* Budget status: a poller thread (leader only) reads every SLO's budget from
 * Prometheus (pkg/budget) with 3 + R queries per interval, R the number of
 * distinct ratio names (windows) recorded, 7 with the default alert table
 * and at most BR_BUDGET_MAX_NAMES, whatever the number of SLOs; each answer
 * holds at most one sample per SLO and is merged into the index and freed
 * before the next query is sent. It keeps the latest figures per SLO key (as
 * compact JSON text, parsed on read: trees of 10,000 SLOs would take tens of
 * MB), and the part of each SLO's spec the figures need, parsed again only
 * when its generation moves. It enqueues the SLOs whose figures moved
 * meaningfully against what their status says; reconcile then writes
 * status.budget and the BudgetHealthy condition. A steady budget makes no
 * writes: both the poller and reconcile keep the status as it is unless
 * br_budget_changed says otherwise (and so a restart writes nothing
 * either). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/array.h"
#include "budget/budget.h"
#include "buf/buf.h"
#include "informer/informer.h"
#include "internal.h"
#include "metrics/metrics.h"
#include "pace/pace.h"
#include "prom/prom.h"

#define CONDITION "BudgetHealthy"

/* What the figures of one SLO need of its spec (br_budget_compute and
 * br_budget_changed read no more of a struct br_slo), kept from one poll to
 * the next so that an unchanged SLO is not parsed again each interval: at
 * 10,000 SLOs that was most of the poller's CPU. Valid while the object's uid
 * and generation (which every spec change moves) stay the same. */
struct spec {
	char *key;                      /* "ns/name" */
	char *uid;
	long long generation;
	int valid;                      /* 0: the spec does not parse */
	int moved;                      /* taken by the next poll's specs: the
					   pointers are theirs now */
	double objective;
	long long window_s;
	int page_disabled, ticket_disabled;
	struct br_alert_window *windows;
	size_t window_count;
};

/* The specs of the SLOs seen by the last poll, sorted by key: rebuilt by
 * each poll from the SLOs it reads, so a deleted SLO's goes with it. */
struct specs {
	struct spec *items;
	size_t count, alloc;
};

struct br__controller_budget {
	struct br_prom_client *prom;
	double interval;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	/* guarded by mu: "ns/name" -> the compact JSON text (a string) of
	 * {"health": int, "message": str, "budget": status.budget or null};
	 * each poll replaces the entries one by one (one copy, not two, in
	 * memory) and then drops those of SLOs it did not set */
	json_t *latest;
	struct specs specs;             /* the poller thread's only */
	struct br_metric *m_queries, *m_duration, *m_enqueued;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int stopping(void *ctx)
{
	return atomic_load(&((struct br_controller *)ctx)->stop);
}

static int register_metrics(struct br_controller *c, struct br__controller_budget *b,
			    struct br_error *err)
{
	static const double buckets[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
	struct br_metrics *m = c->o.metrics;
	int rc;

	if (!m)
		return 0;
	rc = br_metrics_counter(m, "burnrate_budget_queries_total",
				"Queries to Prometheus for the error budget, "
				"by result (success, error).",
				(const char *[]){"result", NULL}, &b->m_queries, err);
	if (rc == 0)
		rc = br_metrics_histogram(m, "burnrate_budget_query_duration_seconds",
					  "Time of one budget query to Prometheus.", NULL,
					  buckets, sizeof(buckets) / sizeof(buckets[0]),
					  &b->m_duration, err);
	if (rc == 0)
		rc = br_metrics_counter(m, "burnrate_budget_changes_total",
					"SLOs queued because their budget figures "
					"changed meaningfully.",
					NULL, &b->m_enqueued, err);
	return rc;
}

int br_controller_enable_budget(struct br_controller *c,
				const struct br_controller_budget_options *o,
				struct br_error *err)
{
	struct br_prom_options po = {
		.url = o->prometheus_url, .ca_file = o->ca_file,
		.token_file = o->token_file,
		.timeout_ms = (long)((o->timeout > 0 ? o->timeout : 10) * 1000),
		.cancel = stopping, .cancel_ctx = c,
	};
	struct br__controller_budget *b;
	int rc;

	if (c->budget)
		return br_error_set(err, BR_EINVAL, "budget status already enabled");
	if (o->interval < 0 || o->timeout < 0)
		return br_error_set(err, BR_EINVAL, "budget interval and timeout must be >= 0");
	b = calloc(1, sizeof(*b));
	if (!b)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	b->interval = o->interval > 0 ? o->interval : 60;
	b->latest = json_object();
	rc = b->latest ? br_prom_client_create(&po, &b->prom, err)
		       : br_error_set(err, BR_ENOMEM, "out of memory");
	if (rc == 0)
		rc = register_metrics(c, b, err);
	if (rc == 0 && pthread_mutex_init(&b->mu, NULL) != 0)
		rc = br_error_set(err, BR_ENOMEM, "no mutex");
	if (rc != 0) {
		br_prom_client_free(b->prom);
		json_decref(b->latest);
		free(b);
		return rc;
	}
	c->budget = b;
	return 0;
}

/* ---- reading the cache ---- */

/* The BudgetHealthy condition of a status, or NULL. Borrowed. */
static const json_t *find_condition(const json_t *status)
{
	size_t i;
	json_t *cc;

	json_array_foreach(json_object_get(status, "conditions"), i, cc) {
		const char *t = json_string_value(json_object_get(cc, "type"));
		if (t && strcmp(t, CONDITION) == 0)
			return cc;
	}
	return NULL;
}

static const char *old_reason(const json_t *status)
{
	return json_string_value(json_object_get(find_condition(status), "reason"));
}

/* Parses the cached object (without its status, which br_slo_parse does
 * not know). Returns 0 with *slo to release, or non-zero (invalid). */
static int parse_cached(const json_t *obj, struct br_slo *slo)
{
	json_t *view = json_copy((json_t *)obj);
	int rc;

	br_slo_init(slo);
	if (!view)
		return BR_ENOMEM;
	json_object_del(view, "status");
	rc = br_slo_parse(view, NULL, NULL, slo, NULL);
	json_decref(view);
	return rc;
}

/* ---- the spec cache ---- */

static void spec_release(struct spec *e)
{
	free(e->key);
	free(e->uid);
	free(e->windows);
}

static void specs_release(struct specs *s)
{
	for (size_t i = 0; i < s->count; i++)
		if (!s->items[i].moved)
			spec_release(&s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static int cmp_spec(const void *a, const void *b)
{
	return strcmp(((const struct spec *)a)->key, ((const struct spec *)b)->key);
}

/* The entry of key in s (sorted), or NULL. */
static struct spec *specs_find(struct specs *s, const char *key)
{
	struct spec want = { .key = (char *)key };

	return s->count ? bsearch(&want, s->items, s->count, sizeof(want), cmp_spec) : NULL;
}

/* A new spec of obj (uid and generation as given), parsed. Returns 0, or
 * BR_ENOMEM (e released). An invalid spec is an entry too (valid 0). */
static int spec_make(const json_t *obj, const char *key, const char *uid,
		     long long generation, struct spec *e)
{
	struct br_slo slo;

	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	e->uid = strdup(uid);
	e->generation = generation;
	if (!e->key || !e->uid)
		goto nomem;
	if (parse_cached(obj, &slo) == 0) {
		e->windows = malloc((slo.window_count ? slo.window_count : 1) *
				    sizeof(*e->windows));
		if (!e->windows) {
			br_slo_release(&slo);
			goto nomem;
		}
		if (slo.window_count)
			memcpy(e->windows, slo.windows, slo.window_count * sizeof(*e->windows));
		e->window_count = slo.window_count;
		e->objective = slo.objective;
		e->window_s = slo.window_s;
		e->page_disabled = slo.page.disabled;
		e->ticket_disabled = slo.ticket.disabled;
		e->valid = 1;
	}
	br_slo_release(&slo);
	return 0;
nomem:
	spec_release(e);
	return BR_ENOMEM;
}

/* The spec of obj appended to next: moved from old when its uid and
 * generation are those of obj, else parsed (counted in *parsed). An object
 * without uid or generation (not from an API server) is parsed every time.
 * Returns the entry, or NULL (out of memory). */
static const struct spec *spec_get(struct specs *old, struct specs *next,
				   const char *key, const json_t *obj,
				   unsigned long *parsed)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	long long gen = json_integer_value(json_object_get(meta, "generation"));
	struct spec *prev = specs_find(old, key), e;

	if (!uid || gen <= 0) {
		uid = "";
		gen = 0; /* never matches: entries of generation 0 are not reused */
	}
	void *items = br_array_grow(next->items, sizeof(*next->items),
				    next->count + 1, &next->alloc);
	if (!items)
		return NULL;
	next->items = items;
	if (prev && !prev->moved && gen > 0 && prev->generation == gen &&
	    strcmp(prev->uid, uid) == 0) {
		e = *prev;
		prev->moved = 1; /* its key stays readable for bsearch until old goes */
		e.moved = 0;
	} else if (spec_make(obj, key, uid, gen, &e) != 0) {
		return NULL;
	} else {
		(*parsed)++;
	}
	next->items[next->count] = e;
	return &next->items[next->count++];
}

/* The struct br_slo br_budget_compute and br_budget_changed read, borrowed
 * from e (valid while e is; never released). */
static void spec_view(const struct spec *e, struct br_slo *view)
{
	br_slo_init(view);
	view->objective = e->objective;
	view->window_s = e->window_s;
	view->page.disabled = e->page_disabled;
	view->ticket.disabled = e->ticket_disabled;
	view->windows = e->windows;
	view->window_count = e->window_count;
}

/* ---- the poller ---- */

struct poll {
	int ok;                          /* the queries worked */
	struct br_budget_index idx;
	char why[1024];                  /* when not ok */
	double now;
	struct specs specs;              /* being built */
	unsigned long slos, changed, parsed;
	size_t names;                    /* ratio names queried */
};

static int run_query(struct br_controller *c, const char *q,
		     struct br_prom_vector *v, struct br_error *err)
{
	struct br__controller_budget *b = c->budget;
	double t0 = mono_s();
	int rc = br_prom_query(b->prom, q, v, err);

	if (b->m_queries) {
		br_metric_inc(b->m_queries, (const char *[]){rc == 0 ? "success" : "error"});
		br_metric_observe(b->m_duration, NULL, mono_s() - t0);
	}
	return rc;
}

/* The ratios of every name recorded, one query per name, each answer merged
 * into p->idx and freed before the next is sent. */
static int query_ratios(struct br_controller *c, struct poll *p,
			const struct br_prom_vector *names, struct br_error *err)
{
	struct br_budget_ratio_names rn;
	int rc = 0;

	br_budget_ratio_names(names, &rn);
	for (size_t i = 0; rc == 0 && i < rn.count; i++) {
		struct br_prom_vector v;
		struct br_buf q;

		br_prom_vector_init(&v);
		br_buf_init(&q, BR_BUF_MAX_DEFAULT);
		rc = br_budget_ratio_query(rn.items[i].name, (const char *const *)c->namespaces,
					   c->o.namespace_count, &q);
		if (rc == 0 && atomic_load(&c->stop))
			rc = br_error_set(err, BR_ECANCELED, "stopping");
		if (rc == 0)
			rc = run_query(c, br_buf_str(&q), &v, err);
		if (rc == 0)
			rc = br_budget_index_add_ratios(&p->idx, rn.items[i].window_s, &v);
		br_prom_vector_release(&v);
		br_buf_release(&q);
	}
	p->names = rn.count;
	p->idx.skipped += rn.skipped;
	return rc;
}

/* Runs q and merges its answer into p->idx with add, freeing it at once. */
static int query_merge(struct br_controller *c, struct poll *p, const struct br_buf *q,
		       int (*add)(struct br_budget_index *, const struct br_prom_vector *),
		       struct br_error *err)
{
	struct br_prom_vector v;
	int rc;

	br_prom_vector_init(&v);
	rc = run_query(c, br_buf_str(q), &v, err);
	if (rc == 0)
		rc = add(&p->idx, &v);
	br_prom_vector_release(&v);
	return rc;
}

static int query_all(struct br_controller *c, struct poll *p)
{
	struct br_prom_vector v;
	struct br_buf rem, allowed, names, excluded;
	struct br_error err;
	int rc;

	br_error_init(&err);
	br_prom_vector_init(&v);
	br_buf_init(&rem, BR_BUF_MAX_DEFAULT);
	br_buf_init(&allowed, BR_BUF_MAX_DEFAULT);
	br_buf_init(&names, BR_BUF_MAX_DEFAULT);
	br_buf_init(&excluded, BR_BUF_MAX_DEFAULT);
	rc = br_budget_queries((const char *const *)c->namespaces, c->o.namespace_count,
			       &rem, &allowed, &names);
	if (rc == 0)
		rc = query_merge(c, p, &rem, br_budget_index_add_remaining, &err);
	if (rc == 0)
		rc = query_merge(c, p, &allowed, br_budget_index_add_allowed, &err);
	/* one more query while BudgetCorrections are on (their CRD served) */
	if (rc == 0 && atomic_load(&c->corrections_on)) {
		rc = br_budget_excluded_query((const char *const *)c->namespaces,
					      c->o.namespace_count, &excluded);
		if (rc == 0)
			rc = query_merge(c, p, &excluded, br_budget_index_add_excluded, &err);
	}
	if (rc == 0)
		rc = run_query(c, br_buf_str(&names), &v, &err);
	if (rc == 0)
		rc = query_ratios(c, p, &v, &err);
	br_prom_vector_release(&v);
	p->ok = rc == 0;
	if (rc != 0) {
		snprintf(p->why, sizeof(p->why), "%s", err.text[0] ? err.text : br_strerror(rc));
		br_budget_index_release(&p->idx);
	}
	br_buf_release(&rem);
	br_buf_release(&allowed);
	br_buf_release(&names);
	br_buf_release(&excluded);
	return rc;
}

/* latest[key] = the compact text of {health, message, budget}. Returns 0,
 * or BR_ENOMEM (the key's old entry is dropped: never stale figures). */
static int keep_latest(struct br__controller_budget *b, const char *key,
		       const struct br_budget_figures *f, json_t *budget)
{
	json_t *entry = json_pack("{s:i, s:s, s:O*}", "health", (int)f->health,
				  "message", f->message, "budget", budget);
	char *text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	json_t *value = text ? json_string_nocheck(text) : NULL;
	int rc;

	free(text);
	json_decref(entry);
	pthread_mutex_lock(&b->mu);
	rc = value && json_object_set_new(b->latest, key, value) == 0 ? 0 : BR_ENOMEM;
	if (rc != 0)
		json_object_del(b->latest, key);
	pthread_mutex_unlock(&b->mu);
	return rc;
}

/* Drops the entries of latest that this poll did not set: SLOs gone from
 * the cache, deleted, or with an invalid spec (specs: this poll's, sorted). */
static void prune_latest(struct br__controller_budget *b, struct specs *specs)
{
	const char *key;
	json_t *v;
	void *tmp;

	pthread_mutex_lock(&b->mu);
	json_object_foreach_safe(b->latest, tmp, key, v) {
		const struct spec *e = specs_find(specs, key);

		if (!e || !e->valid)
			json_object_del(b->latest, key);
	}
	pthread_mutex_unlock(&b->mu);
}

/* The reading of key ("ns/name") in the index, or NULL. */
static const struct br_budget_reading *reading_of(const struct poll *p, const char *key)
{
	const char *slash = strchr(key, '/');
	char ns[256];

	if (!slash || (size_t)(slash - key) >= sizeof(ns))
		return NULL; /* a namespace is a DNS label: 63 characters */
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	return br_budget_index_get(&p->idx, ns, slash + 1);
}

/* The figures of one cached SLO into latest; enqueues it when they
 * differ meaningfully from its status. */
static void update_one(struct br_controller *c, struct poll *p, const char *key,
		       const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const json_t *status = json_object_get(obj, "status");
	const struct spec *spec;
	struct br_budget_figures f;
	struct br_slo slo;

	if (json_object_get(meta, "deletionTimestamp"))
		return;
	spec = spec_get(&c->budget->specs, &p->specs, key, obj, &p->parsed);
	if (!spec || !spec->valid)
		return; /* invalid spec: reconcile keeps what the status says */
	spec_view(spec, &slo);
	if (p->ok)
		br_budget_compute(&slo, reading_of(p, key), p->now, &f);
	else
		br_budget_unavailable(p->why, p->now, &f);
	json_t *budget = br_budget_status_json(&f);
	if (keep_latest(c->budget, key, &f, budget) == 0) {
		const json_t *old = json_object_get(status, "budget");
		const json_t *want = f.health == BR_BUDGET_UNAVAILABLE ? old : budget;

		p->slos++;
		if (br_budget_changed(&slo, old, old_reason(status), want,
				      br_budget_reason(f.health), p->now)) {
			p->changed++;
			br_queue_add(c->q, key);
			if (c->budget->m_enqueued)
				br_metric_inc(c->budget->m_enqueued, NULL);
		}
	}
	json_decref(budget);
}

static void update_all(struct br_controller *c, struct poll *p)
{
	for (size_t i = 0; i < c->ninf; i++) {
		char **keys;
		size_t n;

		if (br_informer_keys(c->slo_inf[i], &keys, &n) != 0)
			continue;
		for (size_t k = 0; k < n && !atomic_load(&c->stop); k++) {
			json_t *obj = br_informer_get(c->slo_inf[i], keys[k]);
			if (obj)
				update_one(c, p, keys[k], obj);
			json_decref(obj);
		}
		br_informer_keys_free(keys, n);
	}
}

static void poll_once(struct br_controller *c)
{
	struct br__controller_budget *b = c->budget;
	struct poll p;

	memset(&p, 0, sizeof(p));
	br_budget_index_init(&p.idx);
	if (query_all(c, &p) != 0 && !atomic_load(&c->stop))
		br__controller_log(c, BR_LOG_WARN, NULL, NULL, "budget: Prometheus unavailable: %s",
				   p.why);
	p.now = now_s();
	if (!atomic_load(&c->stop))
		update_all(c, &p);
	if (p.specs.count)
		qsort(p.specs.items, p.specs.count, sizeof(*p.specs.items), cmp_spec);
	specs_release(&b->specs); /* the specs of SLOs no longer cached go */
	b->specs = p.specs;
	prune_latest(b, &b->specs);
	br__controller_log(c, BR_LOG_DEBUG, NULL, NULL, "budget: %lu SLOs read (%lu specs parsed, "
			   "%zu in Prometheus, %zu ratio names, %zu samples or names skipped), "
			   "%lu changed", p.slos, p.parsed, p.idx.count, p.names, p.idx.skipped,
			   p.changed);
	br_budget_index_release(&p.idx);
}

static int leading_or_stopping(void *c)
{
	struct br_controller *ctl = c;

	return atomic_load(&ctl->stop) || atomic_load(&ctl->leading);
}

static void *poller(void *arg)
{
	struct br_controller *c = arg;
	double next = 0;

	while (!atomic_load(&c->stop)) {
		if (!atomic_load(&c->leading)) {
			next = 0; /* poll at once on becoming leader */
			br_pause_wait(c->wake, -1, leading_or_stopping, c);
			continue;
		}
		if (mono_s() >= next) {
			next = mono_s() + c->budget->interval;
			poll_once(c);
			continue;
		}
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	return NULL;
}

void br__controller_budget_start(struct br_controller *c)
{
	if (!c->budget || c->budget->started)
		return;
	if (pthread_create(&c->budget->thread, NULL, poller, c) == 0)
		c->budget->started = 1;
	else
		br__controller_log(c, BR_LOG_ERROR, NULL, NULL,
				   "budget: cannot start the poller thread");
}

void br__controller_budget_stop(struct br_controller *c)
{
	if (!c->budget || !c->budget->started)
		return;
	pthread_join(c->budget->thread, NULL);
	c->budget->started = 0;
}

void br__controller_budget_free(struct br_controller *c)
{
	struct br__controller_budget *b = c->budget;

	if (!b)
		return;
	br_prom_client_free(b->prom);
	json_decref(b->latest);
	specs_release(&b->specs);
	pthread_mutex_destroy(&b->mu);
	free(b);
	c->budget = NULL;
}

/* ---- reconcile ---- */

static const char *str_or_empty(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Keeps the status's budget and condition (refreshed to generation). */
static int keep_current(const json_t *cur, json_t *st, long long generation)
{
	const json_t *cond = find_condition(cur);
	json_t *budget = json_object_get(cur, "budget");

	if (budget && json_object_set(st, "budget", budget) != 0)
		return BR_ENOMEM;
	if (!cond)
		return 0;
	json_t *nc = br__controller_condition(cur, CONDITION,
					      str_or_empty(json_object_get(cond, "status")),
					      str_or_empty(json_object_get(cond, "reason")),
					      str_or_empty(json_object_get(cond, "message")),
					      generation);
	return nc && json_array_append_new(json_object_get(st, "conditions"), nc) == 0
	       ? 0 : BR_ENOMEM;
}

int br__controller_budget_status(struct br_controller *c, const struct br_slo *slo,
				 const char *ns, const char *name, const json_t *cur,
				 json_t *st, long long generation)
{
	struct br_buf key;
	json_t *entry = NULL;

	if (!c->budget)
		return 0; /* no --prometheus-url: no budget in status */
	br_buf_init(&key, 4096);
	if (br_buf_addf(&key, "%s/%s", ns, name) != 0)
		return BR_ENOMEM;
	pthread_mutex_lock(&c->budget->mu);
	const char *text = json_string_value(json_object_get(c->budget->latest,
							     br_buf_str(&key)));
	entry = text ? json_loads(text, 0, NULL) : NULL; /* a few hundred bytes */
	pthread_mutex_unlock(&c->budget->mu);
	br_buf_release(&key);

	enum br_budget_health h = (enum br_budget_health)
		json_integer_value(json_object_get(entry, "health"));
	const json_t *old = json_object_get(cur, "budget");
	json_t *budget = json_object_get(entry, "budget");
	const json_t *want = h == BR_BUDGET_UNAVAILABLE ? old :
			     json_is_object(budget) ? budget : NULL;
	int rc;

	/* no reading yet, or an invalid spec: what the status says stays */
	if (!entry || !slo ||
	    !br_budget_changed(slo, old, old_reason(cur), want, br_budget_reason(h), now_s())) {
		rc = keep_current(cur, st, generation);
		json_decref(entry);
		return rc;
	}
	json_t *cond = br__controller_condition(cur, CONDITION, br_budget_condition_status(h),
						br_budget_reason(h),
						str_or_empty(json_object_get(entry, "message")),
						generation);
	rc = !cond || json_array_append_new(json_object_get(st, "conditions"), cond) != 0 ||
	     (want && json_object_set(st, "budget", (json_t *)want) != 0) ? BR_ENOMEM : 0;
	json_decref(entry);
	return rc;
}
