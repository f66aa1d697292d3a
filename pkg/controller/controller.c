/* The controller's life: informers -> queue -> workers, leader election,
 * orderly shutdown. Reconciling itself is in reconcile.c. */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>

#include "buf/buf.h"
#include "informer/informer.h"
#include "internal.h"
#include "leader/leader.h"
#include "metrics/metrics.h"
#include "pace/pace.h"

#define MANAGED_SELECTOR "app.kubernetes.io/managed-by=burnrate"

static char *dup_or_null(const char *s, int *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = 1;
	return d;
}

int br_controller_create(const struct br_controller_options *opts,
			 struct br_kube_client *client,
			 struct br_controller **out, struct br_error *err)
{
	struct br_controller *c;
	int failed = 0;

	*out = NULL;
	if (opts->workers < 0)
		return br_error_set(err, BR_EINVAL, "workers must be >= 0");
	for (size_t i = 0; i < opts->namespace_count; i++)
		if (!opts->namespaces[i] || !opts->namespaces[i][0])
			return br_error_set(err, BR_EINVAL, "empty namespace");
	c = calloc(1, sizeof(*c));
	if (!c)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	c->o = *opts;
	c->client = client;
	c->nworkers = opts->workers ? opts->workers : 4;
	if (opts->namespace_count) {
		c->namespaces = calloc(opts->namespace_count, sizeof(char *));
		failed |= !c->namespaces;
		for (size_t i = 0; !failed && i < opts->namespace_count; i++)
			c->namespaces[i] = dup_or_null(opts->namespaces[i], &failed);
	}
	c->ninf = opts->namespace_count ? opts->namespace_count : 1;
	c->selector = dup_or_null(opts->selector, &failed);
	c->leader_namespace = dup_or_null(opts->leader_namespace, &failed);
	c->leader_name = dup_or_null(opts->leader_name ? opts->leader_name
				     : "burnrate-controller", &failed);
	c->identity = dup_or_null(opts->identity, &failed);
	br__controller_build_digest(c->build);
	c->slo_inf = calloc(c->ninf, sizeof(*c->slo_inf));
	c->rule_inf = calloc(c->ninf, sizeof(*c->rule_inf));
	failed |= !c->slo_inf || !c->rule_inf;
	if (failed || br_queue_create(NULL, &c->q, NULL) != 0 ||
	    br__controller_expect_init(c) != 0 || br_pause_create(1, &c->wake) != 0) {
		br_controller_free(c);
		return br_error_set(err, BR_ENOMEM, "out of memory");
	}
	int rc = br__controller_routing_create(c, err);
	if (rc == 0)
		rc = br__controller_metrics_register(c, err);
	if (rc != 0) {
		br_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void br_controller_free(struct br_controller *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ninf; i++) {
		if (c->slo_inf)
			br_informer_free(c->slo_inf[i]);
		if (c->rule_inf)
			br_informer_free(c->rule_inf[i]);
		if (c->namespaces)
			free(c->namespaces[i]);
	}
	br_leader_free(c->leader);
	br__controller_budget_free(c);
	br__controller_routing_free(c);
	br__controller_corrections_free(c);
	free(c->slo_inf);
	free(c->rule_inf);
	free(c->namespaces);
	free(c->selector);
	free(c->leader_namespace);
	free(c->leader_name);
	free(c->lease_ref);
	free(c->identity);
	free(c->workers);
	br_queue_free(c->q);
	br__controller_expect_release(c);
	br_pause_free(c->wake);
	free(c);
}

void br_controller_stop(struct br_controller *c)
{
	atomic_store(&c->stop, 1);
	br_pause_wake_async(c->wake);  /* from a signal handler too */
}

int br_controller_ready_reason(struct br_controller *c, char *why, size_t size)
{
	struct br_leader_error e;
	char line[1024];

	if (!atomic_load(&c->synced)) {
		if (why && size)
			snprintf(why, size, "caches not synced");
		return 0;
	}
	/* another replica leading is no error: only failures count */
	if (!atomic_load(&c->leader_started) || !br_leader_last_error(c->leader, &e))
		return 1;
	if (why && size)
		snprintf(why, size, "leader election: %s",
			 br_leader_error_format(&e, c->lease_ref, line, sizeof(line)));
	return 0;
}

int br_controller_ready(struct br_controller *c)
{
	return br_controller_ready_reason(c, NULL, 0);
}

void br_controller_stats(struct br_controller *c,
			 struct br_controller_stats *out)
{
	out->reconciles = atomic_load(&c->reconciles);
	out->settled = atomic_load(&c->settled);
	out->errors = atomic_load(&c->errors);
	out->rule_applies = atomic_load(&c->applies);
	out->status_writes = atomic_load(&c->status_writes);
	out->events = atomic_load(&c->events);
	out->secret_writes = atomic_load(&c->secret_writes);
	out->queue_depth = br_queue_len(c->q);
	out->synced = atomic_load(&c->synced);
	out->leading = atomic_load(&c->leading);
}

json_t *br_controller_get_slo(struct br_controller *c, const char *namespace,
			      const char *name)
{
	char key[512];

	/* the informers exist once synced is set, and until the controller
	 * is freed */
	if (!atomic_load(&c->synced) || !namespace || !name)
		return NULL;
	if ((size_t)snprintf(key, sizeof(key), "%s/%s", namespace, name) >= sizeof(key))
		return NULL;
	return br__controller_get_slo(c, key);
}

/* ---- informer handlers: every event enqueues the SLO's key ---- */

/* check: queued only to be checked (br_queue_add_check, settled.c). */
static void enqueue_obj(struct br_controller *c, const json_t *obj, int check)
{
	struct br_buf key;

	br_buf_init(&key, 1024);
	if (br_informer_key(obj, &key) == 0)
		(check ? br_queue_add_check : br_queue_add)(c->q, br_buf_str(&key));
	br_buf_release(&key);
	br__controller_routing_touch(c);
}

static const json_t *meta_get(const json_t *obj, const char *field)
{
	return json_object_get(json_object_get(obj, "metadata"), field);
}

/* Tells the on_slo observer, if any, of a change in the SLO cache. */
static void observe(struct br_controller *c, const json_t *obj, int deleted)
{
	if (c->o.on_slo)
		c->o.on_slo(c->o.on_slo_ctx, obj, deleted);
}

/* An SLO whose status says it was reconciled at its generation is queued
 * to be checked (a restart's list): the worker reconciles it only when it
 * is not as burnrate left it (settled.c). */
static void slo_add(void *ctx, json_t *obj)
{
	const json_t *seen = json_object_get(json_object_get(obj, "status"), "observedGeneration");

	observe(ctx, obj, 0);
	enqueue_obj(ctx, obj, seen && json_equal(seen, meta_get(obj, "generation")));
	br__controller_corrections_slo_event(ctx, obj);
}

static void slo_delete(void *ctx, json_t *obj)
{
	struct br_buf key;

	observe(ctx, obj, 1);
	br__controller_corrections_slo_event(ctx, obj);
	br_buf_init(&key, 1024);
	if (br_informer_key(obj, &key) == 0)
		br__controller_expect_forget(ctx, br_buf_str(&key));
	br_buf_release(&key);
	enqueue_obj(ctx, obj, 0);
}

/* Whether an SLO update can change what burnrate makes of it. A change of
 * status or resourceVersion alone (our own status writes, above all) cannot:
 * the rules and routes come from the spec, whose changes bump generation
 * (controller-runtime's GenerationChangedPredicate). A resync hands the same
 * object twice and always goes through, so drift is still repaired. */
static int slo_changed(const json_t *old, const json_t *obj)
{
	return old == obj ||
	       !json_equal(meta_get(old, "generation"), meta_get(obj, "generation")) ||
	       !json_equal(meta_get(old, "uid"), meta_get(obj, "uid")) ||
	       !meta_get(old, "deletionTimestamp") != !meta_get(obj, "deletionTimestamp");
}

/* The status of an SLO shows the rule generation of our last apply: that
 * expectation is met. */
static void confirm_generation(struct br_controller *c, const json_t *obj)
{
	json_t *g = json_object_get(json_object_get(json_object_get(obj, "status"),
						    "prometheusRule"), "generation");
	struct br_buf key;

	if (!json_is_integer(g))
		return;
	br_buf_init(&key, 1024);
	if (br_informer_key(obj, &key) == 0)
		br__controller_expect_confirm(c, br_buf_str(&key), json_integer_value(g));
	br_buf_release(&key);
}

static void slo_update(void *ctx, json_t *old, json_t *obj)
{
	observe(ctx, obj, 0);
	confirm_generation(ctx, obj);
	/* the corrections of the namespace list the SLOs they select */
	if (!json_equal(meta_get(old, "labels"), meta_get(obj, "labels")))
		br__controller_corrections_slo_event(ctx, obj);
	if (slo_changed(old, obj))
		enqueue_obj(ctx, obj, 0);
}

/* The key of a rule's owner (its ServiceLevelObjective controller
 * reference) into key. Returns 0, or -1 when it has none. */
static int owner_key(const json_t *rule, struct br_buf *key)
{
	const json_t *meta = json_object_get(rule, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	size_t i;
	json_t *ref;

	if (!ns)
		return -1;
	json_array_foreach(json_object_get(meta, "ownerReferences"), i, ref) {
		const char *kind = json_string_value(json_object_get(ref, "kind"));
		const char *name = json_string_value(json_object_get(ref, "name"));
		if (kind && name && strcmp(kind, "ServiceLevelObjective") == 0 &&
		    json_is_true(json_object_get(ref, "controller")))
			return br_buf_addf(key, "%s/%s", ns, name) == 0 ? 0 : -1;
	}
	return -1;
}

/* What a rule event does to its owner's reconcile. */
enum owner_action {
	OWNER_RECONCILE,        /* a resync: always */
	OWNER_UNLESS_EXPECTED,  /* unless it is the rule a worker just applied */
	OWNER_UNLESS_SAME,      /* ... nor a change of what the cache does not keep */
	OWNER_GONE,             /* deleted: always, and nothing is expected any more */
};

/* A rule update that changed only what the cache does not keep (its
 * resourceVersion, managedFields) needs no reconcile: the cache holds the
 * digest of its spec, its labels and owners, which are what drift is. */
static int rule_changed(const json_t *old, const json_t *obj)
{
	json_t *o = json_deep_copy(old), *n = json_deep_copy(obj);
	int changed = 1;

	if (o && n) {
		json_object_del(json_object_get(o, "metadata"), "resourceVersion");
		json_object_del(json_object_get(n, "metadata"), "resourceVersion");
		changed = !json_equal(o, n);
	}
	json_decref(o);
	json_decref(n);
	return changed;
}

static void enqueue_owner(struct br_controller *c, const json_t *old,
			  const json_t *rule, enum owner_action action)
{
	struct br_buf key;

	br_buf_init(&key, 1024);
	if (owner_key(rule, &key) == 0) {
		const char *k = br_buf_str(&key);
		int skip = 0;

		if (action == OWNER_GONE)
			br__controller_expect_forget(c, k);
		else if (action != OWNER_RECONCILE)
			skip = br__controller_expect_seen(c, k, rule) ||
			       (action == OWNER_UNLESS_SAME && !rule_changed(old, rule));
		/* a rule listed (a restart's) or created: its SLO is checked
		   against it, and is most likely as burnrate left it */
		if (!skip)
			(action == OWNER_UNLESS_EXPECTED ? br_queue_add_check
							 : br_queue_add)(c->q, k);
	}
	br_buf_release(&key);
}

static void rule_add(void *ctx, json_t *obj)
{
	enqueue_owner(ctx, NULL, obj, OWNER_UNLESS_EXPECTED);
}

static void rule_update(void *ctx, json_t *old, json_t *obj)
{
	enqueue_owner(ctx, old, obj, old == obj ? OWNER_RECONCILE : OWNER_UNLESS_SAME);
}

static void rule_delete(void *ctx, json_t *obj)
{
	enqueue_owner(ctx, NULL, obj, OWNER_GONE);
}

/* ---- start-up ---- */

/* One SLO list of one item: a 404 means the CRD is not installed. */
static int preflight(struct br_controller *c, struct br_error *err)
{
	struct br_buf path;
	int rc;

	br_buf_init(&path, 4096);
	rc = br_kube_path("burnrate.dev", "v1alpha1",
			  c->namespaces ? c->namespaces[0] : NULL,
			  "servicelevelobjectives", NULL, NULL, &path);
	if (rc == 0)
		rc = br_kube_list(c->client, br_buf_str(&path), NULL, 1, NULL,
				  NULL, err);
	br_buf_release(&path);
	if (rc == BR_ENOTFOUND) {
		if (err)
			br_error_init(err); /* replace the bare 404 */
		return br_error_set(err, BR_ENOTFOUND,
				    "the ServiceLevelObjective CRD "
				    "(servicelevelobjectives.burnrate.dev/v1alpha1) "
				    "is not installed: kubectl apply -f crds/");
	}
	return rc;
}

/* What the SLO handlers above read: keys, generation, uid, labels,
 * deletionTimestamp, and in status the generation observed and the rule's.
 * Reconciles read the whole SLO from the cache; decoding only this for the
 * handlers leaves out spec and most of status, four fifths of an SLO's
 * text. */
static const char *const slo_handler_view[] = {
	"metadata", "status.observedGeneration", "status.prometheusRule", NULL
};

static int start_informers(struct br_controller *c, struct br_error *err)
{
	for (size_t i = 0; i < c->ninf; i++) {
		const char *ns = c->namespaces ? c->namespaces[i] : NULL;
		struct br_informer_options so = {
			.group = "burnrate.dev", .version = "v1alpha1",
			.plural = "servicelevelobjectives", .namespace = ns,
			.label_selector = c->selector,
			.resync_period = c->o.resync,
			/* ~2.5 kB each with status and managedFields: pages of
			 * 100 rather than 500 keep a restart's peak RSS at 10,000
			 * SLOs ~10 MB lower (43 MB against 53 MB, real
			 * kube-apiserver), for 100 list requests instead of 20 */
			.page_size = 100,
			.handlers = { slo_add, slo_update, slo_delete, c },
			/* no transform: the cache keeps the server's text of
			 * each SLO (managedFields cut) without printing it */
			.synced_wake = c->wake,
			/* the on_slo observer (the UI's index) reads it all */
			.view = c->o.on_slo ? NULL : slo_handler_view,
		};
		const struct br_rules_resource *res = br_rules_resource_of(c->o.target);
		struct br_informer_options ro = {
			.group = res->group, .version = res->version,
			.plural = res->plural, .namespace = ns,
			.label_selector = MANAGED_SELECTOR,
			.handlers = { rule_add, rule_update, rule_delete, c },
			.transform = br__controller_rule_transform,
			/* drift is told from the digest annotation and the
			 * generation: the ~9 kB specs are never needed */
			.metadata_only = 1,
			/* metadata still carries the managedFields of a whole
			 * applied spec, ~1.5 kB a rule before they are cut: pages
			 * of 500 (their text, then their tree) put a restart's
			 * peak RSS 2 MB above the converged process at 1,000
			 * SLOs (real kube-apiserver) */
			.page_size = 100,
			.synced_wake = c->wake,
		};
		int rc = br_informer_create(c->client, &so, &c->slo_inf[i], err);
		if (rc == 0)
			rc = br_informer_create(c->client, &ro, &c->rule_inf[i], err);
		if (rc == 0)
			rc = br_informer_start(c->slo_inf[i], err);
		if (rc == 0)
			rc = br_informer_start(c->rule_inf[i], err);
		if (rc != 0)
			return rc;
	}
	int rc = br__controller_corrections_start(c, err);
	return rc ? rc : br__controller_routing_start(c, err);
}

static int caches_synced(struct br_controller *c)
{
	size_t done = 0;

	for (size_t i = 0; i < c->ninf; i++)
		done += br_informer_has_synced(c->slo_inf[i]) +
			br_informer_has_synced(c->rule_inf[i]);
	return done == 2 * c->ninf && br__controller_routing_synced(c) &&
	       br__controller_corrections_synced(c);
}

static int stopping(void *c)
{
	return atomic_load(&((struct br_controller *)c)->stop);
}

static int synced_or_stopping(void *c)
{
	return stopping(c) || caches_synced(c);
}

static int leading_or_stopping(void *c)
{
	return stopping(c) || atomic_load(&((struct br_controller *)c)->leading);
}

/* Sets leading and wakes whoever waits for it to change. */
static void set_leading(struct br_controller *c, int leading)
{
	atomic_store(&c->leading, leading);
	br_pause_wake(c->wake);
}

/* Every informer wakes c->wake once synced, and a stop wakes it too, so
 * that a stop during a long first list is prompt. */
static int wait_synced(struct br_controller *c)
{
	br_pause_wait(c->wake, -1, synced_or_stopping, c);
	return caches_synced(c) ? 0 : BR_ECANCELED;
}

/* Every cached SLO into the queue, to be checked (on becoming leader: the
 * last leader left most as they are). */
static void enqueue_all(struct br_controller *c)
{
	for (size_t i = 0; i < c->ninf; i++) {
		char **keys;
		size_t n;

		if (br_informer_keys(c->slo_inf[i], &keys, &n) != 0)
			continue;
		for (size_t k = 0; k < n; k++)
			br_queue_add_check(c->q, keys[k]);
		br_informer_keys_free(keys, n);
	}
	br__controller_routing_touch(c);
}

/* ---- workers ---- */

/* check: key was queued only to be checked (br_queue_add_check). */
static void process(struct br_controller *c, const char *key, int check)
{
	double retry_after = 0;
	struct timespec t0, t1;

	if (check && br__controller_settled(c, key)) {
		atomic_fetch_add(&c->settled, 1);
		if (c->m_reconciles)
			br_metric_inc(c->m_reconciles, (const char *[]){"settled"});
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = br__controller_reconcile(c, key, &retry_after);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_fetch_add(&c->reconciles, 1);
	if (c->m_reconciles) {
		br_metric_inc(c->m_reconciles, (const char *[]){rc ? "error" : "success"});
		br_metric_observe(c->m_duration, NULL, (double)(t1.tv_sec - t0.tv_sec) +
				  (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	if (rc == 0) {
		br_queue_forget(c->q, key);
		return;
	}
	atomic_fetch_add(&c->errors, 1);
	const char *slash = strchr(key, '/');
	char ns[256] = "";
	if (slash && (size_t)(slash - key) < sizeof(ns)) {
		memcpy(ns, key, (size_t)(slash - key));
		ns[slash - key] = '\0';
	}
	br__controller_log(c, BR_LOG_WARN, ns, slash ? slash + 1 : key,
			   "reconcile failed (%s), requeued", br_code_name(rc));
	if (rc == BR_ETHROTTLED && retry_after > 0)
		br_queue_add_after(c->q, key, (int64_t)(retry_after * 1000));
	else
		br_queue_add_rate_limited(c->q, key, NULL);
}

/* Once the queue has stayed empty for a moment after work, hands the heap's
 * free pages back to the system. A burst of reconciles (a restart, 10,000
 * new SLOs) frees far more than the caches then hold, spread over every
 * thread's malloc arena, and glibc would keep it resident for good: at
 * 10,000 SLOs that is several MB of RSS for nothing. One worker does it. */
static void give_back_memory(struct br_controller *c)
{
#ifdef __GLIBC__
	if (atomic_exchange(&c->trim_due, 0))
		malloc_trim(0);
#else
	(void)c;
#endif
}

static void *worker(void *arg)
{
	struct br_controller *c = arg;

	while (!atomic_load(&c->stop)) {
		if (!atomic_load(&c->leading)) {
			br_pause_wait(c->wake, -1, leading_or_stopping, c);
			continue;
		}
		char *key = NULL;
		int check = 0;
		if (br_queue_get_check(c->q, 200, &key, &check) != 0) {
			give_back_memory(c);
			continue;
		}
		atomic_store(&c->trim_due, 1);
		if (atomic_load(&c->leading))
			process(c, key, check);
		else /* lost the lease meanwhile */
			(check ? br_queue_add_check : br_queue_add)(c->q, key);
		br_queue_done(c->q, key);
		free(key);
	}
	return NULL;
}

static void started_leading(void *ctx)
{
	struct br_controller *c = ctx;

	br__controller_log(c, BR_LOG_INFO, NULL, NULL, "became leader");
	set_leading(c, 1);
	enqueue_all(c);
}

static void stopped_leading(void *ctx)
{
	struct br_controller *c = ctx;

	if (atomic_exchange(&c->leading, 0))
		br__controller_log(c, BR_LOG_INFO, NULL, NULL, "stopped leading");
	br_pause_wake(c->wake);
}

void br__controller_lease_error(void *ctx, const struct br_leader_error *e, int recovered)
{
	struct br_controller *c = ctx;
	char code[24], count[24], msg[96], line[1024];
	const char *slash = strchr(c->lease_ref, '/');
	char ns[256];

	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - c->lease_ref), c->lease_ref);
	snprintf(code, sizeof(code), "%ld", e->status);
	snprintf(count, sizeof(count), "%lu", e->count);
	if (recovered) {
		atomic_store(&c->lease_failing, 0);
		br_leader_error_format(e, NULL, line, sizeof(line));
		br__controller_log_kv(c, BR_LOG_INFO, ns, slash + 1,
				      "leader election: the Lease works again",
				      (const char *[]){"kind", "Lease", "failedAttempts", count,
					    "lastError", line, NULL});
		return;
	}
	atomic_store(&c->lease_failing, 1);
	if (c->m_lease_errors)
		br_metric_inc(c->m_lease_errors, (const char *[]){code});
	if (e->count != 1)
		return;
	snprintf(msg, sizeof(msg), "leader election: cannot %s Lease", e->verb);
	br__controller_log_kv(c, BR_LOG_ERROR, ns, slash + 1, msg,
			      (const char *[]){"kind", "Lease", "verb", e->verb, "code", code,
				    "reason", e->reason, "error", e->message, NULL});
}

static int start_leader(struct br_controller *c, struct br_error *err)
{
	struct br_leader_options lo = {
		.namespace = c->leader_namespace ? c->leader_namespace
			     : br_kube_client_namespace(c->client),
		.name = c->leader_name, .identity = c->identity,
		.lease_duration = c->o.lease_duration,
		.renew_deadline = c->o.renew_deadline,
		.retry_period = c->o.retry_period,
		.on_started_leading = started_leading,
		.on_stopped_leading = stopped_leading,
		.on_error = br__controller_lease_error, .ctx = c,
	};
	struct br_buf ref;

	br_buf_init(&ref, 1024);
	br_buf_addf(&ref, "%s/%s", lo.namespace, lo.name);
	c->lease_ref = br_buf_detach(&ref);
	if (!c->lease_ref)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	int rc = br_leader_create(c->client, &lo, &c->leader, err);

	if (rc == 0)
		atomic_store(&c->leader_started, 1);
	return rc ? rc : br_leader_start(c->leader, err);
}

static void *stop_one(void *inf)
{
	br_informer_stop(inf);
	return NULL;
}

/* Each stop takes up to a second (a watch is aborted at its next check):
 * stop them all at once so that shutdown does not grow with namespaces. */
static void stop_informers(struct br_controller *c)
{
	size_t n = 2 * c->ninf, started = 0;
	pthread_t *t = calloc(n, sizeof(*t));
	struct br_informer **all = calloc(n, sizeof(*all));

	for (size_t i = 0; i < c->ninf; i++) {
		if (all) {
			all[2 * i] = c->slo_inf[i];
			all[2 * i + 1] = c->rule_inf[i];
		}
	}
	br__controller_corrections_stop(c);
	for (size_t i = 0; t && all && i < n; i++) {
		if (all[i] && pthread_create(&t[started], NULL, stop_one, all[i]) == 0)
			started++;
		else if (all[i])
			br_informer_stop(all[i]);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (!t || !all) /* no memory for threads: one at a time */
		for (size_t i = 0; i < c->ninf; i++) {
			br_informer_stop(c->slo_inf[i]);
			br_informer_stop(c->rule_inf[i]);
		}
	free(t);
	free(all);
}

static void shutdown_all(struct br_controller *c, int nstarted)
{
	atomic_store(&c->stop, 1);
	br_pause_wake(c->wake);
	br_queue_shutdown(c->q);
	for (int i = 0; i < nstarted; i++)
		pthread_join(c->workers[i], NULL);
	br__controller_budget_stop(c);
	set_leading(c, 0);
	if (c->leader)
		br_leader_stop(c->leader);
	stop_informers(c);
	br__controller_routing_stop(c);
}

int br_controller_run(struct br_controller *c, struct br_error *err)
{
	int rc = preflight(c, err), n = 0;

	if (rc != 0)
		return rc;
	rc = start_informers(c, err);
	if (rc == 0)
		atomic_store(&c->informers_started, 1);
	if (rc == 0 && wait_synced(c) == 0) {
		atomic_store(&c->synced, 1);
		br__controller_log(c, BR_LOG_INFO, NULL, NULL, "caches synced");
		c->workers = calloc((size_t)c->nworkers, sizeof(pthread_t));
		if (!c->workers)
			rc = br_error_set(err, BR_ENOMEM, "out of memory");
		for (; rc == 0 && n < c->nworkers; n++)
			if (pthread_create(&c->workers[n], NULL, worker, c) != 0)
				rc = br_error_set(err, BR_ENOMEM, "no thread");
		if (rc == 0)
			br__controller_budget_start(c);
		if (rc == 0 && c->o.leader_elect)
			rc = start_leader(c, err);
		else if (rc == 0)
			set_leading(c, 1);
		if (rc == 0)
			br_pause_wait(c->wake, -1, stopping, c);
	}
	br__controller_log(c, BR_LOG_INFO, NULL, NULL, "shutting down");
	shutdown_all(c, n);
	return rc;
}
