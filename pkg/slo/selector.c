/* selector: PromQL instant-vector selectors, parsed strictly and rendered
 * canonically so no spec field can smuggle PromQL into generated rules. */
#include "slo/slo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array/array.h"
#include "buf/buf.h"
#include "text/text.h"

struct scan {
	const char *p;
	const char *field;
	struct br_error *err;
};

static int fail(struct scan *s, const char *fmt, const char *arg)
{
	return br_error_set_at(s->err, BR_EPARSE, s->field, 0, 0, fmt, arg);
}

static int is_name_start(char c, int colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':');
}

static int is_name_char(char c, int colon)
{
	return is_name_start(c, colon) || (c >= '0' && c <= '9');
}

static void skip_space(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		s->p++;
}

/* Reads a metric name (colon allowed) or label name into a new string. */
static char *read_name(struct scan *s, int colon)
{
	const char *start = s->p;

	if (!is_name_start(*s->p, colon))
		return NULL;
	while (is_name_char(*s->p, colon))
		s->p++;
	return strndup(start, (size_t)(s->p - start));
}

/* Reads digits of base (8 or 16) for a \x, \u, \U or octal escape. */
static int read_code(struct scan *s, int digits, int base, uint32_t *cp)
{
	*cp = 0;
	for (int i = 0; i < digits; i++) {
		int v = br_text_digit(s->p[i]);
		if (v < 0 || v >= base)
			return fail(s, "invalid escape sequence in string%s", "");
		*cp = *cp * (uint32_t)base + (uint32_t)v;
	}
	s->p += digits;
	return 0;
}

/* One escape after the backslash, as Go (and so PromQL) reads it. */
static int read_escape(struct scan *s, char quote, struct br_buf *b)
{
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	char c = *s->p;
	uint32_t cp;
	int rc;

	for (size_t i = 0; simple[i]; i += 2) {
		if (c == simple[i]) {
			s->p++;
			return br_buf_addc(b, simple[i + 1]);
		}
	}
	if (c == quote) {
		s->p++;
		return br_buf_addc(b, c);
	}
	s->p++;
	if (c == 'x')
		rc = read_code(s, 2, 16, &cp);
	else if (c == 'u')
		rc = read_code(s, 4, 16, &cp);
	else if (c == 'U')
		rc = read_code(s, 8, 16, &cp);
	else if (c >= '0' && c <= '7') {
		s->p--;
		rc = read_code(s, 3, 8, &cp);
		if (rc == 0 && cp > 255)
			rc = fail(s, "octal escape out of range%s", "");
	} else
		return fail(s, "unknown escape sequence \\%s in string",
			    (char[]){c ? c : '0', 0});
	if (rc)
		return rc;
	if (cp == 0)
		return fail(s, "a string may not contain a NUL character%s", "");
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return fail(s, "escape sequence is not a valid Unicode code point%s", "");
	/* \x and octal escapes are bytes, the others code points (as in Go).
	   A lone byte above 0x7f would make the label value invalid UTF-8,
	   which Prometheus refuses: ask for \u instead. */
	if (c == 'x' || (c >= '0' && c <= '7')) {
		if (cp > 0x7F)
			return fail(s, "byte escape above \\x7f; write the character or use \\u%s",
				    "");
		return br_buf_addc(b, (char)cp);
	}
	char u[4];

	return br_buf_add(b, u, br_text_utf8_encode(cp, u));
}

/* Reads a quoted string ("...", '...' with escapes; `...` raw) into *out. */
static int read_string(struct scan *s, char **out)
{
	char quote = *s->p;
	struct br_buf b;
	int rc = 0;

	if (quote != '"' && quote != '\'' && quote != '`')
		return fail(s, "expected a quoted string at \"%.20s\"", s->p);
	br_buf_init(&b, 1 << 20);
	s->p++;
	while (rc == 0 && *s->p != quote) {
		if (*s->p == '\0')
			rc = fail(s, "unterminated quoted string%s", "");
		else if (*s->p == '\n' && quote != '`')
			rc = fail(s, "newline in quoted string%s", "");
		else if (*s->p == '\\' && quote != '`') {
			s->p++;
			rc = read_escape(s, quote, &b);
		} else
			rc = br_buf_addc(&b, *s->p++);
	}
	if (rc) {
		br_buf_release(&b);
		return rc;
	}
	s->p++;
	*out = b.data ? br_buf_detach(&b) : strdup("");
	return *out ? 0 : BR_ENOMEM;
}

static int read_op(struct scan *s, enum br_match_op *op)
{
	if (s->p[0] == '=' && s->p[1] == '~')
		*op = BR_MATCH_RE;
	else if (s->p[0] == '!' && s->p[1] == '~')
		*op = BR_MATCH_NRE;
	else if (s->p[0] == '!' && s->p[1] == '=')
		*op = BR_MATCH_NE;
	else if (s->p[0] == '=' && s->p[1] != '=') {
		*op = BR_MATCH_EQ;
		s->p++;
		return 0;
	} else
		return fail(s, "unknown matcher operator at \"%.20s\" (use =, !=, =~ or !~)", s->p);
	s->p += 2;
	return 0;
}

static int push_matcher(struct br_selector *sel, struct br_matcher *m)
{
	struct br_matcher *items = br_array_grow(sel->matchers, sizeof(*items), sel->count + 1,
						 &sel->cap);

	if (!items)
		return BR_ENOMEM;
	sel->matchers = items;
	sel->matchers[sel->count++] = *m;
	return 0;
}

static int read_matcher(struct scan *s, struct br_selector *sel)
{
	struct br_matcher m = {0};
	int rc;

	if (!is_name_start(*s->p, 0))
		return fail(s, "expected a label name at \"%.20s\"", s->p);
	m.name = read_name(s, 0);
	if (!m.name)
		return BR_ENOMEM;
	skip_space(s);
	rc = read_op(s, &m.op);
	if (rc == 0) {
		skip_space(s);
		rc = read_string(s, &m.value);
	}
	if (rc == 0 && (m.op == BR_MATCH_RE || m.op == BR_MATCH_NRE) && !*m.value)
		rc = fail(s, "the regular expression for label %s is empty", m.name);
	if (rc == 0)
		rc = push_matcher(sel, &m);
	if (rc) {
		free(m.name);
		free(m.value);
	}
	return rc;
}

static int read_matchers(struct scan *s, struct br_selector *sel)
{
	s->p++; /* '{' */
	for (;;) {
		int rc;

		skip_space(s);
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		if (*s->p == '\0')
			return fail(s, "unbalanced braces: missing '}'%s", "");
		rc = read_matcher(s, sel);
		if (rc)
			return rc;
		skip_space(s);
		if (*s->p == ',')
			s->p++;
		else if (*s->p != '}')
			return *s->p ? fail(s, "expected ',' or '}' at \"%.20s\"", s->p)
				: fail(s, "unbalanced braces: missing '}'%s", "");
	}
}

/* Does the matcher match the empty string? Regexes are not compiled, so only
 * the obvious ones count as matching everything. */
static int matches_empty(const struct br_matcher *m)
{
	switch (m->op) {
	case BR_MATCH_EQ:
		return m->value[0] == '\0';
	case BR_MATCH_NE:
		return m->value[0] != '\0';
	case BR_MATCH_RE:
		return strcmp(m->value, ".*") == 0 || strcmp(m->value, "^.*$") == 0;
	case BR_MATCH_NRE:
		return 1;
	}
	return 1;
}

/* __name__="x" is the metric name written as a matcher: move it. */
static int hoist_name(struct scan *s, struct br_selector *sel)
{
	for (size_t i = 0; i < sel->count; i++) {
		struct br_matcher *m = &sel->matchers[i];

		if (strcmp(m->name, "__name__") != 0)
			continue;
		if (sel->metric)
			return fail(s,
				    "the metric name is set twice (before the braces and as "
				    "__name__)%s", "");
		if (m->op != BR_MATCH_EQ)
			continue;
		sel->metric = m->value;
		free(m->name);
		memmove(m, m + 1, (sel->count - i - 1) * sizeof(*m));
		sel->count--;
		i--;
	}
	return 0;
}

static int check_selector(struct scan *s, struct br_selector *sel)
{
	int rc = hoist_name(s, sel);

	if (rc || sel->metric)
		return rc;
	if (sel->count == 0)
		return fail(s, "empty selector: give a metric name or at least one matcher%s", "");
	for (size_t i = 0; i < sel->count; i++)
		if (!matches_empty(&sel->matchers[i]))
			return 0;
	return fail(s, "a selector without a metric name needs at least one matcher "
		    "that does not match the empty string%s", "");
}

int br_selector_parse(const char *text, const char *field,
		      struct br_selector *out, struct br_error *err)
{
	struct scan s = {text, field, err};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		return fail(&s, "empty selector%s", "");
	skip_space(&s);
	if (is_name_start(*s.p, 1)) {
		out->metric = read_name(&s, 1);
		if (!out->metric)
			return BR_ENOMEM;
		skip_space(&s);
	}
	if (*s.p == '{')
		rc = read_matchers(&s, out);
	if (rc == 0) {
		skip_space(&s);
		if (*s.p == '}')
			rc = fail(&s, "unbalanced braces: unexpected '}'%s", "");
		else if (*s.p)
			rc = fail(&s, "unexpected text after the selector: \"%.40s\"", s.p);
	}
	if (rc == 0)
		rc = check_selector(&s, out);
	if (rc)
		br_selector_release(out);
	return rc;
}

void br_selector_release(struct br_selector *sel)
{
	for (size_t i = 0; i < sel->count; i++) {
		free(sel->matchers[i].name);
		free(sel->matchers[i].value);
	}
	free(sel->matchers);
	free(sel->metric);
	memset(sel, 0, sizeof(*sel));
}

int br_promql_quote(const char *s, struct br_buf *out)
{
	int rc = br_buf_addc(out, '"');

	for (; rc == 0 && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = br_buf_addf(out, "\\%c", c);
		else if (c == '\n')
			rc = br_buf_adds(out, "\\n");
		else if (c == '\r')
			rc = br_buf_adds(out, "\\r");
		else if (c == '\t')
			rc = br_buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7F)
			rc = br_buf_addf(out, "\\x%02x", c);
		else
			rc = br_buf_addc(out, (char)c);
	}
	return rc ? rc : br_buf_addc(out, '"');
}

static const char *op_text(enum br_match_op op)
{
	static const char *const text[] = {"=", "!=", "=~", "!~"};
	return text[op];
}

static int render_matcher(const struct br_matcher *m, struct br_buf *out)
{
	int rc = br_buf_adds(out, m->name);

	if (rc == 0)
		rc = br_buf_adds(out, op_text(m->op));
	return rc ? rc : br_promql_quote(m->value, out);
}

/* Words the PromQL lexer reads as keywords or numbers wherever a metric name
 * could stand (case-insensitively): a metric with such a name can only be
 * written as {__name__="..."}. */
static int is_keyword(const char *name)
{
	static const char *const words[] = {
		"and", "or", "unless", "atan2", "sum", "avg", "count", "min", "max",
		"group", "stddev", "stdvar", "topk", "bottomk", "count_values",
		"quantile", "offset", "by", "without", "on", "ignoring", "group_left",
		"group_right", "bool", "start", "end", "inf", "nan", NULL,
	};
	for (size_t i = 0; words[i]; i++)
		if (strcasecmp(words[i], name) == 0)
			return 1;
	return 0;
}

/* The metric name (with suffix) as a bare word, or as a __name__ matcher
 * when it is a keyword. Sets *braces when a matcher was opened. */
static int render_metric(const struct br_selector *sel, const char *suffix,
			 struct br_buf *out, int *braces)
{
	struct br_buf name;
	int rc;

	*braces = 0;
	if (!sel->metric)
		return 0;
	br_buf_init(&name, BR_BUF_MAX_DEFAULT);
	rc = br_buf_adds(&name, sel->metric);
	if (rc == 0 && suffix)
		rc = br_buf_adds(&name, suffix);
	if (rc == 0 && is_keyword(br_buf_str(&name))) {
		*braces = 1;
		rc = br_buf_adds(out, "{__name__=");
		if (rc == 0)
			rc = br_promql_quote(br_buf_str(&name), out);
	} else if (rc == 0)
		rc = br_buf_adds(out, br_buf_str(&name));
	br_buf_release(&name);
	return rc;
}

int br_selector_render(const struct br_selector *sel, const char *suffix,
		       const struct br_matcher *extra, struct br_buf *out)
{
	size_t n = sel->count + (extra ? 1 : 0);
	int braces, rc = render_metric(sel, suffix, out, &braces);

	if (rc == 0 && !braces && (n > 0 || !sel->metric))
		rc = br_buf_addc(out, '{');
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i > 0 || braces)
			rc = br_buf_addc(out, ',');
		if (rc == 0)
			rc = render_matcher(i < sel->count ? &sel->matchers[i] : extra, out);
	}
	if (rc == 0 && (braces || n > 0 || !sel->metric))
		rc = br_buf_addc(out, '}');
	return rc;
}
