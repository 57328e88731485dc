/*
 * acm — Aho-Corasick: every occurrence of a set of byte strings in a text,
 * in time linear in the text, the strings and the matches, whatever they
 * are. phi-scrub carries each value it found to its other occurrences in
 * a record with it: a record of 4,000 copies of one SSN, or of 4,000
 * different ones, costs one pass, not one per value.
 *
 * Reused from record to record: acm_reset keeps the memory.
 */
#ifndef PHIKIT_ACM_H
#define PHIKIT_ACM_H

#include <stddef.h>
#include <stdint.h>

struct acm {
	struct acm_node {
		uint32_t fail;		/* longest proper suffix that is a node */
		uint32_t dict;		/* nearest suffix node ending a string, or 0 */
		uint32_t id;		/* the string ending here + 1, or 0 */
		uint32_t child, next;	/* first child, next sibling (for building) */
		unsigned char c;	/* the byte into this node */
	} *v;
	size_t n, cap;
	uint64_t *edge;		/* the goto function: (node << 8 | byte) + 1, 0 free */
	uint32_t *to;		/* the node each edge leads to */
	size_t emask, nedge;
	uint32_t *queue;
	size_t qcap;
	int built;
};

void acm_init(struct acm *a);
void acm_release(struct acm *a);
/* Forgets every string; the memory stays for the next set. */
void acm_reset(struct acm *a);
/*
 * Adds s[0..n) (n > 0) as string id. 0 added; 1 the same bytes were added
 * already (*prev their id), so it is not added again; -1 out of memory.
 */
int acm_add(struct acm *a, const char *s, size_t n, uint32_t id, uint32_t *prev);
/* After the last acm_add: 0, or -1 out of memory. */
int acm_build(struct acm *a);
/* Called for each occurrence of string id ending at t[end - 1]; non-zero stops. */
typedef int (*acm_fn)(void *ctx, size_t end, uint32_t id);
/* Every occurrence of every string in t[0..n); what fn returned, or 0. */
int acm_scan(const struct acm *a, const char *t, size_t n, acm_fn fn, void *ctx);

#endif
