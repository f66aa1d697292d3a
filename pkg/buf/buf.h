/* buf: the one growable, capped byte buffer that builds every string burnrate
 * writes: URLs, PromQL expressions, YAML and JSON documents, HTTP bodies.
 *
 * Invariants: data is NULL or NUL-terminated; len never counts the NUL; len
 * never exceeds max. When an append fails (out of memory, or it would pass
 * max) the buffer frees its contents and stays failed: every later append
 * fails too and data stays NULL until br_buf_release() or br_buf_reset(). So a
 * caller can chain appends and check `b.data` (or `failed`) once, and no
 * half-built string is ever used.
 *
 * Lifecycle (git's words): br_buf_init() allocates nothing; br_buf_release()
 * frees the contents and re-initialises; br_buf_detach() hands the string to
 * the caller. Not thread-safe: a buffer belongs to one thread at a time.
 */
#ifndef BR_BUF_H
#define BR_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct br_buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes in use, not counting the NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* the most len may ever be */
	int failed;   /* an append failed since the last init/release/reset */
};

/* Default cap: large enough for any document burnrate builds. */
#define BR_BUF_MAX_DEFAULT ((size_t)256 << 20)

/* Initialises an empty buffer that may grow to max bytes. Can't fail. */
void br_buf_init(struct br_buf *b, size_t max);
/* Frees the contents; the buffer is empty and reusable with the same max. */
void br_buf_release(struct br_buf *b);
/* Empties the buffer but keeps its memory for reuse, and clears a failure.
 * Can't fail. */
void br_buf_reset(struct br_buf *b);

/* Appends n bytes. Returns 0, or BR_ENOMEM after freeing the contents (and
 * BR_ENOMEM at once while the buffer is failed). */
int br_buf_add(struct br_buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string. As br_buf_add. */
int br_buf_adds(struct br_buf *b, const char *s);
/* Appends one byte. As br_buf_add. */
int br_buf_addc(struct br_buf *b, char c);
/* Appends printf-formatted text. As br_buf_add. */
int br_buf_addf(struct br_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int br_buf_vaddf(struct br_buf *b, const char *fmt, va_list ap);

/* The contents as a string: "" (never NULL) when empty. Borrowed, valid
 * until the next call that changes the buffer. */
const char *br_buf_str(const struct br_buf *b);

/* Returns the contents and leaves the buffer empty; you now own the string
 * (free with free()). Returns NULL when out of memory or when the buffer
 * had failed (it is then reset). */
char *br_buf_detach(struct br_buf *b);

#endif
