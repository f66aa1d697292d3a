/* test_leader: MicroTime, option checks, and elections against
 * tests/fakeapi (one leader of two, release hands over at once, a renew
 * deadline passed stops leading). The fakeapi tests are skipped when
 * python3 or the server is missing.
 *
 * With BR_LEADER_CHILD=1 this program is instead one contender for
 * tests/leader/contention.test.sh: it reads BR_LEADER_KUBECONFIG,
 * BR_LEADER_ID, BR_LEADER_LEASE/RENEW/RETRY (seconds), prints "started ID"
 * and "stopped ID" lines as it gains and loses the lease, and on SIGTERM
 * stops (releasing the lease) and exits 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/kube.h"
#include "leader/leader.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- Without a server ---------------------------------------------------- */

static void test_microtime(void **state)
{
	char out[40];
	struct timespec t = {1136214245, 123456789};
	assert_int_equal(br_leader_microtime(&t, out, sizeof(out)), 0);
	assert_string_equal(out, "2006-01-02T15:04:05.123456Z");
	t.tv_sec = 0;
	t.tv_nsec = 999;
	assert_int_equal(br_leader_microtime(&t, out, sizeof(out)), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
	assert_int_equal(br_leader_microtime(&t, out, 27), BR_EINVAL);
	assert_int_equal(br_leader_microtime(&t, out, 28), 0);
	assert_int_equal(strlen(out), 27);
}

static void test_options(void **state)
{
	struct br_leader *le = NULL;
	struct br_error err;
	struct br_leader_options o = {.namespace = "ns", .name = "x"};
	br_error_init(&err);
	/* defaults 15/10/2 are valid; the client is not used before start */
	assert_int_equal(br_leader_create(NULL, &o, &le, &err), 0);
	assert_non_null(strchr(br_leader_identity(le), '_'));
	assert_false(br_leader_is_leader(le));
	br_leader_free(le);
	o.renew_deadline = 15;  /* not below the lease duration */
	assert_int_equal(br_leader_create(NULL, &o, &le, &err), BR_EINVAL);
	assert_null(le);
	assert_non_null(strstr(err.text, "renew deadline"));
	o.renew_deadline = 2;
	o.retry_period = 2;  /* renew deadline must exceed 1.2 x retry */
	assert_int_equal(br_leader_create(NULL, &o, &le, NULL), BR_EINVAL);
	o.retry_period = 1;
	o.name = "";
	assert_int_equal(br_leader_create(NULL, &o, &le, NULL), BR_EINVAL);
}

static void test_error_format(void **state)
{
	struct br_leader_error e = {.code = BR_EAUTH, .status = 403, .verb = "get",
				    .reason = "Forbidden", .count = 1};
	char out[256];
	snprintf(e.message, sizeof(e.message), "leases.coordination.k8s.io \"x\" is forbidden");
	assert_string_equal(br_leader_error_format(&e, "ns/x", out, sizeof(out)),
			    "cannot get Lease ns/x: HTTP 403 Forbidden: "
			    "leases.coordination.k8s.io \"x\" is forbidden");
	assert_string_equal(br_leader_error_format(&e, NULL, out, 30),
			    "cannot get Lease: HTTP 403 Fo");
	e.reason[0] = '\0';
	assert_string_equal(br_leader_error_format(&e, NULL, out, sizeof(out)),
			    "cannot get Lease: HTTP 403: leases.coordination.k8s.io \"x\" is forbidden");
	/* no response: what the transport said */
	struct br_leader_error io = {.code = BR_EIO, .verb = "update",
				     .message = "Connection refused"};
	assert_string_equal(br_leader_error_format(&io, "a/b", out, sizeof(out)),
			    "cannot update Lease a/b: Connection refused");
}

static void test_error_same(void **state)
{
	struct br_leader_error a = {.code = BR_EIO, .verb = "get",
				    .message = "connect failed after 3 ms"};
	struct br_leader_error b = a;
	snprintf(b.message, sizeof(b.message), "connect failed after 5 ms");
	b.count = 7;
	assert_true(br_leader_error_same(&a, &b));  /* message and count aside */
	snprintf(b.verb, sizeof(b.verb), "update");
	assert_false(br_leader_error_same(&a, &b));
	b = a;
	b.code = BR_EAUTH;
	b.status = 403;
	assert_false(br_leader_error_same(&a, &b));
	a = b;
	snprintf(b.reason, sizeof(b.reason), "Forbidden");
	assert_false(br_leader_error_same(&a, &b));
}

/* --- Against fakeapi ----------------------------------------------------- */

struct fake {
	pid_t pid;
	char dir[64];
	struct br_kube_client *client;
};

static int fake_start(struct fake *fk)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");
	char script[1024], line[256] = "", kc[128];
	if (!src)
		return -1;
	snprintf(script, sizeof(script), "%s/tests/fakeapi/fakeapi.py", src);
	if (access(script, R_OK) != 0 || system("python3 -c '' 2>/dev/null") != 0)
		return -1;
	snprintf(fk->dir, sizeof(fk->dir), "/tmp/br-leader-XXXXXX");
	if (!mkdtemp(fk->dir))
		return -1;
	int p[2];
	if (pipe(p) != 0)
		return -1;
	fk->pid = fork();
	if (fk->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execlp("python3", "python3", script, "--dir", fk->dir, "--port", "0", "--bare",
		       (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *in = fdopen(p[0], "r");
	int ok = in && fgets(line, sizeof(line), in) && strncmp(line, "ready ", 6) == 0;
	if (in)
		fclose(in);
	if (!ok)
		return -1;
	snprintf(kc, sizeof(kc), "%s/kubeconfig", fk->dir);
	struct br_kube_config cfg;
	int rc = br_kube_config_load_kubeconfig(kc, NULL, &cfg, NULL);
	if (rc == 0)
		rc = br_kube_client_create(&cfg, NULL, &fk->client, NULL);
	br_kube_config_release(&cfg);
	return rc;
}

static int setup_fake(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));
	*state = fk;
	if (fake_start(fk) != 0) {
		br_kube_client_free(fk->client);
		fk->client = NULL;  /* the tests skip */
	}
	return 0;
}

static int teardown_fake(void **state)
{
	struct fake *fk = *state;
	br_kube_client_free(fk->client);
	if (fk->pid > 0) {
		kill(fk->pid, SIGKILL);
		waitpid(fk->pid, NULL, 0);
	}
	if (fk->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->dir);
		if (system(cmd) != 0)
			print_error("could not remove %s\n", fk->dir);
	}
	free(fk);
	return 0;
}

#define NEED_FAKE(fk)                                      \
	do {                                               \
		if (!(fk)->client) {                       \
			print_message("fakeapi missing\n"); \
			skip();                            \
		}                                          \
	} while (0)

struct counts {
	int started, stopped;
	pthread_mutex_t mu;            /* guards the reports */
	int nerr, nrecovered;
	struct br_leader_error errs[32];  /* the first failures reported */
	struct br_leader_error recovered;  /* the last recovery's */
};

static void on_error(void *ctx, const struct br_leader_error *e, int recovered)
{
	struct counts *c = ctx;
	pthread_mutex_lock(&c->mu);
	if (recovered) {
		c->nrecovered++;
		c->recovered = *e;
	} else {
		if (c->nerr < 32)
			c->errs[c->nerr] = *e;
		c->nerr++;
	}
	pthread_mutex_unlock(&c->mu);
}

static int reported(struct counts *c, int recovered)
{
	pthread_mutex_lock(&c->mu);
	int n = recovered ? c->nrecovered : c->nerr;
	pthread_mutex_unlock(&c->mu);
	return n;
}

static void started(void *ctx)
{
	__atomic_add_fetch(&((struct counts *)ctx)->started, 1, __ATOMIC_SEQ_CST);
}

static void stopped(void *ctx)
{
	__atomic_add_fetch(&((struct counts *)ctx)->stopped, 1, __ATOMIC_SEQ_CST);
}

static struct br_leader *elector(struct fake *fk, const char *name, const char *id,
				 struct counts *c)
{
	struct br_leader_options o = {
		.namespace = "default", .name = name, .identity = id,
		.lease_duration = 3, .renew_deadline = 2, .retry_period = 0.5,
		.on_started_leading = started, .on_stopped_leading = stopped,
		.on_error = on_error, .ctx = c,
	};
	struct br_leader *le;
	pthread_mutex_init(&c->mu, NULL);
	assert_int_equal(br_leader_create(fk->client, &o, &le, NULL), 0);
	assert_int_equal(br_leader_start(le, NULL), 0);
	return le;
}

static json_t *lease_spec(struct fake *fk, const char *name)
{
	char path[256];
	json_t *lease = NULL;
	snprintf(path, sizeof(path),
		 "/apis/coordination.k8s.io/v1/namespaces/default/leases/%s", name);
	assert_int_equal(br_kube_get(fk->client, path, &lease, NULL), 0);
	json_t *spec = json_incref(json_object_get(lease, "spec"));
	json_decref(lease);
	return spec;
}

/* Waits up to seconds for exactly one of a and b to lead; returns it. */
static struct br_leader *wait_one(struct br_leader *a, struct br_leader *b,
				  double seconds)
{
	double end = now_mono() + seconds;
	while (now_mono() < end) {
		int la = br_leader_is_leader(a), lb = br_leader_is_leader(b);
		assert_false(la && lb);
		if (la || lb)
			return la ? a : b;
		sleep_ms(20);
	}
	fail_msg("nobody leads after %.1f s", seconds);
	return NULL;
}

static void test_one_leader_and_release(void **state)
{
	struct fake *fk = *state;
	NEED_FAKE(fk);
	struct counts ca = {0}, cb = {0};
	struct br_leader *a = elector(fk, "pair", "a", &ca);
	struct br_leader *b = elector(fk, "pair", "b", &cb);
	struct br_leader *lead = wait_one(a, b, 5);
	/* for 3 s (several renewals and attempts) never two, never a change */
	for (int i = 0; i < 150; i++) {
		assert_true(br_leader_is_leader(lead));
		assert_int_equal(br_leader_is_leader(a) + br_leader_is_leader(b), 1);
		sleep_ms(20);
	}
	/* waiting while another leads is no error */
	struct br_leader_error e;
	assert_int_equal(br_leader_last_error(a, &e) + br_leader_last_error(b, &e), 0);
	assert_int_equal(e.code, 0);
	assert_int_equal(reported(&ca, 0) + reported(&cb, 0) + reported(&ca, 1) +
			 reported(&cb, 1), 0);
	json_t *spec = lease_spec(fk, "pair");
	assert_string_equal(json_string_value(json_object_get(spec, "holderIdentity")),
			    br_leader_identity(lead));
	assert_int_equal(json_integer_value(json_object_get(spec, "leaseDurationSeconds")), 3);
	json_int_t transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
	const char *renew = json_string_value(json_object_get(spec, "renewTime"));
	assert_non_null(renew);
	assert_int_equal(strlen(renew), 27);
	json_decref(spec);

	/* stop releases: the other takes over well before the lease expires */
	struct br_leader *other = lead == a ? b : a;
	double t0 = now_mono();
	br_leader_stop(lead);
	assert_false(br_leader_is_leader(lead));
	while (!br_leader_is_leader(other) && now_mono() - t0 < 5)
		sleep_ms(10);
	double took = now_mono() - t0;
	print_message("takeover after release: %.3f s\n", took);
	assert_true(br_leader_is_leader(other));
	assert_true(took < 1.5);  /* retry 0.5 s x 1.2 jitter, not the 3 s lease */
	spec = lease_spec(fk, "pair");
	assert_string_equal(json_string_value(json_object_get(spec, "holderIdentity")),
			    br_leader_identity(other));
	assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")),
			 transitions + 1);
	json_decref(spec);
	br_leader_free(a);
	br_leader_free(b);
	assert_int_equal(ca.started + cb.started, 2);
	assert_int_equal(ca.stopped + cb.stopped, 2);
	spec = lease_spec(fk, "pair");
	assert_string_equal(json_string_value(json_object_get(spec, "holderIdentity")), "");
	assert_int_equal(json_integer_value(json_object_get(spec, "leaseDurationSeconds")), 1);
	json_decref(spec);
}

static void test_renew_deadline(void **state)
{
	struct fake *fk = *state;
	NEED_FAKE(fk);
	struct counts c = {0};
	struct br_leader *a = elector(fk, "deadline", "solo", &c);
	double t0 = now_mono();
	while (!br_leader_is_leader(a) && now_mono() - t0 < 5)
		sleep_ms(10);
	assert_true(br_leader_is_leader(a));
	/* every lease request now fails (403 is not retried by the client) */
	const char *fault = "{\"path\":\"leases/deadline\",\"status\":403,\"count\":1000}";
	assert_int_equal(br_kube_request(fk->client, "POST", "/fake/faults", NULL, NULL,
					 fault, NULL, NULL), 0);
	t0 = now_mono();
	while (br_leader_is_leader(a) && now_mono() - t0 < 10)
		sleep_ms(10);
	double took = now_mono() - t0;
	print_message("stopped leading after %.3f s of failed renewals\n", took);
	assert_false(br_leader_is_leader(a));
	/* the renew deadline (2 s) counts from the last good renewal, up to
	 * one retry (0.5 s) before the fault */
	assert_true(took >= 1.4 && took < 2.5);
	for (int i = 0; i < 150 && !__atomic_load_n(&c.stopped, __ATOMIC_SEQ_CST); i++)
		sleep_ms(10);  /* the callback follows at the next attempt */
	assert_int_equal(c.stopped, 1);
	struct br_leader_stats st;
	br_leader_stats(a, &st);
	assert_int_equal(st.losses, 1);
	assert_true(st.failures >= 3);
	assert_int_equal(br_kube_request(fk->client, "DELETE", "/fake/faults", NULL, NULL,
					 NULL, NULL, NULL), 0);
	/* it contends again and wins back the lease it still holds */
	t0 = now_mono();
	while (!br_leader_is_leader(a) && now_mono() - t0 < 5)
		sleep_ms(10);
	assert_true(br_leader_is_leader(a));
	br_leader_free(a);
	assert_int_equal(c.started, 2);
	assert_int_equal(c.stopped, 2);
}

static void post_faults(struct fake *fk, const char *faults)
{
	assert_int_equal(br_kube_request(fk->client, "POST", "/fake/faults", NULL, NULL,
					 faults, NULL, NULL), 0);
}

static void wait_reports(struct counts *c, int recovered, int n, double seconds)
{
	double end = now_mono() + seconds;
	while (reported(c, recovered) < n && now_mono() < end)
		sleep_ms(10);
	if (reported(c, recovered) < n)
		fail_msg("%d %s reports after %.1f s, want %d", reported(c, recovered),
			 recovered ? "recovery" : "error", seconds, n);
}

/* A replica without rights on the Lease: every attempt's 403 is kept and
 * reported with its status, reason and message; the repeats say they are
 * repeats; the recovery is reported once. */
static void test_forbidden(void **state)
{
	struct fake *fk = *state;
	NEED_FAKE(fk);
	struct counts c = {0};
	post_faults(fk, "{\"path\":\"leases/forbidden\",\"status\":403,\"count\":1000,"
			"\"message\":\"leases.coordination.k8s.io \\\"forbidden\\\" is forbidden: "
			"User \\\"system:serviceaccount:x:y\\\" cannot get resource \\\"leases\\\"\"}");
	struct br_leader *a = elector(fk, "forbidden", "a", &c);
	wait_reports(&c, 0, 3, 5);
	assert_false(br_leader_is_leader(a));
	struct br_leader_error e;
	assert_int_equal(br_leader_last_error(a, &e), 1);
	assert_int_equal(e.code, BR_EAUTH);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.verb, "get");
	assert_string_equal(e.reason, "Forbidden");
	assert_string_equal(e.message, "leases.coordination.k8s.io \"forbidden\" is forbidden: "
			    "User \"system:serviceaccount:x:y\" cannot get resource \"leases\"");
	assert_true(e.count >= 3);
	pthread_mutex_lock(&c.mu);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c.errs[i].status, 403);
		assert_string_equal(c.errs[i].reason, "Forbidden");
		assert_int_equal(c.errs[i].count, (unsigned long)i + 1);
	}
	pthread_mutex_unlock(&c.mu);
	assert_int_equal(reported(&c, 1), 0);
	struct br_leader_stats st;
	br_leader_stats(a, &st);
	assert_true(st.failures >= 3);
	assert_int_equal(st.acquisitions, 0);

	assert_int_equal(br_kube_request(fk->client, "DELETE", "/fake/faults", NULL, NULL,
					 NULL, NULL, NULL), 0);
	wait_reports(&c, 1, 1, 5);
	double t0 = now_mono();
	while (!br_leader_is_leader(a) && now_mono() - t0 < 5)
		sleep_ms(10);
	assert_true(br_leader_is_leader(a));
	assert_int_equal(br_leader_last_error(a, &e), 0);
	assert_int_equal(e.code, 0);
	sleep_ms(1200);  /* renewals: no more reports */
	assert_int_equal(reported(&c, 1), 1);
	pthread_mutex_lock(&c.mu);
	assert_int_equal(c.recovered.status, 403);  /* what it recovered from */
	assert_true(c.recovered.count >= 3);
	int n = c.nerr;
	pthread_mutex_unlock(&c.mu);
	assert_int_equal(reported(&c, 0), n);
	br_leader_free(a);
}

/* A failure that changes (here the verb: the read is allowed again, the
 * create is not) is reported as new (count 1). */
static void test_error_changes(void **state)
{
	struct fake *fk = *state;
	NEED_FAKE(fk);
	struct counts c = {0};
	post_faults(fk, "[{\"method\":\"GET\",\"path\":\"leases/changes\",\"status\":403,\"count\":2},"
			"{\"method\":\"POST\",\"path\":\"leases\",\"status\":403,\"count\":2}]");
	struct br_leader *a = elector(fk, "changes", "a", &c);
	wait_reports(&c, 1, 1, 8);
	double t0 = now_mono();
	while (!br_leader_is_leader(a) && now_mono() - t0 < 5)
		sleep_ms(10);
	assert_true(br_leader_is_leader(a));
	pthread_mutex_lock(&c.mu);
	assert_int_equal(c.nerr, 4);
	const char *verbs[] = {"get", "get", "create", "create"};
	for (int i = 0; i < 4; i++) {
		assert_string_equal(c.errs[i].verb, verbs[i]);
		assert_int_equal(c.errs[i].status, 403);
		assert_int_equal(c.errs[i].count, (unsigned long)(i % 2) + 1);
	}
	assert_string_equal(c.recovered.verb, "create");
	assert_int_equal(c.recovered.count, 2);
	pthread_mutex_unlock(&c.mu);
	assert_int_equal(reported(&c, 1), 1);
	br_leader_free(a);
}

/* --- Child mode for tests/leader/contention.test.sh ----------------------- */

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	got_term = 1;
}

static void child_say(void *ctx, const char *what)
{
	printf("%s %s %.3f\n", what, (const char *)ctx, now_mono());
	fflush(stdout);
}

static void child_started(void *ctx)
{
	child_say(ctx, "started");
}

static void child_stopped(void *ctx)
{
	child_say(ctx, "stopped");
}

static double env_seconds(const char *name, double def)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return def;
	errno = 0;
	double d = strtod(v, &end);
	return errno || *end ? def : d;
}

static int child_main(void)
{
	const char *kc = getenv("BR_LEADER_KUBECONFIG"), *id = getenv("BR_LEADER_ID");
	struct br_kube_config cfg;
	struct br_kube_client *c = NULL;
	struct br_leader *le = NULL;
	struct br_error err;
	br_error_init(&err);
	signal(SIGTERM, on_term);
	int rc = br_kube_config_load_kubeconfig(kc, NULL, &cfg, &err);
	if (rc == 0)
		rc = br_kube_client_create(&cfg, NULL, &c, &err);
	br_kube_config_release(&cfg);
	struct br_leader_options o = {
		.namespace = "default", .identity = id,
		.name = getenv("BR_LEADER_NAME") ? getenv("BR_LEADER_NAME") : "contention",
		.lease_duration = env_seconds("BR_LEADER_LEASE", 15),
		.renew_deadline = env_seconds("BR_LEADER_RENEW", 10),
		.retry_period = env_seconds("BR_LEADER_RETRY", 2),
		.on_started_leading = child_started, .on_stopped_leading = child_stopped,
		.ctx = (void *)id,
	};
	if (rc == 0)
		rc = br_leader_create(c, &o, &le, &err);
	if (rc == 0)
		rc = br_leader_start(le, &err);
	if (rc) {
		fprintf(stderr, "test_leader child: %s\n", err.text);
		br_leader_free(le);
		br_kube_client_free(c);
		return 1;
	}
	child_say((void *)id, "ready");
	while (!got_term)
		sleep_ms(20);
	br_leader_free(le);  /* releases the lease */
	br_kube_client_free(c);
	child_say((void *)id, "exited");
	return 0;
}

int main(void)
{
	if (getenv("BR_LEADER_CHILD"))
		return child_main();
	const struct CMUnitTest basic[] = {
		cmocka_unit_test(test_microtime),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_error_same),
	};
	const struct CMUnitTest fake[] = {
		cmocka_unit_test(test_one_leader_and_release),
		cmocka_unit_test(test_renew_deadline),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_error_changes),
	};
	int fails = cmocka_run_group_tests_name("leader", basic, NULL, NULL);
	fails += cmocka_run_group_tests_name("leader-fakeapi", fake, setup_fake,
					     teardown_fake);
	return fails;
}
