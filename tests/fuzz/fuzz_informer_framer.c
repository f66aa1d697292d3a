/* fuzz_informer_framer: feeds the input to the watch-stream framer whole
 * and split at points taken from the input, and checks both give the same
 * events and the same result (splitting must never change what is seen),
 * and that the text the framer gives for an event's object (which a cache
 * keeps) is that object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf/buf.h"
#include "informer/informer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct br_buf *log;
	struct br_watch_framer *f;
};

static int record(void *ctx, const char *type, json_t *object)
{
	struct seen *seen = ctx;
	size_t len = 0;
	const char *text = br_watch_framer_object_text(seen->f, &len);
	char *s = json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (text) {
		json_t *again = json_loadb(text, len, JSON_DECODE_ANY, NULL);
		if (!again || !json_equal(again, object))
			abort();
		json_decref(again);
	}
	br_buf_addf(seen->log, "%s %s\n", type, s ? s : "?");
	free(s);
	return 0;
}

static int run(const char *d, size_t n, size_t step, struct br_buf *log)
{
	struct br_watch_framer f;
	struct seen seen = {log, &f};
	br_watch_framer_init(&f, 4096, record, &seen);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i += step)
		rc = br_watch_framer_feed(&f, d + i, i + step > n ? n - i : step, NULL);
	if (rc == 0 && br_watch_framer_partial(&f))
		rc = 1;
	br_watch_framer_release(&f);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = data[0] % 17 + 1;
	const char *d = (const char *)data + 1;
	size_t n = size - 1;
	struct br_buf a, b;
	br_buf_init(&a, BR_BUF_MAX_DEFAULT);
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	int ra = run(d, n, n ? n : 1, &a);
	int rb = run(d, n, step, &b);
	if (ra != rb || strcmp(br_buf_str(&a), br_buf_str(&b)) != 0)
		abort();
	br_buf_release(&a);
	br_buf_release(&b);
	return 0;
}
