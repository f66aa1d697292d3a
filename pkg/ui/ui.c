/* ui: the UI's routes: reads the API server and Prometheus for a request
 * and hands what it read to the renderers. */
#include "ui/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slo/slo.h"

#define GROUP "burnrate.dev"
#define VERSION "v1alpha1"
#define PLURAL "servicelevelobjectives"

struct br_ui {
	struct br_kube_client *kube;
	struct br_prom_client *prom;
};

int br_ui_create(const struct br_ui_options *o, struct br_ui **out,
		 struct br_error *err)
{
	*out = NULL;
	if (!o || !o->kube)
		return br_error_set(err, BR_EINVAL, "ui: no Kubernetes client");
	struct br_ui *ui = calloc(1, sizeof(*ui));
	if (!ui)
		return br_error_set(err, BR_ENOMEM, "ui: out of memory");
	ui->kube = o->kube;
	ui->prom = o->prom;
	*out = ui;
	return 0;
}

void br_ui_free(struct br_ui *ui)
{
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
	ui_page_open(&resp->body, title, why);
	ui_page_close(&resp->body);
}

/* Writes why Prometheus could not be read (rc, err) into banner. */
static void prom_banner(struct br_ui *ui, int rc, const struct br_error *err,
			struct br_buf *banner)
{
	if (rc == BR_EIO || rc == BR_ETIMEOUT || rc == BR_ETLS)
		br_buf_addf(banner, "Prometheus at %s is unreachable: %s",
			    br_prom_client_url(ui->prom), err->text);
	else if (rc != 0)
		br_buf_addf(banner, "Prometheus at %s could not be read: %s",
			    br_prom_client_url(ui->prom), err->text);
}

/* Runs one instant query into v unless one before failed; on failure
 * writes the banner. Returns 0 when v holds an answer. */
static int instant_query(struct br_ui *ui, const char *q, struct br_prom_vector *v,
			 struct br_buf *banner)
{
	struct br_error err;

	if (!ui->prom || banner->len)
		return -1;
	br_error_init(&err);
	int rc = br_prom_query(ui->prom, q, v, &err);
	prom_banner(ui, rc, &err, banner);
	return rc;
}

static void overview(struct br_ui *ui, const struct br_server_request *req,
		     struct br_server_response *resp)
{
	struct br_ui_filter f = {br_server_request_arg(req, "namespace"),
		br_server_request_arg(req, "q"), 1};
	const char *page = br_server_request_arg(req, "page");
	struct br_error err;
	struct br_buf path, msg;
	struct br_prom_vector firing, rates;
	struct br_ui_live live = {NULL, NULL};
	json_t *list = NULL;
	char *end;

	if ((f.namespace && strlen(f.namespace) > BR_UI_MAX_ARG) ||
	    (f.q && strlen(f.q) > BR_UI_MAX_ARG))
		return fail_page(resp, 400, "Bad request", "an argument is too long");
	if (f.namespace && *f.namespace && !name_ok(f.namespace, strlen(f.namespace)))
		return fail_page(resp, 400, "Bad request", "namespace: not a namespace name");
	if (page && *page) {
		f.page = strtol(page, &end, 10);
		if (*end || f.page < 1 || f.page > 1000000)
			return fail_page(resp, 400, "Bad request", "page: not a page number");
	}
	br_error_init(&err);
	br_buf_init(&path, 4096);
	br_buf_init(&msg, 2048);
	br_prom_vector_init(&firing);
	br_prom_vector_init(&rates);
	int rc = br_kube_path(&path, GROUP, VERSION, f.namespace, PLURAL, NULL, NULL);
	if (rc == 0)
		rc = br_kube_list_all(ui->kube, br_buf_str(&path), NULL, 500, &list, &err);
	if (rc != 0) {
		resp->status = 502;
		br_buf_addf(&msg, "The Kubernetes API cannot be read: %s", err.text);
	}
	if (instant_query(ui, "ALERTS{alertstate=\"firing\",slo!=\"\"}", &firing, &msg) == 0)
		live.firing = &firing;
	if (instant_query(ui, "burnrate:sli_error_ratio:rate1h / on(slo, slo_namespace) "
			  "(1 - burnrate:slo:objective_ratio)", &rates, &msg) == 0)
		live.rates = &rates;
	if (br_ui_render_overview(&resp->body, list, &f, &live, msg.len ? br_buf_str(&msg) : NULL))
		resp->body.failed = 1;
	json_decref(list);
	br_prom_vector_release(&firing);
	br_prom_vector_release(&rates);
	br_buf_release(&path);
	br_buf_release(&msg);
}

/* Runs one range query into m unless a query before failed; on failure
 * writes the banner (so the next ones are skipped). */
static void range_query(struct br_ui *ui, const struct br_buf *q, double start,
			double end, struct br_prom_matrix *m, struct br_buf *banner)
{
	struct br_error err;

	if (!ui->prom || banner->len)
		return;
	/* whole steps back from end, so the last point is now */
	double step = br_ui_step(end - start);
	start = end - step * ceil((end - start) / step);
	br_error_init(&err);
	int rc = q->data ? br_prom_query_range(ui->prom, q->data, start, end, step, m, &err)
			 : BR_ENOMEM;
	prom_banner(ui, rc, &err, banner);
}

/* The window of slo in seconds (30d when it has none or a bad one). */
static long long slo_window(const json_t *slo)
{
	const char *window = ui_str(slo, "spec", "window", NULL);
	long long secs = 0;

	if (br_duration_parse(window ? window : "30d", &secs) != 0)
		secs = 30 * 86400;
	return secs;
}

/* The PromQL of the burn rate of alert row a of slo, into q; 0, or -1 when
 * the row has no usable window or the SLO no objective. */
static int rate_query(struct br_buf *q, const json_t *slo, const json_t *a)
{
	const char *w = json_string_value(json_object_get(a, "longWindow"));
	double objective = json_number_value(ui_get(slo, "spec", "objective", NULL));
	long long secs;
	char canon[32];

	if (!w || br_duration_parse(w, &secs) != 0 || !(objective > 0 && objective < 100))
		return -1;
	br_duration_format(secs, canon, sizeof(canon));
	br_buf_reset(q);
	br_buf_addf(q, "burnrate:sli_error_ratio:rate%s{slo=\"%s\",slo_namespace=\"%s\"}"
		    " / (1 - %.10g / 100)", canon, ui_str(slo, "metadata", "name", NULL),
		    ui_str(slo, "metadata", "namespace", NULL), objective);
	return 0;
}

/* Reads what the page of slo shows from Prometheus: the burn-down into
 * m[0], the burn rate of alert row i into m[i + 1], the firing alerts
 * into m[BR_UI_MAX_CHARTS + 1]; fills d. */
static void read_prom(struct br_ui *ui, const json_t *slo, const char *range,
		      struct br_prom_matrix *m, struct br_ui_slo_data *d,
		      struct br_buf *banner)
{
	const json_t *alerts = ui_get(slo, "status", "alerts", NULL);
	long long window = slo_window(slo);
	struct br_buf q;

	d->range = range;
	d->end = d->range_end = (double)time(NULL);
	d->start = d->end - (double)window;
	d->range_start = d->end - (strcmp(range, "window") == 0 ? (double)window :
				   strcmp(range, "7d") == 0 ? 7 * 86400.0 : 86400.0);
	br_buf_init(&q, 2048);
	br_buf_addf(&q, "burnrate:error_budget:remaining{slo=\"%s\",slo_namespace=\"%s\"}",
		    ui_str(slo, "metadata", "name", NULL),
		    ui_str(slo, "metadata", "namespace", NULL));
	range_query(ui, &q, d->start, d->end, &m[0], banner);
	d->budget = m[0].count ? &m[0].series[0] : NULL;
	d->nrates = json_array_size(alerts) < BR_UI_MAX_CHARTS ? json_array_size(alerts)
								: BR_UI_MAX_CHARTS;
	for (size_t i = 0; i < d->nrates; i++) {
		if (rate_query(&q, slo, json_array_get(alerts, i)) == 0)
			range_query(ui, &q, d->range_start, d->range_end, &m[i + 1], banner);
		d->rates[i] = m[i + 1].count ? &m[i + 1].series[0] : NULL;
	}
	br_buf_reset(&q);
	br_buf_addf(&q, "max by (burnrate_severity) (ALERTS{slo=\"%s\",slo_namespace=\"%s\","
		    "alertstate=\"firing\"})", ui_str(slo, "metadata", "name", NULL),
		    ui_str(slo, "metadata", "namespace", NULL));
	range_query(ui, &q, d->range_start, d->range_end, &m[BR_UI_MAX_CHARTS + 1], banner);
	d->firing = &m[BR_UI_MAX_CHARTS + 1];
	d->range_step = br_ui_step(d->range_end - d->range_start);
	br_buf_release(&q);
}

static void slo_page(struct br_ui *ui, const char *ns, size_t nslen,
		     const char *name, const char *range,
		     struct br_server_response *resp)
{
	char nsbuf[254], namebuf[254];
	struct br_error err;
	struct br_buf path, banner;
	struct br_prom_matrix m[BR_UI_MAX_CHARTS + 2];
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
	br_error_init(&err);
	br_buf_init(&path, 4096);
	br_buf_init(&banner, 2048);
	for (size_t i = 0; i < BR_UI_MAX_CHARTS + 2; i++)
		br_prom_matrix_init(&m[i]);
	int rc = br_kube_path(&path, GROUP, VERSION, nsbuf, PLURAL, namebuf, NULL);
	if (rc == 0)
		rc = br_kube_get(ui->kube, br_buf_str(&path), &slo, &err);
	if (rc == BR_ENOTFOUND) {
		fail_page(resp, 404, "Not found", "No such ServiceLevelObjective.");
	} else if (rc != 0) {
		br_buf_addf(&banner, "The Kubernetes API cannot be read: %s", err.text);
		fail_page(resp, 502, "Unavailable", br_buf_str(&banner));
	} else {
		read_prom(ui, slo, range, m, &d, &banner);
		if (br_ui_render_slo(&resp->body, slo, &d, banner.len ? br_buf_str(&banner) : NULL))
			resp->body.failed = 1;
	}
	json_decref(slo);
	for (size_t i = 0; i < BR_UI_MAX_CHARTS + 2; i++)
		br_prom_matrix_release(&m[i]);
	br_buf_release(&path);
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
