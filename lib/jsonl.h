/*
 * jsonl — the JSON Lines reader and writer every filter uses.
 * The reader hands out one line at a time without its "\n" (or "\r\n");
 * a line longer than max is refused, never truncated, and skipped whole so
 * the caller may go on. The line it returns stays valid until the next call.
 */
#ifndef PHIKIT_JSONL_H
#define PHIKIT_JSONL_H

#include <stdio.h>

#include "buf.h"
#include "diag.h"

#define JSONL_DEFAULT_MAX (16u << 20)	/* 16 MiB */

/* A --max-line value: bytes, or with K or M; 0, or -1 if it is not one. */
int jsonl_parse_size(const char *s, size_t *out);

struct jsonl_reader {
	int fd;
	const char *name;	/* "<stdin>" or a path, for messages */
	long lineno;		/* of the line last returned */
	char *rbuf;
	size_t rpos, rlen, rcap;
	int eof;
	struct buf line;
	/*
	 * Flushed before every read(2): output held back only while more
	 * input is already here, so a pipeline never waits on a full buffer.
	 */
	FILE *flush_before_read;
	/*
	 * Called before every read(2), ahead of that flush: a filter that holds
	 * records back (ledger-append's group commit) releases them here when
	 * no more input is ready. 0, or -1 with e set to stop reading.
	 */
	int (*before_read)(void *ctx, struct phk_err *e);
	void *before_ctx;
};

int jsonl_reader_init(struct jsonl_reader *r, int fd, const char *name, size_t max);
void jsonl_reader_release(struct jsonl_reader *r);
/*
 * 1: a line in p and n; 0: end of input; -1: e says why (PHK_EXIT_INPUT for
 * an over-long line, PHK_EXIT_IO for a read error).
 */
int jsonl_read(struct jsonl_reader *r, const char **p, size_t *n, struct phk_err *e);

struct jsonl_writer {
	FILE *f;
	int flush_each;		/* stdout is a pipe or a terminal */
	int paired;		/* a reader flushes it instead */
};
/*
 * A filter's writer: to a pipe or terminal, output is flushed whenever
 * the reader is about to wait for input rather than after every record.
 */
void jsonl_writer_pair(struct jsonl_writer *w, struct jsonl_reader *r);

void jsonl_writer_init(struct jsonl_writer *w, FILE *f);
/* Writes p[0..n) and "\n"; 0 or -1 with errno. */
int jsonl_write(struct jsonl_writer *w, const char *p, size_t n);
/* Flushes and closes; 0 or -1 with errno (EPIPE, ENOSPC...). */
int jsonl_writer_close(struct jsonl_writer *w);

#endif
