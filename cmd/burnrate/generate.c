/* generate: `burnrate generate`: renders every SLO as a PrometheusRule (a
 * VMRule with --target victoriametrics, or a plain Prometheus rules file) on
 * stdout or as one file per SLO in a folder.
 *
 * Nothing is written unless every input is valid, so a CI job never publishes
 * half a set of rules. Documents are emitted one at a time into a reused
 * buffer: memory stays flat however many SLOs there are. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alertmanager/alertmanager.h"
#include "buf/buf.h"
#include "cli.h"
#include "rules/rules.h"
#include "yaml/yaml.h"

static const char usage[] =
	"usage: burnrate generate -f PATH [-f PATH ...] [-o DIR] [--format FORMAT]\n"
	"                         [--target prometheus|victoriametrics]\n"
	"                         [--rule-label KEY=VALUE ...] [--runbook-base-url URL]\n"
	"                         [--alertmanager-base FILE [--alertmanager-policy FILE]]\n"
	"\n"
	"Renders ServiceLevelObjectives as Prometheus rules: recording rules for the\n"
	"SLI at each alert window, the error budget left, and the multi-window\n"
	"multi-burn-rate alerts. Output is sorted by namespace/name and deterministic.\n"
	"\n"
	"  -f, --filename PATH   file, directory (recursive, *.yaml/*.yml) or - for stdin\n"
	"  -o, --output DIR      write one file per SLO, DIR/<namespace>_<name>.yaml,\n"
	"                        instead of a multi-document stream on stdout\n"
	"      --format FORMAT   prometheusrule (default): monitoring.coreos.com/v1\n"
	"                        PrometheusRule manifests; rules: a plain rules file\n"
	"                        {groups: [...]} for promtool, Prometheus, Thanos, Mimir;\n"
	"                        mimir (with -o DIR): DIR/<namespace>.yaml per namespace,\n"
	"                        {namespace: NS, groups: [...]}, for mimirtool rules load\n"
	"      --target TARGET   prometheus (default): PrometheusRule objects;\n"
	"                        victoriametrics: operator.victoriametrics.com/v1beta1\n"
	"                        VMRule objects with the same metadata; in either\n"
	"                        format counters are read with increase_prometheus()\n"
	"                        (docs/victoriametrics.md)\n"
	"      --rule-label K=V  extra label on every PrometheusRule (repeatable), e.g.\n"
	"                        release=kube-prometheus-stack\n"
	"      --runbook-base-url URL  runbook_url URL/page.md or URL/ticket.md on\n"
	"                        alerts whose SLO sets no runbook_url annotation\n"
	"      --alertmanager-base FILE\n"
	"                        also render the Alertmanager configuration the controller\n"
	"                        would write: FILE is the base alertmanager.yaml, or a\n"
	"                        Secret manifest with keys alertmanager.yaml and\n"
	"                        burnrate.yaml (the policy). It comes last on stdout, as\n"
	"                        its own YAML document, or as DIR/alertmanager.yaml with -o.\n"
	"                        An SLO naming a receiver the base does not define, or\n"
	"                        one the policy keeps from its namespace, is an error.\n"
	"      --alertmanager-policy FILE\n"
	"                        the policy (burnrate.yaml) from its own file\n"
	"\n"
	"Exit codes: 0 ok, 1 invalid input or no ServiceLevelObjective found (nothing\n"
	"written), 2 usage error.\n";

struct gen_opts {
	struct cli_paths paths;
	const char *outdir;
	const char *am_base, *am_policy;
	int plain_rules;
	int mimir;      /* --format mimir: plain rules, one file per namespace */
	enum br_rules_target target;
	const char *runbook_base_url; /* NULL: none */
	struct br_labels labels; /* sorted; strings borrowed from argv */
	size_t labels_cap;
};


/* Splits "key=value" in place (argv is ours to change) and checks it is a
 * Kubernetes label. Returns 0, or -1 after printing why. */
static int add_rule_label(struct gen_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg) {
		fprintf(stderr, "burnrate generate: --rule-label wants KEY=VALUE, got \"%s\"\n",
			arg);
		return -1;
	}
	*eq = '\0';
	if (!cli_label_ok(arg, 1) || !cli_label_ok(eq + 1, 0) || strlen(eq + 1) > 63)
		goto bad;
	return cli_labels_add(&o->labels, &o->labels_cap, arg, eq + 1) ? -1 : 0;
bad:
	fprintf(stderr, "burnrate generate: --rule-label %s=%s is not a valid Kubernetes label\n",
		arg, eq + 1);
	return -1;
}

static int sort_labels(struct br_labels *l)
{
	if (l->count > 1)
		qsort(l->items, l->count, sizeof(*l->items), cli_label_cmp);
	for (size_t i = 1; i < l->count; i++) {
		if (strcmp(l->items[i - 1].name, l->items[i].name) == 0) {
			fprintf(stderr, "burnrate generate: --rule-label %s given twice\n",
				l->items[i].name);
			return -1;
		}
	}
	return 0;
}

/* Returns -1 to go on, or the exit code to leave with. */
static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "target", required_argument, NULL, 'T' },
		{ "rule-label", required_argument, NULL, 'l' },
		{ "runbook-base-url", required_argument, NULL, 'R' },
		{ "alertmanager-base", required_argument, NULL, 'B' },
		{ "alertmanager-policy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return CLI_OK;
		case 'f':
			if (cli_paths_add(&o->paths, optarg))
				return CLI_INVALID;
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case 'F':
			o->mimir = strcmp(optarg, "mimir") == 0;
			if (strcmp(optarg, "rules") == 0 || o->mimir)
				o->plain_rules = 1;
			else if (strcmp(optarg, "prometheusrule") == 0)
				o->plain_rules = 0;
			else {
				fprintf(stderr,
					"burnrate generate: unknown --format \"%s\" "
					"(prometheusrule, rules or mimir)\n", optarg);
				return CLI_USAGE;
			}
			break;
		case 'T':
			if (br_rules_target_parse(optarg, &o->target) != 0) {
				fprintf(stderr,
					"burnrate generate: unknown --target \"%s\" (one of: "
					BR_RULES_TARGET_NAMES ")\n", optarg);
				return CLI_USAGE;
			}
			break;
		case 'l':
			if (add_rule_label(o, optarg))
				return CLI_USAGE;
			break;
		case 'R':
			if (!cli_runbook_url_ok(optarg)) {
				fprintf(stderr,
					"burnrate generate: --runbook-base-url wants an http(s) "
					"URL without a trailing slash, got \"%s\"\n", optarg);
				return CLI_USAGE;
			}
			o->runbook_base_url = optarg;
			break;
		case 'B':
			o->am_base = optarg;
			break;
		case 'P':
			o->am_policy = optarg;
			break;
		default:
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (o->paths.count == 0 || optind < argc) {
		fprintf(stderr, "burnrate generate: %s\n\n%s",
			o->paths.count ? "unexpected argument" : "no input: give -f PATH", usage);
		return CLI_USAGE;
	}
	if (o->mimir && !o->outdir) {
		fprintf(stderr,
			"burnrate generate: --format mimir needs -o DIR (one file per "
			"namespace)\n");
		return CLI_USAGE;
	}
	if (o->am_policy && !o->am_base) {
		fprintf(stderr,
			"burnrate generate: --alertmanager-policy needs --alertmanager-base\n");
		return CLI_USAGE;
	}
	if (o->am_base && o->plain_rules && !o->outdir) {
		fprintf(stderr,
			"burnrate generate: --alertmanager-base with --format rules needs -o DIR "
			"(a rules file is one document)\n");
		return CLI_USAGE;
	}
	if (o->plain_rules && o->labels.count) {
		fprintf(stderr,
			"burnrate generate: --rule-label applies to PrometheusRule objects, not to "
			"--format rules\n");
		return CLI_USAGE;
	}
	return sort_labels(&o->labels) ? CLI_USAGE : -1;
}

/* The rule groups of one SLO for o's target, with runbook links. Returns 0
 * and *groups (yours), or a BR_E* code with err set and *groups NULL. */
static int plain_groups(const struct gen_opts *o, const struct br_slo *slo,
			json_t **groups, struct br_error *err)
{
	struct br_rules_options ro = { .runbook_base_url = o->runbook_base_url,
				       .target = o->target };
	int rc = br_rules_groups_for(slo, &ro, groups, err);

	if (rc == 0 && o->runbook_base_url)
		rc = br_rules_set_runbooks(*groups, o->runbook_base_url, err);
	if (rc != 0) {
		json_decref(*groups);
		*groups = NULL;
	}
	return rc;
}

/* Renders one SLO into out (emptied first): a PrometheusRule, or a rules
 * file {groups: [...]}. Returns 0 or a BR_E* code with err set. */
static int render(const struct gen_opts *o, const struct br_slo *slo,
		  struct br_buf *out, struct br_error *err)
{
	struct br_rules_options ro = { .rule_labels = &o->labels,
				       .runbook_base_url = o->runbook_base_url,
				       .target = o->target };
	json_t *doc = NULL, *groups = NULL;
	int rc;

	br_buf_reset(out);
	if (o->plain_rules) {
		rc = plain_groups(o, slo, &groups, err);
		if (rc == 0) {
			doc = json_pack("{s:o}", "groups", groups);
			rc = doc ? 0 : br_error_set(err, BR_ENOMEM, "out of memory");
		}
	} else {
		rc = br_rules_object(slo, &ro, &doc, err);
	}
	if (rc == 0)
		rc = br_yaml_emit(doc, out, err);
	json_decref(doc);
	return rc;
}

static int write_file(const char *dir, const struct br_slo *slo,
		      const struct br_buf *b)
{
	struct br_buf path;
	FILE *f;
	int ok;

	br_buf_init(&path, 4096);
	if (br_buf_addf(&path, "%s/%s_%s.yaml", dir, slo->namespace, slo->name))
		return -1;
	f = fopen(br_buf_str(&path), "wb");
	ok = f && fwrite(b->data, 1, b->len, f) == b->len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "burnrate generate: cannot write %s: %s\n", br_buf_str(&path),
			strerror(errno));
	br_buf_release(&path);
	return ok ? 0 : -1;
}

/* Writes to stdout. A plain rules file is one document: the "groups:" line
 * of every SLO after the first is dropped so their groups join one list. */
static int write_stdout(const struct gen_opts *o, size_t index, const struct br_buf *b)
{
	const char *p = b->data;
	size_t n = b->len;

	if (o->plain_rules && index > 0) {
		const char *nl = memchr(p, '\n', n);

		if (!nl || strncmp(p, "groups:\n", 8) != 0)
			return -1;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	} else if (!o->plain_rules && fputs("---\n", stdout) == EOF) {
		return -1;
	}
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

static int make_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0777) == 0 ||
	    (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
		return 0;
	fprintf(stderr, "burnrate generate: cannot create directory %s: %s\n", dir,
		strerror(errno));
	return -1;
}

/* The merged Alertmanager configuration, after the rules. */
static int emit_alertmanager(const struct gen_opts *o, const struct br_am_config *am,
			     const struct cli_set *set)
{
	struct br_buf b;
	int rc = 0;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	if (cli_am_render(am, set, &b) != 0)
		rc = -1;
	else if (o->outdir) {
		struct br_buf path;
		FILE *f;

		br_buf_init(&path, 4096);
		br_buf_addf(&path, "%s/alertmanager.yaml", o->outdir);
		f = path.data ? fopen(path.data, "wb") : NULL;
		rc = f && fwrite(b.data, 1, b.len, f) == b.len ? 0 : -1;
		if (f && fclose(f) != 0)
			rc = -1;
		if (rc)
			fprintf(stderr, "burnrate generate: cannot write %s: %s\n",
				br_buf_str(&path), strerror(errno));
		br_buf_release(&path);
	} else if (fputs("---\n", stdout) == EOF || fwrite(b.data, 1, b.len, stdout) != b.len) {
		rc = -1;
	}
	br_buf_release(&b);
	return rc;
}

/* Writes DIR/<namespace>.yaml, {namespace, groups}; takes groups. Returns 0
 * or -1 (printed). */
static int write_namespace(const char *dir, const char *ns, json_t *groups)
{
	struct br_buf b, path;
	struct br_error err;
	char line[2048];
	json_t *doc = json_pack("{s:s, s:o}", "namespace", ns, "groups", groups);
	FILE *f = NULL;
	int ok;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_init(&path, 4096);
	br_error_init(&err);
	if (!doc || br_yaml_emit(doc, &b, &err) != 0) {
		fprintf(stderr, "burnrate generate: namespace %s: %s\n", ns,
			doc ? br_error_format(&err, line, sizeof(line)) : "out of memory");
		ok = 0;
	} else {
		ok = br_buf_addf(&path, "%s/%s.yaml", dir, ns) == 0 &&
		     (f = fopen(br_buf_str(&path), "wb")) != NULL &&
		     fwrite(b.data, 1, b.len, f) == b.len;
		if (f && fclose(f) != 0)
			ok = 0;
		if (!ok)
			fprintf(stderr, "burnrate generate: cannot write %s/%s.yaml: %s\n", dir, ns,
				strerror(errno));
	}
	json_decref(doc);
	br_buf_release(&b);
	br_buf_release(&path);
	return ok ? 0 : -1;
}

/* --format mimir: the SLOs are sorted by namespace, so each namespace's
 * groups are gathered from consecutive SLOs and written when it ends. */
static int emit_mimir(const struct gen_opts *o, const struct cli_set *set)
{
	json_t *all = NULL, *groups;
	struct br_error err;
	char line[2048];
	size_t i, files = 0;

	for (i = 0; i < set->count; i++) {
		const struct br_slo *slo = &set->items[i].slo;

		br_error_init(&err);
		if (!all && !(all = json_array()))
			return CLI_INVALID;
		if (plain_groups(o, slo, &groups, &err) != 0 || json_array_extend(all, groups)) {
			br_error_set_file(&err, set->items[i].file);
			fprintf(stderr, "%s\n", br_error_format(&err, line, sizeof(line)));
			json_decref(groups);
			json_decref(all);
			return CLI_INVALID;
		}
		json_decref(groups);
		if (i + 1 == set->count ||
		    strcmp(slo->namespace, set->items[i + 1].slo.namespace) != 0) {
			if (write_namespace(o->outdir, slo->namespace, all) != 0)
				return CLI_INVALID;
			all = NULL;
			files++;
		}
	}
	fprintf(stderr, "burnrate generate: wrote %zu file(s) to %s\n", files, o->outdir);
	return CLI_OK;
}

static int emit_all(const struct gen_opts *o, const struct cli_set *set)
{
	struct br_buf b;
	struct br_error err;
	char line[2048];
	int rc = CLI_OK;

	if (o->outdir && make_dir(o->outdir))
		return CLI_INVALID;
	if (o->mimir)
		return emit_mimir(o, set);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	for (size_t i = 0; i < set->count && rc == CLI_OK; i++) {
		const struct br_slo *slo = &set->items[i].slo;

		br_error_init(&err);
		if (render(o, slo, &b, &err)) {
			br_error_set_file(&err, set->items[i].file);
			fprintf(stderr, "%s\n", br_error_format(&err, line, sizeof(line)));
			rc = CLI_INVALID;
		} else if (o->outdir ? write_file(o->outdir, slo, &b) : write_stdout(o, i, &b)) {
			rc = CLI_INVALID;
		}
	}
	br_buf_release(&b);
	if (rc == CLI_OK && fflush(stdout) != 0) {
		fprintf(stderr, "burnrate generate: cannot write output: %s\n", strerror(errno));
		rc = CLI_INVALID;
	}
	if (rc == CLI_OK && o->outdir)
		fprintf(stderr, "burnrate generate: wrote %zu file(s) to %s\n", set->count,
			o->outdir);
	return rc;
}

/* Loads the base and checks every SLO's receivers before anything is
 * written. Returns 0 or -1 (printed). */
static int check_routing(const struct gen_opts *o, const struct cli_set *set,
			 struct br_am_config **am)
{
	size_t n;

	if (cli_am_load(o->am_base, o->am_policy, am) != 0) {
		fprintf(stderr,
			"burnrate generate: invalid Alertmanager base or policy; nothing "
			"written\n");
		return -1;
	}
	n = cli_am_check(*am, set);
	if (n > 0) {
		fprintf(stderr, "burnrate generate: %zu SLO(s) cannot be routed; nothing written\n",
			n);
		return -1;
	}
	return 0;
}

int cli_generate(int argc, char **argv)
{
	struct br_am_config *am = NULL;
	struct gen_opts o = { 0 };
	struct cli_set set;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		goto out;
	cli_set_init(&set);
	rc = cli_load_checked(&set, o.paths.items, o.paths.count, "generate", "; nothing written");
	if (rc == CLI_OK && o.am_base && check_routing(&o, &set, &am) != 0)
		rc = CLI_INVALID;
	if (rc == CLI_OK) {
		rc = emit_all(&o, &set);
		if (rc == CLI_OK && am && emit_alertmanager(&o, am, &set) != 0)
			rc = CLI_INVALID;
		if (rc == CLI_OK && fflush(stdout) != 0)
			rc = CLI_INVALID;
	}
	br_am_config_free(am);
	cli_set_release(&set);
out:
	free(o.paths.items);
	free(o.labels.items);
	return rc;
}
