/* store: a chained hash map of nodes that hold their key and their bytes
 * in one allocation (see store.h). */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "errors/errors.h"

/* The first bucket array, and the most nodes a bucket may hold on average
 * before the array doubles. At 2, buckets cost 4 to 8 bytes a node, and a
 * lookup compares the hashes of about two nodes before one key. */
#define BUCKETS_MIN 16
#define LOAD_MAX 2

/* FNV-1a: the keys are short and come from the API server, whose names
 * its users choose; a collision costs a longer chain, not a wrong answer. */
static uint32_t hash_key(const char *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

struct br__informer_node *br__informer_node_new(const char *key, const void *bytes,
						size_t len)
{
	size_t key_len = strlen(key);
	struct br__informer_node *n;

	if (key_len >= UINT32_MAX || len >= UINT32_MAX)
		return NULL;
	n = malloc(offsetof(struct br__informer_node, data) + key_len + 1 + len);
	if (!n)
		return NULL;
	n->next = NULL;
	n->hash = hash_key(key, key_len);
	n->key_len = (uint32_t)key_len;
	n->len = (uint32_t)len;
	memcpy(n->data, key, key_len + 1);
	if (len)
		memcpy(n->data + key_len + 1, bytes, len);
	return n;
}

void br__informer_node_free(struct br__informer_node *n)
{
	free(n);
}

void br__informer_store_init(struct br__informer_store *s)
{
	memset(s, 0, sizeof(*s));
}

void br__informer_store_release(struct br__informer_store *s)
{
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct br__informer_node *n = s->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(s->buckets);
	br__informer_store_init(s);
}

/* The link that points at the node under key (hash h) in s, or at the NULL
 * that ends its bucket. s has buckets. */
static struct br__informer_node **find(const struct br__informer_store *s, const char *key,
				       size_t key_len, uint32_t h)
{
	struct br__informer_node **link = &s->buckets[h & (s->nbuckets - 1)];

	for (; *link; link = &(*link)->next) {
		const struct br__informer_node *n = *link;

		if (n->hash == h && n->key_len == key_len && memcmp(n->data, key, key_len) == 0)
			break;
	}
	return link;
}

/* Moves every node of s to a new array of size buckets. Returns 0, or
 * BR_ENOMEM with s unchanged. */
static int rehash(struct br__informer_store *s, size_t size)
{
	struct br__informer_node **b = calloc(size, sizeof(*b));

	if (!b)
		return BR_ENOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct br__informer_node *n = s->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (size - 1)];
			b[n->hash & (size - 1)] = n;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = size;
	return 0;
}

/* Makes room for one more node: the first array, or a doubling when the
 * load would pass LOAD_MAX. Only a store without buckets can fail. */
static int make_room(struct br__informer_store *s)
{
	if (!s->nbuckets)
		return rehash(s, BUCKETS_MIN);
	if (s->count + 1 > s->nbuckets * LOAD_MAX && s->nbuckets <= SIZE_MAX / 2 / sizeof(void *))
		(void)rehash(s, s->nbuckets * 2);  /* without it, longer chains */
	return 0;
}

int br__informer_store_put(struct br__informer_store *s, struct br__informer_node *n,
			   struct br__informer_node **old)
{
	struct br__informer_node **link;

	*old = NULL;
	if (make_room(s) < 0)
		return BR_ENOMEM;
	link = find(s, n->data, n->key_len, n->hash);
	if (*link) {
		*old = *link;
		n->next = (*link)->next;
		(*old)->next = NULL;
	} else {
		n->next = NULL;
		s->count++;
	}
	*link = n;
	return 0;
}

const struct br__informer_node *br__informer_store_get(const struct br__informer_store *s,
							 const char *key)
{
	size_t key_len = strlen(key);

	if (!s->nbuckets)
		return NULL;
	return *find(s, key, key_len, hash_key(key, key_len));
}

struct br__informer_node *br__informer_store_take(struct br__informer_store *s,
						  const char *key)
{
	size_t key_len = strlen(key);
	struct br__informer_node **link, *n;

	if (!s->nbuckets)
		return NULL;
	link = find(s, key, key_len, hash_key(key, key_len));
	n = *link;
	if (n) {
		*link = n->next;
		n->next = NULL;
		s->count--;
	}
	return n;
}

const struct br__informer_node *br__informer_store_next(const struct br__informer_store *s,
							  const struct br__informer_node *prev)
{
	size_t i = 0;

	if (prev && prev->next)
		return prev->next;
	if (prev)
		i = (prev->hash & (s->nbuckets - 1)) + 1;
	for (; i < s->nbuckets; i++) {
		if (s->buckets[i])
			return s->buckets[i];
	}
	return NULL;
}

int br__informer_store_keys(const struct br__informer_store *s, char ***keys, size_t *n)
{
	const struct br__informer_node *node = NULL;
	char **out = calloc(s->count ? s->count : 1, sizeof(*out));
	size_t i = 0;

	*keys = NULL;
	*n = 0;
	while (out && (node = br__informer_store_next(s, node))) {
		out[i] = malloc(node->key_len + 1);
		if (!out[i])
			break;
		memcpy(out[i++], node->data, node->key_len + 1);
	}
	if (!out || node) {
		while (out && i > 0)
			free(out[--i]);
		free(out);
		return BR_ENOMEM;
	}
	*keys = out;
	*n = i;
	return 0;
}
