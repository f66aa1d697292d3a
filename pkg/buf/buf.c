/* buf: growable, capped byte buffer. */
#include "buf/buf.h"

#include "errors/errors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void br_buf_init(struct br_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = 0;
}

void br_buf_release(struct br_buf *b)
{
	free(b->data);
	br_buf_init(b, b->max);
}

void br_buf_reset(struct br_buf *b)
{
	b->failed = 0;
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Frees the contents and marks the buffer failed. Returns BR_ENOMEM. */
static int fail(struct br_buf *b)
{
	br_buf_release(b);
	b->failed = 1;
	return BR_ENOMEM;
}

/* Makes room for n more bytes plus the NUL, or fails the buffer. */
static int grow(struct br_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->failed || n > b->max || b->len > b->max - n)
		return fail(b);
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return fail(b);
	b->data = p;
	b->cap = cap;
	return 0;
}

int br_buf_add(struct br_buf *b, const void *p, size_t n)
{
	if (grow(b, n) != 0)
		return BR_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int br_buf_adds(struct br_buf *b, const char *s)
{
	return br_buf_add(b, s, strlen(s));
}

int br_buf_addc(struct br_buf *b, char c)
{
	return br_buf_add(b, &c, 1);
}

int br_buf_vaddf(struct br_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return fail(b);
	if (grow(b, (size_t)n) != 0)
		return BR_ENOMEM;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int br_buf_addf(struct br_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = br_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *br_buf_str(const struct br_buf *b)
{
	return b->data ? b->data : "";
}

char *br_buf_detach(struct br_buf *b)
{
	char *s = b->data;

	if (b->failed) {
		br_buf_init(b, b->max);
		return NULL;
	}
	if (!s)
		s = calloc(1, 1);
	br_buf_init(b, b->max);
	return s;
}
