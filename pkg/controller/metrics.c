/* The controller's metrics, in the registry the caller gives (pkg/metrics). */
#include "informer/informer.h"
#include "internal.h"
#include "metrics/metrics.h"

static double queue_depth(void *arg)
{
	struct br_controller *c = arg;

	return (double)br_queue_len(c->q);
}

static double leading(void *arg)
{
	return atomic_load(&((struct br_controller *)arg)->leading);
}

static double lease_failing(void *arg)
{
	return atomic_load(&((struct br_controller *)arg)->lease_failing);
}

static double watch_restarts(void *arg)
{
	struct br_controller *c = arg;
	struct br_informer_stats st;
	double n = 0;

	if (!atomic_load(&c->informers_started))
		return 0;
	for (size_t i = 0; i < c->ninf; i++) {
		br_informer_stats(c->slo_inf[i], &st);
		n += (double)st.watch_restarts;
		br_informer_stats(c->rule_inf[i], &st);
		n += (double)st.watch_restarts;
	}
	return n;
}

int br__controller_metrics_register(struct br_controller *c, struct br_error *err)
{
	struct br_metrics *m = c->o.metrics;
	int rc;

	if (!m)
		return 0;
	rc = br_metrics_counter(m, "burnrate_reconcile_total",
				"Reconciles finished, by result (success, error; settled: an SLO "
				"queued to be checked, by a restart or a new leader, and found as "
				"burnrate left it).",
				(const char *[]){"result", NULL}, &c->m_reconciles, err);
	if (rc == 0)
		rc = br_metrics_histogram(m, "burnrate_reconcile_duration_seconds",
					  "Time to reconcile one SLO.", NULL, NULL, 0,
					  &c->m_duration, err);
	if (rc == 0)
		rc = br_metrics_counter(m, "burnrate_writes_total",
					"Writes to the API server, "
					"by kind (rule, status, event, secret).",
					(const char *[]){"kind", NULL}, &c->m_writes, err);
	if (rc == 0)
		rc = br_metrics_counter(m, "burnrate_rule_renders_total",
					"Rules rendered: a reconcile renders none when the cached rule "
					"carries the input digest of the SLO as it is now.",
					NULL, &c->m_renders, err);
	if (rc == 0)
		rc = br_metrics_gauge_func(m, "burnrate_workqueue_depth",
					   "Keys waiting in the work queue.", queue_depth, c, err);
	if (rc == 0)
		rc = br_metrics_gauge_func(m, "burnrate_watch_restarts",
					   "Watches restarted (after the first) by all informers.",
					   watch_restarts, c, err);
	if (rc == 0)
		rc = br_metrics_gauge_func(m, "burnrate_leader",
					   "1 while this replica leads (or runs without election).",
					   leading, c, err);
	if (rc == 0)
		rc = br_metrics_counter(m, "burnrate_leader_election_errors_total",
					"Attempts on the leader Lease that failed, by HTTP code "
					"(0: no response); a Lease held by another replica "
					"is no error.",
					(const char *[]){"code", NULL}, &c->m_lease_errors, err);
	if (rc == 0)
		rc = br_metrics_gauge_func(m, "burnrate_leader_election_failing",
					   "1 while the last attempt on the leader Lease failed "
					   "(then /readyz fails and says why).",
					   lease_failing, c, err);
	return rc;
}

void br__controller_count_render(struct br_controller *c)
{
	if (c->m_renders)
		br_metric_inc(c->m_renders, NULL);
}

void br__controller_count_write(struct br_controller *c, const char *kind)
{
	if (c->m_writes)
		br_metric_inc(c->m_writes, (const char *[]){kind});
}
