/* fuzz_promdata_parse: feeds the input to the /api/v1/query answer parser with
 * an HTTP status taken from the first byte, and checks what a success must
 * hold: every sample has a value text that parses to its value, and labels
 * with names and values. Any other answer must come with a message. The same
 * input then goes to the /api/v1/query_range (matrix) parser, with the same
 * checks on failure and labels. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promdata/promdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = {200, 0, 400, 401, 422, 500, 503, 204};

/* The matrix parser on the same input: a failure leaves it empty with a
 * message; a success has labels with names and values. */
static void fuzz_matrix(const char *body, size_t len, long status)
{
	struct br_prom_matrix m;
	struct br_error err;

	br_error_init(&err);
	int rc = br_prom_parse_matrix(body, len, status, &m, &err);
	if (rc != 0) {
		if (m.count != 0 || m.series || !err.text[0] || err.code != rc)
			abort();
		return;
	}
	for (size_t i = 0; i < m.count; i++) {
		const struct br_prom_series *s = &m.series[i];

		if (s->count && !s->points)
			abort();
		for (size_t l = 0; l < s->nlabels; l++)
			if (!s->labels[l].name || !s->labels[l].value)
				abort();
	}
	br_prom_matrix_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_prom_vector v;
	struct br_error err;

	if (size < 1)
		return 0;
	br_error_init(&err);
	fuzz_matrix((const char *)data + 1, size - 1, statuses[data[0] % 8]);
	int rc = br_prom_parse_vector((const char *)data + 1, size - 1,
				      statuses[data[0] % 8], &v, &err);
	if (rc != 0) {
		if (v.count != 0 || v.samples || !err.text[0] || err.code != rc)
			abort();
		return 0;
	}
	for (size_t i = 0; i < v.count; i++) {
		const struct br_prom_sample *s = &v.samples[i];
		double again = strtod(s->text, NULL);

		if (!(again == s->value || (isnan(again) && isnan(s->value))))
			abort();
		for (size_t l = 0; l < s->nlabels; l++)
			if (!s->labels[l].name || !s->labels[l].value ||
			    br_prom_sample_label(s, s->labels[l].name) == NULL)
				abort();
	}
	br_prom_vector_release(&v);
	return 0;
}
