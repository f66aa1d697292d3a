/* offpeak: spec.alerting.offPeak, the hours in which some rows of the alert
 * table are muted (by default the fastest page row: at night a short blip
 * spends little budget, while a real outage still pages through the slower
 * rows). Times are local at a fixed UTC offset: a fixed offset stays right
 * all year, which an IANA zone's would not without the rules re-rendered at
 * every daylight-saving change. */
#include "slo/slo.h"

#include <stdio.h>
#include <string.h>

#include "slo/internal.h"

#define PATH "spec.alerting.offPeak"
/* UTC-12:00 to UTC+14:00: every offset in use. */
#define MIN_OFFSET (-12 * 60)
#define MAX_OFFSET (14 * 60)

static int digit2(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "HH:MM" -> minutes, or -1. Hours 00..23, minutes 00..59. */
static int parse_hhmm(const char *s)
{
	int h, m;

	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	h = digit2(s);
	m = digit2(s + 3);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

static int parse_time(struct br__slo_ctx *c, const json_t *op, const char *key, int *out)
{
	const json_t *v = br__slo_member(c, op, PATH, key, BR__SLO_STRING, 1);
	char field[64];

	if (!v)
		return 0;
	*out = parse_hhmm(json_string_value(v));
	if (*out >= 0)
		return 1;
	br__slo_problem(c, v, br__slo_path(PATH, key, field, sizeof(field)),
			"must be a local time HH:MM from 00:00 to 23:59, got \"%.40s\"",
			json_string_value(v));
	return 0;
}

int br__slo_utc_offset(const char *s)
{
	int minutes = (s[0] == '+' || s[0] == '-') ? parse_hhmm(s + 1) : -1;

	if (minutes < 0)
		return BR__SLO_BAD_OFFSET;
	minutes = s[0] == '-' ? -minutes : minutes;
	return minutes >= MIN_OFFSET && minutes <= MAX_OFFSET ? minutes : BR__SLO_BAD_OFFSET;
}

/* utcOffset: "+HH:MM" or "-HH:MM", -12:00 to +14:00; default +00:00. */
static int parse_offset(struct br__slo_ctx *c, const json_t *op, int *out)
{
	const json_t *v = br__slo_member(c, op, PATH, "utcOffset", BR__SLO_STRING, 0);
	const char *s;
	int minutes;

	*out = 0;
	if (!v)
		return !br__slo_present(op, "utcOffset");
	s = json_string_value(v);
	minutes = br__slo_utc_offset(s);
	if (minutes != BR__SLO_BAD_OFFSET) {
		*out = minutes;
		return 1;
	}
	br__slo_problem(c, v, PATH ".utcOffset",
			"must be an offset from UTC as +HH:MM or -HH:MM between -12:00 and "
			"+14:00 (e.g. +02:00), got \"%.40s\"", s);
	return 0;
}

/* The row of the table whose long window is long_s, or NULL. */
static struct br_alert_window *row_by_long(struct br_slo *out, long long long_s)
{
	for (size_t i = 0; i < out->window_count; i++)
		if (out->windows[i].long_s == long_s)
			return &out->windows[i];
	return NULL;
}

/* The table's long windows, for messages: "1h, 6h, 1d, 3d". */
static void list_longs(const struct br_slo *out, char *text, size_t size)
{
	size_t n = 0;

	text[0] = '\0';
	for (size_t i = 0; i < out->window_count && n < size; i++) {
		char d[32];

		br_duration_format(out->windows[i].long_s, d, sizeof(d));
		n += (size_t)snprintf(text + n, size - n, "%s%s", i ? ", " : "", d);
	}
}

static void mark_row(struct br__slo_ctx *c, const json_t *v, const char *field,
		     struct br_slo *out)
{
	struct br_alert_window *row;
	char rows[160];
	long long s;

	if (!br__slo_check_length(c, v, PATH ".rows[]", field))
		return;
	if (br_duration_parse(json_string_value(v), &s) != 0) {
		br__slo_problem(c, v, field, "invalid duration \"%.40s\"", json_string_value(v));
		return;
	}
	row = row_by_long(out, s);
	if (!row) {
		list_longs(out, rows, sizeof(rows));
		br__slo_problem(c, v, field, "no row of the alert table has the long window "
				"%.40s (the rows' long windows are: %s)", json_string_value(v),
				rows);
	} else if (row->off_peak_muted) {
		br__slo_problem(c, v, field, "row %.40s is listed twice", json_string_value(v));
	} else {
		row->off_peak_muted = 1;
	}
}

/* rows: the listed long windows, or the fastest page row by default. */
static void mark_rows(struct br__slo_ctx *c, const json_t *op, struct br_slo *out)
{
	const json_t *list = br__slo_member(c, op, PATH, "rows", BR__SLO_LIST, 0);
	size_t i;

	if (br__slo_present(op, "rows") && !list)
		return;
	if (list && json_array_size(list) == 0) {
		br__slo_problem(c, list, PATH ".rows",
				"must name at least one row (leave it out to mute the fastest page "
				"row)");
		return;
	}
	for (i = 0; list && i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		char field[64];

		snprintf(field, sizeof(field), PATH ".rows[%zu]", i);
		if (!json_is_string(v))
			br__slo_problem(c, br__slo_at(v, list), field,
					"must be a string (the long window of a row, e.g. 1h)");
		else
			mark_row(c, v, field, out);
	}
	if (list)
		return;
	/* rows are sorted page first, long window ascending */
	if (out->page.disabled || out->window_count == 0 ||
	    out->windows[0].severity != BR_SEVERITY_PAGE) {
		br__slo_problem(c, op, PATH ".rows", "page alerts are off, so there is no page "
				"row to mute by default: name the rows to mute");
		return;
	}
	out->windows[0].off_peak_muted = 1;
}

void br__slo_parse_off_peak(struct br__slo_ctx *c, const json_t *alerting,
			    struct br_slo *out)
{
	static const char *const fields[] = {"from", "to", "utcOffset", "rows", NULL};
	const json_t *op = NULL;
	int ok;

	if (alerting)
		op = br__slo_member(c, alerting, "spec.alerting", "offPeak", BR__SLO_OBJECT, 0);
	if (!op)
		return;
	br__slo_check_fields(c, op, PATH, fields);
	ok = parse_time(c, op, "from", &out->off_peak.from_min);
	ok = parse_time(c, op, "to", &out->off_peak.to_min) && ok;
	ok = parse_offset(c, op, &out->off_peak.utc_offset_min) && ok;
	if (ok && out->off_peak.from_min == out->off_peak.to_min)
		br__slo_problem(c, json_object_get(op, "to"), PATH ".to",
				"must differ from offPeak.from (%.10s): off-peak hours cannot be "
				"empty "
				"or the whole day", json_string_value(json_object_get(op, "from")));
	if (out->windows)
		mark_rows(c, op, out);
	out->off_peak.enabled = 1;
}
