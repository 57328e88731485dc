/*
 * buf — a growable byte buffer with a hard ceiling: an append that would
 * pass max refuses and leaves the contents as they were; it never truncates.
 * Always NUL-terminated past len, so text can be handed to C APIs.
 */
#ifndef PHIKIT_BUF_H
#define PHIKIT_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* 0 on success; -1 (errno ENOMEM or E2BIG) and nothing changed otherwise. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
/* A number in decimal, without printf's cost. */
int buf_addu(struct buf *b, unsigned long long v);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends the whole file at path: 0, or -1 with errno (E2BIG past max). */
int buf_read_file(struct buf *b, const char *path);
/*
 * Room for need elements of size bytes in array p of capacity *cap,
 * doubling: returns the array (perhaps moved), or NULL with p untouched.
 */
void *array_reserve(void *p, size_t *cap, size_t need, size_t size);
/* ARRAY_RESERVE(a, cap, need): 0, or -1 with a as it was. */
#define ARRAY_RESERVE(a, cap, need) \
	((need) <= (cap) ? 0 : array_reserve_to((void *)&(a), \
	    array_reserve((a), &(cap), (need), sizeof(*(a)))))
static inline int array_reserve_to(void *slot, void *p)
{
	if (p == NULL)
		return -1;
	memcpy(slot, &p, sizeof(p));	/* no type-punned pointer store */
	return 0;
}
static inline void buf_reset(struct buf *b) { b->len = 0; if (b->p) b->p[0] = '\0'; }

#endif
