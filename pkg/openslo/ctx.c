/* ctx: problems, typed member access and origins shared by the converters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "openslo/internal.h"
#include "slo/slo.h"
#include "yaml/yaml.h"

/* true, false and null are jansson singletons without a position of their
 * own: point at the object holding them. */
static const json_t *at(const json_t *v, const json_t *parent)
{
	return !v || json_is_boolean(v) || json_is_null(v) ? parent : v;
}

void br__openslo_problem(struct br__openslo_ctx *c, const json_t *node, const char *field,
			 const char *fmt, ...)
{
	struct br_error e;
	va_list ap;

	c->count++;
	if (!c->problems)
		return;
	br_error_init(&e);
	e.code = BR_EINVAL;
	snprintf(e.field, sizeof(e.field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	if (br_yaml_add_problem(c->doc->marks, node, c->doc->file, &e, c->problems) != 0)
		c->nomem = 1;
}

char *br__openslo_path(const char *path, const char *key, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", path, *path ? "." : "", key);
	return out;
}

char *br__openslo_index(const char *path, size_t i, char *out, size_t size)
{
	snprintf(out, size, "%s[%zu]", path, i);
	return out;
}

static const char *type_name(enum br__openslo_type type)
{
	static const char *const names[] = {"an object", "a list", "a string",
					    "a number", "a boolean"};
	return names[type];
}

static int has_type(const json_t *v, enum br__openslo_type type)
{
	switch (type) {
	case BR__OPENSLO_OBJECT: return json_is_object(v);
	case BR__OPENSLO_LIST: return json_is_array(v);
	case BR__OPENSLO_STRING: return json_is_string(v) && strlen(json_string_value(v)) ==
				       json_string_length(v);
	case BR__OPENSLO_NUMBER: return json_is_number(v);
	case BR__OPENSLO_BOOL: return json_is_boolean(v);
	}
	return 0;
}

/* Not slo's br__slo_member: a string is refused here for a NUL, with no length limit. */
const json_t *br__openslo_member(struct br__openslo_ctx *c, const json_t *obj, const char *path,
				 const char *key, enum br__openslo_type type, int required)
{
	char field[256];
	const json_t *v = json_object_get(obj, key);

	br__openslo_path(path, key, field, sizeof(field));
	if (!v || json_is_null(v)) {
		if (required)
			br__openslo_problem(c, at(v, obj), field, "required field is missing");
		return NULL;
	}
	if (!has_type(v, type)) {
		br__openslo_problem(c, at(v, obj), field, "must be %s%s", type_name(type),
				    type == BR__OPENSLO_STRING && json_is_string(v) ?
				    " without NUL characters" : "");
		return NULL;
	}
	return v;
}

static const char *find_pair(const char *const *pairs, const char *key)
{
	for (size_t i = 0; pairs && pairs[i]; i += 2)
		if (strcmp(pairs[i], key) == 0)
			return pairs[i + 1];
	return NULL;
}

/* Not slo's br__slo_check_fields: a null field passes here; a refused one says why. */
void br__openslo_check_fields(struct br__openslo_ctx *c, const json_t *obj, const char *path,
			      const char *const *allowed, const char *const *refused)
{
	const char *key, *why;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i = 0;
		char field[256];

		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (allowed[i] || json_is_null(v))
			continue;
		br__openslo_path(path, key, field, sizeof(field));
		why = find_pair(refused, key);
		if (why)
			br__openslo_problem(c, at(v, obj), field, "%s", why);
		else
			br__openslo_problem(c, at(v, obj), field, "unknown field (not in OpenSLO "
					    "v1, or not one burnrate converts)");
	}
}

void br__openslo_origin(struct br__openslo_ctx *c, const char *br_field, const char *os_field,
			const json_t *node)
{
	struct br__openslo_origin *grown, *o;

	grown = br_array_grow(c->origins, sizeof(*grown), c->norigins + 1, &c->origins_cap);
	if (!grown) {
		c->nomem = 1;
		return;
	}
	c->origins = grown;
	o = &grown[c->norigins++];
	snprintf(o->br_field, sizeof(o->br_field), "%s", br_field);
	snprintf(o->os_field, sizeof(o->os_field), "%s", os_field);
	o->node = node;
	o->doc = c->doc;
}

/* The i-th reference's kind and name match. */
static int ref_is(const struct br__openslo_ctx *c, size_t i, const char *kind, const char *name)
{
	const json_t *r = c->refs[i].root;
	const char *k = json_string_value(json_object_get(r, "kind"));
	const char *n = json_string_value(json_object_get(json_object_get(r, "metadata"), "name"));

	return br_openslo_is(r) && k && n && strcmp(k, kind) == 0 && strcmp(n, name) == 0;
}

const struct br_openslo_doc *br__openslo_ref(struct br__openslo_ctx *c, const char *kind,
					     const json_t *ref, const char *field)
{
	const struct br_openslo_doc *found = NULL;
	const char *name = json_string_value(ref);
	size_t n = 0;

	for (size_t i = 0; i < c->nrefs; i++)
		if (ref_is(c, i, kind, name) && n++ == 0)
			found = &c->refs[i];
	if (n == 0)
		br__openslo_problem(c, ref, field, "no %s \"%.200s\" (kind: %s, apiVersion: "
				    "openslo/v1) in the input", kind, name, kind);
	else if (n > 1)
		br__openslo_problem(c, ref, field, "%zu %s documents are named \"%.200s\" in the "
				    "input: which one is meant is ambiguous", n, kind, name);
	return n == 1 ? found : NULL;
}

void br__openslo_set(struct br__openslo_ctx *c, json_t *obj, const char *key, json_t *value)
{
	/* The converters return NULL after recording why, or when an allocation
	   failed: with no problem recorded, only the latter is possible. */
	if (!value) {
		if (c->count == 0)
			c->nomem = 1;
		return;
	}
	if (json_object_set_new(obj, key, value) != 0)
		c->nomem = 1;
}

/* "0", "0m", "00s": OpenSLO's alertAfter defaults to 0m. */
static int is_zero(const char *s)
{
	size_t n = strspn(s, "0");

	return n > 0 && (s[n] == 0 || (strchr("smhdw", s[n]) && s[n] && s[n + 1] == 0));
}

int br__openslo_duration(const char *text, long long *seconds, char *why, size_t size)
{
	size_t n = strlen(text);

	*seconds = 0;
	if (is_zero(text))
		return 0;
	if (n > 1 && strchr("MQY", text[n - 1]) && strspn(text, "0123456789") == n - 1) {
		snprintf(why, size, "\"%.40s\": months, quarters and years have no fixed "
			 "length; burnrate's windows are rolling spans of whole days "
			 "(write 30d or 4w)", text);
		return -1;
	}
	if (br_duration_parse(text, seconds) != 0) {
		snprintf(why, size, "invalid duration \"%.100s\" (a whole number and a unit: "
			 "m, h, d or w, such as 1h or 30d)", text);
		return -1;
	}
	return 0;
}
