/* prom: a small client of the Prometheus HTTP API (instant and range
 * queries) and the parser of its JSON answers.
 *
 * The client POSTs a form to <url>/api/v1/query (POST, so a long selector
 * never hits a URL length limit) over libcurl: http or https, an optional CA
 * bundle, an optional bearer token read from a file and re-read whenever the
 * file changes (projected service account tokens rotate). The token is never
 * put in an error message. Redirects are not followed; a response body
 * larger than max_body is refused.
 *
 * The parser accepts only what Prometheus documents: {"status": "success",
 * "data": {"resultType": "vector", "result": [{"metric": {...}, "value":
 * [<time>, "<value>"]}]}} or {"status": "error", "errorType": ..., "error":
 * ...}. Anything else is refused with BR_EPARSE and a message that says what
 * was wrong where (for example `data.result[3].value[1]: "x" is not a
 * number`). Range queries (/api/v1/query_range) answer resultType "matrix",
 * [{"metric": {...}, "values": [[<time>, "<value>"], ...]}], always read
 * through a jansson tree: they are small (one point per step). Values are kept as Prometheus wrote them and as doubles; "NaN",
 * "+Inf" and "-Inf" are valid values. An answer in the shape Prometheus
 * writes is read straight into the vector; only other shapes go through a
 * jansson tree (about 1 KB a sample).
 *
 * Ownership: a struct br_prom_vector owns its samples, their labels and
 * strings (init, then release). The client is opaque (create, free).
 *
 * Thread-safety: one client may be used from several threads; queries on one
 * client are serialised (one connection, kept alive between queries). The
 * parser has no shared state. Nothing here prints or logs.
 */
#ifndef BR_PROM_H
#define BR_PROM_H

#include <stddef.h>

#include "errors/errors.h"

struct br_prom_client;

struct br_prom_options {
	const char *url;          /* base URL, http(s)://host:port[/prefix];
				   * required */
	const char *ca_file;      /* PEM CA bundle for https; NULL: system's */
	const char *token_file;   /* bearer token file; NULL: no token */
	long timeout_ms;          /* whole request; 0: 10000 */
	long connect_timeout_ms;  /* 0: 3000 */
	size_t max_body;          /* bytes; 0: 64 MiB */
	/* Polled while a request runs: non-zero aborts it with BR_ECANCELED
	 * (so a shutdown does not wait for a slow server). NULL: never. */
	int (*cancel)(void *ctx);
	void *cancel_ctx;
};

/* One label of a sample. */
struct br_prom_label {
	char *name;
	char *value;
};

/* One sample of an instant vector. */
struct br_prom_sample {
	struct br_prom_label *labels;  /* in the order of the answer */
	size_t nlabels;
	double timestamp;              /* Unix seconds */
	char *text;                    /* the value as Prometheus wrote it */
	double value;                  /* the same as a double (NaN, +-Inf too) */
};

struct br_prom_vector {
	struct br_prom_sample *samples;
	size_t count;
};

/* Initialises an empty vector. Does not allocate; can't fail. */
void br_prom_vector_init(struct br_prom_vector *v);
/* Frees every sample and leaves the vector empty. */
void br_prom_vector_release(struct br_prom_vector *v);

/* The value of label name in s, or NULL. Borrowed from s. */
const char *br_prom_sample_label(const struct br_prom_sample *s,
				 const char *name);

/* Parses an answer of /api/v1/query: len bytes of body (need not be
 * NUL-terminated) that came with HTTP status http_status (0 if unknown).
 * On success returns 0 and fills out (you own it: release it); out is
 * overwritten, so it must hold nothing (uninitialised is fine). On failure
 * out is left empty and the code says
 * why, with err's text:
 *   BR_EINVAL     Prometheus refused the query (errorType bad_data)
 *   BR_ETIMEOUT   Prometheus gave up (errorType timeout or canceled)
 *   BR_EAUTH      HTTP 401 or 403
 *   BR_EHTTP      another error answer or HTTP status (the text has
 *                 Prometheus's errorType and error, or the first bytes of
 *                 the body, made printable)
 *   BR_EPARSE     not JSON, or not the documented shape, or a result type
 *                 other than vector
 *   BR_ENOMEM     out of memory */
int br_prom_parse_vector(const char *body, size_t len, long http_status,
			 struct br_prom_vector *out, struct br_error *err);

/* Creates a client. Strings in opts are copied; the token file is read at
 * the first query. Returns 0 and *out (you own it: br_prom_client_free), or
 * BR_EINVAL (no url, or a scheme other than http/https), or BR_ENOMEM. */
int br_prom_client_create(const struct br_prom_options *opts,
			  struct br_prom_client **out, struct br_error *err);

/* Frees a client no query is using. NULL is fine. */
void br_prom_client_free(struct br_prom_client *c);

/* The base URL the client was created with. Borrowed from c. */
const char *br_prom_client_url(const struct br_prom_client *c);

/* Runs an instant query (at the server's current time). On success returns
 * 0 and fills out (as br_prom_parse_vector). Fails with the codes of
 * br_prom_parse_vector, or BR_EIO (cannot connect, connection lost),
 * BR_ETIMEOUT (timeout_ms passed), BR_ETLS, BR_ELIMIT (body over max_body),
 * BR_ECANCELED (opts.cancel said so), BR_EAUTH (the token file cannot be
 * read, or holds a line break). err's text starts with the URL. */
int br_prom_query(struct br_prom_client *c, const char *promql,
		  struct br_prom_vector *out, struct br_error *err);

/* --- Range queries ------------------------------------------------------ */

struct br_prom_point {
	double t;       /* Unix seconds */
	double v;       /* NaN, +-Inf too */
};

/* One series of a range answer; points in the order of the answer
 * (Prometheus sends them by time). */
struct br_prom_series {
	struct br_prom_label *labels;
	size_t nlabels;
	struct br_prom_point *points;
	size_t count;
};

struct br_prom_matrix {
	struct br_prom_series *series;
	size_t count;
};

/* Initialises an empty matrix. Does not allocate; can't fail. */
void br_prom_matrix_init(struct br_prom_matrix *m);
/* Frees every series and leaves the matrix empty. */
void br_prom_matrix_release(struct br_prom_matrix *m);

/* Parses an answer of /api/v1/query_range, as br_prom_parse_vector does an
 * instant one (same codes; a result type other than matrix is BR_EPARSE,
 * as is a point that is not a [time, "value"] pair or a series without
 * "values"). On success you own out; on failure it is empty. */
int br_prom_parse_matrix(const char *body, size_t len, long http_status,
			 struct br_prom_matrix *out, struct br_error *err);

/* Runs a range query from start to end (Unix seconds) every step seconds
 * (step > 0, at most 11000 points: Prometheus's own limit). Fails as
 * br_prom_query, and with BR_EINVAL for a step <= 0 or end < start. */
int br_prom_query_range(struct br_prom_client *c, const char *promql,
			double start, double end, double step,
			struct br_prom_matrix *out, struct br_error *err);

#endif
