/* entry: a cached object as its JSON text, deflated against the text of the
 * first object cached (see entry.h). */
#include "entry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "errors/errors.h"

/* Raw deflate with an 8 kB window: a 48 kB stream per informer, and room
 * for the dictionary and an object of several kB after it. */
#define WINDOW_BITS (-13)
#define MEM_LEVEL 5
#define DICT_MAX 4096
#define HEADER 5  /* 'z', then the text's length, little-endian */
/* The buffers a codec keeps between entries (the text and the deflated
 * bytes): room for the objects of tens of kB; a larger one's buffer goes
 * with the next entry. */
#define SCRATCH_KEEP ((size_t)64 << 10)

void br__informer_codec_init(struct br__informer_codec *c)
{
	memset(c, 0, sizeof(*c));
	/* entries hold up to 4 GB of text; the watch takes 16 MB at most */
	br_buf_init(&c->text, (size_t)UINT32_MAX - 1);
}

void br__informer_codec_release(struct br__informer_codec *c)
{
	if (c->deflating)
		deflateEnd(&c->deflate);
	free(c->dict);
	free(c->out);
	br_buf_release(&c->text);
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

/* Makes c->out at least n bytes: the buffer of the last entry, kept for
 * the next one unless it grew past SCRATCH_KEEP for a large object. */
static int reserve_out(struct br__informer_codec *c, size_t n)
{
	if (c->out_cap >= n && c->out_cap <= SCRATCH_KEEP)
		return 0;
	free(c->out);
	c->out_cap = 0;
	c->out = malloc(n);
	if (!c->out)
		return BR_ENOMEM;
	c->out_cap = n;
	return 0;
}

/* Deflates text into c->out, behind a header of HEADER bytes. */
static int deflate_text(struct br__informer_codec *c, const char *text, size_t len,
			size_t *out_len)
{
	z_stream *z = &c->deflate;
	uLong bound = HEADER + deflateBound(z, (uLong)len);
	uint32_t n = (uint32_t)len;

	if (reserve_out(c, bound) < 0)
		return BR_ENOMEM;
	if (deflateReset(z) != Z_OK ||
	    deflateSetDictionary(z, c->dict, (uInt)c->dict_len) != Z_OK)
		return BR_ENOMEM;
	z->next_in = (unsigned char *)text;
	z->avail_in = (uInt)len;
	z->next_out = c->out + HEADER;
	z->avail_out = (uInt)(bound - HEADER);
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return BR_ENOMEM;  /* only its allocations can fail it */
	c->out[0] = 'z';
	for (int i = 0; i < 4; i++)
		c->out[1 + i] = (unsigned char)(n >> (8 * i));
	*out_len = HEADER + z->total_out;
	return 0;
}

/* json_dump_callback's sink. */
static int dump_to_buf(const char *p, size_t n, void *text)
{
	return br_buf_add(text, p, n) < 0 ? -1 : 0;
}

/* obj's compact text into text, as json_dumps writes it. Not json_dumps
 * itself: when an allocation fails while jansson (2.14) writes a key, it
 * goes on without the key and returns a damaged text, where a br_buf
 * stays failed. Returns 0 or BR_ENOMEM. */
static int dump_text(const json_t *obj, struct br_buf *text)
{
	if (json_dump_callback(obj, dump_to_buf, text, JSON_COMPACT) != 0 ||
	    text->failed || !text->data)
		return BR_ENOMEM;
	return 0;
}

int br__informer_entry_text(struct br__informer_codec *c, const char *text,
			    size_t text_len, const unsigned char **bytes, size_t *len)
{
	int rc = 0;

	*bytes = NULL;
	*len = 0;
	if (text_len >= UINT32_MAX)
		return BR_ENOMEM;
	if (!c->deflating && codec_start(c, text, text_len) < 0)
		rc = BR_ENOMEM;
	if (rc == 0)
		rc = deflate_text(c, text, text_len, len);
	if (rc == 0)
		*bytes = c->out;
	return rc;
}

int br__informer_entry_new(struct br__informer_codec *c, const json_t *obj,
			   const unsigned char **bytes, size_t *len)
{
	struct br_buf *text = &c->text;

	*bytes = NULL;
	*len = 0;
	/* the text buffer is kept: growing a new one for each object took
	 * six reallocs for an SLO's 1.3 kB */
	br_buf_reset(text);
	int rc = dump_text(obj, text);
	if (rc == 0)
		rc = br__informer_entry_text(c, text->data, text->len, bytes, len);
	if (text->cap > SCRATCH_KEEP)
		br_buf_release(text);
	return rc;
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
static char *inflate_text(const struct br__informer_codec *c, const unsigned char *b,
			  size_t blen, size_t *len)
{
	struct stack_arena arena;
	z_stream z;
	uint32_t n = 0;
	char *text;

	if (!b || blen < HEADER || b[0] != 'z' || !c->dict)
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

char *br__informer_entry_inflate(const struct br__informer_codec *c,
				 const unsigned char *e, size_t len, size_t *text_len)
{
	return inflate_text(c, e, len, text_len);
}

json_t *br__informer_entry_tree(const struct br__informer_codec *c,
				const unsigned char *e, size_t len)
{
	size_t text_len = 0;
	char *text = inflate_text(c, e, len, &text_len);
	json_t *o = text ? json_loadb(text, text_len, 0, NULL) : NULL;

	free(text);
	return o;
}

int br__informer_entry_same(const unsigned char *a, size_t alen,
			    const unsigned char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}
