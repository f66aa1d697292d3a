/* list reader: a list's text read as it arrives, item by item. A list of
 * 10,000 SLOs served from the API server's watch cache comes in one piece
 * of 13-20 MB; held whole before it was scanned, it tripled a restart's
 * memory. Here each item is handed on as soon as its text is whole, and
 * only the item being read is kept. The reading follows br_kube_list_scan
 * step by step (the same members, the same slices, the same refusals), so
 * that any split of the text gives what the scan gives for the whole. */
#include "kube/kube.h"

#include <stdio.h>
#include <string.h>

#include "kube/internal.h"

enum {
	R_OPEN,        /* before the list's '{' */
	R_FIRST_KEY,   /* after '{': a key or '}' */
	R_KEY,         /* a member's key must start here */
	R_KEY_SCAN,    /* inside the key */
	R_COLON,       /* after the key */
	R_VALUE,       /* a member's value starts here */
	R_VALUE_SCAN,  /* inside a value other than the items array */
	R_NEXT,        /* after a member: ',' or '}' */
	R_ITEM_FIRST,  /* after "items": [ an item or ']' */
	R_ITEM,        /* an item must start here */
	R_ITEM_SCAN,   /* inside an item */
	R_ITEM_NEXT,   /* after an item: ',' or ']' */
	R_DONE,        /* after the list's '}': the rest is not read */
};

enum { M_OTHER, M_ITEMS, M_METADATA };

enum { NEED_MORE = 0, PROGRESS = 1 };

void br_kube_list_reader_init(struct br_kube_list_reader *r, const char *const *view,
			      br_kube_item_fn fn, void *ctx)
{
	memset(r, 0, sizeof(*r));
	br_buf_init(&r->buf, BR_BUF_MAX_DEFAULT);
	r->max = BR_KUBE_LIST_ITEM_MAX;
	r->view = view;
	r->fn = fn;
	r->ctx = ctx;
}

void br_kube_list_reader_release(struct br_kube_list_reader *r)
{
	br_buf_release(&r->buf);
	json_decref(r->meta);
	r->meta = NULL;
}

size_t br_kube_list_reader_items(const struct br_kube_list_reader *r)
{
	return r->items;
}

static int fail(struct br_kube_list_reader *r, int rc)
{
	r->failed = rc;
	return rc;
}

static int not_a_list(struct br_kube_list_reader *r, struct br_error *err)
{
	return fail(r, br_error_set(err, BR_EPARSE, "list: not a JSON object"));
}

/* Skips white space; NEED_MORE when the text ends first, else PROGRESS
 * with r->at at the next byte. */
static int skip_space(struct br_kube_list_reader *r)
{
	while (r->at < r->buf.len && br__kube_is_space(r->buf.data[r->at]))
		r->at++;
	return r->at < r->buf.len ? PROGRESS : NEED_MORE;
}

/* Starts scanning the value (or key) at r->at. */
static void scan_start(struct br_kube_list_reader *r)
{
	char c = r->buf.data[r->at];

	r->start = r->scanned = r->at;
	r->depth = r->in_string = r->escape = 0;
	r->scalar = c != '"' && c != '{' && c != '[';
}

/* Scans on from where the last call stopped, as br__kube_value_end would
 * from r->start: PROGRESS with *end just past the value, or NEED_MORE.
 * At the end of the text (eof), a value that has not ended ends there. */
static int scan_on(struct br_kube_list_reader *r, int eof, size_t *end)
{
	const char *s = r->buf.data;
	size_t i = r->scanned, len = r->buf.len;

	if (r->scalar) {
		while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		       !br__kube_is_space(s[i]))
			i++;
		r->scanned = i;
		*end = i;
		return i < len || eof ? PROGRESS : NEED_MORE;
	}
	for (; i < len; i++) {
		char c = s[i];
		if (r->in_string) {
			if (r->escape)
				r->escape = 0;
			else if (c == '\\')
				r->escape = 1;
			else if (c == '"')
				r->in_string = 0;
			if (!r->in_string && r->depth == 0)  /* a string value ended */
				return *end = i + 1, PROGRESS;
		} else if (c == '"') {
			r->in_string = 1;
		} else if (c == '{' || c == '[') {
			r->depth++;
		} else if ((c == '}' || c == ']') && --r->depth == 0) {
			return *end = i + 1, PROGRESS;
		}
	}
	r->scanned = i;
	*end = len;
	return eof ? PROGRESS : NEED_MORE;
}

/* One whole item, s[start..end): its managedFields cut, decoded (its view)
 * and handed on. */
static int take_item(struct br_kube_list_reader *r, size_t end, struct br_error *err)
{
	char what[40];
	char *text = r->buf.data + r->start;
	json_t *item = NULL;

	snprintf(what, sizeof(what), "item %zu", r->items);
	if (end == r->start)
		return fail(r, br_error_set(err, BR_EPARSE, "list %s: not JSON", what));
	size_t len = br_kube_strip_managed_fields(text, end - r->start);
	int rc = br__kube_list_item(r->view, text, len, what, &item, err);
	if (rc != 0)
		return fail(r, rc);
	r->items++;
	rc = r->fn(r->ctx, item, text, len);
	json_decref(item);
	return rc != 0 ? fail(r, rc) : 0;
}

/* A member's whole value other than an items array, s[start..end). */
static int take_value(struct br_kube_list_reader *r, size_t end, struct br_error *err)
{
	const char *text = r->buf.data + r->start;
	size_t len = end - r->start;

	if (len == 0)
		return not_a_list(r, err);
	if (r->member == M_METADATA) {
		json_t *meta = br__kube_list_meta(text, len, err);
		if (!meta)
			return fail(r, BR_EPARSE);
		json_decref(r->meta);  /* a second one wins, as in a decoder */
		r->meta = meta;
	} else if (r->member == M_ITEMS) {
		int rc = br__kube_list_items_null(text, len, err);
		if (rc != 0)
			return fail(r, rc);
	}
	return 0;
}

/* The member named by the key s[start..end), quotes included. */
static int member_of(const struct br_kube_list_reader *r, size_t end)
{
	const char *key = r->buf.data + r->start + 1;
	size_t n = end - r->start - 2;

	if (n == 5 && memcmp(key, "items", 5) == 0)
		return M_ITEMS;
	if (n == 8 && memcmp(key, "metadata", 8) == 0)
		return M_METADATA;
	return M_OTHER;
}

/* Expects c at r->at (after white space): PROGRESS past it, NEED_MORE, or
 * a parse error. */
static int expect(struct br_kube_list_reader *r, char c, struct br_error *err)
{
	if (skip_space(r) == NEED_MORE)
		return NEED_MORE;
	if (r->buf.data[r->at] != c)
		return not_a_list(r, err);
	r->at++;
	return PROGRESS;
}

/* After a member or an item: the container goes on (','), to state more,
 * or closes (close), to state after. */
static int next_or_close(struct br_kube_list_reader *r, char close, int more, int after,
			 struct br_error *err)
{
	if (skip_space(r) == NEED_MORE)
		return NEED_MORE;
	char c = r->buf.data[r->at];
	if (c != ',' && c != close) {
		if (close == '}')
			return not_a_list(r, err);
		return fail(r, br_error_set(err, BR_EPARSE, "list items: not JSON after item %zu",
					    r->items ? r->items - 1 : 0));
	}
	r->at++;
	r->state = c == ',' ? more : after;
	return PROGRESS;
}

/* The states that scan a key, a value or an item. */
static int step_scan(struct br_kube_list_reader *r, int eof, struct br_error *err)
{
	size_t end;
	int rc;

	if (scan_on(r, eof, &end) == NEED_MORE)
		return NEED_MORE;
	if (r->state == R_KEY_SCAN) {
		if (end - r->start < 2)
			return not_a_list(r, err);
		r->member = member_of(r, end);
		r->state = R_COLON;
	} else if (r->state == R_VALUE_SCAN) {
		if ((rc = take_value(r, end, err)) != 0)
			return rc;
		r->state = R_NEXT;
	} else {
		if ((rc = take_item(r, end, err)) != 0)
			return rc;
		r->state = R_ITEM_NEXT;
	}
	r->at = end;
	return PROGRESS;
}

/* One step of the reading: PROGRESS, NEED_MORE, or an error (r failed). */
static int step(struct br_kube_list_reader *r, int eof, struct br_error *err)
{
	int rc;

	switch (r->state) {
	case R_OPEN:
		if ((rc = expect(r, '{', err)) == PROGRESS)
			r->state = R_FIRST_KEY;
		return rc;
	case R_FIRST_KEY:
	case R_ITEM_FIRST:
		if (skip_space(r) == NEED_MORE)
			return NEED_MORE;
		if (r->buf.data[r->at] == (r->state == R_FIRST_KEY ? '}' : ']')) {
			r->at++;
			r->state = r->state == R_FIRST_KEY ? R_DONE : R_NEXT;
		} else {
			r->state = r->state == R_FIRST_KEY ? R_KEY : R_ITEM;
		}
		return PROGRESS;
	case R_KEY:
		if (skip_space(r) == NEED_MORE)
			return NEED_MORE;
		if (r->buf.data[r->at] != '"')
			return not_a_list(r, err);
		scan_start(r);
		r->state = R_KEY_SCAN;
		return PROGRESS;
	case R_COLON:
		if ((rc = expect(r, ':', err)) == PROGRESS)
			r->state = R_VALUE;
		return rc;
	case R_VALUE:
		if (skip_space(r) == NEED_MORE)
			return NEED_MORE;
		if (r->member == M_ITEMS && r->buf.data[r->at] == '[') {
			r->at++;
			r->state = R_ITEM_FIRST;
			return PROGRESS;
		}
		scan_start(r);
		r->state = R_VALUE_SCAN;
		return PROGRESS;
	case R_ITEM:
		if (skip_space(r) == NEED_MORE)
			return NEED_MORE;
		scan_start(r);
		r->state = R_ITEM_SCAN;
		return PROGRESS;
	case R_NEXT:
		return next_or_close(r, '}', R_KEY, R_DONE, err);
	case R_ITEM_NEXT:
		return next_or_close(r, ']', R_ITEM, R_NEXT, err);
	case R_DONE:
		return NEED_MORE;
	default:
		return step_scan(r, eof, err);
	}
}

static int scanning(const struct br_kube_list_reader *r)
{
	return r->state == R_KEY_SCAN || r->state == R_VALUE_SCAN || r->state == R_ITEM_SCAN;
}

/* Drops the bytes read, all but the value being scanned. */
static void compact(struct br_kube_list_reader *r)
{
	size_t keep = scanning(r) ? r->start : r->at;

	if (keep == 0)
		return;
	memmove(r->buf.data, r->buf.data + keep, r->buf.len - keep);
	r->buf.len -= keep;
	r->buf.data[r->buf.len] = '\0';
	r->at -= keep;
	if (scanning(r)) {
		r->start -= keep;
		r->scanned -= keep;
	}
}

/* Steps until more text is needed. */
static int run(struct br_kube_list_reader *r, int eof, struct br_error *err)
{
	/* an error, or an item function's nonzero return, sets r->failed */
	while (!r->failed && step(r, eof, err) == PROGRESS)
		;
	if (r->failed)
		return r->failed;
	if (r->state != R_DONE) {
		compact(r);
		if (r->buf.len > r->max)
			return fail(r, br_error_set(err, BR_ELIMIT,
						    "list item %zu: larger than %zu bytes",
						    r->items, r->max));
	}
	return 0;
}

int br_kube_list_reader_feed(struct br_kube_list_reader *r, const char *data, size_t len,
			     struct br_error *err)
{
	if (r->failed)
		return br_error_set(err, r->failed, "list: reading stopped by an earlier error");
	if (r->state == R_DONE || len == 0)
		return 0;
	if (br_buf_add(&r->buf, data, len) != 0)
		return fail(r, br_error_set(err, BR_ENOMEM, "out of memory"));
	return run(r, 0, err);
}

int br_kube_list_reader_finish(struct br_kube_list_reader *r, json_t **meta,
			       struct br_error *err)
{
	int rc = r->failed;

	*meta = NULL;
	if (rc == 0 && r->state != R_DONE) {
		rc = run(r, 1, err);
		if (rc == 0 && r->state != R_DONE)  /* the text ended inside the list */
			rc = not_a_list(r, err);
	}
	if (rc != 0)
		return rc;
	*meta = r->meta;
	r->meta = NULL;
	return 0;
}
