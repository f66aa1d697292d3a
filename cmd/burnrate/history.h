/* history: what `burnrate backtest` and `burnrate report` share: the
 * Prometheus client of their flags, the rules' own record expressions, and
 * an SLO's history read with bounded, chunked range queries.
 *
 * Internal to cmd/burnrate. Functions that fail print one line naming the
 * command, the SLO and the problem on stderr, then return -1.
 */
#ifndef BR_CMD_HISTORY_H
#define BR_CMD_HISTORY_H

#include <jansson.h>

#include "backtest/backtest.h"
#include "buf/buf.h"
#include "prom/prom.h"
#include "slo/slo.h"

/* The options of a command that reads history. */
struct history_opts {
	const char *cmd;        /* "backtest", for messages */
	const char *url;
	double from, to;        /* Unix seconds */
	double step;
	long timeout_ms;
};

/* Prints "burnrate <cmd>: <ns>/<name>: <what>: <detail>" on stderr. */
void history_say(const struct history_opts *o, const struct br_slo *slo, const char *what,
		 const char *detail);

/* A client for o->url, or NULL after printing why. Free with
 * br_prom_client_free. */
struct br_prom_client *history_client(const struct history_opts *o);

/* The expression of record `<prefix><window>` in the SLO's rule groups, or
 * NULL. Borrowed from groups. */
const char *history_record_expr(const json_t *groups, const char *prefix, long long window_s);

/* "(<expr with [5m] as [w]>) * <w>": the events of a 5m rate expression
 * over w (for backtest, report and explain). Ranges are only replaced
 * outside string literals, so a label value that reads "[5m]" stays as it
 * is. Returns 0 or BR_ENOMEM. */
int history_over_window(const char *expr, long long w, struct br_buf *out);

/* The field whose series count the SLO's events, for messages. */
const char *history_total_field(const struct br_slo *slo);

/* Plans h for slo over [o->from, o->to] and fills every window it reads
 * from Prometheus with the rules' expressions, at most
 * BR_BACKTEST_MAX_POINTS points per query. Then checks there is data: none
 * in the range, or none in the first tenth of it (older than retention),
 * is an error. Returns 0, or -1 after saying why (h is then empty). */
int history_read(const struct history_opts *o, const struct br_slo *slo,
		 struct br_prom_client *c, struct br_backtest_history *h);

#endif
