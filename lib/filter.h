/*
 * filter — the read, process, write loop every phikit filter runs, with
 * the records spread over worker threads and written back in input order.
 * A failed record is never written; with on-error=stop nothing after it
 * is written either. When stdout is a pipe or terminal, everything
 * finished is written and flushed before the loop waits for more input,
 * so interactive pipelines never stall.
 */
#ifndef PHIKIT_FILTER_H
#define PHIKIT_FILTER_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "jsonl.h"

/* Turns one input line into one output line in out; 0, or -1 with e set. */
typedef int (*filter_work_fn)(void *wctx, const char *line, size_t n, struct buf *out,
    struct phk_err *e);
/* Told about each failed record, in input order. */
typedef void (*filter_report_fn)(void *rctx, const char *src, long lineno,
    const struct phk_err *e);

/*
 * Optional second stage, run in input order in one thread on each record
 * the work stage finished: for state that spans records (per-run limits),
 * counts, and dropping. With it set, the work stage's output is the line,
 * then aux bytes for this stage, then the aux length as a size_t.
 * Returns FILTER_WRITE (the line), FILTER_REWRITE (alt instead),
 * FILTER_DROP (nothing), or -1 with e set: the record failed.
 */
enum { FILTER_WRITE, FILTER_REWRITE, FILTER_DROP };
typedef int (*filter_order_fn)(void *octx, const char *line, size_t n,
    const char *aux, size_t auxn, struct buf *alt, struct phk_err *e);

struct filter {
	int nworkers;		/* threads working, the calling one included */
	void **wctx;		/* one context each; [0] is the calling thread's */
	filter_work_fn work;
	filter_report_fn report;
	void *rctx;
	filter_order_fn order;	/* or NULL */
	void *octx;
	int skip;		/* on-error=skip: bad input is dropped, counted */
	size_t max_line;
	struct jsonl_writer *w;
	unsigned long bad;	/* lines skipped */
};

/* Runs fd through the filter; returns the exit status it earned. */
int filter_fd(struct filter *f, int fd, const char *name);

#endif
