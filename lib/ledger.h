/*
 * ledger — the append-only audit log in SQLite: entries hashed into an
 * RFC 6962 Merkle tree, signed checkpoints, per-run hash chains, and the
 * audited erasure of payloads (phikit-ledger(5) fixes every byte hashed).
 * A batch of appends is one transaction; nothing is reported appended
 * before it has committed. Every statement is prepared; SQLite's own
 * triggers refuse UPDATE and DELETE of what has been appended.
 */
#ifndef PHIKIT_LEDGER_H
#define PHIKIT_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "buf.h"
#include "diag.h"
#include "merkle.h"
#include "note.h"

#define LEDGER_IDENT_MAX 128
#define LEDGER_TS_LEN 27	/* 2026-11-23T23:30:00.123456Z */

enum { LEDGER_CREATE = 1, LEDGER_RDONLY = 2 };

struct ledger {
	sqlite3 *db;
	char *path;
	char origin[256];
	sqlite3_stmt *st[16];	/* prepared once, kept */
	struct merkle_frontier fr;	/* the head, as of the last batch */
	int fr_valid;
};

/* One entry as hashed: the leaf is these fields as canonical JSON. */
struct ledger_entry {
	uint64_t seq, run_seq;
	char run_id[LEDGER_IDENT_MAX + 1];
	char run_prev[2 * HASH_LEN + 1];	/* "" for the first of its run */
	char ts[LEDGER_TS_LEN + 1];
	char actor[LEDGER_IDENT_MAX + 1];
	char kind[LEDGER_IDENT_MAX + 1];
	char payload_sha256[2 * HASH_LEN + 1];
};

/* The leaf bytes: keys sorted, no spaces, as jq -cS prints the entry. */
int ledger_entry_json(const struct ledger_entry *x, struct buf *out);

/* One record to append; seq and leaf are filled in once committed. */
struct ledger_rec {
	const char *run_id, *actor, *kind;
	const char *payload;
	size_t n;
	uint64_t seq;
	mhash leaf;
};

/*
 * Opens (LEDGER_CREATE: creating it 0600 if need be) the database at path:
 * WAL, synchronous=FULL, a busy timeout, the schema and its triggers.
 */
int ledger_open(struct ledger *l, const char *path, int flags, struct phk_err *e);
void ledger_close(struct ledger *l);

/*
 * Appends nr records in one transaction. With a signer, the new head is
 * signed as a checkpoint in the same transaction, and its signed note is
 * appended to note (if not NULL). 0, or -1 with e set and nothing written.
 */
int ledger_append(struct ledger *l, struct ledger_rec *r, size_t nr,
    const struct note_signer *sk, struct buf *note, struct phk_err *e);

/*
 * For modules that write their own tables in the same transaction as the
 * entries that record it (the review queue): ledger_begin takes the write
 * lock (BEGIN IMMEDIATE) and loads the head; ledger_append_locked and
 * ledger_sign_locked work inside it; ledger_commit or ledger_rollback ends it.
 */
int ledger_begin(struct ledger *l, struct phk_err *e);
int ledger_append_locked(struct ledger *l, struct ledger_rec *r, size_t nr, struct phk_err *e);
int ledger_sign_locked(struct ledger *l, const struct note_signer *sk, struct buf *note,
    struct phk_err *e);
int ledger_commit(struct ledger *l, struct phk_err *e);
void ledger_rollback(struct ledger *l);

/* Signs and stores a checkpoint of the current head; the note into out. */
int ledger_checkpoint(struct ledger *l, const struct note_signer *sk, struct buf *out,
    struct phk_err *e);

/* The current tree size and root hash. */
int ledger_head(struct ledger *l, uint64_t *size, mhash root, struct phk_err *e);

/* The hash of a perfect subtree, read from the store (a merkle_get_fn). */
int ledger_get_node(void *l, int level, uint64_t index, mhash out);

/*
 * Erases the payloads of run (incident response) and appends an
 * "anonymize" entry to that run saying why; the hashes stay, so every
 * proof still verifies. *erased: how many payloads went. The entry holds
 * its authorization, a note signed with sk (required) over the erasure's
 * scope (ledger_erasure_text); the new checkpoint's note goes to note if
 * not NULL. The entries that authorize erasures (anonymize, prune) and the
 * bound policy (policy.bind) are never erased.
 */
int ledger_anonymize(struct ledger *l, const char *run, const char *reason,
    const char *actor, const struct note_signer *sk, struct buf *note, uint64_t *erased,
    struct phk_err *e);
/*
 * Erases the payloads of entries stamped before `before` (RFC 3339 or
 * YYYY-MM-DD), refusing a date younger than retention_days ago, and
 * appends a "prune" entry to run "phikit:retention", authorized as above.
 */
int ledger_prune(struct ledger *l, const char *before, long retention_days,
    const char *actor, const struct note_signer *sk, struct buf *note, uint64_t *erased,
    struct phk_err *e);
/*
 * The text an erasure's authorization signs: origin, kind (anonymize or
 * prune), scope (the run, or the time before which), the erasing entry's
 * seq and how many payloads it erased.
 */
int ledger_erasure_text(struct buf *out, const char *origin, const char *kind, const char *scope,
    uint64_t seq, uint64_t erased);

struct ledger_stats {
	uint64_t entries, runs, checkpoints, erased, last_ck_size;
	char first_ts[LEDGER_TS_LEN + 1], last_ts[LEDGER_TS_LEN + 1];
	mhash root;
};
int ledger_stats(struct ledger *l, struct ledger_stats *s, struct phk_err *e);

/* The latest stored checkpoint note (NUL-terminated) into out; 0 if none, 1 found. */
int ledger_latest_checkpoint(struct ledger *l, struct buf *out, struct phk_err *e);

/* Helpers shared with verification and export. */
void ledger_now(char ts[LEDGER_TS_LEN + 1]);
int ledger_ts_ok(const char *ts);
/*
 * Whether kind is one only its own program writes (DESIGN.md): anonymize,
 * prune, hitl.*, access.*, policy.*, vault.*.
 */
int ledger_kind_reserved(const char *kind);
int ledger_ident_ok(const char *s);
/* Unix user name of the effective uid, when it is an identifier. */
int ledger_unix_user(char out[LEDGER_IDENT_MAX + 1], struct phk_err *e);
/* A fresh random UUID (version 4), for runs that came without one. */
void ledger_uuid(char out[37]);

#endif
