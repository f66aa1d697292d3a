/* backtest_out: how `burnrate backtest` prints a result: text, JSON, SVG.
 * Internal to cmd/burnrate. b and rb are the --compare SLO and its result,
 * NULL without one. */
#ifndef BR_CMD_BACKTEST_OUT_H
#define BR_CMD_BACKTEST_OUT_H

#include "backtest/backtest.h"
#include "slo/slo.h"

/* Every interval, the budget and the totals; with b, its own then a line
 * comparing the totals. Can't fail. */
void bt_print_text(const struct br_slo *a, const struct br_backtest_result *ra,
		   const struct br_slo *b, const struct br_backtest_result *rb);

/* One JSON document on stdout: {"slo": ..., "compare": ...}. Returns the
 * exit code (1 when out of memory, said). */
int bt_print_json(const struct br_slo *a, const struct br_backtest_result *ra,
		  const struct br_slo *b, const struct br_backtest_result *rb);

/* The budget burn-down of r as an SVG file at path, firing intervals as
 * bands (pages red, tickets amber). Returns 0, or -1 after saying why. */
int bt_write_svg(const char *path, const struct br_slo *slo, const struct br_backtest_result *r);

#endif
