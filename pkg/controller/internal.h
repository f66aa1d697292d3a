/* Private to pkg/controller: the controller struct and what its files call
 * of each other.
 *
 * The calls between the files run one way, down this list:
 *
 *   controller.c   create, informers, workers, events; calls br__controller_reconcile
 *                  (and, for keys queued to be checked, br__controller_settled)
 *   reconcile.c    one SLO: its rule and its status
 *   settled.c      whether a queued SLO needs a reconcile at all
 *   corrections.c, budget.c, routing.c, expect.c
 *   rulecache.c    the rule digest, the informer transforms, br__controller_rule_matches
 *   common.c, metrics.c   logging, JSON comparison, cache reads, conditions;
 *                  the write counters
 *
 * A file calls only files below it, never one beside it or above it; only
 * controller.c calls into reconcile.c. A helper that two files share goes
 * down into common.c (or rulecache.c), not into the file of one of them. */
#ifndef BR_CONTROLLER_INTERNAL_H
#define BR_CONTROLLER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "controller/controller.h"
#include "kube/kube.h"
#include "queue/queue.h"
#include "rules/rules.h"

/* ---- the controller ---- */

struct br_informer;
struct br_leader;
struct br_pause;

struct br_controller {
	struct br_controller_options o;   /* strings below are our copies */
	char **namespaces;
	char *selector, *leader_namespace, *leader_name, *identity;
	struct br_kube_client *client;

	size_t ninf;                      /* informers per kind */
	struct br_informer **slo_inf;
	struct br_informer **rule_inf;
	struct br_informer **bc_inf;      /* NULL when corrections are off */
	atomic_int corrections_on;        /* bc_inf may be read */

	struct br_queue *q;
	pthread_t *workers;
	int nworkers;
	struct br_leader *leader;         /* set before leader_started */
	atomic_int leader_started;        /* leader may be read (readiness) */
	char *lease_ref;                  /* "namespace/name" of the Lease */
	atomic_int lease_failing;         /* the last attempt on it failed */

	atomic_int stop;
	atomic_int synced;
	atomic_int leading;
	struct br_pause *wake;            /* woken when stop, leading or a cache's sync changes */
	atomic_ulong reconciles, errors, applies, status_writes, events;
	atomic_ulong settled;             /* checked keys that needed no reconcile */
	atomic_int trim_due;              /* reconciled since the queue was last empty */
	atomic_ulong secret_writes;       /* Alertmanager Secret applies */
	struct br__controller_routing *rt;           /* routing.c; NULL when routing is off */
	atomic_int informers_started;  /* slo_inf/rule_inf may be read */
	struct br_metric *m_reconciles, *m_duration, *m_writes, *m_renders;
	struct br_metric *m_lease_errors; /* by HTTP code (0: no response) */
	struct br__controller_budget *budget;        /* NULL without --prometheus-url */
	pthread_mutex_t expect_mu;        /* guards expected */
	json_t *expected;                 /* expect.c: "ns/name" -> rule being applied */
	char build[65];                   /* SHA-256 of this executable, "" unknown */
};

/* controller.c: the elector's on_error (ctx: the controller, whose
 * lease_ref is set). Every failed attempt on the Lease is counted and sets
 * lease_failing; a new (or changed) error is logged with its HTTP code,
 * Status reason and message, and so is the recovery; the repeats in
 * between are not (one every retry period). */
struct br_leader_error;
void br__controller_lease_error(void *ctx, const struct br_leader_error *e, int recovered);

/* common.c: shared by every file above it. */
/* Logs through the callback if the level is enabled (printf format). */
void br__controller_log(struct br_controller *c, enum br_log_level level,
			const char *ns, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Logs message with fields (kv: key, value, ..., NULL) through log_kv, or
 * through log with " key=value" appended when there is no log_kv. */
void br__controller_log_kv(struct br_controller *c, enum br_log_level level,
			   const char *ns, const char *name, const char *message,
			   const char *const *kv);
/* The index of the informers that hold key ("ns/name") or namespace ns,
 * or -1 when no watched namespace does. */
long br__controller_informer_for(struct br_controller *c, const char *key);
long br__controller_informer_index(struct br_controller *c, const char *ns);
/* The cached SLO or owned rule for key (new reference), or NULL. */
json_t *br__controller_get_slo(struct br_controller *c, const char *key);
json_t *br__controller_get_rule(struct br_controller *c, const char *key);
/* Numbers compared by value (1 == 1.0), everything else as json_equal. */
int br__controller_json_same(const json_t *a, const json_t *b);
/* Writes the current UTC time as RFC 3339 ("2006-01-02T15:04:05Z"). */
void br__controller_rfc3339_now(char *out, size_t size);
/* A metav1.Condition (lastTransitionTime kept from cur_status when the type
 * had the same status there). Returns a new reference or NULL when out of
 * memory. */
json_t *br__controller_condition(const json_t *cur_status, const char *type,
				 const char *status, const char *reason,
				 const char *message, long long generation);

/* rulecache.c: what the informers keep, and whether a cached rule is ours. */
/* The PrometheusRule cache keeps the rules' metadata alone (the informer
 * asks the server for nothing else): rules are ~9 kB of JSON each. What
 * burnrate applies carries, in this annotation, the SHA-256 of its spec's
 * canonical JSON; the SLO's status.prometheusRule.generation records the
 * rule's metadata.generation after the apply. A rule is ours when both
 * still hold: any change of its spec by anyone bumps its generation. */
#define BR__CONTROLLER_DIGEST_KEY "burnrate.dev/spec-digest"
/* And in this one, the SHA-256 of what the rule was rendered from: the
 * SLO's metadata (but its resourceVersion), whose generation stands for its
 * spec (the API server moves it with every change of the spec, and only
 * then), the rule options, and the build of burnrate. While a cached rule
 * carries the input digest of the SLO as it is now and the generation of
 * our last apply, it is what rendering again would give, so a restart
 * checks 10,000 rules without rendering one (nor, settled.c, reading one
 * spec). A new build renders them all, and rewrites only those whose spec
 * changes (the others keep the old build's digest, and are rendered at each
 * restart until they are next applied). */
#define BR__CONTROLLER_INPUT_KEY "burnrate.dev/input-digest"
/* Writes the 64 hex digits and a NUL. Returns 0 or BR_ENOMEM. */
int br__controller_spec_digest(const json_t *spec, char out[65]);
/* The input digest of slo_obj rendered with ro by build (64 hex digits
 * and a NUL into out); it reads slo_obj's metadata alone. Returns 0,
 * BR_EINVAL (no build known: rules are then always rendered), or
 * BR_ENOMEM. */
int br__controller_input_digest(const json_t *slo_obj, const struct br_rules_options *ro,
				const char *build, char out[65]);
/* The SHA-256 of the running executable (/proc/self/exe) into out, or ""
 * when it can't be read. */
void br__controller_build_digest(char out[65]);
/* The rule informer's transform, in place: rules keep name, namespace,
 * resourceVersion, generation, labels, owners and the two annotations.
 * (SLOs have none: pkg/kube cuts managedFields out of every answer's text,
 * and an informer without a transform caches the server's text as it is.) */
void br__controller_rule_transform(void *ctx, json_t *obj);
/* 1 when the cached rule have has every label and owner of want_meta (a
 * rule's metadata as we apply it), the spec digest annotation digest (or,
 * when digest is NULL, any spec digest and want_meta's input digest
 * annotation), and (unless
 * generation is -1) that metadata.generation; 0 never matches. */
int br__controller_rule_matches(const json_t *want_meta, const char *digest,
				long long generation, const json_t *have);
/* Sets rule's digest annotation to the digest of its spec, also written to
 * digest (64 hex digits and a NUL), and its input digest annotation to
 * input (unless NULL). Returns 0 or BR_ENOMEM. */
int br__controller_rule_stamp(json_t *rule, const char *input, char digest[65]);

/* metrics.c: registers the families (no-op without a registry). */
int br__controller_metrics_register(struct br_controller *c, struct br_error *err);
/* Counts one rule rendered. */
void br__controller_count_render(struct br_controller *c);
/* Counts one write of kind ("rule", "status", "event"). */
void br__controller_count_write(struct br_controller *c, const char *kind);

/* reconcile.c */
/* Reconciles one "namespace/name". Returns 0 (done), or a BR_E* code;
 * *retry_after is set (> 0) when the server asked for a delay. */
int br__controller_reconcile(struct br_controller *c, const char *key,
			     double *retry_after);
/* Its decisions, pure or nearly, apart so that they are tested alone: */
/* Appends "field: text; field: text" of every problem to out. Returns 0 or
 * BR_ENOMEM. */
struct br_buf;
struct br_problems;
int br__controller_problems_message(const struct br_problems *p, struct br_buf *out);
/* The status of an SLO whose spec is invalid, before its budget part:
 * Ready and RulesReady False with reason InvalidSpec and message;
 * observedGeneration generation; what cur said of an earlier PrometheusRule
 * (prometheusRule, alerts) stays. Returns a new object (NULL when out of
 * memory). */
json_t *br__controller_invalid_status(const json_t *cur, const char *message,
				      long long generation);
/* 1 when st must be written: there is no status yet (cur NULL) or it differs
 * from cur (numbers compared by value); 0 when a write would change nothing. */
int br__controller_status_changed(const json_t *cur, const json_t *st);
/* The Ready condition of a valid SLO: False with the routing condition's
 * reason when rcond (may be NULL) is False, else True, Reconciled. Returns a
 * new object (NULL when out of memory). */
json_t *br__controller_ready_condition(const json_t *cur, const json_t *rcond,
				       long long generation);
/* status.alerts: one row per alert window of a severity that is not
 * disabled; offPeakMuted only on muted rows. Returns a new array (NULL when
 * out of memory). */
struct br_slo;
json_t *br__controller_alert_rows(const struct br_slo *slo);

/* settled.c */
/* 1 when the SLO of key needs no reconcile: its rule and status are what
 * reconciling it now would leave, told from its metadata, its status's
 * observedGeneration and prometheusRule, and its cached rule, without its
 * spec. Always 0 with routing on, and for an SLO whose namespace has
 * corrections (what they do to a rule is in no digest). */
int br__controller_settled(struct br_controller *c, const char *key);
/* 1 when the cached rule have is the one burnrate applies for the SLO
 * ns/name (uid) whose input digest is input: our labels and owner, that
 * input digest, a spec digest, and (unless -1) metadata.generation
 * generation. */
int br__controller_rule_current(const struct br_rules_options *ro, const char *ns,
				const char *name, const char *uid, const char *input,
				long long generation, const json_t *have);
/* 1 when status.prometheusRule pr names the rule name with counts that
 * are integers >= 0 (into *rec and *alert), else 0. */
int br__controller_status_rule(const json_t *pr, const char *name, size_t *rec,
			       size_t *alert);
/* The generation the rule of key must have to be ours: the last apply's
 * while the SLO's status (cur_status) does not show it yet, else the
 * status's. Confirms (and so forgets) the expectation the status shows. */
long long br__controller_wanted_generation(struct br_controller *c, const char *key,
					   const json_t *cur_status);

/* corrections.c: BudgetCorrections. Their status keys are "bc:ns/name". */
#define BR__CONTROLLER_BC_PREFIX "bc:"
/* Probes the CRD (not served or not allowed: corrections off, a warning)
 * and starts an informer per watched namespace set. */
int br__controller_corrections_start(struct br_controller *c, struct br_error *err);
int br__controller_corrections_synced(struct br_controller *c);
void br__controller_corrections_stop(struct br_controller *c);
void br__controller_corrections_free(struct br_controller *c);
int br__controller_corrections_is_key(const char *key);
/* An SLO was added, deleted or relabelled: its namespace's corrections'
 * status (the SLOs they select) is requeued. */
void br__controller_corrections_slo_event(struct br_controller *c, const json_t *slo_obj);
/* 1 when corrections are on and one is cached in the namespace of key
 * ("ns/name"), else 0. */
int br__controller_corrections_any(struct br_controller *c, const char *key);
/* The corrections that apply to an SLO, parsed, kept while its rules are
 * made (its exclusions borrow their names). */
struct br__controller_held {
	struct br_correction *items;
	size_t n;
	size_t cap;     /* room in items (br_array_grow) */
};
void br__controller_held_release(struct br__controller_held *h);
/* Adds to slo the windows of the corrections of its namespace whose
 * selector matches labels (its metadata.labels); *status: the SLO's
 * status.corrections (NULL when none applies); *edge: the next instant a
 * window of theirs opens or closes (0: never). Returns 0 or BR_ENOMEM. */
struct br_slo;
int br__controller_corrections_apply(struct br_controller *c, struct br_slo *slo,
				     const json_t *labels, struct br__controller_held *held,
				     json_t **status, long long *edge);
/* Writes the status of the correction of key ("bc:ns/name"). */
int br__controller_correction_reconcile(struct br_controller *c, const char *key,
					double *retry_after);

/* expect.c: the rule a worker applies for key, until its watch event; the
 * generation it got, until the SLO's status shows it. */
/* Sets up c's expectations in c itself (an empty table and its mutex):
 * 0, or BR_ENOMEM with nothing left to release. */
int br__controller_expect_init(struct br_controller *c);
/* Frees what br__controller_expect_init set up (not c); safe to call when
 * it failed or, c being zeroed, never ran. */
void br__controller_expect_release(struct br_controller *c);
/* Records rule (with the digest of its spec) as being applied for key. */
void br__controller_expect_rule(struct br_controller *c, const char *key,
				const json_t *rule, const char *digest);
/* The apply for key answered with metadata.generation generation. */
void br__controller_expect_applied(struct br_controller *c, const char *key,
				   long long generation);
/* The generation of the last apply for key not yet in its SLO's status,
 * or 0. */
long long br__controller_expect_generation(struct br_controller *c, const char *key);
/* key's SLO status shows generation: forgotten when it is the one applied
 * and its event was seen. */
void br__controller_expect_confirm(struct br_controller *c, const char *key,
				   long long generation);
void br__controller_expect_forget(struct br_controller *c, const char *key);
/* For a watched rule (as cached) owned by key: 1 when it is the rule being
 * applied, which then needs no reconcile. The event is no longer awaited. */
int br__controller_expect_seen(struct br_controller *c, const char *key, const json_t *rule);

/* budget.c: the budget poller (started once the caches synced; polls while
 * leading), and its part of reconcile: adds status.budget and the
 * BudgetHealthy condition to st (whose "conditions" array exists), from the
 * latest figures, or keeps cur's when they did not change meaningfully, when
 * there is no reading yet, or when slo is NULL (invalid spec). No-op without
 * budget status. Returns 0 or BR_ENOMEM. */
void br__controller_budget_start(struct br_controller *c);
void br__controller_budget_stop(struct br_controller *c);   /* joins; call after stop */
void br__controller_budget_free(struct br_controller *c);
int br__controller_budget_status(struct br_controller *c, const struct br_slo *slo,
				 const char *ns, const char *name, const json_t *cur,
				 json_t *st, long long generation);

/* routing.c: the Alertmanager configuration Secret; every function is a
 * no-op (or "synced") when routing is off. */
/* Reads the two Secret options. Returns 0, BR_EINVAL or BR_ENOMEM. */
int br__controller_routing_create(struct br_controller *c, struct br_error *err);
void br__controller_routing_free(struct br_controller *c);
/* Starts the informers of the base and the target Secret. */
int br__controller_routing_start(struct br_controller *c, struct br_error *err);
int br__controller_routing_synced(struct br_controller *c);
void br__controller_routing_stop(struct br_controller *c);
/* An SLO changed: rebuild the configuration soon (debounced). */
void br__controller_routing_touch(struct br_controller *c);
/* Is key the aggregate key of the Alertmanager Secret? */
int br__controller_routing_is_key(const char *key);
/* Rebuilds the configuration from every cached SLO and applies it when it
 * differs. Returns 0 or a BR_E* code (requeue). */
int br__controller_routing_reconcile(struct br_controller *c, double *retry_after);
/* The AlertRoutingReady condition of a valid SLO (new object), or NULL when
 * routing is off; *routing is a new status.routing object or NULL. */
json_t *br__controller_routing_condition(struct br_controller *c, const struct br_slo *slo,
					 const json_t *cur_status, json_t **routing);
/* Ready folds in routing: when the routing condition (may be NULL) is False,
 * returns its reason and writes the Ready message into msg; else NULL. */
const char *br__controller_routing_not_ready(const json_t *cond, char *msg, size_t size);

#endif
