/* overview: the page that lists every SLO, filtered, sorted by budget left
 * (least first; SLOs without a budget last) and cut into pages. */
#include "ui/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct row {
	const json_t *slo;
	const char *ns, *name, *service;
	double left;      /* percent; NAN when the status has none */
};

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

static int keep(const struct row *r, const struct br_ui_filter *f)
{
	if (f->namespace && *f->namespace && (!r->ns || strcmp(r->ns, f->namespace) != 0))
		return 0;
	if (f->q && *f->q && !contains(r->ns, f->q) && !contains(r->name, f->q) &&
	    !contains(r->service, f->q))
		return 0;
	return 1;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_row(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (isnan(a->left) != isnan(b->left))
		return isnan(a->left) ? 1 : -1;
	if (!isnan(a->left) && a->left != b->left)
		return a->left < b->left ? -1 : 1;
	int c = cmp_str(a->ns, b->ns);
	return c ? c : cmp_str(a->name, b->name);
}

static void add_bar(struct br_buf *out, const struct row *r)
{
	if (isnan(r->left)) {
		br_buf_adds(out, "<td class=\"muted\">no data</td>");
		return;
	}
	double w = r->left < 0 ? 0 : r->left > 100 ? 100 : r->left;
	const char *cls = r->left >= 50 ? "ok" : r->left >= 20 ? "warn" : "bad";
	const char *pct = ui_str(r->slo, "status", "budget", "remainingPercent");
	br_buf_addf(out, "<td><span class=\"bar\"><span class=\"%s\" style=\"width:%.1f%%\">"
		    "</span></span>", cls, w);
	if (pct)
		br_ui_escape(out, pct);
	else
		br_buf_addf(out, "%.1f%%", r->left);
	const json_t *ev = ui_get(r->slo, "status", "budget", "remainingEvents");
	if (json_is_number(ev)) {
		br_buf_adds(out, " <span class=\"muted\">(");
		ui_number(out, ev);
		br_buf_adds(out, " events)</span>");
	}
	br_buf_adds(out, "</td>");
}

/* What the overview knows from Prometheus, indexed by SLO. */
struct live {
	const struct br_ui_live *v;   /* NULL: nothing */
	struct ui_index firing, rates;
};

/* The alert state cell: page, ticket (the worst firing) or ok; "-" when
 * Prometheus could not be read. */
static void add_state(struct br_buf *out, const struct row *r, const struct live *l)
{
	size_t n = 0;
	int page = 0, ticket = 0;

	if (!l->v || !l->v->firing) {
		br_buf_adds(out, "<td class=\"muted\">-</td>");
		return;
	}
	const struct br_prom_sample *const *s = ui_index_find(&l->firing, r->ns, r->name, &n);
	for (size_t i = 0; i < n; i++) {
		const char *sev = br_prom_sample_label(s[i], "burnrate_severity");
		page |= sev && strcmp(sev, "page") == 0;
		ticket |= sev && strcmp(sev, "ticket") == 0;
	}
	br_buf_adds(out, page ? "<td class=\"fire\">firing: page</td>" :
		    ticket ? "<td class=\"fire\">firing: ticket</td>" : "<td>ok</td>");
}

static void add_rate(struct br_buf *out, const struct row *r, const struct live *l)
{
	size_t n = 0;
	const struct br_prom_sample *const *s = l->v && l->v->rates ?
		ui_index_find(&l->rates, r->ns, r->name, &n) : NULL;

	if (n && isfinite(s[0]->value))
		br_buf_addf(out, "<td>%.2fx</td>", s[0]->value);
	else
		br_buf_adds(out, "<td class=\"muted\">-</td>");
}

static void add_row(struct br_buf *out, const struct row *r, const struct live *l)
{
	const json_t *ready = ui_condition(r->slo, "Ready");
	const char *window = ui_str(r->slo, "spec", "window", NULL);

	br_buf_adds(out, "<tr><td>");
	br_ui_escape(out, r->ns);
	br_buf_adds(out, "</td><td><a href=\"/slo/");
	br_ui_escape(out, r->ns);
	br_buf_addc(out, '/');
	br_ui_escape(out, r->name);
	br_buf_adds(out, "\">");
	br_ui_escape(out, r->name);
	br_buf_adds(out, "</a></td><td>");
	br_ui_escape(out, r->service);
	br_buf_adds(out, "</td><td>");
	ui_number(out, ui_get(r->slo, "spec", "objective", NULL));
	br_buf_adds(out, "% / ");
	br_ui_escape(out, window ? window : "30d");
	br_buf_adds(out, "</td>");
	add_bar(out, r);
	add_state(out, r, l);
	add_rate(out, r, l);
	br_buf_adds(out, "<td>");
	br_ui_escape(out, ready ? json_string_value(json_object_get(ready, "status")) : "-");
	br_buf_adds(out, "</td></tr>\n");
}

/* Appends key=value&, value percent-encoded (URLs of the page links). */
static void add_arg(struct br_buf *out, const char *key, const char *v)
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

static void add_nav(struct br_buf *out, const struct br_ui_filter *f,
		    long page, long pages, size_t total)
{
	br_buf_addf(out, "<p>%zu SLOs; page %ld of %ld", total, page, pages);
	for (int d = -1; d <= 1; d += 2) {
		long to = page + d;
		if (to < 1 || to > pages)
			continue;
		br_buf_adds(out, d < 0 ? " <a rel=\"prev\" href=\"/?" : " <a rel=\"next\" href=\"/?");
		add_arg(out, "namespace", f->namespace);
		add_arg(out, "q", f->q);
		br_buf_addf(out, "page=%ld\">%s</a>", to, d < 0 ? "previous" : "next");
	}
	br_buf_adds(out, "</p>\n");
}

static void add_form(struct br_buf *out, const struct br_ui_filter *f)
{
	br_buf_adds(out, "<form method=\"get\" action=\"/\">namespace "
		    "<input name=\"namespace\" value=\"");
	br_ui_escape(out, f->namespace);
	br_buf_adds(out, "\"> search <input name=\"q\" value=\"");
	br_ui_escape(out, f->q);
	br_buf_adds(out, "\"> <button>filter</button></form>\n");
}

static void add_table(struct br_buf *out, const struct row *rows, size_t n,
		      const struct br_ui_filter *f, const struct live *l)
{
	long pages = n ? (long)((n + BR_UI_PAGE_SIZE - 1) / BR_UI_PAGE_SIZE) : 1;
	long page = f->page < 1 ? 1 : f->page > pages ? pages : f->page;
	size_t from = (size_t)(page - 1) * BR_UI_PAGE_SIZE;

	add_nav(out, f, page, pages, n);
	br_buf_adds(out, "<table><tr><th>namespace</th><th>name</th><th>service</th>"
		    "<th>objective / window</th><th>budget left</th><th>alerts</th>"
		    "<th>burn rate 1h</th><th>Ready</th></tr>\n");
	for (size_t i = from; i < n && i < from + BR_UI_PAGE_SIZE; i++)
		add_row(out, &rows[i], l);
	br_buf_adds(out, "</table>\n");
}

int br_ui_render_overview(struct br_buf *out, const json_t *list,
			  const struct br_ui_filter *f,
			  const struct br_ui_live *live, const char *banner)
{
	struct live l = {live, {NULL, 0}, {NULL, 0}};
	const json_t *items = json_object_get(list, "items");
	size_t n = json_array_size(items), kept = 0;
	struct row *rows = n ? calloc(n < BR_UI_MAX_SLOS ? n : BR_UI_MAX_SLOS, sizeof(*rows)) : NULL;

	if ((n && !rows) || ui_index_build(&l.firing, live ? live->firing : NULL) ||
	    ui_index_build(&l.rates, live ? live->rates : NULL)) {
		free(rows);
		ui_index_release(&l.firing);
		return BR_ENOMEM;
	}
	for (size_t i = 0; i < n && kept < BR_UI_MAX_SLOS; i++) {
		const json_t *s = json_array_get(items, i);
		struct row r = {s, ui_str(s, "metadata", "namespace", NULL),
			ui_str(s, "metadata", "name", NULL), ui_str(s, "spec", "service", NULL),
			ui_budget_left(s)};
		if (keep(&r, f))
			rows[kept++] = r;
	}
	qsort(rows, kept, sizeof(*rows), cmp_row);
	ui_page_open(out, "Service level objectives", banner);
	br_buf_adds(out, "<h1>Service level objectives</h1>\n");
	add_form(out, f);
	if (n > BR_UI_MAX_SLOS)
		br_buf_addf(out, "<p class=\"banner\">Only the first %d SLOs are shown.</p>\n",
			    BR_UI_MAX_SLOS);
	add_table(out, rows, kept, f, &l);
	ui_page_close(out);
	free(rows);
	ui_index_release(&l.firing);
	ui_index_release(&l.rates);
	return out->failed ? BR_ENOMEM : 0;
}
