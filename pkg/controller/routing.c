/* Alert routing: the Alertmanager configuration Secret (DESIGN.md section 4).
 *
 * Two informers watch the base Secret and the target Secret (one object
 * each: a field selector on metadata.name in their namespace). The base is
 * parsed when it changes; a change re-enqueues every SLO, whose
 * AlertRoutingReady condition depends on it. The target Secret is one
 * aggregate work-queue key, ROUTING_KEY: every SLO event adds it after
 * DEBOUNCE_MS (the queue keeps the earliest time, so a burst of events
 * becomes one rebuild per period), and its reconcile rebuilds the whole
 * configuration from the SLO cache, never incrementally: an SLO deleted
 * while burnrate was down simply is not there any more. It is applied only
 * when it differs from the cached target, and never while the base is
 * missing or invalid (the last good Secret stays). Only the leader runs
 * workers, so only the leader writes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "alertmanager/alertmanager.h"
#include "buf/buf.h"
#include "informer/informer.h"
#include "internal.h"
#include "rules/rules.h"

/* Not a valid "namespace/name": no SLO can collide with it. */
#define ROUTING_KEY "!alertmanager"
#define DEBOUNCE_MS 1500
#define CONDITION "AlertRoutingReady"

struct br__controller_routing {
	char *base_ns, *base_name, *target_ns, *target_name;
	char *base_key, *target_key;     /* "ns/name" in the informers' caches */
	struct br_informer *base_inf, *target_inf;

	pthread_mutex_t mu;              /* guards what follows */
	struct br_am_config *cfg;        /* the base, when it is valid; else NULL */
	char base_error[1200];           /* why there is no cfg */
	char base_digest[65];            /* of the base Secret's inputs */
	char applied_digest[65];         /* of the config we last wrote; "" none */
};

/* "ns/name" into two new strings. Returns 0, BR_EINVAL or BR_ENOMEM. */
static int split_ref(const char *ref, const char *flag, char **ns, char **name,
		     struct br_error *err)
{
	const char *slash = ref ? strchr(ref, '/') : NULL;

	if (!slash || slash == ref || !slash[1] || strchr(slash + 1, '/'))
		return br_error_set(err, BR_EINVAL, "%s wants NAMESPACE/NAME, got \"%s\"",
				    flag, ref ? ref : "");
	*ns = strndup(ref, (size_t)(slash - ref));
	*name = strdup(slash + 1);
	if (!*ns || !*name)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	return 0;
}

int br__controller_routing_create(struct br_controller *c, struct br_error *err)
{
	const char *base = c->o.alertmanager_base_secret, *target = c->o.alertmanager_secret;
	struct br__controller_routing *rt;
	int rc;

	if (!base && !target)
		return 0; /* routing off */
	if (!base || !target)
		return br_error_set(err, BR_EINVAL, "alert routing needs both the base Secret "
				    "and the target Secret");
	if (strcmp(base, target) == 0)
		return br_error_set(err, BR_EINVAL, "the base and the target Secret must differ");
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	c->rt = rt;
	pthread_mutex_init(&rt->mu, NULL);
	snprintf(rt->base_error, sizeof(rt->base_error), "base Secret %s not read yet", base);
	rc = split_ref(base, "--alertmanager-base-secret", &rt->base_ns, &rt->base_name, err);
	if (rc == 0)
		rc = split_ref(target, "--alertmanager-secret", &rt->target_ns, &rt->target_name,
			       err);
	if (rc == 0 && (!(rt->base_key = strdup(base)) || !(rt->target_key = strdup(target))))
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
	return rc;
}

void br__controller_routing_free(struct br_controller *c)
{
	struct br__controller_routing *rt = c->rt;

	if (!rt)
		return;
	br_informer_free(rt->base_inf);
	br_informer_free(rt->target_inf);
	br_am_config_free(rt->cfg);
	pthread_mutex_destroy(&rt->mu);
	free(rt->base_ns);
	free(rt->base_name);
	free(rt->target_ns);
	free(rt->target_name);
	free(rt->base_key);
	free(rt->target_key);
	free(rt);
	c->rt = NULL;
}

int br__controller_routing_is_key(const char *key)
{
	return strcmp(key, ROUTING_KEY) == 0;
}

void br__controller_routing_touch(struct br_controller *c)
{
	if (c->rt)
		br_queue_add_after(c->q, ROUTING_KEY, DEBOUNCE_MS);
}

static void sha256_hex(const char *a, size_t alen, const char *b, size_t blen, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	out[0] = '\0';
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, a, alen) && EVP_DigestUpdate(ctx, "\0", 1) &&
	    EVP_DigestUpdate(ctx, b, blen) && EVP_DigestFinal_ex(ctx, md, &len) && len == 32)
		for (unsigned int i = 0; i < 32; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
}

/* Every cached SLO into the queue: their conditions follow the base. */
static void enqueue_slos(struct br_controller *c)
{
	for (size_t i = 0; i < c->ninf; i++) {
		char **keys;
		size_t n;

		if (!c->slo_inf[i] || br_informer_keys(c->slo_inf[i], &keys, &n) != 0)
			continue;
		for (size_t k = 0; k < n; k++)
			br_queue_add(c->q, keys[k]);
		br_informer_keys_free(keys, n);
	}
}

/* Parses the base Secret (NULL: it is gone) into cfg, or records why not. */
static void base_changed(struct br_controller *c, const json_t *secret)
{
	struct br__controller_routing *rt = c->rt;
	struct br_am_config *cfg = NULL;
	char *base = NULL, *policy = NULL, digest[65], line[1100], why[1200] = "";
	size_t blen = 0, plen = 0;
	struct br_error err;
	int rc;

	br_error_init(&err);
	rc = secret ? br_am_secret_value(secret, BR_AM_CONFIG_KEY, &base, &blen, &err)
		    : BR_ENOTFOUND;
	if (rc == BR_ENOTFOUND)
		snprintf(why, sizeof(why), "base Secret %s %s", rt->base_key,
			 secret ? "has no key " BR_AM_CONFIG_KEY : "not found");
	if (rc == 0) {
		rc = br_am_secret_value(secret, BR_AM_POLICY_KEY, &policy, &plen, &err);
		rc = rc == BR_ENOTFOUND ? 0 : rc;
	}
	sha256_hex(base ? base : "", blen, policy ? policy : "", plen, digest);
	if (rc == 0)
		rc = br_am_config_parse(base, blen, policy, plen, &cfg, &err);
	if (rc != 0 && !why[0])
		snprintf(why, sizeof(why), "base Secret %s: %s", rt->base_key,
			 br_error_format(&err, line, sizeof(line)));
	free(base);
	free(policy);

	pthread_mutex_lock(&rt->mu);
	int same = strcmp(digest, rt->base_digest) == 0 && (rt->cfg != NULL) == (cfg != NULL);
	br_am_config_free(rt->cfg);
	rt->cfg = cfg;
	snprintf(rt->base_error, sizeof(rt->base_error), "%s", why);
	snprintf(rt->base_digest, sizeof(rt->base_digest), "%s", digest);
	pthread_mutex_unlock(&rt->mu);
	if (same)
		return; /* a resync or a metadata change: nothing to redo */
	if (cfg)
		br__controller_log(c, BR_LOG_INFO, NULL, NULL, "Alertmanager base %s loaded",
				   rt->base_key);
	else
		br__controller_log(c, BR_LOG_WARN, NULL, NULL,
				   "%s; the Alertmanager Secret is kept as it is", why);
	br_queue_add(c->q, ROUTING_KEY);
	enqueue_slos(c);
}

static void base_add(void *ctx, json_t *obj) { base_changed(ctx, obj); }
static void base_update(void *ctx, json_t *old, json_t *obj)
{
	(void)old;
	base_changed(ctx, obj);
}
static void base_delete(void *ctx, json_t *obj)
{
	(void)obj;
	base_changed(ctx, NULL);
}

/* The target changed (our write coming back, or someone else's): look
 * again, against the cache this time. */
static void target_event(struct br_controller *c)
{
	pthread_mutex_lock(&c->rt->mu);
	c->rt->applied_digest[0] = '\0';
	pthread_mutex_unlock(&c->rt->mu);
	br_queue_add(c->q, ROUTING_KEY);
}

static void target_add(void *ctx, json_t *obj) { (void)obj; target_event(ctx); }
static void target_update(void *ctx, json_t *old, json_t *obj)
{
	(void)old;
	(void)obj;
	target_event(ctx);
}

static void secret_transform(void *ctx, json_t *obj)
{
	(void)ctx;
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

static int start_one(struct br_controller *c, const char *ns, const char *name,
		     struct br_informer_handlers h, struct br_informer **out,
		     struct br_error *err)
{
	char field[300];
	struct br_informer_options o = {
		.version = "v1", .plural = "secrets", .namespace = ns,
		.field_selector = field, .handlers = h, .transform = secret_transform,
		.synced_wake = c->wake,
	};
	int rc;

	snprintf(field, sizeof(field), "metadata.name=%s", name);
	rc = br_informer_create(c->client, &o, out, err);
	return rc ? rc : br_informer_start(*out, err);
}

int br__controller_routing_start(struct br_controller *c, struct br_error *err)
{
	struct br__controller_routing *rt = c->rt;
	int rc;

	if (!rt)
		return 0;
	rc = start_one(c, rt->base_ns, rt->base_name,
		       (struct br_informer_handlers){ base_add, base_update, base_delete, c },
		       &rt->base_inf, err);
	if (rc == 0)
		rc = start_one(c, rt->target_ns, rt->target_name,
			       (struct br_informer_handlers){ target_add, target_update,
							      target_add, c },
			       &rt->target_inf, err);
	return rc;
}

int br__controller_routing_synced(struct br_controller *c)
{
	return !c->rt || (br_informer_has_synced(c->rt->base_inf) &&
			  br_informer_has_synced(c->rt->target_inf));
}

void br__controller_routing_stop(struct br_controller *c)
{
	if (!c->rt)
		return;
	if (c->rt->base_inf)
		br_informer_stop(c->rt->base_inf);
	if (c->rt->target_inf)
		br_informer_stop(c->rt->target_inf);
}

/* ---- the aggregate reconcile ---- */

/* The receivers of one cached SLO object (borrowed from it). Invalid
 * fields count as unset: the SLO's own condition reports them. */
static void target_of(const json_t *slo, struct br_am_target *t)
{
	static const char *const sev[2] = {"page", "ticket"};
	const json_t *meta = json_object_get(slo, "metadata");
	const json_t *alerting = json_object_get(json_object_get(slo, "spec"), "alerting");

	t->namespace = json_string_value(json_object_get(meta, "namespace"));
	for (int s = 0; s < 2; s++) {
		const json_t *r = json_object_get(alerting, sev[s]);
		t->receiver[s] = json_is_true(json_object_get(r, "disabled")) ? NULL
				 : json_string_value(json_object_get(r, "receiver"));
	}
	if (json_object_get(meta, "deletionTimestamp"))
		t->receiver[0] = t->receiver[1] = NULL;
}

/* Every cached SLO: *objs holds a reference to each (json_decref them),
 * *targets borrows from them. Returns the count, or -1 (no memory). */
static long gather(struct br_controller *c, json_t ***objs, struct br_am_target **targets)
{
	size_t cap = 0, n = 0;

	*objs = NULL;
	*targets = NULL;
	for (size_t i = 0; i < c->ninf; i++)
		cap += br_informer_size(c->slo_inf[i]);
	cap += 16; /* the caches may grow while we read them */
	*objs = calloc(cap, sizeof(**objs));
	*targets = calloc(cap, sizeof(**targets));
	if (!*objs || !*targets)
		return -1;
	for (size_t i = 0; i < c->ninf; i++) {
		char **keys;
		size_t nk;

		if (br_informer_keys(c->slo_inf[i], &keys, &nk) != 0)
			return -1;
		for (size_t k = 0; k < nk && n < cap; k++) {
			json_t *o = br_informer_get(c->slo_inf[i], keys[k]);
			if (!o)
				continue; /* deleted meanwhile */
			(*objs)[n] = o;
			target_of(o, &(*targets)[n++]);
		}
		br_informer_keys_free(keys, nk);
	}
	return (long)n;
}

static void release_gathered(json_t **objs, struct br_am_target *t, long n)
{
	for (long i = 0; objs && i < n; i++)
		json_decref(objs[i]);
	free(objs);
	free(t);
}

/* Builds the configuration from every cached SLO. Returns 0 and out, 1 when
 * there is no valid base (nothing to write), or a BR_E* code. */
static int desired(struct br_controller *c, struct br_buf *out)
{
	struct br__controller_routing *rt = c->rt;
	json_t **objs;
	struct br_am_target *t;
	struct br_error err;
	long n = gather(c, &objs, &t);
	int rc;

	br_error_init(&err);
	if (n < 0) {
		release_gathered(objs, t, 0);
		return BR_ENOMEM;
	}
	pthread_mutex_lock(&rt->mu);
	rc = rt->cfg ? br_am_build(rt->cfg, t, (size_t)n, out, &err) : 1;
	pthread_mutex_unlock(&rt->mu);
	release_gathered(objs, t, n);
	if (rc < 0)
		br__controller_log(c, BR_LOG_ERROR, NULL, NULL, "Alertmanager configuration not "
				   "built: %s", err.text);
	return rc;
}

/* 1 when the cached target holds exactly what we would write. */
static int target_up_to_date(struct br_controller *c, const struct br_buf *want)
{
	json_t *have = br_informer_get(c->rt->target_inf, c->rt->target_key);
	const json_t *labels = json_object_get(json_object_get(have, "metadata"), "labels");
	const char *managed =
		json_string_value(json_object_get(labels, "app.kubernetes.io/managed-by"));
	char *text = NULL;
	size_t len = 0;
	int same = have && managed && strcmp(managed, BR_RULES_MANAGED_BY) == 0 &&
		   br_am_secret_value(have, BR_AM_CONFIG_KEY, &text, &len, NULL) == 0 &&
		   len == want->len && memcmp(text, want->data, len) == 0;

	free(text);
	json_decref(have);
	return same;
}

static int apply_secret(struct br_controller *c, const struct br_buf *text,
			double *retry_after)
{
	struct br__controller_routing *rt = c->rt;
	struct br_kube_response resp;
	struct br_error err;
	struct br_buf path;
	json_t *s = br_am_target_secret(rt->target_ns, rt->target_name, text->data, text->len);
	char *body = s ? json_dumps(s, JSON_COMPACT) : NULL;
	int rc;

	json_decref(s);
	br_buf_init(&path, 4096);
	br_error_init(&err);
	rc = body ? br_kube_path(NULL, "v1", rt->target_ns, "secrets", rt->target_name, NULL, &path)
		  : BR_ENOMEM;
	if (rc == 0) {
		rc = br_kube_request(c->client, "PATCH", br_buf_str(&path),
				     "fieldManager=burnrate&force=true",
				     "application/apply-patch+yaml", body, &resp, &err);
		if (rc != 0 && resp.retry_after > 0)
			*retry_after = resp.retry_after;
		br_kube_response_release(&resp);
		atomic_fetch_add(&c->secret_writes, 1);
		br__controller_count_write(c, "secret");
		if (rc != 0)
			br__controller_log(c, BR_LOG_WARN, NULL, NULL, "apply of Secret %s "
					   "failed: %s", rt->target_key, err.text);
		else
			br__controller_log(c, BR_LOG_INFO, NULL, NULL, "Alertmanager "
					   "configuration applied to Secret %s (%zu bytes)",
					   rt->target_key, text->len);
	}
	free(body);
	br_buf_release(&path);
	return rc;
}

int br__controller_routing_reconcile(struct br_controller *c, double *retry_after)
{
	struct br__controller_routing *rt = c->rt;
	struct br_buf text;
	char digest[65];
	int rc, done;

	if (!rt)
		return 0;
	br_buf_init(&text, BR_BUF_MAX_DEFAULT);
	rc = desired(c, &text);
	if (rc != 0) {
		br_buf_release(&text);
		return rc == 1 ? 0 : rc; /* no valid base: the last good Secret stays */
	}
	sha256_hex(text.data, text.len, "", 0, digest);
	pthread_mutex_lock(&rt->mu);
	done = strcmp(digest, rt->applied_digest) == 0;
	pthread_mutex_unlock(&rt->mu);
	/* written and not yet seen back in the cache: no second write */
	if (!done && !target_up_to_date(c, &text))
		rc = apply_secret(c, &text, retry_after);
	if (rc == 0) {
		pthread_mutex_lock(&rt->mu);
		snprintf(rt->applied_digest, sizeof(rt->applied_digest), "%s", digest);
		pthread_mutex_unlock(&rt->mu);
	}
	br_buf_release(&text);
	return rc;
}

/* ---- the per-SLO condition ---- */

json_t *br__controller_routing_condition(struct br_controller *c, const struct br_slo *slo,
					 const json_t *cur_status, json_t **routing)
{
	struct br__controller_routing *rt = c->rt;
	struct br_am_target t = {
		slo->namespace,
		{ slo->page.disabled ? NULL : slo->page.receiver,
		  slo->ticket.disabled ? NULL : slo->ticket.receiver },
	};
	char msg[1024], full[2400];
	enum br_am_verdict v;

	*routing = NULL;
	if (!rt)
		return NULL;
	pthread_mutex_lock(&rt->mu);
	v = br_am_check(rt->cfg, &t, msg, sizeof(msg));
	snprintf(full, sizeof(full), "%s%s%s", msg, v == BR_AM_BASE_CONFIG_INVALID ? ": " : "",
		 v == BR_AM_BASE_CONFIG_INVALID ? rt->base_error : "");
	pthread_mutex_unlock(&rt->mu);
	if (v == BR_AM_ROUTED) {
		json_t *recv = json_array();
		for (int s = 0; recv && s < 2; s++)
			if (t.receiver[s] && !(s == 1 && t.receiver[0] &&
					       strcmp(t.receiver[0], t.receiver[1]) == 0))
				json_array_append_new(recv, json_string(t.receiver[s]));
		*routing = json_pack("{s:s, s:o*}", "secret", rt->target_key, "receivers", recv);
	}
	const char *status = v == BR_AM_ROUTED || v == BR_AM_NO_RECEIVERS ? "True" : "False";
	return br__controller_condition(cur_status, CONDITION, status, br_am_reason(v), full,
					slo->generation);
}

const char *br__controller_routing_not_ready(const json_t *cond, char *msg, size_t size)
{
	const char *status = json_string_value(json_object_get(cond, "status"));

	/* an SLO whose pages would go nowhere is not ready */
	if (!status || strcmp(status, "False") != 0)
		return NULL;
	snprintf(msg, size, "alert routing: %s",
		 json_string_value(json_object_get(cond, "message")));
	return json_string_value(json_object_get(cond, "reason"));
}
