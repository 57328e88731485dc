/*
 * vault — the originals of pseudonymized values, kept encrypted, for the
 * people the policy allows to re-identify an answer (phi-restore).
 *
 * A vault is an SQLite database of its own, created 0600: table vault_runs
 * holds each run's data key (32 random bytes) wrapped by the vault key with
 * XChaCha20-Poly1305 (associated data: the run id), and vault_values each
 * value sealed with XChaCha20-Poly1305 under its run's data key
 * (associated data: the run id and the token), keyed by run and token.
 * No plaintext value is ever written: a row moved to another token or run,
 * or changed, no longer authenticates. The vault key is derived from a key
 * file (keyfile_load, purpose "phikit vault v1"); data keys live in sodium
 * memory, wiped when freed.
 *
 * Erasure is crypto-shredding: vault_shred deletes a run's wrapped key and
 * its sealed values (secure_delete on, so the pages are zeroed) and keeps
 * a tombstone saying when and why, so a later restore says the run was
 * erased rather than that its tokens are unknown.
 *
 * The database is in WAL mode (synchronous=NORMAL), so a reader
 * (phi-restore) reads while a writer writes. vault_put and vault_put_many
 * may be called from several threads at once: each seals its values in
 * the calling thread and queues them, sealed, for the vault's writer
 * thread, which stores them in order and commits when vault_wait asks
 * for them, every 100 ms, and at vault_flush. vault_get reads a run's
 * sealed values in one scan and keeps them for the next lookups of that
 * run.
 */
#ifndef PHIKIT_VAULT_H
#define PHIKIT_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"

#define VAULT_KEY_PURPOSE "phikit vault v1"
#define VAULT_TOKEN_MAX 64

struct vault;

enum { VAULT_CREATE = 1, VAULT_RDONLY = 2 };

/*
 * Opens the vault at path (VAULT_CREATE: creating it 0600). key is the
 * 32-byte vault key, or NULL for vault_shred alone. A key other than the
 * one the vault was made with is refused (PHK_EXIT_USAGE). 0 or -1, e set.
 */
int vault_open(struct vault **vp, const char *path, int flags, const unsigned char *key,
    struct phk_err *e);
/* Commits everything vault_put was given; 0 or -1 with e set. */
int vault_flush(struct vault *v, struct phk_err *e);
void vault_close(struct vault *v);

/*
 * Stores value (n bytes) under token for run. norm (nn bytes) is the
 * value as the token was made from it (same case-folded, spaced value,
 * same token): a second, different value under a token of the run marks
 * the token ambiguous. A run erased from the vault is refused
 * (PHK_EXIT_INPUT). 0 or -1 with e set.
 */
int vault_put(struct vault *v, const char *run, const char *token, const char *value,
    size_t n, const char *norm, size_t nn, struct phk_err *e);

/* Several values of one run at once: the crypto outside the lock. */
struct vault_item {
	const char *token, *value;
	size_t n;
	const char *norm;
	size_t nn;
};
int vault_put_many(struct vault *v, const char *run, const struct vault_item *it, size_t n,
    struct phk_err *e);

/*
 * A put returns once its values are sealed and queued, not stored. The
 * ticket vault_mark returns covers every value any thread has given
 * vault_put so far (and every value those skipped as stored before);
 * vault_wait returns 0 once all of them are committed, or -1 with the
 * writer's error (PHK_EXIT_IO) when they never will be: after the
 * writer's first failure nothing more is stored, every put and every
 * wait for a later ticket fails. What is passed on only after
 * vault_wait of a mark taken after its puts has its values committed.
 */
uint64_t vault_mark(struct vault *v);
int vault_wait(struct vault *v, uint64_t ticket, struct phk_err *e);

/* What vault_get found (vault_get and vault_erased: from one thread). */
enum { VAULT_FOUND, VAULT_NOT_FOUND, VAULT_AMBIGUOUS, VAULT_ERASED };

/*
 * The original of token in run appended to out: VAULT_FOUND; the token
 * unknown to the run (or the run to the vault) VAULT_NOT_FOUND; two values
 * under it VAULT_AMBIGUOUS; the run shredded VAULT_ERASED. -1 with e set
 * when a row does not authenticate (PHK_EXIT_IO: nothing is trusted).
 */
int vault_get(struct vault *v, const char *run, const char *token, struct buf *out,
    struct phk_err *e);
/* When and why run was erased ("2026-12-02T15:00:00Z anonymize"), or NULL. */
const char *vault_erased(struct vault *v, const char *run);

/*
 * Destroys run's data key (or, run NULL, that of every run created before
 * before, an RFC 3339 time or YYYY-MM-DD) and its values; why is recorded
 * ("anonymize", "prune"). *n: runs shredded. 0 or -1 with e set.
 */
int vault_shred(struct vault *v, const char *run, const char *before, const char *why,
    long *n, struct phk_err *e);

#endif
