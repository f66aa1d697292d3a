/* leader: Lease-based leader election (client-go's leaderelection): the
 * acquire/renew step, the contend/lead loop, and release on stop. */
#include "leader/leader.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf/buf.h"
#include "kube/kube.h"
#include "pace/pace.h"

struct br_leader {
	struct br_kube_client *client;
	char *ns, *name, *identity;
	char *path;                 /* the Lease's path */
	struct br_leader_options opts;  /* strings not owned */
	pthread_mutex_t mu;         /* guards the fields below */
	struct br_pause *pause;     /* woken by stop */
	int leading;
	double last_ok;             /* when we last held it for sure */
	char *holder;               /* last holder seen */
	struct br_leader_stats stats;
	struct br_leader_error err; /* of the last attempt; code 0: none */
	atomic_int stop;
	int running;
	pthread_t thread;
	unsigned int seed;
	/* elector thread only: what we last saw and when (our clock) */
	json_t *observed;           /* the Lease spec last seen */
	double observed_at;
};

int br_leader_microtime(const struct timespec *t, char *out, size_t size)
{
	struct tm tm;
	char secs[32];
	if (size < 28 || !gmtime_r(&t->tv_sec, &tm) ||
	    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		return BR_EINVAL;
	/* bounded, so that -O2 sees the 27 bytes (-Wformat-truncation) */
	snprintf(out, size, "%.19s.%06uZ", secs, (unsigned)(t->tv_nsec / 1000) % 1000000u);
	return 0;
}

static json_t *now_microtime(void)
{
	struct timespec ts;
	char buf[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	if (br_leader_microtime(&ts, buf, sizeof(buf)) < 0)
		return NULL;
	return json_string(buf);
}

static void set_holder(struct br_leader *le, const char *holder)
{
	char *copy = strdup(holder ? holder : "");
	pthread_mutex_lock(&le->mu);
	if (copy) {
		free(le->holder);
		le->holder = copy;
	}
	pthread_mutex_unlock(&le->mu);
}

/* Remembers spec and the local time it was first seen to be so. */
static void observe(struct br_leader *le, json_t *spec)
{
	if (le->observed && json_equal(le->observed, spec))
		return;
	json_decref(le->observed);
	le->observed = json_deep_copy(spec);
	le->observed_at = br_clock_now(NULL);
	set_holder(le, json_string_value(json_object_get(spec, "holderIdentity")));
}

static json_t *lease_object(struct br_leader *le, const char *rv, json_t *spec)
{
	json_t *md = json_pack("{s:s,s:s}", "name", le->name, "namespace", le->ns);
	if (md && rv)
		json_object_set_new(md, "resourceVersion", json_string(rv));
	return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "coordination.k8s.io/v1",
			 "kind", "Lease", "metadata", md, "spec", spec);
}

/* The spec we write to hold the lease, given the one read (NULL: none). */
static json_t *held_spec(struct br_leader *le, json_t *old)
{
	const char *holder = json_string_value(json_object_get(old, "holderIdentity"));
	json_int_t transitions =
		json_integer_value(json_object_get(old, "leaseTransitions"));
	int ours = holder && strcmp(holder, le->identity) == 0;
	json_t *now = now_microtime();
	json_t *acquired = ours ? json_incref(json_object_get(old, "acquireTime")) : NULL;
	if (!acquired)
		acquired = json_incref(now);
	if (old && !ours)
		transitions++;  /* a takeover (or after a release) */
	return json_pack("{s:s,s:i,s:o,s:o,s:I}", "holderIdentity", le->identity,
			 "leaseDurationSeconds", (int)(le->opts.lease_duration + 0.5),
			 "acquireTime", acquired, "renewTime", now,
			 "leaseTransitions", transitions);
}

static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* Fills e for a failed request (or a failure before any request). */
static int note(struct br_leader_error *e, const char *verb, int code,
		long status, const char *reason, const char *message)
{
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->status = status;
	copy_text(e->verb, sizeof(e->verb), verb);
	copy_text(e->reason, sizeof(e->reason), reason);
	copy_text(e->message, sizeof(e->message), message);
	return code;
}

/* method on path with obj (NULL: no body); *out (may be NULL) gets the
 * response object. On failure fills e with the HTTP status and the decoded
 * Status (or what the transport said) and returns the BR_E* code. */
static int lease_request(struct br_leader *le, const char *method,
			 const char *verb, const char *path, const json_t *obj,
			 json_t **out, struct br_leader_error *e)
{
	struct br_kube_response resp;
	struct br_error err;
	char *body = NULL;
	if (out)
		*out = NULL;
	if (obj && !(body = json_dumps(obj, JSON_COMPACT)))
		return note(e, verb, BR_ENOMEM, 0, "", br_strerror(BR_ENOMEM));
	br_error_init(&err);
	int rc = br_kube_request(le->client, method, path, NULL, NULL, body, &resp, &err);
	free(body);
	if (rc == 0 && out) {
		*out = resp.body;
		resp.body = NULL;
	} else if (rc != 0) {
		/* a Status decoded, or else what the client said */
		int st = resp.status >= 400 && resp.error.message[0];
		note(e, verb, rc, resp.status, st ? resp.error.reason : "",
		     st ? resp.error.message : err.text);
	}
	br_kube_response_release(&resp);
	return rc;
}

/* One acquire-or-renew attempt. Returns 0 when we hold the lease now,
 * BR_ECONFLICT when another holds it or won the race, another code for a
 * failed request (e says which). */
static int try_acquire(struct br_leader *le, struct br_leader_error *e)
{
	json_t *lease = NULL, *out = NULL;
	int rc = lease_request(le, "GET", "get", le->path, NULL, &lease, e);
	if (rc == BR_ENOTFOUND) {
		json_t *obj = lease_object(le, NULL, held_spec(le, NULL));
		struct br_buf coll;
		br_buf_init(&coll, 4096);
		rc = !obj ? BR_ENOMEM : br_kube_path("coordination.k8s.io", "v1", le->ns, "leases",
				  NULL, NULL, &coll);
		if (rc == 0)
			rc = lease_request(le, "POST", "create", coll.data, obj, &out, e);
		br_buf_release(&coll);
		json_decref(obj);
	} else if (rc == 0) {
		json_t *spec = json_object_get(lease, "spec");
		if (!spec)
			spec = json_object();
		else
			json_incref(spec);
		observe(le, spec);
		const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
		json_int_t secs = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
		int other = holder && *holder && strcmp(holder, le->identity) != 0;
		if (other && le->observed_at + (double)secs > br_clock_now(NULL)) {
			json_decref(spec);
			json_decref(lease);
			return BR_ECONFLICT;  /* held, not expired */
		}
		const char *rv = json_string_value(json_object_get(
			json_object_get(lease, "metadata"), "resourceVersion"));
		json_t *obj = lease_object(le, rv, held_spec(le, spec));
		rc = !obj ? BR_ENOMEM : lease_request(le, "PUT", "update", le->path, obj, &out, e);
		json_decref(obj);
		json_decref(spec);
	}
	if (rc == 0)
		observe(le, json_object_get(out, "spec"));
	json_decref(out);
	json_decref(lease);
	return rc;
}

/* Keeps the outcome of a request on the Lease as the last error and
 * reports it: every failure, and the first success after failures. rc
 * BR_ECONFLICT (another holds the lease or won a race) is no failure. */
static void record(struct br_leader *le, int rc, struct br_leader_error *e)
{
	struct br_leader_error report;
	int failed = rc != 0 && rc != BR_ECONFLICT, recovered = 0;
	if (failed && e->code == 0)  /* failed before any request */
		note(e, "get", rc, 0, "", br_strerror(rc));
	pthread_mutex_lock(&le->mu);
	if (failed) {
		e->count = le->err.code && br_leader_error_same(&le->err, e) ?
			   le->err.count + 1 : 1;
		le->err = *e;
		report = *e;
	} else if (le->err.code) {
		report = le->err;
		recovered = 1;
		memset(&le->err, 0, sizeof(le->err));
	}
	pthread_mutex_unlock(&le->mu);
	if ((failed || recovered) && le->opts.on_error)
		le->opts.on_error(le->opts.ctx, &report, recovered);
}

/* Writes an empty holder so the next contender need not wait. A failure
 * is reported like an attempt's. */
static void release(struct br_leader *le)
{
	struct br_leader_error e;
	json_t *lease = NULL;
	memset(&e, 0, sizeof(e));
	int rc = lease_request(le, "GET", "get", le->path, NULL, &lease, &e);
	if (rc == 0) {
		json_t *spec = json_object_get(lease, "spec");
		const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
		if (holder && strcmp(holder, le->identity) == 0) {
			json_t *now = now_microtime();
			json_object_set_new(spec, "holderIdentity", json_string(""));
			json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
			json_object_set(spec, "renewTime", now);
			json_object_set_new(spec, "acquireTime", now);
			rc = lease_request(le, "PUT", "update", le->path, lease, NULL, &e);
		}
	}
	if (rc != 0 && rc != BR_ENOTFOUND && rc != BR_ECONFLICT)
		record(le, rc, &e);  /* gone or taken meanwhile: nothing to say */
	json_decref(lease);
}

static int stopping(void *le)
{
	return atomic_load(&((struct br_leader *)le)->stop);
}

static void set_leading(struct br_leader *le, int leading)
{
	pthread_mutex_lock(&le->mu);
	le->leading = leading;
	if (leading)
		le->stats.acquisitions++;
	pthread_mutex_unlock(&le->mu);
	void (*cb)(void *) = leading ? le->opts.on_started_leading
				     : le->opts.on_stopped_leading;
	if (cb)
		cb(le->opts.ctx);
}

/* One attempt; on success *ok_at is when it began (the latest moment the
 * lease is sure to be ours from). */
static int attempt(struct br_leader *le, double *ok_at)
{
	struct br_leader_error e;
	double t = br_clock_now(NULL);
	memset(&e, 0, sizeof(e));
	int rc = try_acquire(le, &e);
	pthread_mutex_lock(&le->mu);
	le->stats.attempts++;
	if (rc)
		le->stats.failures++;
	else
		le->last_ok = *ok_at = t;
	pthread_mutex_unlock(&le->mu);
	record(le, rc, &e);
	return rc;
}

static void *run(void *arg)
{
	struct br_leader *le = arg;
	double last_ok = 0;
	int leading = 0;
	while (!atomic_load(&le->stop)) {
		int rc = attempt(le, &last_ok);
		if (atomic_load(&le->stop)) {
			if (rc == 0 && !leading)
				release(le);  /* won it just now: give it back */
			break;
		}
		double now = br_clock_now(NULL);
		if (rc == 0) {
			if (!leading) {
				leading = 1;
				set_leading(le, 1);
			}
		} else if (leading && now - last_ok > le->opts.renew_deadline) {
			leading = 0;
			pthread_mutex_lock(&le->mu);
			le->stats.losses++;
			pthread_mutex_unlock(&le->mu);
			set_leading(le, 0);
		}
		double wait = le->opts.retry_period;
		if (!leading)  /* contenders spread out, as client-go's jitter */
			wait *= 1.0 + 0.2 * (rand_r(&le->seed) / (RAND_MAX + 1.0));
		br_pause_wait(le->pause, wait, stopping, le);
	}
	if (leading) {
		release(le);
		set_leading(le, 0);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                          */

static int check_options(const struct br_leader_options *o,
			 struct br_leader_options *d, struct br_error *err)
{
	*d = *o;
	if (d->lease_duration <= 0)
		d->lease_duration = 15;
	if (d->renew_deadline <= 0)
		d->renew_deadline = 10;
	if (d->retry_period <= 0)
		d->retry_period = 2;
	if (!o->namespace || !*o->namespace || !o->name || !*o->name)
		return br_error_set(err, BR_EINVAL, "leader: lease namespace and name required");
	if (!(d->lease_duration > d->renew_deadline) ||
	    !(d->renew_deadline > 1.2 * d->retry_period))
		return br_error_set(err, BR_EINVAL,
				    "leader: need lease (%g s) > renew deadline (%g s) > "
				    "1.2 x retry (%g s)",
				    d->lease_duration, d->renew_deadline, d->retry_period);
	d->namespace = d->name = d->identity = NULL;
	return 0;
}

static char *default_identity(void)
{
	char host[256] = "";
	struct br_buf b;
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	br_buf_init(&b, 1024);
	br_buf_addf(&b, "%s_%ld", host[0] ? host : "unknown", (long)getpid());
	return br_buf_detach(&b);
}

static void destroy(struct br_leader *le)
{
	json_decref(le->observed);
	br_pause_free(le->pause);
	free(le->ns);
	free(le->name);
	free(le->identity);
	free(le->path);
	free(le->holder);
	free(le);
}

static int init_fields(struct br_leader *le, const struct br_leader_options *o)
{
	struct br_buf p;
	le->ns = strdup(o->namespace);
	le->name = strdup(o->name);
	le->identity = o->identity ? strdup(o->identity) : default_identity();
	br_buf_init(&p, 4096);
	if (br_kube_path("coordination.k8s.io", "v1", o->namespace, "leases", o->name,
			 NULL, &p) < 0)
		return BR_ENOMEM;
	le->path = br_buf_detach(&p);
	if (!le->ns || !le->name || !le->identity || !le->path)
		return BR_ENOMEM;
	if (br_pause_create(0, &le->pause) < 0)
		return BR_ENOMEM;
	if (pthread_mutex_init(&le->mu, NULL)) {
		br_pause_free(le->pause);
		le->pause = NULL;
		return BR_ENOMEM;
	}
	return 0;
}

int br_leader_create(struct br_kube_client *c,
		     const struct br_leader_options *opts,
		     struct br_leader **out, struct br_error *err)
{
	*out = NULL;
	struct br_leader *le = calloc(1, sizeof(*le));
	if (!le)
		return br_error_set(err, BR_ENOMEM, "leader: out of memory");
	int rc = check_options(opts, &le->opts, err);
	if (rc == 0 && init_fields(le, opts) < 0)
		rc = br_error_set(err, BR_ENOMEM, "leader: out of memory");
	if (rc < 0) {
		destroy(le);
		return rc;
	}
	le->client = c;
	le->seed = (unsigned int)(br_clock_now(NULL) * 1e6) ^ (unsigned int)getpid();
	*out = le;
	return 0;
}

int br_leader_start(struct br_leader *le, struct br_error *err)
{
	if (le->running)
		return br_error_set(err, BR_EINVAL, "leader: already started");
	atomic_store(&le->stop, 0);
	if (pthread_create(&le->thread, NULL, run, le))
		return br_error_set(err, BR_ENOMEM, "leader: no thread");
	le->running = 1;
	return 0;
}

void br_leader_stop(struct br_leader *le)
{
	if (!le || !le->running)
		return;
	atomic_store(&le->stop, 1);
	br_pause_wake(le->pause);
	pthread_join(le->thread, NULL);
	le->running = 0;
}

void br_leader_free(struct br_leader *le)
{
	if (!le)
		return;
	br_leader_stop(le);
	pthread_mutex_destroy(&le->mu);
	destroy(le);
}

int br_leader_is_leader(struct br_leader *le)
{
	pthread_mutex_lock(&le->mu);
	/* a renewal stuck in a slow request must not keep us leading past
	 * the deadline: others may take over once the lease expires */
	int l = le->leading && br_clock_now(NULL) - le->last_ok <= le->opts.renew_deadline;
	pthread_mutex_unlock(&le->mu);
	return l;
}

const char *br_leader_identity(const struct br_leader *le)
{
	return le->identity;
}

void br_leader_holder(struct br_leader *le, char *out, size_t size)
{
	if (!size)
		return;
	pthread_mutex_lock(&le->mu);
	const char *h = le->holder ? le->holder : "";
	size_t n = strlen(h);
	if (n >= size)
		n = size - 1;
	memcpy(out, h, n);
	out[n] = '\0';
	pthread_mutex_unlock(&le->mu);
}

void br_leader_stats(struct br_leader *le, struct br_leader_stats *out)
{
	pthread_mutex_lock(&le->mu);
	*out = le->stats;
	pthread_mutex_unlock(&le->mu);
}

int br_leader_last_error(struct br_leader *le, struct br_leader_error *out)
{
	pthread_mutex_lock(&le->mu);
	*out = le->err;
	pthread_mutex_unlock(&le->mu);
	return out->code != 0;
}

int br_leader_error_same(const struct br_leader_error *a,
			 const struct br_leader_error *b)
{
	return a->code == b->code && a->status == b->status &&
	       strcmp(a->verb, b->verb) == 0 && strcmp(a->reason, b->reason) == 0;
}

char *br_leader_error_format(const struct br_leader_error *e,
			     const char *lease, char *out, size_t size)
{
	char http[96] = "";
	if (!size)
		return out;
	if (e->status >= 400)
		snprintf(http, sizeof(http), "HTTP %ld%s%.63s: ", e->status,
			 e->reason[0] ? " " : "", e->reason);
	snprintf(out, size, "cannot %s Lease%s%s: %s%s", e->verb, lease ? " " : "",
		 lease ? lease : "", http, e->message);
	return out;
}
