#include <stdlib.h>
#include <string.h>

#include "acm.h"

/* The goto function in one open-addressed table: key (node, byte). */
static uint64_t
ekey(uint32_t node, unsigned char c)
{
	return ((uint64_t)node << 8 | c) + 1;	/* 0 marks a free slot */
}

static size_t
eslot(const struct acm *a, uint64_t k)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 17) & a->emask;
}

static uint32_t
go(const struct acm *a, uint32_t node, unsigned char c)
{
	uint64_t k = ekey(node, c);
	size_t i;

	for (i = eslot(a, k); a->edge[i]; i = (i + 1) & a->emask)
		if (a->edge[i] == k)
			return a->to[i];
	return 0;
}

static int
egrow(struct acm *a)
{
	size_t cap = a->emask ? (a->emask + 1) * 2 : 1024, i, j;
	uint64_t *e = calloc(cap, sizeof(*e));
	uint32_t *t = malloc(cap * sizeof(*t));
	struct acm old = *a;

	if (e == NULL || t == NULL) {
		free(e);
		free(t);
		return -1;
	}
	a->edge = e;
	a->to = t;
	a->emask = cap - 1;
	for (i = 0; old.edge && i <= old.emask; i++) {
		if (!old.edge[i])
			continue;
		for (j = eslot(a, old.edge[i]); e[j]; j = (j + 1) & a->emask)
			;
		e[j] = old.edge[i];
		t[j] = old.to[i];
	}
	free(old.edge);
	free(old.to);
	return 0;
}

static uint32_t
new_node(struct acm *a, unsigned char c)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct acm_node *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL || cap > UINT32_MAX)
			return 0;
		a->v = v;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	a->v[a->n].c = c;
	return (uint32_t)a->n++;
}

void
acm_init(struct acm *a)
{
	memset(a, 0, sizeof(*a));
}

void
acm_release(struct acm *a)
{
	free(a->v);
	free(a->edge);
	free(a->to);
	free(a->queue);
	memset(a, 0, sizeof(*a));
}

void
acm_reset(struct acm *a)
{
	a->n = 0;
	a->built = 0;
	if (a->nedge && a->edge)
		memset(a->edge, 0, (a->emask + 1) * sizeof(*a->edge));
	a->nedge = 0;
}

int
acm_add(struct acm *a, const char *s, size_t n, uint32_t id, uint32_t *prev)
{
	uint32_t node = 0, next;
	size_t i, k;

	if (a->n == 0) {
		/* the root is node 0 */
		(void)new_node(a, 0);
		if (a->n == 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (a->edge && (next = go(a, node, c)) != 0) {
			node = next;
			continue;
		}
		if ((a->nedge + 1) * 2 > (a->emask ? a->emask + 1 : 0) && egrow(a) < 0)
			return -1;
		if ((next = new_node(a, c)) == 0)
			return -1;
		for (k = eslot(a, ekey(node, c)); a->edge[k]; k = (k + 1) & a->emask)
			;
		a->edge[k] = ekey(node, c);
		a->to[k] = next;
		a->nedge++;
		a->v[next].next = a->v[node].child;
		a->v[node].child = next;
		node = next;
	}
	if (a->v[node].id) {
		*prev = a->v[node].id - 1;
		return 1;
	}
	a->v[node].id = id + 1;
	return 0;
}

int
acm_build(struct acm *a)
{
	size_t head = 0, tail = 0;
	uint32_t u, v, f;

	if (a->n == 0) {
		a->built = 1;
		return 0;
	}
	if (a->qcap < a->n) {
		uint32_t *q = realloc(a->queue, a->n * sizeof(*q));
		if (q == NULL)
			return -1;
		a->queue = q;
		a->qcap = a->n;
	}
	/* breadth first: a node's fail link is set before its children's */
	for (v = a->v[0].child; v; v = a->v[v].next) {
		a->v[v].fail = 0;
		a->v[v].dict = 0;
		a->queue[tail++] = v;
	}
	while (head < tail) {
		u = a->queue[head++];
		for (v = a->v[u].child; v; v = a->v[v].next) {
			unsigned char c = a->v[v].c;
			uint32_t t;
			for (f = a->v[u].fail; f && go(a, f, c) == 0; f = a->v[f].fail)
				;
			t = go(a, f, c);
			a->v[v].fail = t && t != v ? t : 0;
			f = a->v[v].fail;
			a->v[v].dict = a->v[f].id ? f : a->v[f].dict;
			a->queue[tail++] = v;
		}
	}
	a->built = 1;
	return 0;
}

int
acm_scan(const struct acm *a, const char *t, size_t n, acm_fn fn, void *ctx)
{
	uint32_t state = 0, next, m;
	size_t i;
	int rc;

	if (a->n <= 1 || !a->built)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		while ((next = go(a, state, c)) == 0 && state)
			state = a->v[state].fail;
		state = next;
		for (m = a->v[state].id ? state : a->v[state].dict; m; m = a->v[m].dict)
			if ((rc = fn(ctx, i + 1, a->v[m].id - 1)) != 0)
				return rc;
	}
	return 0;
}
