/* syntax: Alertmanager's durations, label names and matchers, read the way
 * Alertmanager 0.25 reads them (prometheus/common model.ParseDuration,
 * pkg/labels ParseMatchers), so that what passes here passes there. */
#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

int br__alertmanager_duration_parse(const char *s, long long *ms)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000},
		{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
	};
	const char *p = s;
	long long total = 0;
	size_t next = 0;

	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*p) {
		long long n = 0;
		size_t u;

		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (n > (LLONG_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*p - '0');
		}
		/* "ms" before "m": the longest unit that matches */
		for (u = next; u < 7; u++) {
			size_t l = strlen(units[u].unit);
			if (strncmp(p, units[u].unit, l) == 0 &&
			    !(u == 4 && p[1] == 's'))
				break;
		}
		if (u == 7)
			return -1; /* unknown unit, or out of order, or repeated */
		if (n > (LLONG_MAX - total) / units[u].ms)
			return -1;
		total += n * units[u].ms;
		p += strlen(units[u].unit);
		next = u + 1;
	}
	*ms = total;
	return 0;
}

int br__alertmanager_label_name_ok(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int name_char(char c, int first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* One matcher, tok[0..n): ^\s*name\s*op\s*value\s*$ with value unquoted or
 * in double quotes; a double quote may only end a quoted value. */
static int matcher_ok(const char *tok, size_t n, const char **why)
{
	size_t i = 0, end = n;
	int quoted;

	while (i < n && isspace((unsigned char)tok[i]))
		i++;
	while (end > i && isspace((unsigned char)tok[end - 1]))
		end--;
	if (i == end || !name_char(tok[i], 1)) {
		*why = "bad matcher format: want name=\"value\" (or !=, =~, !~)";
		return -1;
	}
	while (i < end && name_char(tok[i], 0))
		i++;
	while (i < end && isspace((unsigned char)tok[i]))
		i++;
	if (i < end && tok[i] == '=')
		i += (i + 1 < end && tok[i + 1] == '~') ? 2 : 1;
	else if (i + 1 < end && tok[i] == '!' && (tok[i + 1] == '=' || tok[i + 1] == '~'))
		i += 2;
	else {
		*why = "bad matcher format: want name=\"value\" (or !=, =~, !~)";
		return -1;
	}
	while (i < end && isspace((unsigned char)tok[i]))
		i++;
	quoted = i < end && tok[i] == '"';
	for (i += (size_t)quoted; i < end; i++) {
		if (tok[i] == '\\' && i + 1 < end) {
			i++;
			continue;
		}
		if (tok[i] == '"' && !(quoted && i == end - 1)) {
			*why = "matcher value contains unescaped double quote";
			return -1;
		}
		if (tok[i] == '"')
			quoted = 0;
	}
	if (quoted) {
		*why = "matcher value contains unescaped double quote";
		return -1;
	}
	return 0;
}

int br__alertmanager_matchers_ok(const char *s, const char **why)
{
	size_t n = strlen(s), start = 0, tokens = 0;
	int in_quotes = 0;

	/* as ParseMatchers: strip one "{" and one "}", split on commas
	   outside double quotes (any '"' toggles, escaped or not) */
	if (n && s[0] == '{')
		s++, n--;
	if (n && s[n - 1] == '}')
		n--;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] == '"')
			in_quotes = !in_quotes;
		if (i < n && (in_quotes || s[i] != ','))
			continue;
		int blank = 1;
		for (size_t k = start; k < i; k++)
			blank &= isspace((unsigned char)s[k]) != 0;
		/* a comma always ends a token, even an empty one; only the
		   last one may be blank */
		if (!(i == n && blank)) {
			if (matcher_ok(s + start, i - start, why) != 0)
				return -1;
			tokens++;
		}
		start = i + 1;
	}
	if (tokens == 0) {
		*why = "empty matcher";
		return -1;
	}
	return 0;
}

int br__alertmanager_matcher_add(const char *name, const char *value, struct br_buf *b)
{
	br_buf_adds(b, name);
	br_buf_adds(b, "=\"");
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			br_buf_addc(b, '\\');
		if (*p == '\n')
			br_buf_adds(b, "\\n");
		else
			br_buf_addc(b, *p);
	}
	return br_buf_addc(b, '"');
}
