/* entry: a cached object as its JSON text, deflated against the text of the
 * first object cached (see entry.h). */
#include "entry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Raw deflate with an 8 kB window: a 48 kB stream per informer, and room
 * for the dictionary and an object of several kB after it. */
#define WINDOW_BITS (-13)
#define MEM_LEVEL 5
#define DICT_MAX 4096
#define HEADER 5  /* 'z', then the text's length, little-endian */

void br__informer_codec_init(struct br__informer_codec *c)
{
	memset(c, 0, sizeof(*c));
}

void br__informer_codec_release(struct br__informer_codec *c)
{
	if (c->deflating)
		deflateEnd(&c->deflate);
	free(c->dict);
	br__informer_codec_init(c);
}

/* Takes the dictionary from the first text (its end, as zlib prefers) and
 * starts the stream. */
static int codec_start(struct br__informer_codec *c, const char *text, size_t len)
{
	size_t n = len < DICT_MAX ? len : DICT_MAX;

	c->dict = malloc(n ? n : 1);
	if (!c->dict)
		return -1;
	memcpy(c->dict, text + len - n, n);
	c->dict_len = n;
	if (deflateInit2(&c->deflate, 1, Z_DEFLATED, WINDOW_BITS, MEM_LEVEL,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(c->dict);
		c->dict = NULL;
		return -1;
	}
	c->deflating = 1;
	return 0;
}

/* Deflates text into out (HEADER bytes left free at its start). */
static json_t *deflate_text(struct br__informer_codec *c, const char *text, size_t len)
{
	z_stream *z = &c->deflate;
	uLong bound = HEADER + deflateBound(z, (uLong)len);
	unsigned char *out = malloc(bound);
	json_t *e = NULL;

	if (!out)
		return NULL;
	if (deflateReset(z) == Z_OK &&
	    deflateSetDictionary(z, c->dict, (uInt)c->dict_len) == Z_OK) {
		z->next_in = (unsigned char *)text;
		z->avail_in = (uInt)len;
		z->next_out = out + HEADER;
		z->avail_out = (uInt)(bound - HEADER);
		if (deflate(z, Z_FINISH) == Z_STREAM_END) {
			uint32_t n = (uint32_t)len;
			out[0] = 'z';
			for (int i = 0; i < 4; i++)
				out[1 + i] = (unsigned char)(n >> (8 * i));
			e = json_stringn_nocheck((const char *)out, HEADER + z->total_out);
		}
	}
	free(out);
	return e;
}

json_t *br__informer_entry_new(struct br__informer_codec *c, const json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;
	json_t *e = NULL;

	/* entries hold up to 4 GB of text; the watch takes 16 MB at most */
	if (text && len < UINT32_MAX && (c->deflating || codec_start(c, text, len) == 0))
		e = deflate_text(c, text, len);
	free(text);
	return e;
}

/* zlib's allocations for one inflate, from the caller's stack: its state
 * and window come to about 15 kB, and taking them from malloc for every
 * read (two per reconcile) had glibc consolidating its free lists each
 * time. Anything larger falls back to the heap. */
struct stack_arena {
	_Alignas(16) unsigned char buf[24576];
	size_t used;
};

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct stack_arena *a = opaque;
	size_t n = ((size_t)items * size + 15) & ~(size_t)15;

	if (n <= sizeof(a->buf) - a->used) {
		void *p = a->buf + a->used;
		a->used += n;
		return p;
	}
	return calloc(items, size);
}

static void arena_free(voidpf opaque, voidpf p)
{
	struct stack_arena *a = opaque;
	uintptr_t b = (uintptr_t)p, start = (uintptr_t)a->buf;

	if (b < start || b >= start + sizeof(a->buf))
		free(p);
}

/* The text of entry e inflated into a new buffer of *len bytes plus a NUL,
 * or NULL. */
static char *inflate_text(const struct br__informer_codec *c, const json_t *e,
			  size_t *len)
{
	const unsigned char *b = (const unsigned char *)json_string_value(e);
	size_t blen = json_string_length(e);
	struct stack_arena arena;
	z_stream z;
	uint32_t n = 0;
	char *text;

	if (blen < HEADER || b[0] != 'z' || !c->dict)
		return NULL;
	for (int i = 0; i < 4; i++)
		n |= (uint32_t)b[1 + i] << (8 * i);
	text = malloc((size_t)n + 1);
	memset(&z, 0, sizeof(z));
	arena.used = 0;
	z.zalloc = arena_alloc;
	z.zfree = arena_free;
	z.opaque = &arena;
	if (!text || inflateInit2(&z, WINDOW_BITS) != Z_OK) {
		free(text);
		return NULL;
	}
	z.next_in = (unsigned char *)b + HEADER;
	z.avail_in = (uInt)(blen - HEADER);
	z.next_out = (unsigned char *)text;
	z.avail_out = n;
	int rc = inflateSetDictionary(&z, c->dict, (uInt)c->dict_len);
	if (rc == Z_OK)
		rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc != Z_STREAM_END || z.total_out != n) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*len = n;
	return text;
}

json_t *br__informer_entry_tree(const struct br__informer_codec *c, const json_t *e)
{
	size_t len = 0;
	char *text = e ? inflate_text(c, e, &len) : NULL;
	json_t *o = text ? json_loadb(text, len, 0, NULL) : NULL;

	free(text);
	return o;
}

int br__informer_entry_same(const json_t *a, const json_t *b)
{
	return json_string_length(a) == json_string_length(b) &&
	       memcmp(json_string_value(a), json_string_value(b),
		      json_string_length(a)) == 0;
}
