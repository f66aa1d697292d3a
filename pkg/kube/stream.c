/* kube stream: a GET whose body is handed over as it arrives: watches,
 * and lists read item by item (br_kube_list_items). Each runs on an easy
 * handle of its own, on the caller's thread, because what it does with the
 * body (decoding, caches) must not stall the multi thread that carries
 * every other request. */
#include "kube/kube.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf/buf.h"
#include "kube/client_internal.h"

#define MAX_ERROR_BODY ((size_t)64 << 10)

struct stream_ctx {
	CURL *h;
	br_kube_data_fn on_data;
	void *ctx;
	const atomic_int *stop;
	struct br_buf error_body;  /* body of a non-2xx response */
	int stopped;               /* by on_data or *stop */
	int status_known;
	long status;
	int data_stopped;
	int keep_err;              /* then leave err as on_data set it */          /* on_data stopped it (and said why itself) */
	double retry_after;        /* from Retry-After, or -1 */
	size_t delivered;          /* bytes handed to on_data */
};

/* How one streamed GET is made. */
struct stream_how {
	const char *accept;        /* NULL: application/json */
	long timeout_ms;           /* the whole transfer; 0: none */
	long stall_s;              /* fail when no byte came for this long; 0: never */
};

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct stream_ctx *s = arg;
	size_t len = size * n;

	if (!s->status_known) {
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
		s->status_known = 1;
	}
	if (s->status < 200 || s->status >= 300) {
		/* keep what fits of the Status body; drop the rest */
		if (s->error_body.len + len <= MAX_ERROR_BODY)
			br_buf_add(&s->error_body, p, len);
		return len;
	}
	if (s->stop && atomic_load(s->stop)) {
		s->stopped = 1;
		return 0;
	}
	if (s->on_data(s->ctx, p, len) != 0) {
		s->stopped = s->data_stopped = 1;
		return 0;
	}
	s->delivered += len;
	return len;
}


static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	struct stream_ctx *s = arg;

	if (s->stop && atomic_load(s->stop)) {
		s->stopped = 1;
		return 1;
	}
	return 0;
}

static int stream_result(const char *path, CURLcode cc, struct stream_ctx *s,
			 const char *errbuf, struct br_error *err)
{
	struct br_kube_status st;
	int rc;

	if (s->data_stopped && s->keep_err)
		return BR_ECANCELED;  /* err is on_data's */
	if (s->stopped)
		return br_error_set(err, BR_ECANCELED, "GET %s: watch stopped", path);
	if (cc != CURLE_OK && s->status == 0)
		return br_error_set(err, br__kube_curl_code(cc), "GET %s: %s", path,
				    errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (s->status >= 200 && s->status < 300) {
		if (cc == CURLE_OK)
			return 0;
		/* the stream broke after it started: a cut watch */
		return br_error_set(err, br__kube_curl_code(cc), "GET %s: stream ended: %s",
				    path, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	rc = br_kube_status_decode(s->status, s->error_body.data, s->error_body.len, &st);
	return br_error_set(err, rc ? rc : BR_EHTTP, "GET %s: HTTP %ld %s: %s", path,
			    s->status, st.reason, st.message);
}

int br_kube_stream(struct br_kube_client *c, const char *path,
		   const char *query, br_kube_data_fn on_data, void *ctx,
		   const atomic_int *stop, long timeout_ms, long *status,
		   struct br_error *err)
{
	return br_kube_stream_accept(c, path, query, NULL, on_data, ctx, stop,
				     timeout_ms, status, err);
}

/* Performs one streamed GET of path?query into s (on_data, ctx and stop
 * set by the caller). Returns what stream_result says. */
static int stream_get(struct br_kube_client *c, const char *path, const char *query,
		      const struct stream_how *how, struct stream_ctx *s, struct br_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = br__kube_url(c, path, query);
	char *auth;
	struct curl_slist *hdrs = NULL;
	struct br_buf acc;
	CURLcode cc;
	int rc;

	s->retry_after = -1;
	br_buf_init(&acc, 4096);
	if (!url || !(s->h = curl_easy_init())) {
		free(url);
		return br_error_set(err, BR_ENOMEM, "out of memory");
	}
	br_buf_init(&s->error_body, MAX_ERROR_BODY);
	br_ratelimit_wait(c->rl);
	auth = br__kube_auth_header(c);
	br__kube_setup_handle(c, s->h, errbuf);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, how->timeout_ms > 0 ? how->timeout_ms : 0L);
	if (how->stall_s > 0) {
		curl_easy_setopt(s->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(s->h, CURLOPT_LOW_SPEED_TIME, how->stall_s);
	}
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, br__kube_on_header);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, &s->retry_after);
	curl_easy_setopt(s->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, s);
	br_buf_addf(&acc, "Accept: %s", how->accept ? how->accept : "application/json");
	hdrs = curl_slist_append(hdrs, br_buf_str(&acc));
	if (auth)
		hdrs = curl_slist_append(hdrs, auth);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(s->h);
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	rc = stream_result(path, cc, s, errbuf, err);
	for (struct curl_slist *l = hdrs; l; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(s->h);
	s->h = NULL;
	br__kube_wipe(auth);
	br_buf_release(&s->error_body);
	br_buf_release(&acc);
	free(url);
	return rc;
}

int br_kube_stream_accept(struct br_kube_client *c, const char *path,
			  const char *query, const char *accept,
			  br_kube_data_fn on_data, void *ctx,
			  const atomic_int *stop, long timeout_ms, long *status,
			  struct br_error *err)
{
	struct stream_ctx s = {.on_data = on_data, .ctx = ctx, .stop = stop};
	struct stream_how how = {accept, timeout_ms, 0};
	int rc = stream_get(c, path, query, &how, &s, err);

	if (c->opts.observe)
		c->opts.observe(c->opts.observe_ctx, "WATCH", s.status, 0);
	if (s.status == 401 && c->cfg.token_file)
		br__kube_token_refresh(c, 1, NULL);  /* ready for the reconnect */
	if (status)
		*status = s.status;
	return rc;
}

/* --- lists, read as they stream --------------------------------------- */

struct list_feed {
	struct br_kube_list_reader reader;
	struct br_error *err;
	int rc;  /* the reader's failure */
};

static int feed_list(void *ctx, const char *data, size_t len)
{
	struct list_feed *f = ctx;

	f->rc = br_kube_list_reader_feed(&f->reader, data, len, f->err);
	return f->rc;
}

/* One attempt at the list: 0 with *meta, or an error; *delivered, whether
 * any of the body reached the reader (then it is not tried again: its
 * items are handed on). */
static int list_once(struct br_kube_client *c, const char *path, const char *query,
		     const char *accept, const char *const *view, br_kube_item_fn fn,
		     void *ctx, json_t **meta, struct stream_ctx *s, struct br_error *err)
{
	/* no cap on the whole, which may be a list of any length; a server
	   that stops sending fails it as a request would time out */
	struct stream_how how = {accept, 0, (c->opts.timeout_ms + 999) / 1000};
	struct list_feed f = {.err = err};
	double t0 = br_clock_now(&c->clock);
	int rc;

	br_kube_list_reader_init(&f.reader, view, fn, ctx);
	s->on_data = feed_list;
	s->ctx = &f;
	s->keep_err = 1;
	rc = stream_get(c, path, query, &how, s, err);
	if (c->opts.observe)
		c->opts.observe(c->opts.observe_ctx, "GET", s->status,
				br_clock_now(&c->clock) - t0);
	if (f.rc != 0)  /* the reader's own error, not "stopped" */
		rc = f.rc;
	else if (rc == 0)
		rc = br_kube_list_reader_finish(&f.reader, meta, err);
	br_kube_list_reader_release(&f.reader);
	return rc;
}

int br_kube_list_items(struct br_kube_client *c, const char *path,
		       const char *extra_query, long limit, const char *cont,
		       const char *accept, const char *const *view, br_kube_item_fn fn,
		       void *ctx, json_t **meta, struct br_error *err)
{
	struct br_backoff bo;
	struct br_buf q;
	int attempt = 0, reauthed = 0, rc;
	double wait = 0;

	*meta = NULL;
	if (br__kube_list_query(extra_query, limit, cont, &q) != 0) {
		br_buf_release(&q);
		return br_error_set(err, BR_ENOMEM, "out of memory");
	}
	br_backoff_init(&bo, c->opts.backoff_initial, c->opts.backoff_max, 2, 0.5, 0);
	for (;;) {
		struct stream_ctx s = {0};
		rc = list_once(c, path, br_buf_str(&q), accept, view, fn, ctx, meta, &s, err);
		attempt++;
		/* a list that handed items on is not read again from its start:
		   the caller's reflector lists again */
		if (rc == 0 || s.delivered > 0 ||
		    !br__kube_should_retry(c, "GET", s.status, s.status ? 0 : rc,
					   s.retry_after, attempt, &reauthed, &bo, &wait))
			break;
		br_clock_sleep(&c->clock, wait);
	}
	br_buf_release(&q);
	return rc;
}
