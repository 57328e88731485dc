/*
 * lverify — checks a ledger database or an exported audit bundle from the
 * bytes up: payload hashes, leaf hashes, the Merkle tree, every checkpoint
 * and its signature, the per-run chains, erasures, and (with a checkpoint
 * saved elsewhere) that nothing was rolled back. It stops at the first
 * failure and says which entry and what. Memory stays flat in ledger size.
 */
#ifndef PHIKIT_LVERIFY_H
#define PHIKIT_LVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ledger.h"
#include "merkle.h"
#include "note.h"

struct lverify_opts {
	const struct note_verifier *keys;	/* trusted keys; none: self-asserted only */
	size_t nkeys;
	const char *since;	/* signed checkpoint notes saved earlier; the largest counts */
	size_t since_len;
};

struct lverify_result {
	int ok;			/* every check passed */
	int key_verified;	/* checkpoints signed by a trusted key (not self-asserted) */
	int is_bundle;
	uint64_t entries, runs, checkpoints, erased, releases;
	int has_ck;
	uint64_t ck_size;	/* the latest checkpoint's tree size */
	char ck_signer[NOTE_NAME_MAX + 16];	/* name+id of its signer */
	int has_since;
	uint64_t since_size;
	long long bad_seq;	/* the entry a failure is about, or -1 */
	char what[512];		/* the first failure */
	char run_id[LEDGER_IDENT_MAX + 1];	/* a bundle's run */
	char range[96];		/* or its range, "FROM to TO" */
	char origin[256];
	mhash root;		/* of the whole ledger, or the bundle's checkpoint */
};

/* 0 with r filled (r->ok says valid or not), or -1 with e set when unreadable. */
int lverify_db(struct ledger *l, const struct lverify_opts *o, struct lverify_result *r,
    struct phk_err *e);
int lverify_bundle(const char *path, const struct lverify_opts *o, struct lverify_result *r,
    struct phk_err *e);
/*
 * The same checks of a bundle already parsed (with JSON_REJECT_DUPLICATES),
 * so that what a caller goes on to read is what was checked.
 */
struct json_t;
int lverify_bundle_doc(struct json_t *doc, const struct lverify_opts *o,
    struct lverify_result *r, struct phk_err *e);

/*
 * The last signed note in a file of notes appended one after another
 * (--checkpoint-out): its offset and length in text. 0, or -1 if none.
 */
int lverify_last_note(const char *text, size_t n, size_t *off, size_t *len);
/*
 * Of all the notes in such a file, the one with the largest tree size, so an
 * old note appended again cannot stand in for a newer one: 0; -1 if a note
 * is not a checkpoint or there is none; -2 if two of one size differ (fork).
 */
int lverify_since_note(const char *text, size_t n, size_t *off, size_t *len);

#endif
