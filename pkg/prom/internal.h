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

#endif
