#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl.h"

#define RBUF_SIZE (256u << 10)

int
jsonl_reader_init(struct jsonl_reader *r, int fd, const char *name, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	buf_init(&r->line, max + 1);	/* room for the CR of a CRLF */
	r->rcap = RBUF_SIZE;
	if ((r->rbuf = malloc(r->rcap)) == NULL)
		return -1;
	return 0;
}

void
jsonl_reader_release(struct jsonl_reader *r)
{
	free(r->rbuf);
	r->rbuf = NULL;
	buf_release(&r->line);
}

static int
fill(struct jsonl_reader *r, struct phk_err *e)
{
	ssize_t got;

	r->rpos = r->rlen = 0;
	if (r->before_read && r->before_read(r->before_ctx, e) < 0)
		return -1;
	if (r->flush_before_read && fflush(r->flush_before_read) == EOF) {
		phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		got = read(r->fd, r->rbuf, r->rcap);
		if (got >= 0)
			break;
		if (errno != EINTR) {
			phk_err_set(e, PHK_EXIT_IO, "read error: %s", strerror(errno));
			return -1;
		}
	}
	if (got == 0)
		r->eof = 1;
	r->rlen = (size_t)got;
	return 0;
}

static void
strip_cr(const char **p, size_t *n)
{
	if (*n > 0 && (*p)[*n - 1] == '\r')
		(*n)--;
}

int
jsonl_read(struct jsonl_reader *r, const char **p, size_t *n, struct phk_err *e)
{
	int toolong = 0;
	char *nl;
	size_t chunk;

	buf_reset(&r->line);
	if (r->rpos == r->rlen && !r->eof && fill(r, e) < 0)
		return -1;
	if (r->rpos == r->rlen && r->eof)
		return 0;
	r->lineno++;
	for (;;) {
		nl = memchr(r->rbuf + r->rpos, '\n', r->rlen - r->rpos);
		chunk = nl ? (size_t)(nl - (r->rbuf + r->rpos)) : r->rlen - r->rpos;
		if (nl && r->line.len == 0 && !toolong) {
			/* The common case: the whole line is in the read buffer. */
			if (chunk > r->line.max - 1 &&
			    !(chunk == r->line.max && r->rbuf[r->rpos + chunk - 1] == '\r'))
				goto refuse;
			*p = r->rbuf + r->rpos;
			*n = chunk;
			r->rpos += chunk + 1;
			strip_cr(p, n);
			return 1;
		}
		if (!toolong && buf_add(&r->line, r->rbuf + r->rpos, chunk) < 0) {
			if (errno != E2BIG) {
				phk_err_set(e, PHK_EXIT_IO, "out of memory");
				return -1;
			}
			toolong = 1;
		}
		r->rpos += chunk + (nl != NULL);
		if (nl || (r->rpos == r->rlen && r->eof))
			break;
		if (fill(r, e) < 0)
			return -1;
		if (r->eof)
			break;
	}
	if (toolong) {
refuse:
		if (!toolong)
			r->rpos += chunk + 1;
		phk_err_set(e, PHK_EXIT_INPUT, "line longer than %zu bytes", r->line.max - 1);
		buf_reset(&r->line);
		return -1;
	}
	*p = r->line.p ? r->line.p : "";
	*n = r->line.len;
	strip_cr(p, n);
	if (*n > r->line.max - 1) {
		phk_err_set(e, PHK_EXIT_INPUT, "line longer than %zu bytes", r->line.max - 1);
		return -1;
	}
	return 1;
}

void
jsonl_writer_init(struct jsonl_writer *w, FILE *f)
{
	struct stat st;

	w->f = f;
	w->paired = 0;
	/* big writes; the filter decides when to flush */
	setvbuf(f, NULL, _IOFBF, 1u << 16);
	w->flush_each = !(fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode));
}

void
jsonl_writer_pair(struct jsonl_writer *w, struct jsonl_reader *r)
{
	if (w->flush_each) {
		r->flush_before_read = w->f;
		w->paired = 1;
	}
}

int
jsonl_write(struct jsonl_writer *w, const char *p, size_t n)
{
	if (fwrite(p, 1, n, w->f) != n || putc('\n', w->f) == EOF)
		return -1;
	if (w->flush_each && !w->paired && fflush(w->f) == EOF)
		return -1;
	return 0;
}

int
jsonl_writer_close(struct jsonl_writer *w)
{
	int bad = ferror(w->f);

	if (fflush(w->f) == EOF)
		bad = 1;
	if (fclose(w->f) == EOF)
		bad = 1;
	if (bad && errno == 0)
		errno = EIO;
	return bad ? -1 : 0;
}

int
jsonl_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || v > (1ull << 32))
		return -1;
	*out = (size_t)v;
	return 0;
}
