/* promdata parse: the JSON answer of /api/v1/query into an instant vector, or a
 * clear error. Every field is checked before use: the input is whatever a
 * server (or something pretending to be one) sent. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "promdata/internal.h"

void br_prom_vector_init(struct br_prom_vector *v)
{
	v->samples = NULL;
	v->count = 0;
}

static void sample_release(struct br_prom_sample *s)
{
	br__promdata_labels_free(s->labels, s->nlabels);
	free(s->text);
}

void br_prom_vector_release(struct br_prom_vector *v)
{
	for (size_t i = 0; i < v->count; i++)
		sample_release(&v->samples[i]);
	free(v->samples);
	br_prom_vector_init(v);
}

const char *br_prom_sample_label(const struct br_prom_sample *s,
				 const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

/* The first bytes of body, printable, for a message about a body that is not
 * what it should be (an HTML error page from a proxy, say). */
static void snippet(const char *body, size_t len, char out[81])
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < 80; i++) {
		unsigned char ch = (unsigned char)body[i];
		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	out[n] = '\0';
}

/* A Prometheus value string: a Go float (strconv 'f' -1), or NaN, +Inf,
 * -Inf. strtod reads all of those; anything left over is refused. */
int br__promdata_parse_value(const char *text, double *out)
{
	char *end;

	if (!*text || *text == ' ' || *text == '\t' || *text == '\n')
		return -1;
	errno = 0;
	*out = strtod(text, &end);
	if (*end || (errno == ERANGE && isfinite(*out) && *out != 0))
		return -1; /* overflow is fine (it is +-Inf); garbage is not */
	return 0;
}

int br__promdata_parse_labels(const json_t *item, size_t idx,
			      struct br_prom_label **labels, size_t *nlabels,
			      struct br_error *err)
{
	const json_t *metric = json_object_get(item, "metric");
	const char *k;
	json_t *v;

	if (!json_is_object(item))
		return br_error_set(err, BR_EPARSE, "data.result[%zu]: not an object", idx);
	if (!json_is_object(metric))
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].metric: not an object", idx);
	*labels = calloc(json_object_size(metric) + 1, sizeof(**labels));
	if (!*labels)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	json_object_foreach((json_t *)metric, k, v) {
		struct br_prom_label *l = &(*labels)[*nlabels];

		if (!json_is_string(v))
			return br_error_set(err, BR_EPARSE,
					    "data.result[%zu].metric.%.100s: not a string",
					    idx, k);
		l->name = strdup(k);
		l->value = strdup(json_string_value(v));
		(*nlabels)++;
		if (!l->name || !l->value)
			return br_error_set(err, BR_ENOMEM, "out of memory");
	}
	return 0;
}

void br__promdata_labels_free(struct br_prom_label *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(labels[i].name);
		free(labels[i].value);
	}
	free(labels);
}

static int parse_sample(const json_t *item, size_t idx,
			struct br_prom_sample *s, struct br_error *err)
{
	const json_t *value = json_object_get(item, "value");
	const json_t *t, *text;
	int rc;

	rc = br__promdata_parse_labels(item, idx, &s->labels, &s->nlabels, err);
	if (rc != 0)
		return rc;
	if (!json_is_array(value) || json_array_size(value) != 2)
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].value: not a [time, \"value\"] pair", idx);
	t = json_array_get(value, 0);
	text = json_array_get(value, 1);
	if (!json_is_number(t))
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].value[0]: time is not a number", idx);
	s->timestamp = json_number_value(t);
	if (!json_is_string(text))
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].value[1]: not a string", idx);
	if (br__promdata_parse_value(json_string_value(text), &s->value) != 0)
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].value[1]: \"%.60s\" is not a number",
				    idx, json_string_value(text));
	s->text = strdup(json_string_value(text));
	return s->text ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
}

/* The first bad sample of result[0..n), for the message: a parse from the
 * end stops at the last one. Returns its error code (err set), or 0. */
static int first_error(const json_t *result, size_t n, struct br_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct br_prom_sample s;
		int rc;

		memset(&s, 0, sizeof(s));
		rc = parse_sample(json_array_get(result, i), i, &s, err);
		sample_release(&s);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int br__promdata_result(json_t *data, const char *type, size_t size, json_t **result, void **items,
			struct br_error *err)
{
	const json_t *t = json_object_get(data, "resultType");
	size_t n;

	*items = NULL;
	*result = json_object_get(data, "result");
	if (!json_is_object(data))
		return br_error_set(err, BR_EPARSE, "answer has no \"data\" object");
	if (!json_is_string(t))
		return br_error_set(err, BR_EPARSE, "data.resultType: missing or not a string");
	if (strcmp(json_string_value(t), type) != 0)
		return br_error_set(err, BR_EPARSE, "data.resultType is \"%.40s\", want %s",
				    json_string_value(t), type);
	if (!json_is_array(*result))
		return br_error_set(err, BR_EPARSE, "data.result: missing or not an array");
	n = json_array_size(*result);
	*items = calloc(n ? n : 1, size);
	return *items ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
}

/* Converts result from its last item to its first, dropping each item from
 * the tree once converted: the tree and the vector (each several bytes per
 * byte of answer) are never both whole in memory. */
static int parse_result(json_t *data, struct br_prom_vector *out,
			struct br_error *err)
{
	json_t *result;
	void *items;
	size_t n;
	int rc = br__promdata_result(data, "vector", sizeof(*out->samples), &result, &items, err);

	if (rc != 0)
		return rc;
	out->samples = items;
	out->count = n = json_array_size(result); /* zeroed: release frees those made so far */
	for (size_t i = n; i-- > 0;) {
		struct br_error last;

		br_error_init(&last);
		rc = parse_sample(json_array_get(result, i), i, &out->samples[i], &last);
		if (rc == BR_EPARSE) {
			int first = first_error(result, i, err);

			return first ? first : br_error_set(err, rc, "%s", last.text);
		}
		if (rc != 0)
			return br_error_set(err, rc, "%s", last.text);
		json_array_remove(result, i); /* the last item: nothing moves */
	}
	return 0;
}

/* {"status":"error","errorType":...,"error":...}: the code from the type. */
static int error_answer(const json_t *doc, long http_status,
			struct br_error *err)
{
	const char *type = json_string_value(json_object_get(doc, "errorType"));
	const char *text = json_string_value(json_object_get(doc, "error"));
	int code = BR_EHTTP;

	if (http_status == 401 || http_status == 403)
		code = BR_EAUTH;
	else if (type && strcmp(type, "bad_data") == 0)
		code = BR_EINVAL;
	else if (type && (strcmp(type, "timeout") == 0 || strcmp(type, "canceled") == 0))
		code = BR_ETIMEOUT;
	return br_error_set(err, code, "Prometheus error (HTTP %ld, %.40s): %.400s",
			    http_status, type ? type : "no errorType",
			    text ? text : "no error message");
}

/* A body that is not a Prometheus answer: the HTTP status says most. text
 * is the start of the body (snippet). */
static int not_an_answer(const char *text, long http_status, const char *what,
			 struct br_error *err)
{
	if (http_status == 401 || http_status == 403)
		return br_error_set(err, BR_EAUTH, "HTTP %ld: %s", http_status, text);
	if (http_status && (http_status < 200 || http_status > 299))
		return br_error_set(err, BR_EHTTP, "HTTP %ld: %s", http_status, text);
	return br_error_set(err, BR_EPARSE, "%s (HTTP %ld): \"%s\"", what, http_status, text);
}

/* Whether doc is a success answer; otherwise the error it stands for. */
static int check_doc(const json_t *doc, const char *text, long http_status,
		     struct br_error *err)
{
	const char *status = json_string_value(json_object_get(doc, "status"));

	if (!json_is_object(doc) || !status)
		return not_an_answer(text, http_status, "answer has no \"status\"", err);
	if (strcmp(status, "error") == 0)
		return error_answer(doc, http_status, err);
	if (strcmp(status, "success") != 0)
		return br_error_set(err, BR_EPARSE, "status is \"%.40s\", want success or error",
				    status);
	if (http_status && (http_status < 200 || http_status > 299))
		return not_an_answer(text, http_status, "success with an error status", err);
	return 0;
}

int br__promdata_answer_doc(const char *body, size_t len, long http_status, json_t **out,
			    struct br_error *err)
{
	json_error_t jerr;
	json_t *doc;
	char text[81];
	int rc;

	*out = NULL;
	snippet(body, len, text);
	if (len == 0)
		return not_an_answer(text, http_status, "empty answer", err);
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson states every syntax error; a failed allocation it either
	 * calls out of memory or leaves without a word */
	if (!doc && (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0]))
		return br_error_set(err, BR_ENOMEM, "out of memory");
	if (!doc)
		return not_an_answer(text, http_status, "answer is not JSON", err);
	rc = check_doc(doc, text, http_status, err);
	if (rc != 0)
		json_decref(doc);
	else
		*out = doc;
	return rc;
}

/* The success answer doc (we own it; freed here) into out. */
static int parse_doc(json_t *doc, struct br_prom_vector *out, struct br_error *err)
{
	int rc = parse_result(json_object_get(doc, "data"), out, err);

	json_decref(doc);
	if (rc != 0)
		br_prom_vector_release(out);
	return rc;
}

/* Whether an answer of that HTTP status may be a success. */
static int ok_status(long http_status)
{
	return http_status == 0 || (http_status >= 200 && http_status <= 299);
}

int br_prom_parse_vector(const char *body, size_t len, long http_status,
			 struct br_prom_vector *out, struct br_error *err)
{
	json_t *doc;
	int rc;

	br_prom_vector_init(out); /* empty on every failure path below */
	if (ok_status(http_status) && br__promdata_scan_vector(body, len, out) == 0)
		return 0;
	rc = br__promdata_answer_doc(body, len, http_status, &doc, err);
	return rc ? rc : parse_doc(doc, out, err);
}

int br_prom_parse_vector_body(struct br_buf *body, long http_status,
			      struct br_prom_vector *out, struct br_error *err)
{
	json_t *doc;
	int rc;

	br_prom_vector_init(out);
	if (ok_status(http_status) &&
	    br__promdata_scan_vector(br_buf_str(body), body->len, out) == 0) {
		br_buf_release(body);
		return 0;
	}
	rc = br__promdata_answer_doc(br_buf_str(body), body->len, http_status, &doc, err);
	br_buf_release(body); /* before the tree is converted: never all three at once */
	return rc ? rc : parse_doc(doc, out, err);
}
