/* yaml: YAML and JSON documents to and from jansson trees, with positions.
 *
 * Loading turns a multi-document YAML stream (JSON is YAML) into one json_t
 * per document, so that the rest of burnrate handles files and API-server
 * objects alike. Scalars are typed as Kubernetes does (YAML 1.1-style plain
 * scalars: null, booleans, integers, floats; quoted scalars are always
 * strings). Anchors and aliases are resolved, but with a cap on the nodes
 * an alias may expand to (alias bombs fail cleanly); nesting depth, document
 * size and the number of documents are capped; duplicate mapping keys and
 * non-scalar keys are errors. Every node's line and column are kept in
 * struct br_yaml_marks so that later validation can point at the input.
 *
 * Emitting writes a json_t as block-style YAML, deterministically: keys in
 * the object's own (insertion) order, strings quoted exactly when they would
 * otherwise read back as another type or are not plain-safe.
 *
 * Thread-safety: none needed; no shared state. Nothing here prints.
 */
#ifndef BR_YAML_H
#define BR_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "errors/errors.h"

struct br_buf;

/* Limits applied while loading. */
#define BR_YAML_MAX_DEPTH 64           /* nesting of mappings and sequences */
#define BR_YAML_MAX_NODES 1000000      /* nodes in one stream, aliases expanded */
#define BR_YAML_MAX_BYTES (64u << 20)  /* size of one stream */

/* Positions of nodes; opaque. */
struct br_yaml_marks;

/* Where a node of a loaded document starts (1-based). Returns 0, or
 * BR_ENOTFOUND when the node is not from this stream (then *line and *column
 * are 0). marks may be NULL (always BR_ENOTFOUND). Can't fail otherwise.
 * Objects, arrays, strings and numbers have marks; true, false and null are
 * shared singletons in jansson, so they have none (BR_ENOTFOUND: point at
 * the parent instead). A node copied from an alias has the mark of the
 * anchored original. Marks are keyed by pointer: they stay right while the
 * stream is alive and its trees are not changed (a node added later may
 * reuse a freed node's address and so its mark). */
int br_yaml_mark(const struct br_yaml_marks *marks, const json_t *node,
		 int *line, int *column);

/* Adds e to problems (NULL: drops it) once it has node's line and column
 * (when marks has them; else e's stay) and file (NULL: e's stays): how the
 * validators of loaded documents record what they find. Returns 0 or
 * BR_ENOMEM (nothing added). */
int br_yaml_add_problem(const struct br_yaml_marks *marks, const json_t *node,
			const char *file, struct br_error *e,
			struct br_problems *problems);

struct br_yaml_doc {
	json_t *root;    /* owned by the stream */
	int line;        /* where the document starts */
};

/* The documents of one stream and their positions. */
struct br_yaml_stream {
	struct br_yaml_doc *docs;
	size_t count;
	size_t cap;      /* room in docs (br_array_grow) */
	struct br_yaml_marks *marks;
};

/* Initialises an empty stream. Does not allocate; can't fail. */
void br_yaml_stream_init(struct br_yaml_stream *s);
/* Frees every document and the marks; the stream is empty again. */
void br_yaml_stream_release(struct br_yaml_stream *s);

/* Parses len bytes of YAML or JSON (which need not be NUL-terminated). Empty
 * documents (a stream of only comments, or "---" with nothing after it) are
 * dropped, and so are documents that are just null. file names the input in
 * errors and may be NULL.
 *
 * Plain scalars: "", ~, null/Null/NULL are null; true/false, yes/no, on/off
 * (lower, Capitalised, UPPER) are booleans; decimal, 0x, 0o, 0b and
 * leading-zero octal (017) integers are integers, a decimal one too big for
 * 64 bits becomes a real, a prefixed one is an error; 1.5, .5, 1., 1e3 are
 * reals; .inf, .nan and overflowing reals are errors ("non-finite number not
 * supported"); anything else, and every quoted scalar, is a string. Tags
 * !!str, !!int, !!float, !!bool and !!null are honoured; others are ignored.
 * Mapping keys must be scalars and are kept as their text; a key holding a
 * NUL character is refused (jansson lookups would stop there). Merge keys
 * (<<) are refused. Anchors are local to their document. Every document
 * start and node counts against BR_YAML_MAX_NODES (so it also caps the
 * number of documents); an alias whose expansion would pass it fails before
 * anything is copied.
 *
 * Returns 0 and fills out (init'ed by the call; you own it: release with
 * br_yaml_stream_release), or BR_EPARSE / BR_ELIMIT / BR_ENOMEM with err set
 * to the line, column and problem, and out empty. */
int br_yaml_load(const char *data, size_t len, const char *file,
		 struct br_yaml_stream *out, struct br_error *err);

/* Appends doc as one block-style YAML document (no leading "---") to out.
 * Returns 0, BR_EINVAL for a value YAML cannot carry (a non-finite real), or
 * BR_ENOMEM. Output for equal trees is byte-for-byte equal. */
int br_yaml_emit(const json_t *doc, struct br_buf *out, struct br_error *err);

#endif
