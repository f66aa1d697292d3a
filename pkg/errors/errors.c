/* errors: the error-code table and the error record. */
#include "errors/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"

struct code_entry {
	const char *name;
	const char *text;
};

/* Indexed by -code, from the one table in errors.h. */
#define ENTRY(name, code, text) [-(code)] = {#name, text},
static const struct code_entry codes[] = {BR_ERROR_TABLE(ENTRY)};
#undef ENTRY

/* A gap or a repeated code would leave a hole in codes[] or make it longer
 * than the table has lines. */
_Static_assert(sizeof(codes) / sizeof(codes[0]) == BR_ERROR_COUNT_,
	       "error codes must run 0, -1, -2, ... without a gap");

static const struct code_entry *lookup(int code)
{
	if (code > 0 || code <= -BR_ERROR_COUNT_)
		return NULL;
	return &codes[-code];
}

const char *br_code_name(int code)
{
	const struct code_entry *e = lookup(code);
	return e ? e->name : "EUNKNOWN";
}

const char *br_strerror(int code)
{
	const struct code_entry *e = lookup(code);
	return e ? e->text : "unknown error";
}

void br_error_init(struct br_error *err)
{
	memset(err, 0, sizeof(*err));
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int set_v(struct br_error *err, int code, const char *field, int line,
		 int column, const char *fmt, va_list ap)
{
	if (!err || err->code != 0)
		return code;
	err->code = code;
	copy_str(err->field, sizeof(err->field), field);
	err->line = line;
	err->column = column;
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	return code;
}

int br_error_set(struct br_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(err, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int br_error_set_at(struct br_error *err, int code, const char *field,
		    int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(err, code, field, line, column, fmt, ap);
	va_end(ap);
	return code;
}

void br_error_set_file(struct br_error *err, const char *file)
{
	if (err && err->code != 0 && err->file[0] == '\0')
		copy_str(err->file, sizeof(err->file), file);
}

char *br_error_format(const struct br_error *err, char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return out;
	out[0] = '\0';
#define APPEND(...)                                                        \
	do {                                                               \
		if (n < size) {                                            \
			int w_ = snprintf(out + n, size - n, __VA_ARGS__); \
			n += w_ > 0 ? (size_t)w_ : 0;                      \
		}                                                          \
	} while (0)
	if (err->file[0]) {
		APPEND("%s:", err->file);
		if (err->line > 0)
			APPEND("%d:", err->line);
		if (err->line > 0 && err->column > 0)
			APPEND("%d:", err->column);
		APPEND(" ");
	}
	if (err->field[0])
		APPEND("%s: ", err->field);
	APPEND("%s", err->text[0] ? err->text : br_strerror(err->code));
#undef APPEND
	return out;
}

void br_problems_init(struct br_problems *p)
{
	p->items = NULL;
	p->count = 0;
	p->cap = 0;
}

void br_problems_release(struct br_problems *p)
{
	free(p->items);
	br_problems_init(p);
}

int br_problems_add(struct br_problems *p, const struct br_error *err)
{
	struct br_error *items = br_array_grow(p->items, sizeof(*items), p->count + 1, &p->cap);

	if (!items)
		return BR_ENOMEM;
	p->items = items;
	p->items[p->count++] = *err;
	return 0;
}
