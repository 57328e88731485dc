/*
 * queue — the review queue as one hitl command opens it: the database,
 * the policy the queue is bound to (lib/dbpolicy), the acting Unix user,
 * the signing key and the checkpoint file (lib/ckpt), the timeouts as
 * the environment may tighten them, and the scrubber reviewer notes pass
 * through. cmd/hitl parses options and prints; everything it acts on is
 * opened here, and closed by queue_close whatever queue_open got to.
 */
#ifndef PHIKIT_QUEUE_H
#define PHIKIT_QUEUE_H

#include "buf.h"
#include "diag.h"
#include "hitl.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"
#include "scrub.h"

struct queue_opts {
	const char *db;		/* the database */
	const char *policy;	/* -p, or NULL: $PHIKIT_POLICY, the bound one, the preset */
	const char *key;	/* signing key file, or NULL */
	const char *ckout;	/* --checkpoint-out, or NULL ($PHIKIT_CHECKPOINT_OUT) */
	int create;		/* make the database if missing (gate) */
	int scrub_notes;	/* ready a scrubber for reviewer notes (approve, reject) */
	/* the environment's values, NULL when unset: they may only tighten the policy */
	const char *timeout_env, *expire_env, *webhook_env;
	hitl_warn_fn warn;	/* warnings during the command (webhook, release) */
};

struct queue {
	struct policy pol;
	struct note_signer sk;
	struct ledger l;
	struct hitl h;
	struct scrubber sc;
	char user[LEDGER_IDENT_MAX + 1];
	int have_pol, have_sk, have_l, have_sc;
};

/* 0, or -1 with e set; q must be queue_close'd either way. */
int queue_open(struct queue *q, const struct queue_opts *o, struct phk_err *e);
void queue_close(struct queue *q);

/* An item as hitl list --json prints it, in b (reset first); -1 out of memory. */
int queue_item_json(struct buf *b, const struct hitl_item *it, int required);

/*
 * Reviewer notes from a file, or stdin when path is "-": at most 4000
 * bytes, trailing newlines dropped, no NUL. 0, or -1 with e set.
 */
int queue_read_notes(const char *path, struct buf *out, struct phk_err *e);
/* The same for another option's text (opt: "--reason-file"), named so in errors. */
int queue_read_text(const char *path, const char *opt, struct buf *out, struct phk_err *e);

#endif
