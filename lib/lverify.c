#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "lverify.h"
#include "sha256.h"
#include "trail.h"

#define MAX_SELF_KEYS 64

static int
fail(struct lverify_result *r, long long seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
	r->bad_seq = seq;
	r->ok = 0;
	return -1;
}

static int
hex_ok(const char *s, int empty_ok)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return empty_ok;
	if (n != 2 * HASH_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
hex_hash(const char *s, mhash out)
{
	size_t bin;

	if (!hex_ok(s, 0))
		return -1;
	return sodium_hex2bin(out, HASH_LEN, s, strlen(s), NULL, &bin, NULL) == 0 &&
	    bin == HASH_LEN ? 0 : -1;
}

/* Which field of an entry is malformed, or NULL. */
static const char *
entry_bad_field(const struct ledger_entry *x)
{
	if (!ledger_ident_ok(x->run_id))
		return "run_id";
	if (!hex_ok(x->run_prev, 1) || (x->run_seq == 0) != (x->run_prev[0] == '\0'))
		return "run_prev";
	if (!ledger_ts_ok(x->ts))
		return "ts";
	if (!ledger_ident_ok(x->actor))
		return "actor";
	if (!ledger_ident_ok(x->kind))
		return "kind";
	if (!hex_ok(x->payload_sha256, 0))
		return "payload_sha256";
	return NULL;
}

static int
copy_field(char *dst, size_t cap, const char *src, size_t n)
{
	if (src == NULL || n >= cap || strlen(src) != n)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/*
 * Checks one checkpoint note: well formed, of this origin, and signed by a
 * trusted key (or, with none given, by a key the ledger itself lists).
 */
static int
check_note(struct lverify_result *r, const struct lverify_opts *o,
    const struct note_verifier *self, size_t nself, const char *msg, size_t n,
    const char *origin, uint64_t *size, mhash root, const char *what)
{
	struct phk_err e;
	struct note nt;
	char org[256];
	int k;

	if (note_parse(&nt, msg, n, &e) < 0 ||
	    checkpoint_parse(msg, nt.text_len, org, size, root, &e) < 0)
		return fail(r, -1, "%s is not a signed checkpoint note", what);
	if (origin && strcmp(org, origin))
		return fail(r, -1, "%s (size %" PRIu64 ") is for log '%s', not this one ('%s')",
		    what, *size, org, origin);
	if (o->nkeys) {
		k = note_verify(&nt, msg, o->keys, o->nkeys);
		if (k == -2)
			return fail(r, -1, "%s (size %" PRIu64 ") has an invalid signature: forged "
			    "or altered", what, *size);
		if (k < 0) {
			if (nt.nsigs)
				return fail(r, -1, "%s (size %" PRIu64 ") is not signed by the given key; "
				    "it is signed by %s+%08" PRIx32, what, *size, nt.sigs[0].name,
				    nt.sigs[0].hash);
			return fail(r, -1, "%s (size %" PRIu64 ") carries no Ed25519 signature", what,
			    *size);
		}
		note_verifier_id(&o->keys[k], r->ck_signer, sizeof(r->ck_signer));
		return 0;
	}
	k = note_verify(&nt, msg, self, nself);
	if (k == -2)
		return fail(r, -1, "%s (size %" PRIu64 ") has an invalid signature: forged or altered",
		    what, *size);
	if (k < 0)
		return fail(r, -1, "%s (size %" PRIu64 ") is signed by no key the ledger lists", what,
		    *size);
	note_verifier_id(&self[k], r->ck_signer, sizeof(r->ck_signer));
	return 0;
}

int
lverify_last_note(const char *text, size_t n, size_t *off, size_t *len)
{
	size_t blank, i, start;

	/* the last blank line splits the last note's text from its signatures */
	while (n > 0 && text[n - 1] != '\n')
		n--;
	for (blank = n; blank >= 2; blank--)
		if (text[blank - 2] == '\n' && text[blank - 1] == '\n')
			break;
	if (blank < 2)
		return -1;
	blank -= 2;
	/* its text begins after the previous note's last signature line */
	start = 0;
	for (i = blank; i > 0; i--)
		if (text[i - 1] == '\n' && i + 3 <= blank &&
		    memcmp(text + i, "\xe2\x80\x94", 3) == 0) {
			const char *nl = memchr(text + i, '\n', blank - i);
			start = nl ? (size_t)(nl - text) + 1 : blank;
			break;
		}
	if (start == 0 && n > 3 && memcmp(text, "\xe2\x80\x94", 3) == 0) {
		const char *nl = memchr(text, '\n', blank);
		start = nl ? (size_t)(nl - text) + 1 : blank;
	}
	if (start >= blank)
		return -1;
	*off = start;
	*len = n - start;
	return 0;
}

int
lverify_since_note(const char *text, size_t n, size_t *off, size_t *len)
{
	size_t o, l, end = n;
	uint64_t best = 0, size;
	mhash best_root, root;
	struct phk_err e;
	struct note nt;
	char org[256];
	int found = 0;

	while (end > 0 && lverify_last_note(text, end, &o, &l) == 0) {
		if (note_parse(&nt, text + o, l, &e) < 0 ||
		    checkpoint_parse(text + o, nt.text_len, org, &size, root, &e) < 0)
			return -1;
		if (found && size == best && sodium_memcmp(root, best_root, HASH_LEN) != 0)
			return -2;
		if (!found || size > best) {
			found = 1;
			best = size;
			memcpy(best_root, root, HASH_LEN);
			*off = o;
			*len = l;
		}
		end = o;
	}
	return found ? 0 : -1;
}

/* The since note, or a failure in r saying why there is none. */
static int
since_note(struct lverify_result *r, const struct lverify_opts *o, size_t *off, size_t *len)
{
	switch (lverify_since_note(o->since, o->since_len, off, len)) {
	case 0:
		return 0;
	case -2:
		return fail(r, -1, "the saved checkpoint file holds two checkpoints of one size "
		    "with different roots (a fork)");
	default:
		return fail(r, -1, "the saved checkpoint file holds something that is not a "
		    "signed checkpoint note");
	}
}

/* ---- database ---- */

static int
prep(struct ledger *l, const char *q, sqlite3_stmt **s, struct phk_err *e)
{
	if (sqlite3_prepare_v2(l->db, q, -1, s, NULL) != SQLITE_OK) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
		return -1;
	}
	return 0;
}

static int
dbfail(struct ledger *l, struct phk_err *e)
{
	phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
	return -1;
}

static int
load_self_keys(struct ledger *l, struct note_verifier *v, size_t *nv, struct phk_err *e)
{
	sqlite3_stmt *s;
	struct phk_err ignore;
	int rc;

	*nv = 0;
	if (prep(l, "SELECT vkey FROM keys", &s, e) < 0)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (*nv < MAX_SELF_KEYS && note_verifier_parse(&v[*nv],
		    (const char *)sqlite3_column_text(s, 0), &ignore) == 0)
			(*nv)++;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dbfail(l, e);
	return 0;
}

struct ck_cursor {
	sqlite3_stmt *s;
	int have;
	uint64_t size;
};

static int
ck_next(struct ledger *l, struct ck_cursor *c, struct phk_err *e)
{
	int rc = sqlite3_step(c->s);

	if (rc == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(c->s, 0);
		c->have = 1;
		c->size = v < 0 ? UINT64_MAX : (uint64_t)v;
		return 0;
	}
	c->have = 0;
	return rc == SQLITE_DONE ? 0 : dbfail(l, e);
}

/* Every checkpoint of the current size: its root must be the tree's. */
static int
ck_at(struct ledger *l, struct ck_cursor *c, const struct lverify_opts *o,
    const struct note_verifier *self, size_t nself, const struct merkle_frontier *fr,
    struct lverify_result *r, struct phk_err *e)
{
	mhash root, mine;
	uint64_t size;
	char what[64];

	while (c->have && c->size == fr->size) {
		const char *msg = (const char *)sqlite3_column_text(c->s, 1);
		size_t n = (size_t)sqlite3_column_bytes(c->s, 1);
		snprintf(what, sizeof(what), "checkpoint %" PRIu64, c->size);
		if (msg == NULL)
			return fail(r, -1, "%s is empty", what);
		if (check_note(r, o, self, nself, msg, n, l->origin, &size, root, what) < 0)
			return -1;
		if (size != c->size)
			return fail(r, -1, "%s is stored at size %" PRIu64 " but says %" PRIu64,
			    what, c->size, size);
		merkle_frontier_root(fr, mine);
		if (sodium_memcmp(mine, root, HASH_LEN) != 0)
			return fail(r, fr->size ? (long long)fr->size - 1 : -1,
			    "%s: its root hash is not the root of the ledger's first %" PRIu64
			    " entries (entries were edited, reordered, removed or replaced)", what, size);
		r->checkpoints++;
		r->has_ck = 1;
		r->ck_size = size;
		if (ck_next(l, c, e) < 0)
			return -2;
	}
	return 0;
}

/*
 * The per-run chains, checked in the same pass: the last entry of recent
 * runs is cached (bounded, so memory stays flat however many runs there
 * are); on a miss the previous entry of the run is read by its index.
 */
#define RUNCACHE 4096

struct runslot {
	char run[LEDGER_IDENT_MAX + 1];
	uint64_t next;
	char last[2 * HASH_LEN + 1];
};

static uint32_t
run_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int
check_chain(struct ledger *l, sqlite3_stmt *prev, struct runslot *cache,
    const struct ledger_entry *x, const mhash leaf, struct lverify_result *r, struct phk_err *e)
{
	struct runslot *c = &cache[run_hash(x->run_id) & (RUNCACHE - 1)];
	int rc;

	if (strcmp(c->run, x->run_id) == 0) {
		if (x->run_seq != c->next)
			return fail(r, (long long)x->seq, "entry %" PRIu64 ": run '%s' goes from entry %"
			    PRIu64 " to %" PRIu64 " of the run (one is missing or out of order)",
			    x->seq, x->run_id, c->next - 1, x->run_seq);
		if (strcmp(x->run_prev, c->last) != 0)
			return fail(r, (long long)x->seq, "entry %" PRIu64 ": run_prev does not link to "
			    "the run's previous entry (the run's chain is broken)", x->seq);
	} else {
		/* not cached: the run's previous entry, by the (run_id, run_seq) index */
		sqlite3_reset(prev);
		sqlite3_bind_text(prev, 1, x->run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(prev, 2, x->run_seq ? (sqlite3_int64)x->run_seq - 1 : 0);
		sqlite3_bind_int64(prev, 3, (sqlite3_int64)x->seq);
		rc = sqlite3_step(prev);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			dbfail(l, e);
			return -2;
		}
		if (x->run_seq == 0 && rc == SQLITE_ROW)
			return fail(r, (long long)x->seq, "entry %" PRIu64 ": run '%s' starts twice",
			    x->seq, x->run_id);
		if (x->run_seq > 0) {
			char hex[2 * HASH_LEN + 1];
			const void *h = rc == SQLITE_ROW ? sqlite3_column_blob(prev, 1) : NULL;
			if (h == NULL || sqlite3_column_bytes(prev, 1) != HASH_LEN)
				return fail(r, (long long)x->seq, "entry %" PRIu64 ": run '%s' has no entry %"
				    PRIu64 " before it (one is missing or out of order)", x->seq,
				    x->run_id, x->run_seq - 1);
			hex32(hex, h);
			if (strcmp(x->run_prev, hex) != 0)
				return fail(r, (long long)x->seq, "entry %" PRIu64 ": run_prev does not "
				    "link to the run's previous entry (the run's chain is broken)", x->seq);
		}
		snprintf(c->run, sizeof(c->run), "%s", x->run_id);
	}
	if (x->run_seq == 0)
		r->runs++;
	c->next = x->run_seq + 1;
	hex32(c->last, leaf);
	return 0;
}

/*
 * The entries row q is on, expected at seq: its fields well formed, hashing
 * to its stored leaf hash (into lh), its payload to payload_sha256 or
 * erased. 1 good; 0 not (r failed); -1 e set.
 */
static int
check_row(sqlite3_stmt *q, uint64_t seq, struct ledger_entry *x, struct buf *leaf, mhash lh,
    struct lverify_result *r, struct phk_err *e)
{
	const unsigned char *stored, *pl;
	const char *bad;
	char phex[2 * HASH_LEN + 1];
	mhash ph;
	int pn;

	memset(x, 0, sizeof(*x));
	if (sqlite3_column_type(q, 0) != SQLITE_INTEGER ||
	    (uint64_t)sqlite3_column_int64(q, 0) != seq) {
		sqlite3_int64 got = sqlite3_column_int64(q, 0);
		fail(r, (long long)seq, "entry %" PRIu64 " is missing (the next entry is %lld): "
		    "deleted or renumbered", seq, (long long)got);
		return 0;
	}
	x->seq = seq;
	if (sqlite3_column_type(q, 2) != SQLITE_INTEGER || sqlite3_column_int64(q, 2) < 0 ||
	    copy_field(x->run_id, sizeof(x->run_id), (const char *)sqlite3_column_text(q, 1),
	    (size_t)sqlite3_column_bytes(q, 1)) < 0 ||
	    copy_field(x->run_prev, sizeof(x->run_prev), (const char *)sqlite3_column_text(q, 3),
	    (size_t)sqlite3_column_bytes(q, 3)) < 0 ||
	    copy_field(x->ts, sizeof(x->ts), (const char *)sqlite3_column_text(q, 4),
	    (size_t)sqlite3_column_bytes(q, 4)) < 0 ||
	    copy_field(x->actor, sizeof(x->actor), (const char *)sqlite3_column_text(q, 5),
	    (size_t)sqlite3_column_bytes(q, 5)) < 0 ||
	    copy_field(x->kind, sizeof(x->kind), (const char *)sqlite3_column_text(q, 6),
	    (size_t)sqlite3_column_bytes(q, 6)) < 0 ||
	    copy_field(x->payload_sha256, sizeof(x->payload_sha256),
	    (const char *)sqlite3_column_text(q, 7), (size_t)sqlite3_column_bytes(q, 7)) < 0) {
		fail(r, (long long)seq, "entry %" PRIu64 " has a field of the wrong type or size", seq);
		return 0;
	}
	x->run_seq = (uint64_t)sqlite3_column_int64(q, 2);
	if ((bad = entry_bad_field(x)) != NULL) {
		fail(r, (long long)seq, "entry %" PRIu64 ": field '%s' is malformed", seq, bad);
		return 0;
	}
	buf_reset(leaf);
	if (ledger_entry_json(x, leaf) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	merkle_leaf(lh, leaf->p, leaf->len);
	stored = sqlite3_column_blob(q, 8);
	if (stored == NULL || sqlite3_column_bytes(q, 8) != HASH_LEN ||
	    sodium_memcmp(stored, lh, HASH_LEN) != 0) {
		fail(r, (long long)seq, "entry %" PRIu64 ": its fields do not hash to its leaf "
		    "hash (an entry field was edited)", seq);
		return 0;
	}
	pl = sqlite3_column_blob(q, 10);
	pn = sqlite3_column_bytes(q, 10);
	if (sqlite3_column_type(q, 10) == SQLITE_NULL) {
		if (sqlite3_column_type(q, 11) == SQLITE_NULL) {
			fail(r, (long long)seq, "entry %" PRIu64 ": its payload is gone with no "
			    "anonymize or prune entry that erased it", seq);
			return 0;
		}
		r->erased++;
		return 1;
	}
	sha256(ph, pl ? pl : (const unsigned char *)"", (size_t)pn);
	hex32(phex, ph);
	if (strcmp(phex, x->payload_sha256) != 0) {
		fail(r, (long long)seq, "entry %" PRIu64 ": its payload does not match "
		    "payload_sha256 (the payload was edited)", seq);
		return 0;
	}
	return 1;
}

static int
pass_entries(struct ledger *l, const struct lverify_opts *o, const struct note_verifier *self,
    size_t nself, struct lverify_result *r, struct phk_err *e)
{
	sqlite3_stmt *q = NULL, *prevq = NULL;
	struct runslot *cache = NULL;
	struct ck_cursor ck = { 0 };
	struct merkle_frontier fr;
	struct ledger_entry x;
	struct buf leaf;
	mhash lh, done[64], since_root;
	uint64_t since_size = 0;
	int rc, ret = -1, nd, since_done = 0;

	buf_init(&leaf, 4096);
	merkle_frontier_init(&fr);
	if ((cache = calloc(RUNCACHE, sizeof(*cache))) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	if (o->since) {
		size_t off, len;
		if (since_note(r, o, &off, &len) < 0) {
			ret = 0;
			goto out;
		}
		if (check_note(r, o, self, nself, o->since + off, len, l->origin, &since_size,
		    since_root, "the saved checkpoint") < 0) {
			ret = 0;
			goto out;
		}
		r->has_since = 1;
		r->since_size = since_size;
	}
	if (prep(l, "SELECT seq, run_id, run_seq, run_prev, ts, actor, kind, payload_sha256, "
	    "leaf_hash, nodes, payload, (SELECT by_seq FROM erasures x WHERE x.seq = entries.seq) "
	    "FROM entries ORDER BY seq", &q, e) < 0 ||
	    prep(l, "SELECT size, note FROM checkpoints ORDER BY size, id", &ck.s, e) < 0 ||
	    prep(l, "SELECT seq, leaf_hash FROM entries WHERE run_id = ?1 AND run_seq = ?2 "
	    "AND seq < ?3", &prevq, e) < 0 ||
	    ck_next(l, &ck, e) < 0)
		goto out;
	for (;;) {
		const unsigned char *stored;
		int ns;

		if ((rc = ck_at(l, &ck, o, self, nself, &fr, r, e)) < 0) {
			ret = rc == -2 ? -1 : 0;
			goto out;
		}
		if (o->since && !since_done && fr.size == since_size) {
			mhash mine;
			merkle_frontier_root(&fr, mine);
			if (sodium_memcmp(mine, since_root, HASH_LEN) != 0) {
				fail(r, -1, "the ledger does not extend the saved checkpoint: its first %"
				    PRIu64 " entries hash to another root (rewritten or rolled back and "
				    "rebuilt)", since_size);
				ret = 0;
				goto out;
			}
			since_done = 1;
		}
		if ((rc = sqlite3_step(q)) == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			dbfail(l, e);
			goto out;
		}
		if ((rc = check_row(q, fr.size, &x, &leaf, lh, r, e)) <= 0) {
			ret = rc;
			goto out;
		}
		if ((rc = check_chain(l, prevq, cache, &x, lh, r, e)) < 0) {
			ret = rc == -2 ? -1 : 0;
			goto out;
		}
		nd = merkle_frontier_push(&fr, lh, done);
		stored = sqlite3_column_blob(q, 9);
		ns = sqlite3_column_bytes(q, 9);
		if (ns != nd * HASH_LEN || (nd && memcmp(stored, done, (size_t)ns) != 0)) {
			fail(r, (long long)x.seq, "entry %" PRIu64 ": the tree nodes stored with it are "
			    "not the tree's (proofs from this ledger would fail)", x.seq);
			ret = 0;
			goto out;
		}
	}
	r->entries = fr.size;
	merkle_frontier_root(&fr, r->root);
	if (ck.have) {
		fail(r, (long long)fr.size, "checkpoint %" PRIu64 " covers more than the %" PRIu64
		    " entries the ledger holds (its tail was truncated)", ck.size, fr.size);
		ret = 0;
		goto out;
	}
	if (o->since && since_size > fr.size) {
		fail(r, (long long)fr.size, "the saved checkpoint covers %" PRIu64 " entries but the "
		    "ledger holds %" PRIu64 " (rolled back or truncated)", since_size, fr.size);
		ret = 0;
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(q);
	sqlite3_finalize(prevq);
	sqlite3_finalize(ck.s);
	free(cache);
	buf_release(&leaf);
	return ret;
}

/*
 * An erasing entry (anonymize or prune) and its authorization: a note over
 * the erasure's scope (ledger_erasure_text), signed by a trusted key (or,
 * with none given, a key the ledger lists), whose fields are the entry's.
 * Fills scope (the run, or the time before which) and erased. 0, or -1
 * with r failed.
 */
static int
erasure_ok(struct lverify_result *r, const struct lverify_opts *o,
    const struct note_verifier *self, size_t nself, const char *origin, uint64_t seq,
    const char *kind, const char *run_id, const char *payload, size_t n, char scope[96],
    uint64_t *erased)
{
	json_t *p = payload ? json_loadb(payload, n, 0, NULL) : NULL, *body;
	const char *note, *sc;
	struct buf want;
	struct phk_err e;
	struct note nt;
	int anon = kind && !strcmp(kind, "anonymize"), k, ok = 0;

	buf_init(&want, 4096);
	if (!kind || (!anon && strcmp(kind, "prune"))) {
		fail(r, (long long)seq, "entry %" PRIu64 " is no anonymize or prune entry, yet "
		    "payloads are marked erased by it", seq);
		goto out;
	}
	body = json_object_get(p, anon ? "anonymize" : "prune");
	sc = json_string_value(json_object_get(body, anon ? "run_id" : "before"));
	note = json_string_value(json_object_get(p, "authorization"));
	if (!json_is_integer(json_object_get(body, "erased")) || sc == NULL || note == NULL ||
	    strlen(sc) >= 96) {
		fail(r, (long long)seq, "erasure entry %" PRIu64 " carries no authorization signed "
		    "with the ledger's key (erased by someone without it)", seq);
		goto out;
	}
	*erased = (uint64_t)json_integer_value(json_object_get(body, "erased"));
	snprintf(scope, 96, "%s", sc);
	if ((anon && strcmp(sc, run_id)) || ledger_erasure_text(&want, origin, kind, sc, seq,
	    *erased) < 0 || note_parse(&nt, note, strlen(note), &e) < 0 ||
	    nt.text_len != want.len || memcmp(note, want.p, want.len) != 0) {
		fail(r, (long long)seq, "erasure entry %" PRIu64 ": its authorization is not for "
		    "this erasure (another ledger, entry, scope or count)", seq);
		goto out;
	}
	k = o->nkeys ? note_verify(&nt, note, o->keys, o->nkeys) : note_verify(&nt, note, self, nself);
	if (k < 0) {
		fail(r, (long long)seq, "erasure entry %" PRIu64 ": its authorization is %s", seq,
		    k == -2 ? "forged or altered" : o->nkeys ? "not signed by the given key" :
		    "signed by no key the ledger lists");
		goto out;
	}
	ok = 1;
out:
	json_decref(p);
	buf_release(&want);
	return ok ? 0 : -1;
}

/* Every erasure row against the signed authorization of the entry that made it. */
static int
pass_erasures(struct ledger *l, const struct lverify_opts *o, const struct note_verifier *self,
    size_t nself, struct lverify_result *r, struct phk_err *e)
{
	sqlite3_stmt *q;
	long long cur = -1;
	uint64_t erased = 0, count = 0;
	char scope[96] = "", kind[16] = "";
	int rc;

	if (prep(l, "SELECT x.seq, x.by_seq, b.kind, b.run_id, b.payload, t.run_id, t.ts "
	    "FROM erasures x LEFT JOIN entries b ON b.seq = x.by_seq "
	    "LEFT JOIN entries t ON t.seq = x.seq ORDER BY x.by_seq, x.seq", &q, e) < 0)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(q, 0), by = sqlite3_column_int64(q, 1);
		const char *trun = (const char *)sqlite3_column_text(q, 5);
		const char *tts = (const char *)sqlite3_column_text(q, 6);

		if (by != cur) {
			if (cur >= 0 && count != erased) {
				fail(r, cur, "erasure entry %lld says it erased %" PRIu64 " payloads; %"
				    PRIu64 " are marked erased by it", cur, erased, count);
				goto done;
			}
			cur = by;
			count = 0;
			snprintf(kind, sizeof(kind), "%s", sqlite3_column_text(q, 2) ?
			    (const char *)sqlite3_column_text(q, 2) : "");
			if (erasure_ok(r, o, self, nself, l->origin, (uint64_t)by,
			    sqlite3_column_text(q, 2) ? kind : NULL,
			    (const char *)sqlite3_column_text(q, 3) ? (const char *)sqlite3_column_text(q, 3) : "",
			    sqlite3_column_blob(q, 4), (size_t)sqlite3_column_bytes(q, 4), scope,
			    &erased) < 0)
				goto done;
		}
		count++;
		if (!trun || !tts || seq >= by || (!strcmp(kind, "anonymize") && strcmp(trun, scope)) ||
		    (!strcmp(kind, "prune") && strcmp(tts, scope) >= 0)) {
			fail(r, seq, "entry %lld: its erasure is outside what entry %lld was authorized "
			    "to erase", seq, by);
			goto done;
		}
	}
	if (rc == SQLITE_DONE && cur >= 0 && count != erased)
		fail(r, cur, "erasure entry %lld says it erased %" PRIu64 " payloads; %" PRIu64
		    " are marked erased by it", cur, erased, count);
done:
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dbfail(l, e);
	return 0;
}

/* Every release against the approvals the ledger holds for its item. */
/*
 * Every break-glass approval of an item before entry `before`, judged by
 * the policy bound when it was made: its policy.bind entry lists who the
 * break_glass role holds (users by name, and groups, whose membership is
 * the system's: the approval names the group and is taken at its word).
 * 1 all held the role; 0 not, with why; -1 a database error.
 */
static int
break_glass_ok(struct ledger *l, const char *run, long long item, long long before, char *why,
    size_t n)
{
	sqlite3_stmt *q;
	int rc = SQLITE_DONE, ok = 1;

	if (sqlite3_prepare_v2(l->db, "WITH d AS (SELECT e.seq, e.actor, "
	    "json_extract(e.payload, '$.unix_user') AS u, "
	    "json_extract(e.payload, '$.break_glass_group') AS g, (SELECT b.payload FROM entries b "
	    "WHERE b.kind = 'policy.bind' AND b.run_id = 'phikit:policy' AND b.seq < e.seq AND "
	    "b.payload IS NOT NULL AND json_valid(b.payload) ORDER BY b.seq DESC LIMIT 1) AS bind "
	    "FROM entries e WHERE e.run_id = ?1 AND e.kind = 'hitl.decision' AND "
	    "e.payload IS NOT NULL AND json_valid(e.payload) AND "
	    "json_extract(e.payload, '$.item') = ?2 AND "
	    "json_type(e.payload, '$.break_glass') = 'true' AND e.seq < ?3) "
	    "SELECT seq, COALESCE(u, ''), actor, "
	    "json_type(bind, '$.policy.access.break_glass') IS NOT NULL, "
	    "EXISTS(SELECT 1 FROM json_each(d.bind, '$.policy.access.break_glass.users') "
	    "WHERE value = d.u), g IS NOT NULL AND "
	    "EXISTS(SELECT 1 FROM json_each(d.bind, '$.policy.access.break_glass.groups') "
	    "WHERE value = d.g) FROM d ORDER BY seq", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, item);
	sqlite3_bind_int64(q, 3, before);
	while (ok && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(q, 1);
		const char *actor = (const char *)sqlite3_column_text(q, 2);
		long long seq = sqlite3_column_int64(q, 0);
		if (actor == NULL || strcmp(actor, u))
			snprintf(why, n, "its break-glass approval (entry %lld) names %s, not its "
			    "actor", seq, u);
		else if (!sqlite3_column_int(q, 3))
			snprintf(why, n, "its break-glass approval (entry %lld) is under no bound "
			    "policy that lists who holds break_glass", seq);
		else if (!sqlite3_column_int(q, 4) && !sqlite3_column_int(q, 5))
			snprintf(why, n, "its break-glass approval (entry %lld) is by %s, whom the "
			    "policy bound then does not give break_glass", seq, u);
		else
			continue;
		ok = 0;
	}
	if (ok && rc != SQLITE_DONE)
		ok = -1;
	sqlite3_finalize(q);
	return ok;
}

static int
pass_releases(struct ledger *l, struct lverify_result *r, struct phk_err *e)
{
	sqlite3_stmt *q;
	char why[256];
	int rc, ok;

	if (prep(l, "SELECT seq, run_id, json_extract(payload, '$.item'), "
	    "json_extract(payload, '$.approvals_required') FROM entries "
	    "WHERE kind = 'hitl.release' AND payload IS NOT NULL AND json_valid(payload) "
	    "ORDER BY seq", &q, e) < 0)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(q, 0), item = sqlite3_column_int64(q, 2);
		const char *run = (const char *)sqlite3_column_text(q, 1);
		int req = sqlite3_column_int(q, 3);
		struct trail t;
		if (trail_read(l->db, run ? run : "", item, (uint64_t)seq, &t) < 0) {
			sqlite3_finalize(q);
			return dbfail(l, e);
		}
		if (t.required > req)
			req = t.required;
		ok = trail_releasable(&t, req > 0 ? req : 1, t.sod > 0, why, sizeof(why));
		if (ok && t.break_glass &&
		    (ok = break_glass_ok(l, run ? run : "", item, seq, why, sizeof(why))) < 0) {
			sqlite3_finalize(q);
			return dbfail(l, e);
		}
		if (!ok) {
			fail(r, seq, "entry %lld releases item %lld of run '%s', but %s", seq, item,
			    run ? run : "", why);
			break;
		}
		r->releases++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dbfail(l, e);
	return 0;
}

/* The review queue's rows, where the database has them, against the ledger. */
static int
pass_queue(struct ledger *l, struct lverify_result *r, struct phk_err *e)
{
	sqlite3_stmt *q;
	char why[256], hex[2 * HASH_LEN + 1];
	mhash d;
	int rc;

	if (prep(l, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'hitl_items'",
	    &q, e) < 0)
		return -1;
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : dbfail(l, e);
	if (prep(l, "SELECT id, run_id, status, record, record_sha256, released_at IS NOT NULL "
	    "FROM hitl_items ORDER BY id", &q, e) < 0)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(q, 0);
		const char *run = (const char *)sqlite3_column_text(q, 1);
		const char *status = (const char *)sqlite3_column_text(q, 2);
		const char *sha = (const char *)sqlite3_column_text(q, 4);
		int released = sqlite3_column_int(q, 5);
		struct trail t;
		const char *bad = NULL;

		if (trail_read(l->db, run ? run : "", id, UINT64_MAX, &t) < 0) {
			sqlite3_finalize(q);
			return dbfail(l, e);
		}
		sha256(d, sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3));
		hex32(hex, d);
		if (!t.enqueued)
			bad = "no hitl.enqueue entry queued it";
		else if (!sha || strcmp(hex, sha) || strcmp(hex, t.record_sha256))
			bad = "its stored record is not the one queued";
		else if (released != t.released)
			bad = released ? "it is marked released, the ledger shows no release" :
			    "the ledger shows it released, the row does not";
		else if (status && !strcmp(status, "rejected") && !t.rejected)
			bad = "it is marked rejected, the ledger shows no rejection";
		else if (status && !strcmp(status, "expired") && !t.expired)
			bad = "it is marked expired, the ledger shows no expiry";
		else if (status && !strcmp(status, "approved") && !t.released &&
		    !trail_releasable(&t, t.required > 0 ? t.required : 1, t.sod > 0, why, sizeof(why)))
			bad = why;
		else if (status && (!strcmp(status, "pending") || !strcmp(status, "escalated")) &&
		    (t.rejected || t.expired))
			bad = "it is marked pending, the ledger shows it decided";
		if (bad) {
			fail(r, -1, "queue item %lld (run '%s') disagrees with the ledger: %s", id,
			    run ? run : "", bad);
			break;
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dbfail(l, e);
	return 0;
}

int
lverify_db(struct ledger *l, const struct lverify_opts *o, struct lverify_result *r,
    struct phk_err *e)
{
	struct note_verifier self[MAX_SELF_KEYS];
	size_t nself = 0;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->ok = 1;
	r->bad_seq = -1;
	snprintf(r->origin, sizeof(r->origin), "%s", l->origin);
	/* one read transaction: a consistent snapshot while writers go on */
	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return dbfail(l, e);
	if (load_self_keys(l, self, &nself, e) < 0 ||
	    pass_entries(l, o, self, nself, r, e) < 0 ||
	    (r->ok && pass_erasures(l, o, self, nself, r, e) < 0) ||
	    (r->ok && pass_releases(l, r, e) < 0) ||
	    (r->ok && pass_queue(l, r, e) < 0))
		goto out;
	if (r->ok && o->nkeys && !r->has_ck)
		fail(r, -1, "no checkpoint: nothing signed by the given key covers this ledger");
	r->key_verified = r->ok && r->has_ck && o->nkeys > 0;
	ret = 0;
out:
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

/* ---- exported bundle ---- */

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
juint(json_t *o, const char *k, uint64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
jproof(json_t *a, mhash *p, size_t *np)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > MERKLE_MAX_PROOF)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *h = json_array_get(a, i);
		if (!json_is_string(h) || hex_hash(json_string_value(h), p[i]) < 0)
			return -1;
	}
	*np = json_array_size(a);
	return 0;
}

/* In a range bundle: the last entry seen of each run, to link the next to. */
struct rlast {
	char run[LEDGER_IDENT_MAX + 1];
	uint64_t run_seq;
	char leaf[2 * HASH_LEN + 1];
};

/* A bundle's "entry" object into x: 0, or -1 when a field has the wrong type or size. */
static int
jentry(json_t *en, struct ledger_entry *x)
{
	const char *s;
	uint64_t v;

	memset(x, 0, sizeof(*x));
	if (juint(en, "v", &v) < 0 || v != 1 || juint(en, "seq", &x->seq) < 0 ||
	    juint(en, "run_seq", &x->run_seq) < 0 ||
	    (s = jstr(en, "run_id")) == NULL || copy_field(x->run_id, sizeof(x->run_id), s, strlen(s)) < 0 ||
	    (s = jstr(en, "run_prev")) == NULL || copy_field(x->run_prev, sizeof(x->run_prev), s, strlen(s)) < 0 ||
	    (s = jstr(en, "ts")) == NULL || copy_field(x->ts, sizeof(x->ts), s, strlen(s)) < 0 ||
	    (s = jstr(en, "actor")) == NULL || copy_field(x->actor, sizeof(x->actor), s, strlen(s)) < 0 ||
	    (s = jstr(en, "kind")) == NULL || copy_field(x->kind, sizeof(x->kind), s, strlen(s)) < 0 ||
	    (s = jstr(en, "payload_sha256")) == NULL ||
	    copy_field(x->payload_sha256, sizeof(x->payload_sha256), s, strlen(s)) < 0)
		return -1;
	return 0;
}

/*
 * One element it of a bundle's entries (en its "entry"): the ledger's
 * fields, well formed, hashing to its leaf_hash (into lh), its payload to
 * payload_sha256 or erased by a later entry, and in the signed tree of
 * size leaves at its seq. 0, or -1 with r failed.
 */
static int
bundle_entry(json_t *it, json_t *en, size_t i, uint64_t size, const mhash root,
    struct ledger_entry *x, struct buf *leaf, mhash lh, struct lverify_result *r)
{
	static const char *const fields[] = { "actor", "kind", "payload_sha256", "run_id",
	    "run_prev", "run_seq", "seq", "ts", "v" };
	json_t *p = json_object_get(it, "payload");
	mhash ph, proof[MERKLE_MAX_PROOF], given;
	char hex[2 * HASH_LEN + 1];
	const char *s;
	long long at;
	size_t k, np;
	uint64_t v;

	if (json_object_size(en) != sizeof(fields) / sizeof(fields[0]))
		return fail(r, -1, "entries[%zu]: the entry has other fields than the ledger's", i);
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (json_object_get(en, fields[k]) == NULL)
			return fail(r, -1, "entries[%zu]: the entry lacks '%s'", i, fields[k]);
	if (jentry(en, x) < 0)
		return fail(r, -1, "entries[%zu]: a field has the wrong type or size", i);
	at = (long long)x->seq;
	if ((s = entry_bad_field(x)) != NULL)
		return fail(r, at, "entry %lld: field '%s' is malformed", at, s);
	buf_reset(leaf);
	if (ledger_entry_json(x, leaf) < 0)
		return fail(r, at, "out of memory");
	merkle_leaf(lh, leaf->p, leaf->len);
	if ((s = jstr(it, "leaf_hash")) == NULL || hex_hash(s, given) < 0 ||
	    sodium_memcmp(given, lh, HASH_LEN) != 0)
		return fail(r, at, "entry %lld: its fields do not hash to its leaf_hash (an entry "
		    "field was edited)", at);
	if (json_is_null(p)) {
		if (juint(it, "erased_by", &v) < 0 || v <= x->seq)
			return fail(r, at, "entry %lld: its payload is gone with no erasure that "
			    "explains it", at);
		r->erased++;
	} else if (json_is_string(p)) {
		if (json_object_get(it, "erased_by") != NULL)
			return fail(r, at, "entry %lld: it has erased_by but its payload is present",
			    at);
		sha256(ph, (const unsigned char *)json_string_value(p), json_string_length(p));
		hex32(hex, ph);
		if (strcmp(hex, x->payload_sha256) != 0)
			return fail(r, at, "entry %lld: its payload does not match payload_sha256 "
			    "(the payload was edited)", at);
	} else
		return fail(r, at, "entry %lld: payload is neither a string nor null", at);
	if (jproof(json_object_get(it, "inclusion_proof"), proof, &np) < 0 ||
	    !merkle_check_inclusion(proof, np, x->seq, size, lh, root))
		return fail(r, at, "entry %lld: its inclusion proof does not lead to the "
		    "checkpoint's root (not in the signed log at that place)", at);
	return 0;
}

static int
bundle_entries(json_t *doc, struct lverify_result *r, uint64_t size, const mhash root,
    int range, const char *from, const char *to)
{
	struct rlast *runs = NULL, *t;
	size_t nruns = 0, capruns = 0, ri;
	json_t *arr = json_object_get(doc, "entries"), *it, *en;
	char prev[2 * HASH_LEN + 1] = "";
	struct ledger_entry x;
	struct buf leaf;
	long long prev_seq = -1;
	size_t i;
	mhash lh;
	int ret = -1;

	buf_init(&leaf, 4096);
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		fail(r, -1, "the bundle has no entries");
		goto out;
	}
	json_array_foreach(arr, i, it) {
		long long at = (long long)i;
		if (!json_is_object(it) || !json_is_object(en = json_object_get(it, "entry"))) {
			fail(r, -1, "entries[%zu] is not an object with an \"entry\"", i);
			goto out;
		}
		if (bundle_entry(it, en, i, size, root, &x, &leaf, lh, r) < 0)
			goto out;
		at = (long long)x.seq;
		if (range) {
			/*
			 * A range: every entry stamped within it, in seq order; each
			 * links to its run's previous entry where the bundle holds that
			 * one (an entry before the range it cannot show).
			 */
			if ((from && strcmp(x.ts, from) < 0) || (to && strcmp(x.ts, to) >= 0)) {
				fail(r, at, "entry %lld is stamped %s, outside the bundle's range", at, x.ts);
				goto out;
			}
			if ((long long)x.seq <= prev_seq) {
				fail(r, at, "entry %lld: out of seq order", at);
				goto out;
			}
			for (ri = 0; ri < nruns && strcmp(runs[ri].run, x.run_id); ri++)
				;
			if (ri == nruns) {
				if (ARRAY_RESERVE(runs, capruns, nruns + 1) < 0) {
					fail(r, at, "out of memory");
					goto out;
				}
				t = &runs[nruns++];
				snprintf(t->run, sizeof(t->run), "%s", x.run_id);
				t->run_seq = (uint64_t)-1;
				r->runs = nruns;
			}
			t = &runs[ri];
			/* after a run's first entry in the range, its next must follow on */
			if (t->run_seq != (uint64_t)-1 && x.run_seq != t->run_seq + 1) {
				fail(r, at, "entry %lld is entry %" PRIu64 " of its run where %" PRIu64
				    " was expected (an entry is missing or out of order)", at, x.run_seq,
				    t->run_seq + 1);
				goto out;
			}
			if ((x.run_seq == 0 && x.run_prev[0] != '\0') ||
			    (t->run_seq != (uint64_t)-1 && strcmp(x.run_prev, t->leaf) != 0)) {
				fail(r, at, "entry %lld: run_prev does not link to the run's previous "
				    "entry", at);
				goto out;
			}
			t->run_seq = x.run_seq;
			hex32(t->leaf, lh);
			prev_seq = (long long)x.seq;
			r->entries++;
			continue;
		}
		/* the run's chain, from its first entry on */
		if (i == 0)
			snprintf(r->run_id, sizeof(r->run_id), "%s", x.run_id);
		if (strcmp(x.run_id, r->run_id) != 0) {
			fail(r, at, "entry %lld belongs to run '%s', not the bundle's run '%s'", at,
			    x.run_id, r->run_id);
			goto out;
		}
		if (x.run_seq != i) {
			fail(r, at, "entry %lld is entry %" PRIu64 " of its run where %zu was expected "
			    "(an entry is missing or out of order)", at, x.run_seq, i);
			goto out;
		}
		if (strcmp(x.run_prev, prev) != 0 || (long long)x.seq <= prev_seq) {
			fail(r, at, "entry %lld: run_prev does not link to the run's previous entry", at);
			goto out;
		}
		hex32(prev, lh);
		prev_seq = (long long)x.seq;
		r->entries++;
	}
	ret = 0;
out:
	free(runs);
	buf_release(&leaf);
	return ret;
}

/* An entry object of the bundle (entries or erasures) checked as bundle_entries does. */
static int
bundle_erasing_entry(json_t *it, struct lverify_result *r, uint64_t size, const mhash root,
    struct ledger_entry *x, const char **payload, size_t *pn)
{
	json_t *en = json_object_get(it, "entry"), *p = json_object_get(it, "payload");
	mhash lh, proof[MERKLE_MAX_PROOF], given, ph;
	char hex[2 * HASH_LEN + 1];
	struct buf leaf;
	const char *s;
	size_t np;
	int ok = 0;

	buf_init(&leaf, 4096);
	if (!json_is_object(en) || jentry(en, x) < 0 || entry_bad_field(x) != NULL ||
	    ledger_entry_json(x, &leaf) < 0) {
		fail(r, -1, "an erasing entry of the bundle is malformed");
		goto out;
	}
	merkle_leaf(lh, leaf.p, leaf.len);
	if ((s = jstr(it, "leaf_hash")) == NULL || hex_hash(s, given) < 0 ||
	    sodium_memcmp(given, lh, HASH_LEN) != 0 ||
	    jproof(json_object_get(it, "inclusion_proof"), proof, &np) < 0 ||
	    !merkle_check_inclusion(proof, np, x->seq, size, lh, root)) {
		fail(r, (long long)x->seq, "erasing entry %" PRIu64 " is not in the signed log at "
		    "that place", x->seq);
		goto out;
	}
	if (!json_is_string(p)) {
		fail(r, (long long)x->seq, "erasing entry %" PRIu64 " has no payload, so nothing "
		    "shows what authorized it", x->seq);
		goto out;
	}
	sha256(ph, (const unsigned char *)json_string_value(p), json_string_length(p));
	hex32(hex, ph);
	if (strcmp(hex, x->payload_sha256) != 0) {
		fail(r, (long long)x->seq, "erasing entry %" PRIu64 ": its payload was edited", x->seq);
		goto out;
	}
	*payload = json_string_value(p);
	*pn = json_string_length(p);
	ok = 1;
out:
	buf_release(&leaf);
	return ok ? 0 : -1;
}

/*
 * Every erased payload of the bundle against the entry that erased it,
 * which the bundle carries (among its entries, or in "erasures"), checked
 * in the signed log and by its signed authorization.
 */
static int
bundle_erasures(json_t *doc, struct lverify_result *r, const struct lverify_opts *o,
    const struct note_verifier *self, size_t nself, const char *origin, uint64_t size,
    const mhash root)
{
	json_t *arr = json_object_get(doc, "entries"), *er = json_object_get(doc, "erasures");
	json_t *it, *jt;
	size_t i, k;

	if (er && !json_is_array(er))
		return fail(r, -1, "the bundle's erasures is not an array");
	json_array_foreach(arr, i, it) {
		json_t *en = json_object_get(it, "entry"), *found = NULL;
		struct ledger_entry x;
		const char *pl, *kind, *run, *ts;
		char scope[96];
		uint64_t by, seq, erased, s2;
		size_t pn;

		if (!json_is_null(json_object_get(it, "payload")))
			continue;
		if (juint(it, "erased_by", &by) < 0 || juint(en, "seq", &seq) < 0)
			return fail(r, -1, "entries[%zu]: an erased payload names no erasure", i);
		{
			/* the entries are in seq order (bundle_entries checked): halve */
			size_t lo = 0, hi = json_array_size(arr);
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				jt = json_array_get(arr, mid);
				if (juint(json_object_get(jt, "entry"), "seq", &s2) < 0)
					break;
				if (s2 == by) {
					found = jt;
					break;
				}
				if (s2 < by)
					lo = mid + 1;
				else
					hi = mid;
			}
		}
		for (k = 0; !found && er && k < json_array_size(er); k++)
			if (juint(json_object_get(json_array_get(er, k), "entry"), "seq", &s2) == 0 &&
			    s2 == by)
				found = json_array_get(er, k);
		if (found == NULL)
			return fail(r, (long long)seq, "entry %" PRIu64 ": its payload is erased by entry %"
			    PRIu64 ", which the bundle does not carry", seq, by);
		if (bundle_erasing_entry(found, r, size, root, &x, &pl, &pn) < 0 ||
		    erasure_ok(r, o, self, nself, origin, x.seq, x.kind, x.run_id, pl, pn, scope,
		    &erased) < 0)
			return -1;
		kind = x.kind;
		run = jstr(en, "run_id");
		ts = jstr(en, "ts");
		if (run == NULL || ts == NULL || seq >= by ||
		    (!strcmp(kind, "anonymize") && strcmp(run, scope)) ||
		    (!strcmp(kind, "prune") && strcmp(ts, scope) >= 0))
			return fail(r, (long long)seq, "entry %" PRIu64 ": its erasure is outside what "
			    "entry %" PRIu64 " was authorized to erase", seq, by);
	}
	return 0;
}

/* In a run's bundle, which holds the whole run: every release against its approvals. */
static int
bundle_releases(json_t *doc, struct lverify_result *r)
{
	json_t *arr = json_object_get(doc, "entries"), *it, *jt;
	size_t i, k;
	char why[256];

	json_array_foreach(arr, i, it) {
		json_t *en = json_object_get(it, "entry"), *p;
		const char *kind = jstr(en, "kind"), *pl = jstr(it, "payload");
		struct trail t;
		uint64_t seq;
		long long item;
		int req;

		if (kind == NULL || strcmp(kind, "hitl.release") || pl == NULL ||
		    juint(en, "seq", &seq) < 0)
			continue;
		if ((p = json_loads(pl, 0, NULL)) == NULL)
			continue;
		item = json_integer_value(json_object_get(p, "item"));
		req = (int)json_integer_value(json_object_get(p, "approvals_required"));
		json_decref(p);
		trail_init(&t);
		json_array_foreach(arr, k, jt) {
			uint64_t s2;
			const char *pk = jstr(jt, "payload");
			if (k >= i || pk == NULL || juint(json_object_get(jt, "entry"), "seq", &s2) < 0)
				continue;
			trail_add(&t, jstr(json_object_get(jt, "entry"), "kind"), pk, strlen(pk), item);
		}
		if (t.required > req)
			req = t.required;
		if (!trail_releasable(&t, req > 0 ? req : 1, t.sod > 0, why, sizeof(why)))
			return fail(r, (long long)seq, "entry %" PRIu64 " releases item %lld, but %s",
			    seq, item, why);
		r->releases++;
	}
	return 0;
}

int
lverify_bundle(const char *path, const struct lverify_opts *o, struct lverify_result *r,
    struct phk_err *e)
{
	json_error_t je;
	json_t *doc;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ok = 1;
	r->bad_seq = -1;
	r->is_bundle = 1;
	r->runs = 1;
	memset(&je, 0, sizeof(je));
	if ((doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		char *near = strstr(je.text, " near '");
		const char *why = je.text;
		int st;
		/*
		 * jansson quotes the text it stopped at, and a byte or a \u
		 * escape in some reasons: a bundle's text may be PHI
		 */
		if (near)
			*near = '\0';
		if (!strncmp(je.text, "control character", 17) ||
		    !strncmp(je.text, "invalid Unicode", 15) ||
		    !strncmp(je.text, "unable to decode", 16) || je.text[0] == '\0')
			why = jscan_json_why(&je, 0, &st);
		if (je.text[0] == '\0')
			phk_err_set(e, PHK_EXIT_IO, "%s", why);
		else if (je.line <= 0 || strstr(je.text, "unable to open"))
			phk_err_set(e, PHK_EXIT_IO, "%s: %s", path, je.text);
		else
			fail(r, -1, "%s:%d:%d: not a JSON document: %s", path, je.line, je.column, why);
		return r->ok ? -1 : 0;
	}
	rc = lverify_bundle_doc(doc, o, r, e);
	json_decref(doc);
	return rc;
}

int
lverify_bundle_doc(struct json_t *doc, const struct lverify_opts *o, struct lverify_result *r,
    struct phk_err *e)
{
	struct note_verifier self[MAX_SELF_KEYS];
	size_t nself = 0, i;
	json_t *keys;
	const char *s, *origin, *from = NULL, *to = NULL;
	uint64_t v;
	mhash root, given;
	int range;

	memset(r, 0, sizeof(*r));
	r->ok = 1;
	r->bad_seq = -1;
	r->is_bundle = 1;
	r->runs = 1;
	if (!json_is_object(doc) || (s = jstr(doc, "format")) == NULL ||
	    strcmp(s, "phikit-audit-bundle") != 0 || juint(doc, "version", &v) < 0 || v != 1) {
		fail(r, -1, "not a phikit audit bundle (format phikit-audit-bundle, version 1)");
		goto done;
	}
	origin = jstr(doc, "origin");
	keys = json_object_get(doc, "verifier_keys");
	for (i = 0; json_is_array(keys) && i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		struct phk_err ignore;
		if (nself < MAX_SELF_KEYS && json_is_string(k) &&
		    note_verifier_parse(&self[nself], json_string_value(k), &ignore) == 0)
			nself++;
	}
	if ((s = jstr(doc, "checkpoint")) == NULL) {
		fail(r, -1, "the bundle has no checkpoint");
		goto done;
	}
	if (check_note(r, o, self, nself, s, strlen(s), origin, &r->ck_size, root,
	    "the bundle's checkpoint") < 0)
		goto done;
	r->has_ck = 1;
	r->checkpoints = 1;
	memcpy(r->root, root, HASH_LEN);
	/* the unsigned copies must agree with the signed text */
	if (origin == NULL) {
		fail(r, -1, "the bundle names no origin");
		goto done;
	}
	snprintf(r->origin, sizeof(r->origin), "%s", origin);
	if (juint(doc, "tree_size", &v) < 0 || v != r->ck_size) {
		fail(r, -1, "the bundle's tree_size is not its checkpoint's (%" PRIu64 ")", r->ck_size);
		goto done;
	}
	if ((s = jstr(doc, "root_hash")) == NULL || hex_hash(s, given) < 0 ||
	    sodium_memcmp(given, root, HASH_LEN) != 0) {
		fail(r, -1, "the bundle's root_hash is not its checkpoint's");
		goto done;
	}
	/* a run's bundle names its run; a range's names from and/or to instead */
	range = json_object_get(doc, "run_id") == NULL;
	if (range) {
		from = jstr(doc, "from");
		to = jstr(doc, "to");
		if ((from == NULL && to == NULL) ||
		    (json_object_get(doc, "from") && from == NULL) ||
		    (json_object_get(doc, "to") && to == NULL)) {
			fail(r, -1, "the bundle names neither a run_id nor a range (from, to)");
			goto done;
		}
		/*
		 * as trace-export writes them, a prefix of a ts: nothing else is
		 * signed about them, and they are printed back
		 */
		for (i = 0; i < 2; i++) {
			const char *t = i ? to : from;
			if (t && (strlen(t) < 4 || strlen(t) > LEDGER_TS_LEN ||
			    strspn(t, "0123456789-T:.Z") != strlen(t))) {
				fail(r, -1, "the bundle's %s is not a time (YYYY-MM-DD[THH:MM:SS])",
				    i ? "to" : "from");
				goto done;
			}
		}
		r->runs = 0;
		snprintf(r->range, sizeof(r->range), "%.40s to %.40s", from ? from : "the start",
		    to ? to : "the end");
	}
	if (bundle_entries(doc, r, r->ck_size, root, range, from, to) < 0 ||
	    bundle_erasures(doc, r, o, self, nself, origin, r->ck_size, root) < 0 ||
	    (!range && bundle_releases(doc, r) < 0))
		goto done;
	if (!range && ((s = jstr(doc, "run_id")) == NULL || strcmp(s, r->run_id) != 0)) {
		fail(r, -1, "the bundle's run_id is not its entries' run ('%s')", r->run_id);
		goto done;
	}
	if (o->since) {
		json_t *c = json_object_get(doc, "consistency");
		mhash old_root, proof[MERKLE_MAX_PROOF];
		uint64_t old_size, csize;
		size_t off, len, np;

		if (since_note(r, o, &off, &len) < 0)
			goto done;
		if (check_note(r, o, self, nself, o->since + off, len, origin, &old_size, old_root,
		    "the saved checkpoint") < 0)
			goto done;
		r->has_since = 1;
		r->since_size = old_size;
		if (old_size > r->ck_size) {
			fail(r, -1, "the saved checkpoint covers %" PRIu64 " entries, the bundle's only %"
			    PRIu64 " (rolled back)", old_size, r->ck_size);
			goto done;
		}
		if (!json_is_object(c) || juint(c, "size", &csize) < 0 || csize != old_size ||
		    (s = jstr(c, "root")) == NULL || hex_hash(s, given) < 0 ||
		    jproof(json_object_get(c, "proof"), proof, &np) < 0) {
			fail(r, -1, "the bundle carries no consistency proof from size %" PRIu64
			    " (export it with trace-export --since)", old_size);
			goto done;
		}
		if (sodium_memcmp(given, old_root, HASH_LEN) != 0 ||
		    !merkle_check_consistency(proof, np, old_size, old_root, r->ck_size, root)) {
			fail(r, -1, "the bundle's log does not extend the saved checkpoint (size %"
			    PRIu64 "): rewritten", old_size);
			goto done;
		}
	}
	r->key_verified = r->ok && o->nkeys > 0;
done:
	return 0;
}
