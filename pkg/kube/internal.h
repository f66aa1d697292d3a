/* kube internal: helpers shared by the files of pkg/kube, not part of the API. */
#ifndef BR_KUBE_INTERNAL_H
#define BR_KUBE_INTERNAL_H

#include <stddef.h>

#include "errors/errors.h"

/* Reads a whole file of at most max bytes into a new NUL-terminated string
 * (*data, you own it, *len bytes). Returns 0, BR_EIO, BR_ELIMIT or BR_ENOMEM. */
int br__kube_read_file(const char *path, size_t max, char **data, size_t *len,
		       struct br_error *err);

#endif
