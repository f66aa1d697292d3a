/* promdata matrix: the JSON answer of /api/v1/query_range into series of
 * points, or a clear error. As for instant answers, every field is checked
 * before use: the body is whatever the server sent. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "promdata/internal.h"

void br_prom_matrix_init(struct br_prom_matrix *m)
{
	m->series = NULL;
	m->count = 0;
}

void br_prom_matrix_release(struct br_prom_matrix *m)
{
	for (size_t i = 0; i < m->count; i++) {
		br__promdata_labels_free(m->series[i].labels, m->series[i].nlabels);
		free(m->series[i].points);
	}
	free(m->series);
	br_prom_matrix_init(m);
}

static int parse_point(const json_t *pair, size_t idx, size_t j,
		       struct br_prom_point *p, struct br_error *err)
{
	const json_t *t = json_array_get(pair, 0), *text = json_array_get(pair, 1);

	if (!json_is_array(pair) || json_array_size(pair) != 2)
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].values[%zu]: not a [time, \"value\"] pair",
				    idx, j);
	if (!json_is_number(t))
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].values[%zu][0]: time is not a number",
				    idx, j);
	if (!json_is_string(text))
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].values[%zu][1]: not a string", idx, j);
	if (br__promdata_parse_value(json_string_value(text), &p->v) != 0)
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].values[%zu][1]: \"%.60s\" is not a number",
				    idx, j, json_string_value(text));
	p->t = json_number_value(t);
	return 0;
}

static int parse_series(const json_t *item, size_t idx, struct br_prom_series *s,
			struct br_error *err)
{
	const json_t *values = json_object_get(item, "values");
	size_t n;
	int rc;

	rc = br__promdata_parse_labels(item, idx, &s->labels, &s->nlabels, err);
	if (rc != 0)
		return rc;
	if (!json_is_array(values))
		return br_error_set(err, BR_EPARSE,
				    "data.result[%zu].values: missing or not an array", idx);
	n = json_array_size(values);
	s->points = calloc(n ? n : 1, sizeof(*s->points));
	if (!s->points)
		return br_error_set(err, BR_ENOMEM, "out of memory");
	for (size_t j = 0; j < n; j++) {
		rc = parse_point(json_array_get(values, j), idx, j, &s->points[j], err);
		if (rc != 0)
			return rc;
		s->count++;
	}
	return 0;
}

static int parse_data(json_t *data, struct br_prom_matrix *out, struct br_error *err)
{
	json_t *result;
	void *items;
	size_t n;
	int rc = br__promdata_result(data, "matrix", sizeof(*out->series), &result, &items, err);

	if (rc != 0)
		return rc;
	out->series = items;
	out->count = n = json_array_size(result); /* zeroed: release frees what was made so far */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = parse_series(json_array_get(result, i), i, &out->series[i], err);
	return rc;
}

int br_prom_parse_matrix(const char *body, size_t len, long http_status,
			 struct br_prom_matrix *out, struct br_error *err)
{
	json_t *doc;
	int rc;

	br_prom_matrix_init(out);
	rc = br__promdata_answer_doc(body, len, http_status, &doc, err);
	if (rc != 0)
		return rc;
	rc = parse_data(json_object_get(doc, "data"), out, err);
	json_decref(doc);
	if (rc != 0)
		br_prom_matrix_release(out);
	return rc;
}
