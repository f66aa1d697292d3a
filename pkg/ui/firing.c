/* firing: when the SLO's alerts fired over a range, from the series of
 * max by (burnrate_severity) (ALERTS{...}): intervals and their list. */
#include "ui/internal.h"

#include <math.h>
#include <string.h>
#include <time.h>

size_t br_ui_intervals(const struct br_prom_series *s, double step,
		       struct br_ui_interval *out, size_t max)
{
	size_t n = 0;
	double gap = (step > 0 ? step : 60) * 1.5, last = 0;

	for (size_t i = 0; s && i < s->count; i++) {
		double t = s->points[i].t;
		if (!isfinite(s->points[i].v))
			continue;
		if (n && t - last <= gap) {
			if (n <= max)
				out[n - 1].end = t;
		} else {
			if (n < max)
				out[n] = (struct br_ui_interval){t, t};
			n++;
		}
		last = t;
	}
	return n;
}

/* Appends t as "2006-01-02 15:04" (UTC). */
static void add_time(double t, struct br_buf *out)
{
	time_t secs = (time_t)t;
	struct tm tm;
	char text[32];

	if (gmtime_r(&secs, &tm) && strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm))
		br_buf_adds(out, text);
	else
		br_buf_adds(out, "-");
}

void br__ui_firing_list(const struct br_prom_matrix *firing, double step,
			struct br_buf *out)
{
	static const char *const sevs[] = {"page", "ticket"};
	struct br_ui_interval iv[BR_UI_MAX_INTERVALS];

	br_buf_adds(out, "<ul class=\"fired\">\n");
	for (size_t r = 0; r < 2; r++) {
		size_t n = br_ui_intervals(br__ui_firing(firing, sevs[r]), step, iv,
					   BR_UI_MAX_INTERVALS);
		br_buf_addf(out, "<li>%s: ", sevs[r]);
		if (!n)
			br_buf_adds(out, "did not fire");
		for (size_t i = 0; i < n && i < BR_UI_MAX_INTERVALS; i++) {
			br_buf_adds(out, i ? ", " : "");
			add_time(iv[i].start, out);
			br_buf_adds(out, " to ");
			add_time(iv[i].end, out);
		}
		if (n > BR_UI_MAX_INTERVALS)
			br_buf_addf(out, " and %zu more", n - BR_UI_MAX_INTERVALS);
		br_buf_adds(out, n ? " (UTC)</li>\n" : "</li>\n");
	}
	br_buf_adds(out, "</ul>\n");
}

const struct br_prom_series *br__ui_firing(const struct br_prom_matrix *firing,
					   const char *sev)
{
	for (size_t i = 0; firing && i < firing->count; i++) {
		const struct br_prom_series *s = &firing->series[i];
		for (size_t l = 0; l < s->nlabels; l++)
			if (strcmp(s->labels[l].name, "burnrate_severity") == 0 &&
			    strcmp(s->labels[l].value, sev) == 0)
				return s;
	}
	return NULL;
}
