/* corrections: BudgetCorrections in the input of generate, validate and
 * explain: parsed next to the SLOs and applied to those they select, as
 * the controller applies them in a cluster. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "cli.h"
#include "yaml/yaml.h"

int cli_add_correction(struct cli_set *set, const json_t *doc,
		       const struct br_yaml_stream *s, const char *file, int line)
{
	struct cli_correction *grown = br_array_grow(set->corrections, sizeof(*grown),
						     set->ncorrections + 1, &set->corrections_cap);
	struct cli_correction *item;
	int rc;

	if (!grown)
		return BR_ENOMEM;
	set->corrections = grown;
	item = &grown[set->ncorrections];
	memset(item, 0, sizeof(*item));
	item->line = line;
	rc = br_correction_parse(doc, s->marks, file, &item->c, &set->problems);
	if (rc != 0)
		return rc == BR_ENOMEM ? rc : 0;
	if (!(item->file = strdup(file))) {
		br_correction_release(&item->c);
		return BR_ENOMEM;
	}
	set->ncorrections++;
	return 0;
}

void cli_corrections_release(struct cli_set *set)
{
	for (size_t i = 0; i < set->ncorrections; i++) {
		br_correction_release(&set->corrections[i].c);
		free(set->corrections[i].file);
	}
	free(set->corrections);
	set->corrections = NULL;
	set->ncorrections = 0;
	set->corrections_cap = 0;
}

/* Applies correction k to SLO i when it selects it; a problem when it
 * cannot apply. Returns 0 or BR_ENOMEM. */
static int apply_one(struct cli_set *set, size_t i, size_t k)
{
	struct cli_slo *item = &set->items[i];
	struct cli_correction *cc = &set->corrections[k];
	struct br_error err;

	if (strcmp(item->slo.namespace, cc->c.namespace) != 0 ||
	    !br_correction_matches(&cc->c, item->labels))
		return 0;
	cc->matched++;
	br_error_init(&err);
	int rc = br_slo_add_correction(&item->slo, &cc->c, &err);
	if (rc == BR_EINVAL) {
		br_error_set_file(&err, cc->file);
		err.line = cc->line;
		snprintf(err.field, sizeof(err.field), "spec.windows");
		return br_problems_add(&set->problems, &err);
	}
	return rc;
}

int cli_apply_corrections(struct cli_set *set)
{
	for (size_t k = 0; k < set->ncorrections; k++) {
		for (size_t i = 0; i < set->count; i++) {
			int rc = apply_one(set, i, k);
			if (rc)
				return rc;
		}
		if (!set->corrections[k].matched)
			fprintf(stderr, "burnrate: %s:%d: BudgetCorrection %s/%s selects no "
				"ServiceLevelObjective of its namespace in the input\n",
				set->corrections[k].file, set->corrections[k].line,
				set->corrections[k].c.namespace, set->corrections[k].c.name);
	}
	return 0;
}
