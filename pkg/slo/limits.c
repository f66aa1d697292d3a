/* limits: the longest string each field of a ServiceLevelObjective's spec may
 * hold. The one table of these numbers: the CRD's maxLength values are the
 * same (tests/cli/limits.test.sh proves it field by field), so what the API
 * server admits, burnrate accepts, and the other way round. */
#include "slo/slo.h"

#include <string.h>

#include "slo/internal.h"

/* Selectors and PromQL leave room for long regular expressions
 * (handler=~"/a|/b|..."); text read by people (the description, annotation
 * values) is bounded so that nothing copied into every alert can be
 * megabytes; label values (service, receivers, severities, labels) get 253,
 * as spec.service always had; durations need a handful of characters, 32
 * leaves room for "1h30m" forms and leading zeros. */
#define PROMQL_MAX 4096
#define LABEL_VALUE_MAX 253
#define DURATION_MAX 32

/* Strings with an enum (windows[].severity) are bounded by it: the enum's
 * own message says more than a length would. */
static const struct br_slo_limit limits[] = {
	{"spec.service", LABEL_VALUE_MAX},
	{"spec.description", 1024},
	{"spec.window", DURATION_MAX},
	{"spec.indicator.ratio.errors", PROMQL_MAX},
	{"spec.indicator.ratio.good", PROMQL_MAX},
	{"spec.indicator.ratio.total", PROMQL_MAX},
	{"spec.indicator.latency.histogram", PROMQL_MAX},
	{"spec.indicator.raw.errorRatio", PROMQL_MAX},
	{"spec.indicator.timeSlice.slice", DURATION_MAX},
	{"spec.indicator.timeSlice.query", PROMQL_MAX},
	{"spec.indicator.timeSlice.histogram", PROMQL_MAX},
	{"spec.alerting.name", LABEL_VALUE_MAX},
	{"spec.alerting.labels.*", LABEL_VALUE_MAX},
	{"spec.alerting.annotations.*", 4096},
	{"spec.alerting.page.receiver", LABEL_VALUE_MAX},
	{"spec.alerting.page.severity", LABEL_VALUE_MAX},
	{"spec.alerting.ticket.receiver", LABEL_VALUE_MAX},
	{"spec.alerting.ticket.severity", LABEL_VALUE_MAX},
	{"spec.alerting.windows[].long", DURATION_MAX},
	{"spec.alerting.windows[].short", DURATION_MAX},
	{"spec.alerting.offPeak.from", 5},
	{"spec.alerting.offPeak.to", 5},
	{"spec.alerting.offPeak.utcOffset", 6},
	{"spec.alerting.offPeak.rows[]", DURATION_MAX},
};

#define LIMIT_COUNT (sizeof(limits) / sizeof(limits[0]))

const struct br_slo_limit *br_slo_limits(size_t *count)
{
	*count = LIMIT_COUNT;
	return limits;
}

size_t br_slo_max_length(const char *field)
{
	for (size_t i = 0; i < LIMIT_COUNT; i++)
		if (strcmp(limits[i].field, field) == 0)
			return limits[i].max_length;
	return 0;
}

size_t br_slo_utf8_length(const char *s, size_t bytes)
{
	size_t n = 0;

	/* Every code point has exactly one byte that is not a continuation
	   byte (10xxxxxx). jansson and libyaml hand over valid UTF-8 only. */
	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* field with every list index removed: "spec.alerting.windows[2].long" is
 * "spec.alerting.windows[].long", the name the table uses. */
static void schema_path(const char *field, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = field; *p && n + 1 < size; p++) {
		out[n++] = *p;
		if (*p == '[')
			while (p[1] >= '0' && p[1] <= '9')
				p++;
	}
	out[n] = '\0';
}

int br__slo_check_length(struct br__slo_ctx *c, const json_t *v, const char *schema,
			 const char *field)
{
	char generic[256];
	size_t max, n;

	if (!schema) {
		schema_path(field, generic, sizeof(generic));
		schema = generic;
	}
	max = br_slo_max_length(schema);
	/* bytes bound characters: most strings need no counting */
	if (max == 0 || json_string_length(v) <= max)
		return 1;
	n = br_slo_utf8_length(json_string_value(v), json_string_length(v));
	if (n <= max)
		return 1;
	br__slo_problem(c, v, field, "must be at most %zu characters, got %zu", max, n);
	return 0;
}
