/* kube stream: a GET whose body is handed over as it arrives (watches). */
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
		s->stopped = 1;
		return 0;
	}
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

int br_kube_stream_accept(struct br_kube_client *c, const char *path,
			  const char *query, const char *accept,
			  br_kube_data_fn on_data, void *ctx,
			  const atomic_int *stop, long timeout_ms, long *status,
			  struct br_error *err)
{
	struct stream_ctx s = {.on_data = on_data, .ctx = ctx, .stop = stop};
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = br__kube_url(c, path, query);
	char *auth;
	struct curl_slist *hdrs = NULL;
	struct br_buf acc;
	CURLcode cc;
	int rc;

	br_buf_init(&acc, 4096);
	if (status)
		*status = 0;
	if (!url || !(s.h = curl_easy_init())) {
		free(url);
		return br_error_set(err, BR_ENOMEM, "out of memory");
	}
	br_buf_init(&s.error_body, MAX_ERROR_BODY);
	br_ratelimit_wait(c->rl);
	auth = br__kube_auth_header(c);
	br__kube_setup_handle(c, s.h, errbuf);
	curl_easy_setopt(s.h, CURLOPT_URL, url);
	curl_easy_setopt(s.h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s.h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 0L);
	curl_easy_setopt(s.h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(s.h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s.h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s.h, CURLOPT_XFERINFODATA, &s);
	br_buf_addf(&acc, "Accept: %s", accept ? accept : "application/json");
	hdrs = curl_slist_append(hdrs, br_buf_str(&acc));
	if (auth)
		hdrs = curl_slist_append(hdrs, auth);
	curl_easy_setopt(s.h, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(s.h);
	curl_easy_getinfo(s.h, CURLINFO_RESPONSE_CODE, &s.status);
	if (c->opts.observe)
		c->opts.observe(c->opts.observe_ctx, "WATCH", s.status, 0);
	if (s.status == 401 && c->cfg.token_file)
		br__kube_token_refresh(c, 1, NULL);  /* ready for the reconnect */
	if (status)
		*status = s.status;
	rc = stream_result(path, cc, &s, errbuf, err);
	for (struct curl_slist *l = hdrs; l; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(s.h);
	br__kube_wipe(auth);
	br_buf_release(&s.error_body);
	br_buf_release(&acc);
	free(url);
	return rc;
}
