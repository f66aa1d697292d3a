/* openslo: OpenSLO v1 documents in the input of generate, validate, explain
 * and convert. They are noted while the files are read and converted once
 * all are, because an SLO may name an SLI, AlertPolicy or AlertCondition of
 * another file; each SLO becomes a ServiceLevelObjective of the set, its
 * problems located in the OpenSLO file. */
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "cli.h"
#include "openslo/openslo.h"
#include "yaml/yaml.h"

int cli_add_openslo(struct cli_set *set, const json_t *doc,
		    const struct br_yaml_stream *s, const char *file, int line)
{
	struct cli_openslo *grown = br_array_grow(set->openslo, sizeof(*grown), set->nopenslo + 1,
						  &set->openslo_cap);
	struct cli_openslo *item;

	if (!grown)
		return BR_ENOMEM;
	set->openslo = grown;
	item = &grown[set->nopenslo];
	item->root = doc;
	item->marks = s->marks;
	item->line = line;
	if (!(item->file = strdup(file)))
		return BR_ENOMEM;
	set->nopenslo++;
	/* an SLO counts as found; an SLI or policy alone is "of another kind"
	   in the message of inputs that hold no SLO */
	if (br_openslo_is_slo(doc))
		set->found++;
	else
		set->skipped++;
	return 0;
}

int cli_keep_stream(struct cli_set *set, struct br_yaml_stream *s)
{
	struct br_yaml_stream *grown = br_array_grow(set->streams, sizeof(*grown),
						     set->nstreams + 1, &set->streams_cap);

	if (!grown) {
		br_yaml_stream_release(s);
		return BR_ENOMEM;
	}
	set->streams = grown;
	grown[set->nstreams++] = *s;
	br_yaml_stream_init(s);
	return 0;
}

/* Converts the SLO at index k (the rest are its references). */
static int convert_one(struct cli_set *set, const struct br_openslo_doc *docs, size_t k)
{
	const struct cli_openslo *o = &set->openslo[k];
	json_t *converted;
	int rc = br_openslo_to_slo(&docs[k], docs, set->nopenslo, &converted, &set->problems);

	if (rc)
		return rc == BR_ENOMEM ? rc : 0;
	rc = cli_add_slo(set, converted, NULL, o->file, o->line);
	json_decref(converted);
	return rc;
}

int cli_convert_openslo(struct cli_set *set)
{
	struct br_openslo_doc *docs;
	int rc = 0;

	if (set->nopenslo == 0)
		return 0;
	docs = calloc(set->nopenslo, sizeof(*docs));
	if (!docs)
		return BR_ENOMEM;
	for (size_t i = 0; i < set->nopenslo; i++)
		docs[i] = (struct br_openslo_doc){set->openslo[i].root, set->openslo[i].marks,
						  set->openslo[i].file};
	for (size_t i = 0; i < set->nopenslo && rc == 0; i++)
		if (br_openslo_is_slo(docs[i].root))
			rc = convert_one(set, docs, i);
	free(docs);
	return rc;
}

void cli_openslo_release(struct cli_set *set)
{
	for (size_t i = 0; i < set->nopenslo; i++)
		free(set->openslo[i].file);
	free(set->openslo);
	for (size_t i = 0; i < set->nstreams; i++)
		br_yaml_stream_release(&set->streams[i]);
	free(set->streams);
	set->openslo = NULL;
	set->streams = NULL;
	set->nopenslo = set->nstreams = 0;
	set->openslo_cap = set->streams_cap = 0;
}
