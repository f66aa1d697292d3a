/* query: the selector inside an OpenSLO Prometheus ratio query.
 *
 * burnrate's ratio indicator takes counter selectors and builds every
 * sum(rate(...[W])) itself, for each window of the alert table. An OpenSLO
 * query that is a selector, or a selector inside rate() or increase() over
 * some range, inside at most one sum() without grouping, names the same
 * series summed the same way: its selector is taken and its range dropped
 * (burnrate applies its own). Anything else (grouping, other functions,
 * arithmetic, offsets) would change what is counted, and is refused. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "openslo/internal.h"
#include "slo/slo.h"

/* [*b, *e) of s without surrounding whitespace. */
static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* If [*b, *e) is name(...) (spaces allowed before the parenthesis), narrows
 * it to the inside and returns 1. The final check is the selector parser,
 * so "sum(a) / sum(b)" being cut wrongly here is refused there. */
static int strip_call(const char **b, const char **e, const char *name)
{
	size_t n = strlen(name);
	const char *p = *b + n;

	if ((size_t)(*e - *b) <= n + 1 || strncmp(*b, name, n) != 0)
		return 0;
	while (p < *e && isspace((unsigned char)*p))
		p++;
	if (p >= *e || *p != '(' || (*e)[-1] != ')')
		return 0;
	*b = p + 1;
	(*e)--;
	trim(b, e);
	return 1;
}

/* Strips a trailing "[range]" whose range is a duration. Returns 0 when
 * there is none or it is not a duration. */
static int strip_range(const char *b, const char **e)
{
	const char *open = *e;
	char range[32];
	long long s;
	size_t n;

	if (*e == b || (*e)[-1] != ']')
		return 0;
	while (open > b && open[-1] != '[')
		open--;
	if (open == b)
		return 0;
	n = (size_t)(*e - 1 - open);
	if (n == 0 || n >= sizeof(range))
		return 0;
	memcpy(range, open, n);
	range[n] = 0;
	if (br_duration_parse(range, &s) != 0)
		return 0;
	*e = open - 1;
	return 1;
}

char *br__openslo_query_selector(struct br__openslo_ctx *c, const json_t *query, const char *field)
{
	const char *text = json_string_value(query);
	const char *b = text, *e = text + strlen(text);
	struct br_selector sel = {0};
	struct br_error err;
	char *out;
	int rc;

	trim(&b, &e);
	strip_call(&b, &e, "sum");
	if (strip_call(&b, &e, "rate") || strip_call(&b, &e, "increase")) {
		if (!strip_range(b, &e)) {
			br__openslo_problem(c, query, field, "not a query burnrate can read: "
					    "rate() and increase() must hold a selector and a "
					    "range, such as "
					    "rate(http_requests_total{job=\"api\"}[5m])");
			return NULL;
		}
		trim(&b, &e);
	}
	out = strndup(b, (size_t)(e - b));
	if (!out) {
		c->nomem = 1;
		return NULL;
	}
	br_error_init(&err);
	rc = br_selector_parse(out, field, &sel, &err);
	br_selector_release(&sel);
	if (rc == 0)
		return out;
	free(out);
	if (rc == BR_ENOMEM)
		c->nomem = 1;
	else
		br__openslo_problem(c, query, field, "not a query burnrate can read: burnrate "
				    "needs the counter's selector, such as "
				    "http_requests_total{code=~\"5..\"}, alone or as "
				    "rate(...[5m]) or sum(rate(...[5m])) (no grouping, other "
				    "functions or arithmetic: they would change what is counted); "
				    "as a selector: %s", err.text);
	return NULL;
}
