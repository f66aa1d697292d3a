/* openslo: OpenSLO v1 documents to and from burnrate ServiceLevelObjectives.
 *
 * In: an OpenSLO `SLO` (apiVersion openslo/v1) with an inline `indicator` or
 * an `indicatorRef` to an `SLI` document, its `alertPolicies` (inline or by
 * `alertPolicyRef`, each with one `AlertCondition` of kind burnrate, inline
 * or by `conditionRef`, and `AlertNotificationTarget`s inline or by
 * `targetRef`), becomes one burnrate.dev/v1alpha1 ServiceLevelObjective
 * object, which br_slo_parse() accepts. Out: a ServiceLevelObjective becomes
 * one OpenSLO `SLO` with its SLI inline and one inline AlertPolicy per row of
 * its alert table; converting that back gives an SLO whose rules are the
 * same byte for byte.
 *
 * Only what maps exactly is converted. Everything else is refused with a
 * problem naming the OpenSLO field (for example spec.timeWindow[0].isRolling):
 * calendar windows, months, quarters and years; Timeslices and
 * RatioTimeslices budgeting (time-slice objectives are not supported yet);
 * several or composite objectives; thresholdMetric (a threshold on a sampled
 * value is a time-slice objective); metric sources other than Prometheus;
 * ratio queries that are not a plain selector, optionally inside rate() or
 * increase() over a range and one sum() without grouping (burnrate applies
 * its own ranges and sums); gauges (counter: false); raw ratios of
 * successes, or without $window; alert conditions other than `op: gt` with
 * no `alertAfter` (burnrate's alerts fire as soon as both windows burn);
 * severities other than page and ticket; alertWhenNoData or
 * alertWhenResolved true, alertWhenBreaching false; more than one condition
 * or notification target in a policy, and two receivers for one severity.
 *
 * What OpenSLO has no field for travels in metadata.annotations of the SLO,
 * as JSON objects: burnrate.dev/traffic (spec.traffic) and
 * burnrate.dev/alerting (spec.alerting's name, labels, annotations, offPeak,
 * and page/ticket severity); and in an AlertCondition's annotations,
 * burnrate.dev/short-window (a row's short window when it is not long/12).
 * A condition's lookbackWindow is the row's long window and its threshold
 * the burn rate; the notification target's name (or targetRef) is the
 * severity's Alertmanager receiver. An SLO without alertPolicies gets
 * burnrate's default alert table; with some, a severity no policy names is
 * disabled. metadata.namespace is read and written as Kubernetes does.
 *
 * Pure code: trees in, trees out; no I/O, no printing, no shared state (use
 * from any thread). Every input tree is borrowed and never changed.
 */
#ifndef BR_OPENSLO_H
#define BR_OPENSLO_H

#include <jansson.h>
#include <stddef.h>

#include "errors/errors.h"

struct br_yaml_marks; /* pkg/yaml: where each node of a document came from */

#define BR_OPENSLO_API_VERSION "openslo/v1"

/* Annotation keys burnrate reads and writes (see above). */
#define BR_OPENSLO_ANN_TRAFFIC "burnrate.dev/traffic"
#define BR_OPENSLO_ANN_ALERTING "burnrate.dev/alerting"
#define BR_OPENSLO_ANN_SHORT "burnrate.dev/short-window"
/* the whole spec.indicator.timeSlice of a burnrate time-slice SLO (exact) */
#define BR_OPENSLO_ANN_TIMESLICE "burnrate.dev/time-slice"

/* One OpenSLO document and where it came from, to locate problems. */
struct br_openslo_doc {
	const json_t *root;                 /* borrowed */
	const struct br_yaml_marks *marks;  /* may be NULL */
	const char *file;                   /* may be NULL */
};

/* Whether doc is an object with apiVersion openslo/v1. Can't fail. */
int br_openslo_is(const json_t *doc);

/* Whether doc is an openslo/v1 document of kind SLO. Can't fail. */
int br_openslo_is_slo(const json_t *doc);

/* Converts the OpenSLO SLO slo->root into a new ServiceLevelObjective object
 * in *out. refs are the other openslo/v1 documents of the input (any kind;
 * SLO documents among them are ignored), searched by kind and
 * metadata.name for indicatorRef, alertPolicyRef, conditionRef and
 * targetRef; refs may be NULL when nrefs is 0. The result is checked with
 * br_slo_parse(), whose problems are reported at the OpenSLO field they
 * come from.
 *
 * Returns 0 and *out (a new reference: you own it, json_decref it), or
 * BR_EINVAL with every problem found added to problems (if not NULL; each
 * with the file, line and column of the offending node when marks allow,
 * the OpenSLO field path and what is wrong) and *out NULL, or BR_ENOMEM. */
int br_openslo_to_slo(const struct br_openslo_doc *slo,
		      const struct br_openslo_doc *refs, size_t nrefs,
		      json_t **out, struct br_problems *problems);

/* Converts a ServiceLevelObjective object (validated with br_slo_parse()
 * first; its problems are reported as they are) into a new OpenSLO v1 SLO
 * object in *out: the SLI inline, one inline AlertPolicy per row of the
 * alert table whose severity is enabled, targetPercent for the objective.
 * Refused: an SLO none of whose rows can fire (every severity disabled or
 * without rows: with no policy, OpenSLO would mean the default table);
 * metadata labels or annotations that are not objects of strings, and
 * burnrate.dev/ annotations of its own. marks and file locate problems, as
 * for br_openslo_to_slo; both may be NULL.
 *
 * Returns 0 and *out (a new reference: json_decref it), BR_EINVAL with
 * problems, or BR_ENOMEM. */
int br_openslo_from_slo(const json_t *doc, const struct br_yaml_marks *marks,
			const char *file, json_t **out, struct br_problems *problems);

#endif
