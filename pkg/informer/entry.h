/* entry: how an informer's cache keeps one object (internal to
 * pkg/informer; informer.h is the module's API).
 *
 * An entry is the object's compact JSON text, deflated against a preset
 * dictionary: the text of the first object the cache took. The objects of
 * one resource share most of their bytes (keys, kinds, status shapes), so a
 * 1.3 kB ServiceLevelObjective keeps in about 100 bytes, and 10,000 of
 * them in about a megabyte instead of fourteen. Readers get a new tree
 * inflated and parsed from it, as from plain text before.
 *
 * Entries are jansson strings of bytes ('z', the text's length as four
 * bytes, raw deflate), so the cache stays a json object of them. The same
 * object always gives the same bytes, so two entries are the same object
 * exactly when their bytes are equal.
 *
 * Thread-safety: br__informer_entry_new (which owns the deflate stream)
 * runs on one thread at a time, the reflector's. br__informer_entry_tree
 * may run on any thread once the entry it reads was made: the dictionary
 * is set before the first entry and never changes. */
#ifndef BR_INFORMER_ENTRY_H
#define BR_INFORMER_ENTRY_H

#include <jansson.h>
#include <zlib.h>

/* Fields private to entry.c. */
struct br__informer_codec {
	unsigned char *dict;   /* NULL until the first entry */
	size_t dict_len;
	z_stream deflate;
	int deflating;         /* deflate is initialised */
};

/* Prepares an empty codec. Allocates nothing; can't fail. */
void br__informer_codec_init(struct br__informer_codec *c);
/* Frees the dictionary and the stream. */
void br__informer_codec_release(struct br__informer_codec *c);

/* A new entry for obj (a jansson string you own), or NULL when out of
 * memory. */
json_t *br__informer_entry_new(struct br__informer_codec *c, const json_t *obj);
/* A new tree from entry e (you own it), or NULL for NULL or out of
 * memory. */
json_t *br__informer_entry_tree(const struct br__informer_codec *c, const json_t *e);
/* Whether a and b hold the same object. */
int br__informer_entry_same(const json_t *a, const json_t *b);

#endif
