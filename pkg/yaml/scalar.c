/* yaml scalars: how a plain scalar is typed, and when a string needs quotes.
 *
 * The rules follow sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 flavoured), so a
 * file means the same here as it does to kubectl:
 *   null:   "" ~ null Null NULL
 *   bool:   true/false, yes/no, on/off in lower, Capitalised and UPPER case
 *           (not y/n: Kubernetes' JSON conversion keeps those as strings
 *           in values, and treating them as booleans surprises people)
 *   int:    [+-] then decimal digits, 0x hex, 0o octal, 0b binary, or a
 *           leading 0 with octal digits (YAML 1.1: 017 is 15). A decimal
 *           integer beyond 64 bits becomes a real, as in go-yaml; a prefixed
 *           one out of range is an error.
 *   float:  [+-]? (.digits | digits[.digits?]) ([eE][+-]?digits)?, so .5,
 *           1., 1e3 and 08 are reals; .inf and .nan (any case form) and
 *           overflowing floats are refused (JSON cannot carry them).
 * Anything else is a string. Underscore digit separators are not accepted.
 */
#include "yaml/internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

/* No word in the lists below is longer: longer strings (most strings)
 * skip the lists, and the first byte is compared before any strlen. */
#define WORD_MAX 5

static int is_one_of(const char *s, size_t n, const char *const *words)
{
	if (n == 0 || n > WORD_MAX)
		return 0;
	for (; *words; words++)
		if ((*words)[0] == s[0] && strlen(*words) == n &&
		    memcmp(*words, s, n) == 0)
			return 1;
	return 0;
}

static const char *const null_words[] = { "~", "null", "Null", "NULL", NULL };
static const char *const true_words[] = {
	"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
static const char *const false_words[] = {
	"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };
static const char *const nonfinite_words[] = {
	".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
	"-.INF", ".nan", ".NaN", ".NAN", NULL };

static int number_start(char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* Parses an integer. Returns 1 and *v when s is one, 0 when it is not an
 * integer, -1 when it is a decimal integer out of range (a float then),
 * -2 when it is a prefixed integer out of range. */
static int parse_int(const char *s, size_t n, json_int_t *v)
{
	size_t i = 0;
	int neg = 0, base = 10, prefixed = 0;
	uint64_t mag = 0, limit;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (n - i > 2 && s[i] == '0') {
		char p = s[i + 1];
		base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
		if (base != 10) {
			i += 2;
			prefixed = 1;
		}
	}
	if (base == 10 && n - i > 1 && s[i] == '0')
		base = 8;   /* YAML 1.1 octal: 0755 */
	if (i == n)
		return 0;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (int overflow = 0; ; i++) {
		if (i == n) {
			if (overflow)
				return prefixed || base != 10 ? -2 : -1;
			*v = neg ? (json_int_t)(0 - mag) : (json_int_t)mag;
			return 1;
		}
		int d = br_text_digit(s[i]);
		if (d < 0 || d >= base)
			return 0;
		if (mag > (limit - (uint64_t)d) / (uint64_t)base)
			overflow = 1;
		else
			mag = mag * (uint64_t)base + (uint64_t)d;
	}
}

static int is_float(const char *s, size_t n)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, int_digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, frac_digits++;
	}
	if (int_digits == 0 && frac_digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, exp_digits++;
		if (exp_digits == 0)
			return 0;
	}
	return i == n;
}

/* s is a float by is_float (so holds no NUL); converts it. */
static double to_double(const char *s, size_t n)
{
	char small[64], *copy = small;
	double d;

	if (n >= sizeof(small)) {
		copy = malloc(n + 1);
		if (!copy)
			return NAN;  /* reported as non-finite; rare */
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	d = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return d;
}

enum br__yaml_kind br__yaml_classify(const char *s, size_t n)
{
	json_int_t v;
	int r;

	if (n == 0)
		return BR__YAML_NULL;
	if (is_one_of(s, n, null_words))
		return BR__YAML_NULL;
	if (is_one_of(s, n, true_words) || is_one_of(s, n, false_words))
		return BR__YAML_BOOL;
	if (is_one_of(s, n, nonfinite_words))
		return BR__YAML_NONFINITE;
	/* parse_int wants a sign or digit first, is_float also takes '.' */
	if (!number_start(s[0]))
		return BR__YAML_STRING;
	r = parse_int(s, n, &v);
	if (r == 1)
		return BR__YAML_INT;
	if (r == -2)
		return BR__YAML_BADINT;
	if (is_float(s, n))
		return BR__YAML_FLOAT;
	return BR__YAML_STRING;
}

int br__yaml_plain_value(const char *s, size_t n, json_t **out,
			 const char **why)
{
	json_int_t v = 0;
	double d;

	switch (br__yaml_classify(s, n)) {
	case BR__YAML_NULL:
		*out = json_null();
		break;
	case BR__YAML_BOOL:
		*out = json_boolean(is_one_of(s, n, true_words));
		break;
	case BR__YAML_INT:
		parse_int(s, n, &v);
		*out = json_integer(v);
		break;
	case BR__YAML_FLOAT:
		d = to_double(s, n);
		if (!isfinite(d))
			goto nonfinite;
		*out = json_real(d);
		break;
	case BR__YAML_NONFINITE:
	nonfinite:
		*why = "non-finite number not supported";
		return BR_EPARSE;
	case BR__YAML_BADINT:
		*why = "integer out of range";
		return BR_EPARSE;
	default:
		*out = json_stringn(s, n);
		break;
	}
	if (*out)
		return 0;
	*why = "out of memory";
	return BR_ENOMEM;
}

static int number_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F') || c == 'x' || c == 'X' || c == 'o' ||
	       c == 'O' || c == '_' || c == '.' || c == ':' || c == '+' ||
	       c == '-';
}

/* Looks like a number to some YAML reader: a sign or dot or digit start
 * and only characters numbers, sexagesimals (1:30) and separators use.
 * Strings such as "30d" get quoted too; quoting is always safe. */
static int numberish(const char *s, size_t n)
{
	size_t i = 0;

	if (s[0] == '+' || s[0] == '-' || s[0] == '.')
		i = 1;
	if (i >= n || !((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!number_char(s[i]))
			return 0;
	return 1;
}

/* A non-ASCII character that YAML treats as a break or as unprintable:
 * C1 controls (NEL among them), U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF.
 * s is valid UTF-8 (jansson checks), so looking at bytes is enough. */
static int odd_unicode(const unsigned char *u, size_t left)
{
	if (u[0] == 0xc2)
		return left > 1 && u[1] < 0xa0;
	if (u[0] == 0xe2)
		return left > 2 && u[1] == 0x80 && (u[2] & 0xfe) == 0xa8;
	if (u[0] == 0xef)
		return left > 2 && ((u[1] == 0xbb && u[2] == 0xbf) ||
				    (u[1] == 0xbf && u[2] >= 0xbe));
	return 0;
}

static int flow_char(unsigned char c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

/* Plain style is possible in block context: printable characters, no
 * indicator at the start, no ": " or " #", no leading or trailing blank, no
 * flow punctuation. Stricter than libyaml, so that it never picks quotes
 * itself. */
static int plain_safe(const char *s, size_t n)
{
	if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[n - 1] == ' ' ||
	    s[n - 1] == ':')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || flow_char(c) ||
		    (c >= 0x80 && odd_unicode((const unsigned char *)s + i, n - i)))
			return 0;
		if (c == ':' && s[i + 1 < n ? i + 1 : i] == ' ')
			return 0;
		if (c == '#' && s[i - 1] == ' ')
			return 0;
	}
	return 1;
}

static const char *const extra_words[] = {
	"y", "Y", "n", "N", "<<", "=", NULL };

/* The common case, decided in one pass: a name, path, label or record
 * such as burnrate:sli_errors:rate5m. It starts with a letter, '_' or '/'
 * (no indicator, not a number) and holds only [A-Za-z0-9_/.:-] (no blank,
 * no flow or comment character), not ending in ':'. plain_safe and
 * numberish both pass such a string, so only the words remain to check. */
static int simple_name(const char *s, size_t n)
{
	char c = s[0];

	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	      c == '/') || s[n - 1] == ':')
		return 0;
	for (size_t i = 1; i < n; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '/' ||
		      c == '.' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

int br__yaml_needs_quotes(const char *s, size_t n)
{
	if (n > 0 && simple_name(s, n))
		return br__yaml_classify(s, n) != BR__YAML_STRING ||
		       is_one_of(s, n, extra_words);
	return !plain_safe(s, n) || br__yaml_classify(s, n) != BR__YAML_STRING ||
	       numberish(s, n) || is_one_of(s, n, extra_words);
}
