/* fuzz_backtest_input: the outside input backtest reads. The whole input, as a
 * string, goes to the --from/--to time parser: a success is a finite time,
 * a failure names the flag and says why. Then the input, as a range answer,
 * is parsed and copied onto a small grid of 1m points: a failure says why,
 * a success writes only inside the grid (ASan watches the array). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/backtest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-01-01T00:00:00Z */
#define T0 1767225600.0

static void fuzz_time(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct br_error err;
	double t = NAN;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	br_error_init(&err);
	if (br_backtest_parse_time(text, T0, "--from", &t, &err) == 0) {
		if (!isfinite(t))
			abort();
	} else if (err.code != BR_EINVAL || strcmp(err.field, "--from") != 0 || !err.text[0]) {
		abort();
	}
	free(text);
}

static void fuzz_fill(const uint8_t *data, size_t size)
{
	struct br_backtest_history h = { .start = T0, .step = 60, .count = 16 };
	struct br_prom_matrix m;
	struct br_error err;
	double *values = malloc(h.count * sizeof(*values));

	if (!values)
		return;
	br_error_init(&err);
	if (br_prom_parse_matrix((const char *)data, size, 200, &m, &err) == 0) {
		br_error_init(&err);
		if (br_backtest_history_fill(&h, &m, "the events", values, &err) != 0 &&
		    (err.code != BR_EPARSE || !strstr(err.text, "the events")))
			abort();
		br_prom_matrix_release(&m);
	}
	free(values);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_time(data, size);
	fuzz_fill(data, size);
	return 0;
}
