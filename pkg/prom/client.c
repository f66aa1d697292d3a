/* prom client: instant and range queries over libcurl, with a bearer token that is
 * re-read when its file changes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "buf/buf.h"
#include "prom/prom.h"

#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_CONNECT_MS 3000L
#define DEFAULT_MAX_BODY ((size_t)64 << 20)
#define MAX_TOKEN ((size_t)64 << 10)

struct br_prom_client {
	struct br_prom_options o;   /* strings below are our copies */
	char *url, *ca_file, *token_file;
	pthread_mutex_t mu;         /* one query at a time: guards all below */
	CURL *h;                    /* kept: its connection is reused */
	char *token;                /* from token_file, or NULL */
	struct stat token_st;       /* of the file when token was read */
};

static char *dup_opt(const char *s, int *failed)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*failed = 1;
	return d;
}

int br_prom_client_create(const struct br_prom_options *opts,
			  struct br_prom_client **out, struct br_error *err)
{
	struct br_prom_client *c;
	int failed = 0;

	*out = NULL;
	if (!opts->url || (strncmp(opts->url, "http://", 7) != 0 &&
			   strncmp(opts->url, "https://", 8) != 0))
		return br_error_set(err, BR_EINVAL,
				    "Prometheus URL must start with http:// or https://");
	c = calloc(1, sizeof(*c));
	if (!c)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	c->o = *opts;
	c->url = dup_opt(opts->url, &failed);
	c->ca_file = dup_opt(opts->ca_file, &failed);
	c->token_file = dup_opt(opts->token_file, &failed);
	/* no trailing slash: paths are appended */
	for (size_t n = c->url ? strlen(c->url) : 0; n > 0 && c->url[n - 1] == '/'; n--)
		c->url[n - 1] = '\0';
	if (!c->o.timeout_ms)
		c->o.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!c->o.connect_timeout_ms)
		c->o.connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (!c->o.max_body)
		c->o.max_body = DEFAULT_MAX_BODY;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->h = failed ? NULL : curl_easy_init();
	if (!c->h || pthread_mutex_init(&c->mu, NULL) != 0) {
		if (c->h)
			curl_easy_cleanup(c->h);
		free(c->url);
		free(c->ca_file);
		free(c->token_file);
		free(c);
		return br_error_set(err, BR_ENOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

static void wipe_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void br_prom_client_free(struct br_prom_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->h);
	pthread_mutex_destroy(&c->mu);
	wipe_free(c->token);
	free(c->url);
	free(c->ca_file);
	free(c->token_file);
	free(c);
}

const char *br_prom_client_url(const struct br_prom_client *c)
{
	return c->url;
}

/* ---- the token ---- */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reads the token file when it changed since the last read (a rotated
 * projected token is a new file behind a symlink: stat follows it). The
 * message names the file, never its contents. */
static int token_refresh(struct br_prom_client *c, struct br_error *err)
{
	struct stat st;
	struct br_buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	if (stat(c->token_file, &st) != 0)
		return br_error_set(err, BR_EAUTH, "cannot read bearer token file %s",
				    c->token_file);
	if (c->token && same_file(&st, &c->token_st))
		return 0;
	f = fopen(c->token_file, "r");
	if (!f)
		return br_error_set(err, BR_EAUTH, "cannot read bearer token file %s",
				    c->token_file);
	br_buf_init(&b, MAX_TOKEN);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		br_buf_add(&b, chunk, n);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' ||
			     b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (!b.data || b.len == 0 || strpbrk(b.data, "\r\n") || strlen(b.data) != b.len) {
		if (b.data)
			OPENSSL_cleanse(b.data, b.len);
		br_buf_release(&b);
		return br_error_set(err, BR_EAUTH,
				    "bearer token file %s is empty, too large or not one line",
				    c->token_file);
	}
	wipe_free(c->token);
	c->token = br_buf_detach(&b);
	c->token_st = st;
	return c->token ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
}

/* ---- one request ---- */

struct sink {
	struct br_buf body;
	struct br_prom_client *c;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	return br_buf_add(&s->body, p, size * n) == 0 ? size * n : 0;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	struct br_prom_client *c = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return c->o.cancel && c->o.cancel(c->o.cancel_ctx) ? 1 : 0;
}

static int transport_error(struct br_prom_client *c, CURLcode cc,
			   const char *errbuf, struct br_error *err)
{
	int code = BR_EIO;

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT: code = BR_ETIMEOUT; break;
	case CURLE_ABORTED_BY_CALLBACK: code = BR_ECANCELED; break;
	case CURLE_WRITE_ERROR:
		return br_error_set(err, BR_ELIMIT, "%s: answer larger than %zu bytes",
				    c->url, c->o.max_body);
	case CURLE_OUT_OF_MEMORY: code = BR_ENOMEM; break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		code = BR_ETLS;
		break;
	default: break;
	}
	return br_error_set(err, code, "%s: %s", c->url,
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

static void setup(struct br_prom_client *c, const char *url, const char *form,
		  struct sink *s, char *errbuf)
{
	CURL *h = c->h;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
}

/* The form: query=<escaped promql><extra>&timeout=<s>s, so Prometheus
 * stops evaluating when we stop waiting. extra is "" or "&start=..." (no
 * character that needs escaping). */
static char *make_form(struct br_prom_client *c, const char *promql, const char *extra)
{
	char *q = curl_easy_escape(c->h, promql, 0);
	struct br_buf b;

	if (!q)
		return NULL;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_addf(&b, "query=%s%s&timeout=%lds", q, extra,
		    c->o.timeout_ms > 1000 ? c->o.timeout_ms / 1000 : 1L);
	curl_free(q);
	return br_buf_detach(&b);
}

/* Where a request goes and what reads its answer: parse consumes body
 * (releases it) and fills out. */
struct request {
	const char *path;       /* "query" or "query_range" */
	const char *extra;      /* more form fields, "" for none */
	int (*parse)(struct br_buf *body, long http_status, void *out,
		     struct br_error *err);
	void *out;
};

static int query_locked(struct br_prom_client *c, const char *promql,
			const struct request *rq, struct br_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct br_buf url, auth;
	struct sink s = { .c = c };
	long status = 0;
	int rc = 0;

	if (c->token_file) {
		struct br_error terr;

		br_error_init(&terr);
		if ((rc = token_refresh(c, &terr)) != 0)
			return br_error_set(err, rc, "%s: %s", c->url, terr.text);
	}
	char *form = make_form(c, promql, rq->extra);
	br_buf_init(&url, BR_BUF_MAX_DEFAULT);
	br_buf_init(&auth, MAX_TOKEN + 64);
	br_buf_init(&s.body, c->o.max_body);
	br_buf_addf(&url, "%s/api/v1/%s", c->url, rq->path);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (hdrs && c->token && br_buf_addf(&auth, "Authorization: Bearer %s", c->token) == 0) {
		struct curl_slist *t = curl_slist_append(hdrs, auth.data);

		if (t)
			hdrs = t;
		else
			br_buf_release(&auth); /* never send a query without the token */
	}
	if (!form || !url.data || !hdrs || (c->token && !auth.data)) {
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
	} else {
		setup(c, url.data, form, &s, errbuf);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
		CURLcode cc = curl_easy_perform(c->h);
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
		if (cc != CURLE_OK)
			rc = transport_error(c, cc, errbuf, err);
	}
	/* the header copies hold the token: wipe them before freeing */
	for (struct curl_slist *h = hdrs; h; h = h->next)
		OPENSSL_cleanse(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
	if (auth.data)
		OPENSSL_cleanse(auth.data, auth.len);
	br_buf_release(&auth);
	if (rc == 0) {
		struct br_error perr;

		br_error_init(&perr);
		rc = rq->parse(&s.body, status, rq->out, &perr);
		if (rc != 0)
			br_error_set(err, rc, "%s: %s", c->url, perr.text);
	}
	br_buf_release(&s.body);
	br_buf_release(&url);
	free(form);
	return rc;
}

static int parse_vector_body(struct br_buf *body, long http_status, void *out,
			     struct br_error *err)
{
	return br_prom_parse_vector_body(body, http_status, out, err);
}

static int parse_matrix_body(struct br_buf *body, long http_status, void *out,
			     struct br_error *err)
{
	int rc = br_prom_parse_matrix(br_buf_str(body), body->len, http_status, out, err);

	br_buf_release(body);
	return rc;
}

int br_prom_query(struct br_prom_client *c, const char *promql,
		  struct br_prom_vector *out, struct br_error *err)
{
	struct request rq = { "query", "", parse_vector_body, out };
	int rc;

	br_prom_vector_init(out);
	pthread_mutex_lock(&c->mu);
	rc = query_locked(c, promql, &rq, err);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int br_prom_query_range(struct br_prom_client *c, const char *promql,
			double start, double end, double step,
			struct br_prom_matrix *out, struct br_error *err)
{
	struct request rq = { "query_range", NULL, parse_matrix_body, out };
	char extra[128];
	int rc;

	br_prom_matrix_init(out);
	if (!(step > 0) || !(end >= start))
		return br_error_set(err, BR_EINVAL,
				    "range query: step must be positive and end not before start");
	/* %.3f: Prometheus takes decimal Unix seconds */
	snprintf(extra, sizeof(extra), "&start=%.3f&end=%.3f&step=%.3f", start, end, step);
	rq.extra = extra;
	pthread_mutex_lock(&c->mu);
	rc = query_locked(c, promql, &rq, err);
	pthread_mutex_unlock(&c->mu);
	return rc;
}
