/* store: the map an informer's cache is, key "namespace/name" -> entry
 * (internal to pkg/informer; informer.h is the module's API).
 *
 * A chained hash map whose every item is one allocation, a node holding the
 * key and the entry's bytes (entry.h) side by side. At 10,000 SLOs a json
 * object of json strings spent twice the entry's own bytes around it (a
 * string struct and its copied value, a hashtable pair with its key, bucket
 * lists); a node adds 20 bytes, and the buckets 4 to 8 more. For 10,000
 * SLO-like objects of 1.3 kB, 249 bytes an object instead of 384
 * (tests/bench/informer_memory.sh).
 *
 * Buckets are an array of node pointers that doubles when the map holds
 * more than LOAD_MAX nodes a bucket (store.c). A doubling that finds no
 * memory is skipped: the chains grow longer, the map stays right.
 *
 * Thread-safety: none; the informer guards its store with its mutexes. Any
 * number of readers may share a store that no one changes. */
#ifndef BR_INFORMER_STORE_H
#define BR_INFORMER_STORE_H

#include <stddef.h>
#include <stdint.h>

/* One item: the key, its NUL, then len bytes of entry. */
struct br__informer_node {
	struct br__informer_node *next;  /* in its bucket */
	uint32_t hash;                   /* of the key */
	uint32_t key_len;                /* without the NUL */
	uint32_t len;                    /* bytes of entry */
	char data[];
};

/* Fields private to store.c. */
struct br__informer_store {
	struct br__informer_node **buckets;  /* NULL until the first put */
	size_t nbuckets;                     /* 0, or a power of two */
	size_t count;
};

/* A new node for key and the len bytes at bytes (both copied), or NULL
 * when out of memory or either is over 4 GB. Free with
 * br__informer_node_free unless a store took it. */
struct br__informer_node *br__informer_node_new(const char *key, const void *bytes,
						size_t len);
/* Frees n. NULL is fine. */
void br__informer_node_free(struct br__informer_node *n);

/* n's key, NUL-terminated; borrowed, valid as long as n. */
static inline const char *br__informer_node_key(const struct br__informer_node *n)
{
	return n->data;
}

/* n's entry bytes (n->len of them); borrowed, valid as long as n. */
static inline const unsigned char *br__informer_node_bytes(const struct br__informer_node *n)
{
	return (const unsigned char *)n->data + n->key_len + 1;
}

/* Prepares an empty store. Allocates nothing; can't fail. */
void br__informer_store_init(struct br__informer_store *s);
/* Frees every node and the buckets, and re-initialises s. */
void br__informer_store_release(struct br__informer_store *s);

/* Puts n (its key inside) in s, taking ownership of it, and sets *old to
 * the node it replaces, detached from s (you own it: br__informer_node_free;
 * it stays valid as long as you keep it), or NULL. Returns 0, or BR_ENOMEM
 * when s had no buckets yet and none could be made: n stays yours and s
 * unchanged. */
int br__informer_store_put(struct br__informer_store *s, struct br__informer_node *n,
			   struct br__informer_node **old);

/* The node under key (borrowed, valid until s changes), or NULL. */
const struct br__informer_node *br__informer_store_get(const struct br__informer_store *s,
							 const char *key);

/* Detaches the node under key from s and returns it (you own it:
 * br__informer_node_free), or NULL when there is none. Can't fail. */
struct br__informer_node *br__informer_store_take(struct br__informer_store *s,
						  const char *key);

/* How many nodes s holds. */
static inline size_t br__informer_store_size(const struct br__informer_store *s)
{
	return s->count;
}

/* Iteration in no particular order: the first node for prev NULL, else
 * the one after prev, NULL after the last. s must not change meanwhile. */
const struct br__informer_node *br__informer_store_next(const struct br__informer_store *s,
							  const struct br__informer_node *prev);

/* Copies every key of s: *keys is a malloc'ed array of *n malloc'ed
 * strings, in no particular order (you own them: free each, then the
 * array). Returns 0, or BR_ENOMEM with *keys NULL and *n 0. */
int br__informer_store_keys(const struct br__informer_store *s, char ***keys, size_t *n);

#endif
