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

void br_slo_labels_release(struct br_labels *l)
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
	free(slo->alert_name);
	br_slo_labels_release(&slo->labels);
	br_slo_labels_release(&slo->annotations);
	route_release(&slo->page);
	route_release(&slo->ticket);
	free(slo->windows);
	br_slo_init(slo);
}

/* The SRE Workbook's table for 30 days (DESIGN.md section 3). */
static const struct br_alert_window workbook[4] = {
	{BR_SEVERITY_PAGE, 3600, 300, 14.4, 2},
	{BR_SEVERITY_PAGE, 6 * 3600, 1800, 6, 5},
	{BR_SEVERITY_TICKET, 86400, 7200, 3, 10},
	{BR_SEVERITY_TICKET, 3 * 86400, 6 * 3600, 1, 10},
};

void br_slo_default_windows(long long window_s, struct br_alert_window rows[4])
{
	const double month = 30 * 86400.0;

	for (int i = 0; i < 4; i++) {
		rows[i] = workbook[i];
		if (window_s == (long long)month)
			continue;
		rows[i].long_s = llround((double)workbook[i].long_s * (double)window_s / month);
		if (rows[i].long_s < 1)
			rows[i].long_s = 1;
		rows[i].short_s = llround((double)rows[i].long_s / 12.0);
		rows[i].burn_rate = br_slo_burn_rate(rows[i].budget_percent, window_s,
						     rows[i].long_s);
	}
}

double br_slo_burn_rate(double budget_percent, long long window_s, long long long_s)
{
	return budget_percent / 100.0 * (double)window_s / (double)long_s;
}

double br_slo_budget_percent(double burn_rate, long long window_s, long long long_s)
{
	return burn_rate * (double)long_s / (double)window_s * 100.0;
}
