/* array: growing an array by doubling. */
#include "array/array.h"

#include <stdint.h>
#include <stdlib.h>

void *br_array_grow(void *items, size_t size, size_t need, size_t *cap)
{
	size_t n;
	void *p;

	if (need <= *cap)
		return items;
	n = *cap ? *cap : 4;
	n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n < need)
		n = need;
	if (size && n > SIZE_MAX / size)
		return NULL;
	p = realloc(items, n * size);
	if (!p)
		return NULL;
	*cap = n;
	return p;
}
