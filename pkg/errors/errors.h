/* errors: the one table of error codes burnrate returns, and the error record
 * that carries a message to the caller.
 *
 * Every function in pkg/ that can fail returns 0 on success or one of the
 * negative BR_E* codes below. Functions that can explain a failure take an
 * optional last argument `struct br_error *err` (NULL allowed). The first error
 * written into a record wins: later writes are ignored until br_error_init(),
 * so the deepest, most precise cause survives as the call stack unwinds.
 *
 * struct br_error has fixed-size fields: reporting an error never allocates and
 * so can never fail. Thread-safety: no shared state; a record belongs to its
 * caller. struct br_problems collects several errors (a validator that reports
 * every problem of a document, not just the first).
 */
#ifndef BR_ERRORS_H
#define BR_ERRORS_H

#include <stddef.h>

/* The table: X(name, code, description), one line a code. The codes are
 * 0, -1, -2, ... with no gap (errors.c checks it at compile time); a new code
 * is one new line at the end, and its enum name, its name string and its
 * description all come from that line. */
#define BR_ERROR_TABLE(X)                                                                          \
	X(OK, 0, "success")                                                                        \
	X(ENOMEM, -1, "out of memory")            /* or a buffer hit its cap */                    \
	X(EINVAL, -2, "invalid input")            /* well-formed but not acceptable */             \
	X(EPARSE, -3, "malformed input")          /* not well-formed YAML, JSON or PromQL */       \
	X(EIO, -4, "input/output error")          /* reading or writing a file or socket failed */ \
	X(ENOTFOUND, -5, "not found")             /* what was asked for is not there (HTTP 404) */ \
	X(ECONFLICT, -6, "conflict")              /* a concurrent change won (HTTP 409) */         \
	X(EGONE, -7, "resource version too old")  /* HTTP 410 */                                   \
	X(ETHROTTLED, -8, "too many requests")    /* the server asked us to slow down (429) */     \
	X(EHTTP, -9, "HTTP request failed")       /* another HTTP failure; see the message */      \
	X(ETIMEOUT, -10, "timed out")             /* gave up waiting */                            \
	X(ETLS, -11, "TLS failure")               /* TLS set-up or verification failed */          \
	X(EAUTH, -12, "unauthorized")             /* unauthorized or forbidden (HTTP 401, 403) */  \
	X(ECANCELED, -13, "canceled")             /* stopped on request (shutdown) */              \
	X(ELIMIT, -14, "limit exceeded")          /* input exceeds a limit (size, depth, count) */

#define BR_CODE_ENUM_(name, code, text) BR_##name = code,
#define BR_CODE_ONE_(name, code, text) +1
enum br_code {
	BR_ERROR_TABLE(BR_CODE_ENUM_)
	/* how many codes there are: the table's lines, counted */
	BR_ERROR_COUNT_ = 0 BR_ERROR_TABLE(BR_CODE_ONE_)
};
#undef BR_CODE_ENUM_
#undef BR_CODE_ONE_

/* "ENOMEM" and so on; "EUNKNOWN" for a code not in the table. Never NULL. */
const char *br_code_name(int code);
/* A one-line description of the code, such as "out of memory". Never NULL. */
const char *br_strerror(int code);

struct br_error {
	int code;         /* 0 when no error has been recorded */
	char file[256];   /* source file of the input, "" if none */
	int line;         /* 1-based, 0 if unknown */
	int column;       /* 1-based, 0 if unknown */
	char field[256];  /* field path such as "spec.indicator.ratio.errors", "" if none */
	char text[1024];  /* what is wrong, without the location */
};

/* Clears the record. Does not allocate; can't fail. */
void br_error_init(struct br_error *err);

/* Records an error unless err is NULL or already holds one. Returns code, so
 * that `return br_error_set(err, BR_EINVAL, "...");` reads naturally. Long
 * texts are truncated. */
int br_error_set(struct br_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As br_error_set, with the field path and the position in the input
 * (line and column 0 when unknown). */
int br_error_set_at(struct br_error *err, int code, const char *field,
		    int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Sets the file name of a recorded error if it has none yet. Can't fail. */
void br_error_set_file(struct br_error *err, const char *file);

/* Writes the record as one line into out (always NUL-terminated):
 * "file:line:column: field: text", leaving out the parts that are unset.
 * Returns out. */
char *br_error_format(const struct br_error *err, char *out, size_t size);

/* A growable list of problems, in the order they were found. */
struct br_problems {
	struct br_error *items;
	size_t count;
	size_t cap;
};

/* Initialises an empty list. Does not allocate; can't fail. */
void br_problems_init(struct br_problems *p);
/* Frees the items and leaves the list empty. */
void br_problems_release(struct br_problems *p);
/* Appends a copy of err. Returns 0 or BR_ENOMEM (the list is unchanged). */
int br_problems_add(struct br_problems *p, const struct br_error *err);

#endif
