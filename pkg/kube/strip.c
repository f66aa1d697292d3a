/* strip: cuts metadata.managedFields out of an answer's JSON text before it
 * is decoded. They are 40% of an object's bytes and most of its nodes, so
 * decoding them costs more than the rest of it, and burnrate never reads
 * them. One pass, in place; the text only ever gets shorter. */
#include "kube/kube.h"
#include "kube/internal.h"

#include <string.h>

#define MAX_DEPTH 64
#define CUT_KEY "\"managedFields\""
#define META_KEY "\"metadata\""

struct scan {
	char *s;
	size_t len;
	size_t r;         /* next byte to read */
	size_t w;         /* next byte to write */
	int depth;        /* containers open */
	/* per open container: an object (1) or array (0), and whether it is
	 * the value of a "metadata" member */
	unsigned char is_object[MAX_DEPTH];
	unsigned char is_meta[MAX_DEPTH];
	size_t comma_w[MAX_DEPTH];  /* w of its last comma written, or 0 */
	int want_key;     /* inside an object, before a member's key */
	int next_is_meta; /* the value being read belongs to "metadata" */
};

int br__kube_is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

size_t br__kube_string_end(const char *s, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

size_t br__kube_value_end(const char *s, size_t i, size_t len)
{
	int depth = 0;

	while (i < len && br__kube_is_space(s[i]))
		i++;
	if (i < len && s[i] != '"' && s[i] != '{' && s[i] != '[') {
		while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		       !br__kube_is_space(s[i]))
			i++;
		return i;
	}
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			i = br__kube_string_end(s, i, len);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return len;
}

static int key_is(const struct scan *p, size_t end, const char *key)
{
	size_t n = strlen(key);
	return end - p->r == n && memcmp(p->s + p->r, key, n) == 0;
}

/* At a member's key in a metadata object: when it is managedFields, skips
 * the key and its value, with one comma. Returns 1 when it did. */
static int cut_member(struct scan *p, size_t key_end)
{
	size_t i = key_end;

	while (i < p->len && br__kube_is_space(p->s[i]))
		i++;
	if (i >= p->len || p->s[i] != ':')
		return 0;
	i = br__kube_value_end(p->s, i + 1, p->len);
	while (i < p->len && br__kube_is_space(p->s[i]))
		i++;
	if (i < p->len && p->s[i] == ',') {
		p->r = i + 1;  /* the comma after it: the next key follows */
		return 1;
	}
	if (i >= p->len || p->s[i] != '}')
		return 0;      /* not JSON: leave it to the decoder to say */
	if (p->comma_w[p->depth - 1])
		p->w = p->comma_w[p->depth - 1];  /* the last member: its comma */
	p->r = i;
	return 1;
}

static void copy(struct scan *p, size_t end)
{
	if (p->w != p->r)  /* nothing cut yet: the bytes are where they go */
		memmove(p->s + p->w, p->s + p->r, end - p->r);
	p->w += end - p->r;
	p->r = end;
}

static void open_container(struct scan *p, int object)
{
	if (p->depth < MAX_DEPTH) {
		p->is_object[p->depth] = (unsigned char)object;
		p->is_meta[p->depth] = (unsigned char)(object && p->next_is_meta);
		p->comma_w[p->depth] = 0;
	}
	p->depth++;
	p->want_key = object;
	p->next_is_meta = 0;
}

/* One string token: a key (noted, or cut) or a value. */
static void on_string(struct scan *p)
{
	size_t end = br__kube_string_end(p->s, p->r, p->len);
	int tracked = p->depth > 0 && p->depth <= MAX_DEPTH;

	if (p->want_key && tracked) {
		if (p->is_meta[p->depth - 1] && key_is(p, end, CUT_KEY) &&
		    cut_member(p, end))
			return;  /* still before a key */
		p->next_is_meta = key_is(p, end, META_KEY);
		p->want_key = 0;
	}
	copy(p, end);
}

static void on_delimiter(struct scan *p, char c)
{
	int top = p->depth - 1;
	int tracked = p->depth > 0 && p->depth <= MAX_DEPTH;

	if (c == '{' || c == '[') {
		open_container(p, c == '{');
	} else if (c == '}' || c == ']') {
		if (p->depth > 0)
			p->depth--;
		p->want_key = 0;
	} else if (tracked) {  /* a comma */
		p->comma_w[top] = p->w;
		p->want_key = p->is_object[top];
		p->next_is_meta = 0;
	}
	copy(p, p->r + 1);
}

size_t br_kube_strip_managed_fields(char *json, size_t len)
{
	struct scan p;

	memset(&p, 0, sizeof(p));
	p.s = json;
	p.len = len;
	while (p.r < p.len) {
		char c = p.s[p.r];
		size_t end = p.r;

		if (c == '"') {
			on_string(&p);
			continue;
		}
		if (strchr("{}[],", c) && c) {
			on_delimiter(&p, c);
			continue;
		}
		while (end < p.len && p.s[end] && !strchr("\"{}[],", p.s[end]))
			end++;
		copy(&p, end > p.r ? end : p.r + 1);
	}
	return p.w;
}
