/* yaml fast emit: the common document written straight into a br_buf.
 *
 * libyaml's emitter spent about half of `burnrate generate` analysing and
 * copying every scalar one character at a time. Nearly every document
 * burnrate writes is a block mapping or sequence whose strings are printable
 * ASCII; for those this file writes exactly the bytes libyaml writes with
 * emit.c's settings (indent 2, no line width, block collections, indentless
 * sequences under a key, {} and [] for empty ones, plain or double-quoted
 * scalars chosen by br__yaml_needs_quotes). Anything else (a scalar root, a
 * string with a control or non-ASCII byte, a key libyaml would not write as
 * a simple key) is left to libyaml: the fast path says "unsupported" and
 * emit.c starts over with libyaml. br__yaml_emit_libyaml stays callable on
 * its own so that a test can compare both paths byte for byte. */
#include "yaml/internal.h"

#include <string.h>

#include "buf/buf.h"

/* libyaml writes a longer key as a complex "? key" entry */
#define SIMPLE_KEY_MAX 128

enum { UNSUPPORTED = 1 };

/* The output and whether an append failed. br_buf empties itself when an
 * append fails and would accept the next one, so every append is checked
 * here, once, instead of by each caller. */
struct out {
	struct br_buf *b;
	int failed;
};

static void put(struct out *o, const char *p, size_t n)
{
	if (!o->failed && br_buf_add(o->b, p, n) < 0)
		o->failed = 1;
}

static void putc_(struct out *o, char c)
{
	put(o, &c, 1);
}

/* Where a collection's first entry goes. */
enum first {
	NEW_LINE,   /* on a new line at the indentation (under "key:") */
	AFTER_DASH, /* on this line after "-", one blank between */
	ROOT        /* at the very start of the document */
};

/* 1 when every byte of s is printable ASCII (0x20..0x7e). */
static int printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* Appends s plain or double-quoted; space says whether a separating blank
 * goes first (libyaml writes one unless the line is at its indentation). */
static int put_string(struct out *b, const char *s, size_t n, int space)
{
	const char *run = s;

	if (!printable_ascii(s, n))
		return UNSUPPORTED;
	if (space)
		putc_(b, ' ');
	if (!br__yaml_needs_quotes(s, n)) {
		/* libyaml single-quotes a plain scalar that starts like a
		 * document marker ("..."; "---" is quoted anyway) */
		if (n >= 3 && memcmp(s, "...", 3) == 0)
			return UNSUPPORTED;
		put(b, s, n);
		return 0;
	}
	/* printable ASCII: only the quote and the backslash are escaped */
	putc_(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		put(b, run, (size_t)(s + i - run));
		putc_(b, '\\');
		run = s + i;
	}
	put(b, run, (size_t)(s + n - run));
	putc_(b, '"');
	return 0;
}

static void put_indent(struct out *b, size_t indent)
{
	static const char spaces[] = "                                ";

	putc_(b, '\n');
	while (indent > sizeof(spaces) - 1) {
		put(b, spaces, sizeof(spaces) - 1);
		indent -= sizeof(spaces) - 1;
	}
	put(b, spaces, indent);
}

static int put_mapping(struct out *b, const json_t *obj, size_t indent,
		       enum first where);
static int put_sequence(struct out *b, const json_t *arr, size_t indent,
			enum first where);

/* Starts an entry: where it says for the first one, a new line after. */
static void put_entry_start(struct out *b, size_t indent, enum first where,
			    int first)
{
	if (!first || where == NEW_LINE)
		put_indent(b, indent);
	else if (where == AFTER_DASH)
		putc_(b, ' ');
}

/* Appends a scalar or an empty collection after a ": " or "- ". */
static int put_leaf(struct out *b, const json_t *v)
{
	char text[40];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put(b, " {}", 3);
		return 0;
	case JSON_ARRAY:
		put(b, " []", 3);
		return 0;
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v), 1);
	default:
		if (br__yaml_scalar_text(v, text) < 0)
			return UNSUPPORTED;   /* libyaml path reports it */
		putc_(b, ' ');
		put(b, text, strlen(text));
		return 0;
	}
}

static int is_nonempty(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	       (json_is_array(v) && json_array_size(v) > 0);
}

/* Writes the entries of a non-empty mapping at indent. */
static int put_mapping(struct out *b, const json_t *obj, size_t indent,
		       enum first where)
{
	const char *key;
	size_t key_len;
	json_t *v;
	int rc, first = 1;

	json_object_keylen_foreach((json_t *)obj, key, key_len, v) {
		if (key_len > SIMPLE_KEY_MAX)
			return UNSUPPORTED;
		put_entry_start(b, indent, where, first);
		first = 0;
		if ((rc = put_string(b, key, key_len, 0)) != 0)
			return rc;
		putc_(b, ':');
		if (json_is_object(v) && is_nonempty(v))
			rc = put_mapping(b, v, indent + 2, NEW_LINE);
		else if (is_nonempty(v))   /* indentless under a key */
			rc = put_sequence(b, v, indent, NEW_LINE);
		else
			rc = put_leaf(b, v);
		if (rc != 0 || b->failed)
			return rc;
	}
	return 0;
}

/* Writes the items of a non-empty sequence at indent. */
static int put_sequence(struct out *b, const json_t *arr, size_t indent,
			enum first where)
{
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(arr, i, v) {
		put_entry_start(b, indent, where, i == 0);
		putc_(b, '-');
		if (json_is_object(v) && is_nonempty(v))
			rc = put_mapping(b, v, indent + 2, AFTER_DASH);
		else if (is_nonempty(v))
			rc = put_sequence(b, v, indent + 2, AFTER_DASH);
		else
			rc = put_leaf(b, v);
		if (rc != 0 || b->failed)
			return rc;
	}
	return 0;
}

int br__yaml_emit_fast(const json_t *doc, struct br_buf *out)
{
	struct out o = { .b = out, .failed = 0 };
	size_t start = out->len;
	int rc;

	if (!doc || !is_nonempty(doc))
		return UNSUPPORTED;
	if (json_is_object(doc))
		rc = put_mapping(&o, doc, 0, ROOT);
	else
		rc = put_sequence(&o, doc, 0, ROOT);
	putc_(&o, '\n');
	if (o.failed)
		return BR_ENOMEM;   /* out is already empty and freed */
	if (rc == 0)
		return 0;
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return rc;
}
