/* internal: what the UI's files share: the page frame and JSON look-ups.
 * Not part of the API. */
#ifndef BR_UI_INTERNAL_H
#define BR_UI_INTERNAL_H

#include "ui/ui.h"

/* Appends the document head, the title (escaped) and the banner (escaped;
 * NULL: none). Failures leave out failed. */
void ui_page_open(struct br_buf *out, const char *title, const char *banner);
/* Appends the end of the document. */
void ui_page_close(struct br_buf *out);

/* o[a][b]... for up to three keys (NULL ends them); NULL when missing.
 * Borrowed from o. */
const json_t *ui_get(const json_t *o, const char *a, const char *b,
		     const char *c);
/* The string at o[a][b][c] or NULL (not a string, missing). Borrowed. */
const char *ui_str(const json_t *o, const char *a, const char *b,
		   const char *c);
/* The condition of that type in slo's status.conditions, or NULL. */
const json_t *ui_condition(const json_t *slo, const char *type);
/* Appends a JSON number (or "-" for anything else) the short way. */
void ui_number(struct br_buf *out, const json_t *v);
/* Appends a string (escaped), a boolean (yes/no) or a number (ui_number). */
void ui_value(struct br_buf *out, const json_t *v);
/* The budget left in percent, from status.budget.remaining (a fraction),
 * else status.budget.remainingPercent ("87.5%"); NAN when neither is there. */
double ui_budget_left(const json_t *slo);

/* Appends the timeline of when page and ticket fired (a row each, a band
 * per interval) over [start, end]; firing as struct br_ui_slo_data's. */
void ui_svg_timeline(struct br_buf *out, const struct br_prom_matrix *firing,
		     double start, double end, double step);
/* Appends the list of when page and ticket fired (start to end, UTC). */
void ui_firing_list(struct br_buf *out, const struct br_prom_matrix *firing,
		    double step);
/* The series of severity sev ("page", "ticket") in firing, or NULL. */
const struct br_prom_series *ui_firing(const struct br_prom_matrix *firing,
				       const char *sev);

/* Samples of a vector sorted by (slo_namespace, slo), to find an SLO's in
 * O(log n). Borrows the vector's samples. */
struct ui_index {
	const struct br_prom_sample **s;
	size_t n;
};

/* Fills idx from v (NULL: empty). Returns 0 or BR_ENOMEM (idx empty). */
int ui_index_build(struct ui_index *idx, const struct br_prom_vector *v);
/* Frees idx's array. */
void ui_index_release(struct ui_index *idx);
/* The samples of SLO ns/name: the first, and *count of them in a row. */
const struct br_prom_sample *const *ui_index_find(const struct ui_index *idx,
						  const char *ns, const char *name,
						  size_t *count);

#endif
