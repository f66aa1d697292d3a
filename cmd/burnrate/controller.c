/* controller: `burnrate controller`: runs the operator (pkg/controller)
 * against the cluster of a kubeconfig or the pod it runs in, with JSON (or
 * text) logs on stderr and a clean exit on SIGTERM/SIGINT. */
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/array.h"
#include "cli.h"
#include "controller/controller.h"
#include "kube/kube.h"
#include "metrics/metrics.h"
#include "prom/prom.h"
#include "rules/rules.h"
#include "server/server.h"
#include "ui/ui.h"

static const char usage[] =
	"usage: burnrate controller [--kubeconfig PATH] [--context NAME]\n"
	"           [--namespace NS]... [--selector K=V] [--workers 4] [--qps 50]\n"
	"           [--burst 100] [--resync 10m] [--rule-label K=V]... [--http2]\n"
	"           [--leader-elect] [--leader-election-namespace NS]\n"
	"           [--metrics-bind-address :8080] [--health-probe-bind-address :8081]\n"
	"           [--ui-bind-address ADDR]\n"
	"           [--log-format json|text] [--log-level debug|info|warn|error]\n"
	"           [--runbook-base-url URL] [--target prometheus|victoriametrics]\n"
	"           [--prometheus-url URL [--prometheus-ca PATH]\n"
	"            [--prometheus-bearer-token-file PATH] [--budget-interval 1m]\n"
	"            [--prometheus-timeout 10s]]\n"
	"           [--alertmanager-base-secret NS/NAME --alertmanager-secret NS/NAME]\n"
	"\n"
	"--metrics-bind-address serves /metrics, /healthz and /readyz; the health\n"
	"probe address serves the same; \"0\" turns either off. /readyz fails (503,\n"
	"the body says why) until the caches have synced, and with --leader-elect\n"
	"while requests on the Lease fail (a replica waiting for another to release\n"
	"it is ready).\n"
	"--ui-bind-address serves the read-only web UI (the pages of `burnrate ui`:\n"
	"every SLO's budget, burn rates and alerts; off by default) from the\n"
	"controller's caches, on every replica, leader or not; budgets, burn rates\n"
	"and alerts come from --prometheus-url. It has no authentication of its\n"
	"own: reach it with kubectl port-forward, or put it behind a proxy that has.\n"
	"--runbook-base-url sets runbook_url URL/page.md or URL/ticket.md on the\n"
	"alerts of SLOs that set no runbook_url annotation.\n"
	"--http2 sends the requests multiplexed over one HTTP/2 connection, as\n"
	"client-go does, instead of over --workers + 1 HTTP/1.1 connections kept\n"
	"alive, which cost kube-apiserver and burnrate less CPU (docs/architecture.md).\n"
	"--target victoriametrics writes and watches operator.victoriametrics.com/v1beta1\n"
	"VMRules instead of PrometheusRules (the default, --target prometheus), with\n"
	"the rules `burnrate generate --target victoriametrics` writes.\n"
	"\n"
	"Runs the operator: keeps, for every ServiceLevelObjective, a PrometheusRule\n"
	"of the same name and the SLO's status up to date. Without --kubeconfig it\n"
	"uses the pod's service account when in a cluster, else $KUBECONFIG or\n"
	"~/.kube/config. SIGTERM or SIGINT stops it cleanly (exit 0).\n"
	"\n"
	"With --prometheus-url the leader reads every SLO's error budget from that\n"
	"Prometheus (the series burnrate's rules record; 2 + one per recorded window\n"
	"queries per interval, 9 with the default alert table, whatever the number\n"
	"of SLOs) and writes status.budget and a BudgetHealthy\n"
	"condition (WithinBudget, BudgetBurning, BudgetExhausted, NoData,\n"
	"PrometheusUnavailable), only when a figure moves meaningfully. A burning or\n"
	"exhausted budget does not make Ready False. The token file is re-read when\n"
	"it changes.\n"
	"\n"
	"Alert routing (both flags, or neither): --alertmanager-base-secret names the\n"
	"Secret the platform team owns, with key alertmanager.yaml (the base\n"
	"configuration) and optionally burnrate.yaml (the policy: receivers each\n"
	"namespace may use, timing per severity). --alertmanager-secret names the\n"
	"Secret burnrate writes (key alertmanager.yaml; e.g. monitoring/alertmanager-main,\n"
	"what prometheus-operator's Alertmanager reads): the base with one route per\n"
	"namespace, receiver and severity that SLOs use, first under the root route.\n"
	"It is rebuilt from all SLOs, debounced, written only when it changes, and\n"
	"kept as it is while the base is missing or invalid. Each SLO gets a condition\n"
	"AlertRoutingReady (ReceiverNotFound, ReceiverNotAllowed, BaseConfigInvalid).\n"
	"\n"
	"Exit codes: 0 stopped by a signal, 1 error (e.g. CRD not installed), 2 usage.\n";

/* ---- logging ---- */

struct logger {
	int json;
	pthread_mutex_t mu;
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Writes value into the text line, quoted as logfmt does when it is empty
 * or holds a space, '=', a quote, a backslash or a control character. */
static void text_value(FILE *f, const char *v)
{
	int plain = *v != '\0';

	for (const char *p = v; plain && *p; p++)
		plain = (unsigned char)*p > 0x20 && !strchr("\"=\\", *p);
	if (plain) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*v < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*v);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void log_kv(void *ctx, enum br_log_level level, const char *ns,
		   const char *name, const char *msg, const char *const *kv)
{
	struct logger *lg = ctx;
	char ts[40];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ldZ", now.tv_nsec / 1000000);
	pthread_mutex_lock(&lg->mu);
	if (lg->json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level",
				      level_names[level], "msg", msg);
		if (o && ns)
			json_object_set_new(o, "namespace", json_string(ns));
		if (o && name)
			json_object_set_new(o, "name", json_string(name));
		for (; o && kv && kv[0] && kv[1]; kv += 2)
			json_object_set_new(o, kv[0], json_string(kv[1]));
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(o);
	} else {
		if (name)
			fprintf(stderr, "%s %-5s %s/%s: %s", ts, level_names[level],
				ns ? ns : "", name, msg);
		else
			fprintf(stderr, "%s %-5s %s", ts, level_names[level], msg);
		for (; kv && kv[0] && kv[1]; kv += 2) {
			fprintf(stderr, " %s=", kv[0]);
			text_value(stderr, kv[1]);
		}
		fputc('\n', stderr);
	}
	fflush(stderr);
	pthread_mutex_unlock(&lg->mu);
}

static void log_line(void *ctx, enum br_log_level level, const char *ns,
		     const char *name, const char *msg)
{
	log_kv(ctx, level, ns, name, msg, NULL);
}

/* ---- options ---- */

struct ctl_opts {
	const char *kubeconfig, *context, *selector, *leader_ns;
	const char *metrics_addr, *health_addr, *ui_addr, *runbook_base_url;
	const char *prom_url, *prom_ca, *prom_token;
	double budget_interval, prom_timeout;
	const char *am_base, *am_target;
	char **namespaces;
	size_t nns, nns_cap;
	struct br_labels labels;
	size_t labels_cap;
	int workers, burst, leader_elect, json, http2;
	double qps, resync;
	enum br_log_level level;
	enum br_rules_target target;
};

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}


static int add_label(struct ctl_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq)
		return -1;
	*eq = '\0';
	if (!cli_label_ok(arg, 1) || !cli_label_ok(eq + 1, 0))
		return -1;
	if (cli_labels_add(&o->labels, &o->labels_cap, arg, eq + 1))
		return -1;
	qsort(o->labels.items, o->labels.count, sizeof(*o->labels.items), cli_label_cmp);
	return 0;
}

static int add_namespace(struct ctl_opts *o, char *ns)
{
	char **n;

	/* checked first: a grown array must be kept */
	if (!*ns || !(n = br_array_grow(o->namespaces, sizeof(*n), o->nns + 1, &o->nns_cap)))
		return -1;
	o->namespaces = n;
	n[o->nns++] = ns;
	return 0;
}

enum { O_KUBECONFIG = 256, O_CONTEXT, O_NAMESPACE, O_SELECTOR, O_WORKERS,
       O_QPS, O_BURST, O_RESYNC, O_RULE_LABEL, O_LEADER, O_LEADER_NS,
       O_METRICS, O_HEALTH, O_LOG_FORMAT, O_LOG_LEVEL, O_RUNBOOK,
       O_PROM_URL, O_PROM_CA, O_PROM_TOKEN, O_BUDGET_INTERVAL, O_PROM_TIMEOUT,
       O_AM_BASE, O_AM_TARGET, O_UI, O_TARGET, O_HTTP2 };

static const struct option longopts[] = {
	{"kubeconfig", required_argument, NULL, O_KUBECONFIG},
	{"context", required_argument, NULL, O_CONTEXT},
	{"namespace", required_argument, NULL, O_NAMESPACE},
	{"selector", required_argument, NULL, O_SELECTOR},
	{"workers", required_argument, NULL, O_WORKERS},
	{"qps", required_argument, NULL, O_QPS},
	{"burst", required_argument, NULL, O_BURST},
	{"resync", required_argument, NULL, O_RESYNC},
	{"rule-label", required_argument, NULL, O_RULE_LABEL},
	{"leader-elect", no_argument, NULL, O_LEADER},
	{"leader-election-namespace", required_argument, NULL, O_LEADER_NS},
	{"metrics-bind-address", required_argument, NULL, O_METRICS},
	{"health-probe-bind-address", required_argument, NULL, O_HEALTH},
	{"ui-bind-address", required_argument, NULL, O_UI},
	{"log-format", required_argument, NULL, O_LOG_FORMAT},
	{"log-level", required_argument, NULL, O_LOG_LEVEL},
	{"runbook-base-url", required_argument, NULL, O_RUNBOOK},
	{"prometheus-url", required_argument, NULL, O_PROM_URL},
	{"prometheus-ca", required_argument, NULL, O_PROM_CA},
	{"prometheus-bearer-token-file", required_argument, NULL, O_PROM_TOKEN},
	{"budget-interval", required_argument, NULL, O_BUDGET_INTERVAL},
	{"prometheus-timeout", required_argument, NULL, O_PROM_TIMEOUT},
	{"alertmanager-base-secret", required_argument, NULL, O_AM_BASE},
	{"alertmanager-secret", required_argument, NULL, O_AM_TARGET},
	{"target", required_argument, NULL, O_TARGET},
	{"http2", no_argument, NULL, O_HTTP2},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Returns 0, or prints why and returns -1. */
static int parse_opt(struct ctl_opts *o, int opt, char *arg)
{
	long v;
	long long secs;
	char *end;

	switch (opt) {
	case O_KUBECONFIG: o->kubeconfig = arg; return 0;
	case O_CONTEXT: o->context = arg; return 0;
	case O_NAMESPACE:
		if (add_namespace(o, arg) == 0)
			return 0;
		fprintf(stderr, "burnrate controller: bad --namespace \"%s\"\n", arg);
		return -1;
	case O_SELECTOR: o->selector = arg; return 0;
	case O_WORKERS:
		if (parse_long(arg, 1, 256, &v) == 0) {
			o->workers = (int)v;
			return 0;
		}
		break;
	case O_BURST:
		if (parse_long(arg, 1, 100000, &v) == 0) {
			o->burst = (int)v;
			return 0;
		}
		break;
	case O_QPS:
		o->qps = strtod(arg, &end);
		if (*arg && !*end && o->qps > 0)
			return 0;
		break;
	case O_RESYNC:
		if (strcmp(arg, "0") == 0) {
			o->resync = 0;
			return 0;
		}
		if (br_duration_parse(arg, &secs) == 0 && secs > 0) {
			o->resync = (double)secs;
			return 0;
		}
		break;
	case O_RULE_LABEL:
		if (add_label(o, arg) == 0)
			return 0;
		break;
	case O_LEADER: o->leader_elect = 1; return 0;
	case O_HTTP2: o->http2 = 1; return 0;
	case O_LEADER_NS: o->leader_ns = arg; return 0;
	case O_METRICS: o->metrics_addr = arg; return 0;
	case O_HEALTH: o->health_addr = arg; return 0;
	case O_UI: o->ui_addr = arg; return 0;
	case O_LOG_FORMAT:
		if (strcmp(arg, "json") == 0 || strcmp(arg, "text") == 0) {
			o->json = strcmp(arg, "json") == 0;
			return 0;
		}
		break;
	case O_TARGET:
		if (br_rules_target_parse(arg, &o->target) == 0)
			return 0;
		fprintf(stderr, "burnrate controller: unknown --target \"%s\" (one of: "
			BR_RULES_TARGET_NAMES ")\n", arg);
		return -1;
	case O_AM_BASE: o->am_base = arg; return 0;
	case O_AM_TARGET: o->am_target = arg; return 0;
	case O_LOG_LEVEL:
		for (int i = 0; i < 4; i++)
			if (strcmp(arg, level_names[i]) == 0) {
				o->level = (enum br_log_level)i;
				return 0;
			}
		break;
	case O_RUNBOOK:
		if (cli_runbook_url_ok(arg)) {
			o->runbook_base_url = arg;
			return 0;
		}
		break;
	case O_PROM_URL:
		if (strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0) {
			o->prom_url = arg;
			return 0;
		}
		break;
	case O_PROM_CA: o->prom_ca = arg; return 0;
	case O_PROM_TOKEN: o->prom_token = arg; return 0;
	case O_BUDGET_INTERVAL:
	case O_PROM_TIMEOUT:
		if (br_duration_parse(arg, &secs) == 0 && secs > 0) {
			double *to = opt == O_PROM_TIMEOUT ? &o->prom_timeout : &o->budget_interval;

			*to = (double)secs;
			return 0;
		}
		break;
	default:
		return -1;
	}
	fprintf(stderr, "burnrate controller: bad value \"%s\" for --%s\n", arg,
		longopts[opt - O_KUBECONFIG].name);
	return -1;
}

/* ---- metrics and probes ---- */

struct observe {
	struct br_metric *requests, *latency;
};

static void observe_request(void *ctx, const char *method, long status,
			    double seconds)
{
	struct observe *ob = ctx;
	char code[16];

	snprintf(code, sizeof(code), "%ld", status);
	br_metric_inc(ob->requests, (const char *[]){method, code});
	br_metric_observe(ob->latency, (const char *[]){method}, seconds);
}

static int register_metrics(struct br_metrics *m, struct observe *ob,
			    struct br_error *err)
{
	struct br_metric *info;
	int rc = br_metrics_counter(m, "burnrate_api_requests_total",
				    "Requests to the Kubernetes API, by method and HTTP code (0: "
				    "no response).",
				    (const char *[]){"method", "code", NULL}, &ob->requests, err);
	if (rc == 0)
		rc = br_metrics_histogram(m, "burnrate_api_request_duration_seconds",
					  "Latency of requests to the Kubernetes API.",
					  (const char *[]){"method", NULL}, NULL, 0,
					  &ob->latency, err);
	if (rc == 0)
		rc = br_metrics_gauge(m, "burnrate_build_info", "Always 1; the version as a label.",
				      (const char *[]){"version", NULL}, &info, err);
	if (rc == 0)
		rc = br_metric_set(info, (const char *[]){BURNRATE_VERSION}, 1);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int ready_probe(void *arg, char *why, size_t size)
{
	return br_controller_ready_reason(arg, why, size);
}

/* Serves /metrics, /healthz and /readyz on addr; "0" disables. */
static int serve(const char *what, const char *addr, struct br_metrics *m,
		 struct br_controller *ctl, struct logger *lg,
		 struct br_server **out, struct br_error *err)
{
	struct br_server_options so = { .bind = addr, .metrics = m,
					.ready_reason = ready_probe, .ready_arg = ctl };
	char msg[128];

	*out = NULL;
	if (!addr || strcmp(addr, "0") == 0)
		return 0;
	int rc = br_server_start(&so, out, err);
	if (rc == 0) {
		snprintf(msg, sizeof(msg), "serving %s on port %d", what, br_server_port(*out));
		log_line(lg, BR_LOG_INFO, NULL, NULL, msg);
	}
	return rc;
}

/* ---- memory ---- */

/* glibc gives threads that allocate at once arenas of their own (up to 8 a
 * core) and keeps what is freed in them for reuse: a controller whose work
 * comes in bursts (a relist, 10,000 SLOs at start) would keep its peak for
 * ever. Two arenas, and a trim every 30 s, give back what a burst freed. */
static atomic_int trim_stop;

static void *trim_loop(void *arg)
{
	(void)arg;
	for (int tick = 1; !atomic_load(&trim_stop); tick++) {
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
		if (tick % 30 == 0)
			malloc_trim(0);
	}
	return NULL;
}

/* ---- signals ---- */

static struct br_controller *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		br_controller_stop(running);
}

static int load_config(const struct ctl_opts *o, struct br_kube_config *cfg,
		       struct br_error *err)
{
	if (!o->kubeconfig && !o->context && getenv("KUBERNETES_SERVICE_HOST")) {
		int rc = br_kube_config_in_cluster(cfg, err);
		if (rc != BR_ENOTFOUND)
			return rc;
		br_kube_config_release(cfg);
	}
	return br_kube_config_load_kubeconfig(o->kubeconfig, o->context, cfg, err);
}

/* ---- the web UI ---- */

/* What --ui-bind-address needs: the index the controller's caches feed,
 * a Prometheus client of its own, the UI and its server. */
struct web {
	struct br_ui_index *index;
	struct br_prom_client *prom;
	struct br_ui *ui;
	struct br_server *srv;
	struct br_controller *ctl;
};

static json_t *web_get(void *ctx, const char *ns, const char *name)
{
	return br_controller_get_slo(((struct web *)ctx)->ctl, ns, name);
}

static int web_unavailable(void *ctx, char *why, size_t size)
{
	struct br_controller_stats st;

	br_controller_stats(((struct web *)ctx)->ctl, &st);
	if (st.synced)
		return 0;
	snprintf(why, size, "the controller has not listed the SLOs yet (caches not synced)");
	return 1;
}

/* Starts the UI on o->ui_addr, once the controller exists. */
static int web_start(struct web *w, const struct ctl_opts *o, struct br_controller *ctl,
		     struct logger *lg, struct br_error *err)
{
	char msg[128];
	int rc = 0;

	w->ctl = ctl;
	if (o->prom_url) {
		struct br_prom_options po = {.url = o->prom_url, .ca_file = o->prom_ca,
			.token_file = o->prom_token, .timeout_ms = 5000,
			.connect_timeout_ms = 2000, .max_body = (size_t)8 << 20};
		rc = br_prom_client_create(&po, &w->prom, err);
	}
	struct br_ui_options uo = {w->index, web_get, web_unavailable, w, w->prom};
	if (rc == 0)
		rc = br_ui_create(&uo, &w->ui, err);
	struct br_server_options so = {.bind = o->ui_addr, .handler = br_ui_handle,
		.handler_arg = w->ui};
	if (rc == 0)
		rc = br_server_start(&so, &w->srv, err);
	if (rc == 0) {
		snprintf(msg, sizeof(msg), "serving the web UI on port %d", br_server_port(w->srv));
		log_line(lg, BR_LOG_INFO, NULL, NULL, msg);
	}
	return rc;
}

/* Stops the UI's server (before the controller it reads is freed). */
static void web_stop(struct web *w)
{
	br_server_stop(w->srv);
	br_ui_free(w->ui);
	br_prom_client_free(w->prom);
	br_ui_index_free(w->index);
}

static int run(struct ctl_opts *o, struct logger *lg)
{
	struct web web = {0};
	struct br_kube_config cfg;
	struct br_kube_client *client = NULL;
	struct br_controller *ctl = NULL;
	struct br_metrics *metrics = NULL;
	struct br_server *msrv = NULL, *hsrv = NULL;
	struct observe ob = { NULL, NULL };
	struct br_error err;
	char msg[1400];
	int rc;

	br_error_init(&err);
	br_kube_config_init(&cfg);
	rc = br_metrics_create(&metrics, &err);
	if (rc == 0)
		rc = register_metrics(metrics, &ob, &err);
	if (rc == 0)
		rc = load_config(o, &cfg, &err);
	if (rc == 0) {
		/* a connection for each worker and one more, so that the Lease's
		   renewal never waits behind every worker's write */
		struct br_kube_options ko = { .qps = o->qps, .burst = o->burst,
					      .timeout_ms = 8000, .http2 = o->http2,
					      .max_connections = o->workers + 1,
					      .observe = observe_request,
					      .observe_ctx = &ob };
		rc = br_kube_client_create(&cfg, &ko, &client, &err);
	}
	br_kube_config_release(&cfg);
	if (rc == 0 && o->ui_addr && strcmp(o->ui_addr, "0") != 0 &&
	    br_ui_index_create(&web.index) != 0)
		rc = br_error_set(&err, BR_ENOMEM, "out of memory");
	if (rc == 0) {
		struct br_controller_options co = {
			.namespaces = (const char *const *)o->namespaces,
			.namespace_count = o->nns, .selector = o->selector,
			.workers = o->workers, .resync = o->resync,
			.rule_labels = &o->labels, .leader_elect = o->leader_elect,
			.runbook_base_url = o->runbook_base_url,
			.target = o->target,
			.leader_namespace = o->leader_ns,
			.log = log_line, .log_kv = log_kv, .log_ctx = lg,
			.log_level = o->level,
			.metrics = metrics,
			.alertmanager_base_secret = o->am_base,
			.alertmanager_secret = o->am_target,
			.on_slo = web.index ? br_ui_index_observe : NULL,
			.on_slo_ctx = web.index,
		};
		rc = br_controller_create(&co, client, &ctl, &err);
	}
	if (rc == 0 && o->prom_url) {
		struct br_controller_budget_options bo = {
			.prometheus_url = o->prom_url, .ca_file = o->prom_ca,
			.token_file = o->prom_token, .interval = o->budget_interval,
			.timeout = o->prom_timeout,
		};
		rc = br_controller_enable_budget(ctl, &bo, &err);
	}
	/* served by every replica, leader or not, from before the caches sync */
	if (rc == 0)
		rc = serve("metrics", o->metrics_addr, metrics, ctl, lg, &msrv, &err);
	/* one server for both when they name the same fixed address */
	if (rc == 0 && o->health_addr &&
	    !(msrv && strcmp(o->health_addr, o->metrics_addr) == 0 &&
	      !ends_with(o->metrics_addr, ":0")))
		rc = serve("health probes", o->health_addr, NULL, ctl, lg, &hsrv, &err);
	if (rc == 0 && web.index)
		rc = web_start(&web, o, ctl, lg, &err);
	if (rc == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		running = ctl;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		log_line(lg, BR_LOG_INFO, NULL, NULL,
			 "starting burnrate controller " BURNRATE_VERSION);
		pthread_t trim;
		int trimming = pthread_create(&trim, NULL, trim_loop, NULL) == 0;
		rc = br_controller_run(ctl, &err);
		running = NULL;
		atomic_store(&trim_stop, 1);
		if (trimming)
			pthread_join(trim, NULL);
	}
	if (rc != 0) {
		br_error_format(&err, msg, sizeof(msg));
		log_line(lg, BR_LOG_ERROR, NULL, NULL, msg);
	} else {
		struct br_controller_stats st;

		br_controller_stats(ctl, &st);
		snprintf(msg, sizeof(msg),
			 "stopped after %lu reconciles (%lu failed), %lu rule applies, "
			 "%lu status writes, %lu events, %lu Secret writes", st.reconciles,
			 st.errors, st.rule_applies, st.status_writes, st.events,
			 st.secret_writes);
		log_line(lg, BR_LOG_INFO, NULL, NULL, msg);
	}
	br_server_stop(msrv);
	br_server_stop(hsrv);
	web_stop(&web);
	br_controller_free(ctl);
	br_kube_client_free(client);
	br_metrics_free(metrics);
	return rc == 0 ? CLI_OK : 1;
}

int cli_controller(int argc, char **argv)
{
	struct ctl_opts o = { .workers = 4, .qps = 50, .burst = 100, .resync = 600,
			      .json = 1, .level = BR_LOG_INFO,
			      .metrics_addr = ":8080", .health_addr = ":8081" };
	struct logger lg;
	int opt, rc;

	mallopt(M_ARENA_MAX, 2); /* see trim_loop */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			free(o.namespaces);
			free(o.labels.items);
			return CLI_OK;
		}
		if (opt == '?' || parse_opt(&o, opt, optarg) != 0) {
			fputs(usage, stderr);
			free(o.namespaces);
			free(o.labels.items);
			return CLI_USAGE;
		}
	}
	if ((o.prom_ca || o.prom_token) && !o.prom_url) {
		fprintf(stderr, "burnrate controller: --prometheus-ca and "
			"--prometheus-bearer-token-file need --prometheus-url\n%s", usage);
		free(o.namespaces);
		free(o.labels.items);
		return CLI_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "burnrate controller: unexpected argument \"%s\"\n%s",
			argv[optind], usage);
		free(o.namespaces);
		free(o.labels.items);
		return CLI_USAGE;
	}
	lg.json = o.json;
	pthread_mutex_init(&lg.mu, NULL);
	rc = run(&o, &lg);
	pthread_mutex_destroy(&lg.mu);
	free(o.namespaces);
	free(o.labels.items);
	return rc;
}
