/* controller: the burnrate operator loop. Keeps, for every
 * ServiceLevelObjective, one PrometheusRule (server-side applied, owned by
 * the SLO) and the SLO's status right, at all times (DESIGN.md sections 4-6).
 *
 * Informers watch SLOs (all namespaces, or each one named) and the
 * PrometheusRules (VMRules with opts.target BR_RULES_TARGET_VICTORIAMETRICS)
 * labelled app.kubernetes.io/managed-by=burnrate; every event
 * puts the SLO's "namespace/name" in a rate-limited work queue (client-go's
 * semantics: a key is never in two workers at once, repeats coalesce, failed
 * keys back off per item from 5 ms doubling to 1000 s). Workers reconcile a
 * key by comparing what is desired with what the cache holds and writing
 * only what differs, so a resync or a restart with nothing changed makes no
 * writes. With leader election only the elected replica runs workers.
 *
 * With an Alertmanager base and target Secret (alertmanager_base_secret,
 * alertmanager_secret), it also keeps the target Secret holding the base
 * configuration plus routes for every SLO's receivers (pkg/alertmanager),
 * rebuilt from the whole SLO cache, debounced, written only when it changes
 * and never from a missing or invalid base; each SLO gets an
 * AlertRoutingReady condition, folded into Ready.
 *
 * Thread-safety: create, run and free from one thread; br_controller_stop
 * only stores to an atomic flag and posts a semaphore (pkg/pace's
 * br_pause_wake_async), so it may be called from any thread or a signal
 * handler. Library code never prints: messages go to the log
 * callback, called from the controller's threads (any of them, possibly at
 * once: the callback must be thread-safe).
 */
#ifndef BR_CONTROLLER_H
#define BR_CONTROLLER_H

#include <jansson.h>
#include <stddef.h>

#include "errors/errors.h"
#include "rules/rules.h"
#include "slo/slo.h"

struct br_kube_client;
struct br_metrics;
struct br_controller;

enum br_log_level {
	BR_LOG_DEBUG = 0,
	BR_LOG_INFO = 1,
	BR_LOG_WARN = 2,
	BR_LOG_ERROR = 3
};

/* One log line. namespace and name are those of the SLO the line is about,
 * or NULL. Every string is borrowed for the call. */
typedef void (*br_controller_log_fn)(void *ctx, enum br_log_level level,
				     const char *namespace, const char *name,
				     const char *message);

/* A log line with fields: kv holds key, value, key, value... and a NULL
 * (every string borrowed for the call). namespace and name are those of
 * the object the line is about (an SLO, the Lease), or NULL. */
typedef void (*br_controller_log_kv_fn)(void *ctx, enum br_log_level level,
					const char *namespace, const char *name,
					const char *message,
					const char *const *kv);

struct br_controller_options {
	const char *const *namespaces;  /* watched namespaces; none: all */
	size_t namespace_count;
	const char *selector;           /* label selector on SLOs, or NULL */
	int workers;                    /* 0: 4 */
	double resync;                  /* seconds between resyncs; 0: never */
	const struct br_labels *rule_labels; /* extra PrometheusRule labels;
					 * borrowed, must outlive the
					 * controller; NULL: none */
	const char *runbook_base_url;   /* runbook_url base for alerts of SLOs
					 * that set none (br_rules_options);
					 * borrowed like rule_labels; NULL: none */
	enum br_rules_target target;    /* which object carries the rules and
					 * is watched: PrometheusRule (0, the
					 * default) or VMRule
					 * (br_rules_resource_of) */
	int leader_elect;               /* 1: only the Lease holder works */
	const char *leader_namespace;   /* of the Lease; NULL: the client's */
	const char *leader_name;        /* NULL: "burnrate-controller" */
	const char *identity;           /* NULL: "hostname_pid" */
	double lease_duration;          /* 0: leader defaults (15 s) */
	double renew_deadline;          /* 0: 10 s */
	double retry_period;            /* 0: 2 s */
	br_controller_log_fn log;       /* NULL: silent */
	br_controller_log_kv_fn log_kv; /* lines with fields (the Lease's
					 * errors); NULL: they go to log, the
					 * fields appended to the message */
	void *log_ctx;                  /* for log and log_kv */
	enum br_log_level log_level;    /* lines below it are not produced */
	const char *alertmanager_base_secret; /* "namespace/name" of the base
					 * Alertmanager Secret (keys
					 * alertmanager.yaml, burnrate.yaml);
					 * NULL: routing off */
	const char *alertmanager_secret; /* "namespace/name" of the Secret
					 * burnrate writes; set both or neither */
	/* NULL, or told of every SLO the caches add or change (deleted 0) or
	 * drop (deleted 1), status changes included, on the informers'
	 * threads, several at once when several namespaces are watched (it
	 * must be thread-safe); slo is borrowed for the call. Every replica
	 * calls it, leader or not: the web UI's index (br_ui_index_observe). */
	void (*on_slo)(void *ctx, const json_t *slo, int deleted);
	void *on_slo_ctx;
	struct br_metrics *metrics;     /* NULL: none. Borrowed, must outlive
					 * the controller; create registers
					 * burnrate_reconcile_total{result},
					 * burnrate_reconcile_duration_seconds,
					 * burnrate_workqueue_depth,
					 * burnrate_watch_restarts,
					 * burnrate_leader, burnrate_writes_total{kind},
					 * burnrate_leader_election_errors_total{code},
					 * burnrate_leader_election_failing */
};

/* Counters, for metrics and tests. */
struct br_controller_stats {
	unsigned long reconciles;       /* reconciles finished */
	unsigned long settled;          /* SLOs queued to be checked (a
					   restart's, a new leader's) and found
					   as burnrate left them: not reconciled */
	unsigned long errors;           /* of which failed (requeued) */
	unsigned long rule_applies;     /* PrometheusRule writes */
	unsigned long status_writes;    /* /status writes */
	unsigned long events;           /* Events created */
	unsigned long secret_writes;    /* Alertmanager Secret applies */
	size_t queue_depth;             /* keys waiting now */
	int synced;                     /* 1 once every cache has synced */
	int leading;                    /* 1 while workers may write */
	int lease_failing;              /* 1 while requests on the Lease fail */
};

/* Creates a controller on client (borrowed: it must outlive the controller).
 * Strings in opts are copied (rule_labels is borrowed). Starts nothing.
 * Returns 0 and *out (you own it: br_controller_free), BR_EINVAL (workers
 * < 0, a namespace that is empty, metrics already registered in
 * opts->metrics, only one of the Alertmanager Secrets or one that is not
 * "namespace/name"), or BR_ENOMEM. */
int br_controller_create(const struct br_controller_options *opts,
			 struct br_kube_client *client,
			 struct br_controller **out, struct br_error *err);

/* Runs until br_controller_stop: checks that the SLO resource is served,
 * starts the informers, waits for their caches, contends for the Lease when
 * asked, runs the workers. On stop: no new key is taken, keys in flight
 * finish, the Lease is released, the informers stop; then returns 0.
 * Fails before starting anything with BR_ENOTFOUND (the SLO CRD is not
 * installed: the list of SLOs answers 404), or the error of that first list
 * (BR_EAUTH, BR_EIO...), or BR_ENOMEM; err says which. Call it once. */
int br_controller_run(struct br_controller *c, struct br_error *err);

/* Asks run to return. Async-signal-safe; idempotent. */
void br_controller_stop(struct br_controller *c);

/* Readiness: 1 once every informer has listed, unless leader election is
 * on and the last attempt on the Lease failed with an error (a 403 for
 * want of RBAC rights, 5xx, no connection: br_leader_last_error); a
 * replica that only waits while another holds the Lease is ready, so that
 * it takes over at once. Else 0, and when why is not NULL, a one-line
 * reason written into it (size bytes, always NUL-terminated):
 * "caches not synced", or "leader election: cannot get Lease NS/NAME: HTTP
 * 403 Forbidden: <Status message>". Thread-safe. */
int br_controller_ready_reason(struct br_controller *c, char *why, size_t size);

/* br_controller_ready_reason without the reason. */
int br_controller_ready(struct br_controller *c);

/* The cached ServiceLevelObjective namespace/name: a new tree (you own it:
 * json_decref), or NULL when it is not cached, the caches have not synced
 * yet, or out of memory. Thread-safe; for the web UI of any replica. */
json_t *br_controller_get_slo(struct br_controller *c, const char *namespace,
			      const char *name);

/* A snapshot of the counters. Can't fail. */
void br_controller_stats(struct br_controller *c,
			 struct br_controller_stats *out);

/* Budget status (optional). With it, a poller thread on the leader reads
 * every SLO's error budget from Prometheus every interval (2 + one per
 * recorded window queries, 9 with the default alert table, whatever the
 * number of SLOs), and reconcile writes status.budget and a
 * BudgetHealthy condition (WithinBudget, BudgetBurning, BudgetExhausted,
 * NoData, PrometheusUnavailable; pkg/budget). The condition does not bear on
 * Ready: a burning budget is news about the service, not a failure of
 * burnrate. Without it there is no status.budget and no BudgetHealthy. */
struct br_controller_budget_options {
	const char *prometheus_url;     /* required: http(s)://host:port[/prefix] */
	const char *ca_file;            /* NULL: system CAs */
	const char *token_file;         /* bearer token file, re-read on change */
	double interval;                /* seconds between polls; 0: 60 */
	double timeout;                 /* seconds per query; 0: 10 */
};

/* Enables budget status on c before br_controller_run. Strings are copied.
 * Registers burnrate_budget_queries_total{result},
 * burnrate_budget_query_duration_seconds and burnrate_budget_changes_total
 * in the controller's metrics registry. Returns 0, BR_EINVAL (a bad URL,
 * negative figures, or called twice) or BR_ENOMEM. */
int br_controller_enable_budget(struct br_controller *c,
				const struct br_controller_budget_options *o,
				struct br_error *err);

/* Frees a controller that is not running. NULL is fine. */
void br_controller_free(struct br_controller *c);

#endif
