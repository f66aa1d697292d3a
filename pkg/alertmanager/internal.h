/* internal: what the files of pkg/alertmanager share. Not part of the API
 * (alertmanager.h is). */
#ifndef BR_AM_INTERNAL_H
#define BR_AM_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "alertmanager/alertmanager.h"
#include "buf/buf.h"

struct br_yaml_marks;

/* Where validation problems go: the first one wins (err is first-wins). */
struct br__alertmanager_ctx {
	const struct br_yaml_marks *marks;  /* may be NULL */
	const char *file;                   /* "alertmanager.yaml" or "burnrate.yaml" */
	struct br_error *err;
	int failed;                         /* a BR_E* code once a problem is recorded */
};

/* Records a problem about field at node's position (node may be NULL, or a
 * singleton without a position: then parent's). Returns BR_EINVAL. */
int br__alertmanager_bad(struct br__alertmanager_ctx *c, const json_t *node, const json_t *parent,
			 const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The first key of obj (at path) not in allowed (NULL-terminated) is a
 * problem, why its message. Returns 0 or BR_EINVAL. */
int br__alertmanager_known_keys(struct br__alertmanager_ctx *c, const json_t *obj,
				const char *path, const char *const *allowed, const char *why);
/* path + "." + key, or path + "[i]", into out (always NUL-terminated). */
char *br__alertmanager_path_key(const char *path, const char *key, char *out, size_t size);
char *br__alertmanager_path_index(const char *path, size_t i, char *out, size_t size);

/* --- syntax.c: Alertmanager's small languages ---------------------------- */

/* model.ParseDuration: "0", or units y w d h m s ms in that order, each at
 * most once, e.g. "1h30m". Sets *ms. Returns 0 or -1 (invalid, overflow). */
int br__alertmanager_duration_parse(const char *s, long long *ms);
/* A label name model.LabelName accepts: [a-zA-Z_][a-zA-Z0-9_]*. */
int br__alertmanager_label_name_ok(const char *s);
/* One `matchers` item as labels.ParseMatchers reads it (several matchers
 * separated by commas, optionally in braces). Returns 0, or -1 with why
 * (a static string) in *why. Regular expressions are not compiled. */
int br__alertmanager_matchers_ok(const char *s, const char **why);
/* Appends name="value" to b with value escaped for ParseMatcher. Returns 0
 * or BR_ENOMEM. */
int br__alertmanager_matcher_add(const char *name, const char *value, struct br_buf *b);

/* --- validate.c ---------------------------------------------------------- */

/* Validates a base configuration tree. Returns 0 or BR_EINVAL (c->err set). */
int br__alertmanager_validate_base(struct br__alertmanager_ctx *c, const json_t *root);

/* --- policy.c ------------------------------------------------------------ */

enum {
	BR__ALERTMANAGER_GROUP_WAIT,
	BR__ALERTMANAGER_GROUP_INTERVAL,
	BR__ALERTMANAGER_REPEAT_INTERVAL,
	BR__ALERTMANAGER_TIMINGS
};

/* Which namespaces may use one receiver. */
struct br__alertmanager_allow {
	char *receiver;
	char **namespaces;  /* sorted */
	size_t count;
	int any;            /* "*" listed */
};

struct br_am_config {
	json_t *base;           /* the validated base */
	const char *root;       /* root receiver, borrowed from base */
	char **receivers;       /* names of the base's receivers, sorted */
	size_t nreceivers;
	int restricted;         /* the policy lists receivers */
	struct br__alertmanager_allow *allow; /* sorted by receiver */
	size_t nallow;
	char timing[2][BR__ALERTMANAGER_TIMINGS][32]; /* [severity][field], as written */
};

/* Fills cfg's policy fields from a policy tree (NULL: defaults); the base
 * fields must be set. Returns 0, BR_EINVAL or BR_ENOMEM (c->err set). */
int br__alertmanager_policy_load(struct br__alertmanager_ctx *c, const json_t *root,
				 struct br_am_config *cfg);
/* Is name a receiver of the base? */
int br__alertmanager_has_receiver(const struct br_am_config *cfg, const char *name);
/* May namespace use receiver (assumed to exist)? */
int br__alertmanager_allowed(const struct br_am_config *cfg, const char *receiver,
			     const char *namespace);

extern const char *const br__alertmanager_timing_keys[BR__ALERTMANAGER_TIMINGS];

#endif
