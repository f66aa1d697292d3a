/* alertmanager: the Alertmanager configuration burnrate writes (DESIGN.md
 * section 4): the platform team's base configuration plus one route per
 * (namespace, receiver, severity) that SLOs use, and one inhibit rule.
 *
 * Inputs, both text (YAML or JSON):
 *   - the base, alertmanager.yaml: global settings, receivers, the root
 *     route, the team's own routes and inhibit rules, templates, time
 *     intervals. Validated as Alertmanager would (root route with a known
 *     receiver and no matchers, continue or time intervals; unique receiver
 *     names; every route's receiver defined; durations, matchers, group_by
 *     and time interval names well formed; no unknown keys at the top, in
 *     routes, receivers and inhibit rules), so that what is accepted here is
 *     accepted by `amtool check-config`. The insides of receiver
 *     integrations are passed through, except that webhook, Slack and
 *     PagerDuty configurations must say where to send.
 *   - the policy, burnrate.yaml (optional; NULL or empty: the defaults):
 *
 *       receivers:               # receiver -> namespaces that may use it
 *         payments-pagerduty: [payments]
 *         platform-slack: ["*"]  # "*": every namespace
 *       timing:                  # per severity; each field optional
 *         page:   {group_wait: 30s, group_interval: 5m, repeat_interval: 1h}
 *         ticket: {group_wait: 5m, group_interval: 30m, repeat_interval: 24h}
 *
 *     Without `receivers`, any namespace may use any receiver of the base;
 *     with it, only the receivers it lists (each must exist in the base),
 *     and each only from its namespaces. The timing shown is the default.
 *
 * The merged configuration is the base with, first under the root route,
 * for every (namespace, receiver, severity) some valid SLO routes to:
 *
 *   - receiver: R
 *     matchers: [slo_namespace="NS", burnrate_receiver="R", burnrate_severity="page"]
 *     group_by: [slo_namespace, slo, burnrate_severity]
 *     group_wait/group_interval/repeat_interval: the policy's for the severity
 *
 * then the base's own routes unchanged, and, after the base's inhibit rules,
 *
 *   - source_matchers: [burnrate_severity="page"]
 *     target_matchers: [burnrate_severity="ticket"]
 *     equal: [slo_namespace, slo]
 *
 * Its size grows with namespaces x receivers, never with SLOs. Alerts carry
 * slo_namespace from the SLO's own namespace (pkg/rules; the label cannot be
 * set from a spec), so a route for namespace A never matches an alert of
 * namespace B, whatever receiver B names. Output is sorted and
 * byte-for-byte deterministic, and is checked again by the validator before
 * it is returned.
 *
 * Pure functions: no network, threads, files or Kubernetes client. A parsed
 * struct br_am_config is immutable, so it may be read from many threads at
 * once. Nothing here prints.
 */
#ifndef BR_ALERTMANAGER_H
#define BR_ALERTMANAGER_H

#include <jansson.h>
#include <stddef.h>

#include "errors/errors.h"

struct br_buf;

/* The keys of the base Secret and of the target Secret. */
#define BR_AM_CONFIG_KEY "alertmanager.yaml"
#define BR_AM_POLICY_KEY "burnrate.yaml"

/* Labels of the generated routes (written on alerts by pkg/rules). */
#define BR_AM_LABEL_NAMESPACE "slo_namespace"
#define BR_AM_LABEL_SLO "slo"
#define BR_AM_LABEL_RECEIVER "burnrate_receiver"
#define BR_AM_LABEL_SEVERITY "burnrate_severity"

/* Limits on the inputs: a base or policy past these is refused (BR_ELIMIT). */
#define BR_AM_MAX_INPUT ((size_t)1 << 20)   /* the Secret limit */

struct br_am_config;

/* Parses and validates a base configuration (len bytes, need not be
 * NUL-terminated) and a policy (NULL or plen 0: defaults). Returns 0 and
 * *out (you own it: br_am_config_free), or BR_EPARSE (not YAML),
 * BR_EINVAL (not a valid configuration or policy), BR_ELIMIT, BR_ENOMEM,
 * with err naming the input (file "alertmanager.yaml" or "burnrate.yaml"),
 * line, column, the field path ("route.routes[1].receiver",
 * "receivers.payments-pagerduty[0]") and the problem. */
int br_am_config_parse(const char *base, size_t len, const char *policy,
		       size_t plen, struct br_am_config **out,
		       struct br_error *err);

/* Frees a configuration. NULL is fine. */
void br_am_config_free(struct br_am_config *cfg);

/* The root route's receiver. Borrowed, valid until br_am_config_free. */
const char *br_am_config_root_receiver(const struct br_am_config *cfg);

/* --- One SLO ------------------------------------------------------------- */

enum br_am_verdict {
	BR_AM_ROUTED = 0,             /* names receivers; all usable */
	BR_AM_NO_RECEIVERS,           /* names none: the root route takes it */
	BR_AM_RECEIVER_NOT_FOUND,     /* a receiver the base does not define */
	BR_AM_RECEIVER_NOT_ALLOWED,   /* the policy keeps it from the namespace */
	BR_AM_BASE_CONFIG_INVALID     /* no valid base to route with */
};

/* The routing of one SLO: its namespace and, per severity (index 0 page,
 * 1 ticket, as enum br_severity), the receiver, or NULL when it names none
 * or the severity is disabled. Strings are borrowed. */
struct br_am_target {
	const char *namespace;
	const char *receiver[2];
};

/* The condition reason for a verdict: "Routed", "NoReceivers",
 * "ReceiverNotFound", "ReceiverNotAllowed", "BaseConfigInvalid". Never
 * NULL. */
const char *br_am_reason(enum br_am_verdict v);

/* Checks one SLO against cfg (NULL: no valid base). Returns the verdict and
 * writes a one-line message into msg (always NUL-terminated), naming the
 * field (spec.alerting.page.receiver) and the problem, or where the alerts
 * go. Can't fail. */
enum br_am_verdict br_am_check(const struct br_am_config *cfg,
			       const struct br_am_target *t, char *msg,
			       size_t size);

/* --- The merged configuration -------------------------------------------- */

/* Appends the merged configuration for n SLOs (any order; those whose
 * severities do not check out add no route for them) to out as YAML, with a
 * leading comment line. Returns 0, or BR_ENOMEM, or BR_EINVAL if the result
 * would not validate (a bug: nothing is returned then), with err set. */
int br_am_build(const struct br_am_config *cfg, const struct br_am_target *t,
		size_t n, struct br_buf *out, struct br_error *err);

/* --- Secrets ------------------------------------------------------------- */

/* Reads key from a v1 Secret object: stringData[key] if present (as
 * kubectl shows it in a manifest), else data[key] base64-decoded. Returns 0
 * and *out / *len (a new NUL-terminated string you own: free()), BR_ENOTFOUND
 * when the Secret has no such key (*out NULL), BR_EPARSE for bad base64 or a
 * value that is not a string, BR_ENOMEM. The object is borrowed. */
int br_am_secret_value(const json_t *secret, const char *key, char **out,
		       size_t *len, struct br_error *err);

/* Builds the target Secret for server-side apply: v1 Secret namespace/name,
 * type Opaque, label app.kubernetes.io/managed-by=burnrate,
 * data.alertmanager.yaml = base64(config). Returns a new object (you own it:
 * json_decref), or NULL when out of memory. */
json_t *br_am_target_secret(const char *namespace, const char *name,
			    const char *config, size_t len);

#endif
