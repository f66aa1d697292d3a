/* history: what `burnrate backtest` and `burnrate report` share: the
 * Prometheus client of their flags, the rules' own record expressions, and
 * an SLO's history read with bounded, chunked range queries.
 *
 * Internal to cmd/burnrate. Functions that fail print one line naming the
 * command, the SLO and the problem on stderr, then return -1.
 */
#ifndef BR_CMD_HISTORY_H
#define BR_CMD_HISTORY_H

#include <getopt.h>

#include <jansson.h>

#include "backtest/backtest.h"
#include "buf/buf.h"
#include "prom/prom.h"
#include "slo/slo.h"

/* The options of a command that reads history. */
struct history_opts {
	const char *cmd;        /* "backtest", for messages */
	const char *file;       /* -f */
	int json;               /* --json */
	const char *url;
	double from, to;        /* Unix seconds */
	double step;
	long timeout_ms;
};

/* The flags both commands take, for their getopt_long tables (the
 * command's own flags follow, from HISTORY_OPT_NEXT on). */
enum {
	HISTORY_OPT_URL = 256, HISTORY_OPT_FROM, HISTORY_OPT_TO, HISTORY_OPT_STEP,
	HISTORY_OPT_TIMEOUT, HISTORY_OPT_JSON,
	HISTORY_OPT_NEXT
};
#define HISTORY_LONGOPTS                                                    \
	{ "filename", required_argument, NULL, 'f' },                       \
	{ "prometheus-url", required_argument, NULL, HISTORY_OPT_URL },     \
	{ "from", required_argument, NULL, HISTORY_OPT_FROM },              \
	{ "to", required_argument, NULL, HISTORY_OPT_TO },                  \
	{ "step", required_argument, NULL, HISTORY_OPT_STEP },              \
	{ "timeout", required_argument, NULL, HISTORY_OPT_TIMEOUT },        \
	{ "json", no_argument, NULL, HISTORY_OPT_JSON },                    \
	{ "help", no_argument, NULL, 'h' }

/* What the shared flags said that history_opts does not hold. */
struct history_flags {
	const char *file;        /* -f */
	const char *from, *to;   /* as given, or the command's defaults */
	double timeout;          /* seconds; 30 unless given */
	int json;
};

/* Sets the defaults: o->step 60 s, f->timeout 30 s, f->to "now" (from is
 * the command's: set it after). */
void history_flags_init(struct history_opts *o, struct history_flags *f);

/* Takes flag ch of getopt_long (its argument arg) when it is one of
 * HISTORY_LONGOPTS. Returns -1 when it took it (read on), or the exit code
 * to stop with: CLI_OK after printing usage on stdout for --help,
 * CLI_USAGE after printing usage on stderr for a flag it does not know, or
 * why a --step or --timeout is not a positive duration. */
int history_flag(struct history_opts *o, struct history_flags *f, int ch, const char *arg,
		 const char *usage);

/* After the flags: operands left over, no -f or no --prometheus-url are
 * CLI_USAGE after printing why and usage; otherwise sets o->file, o->json
 * and o->timeout_ms and returns 0. */
int history_flags_check(struct history_opts *o, const struct history_flags *f, int argc,
			const char *usage);

/* Loads the file path (given as flag, for messages) into set, which must then
 * hold exactly one SLO. Returns 0, or CLI_INVALID after saying why. */
struct cli_set;
int history_load_one(const struct history_opts *o, const char *path, const char *flag,
		     struct cli_set *set);

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
