/* explain_offpeak: spec.alerting.offPeak in words: the hours in local time
 * and in UTC (the rules compare UTC hours), the rows muted then, and what
 * still pages at night, with how fast a full outage does. */
#include <stdio.h>

#include "cli.h"
#include "explain.h"

/* Minutes of the day as HH:MM. */
static char *hhmm(long long minutes, char *out, size_t size)
{
	snprintf(out, size, "%02lld:%02lld", minutes / 60 % 24, minutes % 60);
	return out;
}

/* An offset from UTC as +HH:MM or -HH:MM. */
static char *offset(int minutes, char *out, size_t size)
{
	int a = minutes < 0 ? -minutes : minutes;

	snprintf(out, size, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
	return out;
}

int explain_off_peak_hour(const struct br_off_peak *op, int h)
{
	int m = h * 60;

	if (op->from_min < op->to_min)
		return m >= op->from_min && m < op->to_min;
	return m >= op->from_min || m < op->to_min; /* crosses midnight */
}

static void row_name(const struct br_alert_window *row, char *out, size_t size)
{
	char f[32], lw[32], sw[32];

	snprintf(out, size, "%s %sx over %s/%s", explain_sev(row->severity),
		 cli_number(row->burn_rate, f, sizeof(f)),
		 br_duration_format(row->long_s, lw, sizeof(lw)),
		 br_duration_format(row->short_s, sw, sizeof(sw)));
}

static void print_muted(const struct br_slo *slo)
{
	char name[128];
	int any = 0;

	printf("  muted then:    ");
	for (size_t i = 0; i < slo->window_count; i++) {
		if (!slo->windows[i].off_peak_muted)
			continue;
		row_name(&slo->windows[i], name, sizeof(name));
		printf("%s%s", any++ ? ", " : "", name);
	}
	printf("%s\n", any ? "" : "no row");
}

/* Which page rows still fire at night, and the fastest of them. */
static void print_night(const struct br_slo *slo)
{
	const struct br_alert_window *fast = NULL;
	double eb = br_slo_error_budget(slo);
	char name[128], d[32], p[32], lw[32], f[32];
	int live = 0;

	if (slo->page.disabled) {
		printf("  at night:      page alerts are disabled: nothing pages at any hour\n");
		return;
	}
	for (size_t i = 0; i < slo->window_count; i++) {
		const struct br_alert_window *r = &slo->windows[i];
		double fire = (double)r->long_s * r->burn_rate * eb;

		if (r->severity != BR_SEVERITY_PAGE || r->off_peak_muted)
			continue;
		live++;
		if (!fast || fire < (double)fast->long_s * fast->burn_rate * eb)
			fast = r;
	}
	if (!fast) {
		printf("  at night:      every page row is muted: an outage at night never pages\n"
		       "                 (ticket rows that are not muted still open tickets)\n");
		return;
	}
	row_name(fast, name, sizeof(name));
	explain_dur((double)fast->long_s * fast->burn_rate * eb, d, sizeof(d));
	if (live == 1)
		printf("  at night:      only %s still pages: a full outage pages after %s\n", name,
		       d);
	else
		printf("  at night:      %d page rows still page; the fastest, %s, pages\n"
		       "                 after %s on a full outage\n", live, name, d);
	printf("                 (%s x %s x %s: long window x burn rate x error budget)\n",
	       br_duration_format(fast->long_s, lw, sizeof(lw)),
	       cli_number(fast->burn_rate, f, sizeof(f)),
	       explain_pct(eb, p, sizeof(p)));
}

void explain_off_peak(const struct br_slo *slo)
{
	const struct br_off_peak *op = &slo->off_peak;
	char a[16], b[16], c[16], d[16], o[16];
	long long from_s, to_s;

	if (!op->enabled)
		return;
	br_off_peak_utc(op, &from_s, &to_s);
	printf("\n  off-peak:      %s-%s local (UTC%s), %s-%s UTC\n",
	       hhmm(op->from_min, a, sizeof(a)),
	       hhmm(op->to_min, b, sizeof(b)), offset(op->utc_offset_min, o, sizeof(o)),
	       hhmm(from_s / 60, c, sizeof(c)), hhmm(to_s / 60, d, sizeof(d)));
	print_muted(slo);
	print_night(slo);
}
