/* kube status: HTTP status and Kubernetes Status bodies to BR_E* codes, and
 * resource paths. */
#include "kube/kube.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "buf/buf.h"

int br_kube_code_for_http(long http_status)
{
	if (http_status >= 100 && http_status < 400)
		return 0;
	switch (http_status) {
	case 401:
	case 403:
		return BR_EAUTH;
	case 404:
		return BR_ENOTFOUND;
	case 409:
		return BR_ECONFLICT;
	case 410:
		return BR_EGONE;
	case 429:
		return BR_ETHROTTLED;
	default:
		return BR_EHTTP;
	}
}

static void copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The reason Kubernetes gives a status that came without a Status body. */
static const char *default_reason(long s)
{
	switch (s) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	default: return "";
	}
}

int br_kube_status_decode(long http_status, const char *body, size_t len,
			  struct br_kube_status *st)
{
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *reason = NULL, *message = NULL;
	json_t *code = NULL;

	memset(st, 0, sizeof(*st));
	st->code = http_status;
	if (json_is_object(root)) {
		reason = json_string_value(json_object_get(root, "reason"));
		message = json_string_value(json_object_get(root, "message"));
		code = json_object_get(root, "code");
	}
	if (json_is_integer(code) && json_integer_value(code) >= 100 &&
	    json_integer_value(code) < 600)
		st->code = (long)json_integer_value(code);
	reason = reason ? reason : default_reason(st->code);
	copy_field(st->reason, sizeof(st->reason), reason, strlen(reason));
	if (message) {
		copy_field(st->message, sizeof(st->message), message, strlen(message));
	} else if (body && !json_is_object(root)) {
		/* Not a Status: keep the start of the text, up to the first
		 * NUL or newline, so that the error still says something. */
		size_t n = 0;
		while (n < len && body[n] && body[n] != '\n')
			n++;
		copy_field(st->message, sizeof(st->message), body, n);
	}
	json_decref(root);
	return br_kube_code_for_http(st->code);
}

static int add_escaped(struct br_buf *out, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	int rc;

	if (!e)
		return BR_ENOMEM;
	rc = br_buf_adds(out, e);
	curl_free(e);
	return rc;
}

int br_kube_path(const char *group, const char *version, const char *namespace,
		 const char *plural, const char *name, const char *subresource,
		 struct br_buf *out)
{
	int rc;

	if (!version || !version[0] || !plural || !plural[0] ||
	    (subresource && subresource[0] && (!name || !name[0])))
		return BR_EINVAL;
	if (group && group[0])
		rc = br_buf_addf(out, "/apis/%s/%s", group, version);
	else
		rc = br_buf_addf(out, "/api/%s", version);
	if (rc == 0 && namespace && namespace[0]) {
		rc = br_buf_adds(out, "/namespaces/");
		if (rc == 0)
			rc = add_escaped(out, namespace);
	}
	if (rc == 0)
		rc = br_buf_addc(out, '/');
	if (rc == 0)
		rc = add_escaped(out, plural);
	if (rc == 0 && name && name[0]) {
		rc = br_buf_addc(out, '/');
		if (rc == 0)
			rc = add_escaped(out, name);
	}
	if (rc == 0 && subresource && subresource[0]) {
		rc = br_buf_addc(out, '/');
		if (rc == 0)
			rc = add_escaped(out, subresource);
	}
	return rc;
}
