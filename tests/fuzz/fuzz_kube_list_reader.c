/* fuzz_kube_list_reader: reads the input as a list as it would stream from
 * the API server (br_kube_list_reader), split into slices of sizes drawn
 * from its first four bytes. Never a crash; the items, the metadata and the
 * code are the same for that split as for the whole fed at once; and where
 * no item has managedFields to cut, they are those of br_kube_list_scan,
 * which fuzz_kube_items holds to jansson's decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct read {
	json_t *texts;  /* each item's text as handed on */
	json_t *meta;
	int rc;
};

static int take(void *ctx, json_t *item, const char *text, size_t len)
{
	struct read *r = ctx;
	json_t *again = json_loadb(text, len, JSON_DECODE_ANY, NULL);

	/* the text handed on is the item */
	if (!again || !json_equal(again, item))
		abort();
	json_decref(again);
	json_array_append_new(r->texts, json_stringn(text, len));
	return 0;
}

/* The next slice size, 1 to 64 bytes, from a xorshift state. */
static size_t next_slice(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return 1 + *x % 64;
}

/* Reads text[0..size) with the reader, in slices drawn from seed (0: at
 * once). */
static void read_list(const char *text, size_t size, uint32_t seed, struct read *out)
{
	struct br_kube_list_reader r;
	struct br_error err;
	int rc = 0;

	br_error_init(&err);
	out->texts = json_array();
	out->meta = NULL;
	br_kube_list_reader_init(&r, NULL, take, out);
	for (size_t at = 0; rc == 0 && at < size;) {
		size_t n = seed ? next_slice(&seed) : size;
		if (n > size - at)
			n = size - at;
		rc = br_kube_list_reader_feed(&r, text + at, n, &err);
		at += n;
	}
	if (rc == 0)
		rc = br_kube_list_reader_finish(&r, &out->meta, &err);
	if (rc != 0 && (out->meta || !err.text[0]))
		abort();  /* a failure says why, and leaves no metadata */
	br_kube_list_reader_release(&r);
	out->rc = rc;
}

static int scanned(void *ctx, json_t *item, const char *text, size_t len)
{
	(void)item;
	json_array_append_new(ctx, json_stringn(text, len));
	return 0;
}

static int has(const char *text, size_t size, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= size; i++)
		if (memcmp(text + i, word, n) == 0)
			return 1;
	return 0;
}

static void same(const struct read *a, const struct read *b)
{
	if (a->rc != b->rc || !json_equal(a->texts, b->texts) ||
	    (a->meta == NULL) != (b->meta == NULL) || (a->meta && !json_equal(a->meta, b->meta)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = 1;
	struct read split, whole, scan;
	struct br_error err;

	if (size >= 4) {
		memcpy(&seed, data, 4);
		data += 4;
		size -= 4;
	}
	const char *text = (const char *)data;
	read_list(text, size, seed | 1, &split);
	read_list(text, size, 0, &whole);
	same(&split, &whole);

	if (!has(text, size, "managedFields")) {
		br_error_init(&err);
		scan.texts = json_array();
		scan.rc = br_kube_list_scan(text, size, NULL, scanned, scan.texts, &scan.meta,
					    &err);
		same(&whole, &scan);
		json_decref(scan.texts);
		json_decref(scan.meta);
	}
	json_decref(split.texts);
	json_decref(split.meta);
	json_decref(whole.texts);
	json_decref(whole.meta);
	return 0;
}
