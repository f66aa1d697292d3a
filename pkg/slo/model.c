/* model: the life cycle of struct br_slo and the default alert table. */
#include "slo/slo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "slo/internal.h"

double br_slo_error_budget(const struct br_slo *slo)
{
	return 1.0 - slo->objective / 100.0;
}

void br_slo_init(struct br_slo *slo)
{
	memset(slo, 0, sizeof(*slo));
}

/* Frees l's names and values; l is empty again, as br_slo_init left it. */
static void labels_release(struct br_labels *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static void route_release(struct br_route *r)
{
	free(r->receiver);
	free(r->severity);
}

void br_slo_release(struct br_slo *slo)
{
	free(slo->name);
	free(slo->namespace);
	free(slo->uid);
	free(slo->service);
	free(slo->description);
	br_selector_release(&slo->errors);
	br_selector_release(&slo->good);
	br_selector_release(&slo->total);
	br_selector_release(&slo->histogram);
	free(slo->raw_error_ratio);
	free(slo->slice_query);
	free(slo->alert_name);
	labels_release(&slo->labels);
	labels_release(&slo->annotations);
	route_release(&slo->page);
	route_release(&slo->ticket);
	free(slo->windows);
	free(slo->exclusions);
	br_slo_init(slo);
}

#define H 3600LL
#define D 86400LL

/* The presets, at 30 days. workbook is the SRE Workbook's table (DESIGN.md
 * section 3). low-traffic is for services that see hundreds of events a day
 * or fewer: over an hour they give too few events for any ratio to mean
 * something, so its rows are days long, and it pages only when asked to. */
static const struct br_slo_preset presets[] = {
	{"workbook",
	 "the SRE Workbook's table: pages at 14.4x over 1h/5m and 6x over 6h/30m, "
	 "tickets at 3x over 1d/2h and 1x over 3d/6h",
	 1, 4,
	 {{BR_SEVERITY_PAGE, 1 * H, 300, 14.4, 2, 0},
	  {BR_SEVERITY_PAGE, 6 * H, 1800, 6, 5, 0},
	  {BR_SEVERITY_TICKET, 1 * D, 2 * H, 3, 10, 0},
	  {BR_SEVERITY_TICKET, 3 * D, 6 * H, 1, 10, 0}}},
	{"low-traffic",
	 "for services with hundreds of events a day or fewer: a page row at 6x over "
	 "1d/2h (off unless spec.alerting.page is given), tickets at 3x over 3d/6h "
	 "and 1.5x over 7d/14h",
	 0, 3,
	 {{BR_SEVERITY_PAGE, 1 * D, 2 * H, 6, 20, 0},
	  {BR_SEVERITY_TICKET, 3 * D, 6 * H, 3, 30, 0},
	  {BR_SEVERITY_TICKET, 7 * D, 14 * H, 1.5, 35, 0}}},
};

#define PRESET_COUNT (sizeof(presets) / sizeof(presets[0]))

const struct br_slo_preset *br_slo_presets(size_t *count)
{
	*count = PRESET_COUNT;
	return presets;
}

const struct br_slo_preset *br_slo_preset_find(const char *name)
{
	for (size_t i = 0; i < PRESET_COUNT; i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

void br_slo_preset_windows(const struct br_slo_preset *preset, long long window_s,
			   struct br_alert_window *rows)
{
	const double month = 30 * 86400.0;

	for (size_t i = 0; i < preset->count; i++) {
		const struct br_alert_window *p = &preset->rows[i];

		rows[i] = *p;
		if (window_s == (long long)month)
			continue;
		rows[i].long_s = llround((double)p->long_s * (double)window_s / month);
		if (rows[i].long_s < 1)
			rows[i].long_s = 1;
		rows[i].short_s = llround((double)rows[i].long_s / 12.0);
		rows[i].burn_rate = br__slo_burn_rate(rows[i].budget_percent, window_s,
						      rows[i].long_s);
	}
}

void br_slo_default_windows(long long window_s, struct br_alert_window rows[4])
{
	br_slo_preset_windows(&presets[0], window_s, rows);
}

void br_off_peak_utc(const struct br_off_peak *op, long long *from_s, long long *to_s)
{
	long long off = (long long)op->utc_offset_min * 60;

	/* local = UTC + offset, so UTC = local - offset, kept in [0, 1d) */
	*from_s = (((long long)op->from_min * 60 - off) % D + D) % D;
	*to_s = (((long long)op->to_min * 60 - off) % D + D) % D;
}

double br_slo_confidence_z(double confidence)
{
	double lo = 0, hi = 10, p = confidence / 100.0;

	if (!(confidence > 50 && confidence < 100))
		return 0;
	/* Phi(z) = erfc(-z/sqrt2)/2 rises with z: bisect to double precision
	   (libm has erfc but no inverse; 200 halvings of [0, 10] are plenty) */
	for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
		double mid = (lo + hi) / 2;

		if (0.5 * erfc(-mid / sqrt(2.0)) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

double br_slo_wilson_lower(double errors, double events, double z)
{
	double p, v;

	if (!(events > 0))
		return 0;
	p = errors / events;
	p = p < 0 ? 0 : p > 1 ? 1 : p;
	v = p * (1 - p) * events + z * z / 4;
	return (p * events + z * z / 2 - z * sqrt(v)) / (events + z * z);
}

double br__slo_burn_rate(double budget_percent, long long window_s, long long long_s)
{
	return budget_percent / 100.0 * (double)window_s / (double)long_s;
}

double br__slo_budget_percent(double burn_rate, long long window_s, long long long_s)
{
	return burn_rate * (double)long_s / (double)window_s * 100.0;
}
