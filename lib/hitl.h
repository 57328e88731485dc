/*
 * hitl — the human review queue, kept in the ledger's database: records
 * held for a person, their decisions and releases, each state change and
 * the ledger entry that records it committed in one transaction.
 */
#ifndef PHIKIT_HITL_H
#define PHIKIT_HITL_H

#include <stddef.h>
#include <sqlite3.h>

#include "buf.h"
#include "diag.h"
#include "jsonl.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"
#include "scrub.h"
#include "toolcall.h"

/* The run that entries about no one item (a refused release) go to. */
#define HITL_RUN "phikit:hitl"

/* Problems that never stop the queue (a webhook that failed): for stderr. */
typedef void (*hitl_warn_fn)(void *ctx, const char *msg);
/* A bad input line (lineno > 0) or a failure of the whole run (lineno 0). */
typedef void (*hitl_report_fn)(void *ctx, const char *src, long lineno,
    const struct phk_err *e);
/* A record queued by hitl_gate_fd. */
typedef void (*hitl_queued_fn)(void *ctx, long long item, const char *run,
    const char *reason);

struct hitl {
	/* set by the caller before hitl_open */
	struct ledger *l;		/* opened read-write */
	const struct policy *pol;
	const struct note_signer *sk;	/* or NULL: no checkpoints signed */
	const char *user;		/* the acting Unix user */
	long timeout_s, expire_s;	/* escalate pending, expire escalated; 0 never */
	const char *webhook;		/* checked URL, or NULL */
	hitl_warn_fn warn;
	void *wctx;
	int ckfd;			/* checkpoint notes appended here, or -1 (hitl_init) */
	struct scrubber *sc;		/* reviewer notes are scrubbed with it, or NULL */
	/* private */
	struct buf pay, tmp, note, clean;
	struct toolcalls tc;
	long long release_after;	/* hitl_release_next's cursor */
	unsigned long skipped;		/* items release found disagreeing with the ledger */
};

struct hitl_item {
	long long id;
	char run_id[LEDGER_IDENT_MAX + 1];
	char status[16];		/* pending approved rejected expired escalated */
	char reason[32];		/* ask, irreversible_tool */
	char tool[LEDGER_IDENT_MAX + 1];	/* the tool that made it irreversible, or "" */
	char queued_by[LEDGER_IDENT_MAX + 1];
	char queued_at[LEDGER_TS_LEN + 1];
	char record_sha256[2 * HASH_LEN + 1];
	char released_at[LEDGER_TS_LEN + 1];	/* "" until released */
	char released_by[LEDGER_IDENT_MAX + 1];
	int approvals;			/* distinct Unix users who approved */
};

struct hitl_decision {
	char reviewer[LEDGER_IDENT_MAX + 1], unix_user[LEDGER_IDENT_MAX + 1];
	char decision[16];		/* approve, reject */
	int break_glass;		/* 1 a break-glass approval (notes: its reason), 2 its review */
	char ts[LEDGER_TS_LEN + 1];
	const char *notes;		/* valid during the callback */
	unsigned long long seq;		/* its ledger entry */
};

/* A break-glass approval and its review after the fact (hitl_break_glass_list). */
struct hitl_bg {
	long long id;
	char run_id[LEDGER_IDENT_MAX + 1];
	char status[16];		/* the item's: approved, or released */
	char by[LEDGER_IDENT_MAX + 1], reviewer[LEDGER_IDENT_MAX + 1];	/* Unix user, signed as */
	char ts[LEDGER_TS_LEN + 1];
	char due[24];			/* the review's deadline, or "" if none */
	char state[16];			/* open, overdue, reviewed */
	char review_by[LEDGER_IDENT_MAX + 1], review[16];	/* reviewed: who, approve or reject */
};

/* The results of approve or reject. */
struct hitl_outcome {
	char status[16];
	int approvals, required;
};

struct hitl_gate_opts {
	int skip;			/* on-error=skip */
	size_t max_line;
	struct jsonl_writer *w;
	hitl_report_fn report;
	hitl_queued_fn queued;		/* or NULL */
	void (*denied)(void *ctx, const char *run);	/* a deny withheld and logged, or NULL */
	void *ctx;
	unsigned long passed, queued_n, denied_n, bad;	/* results */
};

/* Zeroes h; the caller then sets its public members. */
void hitl_init(struct hitl *h);
/* Adds the queue's tables to the ledger's database, then sweeps (hitl_sweep). */
int hitl_open(struct hitl *h, struct phk_err *e);
void hitl_release(struct hitl *h);

/*
 * Escalates pending items past timeout_s, expires escalated ones past
 * expire_s, and escalates break-glass approvals whose review is overdue.
 */
int hitl_sweep(struct hitl *h, struct phk_err *e);

/* The gate filter: queues what needs a person, passes the rest; an exit status. */
int hitl_gate_fd(struct hitl *h, struct hitl_gate_opts *o, int fd, const char *name);

/* One item: 1 found, 0 no such item, -1 e set. */
int hitl_get(struct hitl *h, long long id, struct hitl_item *it, struct phk_err *e);
/* Items in id order, of one status (or NULL: all; "released" too) and run (or NULL). */
int hitl_list(struct hitl *h, const char *status, const char *run,
    int (*fn)(void *ctx, const struct hitl_item *it), void *ctx, struct phk_err *e);
int hitl_decisions(struct hitl *h, long long id,
    int (*fn)(void *ctx, const struct hitl_decision *d), void *ctx, struct phk_err *e);
/* The queued record's bytes into out. */
int hitl_record(struct hitl *h, long long id, struct buf *out, struct phk_err *e);

/*
 * approve (1) or reject (0) item id as reviewer; the access rules, the
 * separation of duties and the quorum apply. A refusal is itself logged
 * and returns -1 with e->status PHK_EXIT_VIOLATION and e->msg "refused: ...".
 */
int hitl_decide(struct hitl *h, long long id, int approve, const char *reviewer,
    const char *notes, struct hitl_outcome *out, struct phk_err *e);

/*
 * A break-glass approval of item id, by a user the policy's break_glass
 * role holds: it approves the item alone, past the quorum and the
 * separation of duties, never the identity rules; logged as a
 * hitl.decision with break_glass and the reason (scrubbed, as notes are),
 * posted to the webhook, and, under hitl.break_glass_review_s, due for a
 * review after the fact: another user's hitl_decide of the item, which
 * is logged with break_glass_review and changes nothing else. Refusals
 * as hitl_decide's.
 */
int hitl_break_glass(struct hitl *h, long long id, const char *reviewer, const char *reason,
    struct hitl_outcome *out, struct phk_err *e);
/* Break-glass approvals in item order, of run (or NULL: all). */
int hitl_break_glass_list(struct hitl *h, const char *run,
    int (*fn)(void *ctx, const struct hitl_bg *b), void *ctx, struct phk_err *e);

/* May user act as reviewer: reviewer is the user or an alias the policy gives it. */
int hitl_alias_ok(const struct policy *p, const char *user, const char *reviewer);
/* May user take action (ACT_*) under the policy's access section. */
int hitl_allowed(const struct policy *p, const char *user, int act);
/*
 * The same check for programs outside the queue (ledger-admin anonymize
 * and prune, trace-export): 0 if allowed; else an access.refusal entry
 * is appended to l (in run, signed with sk if given) and -1 returned with
 * e (PHK_EXIT_VIOLATION, "refused: ..."), as the queue's refusals are.
 */
int hitl_access_check(struct ledger *l, const struct policy *p, const char *user, int act,
    const char *run, const struct note_signer *sk, struct buf *note, struct phk_err *e);
/* Refuses release by a user without the role, logging it; 0 or -1 (e set). */
int hitl_release_check(struct hitl *h, struct phk_err *e);
/*
 * Marks the next approved, unreleased item (of run, or NULL) released and
 * logs it, in one transaction; then puts the record with phikit.hitl into
 * out. 1 one released, 0 none left, -1 e set.
 */
int hitl_release_next(struct hitl *h, const char *run, long long *id, struct buf *out,
    struct phk_err *e);

/*
 * Waits until item id is decided (approved, rejected or expired), polling
 * with backoff; timeout_ms < 0 waits for ever. 1 decided (status filled),
 * 0 timed out, -1 e set.
 */
int hitl_wait(struct hitl *h, long long id, long long timeout_ms, char status[16],
    struct phk_err *e);

/* Whether a webhook URL is allowed: https, or http to a loopback address. */
int hitl_webhook_ok(const char *url, struct phk_err *e);

#endif
