/* kube: the Kubernetes API client: configuration (kubeconfig or in-cluster),
 * paced and retried JSON requests, and raw streaming GETs for watches.
 *
 * Configuration is plain data (struct br_kube_config, init/release). The
 * client is opaque (create/free) and thread-safe: any number of threads may
 * call br_kube_request() and the helpers on one client at once. Requests
 * run on one libcurl multi handle driven by a thread of the client's, so all
 * threads share one connection cache and, where the server offers HTTP/2
 * (negotiated by ALPN), one multiplexed connection: many workers, few
 * connections, as with client-go. Watch streams use an easy handle and a
 * connection each. All handles share a CURLSH for DNS and TLS sessions.
 * TLS is always verified unless
 * the configuration says insecure. A bearer token read from a file is re-read
 * every minute and after a 401, because service-account tokens rotate; no
 * token ever appears in an error message.
 *
 * Failures return a negative BR_E* code and fill struct br_error with the
 * method, path, HTTP code and the Kubernetes Status reason and message:
 * 404 BR_ENOTFOUND, 409 BR_ECONFLICT, 410 BR_EGONE, 429 BR_ETHROTTLED,
 * 401/403 BR_EAUTH, TLS problems BR_ETLS, anything else BR_EHTTP (BR_EIO for
 * a connection that could not be made, BR_ETIMEOUT for a timeout).
 *
 * Pacing: every request first takes a token from the client's token-bucket
 * rate limiter (qps, burst). Retries: a 429 waits Retry-After (or backs off);
 * 5xx and connection failures are retried with exponential backoff and
 * jitter, for idempotent requests only (GET, PUT, DELETE, and the apply and
 * merge PATCHes); POST is never retried. The clock, the rate limiter and the
 * backoff are pkg/pace's.
 *
 * JSON values are jansson trees: "you own" means you must json_decref() it.
 */
#ifndef BR_KUBE_H
#define BR_KUBE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"
#include "pace/pace.h"

struct br_buf;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/* Where to reach the API server and how to authenticate. Every string is
 * owned by the struct (malloc'ed), NULL when unset. File paths are absolute
 * once loaded from a kubeconfig (resolved against the file naming them). */
struct br_kube_config {
	char *server;            /* "https://host:port", no trailing slash */
	char *ca_file;           /* certificate-authority */
	char *ca_data;           /* certificate-authority-data, decoded PEM */
	size_t ca_data_len;
	int insecure;            /* insecure-skip-tls-verify: no verification */
	char *tls_server_name;   /* name to verify the certificate against */
	char *token;             /* bearer token; never printed */
	char *token_file;        /* re-read periodically; wins over token */
	char *client_cert_file;  /* client-certificate */
	char *client_cert_data;  /* client-certificate-data, decoded PEM */
	size_t client_cert_data_len;
	char *client_key_file;   /* client-key */
	char *client_key_data;   /* client-key-data, decoded PEM */
	size_t client_key_data_len;
	char *namespace;         /* context's namespace; "default" if unset */
	char *context;           /* the context used; NULL in cluster */
};

/* Empties cfg. Does not allocate; can't fail. */
void br_kube_config_init(struct br_kube_config *cfg);
/* Frees every string (wiping token data first) and re-initialises cfg. */
void br_kube_config_release(struct br_kube_config *cfg);

/* Loads a kubeconfig into cfg (init'ed by the call; you own it: release
 * with br_kube_config_release, also after a failure).
 *
 * path: a file, or NULL for $KUBECONFIG (a ':'-separated list of files of
 * which missing ones are skipped and, for each cluster, user, context and
 * current-context, the first file to define it wins), then ~/.kube/config.
 * context: the context to use, or NULL for current-context.
 *
 * The *-data fields are base64 and are decoded; PEM data given inline or as
 * a file is checked to hold a certificate (or key). Returns 0, or
 * BR_EIO (file missing or unreadable), BR_EPARSE (not YAML, or bad base64),
 * BR_ENOTFOUND (unknown context, or the context's cluster or user missing),
 * BR_EINVAL (no server, a field of the wrong type, a certificate or key
 * that is not PEM, a certificate without its key), BR_ENOMEM,
 * with err naming the file and the field. */
int br_kube_config_load_kubeconfig(const char *path, const char *context,
				   struct br_kube_config *cfg,
				   struct br_error *err);

/* As br_kube_config_load_kubeconfig, from len bytes in memory (for tests and
 * fuzzing); file names the input in errors and resolves relative paths
 * (NULL: relative to the working directory). */
int br_kube_config_load_kubeconfig_data(const char *data, size_t len,
					const char *file, const char *context,
					struct br_kube_config *cfg,
					struct br_error *err);

/* Fills cfg (init'ed by the call; you own it) for a pod: server from
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (IPv6 bracketed), the
 * service-account directory (default /var/run/secrets/kubernetes.io/
 * serviceaccount; the environment variable BR_KUBE_SA_DIR overrides it, for
 * tests) for token_file, ca_file and the namespace file; POD_NAMESPACE wins
 * over the namespace file. Returns 0, BR_ENOTFOUND (not in a cluster: the
 * variables are unset), BR_EIO (token or CA missing), or BR_ENOMEM. */
int br_kube_config_in_cluster(struct br_kube_config *cfg,
			      struct br_error *err);

/* ------------------------------------------------------------------ */
/* Status errors                                                       */

/* The error part of a Kubernetes Status object. */
struct br_kube_status {
	long code;           /* HTTP code: Status.code, else the response's */
	char reason[64];     /* "NotFound", "Conflict", "Expired"... or "" */
	char message[512];   /* truncated */
};

/* BR_E* code for an HTTP status (0 for 1xx-3xx). Can't fail. */
int br_kube_code_for_http(long http_status);

/* Decodes a failed response: len bytes of body (a Status object, or any
 * text) and the HTTP status. Fields missing from the body are taken from
 * the HTTP status (reason from its class, message from the body text).
 * Returns the BR_E* code for the status; can't fail otherwise. */
int br_kube_status_decode(long http_status, const char *body, size_t len,
			  struct br_kube_status *st);

/* ------------------------------------------------------------------ */
/* Client                                                              */

struct br_kube_client;

/* Called after every HTTP exchange (retries included), from the calling
 * thread, for metrics. status is 0 when no response came. */
typedef void (*br_kube_observe_fn)(void *ctx, const char *method,
				   long status, double seconds);

struct br_kube_options {
	double qps;              /* default 20 when 0; < 0: unlimited */
	int burst;               /* default 30 when 0 */
	const char *user_agent;  /* default "burnrate/VERSION"; copied */
	long timeout_ms;         /* per request (not streams); default 30000 */
	int max_attempts;        /* per idempotent request; default 5 */
	double backoff_initial;  /* retry backoff seconds; default 0.2 */
	double backoff_max;      /* default 5 */
	double token_refresh;    /* seconds between token_file reads; default 60 */
	/* Requests go over HTTP/1.1, up to max_connections kept-alive
	 * connections at once (default 4; more requests wait for one), or with
	 * http2 set, multiplexed over one HTTP/2 connection where the server
	 * offers it. On kube-apiserver v1.26, converging 10,000 SLOs over four
	 * HTTP/1.1 connections took 13% less client CPU, 7% less server CPU and
	 * 9% less time than over one HTTP/2 connection. Watches and lists have
	 * connections of their own either way. */
	int http2;
	long max_connections;
	const struct br_clock *clock;   /* NULL: real; copied */
	br_kube_observe_fn observe;     /* NULL: none */
	void *observe_ctx;
};

/* Creates a client for cfg (copied: cfg may be released afterwards); opts
 * may be NULL for the defaults. Reads the token file once (certificate
 * problems show up as BR_ETLS on the first request). Returns 0 and *out (you
 * own it: free with br_kube_client_free), or BR_EINVAL (no server, or not a
 * URL), BR_EIO (the token file is unreadable), BR_ENOMEM. */
int br_kube_client_create(const struct br_kube_config *cfg,
			  const struct br_kube_options *opts,
			  struct br_kube_client **out, struct br_error *err);
/* Frees the client; no request may be running. NULL is fine. */
void br_kube_client_free(struct br_kube_client *c);

/* The namespace of the configuration ("default" if none). Borrowed, valid
 * until br_kube_client_free. */
const char *br_kube_client_namespace(const struct br_kube_client *c);

/* The outcome of one request. */
struct br_kube_response {
	long status;         /* HTTP status of the last attempt; 0 if none */
	json_t *body;        /* parsed JSON body, or NULL; you own it */
	double retry_after;  /* seconds asked by Retry-After, -1 if none */
	struct br_kube_status error;  /* filled when status >= 400 */
};

/* Empties resp. Can't fail. */
void br_kube_response_init(struct br_kube_response *resp);
/* Drops the body and re-initialises. */
void br_kube_response_release(struct br_kube_response *resp);

/* Performs method on path ("/api/v1/namespaces/x/configmaps", see
 * br_kube_path) with query (already escaped, without '?', or NULL) and body
 * (NUL-terminated, or NULL) of content_type (NULL: application/json),
 * paced and retried as the header says. resp (may be NULL) is init'ed by
 * the call; release it also after a failure (it then carries the status,
 * the decoded Status and Retry-After). Returns 0 for 2xx; otherwise the
 * BR_E* code for the HTTP status or the transport failure. */
int br_kube_request(struct br_kube_client *c, const char *method,
		    const char *path, const char *query,
		    const char *content_type, const char *body,
		    struct br_kube_response *resp, struct br_error *err);

/* Accept headers that ask for objects' metadata alone (meta.k8s.io/v1
 * PartialObjectMetadata: names, labels, annotations, generation, owners,
 * managedFields), with plain JSON after them for a server that can't: a
 * ~9 kB PrometheusRule is then ~1.3 kB to encode, send and decode. The
 * server wants the List form for a list and the other for everything else
 * (a watch included); the wrong one is a 406. */
#define BR_KUBE_ACCEPT_METADATA \
	"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
#define BR_KUBE_ACCEPT_METADATA_LIST \
	"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"

/* As br_kube_request, with the Accept header accept (NULL:
 * application/json). */
int br_kube_request_accept(struct br_kube_client *c, const char *method,
			   const char *path, const char *query,
			   const char *content_type, const char *accept,
			   const char *body, struct br_kube_response *resp,
			   struct br_error *err);

/* A write whose answer nobody reads: as br_kube_request, but the answer is
 * asked for as metadata alone (BR_KUBE_ACCEPT_METADATA: the server prints and
 * sends ~0.5 kB instead of the whole object) and a 2xx body is not decoded.
 * Errors still come back as a Status. *retry_after (may be NULL) is set to
 * the delay the server asked for with a failure, else 0. */
int br_kube_write(struct br_kube_client *c, const char *method,
		  const char *path, const char *query, const char *content_type,
		  const char *body, double *retry_after, struct br_error *err);

/* The helpers below return what br_kube_request returns. out may be NULL;
 * on success *out is the response object (you own it), on failure NULL. */

/* GET path. */
int br_kube_get(struct br_kube_client *c, const char *path, json_t **out,
		struct br_error *err);
/* One page of a list: GET path?limit=L&continue=C plus extra_query (NULL
 * or "labelSelector=..." already escaped). limit 0: no limit; cont NULL or
 * "": first page. The next page's token is metadata.continue in *out. */
int br_kube_list(struct br_kube_client *c, const char *path,
		 const char *extra_query, long limit, const char *cont,
		 json_t **out, struct br_error *err);
/* As br_kube_list, with the Accept header accept (NULL: application/json). */
int br_kube_list_accept(struct br_kube_client *c, const char *path,
			const char *extra_query, long limit, const char *cont,
			const char *accept, json_t **out, struct br_error *err);
/* One listed item: its tree (borrowed for the call: take a reference to
 * keep it; its view, when the list asked for one) and its JSON text, text[0..len) (not NUL-terminated), which is
 * the server's with metadata.managedFields cut out. Return 0 to go on;
 * nonzero stops the page, and the call returns it. */
typedef int (*br_kube_item_fn)(void *ctx, json_t *item, const char *text, size_t len);
/* As br_kube_list_accept, but the page is read as it streams, by a
 * br_kube_list_reader (with view, NULL for whole items): fn gets each item
 * as soon as it has come, with its text, and neither the page nor a tree
 * of it is ever held whole, however long it is. The GET runs on an easy
 * handle of its own on the calling thread (fn may do real work without
 * stalling the client's other requests), with no time limit on the whole
 * but failing when no byte came for the client's timeout. It is retried
 * as a request is (429 after Retry-After, 5xx, a failed transport, a 401
 * once) only before its first byte: once fn has had items, a failure is
 * returned for the caller to list again. */
int br_kube_list_items(struct br_kube_client *c, const char *path,
		       const char *extra_query, long limit, const char *cont,
		       const char *accept, const char *const *view, br_kube_item_fn fn,
		       void *ctx, json_t **meta, struct br_error *err);
/* Reads a list's text[0..len) (an object with "items" and "metadata"):
 * fn for each element of items, in order, decoded from its own slice
 * (only its view, br_kube_view, when view is not NULL);
 * *meta (you own it) the list's metadata, NULL when it has none. Other
 * members are skipped, not decoded. Returns 0, fn's nonzero return,
 * BR_EPARSE (err says which item) for text that is not such a list, or
 * BR_ENOMEM; *meta is then NULL, and fn keeps the items it already had. */
int br_kube_list_scan(const char *text, size_t len, const char *const *view,
		      br_kube_item_fn fn, void *ctx, json_t **meta, struct br_error *err);
/* The largest single item (or other member) a list reader holds. */
#define BR_KUBE_LIST_ITEM_MAX ((size_t)32 << 20)

/* A list's text read as it arrives (br_kube_list_items reads every list
 * this way): fed in slices split anywhere, it hands each element of
 * "items" to fn as soon as its text is whole, decoded as
 * br_kube_list_scan decodes it (only its view, when view is not NULL) and
 * with metadata.managedFields cut out of its text first. Only the item
 * being read is held, so a list of any length costs one item of memory.
 * For any split of a text, the items, the metadata and whether it fails
 * are those of br_kube_list_scan on the whole. Fields are private to
 * list_reader.c; not thread-safe. */
struct br_kube_list_reader {
	struct br_buf buf;        /* text not yet read, from the item being read */
	size_t at;                /* next byte to read */
	size_t start, scanned;    /* the key, value or item being scanned */
	int depth, in_string, escape, scalar;
	int state, member;
	int failed;               /* the error that stopped the reading */
	size_t items, max;
	const char *const *view;
	br_kube_item_fn fn;
	void *ctx;
	json_t *meta;
};

/* Prepares a reader that hands items to fn (borrowed: view must outlive
 * it). Allocates nothing; can't fail. */
void br_kube_list_reader_init(struct br_kube_list_reader *r, const char *const *view,
			      br_kube_item_fn fn, void *ctx);
/* Reads len more bytes of the list. Returns 0; fn's nonzero return;
 * BR_EPARSE (err says which item) for text that is no list; BR_ELIMIT for
 * one item over BR_KUBE_LIST_ITEM_MAX bytes; BR_ENOMEM. After a failure
 * every feed fails the same way. Bytes after the list's end are ignored. */
int br_kube_list_reader_feed(struct br_kube_list_reader *r, const char *data, size_t len,
			     struct br_error *err);
/* The text has ended: 0 and *meta (you own it; NULL when the list had
 * none) when it was one whole list, else as br_kube_list_reader_feed
 * (*meta NULL). */
int br_kube_list_reader_finish(struct br_kube_list_reader *r, json_t **meta,
			       struct br_error *err);
/* How many items the reader has handed on. */
size_t br_kube_list_reader_items(const struct br_kube_list_reader *r);
/* Frees what the reader holds. */
void br_kube_list_reader_release(struct br_kube_list_reader *r);
/* The view of the JSON object text[0..len) that view names: a
 * NULL-terminated array of member paths ("metadata",
 * "status.prometheusRule"), none a prefix of another. *out (you own it) is
 * an object with just the members on those paths, each decoded from its own
 * slice of the text, which for a ServiceLevelObjective read for its
 * metadata is a fraction of decoding it whole. A member that is absent is
 * absent from the view. Where scanning can't follow a path (a key written
 * with escapes, text that is no object) *out is the whole value decoded:
 * always at least the view, and *whole (may be NULL) is 1, else 0. The
 * text outside the view is scanned, not checked as JSON. Returns 0,
 * BR_EPARSE (*jerr, which may be NULL, says why), or BR_ENOMEM. */
int br_kube_view(const char *text, size_t len, const char *const *view, json_t **out,
		 int *whole, json_error_t *jerr);
/* The value of member key of the JSON object text[0..len) (the last, when
 * it comes twice), as *n bytes at *off, found by scanning the text, not
 * decoding it; *members (may be NULL), how many members the scan saw. A
 * key written with escapes is neither found nor the same as another:
 * where *members is more than a decoder's count, it was a duplicate.
 * Returns 0, BR_ENOTFOUND, or BR_EPARSE for text the scan can't follow. */
int br_kube_member(const char *text, size_t len, const char *key, size_t *off,
		   size_t *n, size_t *members);
/* Every page: the first page's object with the items of all pages, and
 * metadata.resourceVersion of the last page; metadata.continue removed. A
 * 410 for an expired token is returned as BR_EGONE (restart the list). */
int br_kube_list_all(struct br_kube_client *c, const char *path,
		     const char *extra_query, long limit, json_t **out,
		     struct br_error *err);
/* POST obj to the collection path, where the server creates it (never
 * retried). */
int br_kube_post(struct br_kube_client *c, const char *path,
		 const json_t *obj, json_t **out, struct br_error *err);
/* PUT obj to path (an update; 409 when resourceVersion is stale). */
int br_kube_update(struct br_kube_client *c, const char *path,
		   const json_t *obj, json_t **out, struct br_error *err);
/* Server-side apply: PATCH path?fieldManager=M&force=true with
 * Content-Type application/apply-patch+yaml and obj as JSON. */
int br_kube_apply(struct br_kube_client *c, const char *path,
		  const json_t *obj, const char *field_manager, json_t **out,
		  struct br_error *err);
/* PATCH path with application/merge-patch+json. */
int br_kube_merge_patch(struct br_kube_client *c, const char *path,
			const json_t *patch, json_t **out,
			struct br_error *err);
/* PUT obj to path + "/status" (path names the object). */
int br_kube_update_status(struct br_kube_client *c, const char *path,
			  const json_t *obj, json_t **out,
			  struct br_error *err);
/* Server-side apply to path + "/status". */
int br_kube_apply_status(struct br_kube_client *c, const char *path,
			 const json_t *obj, const char *field_manager,
			 json_t **out, struct br_error *err);
/* DELETE path, with options (a DeleteOptions object) or NULL. */
int br_kube_delete(struct br_kube_client *c, const char *path,
		   const json_t *options, json_t **out, struct br_error *err);

/* Appends the path of a resource to out:
 * "/api/v1" (group NULL or "") or "/apis/GROUP/VERSION", then
 * "/namespaces/NS" (namespace NULL or "": cluster-scoped or all namespaces),
 * "/PLURAL", "/NAME" (NULL: the collection), "/SUBRESOURCE" (NULL: none).
 * Names are path-escaped. Returns 0, BR_EINVAL (no version or plural, or a
 * subresource without a name), or BR_ENOMEM. */
int br_kube_path(const char *group, const char *version, const char *namespace,
		 const char *plural, const char *name, const char *subresource,
		 struct br_buf *out);

/* Cuts every "managedFields" member out of the "metadata" objects in the
 * JSON text json[0..len), in place, and returns the text's new length
 * (never more than len; nothing is NUL-terminated). Every answer this
 * client decodes goes through it first, because managedFields are about
 * 40% of an object's bytes and burnrate never reads them; a watch's
 * decoder calls it on each event. Text that is not JSON is cut at most
 * where it looks like such a member and otherwise left for the decoder to
 * refuse. Can't fail. */
size_t br_kube_strip_managed_fields(char *json, size_t len);

/* ------------------------------------------------------------------ */
/* Streaming (watches)                                                 */

/* Receives body bytes as they arrive; any split is possible. Return 0 to
 * go on, nonzero to stop (br_kube_stream then returns BR_ECANCELED). */
typedef int (*br_kube_data_fn)(void *ctx, const char *data, size_t len);

/* GETs path?query and hands the raw body to on_data as it arrives, until
 * the server ends the response, on_data stops it, *stop (may be NULL)
 * becomes nonzero (checked at least once a second), or timeout_ms (0: none)
 * passes. Paced by the rate limiter; not retried (the caller's reflector
 * decides). Returns 0 when the server ended a 2xx response,
 * BR_ECANCELED (stopped), BR_ETIMEOUT, the code for a non-2xx status (the
 * Status body is decoded into err and not passed to on_data), or a
 * transport failure. *status (may be NULL) gets the HTTP status or 0. */
int br_kube_stream(struct br_kube_client *c, const char *path,
		   const char *query, br_kube_data_fn on_data, void *ctx,
		   const atomic_int *stop, long timeout_ms, long *status,
		   struct br_error *err);
/* As br_kube_stream, with the Accept header accept (NULL: application/json). */
int br_kube_stream_accept(struct br_kube_client *c, const char *path,
			  const char *query, const char *accept,
			  br_kube_data_fn on_data, void *ctx,
			  const atomic_int *stop, long timeout_ms, long *status,
			  struct br_error *err);

#endif
