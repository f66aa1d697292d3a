/* framer: splits a watch response body into JSON events, whatever the
 * chunking. Only brace depth and string/escape state are tracked here;
 * jansson does the parsing once an object is complete. */
#include "informer/informer.h"

#include <stdio.h>
#include <string.h>

#include "kube/kube.h"

void br_watch_framer_init(struct br_watch_framer *f, size_t max,
			  br_watch_event_fn fn, void *ctx)
{
	memset(f, 0, sizeof(*f));
	f->max = max ? max : BR_WATCH_EVENT_MAX;
	/* one byte more than max so that an overlong event is reported as
	 * BR_ELIMIT by our own check, not as a failed append */
	br_buf_init(&f->pending, f->max + 1);
	f->fn = fn;
	f->ctx = ctx;
}

void br_watch_framer_reset(struct br_watch_framer *f)
{
	const char *const *view = f->view;

	br_watch_framer_release(f);
	br_watch_framer_init(f, f->max, f->fn, f->ctx);
	f->view = view;
}

void br_watch_framer_set_view(struct br_watch_framer *f, const char *const *view)
{
	f->view = view;
}

void br_watch_framer_release(struct br_watch_framer *f)
{
	br_buf_release(&f->pending);
	f->depth = f->in_string = f->escape = 0;
	f->failed = 0;
}

int br_watch_framer_partial(const struct br_watch_framer *f)
{
	return f->depth > 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int fail(struct br_watch_framer *f, int code)
{
	f->failed = code;
	br_buf_release(&f->pending);
	return code;
}

const char *br_watch_framer_object_text(const struct br_watch_framer *f, size_t *len)
{
	*len = f->object_len;
	return f->object_text;
}

/* The event text[0..len) decoded as far as f->view reaches into its
 * object (object[0..n), NULL when it has none): its type, and its object's
 * view, each from its own slice. Whole, *whole 1, where the framer has no
 * view, the event no object, or the scan can't follow the event's members
 * (a key written with escapes). An ERROR event's object, a Status, is
 * decoded whole. NULL when it is no JSON (*jerr says why) or out of
 * memory. */
static json_t *decode_event(const struct br_watch_framer *f, const char *text, size_t len,
			    const char *object, size_t n, int *whole, json_error_t *jerr)
{
	static const char *const type_only[] = {"type", NULL};
	json_t *ev = NULL, *obj = NULL;

	*whole = 1;
	if (!f->view || !object)
		return json_loadb(text, len, 0, jerr);
	int rc = br_kube_view(text, len, type_only, &ev, whole, jerr);
	if (rc == 0 && !*whole) {
		const char *type = json_string_value(json_object_get(ev, "type"));
		if (type && strcmp(type, "ERROR") == 0)
			rc = (obj = json_loadb(object, n, JSON_DECODE_ANY, jerr)) ? 0 : BR_EPARSE;
		else
			rc = br_kube_view(object, n, f->view, &obj, NULL, jerr);
		if (rc == 0 && json_object_set_new(ev, "object", obj) != 0)
			rc = BR_ENOMEM;
	}
	if (rc == BR_ENOMEM)
		snprintf(jerr->text, sizeof(jerr->text), "out of memory");
	if (rc != 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

/* Parses the complete event in f->pending and delivers it, with the text
 * of its object. */
static int deliver(struct br_watch_framer *f, struct br_error *err)
{
	json_error_t jerr;
	size_t len = br_kube_strip_managed_fields(f->pending.data, f->pending.len);
	size_t off = 0, n = 0, members = 0;
	int found = br_kube_member(f->pending.data, len, "object", &off, &n, &members) == 0;
	int whole = 1;
	json_t *ev = decode_event(f, f->pending.data, len, found ? f->pending.data + off : NULL,
				  n, &whole, &jerr);

	if (!ev) {
		br_buf_reset(&f->pending);
		br_error_set(err, BR_EPARSE, "watch event %lu: %s", f->events + 1,
			     jerr.text);
		return fail(f, BR_EPARSE);
	}
	const char *type = json_string_value(json_object_get(ev, "type"));
	if (!type) {
		json_decref(ev);
		br_buf_reset(&f->pending);
		br_error_set(err, BR_EPARSE,
			     "watch event %lu has no string \"type\"", f->events + 1);
		return fail(f, BR_EPARSE);
	}
	json_t *obj = json_object_get(ev, "object");
	/* the text is the object only where the scan saw the members the
	   decoder did: a duplicate, written with escapes, would be another (a
	   view is made only where the scan saw no escapes) */
	f->object_text = obj && found && (!whole || members == json_object_size(ev))
		? f->pending.data + off : NULL;
	f->object_len = f->object_text ? n : 0;
	f->events++;
	int rc = f->fn ? f->fn(f->ctx, type, obj ? obj : json_null()) : 0;
	f->object_text = NULL;
	f->object_len = 0;
	br_buf_reset(&f->pending);
	json_decref(ev);
	return rc;
}

/* Advances the scanner over data[i..len) inside an object. Returns the
 * index just past the object's closing brace, or len if it goes on. */
static size_t scan_object(struct br_watch_framer *f, const char *data,
			  size_t i, size_t len)
{
	for (; i < len; i++) {
		char c = data[i];
		if (f->in_string) {
			if (f->escape)
				f->escape = 0;
			else if (c == '\\')
				f->escape = 1;
			else if (c == '"')
				f->in_string = 0;
		} else if (c == '"') {
			f->in_string = 1;
		} else if (c == '{') {
			f->depth++;
		} else if (c == '}' && --f->depth == 0) {
			return i + 1;
		}
	}
	return len;
}

int br_watch_framer_feed(struct br_watch_framer *f, const char *data,
			 size_t len, struct br_error *err)
{
	size_t i = 0;
	if (f->failed)
		return br_error_set(err, f->failed,
				    "watch stream already failed; reset it");
	while (i < len) {
		if (f->depth == 0) {
			if (is_space(data[i])) {
				i++;
				continue;
			}
			if (data[i] != '{') {
				br_error_set(err, BR_EPARSE,
					     "watch stream: unexpected byte 0x%02x "
					     "between events",
					     (unsigned char)data[i]);
				return fail(f, BR_EPARSE);
			}
		}
		size_t end = scan_object(f, data, i, len);
		if (f->pending.len + (end - i) > f->max) {
			br_error_set(err, BR_ELIMIT,
				     "watch event larger than %zu bytes", f->max);
			return fail(f, BR_ELIMIT);
		}
		if (br_buf_add(&f->pending, data + i, end - i) < 0) {
			br_error_set(err, BR_ENOMEM, "watch event: out of memory");
			return fail(f, BR_ENOMEM);
		}
		i = end;
		if (f->depth == 0) {
			int rc = deliver(f, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}
