/* kube client internals: the client struct and helpers shared by client.c,
 * request.c and stream.c. Not part of the API. */
#ifndef BR_KUBE_CLIENT_INTERNAL_H
#define BR_KUBE_CLIENT_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "buf/buf.h"
#include "kube/kube.h"

#define KUBE_SHARE_LOCKS 8
#define KUBE_POOL_MAX 16   /* idle easy handles kept for reuse */

struct br__kube_transfer;

struct br_kube_client {
	struct br_kube_config cfg;     /* own copy */
	struct br_kube_options opts;   /* defaults applied; pointers cleared */
	struct br_clock clock;
	struct br_ratelimit *rl;
	char *base;                    /* scheme://host:port for URLs */
	struct curl_slist *connect_to; /* for tls-server-name, or NULL */
	char *user_agent;
	CURLSH *share;                 /* DNS and TLS sessions only */
	pthread_mutex_t pool_mu;       /* guards pool and pool_len */
	CURL *pool[KUBE_POOL_MAX];
	size_t pool_len;
	pthread_mutex_t share_mu[KUBE_SHARE_LOCKS];
	pthread_mutex_t token_mu;      /* guards token and token_read_at */
	char *token;                   /* from token_file, or NULL */
	double token_read_at;
	/* multi.c: the request transport */
	CURLM *multi;                  /* owns the connection cache */
	pthread_t multi_thread;
	int multi_running;
	atomic_int multi_stop;
	pthread_mutex_t multi_mu;      /* guards multi_pending and done flags */
	struct br__kube_transfer *multi_pending; /* handed over, not added yet */
};

int br__kube_token_refresh(struct br_kube_client *c, int force,
			   struct br_error *err);
char *br__kube_auth_header(struct br_kube_client *c);
void br__kube_wipe(char *s);
void br__kube_setup_handle(struct br_kube_client *c, CURL *h, char *errbuf);
char *br__kube_url(struct br_kube_client *c, const char *path,
		   const char *query);
int br__kube_curl_code(CURLcode cc);
/* Starts the multi thread. Returns 0 or BR_ENOMEM. */
int br__kube_multi_start(struct br_kube_client *c);
/* Stops it and frees the multi; no transfer may be in flight. Safe on a
 * client whose start failed or never ran (fields zeroed). */
void br__kube_multi_stop(struct br_kube_client *c);
/* Runs the prepared easy handle h on the client's multi handle (shared
 * connections, HTTP/2 multiplexing) and returns its result once done. The
 * handle's callbacks run on the multi thread meanwhile. Thread-safe. */
CURLcode br__kube_multi_perform(struct br_kube_client *c, CURL *h);
/* Takes an idle easy handle (its connections stay open for reuse), or a new
 * one; NULL when out of memory. Give it back with br__kube_handle_put. */
CURL *br__kube_handle_get(struct br_kube_client *c);
/* Resets h and keeps it idle, or frees it when the pool is full. */
void br__kube_handle_put(struct br_kube_client *c, CURL *h);

/* A libcurl header function that notes a Retry-After header in the double
 * that retry_after points to (its HEADERDATA): delta seconds, at most 300;
 * HTTP dates are rare from Kubernetes and are taken as 1 s. */
size_t br__kube_on_header(char *p, size_t size, size_t n, void *retry_after);
/* Whether a request that ended with status (0: none) and curl_rc (a BR_E*
 * code of the transport, 0 if it worked) on its attempt-th try is tried
 * again, and after how long (*wait, seconds): a 429 (after Retry-After),
 * a 401 once after rereading the token file, and for all but POST a 5xx
 * or a failed transport, up to the client's max_attempts. */
int br__kube_should_retry(struct br_kube_client *c, const char *method, long status,
			  int curl_rc, double retry_after, int attempt, int *reauthed,
			  struct br_backoff *bo, double *wait);
/* The query of one page of a list into q (initialised here): extra_query,
 * limit, continue. 0 or BR_ENOMEM. */
int br__kube_list_query(const char *extra_query, long limit, const char *cont,
			struct br_buf *q);

#endif
