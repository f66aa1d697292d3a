/* promdata internal: what the parsers share, not part of the API. */
#ifndef BR_PROMDATA_INTERNAL_H
#define BR_PROMDATA_INTERNAL_H

#include <jansson.h>

#include "promdata/promdata.h"

/* The answer in its plain shape (Prometheus's own: keys in its order,
 * strings in printable ASCII without escapes) into out, without a tree.
 * Returns 0 (you own out), or 1 when body is anything else, valid or not
 * (out empty): the tree parser must decide. */
int br__promdata_scan_vector(const char *body, size_t len, struct br_prom_vector *out);

/* A Prometheus value string into *out. Returns 0, or -1 when it is not a
 * number (NaN, +Inf and -Inf are). */
int br__promdata_parse_value(const char *text, double *out);

/* Loads body as a Prometheus answer and checks it is a success that came
 * with a 2xx status (or none). Returns 0 and *out (you own it: json_decref),
 * or the error code of br_prom_parse_vector with err set (*out NULL). */
int br__promdata_answer_doc(const char *body, size_t len, long http_status, json_t **out,
			    struct br_error *err);

/* Checks that data (the answer's "data") is an object with resultType type
 * and an array "result"; sets *result (borrowed from data) and *items, a
 * new zeroed array of one element of size bytes per item of the result
 * (at least one element; free it, or hand it to the vector or matrix whose
 * release frees it). Returns 0, BR_EPARSE with err saying what is wrong,
 * or BR_ENOMEM. */
int br__promdata_result(json_t *data, const char *type, size_t size, json_t **result, void **items,
			struct br_error *err);

/* Checks that item, data.result[idx], is an object and reads the labels of
 * its "metric" into a new array (*labels, *nlabels; free with
 * br__promdata_labels_free, also after a failure, which leaves what was read so
 * far). Returns 0, BR_EPARSE or BR_ENOMEM. */
int br__promdata_parse_labels(const json_t *item, size_t idx,
			      struct br_prom_label **labels, size_t *nlabels,
			      struct br_error *err);
/* Frees the n labels' names and values and the array itself. NULL is fine. */
void br__promdata_labels_free(struct br_prom_label *labels, size_t n);

#endif
