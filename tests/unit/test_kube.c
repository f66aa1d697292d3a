/* test_kube: kubeconfig and in-cluster configuration, Status decoding, paths,
 * the rate limiter (fake clock) and the backoff; then the client against the
 * fake API server (tests/fakeapi/fakeapi.py), skipped when python3 or the
 * server is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf/buf.h"
#include "kube/kube.h"

static char source_dir[1024];
static char data_dir[1100];

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static const char *data_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", data_dir, name);
	return out;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc((size_t)n + 1);
	assert_non_null(d);
	assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
	d[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return d;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *name, const char *context,
		struct br_kube_config *cfg, struct br_error *err)
{
	char p[4096];

	br_error_init(err);
	return br_kube_config_load_kubeconfig(data_path(p, sizeof(p), name),
					      context, cfg, err);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* kubeconfig                                                          */

static void test_kubeconfig_files(void **state)
{
	struct br_kube_config cfg;
	struct br_error err;
	char p[4096];

	assert_int_equal(load("full.yaml", NULL, &cfg, &err), 0);
	assert_string_equal(cfg.context, "prod");
	assert_string_equal(cfg.server, "https://prod.example.com:6443");
	assert_string_equal(cfg.ca_file, data_path(p, sizeof(p), "cert.pem"));
	assert_null(cfg.ca_data);
	assert_int_equal(cfg.insecure, 0);
	assert_string_equal(cfg.tls_server_name, "api.prod.internal");
	assert_null(cfg.token);
	assert_string_equal(cfg.token_file, data_path(p, sizeof(p), "token"));
	assert_string_equal(cfg.client_cert_file, data_path(p, sizeof(p), "cert.pem"));
	assert_string_equal(cfg.client_key_file, data_path(p, sizeof(p), "key.pem"));
	assert_null(cfg.client_cert_data);
	assert_null(cfg.client_key_data);
	assert_string_equal(cfg.namespace, "monitoring");
	br_kube_config_release(&cfg);
	assert_null(cfg.server);

	/* another context of the same file: inline token, default namespace */
	assert_int_equal(load("full.yaml", "dev", &cfg, &err), 0);
	assert_string_equal(cfg.context, "dev");
	assert_string_equal(cfg.token, "dev-token-123");
	assert_null(cfg.token_file);
	assert_null(cfg.client_cert_file);
	assert_string_equal(cfg.namespace, "default");
	br_kube_config_release(&cfg);
}

static void test_kubeconfig_data(void **state)
{
	struct br_kube_config cfg;
	struct br_error err;
	char p[4096];
	size_t cert_len, key_len;
	char *cert = slurp(data_path(p, sizeof(p), "cert.pem"), &cert_len);
	char *key = slurp(data_path(p, sizeof(p), "key.pem"), &key_len);

	assert_int_equal(load("data.yaml", NULL, &cfg, &err), 0);
	assert_string_equal(cfg.server, "http://127.0.0.1:8080");
	assert_int_equal(cfg.insecure, 1);
	assert_int_equal(cfg.ca_data_len, cert_len);
	assert_memory_equal(cfg.ca_data, cert, cert_len);
	assert_int_equal(cfg.client_cert_data_len, cert_len);
	assert_memory_equal(cfg.client_cert_data, cert, cert_len);
	assert_int_equal(cfg.client_key_data_len, key_len);
	assert_memory_equal(cfg.client_key_data, key, key_len);
	assert_string_equal(cfg.token, "12345");  /* quoted: a string */
	assert_string_equal(cfg.token_file, "/run/secrets/token");
	assert_null(cfg.tls_server_name);
	assert_string_equal(cfg.namespace, "team-a");
	br_kube_config_release(&cfg);
	free(cert);
	free(key);
}

/* KUBECONFIG lists files; missing ones are skipped, the first to define a
 * name wins, and relative paths resolve against the file naming them. */
static void test_kubeconfig_env_list(void **state)
{
	struct br_kube_config cfg;
	struct br_error err;
	char list[8192], p[4096];

	snprintf(list, sizeof(list), "%s/nope.yaml:%s/multi/a.yaml:%s/multi/b.yaml",
		 data_dir, data_dir, data_dir);
	setenv("KUBECONFIG", list, 1);
	br_error_init(&err);
	assert_int_equal(br_kube_config_load_kubeconfig(NULL, NULL, &cfg, &err), 0);
	assert_string_equal(cfg.context, "from-b");
	assert_string_equal(cfg.server, "https://a.example:443");
	snprintf(p, sizeof(p), "%s/multi/../cert.pem", data_dir);
	assert_string_equal(cfg.ca_file, p);
	snprintf(p, sizeof(p), "%s/multi/../token", data_dir);
	assert_string_equal(cfg.token_file, p);
	assert_string_equal(cfg.namespace, "bns");
	br_kube_config_release(&cfg);

	snprintf(list, sizeof(list), "%s/nope.yaml:%s/nope2.yaml", data_dir, data_dir);
	setenv("KUBECONFIG", list, 1);
	br_error_init(&err);
	assert_int_equal(br_kube_config_load_kubeconfig(NULL, NULL, &cfg, &err), BR_EIO);
	br_kube_config_release(&cfg);

	/* a broken file in the list is an error, not skipped */
	snprintf(list, sizeof(list), "%s/broken.yaml:%s/full.yaml", data_dir, data_dir);
	setenv("KUBECONFIG", list, 1);
	br_error_init(&err);
	assert_int_equal(br_kube_config_load_kubeconfig(NULL, NULL, &cfg, &err), BR_EPARSE);
	br_kube_config_release(&cfg);
	unsetenv("KUBECONFIG");
}

/* Without a path or KUBECONFIG: ~/.kube/config. */
static void test_kubeconfig_home(void **state)
{
	char home[] = "/tmp/br-kube-home-XXXXXX";
	char p[4200], kube[4096], *text;
	const char *old = getenv("HOME");
	char *saved = old ? strdup(old) : NULL;
	struct br_kube_config cfg;
	struct br_error err;

	assert_non_null(mkdtemp(home));
	snprintf(kube, sizeof(kube), "%s/.kube", home);
	assert_int_equal(mkdir(kube, 0700), 0);
	snprintf(p, sizeof(p), "%s/config", kube);
	text = slurp(data_path(kube, sizeof(kube), "data.yaml"), NULL);
	write_file(p, text);
	free(text);
	setenv("HOME", home, 1);
	unsetenv("KUBECONFIG");
	br_error_init(&err);
	assert_int_equal(br_kube_config_load_kubeconfig(NULL, "inline", &cfg, &err), 0);
	assert_string_equal(cfg.namespace, "team-a");
	br_kube_config_release(&cfg);
	unlink(p);
	/* and a clear error when it is not there */
	br_error_init(&err);
	assert_int_equal(br_kube_config_load_kubeconfig(NULL, NULL, &cfg, &err), BR_EIO);
	assert_non_null(strstr(err.text, ".kube/config"));
	br_kube_config_release(&cfg);
	snprintf(kube, sizeof(kube), "%s/.kube", home);
	rmdir(kube);
	rmdir(home);
	if (saved)
		setenv("HOME", saved, 1);
	free(saved);
}

struct bad_case {
	const char *file;
	const char *context;
	int code;
	const char *needle;  /* must appear in the error text */
};

static void test_kubeconfig_errors(void **state)
{
	static const struct bad_case cases[] = {
		{"does-not-exist.yaml", NULL, BR_EIO, "does-not-exist.yaml"},
		{"broken.yaml", NULL, BR_EPARSE, ""},
		{"full.yaml", "nope", BR_ENOTFOUND, "context \"nope\" not found"},
		{"missing-cluster.yaml", NULL, BR_ENOTFOUND, "cluster \"c\" not found"},
		{"missing-user.yaml", NULL, BR_ENOTFOUND, "user \"nobody\" not found"},
		{"bad-base64.yaml", NULL, BR_EPARSE, "not valid base64"},
		{"bad-cert.yaml", NULL, BR_EINVAL, "not a PEM certificate"},
		{"bad-cert-file.yaml", NULL, BR_EINVAL, "holds no PEM certificate"},
		{"no-server.yaml", NULL, BR_EINVAL, "has no server"},
		{"wrong-type.yaml", NULL, BR_EINVAL, "must be a boolean"},
		{"no-current.yaml", NULL, BR_ENOTFOUND, "no current-context"},
		{"cert-without-key.yaml", NULL, BR_EINVAL, "needs a client key"},
	};
	struct br_kube_config cfg;
	struct br_error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load(cases[i].file, cases[i].context, &cfg, &err);

		if (rc != cases[i].code || !strstr(err.text, cases[i].needle))
			fail_msg("%s: got %s \"%s\", want %s \"%s\"", cases[i].file,
				 br_code_name(rc), err.text, br_code_name(cases[i].code),
				 cases[i].needle);
		assert_int_equal(err.code, cases[i].code);
		br_kube_config_release(&cfg);
	}
	/* the parse error points into the file */
	assert_int_equal(load("broken.yaml", NULL, &cfg, &err), BR_EPARSE);
	assert_true(err.line > 0);
	assert_non_null(strstr(err.file, "broken.yaml"));
	br_kube_config_release(&cfg);
}

static void test_kubeconfig_memory(void **state)
{
	static const char *bad[] = {
		"", "[]", "- a\n- b\n", "clusters: 3\ncurrent-context: x\n",
		"contexts: [{name: x, context: 7}]\ncurrent-context: x\n",
		("contexts: [{name: x, context: {cluster: c}}]\n"
		 "clusters: [{name: c, cluster: {server: [1]}}]\ncurrent-context: x\n"),
	};
	const char *good = "contexts: [{name: x, context: {cluster: c}}]\n"
			   "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
			   "current-context: x\n";
	struct br_kube_config cfg;
	struct br_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		br_error_init(&err);
		assert_true(br_kube_config_load_kubeconfig_data(bad[i], strlen(bad[i]), NULL,
								NULL, &cfg, &err) < 0);
		assert_true(err.text[0] != '\0');
		br_kube_config_release(&cfg);
	}
	br_error_init(&err);
	assert_int_equal(br_kube_config_load_kubeconfig_data(good, strlen(good), NULL,
							     NULL, &cfg, &err), 0);
	assert_string_equal(cfg.server, "https://h");
	assert_string_equal(cfg.namespace, "default");
	br_kube_config_release(&cfg);
}

static void test_in_cluster(void **state)
{
	char dir[] = "/tmp/br-kube-sa-XXXXXX";
	char p[4096], cert[4096];
	struct br_kube_config cfg;
	struct br_error err;
	char *pem = slurp(data_path(cert, sizeof(cert), "cert.pem"), NULL);

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/token", dir);
	write_file(p, "sa-token\n");
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	write_file(p, pem);
	snprintf(p, sizeof(p), "%s/namespace", dir);
	write_file(p, "  ops\n");
	setenv("BR_KUBE_SA_DIR", dir, 1);
	unsetenv("POD_NAMESPACE");

	unsetenv("KUBERNETES_SERVICE_HOST");
	br_error_init(&err);
	assert_int_equal(br_kube_config_in_cluster(&cfg, &err), BR_ENOTFOUND);
	br_kube_config_release(&cfg);

	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(br_kube_config_in_cluster(&cfg, &err), 0);
	assert_string_equal(cfg.server, "https://10.0.0.1:443");
	snprintf(p, sizeof(p), "%s/token", dir);
	assert_string_equal(cfg.token_file, p);
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	assert_string_equal(cfg.ca_file, p);
	assert_string_equal(cfg.namespace, "ops");
	br_kube_config_release(&cfg);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("POD_NAMESPACE", "from-env", 1);
	assert_int_equal(br_kube_config_in_cluster(&cfg, &err), 0);
	assert_string_equal(cfg.server, "https://[fd00::1]:443");
	assert_string_equal(cfg.namespace, "from-env");
	br_kube_config_release(&cfg);

	/* no token: a clear error */
	snprintf(p, sizeof(p), "%s/token", dir);
	unlink(p);
	br_error_init(&err);
	assert_int_equal(br_kube_config_in_cluster(&cfg, &err), BR_EIO);
	assert_non_null(strstr(err.text, "token"));
	br_kube_config_release(&cfg);

	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/namespace", dir);
	unlink(p);
	rmdir(dir);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("POD_NAMESPACE");
	unsetenv("BR_KUBE_SA_DIR");
	free(pem);
}

/* ------------------------------------------------------------------ */
/* Status, paths                                                       */

static void test_status_decode(void **state)
{
	struct br_kube_status st;
	const char *nf = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
			 "\"message\":\"configmaps \\\"x\\\" not found\",\"reason\":\"NotFound\","
			 "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":404}";
	const char *expired = "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410,"
			      "\"message\":\"too old resource version: 1 (5)\"}";

	assert_int_equal(br_kube_status_decode(404, nf, strlen(nf), &st), BR_ENOTFOUND);
	assert_int_equal(st.code, 404);
	assert_string_equal(st.reason, "NotFound");
	assert_string_equal(st.message, "configmaps \"x\" not found");

	/* Status.code wins over the HTTP status (an ERROR event in a 200 watch) */
	assert_int_equal(br_kube_status_decode(200, expired, strlen(expired), &st), BR_EGONE);
	assert_int_equal(st.code, 410);
	assert_string_equal(st.reason, "Expired");

	/* not a Status: reason from the code, message from the text */
	assert_int_equal(br_kube_status_decode(502, "Bad Gateway\nmore", 16, &st), BR_EHTTP);
	assert_string_equal(st.message, "Bad Gateway");
	assert_string_equal(st.reason, "");
	assert_int_equal(br_kube_status_decode(429, NULL, 0, &st), BR_ETHROTTLED);
	assert_string_equal(st.reason, "TooManyRequests");
	assert_string_equal(st.message, "");
	assert_int_equal(br_kube_status_decode(409, "{\"reason\":7}", 12, &st), BR_ECONFLICT);
	assert_string_equal(st.reason, "Conflict");

	assert_int_equal(br_kube_code_for_http(200), 0);
	assert_int_equal(br_kube_code_for_http(201), 0);
	assert_int_equal(br_kube_code_for_http(401), BR_EAUTH);
	assert_int_equal(br_kube_code_for_http(403), BR_EAUTH);
	assert_int_equal(br_kube_code_for_http(404), BR_ENOTFOUND);
	assert_int_equal(br_kube_code_for_http(409), BR_ECONFLICT);
	assert_int_equal(br_kube_code_for_http(410), BR_EGONE);
	assert_int_equal(br_kube_code_for_http(429), BR_ETHROTTLED);
	assert_int_equal(br_kube_code_for_http(400), BR_EHTTP);
	assert_int_equal(br_kube_code_for_http(500), BR_EHTTP);
	assert_int_equal(br_kube_code_for_http(503), BR_EHTTP);
}

static void expect_path(const char *g, const char *v, const char *ns,
			const char *pl, const char *name, const char *sub,
			const char *want)
{
	struct br_buf b;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	assert_int_equal(br_kube_path(g, v, ns, pl, name, sub, &b), 0);
	assert_string_equal(br_buf_str(&b), want);
	br_buf_release(&b);
}

static void test_paths(void **state)
{
	struct br_buf b;

	expect_path(NULL, "v1", "default", "configmaps", NULL, NULL,
		    "/api/v1/namespaces/default/configmaps");
	expect_path("", "v1", "ns", "configmaps", "x", NULL,
		    "/api/v1/namespaces/ns/configmaps/x");
	expect_path("burnrate.dev", "v1alpha1", "team", "servicelevelobjectives",
		    "api", "status",
		    "/apis/burnrate.dev/v1alpha1/namespaces/team/servicelevelobjectives/api/status");
	expect_path("apiextensions.k8s.io", "v1", NULL, "customresourcedefinitions",
		    "a.b", NULL, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b");
	expect_path(NULL, "v1", "", "namespaces", "x y/z", NULL,
		    "/api/v1/namespaces/x%20y%2Fz");
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	assert_int_equal(br_kube_path(NULL, NULL, "x", "pods", NULL, NULL, &b), BR_EINVAL);
	assert_int_equal(br_kube_path(NULL, "v1", "x", NULL, NULL, NULL, &b), BR_EINVAL);
	assert_int_equal(br_kube_path(NULL, "v1", "x", "pods", NULL, "status", &b), BR_EINVAL);
	br_buf_release(&b);
}

/* br_kube_strip_managed_fields on text t: the text it leaves. */
static char *strip(const char *t)
{
	char *s = strdup(t);
	size_t n = br_kube_strip_managed_fields(s, strlen(s));
	s[n] = '\0';
	return s;
}

static void assert_strips(const char *in, const char *want)
{
	char *got = strip(in);
	assert_string_equal(got, want);
	free(got);
}

static void test_strip_managed_fields(void **state)
{
	(void)state;
	/* first, middle, last and only member; white space around it */
	assert_strips("{\"metadata\":{\"managedFields\":[{\"a\":1}],\"name\":\"x\"}}",
		      "{\"metadata\":{\"name\":\"x\"}}");
	assert_strips("{\"metadata\":{\"name\":\"x\", \"managedFields\" : [ {} ] ,\"uid\":\"u\"}}",
		      "{\"metadata\":{\"name\":\"x\", \"uid\":\"u\"}}");
	assert_strips("{\"metadata\":{\"name\":\"x\",\"managedFields\":[{\"f:a\":{}}]}}",
		      "{\"metadata\":{\"name\":\"x\"}}");
	assert_strips("{\"metadata\":{\"managedFields\":[]}}", "{\"metadata\":{}}");
	/* a list's items, a watch event's object */
	assert_strips("{\"items\":[{\"metadata\":{\"name\":\"a\",\"managedFields\":[1]}},"
		      "{\"metadata\":{\"managedFields\":[2],\"name\":\"b\"}}]}",
		      "{\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}");
	assert_strips("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"managedFields\":"
		      "[{\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\"}\":{}}}}}],\"name\":\"a\"}}}",
		      "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}");
	/* left alone: outside metadata, a value, a string that looks like one */
	const char *keep[] = {
		"{\"spec\":{\"managedFields\":[1]}}",
		"{\"metadata\":{\"labels\":{\"managedFields\":\"x\"}}}",
		"{\"metadata\":{\"name\":\"managedFields\"}}",
		"{\"metadata\":{\"a\":\"\\\"managedFields\\\":[1]\"}}",
		"[\"metadata\",{\"managedFields\":1}]",
		"{\"metadata\":[{\"managedFields\":1}]}",
		"{\"metadata\":{\"managedFields\":", /* cut off: the decoder says */
		"", "x", "{", "\"", "{\"metadata\":{\"managedFields\":1 2}}",
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_strips(keep[i], keep[i]);
	/* an answer decodes without them and with everything else */
	char *t = strip("{\"metadata\":{\"name\":\"n\",\"managedFields\":[{\"manager\":\"m\","
			"\"fieldsV1\":{\"f:spec\":{\".\":{}}}}],\"labels\":{\"a\":\"b\"}},"
			"\"spec\":{\"x\":[1,2,{\"y\":null}]}}");
	json_t *o = json_loads(t, 0, NULL);
	json_t *want = json_loads("{\"metadata\":{\"name\":\"n\",\"labels\":{\"a\":\"b\"}},"
				  "\"spec\":{\"x\":[1,2,{\"y\":null}]}}", 0, NULL);
	assert_non_null(o);
	assert_true(json_equal(o, want));
	json_decref(o);
	json_decref(want);
	free(t);
}

/* ------------------------------------------------------------------ */
/* lists read item by item                                             */

/* Records what br_kube_list_scan hands on: each item's text, and that its
 * tree is the text decoded. */
struct items_seen {
	struct br_buf texts;  /* "<text>\n" per item */
	int count;
	int stop_at;          /* return 7 at this item (1-based); 0: never */
};

static int see_item(void *ctx, json_t *item, const char *text, size_t len)
{
	struct items_seen *s = ctx;
	json_t *again = json_loadb(text, len, JSON_DECODE_ANY, NULL);

	assert_non_null(again);
	assert_true(json_equal(item, again));
	json_decref(again);
	br_buf_add(&s->texts, text, len);
	br_buf_addc(&s->texts, '\n');
	return ++s->count == s->stop_at ? 7 : 0;
}

/* Reads text whole (chunk 0: br_kube_list_scan) or with the list reader
 * in slices of chunk bytes; returns the code, with the items' texts in
 * *texts (you own it) and the metadata's compact text in *meta (NULL when
 * none). */
static int read_list(const char *text, size_t chunk, int stop_at, char **texts, char **meta,
		     struct br_error *err)
{
	struct items_seen s = {.stop_at = stop_at};
	struct br_kube_list_reader r;
	size_t len = strlen(text);
	json_t *md = (json_t *)1;
	int rc = 0;

	br_buf_init(&s.texts, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&s.texts, "");
	br_error_init(err);
	if (chunk == 0) {
		rc = br_kube_list_scan(text, len, NULL, see_item, &s, &md, err);
	} else {
		br_kube_list_reader_init(&r, NULL, see_item, &s);
		for (size_t at = 0; rc == 0 && at < len; at += chunk)
			rc = br_kube_list_reader_feed(&r, text + at,
						      len - at < chunk ? len - at : chunk, err);
		md = NULL;
		if (rc == 0)
			rc = br_kube_list_reader_finish(&r, &md, err);
		br_kube_list_reader_release(&r);
	}
	*texts = br_buf_detach(&s.texts);
	*meta = md ? json_dumps(md, JSON_COMPACT) : NULL;
	json_decref(md);
	return rc;
}

static int scan_list(const char *text, int stop_at, char **texts, char **meta,
		     struct br_error *err)
{
	return read_list(text, 0, stop_at, texts, meta, err);
}

static void test_list_scan(void **state)
{
	struct br_error err;
	char *texts, *meta;

	(void)state;
	/* items before and after metadata; strings with brackets, escapes
	   and white space everywhere; the items' own text comes through */
	assert_int_equal(scan_list(
		" { \"apiVersion\" : \"v1\", \"items\" : [ {\"metadata\":{\"name\":\"a]}\"},"
		"\"x\":[1,{\"y\":\"\\\"}\"}]} ,\n{\"metadata\":{\"name\":\"b\"}}, 3 ] ,"
		"\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"42\","
		"\"continue\":\"c\"}}\n", 0, &texts, &meta, &err), 0);
	assert_string_equal(texts, "{\"metadata\":{\"name\":\"a]}\"},\"x\":[1,{\"y\":\"\\\"}\"}]}\n"
			    "{\"metadata\":{\"name\":\"b\"}}\n3\n");
	assert_string_equal(meta, "{\"resourceVersion\":\"42\",\"continue\":\"c\"}");
	free(texts);
	free(meta);
	/* no items, null items, no metadata */
	const char *empty[] = {"{\"items\":[],\"metadata\":{}}", "{\"items\":null}", "{}",
			       "{\"kind\":\"List\"}"};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		assert_int_equal(scan_list(empty[i], 0, &texts, &meta, &err), 0);
		assert_string_equal(texts, "");
		free(texts);
		free(meta);
	}
	/* the item function stops the page */
	assert_int_equal(scan_list("{\"items\":[1,2,3]}", 2, &texts, &meta, &err), 7);
	assert_string_equal(texts, "1\n2\n");
	assert_null(meta);
	free(texts);
	/* not a list: a clear error, the items before it handed on */
	const char *bad[] = {"", "[]", "{", "{\"items\":{}}", "{\"items\":[1,]}",
			     "{\"items\":[1 2]}", "{\"items\":[1,{\"a\":}]}", "{\"items\":[1",
			     "{\"items\":[\"x]}", "{\"metadata\":{\"a\"}}", "{\"a\" 1}",
			     "{\"a\":1,}", "{\"a\":1", "{a:1}", "{\"items\":[1],\"metadata\":[}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(scan_list(bad[i], 0, &texts, &meta, &err), BR_EPARSE);
		assert_null(meta);
		assert_true(strlen(err.text) > 0);
		free(texts);
	}
	assert_int_equal(scan_list("{\"items\":[{\"ok\":1},{\"bad\":tru}]}", 0, &texts, &meta,
				   &err), BR_EPARSE);
	assert_non_null(strstr(err.text, "item 1"));
	assert_string_equal(texts, "{\"ok\":1}\n");
	free(texts);
}

/* The list reader, fed in slices of any size, hands on what the scan of
 * the whole does: the same items, metadata and code. */
static void same_as_scan(const char *text, int stop_at)
{
	static const size_t chunks[] = {1, 2, 3, 5, 8, 13, 64, 4096};
	struct br_error err;
	char *want, *want_meta, *got, *got_meta;
	int want_rc = scan_list(text, stop_at, &want, &want_meta, &err);

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		int rc = read_list(text, chunks[i], stop_at, &got, &got_meta, &err);
		if (rc != want_rc || strcmp(got, want) != 0 ||
		    (want_meta == NULL) != (got_meta == NULL) ||
		    (want_meta && strcmp(want_meta, got_meta) != 0))
			fail_msg("%s in slices of %zu: %d \"%s\" %s, the scan: %d \"%s\" %s", text,
				 chunks[i], rc, got, got_meta ? got_meta : "-", want_rc, want,
				 want_meta ? want_meta : "-");
		if (rc != 0 && rc != 7)
			assert_true(strlen(err.text) > 0);
		free(got);
		free(got_meta);
	}
	free(want);
	free(want_meta);
}

static void test_list_reader(void **state)
{
	static const char *const lists[] = {
		" { \"apiVersion\" : \"v1\", \"items\" : [ {\"metadata\":{\"name\":\"a]}\"},"
		"\"x\":[1,{\"y\":\"\\\"}\"}]} ,\n{\"metadata\":{\"name\":\"b\"}}, 3 ] ,"
		"\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"42\","
		"\"continue\":\"c\"}}\n",
		"{\"items\":[],\"metadata\":{}}", "{\"items\":null}", "{}", "{\"kind\":\"List\"}",
		"{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[\"a\",true,null,-1.5e3]}",
		"{\"metadata\":{\"a\":1},\"metadata\":{\"b\":2}}", "{\"items\":[1]} trailing [",
		"{\"it\\u0065ms\":[1],\"items\":[2]}", "{\"items\":[1],\"items\":[2]}",
		/* not lists */
		"", "[]", "{", "{\"items\":{}}", "{\"items\":[1,]}", "{\"items\":[1 2]}",
		"{\"items\":[1,{\"a\":}]}", "{\"items\":[1", "{\"items\":[\"x]}",
		"{\"metadata\":{\"a\"}}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1", "{a:1}",
		"{\"items\":[1],\"metadata\":[}", "{\"items\":[{\"ok\":1},{\"bad\":tru}]}",
		"{\"items\":[1}", "{\"items\":[{]]}", "{\"items\":[1,2", "{\"items\":[\"a\\",
		"{\"items\":}", "{\"items\" : ", "{\"", "{\"items\":[1]", "{\"items\":[1],",
		"{\"items\":[1] x}", "{\"items\":[1,2]\"a\":1}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		same_as_scan(lists[i], 0);
	same_as_scan("{\"items\":[1,2,3]}", 2);  /* the item function stops it */
}

/* The reader cuts managedFields out of each item, never holds more than
 * the item it reads, and refuses one too large; a failed reader stays
 * failed. */
static void test_list_reader_items(void **state)
{
	struct br_kube_list_reader r;
	struct items_seen s = {0};
	struct br_error err;
	json_t *md = NULL;
	const char *text = "{\"items\":[{\"metadata\":{\"name\":\"a\",\"managedFields\":"
			   "[{\"manager\":\"m\"}]},\"spec\":1}]}";

	(void)state;
	br_error_init(&err);
	br_buf_init(&s.texts, BR_BUF_MAX_DEFAULT);
	br_kube_list_reader_init(&r, NULL, see_item, &s);
	for (const char *p = text; *p; p++)
		assert_int_equal(br_kube_list_reader_feed(&r, p, 1, &err), 0);
	assert_int_equal(br_kube_list_reader_finish(&r, &md, &err), 0);
	assert_null(md);
	assert_string_equal(br_buf_str(&s.texts), "{\"metadata\":{\"name\":\"a\"},\"spec\":1}\n");
	assert_int_equal(br_kube_list_reader_items(&r), 1);
	br_kube_list_reader_release(&r);

	/* 20,000 items of 1 kB: the reader's buffer holds one of them */
	char item[1100];
	snprintf(item, sizeof(item), "{\"metadata\":{\"name\":\"%01000d\"}},", 7);
	br_kube_list_reader_init(&r, NULL, see_item, &s);
	assert_int_equal(br_kube_list_reader_feed(&r, "{\"items\":[", 10, &err), 0);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(br_kube_list_reader_feed(&r, item, strlen(item), &err), 0);
	assert_true(r.buf.cap < 8 * sizeof(item));  /* not the 22 MB fed */
	assert_int_equal(br_kube_list_reader_feed(&r, "1]}", 3, &err), 0);
	assert_int_equal(br_kube_list_reader_finish(&r, &md, &err), 0);
	assert_int_equal(br_kube_list_reader_items(&r), 20001);
	br_kube_list_reader_release(&r);

	/* an item over the cap, fed 1 MB at a time, is refused before it is
	   held whole; every later feed fails the same way */
	size_t mb = (size_t)1 << 20;
	char *big = malloc(mb);
	assert_non_null(big);
	memset(big, 'a', mb);
	br_kube_list_reader_init(&r, NULL, see_item, &s);
	assert_int_equal(br_kube_list_reader_feed(&r, "{\"items\":[\"", 11, &err), 0);
	int rc = 0;
	for (size_t fed = 0; rc == 0 && fed <= BR_KUBE_LIST_ITEM_MAX; fed += mb)
		rc = br_kube_list_reader_feed(&r, big, mb, &err);
	assert_int_equal(rc, BR_ELIMIT);
	assert_non_null(strstr(err.text, "larger than"));
	assert_int_equal(br_kube_list_reader_feed(&r, "\"]}", 3, &err), BR_ELIMIT);
	assert_int_equal(br_kube_list_reader_finish(&r, &md, &err), BR_ELIMIT);
	assert_null(md);
	br_kube_list_reader_release(&r);
	free(big);
	br_buf_release(&s.texts);
}

static void test_member(void **state)
{
	const char *ev = "{\"type\":\"ADDED\", \"object\" : {\"a\":\"}\\\"\"} }";
	size_t off = 0, n = 0;

	(void)state;
	assert_int_equal(br_kube_member(ev, strlen(ev), "object", &off, &n, NULL), 0);
	assert_int_equal(n, strlen("{\"a\":\"}\\\"\"}"));
	assert_memory_equal(ev + off, "{\"a\":\"}\\\"\"}", n);
	assert_int_equal(br_kube_member(ev, strlen(ev), "type", &off, &n, NULL), 0);
	assert_memory_equal(ev + off, "\"ADDED\"", n);
	assert_int_equal(br_kube_member(ev, strlen(ev), "obj", &off, &n, NULL), BR_ENOTFOUND);
	assert_int_equal(br_kube_member("{\"x\":1", 6, "object", &off, &n, NULL), BR_EPARSE);
	assert_int_equal(br_kube_member("[1]", 3, "object", &off, &n, NULL), BR_EPARSE);
	assert_int_equal(br_kube_member("", 0, "object", &off, &n, NULL), BR_EPARSE);
	/* the last of duplicates, as a decoder keeps; every member counted,
	   one written with escapes among them */
	const char *dup = "{\"object\":{\"a\":1},\"type\":\"X\",\"object\":{\"b\":2}}";
	size_t members = 0;
	assert_int_equal(br_kube_member(dup, strlen(dup), "object", &off, &n, &members), 0);
	assert_memory_equal(dup + off, "{\"b\":2}", n);
	assert_int_equal(members, 3);
	const char *esc = "{\"obj\\u0065ct\":2,\"object\":1}";
	assert_int_equal(br_kube_member(esc, strlen(esc), "object", &off, &n, &members), 0);
	assert_memory_equal(esc + off, "1", n);
	assert_int_equal(members, 2);
}

/* A view of text (view NULL-terminated), printed compact with sorted keys,
 * into out; "" when it fails. Returns br_kube_view's code. */
static int view_text(const char *text, const char *const *view, char *out, size_t size)
{
	json_t *v = NULL;
	json_error_t jerr;
	int rc = br_kube_view(text, strlen(text), view, &v, NULL, &jerr);
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;

	snprintf(out, size, "%s", s ? s : "");
	free(s);
	json_decref(v);
	return rc;
}

static void test_view(void **state)
{
	static const char *const view[] = {"metadata", "status.rule", NULL};
	char got[512];

	(void)state;
	/* only the paths, each as a decoder has it; brackets in strings */
	assert_int_equal(view_text("{\"spec\":{\"a\":\"}{\"},\"metadata\":{\"name\":\"x\"},"
				   "\"status\":{\"big\":[1,2],\"rule\":{\"generation\":3}}}",
				   view, got, sizeof(got)), 0);
	assert_string_equal(got, "{\"metadata\":{\"name\":\"x\"},"
				 "\"status\":{\"rule\":{\"generation\":3}}}");
	/* absent members are absent; the last of duplicates wins */
	assert_int_equal(view_text("{\"metadata\":1,\"status\":{},\"metadata\":{\"n\":2}}",
				   view, got, sizeof(got)), 0);
	assert_string_equal(got, "{\"metadata\":{\"n\":2},\"status\":{}}");
	assert_int_equal(view_text(" { } ", view, got, sizeof(got)), 0);
	assert_string_equal(got, "{}");
	/* a value with no members on the way is kept as it is */
	assert_int_equal(view_text("{\"status\":null}", view, got, sizeof(got)), 0);
	assert_string_equal(got, "{\"status\":null}");
	/* a key written with escapes, or no object: the whole, decoded */
	assert_int_equal(view_text("{\"met\\u0061data\":1,\"spec\":2}", view, got, sizeof(got)), 0);
	assert_string_equal(got, "{\"metadata\":1,\"spec\":2}");
	assert_int_equal(view_text("[1]", view, got, sizeof(got)), 0);
	assert_string_equal(got, "[1]");
	/* bad JSON inside the view, or a structure the scan can't follow */
	assert_int_equal(view_text("{\"metadata\":{\"a\":tru}}", view, got, sizeof(got)),
			 BR_EPARSE);
	assert_int_equal(view_text("{\"metadata\":{}", view, got, sizeof(got)), BR_EPARSE);
	assert_int_equal(view_text("", view, got, sizeof(got)), BR_EPARSE);
	/* outside the view the text is scanned, not decoded */
	assert_int_equal(view_text("{\"metadata\":{},\"spec\":[tru]}", view, got, sizeof(got)), 0);
	assert_string_equal(got, "{\"metadata\":{}}");
}

/* Records each item as "<view>|<text>\n". */
static int see_view(void *ctx, json_t *item, const char *text, size_t len)
{
	char *v = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);

	assert_non_null(v);
	br_buf_addf(ctx, "%s|%.*s\n", v, (int)len, text);
	free(v);
	return 0;
}

/* A page read with a view hands on views, each with the item's whole text. */
static void test_list_scan_view(void **state)
{
	static const char *const view[] = {"metadata", NULL};
	const char *page = "{\"items\":[{\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":1}},"
			   "{\"spec\":2},{\"metadata\":[}],\"metadata\":{\"resourceVersion\":\"7\"}}";
	struct br_buf seen;
	struct br_error err;
	json_t *md = NULL;

	(void)state;
	br_buf_init(&seen, BR_BUF_MAX_DEFAULT);
	br_error_init(&err);
	/* the third item's view is no JSON: named, and the two before kept */
	assert_int_equal(br_kube_list_scan(page, strlen(page), view, see_view, &seen, &md, &err),
			 BR_EPARSE);
	assert_non_null(strstr(err.text, "list item 2: "));
	assert_null(md);
	assert_string_equal(br_buf_str(&seen),
			    "{\"metadata\":{\"name\":\"a\"}}|"
			    "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":1}}\n"
			    "{}|{\"spec\":2}\n");
	br_buf_release(&seen);
}

/* ------------------------------------------------------------------ */
/* client without a server                                             */

static void test_client_offline(void **state)
{
	struct br_kube_config cfg;
	struct br_kube_options o = {.max_attempts = 2, .backoff_initial = 0.01,
				    .backoff_max = 0.02};
	struct br_kube_client *c;
	struct br_error err;
	char p[4096];
	int port;

	br_kube_config_init(&cfg);
	br_error_init(&err);
	assert_int_equal(br_kube_client_create(&cfg, NULL, &c, &err), BR_EINVAL);
	assert_null(c);

	/* a closed port on 127.0.0.1: pick one by binding and closing */
	port = 1;
	cfg.server = strdup("https://127.0.0.1:1");
	cfg.token = strdup("SECRET-TOKEN-never-printed");
	cfg.token_file = strdup(data_path(p, sizeof(p), "no-such-token"));
	br_error_init(&err);
	assert_int_equal(br_kube_client_create(&cfg, &o, &c, &err), BR_EIO);
	free(cfg.token_file);
	cfg.token_file = NULL;
	br_error_init(&err);
	assert_int_equal(br_kube_client_create(&cfg, &o, &c, &err), 0);
	assert_string_equal(br_kube_client_namespace(c), "default");
	br_error_init(&err);
	assert_int_equal(br_kube_get(c, "/api/v1/namespaces", NULL, &err), BR_EIO);
	assert_non_null(strstr(err.text, "GET /api/v1/namespaces"));
	assert_null(strstr(err.text, "SECRET"));
	(void)port;
	br_kube_client_free(c);
	br_kube_config_release(&cfg);
}

/* One HTTP exchange on 127.0.0.1: keeps the request's head, answers 201. */
struct one_shot {
	int fd;
	char head[8192];
};

static void *one_shot_serve(void *arg)
{
	struct one_shot *s = arg;
	static const char answer[] = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
				     "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
	size_t n = 0;
	int conn = accept(s->fd, NULL, NULL);

	while (conn >= 0 && n < sizeof(s->head) - 1 && !strstr(s->head, "\r\n\r\n")) {
		ssize_t r = recv(conn, s->head + n, sizeof(s->head) - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		s->head[n] = '\0';
	}
	if (conn >= 0) {
		(void)!write(conn, answer, sizeof(answer) - 1);
		close(conn);
	}
	return NULL;
}

/* A write whose answer nobody reads asks for metadata alone: the server
 * prints and sends ~0.5 kB instead of the whole object. */
static void test_write_asks_for_metadata(void **state)
{
	struct one_shot s = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct br_kube_config cfg;
	struct br_kube_client *c;
	struct br_error err;
	char url[64];
	pthread_t t;

	(void)state;
	assert_true(s.fd >= 0);
	assert_int_equal(bind(s.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s.fd, 1), 0);
	assert_int_equal(getsockname(s.fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	br_kube_config_init(&cfg);
	cfg.server = strdup(url);
	br_error_init(&err);
	assert_int_equal(br_kube_client_create(&cfg, NULL, &c, &err), 0);
	assert_int_equal(pthread_create(&t, NULL, one_shot_serve, &s), 0);
	assert_int_equal(br_kube_write(c, "PUT", "/api/v1/namespaces/a/configmaps/b", NULL,
				       NULL, "{}", NULL, &err), 0);
	pthread_join(t, NULL);
	close(s.fd);
	assert_non_null(strstr(s.head, "PUT /api/v1/namespaces/a/configmaps/b HTTP/1.1\r\n"));
	assert_non_null(strstr(s.head, "\r\nAccept: " BR_KUBE_ACCEPT_METADATA "\r\n"));
	br_kube_client_free(c);
	br_kube_config_release(&cfg);
}

/* ------------------------------------------------------------------ */
/* against the fake API server                                         */

static pid_t fake_pid;
static int fake_broken;  /* present but did not start: fail, not skip */
static char fake_dir[] = "/tmp/br-kube-fake-XXXXXX";
static char fake_kubeconfig[4200];

static int start_fake(void **state)
{
	char script[4200], probe[4200], crd[4200];
	pid_t parent;
	double t0;

	snprintf(script, sizeof(script), "%s/tests/fakeapi/fakeapi.py", source_dir);
	if (access(script, R_OK) != 0 || system("python3 -c pass >/dev/null 2>&1") != 0)
		return 0;  /* the integration tests skip */
	snprintf(crd, sizeof(crd), "%s/fakeapi-crd.json", data_dir);
	fake_broken = 1;  /* until it has started */
	if (!mkdtemp(fake_dir))
		return -1;
	parent = getpid();
	fake_pid = fork();
	if (fake_pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		/* die with the test, even when it crashes before its teardown */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(fd, 1);
		dup2(fd, 2);
		/* --bare with our own CRD: independent of the project's CRDs */
		execlp("python3", "python3", script, "--dir", fake_dir, "--port", "0",
		       "--bare", "--crd", crd, (char *)NULL);
		_exit(127);
	}
	snprintf(fake_kubeconfig, sizeof(fake_kubeconfig), "%s/kubeconfig", fake_dir);
	snprintf(probe, sizeof(probe), "%s/port", fake_dir);
	t0 = mono();
	while (access(probe, R_OK) != 0) {
		if (waitpid(fake_pid, NULL, WNOHANG) != 0) {
			fake_pid = 0;  /* it exited: reaped */
			return 0;
		}
		if (mono() - t0 > 30) {
			kill(fake_pid, SIGTERM);
			waitpid(fake_pid, NULL, 0);
			fake_pid = 0;
			return 0;
		}
		sleep_ms(50);
	}
	fake_broken = 0;
	return 0;
}

static int stop_fake(void **state)
{
	char cmd[4300];

	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
		fake_pid = 0;
	}
	if (strstr(fake_dir, "XXXXXX") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

struct observed {
	pthread_mutex_t mu;
	int calls;
	int by_status[600];
};

static void observe(void *ctx, const char *method, long status, double seconds)
{
	struct observed *o = ctx;

	pthread_mutex_lock(&o->mu);
	o->calls++;
	if (status >= 0 && status < 600)
		o->by_status[status]++;
	pthread_mutex_unlock(&o->mu);
}

static struct br_kube_client *fake_client(struct br_kube_options *o)
{
	struct br_kube_config cfg;
	struct br_kube_client *c;
	struct br_error err;

	if (fake_broken)
		fail_msg("tests/fakeapi/fakeapi.py is present but did not start");
	if (fake_pid <= 0)
		skip();
	br_error_init(&err);
	if (br_kube_config_load_kubeconfig(fake_kubeconfig, NULL, &cfg, &err) != 0)
		fail_msg("kubeconfig: %s", err.text);
	if (br_kube_client_create(&cfg, o, &c, &err) != 0)
		fail_msg("client: %s", err.text);
	br_kube_config_release(&cfg);
	return c;
}

static void add_fault(struct br_kube_client *c, const char *json)
{
	struct br_error err;

	br_error_init(&err);
	if (br_kube_request(c, "POST", "/fake/faults", NULL, NULL, json, NULL, &err) != 0)
		fail_msg("fault: %s", err.text);
}

static json_t *obj(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (!j)
		fail_msg("bad test JSON: %s", je.text);
	return j;
}

#define CM "/api/v1/namespaces/default/configmaps"
#define WIDGETS "/apis/kube-test.burnrate.dev/v1/namespaces/default/widgets"

static void check(int rc, const struct br_error *err)
{
	if (rc != 0)
		fail_msg("%s: %s", br_code_name(rc), err->text);
}

static void test_fake_crud(void **state)
{
	struct br_kube_client *c = fake_client(NULL);
	struct br_error err;
	json_t *o, *out = NULL, *list = NULL, *stale;
	const char *rv;

	br_error_init(&err);
	for (int i = 0; i < 3; i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
			 "\"metadata\":{\"name\":\"crud-%d\"},\"data\":{\"i\":\"%d\"}}", i, i);
		o = obj(text);
		check(br_kube_post(c, CM, o, NULL, &err), &err);
		json_decref(o);
	}
	/* creating twice is a conflict (AlreadyExists) */
	o = obj("{\"metadata\":{\"name\":\"crud-0\"}}");
	assert_int_equal(br_kube_post(c, CM, o, NULL, &err), BR_ECONFLICT);
	json_decref(o);
	br_error_init(&err);

	check(br_kube_get(c, CM "/crud-1", &out, &err), &err);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(out, "data"), "i")), "1");
	stale = json_deep_copy(out);
	json_decref(out);

	/* one page of 2, then everything across pages */
	check(br_kube_list(c, CM, NULL, 2, NULL, &list, &err), &err);
	assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
	assert_non_null(json_string_value(json_object_get(
		json_object_get(list, "metadata"), "continue")));
	json_decref(list);
	check(br_kube_list_all(c, CM, NULL, 1, &list, &err), &err);
	assert_true(json_array_size(json_object_get(list, "items")) >= 3);
	assert_null(json_object_get(json_object_get(list, "metadata"), "continue"));
	assert_non_null(json_string_value(json_object_get(
		json_object_get(list, "metadata"), "resourceVersion")));
	json_decref(list);

	/* server-side apply, then a merge patch */
	o = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
		"\"metadata\":{\"name\":\"crud-1\"},\"data\":{\"applied\":\"yes\"}}");
	check(br_kube_apply(c, CM "/crud-1", o, "burnrate-test", &out, &err), &err);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(out, "data"), "applied")), "yes");
	json_decref(out);
	json_decref(o);
	assert_int_equal(br_kube_apply(c, CM "/crud-1", stale, "", NULL, &err), BR_EINVAL);
	br_error_init(&err);
	o = obj("{\"data\":{\"merged\":\"1\"}}");
	check(br_kube_merge_patch(c, CM "/crud-1", o, &out, &err), &err);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(out, "data"), "merged")), "1");
	json_decref(out);
	json_decref(o);

	/* an update from a stale read loses: 409 */
	assert_int_equal(br_kube_update(c, CM "/crud-1", stale, NULL, &err), BR_ECONFLICT);
	assert_non_null(strstr(err.text, "409"));
	json_decref(stale);
	br_error_init(&err);

	/* delete, then it is gone with a decoded NotFound */
	check(br_kube_delete(c, CM "/crud-1", NULL, NULL, &err), &err);
	assert_int_equal(br_kube_get(c, CM "/crud-1", NULL, &err), BR_ENOTFOUND);
	assert_non_null(strstr(err.text, "NotFound"));

	/* status subresource of a custom resource: PUT /status, apply to /status */
	br_error_init(&err);
	o = obj("{\"apiVersion\":\"kube-test.burnrate.dev/v1\",\"kind\":\"Widget\","
		"\"metadata\":{\"name\":\"s1\"},\"spec\":{\"objective\":99.9}}");
	check(br_kube_post(c, WIDGETS, o, &out, &err), &err);
	json_decref(o);
	json_object_set_new(out, "status", obj("{\"observedGeneration\":1}"));
	o = out;
	check(br_kube_update_status(c, WIDGETS "/s1", o, &out, &err), &err);
	json_decref(o);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(out, "status"), "observedGeneration")), 1);
	rv = json_string_value(json_object_get(json_object_get(out, "metadata"),
					       "resourceVersion"));
	assert_non_null(rv);
	json_decref(out);
	o = obj("{\"apiVersion\":\"kube-test.burnrate.dev/v1\",\"kind\":\"Widget\","
		"\"metadata\":{\"name\":\"s1\"},\"status\":{\"budgetRemaining\":\"0.5\"}}");
	check(br_kube_apply_status(c, WIDGETS "/s1", o, "burnrate", &out, &err), &err);
	json_decref(o);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(out, "status"), "budgetRemaining")), "0.5");
	json_decref(out);
	check(br_kube_delete(c, WIDGETS "/s1", NULL, NULL, &err), &err);
	br_kube_client_free(c);
}

/* Metadata alone (PartialObjectMetadata), asked for with the Accept
 * variants: a list, a write's answer, a watch. */
static void test_fake_metadata_only(void **state)
{
	struct br_kube_client *c = fake_client(NULL);
	struct br_kube_response resp;
	struct br_error err;
	json_t *list = NULL;

	(void)state;
	br_error_init(&err);
	check(br_kube_request_accept(c, "PATCH", WIDGETS "/m1",
		"fieldManager=burnrate-test&force=true", "application/apply-patch+yaml",
		BR_KUBE_ACCEPT_METADATA,
		"{\"apiVersion\":\"kube-test.burnrate.dev/v1\",\"kind\":\"Widget\","
		"\"metadata\":{\"name\":\"m1\"},\"spec\":{\"objective\":99.9}}", &resp, &err), &err);
	assert_string_equal(json_string_value(json_object_get(resp.body, "kind")),
			    "PartialObjectMetadata");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(resp.body,
		"metadata"), "generation")), 1);
	assert_null(json_object_get(resp.body, "spec"));
	br_kube_response_release(&resp);
	check(br_kube_list_accept(c, WIDGETS, NULL, 0, NULL, BR_KUBE_ACCEPT_METADATA_LIST,
				  &list, &err), &err);
	assert_string_equal(json_string_value(json_object_get(list, "kind")),
			    "PartialObjectMetadataList");
	json_t *item = json_array_get(json_object_get(list, "items"), 0);
	assert_non_null(json_object_get(item, "metadata"));
	assert_null(json_object_get(item, "spec"));
	json_decref(list);
	/* the item form for a list is refused, as kube-apiserver does */
	assert_int_not_equal(br_kube_list_accept(c, WIDGETS, NULL, 0, NULL,
		"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", &list, &err), 0);
	check(br_kube_delete(c, WIDGETS "/m1", NULL, NULL, &err), &err);
	br_kube_client_free(c);
}

static void test_fake_throttle(void **state)
{
	struct observed seen = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct br_kube_options o = {.observe = observe, .observe_ctx = &seen,
				    .max_attempts = 3, .backoff_initial = 0.05};
	struct br_kube_client *c = fake_client(&o);
	struct br_kube_response resp;
	struct br_error err;
	double t0, took;

	/* one 429 with Retry-After: 1, then success: the wait is honoured */
	add_fault(c, "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":429,"
		     "\"retryAfter\":1,\"count\":1}");
	br_error_init(&err);
	t0 = mono();
	check(br_kube_get(c, CM, NULL, &err), &err);
	took = mono() - t0;
	assert_true(took >= 0.95);
	assert_true(took < 5);
	assert_int_equal(seen.by_status[429], 1);
	assert_int_equal(seen.by_status[200], 2);  /* the fault and the GET */

	/* throttled on every attempt: BR_ETHROTTLED, Retry-After reported */
	add_fault(c, "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":429,"
		     "\"retryAfter\":0,\"count\":3}");
	assert_int_equal(br_kube_request(c, "GET", CM, NULL, NULL, NULL, &resp, &err),
			 BR_ETHROTTLED);
	assert_int_equal(resp.status, 429);
	assert_true(resp.retry_after == 0);
	br_kube_response_release(&resp);

	/* a list read as it streams is retried the same way before its
	   first byte: a 429 after its Retry-After, 500s, and throttled on
	   every attempt it fails with BR_ETHROTTLED */
	{
		struct items_seen items = {0};
		json_t *md = NULL;
		long throttled = seen.by_status[429];
		br_buf_init(&items.texts, BR_BUF_MAX_DEFAULT);
		add_fault(c, "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":429,"
			     "\"retryAfter\":1,\"count\":1}");
		br_error_init(&err);
		t0 = mono();
		check(br_kube_list_items(c, CM, NULL, 0, NULL, NULL, NULL, see_item, &items, &md,
					 &err), &err);
		took = mono() - t0;
		assert_true(took >= 0.95);
		assert_true(took < 5);
		assert_non_null(json_object_get(md, "resourceVersion"));
		json_decref(md);
		assert_int_equal(seen.by_status[429] - throttled, 1);
		add_fault(c, "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":500,"
			     "\"count\":2}");
		check(br_kube_list_items(c, CM, NULL, 0, NULL, NULL, NULL, see_item, &items, &md,
					 &err), &err);
		json_decref(md);
		assert_int_equal(seen.by_status[500], 2);
		add_fault(c, "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":429,"
			     "\"retryAfter\":0,\"count\":3}");
		assert_int_equal(br_kube_list_items(c, CM, NULL, 0, NULL, NULL, NULL, see_item,
						    &items, &md, &err), BR_ETHROTTLED);
		assert_null(md);
		assert_non_null(strstr(err.text, "429"));
		br_buf_release(&items.texts);
	}

	/* two 500s are retried away for a GET; a POST is not retried */
	br_error_init(&err);
	add_fault(c, "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":500,\"count\":2}");
	check(br_kube_get(c, CM, NULL, &err), &err);
	add_fault(c, "{\"method\":\"POST\",\"path\":\"/configmaps\",\"status\":500,\"count\":1}");
	{
		json_t *cm = obj("{\"metadata\":{\"name\":\"never\"}}");
		assert_int_equal(br_kube_post(c, CM, cm, NULL, &err), BR_EHTTP);
		assert_non_null(strstr(err.text, "500"));
		json_decref(cm);
	}
	assert_int_equal(seen.by_status[500], 5);

	/* a write whose answer is not read: succeeds, or reports Retry-After */
	{
		double ra = -1;
		br_error_init(&err);
		check(br_kube_write(c, "POST", CM, NULL, NULL,
				    "{\"metadata\":{\"name\":\"written\"}}", &ra, &err), &err);
		assert_true(ra == 0);
		add_fault(c, "{\"method\":\"PUT\",\"path\":\"/configmaps/written\","
			     "\"status\":429,\"retryAfter\":1,\"count\":3}");
		assert_int_equal(br_kube_write(c, "PUT", CM "/written", NULL, NULL,
					       "{\"metadata\":{\"name\":\"written\"}}",
					       &ra, &err), BR_ETHROTTLED);
		assert_true(ra == 1);
	}
	br_kube_client_free(c);
}

static void test_fake_wrong_ca(void **state)
{
	struct br_kube_config cfg;
	struct br_kube_client *c;
	struct br_error err;
	char p[4096];

	if (fake_broken)
		fail_msg("tests/fakeapi/fakeapi.py is present but did not start");
	if (fake_pid <= 0)
		skip();
	br_error_init(&err);
	check(br_kube_config_load_kubeconfig(fake_kubeconfig, NULL, &cfg, &err), &err);
	free(cfg.ca_file);
	cfg.ca_file = strdup(data_path(p, sizeof(p), "cert.pem"));
	check(br_kube_client_create(&cfg, NULL, &c, &err), &err);
	assert_int_equal(br_kube_get(c, CM, NULL, &err), BR_ETLS);
	assert_non_null(strstr(err.text, "GET " CM));
	br_kube_client_free(c);

	/* insecure skips verification against the same wrong CA */
	cfg.insecure = 1;
	br_error_init(&err);
	check(br_kube_client_create(&cfg, NULL, &c, &err), &err);
	check(br_kube_get(c, CM, NULL, &err), &err);
	br_kube_client_free(c);
	cfg.insecure = 0;

	/* the right CA given inline as PEM data */
	free(cfg.ca_file);
	snprintf(p, sizeof(p), "%s/ca.crt", fake_dir);
	cfg.ca_file = NULL;
	cfg.ca_data = slurp(p, &cfg.ca_data_len);
	check(br_kube_client_create(&cfg, NULL, &c, &err), &err);
	check(br_kube_get(c, CM, NULL, &err), &err);
	br_kube_client_free(c);

	/* tls-server-name: verified against that name, not the URL's host
	 * (the fake server's certificate is for 127.0.0.1 and localhost) */
	cfg.tls_server_name = strdup("localhost");
	check(br_kube_client_create(&cfg, NULL, &c, &err), &err);
	check(br_kube_get(c, CM, NULL, &err), &err);
	br_kube_client_free(c);
	free(cfg.tls_server_name);
	cfg.tls_server_name = strdup("not-this-server.example");
	check(br_kube_client_create(&cfg, NULL, &c, &err), &err);
	assert_int_equal(br_kube_get(c, CM, NULL, &err), BR_ETLS);
	br_kube_client_free(c);
	br_kube_config_release(&cfg);
}

static void test_fake_token_file(void **state)
{
	struct br_kube_config cfg;
	struct br_kube_options o = {.token_refresh = 0.3};
	struct br_kube_client *c;
	struct br_error err;
	char tf[4300];

	if (fake_broken)
		fail_msg("tests/fakeapi/fakeapi.py is present but did not start");
	if (fake_pid <= 0)
		skip();
	br_error_init(&err);
	check(br_kube_config_load_kubeconfig(fake_kubeconfig, NULL, &cfg, &err), &err);
	snprintf(tf, sizeof(tf), "%s/rotating-token", fake_dir);
	write_file(tf, "wrong-token\n");
	cfg.token_file = strdup(tf);  /* wins over the inline token */
	check(br_kube_client_create(&cfg, &o, &c, &err), &err);
	assert_int_equal(br_kube_get(c, CM, NULL, &err), BR_EAUTH);
	assert_null(strstr(err.text, "wrong-token"));
	assert_null(strstr(err.text, cfg.token));

	/* rotated: picked up at the next periodic read */
	write_file(tf, cfg.token);
	sleep_ms(400);
	br_error_init(&err);
	check(br_kube_get(c, CM, NULL, &err), &err);
	br_kube_client_free(c);

	/* rotated under a client that has not re-read yet: the 401 forces it */
	o.token_refresh = 3600;
	write_file(tf, "wrong-token\n");
	check(br_kube_client_create(&cfg, &o, &c, &err), &err);
	write_file(tf, cfg.token);
	check(br_kube_get(c, CM, NULL, &err), &err);
	br_kube_client_free(c);
	br_kube_config_release(&cfg);
}

struct collect {
	struct br_buf got;
	const char *until;
};

static int on_data(void *ctx, const char *d, size_t n)
{
	struct collect *k = ctx;

	br_buf_add(&k->got, d, n);
	return k->until && strstr(br_buf_str(&k->got), k->until) ? 1 : 0;
}

static atomic_int stop_flag;

static void *stopper(void *arg)
{
	sleep_ms(300);
	atomic_store(&stop_flag, 1);
	return NULL;
}

static void test_fake_stream(void **state)
{
	struct br_kube_client *c = fake_client(NULL);
	struct collect k = {.until = "stream-me"};
	struct br_error err;
	json_t *o = obj("{\"metadata\":{\"name\":\"stream-me\"}}");
	pthread_t t;
	long status;
	double t0;

	br_buf_init(&k.got, 1 << 20);
	br_error_init(&err);
	check(br_kube_post(c, CM, o, NULL, &err), &err);
	json_decref(o);
	/* a watch from "now-ish" sends ADDED for what exists; stop on it */
	assert_int_equal(br_kube_stream(c, CM, "watch=1&timeoutSeconds=30", on_data, &k,
					NULL, 10000, &status, &err), BR_ECANCELED);
	assert_int_equal(status, 200);
	assert_non_null(strstr(br_buf_str(&k.got), "\"ADDED\""));

	/* the stop flag ends a quiet watch */
	br_buf_reset(&k.got);
	k.until = NULL;
	atomic_store(&stop_flag, 0);
	pthread_create(&t, NULL, stopper, NULL);
	br_error_init(&err);
	t0 = mono();
	assert_int_equal(br_kube_stream(c, "/api/v1/namespaces/default/secrets", "watch=1&fieldSelector=metadata.name%3Dnone",
					on_data, &k, &stop_flag, 20000, &status, &err),
			 BR_ECANCELED);
	assert_true(mono() - t0 < 3);
	pthread_join(t, NULL);

	/* the timeout ends it too */
	br_error_init(&err);
	assert_int_equal(br_kube_stream(c, "/api/v1/namespaces/default/secrets",
					"watch=1&fieldSelector=metadata.name%3Dnone",
					on_data, &k, NULL, 500, &status, &err), BR_ETIMEOUT);

	/* an error status comes back decoded, not as data */
	br_buf_reset(&k.got);
	br_error_init(&err);
	assert_int_equal(br_kube_stream(c, "/apis/nope.example/v1/things", "watch=1",
					on_data, &k, NULL, 5000, &status, &err), BR_ENOTFOUND);
	assert_int_equal(status, 404);
	assert_int_equal(k.got.len, 0);
	br_buf_release(&k.got);
	br_kube_client_free(c);
}

struct worker {
	struct br_kube_client *c;
	int failures;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 15; i++) {
		struct br_error err;
		br_error_init(&err);
		if (br_kube_get(w->c, CM, NULL, &err) != 0)
			w->failures++;
	}
	return NULL;
}

static void test_fake_threads(void **state)
{
	struct br_kube_options o = {.qps = -1};
	struct br_kube_client *c = fake_client(&o);
	struct worker w[6];
	pthread_t t[6];

	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){c, 0};
		pthread_create(&t[i], NULL, hammer, &w[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	br_kube_client_free(c);
}

int main(void)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig_files),
		cmocka_unit_test(test_kubeconfig_data),
		cmocka_unit_test(test_kubeconfig_env_list),
		cmocka_unit_test(test_kubeconfig_home),
		cmocka_unit_test(test_kubeconfig_errors),
		cmocka_unit_test(test_kubeconfig_memory),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_status_decode),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_strip_managed_fields),
		cmocka_unit_test(test_list_scan),
		cmocka_unit_test(test_list_reader),
		cmocka_unit_test(test_list_reader_items),
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_list_scan_view),
		cmocka_unit_test(test_client_offline),
		cmocka_unit_test(test_write_asks_for_metadata),
		cmocka_unit_test(test_fake_crud),
		cmocka_unit_test(test_fake_metadata_only),
		cmocka_unit_test(test_fake_throttle),
		cmocka_unit_test(test_fake_wrong_ca),
		cmocka_unit_test(test_fake_token_file),
		cmocka_unit_test(test_fake_stream),
		cmocka_unit_test(test_fake_threads),
	};

	if (src && src[0]) {
		snprintf(source_dir, sizeof(source_dir), "%s", src);
	} else {
		/* this file is SOURCE/tests/unit/test_kube.c */
		snprintf(source_dir, sizeof(source_dir), "%s", __FILE__);
		for (int i = 0; i < 3; i++) {
			char *slash = strrchr(source_dir, '/');
			if (slash)
				*slash = '\0';
		}
	}
	snprintf(data_dir, sizeof(data_dir), "%s/tests/data/kubeconfig", source_dir);
	unsetenv("KUBECONFIG");
	return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
