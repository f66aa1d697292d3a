/* ui: the UI's routes: reads the API server and Prometheus for a request
 * and hands what it read to the renderers. */
#include "ui/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slo/slo.h"

struct br_ui {
	struct br_ui_options o;
	struct br_ui_cache *cache;
};

int br_ui_create(const struct br_ui_options *o, struct br_ui **out,
		 struct br_error *err)
{
	*out = NULL;
	if (!o || !o->index || !o->get)
		return br_error_set(err, BR_EINVAL, "ui: no index of SLOs or no get");
	struct br_ui *ui = calloc(1, sizeof(*ui));
	if (!ui)
		return br_error_set(err, BR_ENOMEM, "ui: out of memory");
	if (br_ui_cache_create(0, 0, &ui->cache) != 0) {
		free(ui);
		return br_error_set(err, BR_ENOMEM, "ui: out of memory");
	}
	ui->o = *o;
	*out = ui;
	return 0;
}

void br_ui_free(struct br_ui *ui)
{
	if (ui)
		br_ui_cache_free(ui->cache);
	free(ui);
}

/* A namespace or name as the API server admits them (DNS subdomain
 * characters), so it is safe in a path and in a PromQL string. */
static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static void fail_page(struct br_server_response *resp, unsigned status,
		      const char *title, const char *why)
{
	resp->status = status;
	br__ui_page_open(title, why, &resp->body);
	br__ui_page_close(&resp->body);
}

/* Writes why Prometheus could not be read (rc, err) into banner. */
static void prom_banner(struct br_ui *ui, int rc, const struct br_error *err,
			struct br_buf *banner)
{
	if (rc == BR_EIO || rc == BR_ETIMEOUT || rc == BR_ETLS)
		br_buf_addf(banner, "Prometheus at %s is unreachable: %s",
			    br_prom_client_url(ui->o.prom), err->text);
	else if (rc != 0)
		br_buf_addf(banner, "Prometheus at %s could not be read: %s",
			    br_prom_client_url(ui->o.prom), err->text);
}

/* Runs one query (an instant one when step is 0) unless one before
 * failed, or finds its answer in the cache. Returns the answer, held (drop
 * it), or NULL with the banner written. */
static struct br_ui_answer *ask(struct br_ui *ui, const char *q, double start,
				double end, double step, struct br_buf *banner)
{
	double now = (double)time(NULL);
	struct br_error err;
	struct br_buf key;
	struct br_ui_answer *a = NULL;
	int rc = BR_ENOMEM;

	if (!ui->o.prom || banner->len || !q)
		return NULL;
	br_error_init(&err);
	br_buf_init(&key, 64 * 1024);
	if (step > 0)
		br_buf_addf(&key, "range %.0f %.0f %.0f %s", start, end, step, q);
	else
		br_buf_addf(&key, "instant %.0f %s", floor(now / BR_UI_CACHE_TTL), q);
	if (key.data && (a = br_ui_cache_get(ui->cache, key.data, now)) != NULL)
		goto out;
	a = key.data ? br_ui_answer_new() : NULL;
	if (a)
		rc = step > 0
		     ? br_prom_query_range(ui->o.prom, q, start, end, step, &a->matrix, &err)
		     : br_prom_query(ui->o.prom, q, &a->vector, &err);
	if (rc == 0) {
		br_ui_cache_add(ui->cache, key.data, now, a);
	} else {
		br_ui_answer_drop(a);
		a = NULL;
		if (rc == BR_ENOMEM)
			br_error_set(&err, BR_ENOMEM, "out of memory");
		prom_banner(ui, rc, &err, banner);
	}
out:
	br_buf_release(&key);
	return a;
}

/* Whether the SLOs can be read now; if not, writes why into msg. */
static int available(struct br_ui *ui, struct br_buf *msg)
{
	char why[1024];

	if (!ui->o.unavailable || ui->o.unavailable(ui->o.ctx, why, sizeof(why)) == 0)
		return 1;
	br_buf_addf(msg, "The Kubernetes API cannot be read: %s", why);
	return 0;
}

/* Appends a regular expression that matches exactly the strings of field
 * f of p's rows (names: [a-z0-9.-]; dots escaped for PromQL's string). */
static void add_alternatives(const struct br__ui_page *p,
			     enum br__ui_slo_field f, struct br_buf *q)
{
	int first = 1;

	for (size_t i = 0; i < p->nrows; i++) {
		const char *v = br__ui_slo_get(p->rows[i], f);
		int seen = !v || !*v;
		for (size_t k = 0; k < i && !seen; k++) {
			const char *w = br__ui_slo_get(p->rows[k], f);
			seen = w && strcmp(v, w) == 0;
		}
		if (seen)
			continue;
		br_buf_adds(q, first ? "" : "|");
		first = 0;
		for (; *v; v++)
			br_buf_adds(q, *v == '.' ? "\\\\." : (char[2]){*v, 0});
	}
}

/* The selector of p's SLOs into q: {slo=~"...",slo_namespace=~"..."}. */
static void page_selector(const struct br__ui_page *p, struct br_buf *q)
{
	br_buf_adds(q, "{slo=~\"");
	add_alternatives(p, BR__UI_NAME, q);
	br_buf_adds(q, "\",slo_namespace=~\"");
	add_alternatives(p, BR__UI_NS, q);
	br_buf_adds(q, "\"");
}

/* The instant query of the page's SLOs' error ratios over their fastest
 * page rows' windows: one query whatever the windows. */
static struct br_ui_answer *ask_ratios(struct br_ui *ui, const struct br__ui_page *p,
				       struct br_buf *banner)
{
	struct br_buf q;
	struct br_ui_answer *a = NULL;

	br_buf_init(&q, 64 * 1024);
	page_selector(p, &q);
	br_buf_adds(&q, ",__name__=~\"burnrate:sli_error_ratio:rate(");
	add_alternatives(p, BR__UI_FAST, &q);
	br_buf_adds(&q, ")\"}");
	if (p->nrows && q.data)
		a = ask(ui, q.data, 0, 0, 0, banner);
	br_buf_release(&q);
	return a;
}

/* The range query of the page's SLOs' budgets for the sparklines: over
 * the longest of their windows up to end, BR_UI_SPARK_POINTS steps. */
static struct br_ui_answer *ask_budgets(struct br_ui *ui, const struct br__ui_page *p,
					double end, struct br_buf *banner)
{
	long long longest = 0, w;
	struct br_buf q;
	struct br_ui_answer *a = NULL;

	for (size_t i = 0; i < p->nrows; i++)
		if (br_duration_parse(br__ui_slo_get(p->rows[i], BR__UI_WINDOW), &w) == 0 &&
		    w > longest)
			longest = w;
	br_buf_init(&q, 64 * 1024);
	br_buf_adds(&q, "burnrate:error_budget:remaining");
	page_selector(p, &q);
	br_buf_adds(&q, "}");
	double step = ceil((double)longest / BR_UI_SPARK_POINTS);
	if (p->nrows && longest > 0 && q.data)
		a = ask(ui, q.data, end - step * BR_UI_SPARK_POINTS, end, step, banner);
	br_buf_release(&q);
	return a;
}

static int overview_filter(const struct br_server_request *req, struct br_ui_filter *f,
			   struct br_server_response *resp)
{
	const char *page = br_server_request_arg(req, "page");
	char *end;

	*f = (struct br_ui_filter){br_server_request_arg(req, "namespace"),
		br_server_request_arg(req, "q"), 1};
	if ((f->namespace && strlen(f->namespace) > BR_UI_MAX_ARG) ||
	    (f->q && strlen(f->q) > BR_UI_MAX_ARG))
		return fail_page(resp, 400, "Bad request", "an argument is too long"), -1;
	if (f->namespace && *f->namespace && !name_ok(f->namespace, strlen(f->namespace)))
		return fail_page(resp, 400, "Bad request", "namespace: not a namespace name"), -1;
	if (page && *page) {
		f->page = strtol(page, &end, 10);
		if (*end || f->page < 1 || f->page > 1000000)
			return fail_page(resp, 400, "Bad request", "page: not a page number"), -1;
	}
	return 0;
}

static void overview(struct br_ui *ui, const struct br_server_request *req,
		     struct br_server_response *resp)
{
	struct br_ui_filter f;
	struct br_buf msg;
	struct br_ui_answer *firing = NULL, *ratios = NULL, *budgets = NULL;
	struct br__ui_page p;

	if (overview_filter(req, &f, resp) != 0)
		return;
	br_buf_init(&msg, 2048);
	if (!available(ui, &msg)) {
		fail_page(resp, 502, "Unavailable", br_buf_str(&msg));
		br_buf_release(&msg);
		return;
	}
	if (br__ui_page_select(ui->o.index, &f, &p) != 0) {
		resp->body.failed = 1;
		br_buf_release(&msg);
		return;
	}
	/* rounded, so viewers within BR_UI_CACHE_TTL share the answers */
	double end = floor((double)time(NULL) / BR_UI_CACHE_TTL) * BR_UI_CACHE_TTL;
	firing = ask(ui, "ALERTS{alertstate=\"firing\",slo!=\"\"}", 0, 0, 0, &msg);
	ratios = ask_ratios(ui, &p, &msg);
	budgets = ask_budgets(ui, &p, end, &msg);
	struct br_ui_live live = {firing ? &firing->vector : NULL,
		ratios ? &ratios->vector : NULL, budgets ? &budgets->matrix : NULL, end};
	if (br__ui_render_page(&p, &f, &live, msg.len ? br_buf_str(&msg) : NULL, &resp->body))
		resp->body.failed = 1;
	br__ui_page_release(&p);
	br_ui_answer_drop(firing);
	br_ui_answer_drop(ratios);
	br_ui_answer_drop(budgets);
	br_buf_release(&msg);
}

/* Runs one range query as ask does, from whole steps back from end (so
 * the last point is now). */
static struct br_ui_answer *range_query(struct br_ui *ui, const struct br_buf *q,
					double start, double end, struct br_buf *banner)
{
	double step = br_ui_step(end - start);

	start = end - step * ceil((end - start) / step);
	return ask(ui, q->data, start, end, step, banner);
}

/* The first series of a's matrix, or NULL. */
static const struct br_prom_series *first(const struct br_ui_answer *a)
{
	return a && a->matrix.count ? &a->matrix.series[0] : NULL;
}

/* The window of slo in seconds (30d when it has none or a bad one). */
static long long slo_window(const json_t *slo)
{
	const char *window = br__ui_str(slo, "spec", "window", NULL);
	long long secs = 0;

	if (br_duration_parse(window ? window : "30d", &secs) != 0)
		secs = 30 * 86400;
	return secs;
}

/* The PromQL of the burn rate of alert row a of slo, into q; 0, or -1 when
 * the row has no usable window or the SLO no objective. */
static int rate_query(const json_t *slo, const json_t *a, struct br_buf *q)
{
	const char *w = json_string_value(json_object_get(a, "longWindow"));
	double objective = json_number_value(br__ui_get(slo, "spec", "objective", NULL));
	long long secs;
	char canon[32];

	if (!w || br_duration_parse(w, &secs) != 0 || !(objective > 0 && objective < 100))
		return -1;
	br_duration_format(secs, canon, sizeof(canon));
	br_buf_reset(q);
	br_buf_addf(q, "burnrate:sli_error_ratio:rate%s{slo=\"%s\",slo_namespace=\"%s\"}"
		    " / (1 - %.10g / 100)", canon, br__ui_str(slo, "metadata", "name", NULL),
		    br__ui_str(slo, "metadata", "namespace", NULL), objective);
	return 0;
}

/* Reads what the page of slo shows from Prometheus: the burn-down into
 * held[0], the burn rate of alert row i into held[i + 1], the firing
 * alerts into held[BR_UI_MAX_CHARTS + 1]; fills d. */
static void read_prom(struct br_ui *ui, const json_t *slo, const char *range,
		      struct br_ui_answer **held, struct br_ui_slo_data *d,
		      struct br_buf *banner)
{
	const json_t *alerts = br__ui_get(slo, "status", "alerts", NULL);
	long long window = slo_window(slo);
	struct br_buf q;

	d->range = range;
	/* rounded, so viewers within BR_UI_CACHE_TTL share the answers */
	d->end = d->range_end = floor((double)time(NULL) / BR_UI_CACHE_TTL) * BR_UI_CACHE_TTL;
	d->start = d->end - (double)window;
	d->range_start = d->end - (strcmp(range, "window") == 0 ? (double)window :
				   strcmp(range, "7d") == 0 ? 7 * 86400.0 : 86400.0);
	br_buf_init(&q, 2048);
	br_buf_addf(&q, "burnrate:error_budget:remaining{slo=\"%s\",slo_namespace=\"%s\"}",
		    br__ui_str(slo, "metadata", "name", NULL),
		    br__ui_str(slo, "metadata", "namespace", NULL));
	held[0] = range_query(ui, &q, d->start, d->end, banner);
	d->budget = first(held[0]);
	d->nrates = json_array_size(alerts) < BR_UI_MAX_CHARTS ? json_array_size(alerts)
								: BR_UI_MAX_CHARTS;
	for (size_t i = 0; i < d->nrates; i++) {
		if (rate_query(slo, json_array_get(alerts, i), &q) == 0)
			held[i + 1] = range_query(ui, &q, d->range_start, d->range_end, banner);
		d->rates[i] = first(held[i + 1]);
	}
	br_buf_reset(&q);
	br_buf_addf(&q, "max by (burnrate_severity) (ALERTS{slo=\"%s\",slo_namespace=\"%s\","
		    "alertstate=\"firing\"})", br__ui_str(slo, "metadata", "name", NULL),
		    br__ui_str(slo, "metadata", "namespace", NULL));
	held[BR_UI_MAX_CHARTS + 1] = range_query(ui, &q, d->range_start, d->range_end, banner);
	d->firing = held[BR_UI_MAX_CHARTS + 1] ? &held[BR_UI_MAX_CHARTS + 1]->matrix : NULL;
	d->range_step = br_ui_step(d->range_end - d->range_start);
	br_buf_release(&q);
}

static void slo_page(struct br_ui *ui, const char *ns, size_t nslen,
		     const char *name, const char *range,
		     struct br_server_response *resp)
{
	char nsbuf[254], namebuf[254];
	struct br_buf banner;
	struct br_ui_answer *held[BR_UI_MAX_CHARTS + 2] = {NULL};
	struct br_ui_slo_data d = {0};
	json_t *slo = NULL;

	if (!name_ok(ns, nslen) || !name_ok(name, strlen(name)))
		return fail_page(resp, 400, "Bad request", "not a namespace/name");
	if (!range || !*range)
		range = "1d";
	if (strcmp(range, "1d") != 0 && strcmp(range, "7d") != 0 && strcmp(range, "window") != 0)
		return fail_page(resp, 400, "Bad request", "range: not " BR_UI_RANGES);
	snprintf(nsbuf, sizeof(nsbuf), "%.*s", (int)nslen, ns);
	snprintf(namebuf, sizeof(namebuf), "%s", name);
	br_buf_init(&banner, 2048);
	if (!available(ui, &banner)) {
		fail_page(resp, 502, "Unavailable", br_buf_str(&banner));
	} else if (!(slo = ui->o.get(ui->o.ctx, nsbuf, namebuf))) {
		fail_page(resp, 404, "Not found", "No such ServiceLevelObjective.");
	} else {
		read_prom(ui, slo, range, held, &d, &banner);
		if (br_ui_render_slo(slo, &d, banner.len ? br_buf_str(&banner) : NULL, &resp->body))
			resp->body.failed = 1;
	}
	json_decref(slo);
	for (size_t i = 0; i < BR_UI_MAX_CHARTS + 2; i++)
		br_ui_answer_drop(held[i]);
	br_buf_release(&banner);
}

void br_ui_handle(void *arg, const struct br_server_request *req,
		  struct br_server_response *resp)
{
	struct br_ui *ui = arg;
	const char *p = req->path;

	resp->headers[0] = "Content-Security-Policy";
	resp->headers[1] = BR_UI_CSP;
	resp->headers[2] = "X-Content-Type-Options";
	resp->headers[3] = "nosniff";
	resp->headers[4] = "Referrer-Policy";
	resp->headers[5] = "no-referrer";
	if (strcmp(p, "/") == 0)
		return overview(ui, req, resp);
	if (strncmp(p, "/slo/", 5) == 0) {
		const char *ns = p + 5, *slash = strchr(ns, '/');
		if (slash)
			return slo_page(ui, ns, (size_t)(slash - ns), slash + 1,
					br_server_request_arg(req, "range"), resp);
	}
	fail_page(resp, 404, "Not found", "No such page.");
}
