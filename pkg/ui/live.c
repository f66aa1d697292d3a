/* live: an index of Prometheus samples by SLO (labels slo_namespace and
 * slo), so the overview finds a row's alerts and burn rate in a vector of
 * every SLO's without a scan per row. */
#include "ui/internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_key(const struct br_prom_sample *s, const char *ns, const char *name)
{
	const char *sns = br_prom_sample_label(s, "slo_namespace");
	const char *sname = br_prom_sample_label(s, "slo");
	int c = strcmp(sns ? sns : "", ns ? ns : "");

	return c ? c : strcmp(sname ? sname : "", name ? name : "");
}

static int cmp_sample(const void *pa, const void *pb)
{
	const struct br_prom_sample *b = *(const struct br_prom_sample *const *)pb;

	return cmp_key(*(const struct br_prom_sample *const *)pa,
		       br_prom_sample_label(b, "slo_namespace"), br_prom_sample_label(b, "slo"));
}

int br__ui_samples_build(struct br__ui_samples *idx, const struct br_prom_vector *v)
{
	idx->s = NULL;
	idx->n = 0;
	if (!v || !v->count)
		return 0;
	idx->s = malloc(v->count * sizeof(*idx->s));
	if (!idx->s)
		return BR_ENOMEM;
	for (size_t i = 0; i < v->count; i++)
		idx->s[i] = &v->samples[i];
	idx->n = v->count;
	qsort(idx->s, idx->n, sizeof(*idx->s), cmp_sample);
	return 0;
}

void br__ui_samples_release(struct br__ui_samples *idx)
{
	free(idx->s);
	idx->s = NULL;
	idx->n = 0;
}

const struct br_prom_sample *const *br__ui_samples_find(const struct br__ui_samples *idx,
						  const char *ns, const char *name,
						  size_t *count)
{
	size_t lo = 0, hi = idx->n;

	while (lo < hi) {   /* the first sample not below ns/name */
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_key(idx->s[mid], ns, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*count = 0;
	while (lo + *count < idx->n && cmp_key(idx->s[lo + *count], ns, name) == 0)
		(*count)++;
	return *count ? idx->s + lo : NULL;
}
