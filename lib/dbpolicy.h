/*
 * dbpolicy — the policy a database's review queue and erasures run under.
 *
 * It is fixed when the queue is first used (the first hitl or ledger-admin
 * command on the database, or `ledger-admin policy`), recorded in the
 * ledger as a policy.bind entry of run "phikit:policy" — its SHA-256, name
 * and path, the settings a verifier needs (quorum, separation of duties,
 * timeouts, retention, require_scrubbed) and the policy's text — and
 * changed only by `ledger-admin policy`, run by a user the bound policy's
 * access section gives the "policy" action. Every command that acts on the
 * queue, erases or exports is judged by the bound policy, never by the one
 * its user names: a command given another policy is refused, naming both.
 */
#ifndef PHIKIT_DBPOLICY_H
#define PHIKIT_DBPOLICY_H

#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"

#define DBPOLICY_RUN "phikit:policy"

struct dbpolicy {
	int bound;		/* the database has a bound policy */
	uint64_t seq;		/* its policy.bind entry */
	char sha256[65], name[129], path[4096];
	int approvals_required, separation_of_duties, require_scrubbed;
	long timeout_s, expire_s, retention_days;
};

/*
 * Which policy file a command on the database loads: the one it was given
 * (-p), else $PHIKIT_POLICY, else the database's bound policy (its file,
 * where it was bound from), else the default preset. path (n bytes) holds
 * it; 0, or -1 with e set.
 */
int dbpolicy_choose(struct ledger *l, const char *given, char *path, size_t n, struct phk_err *e);

/* The database's bound policy (b->bound 0 if none). 0, or -1 with e set. */
int dbpolicy_read(struct ledger *l, struct dbpolicy *b, struct phk_err *e);

/*
 * The command runs under p: if the database has no bound policy and bind
 * is set, p becomes it (a policy.bind entry, signed with sk if given, its
 * note appended to note); if the bound policy is another, -1 with e set
 * (PHK_EXIT_USAGE) naming both. 0 when p is (now) the bound policy, or
 * nothing is bound and bind is not set.
 */
int dbpolicy_enforce(struct ledger *l, const struct policy *p, int bind, const char *actor,
    const struct note_signer *sk, struct buf *note, struct phk_err *e);

/*
 * Binds p in place of the bound policy `cur` (loaded from the bound
 * policy's file and checked against its hash by the caller), for actor,
 * whom the caller has checked cur's access allows (ACT_POLICY).
 */
int dbpolicy_change(struct ledger *l, const struct policy *p, const struct dbpolicy *cur,
    const char *actor, const struct note_signer *sk, struct buf *note, struct phk_err *e);

#endif
