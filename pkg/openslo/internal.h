/* internal: what the files of pkg/openslo share and nobody else may use.
 * Not part of the API (openslo.h is). */
#ifndef BR_OPENSLO_INTERNAL_H
#define BR_OPENSLO_INTERNAL_H

#include <jansson.h>

#include "openslo/openslo.h"

/* Where a field of the burnrate result came from: problems br_slo_parse()
 * finds under br_field are reported at os_field and node of doc. */
struct br__openslo_origin {
	char br_field[128];
	char os_field[256];
	const json_t *node;
	const struct br_openslo_doc *doc;
};

/* What a Timeslices objective says (timeslice.c). */
struct br__openslo_ts {
	long long slice_s;       /* timeSliceWindow */
	int has_op, good_above;  /* op: lte (0) or gte (1) */
	double value;            /* NAN when absent */
	double target;           /* timeSliceTarget; NAN when absent */
};

/* State of one conversion: where problems go, and the origins recorded. */
struct br__openslo_ctx {
	struct br__openslo_ts *ts;        /* a Timeslices SLO's objective, else NULL */
	json_t *ts_annotation;   /* burnrate.dev/time-slice (owned), or NULL */
	const struct br_openslo_doc *doc;   /* the document being read */
	const struct br_openslo_doc *refs;
	size_t nrefs;
	struct br_problems *problems;
	int count;       /* problems found (also when problems is NULL) */
	int nomem;       /* an allocation failed */
	struct br__openslo_origin *origins;
	size_t norigins;
	size_t origins_cap;   /* room in origins (br_array_grow) */
};

enum br__openslo_type {
	BR__OPENSLO_OBJECT,
	BR__OPENSLO_LIST,
	BR__OPENSLO_STRING,
	BR__OPENSLO_NUMBER,
	BR__OPENSLO_BOOL
};

/* Records a problem about field at node's position in c->doc. */
void br__openslo_problem(struct br__openslo_ctx *c, const json_t *node, const char *field,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The member key of obj (path is obj's field path). NULL when absent or
 * null (a problem when required) or of the wrong type (a problem). */
const json_t *br__openslo_member(struct br__openslo_ctx *c, const json_t *obj, const char *path,
				 const char *key, enum br__openslo_type type, int required);

/* A problem for every key of obj not in allowed (NULL-terminated); refused
 * lists keys that are known but have no burnrate mapping, each with why
 * (pairs: key, reason; NULL-terminated). */
void br__openslo_check_fields(struct br__openslo_ctx *c, const json_t *obj, const char *path,
			      const char *const *allowed, const char *const *refused);

/* path + "." + key (or path + "[i]" with br__openslo_index) into out. Return out. */
char *br__openslo_path(const char *path, const char *key, char *out, size_t size);
char *br__openslo_index(const char *path, size_t i, char *out, size_t size);

/* Records that br_field of the result came from os_field at node. */
void br__openslo_origin(struct br__openslo_ctx *c, const char *br_field, const char *os_field,
			const json_t *node);

/* The one openslo/v1 document of kind whose metadata.name is the string ref
 * among c->refs, or NULL with a problem at field (none, or several). */
const struct br_openslo_doc *br__openslo_ref(struct br__openslo_ctx *c, const char *kind,
					     const json_t *ref, const char *field);

/* json_object_set_new (taking value) that notes a failure in c->nomem. A
 * NULL value sets nothing: out of memory when no problem was recorded. */
void br__openslo_set(struct br__openslo_ctx *c, json_t *obj, const char *key, json_t *value);

/* A duration-shorthand (or burnrate duration) in seconds; 0 with *zero set
 * for "0m", "0s" and the like. Returns 0, or -1 with why (size bytes). */
int br__openslo_duration(const char *text, long long *seconds, char *why, size_t size);

/* query.c: the selector of a Prometheus ratio query ("x{a=\"b\"}" from
 * "sum(rate(x{a=\"b\"}[5m]))") as a new string, or NULL with a problem at
 * field (or nomem). */
char *br__openslo_query_selector(struct br__openslo_ctx *c, const json_t *query, const char *field);

/* timeslice.c: whether spec's budgetingMethod is Timeslices or
 * RatioTimeslices; a Timeslices objective o into ts (problems at its
 * fields); the indicator of a ratio of selectors (num good, or bad) or of
 * a threshold on query, as {"timeSlice": {...}} (new), or NULL with a
 * problem at at. */
int br__openslo_timeslices(const json_t *spec);
void br__openslo_timeslice_objective(struct br__openslo_ctx *c, const json_t *o,
				     struct br__openslo_ts *ts);
json_t *br__openslo_timeslice_ratio(struct br__openslo_ctx *c, const char *num, int num_is_good,
				    const char *total, const json_t *at,
				    const struct br__openslo_ts *ts);
json_t *br__openslo_timeslice_threshold(struct br__openslo_ctx *c, const char *query,
					const json_t *at, const struct br__openslo_ts *ts);
/* The slice value's query of a time-slice SLO, as OpenSLO's thresholdMetric
 * (new string; NULL: no memory). */
struct br_slo;
char *br__openslo_slice_query(const struct br_slo *slo);

/* alerts.c: reads spec.alertPolicies of the SLO into alerting (an object
 * that may already hold keys from the annotation). */
void br__openslo_alert_policies(struct br__openslo_ctx *c, const json_t *spec, json_t *alerting);

#endif
