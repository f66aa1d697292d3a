/* yaml marks: node pointer -> (line, column), open addressing with linear
 * probing, kept at most half full so that probes stay short. */
#include "yaml/internal.h"

#include <stdint.h>
#include <stdlib.h>

struct slot {
	const json_t *node;  /* NULL: empty */
	int line;
	int column;
};

struct br_yaml_marks {
	struct slot *slots;
	size_t cap;   /* a power of two */
	size_t count;
};

static size_t hash_ptr(const json_t *p, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)p;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (cap - 1);
}

int br__yaml_marks_create(struct br_yaml_marks **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : BR_ENOMEM;
}

void br__yaml_marks_free(struct br_yaml_marks *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static struct slot *find(struct slot *slots, size_t cap, const json_t *node)
{
	size_t i = hash_ptr(node, cap);

	while (slots[i].node && slots[i].node != node)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct br_yaml_marks *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return BR_ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].node)
			*find(slots, cap, m->slots[i].node) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int br__yaml_marks_put(struct br_yaml_marks *m, const json_t *node,
		       int line, int column)
{
	struct slot *slot;

	if ((m->count + 1) * 2 > m->cap && grow(m) < 0)
		return BR_ENOMEM;
	slot = find(m->slots, m->cap, node);
	if (!slot->node)
		m->count++;
	slot->node = node;
	slot->line = line;
	slot->column = column;
	return 0;
}

int br_yaml_add_problem(const struct br_yaml_marks *marks, const json_t *node,
			const char *file, struct br_error *e,
			struct br_problems *problems)
{
	int line, column;

	if (!problems)
		return 0;
	if (br_yaml_mark(marks, node, &line, &column) == 0) {
		e->line = line;
		e->column = column;
	}
	if (file)
		br_error_set_file(e, file);
	return br_problems_add(problems, e);
}

int br_yaml_mark(const struct br_yaml_marks *marks, const json_t *node,
		 int *line, int *column)
{
	const struct slot *slot;

	*line = 0;
	*column = 0;
	if (!marks || !node || !marks->cap)
		return BR_ENOTFOUND;
	slot = find(marks->slots, marks->cap, node);
	if (!slot->node)
		return BR_ENOTFOUND;
	*line = slot->line;
	*column = slot->column;
	return 0;
}
