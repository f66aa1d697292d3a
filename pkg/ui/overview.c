/* overview: the page that lists every SLO, filtered, sorted by budget left
 * (least first; SLOs without a budget last) and cut into pages. */
#include "ui/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slo/slo.h"

/* Whether needle is in hay, ignoring ASCII case. */
static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay && *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return 1;
	}
	return n == 0;
}

static int keep(const struct br__ui_slo *e, const struct br_ui_filter *f)
{
	const char *ns = br__ui_slo_get(e, BR__UI_NS);

	if (f->namespace && *f->namespace && (!ns || strcmp(ns, f->namespace) != 0))
		return 0;
	if (f->q && *f->q && !contains(ns, f->q) &&
	    !contains(br__ui_slo_get(e, BR__UI_NAME), f->q) &&
	    !contains(br__ui_slo_get(e, BR__UI_SERVICE), f->q))
		return 0;
	return 1;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_row(const void *pa, const void *pb)
{
	const struct br__ui_slo *a = *(const struct br__ui_slo *const *)pa;
	const struct br__ui_slo *b = *(const struct br__ui_slo *const *)pb;

	if (isnan(a->left) != isnan(b->left))
		return isnan(a->left) ? 1 : -1;
	if (!isnan(a->left) && a->left != b->left)
		return a->left < b->left ? -1 : 1;
	int c = cmp_str(br__ui_slo_get(a, BR__UI_NS), br__ui_slo_get(b, BR__UI_NS));
	return c ? c : cmp_str(br__ui_slo_get(a, BR__UI_NAME), br__ui_slo_get(b, BR__UI_NAME));
}

void br__ui_page_release(struct br__ui_page *p)
{
	for (size_t i = 0; i < p->nrows; i++)
		free(p->rows[i]);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

/* Copies rows [from, from + n) of sel into p. 0 or BR_ENOMEM. */
static int copy_rows(struct br__ui_page *p, const struct br__ui_slo *const *sel, size_t from,
		     size_t n)
{
	p->rows = calloc(n ? n : 1, sizeof(*p->rows));
	if (!p->rows)
		return BR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(p->rows[i] = malloc(sel[from + i]->size)))
			return BR_ENOMEM;
		memcpy(p->rows[i], sel[from + i], sel[from + i]->size);
		p->nrows++;
	}
	return 0;
}

int br__ui_page_select(struct br_ui_index *x, const struct br_ui_filter *f,
		       struct br__ui_page *p)
{
	size_t n, kept = 0;
	int rc = BR_ENOMEM;

	memset(p, 0, sizeof(*p));
	const struct br__ui_slo *const *all = br__ui_index_lock(x, &n);
	const struct br__ui_slo **sel = malloc((n ? n : 1) * sizeof(*sel));
	if (sel) {
		for (size_t i = 0; i < n; i++)
			if (keep(all[i], f))
				sel[kept++] = all[i];
		/* sorting pointers under the lock costs ~1 ms at 10,000 */
		qsort(sel, kept, sizeof(*sel), cmp_row);
		p->total = kept;
		p->pages = kept ? (long)((kept + BR_UI_PAGE_SIZE - 1) / BR_UI_PAGE_SIZE) : 1;
		p->page = f->page < 1 ? 1 : f->page > p->pages ? p->pages : f->page;
		size_t from = (size_t)(p->page - 1) * BR_UI_PAGE_SIZE;
		size_t count = kept - from < BR_UI_PAGE_SIZE ? kept - from : BR_UI_PAGE_SIZE;
		rc = copy_rows(p, sel, from, kept ? count : 0);
	}
	br__ui_index_unlock(x);
	free(sel);
	if (rc != 0)
		br__ui_page_release(p);
	return rc;
}

static void add_bar(const struct br__ui_slo *e, struct br_buf *out)
{
	const char *pct = br__ui_slo_get(e, BR__UI_PCT);

	if (isnan(e->left)) {
		br_buf_adds(out, "<td class=\"muted\">no data</td>");
		return;
	}
	double w = e->left < 0 ? 0 : e->left > 100 ? 100 : e->left;
	const char *cls = e->left >= 50 ? "ok" : e->left >= 20 ? "warn" : "bad";
	br_buf_addf(out, "<td><span class=\"bar\"><span class=\"%s\" style=\"width:%.1f%%\">"
		    "</span></span>", cls, w);
	if (pct)
		br_ui_escape(pct, out);
	else
		br_buf_addf(out, "%.1f%%", e->left);
	if (isfinite(e->events))
		br_buf_addf(out, " <span class=\"muted\">(%.10g events)</span>", e->events);
	br_buf_adds(out, "</td>");
}

/* What the overview knows from Prometheus, indexed by SLO. */
struct live {
	const struct br_ui_live *v;   /* NULL: nothing */
	struct br__ui_samples firing, ratios;
};

/* The alert state cell: page, ticket (the worst firing) or ok; "-" when
 * Prometheus could not be read. */
static void add_state(const struct br__ui_slo *e, const struct live *l,
		      struct br_buf *out)
{
	size_t n = 0;
	int page = 0, ticket = 0;

	if (!l->v || !l->v->firing) {
		br_buf_adds(out, "<td class=\"muted\">-</td>");
		return;
	}
	const struct br_prom_sample *const *s =
		br__ui_samples_find(&l->firing, br__ui_slo_get(e, BR__UI_NS),
				    br__ui_slo_get(e, BR__UI_NAME), &n);
	for (size_t i = 0; i < n; i++) {
		const char *sev = br_prom_sample_label(s[i], "burnrate_severity");
		page |= sev && strcmp(sev, "page") == 0;
		ticket |= sev && strcmp(sev, "ticket") == 0;
	}
	br_buf_adds(out, page ? "<td class=\"fire\">firing: page</td>" :
		    ticket ? "<td class=\"fire\">firing: ticket</td>" : "<td>ok</td>");
}

/* The burn rate of the fastest page row: the error ratio over its long
 * window (the sample named for that window) over the error budget. */
static void add_rate(const struct br__ui_slo *e, const struct live *l,
		     struct br_buf *out)
{
	const char *fast = br__ui_slo_get(e, BR__UI_FAST);
	double rate = NAN;
	size_t n = 0;
	char want[64];

	snprintf(want, sizeof(want), "burnrate:sli_error_ratio:rate%s", fast ? fast : "");
	const struct br_prom_sample *const *s = l->v && l->v->ratios && fast && *fast ?
		br__ui_samples_find(&l->ratios, br__ui_slo_get(e, BR__UI_NS),
				    br__ui_slo_get(e, BR__UI_NAME), &n) :
		NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = br_prom_sample_label(s[i], "__name__");
		if (name && strcmp(name, want) == 0 && e->objective > 0 && e->objective < 100)
			rate = s[i]->value / (1 - e->objective / 100);
	}
	if (isfinite(rate))
		br_buf_addf(out, "<td>%.2fx <span class=\"muted\">%s</span></td>", rate, fast);
	else
		br_buf_adds(out, "<td class=\"muted\">-</td>");
}

/* The series of SLO ns/name in m (labels slo_namespace, slo), or NULL. */
static const struct br_prom_series *series_of(const struct br_prom_matrix *m,
					      const char *ns, const char *name)
{
	for (size_t i = 0; m && i < m->count; i++) {
		const char *sns = NULL, *sname = NULL;
		for (size_t k = 0; k < m->series[i].nlabels; k++) {
			const struct br_prom_label *lb = &m->series[i].labels[k];
			if (strcmp(lb->name, "slo_namespace") == 0)
				sns = lb->value;
			else if (strcmp(lb->name, "slo") == 0)
				sname = lb->value;
		}
		if (sns && sname && ns && strcmp(sns, ns) == 0 && strcmp(sname, name) == 0)
			return &m->series[i];
	}
	return NULL;
}

static void add_spark(const struct br__ui_slo *e, const struct live *l,
		      struct br_buf *out)
{
	long long window = 0;

	if (!l->v || !l->v->budgets ||
	    br_duration_parse(br__ui_slo_get(e, BR__UI_WINDOW), &window) != 0 || window <= 0) {
		br_buf_adds(out, "<td class=\"muted\">-</td>");
		return;
	}
	br_buf_adds(out, "<td>");
	br__ui_svg_sparkline(series_of(l->v->budgets, br__ui_slo_get(e, BR__UI_NS),
				       br__ui_slo_get(e, BR__UI_NAME)),
			     l->v->end - (double)window, l->v->end, out);
	br_buf_adds(out, "</td>");
}

static void add_row(const struct br__ui_slo *e, const struct live *l,
		    struct br_buf *out)
{
	static const char *const ready[] = {"-", "True", "False", "Unknown"};
	const char *ns = br__ui_slo_get(e, BR__UI_NS), *name = br__ui_slo_get(e, BR__UI_NAME);

	br_buf_adds(out, "<tr><td>");
	br_ui_escape(ns, out);
	br_buf_adds(out, "</td><td><a href=\"/slo/");
	br_ui_escape(ns, out);
	br_buf_addc(out, '/');
	br_ui_escape(name, out);
	br_buf_adds(out, "\">");
	br_ui_escape(name, out);
	br_buf_adds(out, "</a></td><td>");
	br_ui_escape(br__ui_slo_get(e, BR__UI_SERVICE), out);
	br_buf_adds(out, "</td><td>");
	if (isfinite(e->objective))
		br_buf_addf(out, "%.10g", e->objective);
	else
		br_buf_adds(out, "-");
	br_buf_adds(out, "% / ");
	br_ui_escape(br__ui_slo_get(e, BR__UI_WINDOW), out);
	br_buf_adds(out, "</td>");
	add_bar(e, out);
	add_spark(e, l, out);
	add_state(e, l, out);
	add_rate(e, l, out);
	br_buf_addf(out, "<td>%s</td></tr>\n", ready[e->ready == 'T' ? 1 : e->ready == 'F' ? 2 :
						    e->ready == 'U' ? 3 : 0]);
}

/* Appends key=value&, value percent-encoded (URLs of the page links). */
static void add_arg(const char *key, const char *v, struct br_buf *out)
{
	if (!v || !*v)
		return;
	br_buf_addf(out, "%s=", key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			br_buf_addc(out, (char)*p);
		else
			br_buf_addf(out, "%%%02X", *p);
	}
	br_buf_adds(out, "&amp;");
}

static void add_nav(const struct br_ui_filter *f, const struct br__ui_page *p,
		    struct br_buf *out)
{
	br_buf_addf(out, "<p>%zu SLOs; page %ld of %ld", p->total, p->page, p->pages);
	for (int d = -1; d <= 1; d += 2) {
		long to = p->page + d;
		if (to < 1 || to > p->pages)
			continue;
		br_buf_adds(out,
			    d < 0 ? " <a rel=\"prev\" href=\"/?" : " <a rel=\"next\" href=\"/?");
		add_arg("namespace", f->namespace, out);
		add_arg("q", f->q, out);
		br_buf_addf(out, "page=%ld\">%s</a>", to, d < 0 ? "previous" : "next");
	}
	br_buf_adds(out, "</p>\n");
}

static void add_form(const struct br_ui_filter *f, struct br_buf *out)
{
	br_buf_adds(out, "<form method=\"get\" action=\"/\">namespace "
		    "<input name=\"namespace\" value=\"");
	br_ui_escape(f->namespace, out);
	br_buf_adds(out, "\"> search <input name=\"q\" value=\"");
	br_ui_escape(f->q, out);
	br_buf_adds(out, "\"> <button>filter</button></form>\n");
}

int br__ui_render_page(const struct br__ui_page *p,
		       const struct br_ui_filter *f,
		       const struct br_ui_live *live, const char *banner,
		       struct br_buf *out)
{
	struct live l = {live, {NULL, 0}, {NULL, 0}};

	if (br__ui_samples_build(&l.firing, live ? live->firing : NULL) ||
	    br__ui_samples_build(&l.ratios, live ? live->ratios : NULL)) {
		br__ui_samples_release(&l.firing);
		return BR_ENOMEM;
	}
	br__ui_page_open("Service level objectives", banner, out);
	br_buf_adds(out, "<h1>Service level objectives</h1>\n");
	add_form(f, out);
	add_nav(f, p, out);
	br_buf_adds(out, "<table><tr><th>namespace</th><th>name</th><th>service</th>"
		    "<th>objective / window</th><th>budget left</th><th>over the window</th>"
		    "<th>alerts</th><th>burn rate (fastest page row)</th><th>Ready</th></tr>\n");
	for (size_t i = 0; i < p->nrows; i++)
		add_row(p->rows[i], &l, out);
	br_buf_adds(out, "</table>\n");
	br__ui_page_close(out);
	br__ui_samples_release(&l.firing);
	br__ui_samples_release(&l.ratios);
	return out->failed ? BR_ENOMEM : 0;
}

int br_ui_render_overview(struct br_ui_index *x, const struct br_ui_filter *f,
			  const struct br_ui_live *live, const char *banner,
			  struct br_buf *out)
{
	struct br__ui_page p;
	int rc = br__ui_page_select(x, f, &p);

	if (rc == 0)
		rc = br__ui_render_page(&p, f, live, banner, out);
	br__ui_page_release(&p);
	return rc;
}
