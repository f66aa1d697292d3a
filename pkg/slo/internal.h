/* internal: what the files of pkg/slo share and nobody else may use. Not
 * part of the API (slo.h is). */
#ifndef BR_SLO_INTERNAL_H
#define BR_SLO_INTERNAL_H

#include <jansson.h>

#include "slo/slo.h"

/* State of one br_slo_parse() call: where problems go and where they are. */
struct br__slo_ctx {
	const struct br_yaml_marks *marks;
	const char *file;
	struct br_problems *problems;
	int count;  /* problems found (also when problems is NULL) */
	int nomem;  /* an allocation failed: the result is BR_ENOMEM */
};

/* The JSON types a field may be required to have. */
enum br__slo_type {
	BR__SLO_OBJECT, BR__SLO_LIST, BR__SLO_STRING, BR__SLO_NUMBER, BR__SLO_INT, BR__SLO_BOOL
};

/* Records a problem about field at node's position (node may be NULL). */
void br__slo_problem(struct br__slo_ctx *c, const json_t *node, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Records err, which the selector parser filled when it returned rc, at
 * node's position; an out-of-memory rc sets nomem instead. */
void br__slo_add_error(struct br__slo_ctx *c, const json_t *node, int rc,
		       struct br_error *err);

/* The member key of obj (path is obj's own field path, "" for the root).
 * Returns NULL when it is absent or null (a problem if required), has the
 * wrong type, or is a string longer than its field's limit (always a
 * problem). Borrowed from obj. */
const json_t *br__slo_member(struct br__slo_ctx *c, const json_t *obj, const char *path,
			     const char *key, enum br__slo_type type, int required);
/* A heap copy of a string node; NULL with a problem for embedded NULs, or
 * with nomem set. */
char *br__slo_strdup(struct br__slo_ctx *c, const json_t *node, const char *field);
/* Records an "unknown field" problem for every key of obj not in allowed
 * (a NULL-terminated list). */
void br__slo_check_fields(struct br__slo_ctx *c, const json_t *obj, const char *path,
			  const char *const *allowed);
/* Checks doc's top level as the API server's strict decoding does: no
 * field but apiVersion, kind, metadata, spec and status (the server's),
 * apiVersion BR_SLO_API_VERSION and kind as given. Problems as
 * br__slo_member's. */
void br__slo_check_top(struct br__slo_ctx *c, const json_t *doc, const char *kind);
/* metadata.namespace of meta, "default" when absent: a heap copy (also of
 * a namespace that is not a DNS-1123 label, with a problem), or NULL with a
 * problem (see br__slo_strdup) or with nomem set. */
char *br__slo_namespace(struct br__slo_ctx *c, const json_t *meta);
/* path + "." + key into out (size bytes). Returns out. */
char *br__slo_path(const char *path, const char *key, char *out, size_t size);

/* The optional string key of obj, checked as spec.service is (a Prometheus
 * label value: non-empty, one line, within its field's limit). A heap copy, or NULL
 * when absent or invalid (with a problem) or out of memory (nomem set). */
char *br__slo_label_value(struct br__slo_ctx *c, const json_t *obj, const char *path,
			  const char *key);

/* Checks the string node v against the limit of its field (limits.c).
 * schema is the field's schema path, or NULL to derive it from field (list
 * indexes dropped); field is the concrete path the problem names. Returns 1
 * when v is within the limit (or the field has none), else 0 with a
 * problem. */
int br__slo_check_length(struct br__slo_ctx *c, const json_t *v, const char *schema,
			 const char *field);

/* Does obj have key with a value other than null? (YAML's "key:" with
 * nothing after it is null: Kubernetes treats it as unset, and so do we.) */
int br__slo_present(const json_t *obj, const char *key);

/* v, or parent when v is true, false or null (jansson singletons, which
 * have no position of their own). */
const json_t *br__slo_at(const json_t *v, const json_t *parent);

/* A DNS-1123 label of n bytes ([a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63),
 * and a DNS-1123 subdomain (labels joined by dots, at most 253). */
int br__slo_dns_label(const char *s, size_t n);
int br__slo_dns_subdomain(const char *s);

/* The histogram selector of obj (path: obj's field path): required, with a
 * metric name that has no _bucket, _count or _sum suffix and no le
 * matcher (the generator adds them). Problems as br__slo_member's. */
void br__slo_parse_histogram(struct br__slo_ctx *c, const json_t *obj, const char *path,
			     struct br_selector *out);
/* spec.indicator.timeSlice (timeslice.c) into out. */
void br__slo_parse_timeslice(struct br__slo_ctx *c, const json_t *ts, struct br_slo *out);

/* An offset from UTC, "+HH:MM" or "-HH:MM" within -12:00..+14:00, in
 * minutes; BR__SLO_BAD_OFFSET for anything else (offpeak.c). */
#define BR__SLO_BAD_OFFSET (-100000)
int br__slo_utc_offset(const char *s);

/* --- Schedules (schedule.c) --- */

/* "MINUTE HOUR * * DAYS": days a mask, bit 0 Sunday (0x7f: every day). */
struct br__slo_schedule {
	int minute, hour;
	unsigned days;
};

/* Parses text into out. Returns 0, or BR_EINVAL with why (size bytes) the
 * sentence that says what is wrong. */
int br__slo_schedule_parse(const char *text, struct br__slo_schedule *out, char *why, size_t size);
/* The shortest time from one occurrence's start to the next's, seconds. */
long long br__slo_schedule_gap(const struct br__slo_schedule *s);
/* The recurring spans of s lasting duration at a local offset (seconds east
 * of UTC) into out (room for 7): one daily span, or one weekly span a day.
 * Returns how many. */
size_t br__slo_schedule_spans(const struct br__slo_schedule *s, long long duration,
			      long long offset, struct br_exclusion *out);
/* "daily 02:00", "weekly Sat,Sun 02:00" into out. */
void br__slo_schedule_describe(const struct br__slo_schedule *s, char *out, size_t size);
/* Whether two spans ever hold the same instant. */
int br__slo_spans_overlap(const struct br_exclusion *a, const struct br_exclusion *b);

/* Is s a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)? With colon,
 * a metric or alert name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int br__slo_valid_name(const char *s, int colon);

/* Parses spec.alerting (node may be NULL), applies its defaults, resolves
 * and checks the alert table. spec locates problems of the default table
 * (at its window or objective). window_ok and objective_ok say whether those fields
 * were valid: the table needs the window, the burn-rate check both. */
void br__slo_parse_alerting(struct br__slo_ctx *c, const json_t *alerting,
			    const json_t *spec, struct br_slo *out, int window_ok,
			    int objective_ok);

/* Parses spec.alerting.offPeak (alerting may be NULL) and marks the rows it
 * mutes in out->windows, which must be resolved first (none when the table
 * could not be). */
void br__slo_parse_off_peak(struct br__slo_ctx *c, const json_t *alerting,
			    struct br_slo *out);

/* f = b/100 * window / long, and its inverse. */
double br__slo_burn_rate(double budget_percent, long long window_s, long long long_s);
double br__slo_budget_percent(double burn_rate, long long window_s, long long long_s);

#endif
