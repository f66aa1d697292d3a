/* array: the one way a growable C array makes room, by doubling (as git's
 * ALLOC_GROW). The array stays the caller's plain pointer, count and
 * capacity; this only computes the new capacity, checks it for overflow and
 * reallocates:
 *
 *	void *p = br_array_grow(x->items, sizeof(*x->items), x->count + 1, &x->cap);
 *	if (!p)
 *		return BR_ENOMEM;
 *	x->items = p;
 *
 * Thread-safety: no shared state. Never prints. Depends on nothing, so that
 * pkg/errors, at the bottom, can use it too.
 */
#ifndef BR_ARRAY_H
#define BR_ARRAY_H

#include <stddef.h>

/* Returns items (moved if it had to grow) with room for at least need
 * (>= 1) elements of size bytes. When need > *cap the capacity becomes the
 * larger of need and twice *cap (8 at first), and *cap says so. items may
 * be NULL with *cap 0. Returns NULL when out of memory or when the size
 * would overflow: items is then untouched (still yours) and *cap unchanged. */
void *br_array_grow(void *items, size_t size, size_t need, size_t *cap);

#endif
