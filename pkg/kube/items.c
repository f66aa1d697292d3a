/* items: a list's text read item by item. A page of 100 SLOs is 130 kB of
 * text and 10,000 tree nodes; decoding it whole, then printing every item
 * back to text for the informer's cache, was a third of a restart's CPU.
 * Here the page is only scanned for its members, each item is decoded from
 * its own slice of the text, and that slice is handed on with it, so a
 * cache can keep the server's text instead of printing it again. */
#include "kube/kube.h"

#include <stdio.h>
#include <string.h>

#include "kube/internal.h"

/* Called for each member of an object: its key as written (no quotes, not
 * unescaped) and its value's text. Nonzero stops the scan. */
typedef int (*member_fn)(void *ctx, const char *key, size_t klen,
			 const char *value, size_t vlen);

static size_t skip_space(const char *s, size_t i, size_t len)
{
	while (i < len && br__kube_is_space(s[i]))
		i++;
	return i;
}

/* The index just past one value at s[i] (after white space), or 0 when
 * there is none or it does not end before len. */
static size_t one_value(const char *s, size_t i, size_t len, size_t *start)
{
	*start = skip_space(s, i, len);
	size_t end = br__kube_value_end(s, *start, len);
	return end > *start && end <= len ? end : 0;
}

/* Steps into the container that opens with open at s[*i] (after white
 * space): 1 with *i at its first value, 0 when it is empty, BR_EPARSE when
 * it does not open there. */
static int enter(const char *s, size_t *i, size_t len, char open, char close)
{
	*i = skip_space(s, *i, len);
	if (*i >= len || s[*i] != open)
		return BR_EPARSE;
	*i = skip_space(s, *i + 1, len);
	return *i < len && s[*i] == close ? 0 : 1;
}

/* Steps past the comma after a value that ends at *i: 1 with *i at the
 * next value, 0 at the container's close, BR_EPARSE for anything else. */
static int next(const char *s, size_t *i, size_t len, char close)
{
	*i = skip_space(s, *i, len);
	if (*i < len && s[*i] == close)
		return 0;
	if (*i >= len || s[*i] != ',')
		return BR_EPARSE;
	*i = skip_space(s, *i + 1, len);
	return 1;
}

/* Walks the members of the object text s[0..len). Returns 0, fn's
 * nonzero return, or BR_EPARSE. */
static int each_member(const char *s, size_t len, member_fn fn, void *ctx)
{
	size_t i = 0, v, end;
	int more = enter(s, &i, len, '{', '}');

	for (; more == 1; more = next(s, &i, len, '}')) {
		if (i >= len || s[i] != '"')
			return BR_EPARSE;
		size_t kend = br__kube_string_end(s, i, len);
		size_t colon = skip_space(s, kend, len);
		if (kend - i < 2 || colon >= len || s[colon] != ':' ||
		    !(end = one_value(s, colon + 1, len, &v)))
			return BR_EPARSE;
		int rc = fn(ctx, s + i + 1, kend - i - 2, s + v, end - v);
		if (rc != 0)
			return rc;
		i = end;
	}
	return more;
}

struct find {
	const char *key;
	size_t klen;
	const char *value;
	size_t vlen;
	size_t members;
	int escaped;    /* some key was written with a backslash */
};

/* Notes the value of the last member named key, as a decoder keeps the
 * last of duplicates, counts the members, and notes keys with escapes
 * (which the scan can't compare with a decoder's). */
static int find_member(void *ctx, const char *key, size_t klen, const char *value,
		       size_t vlen)
{
	struct find *f = ctx;

	f->members++;
	if (memchr(key, '\\', klen))
		f->escaped = 1;
	if (klen == f->klen && memcmp(key, f->key, klen) == 0) {
		f->value = value;
		f->vlen = vlen;
	}
	return 0;
}

int br_kube_member(const char *text, size_t len, const char *key, size_t *off, size_t *n,
		   size_t *members)
{
	struct find f = {key, strlen(key), NULL, 0, 0, 0};
	int rc = each_member(text, len, find_member, &f);

	if (rc < 0)
		return rc;
	if (members)
		*members = f.members;
	if (!f.value)
		return BR_ENOTFOUND;
	*off = (size_t)(f.value - text);
	*n = f.vlen;
	return 0;
}

/* --- views ------------------------------------------------------------------ */

/* Where a path could not be followed by scanning (a key written with
 * escapes, a value that is no object): decode the whole instead. */
#define VIEW_WHOLE 1

/* Copies the value at path ("a.b.c") of the object text s[0..len) into
 * out, at the same path: 0 (also when it is absent), VIEW_WHOLE, BR_EPARSE
 * (its value is no JSON), or BR_ENOMEM. */
static int view_path(const char *s, size_t len, const char *path, json_t *out)
{
	for (json_t *at = out;;) {
		const char *dot = strchr(path, '.');
		struct find f = {path, dot ? (size_t)(dot - path) : strlen(path), NULL, 0, 0, 0};
		json_t *v;

		if (each_member(s, len, find_member, &f) != 0 || f.escaped)
			return VIEW_WHOLE;
		if (!f.value)
			return 0;
		if (dot && f.value[0] == '{') {  /* the way on */
			v = json_object_getn(at, path, f.klen);
			if (!v && json_object_setn_new(at, path, f.klen, v = json_object()) != 0)
				return BR_ENOMEM;
			if (!json_is_object(v))
				return VIEW_WHOLE;  /* one path is a prefix of another */
			s = f.value;
			len = f.vlen;
			at = v;
			path = dot + 1;
			continue;
		}
		/* the end of the path, or a value that has no members: as a
		   decoder would have it */
		v = json_loadb(f.value, f.vlen, JSON_DECODE_ANY, NULL);
		if (!v)
			return BR_EPARSE;
		return json_object_setn_new(at, path, f.klen, v) == 0 ? 0 : BR_ENOMEM;
	}
}

int br_kube_view(const char *text, size_t len, const char *const *view, json_t **out,
		 int *whole, json_error_t *jerr)
{
	json_t *v = json_object();
	int rc = v ? 0 : BR_ENOMEM;

	for (; rc == 0 && view && *view; view++)
		rc = view_path(text, len, *view, v);
	if (whole)
		*whole = rc != 0;
	if (rc != 0)
		json_decref(v);
	*out = rc == 0 ? v : NULL;
	if (rc == 0 || rc == BR_ENOMEM)
		return rc;
	/* what the scan can't follow, and the error a decoder gives */
	*out = json_loadb(text, len, JSON_DECODE_ANY, jerr);
	return *out ? 0 : BR_EPARSE;
}

struct scan {
	const char *const *view;
	br_kube_item_fn fn;
	void *ctx;
	json_t **meta;
	struct br_error *err;
	size_t items;
};

json_t *br__kube_list_meta(const char *text, size_t len, struct br_error *err)
{
	json_error_t jerr;
	/* any value, as in a whole page, where a reader skips what is no object */
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &jerr);

	if (!v)
		br_error_set(err, BR_EPARSE, "list metadata: %s", jerr.text);
	return v;
}

int br__kube_list_items_null(const char *text, size_t len, struct br_error *err)
{
	/* null: how Go prints an empty slice */
	json_t *value = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	int null = json_is_null(value);

	json_decref(value);
	return null ? 0 : br_error_set(err, BR_EPARSE, "list items: not an array");
}

int br__kube_list_item(const char *const *view, const char *text, size_t len,
		       const char *what, json_t **item, struct br_error *err)
{
	json_error_t jerr;
	int rc = 0;

	if (view)
		rc = br_kube_view(text, len, view, item, NULL, &jerr);
	else if (!(*item = json_loadb(text, len, JSON_DECODE_ANY, &jerr)))
		rc = BR_EPARSE;
	if (rc == BR_ENOMEM)
		return br_error_set(err, rc, "list %s: out of memory", what);
	if (rc != 0)
		return br_error_set(err, rc, "list %s: %s", what, jerr.text);
	return 0;
}

/* Hands each element of the array text s[0..len) to the item function. */
static int each_item(struct scan *p, const char *s, size_t len)
{
	size_t i = 0, v, end;
	char what[40] = "item 0";
	int more = enter(s, &i, len, '[', ']');

	if (more == BR_EPARSE) {
		return br__kube_list_items_null(s, len, p->err);
	}
	for (; more == 1; more = next(s, &i, len, ']')) {
		snprintf(what, sizeof(what), "item %zu", p->items);
		if (!(end = one_value(s, i, len, &v)))
			return br_error_set(p->err, BR_EPARSE, "list %s: not JSON", what);
		json_t *item = NULL;
		int rc = br__kube_list_item(p->view, s + v, end - v, what, &item, p->err);
		if (rc != 0)
			return rc;
		p->items++;
		rc = p->fn(p->ctx, item, s + v, end - v);
		json_decref(item);
		if (rc != 0)
			return rc;
		i = end;
	}
	return more == 0 ? 0 : br_error_set(p->err, BR_EPARSE, "list items: not JSON after %s",
					    what);
}

static int on_list_member(void *ctx, const char *key, size_t klen, const char *value,
			  size_t vlen)
{
	struct scan *p = ctx;

	if (klen == 5 && memcmp(key, "items", 5) == 0)
		return each_item(p, value, vlen);
	if (klen == 8 && memcmp(key, "metadata", 8) == 0) {
		json_decref(*p->meta);  /* a second one wins, as in a decoder */
		*p->meta = br__kube_list_meta(value, vlen, p->err);
		return *p->meta ? 0 : BR_EPARSE;
	}
	return 0;
}

int br_kube_list_scan(const char *text, size_t len, const char *const *view,
		      br_kube_item_fn fn, void *ctx, json_t **meta, struct br_error *err)
{
	struct scan p = {view, fn, ctx, meta, err, 0};

	*meta = NULL;
	int rc = each_member(text, len, on_list_member, &p);
	if (rc == BR_EPARSE)  /* unless an item's error is already there */
		br_error_set(err, BR_EPARSE, "list: not a JSON object");
	if (rc != 0) {
		json_decref(*meta);
		*meta = NULL;
	}
	return rc;
}
