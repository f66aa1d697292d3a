/* promdata scan: the answer of an instant query in its plain shape, converted
 * straight from the body without a jansson tree (which is several times the
 * size of the vector: about 1 KB a sample). Anything it does not recognise,
 * valid or not, is left to the tree parser (parse.c), which gives the same
 * vector for valid answers and the precise message for the others. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "promdata/internal.h"

struct cur {
	const char *p, *end;
};

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
		c->p++;
}

/* Skips whitespace and the text s. Returns 0, or -1 when it is not there. */
static int lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	ws(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* A string of printable ASCII without escapes (all burnrate's labels and
 * values are): a new copy, or NULL (another string, or out of memory: the
 * tree parser decides). */
static char *str(struct cur *c)
{
	const char *s;

	ws(c);
	if (c->p >= c->end || *c->p != '"')
		return NULL;
	s = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		if (ch < 0x20 || ch >= 0x7f || ch == '\\')
			return NULL;
		c->p++;
	}
	if (c->p >= c->end)
		return NULL;
	c->p++;
	return strndup(s, (size_t)(c->p - 1 - s));
}

static int digits(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s ? 0 : -1;
}

/* A JSON number (RFC 8259 grammar, so nothing jansson would refuse), as a
 * double. Returns 0 or -1. */
static int number(struct cur *c, double *out)
{
	const char *s;
	char tmp[64], *end;

	ws(c);
	s = c->p;
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (digits(c) != 0)
		return -1;
	if (c->p < c->end && *c->p == '.' && (c->p++, digits(c) != 0))
		return -1;
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (digits(c) != 0)
			return -1;
	}
	if ((size_t)(c->p - s) >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, (size_t)(c->p - s));
	tmp[c->p - s] = '\0';
	/* jansson refuses an integer beyond long long and a real beyond double */
	if (!strpbrk(tmp, ".eE") && strlen(tmp) > 15)
		return -1;
	*out = strtod(tmp, &end);
	return *end == '\0' && isfinite(*out) ? 0 : -1;
}

/* {"name": "value", ...} into s->labels; duplicates are the tree parser's
 * to refuse. */
static int labels(struct cur *c, struct br_prom_sample *s)
{
	size_t cap = 0;

	if (lit(c, "{") != 0)
		return -1;
	if (lit(c, "}") == 0)
		return 0;
	do {
		struct br_prom_label l = { str(c), NULL };

		if (l.name && lit(c, ":") == 0)
			l.value = str(c);
		for (size_t i = 0; l.value && i < s->nlabels; i++)
			if (strcmp(s->labels[i].name, l.name) == 0) {
				free(l.value);
				l.value = NULL;
			}
		if (l.value) {
			void *n = br_array_grow(s->labels, sizeof(*s->labels), s->nlabels + 1,
						&cap);
			if (n)
				s->labels = n;
		}
		if (!l.value || s->nlabels == cap) {
			free(l.name);
			free(l.value);
			return -1;
		}
		s->labels[s->nlabels++] = l;
	} while (lit(c, ",") == 0);
	return lit(c, "}");
}

/* {"metric": {...}, "value": [time, "value"]}, in that order. */
static int sample(struct cur *c, struct br_prom_sample *s)
{
	if (lit(c, "{") != 0 || lit(c, "\"metric\"") != 0 || lit(c, ":") != 0 ||
	    labels(c, s) != 0 || lit(c, ",") != 0 || lit(c, "\"value\"") != 0 ||
	    lit(c, ":") != 0 || lit(c, "[") != 0 || number(c, &s->timestamp) != 0 ||
	    lit(c, ",") != 0 || !(s->text = str(c)) ||
	    br__promdata_parse_value(s->text, &s->value) != 0 || lit(c, "]") != 0)
		return -1;
	return lit(c, "}");
}

static int samples(struct cur *c, struct br_prom_vector *out)
{
	size_t cap = 0;

	if (lit(c, "]") == 0)
		return 0;
	do {
		void *items = br_array_grow(out->samples, sizeof(*out->samples),
					    out->count + 1, &cap);
		if (!items)
			return -1;
		out->samples = items;
		memset(&out->samples[out->count], 0, sizeof(*out->samples));
		out->count++; /* so that release frees a half-made sample */
		if (sample(c, &out->samples[out->count - 1]) != 0)
			return -1;
	} while (lit(c, ",") == 0);
	return lit(c, "]");
}

/* Each of the tokens, whitespace allowed before each. Returns 0 or -1. */
static int tokens(struct cur *c, const char *const *t)
{
	for (; *t; t++)
		if (lit(c, *t) != 0)
			return -1;
	return 0;
}

int br__promdata_scan_vector(const char *body, size_t len, struct br_prom_vector *out)
{
	static const char *const head[] = {
		"{", "\"status\"", ":", "\"success\"", ",", "\"data\"", ":", "{",
		"\"resultType\"", ":", "\"vector\"", ",", "\"result\"", ":", "[", NULL,
	};
	struct cur c = { body, body + len };

	br_prom_vector_init(out);
	if (tokens(&c, head) != 0 ||
	    samples(&c, out) != 0 || lit(&c, "}") != 0 || lit(&c, "}") != 0 ||
	    (ws(&c), c.p != c.end)) {
		br_prom_vector_release(out);
		return 1;
	}
	if (!out->samples) {
		out->samples = calloc(1, sizeof(*out->samples)); /* as the tree parser */
		if (!out->samples)
			return 1;
	}
	return 0;
}
