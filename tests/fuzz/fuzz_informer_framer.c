/* fuzz_informer_framer: feeds the input to the watch-stream framer whole
 * and split at points taken from the input, and checks both give the same
 * events and the same result (splitting must never change what is seen),
 * and that the text the framer gives for an event's object (which a cache
 * keeps) is that object. A framer with a view must see the events of any
 * stream the whole framer takes, with objects that agree with their text
 * on the view's paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "informer/informer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct br_buf *log;
	struct br_watch_framer *f;
	int view;
};

static const char *const view[] = {"metadata", "status.prometheusRule", NULL};

static const json_t *at(const json_t *v, const char *a, const char *b)
{
	return b ? json_object_get(json_object_get(v, a), b) : json_object_get(v, a);
}

/* obj (a view) and whole hold the same on the view's paths */
static int agrees(const json_t *obj, const json_t *whole)
{
	const json_t *pairs[][2] = {{at(obj, "metadata", NULL), at(whole, "metadata", NULL)},
		{at(obj, "status", "prometheusRule"), at(whole, "status", "prometheusRule")}};

	for (size_t i = 0; i < 2; i++)
		if ((pairs[i][0] || pairs[i][1]) && !json_equal(pairs[i][0], pairs[i][1]))
			return 0;
	return 1;
}

static int record(void *ctx, const char *type, json_t *object)
{
	struct seen *seen = ctx;
	size_t len = 0;
	const char *text = br_watch_framer_object_text(seen->f, &len);
	char *s = seen->view ? NULL
		: json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (text) {
		json_t *again = json_loadb(text, len, JSON_DECODE_ANY, NULL);
		/* a view's text may be bad JSON outside the view */
		if (!seen->view && (!again || !json_equal(again, object)))
			abort();
		if (seen->view && again && !agrees(object, again))
			abort();
		json_decref(again);
	}
	br_buf_addf(seen->log, "%s %s\n", type, seen->view ? "" : s ? s : "?");
	free(s);
	return 0;
}

static int run(const char *d, size_t n, size_t step, int with_view, struct br_buf *log)
{
	struct br_watch_framer f;
	struct seen seen = {log, &f, with_view};
	br_watch_framer_init(&f, 4096, record, &seen);
	if (with_view)
		br_watch_framer_set_view(&f, view);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i += step)
		rc = br_watch_framer_feed(&f, d + i, i + step > n ? n - i : step, NULL);
	if (rc == 0 && br_watch_framer_partial(&f))
		rc = 1;
	br_watch_framer_release(&f);
	return rc;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; (s = strchr(s, '\n')); s++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = data[0] % 17 + 1;
	const char *d = (const char *)data + 1;
	size_t n = size - 1;
	struct br_buf a, b, v;
	br_buf_init(&a, BR_BUF_MAX_DEFAULT);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_init(&v, BR_BUF_MAX_DEFAULT);
	int ra = run(d, n, n ? n : 1, 0, &a);
	int rb = run(d, n, step, 0, &b);
	if (ra != rb || strcmp(br_buf_str(&a), br_buf_str(&b)) != 0)
		abort();
	int rv = run(d, n, step, 1, &v);
	if (ra == 0 && rv != 0)
		abort();
	/* the same events, by type, where the stream was whole JSON */
	if (ra == 0 && lines(br_buf_str(&a)) != lines(br_buf_str(&v)))
		abort();
	for (const char *p = br_buf_str(&a), *q = br_buf_str(&v); ra == 0 && *p;) {
		size_t tp = strcspn(p, " "), tq = strcspn(q, " ");
		if (tp != tq || memcmp(p, q, tp) != 0)
			abort();
		p = strchr(p, '\n') + 1;
		q = strchr(q, '\n') + 1;
	}
	br_buf_release(&a);
	br_buf_release(&b);
	br_buf_release(&v);
	return 0;
}
