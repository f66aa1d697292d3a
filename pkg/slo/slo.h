/* slo: the ServiceLevelObjective model: parsing from a JSON tree (what the
 * API server sends, or what pkg/yaml made of a file), defaults, validation,
 * and the resolved alert table of DESIGN.md section 3.
 *
 * A parsed struct br_slo is plain data with public fields. Everything in it is
 * owned by it (strings are heap copies) and is valid once br_slo_parse()
 * returned 0; free it with br_slo_release(). A parsed SLO is always valid:
 * the generators never have to check it again.
 *
 * Durations are whole seconds. Percentages are as the user wrote them
 * (objective 99.5 means 99.5%); fractions are named as such.
 *
 * Thread-safety: no shared state; distinct SLOs may be used from distinct
 * threads. Nothing here prints, touches the network or reads files.
 */
#ifndef BR_SLO_H
#define BR_SLO_H

#include <jansson.h>
#include <stddef.h>

#include "errors/errors.h"

struct br_yaml_marks; /* pkg/yaml: where each node of a document came from */

#define BR_SLO_API_VERSION "burnrate.dev/v1alpha1"
#define BR_SLO_KIND "ServiceLevelObjective"

/* --- Durations ----------------------------------------------------------- */

/* Parses a Prometheus-style duration ("30d", "1h30m", "4w", "90s", "500ms"
 * is refused: burnrate works in whole seconds). Units: s, m, h, d, w (y is
 * refused: windows are at most 90 days). Returns 0 and sets *seconds, or
 * BR_EINVAL for empty, unknown units, a zero duration or overflow. */
int br_duration_parse(const char *text, long long *seconds);

/* Writes seconds the way Prometheus prints durations ("1h", "4m40s",
 * "67h12m", "3d" as "3d", "2w" as "2w"): the largest units first, no zero
 * parts, "0s" for 0; weeks and days only when they divide the duration
 * (28d is "4w", 2d19h12m is "67h12m"), so br_duration_parse reads back every
 * output. A negative duration is written as "-". Always NUL-terminated
 * (truncated to size); returns out. 32 bytes suffice. */
char *br_duration_format(long long seconds, char *out, size_t size);

/* --- Selectors ----------------------------------------------------------- */

enum br_match_op { BR_MATCH_EQ, BR_MATCH_NE, BR_MATCH_RE, BR_MATCH_NRE };

struct br_matcher {
	char *name;             /* label name */
	enum br_match_op op;
	char *value;            /* unescaped value */
};

/* A PromQL instant-vector selector: metric{matchers}. */
struct br_selector {
	char *metric;           /* may be NULL when the matchers name no __name__ */
	struct br_matcher *matchers;
	size_t count;
	size_t cap;             /* room in matchers (br_array_grow) */
};

/* Parses and validates a selector such as
 *   http_requests_total{job="checkout",code=~"5.."}
 * (metric name, label names, the four operators, double- or single-quoted or
 * backquoted values with PromQL escapes, balanced braces, nothing after the
 * closing brace, at least one matcher that does not match the empty string
 * when there is no metric name, non-empty regular expressions; regular
 * expressions are not compiled). __name__="x" becomes the metric name. On
 * failure returns BR_EPARSE and records what is wrong, with field as the
 * error's field path, or BR_ENOMEM (possibly with no record); *out is then
 * empty. You own *out on success: free with br_selector_release(). */
int br_selector_parse(const char *text, const char *field,
		      struct br_selector *out, struct br_error *err);
void br_selector_release(struct br_selector *sel);

/* Appends the selector in canonical form (values double-quoted and escaped, so
 * no value can end the string early). extra, when not NULL, is one more
 * matcher written last (the generator adds le="0.5" this way). suffix, when not
 * NULL, is appended to the metric name (_bucket, _count). A metric name that
 * PromQL would read as a keyword or number (sum, on, Inf...) is written as a
 * __name__ matcher instead. Returns 0 or BR_ENOMEM. */
struct br_buf;
int br_selector_render(const struct br_selector *sel, const char *suffix,
		       const struct br_matcher *extra, struct br_buf *out);

/* Appends s as a PromQL double-quoted string literal, with escapes.
 * Returns 0 or BR_ENOMEM. */
int br_promql_quote(const char *s, struct br_buf *out);

/* --- String limits ------------------------------------------------------- */

/* The longest string a field of spec may hold, in characters (Unicode code
 * points, as the API server counts a CRD's maxLength). field is the schema
 * path: list indexes left out ("spec.alerting.windows[].long"), and ".*" for
 * the values of a map ("spec.alerting.labels.*"). */
struct br_slo_limit {
	const char *field;
	size_t max_length;
};

/* The longest label or annotation name in spec.alerting (Kubernetes' limit on
 * the name part of a label key). The CRD cannot bound map keys
 * (additionalProperties), so only burnrate checks this one. */
#define BR_SLO_MAX_LABEL_NAME 63

/* Every string field of spec with its limit: the one table the parser checks
 * and the CRD's maxLength values repeat. Sets *count; the table is static.
 * Can't fail. */
const struct br_slo_limit *br_slo_limits(size_t *count);

/* The limit of a field by its schema path, or 0 for a field without one
 * (metadata, whose limits are Kubernetes' own). Can't fail. */
size_t br_slo_max_length(const char *field);

/* The number of code points in bytes bytes of valid UTF-8 at s. Can't fail. */
size_t br_slo_utf8_length(const char *s, size_t bytes);

/* --- Time ---------------------------------------------------------------- */

/* Parses an RFC 3339 date-time ("2026-12-01T02:00:00Z", "...T02:00:00.5+01:00",
 * a leap second :60) into Unix seconds, whole (br_time_parse: a fraction is
 * dropped) or exact. Returns 0, or BR_EINVAL for anything else (a date that
 * does not exist, no zone). */
int br_time_parse(const char *text, long long *seconds);
int br_time_parse_exact(const char *text, double *seconds);
/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes; always
 * NUL-terminated). Returns out. */
char *br_time_format(long long t, char *out, size_t size);

/* --- Exclusions ---------------------------------------------------------- */

/* A span of time whose events an SLO leaves out of its alert windows and
 * budget, as if it had no traffic then (a BudgetCorrection's window):
 * once, [start, end); or recurring, every period seconds (86400 or 604800)
 * for duration seconds from phase seconds after the period begins in UTC
 * (00:00 UTC; Sunday 00:00 UTC for a week). Plain data. */
enum br_exclusion_kind { BR_EXCLUSION_ONCE, BR_EXCLUSION_RECURRING };

struct br_exclusion {
	enum br_exclusion_kind kind;
	long long start, end;                 /* once */
	long long period, phase, duration;    /* recurring */
	const char *correction;               /* the BudgetCorrection's name;
						 borrowed from it */
};

/* The occurrence of e that holds t, or else the next one: its [start, end)
 * into *start and *end. Returns 1 when t is inside it, 0 when it is still
 * to come, -1 when e is once and over (start and end are then its own).
 * Can't fail. */
int br_exclusion_at(const struct br_exclusion *e, long long t, long long *start,
		    long long *end);

/* For a recurring e: the shift k in [0, period) for which t is inside an
 * occurrence exactly when (t + k) mod period < duration (what the rules
 * compute from time()). Can't fail. */
long long br_exclusion_shift(const struct br_exclusion *e);

/* --- The model ----------------------------------------------------------- */

enum br_indicator { BR_INDICATOR_RATIO, BR_INDICATOR_LATENCY, BR_INDICATOR_RAW,
		    BR_INDICATOR_TIMESLICE };

/* What a time slice without data counts as (spec.indicator.timeSlice.noData). */
enum br_slice_nodata { BR_SLICE_SKIP, BR_SLICE_GOOD, BR_SLICE_BAD };
enum br_severity { BR_SEVERITY_PAGE = 0, BR_SEVERITY_TICKET = 1 };

struct br_label {
	char *name;
	char *value;
};

/* Sorted by name, names unique. */
struct br_labels {
	struct br_label *items;
	size_t count;
};

/* One row of the alert table: a long and a short window that must both burn
 * faster than burn_rate for the alert of this severity to fire. */
struct br_alert_window {
	enum br_severity severity;
	long long long_s;
	long long short_s;
	double burn_rate;       /* f: error ratio threshold is f * error budget */
	double budget_percent;  /* b in percent: share of the whole-window budget
				   spent when it fires, = f * long / window * 100 */
	int off_peak_muted;     /* 1: this row never fires off-peak
				   (spec.alerting.offPeak) */
};

/* A named alert table (spec.alerting.preset), as data: the rows for a 30d
 * window, which br_slo_preset_windows() scales to other windows as it does
 * the workbook's. The one place presets are defined: explain prints them and
 * the CRD's description of spec.alerting.preset repeats them
 * (tests/cli/crd.test.sh compares). */
#define BR_SLO_PRESET_MAX_ROWS 4
struct br_slo_preset {
	const char *name;
	const char *summary;        /* one sentence for explain and the CRD */
	int pages_by_default;       /* 0: page alerts are off unless
				       spec.alerting.page is given without
				       disabled: true */
	size_t count;
	struct br_alert_window rows[BR_SLO_PRESET_MAX_ROWS]; /* at 30d */
};

/* Every preset, the default ("workbook") first. Sets *count; static data.
 * Can't fail. */
const struct br_slo_preset *br_slo_presets(size_t *count);
/* The preset of that name, or NULL. Can't fail. */
const struct br_slo_preset *br_slo_preset_find(const char *name);
/* Writes the preset's table for a window to rows (preset->count rows):
 * exactly the preset's at 30d; for other windows long = long30d * window /
 * 30d (whole seconds), short = long / 12, and the burn rate recomputed so
 * each row still spends its budget share. Can't fail. */
void br_slo_preset_windows(const struct br_slo_preset *preset, long long window_s,
			   struct br_alert_window *rows);

/* Off-peak hours (spec.alerting.offPeak): rows with off_peak_muted do not
 * fire from `from` (inclusive) to `to` (exclusive), local time at
 * utc_offset; the range may cross midnight. */
struct br_off_peak {
	int enabled;
	int from_min;           /* local minute of the day, 0..1439 */
	int to_min;             /* local minute of the day, 0..1439, != from */
	int utc_offset_min;     /* local = UTC + offset; -720..+840 */
};

/* The off-peak hours as UTC seconds of the day: [*from_s, *to_s) (may cross
 * midnight, from_s != to_s). Can't fail. */
void br_off_peak_utc(const struct br_off_peak *op, long long *from_s, long long *to_s);

/* How one severity is delivered. */
struct br_route {
	int disabled;           /* `disabled: true`: no alert of this severity */
	char *receiver;         /* Alertmanager receiver, NULL for the default */
	char *severity;         /* value of the `severity` label
				   ("critical" for page, "warning" for ticket) */
};

struct br_slo {
	/* metadata */
	char *name;
	char *namespace;        /* "default" when the document has none */
	char *uid;              /* NULL offline */
	long long generation;   /* 0 offline */

	/* spec */
	char *service;
	char *description;      /* NULL when unset */
	double objective;       /* percent, 0 < objective < 100 */
	long long window_s;     /* default 30d; 1d..90d */

	enum br_indicator indicator;
	/* ratio: errors or good (exactly one non-empty), and total */
	struct br_selector errors;
	struct br_selector good;
	int ratio_has_good;     /* 1 when good was given instead of errors */
	struct br_selector total;
	/* latency: classic histogram selector without _bucket/_count, and the
	   threshold in seconds (an le bucket boundary) */
	struct br_selector histogram;
	double threshold_s;
	/* raw: PromQL error ratio with "$window" where the range goes */
	char *raw_error_ratio;
	/* timeSlice: the objective is over slices of slice_s seconds, each
	   good or bad by a value: slice_query (PromQL, "$slice" where a range
	   goes), or the slice_quantile of the histogram above; good when at
	   most slice_threshold, or (slice_good_above) at least it */
	long long slice_s;
	char *slice_query;          /* NULL for the histogram form */
	double slice_quantile;      /* the histogram form's, 0 < q < 1 */
	double slice_threshold;
	int slice_good_above;
	enum br_slice_nodata slice_nodata;

	/* traffic */
	long long min_events;   /* 0 when unset */
	double confidence;      /* percent, 50 < c < 100; 0 when unset: a row
				   fires only while the Wilson lower bound of
				   its long window's error ratio, at this
				   one-sided confidence, is above the row's
				   threshold */
	double expected_events_per_day; /* 0 when unset; used by validate */

	/* alerting */
	char *alert_name;       /* default: metadata.name in CamelCase */
	struct br_labels labels;
	struct br_labels annotations;
	struct br_route page;
	struct br_route ticket;
	const struct br_slo_preset *preset; /* never NULL in a parsed SLO */
	struct br_off_peak off_peak;

	/* the resolved alert table: the override, or the default scaled to the
	   window; rows sorted by severity, then long window ascending. Rows of a
	   disabled severity are kept (explain shows them) but never generated. */
	struct br_alert_window *windows;
	size_t window_count;

	/* the spans whose events are left out (BudgetCorrections that select
	   this SLO, added by br_slo_add_correction; none from br_slo_parse) */
	struct br_exclusion *exclusions;
	size_t exclusion_count;
};

/* The error budget as a fraction: 1 - objective/100. */
double br_slo_error_budget(const struct br_slo *slo);

/* z of a one-sided confidence in percent (95 -> 1.6449): the standard normal
 * quantile at confidence/100. 0 for confidence outside (50, 100). Can't
 * fail. */
double br_slo_confidence_z(double confidence);

/* The lower bound of the Wilson score interval of errors out of events at
 * one-sided z; the same formula the rules compute in PromQL:
 *   (p*n + z^2/2 - z*sqrt(p*(1-p)*n + z^2/4)) / (n + z^2),  p = errors/n.
 * 0 when events <= 0. Can't fail. */
double br_slo_wilson_lower(double errors, double events, double z);

/* Initialises an empty SLO. Does not allocate; can't fail. */
void br_slo_init(struct br_slo *slo);
/* Frees everything the SLO owns and re-initialises it. */
void br_slo_release(struct br_slo *slo);

/* Parses one ServiceLevelObjective object (apiVersion, kind, metadata, spec)
 * into out, applies defaults and validates it.
 *
 * marks may be NULL (input from the API server); with marks, and file not NULL,
 * each problem carries the file, line and column of the offending node.
 *
 * Defaults: metadata.namespace "default"; spec.window 30d; alerting.name the
 * CamelCase of metadata.name ("checkout-availability" is
 * "CheckoutAvailability"; "Slo" in front of a name starting with a digit);
 * page severity "critical", ticket severity "warning"; the alert table of
 * alerting.preset (default workbook, br_slo_default_windows(); a preset may
 * turn page alerts off unless spec.alerting.page is given) unless
 * spec.alerting.windows replaces it (a row's
 * short window defaults to long/12; burnRate and budgetPercent are derived
 * from each other).
 *
 * Refused, each with its own problem: a wrong apiVersion or kind; unknown
 * fields (anywhere in spec, and at the top level) and wrong JSON types;
 * metadata.name not a DNS-1123 subdomain, namespace not a DNS-1123 label;
 * strings longer than their field's limit (br_slo_limits(), checked before
 * anything else reads them), label and annotation names longer than
 * BR_SLO_MAX_LABEL_NAME; spec.service missing, empty or with a line break;
 * objective outside (0, 100); a window that does not parse or is outside
 * 1d..90d; not exactly one indicator; a ratio without total or without
 * exactly one of errors and good; invalid selectors; a latency histogram
 * named with _bucket, _count or _sum, without a metric name, or matching on
 * le; a threshold that is not a positive number; a raw errorRatio without
 * "$window"; a negative minEvents, or minEvents with a raw indicator;
 * traffic.confidence outside (50, 100) or with a raw indicator; a
 * non-positive expectedEventsPerDay; an unknown alerting.preset; offPeak
 * times that are not HH:MM, equal from and to, a utcOffset outside
 * -12:00..+14:00, rows that name no long window of the table (or one twice),
 * and no rows with page alerts off (the default mutes the fastest page row); an
 * alert name or label name Prometheus refuses; labels burnrate owns (slo,
 * slo_namespace, severity, burnrate_severity, burnrate_receiver, service,
 * alertname, and names starting with "__"); non-string label and
 * annotation values; override rows with short >= long, short under 1m, long
 * over the window, or not exactly one positive burnRate / budgetPercent in
 * (0, 100]; and, for every row of an enabled severity, a short window under
 * 1m or a threshold f * eb >= 1 that can never fire.
 *
 * Returns 0 when the object is valid. Otherwise returns BR_EINVAL (or
 * BR_ENOMEM), adds every problem found to problems (if not NULL; each with the
 * field path such as "spec.indicator.ratio.errors" and a message naming what
 * is wrong), and leaves out released. The document is borrowed. Problems
 * about true, false or null values point at the object that holds them (they
 * have no marks of their own). */
int br_slo_parse(const json_t *doc, const struct br_yaml_marks *marks,
		 const char *file, struct br_slo *out,
		 struct br_problems *problems);

/* Computes the default alert table of DESIGN.md section 3 for a window:
 * exactly the SRE Workbook's at 30d; for other windows the long windows scale
 * with the window (long = long30d * window / 30d, rounded to whole seconds),
 * short = long / 12, and the burn rate is recomputed as b * window / long so
 * every row still spends its share of the budget. Writes 4 rows to rows.
 * Can't fail. */
void br_slo_default_windows(long long window_s, struct br_alert_window rows[4]);

/* --- Budget corrections -------------------------------------------------- */

/* A BudgetCorrection (burnrate.dev/v1alpha1, issue 17): the windows in which
 * the events of the SLOs its selector matches (in its namespace) are left
 * out of every alert window and of the budget. Plain data, owned like an
 * SLO: init, parse, release. */
#define BR_CORRECTION_KIND "BudgetCorrection"
#define BR_CORRECTION_MAX_WINDOWS 16      /* spec.windows */
#define BR_CORRECTION_MAX_SPANS 112       /* windows, a recurring one once a day */
#define BR_CORRECTION_MAX_EXPRESSIONS 16  /* spec.selector.matchExpressions */

enum br_label_op { BR_LABEL_IN, BR_LABEL_NOTIN, BR_LABEL_EXISTS, BR_LABEL_NOTEXISTS };

/* One requirement of a label selector (matchLabels k: v is k In (v)). */
struct br_label_requirement {
	char *key;
	enum br_label_op op;
	char **values;
	size_t value_count;
};

struct br_correction {
	char *name;
	char *namespace;        /* "default" when the document has none */
	char *reason;
	struct br_label_requirement *selector;   /* all must hold; none: every SLO */
	size_t selector_count;
	size_t selector_cap;    /* room in selector (br_array_grow) */
	struct br_exclusion *spans;   /* the windows, a recurring weekly window
					 once per day of the week it names */
	size_t span_count;
	char *summary;          /* one line: "weekly Sun 02:00 +01:00 for 4h",
				   "2026-12-01T02:00:00Z to 2026-12-01T04:00:00Z",
				   "3 windows" */
};

void br_correction_init(struct br_correction *c);
void br_correction_release(struct br_correction *c);

/* Parses one BudgetCorrection object as br_slo_parse does an SLO (marks,
 * file and problems alike). Refused, each with a problem naming the field:
 * a wrong apiVersion or kind, unknown fields, wrong types; metadata as an
 * SLO's; no selector, an operator other than In, NotIn, Exists and
 * DoesNotExist, In or NotIn without values, values with Exists; no reason or
 * one over 1024 characters; no windows or more than BR_CORRECTION_MAX_WINDOWS;
 * a window that is not exactly start and end or schedule and duration; start
 * or end not RFC 3339, an end not after its start, a one-off window over 90
 * days; a schedule that is not "MINUTE HOUR * * DAYS" (a fixed minute 0-59
 * and hour 0-23, * for day of month and month, DAYS * or days of the week
 * 0-7 or SUN-SAT in lists and ranges: only daily and weekly schedules have
 * a fixed period the rules can compute), a duration under 1m or so long
 * that the schedule always fires (one occurrence reaching the next), a
 * utcOffset outside -12:00..+14:00 or without a schedule; and windows that
 * overlap one another. */
int br_correction_parse(const json_t *doc, const struct br_yaml_marks *marks,
			const char *file, struct br_correction *out,
			struct br_problems *problems);

/* Whether c's selector matches an object's metadata.labels (an object of
 * strings, or NULL for none). Can't fail. */
int br_correction_matches(const struct br_correction *c, const json_t *labels);

/* The window of c that holds t, else its next one, else its last (over
 * all its spans) into *start and *end. Returns 1, 0 or -1 as
 * br_exclusion_at; -2 when c has no span. Can't fail. */
int br_correction_window(const struct br_correction *c, long long t, long long *start,
			 long long *end);

/* Adds c's windows to slo->exclusions (they borrow c's name: c must outlive
 * slo's use of them). Refused with BR_EINVAL and err naming the window: a
 * one-off window longer than the SLO's window. Returns 0, BR_EINVAL or
 * BR_ENOMEM (slo unchanged). */
int br_slo_add_correction(struct br_slo *slo, const struct br_correction *c,
			  struct br_error *err);

#endif
