/* routing: --alertmanager-base for generate and validate: reads the base
 * configuration (a plain alertmanager.yaml, or a Secret manifest holding
 * alertmanager.yaml and burnrate.yaml), checks every SLO's receivers, and
 * renders the merged configuration (pkg/alertmanager). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertmanager/alertmanager.h"
#include "buf/buf.h"
#include "cli.h"
#include "yaml/yaml.h"

static int read_file(const char *path, struct br_buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f) {
		fprintf(stderr, "burnrate: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		br_buf_add(b, chunk, n);
	if (ferror(f) || !b->data) {
		fprintf(stderr, "burnrate: cannot read %s%s\n", path,
			b->data ? "" : ": empty, too large or out of memory");
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* The value of key in a Secret manifest held by text, if it is one.
 * Returns 1 (a Secret: *value set, or NULL when it lacks key), 0 (not a
 * Secret) or -1 (error printed). */
static int secret_value(const char *path, const struct br_buf *text, const char *key,
			char **value, size_t *len)
{
	struct br_yaml_stream s;
	struct br_error err;
	char line[1600];
	int rc = 0;

	*value = NULL;
	br_yaml_stream_init(&s);
	br_error_init(&err);
	if (br_yaml_load(text->data, text->len, path, &s, &err) == 0 && s.count == 1 &&
	    json_is_string(json_object_get(s.docs[0].root, "kind")) &&
	    strcmp(json_string_value(json_object_get(s.docs[0].root, "kind")), "Secret") == 0) {
		rc = br_am_secret_value(s.docs[0].root, key, value, len, &err);
		if (rc != 0 && rc != BR_ENOTFOUND) {
			br_error_set_file(&err, path);
			fprintf(stderr, "%s\n", br_error_format(&err, line, sizeof(line)));
			rc = -1;
		} else {
			rc = 1;
		}
	}
	br_yaml_stream_release(&s);
	return rc;
}

/* Prints a configuration error with the file it came from. */
static void print_config_error(struct br_error *err, const char *base_path,
			       const char *policy_path, int from_secret)
{
	char line[1600], file[600];

	if (strcmp(err->file, BR_AM_POLICY_KEY) == 0 && policy_path && !from_secret)
		snprintf(file, sizeof(file), "%s", policy_path);
	else if (from_secret)
		snprintf(file, sizeof(file), "%s[%s]", base_path, err->file);
	else
		snprintf(file, sizeof(file), "%s", strcmp(err->file, BR_AM_POLICY_KEY) == 0
			 ? BR_AM_POLICY_KEY : base_path);
	if (snprintf(err->file, sizeof(err->file), "%s", file) >= (int)sizeof(err->file))
		err->file[sizeof(err->file) - 1] = '\0'; /* a long path is cut */
	fprintf(stderr, "%s\n", br_error_format(err, line, sizeof(line)));
}

int cli_am_load(const char *base_path, const char *policy_path,
		struct br_am_config **out)
{
	struct br_buf base, policy;
	char *sbase = NULL, *spolicy = NULL;
	size_t nbase = 0, npolicy = 0;
	struct br_error err;
	int secret, rc = -1;

	*out = NULL;
	br_buf_init(&base, BR_AM_MAX_INPUT + 1);
	br_buf_init(&policy, BR_AM_MAX_INPUT + 1);
	br_error_init(&err);
	if (read_file(base_path, &base) || (policy_path && read_file(policy_path, &policy)))
		goto out;
	secret = secret_value(base_path, &base, BR_AM_CONFIG_KEY, &sbase, &nbase);
	if (secret < 0)
		goto out;
	if (secret && !sbase) {
		fprintf(stderr, "%s: the Secret has no key %s\n", base_path, BR_AM_CONFIG_KEY);
		goto out;
	}
	if (secret && !policy_path &&
	    secret_value(base_path, &base, BR_AM_POLICY_KEY, &spolicy, &npolicy) < 0)
		goto out;
	if (br_am_config_parse(secret ? sbase : base.data, secret ? nbase : base.len,
			       policy_path ? policy.data : spolicy,
			       policy_path ? policy.len : npolicy, out, &err) != 0)
		print_config_error(&err, base_path, policy_path, secret && !policy_path);
	else
		rc = 0;
out:
	free(sbase);
	free(spolicy);
	br_buf_release(&base);
	br_buf_release(&policy);
	return rc;
}

static void target_of(const struct br_slo *slo, struct br_am_target *t)
{
	t->namespace = slo->namespace;
	t->receiver[0] = slo->page.disabled ? NULL : slo->page.receiver;
	t->receiver[1] = slo->ticket.disabled ? NULL : slo->ticket.receiver;
}

size_t cli_am_check(const struct br_am_config *cfg, const struct cli_set *set)
{
	size_t problems = 0;
	char msg[1024];

	for (size_t i = 0; i < set->count; i++) {
		const struct cli_slo *s = &set->items[i];
		struct br_am_target t;
		enum br_am_verdict v;

		target_of(&s->slo, &t);
		v = br_am_check(cfg, &t, msg, sizeof(msg));
		if (v == BR_AM_ROUTED || v == BR_AM_NO_RECEIVERS)
			continue;
		fprintf(stderr, "%s:%d: %s/%s: %s (%s)\n", s->file, s->line, s->slo.namespace,
			s->slo.name, msg, br_am_reason(v));
		problems++;
	}
	return problems;
}

int cli_am_render(const struct br_am_config *cfg, const struct cli_set *set,
		  struct br_buf *out)
{
	struct br_am_target *t = calloc(set->count + 1, sizeof(*t));
	struct br_error err;
	char line[1600];
	int rc;

	if (!t) {
		fprintf(stderr, "burnrate: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < set->count; i++)
		target_of(&set->items[i].slo, &t[i]);
	br_error_init(&err);
	rc = br_am_build(cfg, t, set->count, out, &err);
	free(t);
	if (rc != 0)
		fprintf(stderr, "burnrate: Alertmanager configuration: %s\n",
			br_error_format(&err, line, sizeof(line)));
	return rc ? -1 : 0;
}
