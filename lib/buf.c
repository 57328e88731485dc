#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	free(b->p);
	buf_init(b, b->max);
}

static int
grow(struct buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > b->max) {
		errno = E2BIG;
		return -1;
	}
	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap = cap > ((size_t)-1) / 2 ? need + 1 : cap * 2;
	if (b->max < (size_t)-1 && cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	/*
	 * Zeroed: PCRE2's JIT reads a few bytes past a subject's end with
	 * vector loads; defined bytes keep valgrind's reports meaningful.
	 */
	memset(p + b->cap, 0, cap - b->cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len) {
		errno = E2BIG;
		return -1;
	}
	if (grow(b, b->len + n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

void *
array_reserve(void *p, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (nc < need) {
		if (nc > ((size_t)-1 / 2) / size)
			return NULL;
		nc *= 2;
	}
	if ((p = realloc(p, nc * size)) == NULL)
		return NULL;
	*cap = nc;
	return p;
}

int
buf_addu(struct buf *b, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return buf_add(b, tmp + i, sizeof(tmp) - i);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = E2BIG;
		return -1;
	}
	return buf_add(b, tmp, (size_t)n);
}

int
buf_read_file(struct buf *b, const char *path)
{
	char chunk[65536];
	ssize_t got;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || buf_add(b, chunk, (size_t)got) < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	close(fd);
	return buf_add(b, "", 0);	/* NUL-terminated even when empty */
}
