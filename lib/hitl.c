#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "annot.h"
#include "bind.h"
#include "ckpt.h"
#include "dbpolicy.h"
#include "hitl.h"
#include "http.h"
#include "jscan.h"
#include "sha256.h"
#include "toolcall.h"
#include "trail.h"

/*
 * The queue's tables. Items change state (triggers keep a decided item
 * decided and forbid deleting one); decisions are append-only. The
 * authoritative trail is the ledger: every change here is committed with
 * the entry that records it.
 */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS hitl_items("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, status TEXT NOT NULL,"
    " reason TEXT NOT NULL, tool TEXT, record BLOB NOT NULL, record_sha256 TEXT NOT NULL,"
    " queued_by TEXT NOT NULL, queued_at TEXT NOT NULL, queued_ms INTEGER NOT NULL,"
    " changed_ms INTEGER NOT NULL, released_at TEXT, released_by TEXT);"
    "CREATE INDEX IF NOT EXISTS hitl_items_status ON hitl_items(status, id);"
    "CREATE TABLE IF NOT EXISTS hitl_decisions("
    " id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES hitl_items(id),"
    " reviewer TEXT NOT NULL, unix_user TEXT NOT NULL, decision TEXT NOT NULL,"
    " notes TEXT NOT NULL, ts TEXT NOT NULL, seq INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS hitl_decisions_item ON hitl_decisions(item);"
    "CREATE TRIGGER IF NOT EXISTS hitl_items_no_delete BEFORE DELETE ON hitl_items BEGIN"
    " SELECT RAISE(ABORT, 'phikit hitl: queued items are kept'); END;"
    "CREATE TRIGGER IF NOT EXISTS hitl_items_decided BEFORE UPDATE ON hitl_items"
    " WHEN OLD.status IN ('approved', 'rejected', 'expired') AND NEW.status IS NOT OLD.status"
    " OR NEW.record IS NOT OLD.record OR NEW.id IS NOT OLD.id"
    " OR OLD.released_at IS NOT NULL BEGIN"
    " SELECT RAISE(ABORT, 'phikit hitl: a decided item stays decided'); END;"
    "CREATE TRIGGER IF NOT EXISTS hitl_decisions_no_update BEFORE UPDATE ON hitl_decisions BEGIN"
    " SELECT RAISE(ABORT, 'phikit hitl: decisions are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS hitl_decisions_no_delete BEFORE DELETE ON hitl_decisions BEGIN"
    " SELECT RAISE(ABORT, 'phikit hitl: decisions are append-only'); END;"
    /* break-glass approvals and their reviews after the fact: open, overdue, reviewed */
    "CREATE TABLE IF NOT EXISTS hitl_break_glass("
    " item INTEGER PRIMARY KEY REFERENCES hitl_items(id), by_user TEXT NOT NULL,"
    " reviewer TEXT NOT NULL, ts TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    " due_ms INTEGER NOT NULL, state TEXT NOT NULL, review_by TEXT, review TEXT,"
    " review_seq INTEGER);"
    "CREATE TRIGGER IF NOT EXISTS hitl_break_glass_no_delete BEFORE DELETE ON hitl_break_glass"
    " BEGIN SELECT RAISE(ABORT, 'phikit hitl: break-glass approvals are kept'); END;";

#define ITEM_COLS "i.id, i.run_id, i.status, i.reason, COALESCE(i.tool, ''), i.queued_by," \
    " i.queued_at, i.record_sha256, COALESCE(i.released_at, ''), COALESCE(i.released_by, '')," \
    " (SELECT COUNT(DISTINCT d.unix_user) FROM hitl_decisions d WHERE d.item = i.id" \
    " AND d.decision = 'approve')"

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int
dberr(struct hitl *h, struct phk_err *e, const char *what)
{
	int code = sqlite3_errcode(h->l->db);

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		phk_err_set(e, PHK_EXIT_IO, "database '%s' is locked (%s)", h->l->path, what);
	else
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s: %s", h->l->path, what,
		    sqlite3_errmsg(h->l->db));
	return -1;
}

static sqlite3_stmt *
prep(struct hitl *h, const char *q, struct phk_err *e)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(h->l->db, q, -1, &s, NULL) != SQLITE_OK) {
		dberr(h, e, "prepare");
		return NULL;
	}
	return s;
}

static void
copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int
oom(struct phk_err *e)
{
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/* ---- JSON payloads ---- */

static int
j_str(struct buf *b, const char *key, const char *val)
{
	if (buf_adds(b, b->len > 1 ? ",\"" : "\"") < 0 || buf_adds(b, key) < 0 ||
	    buf_adds(b, "\":") < 0)
		return -1;
	return jstr_encode(b, val, strlen(val));
}

static int
j_int(struct buf *b, const char *key, long long v)
{
	return buf_printf(b, "%s\"%s\":%lld", b->len > 1 ? "," : "", key, v);
}

/* ---- the ledger, in the queue's transactions ---- */

static int
log_entry(struct hitl *h, const char *run, const char *kind, const struct buf *pay,
    struct phk_err *e)
{
	struct ledger_rec r;

	memset(&r, 0, sizeof(r));
	r.run_id = run;
	r.actor = h->user;
	r.kind = kind;
	r.payload = pay->p;
	r.n = pay->len;
	return ledger_append_locked(h->l, &r, 1, e);
}

static int
begin(struct hitl *h, struct phk_err *e)
{
	return ledger_begin(h->l, e);
}

/*
 * Signs the new head (with a key) and commits; rolls back on failure. The
 * signed note goes to the checkpoint file, once committed.
 */
static int
finish(struct hitl *h, struct phk_err *e)
{
	buf_reset(&h->note);
	if (h->sk && ledger_sign_locked(h->l, h->sk, h->ckfd >= 0 ? &h->note : NULL, e) < 0) {
		ledger_rollback(h->l);
		return -1;
	}
	if (ledger_commit(h->l, e) < 0)
		return -1;
	if (h->ckfd >= 0 && h->note.len && ckpt_write(h->ckfd, h->note.p, h->note.len, e) < 0)
		return -1;
	return 0;
}

/* The approvals an item needs: what it was queued under, and no fewer than the policy now. */
static int
needed(const struct hitl *h, const struct trail *t)
{
	int now = h->pol->hitl.approvals_required > 0 ? h->pol->hitl.approvals_required : 1;

	return t->required > now ? t->required : now;
}

static int
fail(struct hitl *h)
{
	ledger_rollback(h->l);
	return -1;
}

/* ---- the webhook ---- */

int
hitl_webhook_ok(const char *url, struct phk_err *e)
{
	if (http_url_check(url, 0, e) == 0)
		return 0;
	if (e->status == PHK_EXIT_USAGE)
		phk_err_set(e, PHK_EXIT_USAGE, "webhook '%.200s' must be https, or http to a "
		    "loopback address", url);
	return -1;
}

/*
 * POSTs {event, item, run_id, reason, status}, once: a failure is only a
 * warning, and the queue does not wait on a slow hook for long.
 */
static void
notify(struct hitl *h, const char *event, long long item, const char *run,
    const char *reason, const char *status)
{
	static const char *const hdr[] = { "Content-Type: application/json", NULL };
	struct http_result res;
	struct http_opts o;
	struct phk_err he;
	char msg[512];
	struct buf b;

	if (h->webhook == NULL)
		return;
	buf_init(&b, 1 << 16);
	if (buf_addc(&b, '{') < 0 || j_str(&b, "event", event) < 0 || j_int(&b, "item", item) < 0 ||
	    j_str(&b, "run_id", run) < 0 || j_str(&b, "reason", reason) < 0 ||
	    j_str(&b, "status", status) < 0 || buf_addc(&b, '}') < 0) {
		buf_release(&b);
		return;
	}
	http_opts_init(&o);
	o.timeout_ms = 5000;
	o.retries = 0;
	http_result_init(&res);
	if (http_post(&o, h->webhook, hdr, NULL, b.p, b.len, &res, &he) < 0) {
		if (res.status)
			snprintf(msg, sizeof(msg), "webhook: %s of item %lld: the server answered %ld",
			    event, item, res.status);
		else
			snprintf(msg, sizeof(msg), "webhook: %s of item %lld not delivered: %.400s",
			    event, item, he.msg);
		if (h->warn)
			h->warn(h->wctx, msg);
	}
	http_result_release(&res);
	buf_release(&b);
}

/* ---- opening, sweeping ---- */

void
hitl_init(struct hitl *h)
{
	memset(h, 0, sizeof(*h));
	buf_init(&h->pay, 1 << 20);
	buf_init(&h->tmp, (size_t)-1 / 4);
	buf_init(&h->note, 1 << 16);
	buf_init(&h->clean, 1 << 16);
	toolcalls_init(&h->tc);
	h->ckfd = -1;
}

void
hitl_release(struct hitl *h)
{
	buf_release(&h->pay);
	buf_release(&h->tmp);
	buf_release(&h->note);
	buf_release(&h->clean);
	toolcalls_release(&h->tc);
}

int
hitl_open(struct hitl *h, struct phk_err *e)
{
	if (sqlite3_exec(h->l->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(h, e, "create the queue's tables");
	return hitl_sweep(h, e);
}

struct swept {
	long long id;
	char run[LEDGER_IDENT_MAX + 1], reason[32];
	long long since;	/* when it was queued, or escalated, or the glass broken */
	long long secs;		/* a break-glass review: the time it had */
};

/* One kind of timeout: pending to escalated, or escalated to expired. */
static int
sweep_one(struct hitl *h, int escalate, long long now, struct swept **sw, size_t *nsw,
    size_t *cap, struct phk_err *e)
{
	const char *from = escalate ? "pending" : "escalated", *to = escalate ? "escalated" : "expired";
	long secs = escalate ? h->timeout_s : h->expire_s;
	sqlite3_stmt *s, *u = NULL;
	size_t first = *nsw, i;
	int rc;

	if (secs <= 0)
		return 0;
	if ((s = prep(h, escalate ? "SELECT id, run_id, reason, queued_ms FROM hitl_items "
	    "WHERE status = 'pending' AND queued_ms <= ?1 ORDER BY id" :
	    "SELECT id, run_id, reason, changed_ms FROM hitl_items "
	    "WHERE status = 'escalated' AND changed_ms <= ?1 ORDER BY id", e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now - (long long)secs * 1000);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(*sw, *cap, *nsw + 1) < 0) {
			sqlite3_finalize(s);
			return oom(e);
		}
		(*sw)[*nsw].id = sqlite3_column_int64(s, 0);
		copy_col((*sw)[*nsw].run, sizeof((*sw)[0].run), s, 1);
		copy_col((*sw)[*nsw].reason, sizeof((*sw)[0].reason), s, 2);
		(*sw)[*nsw].since = sqlite3_column_int64(s, 3);
		(*nsw)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(h, e, "sweep");
	/*
	 * An item escalates, in principle, when its timeout passed, not when a
	 * command noticed: so it expires on time even if no one looked between.
	 */
	if ((u = prep(h, "UPDATE hitl_items SET status = ?1, changed_ms = ?2 WHERE id = ?3", e)) == NULL)
		return -1;
	for (i = first; i < *nsw; i++) {
		struct swept *w = &(*sw)[i];
		sqlite3_reset(u);
		sqlite3_bind_text(u, 1, to, -1, SQLITE_STATIC);
		sqlite3_bind_int64(u, 2, escalate ? w->since + (long long)secs * 1000 : now);
		sqlite3_bind_int64(u, 3, w->id);
		if (sqlite3_step(u) != SQLITE_DONE) {
			dberr(h, e, "sweep");
			sqlite3_finalize(u);
			return -1;
		}
		buf_reset(&h->pay);
		if (buf_addc(&h->pay, '{') < 0 || j_int(&h->pay, "item", w->id) < 0 ||
		    j_str(&h->pay, "from", from) < 0 || j_str(&h->pay, "to", to) < 0 ||
		    j_int(&h->pay, escalate ? "timeout_s" : "expire_s", secs) < 0 ||
		    j_int(&h->pay, "waited_ms", now - w->since) < 0 ||
		    j_str(&h->pay, "policy_sha256", h->pol->sha256) < 0 || buf_addc(&h->pay, '}') < 0) {
			sqlite3_finalize(u);
			return oom(e);
		}
		if (log_entry(h, w->run, escalate ? "hitl.escalate" : "hitl.expire", &h->pay, e) < 0) {
			sqlite3_finalize(u);
			return -1;
		}
	}
	sqlite3_finalize(u);
	return 0;
}

/*
 * Break-glass approvals whose review after the fact is overdue: open to
 * overdue, logged as hitl.escalate, as a pending item's timeout is.
 */
static int
sweep_reviews(struct hitl *h, long long now, struct swept **sw, size_t *nsw, size_t *cap,
    struct phk_err *e)
{
	sqlite3_stmt *s, *u = NULL;
	size_t first = *nsw, i;
	long long secs;
	int rc;

	if ((s = prep(h, "SELECT b.item, i.run_id, i.reason, b.at_ms, b.due_ms FROM hitl_break_glass b "
	    "JOIN hitl_items i ON i.id = b.item WHERE b.state = 'open' AND b.due_ms > 0 AND "
	    "b.due_ms <= ?1 ORDER BY b.item", e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(*sw, *cap, *nsw + 1) < 0) {
			sqlite3_finalize(s);
			return oom(e);
		}
		(*sw)[*nsw].id = sqlite3_column_int64(s, 0);
		copy_col((*sw)[*nsw].run, sizeof((*sw)[0].run), s, 1);
		copy_col((*sw)[*nsw].reason, sizeof((*sw)[0].reason), s, 2);
		(*sw)[*nsw].since = sqlite3_column_int64(s, 3);
		(*sw)[*nsw].secs = (sqlite3_column_int64(s, 4) - (*sw)[*nsw].since) / 1000;
		(*nsw)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(h, e, "sweep");
	if ((u = prep(h, "UPDATE hitl_break_glass SET state = 'overdue' WHERE item = ?1", e)) == NULL)
		return -1;
	for (i = first, rc = 0; i < *nsw && rc == 0; i++) {
		struct swept *w = &(*sw)[i];
		sqlite3_reset(u);
		sqlite3_bind_int64(u, 1, w->id);
		if (sqlite3_step(u) != SQLITE_DONE) {
			rc = dberr(h, e, "sweep");
			break;
		}
		secs = w->secs;
		buf_reset(&h->pay);
		if (buf_addc(&h->pay, '{') < 0 || j_int(&h->pay, "item", w->id) < 0 ||
		    j_str(&h->pay, "review", "break_glass") < 0 || j_str(&h->pay, "from", "due") < 0 ||
		    j_str(&h->pay, "to", "overdue") < 0 ||
		    j_int(&h->pay, "break_glass_review_s", secs) < 0 ||
		    j_int(&h->pay, "waited_ms", now - w->since) < 0 ||
		    j_str(&h->pay, "policy_sha256", h->pol->sha256) < 0 || buf_addc(&h->pay, '}') < 0)
			rc = oom(e);
		else
			rc = log_entry(h, w->run, "hitl.escalate", &h->pay, e);
	}
	sqlite3_finalize(u);
	return rc;
}

int
hitl_sweep(struct hitl *h, struct phk_err *e)
{
	struct swept *sw = NULL;
	size_t nsw = 0, cap = 0, i, nesc, nexp;
	long long now = now_ms();
	sqlite3_stmt *s;
	int rc, any;

	/* a cheap look first: most commands find nothing due and take no lock */
	if ((s = prep(h, "SELECT EXISTS(SELECT 1 FROM hitl_items WHERE (status = 'pending' AND "
	    "?1 > 0 AND queued_ms <= ?2) OR (status = 'escalated' AND ?3 > 0 AND changed_ms <= ?4)) "
	    "OR EXISTS(SELECT 1 FROM hitl_break_glass WHERE state = 'open' AND due_ms > 0 AND "
	    "due_ms <= ?5)", e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, h->timeout_s);
	sqlite3_bind_int64(s, 2, now - (long long)h->timeout_s * 1000);
	sqlite3_bind_int64(s, 3, h->expire_s);
	sqlite3_bind_int64(s, 4, now - (long long)h->expire_s * 1000);
	sqlite3_bind_int64(s, 5, now);
	rc = sqlite3_step(s);
	any = rc == SQLITE_ROW && sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return dberr(h, e, "sweep");
	if (!any)
		return 0;
	if (begin(h, e) < 0)
		return -1;
	if (sweep_one(h, 1, now, &sw, &nsw, &cap, e) < 0)
		goto bad;
	nesc = nsw;
	if (sweep_one(h, 0, now, &sw, &nsw, &cap, e) < 0)
		goto bad;
	nexp = nsw;
	if (sweep_reviews(h, now, &sw, &nsw, &cap, e) < 0)
		goto bad;
	if (nsw == 0) {
		/* another command swept first: nothing to commit or sign */
		ledger_rollback(h->l);
		return 0;
	}
	if (finish(h, e) < 0) {
		free(sw);
		return -1;
	}
	for (i = 0; i < nesc; i++)
		notify(h, "escalate", sw[i].id, sw[i].run, sw[i].reason, "escalated");
	for (i = nexp; i < nsw; i++)
		notify(h, "escalate", sw[i].id, sw[i].run, sw[i].reason, "break-glass-review-overdue");
	free(sw);
	return 0;
bad:
	free(sw);
	return fail(h);
}

/* ---- reading ---- */

static void
read_item(sqlite3_stmt *s, struct hitl_item *it)
{
	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(s, 0);
	copy_col(it->run_id, sizeof(it->run_id), s, 1);
	copy_col(it->status, sizeof(it->status), s, 2);
	copy_col(it->reason, sizeof(it->reason), s, 3);
	copy_col(it->tool, sizeof(it->tool), s, 4);
	copy_col(it->queued_by, sizeof(it->queued_by), s, 5);
	copy_col(it->queued_at, sizeof(it->queued_at), s, 6);
	copy_col(it->record_sha256, sizeof(it->record_sha256), s, 7);
	copy_col(it->released_at, sizeof(it->released_at), s, 8);
	copy_col(it->released_by, sizeof(it->released_by), s, 9);
	it->approvals = sqlite3_column_int(s, 10);
}

int
hitl_get(struct hitl *h, long long id, struct hitl_item *it, struct phk_err *e)
{
	sqlite3_stmt *s = prep(h, "SELECT " ITEM_COLS " FROM hitl_items i WHERE i.id = ?1", e);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_item(s, it);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(h, e, "read an item");
	return rc == SQLITE_ROW;
}

int
hitl_list(struct hitl *h, const char *status, const char *run,
    int (*fn)(void *ctx, const struct hitl_item *it), void *ctx, struct phk_err *e)
{
	sqlite3_stmt *s = prep(h, "SELECT " ITEM_COLS " FROM hitl_items i WHERE "
	    "(?1 IS NULL OR i.status = ?1 OR (?1 = 'released' AND i.released_at IS NOT NULL)) "
	    "AND (?2 IS NULL OR i.run_id = ?2) ORDER BY i.id", e);
	struct hitl_item it;
	int rc;

	if (s == NULL)
		return -1;
	if (status)
		sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
	if (run)
		sqlite3_bind_text(s, 2, run, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_item(s, &it);
		if (fn(ctx, &it) < 0) {
			sqlite3_finalize(s);
			phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(h, e, "list items");
	return 0;
}

int
hitl_break_glass_list(struct hitl *h, const char *run,
    int (*fn)(void *ctx, const struct hitl_bg *b), void *ctx, struct phk_err *e)
{
	sqlite3_stmt *s = prep(h, "SELECT b.item, i.run_id, CASE WHEN i.released_at IS NULL THEN "
	    "i.status ELSE 'released' END, b.by_user, b.reviewer, b.ts, b.due_ms, b.state, "
	    "COALESCE(b.review_by, ''), COALESCE(b.review, '') FROM hitl_break_glass b "
	    "JOIN hitl_items i ON i.id = b.item WHERE ?1 IS NULL OR i.run_id = ?1 ORDER BY b.item", e);
	struct hitl_bg b;
	struct tm tm;
	time_t t;
	int rc;

	if (s == NULL)
		return -1;
	if (run)
		sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&b, 0, sizeof(b));
		b.id = sqlite3_column_int64(s, 0);
		copy_col(b.run_id, sizeof(b.run_id), s, 1);
		copy_col(b.status, sizeof(b.status), s, 2);
		copy_col(b.by, sizeof(b.by), s, 3);
		copy_col(b.reviewer, sizeof(b.reviewer), s, 4);
		copy_col(b.ts, sizeof(b.ts), s, 5);
		if ((t = (time_t)(sqlite3_column_int64(s, 6) / 1000)) > 0 && gmtime_r(&t, &tm))
			strftime(b.due, sizeof(b.due), "%Y-%m-%dT%H:%M:%SZ", &tm);
		copy_col(b.state, sizeof(b.state), s, 7);
		copy_col(b.review_by, sizeof(b.review_by), s, 8);
		copy_col(b.review, sizeof(b.review), s, 9);
		if (fn(ctx, &b) < 0) {
			sqlite3_finalize(s);
			phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(h, e, "list break-glass approvals");
	return 0;
}

int
hitl_decisions(struct hitl *h, long long id,
    int (*fn)(void *ctx, const struct hitl_decision *d), void *ctx, struct phk_err *e)
{
	sqlite3_stmt *s = prep(h, "SELECT reviewer, unix_user, decision, ts, notes, seq, "
	    "(SELECT CASE WHEN b.seq = d.seq THEN 1 ELSE 2 END FROM hitl_break_glass b "
	    "WHERE b.item = d.item AND (b.seq = d.seq OR b.review_seq = d.seq)) "
	    "FROM hitl_decisions d WHERE item = ?1 ORDER BY id", e);
	struct hitl_decision d;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&d, 0, sizeof(d));
		copy_col(d.reviewer, sizeof(d.reviewer), s, 0);
		copy_col(d.unix_user, sizeof(d.unix_user), s, 1);
		copy_col(d.decision, sizeof(d.decision), s, 2);
		copy_col(d.ts, sizeof(d.ts), s, 3);
		d.notes = (const char *)sqlite3_column_text(s, 4);
		if (d.notes == NULL)
			d.notes = "";
		d.seq = (unsigned long long)sqlite3_column_int64(s, 5);
		d.break_glass = sqlite3_column_int(s, 6);
		if (fn(ctx, &d) < 0) {
			sqlite3_finalize(s);
			phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(h, e, "read decisions");
	return 0;
}

int
hitl_record(struct hitl *h, long long id, struct buf *out, struct phk_err *e)
{
	sqlite3_stmt *s = prep(h, "SELECT record FROM hitl_items WHERE id = ?1", e);
	int rc, ret = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && buf_add(out, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0)) < 0)
		ret = oom(e);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(h, e, "read a record");
	if (rc == SQLITE_DONE) {
		phk_err_set(e, PHK_EXIT_USAGE, "no item %lld", id);
		return -1;
	}
	return ret;
}

/* ---- access ---- */

static int
in_list(const struct strlist *sl, const char *s)
{
	size_t i;

	for (i = 0; i < sl->n; i++)
		if (!strcmp(sl->v[i], s))
			return 1;
	return 0;
}

int
hitl_alias_ok(const struct policy *p, const char *user, const char *reviewer)
{
	size_t i;

	if (!strcmp(user, reviewer))
		return 1;
	for (i = 0; i < p->access.naliases; i++)
		if (!strcmp(p->access.aliases[i].user, user))
			return in_list(&p->access.aliases[i].names, reviewer);
	return 0;
}

/* Whether user is in one of the named groups (its primary group counts). */
static int
in_groups(const char *user, const struct strlist *groups)
{
	struct passwd pw, *pr = NULL;
	struct group gr, *grr = NULL;
	char pbuf[4096], gbuf[8192];
	gid_t gids[256];
	int ng = 256, i;
	size_t k;

	if (groups->n == 0 || getpwnam_r(user, &pw, pbuf, sizeof(pbuf), &pr) != 0 || pr == NULL)
		return 0;
	if (getgrouplist(user, pw.pw_gid, gids, &ng) < 0)
		ng = 256;	/* more groups than that: the first 256 are searched */
	for (k = 0; k < groups->n; k++) {
		if (getgrnam_r(groups->v[k], &gr, gbuf, sizeof(gbuf), &grr) != 0 || grr == NULL)
			continue;
		for (i = 0; i < ng; i++)
			if (gids[i] == gr.gr_gid)
				return 1;
	}
	return 0;
}

int
hitl_allowed(const struct policy *p, const char *user, int act)
{
	const struct access_conf *a = &p->access;
	size_t i, k;

	/* break-glass passes the quorum: it is no one's unless the policy names a role */
	if (act == ACT_BREAK_GLASS && (!a->present || a->actions[act].n == 0))
		return 0;
	if (!a->present || act < 0 || act >= ACT__N || a->actions[act].n == 0)
		return 1;
	for (i = 0; i < a->actions[act].n; i++)
		for (k = 0; k < a->nroles; k++) {
			const struct access_role *r = &a->roles[k];
			if (strcmp(r->name, a->actions[act].v[i]))
				continue;
			if (in_list(&r->users, user) || in_groups(user, &r->groups))
				return 1;
		}
	return 0;
}

/* The roles an action needs, for messages: "reviewers or leads". */
static void
roles_text(const struct policy *p, int act, char *out, size_t n)
{
	const struct strlist *sl = &p->access.actions[act];
	size_t i, at = 0;

	out[0] = '\0';
	for (i = 0; i < sl->n && at < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%s%s", i ? " or " : "", sl->v[i]);
}

int
hitl_access_check(struct ledger *l, const struct policy *p, const char *user, int act,
    const char *run, const struct note_signer *sk, struct buf *note, struct phk_err *e)
{
	char roles[256];
	struct ledger_rec r;
	struct buf pay;
	int rc;

	if (hitl_allowed(p, user, act))
		return 0;
	buf_init(&pay, 4096);
	if (buf_addc(&pay, '{') < 0 || j_str(&pay, "action", action_name(act)) < 0 ||
	    j_str(&pay, "rule", "role") < 0 || j_str(&pay, "unix_user", user) < 0 ||
	    j_str(&pay, "policy_sha256", p->sha256) < 0 || buf_addc(&pay, '}') < 0) {
		buf_release(&pay);
		return oom(e);
	}
	memset(&r, 0, sizeof(r));
	r.run_id = run;
	r.actor = user;
	r.kind = "access.refusal";
	r.payload = pay.p;
	r.n = pay.len;
	rc = ledger_append(l, &r, 1, sk, note, e);
	buf_release(&pay);
	if (rc < 0)
		return -1;
	roles_text(p, act, roles, sizeof(roles));
	phk_err_set(e, PHK_EXIT_VIOLATION, "refused: %s may not %s (access.actions.%s: %s)", user,
	    action_name(act), action_name(act), roles);
	return -1;
}

/*
 * Logs a refusal (inside the open transaction, which it ends) and sets e.
 * rule: role, alias, not-pending, self-approval, duplicate-reviewer.
 */
static int refuse(struct hitl *h, long long item, const char *run, const char *action,
    const char *rule, const char *reviewer, struct phk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static int
refuse(struct hitl *h, long long item, const char *run, const char *action,
    const char *rule, const char *reviewer, struct phk_err *e, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(&h->pay);
	if (buf_addc(&h->pay, '{') < 0 || j_str(&h->pay, "action", action) < 0 ||
	    (item > 0 && j_int(&h->pay, "item", item) < 0) || j_str(&h->pay, "rule", rule) < 0 ||
	    j_str(&h->pay, "unix_user", h->user) < 0 ||
	    (reviewer && j_str(&h->pay, "reviewer", reviewer) < 0) ||
	    j_str(&h->pay, "policy_sha256", h->pol->sha256) < 0 || buf_addc(&h->pay, '}') < 0) {
		oom(e);
		return fail(h);
	}
	if (log_entry(h, run, "hitl.refusal", &h->pay, e) < 0)
		return fail(h);
	if (finish(h, e) < 0)
		return -1;
	phk_err_set(e, PHK_EXIT_VIOLATION, "refused: %s", msg);
	return -1;
}

/* ---- decisions ---- */

static int
notes_ok(const char *s, const char *opt, struct phk_err *e)
{
	size_t n = strlen(s), i = 0, k;

	if (n == 0 || n > 4000) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s must be 1 to 4000 bytes", opt);
		return -1;
	}
	while (i < n) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') {
			phk_err_set(e, PHK_EXIT_USAGE, "%s holds a control character", opt);
			return -1;
		}
		if ((k = utf8_seqlen((const unsigned char *)s + i, n - i)) == 0) {
			phk_err_set(e, PHK_EXIT_USAGE, "%s is not valid UTF-8", opt);
			return -1;
		}
		i += k;
	}
	return 0;
}

/* A reviewer's notes through the scrub engine, as a record's text is; into out. */
static int
scrub_notes(struct hitl *h, const char *notes, struct buf *out, struct phk_err *e)
{
	struct buf rec, res;
	struct jscan js;
	int rc = -1;

	buf_init(&rec, 1 << 16);
	buf_init(&res, 1 << 20);
	if (buf_adds(&rec, "{\"notes\":") < 0 || jstr_encode(&rec, notes, strlen(notes)) < 0 ||
	    buf_addc(&rec, '}') < 0) {
		oom(e);
		goto out;
	}
	if (scrub_line(h->sc, rec.p, rec.len, &res, e) < 0)
		goto out;
	jscan_init(&js, "notes");
	if (jscan_record(&js, res.p, res.len, e) < 0 || js.find_start < 0) {
		phk_err_set(e, PHK_EXIT_IO, "internal error: scrubbed notes");
		goto out;
	}
	buf_reset(out);
	if (jstr_decode(res.p + js.find_start + 1, (size_t)(js.find_end - js.find_start - 2), out) < 0 ||
	    buf_add(out, "", 0) < 0) {
		oom(e);
		goto out;
	}
	rc = 0;
out:
	buf_release(&rec);
	buf_release(&res);
	return rc;
}

/* One decision, between its checks and its records. */
struct dec {
	long long id;
	int approve, bg, review, self;	/* review: another's, after a break-glass approval */
	const char *reviewer, *text;	/* text: the notes, or break-glass's reason */
	char group[LEDGER_IDENT_MAX + 1];	/* break_glass held through this group, or "" */
	char ts[LEDGER_TS_LEN + 1];
	struct hitl_item it;
	struct trail t;
	int required;
};

/*
 * hitl_allowed; for break_glass, also the group that gave it ("" when
 * the user is listed by name), which the decision records for the
 * verifier: membership is the system's, not the ledger's.
 */
static int
grant(const struct hitl *h, int act, char *group, size_t n)
{
	const struct access_conf *a = &h->pol->access;
	const struct access_role *r;
	struct strlist one;
	size_t i, k, g;

	group[0] = '\0';
	if (act != ACT_BREAK_GLASS || !hitl_allowed(h->pol, h->user, act))
		return hitl_allowed(h->pol, h->user, act);
	for (i = 0; i < a->actions[act].n; i++)
		for (k = 0; k < a->nroles; k++)
			if (!strcmp((r = &a->roles[k])->name, a->actions[act].v[i]) &&
			    in_list(&r->users, h->user))
				return 1;
	for (i = 0; i < a->actions[act].n; i++)
		for (k = 0; k < a->nroles; k++) {
			if (strcmp((r = &a->roles[k])->name, a->actions[act].v[i]))
				continue;
			for (g = 0; g < r->groups.n; g++) {
				one.v = &r->groups.v[g];
				one.n = 1;
				if (in_groups(h->user, &one)) {
					snprintf(group, n, "%s", r->groups.v[g]);
					return 1;
				}
			}
		}
	return 1;
}

/* Whether the latest policy.bind lists the break_glass role, as ledger-verify needs it. */
static int
bound_break_glass(struct hitl *h)
{
	sqlite3_stmt *s = NULL;
	int ok;

	if (sqlite3_prepare_v2(h->l->db, "SELECT json_type(payload, '$.policy.access.break_glass') "
	    "= 'object' FROM entries WHERE kind = 'policy.bind' AND run_id = '" DBPOLICY_RUN "' AND "
	    "payload IS NOT NULL AND json_valid(payload) ORDER BY seq DESC LIMIT 1", -1, &s,
	    NULL) != SQLITE_OK)
		return 0;
	ok = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return ok;
}

/* The item and its trail, in the open transaction; its status as the ledger has it. */
static int
decide_load(struct hitl *h, struct dec *d, struct phk_err *e)
{
	struct hitl_item *it = &d->it;
	struct trail *t = &d->t;
	int rc;

	if ((rc = hitl_get(h, d->id, it, e)) <= 0) {
		if (rc == 0)
			phk_err_set(e, PHK_EXIT_USAGE, "no item %lld", d->id);
		return -1;
	}
	/* the signed ledger decides, not the queue's columns */
	if (trail_read(h->l->db, it->run_id, d->id, UINT64_MAX, t) < 0)
		return dberr(h, e, "read the item's ledger entries");
	d->required = needed(h, t);
	if (t->enqueued)
		snprintf(it->queued_by, sizeof(it->queued_by), "%s", t->queued_by);
	/* where the row and the ledger disagree, the ledger is what happened */
	snprintf(it->status, sizeof(it->status), "%s", t->released ? "released" : t->rejected ?
	    "rejected" : t->expired ? "expired" : t->break_glass || t->approvals >= d->required ?
	    "approved" : !strcmp(it->status, "escalated") ? "escalated" : "pending");
	/* another's approve or reject of a break-glass approval is its review after the fact */
	d->review = !d->bg && t->break_glass && !t->break_glass_reviewed &&
	    (!strcmp(it->status, "approved") || !strcmp(it->status, "released"));
	return 0;
}

/* The access, identity and duty rules; a refusal is logged and ends the transaction. */
static int
decide_check(struct hitl *h, struct dec *d, struct phk_err *e)
{
	int act = d->bg ? ACT_BREAK_GLASS : d->approve ? ACT_APPROVE : ACT_REJECT, k, dup = 0;
	const char *action = action_name(act), *run = d->it.run_id;
	long long id = d->id;
	char roles[256];

	if (!grant(h, act, d->group, sizeof(d->group))) {
		roles_text(h->pol, act, roles, sizeof(roles));
		return refuse(h, id, run, action, "role", d->reviewer, e,
		    "%s may not %s item %lld (access.actions.%s: %s)", h->user,
		    d->bg ? "break the glass on" : action, id, action,
		    roles[0] ? roles : "no role is named");
	}
	if (!hitl_alias_ok(h->pol, h->user, d->reviewer))
		return refuse(h, id, run, action, "alias", d->reviewer, e,
		    "%s may not sign as '%s' (neither the user's name nor an alias access.aliases "
		    "gives it)", h->user, d->reviewer);
	if (d->bg && !bound_break_glass(h))
		return refuse(h, id, run, action, "policy-binding", d->reviewer, e,
		    "the database's policy.bind entry does not list who holds break_glass (it was "
		    "bound before phikit recorded it), so ledger-verify could not check this "
		    "approval: bind the policy again with ledger-admin policy first");
	if (d->review) {
		if (!strcmp(h->user, d->t.break_glass_by))
			return refuse(h, id, run, action, "self-review", d->reviewer, e,
			    "%s broke the glass on item %lld and cannot review it (the review "
			    "after the fact is another user's)", h->user, id);
		return 0;
	}
	if (strcmp(d->it.status, "pending") && strcmp(d->it.status, "escalated"))
		return refuse(h, id, run, action, "not-pending", d->reviewer, e,
		    "item %lld is %s, not pending", id, d->it.status);
	d->self = d->approve && !strcmp(d->it.queued_by, h->user);
	if (d->bg)
		return 0;	/* past the separation of duties and the quorum: never identity */
	if (d->self && h->pol->hitl.separation_of_duties)
		return refuse(h, id, run, action, "self-approval", d->reviewer, e,
		    "%s queued item %lld and cannot approve it (separation of duties)", h->user, id);
	for (k = 0; d->approve && k < d->t.approvals && !dup; k++)
		dup = !strcmp(d->t.approvers[k], h->user);
	if (dup)
		return refuse(h, id, run, action, "duplicate-reviewer", d->reviewer, e,
		    "%s has already approved item %lld (the %d approvals it needs come from "
		    "distinct reviewers)", h->user, id, d->required);
	return 0;
}

/* The hitl.decision payload into h->pay. */
static int
decide_payload(struct hitl *h, const struct dec *d, const struct hitl_outcome *out)
{
	struct buf *b = &h->pay;

	buf_reset(b);
	if (buf_addc(b, '{') < 0 || j_int(b, "item", d->id) < 0 ||
	    j_str(b, "decision", d->approve ? "approve" : "reject") < 0 ||
	    j_str(b, "reviewer", d->reviewer) < 0 || j_str(b, "unix_user", h->user) < 0 ||
	    j_str(b, d->bg ? "reason" : "notes", d->text) < 0 || j_str(b, "status", out->status) < 0 ||
	    j_int(b, "approvals", out->approvals) < 0 ||
	    j_int(b, "approvals_required", d->required) < 0 ||
	    (d->self && !d->review && buf_adds(b, ",\"self_approval\":true") < 0))
		return -1;
	if (d->bg && (buf_adds(b, ",\"break_glass\":true") < 0 ||
	    (d->group[0] && j_str(b, "break_glass_group", d->group) < 0) ||
	    j_int(b, "break_glass_review_s", h->pol->hitl.break_glass_review_s) < 0))
		return -1;
	if (d->review && (buf_adds(b, ",\"break_glass_review\":true") < 0 ||
	    j_str(b, "break_glass_by", d->t.break_glass_by) < 0))
		return -1;
	return j_str(b, "policy_sha256", h->pol->sha256) < 0 || buf_addc(b, '}') < 0 ? -1 : 0;
}

/* A break-glass approval opens its review; another's decision closes it. */
static int
decide_break_glass(struct hitl *h, const struct dec *d, unsigned long long seq,
    struct phk_err *e)
{
	long long now = now_ms(), secs = h->pol->hitl.break_glass_review_s;
	sqlite3_stmt *s;
	int rc;

	if (!d->bg && !d->review)
		return 0;
	if ((s = prep(h, d->bg ? "INSERT INTO hitl_break_glass(item, by_user, reviewer, ts, seq, "
	    "at_ms, due_ms, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open')" :
	    "UPDATE hitl_break_glass SET state = 'reviewed', review_by = ?2, review = ?3, "
	    "review_seq = ?5 WHERE item = ?1", e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_text(s, 2, h->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, d->bg ? d->reviewer : d->approve ? "approve" : "reject", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 4, d->ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_int64(s, 7, secs > 0 ? now + secs * 1000 : 0);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : dberr(h, e, "record a break-glass approval");
}

/* The decision's ledger entry, its row, the item's status: in the open transaction. */
static int
decide_log(struct hitl *h, struct dec *d, struct hitl_outcome *out, struct phk_err *e)
{
	int k, fresh = d->approve && !d->review;
	struct ledger_rec r;
	sqlite3_stmt *s;
	int rc;

	for (k = 0; fresh && k < d->t.approvals; k++)
		fresh = strcmp(d->t.approvers[k], h->user) != 0;
	memset(out, 0, sizeof(*out));
	out->required = d->required;
	out->approvals = d->t.approvals + fresh;
	snprintf(out->status, sizeof(out->status), "%s", d->review ? d->it.status :
	    !d->approve ? "rejected" : d->bg || out->approvals >= d->required ? "approved" :
	    d->it.status);
	if (decide_payload(h, d, out) < 0)
		return oom(e);
	memset(&r, 0, sizeof(r));
	r.run_id = d->it.run_id;
	r.actor = h->user;
	r.kind = "hitl.decision";
	r.payload = h->pay.p;
	r.n = h->pay.len;
	if (ledger_append_locked(h->l, &r, 1, e) < 0)
		return -1;
	ledger_now(d->ts);
	if ((s = prep(h, "INSERT INTO hitl_decisions(item, reviewer, unix_user, decision, notes, "
	    "ts, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->id);
	sqlite3_bind_text(s, 2, d->reviewer, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, h->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, d->approve ? "approve" : "reject", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, d->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, d->ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)r.seq);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(h, e, "record a decision");
	if (strcmp(out->status, d->it.status)) {
		if ((s = prep(h, "UPDATE hitl_items SET status = ?1, changed_ms = ?2 WHERE id = ?3", e)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, out->status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now_ms());
		sqlite3_bind_int64(s, 3, d->id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return dberr(h, e, "update an item");
	}
	return decide_break_glass(h, d, r.seq, e);
}

static int
decide(struct hitl *h, struct dec *d, struct hitl_outcome *out, struct phk_err *e)
{
	if (!ledger_ident_ok(d->reviewer)) {
		phk_err_set(e, PHK_EXIT_USAGE, "--reviewer '%.100s' must be 1 to 128 of "
		    "A-Z a-z 0-9 . _ : @ / + = -", d->reviewer);
		return -1;
	}
	if (notes_ok(d->text, d->bg ? "--reason" : "--notes", e) < 0)
		return -1;
	/* what reviewers write is logged: scrubbed first, as any record is */
	if (h->sc && scrub_notes(h, d->text, &h->clean, e) < 0)
		return -1;
	if (h->sc)
		d->text = h->clean.p;
	if (begin(h, e) < 0)
		return -1;
	if (decide_load(h, d, e) < 0)
		return fail(h);
	if (decide_check(h, d, e) < 0)
		return -1;
	if (decide_log(h, d, out, e) < 0)
		return fail(h);
	if (finish(h, e) < 0)
		return -1;
	/* the item's queue reason (ask) and status only: never the reason given */
	if (d->bg)
		notify(h, "break_glass", d->id, d->it.run_id, d->it.reason, out->status);
	return 0;
}

int
hitl_decide(struct hitl *h, long long id, int approve, const char *reviewer,
    const char *notes, struct hitl_outcome *out, struct phk_err *e)
{
	struct dec d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	d.approve = approve;
	d.reviewer = reviewer;
	d.text = notes;
	return decide(h, &d, out, e);
}

int
hitl_break_glass(struct hitl *h, long long id, const char *reviewer, const char *reason,
    struct hitl_outcome *out, struct phk_err *e)
{
	struct dec d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	d.approve = d.bg = 1;
	d.reviewer = reviewer;
	d.text = reason;
	return decide(h, &d, out, e);
}

/* ---- release ---- */

int
hitl_release_check(struct hitl *h, struct phk_err *e)
{
	char roles[256];

	if (hitl_allowed(h->pol, h->user, ACT_RELEASE))
		return 0;
	if (begin(h, e) < 0)
		return -1;
	roles_text(h->pol, ACT_RELEASE, roles, sizeof(roles));
	return refuse(h, 0, HITL_RUN, "release", "role", NULL, e,
	    "%s may not release (access.actions.release: %s)", h->user, roles);
}

/* phikit.hitl for a released record: {item, status, reviewers[, break_glass]}, from the ledger. */
static int
release_annot(long long id, const struct trail *t, struct buf *v, struct phk_err *e)
{
	int k;

	if (buf_printf(v, "{\"item\":%lld,\"status\":\"approved\",\"reviewers\":[", id) < 0)
		return oom(e);
	for (k = 0; k < t->approvals; k++)
		if ((k && buf_addc(v, ',') < 0) ||
		    jstr_encode(v, t->reviewers[k], strlen(t->reviewers[k])) < 0)
			return oom(e);
	return buf_adds(v, t->break_glass ? "],\"break_glass\":true}" : "]}") < 0 ? oom(e) : 0;
}

/*
 * Whether the next candidate may go: the ledger's trail allows it and the
 * stored record is the one queued. 1 yes; 0 no, with why.
 */
static int
releasable(struct hitl *h, long long id, const char *run, const char *sha,
    struct trail *t, char *why, size_t n, struct phk_err *e)
{
	char hex[2 * HASH_LEN + 1];
	mhash d;
	int sod;

	if (trail_read(h->l->db, run, id, UINT64_MAX, t) < 0)
		return dberr(h, e, "read the item's ledger entries");
	sod = t->sod >= 0 ? t->sod || h->pol->hitl.separation_of_duties :
	    h->pol->hitl.separation_of_duties;
	if (!trail_releasable(t, needed(h, t), sod, why, n))
		return 0;
	if (t->break_glass && !hitl_allowed(h->pol, t->break_glass_by, ACT_BREAK_GLASS)) {
		snprintf(why, n, "its break-glass approval is by %s, whom the policy does not give "
		    "break_glass", t->break_glass_by);
		return 0;
	}
	sha256(d, (const unsigned char *)h->tmp.p, h->tmp.len);
	hex32(hex, d);
	if (strcmp(hex, sha) || strcmp(hex, t->record_sha256)) {
		snprintf(why, n, "the stored record does not match the hash logged when it was queued");
		return 0;
	}
	return 1;
}

int
hitl_release_next(struct hitl *h, const char *run, long long *id, struct buf *out,
    struct phk_err *e)
{
	char ts[LEDGER_TS_LEN + 1], run_id[LEDGER_IDENT_MAX + 1], sha[2 * HASH_LEN + 1];
	char why[256], msg[400];
	struct annot_pos pos;
	struct trail t;
	struct jscan js;
	struct buf v;
	sqlite3_stmt *s;
	int rc;

	buf_init(&v, 1 << 20);
again:
	buf_reset(&h->tmp);
	buf_reset(&v);
	if (begin(h, e) < 0)
		goto bad_nofail;
	if ((s = prep(h, "SELECT id, run_id, record, record_sha256 FROM hitl_items WHERE "
	    "status = 'approved' AND released_at IS NULL AND (?1 IS NULL OR run_id = ?1) "
	    "AND id > ?2 ORDER BY id LIMIT 1", e)) == NULL)
		goto bad;
	if (run)
		sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, h->release_after);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		copy_col(run_id, sizeof(run_id), s, 1);
		copy_col(sha, sizeof(sha), s, 3);
		if (buf_add(&h->tmp, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2)) < 0) {
			sqlite3_finalize(s);
			oom(e);
			goto bad;
		}
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE) {
		ledger_rollback(h->l);
		buf_release(&v);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		dberr(h, e, "read approved items");
		goto bad;
	}
	h->release_after = *id;
	if ((rc = releasable(h, *id, run_id, sha, &t, why, sizeof(why), e)) < 0)
		goto bad;
	if (rc == 0) {
		/* a row that disagrees with the ledger is reported and passed over, not a wall */
		ledger_rollback(h->l);
		h->skipped++;
		snprintf(msg, sizeof(msg), "item %lld is marked approved but not released: %s "
		    "(run ledger-verify)", *id, why);
		if (h->warn)
			h->warn(h->wctx, msg);
		goto again;
	}
	ledger_now(ts);
	if ((s = prep(h, "UPDATE hitl_items SET released_at = ?1, released_by = ?2 WHERE id = ?3 "
	    "AND released_at IS NULL", e)) == NULL)
		goto bad;
	sqlite3_bind_text(s, 1, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, h->user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, *id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || sqlite3_changes(h->l->db) != 1) {
		dberr(h, e, "mark an item released");
		goto bad;
	}
	buf_reset(&h->pay);
	if (buf_addc(&h->pay, '{') < 0 || j_int(&h->pay, "item", *id) < 0 ||
	    j_str(&h->pay, "released_by", h->user) < 0 || j_str(&h->pay, "record_sha256", sha) < 0 ||
	    j_int(&h->pay, "approvals", t.approvals) < 0 ||
	    j_int(&h->pay, "approvals_required", needed(h, &t)) < 0 ||
	    (t.break_glass && buf_adds(&h->pay, ",\"break_glass\":true") < 0) ||
	    j_str(&h->pay, "policy_sha256", h->pol->sha256) < 0 || buf_addc(&h->pay, '}') < 0) {
		oom(e);
		goto bad;
	}
	if (log_entry(h, run_id, "hitl.release", &h->pay, e) < 0 || release_annot(*id, &t, &v, e) < 0)
		goto bad;
	/* the record as it will be printed is made before the commit: nothing can fail after */
	jscan_init(&js, NULL);
	if (jscan_record(&js, h->tmp.p, h->tmp.len, e) < 0 ||
	    annot_locate(h->tmp.p, h->tmp.len, &js, "hitl", &pos, e) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "item %lld: the stored record is damaged", *id);
		goto bad;
	}
	if (annot_write(h->tmp.p, h->tmp.len, &pos, "hitl", v.p, v.len, out) < 0) {
		oom(e);
		goto bad;
	}
	if (finish(h, e) < 0)
		goto bad_nofail;
	buf_release(&v);
	return 1;
bad:
	ledger_rollback(h->l);
bad_nofail:
	buf_release(&v);
	return -1;
}

/* ---- waiting ---- */

int
hitl_wait(struct hitl *h, long long id, long long timeout_ms, char status[16],
    struct phk_err *e)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms, left;
	long delay = 50;
	struct hitl_item it;
	struct timespec ts;
	int rc;

	for (;;) {
		if (hitl_sweep(h, e) < 0)
			return -1;
		if ((rc = hitl_get(h, id, &it, e)) < 0)
			return -1;
		if (rc == 0) {
			phk_err_set(e, PHK_EXIT_USAGE, "no item %lld", id);
			return -1;
		}
		snprintf(status, 16, "%s", it.status);
		if (!strcmp(it.status, "approved") || !strcmp(it.status, "rejected") ||
		    !strcmp(it.status, "expired"))
			return 1;
		if (deadline >= 0 && (left = deadline - now_ms()) <= 0)
			return 0;
		if (deadline >= 0 && left < delay)
			delay = (long)left;
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (delay % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		/* 50 ms, growing by half, at most 2 s between looks */
		delay = delay * 3 / 2 > 2000 ? 2000 : delay * 3 / 2 < 50 ? 50 : delay * 3 / 2;
	}
}

/* ---- the gate ---- */

static int
gate_string(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct hitl *h = ctx;

	return toolcalls_string(&h->tc, NULL, jp, st, en, esc) < 0 ? -1 : 0;
}

/* Whether the normalized tool name is one of the policy's irreversible tools. */
static int
irreversible(struct hitl *h, const char *name)
{
	const struct strlist *irr = &h->pol->hitl.irreversible_tools;
	struct buf nb;
	size_t i;
	int hit = 0;

	buf_init(&nb, 1 << 16);
	for (i = 0; i < irr->n && !hit; i++)
		hit = toolcall_norm(irr->v[i], strlen(irr->v[i]), &nb) == 0 && !strcmp(nb.p, name);
	buf_release(&nb);
	return hit;
}

/*
 * What the gate does with one record, scanned into js: 0 pass, 1 queue
 * (reason and tool filled), 2 withhold and log (deny), -1 bad input (e).
 */
static int
classify(struct hitl *h, const char *line, size_t n, const struct jscan *js,
    long (*span)[2], char reason[32], char tool[LEDGER_IDENT_MAX + 1], struct phk_err *e)
{
	char verdict[8];
	size_t i;

	reason[0] = tool[0] = '\0';
	/* a verdict guard-check gave this very content, and a scrub that covers it */
	if (bind_guard_verdict(line, n, js, verdict, e) < 0)
		return -1;
	if (h->pol->ledger_require_scrubbed && bind_check_scrub(line, n, js, h->pol, e) < 0)
		return -1;
	if (!strcmp(verdict, "deny")) {
		snprintf(reason, 32, "deny");
		return 2;
	}
	if (toolcalls_finish(&h->tc, line, span[0][0], span[0][1], span[1][0], span[1][1], e) < 0)
		return -1;
	for (i = 0; i < h->tc.n && !tool[0]; i++) {
		buf_reset(&h->tmp);
		if (toolcall_name(&h->tc.v[i], line, &h->tmp) < 0)
			return oom(e);
		if (irreversible(h, h->tmp.p))
			snprintf(tool, LEDGER_IDENT_MAX + 1, "%.*s", LEDGER_IDENT_MAX, h->tmp.p);
	}
	if (!strcmp(verdict, "ask") || tool[0]) {
		snprintf(reason, 32, "%s", !strcmp(verdict, "ask") ? "ask" : "irreversible_tool");
		return 1;
	}
	return 0;
}

/*
 * A denied record is withheld and logged (hitl.deny: the record itself,
 * scrubbed, with its verdict and rules), so the trail shows what was
 * stopped as well as what went through.
 */
static int
log_denied(struct hitl *h, const char *line, size_t n, const char *run, struct phk_err *e)
{
	struct ledger_rec r;

	if (begin(h, e) < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.run_id = run;
	r.actor = h->user;
	r.kind = "hitl.deny";
	r.payload = line;
	r.n = n;
	if (ledger_append_locked(h->l, &r, 1, e) < 0)
		return fail(h);
	return finish(h, e);
}

/*
 * What ties a queued item to its request and its verdict, for the
 * hitl.enqueue payload: the ledger entry that logged the request
 * (phikit.ledger.seq, and its position in the run), the guard verdict and
 * its rules. Only phikit's own annotations are read, never the text.
 */
static int
request_fields(struct hitl *h, const char *line, size_t n, struct buf *b)
{
	json_t *p, *pk, *g, *x, *seq, *leaf;
	unsigned char lh[HASH_LEN];
	struct phk_err e;
	sqlite3_stmt *s;
	size_t i, got;
	int rc = 0;

	if ((p = jscan_json_annotations(line, n, &e)) == NULL)
		return 0;
	pk = json_object_get(p, "phikit");
	seq = json_object_get(json_object_get(pk, "ledger"), "seq");
	leaf = json_object_get(json_object_get(pk, "ledger"), "leaf_hash");
	/* the entry counts only if this ledger holds it, leaf hash and all */
	if (json_is_integer(seq) && json_is_string(leaf) &&
	    sodium_hex2bin(lh, sizeof(lh), json_string_value(leaf), json_string_length(leaf), NULL,
	    &got, NULL) == 0 && got == HASH_LEN &&
	    (s = prep(h, "SELECT run_seq FROM entries WHERE seq = ?1 AND leaf_hash = ?2", &e)) != NULL) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)json_integer_value(seq));
		sqlite3_bind_blob(s, 2, lh, HASH_LEN, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			rc |= j_int(b, "request_seq", (long long)json_integer_value(seq));
			rc |= j_int(b, "request_run_seq", sqlite3_column_int64(s, 0));
		}
		sqlite3_finalize(s);
	}
	g = json_object_get(pk, "guard");
	if (json_is_object(g) && json_is_string(json_object_get(g, "verdict"))) {
		const char *v = json_string_value(json_object_get(g, "verdict"));
		int k = 0;
		rc |= buf_adds(b, ",\"guard\":{\"verdict\":");
		rc |= jstr_encode(b, v, strlen(v));
		rc |= buf_adds(b, ",\"rules\":[");
		json_array_foreach(json_object_get(g, "violations"), i, x) {
			const char *r = json_string_value(json_object_get(x, "rule"));
			if (r == NULL)
				continue;
			rc |= buf_adds(b, k++ ? "," : "");
			rc |= jstr_encode(b, r, strlen(r));
		}
		rc |= buf_adds(b, "]}");
	}
	json_decref(p);
	return rc ? -1 : 0;
}

/* Queues one record and logs it, in one transaction. */
static int
enqueue(struct hitl *h, const char *line, size_t n, const char *run, const char *reason,
    const char *tool, long long *id, struct phk_err *e)
{
	char ts[LEDGER_TS_LEN + 1], hex[2 * HASH_LEN + 1];
	long long now = now_ms();
	mhash d;
	sqlite3_stmt *s;
	int rc;

	sha256(d, (const unsigned char *)line, n);
	hex32(hex, d);
	ledger_now(ts);
	if (begin(h, e) < 0)
		return -1;
	if ((s = prep(h, "INSERT INTO hitl_items(run_id, status, reason, tool, record, "
	    "record_sha256, queued_by, queued_at, queued_ms, changed_ms) VALUES "
	    "(?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)", e)) == NULL)
		return fail(h);
	sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	if (tool[0])
		sqlite3_bind_text(s, 3, tool, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, line, (int)n, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, h->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		dberr(h, e, "queue an item");
		return fail(h);
	}
	*id = sqlite3_last_insert_rowid(h->l->db);
	buf_reset(&h->pay);
	if (buf_addc(&h->pay, '{') < 0 || j_int(&h->pay, "item", *id) < 0 ||
	    j_str(&h->pay, "reason", reason) < 0 || (tool[0] && j_str(&h->pay, "tool", tool) < 0) ||
	    j_str(&h->pay, "record_sha256", hex) < 0 || j_str(&h->pay, "queued_by", h->user) < 0 ||
	    j_int(&h->pay, "approvals_required", h->pol->hitl.approvals_required > 0 ?
	    h->pol->hitl.approvals_required : 1) < 0 ||
	    buf_adds(&h->pay, h->pol->hitl.separation_of_duties ? ",\"separation_of_duties\":true" :
	    ",\"separation_of_duties\":false") < 0 ||
	    j_str(&h->pay, "policy_sha256", h->pol->sha256) < 0 ||
	    request_fields(h, line, n, &h->pay) < 0 || buf_addc(&h->pay, '}') < 0) {
		oom(e);
		return fail(h);
	}
	if (log_entry(h, run, "hitl.enqueue", &h->pay, e) < 0)
		return fail(h);
	return finish(h, e);
}

/* 0 passed, 1 queued, 2 withheld (denied), -1 e set. */
static int
gate_one(struct hitl *h, struct hitl_gate_opts *o, const char *line, size_t n,
    struct phk_err *e)
{
	static const char *const keys[] = { "tool", "args" };
	char reason[32], tool[LEDGER_IDENT_MAX + 1], run[LEDGER_IDENT_MAX + 1];
	long span[2][2];
	struct jscan js;
	long long id;
	size_t len;
	int rc;

	toolcalls_reset(&h->tc);
	jscan_init(&js, NULL);
	js.more = keys;
	js.nmore = 2;
	js.more_span = span;
	js.on_string = gate_string;
	js.ctx = h;
	if (jscan_record(&js, line, n, e) < 0)
		return -1;
	if (js.run_start >= 0 && !jscan_is_ident(line + js.run_start,
	    (size_t)(js.run_end - js.run_start))) {
		phk_err_set(e, PHK_EXIT_INPUT,
		    "run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -");
		return -1;
	}
	if ((rc = classify(h, line, n, &js, span, reason, tool, e)) < 0)
		return -1;
	if (rc == 0) {
		if (jsonl_write(o->w, line, n) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (js.run_start < 0) {
		phk_err_set(e, PHK_EXIT_INPUT, "a record held for review or withheld needs a run_id "
		    "(this one is %s)", rc == 2 ? "denied by guard-check" :
		    !strcmp(reason, "ask") ? "guard verdict ask" : "an irreversible tool call");
		return -1;
	}
	len = (size_t)(js.run_end - js.run_start);
	/* an identifier: no escapes but "\/" */
	buf_reset(&h->tmp);
	if (jstr_decode(line + js.run_start + 1, len - 2, &h->tmp) < 0)
		return oom(e);
	snprintf(run, sizeof(run), "%s", h->tmp.p);
	if (rc == 2) {
		if (log_denied(h, line, n, run, e) < 0)
			return -1;
		if (o->denied)
			o->denied(o->ctx, run);
		return 2;
	}
	if (enqueue(h, line, n, run, reason, tool, &id, e) < 0)
		return -1;
	notify(h, "enqueue", id, run, reason, "pending");
	if (o->queued)
		o->queued(o->ctx, id, run, reason);
	return 1;
}

int
hitl_gate_fd(struct hitl *h, struct hitl_gate_opts *o, int fd, const char *name)
{
	struct jsonl_reader rd;
	struct phk_err e;
	const char *line;
	size_t n;
	int rc, status = 0;
	long long swept = now_ms();

	if (jsonl_reader_init(&rd, fd, name, o->max_line ? o->max_line : JSONL_DEFAULT_MAX) < 0) {
		oom(&e);
		o->report(o->ctx, name, 0, &e);
		return PHK_EXIT_IO;
	}
	for (;;) {
		rc = jsonl_read(&rd, &line, &n, &e);
		if (rc == 0)
			break;
		/* a gate that runs for days escalates on time too: a look a second */
		if (rc > 0 && now_ms() - swept >= 1000) {
			swept = now_ms();
			if (hitl_sweep(h, &e) < 0) {
				o->report(o->ctx, name, 0, &e);
				status = e.status;
				break;
			}
		}
		if (rc > 0 && (rc = gate_one(h, o, line, n, &e)) >= 0) {
			if (rc == 2)
				o->denied_n++;
			else if (rc)
				o->queued_n++;
			else
				o->passed++;
			continue;
		}
		if (e.status != PHK_EXIT_INPUT) {
			/* a failed commit, a read or write error: nothing more passes */
			o->report(o->ctx, name, 0, &e);
			status = e.status;
			break;
		}
		o->report(o->ctx, name, rd.lineno, &e);
		o->bad++;
		status = PHK_EXIT_INPUT;
		if (!o->skip)
			break;
	}
	jsonl_reader_release(&rd);
	return status;
}
