/* promdata: the answers of the Prometheus HTTP API as data (instant vectors
 * and range matrices) and the parser that reads them from a JSON body. Pure:
 * no network, no threads, no TLS; the HTTP client is pkg/prom, which includes
 * this header. Code that only reads answers (pkg/budget, pkg/backtest, the
 * UI's pages) depends on this module alone, and so links neither libcurl nor
 * OpenSSL. The names keep the br_prom_ prefix of the API they model.
 *
 * The parser accepts only what Prometheus documents: {"status": "success",
 * "data": {"resultType": "vector", "result": [{"metric": {...}, "value":
 * [<time>, "<value>"]}]}} or {"status": "error", "errorType": ..., "error":
 * ...}. Anything else is refused with BR_EPARSE and a message that says what
 * was wrong where (for example `data.result[3].value[1]: "x" is not a
 * number`). Range queries (/api/v1/query_range) answer resultType "matrix",
 * [{"metric": {...}, "values": [[<time>, "<value>"], ...]}], always read
 * through a jansson tree: they are small (one point per step). Values are
 * kept as Prometheus wrote them and as doubles; "NaN", "+Inf" and "-Inf" are
 * valid values. An answer in the shape Prometheus writes is read straight
 * into the vector; only other shapes go through a jansson tree (about 1 KB a
 * sample).
 *
 * Ownership: a struct br_prom_vector owns its samples, their labels and
 * strings (init, then release); a struct br_prom_matrix its series, labels
 * and points.
 *
 * Thread-safety: no shared state. Nothing here prints or logs.
 */
#ifndef BR_PROMDATA_H
#define BR_PROMDATA_H

#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"

/* --- Instant vectors ----------------------------------------------------- */

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

/* As br_prom_parse_vector, from body, which is released (left empty) on
 * return whatever happens: it is freed as soon as it is parsed, before the
 * tree is converted, so that a large answer is never held three times over.
 * For the client, which holds the answer in a buffer. */
int br_prom_parse_vector_body(struct br_buf *body, long http_status,
			      struct br_prom_vector *out, struct br_error *err);

/* --- Range matrices ------------------------------------------------------ */

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

#endif
