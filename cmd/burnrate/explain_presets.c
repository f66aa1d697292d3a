/* explain_presets: the presets of spec.alerting.preset as explain shows them:
 * one line in each SLO's header, and `burnrate explain --presets`. The data
 * is br_slo_presets()'s; "NAME: SUMMARY" is also what the CRD's description
 * repeats (tests/cli/crd.test.sh compares the two). */
#include <stdio.h>

#include "cli.h"
#include "explain.h"

/* Whether the SLO's table is its preset's (not spec.alerting.windows). */
static int uses_preset(const struct br_slo *slo)
{
	struct br_alert_window rows[BR_SLO_PRESET_MAX_ROWS];
	const struct br_slo_preset *p = slo->preset;

	if (slo->window_count != p->count)
		return 0;
	br_slo_preset_windows(p, slo->window_s, rows);
	for (size_t i = 0; i < p->count; i++) {
		const struct br_alert_window *a = &rows[i], *b = &slo->windows[i];

		if (a->severity != b->severity || a->long_s != b->long_s ||
		    a->short_s != b->short_s || a->burn_rate != b->burn_rate)
			return 0;
	}
	return 1;
}

void explain_preset_line(const struct br_slo *slo)
{
	char first[64];

	if (uses_preset(slo)) {
		snprintf(first, sizeof(first), "  preset:        %s:", slo->preset->name);
		explain_wrap(first, slo->preset->summary, "                 ");
	} else
		printf("  preset:        none: spec.alerting.windows gives the table\n");
}

static void print_preset(const struct br_slo_preset *p)
{
	char f[32], lw[32], sw[32], b[32], first[64];

	snprintf(first, sizeof(first), "%s:", p->name);
	explain_wrap(first, p->summary, "    ");
	printf("  pages by default: %s\n", p->pages_by_default ? "yes"
	       : "no (page alerts only when spec.alerting.page is given)");
	printf("  %-8s %9s %6s %6s %14s\n", "severity", "burn rate", "long", "short",
	       "budget spent");
	for (size_t i = 0; i < p->count; i++) {
		const struct br_alert_window *r = &p->rows[i];

		snprintf(f, sizeof(f), "%sx", cli_number(r->burn_rate, lw, sizeof(lw)));
		snprintf(b, sizeof(b), "%s%%", cli_number(r->budget_percent, sw, sizeof(sw)));
		printf("  %-8s %9s %6s %6s %14s\n", explain_sev(r->severity), f,
		       br_duration_format(r->long_s, lw, sizeof(lw)),
		       br_duration_format(r->short_s, sw, sizeof(sw)), b);
	}
}

void explain_presets(void)
{
	size_t n;
	const struct br_slo_preset *p = br_slo_presets(&n);

	printf("Presets of spec.alerting.preset (rows at a 30d window; they scale with\n"
	       "spec.window as the workbook's do). The first is the default.\n");
	for (size_t i = 0; i < n; i++) {
		printf("\n");
		print_preset(&p[i]);
	}
}
