/* kube internal: helpers shared by the files of pkg/kube, not part of the API. */
#ifndef BR_KUBE_INTERNAL_H
#define BR_KUBE_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "errors/errors.h"

/* Reads a whole file of at most max bytes into a new NUL-terminated string
 * (*data, you own it, *len bytes). Returns 0, BR_EIO, BR_ELIMIT or BR_ENOMEM. */
int br__kube_read_file(const char *path, size_t max, char **data, size_t *len,
		       struct br_error *err);

/* A scan of JSON text that follows its structure without decoding it
 * (strip.c, items.c). Indexes never go past len; malformed text gives
 * slices that the decoder then refuses. */
int br__kube_is_space(char c);
/* The index just past the string that starts at s[i] (a quote), or len when
 * it does not end. */
size_t br__kube_string_end(const char *s, size_t i, size_t len);
/* The index just past the value that starts at s[i] (after white space),
 * or len when it does not end: a string, a balanced container, or a
 * scalar up to the next delimiter. */
size_t br__kube_value_end(const char *s, size_t i, size_t len);

/* A list's item text[0..len) decoded as a list read hands it on (items.c,
 * list_reader.c): its view, when view is not NULL, else the whole of it,
 * into *item. 0, or BR_EPARSE or BR_ENOMEM with err naming what ("item
 * 3"). */
int br__kube_list_item(const char *const *view, const char *text, size_t len,
		       const char *what, json_t **item, struct br_error *err);
/* A list's items member text[0..len) that is no array: 0 when it is null
 * (how Go prints an empty slice), else BR_EPARSE with err set. */
int br__kube_list_items_null(const char *text, size_t len, struct br_error *err);
/* A list's metadata text[0..len) decoded, or NULL with err set. */
json_t *br__kube_list_meta(const char *text, size_t len, struct br_error *err);

#endif
