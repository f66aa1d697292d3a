/* failalloc.h: allocation-failure injection for the unit tests of parsers
 * (include it once, in a test's only .c file; it defines malloc and friends).
 *
 * malloc, calloc, realloc, strdup and strndup of this process are replaced by
 * versions that fail the Nth call while failing_after >= 0, so that every
 * allocation of the code under test (and of the jansson, buf and errors code
 * it calls) is made to fail in turn, as jansson's test suite does. strdup and
 * strndup are replaced too because sanitizers intercept them directly.
 * Needs _GNU_SOURCE (RTLD_NEXT) defined before the first #include. */
#ifndef BR_TEST_FAILALLOC_H
#define BR_TEST_FAILALLOC_H

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static long failing_after = -1;
static long allocations;

/* Whether this call fails; a failing call sets errno to ENOMEM, as the
 * real ones do (fopen, for one, reports it). */
static int fail_now(void)
{
	allocations++;
	if (failing_after < 0 || failing_after-- != 0)
		return 0;
	errno = ENOMEM;
	return 1;
}

static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f)
		abort();
	return f;
}

void *malloc(size_t n)
{
	static void *(*real)(size_t);
	if (!real)
		real = (void *(*)(size_t))next("malloc");
	return fail_now() ? NULL : real(n);
}

/* dlsym may itself call calloc before the real one is known: serve that
 * from a small static arena (never freed: it is not the heap's). */
void *calloc(size_t n, size_t size)
{
	static void *(*real)(size_t, size_t);
	static int resolving;
	static _Alignas(16) char arena[4096];
	static size_t used;

	if (!real) {
		if (resolving) {
			void *p = arena + used;
			used += (n * size + 15) & ~(size_t)15;
			if (used > sizeof(arena))
				abort();
			return p;
		}
		resolving = 1;
		real = (void *(*)(size_t, size_t))next("calloc");
		resolving = 0;
	}
	return fail_now() ? NULL : real(n, size);
}

void *realloc(void *p, size_t n)
{
	static void *(*real)(void *, size_t);
	if (!real)
		real = (void *(*)(void *, size_t))next("realloc");
	return fail_now() ? NULL : real(p, n);
}

char *strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

char *strdup(const char *s)
{
	return strndup(s, strlen(s));
}

#endif
