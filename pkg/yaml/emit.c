/* yaml emit: json_t -> block YAML through libyaml's emitter, into a br_buf.
 *
 * Scalar style is chosen here, not left to libyaml, so that output is the
 * same for equal trees and reads back to the same tree: strings are plain
 * only when br__yaml_needs_quotes says they may be, multi-line strings ask
 * for a literal block (libyaml falls back to double quotes when a block
 * cannot carry the string exactly), everything else is double-quoted. */
#include "yaml/internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf/buf.h"
#include "text/text.h"

struct emitter {
	yaml_emitter_t e;
	struct br_buf *out;
	int out_failed;
	struct br_error *err;
};

static int write_out(void *data, unsigned char *bytes, size_t size)
{
	struct emitter *em = data;

	if (br_buf_add(em->out, bytes, size) < 0) {
		em->out_failed = 1;
		return 0;
	}
	return 1;
}

/* Emits ev (which libyaml takes over in every case). */
static int emit(struct emitter *em, yaml_event_t *ev)
{
	if (yaml_emitter_emit(&em->e, ev))
		return 0;
	if (em->out_failed || em->e.error == YAML_MEMORY_ERROR)
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	return br_error_set(em->err, BR_EINVAL, "cannot emit: %s",
			    em->e.problem ? em->e.problem : "emitter error");
}

static int emit_scalar(struct emitter *em, const char *s, size_t n,
		       yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (n > INT_MAX)
		return br_error_set(em->err, BR_EINVAL, "string too long");
	/* fails on invalid UTF-8 (a string made with json_stringn_nocheck)
	 * or, much less likely, on memory: it copies s */
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					  (int)n, 1, 1, style)) {
		/* at least as strict as libyaml's own check, so that a
		 * string it refuses is never blamed on memory */
		if (br_text_utf8_valid(s, n))
			return br_error_set(em->err, BR_ENOMEM, "out of memory");
		return br_error_set(em->err, BR_EINVAL,
				    "string is not valid UTF-8");
	}
	return emit(em, &ev);
}

/* A literal block can carry s when its only control character is \n and
 * it has none of the Unicode line breaks that YAML would normalise. */
static int block_ok(const char *s, size_t n)
{
	if (!memchr(s, '\n', n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return 0;
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85)
			return 0;
		if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] & 0xfe) == 0xa8)
			return 0;
	}
	return 1;
}

static int emit_string(struct emitter *em, const char *s, size_t n)
{
	yaml_scalar_style_t style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;

	if (!br__yaml_needs_quotes(s, n))
		style = YAML_PLAIN_SCALAR_STYLE;
	else if (block_ok(s, n))
		style = YAML_LITERAL_SCALAR_STYLE;
	return emit_scalar(em, s, n, style);
}

/* Reals: the shortest of %.15g, %.16g, %.17g that reads back equal, with
 * ".0" added when it would otherwise read back as an integer. */
int br__yaml_scalar_text(const json_t *node, char text[40])
{
	double d;

	switch (json_typeof(node)) {
	case JSON_INTEGER:
		snprintf(text, 40, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(node));
		return 0;
	case JSON_REAL:
		d = json_real_value(node);
		if (!isfinite(d))
			return BR_EINVAL;
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(text, 40, "%.*g", prec, d);
			if (strtod(text, NULL) == d)
				break;
		}
		if (!strpbrk(text, ".e"))   /* "%g" is at most 24 bytes */
			memcpy(text + strlen(text), ".0", 3);
		return 0;
	case JSON_TRUE:
		memcpy(text, "true", 5);
		return 0;
	case JSON_FALSE:
		memcpy(text, "false", 6);
		return 0;
	case JSON_NULL:
		memcpy(text, "null", 5);
		return 0;
	default:
		return BR_EINVAL;
	}
}

static int emit_node(struct emitter *em, const json_t *node);

static int emit_collection(struct emitter *em, const json_t *node)
{
	int is_obj = json_is_object(node);
	size_t size = is_obj ? json_object_size(node) : json_array_size(node);
	yaml_event_t ev;
	const char *key;
	size_t key_len, i;
	json_t *v;
	int rc, ok;

	if (is_obj)
		ok = yaml_mapping_start_event_initialize(
			&ev, NULL, NULL, 1,
			size ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
	else
		ok = yaml_sequence_start_event_initialize(
			&ev, NULL, NULL, 1,
			size ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
	if (!ok)
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	if (is_obj) {
		json_object_keylen_foreach((json_t *)node, key, key_len, v) {
			if ((rc = emit_string(em, key, key_len)) < 0 ||
			    (rc = emit_node(em, v)) < 0)
				return rc;
		}
		ok = yaml_mapping_end_event_initialize(&ev);
	} else {
		json_array_foreach(node, i, v) {
			if ((rc = emit_node(em, v)) < 0)
				return rc;
		}
		ok = yaml_sequence_end_event_initialize(&ev);
	}
	if (!ok)
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	return emit(em, &ev);
}

static int emit_node(struct emitter *em, const json_t *node)
{
	char text[40];

	switch (json_typeof(node)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		return emit_collection(em, node);
	case JSON_STRING:
		return emit_string(em, json_string_value(node),
				   json_string_length(node));
	default:
		if (br__yaml_scalar_text(node, text) < 0)
			return br_error_set(em->err, BR_EINVAL,
					    "non-finite number cannot be written");
		return emit_scalar(em, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
	}
}

/* Stream start, one implicit document around doc, stream end. */
static int emit_document(struct emitter *em, const json_t *doc)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1))
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	if ((rc = emit(em, &ev)) < 0 || (rc = emit_node(em, doc)) < 0)
		return rc;
	if (!yaml_document_end_event_initialize(&ev, 1))
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	if (!yaml_stream_end_event_initialize(&ev))
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	if (!yaml_emitter_flush(&em->e) || em->out_failed)
		return br_error_set(em->err, BR_ENOMEM, "out of memory");
	return 0;
}

int br_yaml_emit(const json_t *doc, struct br_buf *out, struct br_error *err)
{
	int rc;

	if (!doc)
		return br_error_set(err, BR_EINVAL, "no document");
	rc = br__yaml_emit_fast(doc, out);
	if (rc < 0)
		return br_error_set(err, rc, "out of memory");
	return rc == 0 ? 0 : br__yaml_emit_libyaml(doc, out, err);
}

int br__yaml_emit_libyaml(const json_t *doc, struct br_buf *out,
			  struct br_error *err)
{
	struct emitter em = { .out = out, .err = err };
	size_t start = out->len;
	int rc;

	if (!yaml_emitter_initialize(&em.e))
		return br_error_set(err, BR_ENOMEM, "out of memory");
	yaml_emitter_set_output(&em.e, write_out, &em);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_indent(&em.e, 2);
	rc = emit_document(&em, doc);
	yaml_emitter_delete(&em.e);
	if (rc < 0 && !em.out_failed && out->data) {
		/* leave out as it was: drop a half-written document */
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}
