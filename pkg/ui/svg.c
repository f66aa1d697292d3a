/* svg: the charts as inline SVG: the budget burn-down (one <path> of the
 * budget left over the window, the 0 line, the last value) and a burn rate
 * (one <path> and its alert's threshold as a labelled line). */
#include "ui/internal.h"

#include <math.h>

#define W 800.0
#define H 240.0
#define PAD 30.0

double br_ui_step(double window)
{
	if (!(window > 0) || !isfinite(window))
		return 60;
	double step = ceil(window / BR_UI_MAX_POINTS);
	return step < 1 ? 1 : step;
}

/* The range of values drawn: always [0, 1], stretched to the data. */
static void y_range(const struct br_prom_point *pts, size_t n, double *lo,
		    double *hi)
{
	*lo = 0;
	*hi = 1;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(pts[i].v))
			continue;
		if (pts[i].v < *lo)
			*lo = pts[i].v;
		if (pts[i].v > *hi)
			*hi = pts[i].v;
	}
}

static double px(double t, double start, double end)
{
	double span = end > start ? end - start : 1;
	double x = PAD + (t - start) / span * (W - 2 * PAD);
	return x < PAD ? PAD : x > W - PAD ? W - PAD : x;
}

static double py(double v, double lo, double hi)
{
	return H - PAD - (v - lo) / (hi - lo) * (H - 2 * PAD);
}

static void add_path(const char *cls, const struct br_prom_point *pts, size_t n,
		     double start, double end, double lo, double hi,
		     size_t *drawn, struct br_buf *out)
{
	size_t every = n > 2 * BR_UI_MAX_POINTS ? (n + 2 * BR_UI_MAX_POINTS - 1) /
		(2 * BR_UI_MAX_POINTS) : 1;
	int pen = 0;
	double lx = NAN, ly = NAN;

	br_buf_addf(out, "<path class=\"%s\" fill=\"none\" stroke=\"#1f6feb\" "
		    "stroke-width=\"2\" d=\"", cls);
	for (size_t i = 0; i < n; i++) {
		if (i % every != 0 && i != n - 1)
			continue;
		if (!isfinite(pts[i].v)) {
			pen = 0;
			continue;
		}
		lx = px(pts[i].t, start, end);
		ly = py(pts[i].v, lo, hi);
		br_buf_addf(out, "%s%c%.1f,%.1f", *drawn ? " " : "", pen ? 'L' : 'M', lx, ly);
		pen = 1;
		(*drawn)++;
	}
	br_buf_adds(out, "\"/>\n");
	/* the newest value as a dot: visible even when it is the only one */
	if (isfinite(lx))
		br_buf_addf(out, "<circle class=\"now\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
			    "fill=\"#1f6feb\"/>\n", lx, ly);
}

/* The frame of a chart: the <svg> and the plot's background. */
static void add_frame(const char *cls, const char *label, struct br_buf *out)
{
	br_buf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" "
		    "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
		    "aria-label=\"%s\">\n", cls, W, H, W, H, label);
	br_buf_addf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
		    "fill=\"#f6f8fa\" stroke=\"#d0d7de\"/>\n", PAD, PAD, W - 2 * PAD, H - 2 * PAD);
}

int br_ui_svg_burndown(const struct br_prom_point *pts, size_t n, double start,
		       double end, size_t *drawn, struct br_buf *out)
{
	size_t count = 0;
	double lo, hi;

	y_range(pts, n, &lo, &hi);
	add_frame("burndown", "error budget left over the window", out);
	br_buf_addf(out, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#cf222e\" stroke-dasharray=\"4 4\"/>\n",
		    PAD, W - PAD, py(0, lo, hi), py(0, lo, hi));
	br_buf_addf(out, "<text x=\"4\" y=\"%.1f\" font-size=\"11\">%.0f%%</text>\n"
		    "<text x=\"4\" y=\"%.1f\" font-size=\"11\">%.0f%%</text>\n",
		    py(hi, lo, hi) + 4, hi * 100, py(lo, lo, hi) + 4, lo * 100);
	add_path("budget", pts, n, start, end, lo, hi, &count, out);
	const struct br_prom_point *last = NULL;
	for (size_t i = n; i > 0 && !last; i--)
		if (isfinite(pts[i - 1].v))
			last = &pts[i - 1];
	if (last)
		br_buf_addf(out, "<text class=\"last\" x=\"%.0f\" y=\"%.0f\" "
			    "text-anchor=\"end\" font-size=\"12\">%.2f%% left</text>\n",
			    W - PAD, PAD - 8, last->v * 100);
	else
		br_buf_addf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
			    "no data</text>\n", W / 2, H / 2);
	br_buf_adds(out, "</svg>\n");
	if (drawn)
		*drawn = count;
	return out->failed ? BR_ENOMEM : 0;
}

int br_ui_svg_burnrate(const struct br_prom_point *pts, size_t n, double start,
		       double end, double threshold, size_t *drawn,
		       double *threshold_y, struct br_buf *out)
{
	size_t count = 0;
	double hi = isfinite(threshold) && threshold > 0 ? threshold * 1.25 : 1;

	for (size_t i = 0; i < n; i++)
		if (isfinite(pts[i].v) && pts[i].v > hi)
			hi = pts[i].v;
	double ty = py(threshold, 0, hi);
	add_frame("burnrate", "burn rate over the range and its alert threshold", out);
	br_buf_addf(out, "<text x=\"4\" y=\"%.1f\" font-size=\"11\">%.3gx</text>\n"
		    "<text x=\"4\" y=\"%.1f\" font-size=\"11\">0x</text>\n",
		    PAD + 4, hi, H - PAD + 4);
	if (isfinite(threshold) && threshold > 0)
		br_buf_addf(out, "<line class=\"threshold\" x1=\"%.0f\" x2=\"%.0f\" "
			    "y1=\"%.1f\" y2=\"%.1f\" stroke=\"#cf222e\" "
			    "stroke-dasharray=\"4 4\"/>\n<text x=\"%.0f\" y=\"%.1f\" "
			    "text-anchor=\"end\" font-size=\"11\" fill=\"#cf222e\">"
			    "threshold %.10gx</text>\n", PAD, W - PAD, ty, ty, W - PAD - 4,
			    ty - 4, threshold);
	add_path("rate", pts, n, start, end, 0, hi, &count, out);
	if (!count)
		br_buf_addf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
			    "no data</text>\n", W / 2, H / 2);
	br_buf_adds(out, "</svg>\n");
	if (drawn)
		*drawn = count;
	if (threshold_y)
		*threshold_y = ty;
	return out->failed ? BR_ENOMEM : 0;
}

void br__ui_svg_timeline(const struct br_prom_matrix *firing, double start,
			 double end, double step, struct br_buf *out)
{
	static const char *const sevs[][2] = {{"page", "#cf222e"}, {"ticket", "#d4a72c"}};
	struct br_ui_interval iv[BR_UI_MAX_INTERVALS];

	br_buf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" "
		    "viewBox=\"0 0 %.0f 60\" width=\"%.0f\" height=\"60\" role=\"img\" "
		    "aria-label=\"when page and ticket fired\">\n", W, W);
	for (size_t r = 0; r < 2; r++) {
		double y = 6 + 26.0 * (double)r;
		const struct br_prom_series *s = br__ui_firing(firing, sevs[r][0]);
		size_t n = s ? br_ui_intervals(s, step, iv, BR_UI_MAX_INTERVALS) : 0;
		br_buf_addf(out, "<text x=\"0\" y=\"%.0f\" font-size=\"9\">%s</text>\n"
			    "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"18\" "
			    "fill=\"#f6f8fa\" stroke=\"#d0d7de\"/>\n", y + 12, sevs[r][0],
			    PAD, y, W - 2 * PAD);
		for (size_t i = 0; i < n && i < BR_UI_MAX_INTERVALS; i++) {
			double x0 = px(iv[i].start, start, end), x1 = px(iv[i].end, start, end);
			br_buf_addf(out, "<rect class=\"fired-%s\" x=\"%.1f\" y=\"%.0f\" "
				    "width=\"%.1f\" height=\"18\" fill=\"%s\"/>\n",
				    sevs[r][0], x0, y, x1 - x0 < 2 ? 2 : x1 - x0, sevs[r][1]);
		}
	}
	br_buf_adds(out, "</svg>\n");
}

#define SW 100.0
#define SH 24.0

void br__ui_svg_sparkline(const struct br_prom_series *s, double start,
			  double end, struct br_buf *out)
{
	double lo, hi, span = end > start ? end - start : 1;
	size_t from = 0, drawn = 0;
	int pen = 0;
	double lx = NAN, ly = NAN;

	/* the answer covers the longest window of the page: skip the rest */
	while (s && from < s->count && s->points[from].t < start)
		from++;
	if (!s || from == s->count) {
		br_buf_adds(out, "<span class=\"muted\">no data</span>");
		return;
	}
	y_range(s->points + from, s->count - from, &lo, &hi);
	br_buf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spark\" "
		    "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
		    "aria-label=\"budget left over the window\"><path fill=\"none\" "
		    "stroke=\"#1f6feb\" stroke-width=\"1.5\" d=\"", SW, SH, SW, SH);
	for (size_t i = from; i < s->count; i++) {
		const struct br_prom_point *p = &s->points[i];
		if (!isfinite(p->v)) {
			pen = 0;
			continue;
		}
		lx = (p->t - start) / span * SW;
		ly = SH - 1 - (p->v - lo) / (hi - lo) * (SH - 2);
		br_buf_addf(out, "%s%c%.1f,%.1f", drawn++ ? " " : "", pen ? 'L' : 'M', lx, ly);
		pen = 1;
	}
	br_buf_adds(out, "\"/>");
	if (isfinite(lx))
		br_buf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\" fill=\"#1f6feb\"/>",
			    lx, ly);
	br_buf_adds(out, "</svg>");
}
