/* informer_memory: heap per cached object of an informer's cache, the
 * store of pkg/informer (store.h) against the json object of json strings
 * it replaced, both holding the same deflated entries (entry.h) of COUNT
 * SLO-like objects of about 1.3 kB. Built and run by informer_memory.sh.
 *
 *   informer_memory [store|jansson|both] [COUNT]
 *
 * Prints, for each layout, the heap in use (glibc's mallinfo2: chunks with
 * their headers, as the process pays for them) per object once all are
 * cached; the objects, their texts and the codec's buffers come and go or
 * are made before the first figure, so only the cache is counted. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "informer/entry.h"
#include "informer/store.h"

/* A ServiceLevelObjective as a controller caches it, with status, i
 * differing: about 1.3 kB of compact JSON. */
static json_t *slo(int i)
{
	char ns[32], name[32], uid[40], job[96], rv[16], ts[32];
	json_t *budget;

	snprintf(ns, sizeof(ns), "team-%02d", i % 97);
	snprintf(name, sizeof(name), "svc-%05d", i);
	snprintf(uid, sizeof(uid), "%08x-%04x-4%03x-9%03x-%012x", i * 2654435761u,
		 i & 0xffff, i % 4096, (i * 7) % 4096, i * 40503u);
	snprintf(job, sizeof(job), "http_requests_total{job=\"%s\",code=~\"5..\"}", name);
	snprintf(rv, sizeof(rv), "%d", 1000000 + i * 3);
	snprintf(ts, sizeof(ts), "2026-11-%02dT%02d:%02d:%02dZ", 1 + i % 28, i % 24, i % 60,
		 (i * 7) % 60);
	budget = json_pack("{s:f, s:f, s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}, s:s}",
			   "remaining", 0.8 - (i % 100) / 1000.0,
			   "consumed", 0.2 + (i % 100) / 1000.0,
			   "burnRates", "5m", 0.1 + i % 7 / 10.0, "30m", 0.2 + i % 5 / 10.0,
			   "1h", 0.3, "2h", 0.25, "6h", 0.2, "1d", 0.15 + i % 3 / 100.0, "3d", 0.1,
			   "updatedAt", ts);
	return json_pack("{s:s, s:s,"
			 " s:{s:s, s:s, s:s, s:s, s:i, s:s, s:{s:s, s:s}, s:{s:s}},"
			 " s:{s:s, s:f, s:s, s:{s:{s:s, s:s}},"
			 "    s:{s:{s:s, s:s}, s:{s:s}}},"
			 " s:{s:i, s:o, s:[{s:s, s:s, s:s, s:s, s:s},"
			 "                 {s:s, s:s, s:s, s:s, s:s}], s:s}}",
		"apiVersion", "burnrate.dev/v1alpha1", "kind", "ServiceLevelObjective",
		"metadata", "name", name, "namespace", ns, "uid", uid, "resourceVersion", rv,
		"generation", 1 + i % 5, "creationTimestamp", ts,
		"labels", "team", ns, "tier", i % 3 ? "backend" : "frontend",
		"annotations", "burnrate.dev/owner", ns,
		"spec", "service", name, "objective", (double[]){ 99, 99.5, 99.9, 99.95 }[i % 4],
		"window", (const char *[]){ "30d", "28d", "7d" }[i % 3],
		"indicator", "ratio", "errors", job, "total", job,
		"alerting", "labels", "team", ns, "severity", "page",
		"annotations", "runbook_url", "https://runbooks.example.com/slo",
		"status", "observedGeneration", 1 + i % 5, "budget", budget,
		"conditions", "type", "Ready", "status", "True", "reason", "Reconciled",
		"message", "rules are up to date", "lastTransitionTime", ts,
		"type", "RulesApplied", "status", "True", "reason", "Applied",
		"message", "PrometheusRule burnrate-slo applied", "lastTransitionTime", ts,
		"ruleName", name);
}

/* Chunks in use, those malloc took from mmap (large bucket arrays) too. */
static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* The entry of object i (borrowed from c) and its key into key. */
static int make(struct br__informer_codec *c, int i, char *key, size_t size,
		const unsigned char **bytes, size_t *len, size_t *text_len)
{
	json_t *o = slo(i);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = text ? br__informer_entry_new(c, o, bytes, len) : -1;

	*text_len = text ? strlen(text) : 0;
	snprintf(key, size, "team-%02d/svc-%05d", i % 97, i);
	free(text);
	json_decref(o);
	return rc;
}

/* Caches count objects in layout `jansson` (1) or the store (0); returns the
 * heap they hold. */
static size_t fill(struct br__informer_codec *c, int jansson, int count, size_t *entry_bytes,
		   size_t *text_bytes, size_t *key_bytes)
{
	struct br__informer_store store;
	json_t *map = json_object();
	size_t before = heap_in_use(), after, len, text_len;
	const unsigned char *bytes;
	struct br__informer_node *node, *old;
	char key[64];

	br__informer_store_init(&store);
	*entry_bytes = *text_bytes = *key_bytes = 0;
	for (int i = 0; i < count; i++) {
		if (make(c, i, key, sizeof(key), &bytes, &len, &text_len) < 0)
			exit(1);
		*entry_bytes += len;
		*text_bytes += text_len;
		*key_bytes += strlen(key);
		if (jansson) {
			json_object_set_new(map, key,
					    json_stringn_nocheck((const char *)bytes, len));
			continue;
		}
		node = br__informer_node_new(key, bytes, len);
		if (!node || br__informer_store_put(&store, node, &old) < 0)
			exit(1);
	}
	malloc_trim(0);
	after = heap_in_use();
	json_decref(map);
	br__informer_store_release(&store);
	return after - before;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "both";
	int count = argc > 2 ? atoi(argv[2]) : 10000;
	struct br__informer_codec c;
	const unsigned char *bytes;
	size_t len, text_len, entries, texts, keys;
	char key[64];

	br__informer_codec_init(&c);
	/* the dictionary, the stream and a buffer big enough for any of them */
	make(&c, 0, key, sizeof(key), &bytes, &len, &text_len);
	for (int jansson = 0; jansson < 2; jansson++) {
		const char *name = jansson ? "jansson" : "store";
		if (strcmp(mode, "both") != 0 && strcmp(mode, name) != 0)
			continue;
		size_t heap = fill(&c, jansson, count, &entries, &texts, &keys);
		printf("%-8s %d objects: heap %zu B, %.1f B per object (text %.0f B, "
		       "entry %.1f B, key %.1f B)\n", name, count, heap, (double)heap / count,
		       (double)texts / count, (double)entries / count, (double)keys / count);
	}
	br__informer_codec_release(&c);
	return 0;
}
