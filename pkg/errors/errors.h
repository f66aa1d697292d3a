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

enum br_code {
	BR_OK = 0,
	BR_ENOMEM = -1,     /* out of memory, or a buffer hit its cap */
	BR_EINVAL = -2,     /* input is well-formed but not acceptable */
	BR_EPARSE = -3,     /* input is not well-formed (YAML, JSON, PromQL selector) */
	BR_EIO = -4,        /* reading or writing a file or socket failed */
	BR_ENOTFOUND = -5,  /* the thing asked for does not exist (HTTP 404) */
	BR_ECONFLICT = -6,  /* a concurrent change won (HTTP 409) */
	BR_EGONE = -7,      /* resourceVersion too old (HTTP 410) */
	BR_ETHROTTLED = -8, /* the server asked us to slow down (HTTP 429) */
	BR_EHTTP = -9,      /* another HTTP failure; see the message */
	BR_ETIMEOUT = -10,  /* gave up waiting */
	BR_ETLS = -11,      /* TLS set-up or verification failed */
	BR_EAUTH = -12,     /* unauthorized or forbidden (HTTP 401, 403) */
	BR_ECANCELED = -13, /* stopped on request (shutdown) */
	BR_ELIMIT = -14,    /* input exceeds a limit (size, depth, count) */
	BR_ERROR_COUNT_ = 15
};

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
