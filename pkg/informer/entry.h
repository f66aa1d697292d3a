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
 * An entry is bytes: 'z', the text's length as four bytes, raw deflate.
 * The cache keeps them in its store (store.h), next to their keys. The
 * same text always gives the same bytes, so two entries are the same
 * object when their bytes are equal. An informer without a transform keeps
 * the server's own text of each object (which the server prints the same
 * way for the same object, in a list and in a watch event alike); one with
 * a transform keeps the compact text of what the transform left.
 *
 * Thread-safety: br__informer_entry_new (which owns the deflate stream)
 * runs on one thread at a time, the reflector's. br__informer_entry_tree
 * may run on any thread once the entry it reads was made: the dictionary
 * is set before the first entry and never changes. */
#ifndef BR_INFORMER_ENTRY_H
#define BR_INFORMER_ENTRY_H

#include <jansson.h>
#include <zlib.h>

#include "buf/buf.h"

/* Fields private to entry.c. */
struct br__informer_codec {
	unsigned char *dict;   /* NULL until the first entry */
	size_t dict_len;
	z_stream deflate;
	int deflating;         /* deflate is initialised */
	unsigned char *out;    /* the last entry made, NULL or out_cap bytes */
	size_t out_cap;
	struct br_buf text;    /* the last object's text, kept for the next */
};

/* Prepares an empty codec. Allocates nothing; can't fail. */
void br__informer_codec_init(struct br__informer_codec *c);
/* Frees the dictionary and the stream. */
void br__informer_codec_release(struct br__informer_codec *c);

/* Makes the entry for obj: *bytes (borrowed from c, valid until the next
 * br__informer_entry_new or the release of c: copy them) and *len. Returns
 * 0, or BR_ENOMEM (also for a text of 4 GB or more) with *bytes NULL. */
int br__informer_entry_new(struct br__informer_codec *c, const json_t *obj,
			   const unsigned char **bytes, size_t *len);
/* As br__informer_entry_new, for an object given as its JSON text (the
 * server's, say: it need not be compact, and is not checked). An object
 * keeps the same bytes only as long as it comes as the same text. */
int br__informer_entry_text(struct br__informer_codec *c, const char *text,
			    size_t text_len, const unsigned char **bytes, size_t *len);
/* A new tree from the len bytes of entry e (you own it), or NULL for
 * bytes that are no entry (NULL among them) or out of memory. */
json_t *br__informer_entry_tree(const struct br__informer_codec *c,
				const unsigned char *e, size_t len);
/* The text of entry e (len bytes), inflated into a new buffer (you own
 * it: free) of *text_len bytes and a NUL, or NULL as for
 * br__informer_entry_tree. */
char *br__informer_entry_inflate(const struct br__informer_codec *c,
				 const unsigned char *e, size_t len, size_t *text_len);
/* Whether entries a (alen bytes) and b (blen bytes) hold the same
 * object. */
int br__informer_entry_same(const unsigned char *a, size_t alen,
			    const unsigned char *b, size_t blen);

#endif
