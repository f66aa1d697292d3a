/* fuzz_kube_strip: cuts managedFields out of the input as every answer's
 * text is cut before decoding, and checks that JSON stays JSON and loses
 * nothing but those members: the result must equal the input decoded with
 * every metadata object's "managedFields" deleted by jansson. (Keys spelt
 * with escapes are not recognised by the cut, so for input with a
 * backslash only "JSON stays JSON" is checked.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deletes managedFields from every object that is a "metadata" member. */
static void drop(json_t *v, int in_metadata)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		if (in_metadata)
			json_object_del(v, "managedFields");
		json_object_foreach(v, k, x)
			drop(x, strcmp(k, "metadata") == 0);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			drop(x, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	if (!in)
		return 0;  /* only JSON has a promise to keep */
	char *s = malloc(size ? size : 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	size_t n = br_kube_strip_managed_fields(s, size);
	json_t *out = json_loadb(s, n, 0, NULL);
	if (!out || n > size)
		abort();
	drop(in, 0);
	if (!memchr(data, '\\', size) && !json_equal(in, out))
		abort();
	json_decref(in);
	json_decref(out);
	free(s);
	return 0;
}
