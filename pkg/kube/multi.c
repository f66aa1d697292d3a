/* kube multi: every request of a client runs on one libcurl multi handle,
 * driven by a thread of its own, so that all worker threads share the multi's
 * connection cache: a few HTTP/1.1 connections kept alive, or, with the
 * http2 option, one multiplexed HTTP/2 connection (as client-go's Go
 * transport does).
 *
 * Why a thread: libcurl cannot share a connection cache between handles used
 * by concurrent threads, and only the multi interface multiplexes. A worker
 * prepares an easy handle as before, hands it to the thread and sleeps until
 * the transfer is done; its callbacks run on the multi thread meanwhile (they
 * only append to buffers the worker owns and does not touch while waiting).
 * Watch streams keep their own easy handles: their callbacks do real work
 * (decoding, caches) that must not stall every other request. */
#include <stdlib.h>

#include "kube/client_internal.h"

/* One handed-over transfer; lives on the waiting worker's stack. Each has
 * its own condition: one shared by all would wake every waiting worker at
 * each finished transfer, only for all but one to sleep again (at 10,000
 * SLOs, 60,000 needless wake-ups with four workers). */
struct br__kube_transfer {
	CURL *h;
	CURLcode result;
	int done;
	pthread_cond_t wake;
	struct br__kube_transfer *next;
};

/* Marks t done with result and wakes its worker. Call with mu held. */
static void finish_locked(struct br__kube_transfer *t, CURLcode result)
{
	t->result = result;
	t->done = 1;
	pthread_cond_signal(&t->wake);
}

/* Moves handed-over transfers into the multi. */
static void add_pending(struct br_kube_client *c)
{
	struct br__kube_transfer *t, *next;

	pthread_mutex_lock(&c->multi_mu);
	t = c->multi_pending;
	c->multi_pending = NULL;
	for (; t; t = next) {
		next = t->next;
		curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
		if (curl_multi_add_handle(c->multi, t->h) != CURLM_OK)
			finish_locked(t, CURLE_OUT_OF_MEMORY);
	}
	pthread_mutex_unlock(&c->multi_mu);
}

/* Hands finished transfers back to their workers. */
static void collect_done(struct br_kube_client *c)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		struct br__kube_transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *h = msg->easy_handle;
		CURLcode result = msg->data.result; /* msg dies with the removal */
		curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(c->multi, h);
		pthread_mutex_lock(&c->multi_mu);
		finish_locked(t, result);
		pthread_mutex_unlock(&c->multi_mu);
	}
}

static void *multi_loop(void *arg)
{
	struct br_kube_client *c = arg;
	int running = 0;

	while (!atomic_load(&c->multi_stop)) {
		add_pending(c);
		curl_multi_perform(c->multi, &running);
		collect_done(c);
		/* woken early by br__kube_multi_perform and _stop */
		curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

int br__kube_multi_start(struct br_kube_client *c)
{
	pthread_mutex_init(&c->multi_mu, NULL);
	c->multi = curl_multi_init();
	if (!c->multi)
		return BR_ENOMEM;
	if (c->opts.http2) {
		curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	} else {
		/* one request per connection at a time: more wait for one of
		   these, rather than each opening its own */
		curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
		curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, c->opts.max_connections);
		curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, c->opts.max_connections);
	}
	if (pthread_create(&c->multi_thread, NULL, multi_loop, c) != 0) {
		curl_multi_cleanup(c->multi);
		c->multi = NULL;
		return BR_ENOMEM;
	}
	c->multi_running = 1;
	return 0;
}

void br__kube_multi_stop(struct br_kube_client *c)
{
	if (c->multi_running) {
		atomic_store(&c->multi_stop, 1);
		curl_multi_wakeup(c->multi);
		pthread_join(c->multi_thread, NULL);
		c->multi_running = 0;
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	c->multi = NULL;
	pthread_mutex_destroy(&c->multi_mu);
}

CURLcode br__kube_multi_perform(struct br_kube_client *c, CURL *h)
{
	struct br__kube_transfer t = {.h = h, .result = CURLE_OK};

	pthread_cond_init(&t.wake, NULL);
	/* wait for a connection that may multiplex rather than open another */
	curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
	pthread_mutex_lock(&c->multi_mu);
	t.next = c->multi_pending;
	c->multi_pending = &t;
	pthread_mutex_unlock(&c->multi_mu);
	curl_multi_wakeup(c->multi);
	pthread_mutex_lock(&c->multi_mu);
	while (!t.done)
		pthread_cond_wait(&t.wake, &c->multi_mu);
	pthread_mutex_unlock(&c->multi_mu);
	pthread_cond_destroy(&t.wake);
	return t.result;
}
