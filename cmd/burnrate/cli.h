/* cli: what the burnrate subcommands share: loading SLOs from files,
 * directories and stdin, printing problems, and the subcommand entry points.
 *
 * Internal to cmd/burnrate; only this program prints. A struct cli_set owns
 * every SLO it loaded (each with the file it came from) and the problems
 * found on the way; release it with cli_set_release(). Single-threaded.
 */
#ifndef BR_CLI_H
#define BR_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "errors/errors.h"
#include "slo/slo.h"

/* Exit codes shared by every subcommand. */
enum cli_exit { CLI_OK = 0, CLI_INVALID = 1, CLI_USAGE = 2 };

struct cli_slo {
	struct br_slo slo;
	char *file;     /* where it came from; owned */
	int line;       /* where its document starts */
	json_t *labels; /* metadata.labels (a reference), for corrections */
	json_t *doc;    /* the ServiceLevelObjective object (a reference; for
			   OpenSLO input, the converted one), only when the
			   set's keep_docs is on */
};

/* An openslo/v1 document of the input: borrowed from a stream the set
 * keeps (its marks locate problems). */
struct cli_openslo {
	const json_t *root;
	const struct br_yaml_marks *marks;
	char *file;     /* owned */
	int line;
};

/* A BudgetCorrection read from the input. */
struct cli_correction {
	struct br_correction c;
	char *file;     /* owned */
	int line;
	size_t matched; /* SLOs it selects */
};

struct cli_set {
	struct cli_slo *items;  /* sorted by namespace, then name, after load */
	size_t count;
	size_t cap;
	size_t files;           /* files read */
	size_t skipped;         /* documents of other kinds */
	size_t found;           /* ServiceLevelObjective documents, valid or not */
	struct cli_correction *corrections;  /* BudgetCorrections, applied to
						the SLOs they select by cli_load */
	size_t ncorrections;
	size_t corrections_cap;
	struct cli_openslo *openslo;   /* openslo/v1 documents, converted by
					  cli_load once every input is read
					  (an SLO may reference an SLI of
					  another file) */
	size_t nopenslo;
	size_t openslo_cap;
	struct br_yaml_stream *streams; /* kept for the marks of openslo */
	size_t nstreams;
	size_t streams_cap;
	int keep_docs;          /* set before cli_load: fill cli_slo.doc */
	struct br_problems problems;
};

void cli_set_init(struct cli_set *set);
void cli_set_release(struct cli_set *set);

/* Loads every path (a file, a directory walked recursively for *.yaml and
 * *.yml in sorted order, or "-" for stdin) into set, in the given order, then
 * sorts the SLOs by namespace/name. Documents of other kinds are skipped with
 * a note on stderr. Problems (unreadable files, YAML errors, invalid SLOs,
 * duplicates, and inputs that hold no ServiceLevelObjective at all) go into
 * set->problems. Returns 0, or BR_ENOMEM. */
int cli_load(struct cli_set *set, char *const *paths, size_t count);

/* cli_load, then what every subcommand says of it on stderr: "burnrate
 * <cmd>: out of memory", or each problem (cli_print_problems) followed,
 * when summary is not NULL, by "burnrate <cmd>: <n> problem(s)<summary>".
 * Returns 0, or CLI_INVALID after saying why. */
int cli_load_checked(struct cli_set *set, char *const *paths, size_t count, const char *cmd,
		     const char *summary);

/* corrections.c: parses a BudgetCorrection document into set (problems
 * into set->problems). Returns 0 or BR_ENOMEM. */
struct br_yaml_stream;
int cli_add_correction(struct cli_set *set, const json_t *doc,
		       const struct br_yaml_stream *s, const char *file, int line);
/* Adds to each SLO the windows of the corrections of its namespace whose
 * selector matches its labels (a problem for one that cannot apply), and
 * notes on stderr a correction that selects no SLO. Returns 0 or
 * BR_ENOMEM. */
int cli_apply_corrections(struct cli_set *set);
void cli_corrections_release(struct cli_set *set);

/* input.c: parses one ServiceLevelObjective object into set (problems into
 * set->problems; marks may be NULL). Returns 0 or BR_ENOMEM. */
int cli_add_slo(struct cli_set *set, const json_t *doc,
		const struct br_yaml_marks *marks, const char *file, int line);

/* openslo.c: notes an openslo/v1 document of the stream s (which the caller
 * then keeps alive: see cli_keep_stream). Returns 0 or BR_ENOMEM. */
int cli_add_openslo(struct cli_set *set, const json_t *doc,
		    const struct br_yaml_stream *s, const char *file, int line);
/* Keeps *s in set (taking ownership; *s is emptied) when its documents are
 * noted. Returns 0 or BR_ENOMEM (*s then released). */
int cli_keep_stream(struct cli_set *set, struct br_yaml_stream *s);
/* Converts every OpenSLO SLO noted into a ServiceLevelObjective of set, with
 * the other openslo/v1 documents as its references. Returns 0 or
 * BR_ENOMEM. */
int cli_convert_openslo(struct cli_set *set);
void cli_openslo_release(struct cli_set *set);

/* Prints each problem as one line "file:line:col: field: message" to out.
 * Returns how many were printed. */
size_t cli_print_problems(const struct br_problems *p, FILE *out);

/* A list of -f arguments gathered while parsing options. Borrowed strings. */
struct cli_paths {
	char **items;
	size_t count;
	size_t cap;
};
/* Appends; returns 0 or BR_ENOMEM. Free items with free() (not the strings). */
int cli_paths_add(struct cli_paths *paths, char *path);

/* Whether s is made of the characters of a Kubernetes label name (key: 1,
 * which must not be empty and may hold '/') or value (key: 0): letters,
 * digits, '-', '_' and '.'. Lengths are the caller's. Can't fail. */
int cli_label_ok(const char *s, int key);
/* qsort comparison of two struct br_label by name. */
int cli_label_cmp(const void *a, const void *b);
/* Appends the label name=value (borrowed strings) to l, which has room for
 * *cap (br_array_grow). Returns 0 or BR_ENOMEM. Free l->items with free(). */
int cli_labels_add(struct br_labels *l, size_t *cap, char *name, char *value);

/* Formats a number the way the rules do: shortest form, at most 10
 * significant digits (14.4, 0.005, 6). Returns out. */
char *cli_number(double v, char *out, size_t size);

/* Whether s is usable as --runbook-base-url: http:// or https://, something
 * after it, no trailing slash, no whitespace, no "{{" (Prometheus expands
 * annotations as templates). Can't fail. */
int cli_runbook_url_ok(const char *s);

/* --- routing.c: --alertmanager-base ------------------------------------- */

struct br_am_config;
struct br_buf;

/* Reads the base configuration from base_path (alertmanager.yaml, or a
 * Secret manifest with alertmanager.yaml and burnrate.yaml in stringData or
 * data) and the policy from policy_path (NULL: the Secret's burnrate.yaml,
 * or the defaults). Returns 0 and *out (free with br_am_config_free), or -1
 * after printing "file:line:col: field: problem". */
int cli_am_load(const char *base_path, const char *policy_path,
		struct br_am_config **out);
/* Prints one line per SLO whose receivers cannot be routed, naming the
 * file, the SLO, the field and the reason. Returns how many. */
size_t cli_am_check(const struct br_am_config *cfg, const struct cli_set *set);
/* Appends the merged configuration for every SLO of set to out. Returns 0,
 * or -1 after printing why. */
int cli_am_render(const struct br_am_config *cfg, const struct cli_set *set,
		  struct br_buf *out);

/* Subcommands: argc/argv start at the subcommand name. Return an exit code. */
int cli_validate(int argc, char **argv);
int cli_generate(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_controller(int argc, char **argv);
int cli_ui(int argc, char **argv);
int cli_backtest(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_convert(int argc, char **argv);

#endif
