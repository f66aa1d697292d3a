/* kube config: kubeconfig files (one or a KUBECONFIG list) and in-cluster
 * service-account configuration, into struct br_kube_config. */
#include "kube/kube.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf/buf.h"
#include "kube/internal.h"
#include "yaml/yaml.h"

#define MAX_FILES 16
#define MAX_FILE_BYTES (16u << 20)

/* One loaded kubeconfig file: its first document and its directory. */
struct kc_file {
	char *name;
	char *dir;
	struct br_yaml_stream stream;
	json_t *root;   /* borrowed from stream; NULL for an empty file */
};

struct kc_set {
	struct kc_file files[MAX_FILES];
	size_t count;
};

void br_kube_config_init(struct br_kube_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static void free_secret(char *s, size_t len)
{
	if (!s)
		return;
	if (len == 0)
		len = strlen(s);
	OPENSSL_cleanse(s, len);
	free(s);
}

void br_kube_config_release(struct br_kube_config *cfg)
{
	free(cfg->server);
	free(cfg->ca_file);
	free(cfg->ca_data);
	free(cfg->tls_server_name);
	free_secret(cfg->token, 0);
	free(cfg->token_file);
	free(cfg->client_cert_file);
	free(cfg->client_cert_data);
	free(cfg->client_key_file);
	free_secret(cfg->client_key_data, cfg->client_key_data_len);
	free(cfg->namespace);
	free(cfg->context);
	br_kube_config_init(cfg);
}

int br__kube_read_file(const char *path, size_t max, char **data, size_t *len,
		       struct br_error *err)
{
	struct br_buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	struct stat st;

	*data = NULL;
	*len = 0;
	if (!f && errno == ENOMEM)
		return br_error_set(err, BR_ENOMEM, "cannot open %s: out of memory", path);
	if (!f)
		return br_error_set(err, BR_EIO, "cannot open %s: %s", path,
				    strerror(errno));
	/* a FIFO or a device could block or never end */
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return br_error_set(err, BR_EIO, "%s is not a regular file", path);
	}
	br_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		/* checked first: a failed append says only BR_ENOMEM */
		int too_large = n > max - b.len;

		if (too_large || br_buf_add(&b, chunk, n) < 0) {
			fclose(f);
			br_buf_release(&b);
			if (too_large)
				return br_error_set(err, BR_ELIMIT, "%s: file too large", path);
			return br_error_set(err, BR_ENOMEM, "%s: out of memory", path);
		}
	}
	if (ferror(f)) {
		fclose(f);
		br_buf_release(&b);
		return br_error_set(err, BR_EIO, "cannot read %s", path);
	}
	fclose(f);
	*len = b.len;
	*data = b.data ? br_buf_detach(&b) : strdup("");
	if (!*data)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	return 0;
}

/* Duplicates s, or joins dir and s when s is relative and dir is set. */
static char *resolve_path(const char *dir, const char *s)
{
	struct br_buf b;

	if (s[0] == '/' || !dir || !dir[0])
		return strdup(s);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&b, dir);
	br_buf_addc(&b, '/');
	br_buf_adds(&b, s);
	return br_buf_detach(&b);
}

static char *dir_of(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	if (!slash)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	return strndup(file, (size_t)(slash - file));
}

/* Decodes base64 (whitespace ignored) into a new NUL-terminated buffer. */
static int decode_base64(const char *in, char **out, size_t *out_len)
{
	size_t n = strlen(in), m = 0, pad = 0;
	char *clean = malloc(n + 1);
	unsigned char *dec;
	int r;

	*out = NULL;
	if (!clean)
		return BR_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)in[i]))
			clean[m++] = in[i];
	clean[m] = '\0';
	if (m % 4 != 0) {
		free(clean);
		return BR_EPARSE;
	}
	while (pad < 2 && pad < m && clean[m - 1 - pad] == '=')
		pad++;
	dec = malloc(m / 4 * 3 + 1);
	if (!dec) {
		free(clean);
		return BR_ENOMEM;
	}
	r = m ? EVP_DecodeBlock(dec, (const unsigned char *)clean, (int)m) : 0;
	free(clean);
	if (r < 0) {
		free(dec);
		return BR_EPARSE;
	}
	*out_len = (size_t)r - pad;
	dec[*out_len] = '\0';
	*out = (char *)dec;
	return 0;
}

/* Why OpenSSL's PEM reader failed, from its error queue (which it empties):
 * BR_ENOMEM when an allocation failed (OpenSSL says so, or could not even
 * record an error), else BR_EINVAL (the data is not what was asked for). */
static int pem_failure(void)
{
	unsigned long e;
	int any = 0, oom = 0;

	while ((e = ERR_get_error()) != 0) {
		any = 1;
		oom |= ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE;
	}
	return oom || !any ? BR_ENOMEM : BR_EINVAL;
}

/* Checks that len bytes of PEM hold a certificate (key == 0) or a private
 * key (key == 1). Returns 0, BR_EINVAL (they do not) or BR_ENOMEM. */
static int check_pem(const char *data, size_t len, int key)
{
	BIO *bio;
	int ok = 0;

	ERR_clear_error();
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio) {
		ERR_clear_error();
		return BR_ENOMEM;
	}
	if (key) {
		EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		ok = k != NULL;
		EVP_PKEY_free(k);
	} else {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		ok = x != NULL;
		X509_free(x);
	}
	BIO_free(bio);
	if (ok)
		return 0;
	return pem_failure();
}

/* check_pem on inline data, with field naming it in err. */
static int check_pem_data(const char *data, size_t len, int key,
			  const char *field, struct br_error *err)
{
	int rc = check_pem(data, len, key);

	if (rc == BR_EINVAL)
		return br_error_set_at(err, rc, field, 0, 0, "%s is not a PEM %s",
				       field, key ? "private key" : "certificate");
	if (rc < 0)
		return br_error_set_at(err, rc, field, 0, 0, "%s: out of memory", field);
	return 0;
}

static int check_pem_file(const char *path, int key, const char *field,
			  struct br_error *err)
{
	char *data;
	size_t len;
	int rc = br__kube_read_file(path, MAX_FILE_BYTES, &data, &len, err);

	if (rc < 0) {
		br_error_set_at(err, rc, field, 0, 0, "cannot read %s", path);
		return rc;
	}
	rc = check_pem(data, len, key);
	free_secret(data, len);
	if (rc == BR_EINVAL)
		return br_error_set_at(err, rc, field, 0, 0,
				       "%s holds no PEM %s", path,
				       key ? "private key" : "certificate");
	if (rc < 0)
		return br_error_set_at(err, rc, field, 0, 0,
				       "%s: out of memory", path);
	return rc;
}

static void kc_set_release(struct kc_set *s)
{
	for (size_t i = 0; i < s->count; i++) {
		free(s->files[i].name);
		free(s->files[i].dir);
		br_yaml_stream_release(&s->files[i].stream);
	}
	s->count = 0;
}

static int kc_add_data(struct kc_set *s, const char *data, size_t len,
		       const char *file, struct br_error *err)
{
	struct kc_file *f = &s->files[s->count];
	int rc;

	memset(f, 0, sizeof(*f));
	br_yaml_stream_init(&f->stream);
	rc = br_yaml_load(data, len, file, &f->stream, err);
	if (rc < 0) {
		br_error_set_file(err, file);
		return rc;
	}
	s->count++;
	f->name = strdup(file ? file : "<kubeconfig>");
	f->dir = file ? dir_of(file) : NULL;
	if (!f->name || (file && !f->dir))
		return br_error_set(err, BR_ENOMEM, "out of memory");
	if (f->stream.count > 0)
		f->root = f->stream.docs[0].root;
	if (f->root && !json_is_object(f->root))
		return br_error_set_at(err, BR_EINVAL, "", 1, 1,
				       "%s: a kubeconfig must be a mapping",
				       f->name);
	return 0;
}

static int kc_add_file(struct kc_set *s, const char *path,
		       struct br_error *err)
{
	char *data;
	size_t len;
	int rc;

	if (s->count == MAX_FILES)
		return br_error_set(err, BR_ELIMIT, "more than %d kubeconfig files",
				    MAX_FILES);
	rc = br__kube_read_file(path, MAX_FILE_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	rc = kc_add_data(s, data, len, path, err);
	free(data);
	return rc;
}

/* Finds the entry named name in the list key ("clusters", "users",
 * "contexts") of the first file that has it; *inner is entry[field]. */
static int kc_find(const struct kc_set *s, const char *key, const char *field,
		   const char *name, json_t **inner, const struct kc_file **from,
		   struct br_error *err)
{
	for (size_t i = 0; i < s->count; i++) {
		json_t *list = s->files[i].root ?
			json_object_get(s->files[i].root, key) : NULL;
		size_t j;
		json_t *e;

		if (!list || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return br_error_set_at(err, BR_EINVAL, key, 0, 0,
					       "%s: must be a list", s->files[i].name);
		json_array_foreach(list, j, e) {
			const char *n = json_string_value(json_object_get(e, "name"));
			if (n && strcmp(n, name) == 0) {
				*inner = json_object_get(e, field);
				*from = &s->files[i];
				if (*inner && !json_is_object(*inner))
					return br_error_set_at(err, BR_EINVAL, field, 0, 0,
						"%s: %s %s: %s must be a mapping",
						s->files[i].name, key, name, field);
				return 0;
			}
		}
	}
	return BR_ENOTFOUND;
}

/* Reads the optional string field key of obj into *out (resolved as a
 * path against dir when is_path). */
static int get_str(const json_t *obj, const char *key, const char *where,
		   const struct kc_file *f, int is_path, char **out,
		   struct br_error *err)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	const char *s;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return br_error_set_at(err, BR_EINVAL, key, 0, 0,
				       "%s: %s.%s must be a string", f->name, where, key);
	s = json_string_value(v);
	if (!s[0])
		return 0;
	*out = is_path ? resolve_path(f->dir, s) : strdup(s);
	return *out ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
}

static int get_data(const json_t *obj, const char *key, const char *where,
		    const struct kc_file *f, char **out, size_t *len,
		    struct br_error *err)
{
	char *b64 = NULL;
	int rc = get_str(obj, key, where, f, 0, &b64, err);

	if (rc < 0 || !b64)
		return rc;
	rc = decode_base64(b64, out, len);
	free_secret(b64, 0);
	if (rc == BR_EPARSE)
		return br_error_set_at(err, rc, key, 0, 0,
				       "%s: %s.%s is not valid base64", f->name, where, key);
	if (rc < 0)
		return br_error_set(err, rc, "out of memory");
	return 0;
}

static int load_cluster(const json_t *c, const struct kc_file *f,
			const char *name, struct br_kube_config *cfg,
			struct br_error *err)
{
	json_t *ins = c ? json_object_get(c, "insecure-skip-tls-verify") : NULL;
	int rc;

	if ((rc = get_str(c, "server", "cluster", f, 0, &cfg->server, err)) < 0 ||
	    (rc = get_str(c, "certificate-authority", "cluster", f, 1,
			  &cfg->ca_file, err)) < 0 ||
	    (rc = get_data(c, "certificate-authority-data", "cluster", f,
			   &cfg->ca_data, &cfg->ca_data_len, err)) < 0 ||
	    (rc = get_str(c, "tls-server-name", "cluster", f, 0,
			  &cfg->tls_server_name, err)) < 0)
		return rc;
	if (ins && !json_is_boolean(ins) && !json_is_null(ins))
		return br_error_set_at(err, BR_EINVAL, "insecure-skip-tls-verify", 0, 0,
				       "%s: cluster %s: insecure-skip-tls-verify must be a boolean",
				       f->name, name);
	cfg->insecure = json_is_true(ins);
	if (!cfg->server)
		return br_error_set_at(err, BR_EINVAL, "server", 0, 0,
				       "%s: cluster %s has no server", f->name, name);
	while (strlen(cfg->server) > 0 && cfg->server[strlen(cfg->server) - 1] == '/')
		cfg->server[strlen(cfg->server) - 1] = '\0';
	return 0;
}

static int load_user(const json_t *u, const struct kc_file *f,
		     struct br_kube_config *cfg, struct br_error *err)
{
	int rc;

	if ((rc = get_str(u, "token", "user", f, 0, &cfg->token, err)) < 0 ||
	    (rc = get_str(u, "tokenFile", "user", f, 1, &cfg->token_file, err)) < 0 ||
	    (rc = get_str(u, "client-certificate", "user", f, 1,
			  &cfg->client_cert_file, err)) < 0 ||
	    (rc = get_data(u, "client-certificate-data", "user", f,
			   &cfg->client_cert_data, &cfg->client_cert_data_len, err)) < 0 ||
	    (rc = get_str(u, "client-key", "user", f, 1,
			  &cfg->client_key_file, err)) < 0 ||
	    (rc = get_data(u, "client-key-data", "user", f,
			   &cfg->client_key_data, &cfg->client_key_data_len, err)) < 0)
		return rc;
	return 0;
}

/* Checks every certificate and key the configuration names. */
static int check_certs(const struct br_kube_config *cfg, struct br_error *err)
{
	int rc;

	if (cfg->ca_data &&
	    (rc = check_pem_data(cfg->ca_data, cfg->ca_data_len, 0,
				 "certificate-authority-data", err)) < 0)
		return rc;
	if (cfg->client_cert_data &&
	    (rc = check_pem_data(cfg->client_cert_data, cfg->client_cert_data_len, 0,
				 "client-certificate-data", err)) < 0)
		return rc;
	if (cfg->client_key_data &&
	    (rc = check_pem_data(cfg->client_key_data, cfg->client_key_data_len, 1,
				 "client-key-data", err)) < 0)
		return rc;
	if (cfg->ca_file &&
	    (rc = check_pem_file(cfg->ca_file, 0, "certificate-authority", err)) < 0)
		return rc;
	if (cfg->client_cert_file &&
	    (rc = check_pem_file(cfg->client_cert_file, 0, "client-certificate", err)) < 0)
		return rc;
	if (cfg->client_key_file &&
	    (rc = check_pem_file(cfg->client_key_file, 1, "client-key", err)) < 0)
		return rc;
	if ((cfg->client_cert_file || cfg->client_cert_data) !=
	    (cfg->client_key_file || cfg->client_key_data) )
		return br_error_set(err, BR_EINVAL,
				    "a client certificate needs a client key "
				    "and the other way round");
	return 0;
}

static const char *current_context(const struct kc_set *s)
{
	for (size_t i = 0; i < s->count; i++) {
		const char *c = s->files[i].root ?
			json_string_value(json_object_get(s->files[i].root,
							  "current-context")) : NULL;
		if (c && c[0])
			return c;
	}
	return NULL;
}

static int kc_resolve(const struct kc_set *s, const char *context,
		      struct br_kube_config *cfg, struct br_error *err)
{
	json_t *ctx = NULL, *cl = NULL, *us = NULL;
	const struct kc_file *cf = NULL, *clf = NULL, *uf = NULL;
	const char *cname, *uname;
	int rc;

	if (!context && !(context = current_context(s)))
		return br_error_set(err, BR_ENOTFOUND,
				    "no context given and no current-context set");
	rc = kc_find(s, "contexts", "context", context, &ctx, &cf, err);
	if (rc == BR_ENOTFOUND)
		return br_error_set(err, rc, "context \"%s\" not found", context);
	if (rc < 0)
		return rc;
	if (!(cfg->context = strdup(context)))
		return br_error_set(err, BR_ENOMEM, "out of memory");
	cname = json_string_value(json_object_get(ctx, "cluster"));
	uname = json_string_value(json_object_get(ctx, "user"));
	if (!cname)
		return br_error_set_at(err, BR_EINVAL, "cluster", 0, 0,
				       "%s: context %s names no cluster", cf->name, context);
	rc = kc_find(s, "clusters", "cluster", cname, &cl, &clf, err);
	if (rc == BR_ENOTFOUND)
		return br_error_set(err, rc, "context %s: cluster \"%s\" not found",
				    context, cname);
	if (rc < 0 || (rc = load_cluster(cl, clf, cname, cfg, err)) < 0)
		return rc;
	if (uname && uname[0]) {
		rc = kc_find(s, "users", "user", uname, &us, &uf, err);
		if (rc == BR_ENOTFOUND)
			return br_error_set(err, rc, "context %s: user \"%s\" not found",
					    context, uname);
		if (rc < 0 || (rc = load_user(us, uf, cfg, err)) < 0)
			return rc;
	}
	if ((rc = get_str(ctx, "namespace", "context", cf, 0, &cfg->namespace, err)) < 0)
		return rc;
	if (!cfg->namespace && !(cfg->namespace = strdup("default")))
		return br_error_set(err, BR_ENOMEM, "out of memory");
	return check_certs(cfg, err);
}

int br_kube_config_load_kubeconfig_data(const char *data, size_t len,
					const char *file, const char *context,
					struct br_kube_config *cfg,
					struct br_error *err)
{
	struct kc_set s = {.count = 0};
	int rc;

	br_kube_config_init(cfg);
	rc = kc_add_data(&s, data, len, file, err);
	if (rc == 0)
		rc = kc_resolve(&s, context, cfg, err);
	br_error_set_file(err, file);
	kc_set_release(&s);
	return rc;
}

/* Adds every existing file of a ':'-separated KUBECONFIG list. */
static int add_list(struct kc_set *s, const char *list, struct br_error *err)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *one = strndup(p, n);
		int rc;

		if (!one)
			return br_error_set(err, BR_ENOMEM, "out of memory");
		struct br_error local;

		br_error_init(&local);
		rc = n == 0 ? 0 : kc_add_file(s, one, &local);
		if (rc < 0 && rc != BR_EIO) {
			/* a missing file is skipped; a broken one is an error */
			free(one);
			if (err && !err->code)
				*err = local;
			return rc;
		}
		free(one);
		p += n;
		if (*p == ':')
			p++;
	}
	if (s->count == 0)
		return br_error_set(err, BR_EIO, "KUBECONFIG=%s: none of its files exists",
				    list);
	return 0;
}

int br_kube_config_load_kubeconfig(const char *path, const char *context,
				   struct br_kube_config *cfg,
				   struct br_error *err)
{
	struct kc_set s = {.count = 0};
	const char *list = getenv("KUBECONFIG");
	struct br_buf home;
	int rc;

	br_kube_config_init(cfg);
	br_buf_init(&home, 4096);
	if (path) {
		rc = kc_add_file(&s, path, err);
	} else if (list && list[0]) {
		rc = add_list(&s, list, err);
	} else {
		const char *h = getenv("HOME");
		if (!h)
			return br_error_set(err, BR_EIO, "no KUBECONFIG and no HOME");
		br_buf_addf(&home, "%s/.kube/config", h);
		rc = kc_add_file(&s, br_buf_str(&home), err);
	}
	if (rc == 0)
		rc = kc_resolve(&s, context, cfg, err);
	if (rc < 0 && s.count == 1)
		br_error_set_file(err, s.files[0].name);
	kc_set_release(&s);
	br_buf_release(&home);
	return rc;
}

/* Reads a small text file and strips surrounding whitespace. */
static int read_trimmed(const char *path, char **out, struct br_error *err)
{
	size_t len, start = 0;
	int rc = br__kube_read_file(path, 65536, out, &len, err);

	if (rc < 0)
		return rc;
	while (len > 0 && isspace((unsigned char)(*out)[len - 1]))
		(*out)[--len] = '\0';
	while (start < len && isspace((unsigned char)(*out)[start]))
		start++;
	memmove(*out, *out + start, len - start + 1);
	return 0;
}

int br_kube_config_in_cluster(struct br_kube_config *cfg,
			      struct br_error *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("BR_KUBE_SA_DIR");
	const char *podns = getenv("POD_NAMESPACE");
	struct br_buf b;
	int rc;

	br_kube_config_init(cfg);
	if (!host || !host[0] || !port || !port[0])
		return br_error_set(err, BR_ENOTFOUND,
				    "not in a cluster: KUBERNETES_SERVICE_HOST/PORT unset");
	if (!dir || !dir[0])
		dir = "/var/run/secrets/kubernetes.io/serviceaccount";
	br_buf_init(&b, 4096);
	br_buf_addf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	cfg->server = br_buf_detach(&b);
	br_buf_addf(&b, "%s/token", dir);
	cfg->token_file = br_buf_detach(&b);
	br_buf_addf(&b, "%s/ca.crt", dir);
	cfg->ca_file = br_buf_detach(&b);
	if (!cfg->server || !cfg->token_file || !cfg->ca_file)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	if (access(cfg->token_file, R_OK) != 0)
		return br_error_set(err, BR_EIO, "cannot read the service-account token %s",
				    cfg->token_file);
	if ((rc = check_pem_file(cfg->ca_file, 0, "ca.crt", err)) < 0)
		return rc;
	if (podns && podns[0]) {
		cfg->namespace = strdup(podns);
	} else {
		br_buf_addf(&b, "%s/namespace", dir);
		if (read_trimmed(br_buf_str(&b), &cfg->namespace, NULL) < 0 ||
		    !cfg->namespace[0]) {
			free(cfg->namespace);
			cfg->namespace = strdup("default");
		}
		br_buf_release(&b);
	}
	return cfg->namespace ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
}
