/* kube client: libcurl handles sharing one CURLSH, bearer tokens that are
 * re-read as they rotate, pacing, retries, and the request primitive. */
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "buf/buf.h"
#include "kube/client_internal.h"
#include "kube/internal.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *dup_mem(const char *s, size_t len)
{
	char *d;

	if (!s)
		return NULL;
	d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* Deep-copies src into dst (init'ed). Returns 0 or BR_ENOMEM. */
static int config_copy(struct br_kube_config *dst,
		       const struct br_kube_config *src)
{
	br_kube_config_init(dst);
	dst->server = dup_or_null(src->server);
	dst->ca_file = dup_or_null(src->ca_file);
	dst->ca_data = dup_mem(src->ca_data, src->ca_data_len);
	dst->ca_data_len = src->ca_data_len;
	dst->insecure = src->insecure;
	dst->tls_server_name = dup_or_null(src->tls_server_name);
	dst->token = dup_or_null(src->token);
	dst->token_file = dup_or_null(src->token_file);
	dst->client_cert_file = dup_or_null(src->client_cert_file);
	dst->client_cert_data = dup_mem(src->client_cert_data, src->client_cert_data_len);
	dst->client_cert_data_len = src->client_cert_data_len;
	dst->client_key_file = dup_or_null(src->client_key_file);
	dst->client_key_data = dup_mem(src->client_key_data, src->client_key_data_len);
	dst->client_key_data_len = src->client_key_data_len;
	dst->namespace = strdup(src->namespace ? src->namespace : "default");
	dst->context = dup_or_null(src->context);
	if ((src->server && !dst->server) || (src->ca_file && !dst->ca_file) ||
	    (src->ca_data && !dst->ca_data) || (src->token && !dst->token) ||
	    (src->tls_server_name && !dst->tls_server_name) ||
	    (src->token_file && !dst->token_file) ||
	    (src->client_cert_file && !dst->client_cert_file) ||
	    (src->client_cert_data && !dst->client_cert_data) ||
	    (src->client_key_file && !dst->client_key_file) ||
	    (src->client_key_data && !dst->client_key_data) ||
	    !dst->namespace || (src->context && !dst->context))
		return BR_ENOMEM;
	return 0;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a,
		       void *ctx)
{
	struct br_kube_client *c = ctx;

	pthread_mutex_lock(&c->share_mu[data % KUBE_SHARE_LOCKS]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
	struct br_kube_client *c = ctx;

	pthread_mutex_unlock(&c->share_mu[data % KUBE_SHARE_LOCKS]);
}

static void apply_defaults(struct br_kube_options *o)
{
	if (o->qps == 0)
		o->qps = 20;
	if (o->burst == 0)
		o->burst = 30;
	if (o->timeout_ms <= 0)
		o->timeout_ms = 30000;
	if (o->max_attempts <= 0)
		o->max_attempts = 5;
	if (o->backoff_initial <= 0)
		o->backoff_initial = 0.2;
	if (o->backoff_max <= 0)
		o->backoff_max = 5;
	if (o->token_refresh <= 0)
		o->token_refresh = 60;
	if (o->max_connections <= 0)
		o->max_connections = 4;
}

/* Works out the base URL and, for tls-server-name, the CURLOPT_CONNECT_TO
 * entry that sends "name:port" to the real host: libcurl then sends SNI
 * for and verifies the certificate against the name, as client-go does. */
static int setup_url(struct br_kube_client *c, struct br_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL;
	struct br_buf b;
	int rc = 0;

	if (!u)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, c->cfg.server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		rc = br_error_set(err, BR_EINVAL, "server \"%s\" is not a URL", c->cfg.server);
		goto out;
	}
	br_buf_init(&b, 65536);
	if (c->cfg.tls_server_name) {
		br_buf_addf(&b, "%s://%s:%s", scheme, c->cfg.tls_server_name, port);
		c->base = br_buf_detach(&b);
		br_buf_addf(&b, "%s:%s:%s:%s", c->cfg.tls_server_name, port, host, port);
		c->connect_to = curl_slist_append(NULL, br_buf_str(&b));
		br_buf_release(&b);
		if (!c->connect_to)
			rc = br_error_set(err, BR_ENOMEM, "out of memory");
	} else {
		c->base = strdup(c->cfg.server);
	}
	if (!c->base)
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
out:
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

static int init_share(struct br_kube_client *c, struct br_error *err)
{
	for (int i = 0; i < KUBE_SHARE_LOCKS; i++)
		pthread_mutex_init(&c->share_mu[i], NULL);
	c->share = curl_share_init();
	if (!c->share)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	/* not CURL_LOCK_DATA_CONNECT: libcurl does not support sharing a
	 * connection cache between concurrent threads; requests share the
	 * multi handle's cache instead (multi.c) */
	return 0;
}

int br_kube_client_create(const struct br_kube_config *cfg,
			  const struct br_kube_options *opts,
			  struct br_kube_client **out, struct br_error *err)
{
	struct br_kube_client *c;
	int rc;

	*out = NULL;
	if (!cfg->server || !cfg->server[0])
		return br_error_set(err, BR_EINVAL, "the configuration has no server");
	pthread_once(&global_once, global_init);
	c = calloc(1, sizeof(*c));
	if (!c)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	pthread_mutex_init(&c->token_mu, NULL);
	pthread_mutex_init(&c->pool_mu, NULL);
	c->token_read_at = -1e300;
	if (opts)
		c->opts = *opts;
	apply_defaults(&c->opts);
	if (c->opts.clock)
		c->clock = *c->opts.clock;
	c->opts.clock = NULL;
	c->user_agent = strdup(c->opts.user_agent ? c->opts.user_agent :
			       "burnrate/" BURNRATE_VERSION);
	c->opts.user_agent = NULL;
	if (config_copy(&c->cfg, cfg) < 0 || !c->user_agent ||
	    br_ratelimit_create(c->opts.qps, c->opts.burst, &c->clock, &c->rl) < 0) {
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = init_share(c, err)) < 0 || (rc = setup_url(c, err)) < 0)
		goto fail;
	if (br__kube_multi_start(c) < 0) {
		rc = br_error_set(err, BR_ENOMEM, "cannot start the transport thread");
		goto fail;
	}
	if (c->cfg.token_file && (rc = br__kube_token_refresh(c, 1, err)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	br_kube_client_free(c);
	return rc;
}

void br_kube_client_free(struct br_kube_client *c)
{
	if (!c)
		return;
	if (c->multi || c->multi_running)
		br__kube_multi_stop(c);
	for (size_t i = 0; i < c->pool_len; i++)
		curl_easy_cleanup(c->pool[i]);
	pthread_mutex_destroy(&c->pool_mu);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < KUBE_SHARE_LOCKS; i++)
		pthread_mutex_destroy(&c->share_mu[i]);
	curl_slist_free_all(c->connect_to);
	free(c->base);
	free(c->user_agent);
	if (c->token) {
		OPENSSL_cleanse(c->token, strlen(c->token));
		free(c->token);
	}
	pthread_mutex_destroy(&c->token_mu);
	br_ratelimit_free(c->rl);
	br_kube_config_release(&c->cfg);
	free(c);
}

const char *br_kube_client_namespace(const struct br_kube_client *c)
{
	return c->cfg.namespace;
}

/* Re-reads the token file when it is due (or when force). A failed read
 * keeps the old token: a rotation in progress must not stop the client. */
int br__kube_token_refresh(struct br_kube_client *c, int force,
			   struct br_error *err)
{
	double now = br_clock_now(&c->clock);
	char *data = NULL;
	size_t len;
	int rc = 0;

	if (!c->cfg.token_file)
		return 0;
	pthread_mutex_lock(&c->token_mu);
	if (force || now - c->token_read_at >= c->opts.token_refresh) {
		rc = br__kube_read_file(c->cfg.token_file, 65536, &data, &len, err);
		if (rc == 0) {
			while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
					   data[len - 1] == ' '))
				data[--len] = '\0';
			if (c->token) {
				OPENSSL_cleanse(c->token, strlen(c->token));
				free(c->token);
			}
			c->token = data;
			c->token_read_at = now;
		} else if (c->token) {
			rc = 0;
		}
	}
	pthread_mutex_unlock(&c->token_mu);
	return rc;
}

/* The "Authorization: Bearer ..." header line, or NULL when there is no
 * token. You own it; wipe it with br__kube_wipe. */
char *br__kube_auth_header(struct br_kube_client *c)
{
	struct br_buf b;
	const char *t;

	br__kube_token_refresh(c, 0, NULL);
	br_buf_init(&b, 65536);
	pthread_mutex_lock(&c->token_mu);
	t = c->token ? c->token : c->cfg.token;
	if (t && t[0])
		br_buf_addf(&b, "Authorization: Bearer %s", t);
	pthread_mutex_unlock(&c->token_mu);
	return b.data ? br_buf_detach(&b) : NULL;
}

void br__kube_wipe(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Gives h one PEM (CA, client certificate or key) the configuration names:
 * the file, by its path, and the decoded data, which curl copies. Either
 * may be NULL. */
static void set_pem(CURL *h, CURLoption file_opt, const char *file,
		    CURLoption blob_opt, char *data, size_t len)
{
	if (file)
		curl_easy_setopt(h, file_opt, file);
	if (data) {
		struct curl_blob blob = {data, len, CURL_BLOB_COPY};
		curl_easy_setopt(h, blob_opt, &blob);
	}
}

/* Sets the options every handle of this client has: TLS, HTTP/2, sharing. */
void br__kube_setup_handle(struct br_kube_client *c, CURL *h, char *errbuf)
{
	const struct br_kube_config *cfg = &c->cfg;

	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, c->opts.http2 ? (long)CURL_HTTP_VERSION_2TLS :
			 (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	if (c->connect_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
	if (cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	set_pem(h, CURLOPT_CAINFO, cfg->ca_file,
		CURLOPT_CAINFO_BLOB, cfg->ca_data, cfg->ca_data_len);
	set_pem(h, CURLOPT_SSLCERT, cfg->client_cert_file,
		CURLOPT_SSLCERT_BLOB, cfg->client_cert_data, cfg->client_cert_data_len);
	set_pem(h, CURLOPT_SSLKEY, cfg->client_key_file,
		CURLOPT_SSLKEY_BLOB, cfg->client_key_data, cfg->client_key_data_len);
}

/* Builds base + path + "?" + query. You own the result (NULL: no memory). */
char *br__kube_url(struct br_kube_client *c, const char *path,
		   const char *query)
{
	struct br_buf b;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&b, c->base);
	br_buf_adds(&b, path);
	if (query && query[0]) {
		br_buf_addc(&b, '?');
		br_buf_adds(&b, query);
	}
	return b.data ? br_buf_detach(&b) : NULL;
}

int br__kube_curl_code(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return 0;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return BR_ETLS;
	case CURLE_OPERATION_TIMEDOUT:
		return BR_ETIMEOUT;
	case CURLE_OUT_OF_MEMORY:
		return BR_ENOMEM;
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_WRITE_ERROR:
		return BR_ECANCELED;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return BR_EINVAL;
	default:
		return BR_EIO;
	}
}

CURL *br__kube_handle_get(struct br_kube_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->pool_mu);
	if (c->pool_len > 0)
		h = c->pool[--c->pool_len];
	pthread_mutex_unlock(&c->pool_mu);
	return h ? h : curl_easy_init();
}

void br__kube_handle_put(struct br_kube_client *c, CURL *h)
{
	/* reset drops the options (and their pointers into our stack); the
	 * connections live in the multi handle's cache, not in h */
	curl_easy_reset(h);
	pthread_mutex_lock(&c->pool_mu);
	if (c->pool_len < KUBE_POOL_MAX) {
		c->pool[c->pool_len++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_mu);
	if (h)
		curl_easy_cleanup(h);
}
