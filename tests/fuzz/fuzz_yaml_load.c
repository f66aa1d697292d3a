/* fuzz_yaml_load: any input loads or fails cleanly; whatever loads, emits,
 * and the emitted YAML loads back to an equal tree (aborts otherwise). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf/buf.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const json_t *doc)
{
	struct br_buf out;
	struct br_yaml_stream again;
	struct br_error err;

	br_buf_init(&out, BR_BUF_MAX_DEFAULT);
	br_error_init(&err);
	if (br_yaml_emit(doc, &out, &err) != 0) {
		fprintf(stderr, "emit failed: %s\n", err.text);
		abort();
	}
	br_error_init(&err);
	if (br_yaml_load(out.data, out.len, "emitted", &again, &err) != 0) {
		fprintf(stderr, "reload failed at %d:%d: %s\n---\n%s", err.line,
			err.column, err.text, br_buf_str(&out));
		abort();
	}
	if (again.count != 1 || !json_equal(doc, again.docs[0].root)) {
		fprintf(stderr, "round trip changed the document:\n%s",
			br_buf_str(&out));
		abort();
	}
	br_yaml_stream_release(&again);
	br_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_yaml_stream s;
	struct br_error err;
	int line, column;

	br_error_init(&err);
	if (br_yaml_load((const char *)data, size, "fuzz", &s, &err) != 0) {
		if (err.code == 0 || err.text[0] == '\0' || s.count != 0)
			abort();   /* a failure must say why and leave nothing */
		return 0;
	}
	for (size_t i = 0; i < s.count; i++) {
		if (br_yaml_mark(s.marks, s.docs[i].root, &line, &column) == 0 &&
		    (line < 1 || column < 1))
			abort();
		check_round_trip(s.docs[i].root);
	}
	br_yaml_stream_release(&s);
	return 0;
}
