/* prom: a small client of the Prometheus HTTP API (instant and range
 * queries). The answers it returns, and their parser, are pkg/promdata
 * (included here): code that only reads answers needs that module alone.
 *
 * The client POSTs a form to <url>/api/v1/query (POST, so a long selector
 * never hits a URL length limit) over libcurl: http or https, an optional CA
 * bundle, an optional bearer token read from a file and re-read whenever the
 * file changes (projected service account tokens rotate). The token is never
 * put in an error message. Redirects are not followed; a response body
 * larger than max_body is refused.
 *
 * Ownership: the client is opaque (create, free); the vectors and matrices
 * it fills are yours (see promdata.h).
 *
 * Thread-safety: one client may be used from several threads; queries on one
 * client are serialised (one connection, kept alive between queries).
 * Nothing here prints or logs.
 */
#ifndef BR_PROM_H
#define BR_PROM_H

#include <stddef.h>

#include "errors/errors.h"
#include "promdata/promdata.h"

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

/* Runs a range query from start to end (Unix seconds) every step seconds
 * (step > 0, at most 11000 points: Prometheus's own limit). Fills out as
 * br_prom_parse_matrix. Fails as br_prom_query, and with BR_EINVAL for a
 * step <= 0 or end < start. */
int br_prom_query_range(struct br_prom_client *c, const char *promql,
			double start, double end, double step,
			struct br_prom_matrix *out, struct br_error *err);

#endif
