/* explain_corrections: the BudgetCorrections that select an SLO, in
 * words: why, when (each window, and the current or next occurrence), and
 * what that does to its alerts and budget. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "explain.h"

/* "now, until 2026-12-06T01:00:00Z", "next 2026-12-05T22:00:00Z to ...",
 * "over (ended 2026-12-01T04:00:00Z)". */
static void print_when(const struct br_correction *c, long long now)
{
	char a[32], b[32];
	long long s = 0, e = 0;
	int best = br_correction_window(c, now, &s, &e);

	br_time_format(s, a, sizeof(a));
	br_time_format(e, b, sizeof(b));
	if (best == 1)
		printf("    open now, until %s\n", b);
	else if (best == 0)
		printf("    next: %s to %s\n", a, b);
	else
		printf("    over: the last window ended %s\n", b);
}

/* One span: "2026-12-01T02:00:00Z to 2026-12-01T04:00:00Z", or "every Sat
 * 22:00 UTC for 3h" (recurring spans are kept in UTC). */
static void print_span(const struct br_exclusion *e)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	char a[32], b[32];
	long long at = e->phase % 86400;

	if (e->kind == BR_EXCLUSION_ONCE) {
		printf("    %s to %s\n", br_time_format(e->start, a, sizeof(a)),
		       br_time_format(e->end, b, sizeof(b)));
		return;
	}
	printf("    every %s%s %02lld:%02lld UTC for %s\n", e->period == 86400 ? "day" : "",
	       e->period == 86400 ? "" : days[e->phase / 86400 % 7], at / 3600, at / 60 % 60,
	       br_duration_format(e->duration, a, sizeof(a)));
}

void explain_corrections(const struct cli_set *set, size_t index)
{
	const struct cli_slo *item = &set->items[index];
	long long now = (long long)time(NULL);
	int any = 0;

	for (size_t k = 0; k < set->ncorrections; k++) {
		const struct br_correction *c = &set->corrections[k].c;
		if (strcmp(c->namespace, item->slo.namespace) != 0 ||
		    !br_correction_matches(c, item->labels))
			continue;
		if (!any)
			printf("\nBudget corrections (events left out of every alert window "
			       "and of the budget, as if there were no traffic;\nalso the 5 "
			       "minutes after each window, whose 5m rates still hold its "
			       "events):\n");
		any = 1;
		printf("  %s: %s (%s)\n", c->name, c->reason, c->summary);
		for (size_t i = 0; i < c->span_count; i++)
			print_span(&c->spans[i]);
		print_when(c, now);
	}
}
