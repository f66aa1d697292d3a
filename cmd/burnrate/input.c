/* input: turns -f arguments into parsed SLOs: walks directories, reads files
 * and stdin, splits multi-document YAML, unpacks `kind: List`, skips other
 * kinds with a note, and collects every problem instead of stopping at the
 * first, so that `burnrate validate` reports them all in one run. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array/array.h"
#include "buf/buf.h"
#include "cli.h"
#include "openslo/openslo.h"
#include "yaml/yaml.h"

#define CLI_MAX_DIR_DEPTH 32 /* deeper trees are symlink loops, not SLO folders */
#define CLI_MAX_LIST_DEPTH 4 /* a List of Lists is odd; deeper is an attack */

void cli_set_init(struct cli_set *set)
{
	memset(set, 0, sizeof(*set));
	br_problems_init(&set->problems);
}

void cli_set_release(struct cli_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		br_slo_release(&set->items[i].slo);
		free(set->items[i].file);
		json_decref(set->items[i].labels);
		json_decref(set->items[i].doc);
	}
	cli_corrections_release(set);
	cli_openslo_release(set);
	free(set->items);
	br_problems_release(&set->problems);
	cli_set_init(set);
}

int cli_paths_add(struct cli_paths *paths, char *path)
{
	char **grown = br_array_grow(paths->items, sizeof(*grown), paths->count + 1, &paths->cap);

	if (!grown)
		return BR_ENOMEM;
	paths->items = grown;
	paths->items[paths->count++] = path;
	return 0;
}

int cli_label_ok(const char *s, int key)
{
	if (!*s)
		return !key;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.' || (key && *s == '/')))
			return 0;
	return 1;
}

int cli_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct br_label *)a)->name, ((const struct br_label *)b)->name);
}

int cli_labels_add(struct br_labels *l, size_t *cap, char *name, char *value)
{
	struct br_label *grown = br_array_grow(l->items, sizeof(*grown), l->count + 1, cap);

	if (!grown)
		return BR_ENOMEM;
	l->items = grown;
	grown[l->count].name = name;
	grown[l->count].value = value;
	l->count++;
	return 0;
}

size_t cli_print_problems(const struct br_problems *p, FILE *out)
{
	char line[2048];

	for (size_t i = 0; i < p->count; i++)
		fprintf(out, "%s\n", br_error_format(&p->items[i], line, sizeof(line)));
	return p->count;
}

/* Records a problem that has a file and maybe a position, but no field. */
static int add_problem_at(struct cli_set *set, const char *file, int line,
			  int column, const char *field, const char *text)
{
	struct br_error e;

	br_error_init(&e);
	br_error_set_at(&e, BR_EINVAL, field ? field : "", line, column, "%s", text);
	br_error_set_file(&e, file);
	return br_problems_add(&set->problems, &e);
}

static int add_problem(struct cli_set *set, const char *file, int line,
		       const char *field, const char *text)
{
	return add_problem_at(set, file, line, 0, field, text);
}

int cli_add_slo(struct cli_set *set, const json_t *doc,
		const struct br_yaml_marks *marks, const char *file, int line)
{
	struct cli_slo *item;
	int rc;

	struct cli_slo *grown = br_array_grow(set->items, sizeof(*grown), set->count + 1,
					      &set->cap);

	if (!grown)
		return BR_ENOMEM;
	set->items = grown;
	item = &set->items[set->count];
	br_slo_init(&item->slo);
	item->line = line;
	size_t before = set->problems.count;
	rc = br_slo_parse(doc, marks, file, &item->slo, &set->problems);
	if (rc == BR_ENOMEM)
		return rc;
	if (rc != 0) {
		if (set->problems.count == before)
			return add_problem(set, file, line, "", "invalid ServiceLevelObjective");
		return 0;
	}
	item->file = strdup(file);
	if (!item->file) {
		br_slo_release(&item->slo);
		return BR_ENOMEM;
	}
	item->labels = json_incref(json_object_get(json_object_get(doc, "metadata"), "labels"));
	item->doc = set->keep_docs ? json_incref((json_t *)doc) : NULL;
	set->count++;
	return 0;
}

static const char *str_field(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v ? v : "";
}

/* Dispatches one document (or one item of a List) by its kind. */
static int add_object(struct cli_set *set, const json_t *doc,
		      const struct br_yaml_stream *s, const char *file,
		      int line, int depth)
{
	const char *kind = str_field(doc, "kind");
	const char *api = str_field(doc, "apiVersion");
	const json_t *items = json_object_get(doc, "items");
	int l = 0, c = 0;

	if (br_yaml_mark(s->marks, doc, &l, &c) == 0)
		line = l;
	if (!json_is_object(doc))
		return add_problem_at(set, file, line, c, "",
				      "document is not a Kubernetes object (expected a mapping)");
	if (!*kind)
		return add_problem_at(set, file, line, c, "kind",
				      "missing: every document needs apiVersion and kind");
	if (strcmp(kind, BR_SLO_KIND) == 0) {
		set->found++;
		if (strcmp(api, BR_SLO_API_VERSION) != 0) {
			char text[512];

			snprintf(text, sizeof(text),
				 "unsupported apiVersion \"%s\" for %s (expected %s)",
				 api, BR_SLO_KIND, BR_SLO_API_VERSION);
			return add_problem_at(set, file, line, c, "apiVersion", text);
		}
		return cli_add_slo(set, doc, s->marks, file, line);
	}
	if (br_openslo_is(doc))
		return cli_add_openslo(set, doc, s, file, line);
	if (strcmp(kind, BR_CORRECTION_KIND) == 0 && strcmp(api, BR_SLO_API_VERSION) == 0)
		return cli_add_correction(set, doc, s, file, line);
	if (json_is_array(items) && strlen(kind) >= 4 &&
	    strcmp(kind + strlen(kind) - 4, "List") == 0) {
		size_t i;
		const json_t *item;

		if (depth >= CLI_MAX_LIST_DEPTH)
			return add_problem_at(set, file, line, c, "items",
					      "Lists nested too deeply");
		json_array_foreach(items, i, item) {
			int rc = add_object(set, item, s, file, line, depth + 1);

			if (rc)
				return rc;
		}
		return 0;
	}
	fprintf(stderr, "burnrate: %s:%d: skipping %s %s \"%s\" (not a %s)\n", file, line,
		api, kind, str_field(json_object_get(doc, "metadata"), "name"), BR_SLO_KIND);
	set->skipped++;
	return 0;
}

static int load_data(struct cli_set *set, const char *data, size_t len,
		     const char *file)
{
	struct br_yaml_stream s;
	struct br_error err;
	int rc;

	br_error_init(&err);
	rc = br_yaml_load(data, len, file, &s, &err);
	if (rc == BR_ENOMEM)
		return rc;
	if (rc) {
		br_error_set_file(&err, file);
		return br_problems_add(&set->problems, &err);
	}
	size_t noted = set->nopenslo;
	for (size_t i = 0; i < s.count && rc == 0; i++)
		rc = add_object(set, s.docs[i].root, &s, file, s.docs[i].line, 0);
	/* OpenSLO documents are converted after every input is read: keep
	   their trees and marks until then */
	if (rc == 0 && set->nopenslo > noted)
		return cli_keep_stream(set, &s);
	br_yaml_stream_release(&s);
	return rc;
}

/* Reads all of f into b; stops one byte past the YAML limit so the loader
 * reports the size problem. Returns 0, BR_EIO (errno set) or BR_ENOMEM. */
static int read_all(FILE *f, struct br_buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (br_buf_add(b, chunk, n))
			return b->len >= b->max ? BR_ELIMIT : BR_ENOMEM;
		if (b->len > BR_YAML_MAX_BYTES)
			break;
	}
	return ferror(f) ? BR_EIO : 0;
}

static int load_file(struct cli_set *set, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct br_buf b;
	char text[512];
	int rc;

	if (!f) {
		snprintf(text, sizeof(text), "cannot open: %s", strerror(errno));
		return add_problem(set, name, 0, NULL, text);
	}
	br_buf_init(&b, (size_t)BR_YAML_MAX_BYTES + 65536 * 2);
	rc = read_all(f, &b);
	if (rc == BR_EIO)
		snprintf(text, sizeof(text), "cannot read: %s", strerror(errno));
	if (!is_stdin)
		fclose(f);
	set->files++;
	if (rc == BR_EIO || rc == BR_ELIMIT) {
		if (rc == BR_ELIMIT)
			snprintf(text, sizeof(text), "file larger than %u bytes",
				 BR_YAML_MAX_BYTES);
		rc = add_problem(set, name, 0, NULL, text);
	} else if (rc == 0) {
		rc = load_data(set, b.data ? b.data : "", b.len, name);
	}
	br_buf_release(&b);
	return rc;
}

static int has_yaml_ext(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(struct cli_set *set, const char *path, int depth);

/* Loads a directory's entries in byte order of their names, so output does
 * not depend on the file system. Hidden entries (.git) are skipped. */
static int load_dir(struct cli_set *set, const char *path, int depth)
{
	DIR *d = opendir(path);
	struct cli_paths names = { 0 };
	struct dirent *e;
	char text[512];
	int rc = 0;

	if (!d) {
		snprintf(text, sizeof(text), "cannot open directory: %s", strerror(errno));
		return add_problem(set, path, 0, NULL, text);
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct br_buf full;

		if (e->d_name[0] == '.')
			continue;
		br_buf_init(&full, 4096);
		br_buf_addf(&full, "%s%s%s", path,
			    path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
		char *s = br_buf_detach(&full);
		if (!s || cli_paths_add(&names, s)) {
			free(s);
			rc = BR_ENOMEM;
		}
	}
	closedir(d);
	if (names.count)
		qsort(names.items, names.count, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.count; i++) {
		struct stat st;

		if (rc == 0 && stat(names.items[i], &st) == 0 &&
		    (S_ISDIR(st.st_mode) || has_yaml_ext(names.items[i])))
			rc = load_path(set, names.items[i], depth + 1);
		free(names.items[i]);
	}
	free(names.items);
	return rc;
}

static int load_path(struct cli_set *set, const char *path, int depth)
{
	struct stat st;
	char text[512];

	if (strcmp(path, "-") == 0)
		return load_file(set, path);
	if (stat(path, &st) != 0) {
		snprintf(text, sizeof(text), "cannot open: %s", strerror(errno));
		return add_problem(set, path, 0, NULL, text);
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(set, path);
	if (depth >= CLI_MAX_DIR_DEPTH)
		return add_problem(set, path, 0, NULL,
				   "directories nested too deeply (a symlink loop?)");
	return load_dir(set, path, depth);
}

static int cmp_slo(const void *a, const void *b)
{
	const struct cli_slo *x = a, *y = b;
	int c = strcmp(x->slo.namespace, y->slo.namespace);

	if (c == 0)
		c = strcmp(x->slo.name, y->slo.name);
	if (c == 0)
		c = strcmp(x->file, y->file);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Two SLOs with one namespace/name would overwrite each other in a cluster
 * and in `generate -o`: refuse them. */
static int check_duplicates(struct cli_set *set)
{
	char text[1024];

	for (size_t i = 1; i < set->count; i++) {
		const struct cli_slo *a = &set->items[i - 1], *b = &set->items[i];

		if (strcmp(a->slo.namespace, b->slo.namespace) ||
		    strcmp(a->slo.name, b->slo.name))
			continue;
		snprintf(text, sizeof(text),
			 "duplicate ServiceLevelObjective %s/%s (also at %s:%d)",
			 b->slo.namespace, b->slo.name, a->file, a->line);
		if (add_problem(set, b->file, b->line, "metadata.name", text))
			return BR_ENOMEM;
	}
	return 0;
}

/* Inputs that hold no ServiceLevelObjective are a mistake (a wrong path, an
 * empty render), not a pass: kubectl apply says "no objects passed to apply".
 * Only when nothing else went wrong, which would say more. Names the inputs,
 * as many as fit in a problem's text. Returns 0 or BR_ENOMEM. */
static int check_found(struct cli_set *set, char *const *paths, size_t count)
{
	char inputs[640] = "", text[1024];
	size_t n = 0;

	if (set->found > 0 || set->problems.count > 0)
		return 0;
	for (size_t i = 0; i < count && n < sizeof(inputs); i++) {
		int w = snprintf(inputs + n, sizeof(inputs) - n, "%s%s", i ? ", " : "",
				 strcmp(paths[i], "-") == 0 ? "<stdin>" : paths[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (set->files == 0)
		snprintf(text, sizeof(text), "no ServiceLevelObjective found in %s "
			 "(no *.yaml or *.yml file)", inputs);
	else
		snprintf(text, sizeof(text), "no ServiceLevelObjective found in %s "
			 "(%zu file(s) read, %zu document(s) of other kinds skipped)",
			 inputs, set->files, set->skipped);
	return add_problem(set, "", 0, NULL, text);
}

int cli_load_checked(struct cli_set *set, char *const *paths, size_t count, const char *cmd,
		     const char *summary)
{
	if (cli_load(set, paths, count)) {
		fprintf(stderr, "burnrate %s: out of memory\n", cmd);
		return CLI_INVALID;
	}
	if (cli_print_problems(&set->problems, stderr) == 0)
		return 0;
	if (summary)
		fprintf(stderr, "burnrate %s: %zu problem(s)%s\n", cmd, set->problems.count,
			summary);
	return CLI_INVALID;
}

int cli_load(struct cli_set *set, char *const *paths, size_t count)
{
	int rc;

	for (size_t i = 0; i < count; i++) {
		rc = load_path(set, paths[i], 0);
		if (rc)
			return rc;
	}
	rc = cli_convert_openslo(set);
	if (rc)
		return rc;
	rc = check_found(set, paths, count);
	if (rc)
		return rc;
	if (set->count > 1)
		qsort(set->items, set->count, sizeof(*set->items), cmp_slo);
	rc = check_duplicates(set);
	return rc ? rc : cli_apply_corrections(set);
}

char *cli_number(double v, char *out, size_t size)
{
	snprintf(out, size, "%.10g", v);
	return out;
}

int cli_runbook_url_ok(const char *s)
{
	size_t n = strlen(s), scheme;

	if (strncmp(s, "https://", 8) == 0)
		scheme = 8;
	else if (strncmp(s, "http://", 7) == 0)
		scheme = 7;
	else
		return 0;
	if (n == scheme || s[n - 1] == '/' || strstr(s, "{{"))
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}
