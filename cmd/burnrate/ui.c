/* ui: `burnrate ui`: serves the read-only web UI (pkg/ui) of the SLOs a
 * kubeconfig's cluster holds, with their budgets read from Prometheus,
 * until SIGTERM or SIGINT. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "prom/prom.h"
#include "server/server.h"
#include "ui/ui.h"

static const char usage[] =
	"usage: burnrate ui [--kubeconfig PATH] [--context NAME]\n"
	"           [--prometheus-url URL [--prometheus-ca PATH]\n"
	"            [--prometheus-bearer-token-file PATH]]\n"
	"           [--bind-address 127.0.0.1:8090]\n"
	"\n"
	"Serves a read-only web UI of every ServiceLevelObjective the cluster holds\n"
	"(the same pages `burnrate controller --ui-bind-address` serves):\n"
	"  /                    every SLO with its budget left (a bar, the events left\n"
	"                       and a sparkline over the window), its alert state\n"
	"                       (firing page, ticket or ok), the burn rate of its\n"
	"                       fastest page row and Ready; least budget first\n"
	"                       (?namespace=NS, ?q=TEXT, ?page=N; 50 a page)\n"
	"  /slo/NAMESPACE/NAME  the budget burn-down over the window, each alert row's\n"
	"                       burn rate with its threshold (?range=1d|7d|window),\n"
	"                       when page and ticket fired, the alert table, the\n"
	"                       conditions, the PrometheusRule and the routing\n"
	"Budgets, burn rates and alerts are read from --prometheus-url (answers kept\n"
	"10 s); without it the pages show what the SLOs' status holds. The SLOs are\n"
	"listed once and watched, so a page costs the API server nothing.\n"
	"Pages hold no JavaScript and load nothing from elsewhere. It listens on\n"
	"127.0.0.1 unless --bind-address says otherwise; it has no authentication of\n"
	"its own, so expose it only behind something that has. The API server is read\n"
	"with the kubeconfig's credentials (list and watch servicelevelobjectives).\n"
	"SIGTERM or SIGINT stops it (exit 0).\n"
	"\n"
	"Exit codes: 0 stopped by a signal, 1 error, 2 usage.\n";

struct ui_opts {
	const char *kubeconfig, *context, *bind;
	const char *prom_url, *prom_ca, *prom_token;
};

static int parse(int argc, char **argv, struct ui_opts *o)
{
	static const struct option longs[] = {
		{"kubeconfig", required_argument, NULL, 'k'},
		{"context", required_argument, NULL, 'c'},
		{"bind-address", required_argument, NULL, 'b'},
		{"prometheus-url", required_argument, NULL, 'p'},
		{"prometheus-ca", required_argument, NULL, 'a'},
		{"prometheus-bearer-token-file", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	o->bind = "127.0.0.1:8090";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 'k': o->kubeconfig = optarg; break;
		case 'c': o->context = optarg; break;
		case 'b': o->bind = optarg; break;
		case 'p': o->prom_url = optarg; break;
		case 'a': o->prom_ca = optarg; break;
		case 't': o->prom_token = optarg; break;
		case 'h': fputs(usage, stdout); return CLI_OK;
		default: fputs(usage, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "burnrate ui: unexpected argument \"%s\"\n%s", argv[optind], usage);
		return CLI_USAGE;
	}
	if ((o->prom_ca || o->prom_token) && !o->prom_url) {
		fprintf(stderr, "burnrate ui: --prometheus-ca and --prometheus-bearer-token-file "
			"need --prometheus-url\n");
		return CLI_USAGE;
	}
	return -1;
}

/* Blocks SIGTERM and SIGINT (in every thread started afterwards) so that
 * the main thread can wait for them with sigwait. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* The SLOs `burnrate ui` shows: an informer of its own feeds the UI's
 * index and answers its gets, as the controller's caches do there. */
struct source {
	struct br_kube_client *kube;
	struct br_informer *inf;
	struct br_ui_index *index;
};

static void slo_add(void *ctx, json_t *obj)
{
	br_ui_index_put(((struct source *)ctx)->index, obj);
}

static void slo_update(void *ctx, json_t *old, json_t *obj)
{
	(void)old;
	slo_add(ctx, obj);
}

static void slo_delete(void *ctx, json_t *obj)
{
	br_ui_index_delete(((struct source *)ctx)->index, obj);
}

static json_t *slo_get(void *ctx, const char *ns, const char *name)
{
	char key[512];

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	return br_informer_get(((struct source *)ctx)->inf, key);
}

/* Until the first list lands the pages say why (asking the API server
 * once for a reason the informer's counters do not keep). */
static int slo_unavailable(void *ctx, char *why, size_t size)
{
	struct source *src = ctx;
	struct br_error err;
	json_t *page = NULL;

	if (br_informer_has_synced(src->inf))
		return 0;
	br_error_init(&err);
	int rc = br_kube_list(src->kube, "/apis/burnrate.dev/v1alpha1/servicelevelobjectives",
			      NULL, 1, NULL, &page, &err);
	json_decref(page);
	snprintf(why, size, "%s", rc == 0 ? "the SLOs are not listed yet" : err.text);
	return 1;
}

static int start_source(struct source *src, struct br_error *err)
{
	struct br_informer_options io = {
		.group = "burnrate.dev", .version = "v1alpha1",
		.plural = "servicelevelobjectives",
		.handlers = {slo_add, slo_update, slo_delete, src},
		/* no transform: managedFields, most of an SLO's bytes, are cut out of
		 * the text before it is decoded (pkg/kube) */
	};
	int rc = br_ui_index_create(&src->index);

	if (rc != 0)
		return br_error_set(err, rc, "out of memory");
	rc = br_informer_create(src->kube, &io, &src->inf, err);
	if (rc == 0)
		rc = br_informer_start(src->inf, err);
	/* a short wait, so that the first page is not "not listed yet" */
	if (rc == 0 && br_informer_wait_synced(src->inf, 5) != 0) {
		char why[1024];
		slo_unavailable(src, why, sizeof(why));
		fprintf(stderr, "burnrate ui: cannot list the SLOs yet (%s); retrying\n", why);
	}
	return rc;
}

static int serve(const struct ui_opts *o, struct br_kube_client *kube,
		 struct br_prom_client *prom, struct br_error *err)
{
	struct source src = {kube, NULL, NULL};
	struct br_ui *ui = NULL;
	struct br_server *srv = NULL;
	sigset_t set;
	int sig;

	block_signals(&set);
	int rc = start_source(&src, err);
	struct br_ui_options uo = {src.index, slo_get, slo_unavailable, &src, prom};
	if (rc == 0)
		rc = br_ui_create(&uo, &ui, err);
	if (rc == 0) {
		struct br_server_options so = {.bind = o->bind, .handler = br_ui_handle,
			.handler_arg = ui};
		rc = br_server_start(&so, &srv, err);
	}
	if (rc == 0) {
		fprintf(stderr, "burnrate ui: serving on http://%s (port %d)\n", o->bind,
			br_server_port(srv));
		sigwait(&set, &sig);
		fprintf(stderr, "burnrate ui: stopping (signal %d)\n", sig);
	}
	br_server_stop(srv);
	br_ui_free(ui);
	br_informer_free(src.inf);
	br_ui_index_free(src.index);
	return rc;
}

static int run(const struct ui_opts *o, struct br_error *err)
{
	struct br_kube_config cfg;
	struct br_kube_client *kube = NULL;
	struct br_prom_client *prom = NULL;

	br_kube_config_init(&cfg);
	int rc = br_kube_config_load_kubeconfig(o->kubeconfig, o->context, &cfg, err);
	if (rc == 0)
		rc = br_kube_client_create(&cfg, NULL, &kube, err);
	if (rc == 0 && o->prom_url) {
		struct br_prom_options po = {.url = o->prom_url, .ca_file = o->prom_ca,
			.token_file = o->prom_token, .timeout_ms = 5000,
			.connect_timeout_ms = 2000, .max_body = (size_t)8 << 20};
		rc = br_prom_client_create(&po, &prom, err);
	}
	if (rc == 0)
		rc = serve(o, kube, prom, err);
	br_prom_client_free(prom);
	br_kube_client_free(kube);
	br_kube_config_release(&cfg);
	return rc;
}

int cli_ui(int argc, char **argv)
{
	struct ui_opts o = {0};
	struct br_error err;
	char msg[1400];
	int rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	br_error_init(&err);
	if (run(&o, &err) != 0) {
		fprintf(stderr, "burnrate ui: %s\n", br_error_format(&err, msg, sizeof(msg)));
		return CLI_INVALID;
	}
	return CLI_OK;
}
