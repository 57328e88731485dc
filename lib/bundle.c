#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "jscan.h"
#include "lverify.h"
#include "sha256.h"

static int
put_hex(struct buf *b, const unsigned char *h)
{
	char hex[2 * HASH_LEN + 1];

	hex32(hex, h);
	return buf_addc(b, '"') < 0 || buf_adds(b, hex) < 0 || buf_addc(b, '"') < 0 ? -1 : 0;
}

static int
put_proof(struct buf *b, const mhash *p, int np)
{
	int i;

	if (buf_addc(b, '[') < 0)
		return -1;
	for (i = 0; i < np; i++)
		if ((i && buf_addc(b, ',') < 0) || put_hex(b, p[i]) < 0)
			return -1;
	return buf_addc(b, ']');
}

static int
dberr(struct ledger *l, struct phk_err *e)
{
	phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
	return -1;
}

/* The latest checkpoint, checked against the stored tree before anything is exported. */
static int
head_checkpoint(struct ledger *l, struct buf *note, uint64_t *size, mhash root, struct phk_err *e)
{
	struct note nt;
	char origin[256];
	mhash mine;
	int rc;

	if ((rc = ledger_latest_checkpoint(l, note, e)) < 0)
		return -1;
	if (rc == 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "the ledger has no signed checkpoint to prove "
		    "entries against; sign one: ledger-admin checkpoint --key FILE");
		return -1;
	}
	if (note_parse(&nt, note->p, note->len, e) < 0 ||
	    checkpoint_parse(note->p, nt.text_len, origin, size, root, e) < 0)
		return -1;
	if (*size == 0 || merkle_range_hash(ledger_get_node, l, 0, *size, mine) < 0 ||
	    sodium_memcmp(mine, root, HASH_LEN) != 0) {
		phk_err_set(e, PHK_EXIT_IO, "the latest checkpoint (size %" PRIu64 ") does not match "
		    "the stored tree; run ledger-verify", *size);
		return -1;
	}
	return 0;
}

#define ENTRY_COLS "seq, run_id, run_seq, run_prev, ts, actor, kind, payload_sha256, " \
    "leaf_hash, payload, (SELECT by_seq FROM erasures x WHERE x.seq = entries.seq)"

/* One entry of a query over ENTRY_COLS, with its inclusion proof, as the bundle holds it. */
static int
put_entry(struct ledger *l, sqlite3_stmt *q, uint64_t size, int comma, struct buf *b,
    struct phk_err *e)
{
	mhash proof[MERKLE_MAX_PROOF];
	struct ledger_entry x;
	uint64_t seq = (uint64_t)sqlite3_column_int64(q, 0);
	int np;

	memset(&x, 0, sizeof(x));
	x.seq = seq;
	x.run_seq = (uint64_t)sqlite3_column_int64(q, 2);
	snprintf(x.run_id, sizeof(x.run_id), "%s", (const char *)sqlite3_column_text(q, 1));
	snprintf(x.run_prev, sizeof(x.run_prev), "%s", (const char *)sqlite3_column_text(q, 3));
	snprintf(x.ts, sizeof(x.ts), "%s", (const char *)sqlite3_column_text(q, 4));
	snprintf(x.actor, sizeof(x.actor), "%s", (const char *)sqlite3_column_text(q, 5));
	snprintf(x.kind, sizeof(x.kind), "%s", (const char *)sqlite3_column_text(q, 6));
	snprintf(x.payload_sha256, sizeof(x.payload_sha256), "%s",
	    (const char *)sqlite3_column_text(q, 7));
	if (sqlite3_column_bytes(q, 8) != HASH_LEN) {
		phk_err_set(e, PHK_EXIT_IO, "entry %" PRIu64 " is damaged; run ledger-verify", seq);
		return -1;
	}
	if ((np = merkle_prove_inclusion(ledger_get_node, l, seq, size, proof)) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "cannot read the tree to prove entry %" PRIu64, seq);
		return -1;
	}
	if (buf_adds(b, comma ? ",\n{\"entry\":" : "\n{\"entry\":") < 0 ||
	    ledger_entry_json(&x, b) < 0 || buf_adds(b, ",\"leaf_hash\":") < 0 ||
	    put_hex(b, sqlite3_column_blob(q, 8)) < 0 || buf_adds(b, ",\"payload\":") < 0)
		goto oom;
	if (sqlite3_column_type(q, 9) == SQLITE_NULL) {
		if (buf_adds(b, "null,\"erased_by\":") < 0 ||
		    buf_addu(b, (unsigned long long)sqlite3_column_int64(q, 10)) < 0)
			goto oom;
	} else if (jstr_encode(b, sqlite3_column_blob(q, 9), (size_t)sqlite3_column_bytes(q, 9)) < 0)
		goto oom;
	if (buf_adds(b, ",\"inclusion_proof\":") < 0 || put_proof(b, proof, np) < 0 ||
	    buf_addc(b, '}') < 0)
		goto oom;
	return 0;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/*
 * The entries that erased payloads of the bundle and are not among its
 * entries (a prune, in run phikit:retention), so the bundle shows what
 * authorized every erasure it holds.
 */
static int
put_erasures(struct ledger *l, const struct bundle_opts *o, const uint64_t *by, size_t nby,
    uint64_t size, struct buf *b, struct phk_err *e)
{
	sqlite3_stmt *q;
	size_t i;
	int n = 0, rc;

	if (sqlite3_prepare_v2(l->db, "SELECT " ENTRY_COLS " FROM entries WHERE seq = ?1", -1, &q,
	    NULL) != SQLITE_OK)
		return dberr(l, e);
	for (i = 0; i < nby; i++) {
		const char *run, *ts;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, (sqlite3_int64)by[i]);
		if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
			sqlite3_finalize(q);
			if (rc == SQLITE_DONE)
				phk_err_set(e, PHK_EXIT_IO, "erasing entry %" PRIu64 " is missing; run "
				    "ledger-verify", by[i]);
			else
				dberr(l, e);
			return -1;
		}
		run = (const char *)sqlite3_column_text(q, 1);
		ts = (const char *)sqlite3_column_text(q, 4);
		if ((o->run && run && !strcmp(run, o->run)) || (!o->run && ts &&
		    (!o->from || strcmp(ts, o->from) >= 0) && (!o->to || strcmp(ts, o->to) < 0)))
			continue;	/* among the entries already */
		if (by[i] >= size) {
			sqlite3_finalize(q);
			phk_err_set(e, PHK_EXIT_USAGE, "erasing entry %" PRIu64 " is after the latest "
			    "checkpoint (size %" PRIu64 "); sign one first: ledger-admin checkpoint",
			    by[i], size);
			return -1;
		}
		if ((n == 0 && buf_adds(b, "\n],\n\"erasures\":[") < 0) ||
		    put_entry(l, q, size, n > 0, b, e) < 0) {
			sqlite3_finalize(q);
			if (n == 0)
				phk_err_set(e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
		n++;
	}
	sqlite3_finalize(q);
	return n;
}

long
bundle_write(struct ledger *l, const struct bundle_opts *o, FILE *f, struct phk_err *e)
{
	sqlite3_stmt *q = NULL, *k = NULL;
	struct buf b, note;
	uint64_t *erasers = NULL;
	size_t nby = 0, capby = 0;
	mhash root, proof[MERKLE_MAX_PROOF];
	char ts[LEDGER_TS_LEN + 1];
	uint64_t size;
	long count = -1, n = 0;
	int rc, np, first;

	buf_init(&b, (size_t)-1 / 4);
	buf_init(&note, 1 << 16);
	/* one read transaction: the checkpoint and the entries are one snapshot */
	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		dberr(l, e);
		goto out;
	}
	if (head_checkpoint(l, &note, &size, root, e) < 0)
		goto out;
	ledger_now(ts);
	if (buf_adds(&b, "{\"format\":\"phikit-audit-bundle\",\"version\":1,\n\"origin\":\"") < 0 ||
	    buf_adds(&b, l->origin) < 0 || buf_adds(&b, "\"") < 0 ||
	    (o->run && (buf_adds(&b, ",\n\"run_id\":\"") < 0 || buf_adds(&b, o->run) < 0 ||
	    buf_addc(&b, '"') < 0)) ||
	    (o->from && (buf_adds(&b, ",\n\"from\":\"") < 0 || buf_adds(&b, o->from) < 0 ||
	    buf_addc(&b, '"') < 0)) ||
	    (o->to && (buf_adds(&b, ",\n\"to\":\"") < 0 || buf_adds(&b, o->to) < 0 ||
	    buf_addc(&b, '"') < 0)) ||
	    buf_adds(&b, ",\n\"exported\":\"") < 0 ||
	    buf_adds(&b, ts) < 0 || buf_adds(&b, "\",\n\"checkpoint\":") < 0 ||
	    jstr_encode(&b, note.p, note.len) < 0 ||
	    buf_adds(&b, ",\n\"tree_size\":") < 0 || buf_addu(&b, size) < 0 ||
	    buf_adds(&b, ",\n\"root_hash\":") < 0 || put_hex(&b, root) < 0 ||
	    buf_adds(&b, ",\n\"verifier_keys\":[") < 0)
		goto oom;
	if (sqlite3_prepare_v2(l->db, "SELECT vkey FROM keys ORDER BY vkey", -1, &k, NULL) != SQLITE_OK) {
		dberr(l, e);
		goto out;
	}
	for (first = 1; (rc = sqlite3_step(k)) == SQLITE_ROW; first = 0) {
		const char *v = (const char *)sqlite3_column_text(k, 0);
		if ((!first && buf_addc(&b, ',') < 0) || jstr_encode(&b, v, strlen(v)) < 0)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		dberr(l, e);
		goto out;
	}
	if (buf_adds(&b, "],\n") < 0)
		goto oom;
	if (o->since) {
		struct note nt;
		char origin[256];
		uint64_t old;
		mhash old_root;
		size_t off, len;

		if (lverify_since_note(o->since, o->since_len, &off, &len) < 0 ||
		    note_parse(&nt, o->since + off, len, e) < 0 ||
		    checkpoint_parse(o->since + off, nt.text_len, origin, &old, old_root, e) < 0) {
			phk_err_set(e, PHK_EXIT_USAGE, "--since: no signed checkpoint in the file");
			goto out;
		}
		if (strcmp(origin, l->origin) != 0 || old > size) {
			phk_err_set(e, PHK_EXIT_USAGE, "--since: that checkpoint (size %" PRIu64 ") is "
			    "not of this ledger's current tree", old);
			goto out;
		}
		if ((np = merkle_prove_consistency(ledger_get_node, l, old, size, proof)) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "cannot read the tree to prove consistency");
			goto out;
		}
		if (buf_adds(&b, "\"consistency\":{\"size\":") < 0 || buf_addu(&b, old) < 0 ||
		    buf_adds(&b, ",\"root\":") < 0 || put_hex(&b, old_root) < 0 ||
		    buf_adds(&b, ",\"proof\":") < 0 || put_proof(&b, proof, np) < 0 ||
		    buf_adds(&b, "},\n") < 0)
			goto oom;
	}
	if (buf_adds(&b, "\"entries\":[") < 0)
		goto oom;
	if (sqlite3_prepare_v2(l->db, "SELECT " ENTRY_COLS " FROM entries WHERE (?1 IS NULL OR "
	    "run_id = ?1) AND (?2 IS NULL OR ts >= ?2) AND (?3 IS NULL OR ts < ?3) ORDER BY seq",
	    -1, &q, NULL) != SQLITE_OK) {
		dberr(l, e);
		goto out;
	}
	sqlite3_bind_text(q, 1, o->run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, o->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, o->to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(q, 0);

		if (seq >= size) {
			if (o->run)
				phk_err_set(e, PHK_EXIT_USAGE, "run '%s' has entries after the latest "
				    "checkpoint (size %" PRIu64 "); sign one first: ledger-admin "
				    "checkpoint", o->run, size);
			else
				phk_err_set(e, PHK_EXIT_USAGE, "the range has entries after the latest "
				    "checkpoint (size %" PRIu64 "); sign one first: ledger-admin "
				    "checkpoint", size);
			goto out;
		}
		if (put_entry(l, q, size, n > 0, &b, e) < 0)
			goto out;
		if (sqlite3_column_type(q, 9) == SQLITE_NULL) {
			/* what erased it, once: a prune erases many */
			uint64_t by = (uint64_t)sqlite3_column_int64(q, 10);
			size_t i;
			for (i = 0; i < nby && erasers[i] != by; i++)
				;
			if (i == nby) {
				if (ARRAY_RESERVE(erasers, capby, nby + 1) < 0)
					goto oom;
				erasers[nby++] = by;
			}
		}
		n++;
		/* stream: a run can be long */
		if (b.len > (1u << 20)) {
			if (fwrite(b.p, 1, b.len, f) != b.len) {
				phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
				goto out;
			}
			buf_reset(&b);
		}
	}
	if (rc != SQLITE_DONE) {
		dberr(l, e);
		goto out;
	}
	if (n == 0) {
		if (o->run)
			phk_err_set(e, PHK_EXIT_USAGE, "no run '%s' in the ledger", o->run);
		else
			phk_err_set(e, PHK_EXIT_USAGE, "no entries stamped in that range");
		goto out;
	}
	if ((rc = put_erasures(l, o, erasers, nby, size, &b, e)) < 0)
		goto out;
	if (buf_adds(&b, "\n]}\n") < 0)
		goto oom;
	if (fwrite(b.p, 1, b.len, f) != b.len) {
		phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
		goto out;
	}
	count = n;
	goto out;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
out:
	sqlite3_finalize(q);
	sqlite3_finalize(k);
	free(erasers);
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	buf_release(&b);
	buf_release(&note);
	return count;
}
