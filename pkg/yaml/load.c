/* yaml load: libyaml's event parser -> jansson trees, with node positions.
 *
 * One recursive descent over the events: a node is built from its start
 * event and, for collections, the events up to the matching end. Recursion
 * is bounded by BR_YAML_MAX_DEPTH. Every node built or copied from an alias
 * counts against BR_YAML_MAX_NODES, which bounds both time and memory of
 * alias bombs (and the number of documents). */
#include "yaml/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "array/array.h"

/* Anchors of the current document: name -> node (a reference we hold). */
struct anchor {
	char *name;     /* NULL: empty slot */
	json_t *node;
	size_t size;    /* nodes in the tree, so an alias is priced up front */
};

struct loader {
	yaml_parser_t parser;
	struct br_yaml_marks *marks;
	struct anchor *anchors;
	size_t anchor_cap;    /* a power of two, or 0 */
	size_t anchor_count;
	size_t nodes;
	struct br_error *err;
};

static int load_node(struct loader *ld, yaml_event_t *ev, int depth,
		     json_t **out);

static int fail_at(struct loader *ld, int code, yaml_mark_t mark,
		   const char *what, const char *name)
{
	if (name)
		return br_error_set_at(ld->err, code, NULL, (int)mark.line + 1,
				       (int)mark.column + 1, "%s \"%s\"", what,
				       name);
	return br_error_set_at(ld->err, code, NULL, (int)mark.line + 1,
			       (int)mark.column + 1, "%s", what);
}

/* Reads the next event; on failure records libyaml's problem. */
static int next_event(struct loader *ld, yaml_event_t *ev)
{
	yaml_parser_t *p = &ld->parser;

	if (yaml_parser_parse(p, ev))
		return 0;
	if (p->error == YAML_MEMORY_ERROR)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	if (p->context)
		return br_error_set_at(ld->err, BR_EPARSE, NULL,
				       (int)p->problem_mark.line + 1,
				       (int)p->problem_mark.column + 1, "%s: %s",
				       p->context,
				       p->problem ? p->problem : "syntax error");
	return br_error_set_at(ld->err, BR_EPARSE, NULL,
			       (int)p->problem_mark.line + 1,
			       (int)p->problem_mark.column + 1, "%s",
			       p->problem ? p->problem : "syntax error");
}

static int too_many(struct loader *ld, yaml_mark_t mark)
{
	return fail_at(ld, BR_ELIMIT, mark,
		       "too many nodes (more than BR_YAML_MAX_NODES with "
		       "aliases expanded)", NULL);
}

/* Counts one more node (or document) against the budget. */
static int count_node(struct loader *ld, yaml_mark_t mark)
{
	if (++ld->nodes <= BR_YAML_MAX_NODES)
		return 0;
	return too_many(ld, mark);
}

/* Records where node starts. true, false and null are shared singletons in
 * jansson, so they get no mark (br_yaml_mark returns BR_ENOTFOUND). */
static int record(struct loader *ld, const json_t *node, int line, int column)
{
	if (json_is_true(node) || json_is_false(node) || json_is_null(node))
		return 0;
	if (br__yaml_marks_put(ld->marks, node, line, column) < 0)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	return 0;
}

static int record_at(struct loader *ld, const json_t *node, yaml_mark_t mark)
{
	return record(ld, node, (int)mark.line + 1, (int)mark.column + 1);
}

/* ---- anchors ---- */

static size_t hash_name(const char *s, size_t cap)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h & (cap - 1);
}

static struct anchor *anchor_slot(struct anchor *tab, size_t cap,
				  const char *name)
{
	size_t i = hash_name(name, cap);

	while (tab[i].name && strcmp(tab[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static void anchors_clear(struct loader *ld)
{
	for (size_t i = 0; i < ld->anchor_cap; i++) {
		free(ld->anchors[i].name);
		json_decref(ld->anchors[i].node);
	}
	free(ld->anchors);
	ld->anchors = NULL;
	ld->anchor_cap = 0;
	ld->anchor_count = 0;
}

static int anchors_grow(struct loader *ld)
{
	size_t cap = ld->anchor_cap ? ld->anchor_cap * 2 : 16;
	struct anchor *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return BR_ENOMEM;
	for (size_t i = 0; i < ld->anchor_cap; i++)
		if (ld->anchors[i].name)
			*anchor_slot(tab, cap, ld->anchors[i].name) = ld->anchors[i];
	free(ld->anchors);
	ld->anchors = tab;
	ld->anchor_cap = cap;
	return 0;
}

/* Remembers node of size nodes under name (a later anchor of the same name
 * wins). */
static int anchor_put(struct loader *ld, const char *name, json_t *node,
		      size_t size)
{
	struct anchor *slot;

	if ((ld->anchor_count + 1) * 2 > ld->anchor_cap && anchors_grow(ld) < 0)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	slot = anchor_slot(ld->anchors, ld->anchor_cap, name);
	if (!slot->name) {
		slot->name = strdup(name);
		if (!slot->name)
			return br_error_set(ld->err, BR_ENOMEM, "out of memory");
		ld->anchor_count++;
	}
	json_decref(slot->node);
	slot->node = json_incref(node);
	slot->size = size;
	return 0;
}

static const struct anchor *anchor_get(struct loader *ld, const char *name)
{
	const struct anchor *a;

	if (!ld->anchor_cap)
		return NULL;
	a = anchor_slot(ld->anchors, ld->anchor_cap, name);
	return a->name ? a : NULL;
}

/* ---- aliases: deep copy under the node budget ---- */

static int copy_node(struct loader *ld, const json_t *src, int depth,
		     yaml_mark_t at, json_t **out);

static int copy_children(struct loader *ld, const json_t *src, int depth,
			 yaml_mark_t at, json_t *dst)
{
	const char *key;
	size_t key_len, i;
	json_t *v, *c;
	int rc;

	if (json_is_object(src)) {
		json_object_keylen_foreach((json_t *)src, key, key_len, v) {
			if ((rc = copy_node(ld, v, depth + 1, at, &c)) < 0)
				return rc;
			if (json_object_setn_new_nocheck(dst, key, key_len, c) < 0)
				return br_error_set(ld->err, BR_ENOMEM, "out of memory");
		}
		return 0;
	}
	json_array_foreach(src, i, v) {
		if ((rc = copy_node(ld, v, depth + 1, at, &c)) < 0)
			return rc;
		if (json_array_append_new(dst, c) < 0)
			return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	}
	return 0;
}

/* A copy of src gets src's mark, or the alias's when src has none. */
static int copy_node(struct loader *ld, const json_t *src, int depth,
		     yaml_mark_t at, json_t **out)
{
	int rc, line, column;

	*out = NULL;
	if ((rc = count_node(ld, at)) < 0)
		return rc;
	if ((json_is_object(src) || json_is_array(src)) &&
	    depth > BR_YAML_MAX_DEPTH)
		return fail_at(ld, BR_ELIMIT, at,
			       "nesting deeper than BR_YAML_MAX_DEPTH", NULL);
	switch (json_typeof(src)) {
	case JSON_OBJECT: *out = json_object(); break;
	case JSON_ARRAY: *out = json_array(); break;
	case JSON_STRING:
		*out = json_stringn_nocheck(json_string_value(src),
					    json_string_length(src));
		break;
	case JSON_INTEGER: *out = json_integer(json_integer_value(src)); break;
	case JSON_REAL: *out = json_real(json_real_value(src)); break;
	default: *out = json_incref((json_t *)src); break;
	}
	if (!*out)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	if (br_yaml_mark(ld->marks, src, &line, &column) < 0) {
		line = (int)at.line + 1;
		column = (int)at.column + 1;
	}
	rc = record(ld, *out, line, column);
	if (rc == 0 && (json_is_object(src) || json_is_array(src)))
		rc = copy_children(ld, src, depth, at, *out);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int load_alias(struct loader *ld, yaml_event_t *ev, int depth,
		      json_t **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *a = anchor_get(ld, name);

	if (!a)
		return fail_at(ld, BR_EPARSE, ev->start_mark, "unknown anchor",
			       name);
	/* fail before copying anything: alias bombs cost no time or memory */
	if (a->size > BR_YAML_MAX_NODES - ld->nodes)
		return too_many(ld, ev->start_mark);
	return copy_node(ld, a->node, depth, ev->start_mark, out);
}

/* ---- scalars and collections ---- */

static int is_tag(const yaml_char_t *tag, const char *name)
{
	return tag && strcmp((const char *)tag, name) == 0;
}

static int load_scalar(struct loader *ld, yaml_event_t *ev, json_t **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const yaml_char_t *tag = ev->data.scalar.tag;
	int rc, want = -1;
	const char *why = "out of memory";

	*out = NULL;
	if (is_tag(tag, "tag:yaml.org,2002:str") || is_tag(tag, "!") ||
	    (!tag && !ev->data.scalar.plain_implicit)) {
		/* quoted or explicitly a string */
		*out = json_stringn(s, n);
		if (!*out)
			return br_error_set(ld->err, BR_ENOMEM, "out of memory");
		return record_at(ld, *out, ev->start_mark);
	}
	if (is_tag(tag, "tag:yaml.org,2002:int")) want = JSON_INTEGER;
	if (is_tag(tag, "tag:yaml.org,2002:float")) want = JSON_REAL;
	if (is_tag(tag, "tag:yaml.org,2002:bool")) want = JSON_TRUE;
	if (is_tag(tag, "tag:yaml.org,2002:null")) want = JSON_NULL;
	rc = br__yaml_plain_value(s, n, out, &why);
	if (rc < 0)
		return fail_at(ld, rc, ev->start_mark, why, NULL);
	if (want == JSON_REAL && json_is_integer(*out)) {
		json_t *r = json_real((double)json_integer_value(*out));
		json_decref(*out);
		if (!(*out = r))
			return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	}
	if (want != -1 && !((int)json_typeof(*out) == want ||
			    (want == JSON_TRUE && json_is_boolean(*out)))) {
		json_decref(*out);
		*out = NULL;
		return fail_at(ld, BR_EPARSE, ev->start_mark,
			       "value does not match its tag", (const char *)tag);
	}
	return record_at(ld, *out, ev->start_mark);
}

static int load_sequence(struct loader *ld, int depth, json_t *arr)
{
	yaml_event_t ev;
	json_t *item;
	int rc;

	for (;;) {
		if ((rc = next_event(ld, &ev)) < 0)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if ((rc = load_node(ld, &ev, depth + 1, &item)) < 0)
			return rc;
		if (json_array_append_new(arr, item) < 0)
			return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	}
}

/* Checks the key event and loads the value after it into obj. */
static int load_entry(struct loader *ld, yaml_event_t *key, int depth,
		      json_t *obj)
{
	const char *k = (const char *)key->data.scalar.value;
	size_t n = key->data.scalar.length;
	yaml_event_t ev;
	json_t *value, *anchored;
	int rc;

	if (key->type == YAML_ALIAS_EVENT)
		return fail_at(ld, BR_EPARSE, key->start_mark,
			       "aliases as mapping keys are not supported", NULL);
	if (key->type != YAML_SCALAR_EVENT)
		return fail_at(ld, BR_EPARSE, key->start_mark,
			       "mapping keys must be scalars", NULL);
	if (n == 2 && memcmp(k, "<<", 2) == 0 && key->data.scalar.plain_implicit)
		return fail_at(ld, BR_EPARSE, key->start_mark,
			       "merge keys (<<) are not supported", NULL);
	/* jansson's json_object_get and json_equal stop at a NUL in a key */
	if (memchr(k, '\0', n))
		return fail_at(ld, BR_EPARSE, key->start_mark,
			       "mapping key contains a NUL character", NULL);
	if (json_object_getn(obj, k, n))
		return fail_at(ld, BR_EPARSE, key->start_mark, "duplicate key", k);
	if (key->data.scalar.anchor) {
		/* rare: an anchored key; keep its scalar value for aliases */
		if ((rc = load_scalar(ld, key, &anchored)) < 0)
			return rc;
		rc = anchor_put(ld, (const char *)key->data.scalar.anchor,
				anchored, 1);
		json_decref(anchored);
		if (rc < 0)
			return rc;
	}
	if ((rc = next_event(ld, &ev)) < 0)
		return rc;
	if ((rc = load_node(ld, &ev, depth + 1, &value)) < 0)
		return rc;
	if (json_object_setn_new(obj, k, n, value) < 0)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	return 0;
}

static int load_mapping(struct loader *ld, int depth, json_t *obj)
{
	yaml_event_t key;
	int rc;

	for (;;) {
		if ((rc = next_event(ld, &key)) < 0)
			return rc;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		rc = load_entry(ld, &key, depth, obj);
		yaml_event_delete(&key);
		if (rc < 0)
			return rc;
	}
}

static int load_collection(struct loader *ld, yaml_event_t *ev, int depth,
			   json_t **out)
{
	int is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
	int rc;

	if (depth > BR_YAML_MAX_DEPTH)
		return fail_at(ld, BR_ELIMIT, ev->start_mark,
			       "nesting deeper than BR_YAML_MAX_DEPTH", NULL);
	*out = is_seq ? json_array() : json_object();
	if (!*out)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	if ((rc = record_at(ld, *out, ev->start_mark)) < 0)
		return rc;
	return is_seq ? load_sequence(ld, depth, *out)
		      : load_mapping(ld, depth, *out);
}

/* Builds the node that starts with ev (which this deletes) into *out, a new
 * reference; on failure *out is NULL. */
static int load_node(struct loader *ld, yaml_event_t *ev, int depth,
		     json_t **out)
{
	const yaml_char_t *anchor = NULL;
	size_t before = ld->nodes;
	int rc = 0;

	*out = NULL;
	if (ev->type != YAML_ALIAS_EVENT)   /* copy_node counts those */
		rc = count_node(ld, ev->start_mark);
	switch (rc < 0 ? YAML_NO_EVENT : ev->type) {
	case YAML_NO_EVENT:
		break;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		rc = load_scalar(ld, ev, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		rc = load_collection(ld, ev, depth, out);
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		rc = load_collection(ld, ev, depth, out);
		break;
	case YAML_ALIAS_EVENT:
		rc = load_alias(ld, ev, depth, out);
		break;
	default:
		rc = fail_at(ld, BR_EPARSE, ev->start_mark, "unexpected event",
			     NULL);
		break;
	}
	if (rc == 0 && anchor)
		rc = anchor_put(ld, (const char *)anchor, *out,
				ld->nodes - before);
	yaml_event_delete(ev);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- documents and the stream ---- */

static int add_doc(struct loader *ld, struct br_yaml_stream *s, json_t *root,
		   int line)
{
	struct br_yaml_doc *docs = br_array_grow(s->docs, sizeof(*docs), s->count + 1, &s->cap);

	if (!docs)
		return br_error_set(ld->err, BR_ENOMEM, "out of memory");
	s->docs = docs;
	s->docs[s->count].root = root;
	s->docs[s->count].line = line;
	s->count++;
	return 0;
}

/* Loads one document after its start event; null documents are dropped. */
static int load_document(struct loader *ld, int line,
			 struct br_yaml_stream *s)
{
	yaml_event_t ev;
	json_t *root;
	int rc;

	if ((rc = next_event(ld, &ev)) < 0)
		return rc;
	if ((rc = load_node(ld, &ev, 1, &root)) < 0)
		return rc;
	anchors_clear(ld);   /* anchors are local to their document */
	if ((rc = next_event(ld, &ev)) < 0) {  /* DOCUMENT_END */
		json_decref(root);
		return rc;
	}
	yaml_event_delete(&ev);
	if (json_is_null(root))
		return 0;
	if ((rc = add_doc(ld, s, root, line)) < 0)
		json_decref(root);
	return rc;
}

static int load_stream(struct loader *ld, struct br_yaml_stream *s)
{
	yaml_event_t ev;
	yaml_mark_t mark;
	int rc;

	for (;;) {
		if ((rc = next_event(ld, &ev)) < 0)
			return rc;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			mark = ev.start_mark;
			yaml_event_delete(&ev);
			if ((rc = count_node(ld, mark)) < 0 ||
			    (rc = load_document(ld, (int)mark.line + 1, s)) < 0)
				return rc;
			break;
		default:   /* STREAM_START */
			yaml_event_delete(&ev);
			break;
		}
	}
}

void br_yaml_stream_init(struct br_yaml_stream *s)
{
	s->docs = NULL;
	s->count = 0;
	s->cap = 0;
	s->marks = NULL;
}

void br_yaml_stream_release(struct br_yaml_stream *s)
{
	for (size_t i = 0; i < s->count; i++)
		json_decref(s->docs[i].root);
	free(s->docs);
	br__yaml_marks_free(s->marks);
	br_yaml_stream_init(s);
}

int br_yaml_load(const char *data, size_t len, const char *file,
		 struct br_yaml_stream *out, struct br_error *err)
{
	struct loader ld = { .err = err };
	int rc;

	br_yaml_stream_init(out);
	if (len > BR_YAML_MAX_BYTES) {
		rc = br_error_set(err, BR_ELIMIT,
				  "input larger than BR_YAML_MAX_BYTES");
		goto done;
	}
	if (!yaml_parser_initialize(&ld.parser)) {
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
		goto done;
	}
	yaml_parser_set_input_string(&ld.parser,
				     (const unsigned char *)(data ? data : ""),
				     data ? len : 0);
	if (br__yaml_marks_create(&ld.marks) < 0)
		rc = br_error_set(err, BR_ENOMEM, "out of memory");
	else
		rc = load_stream(&ld, out);
	anchors_clear(&ld);
	yaml_parser_delete(&ld.parser);
	out->marks = ld.marks;
	if (rc < 0)
		br_yaml_stream_release(out);
done:
	if (rc < 0 && file)
		br_error_set_file(err, file);
	return rc;
}
