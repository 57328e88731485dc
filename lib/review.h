/*
 * review — what a reviewer sees of a queued item and how a decision is
 * taken, for hitl show, approve, reject and review alike: the item, its
 * decisions, the guard verdict with each rule, its citation and where it
 * matched, and the prompt and the answer as text (the stored record is
 * scrubbed), terminal controls escaped; one decision path for the
 * commands and the interactive walk.
 */
#ifndef PHIKIT_REVIEW_H
#define PHIKIT_REVIEW_H

#include <stdio.h>

#include "buf.h"
#include "diag.h"
#include "queue.h"

/*
 * Text for a terminal: C0 and C1 controls, DEL and the bidirectional
 * overrides escaped (\x1b, \u009b, \u202e), newline and tab kept; bytes
 * that are not UTF-8 as \xNN. Appended to b; 0 or -1 out of memory.
 */
int review_tty_text(struct buf *b, const char *s, size_t n);

/* hitl show: the item id as text, or as one JSON object (json); with the record (record). */
int review_show(struct queue *q, long long id, int json, int record, FILE *f,
    struct phk_err *e);

/*
 * The notes a decision carries from --notes or --notes-file (exactly one;
 * "-" is stdin), into nb; *notes points at them. 0, or -1 with e set.
 */
int review_notes(const char *notes, const char *file, struct buf *nb, const char **out,
    struct phk_err *e);

/*
 * approve (1) or reject (0) item id as reviewer (lib/hitl's hitl_decide:
 * access, aliases, separation of duties and quorum, every refusal logged),
 * then "item N: approved (1 of 2 approvals)" or "item N: rejected" on f.
 * 0, or -1 with e set (PHK_EXIT_VIOLATION: refused).
 */
int review_decide(struct queue *q, long long id, int approve, const char *reviewer,
    const char *notes, FILE *f, struct phk_err *e);

struct review_walk_opts {
	const char *run;	/* only this run's items, or NULL */
	const char *reviewer;
	const char *notes;	/* taken for an empty note, or NULL: a note is asked for */
};

struct review_tally {
	unsigned long approved, rejected, skipped, refused;
};

/*
 * hitl review: the pending and escalated items, oldest first, each shown
 * as review_show does, then a prompt read from in: a approve, r reject
 * (each asks for a one-line note), s skip, q or end of input quit. A
 * refused decision is reported (stderr, as hitl approve reports it) and
 * the walk goes on; a note the rules refuse is asked for again; any other
 * failure ends the walk: -1 with e set. 0 otherwise, the counts in t.
 */
int review_walk(struct queue *q, const struct review_walk_opts *o, FILE *in, FILE *out,
    struct review_tally *t, struct phk_err *e);

#endif
