/* prom internal: what the client uses of the parser, not part of the API. */
#ifndef BR_PROM_INTERNAL_H
#define BR_PROM_INTERNAL_H

#include "buf/buf.h"
#include "prom/prom.h"

/* As br_prom_parse_vector, from body, which is released (empty) on return
 * whatever happens: it is freed as soon as it is parsed, before the tree is
 * converted, so that a large answer is never held three times over. */
int prom_parse_body(struct br_buf *body, long http_status,
		    struct br_prom_vector *out, struct br_error *err);

/* The answer in its plain shape (Prometheus's own: keys in its order,
 * strings in printable ASCII without escapes) into out, without a tree. Returns 0 (you own out), or 1 when body is anything else, valid or
 * not (out empty): the tree parser must decide. */
int prom_scan_vector(const char *body, size_t len, struct br_prom_vector *out);

/* A Prometheus value string into *out. Returns 0, or -1 when it is not a
 * number (NaN, +Inf and -Inf are). */
int prom_parse_value(const char *text, double *out);

#endif
