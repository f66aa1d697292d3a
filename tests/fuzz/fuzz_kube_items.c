/* fuzz_kube_items: reads the input as a list page item by item
 * (br_kube_list_scan) and finds its members (br_kube_member), as the
 * informers read every list and watch event. Never a crash; and for input
 * that is a JSON object (no duplicate keys, no backslash, so that no key
 * is written with escapes), the scan must agree with jansson's decoding of
 * the whole: the same items in order, the same metadata, the same member
 * values, the same view (br_kube_view) as the whole pruned to its paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	json_t *items;  /* what the scan handed on, in order */
};

static int take(void *ctx, json_t *item, const char *text, size_t len)
{
	struct seen *s = ctx;
	json_t *again = json_loadb(text, len, JSON_DECODE_ANY, NULL);

	/* the text handed on is the item */
	if (!again || !json_equal(again, item))
		abort();
	json_decref(again);
	json_array_append(s->items, item);
	return 0;
}

static void check_member(const char *text, size_t size, const json_t *whole, const char *key)
{
	size_t off = 0, n = 0;
	int rc = br_kube_member(text, size, key, &off, &n, NULL);
	const json_t *want = json_object_get(whole, key);

	if ((rc == 0) != (want != NULL) || (rc != 0 && rc != BR_ENOTFOUND))
		abort();
	if (rc == 0) {
		if (off + n > size)
			abort();
		json_t *got = json_loadb(text + off, n, JSON_DECODE_ANY, NULL);
		if (!got || !json_equal(got, want))
			abort();
		json_decref(got);
	}
}

static const char *const view[] = {"metadata", "status.prometheusRule.generation",
				   "items", NULL};

/* whole cut down to the paths of view, as br_kube_view promises: a
 * member on the way that is no object is kept as it is. */
static json_t *pruned(const json_t *whole)
{
	json_t *out = json_object();

	for (const char *const *p = view; *p; p++) {
		char path[64];
		const json_t *from = whole;
		json_t *to = out;
		snprintf(path, sizeof(path), "%s", *p);
		for (char *seg = strtok(path, "."); seg; seg = strtok(NULL, ".")) {
			const json_t *v = json_object_get(from, seg);
			char *more = seg + strlen(seg) + 1;
			int last = more > path + strlen(*p);
			if (!v)
				break;
			if (last || !json_is_object(v)) {
				json_object_set_new(to, seg, json_deep_copy(v));
				break;
			}
			if (!json_object_get(to, seg))
				json_object_set_new(to, seg, json_object());
			to = json_object_get(to, seg);
			from = v;
		}
	}
	return out;
}

static void check_view(const char *text, size_t size, const json_t *all)
{
	json_t *v = NULL;
	int whole = -1;
	int rc = br_kube_view(text, size, view, &v, &whole, NULL);

	if ((rc == 0) != (v != NULL) || (rc != 0 && rc != BR_EPARSE) ||
	    (rc == 0 && whole != 0 && whole != 1))
		abort();
	/* a JSON object without escapes is always scanned, never decoded whole */
	if (all && json_is_object(all)) {
		json_t *want = pruned(all);
		if (rc != 0 || whole != 0 || !json_equal(v, want))
			abort();
		json_decref(want);
	}
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct seen s = {json_array()};
	struct br_error err;
	json_t *meta = NULL;
	size_t off, n;

	if (!s.items)
		abort();
	br_error_init(&err);
	int rc = br_kube_list_scan(text, size, NULL, take, &s, &meta, &err);
	if (rc != 0 && (meta || !err.text[0]))
		abort();  /* a failure says why, and leaves no metadata */
	(void)br_kube_member(text, size, "object", &off, &n, NULL);

	json_t *whole = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
	check_view(text, size, whole && !memchr(data, '\\', size) ? whole : NULL);
	if (whole && json_is_object(whole) && !memchr(data, '\\', size)) {
		const json_t *items = json_object_get(whole, "items");
		const json_t *md = json_object_get(whole, "metadata");
		int listish = (!items || json_is_array(items) || json_is_null(items));
		if (listish) {
			if (rc != 0 || json_array_size(s.items) != json_array_size(items) ||
			    (json_is_array(items) && !json_equal(s.items, items)))
				abort();
			if ((md != NULL) != (meta != NULL) || (md && !json_equal(md, meta)))
				abort();
		}
		check_member(text, size, whole, "items");
		check_member(text, size, whole, "object");
	}
	json_decref(whole);
	json_decref(meta);
	json_decref(s.items);
	return 0;
}
