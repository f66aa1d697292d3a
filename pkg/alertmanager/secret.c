/* secret: the base Secret's keys in, the target Secret out (base64 with
 * OpenSSL's EVP block coder). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

/* Decodes standard base64 (with padding; whitespace is not allowed, as in
 * the API server's JSON). Returns a new NUL-terminated string or NULL. */
static char *b64_decode(const char *in, size_t n, size_t *len, int *bad)
{
	unsigned char *out;
	int got;
	size_t pad = 0;

	*bad = 0;
	if (n % 4 != 0 || n > (size_t)1 << 30) {
		*bad = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') || c == '+' || c == '/' ||
			 (c == '=' && i >= n - 2 && (i == n - 1 || in[n - 1] == '='));
		if (!ok) {
			*bad = 1;
			return NULL;
		}
	}
	if (n && in[n - 1] == '=')
		pad = (n >= 2 && in[n - 2] == '=') ? 2 : 1;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	got = n ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) : 0;
	if (got < 0 || (size_t)got < pad) {
		free(out);
		*bad = 1;
		return NULL;
	}
	*len = (size_t)got - pad; /* EVP_DecodeBlock counts padding as zeros */
	out[*len] = '\0';
	return (char *)out;
}

int br_am_secret_value(const json_t *secret, const char *key, char **out,
		       size_t *len, struct br_error *err)
{
	const json_t *v = json_object_get(json_object_get(secret, "stringData"), key);
	int bad = 0;

	*out = NULL;
	*len = 0;
	if (v) {
		if (!json_is_string(v))
			return br_error_set_at(err, BR_EPARSE, "stringData", 0, 0,
					       "%s must be a string", key);
		*len = json_string_length(v);
		*out = malloc(*len + 1);
		if (!*out)
			return br_error_set(err, BR_ENOMEM, "out of memory");
		memcpy(*out, json_string_value(v), *len + 1);
		return 0;
	}
	v = json_object_get(json_object_get(secret, "data"), key);
	if (!v)
		return BR_ENOTFOUND;
	if (json_is_string(v))
		*out = b64_decode(json_string_value(v), json_string_length(v), len, &bad);
	if (!json_is_string(v) || bad)
		return br_error_set_at(err, BR_EPARSE, "data", 0, 0,
				       "%s is not base64", key);
	return *out ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
}

json_t *br_am_target_secret(const char *namespace, const char *name,
			    const char *config, size_t len)
{
	unsigned char *enc;
	json_t *s;

	if (len > (size_t)1 << 30)
		return NULL;
	enc = malloc(4 * ((len + 2) / 3) + 1);
	if (!enc)
		return NULL;
	EVP_EncodeBlock(enc, (const unsigned char *)config, (int)len);
	s = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:{s:s}}",
		      "apiVersion", "v1", "kind", "Secret",
		      "metadata", "name", name, "namespace", namespace,
		      "labels", "app.kubernetes.io/managed-by", "burnrate",
		      "type", "Opaque",
		      "data", BR_AM_CONFIG_KEY, (const char *)enc);
	free(enc);
	return s;
}
