/* kube request: one paced, retried JSON request, and the verbs built on it. */
#include "kube/kube.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "buf/buf.h"
#include "kube/client_internal.h"

#define MAX_BODY ((size_t)256 << 20)
#define MAX_RETRY_AFTER 300.0

/* What one HTTP exchange produced. */
struct exchange {
	struct br_buf body;
	long status;
	double retry_after;
	int curl_rc;          /* BR_E* of the transport, 0 if it worked */
	char errbuf[CURL_ERROR_SIZE];
};

void br_kube_response_init(struct br_kube_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
}

void br_kube_response_release(struct br_kube_response *resp)
{
	json_decref(resp->body);
	br_kube_response_init(resp);
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct br_buf *b = ctx;

	return br_buf_add(b, p, size * n) == 0 ? size * n : 0;
}

/* The value of a Retry-After header line p[0..len), or -1 for another header. */
static double parse_retry_after(const char *p, size_t len)
{
	static const char name[] = "retry-after:";
	char tmp[64], *end;
	size_t vlen;
	double v;

	if (len <= sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0)
		return -1;
	vlen = len - (sizeof(name) - 1);
	if (vlen >= sizeof(tmp))
		vlen = sizeof(tmp) - 1;
	memcpy(tmp, p + sizeof(name) - 1, vlen);
	tmp[vlen] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (end == tmp || errno || v < 0)
		v = 1;
	return v > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : v;
}

size_t br__kube_on_header(char *p, size_t size, size_t n, void *retry_after)
{
	double v = parse_retry_after(p, size * n);

	if (v >= 0)
		*(double *)retry_after = v;
	return size * n;
}

static int is_idempotent(const char *method)
{
	return strcmp(method, "POST") != 0;
}

/* Performs one exchange; fills x. */
static void perform(struct br_kube_client *c, const char *method,
		    const char *url, const char *content_type, const char *accept,
		    const char *body, struct exchange *x)
{
	CURL *h = br__kube_handle_get(c);
	struct curl_slist *hdrs = NULL;
	char *auth = br__kube_auth_header(c);
	struct br_buf ct, acc;
	CURLcode cc;

	br_buf_init(&ct, 4096);
	br_buf_init(&acc, 4096);
	if (!h) {
		x->curl_rc = BR_ENOMEM;
		br__kube_wipe(auth);
		return;
	}
	br__kube_setup_handle(c, h, x->errbuf);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, br__kube_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x->retry_after);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	br_buf_addf(&acc, "Accept: %s", accept ? accept : "application/json");
	hdrs = curl_slist_append(hdrs, br_buf_str(&acc));
	if (body) {
		br_buf_addf(&ct, "Content-Type: %s",
			    content_type ? content_type : "application/json");
		hdrs = curl_slist_append(hdrs, br_buf_str(&ct));
	}
	if (auth)
		hdrs = curl_slist_append(hdrs, auth);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cc = br__kube_multi_perform(c, h);
	x->curl_rc = br__kube_curl_code(cc);
	if (cc == CURLE_WRITE_ERROR)
		x->curl_rc = BR_ELIMIT;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
	/* the slist copies hold the token too: wipe them before freeing */
	for (struct curl_slist *s = hdrs; s; s = s->next)
		if (strncmp(s->data, "Authorization:", 14) == 0)
			OPENSSL_cleanse(s->data, strlen(s->data));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	br__kube_handle_put(c, h);
	br__kube_wipe(auth);
	br_buf_release(&ct);
	br_buf_release(&acc);
}

int br__kube_should_retry(struct br_kube_client *c, const char *method, long status,
			  int curl_rc, double retry_after, int attempt, int *reauthed,
			  struct br_backoff *bo, double *wait)
{
	if (attempt >= c->opts.max_attempts)
		return 0;
	if (status == 401 && c->cfg.token_file && !*reauthed) {
		/* the token may have rotated under us */
		*reauthed = 1;
		br__kube_token_refresh(c, 1, NULL);
		*wait = 0;
		return 1;
	}
	if (status == 429) {
		/* the server did not act on it: safe for every method */
		*wait = retry_after >= 0 ? retry_after : br_backoff_next(bo);
		return 1;
	}
	if (!is_idempotent(method))
		return 0;
	if (curl_rc == BR_EIO || status >= 500 || (curl_rc == BR_ETIMEOUT && status == 0)) {
		*wait = retry_after >= 0 && status == 503 ? retry_after : br_backoff_next(bo);
		return 1;
	}
	return 0;
}

/* What becomes of a 2xx body (an error's is always decoded). */
enum body_use {
	BODY_DROP,   /* not decoded: nobody reads it */
	BODY_TREE,   /* decoded into the response */
};

static int finish(const char *method, const char *path, struct exchange *x,
		  struct br_kube_response *r, enum body_use keep_body, struct br_error *err)
{
	int rc;

	r->status = x->status;
	r->retry_after = x->retry_after;
	if (x->curl_rc < 0 && x->curl_rc != BR_ELIMIT && x->status == 0)
		return br_error_set(err, x->curl_rc, "%s %s: %s", method, path,
				    x->errbuf[0] ? x->errbuf : br_strerror(x->curl_rc));
	if (x->curl_rc == BR_ELIMIT)
		return br_error_set(err, BR_ELIMIT, "%s %s: response larger than %zu bytes",
				    method, path, (size_t)MAX_BODY);
	if (x->curl_rc < 0)
		return br_error_set(err, x->curl_rc, "%s %s: HTTP %ld: %s", method, path,
				    x->status, x->errbuf);
	int ok = x->status >= 200 && x->status < 300;
	if (x->body.len > 0 && keep_body != BODY_DROP)
		x->body.len = br_kube_strip_managed_fields(x->body.data, x->body.len);
	if (x->body.len > 0 && (keep_body == BODY_TREE || !ok))
		r->body = json_loadb(x->body.data, x->body.len, 0, NULL);
	if (ok) {
		if (keep_body != BODY_TREE)
			return 0;
		if (x->body.len > 0 && !r->body)
			return br_error_set(err, BR_EPARSE, "%s %s: response is not JSON",
					    method, path);
		return 0;
	}
	rc = br_kube_status_decode(x->status, x->body.data, x->body.len, &r->error);
	if (rc == 0)
		rc = BR_EHTTP; /* 1xx/3xx: not followed, not expected */
	return br_error_set(err, rc, "%s %s: HTTP %ld %s: %s", method, path,
			    x->status, r->error.reason, r->error.message);
}

static int request(struct br_kube_client *c, const char *method,
		   const char *path, const char *query, const char *content_type,
		   const char *accept, const char *body,
		   struct br_kube_response *resp, enum body_use keep_body,
		   struct br_error *err)
{
	struct br_kube_response local;
	struct br_kube_response *r = resp ? resp : &local;
	char *url = br__kube_url(c, path, query);
	struct exchange x;
	struct br_backoff bo;
	int attempt = 0, reauthed = 0, rc;
	double wait = 0, t0;

	br_kube_response_init(r);
	if (!url)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	br_backoff_init(&bo, c->opts.backoff_initial, c->opts.backoff_max, 2, 0.5, 0);
	for (;;) {
		memset(&x, 0, sizeof(x));
		br_buf_init(&x.body, MAX_BODY);
		x.retry_after = -1;
		br_ratelimit_wait(c->rl);
		t0 = br_clock_now(&c->clock);
		perform(c, method, url, content_type, accept, body, &x);
		attempt++;
		if (c->opts.observe)
			c->opts.observe(c->opts.observe_ctx, method, x.status,
					br_clock_now(&c->clock) - t0);
		if ((x.status >= 200 && x.status < 300 && x.curl_rc == 0) ||
		    !br__kube_should_retry(c, method, x.status, x.curl_rc, x.retry_after, attempt,
					   &reauthed, &bo, &wait))
			break;
		br_buf_release(&x.body);
		br_clock_sleep(&c->clock, wait);
	}
	rc = finish(method, path, &x, r, keep_body, err);
	br_buf_release(&x.body);
	free(url);
	if (r == &local)
		br_kube_response_release(&local);
	return rc;
}

int br_kube_request(struct br_kube_client *c, const char *method,
		    const char *path, const char *query,
		    const char *content_type, const char *body,
		    struct br_kube_response *resp, struct br_error *err)
{
	return request(c, method, path, query, content_type, NULL, body, resp, BODY_TREE,
		       err);
}

int br_kube_request_accept(struct br_kube_client *c, const char *method,
			   const char *path, const char *query,
			   const char *content_type, const char *accept,
			   const char *body, struct br_kube_response *resp,
			   struct br_error *err)
{
	return request(c, method, path, query, content_type, accept, body, resp, BODY_TREE,
		       err);
}

int br_kube_write(struct br_kube_client *c, const char *method,
		  const char *path, const char *query, const char *content_type,
		  const char *body, double *retry_after, struct br_error *err)
{
	struct br_kube_response resp;
	int rc = request(c, method, path, query, content_type, BR_KUBE_ACCEPT_METADATA,
			 body, &resp, BODY_DROP, err);

	if (retry_after)
		*retry_after = rc != 0 && resp.retry_after > 0 ? resp.retry_after : 0;
	br_kube_response_release(&resp);
	return rc;
}

/* Runs a request with a JSON body and hands back the response object. */
static int json_request(struct br_kube_client *c, const char *method,
			const char *path, const char *query,
			const char *content_type, const char *accept,
			const json_t *obj, json_t **out, struct br_error *err)
{
	struct br_kube_response resp;
	char *body = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (obj && !(body = json_dumps(obj, JSON_COMPACT)))
		return br_error_set(err, BR_ENOMEM, "out of memory");
	rc = br_kube_request_accept(c, method, path, query, content_type, accept, body,
				    &resp, err);
	free(body);
	if (rc == 0 && out) {
		*out = resp.body;
		resp.body = NULL;
	}
	br_kube_response_release(&resp);
	return rc;
}

int br_kube_get(struct br_kube_client *c, const char *path, json_t **out,
		struct br_error *err)
{
	return json_request(c, "GET", path, NULL, NULL, NULL, NULL, out, err);
}

int br_kube_list(struct br_kube_client *c, const char *path,
		 const char *extra_query, long limit, const char *cont,
		 json_t **out, struct br_error *err)
{
	return br_kube_list_accept(c, path, extra_query, limit, cont, NULL, out, err);
}

int br__kube_list_query(const char *extra_query, long limit, const char *cont,
		      struct br_buf *q)
{
	br_buf_init(q, BR_BUF_MAX_DEFAULT);
	if (extra_query && extra_query[0])
		br_buf_adds(q, extra_query);
	if (limit > 0)
		br_buf_addf(q, "%slimit=%ld", q->len ? "&" : "", limit);
	if (cont && cont[0]) {
		char *e = curl_easy_escape(NULL, cont, 0);
		if (e)
			br_buf_addf(q, "%scontinue=%s", q->len ? "&" : "", e);
		curl_free(e);
		if (!e)
			q->failed = 1;
	}
	return q->failed ? BR_ENOMEM : 0;
}

int br_kube_list_accept(struct br_kube_client *c, const char *path,
			const char *extra_query, long limit, const char *cont,
			const char *accept, json_t **out, struct br_error *err)
{
	struct br_buf q;
	int rc = br__kube_list_query(extra_query, limit, cont, &q);

	if (rc == 0)
		rc = json_request(c, "GET", path, br_buf_str(&q), NULL, accept, NULL, out, err);
	else
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
	br_buf_release(&q);
	return rc;
}

/* Appends the items of page to all, and takes page's resourceVersion. */
static int merge_page(json_t *all, json_t *page)
{
	json_t *items = json_object_get(all, "items");
	json_t *more = json_object_get(page, "items");
	json_t *meta = json_object_get(all, "metadata");
	json_t *rv = json_object_get(json_object_get(page, "metadata"), "resourceVersion");

	if (!json_is_array(items) || (more && !json_is_array(more)))
		return BR_EPARSE;
	if (more && json_array_extend(items, more) != 0)
		return BR_ENOMEM;
	if (json_is_object(meta) && rv)
		json_object_set(meta, "resourceVersion", rv);
	return 0;
}

static const char *continue_of(const json_t *list)
{
	return json_string_value(json_object_get(json_object_get(list, "metadata"),
						 "continue"));
}

int br_kube_list_all(struct br_kube_client *c, const char *path,
		     const char *extra_query, long limit, json_t **out,
		     struct br_error *err)
{
	json_t *all = NULL, *page = NULL, *pc;
	char *cont = NULL;
	int rc;

	*out = NULL;
	if ((rc = br_kube_list(c, path, extra_query, limit, NULL, &all, err)) < 0)
		return rc;
	if (!json_is_array(json_object_get(all, "items")))
		json_object_set_new(all, "items", json_array());
	while (continue_of(all) && continue_of(all)[0]) {
		free(cont);
		cont = strdup(continue_of(all));
		if (!cont) {
			rc = br_error_set(err, BR_ENOMEM, "out of memory");
			break;
		}
		if ((rc = br_kube_list(c, path, extra_query, limit, cont, &page, err)) < 0)
			break;
		rc = merge_page(all, page);
		pc = json_object_get(json_object_get(page, "metadata"), "continue");
		json_object_set_new(json_object_get(all, "metadata"), "continue",
				    pc ? json_incref(pc) : json_string(""));
		json_decref(page);
		page = NULL;
		if (rc < 0) {
			br_error_set(err, rc, "GET %s: a page of the list is malformed", path);
			break;
		}
	}
	free(cont);
	if (rc < 0) {
		json_decref(all);
		return rc;
	}
	json_object_del(json_object_get(all, "metadata"), "continue");
	*out = all;
	return 0;
}

int br_kube_post(struct br_kube_client *c, const char *path,
		 const json_t *obj, json_t **out, struct br_error *err)
{
	return json_request(c, "POST", path, NULL, NULL, NULL, obj, out, err);
}

int br_kube_update(struct br_kube_client *c, const char *path,
		   const json_t *obj, json_t **out, struct br_error *err)
{
	return json_request(c, "PUT", path, NULL, NULL, NULL, obj, out, err);
}

static int apply_to(struct br_kube_client *c, const char *path,
		    const json_t *obj, const char *manager, json_t **out,
		    struct br_error *err)
{
	struct br_buf q;
	char *e;
	int rc;

	if (!manager || !manager[0] || strlen(manager) >= 128)
		return br_error_set(err, BR_EINVAL,
				    "a field manager of 1 to 127 characters is required");
	e = curl_easy_escape(NULL, manager, 0);
	br_buf_init(&q, 4096);
	if (e)
		br_buf_addf(&q, "fieldManager=%s&force=true", e);
	curl_free(e);
	if (!q.data)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	rc = json_request(c, "PATCH", path, br_buf_str(&q),
			  "application/apply-patch+yaml", NULL, obj, out, err);
	br_buf_release(&q);
	return rc;
}

int br_kube_apply(struct br_kube_client *c, const char *path,
		  const json_t *obj, const char *field_manager, json_t **out,
		  struct br_error *err)
{
	return apply_to(c, path, obj, field_manager, out, err);
}

int br_kube_merge_patch(struct br_kube_client *c, const char *path,
			const json_t *patch, json_t **out,
			struct br_error *err)
{
	return json_request(c, "PATCH", path, NULL, "application/merge-patch+json", NULL,
			    patch, out, err);
}

static char *status_path(const char *path)
{
	struct br_buf b;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&b, path);
	br_buf_adds(&b, "/status");
	return b.data ? br_buf_detach(&b) : NULL;
}

int br_kube_update_status(struct br_kube_client *c, const char *path,
			  const json_t *obj, json_t **out,
			  struct br_error *err)
{
	char *p = status_path(path);
	int rc;

	if (!p)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	rc = json_request(c, "PUT", p, NULL, NULL, NULL, obj, out, err);
	free(p);
	return rc;
}

int br_kube_apply_status(struct br_kube_client *c, const char *path,
			 const json_t *obj, const char *field_manager,
			 json_t **out, struct br_error *err)
{
	char *p = status_path(path);
	int rc;

	if (!p)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	rc = apply_to(c, p, obj, field_manager, out, err);
	free(p);
	return rc;
}

int br_kube_delete(struct br_kube_client *c, const char *path,
		   const json_t *options, json_t **out, struct br_error *err)
{
	return json_request(c, "DELETE", path, NULL, NULL, NULL, options, out, err);
}
