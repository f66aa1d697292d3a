/* informer: client-go's reflector and informer for burnrate: list a
 * resource, keep a local cache of it keyed by "namespace/name" up to date
 * from a watch, and tell the caller about every add, update and delete.
 *
 * Two layers, each usable alone:
 *
 * - The watch-stream framer (struct br_watch_framer, plain data with
 *   init/release) turns the raw body of a watch response, fed in slices
 *   split anywhere, into {type, object} events. It finds the end of each
 *   top-level JSON object itself (a chunk may hold part of an event or
 *   several) and parses it with jansson, metadata.managedFields cut out of
 *   its text first (br_kube_strip_managed_fields). Not thread-safe: one per
 *   stream.
 *
 * - The informer (struct br_informer, opaque, create/free) runs the
 *   reflector loop in a thread of its own: a list (the first from the
 *   API server's watch cache, resourceVersion=0; relists paged from etcd;
 *   each read item by item as it streams), replace the cache, watch from the list's resourceVersion with bookmarks and a random
 *   timeoutSeconds in [300, 600], apply events, rewatch from the last
 *   resourceVersion seen, relist on 410 (HTTP or an ERROR event), back off
 *   (0.8 s doubling to 30 s, jitter, reset after 2 minutes healthy) on
 *   failures. Its cache and counters may be read from any thread; the
 *   callbacks run on the informer's threads (the reflector, and the resync
 *   thread when a resync period is set), strictly one at a time, in the
 *   order the cache changed; they may call br_informer_get (not stop or
 *   free).
 *
 * JSON values are jansson trees. Callback arguments are borrowed for the
 * duration of the call: json_incref() what you keep.
 */
#ifndef BR_INFORMER_H
#define BR_INFORMER_H

#include <jansson.h>
#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"

struct br_kube_client;
struct br_pause;

/* ------------------------------------------------------------------ */
/* Watch-stream framer                                                 */

/* Receives one event: type ("ADDED", "MODIFIED", "DELETED", "BOOKMARK",
 * "ERROR", or whatever the server sent) and object (borrowed; may be a JSON
 * null when the event had none). Return 0 to go on; a nonzero value stops
 * the feed, which returns it. */
typedef int (*br_watch_event_fn)(void *ctx, const char *type, json_t *object);

/* Largest single event the framer accepts by default. */
#define BR_WATCH_EVENT_MAX ((size_t)16 << 20)

/* Fields are private to framer.c. */
struct br_watch_framer {
	struct br_buf pending;  /* bytes of the event being assembled */
	size_t max;             /* cap on one event */
	int depth;              /* brace depth; 0 between events */
	int in_string;
	int escape;
	int failed;             /* a BR_E* code once the stream is unusable */
	br_watch_event_fn fn;
	void *ctx;
	unsigned long events;   /* events delivered */
	const char *object_text;  /* see br_watch_framer_object_text */
	size_t object_len;
	const char *const *view;  /* see br_watch_framer_set_view */
};

/* Prepares a framer that hands events to fn. max 0 means
 * BR_WATCH_EVENT_MAX. Allocates nothing; can't fail. */
void br_watch_framer_init(struct br_watch_framer *f, size_t max,
			  br_watch_event_fn fn, void *ctx);
/* Decodes each event's object only as far as view (paths inside the
 * object, as for br_kube_view: "metadata" for its metadata), NULL for
 * whole events (the default). The callback then gets the object's view,
 * and its whole text from br_watch_framer_object_text; an event the scan
 * can't follow, one without an object, and an ERROR event's Status are
 * decoded whole. Outside the view the object is scanned, not checked as
 * JSON. Borrowed: view must outlive the framer. Can't fail. */
void br_watch_framer_set_view(struct br_watch_framer *f, const char *const *view);
/* Frees the partial event and re-initialises with the same fn, max and
 * view. */
void br_watch_framer_reset(struct br_watch_framer *f);
/* Frees the partial event. */
void br_watch_framer_release(struct br_watch_framer *f);

/* Feeds len bytes of the stream; calls fn for each event completed. Returns
 * 0; the callback's nonzero return; BR_EPARSE for bytes that are not a
 * stream of JSON objects or an object without a string "type"; BR_ELIMIT
 * for an event over max bytes; BR_ENOMEM. After a failure every feed fails
 * the same way until br_watch_framer_reset: drop the stream (and relist). */
int br_watch_framer_feed(struct br_watch_framer *f, const char *data,
			 size_t len, struct br_error *err);

/* While the framer's fn runs: the text of the event's object (the
 * server's, with managedFields cut), *len bytes; NULL when it has none or
 * it was not found (a key written with escapes). Can't fail. */
const char *br_watch_framer_object_text(const struct br_watch_framer *f, size_t *len);

/* True (1) when the framer holds part of an event (the stream ended
 * mid-event), else 0. Can't fail. */
int br_watch_framer_partial(const struct br_watch_framer *f);

/* ------------------------------------------------------------------ */
/* Cache                                                               */

/* The cache key of an object: "namespace/name", or "name" for a
 * cluster-scoped one. Appends to out. Returns 0, BR_EINVAL (no
 * metadata.name), or BR_ENOMEM. */
int br_informer_key(const json_t *obj, struct br_buf *out);

/* ------------------------------------------------------------------ */
/* Informer                                                            */

struct br_informer;

struct br_informer_handlers {
	/* Any may be NULL. obj, old and new are borrowed. */
	void (*on_add)(void *ctx, json_t *obj);
	void (*on_update)(void *ctx, json_t *old, json_t *new_obj);
	void (*on_delete)(void *ctx, json_t *obj);
	void *ctx;
};

struct br_informer_options {
	const char *group;            /* NULL or "" for the core group */
	const char *version;          /* required */
	const char *plural;           /* required */
	const char *namespace;        /* NULL or "": all namespaces */
	const char *label_selector;   /* NULL: everything */
	const char *field_selector;   /* NULL: everything; e.g.
				       * "metadata.name=x" for one object */
	long page_size;               /* list limit; 0: 500; < 0: no paging */
	int no_bookmarks;             /* 1: do not ask for bookmarks */
	int metadata_only;            /* 1: ask for the objects' metadata
				       * alone (kind PartialObjectMetadata,
				       * no spec or status); a server that
				       * can't sends them whole */
	double backoff_initial;       /* seconds; 0: 0.8 */
	double backoff_max;           /* seconds; 0: 30 */
	double healthy_reset;         /* seconds healthy before the backoff
				       * resets; 0: 120 */
	int watch_timeout_min;        /* timeoutSeconds range; 0: 300 */
	int watch_timeout_max;        /* 0: 600 */
	double resync_period;         /* seconds; 0: never. Every period,
				       * on_update(obj, obj) for each cached
				       * object (client-go's resync) */
	struct br_informer_handlers handlers;
	/* NULL, or called on every listed or watched object before it is
	 * cached and handed to the handlers (client-go's SetTransform): it
	 * may change obj in place, e.g. drop fields the caller never reads
	 * to save memory. Runs on the reflector thread; must keep
	 * metadata.name, namespace and resourceVersion. Without one, the
	 * cache keeps each object as the server's text (managedFields cut),
	 * which costs no printing; with one, the transformed tree printed. */
	void (*transform)(void *ctx, json_t *obj);
	void *transform_ctx;
	/* NULL, or what of each object the handlers read, as for
	 * br_kube_view: a NULL-terminated array of member paths that holds
	 * "metadata" (e.g. {"metadata", "status.prometheusRule", NULL}).
	 * Listed and watched objects, and objects read back from the cache
	 * for the handlers (the old one of an update, a relist's, a
	 * resync's), are then decoded only that far, a fraction of the whole
	 * for an SLO. The cache and br_informer_get keep and give whole
	 * objects. The text outside the view is not checked as JSON until
	 * br_informer_get reads it. Ignored with a transform, which needs the
	 * whole. Borrowed: it must outlive the informer. */
	const char *const *view;
	/* NULL, or a pause (pkg/pace) to wake once the first list is in the
	 * cache, for a caller that waits for several informers at once.
	 * Borrowed: it must outlive the informer. */
	struct br_pause *synced_wake;
};

/* Counters, for metrics. */
struct br_informer_stats {
	unsigned long lists;           /* lists completed, the first included */
	unsigned long relists;         /* lists after the first */
	unsigned long watches;         /* watch requests started */
	unsigned long watch_restarts;  /* watches after the first */
	unsigned long events;          /* watch events applied */
	unsigned long failures;        /* lists or watches that failed */
	unsigned long resyncs;         /* resync passes done */
	int last_error;                /* BR_E* of the last failure, 0 none */
};

/* Creates an informer on client c (borrowed: it must outlive the
 * informer). Strings in opts are copied. Does not start it. Returns 0 and
 * *out (you own it: br_informer_free), or BR_EINVAL (no version or plural),
 * BR_ENOMEM. */
int br_informer_create(struct br_kube_client *c,
		       const struct br_informer_options *opts,
		       struct br_informer **out, struct br_error *err);

/* Starts the reflector thread. Returns 0, BR_EINVAL (already started), or
 * BR_ENOMEM (no thread). */
int br_informer_start(struct br_informer *inf, struct br_error *err);

/* Stops the thread and waits for it: the watch in progress is aborted
 * (within about a second) and backoff sleeps end at once. The cache stays
 * readable. Does nothing if not running. Can't fail. */
void br_informer_stop(struct br_informer *inf);

/* Stops it if running and frees everything. NULL is fine. */
void br_informer_free(struct br_informer *inf);

/* 1 once the first full list has been put in the cache, else 0. */
int br_informer_has_synced(struct br_informer *inf);

/* Waits up to timeout seconds for has_synced. Returns 0 or BR_ETIMEOUT. */
int br_informer_wait_synced(struct br_informer *inf, double timeout);

/* The cached object for key ("namespace/name"): a new tree parsed from the
 * cache's entry, the object's compact JSON text kept deflated (you own it:
 * json_decref; changing it changes nothing in the cache), or NULL when not
 * cached (or out of memory, or, with a view, when the text outside the
 * view is not JSON). */
json_t *br_informer_get(struct br_informer *inf, const char *key);
/* As br_informer_get, but only the members on view's paths are decoded
 * (br_kube_view, in pkg/kube: "metadata", "status.observedGeneration", ...,
 * NULL-terminated; NULL is the whole): for a reader that needs a few
 * fields of a large object. Text outside the view is not checked. */
json_t *br_informer_get_view(struct br_informer *inf, const char *key,
			     const char *const *view);

/* Every cached key, sorted: *keys is a malloc'ed array of *n malloc'ed
 * strings (you own them: br_informer_keys_free). Returns 0 or BR_ENOMEM. */
int br_informer_keys(struct br_informer *inf, char ***keys, size_t *n);
/* Frees what br_informer_keys returned. */
void br_informer_keys_free(char **keys, size_t n);

/* How many objects are cached. */
size_t br_informer_size(struct br_informer *inf);

/* The last resourceVersion seen (list, event or bookmark), copied into out
 * (always NUL-terminated, "" before the first list). */
void br_informer_resource_version(struct br_informer *inf, char *out,
				  size_t size);

/* A snapshot of the counters. Can't fail. */
void br_informer_stats(struct br_informer *inf, struct br_informer_stats *out);

#endif
