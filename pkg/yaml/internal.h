/* yaml internal: what load.c, emit.c, scalar.c and marks.c share. Not part
 * of the API (that is yaml.h); nothing outside pkg/yaml/ includes this. */
#ifndef BR_YAML_INTERNAL_H
#define BR_YAML_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "yaml/yaml.h"

/* What a plain (unquoted, untagged) scalar means. */
enum br__yaml_kind {
	BR__YAML_STRING,
	BR__YAML_NULL,
	BR__YAML_BOOL,
	BR__YAML_INT,
	BR__YAML_FLOAT,
	BR__YAML_NONFINITE,  /* .inf, .nan, or a float that overflows */
	BR__YAML_BADINT      /* 0x/0o/0b integer out of range */
};

/* Classifies the plain scalar s of n bytes. Can't fail; allocates nothing. */
enum br__yaml_kind br__yaml_classify(const char *s, size_t n);

/* Builds the value of the plain scalar s of n bytes. Returns 0 and a new
 * reference in *out, or BR_EPARSE for a non-finite or out-of-range number,
 * or BR_ENOMEM; then *why is a static text saying so. */
int br__yaml_plain_value(const char *s, size_t n, json_t **out,
			 const char **why);

/* 1 when the string s of n bytes must be quoted to read back as a string
 * under our rules and those of other YAML 1.1 readers (Kubernetes). */
int br__yaml_needs_quotes(const char *s, size_t n);

/* Writes the text of a number, boolean or null node into text: what
 * emit.c writes as a plain scalar. Returns 0, or BR_EINVAL for a
 * non-finite real (YAML from JSON cannot carry it) or another type. */
int br__yaml_scalar_text(const json_t *node, char text[40]);

/* Appends doc as block YAML, the same bytes libyaml writes from emit.c,
 * when doc is a non-empty collection whose strings are printable ASCII and
 * whose keys are short. Returns 0, 1 when doc is not such a document (out
 * is unchanged), or BR_ENOMEM (out is freed, as br_buf does). */
struct br_buf;
int br__yaml_emit_fast(const json_t *doc, struct br_buf *out);

/* br_yaml_emit through libyaml's emitter, for any document (doc not NULL).
 * br_yaml_emit uses it when br__yaml_emit_fast declines; tests compare. */
int br__yaml_emit_libyaml(const json_t *doc, struct br_buf *out,
			  struct br_error *err);

/* Marks: an open-addressing hash table from node pointer to position. */
/* Returns 0 and an empty *out (free with br__yaml_marks_free), or
 * BR_ENOMEM (*out NULL). */
int br__yaml_marks_create(struct br_yaml_marks **out);
/* Frees m. NULL is fine. */
void br__yaml_marks_free(struct br_yaml_marks *m);
/* Records (or overwrites) node's position. Returns 0 or BR_ENOMEM. */
int br__yaml_marks_put(struct br_yaml_marks *m, const json_t *node,
		       int line, int column);

#endif
