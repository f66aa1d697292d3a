/* informer: the reflector loop (list, replace, watch, relist on 410, back
 * off) and the cache it keeps, as client-go's reflector and informer do. */
#include "informer/informer.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "store.h"
#include "kube/kube.h"
#include "pace/pace.h"

struct br_informer {
	struct br_kube_client *client;
	char *path;            /* collection path */
	char *selector_query;  /* "labelSelector=...&fieldSelector=..." escaped, or NULL */
	struct br_informer_options opts;  /* strings not owned: see above */
	pthread_mutex_t mu;    /* guards cache, rv, synced, stats */
	struct br_pause *pause;  /* woken on stop requests and when synced */
	pthread_mutex_t cb_mu; /* held over a cache change and its callbacks */
	pthread_t resync_thread;
	int resync_running;
	/* key -> entry (store.h, entry.h). It changes only under both
	 * cb_mu and mu, so either one is enough to read it. */
	struct br__informer_store cache;
	struct br__informer_codec codec;  /* entries made on the reflector thread */
	char *rv;              /* last resourceVersion seen */
	int synced;
	struct br_informer_stats stats;
	atomic_int stop;
	int running;
	pthread_t thread;
	struct br_backoff backoff;
	unsigned int seed;     /* for the random watch timeouts */
	/* state of the current watch: informer thread only */
	struct br_watch_framer framer;
	int event_rc;          /* why on_event stopped the stream */
	unsigned long watch_events;
	struct br_error watch_err;
};

/* ---------------------------------------------------------------- */
/* Cache and callbacks                                               */

/* The cache keeps each object as an entry (entry.h): its compact JSON text,
 * deflated, in a node of its store (store.h) with its key. A tree takes
 * several times the memory of its text (an allocation per node, a hash
 * table per object), and the caches of 10,000 SLOs must fit in a few
 * megabytes. Readers get a tree parsed from the entry, theirs to keep or
 * change. */

/* An object as it came: its tree and the server's text of it (NULL when
 * not known). */
struct item {
	json_t *obj;
	const char *text;
	size_t len;
};

/* A new node holding the item's entry under key (you own it), or NULL when
 * out of memory. Without a transform the entry is made from the server's
 * text: printing the tree again cost a seventh of a restart's CPU. */
static struct br__informer_node *node_new(struct br_informer *inf, const char *key,
					  const struct item *it)
{
	const unsigned char *bytes;
	size_t len;
	int rc = it->text && !inf->opts.transform
		? br__informer_entry_text(&inf->codec, it->text, it->len, &bytes, &len)
		: br__informer_entry_new(&inf->codec, it->obj, &bytes, &len);

	return rc < 0 ? NULL : br__informer_node_new(key, bytes, len);
}

/* The view handlers get of objects (informer.h), NULL for whole ones. */
static const char *const *handler_view(const struct br_informer *inf)
{
	return inf->opts.transform ? NULL : inf->opts.view;
}

/* A new tree of the entry's view (br_kube_view), or of the whole when view
 * is NULL; NULL when out of memory or the text can't be read. */
static json_t *entry_view(const struct br_informer *inf, const unsigned char *bytes,
			  size_t blen, const char *const *view)
{
	size_t len = 0;
	json_t *obj = NULL;

	if (!view)
		return br__informer_entry_tree(&inf->codec, bytes, blen);
	char *text = br__informer_entry_inflate(&inf->codec, bytes, blen, &len);
	if (text && br_kube_view(text, len, view, &obj, NULL, NULL) != 0)
		obj = NULL;
	free(text);
	return obj;
}

/* What the handlers get of n's entry: a new tree of its view, or of the
 * whole; NULL for NULL or out of memory. */
static json_t *handler_tree(const struct br_informer *inf, const struct br__informer_node *n)
{
	return n ? entry_view(inf, br__informer_node_bytes(n), n->len, handler_view(inf)) : NULL;
}

static void set_rv_str(struct br_informer *inf, const char *rv)
{
	if (!rv)
		return;
	char *copy = strdup(rv);
	if (!copy)
		return;  /* keep the older one: a relist fixes it */
	pthread_mutex_lock(&inf->mu);
	free(inf->rv);
	inf->rv = copy;
	pthread_mutex_unlock(&inf->mu);
}

static void set_rv(struct br_informer *inf, const json_t *obj)
{
	set_rv_str(inf, json_string_value(json_object_get(
		json_object_get(obj, "metadata"), "resourceVersion")));
}

/* Hands an update to the handler: old parsed from its entry (obj itself
 * when that fails: the handler learns of the change all the same). */
static void notify_update(struct br_informer *inf, const struct br__informer_node *old_node,
			  json_t *obj)
{
	const struct br_informer_handlers *h = &inf->opts.handlers;
	if (!h->on_update)
		return;
	json_t *old = handler_tree(inf, old_node);
	h->on_update(h->ctx, old ? old : obj, obj);
	json_decref(old);
}

/* Puts obj (transformed) in the cache under key and tells on_add or
 * on_update, as a watch event does (counted as one when event is 1).
 * Returns 0 or BR_ENOMEM. */
static int cache_put(struct br_informer *inf, const char *key, const struct item *it,
		     int event)
{
	struct br__informer_node *node = node_new(inf, key, it), *old = NULL;
	json_t *obj = it->obj;

	if (!node)
		return BR_ENOMEM;
	pthread_mutex_lock(&inf->cb_mu);
	pthread_mutex_lock(&inf->mu);
	int rc = br__informer_store_put(&inf->cache, node, &old);
	if (event)
		inf->stats.events++;
	pthread_mutex_unlock(&inf->mu);
	const struct br_informer_handlers *h = &inf->opts.handlers;
	if (rc < 0)
		br__informer_node_free(node);
	else if (old)
		notify_update(inf, old, obj);  /* old, out of the cache, is ours */
	else if (h->on_add)
		h->on_add(h->ctx, obj);
	br__informer_node_free(old);
	pthread_mutex_unlock(&inf->cb_mu);
	return rc;
}

/* Applies one ADDED/MODIFIED (deleted 0) or DELETED (1) event. */
static int apply_event(struct br_informer *inf, int deleted, json_t *obj)
{
	struct br_buf key;
	if (inf->opts.transform)
		inf->opts.transform(inf->opts.transform_ctx, obj);
	br_buf_init(&key, 4096);
	int rc = br_informer_key(obj, &key);
	if (rc < 0) {
		br_buf_release(&key);
		return br_error_set(&inf->watch_err, BR_EPARSE,
				    "watch event object without metadata.name");
	}
	if (!deleted) {
		struct item it = {obj, NULL, 0};
		it.text = br_watch_framer_object_text(&inf->framer, &it.len);
		rc = cache_put(inf, key.data, &it, 1);
		br_buf_release(&key);
		if (rc < 0)
			return br_error_set(&inf->watch_err, rc, "cache: out of memory");
		set_rv(inf, obj);
		return 0;
	}
	pthread_mutex_lock(&inf->cb_mu);
	pthread_mutex_lock(&inf->mu);
	struct br__informer_node *old = br__informer_store_take(&inf->cache, key.data);
	inf->stats.events++;
	pthread_mutex_unlock(&inf->mu);
	br_buf_release(&key);
	const struct br_informer_handlers *h = &inf->opts.handlers;
	if (h->on_delete)
		h->on_delete(h->ctx, obj);
	br__informer_node_free(old);
	set_rv(inf, obj);
	pthread_mutex_unlock(&inf->cb_mu);
	return 0;
}

/* Hands n's entry to on_add or on_delete as a tree. */
static void notify_one(struct br_informer *inf,
		       void (*fn)(void *ctx, json_t *obj), const struct br__informer_node *n)
{
	if (!fn)
		return;
	json_t *o = handler_tree(inf, n);
	if (o)
		fn(inf->opts.handlers.ctx, o);
	json_decref(o);
}

static void mark_synced(struct br_informer *inf)
{
	pthread_mutex_lock(&inf->mu);
	inf->synced = 1;
	pthread_mutex_unlock(&inf->mu);
	br_pause_wake(inf->pause);
	br_pause_wake(inf->opts.synced_wake);
}

/* Tells the handlers how now differs from old: adds, updates where the
 * object differs, deletes for the gone. */
static void notify_diff(struct br_informer *inf, const struct br__informer_store *old,
			const struct br__informer_store *now)
{
	const struct br_informer_handlers *h = &inf->opts.handlers;
	const struct br__informer_node *n = NULL, *o;

	while ((n = br__informer_store_next(now, n))) {
		o = br__informer_store_get(old, br__informer_node_key(n));
		if (!o) {
			notify_one(inf, h->on_add, n);
		} else if (h->on_update &&
			   !br__informer_entry_same(br__informer_node_bytes(o), o->len,
						    br__informer_node_bytes(n), n->len)) {
			json_t *obj = handler_tree(inf, n);
			if (obj)
				notify_update(inf, o, obj);
			json_decref(obj);
		}
	}
	for (o = NULL; (o = br__informer_store_next(old, o));) {
		if (!br__informer_store_get(now, br__informer_node_key(o)))
			notify_one(inf, h->on_delete, o);
	}
}

/* Installs fresh (key -> entry, as listed; its nodes taken over, fresh left
 * empty) as the cache and tells the handlers what changed. rv is the list's
 * resourceVersion. Can't fail. */
static void replace(struct br_informer *inf, struct br__informer_store *fresh, const char *rv)
{
	pthread_mutex_lock(&inf->cb_mu);
	pthread_mutex_lock(&inf->mu);
	struct br__informer_store old = inf->cache;
	inf->cache = *fresh;
	br__informer_store_init(fresh);
	pthread_mutex_unlock(&inf->mu);
	set_rv_str(inf, rv);
	/* cb_mu, held, keeps the cache as it is while we read it */
	notify_diff(inf, &old, &inf->cache);
	br__informer_store_release(&old);
	pthread_mutex_unlock(&inf->cb_mu);
	mark_synced(inf);
}

/* ---------------------------------------------------------------- */
/* List and watch                                                    */

/* Adds one listed item (transformed) under key: to fresh, the cache being
 * built, or, when fresh is NULL (the first list into an empty cache),
 * straight into the cache and to on_add as it is decoded, instead of
 * parsing every entry back once the list is whole (on a restart of 10,000
 * SLOs that second parse was a sixth of the CPU). A first list that fails
 * half-way leaves what it added; the next list's replace() tells the
 * handlers the difference, as for any relist. */
static int add_item(struct br_informer *inf, const char *key, const struct item *it,
		    struct br__informer_store *fresh)
{
	if (!fresh)
		return cache_put(inf, key, it, 0);
	struct br__informer_node *n = node_new(inf, key, it), *old = NULL;
	if (!n || br__informer_store_put(fresh, n, &old) < 0) {
		br__informer_node_free(n);
		return BR_ENOMEM;
	}
	br__informer_node_free(old);  /* a key listed twice: the last one wins */
	return 0;
}

/* Where a page's items go (add_listed). */
struct page {
	struct br_informer *inf;
	struct br__informer_store *fresh;  /* see add_item */
	struct br_buf key;
};

/* One listed item, transformed first, as it is decoded: the whole list is
 * never in memory as trees (br_kube_list_items). */
static int add_listed(void *ctx, json_t *item, const char *text, size_t len)
{
	struct page *p = ctx;
	struct br_informer *inf = p->inf;
	struct item it = {item, text, len};

	if (atomic_load(&inf->stop))
		return BR_ECANCELED;  /* a list of any length ends with the informer */
	if (inf->opts.transform)
		inf->opts.transform(inf->opts.transform_ctx, item);
	br_buf_reset(&p->key);
	int rc = br_informer_key(item, &p->key);
	if (rc == BR_EINVAL)
		return 0;  /* nameless: cannot be cached, nor watched */
	if (rc == 0)
		rc = add_item(inf, p->key.data, &it, p->fresh);
	return rc;
}

/* Whether the next list is the first into an empty cache. */
static int list_is_first(struct br_informer *inf)
{
	pthread_mutex_lock(&inf->mu);
	int first = !inf->synced && br__informer_store_size(&inf->cache) == 0;
	pthread_mutex_unlock(&inf->mu);
	return first;
}

/* The query of a first list's first page: resourceVersion=0, as
 * client-go's reflectors ask, so that the API server answers from its
 * watch cache. A list without it is read from etcd: on a restart at
 * 10,000 SLOs that cost kube-apiserver and etcd 17 s of CPU against 3.5 s.
 * The watch cache ignores the limit and answers in one piece, which the
 * list reader takes item by item; a server without the cache pages, and
 * the later pages are asked for as any others. Relists read from etcd:
 * the cache may be behind what the informer has seen, and a relist must
 * not go back in time. */
static int first_query(struct br_informer *inf, struct br_buf *q)
{
	br_buf_init(q, BR_BUF_MAX_DEFAULT);
	br_buf_adds(q, "resourceVersion=0");
	if (inf->selector_query)
		br_buf_addf(q, "&%s", inf->selector_query);
	return q->data ? 0 : BR_ENOMEM;
}

/* Lists page by page into a fresh cache and installs it. */
static int list_and_replace(struct br_informer *inf, struct br_error *err)
{
	long limit = inf->opts.page_size < 0 ? 0 : inf->opts.page_size;
	int live = list_is_first(inf);
	struct br__informer_store fresh;
	struct page pg = {inf, live ? NULL : &fresh, {0}};
	struct br_buf first = {0};
	json_t *md = NULL;
	char *cont = NULL, *rv = NULL;
	int rc = 0;

	br__informer_store_init(&fresh);
	br_buf_init(&pg.key, 4096);
	if (live && first_query(inf, &first) != 0)
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
	while (rc == 0) {
		/* the first page of a first list from the watch cache */
		const char *query = live && !cont ? first.data : inf->selector_query;
		rc = br_kube_list_items(inf->client, inf->path, query, limit, cont,
					inf->opts.metadata_only ?
					BR_KUBE_ACCEPT_METADATA_LIST : NULL, handler_view(inf),
					add_listed, &pg, &md, err);
		if (rc == BR_ENOMEM)
			br_error_set(err, BR_ENOMEM, "out of memory");
		if (rc < 0)
			break;
		const char *next = json_string_value(json_object_get(md, "continue"));
		const char *prv = json_string_value(json_object_get(md, "resourceVersion"));
		free(cont);
		free(rv);
		cont = next && next[0] ? strdup(next) : NULL;
		rv = prv ? strdup(prv) : NULL;
		if ((next && next[0] && !cont) || (prv && !rv))
			rc = br_error_set(err, BR_ENOMEM, "out of memory");
		json_decref(md);
		md = NULL;
		if (!cont)
			break;
	}
	br_buf_release(&pg.key);
	br_buf_release(&first);
	free(cont);
	if (rc == 0 && live) {
		set_rv_str(inf, rv);
		mark_synced(inf);
	} else if (rc == 0) {
		replace(inf, &fresh, rv);
	}
	br__informer_store_release(&fresh);
	free(rv);
	pthread_mutex_lock(&inf->mu);
	if (rc == 0) {
		if (inf->stats.lists++ > 0)
			inf->stats.relists++;
	}
	pthread_mutex_unlock(&inf->mu);
	return rc;
}

static int on_event(void *ctx, const char *type, json_t *obj)
{
	struct br_informer *inf = ctx;
	if (atomic_load(&inf->stop))
		return BR_ECANCELED;
	inf->watch_events++;
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0)
		return apply_event(inf, 0, obj);
	if (strcmp(type, "DELETED") == 0)
		return apply_event(inf, 1, obj);
	if (strcmp(type, "BOOKMARK") == 0) {
		set_rv(inf, obj);
		return 0;
	}
	if (strcmp(type, "ERROR") == 0) {
		json_int_t code = json_integer_value(json_object_get(obj, "code"));
		const char *msg = json_string_value(json_object_get(obj, "message"));
		return br_error_set(&inf->watch_err, code == 410 ? BR_EGONE : BR_EHTTP,
				    "watch ERROR event %d: %s", (int)code,
				    msg ? msg : "");
	}
	return br_error_set(&inf->watch_err, BR_EPARSE,
			    "watch event of unknown type \"%.64s\"", type);
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct br_informer *inf = ctx;
	int rc = br_watch_framer_feed(&inf->framer, data, len, &inf->watch_err);
	if (rc)
		inf->event_rc = rc;
	return rc;
}

static int build_watch_query(struct br_informer *inf, struct br_buf *q,
			     int timeout)
{
	pthread_mutex_lock(&inf->mu);
	char *rv = curl_easy_escape(NULL, inf->rv ? inf->rv : "", 0);
	pthread_mutex_unlock(&inf->mu);
	if (!rv)
		return BR_ENOMEM;
	br_buf_addf(q, "watch=1&resourceVersion=%s&timeoutSeconds=%d", rv, timeout);
	curl_free(rv);
	if (!inf->opts.no_bookmarks)
		br_buf_adds(q, "&allowWatchBookmarks=true");
	if (inf->selector_query)
		br_buf_addf(q, "&%s", inf->selector_query);
	return q->data ? 0 : BR_ENOMEM;
}

/* One watch from the last resourceVersion. Returns 0 for a watch that ended
 * normally after events or after at least a second, BR_EGONE for a 410,
 * another code for a failure. */
static int watch_once(struct br_informer *inf, struct br_error *err)
{
	int lo = inf->opts.watch_timeout_min, hi = inf->opts.watch_timeout_max;
	int timeout = lo + (hi > lo ? rand_r(&inf->seed) % (hi - lo + 1) : 0);
	struct br_buf q;
	br_buf_init(&q, 65536);
	int rc = build_watch_query(inf, &q, timeout);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&inf->mu);
	if (inf->stats.watches++ > 0)
		inf->stats.watch_restarts++;
	pthread_mutex_unlock(&inf->mu);

	br_watch_framer_reset(&inf->framer);
	br_error_init(&inf->watch_err);
	inf->event_rc = 0;
	inf->watch_events = 0;
	double start = br_clock_now(NULL);
	rc = br_kube_stream_accept(inf->client, inf->path, q.data,
				   inf->opts.metadata_only ? BR_KUBE_ACCEPT_METADATA : NULL,
				   on_data, inf, &inf->stop, (long)(timeout + 30) * 1000,
				   NULL, err);
	br_buf_release(&q);
	if (inf->event_rc) {
		rc = inf->event_rc;
		if (err && !err->code)
			*err = inf->watch_err;
	}
	if (rc == 0 && br_watch_framer_partial(&inf->framer))
		rc = br_error_set(err, BR_EIO, "watch stream ended inside an event");
	if (rc == 0 && inf->watch_events == 0 && br_clock_now(NULL) - start < 1.0)
		rc = br_error_set(err, BR_EIO,
				  "watch ended within 1 s without events");
	return rc;
}

/* ---------------------------------------------------------------- */
/* The reflector thread                                              */

static int stopping(void *inf)
{
	return atomic_load(&((struct br_informer *)inf)->stop);
}

/* Sleeps up to seconds, or until stop. */
static void pause_for(struct br_informer *inf, double seconds)
{
	br_pause_wait(inf->pause, seconds, stopping, inf);
}

static void note_failure(struct br_informer *inf, int rc)
{
	pthread_mutex_lock(&inf->mu);
	inf->stats.failures++;
	inf->stats.last_error = rc;
	pthread_mutex_unlock(&inf->mu);
}

static void *run(void *arg)
{
	struct br_informer *inf = arg;
	int need_list = 1, gone_in_row = 0;
	double last_failure = br_clock_now(NULL);
	while (!atomic_load(&inf->stop)) {
		struct br_error err;
		br_error_init(&err);
		int rc = need_list ? list_and_replace(inf, &err)
				   : watch_once(inf, &err);
		if (atomic_load(&inf->stop))
			break;
		if (rc == 0) {
			need_list = 0;
			gone_in_row = 0;
			continue;
		}
		note_failure(inf, rc);
		/* a watch that cannot resume from where it was (410, a
		 * broken stream) starts over from a list */
		if (rc == BR_EGONE || rc == BR_EPARSE || rc == BR_ELIMIT)
			need_list = 1;
		if (rc == BR_EGONE && gone_in_row++ == 0)
			continue;  /* relist at once, as client-go does */
		double now = br_clock_now(NULL);
		if (now - last_failure > inf->opts.healthy_reset)
			br_backoff_reset(&inf->backoff);
		last_failure = now;
		pause_for(inf, br_backoff_next(&inf->backoff));
	}
	return NULL;
}

/* Every resync period, hands every cached object to on_update again. */
static void *resync(void *arg)
{
	struct br_informer *inf = arg;
	const struct br_informer_handlers *h = &inf->opts.handlers;
	for (;;) {
		pause_for(inf, inf->opts.resync_period);
		if (atomic_load(&inf->stop))
			break;
		pthread_mutex_lock(&inf->cb_mu);
		pthread_mutex_lock(&inf->mu);
		/* nothing to resync before the first list */
		int due = inf->synced;
		if (due)
			inf->stats.resyncs++;
		pthread_mutex_unlock(&inf->mu);
		/* cb_mu, held, keeps the cache as it is while we read it, and
		 * the handlers may take mu to read it too */
		const struct br__informer_node *n = NULL;
		while (due && h->on_update && (n = br__informer_store_next(&inf->cache, n))) {
			json_t *obj = handler_tree(inf, n);
			if (obj)
				h->on_update(h->ctx, obj, obj);
			json_decref(obj);
		}
		pthread_mutex_unlock(&inf->cb_mu);
	}
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Lifecycle                                                          */

static int init_sync(struct br_informer *inf)
{
	if (br_pause_create(0, &inf->pause) < 0)
		return BR_ENOMEM;
	if (pthread_mutex_init(&inf->mu, NULL)) {
		br_pause_free(inf->pause);
		return BR_ENOMEM;
	}
	if (pthread_mutex_init(&inf->cb_mu, NULL)) {
		pthread_mutex_destroy(&inf->mu);
		br_pause_free(inf->pause);
		return BR_ENOMEM;
	}
	return 0;
}

static void set_defaults(struct br_informer_options *o)
{
	if (o->page_size == 0)
		o->page_size = 500;
	if (o->backoff_initial <= 0)
		o->backoff_initial = 0.8;
	if (o->backoff_max <= 0)
		o->backoff_max = 30;
	if (o->healthy_reset <= 0)
		o->healthy_reset = 120;
	if (o->watch_timeout_min <= 0)
		o->watch_timeout_min = 300;
	if (o->watch_timeout_max < o->watch_timeout_min)
		o->watch_timeout_max = o->watch_timeout_min > 600
					       ? o->watch_timeout_min : 600;
}

static int build_paths(struct br_informer *inf,
		       const struct br_informer_options *o, struct br_error *err)
{
	struct br_buf p;
	br_buf_init(&p, 4096);
	int rc = br_kube_path(o->group, o->version, o->namespace, o->plural,
			      NULL, NULL, &p);
	if (rc < 0) {
		br_buf_release(&p);
		return br_error_set(err, rc, "informer: bad resource %s/%s",
				    o->version ? o->version : "(no version)",
				    o->plural ? o->plural : "(no plural)");
	}
	inf->path = br_buf_detach(&p);
	if (!inf->path)
		return br_error_set(err, BR_ENOMEM, "informer: out of memory");
	if ((o->label_selector && *o->label_selector) ||
	    (o->field_selector && *o->field_selector)) {
		const char *sel[2] = { o->label_selector, o->field_selector };
		const char *name[2] = { "labelSelector", "fieldSelector" };
		int failed = 0;

		for (int i = 0; i < 2; i++) {
			if (!sel[i] || !*sel[i])
				continue;
			char *esc = curl_easy_escape(NULL, sel[i], 0);
			failed |= !esc;
			br_buf_addf(&p, "%s%s=%s", p.len ? "&" : "", name[i], esc ? esc : "");
			curl_free(esc);
		}
		inf->selector_query = failed ? NULL : br_buf_detach(&p);
		br_buf_release(&p);
		if (!inf->selector_query)
			return br_error_set(err, BR_ENOMEM, "informer: out of memory");
	}
	return 0;
}

int br_informer_create(struct br_kube_client *c,
		       const struct br_informer_options *opts,
		       struct br_informer **out, struct br_error *err)
{
	*out = NULL;
	if (!opts || !opts->version || !opts->plural)
		return br_error_set(err, BR_EINVAL,
				    "informer: version and plural are required");
	struct br_informer *inf = calloc(1, sizeof(*inf));
	if (!inf)
		return br_error_set(err, BR_ENOMEM, "informer: out of memory");
	inf->client = c;
	inf->opts = *opts;
	set_defaults(&inf->opts);
	br__informer_store_init(&inf->cache);
	int rc = build_paths(inf, opts, err);
	if (rc == 0 && init_sync(inf) < 0)
		rc = br_error_set(err, BR_ENOMEM, "informer: no mutex");
	if (rc < 0) {
		free(inf->path);
		free(inf->selector_query);
		free(inf);
		return rc;
	}
	/* the copied options must not point at the caller's strings */
	inf->opts.group = inf->opts.version = inf->opts.plural = NULL;
	inf->opts.namespace = inf->opts.label_selector = inf->opts.field_selector = NULL;
	br_backoff_init(&inf->backoff, inf->opts.backoff_initial,
			inf->opts.backoff_max, 2.0, 1.0, 0);
	inf->seed = (unsigned int)(br_clock_now(NULL) * 1e6) ^ (unsigned int)(size_t)inf;
	br_watch_framer_init(&inf->framer, 0, on_event, inf);
	br_watch_framer_set_view(&inf->framer, handler_view(inf));
	br__informer_codec_init(&inf->codec);
	*out = inf;
	return 0;
}

int br_informer_start(struct br_informer *inf, struct br_error *err)
{
	if (inf->running)
		return br_error_set(err, BR_EINVAL, "informer already started");
	atomic_store(&inf->stop, 0);
	if (pthread_create(&inf->thread, NULL, run, inf))
		return br_error_set(err, BR_ENOMEM, "informer: no thread");
	inf->running = 1;
	if (inf->opts.resync_period > 0) {
		if (pthread_create(&inf->resync_thread, NULL, resync, inf)) {
			br_informer_stop(inf);
			return br_error_set(err, BR_ENOMEM, "informer: no thread");
		}
		inf->resync_running = 1;
	}
	return 0;
}

void br_informer_stop(struct br_informer *inf)
{
	if (!inf || !inf->running)
		return;
	atomic_store(&inf->stop, 1);
	br_pause_wake(inf->pause);
	pthread_join(inf->thread, NULL);
	if (inf->resync_running)
		pthread_join(inf->resync_thread, NULL);
	inf->running = inf->resync_running = 0;
}

void br_informer_free(struct br_informer *inf)
{
	if (!inf)
		return;
	br_informer_stop(inf);
	br_watch_framer_release(&inf->framer);
	br__informer_store_release(&inf->cache);
	br__informer_codec_release(&inf->codec);
	free(inf->rv);
	free(inf->path);
	free(inf->selector_query);
	pthread_mutex_destroy(&inf->mu);
	pthread_mutex_destroy(&inf->cb_mu);
	br_pause_free(inf->pause);
	free(inf);
}

/* ---------------------------------------------------------------- */
/* Readers                                                           */

int br_informer_has_synced(struct br_informer *inf)
{
	pthread_mutex_lock(&inf->mu);
	int s = inf->synced;
	pthread_mutex_unlock(&inf->mu);
	return s;
}

static int synced(void *inf)
{
	return br_informer_has_synced(inf);
}

int br_informer_wait_synced(struct br_informer *inf, double timeout)
{
	/* a negative timeout waited not at all, and still does */
	return br_pause_wait(inf->pause, timeout < 0 ? 0 : timeout, synced, inf)
		       ? 0 : BR_ETIMEOUT;
}

/* Entries up to this size are copied to the stack by br_informer_get: all
 * of them but for objects of tens of kB. */
#define GET_STACK 2048

json_t *br_informer_get_view(struct br_informer *inf, const char *key,
			     const char *const *view)
{
	unsigned char stack[GET_STACK], *copy = stack;
	size_t len = 0;

	/* a copy of the entry's bytes, so that readers inflate and parse
	 * outside the lock, at once */
	pthread_mutex_lock(&inf->mu);
	const struct br__informer_node *n = br__informer_store_get(&inf->cache, key);
	if (n && n->len > sizeof(stack))
		copy = malloc(n->len);
	if (n && copy) {
		len = n->len;
		memcpy(copy, br__informer_node_bytes(n), len);
	}
	pthread_mutex_unlock(&inf->mu);
	json_t *o = len ? entry_view(inf, copy, len, view) : NULL;
	if (copy != stack)
		free(copy);
	return o;
}

json_t *br_informer_get(struct br_informer *inf, const char *key)
{
	return br_informer_get_view(inf, key, NULL);
}

size_t br_informer_size(struct br_informer *inf)
{
	pthread_mutex_lock(&inf->mu);
	size_t n = br__informer_store_size(&inf->cache);
	pthread_mutex_unlock(&inf->mu);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int br_informer_keys(struct br_informer *inf, char ***keys, size_t *n)
{
	pthread_mutex_lock(&inf->mu);
	int rc = br__informer_store_keys(&inf->cache, keys, n);
	pthread_mutex_unlock(&inf->mu);
	/* sorted outside the lock: readers need not wait for it */
	if (rc == 0)
		qsort(*keys, *n, sizeof(**keys), cmp_str);
	return rc;
}

void br_informer_keys_free(char **keys, size_t n)
{
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
}

void br_informer_resource_version(struct br_informer *inf, char *out,
				  size_t size)
{
	if (!size)
		return;
	pthread_mutex_lock(&inf->mu);
	const char *rv = inf->rv ? inf->rv : "";
	size_t n = strlen(rv);
	if (n >= size)
		n = size - 1;
	memcpy(out, rv, n);
	out[n] = '\0';
	pthread_mutex_unlock(&inf->mu);
}

void br_informer_stats(struct br_informer *inf, struct br_informer_stats *out)
{
	pthread_mutex_lock(&inf->mu);
	*out = inf->stats;
	pthread_mutex_unlock(&inf->mu);
}
