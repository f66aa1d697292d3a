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
	"Serves a read-only web UI of every ServiceLevelObjective the cluster holds:\n"
	"  /                    every SLO with its budget left, least first\n"
	"                       (?namespace=NS, ?q=TEXT, ?page=N; 50 a page)\n"
	"  /slo/NAMESPACE/NAME  the budget burn-down over the window (read from\n"
	"                       --prometheus-url), the alert table and the conditions\n"
	"Pages hold no JavaScript and load nothing from elsewhere. It listens on\n"
	"127.0.0.1 unless --bind-address says otherwise; it has no authentication of\n"
	"its own, so expose it only behind something that has. The API server is read\n"
	"with the kubeconfig's credentials (list and get servicelevelobjectives).\n"
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

static int serve(const struct ui_opts *o, struct br_kube_client *kube,
		 struct br_prom_client *prom, struct br_error *err)
{
	struct br_ui *ui = NULL;
	struct br_server *srv = NULL;
	struct br_ui_options uo = {kube, prom};
	sigset_t set;
	int sig;

	block_signals(&set);
	int rc = br_ui_create(&uo, &ui, err);
	if (rc == 0) {
		struct br_server_options so = {.bind = o->bind, .handler = br_ui_handle,
			.handler_arg = ui};
		rc = br_server_start(&srv, &so, err);
	}
	if (rc == 0) {
		fprintf(stderr, "burnrate ui: serving on http://%s (port %d)\n", o->bind,
			br_server_port(srv));
		sigwait(&set, &sig);
		fprintf(stderr, "burnrate ui: stopping (signal %d)\n", sig);
	}
	br_server_stop(srv);
	br_ui_free(ui);
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
