/*
 * trail — what the signed ledger says of a review-queue item: who queued
 * it and under which quorum, the distinct Unix users who approved it, and
 * whether it was rejected, expired or released. The queue decides from it
 * (its own columns can be changed by anyone who can write the database),
 * and ledger-verify checks every release against it.
 */
#ifndef PHIKIT_TRAIL_H
#define PHIKIT_TRAIL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define TRAIL_MAX_APPROVERS 64

struct trail {
	int enqueued, rejected, expired, released;
	int required;			/* from the enqueue entry; 0 if it does not say */
	int sod;			/* separation of duties: 1, 0, or -1 if it does not say */
	char queued_by[129];
	char record_sha256[65];
	char policy_sha256[65];
	int approvals;			/* distinct approving Unix users */
	int self_approved;		/* the queuer is among them */
	char approvers[TRAIL_MAX_APPROVERS][129];
	char reviewers[TRAIL_MAX_APPROVERS][129];	/* the names they signed as */
	/*
	 * A break-glass approval (hitl approve --break-glass) approves alone:
	 * who gave it, and whether another user has reviewed it since (a
	 * decision marked break_glass_review, which is neither an approval nor
	 * a rejection). Whether its user held the role is for the caller to
	 * judge, against a policy: the trail holds none.
	 */
	int break_glass, break_glass_reviewed;
	char break_glass_by[129];
};

void trail_init(struct trail *t);
/* One ledger entry of the item's run; ignored unless it is about item id. */
void trail_add(struct trail *t, const char *kind, const char *payload, size_t n, long long id);
/* The item's entries of run with seq < before, from the database; 0, or -1 (sqlite). */
int trail_read(sqlite3 *db, const char *run, long long id, uint64_t before, struct trail *t);
/*
 * Whether the trail allows a release with at least `required` approvals
 * (and none by the queuer when sod), or a break-glass approval: 1; or 0
 * with why filled.
 */
int trail_releasable(const struct trail *t, int required, int sod, char *why, size_t n);

#endif
