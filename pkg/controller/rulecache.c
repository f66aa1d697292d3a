/* The rule cache: what the informers keep of a rule (and of an SLO), and
 * when a cached rule is the one burnrate wrote. expect.c and reconcile.c
 * both depend on it; it depends only on common.c.
 *
 * The digest of a PrometheusRule spec, which burnrate's rules carry in an
 * annotation (see BR__CONTROLLER_DIGEST_KEY), is computed for every reconcile, so it
 * walks the tree into one buffer instead of printing JSON (escaping,
 * callbacks): keys sorted, every string and key length-prefixed, so that
 * different trees never give the same bytes. It is stored on the server: a
 * new encoding makes every rule differ once, and each is applied again
 * (as any change of what burnrate renders does). */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "internal.h"

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_bytes(struct br_buf *b, char tag, const char *s, size_t n)
{
	uint64_t len = n;

	br_buf_addc(b, tag);
	br_buf_add(b, &len, sizeof(len));
	br_buf_add(b, s, n);
}

static int encode(struct br_buf *b, const json_t *v, int depth);

static int encode_object(struct br_buf *b, const json_t *v, int depth)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = malloc((n ? n : 1) * sizeof(*keys));
	const char *k;
	json_t *item;

	if (!keys)
		return BR_ENOMEM;
	json_object_foreach((json_t *)v, k, item)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	br_buf_addc(b, '{');
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		add_bytes(b, 'k', keys[i], strlen(keys[i]));
		rc = encode(b, json_object_get(v, keys[i]), depth + 1);
	}
	br_buf_addc(b, '}');
	free(keys);
	return rc;
}

static int encode(struct br_buf *b, const json_t *v, int depth)
{
	size_t i;
	json_t *item;

	if (depth > 64)
		return BR_EINVAL; /* no rule is that deep; jansson's own limit is 2048 */
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return encode_object(b, v, depth);
	case JSON_ARRAY:
		br_buf_addc(b, '[');
		json_array_foreach((json_t *)v, i, item) {
			int rc = encode(b, item, depth + 1);
			if (rc != 0)
				return rc;
		}
		br_buf_addc(b, ']');
		return 0;
	case JSON_STRING:
		add_bytes(b, 's', json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		br_buf_addf(b, "i%" JSON_INTEGER_FORMAT ";", json_integer_value(v));
		return 0;
	case JSON_REAL:
		br_buf_addf(b, "r%.17g;", json_real_value(v));
		return 0;
	case JSON_TRUE:
		return br_buf_addc(b, 't');
	case JSON_FALSE:
		return br_buf_addc(b, 'f');
	default:
		return br_buf_addc(b, 'n');
	}
}

int br__controller_spec_digest(const json_t *spec, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0;
	struct br_buf b;
	int rc = BR_ENOMEM;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	if (spec && encode(&b, spec, 0) == 0 && b.data &&
	    EVP_Digest(b.data, b.len, md, &len, EVP_sha256(), NULL) && len == 32) {
		for (unsigned int i = 0; i < 32; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 15];
		}
		out[64] = '\0';
		rc = 0;
	}
	br_buf_release(&b);
	return rc;
}

int br__controller_rule_matches(const json_t *want_meta, const char *digest,
				long long generation, const json_t *have)
{
	const json_t *hm = json_object_get(have, "metadata");
	const json_t *hl = json_object_get(hm, "labels");
	const char *k;
	json_t *v;

	if (!have)
		return 0;
	json_object_foreach(json_object_get(want_meta, "labels"), k, v) {
		const json_t *h = json_object_get(hl, k);
		if (!br__controller_json_same(v, h ? h : json_null()))
			return 0;
	}
	const json_t *wo = json_object_get(want_meta, "ownerReferences");
	const json_t *ho = json_object_get(hm, "ownerReferences");
	if (wo && (!ho || !br__controller_json_same(wo, ho)))
		return 0;
	if (generation != -1 &&
	    json_integer_value(json_object_get(hm, "generation")) != generation)
		return 0;
	const json_t *ha = json_object_get(hm, "annotations");
	const char *wi = json_string_value(json_object_get(
		json_object_get(want_meta, "annotations"), BR__CONTROLLER_INPUT_KEY));
	const char *hi = json_string_value(json_object_get(ha, BR__CONTROLLER_INPUT_KEY));
	/* the input digest is what a check without rendering goes by; one that
	   rendered compares the spec itself, and a rule whose spec is right is
	   not rewritten for its annotation alone (a new build would otherwise
	   rewrite every rule) */
	if (!digest && (!wi || !hi || strcmp(wi, hi) != 0))
		return 0;
	const char *hd = json_string_value(json_object_get(ha, BR__CONTROLLER_DIGEST_KEY));
	/* without a digest to compare, the annotation must still be there: one
	   taken off is put back */
	return hd && (!digest || strcmp(hd, digest) == 0);
}

int br__controller_input_digest(const json_t *slo_obj, const struct br_rules_options *ro,
				const char *build, char out[65])
{
	const json_t *slo_meta = json_object_get(slo_obj, "metadata");
	json_t *meta = json_copy((json_t *)slo_meta);
	json_t *labels = json_object();
	int rc = BR_ENOMEM;

	if (!build || !build[0])
		rc = BR_EINVAL;
	else if (!json_is_object(slo_meta))
		rc = BR_EINVAL;
	for (size_t i = 0; ro->rule_labels && labels && i < ro->rule_labels->count; i++)
		json_object_set_new(labels, ro->rule_labels->items[i].name,
				    json_string(ro->rule_labels->items[i].value));
	if (rc == BR_ENOMEM && meta && labels) {
		/* changes with every status write; the spec is in generation */
		json_object_del(meta, "resourceVersion");
		json_t *in = json_pack("{s:O, s:O, s:s?, s:i, s:s}", "metadata", meta,
				       "ruleLabels", labels, "runbookBaseURL",
				       ro->runbook_base_url, "target", (int)ro->target,
				       "build", build);
		rc = in ? br__controller_spec_digest(in, out) : BR_ENOMEM;
		json_decref(in);
	}
	json_decref(labels);
	json_decref(meta);
	return rc;
}

void br__controller_build_digest(char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32], chunk[65536];
	unsigned int len = 0;
	FILE *f = fopen("/proc/self/exe", "rb");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = f && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	size_t n;

	out[0] = '\0';
	while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ok = EVP_DigestUpdate(ctx, chunk, n);
	if (ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &len) && len == 32) {
		for (unsigned int i = 0; i < 32; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 15];
		}
		out[64] = '\0';
	}
	EVP_MD_CTX_free(ctx);
	if (f)
		fclose(f);
}

int br__controller_rule_stamp(json_t *rule, const char *input, char digest[65])
{
	json_t *meta = json_object_get(rule, "metadata");
	int rc = br__controller_spec_digest(json_object_get(rule, "spec"), digest);

	if (rc != 0)
		return rc;
	json_t *ann = json_object_get(meta, "annotations");
	if (!ann && json_object_set_new(meta, "annotations", ann = json_object()) != 0)
		return BR_ENOMEM;
	if (json_object_set_new(ann, BR__CONTROLLER_DIGEST_KEY, json_string(digest)) != 0)
		return BR_ENOMEM;
	if (input && json_object_set_new(ann, BR__CONTROLLER_INPUT_KEY, json_string(input)) != 0)
		return BR_ENOMEM;
	return 0;
}

/* Keeps of an object only the metadata fields in keep (NULL-terminated). */
static void keep_only(json_t *obj, const char *const *keep)
{
	json_t *meta = json_incref(json_object_get(obj, "metadata"));
	json_t *kept = json_object();

	for (; kept && *keep; keep++)
		if (json_object_get(meta, *keep))
			json_object_set(kept, *keep, json_object_get(meta, *keep));
	json_object_clear(obj);
	if (kept)
		json_object_set_new(obj, "metadata", kept);
	json_decref(meta);
}

void br__controller_rule_transform(void *ctx, json_t *obj)
{
	static const char *const keep[] = { "name", "namespace", "resourceVersion",
		"generation", "labels", "ownerReferences", "annotations", NULL };
	const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
	json_t *ours = json_object();
	const char *const mine[] = { BR__CONTROLLER_DIGEST_KEY, BR__CONTROLLER_INPUT_KEY };

	(void)ctx;
	for (size_t i = 0; ours && i < sizeof(mine) / sizeof(mine[0]); i++)
		if (json_object_get(ann, mine[i]))
			json_object_set(ours, mine[i], json_object_get(ann, mine[i]));
	/* a server that can't send metadata alone sends the spec too */
	keep_only(obj, keep);
	json_t *meta = json_object_get(obj, "metadata");
	if (json_object_size(ours))
		json_object_set(meta, "annotations", ours);
	else
		json_object_del(meta, "annotations");
	json_decref(ours);
}
