/*
 * lappend — ledger-append's loop: records are read, checked, gathered into
 * a batch, appended to the ledger in one transaction (signed when a key is
 * given), and only then written downstream with phikit.ledger. A batch
 * closes on a count, a byte size, an age, or as soon as no more input is
 * ready, so interactive pipelines never wait and bulk loads stay fast.
 */
#ifndef PHIKIT_LAPPEND_H
#define PHIKIT_LAPPEND_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "jsonl.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"

typedef void (*lappend_report_fn)(void *ctx, const char *src, long lineno,
    const struct phk_err *e);

struct lappend_rec;

struct lappend {
	/* set by the caller */
	struct ledger *l;
	const struct note_signer *sk;	/* or NULL: no checkpoints signed */
	int ckfd;			/* --checkpoint-out, or -1 */
	const char *run;		/* for records without run_id, or NULL */
	const char *actor, *kind;
	int require_scrubbed;		/* the scrub binding of lib/bind, under pol */
	const struct policy *pol;
	int skip;			/* on-error=skip */
	size_t max_line;
	size_t batch_max;		/* records */
	size_t batch_bytes;
	long batch_ms;
	struct jsonl_writer *w;
	lappend_report_fn report;
	void *rctx;
	/* results */
	unsigned long long appended, batches;
	unsigned long bad;
	/* private */
	char uuid[37];
	struct buf payloads, out, note;
	struct lappend_rec *r;
	size_t n, cap;
	long long t0;			/* when the open batch got its first record */
	int fd;
	const char *src;
	struct phk_err err;		/* a failure inside the read hook */
};

void lappend_init(struct lappend *a);
void lappend_release(struct lappend *a);
/* Appends every record of fd; returns the exit status it earned. */
int lappend_fd(struct lappend *a, int fd, const char *name);

#endif
