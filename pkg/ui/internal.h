/* internal: what the UI's files share: the page frame and JSON look-ups.
 * Not part of the API. */
#ifndef BR_UI_INTERNAL_H
#define BR_UI_INTERNAL_H

#include "ui/ui.h"

/* Appends to out the document head, the title (escaped) and the banner
 * (escaped; NULL: none). Failures leave out failed. */
void br__ui_page_open(const char *title, const char *banner,
		      struct br_buf *out);
/* Appends to out the end of the document. */
void br__ui_page_close(struct br_buf *out);

/* o[a][b]... for up to three keys (NULL ends them); NULL when missing.
 * Borrowed from o. */
const json_t *br__ui_get(const json_t *o, const char *a, const char *b,
			 const char *c);
/* The string at o[a][b][c] or NULL (not a string, missing). Borrowed. */
const char *br__ui_str(const json_t *o, const char *a, const char *b,
		       const char *c);
/* The condition of that type in slo's status.conditions, or NULL. */
const json_t *br__ui_condition(const json_t *slo, const char *type);
/* Appends a JSON number (or "-" for anything else) the short way. */
void br__ui_number(const json_t *v, struct br_buf *out);
/* Appends a string (escaped), a boolean (yes/no) or a number (br__ui_number). */
void br__ui_value(const json_t *v, struct br_buf *out);
/* The budget left in percent, from status.budget.remaining (a fraction),
 * else status.budget.remainingPercent ("87.5%"); NAN when neither is there. */
double br__ui_budget_left(const json_t *slo);

/* Appends the timeline of when page and ticket fired (a row each, a band
 * per interval) over [start, end]; firing as struct br_ui_slo_data's. */
void br__ui_svg_timeline(const struct br_prom_matrix *firing, double start,
			 double end, double step, struct br_buf *out);
/* Appends the list of when page and ticket fired (start to end, UTC). */
void br__ui_firing_list(const struct br_prom_matrix *firing, double step,
			struct br_buf *out);
/* The series of severity sev ("page", "ticket") in firing, or NULL. */
const struct br_prom_series *br__ui_firing(const struct br_prom_matrix *firing,
					   const char *sev);

/* Samples of a vector sorted by (slo_namespace, slo), to find an SLO's in
 * O(log n). Borrows the vector's samples. */
struct br__ui_samples {
	const struct br_prom_sample **s;
	size_t n;
};

/* Fills idx from v (NULL: empty). Returns 0 or BR_ENOMEM (idx empty). */
int br__ui_samples_build(struct br__ui_samples *idx, const struct br_prom_vector *v);
/* Frees idx's array. */
void br__ui_samples_release(struct br__ui_samples *idx);
/* The samples of SLO ns/name: the first, and *count of them in a row. */
const struct br_prom_sample *const *br__ui_samples_find(const struct br__ui_samples *idx,
						  const char *ns, const char *name,
						  size_t *count);

/* --- The index (index.c) --------------------------------------------- */

/* The strings of an SLO's entry. */
enum br__ui_slo_field {
	BR__UI_NS,      /* metadata.namespace */
	BR__UI_NAME,    /* metadata.name */
	BR__UI_SERVICE, /* spec.service */
	BR__UI_WINDOW,  /* spec.window, "30d" when unset */
	BR__UI_PCT,     /* status.budget.remainingPercent */
	BR__UI_FAST,    /* the long window of the fastest page row, canonical */
	BR__UI_NFIELDS
};

/* What the overview shows of one SLO: one allocation of size bytes, the
 * strings after the struct (so a copy is one memcpy). */
struct br__ui_slo {
	size_t size;
	double objective;     /* percent; NAN when none */
	double left;          /* budget left, percent (br__ui_budget_left) */
	double events;        /* status.budget.remainingEvents; NAN when none */
	unsigned off[BR__UI_NFIELDS];  /* of each string from the start; 0: none */
	char ready;           /* 'T', 'F', 'U' (the Ready condition) or 0 */
};

/* A string of e, or NULL when it has none. Borrowed from e. */
const char *br__ui_slo_get(const struct br__ui_slo *e, enum br__ui_slo_field f);
/* Locks x and returns its entries, sorted by namespace and name (*n of
 * them), borrowed until br__ui_index_unlock. */
const struct br__ui_slo *const *br__ui_index_lock(struct br_ui_index *x, size_t *n);
void br__ui_index_unlock(struct br_ui_index *x);

/* One page of the overview: copies of its entries (free with
 * br__ui_page_release), the filter's count and where the page is. */
struct br__ui_page {
	struct br__ui_slo **rows;
	size_t nrows;
	size_t total;         /* SLOs that pass the filter */
	long page, pages;
};

/* Filters x's SLOs with f, sorts them by budget left and copies page
 * f->page (the last when past it). Returns 0 or BR_ENOMEM. */
int br__ui_page_select(struct br_ui_index *x, const struct br_ui_filter *f,
		       struct br__ui_page *p);
void br__ui_page_release(struct br__ui_page *p);
/* Appends to out the overview of p (br_ui_render_overview's document). */
int br__ui_render_page(const struct br__ui_page *p,
		       const struct br_ui_filter *f,
		       const struct br_ui_live *live, const char *banner,
		       struct br_buf *out);

/* Appends a sparkline <svg> of the budget left over [start, end] (no
 * axes; "no data" without points). */
void br__ui_svg_sparkline(const struct br_prom_series *s, double start,
			  double end, struct br_buf *out);

#endif
