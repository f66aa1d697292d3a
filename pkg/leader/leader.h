/* leader: leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection does it, so that of several replicas exactly one runs the
 * controllers.
 *
 * An elector (struct br_leader, opaque, create/free) runs in a thread of its
 * own. Not leading, it reads the Lease every retry period (with a little
 * jitter); it creates the Lease when missing, and takes it over when the
 * holder is empty or the record has not changed for the lease duration as
 * measured on OUR clock from when we last saw it change (never from
 * renewTime: clocks of other machines are not trusted). Writes are updates
 * (PUT) carrying the resourceVersion read, so of two contenders one gets a
 * 409 and loses the race; a takeover increments leaseTransitions. Leading,
 * it renews every retry period; when renewals keep failing for longer than
 * the renew deadline it stops leading (on_stopped_leading) and goes back to
 * contending. br_leader_stop releases a held lease (holderIdentity "" and
 * leaseDurationSeconds 1) so that another replica takes over at once.
 *
 * Errors never vanish: a request on the Lease that fails (403 for lack of
 * RBAC rights, 5xx, no connection...) is kept as the elector's last error,
 * with the HTTP status and the Kubernetes Status reason and message
 * (br_leader_last_error), and is reported to on_error after every failed
 * attempt, then once more when an attempt goes through again. Another
 * replica holding the lease, or winning a race for it (409), is contention,
 * not an error: it clears the last error.
 *
 * Thread-safety: is_leader and the accessors may be called from any thread.
 * The callbacks run on the elector's thread, one at a time; when stopping
 * while leading, on_stopped_leading runs (on that thread) before
 * br_leader_stop returns.
 * Defaults are client-go's: lease 15 s, renew deadline 10 s, retry 2 s.
 */
#ifndef BR_LEADER_H
#define BR_LEADER_H

#include <stddef.h>
#include <time.h>

#include "errors/errors.h"

struct br_kube_client;
struct br_leader;

/* A failed request on the Lease. Plain data (fixed sizes, no allocation). */
struct br_leader_error {
	int code;               /* BR_E* code; 0: none */
	long status;            /* HTTP status; 0 when no response came */
	char verb[8];           /* "get", "create" or "update" */
	char reason[64];        /* the Status reason ("Forbidden"), or "" */
	char message[512];      /* the Status message, or what the transport
				 * said (connection refused...); truncated */
	unsigned long count;    /* attempts in a row that failed this same way
				 * (same verb, code, status and reason): 1 for
				 * an error that is new or changed */
};

/* Called on the elector's thread. recovered 0: an attempt failed with e
 * (e->count 1 when the error is new or changed, n for its n-th repeat).
 * recovered 1: the first attempt after failures went through (we hold the
 * lease, or another replica does); e is the last error, e->count the
 * failed attempts it ended. e is borrowed for the call. */
typedef void (*br_leader_error_fn)(void *ctx, const struct br_leader_error *e,
				   int recovered);

struct br_leader_options {
	const char *namespace;    /* of the Lease; required */
	const char *name;         /* of the Lease; required */
	const char *identity;     /* NULL: "hostname_pid" */
	double lease_duration;    /* seconds; 0: 15 */
	double renew_deadline;    /* seconds; 0: 10 */
	double retry_period;      /* seconds; 0: 2 */
	void (*on_started_leading)(void *ctx);  /* may be NULL */
	void (*on_stopped_leading)(void *ctx);  /* may be NULL */
	br_leader_error_fn on_error;            /* may be NULL */
	void *ctx;
};

/* Counters, for metrics and tests. */
struct br_leader_stats {
	unsigned long attempts;      /* acquire or renew attempts */
	unsigned long failures;      /* attempts that failed (errors, 409s) */
	unsigned long acquisitions;  /* times we started leading */
	unsigned long losses;        /* times renewals ran past the deadline */
};

/* Creates an elector on client c (borrowed: it must outlive the elector);
 * strings are copied. Checks lease > renew deadline > 1.2 x retry, as
 * client-go does. Returns 0 and *out (you own it: br_leader_free), or
 * BR_EINVAL (no namespace or name, durations out of order), BR_ENOMEM. */
int br_leader_create(struct br_kube_client *c,
		     const struct br_leader_options *opts,
		     struct br_leader **out, struct br_error *err);

/* Starts contending in a new thread. Returns 0, BR_EINVAL (already
 * started), or BR_ENOMEM. */
int br_leader_start(struct br_leader *le, struct br_error *err);

/* Stops contending and waits for the thread (prompt: sleeps are cut short;
 * a request in flight finishes). A held lease is released and
 * on_stopped_leading is called. Does nothing if not started. Can't fail. */
void br_leader_stop(struct br_leader *le);

/* Stops it if running and frees it. NULL is fine. */
void br_leader_free(struct br_leader *le);

/* 1 while this elector holds the lease, else 0. Also 0 once the last
 * successful renewal is older than the renew deadline, even while a slow
 * renewal request is still in flight (on_stopped_leading comes when it
 * ends). Give the client a request timeout below the renew deadline so
 * that it does end in time. */
int br_leader_is_leader(struct br_leader *le);

/* Our identity. Borrowed, valid until br_leader_free. */
const char *br_leader_identity(const struct br_leader *le);

/* The holder last seen in the Lease, copied into out (always
 * NUL-terminated; "" if none or not read yet). */
void br_leader_holder(struct br_leader *le, char *out, size_t size);

/* A snapshot of the counters. Can't fail. */
void br_leader_stats(struct br_leader *le, struct br_leader_stats *out);

/* Copies into out the error of the last attempt and returns 1 when that
 * attempt failed; returns 0 (out->code 0) when it went through or none was
 * made yet. Can't fail. */
int br_leader_last_error(struct br_leader *le, struct br_leader_error *out);

/* 1 when a and b are the same failure: verb, code, HTTP status and reason
 * (not the message, where transports put timings). Can't fail. */
int br_leader_error_same(const struct br_leader_error *a,
			 const struct br_leader_error *b);

/* Writes e as one line into out (always NUL-terminated, truncated to
 * size): "cannot get Lease NS/NAME: HTTP 403 Forbidden: <message>", the
 * HTTP part left out when no response came. lease is "NS/NAME", or NULL
 * to leave it out. Returns out. */
char *br_leader_error_format(const struct br_leader_error *e,
			     const char *lease, char *out, size_t size);

/* Writes t (UTC) as a Kubernetes MicroTime, "2006-01-02T15:04:05.000000Z",
 * into out (at least 28 bytes). Returns 0 or BR_EINVAL (out too small, or a
 * time gmtime cannot represent). */
int br_leader_microtime(const struct timespec *t, char *out, size_t size);

#endif
