#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbpolicy.h"
#include "jscan.h"

static int
dberr(struct ledger *l, struct phk_err *e, const char *what)
{
	phk_err_set(e, PHK_EXIT_IO, "database '%s': %s: %s", l->path, what, sqlite3_errmsg(l->db));
	return -1;
}

static long
jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

int
dbpolicy_read(struct ledger *l, struct dbpolicy *b, struct phk_err *e)
{
	sqlite3_stmt *s = NULL;
	json_t *doc = NULL, *p, *h, *lg;
	const char *v;
	int rc;

	memset(b, 0, sizeof(*b));
	if (sqlite3_prepare_v2(l->db, "SELECT seq, payload FROM entries WHERE run_id = ?1 AND "
	    "kind = 'policy.bind' ORDER BY run_seq DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return dberr(l, e, "read the bound policy");
	sqlite3_bind_text(s, 1, DBPOLICY_RUN, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		dberr(l, e, "read the bound policy");
		sqlite3_finalize(s);
		return -1;
	}
	b->seq = (uint64_t)sqlite3_column_int64(s, 0);
	if (sqlite3_column_type(s, 1) != SQLITE_NULL)
		doc = json_loadb(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), 0, NULL);
	sqlite3_finalize(s);
	p = json_object_get(doc, "policy");
	if ((v = json_string_value(json_object_get(p, "sha256"))) == NULL || strlen(v) != 64) {
		json_decref(doc);
		phk_err_set(e, PHK_EXIT_IO, "database '%s': the policy.bind entry %llu is damaged "
		    "(run ledger-verify)", l->path, (unsigned long long)b->seq);
		return -1;
	}
	b->bound = 1;
	snprintf(b->sha256, sizeof(b->sha256), "%s", v);
	snprintf(b->name, sizeof(b->name), "%s",
	    json_string_value(json_object_get(p, "name")) ? json_string_value(json_object_get(p, "name")) : "");
	snprintf(b->path, sizeof(b->path), "%s",
	    json_string_value(json_object_get(p, "path")) ? json_string_value(json_object_get(p, "path")) : "");
	h = json_object_get(p, "hitl");
	lg = json_object_get(p, "ledger");
	b->approvals_required = (int)jint(h, "approvals_required");
	b->separation_of_duties = json_is_true(json_object_get(h, "separation_of_duties"));
	b->timeout_s = jint(h, "timeout_s");
	b->expire_s = jint(h, "expire_s");
	b->retention_days = jint(lg, "retention_days");
	b->require_scrubbed = json_is_true(json_object_get(lg, "require_scrubbed"));
	json_decref(doc);
	return 0;
}

int
dbpolicy_choose(struct ledger *l, const char *given, char *path, size_t n, struct phk_err *e)
{
	const char *env = getenv("PHIKIT_POLICY");
	struct dbpolicy b;

	if (given == NULL && (env == NULL || *env == '\0')) {
		if (dbpolicy_read(l, &b, e) < 0)
			return -1;
		if (b.bound && b.path[0]) {
			snprintf(path, n, "%s", b.path);
			return 0;
		}
	}
	snprintf(path, n, "%s", given ? given : policy_default_path());
	return 0;
}

/* A JSON array of names, after key. */
static int
names(struct buf *b, const char *key, const struct strlist *const *sl, size_t n)
{
	size_t i, k, at = 0;

	if (buf_printf(b, "\"%s\":[", key) < 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < sl[i]->n; k++)
			if ((at++ && buf_addc(b, ',') < 0) ||
			    jstr_encode(b, sl[i]->v[k], strlen(sl[i]->v[k])) < 0)
				return -1;
	return buf_addc(b, ']');
}

/*
 * Who the policy gives break_glass (the users and groups of its roles),
 * for ledger-verify to judge a break-glass approval by the policy bound
 * when it was made: "access":{"break_glass":{"users":[...],"groups":[...]}}.
 */
static int
break_glass_access(struct buf *b, const struct policy *p)
{
	const struct access_conf *a = &p->access;
	const struct strlist *u[64], *g[64];
	size_t i, k, n = 0;

	for (i = 0; a->present && i < a->actions[ACT_BREAK_GLASS].n; i++)
		for (k = 0; k < a->nroles && n < 64; k++)
			if (!strcmp(a->roles[k].name, a->actions[ACT_BREAK_GLASS].v[i])) {
				u[n] = &a->roles[k].users;
				g[n++] = &a->roles[k].groups;
			}
	if (buf_adds(b, ",\"access\":{\"break_glass\":{") < 0 || names(b, "users", u, n) < 0 ||
	    buf_addc(b, ',') < 0 || names(b, "groups", g, n) < 0)
		return -1;
	return buf_adds(b, "}}");
}

/* The policy.bind payload for p. */
static int
payload(struct buf *b, const struct policy *p, const char *previous, const char *actor)
{
	size_t i;

	if (buf_adds(b, "{\"policy\":{\"name\":") < 0 || jstr_encode(b, p->name, strlen(p->name)) < 0 ||
	    buf_printf(b, ",\"sha256\":\"%s\",\"path\":", p->sha256) < 0 ||
	    jstr_encode(b, p->path, strlen(p->path)) < 0 ||
	    buf_printf(b, ",\"hitl\":{\"approvals_required\":%d,\"separation_of_duties\":%s,"
	    "\"timeout_s\":%ld,\"expire_s\":%ld},\"ledger\":{\"require_scrubbed\":%s,"
	    "\"retention_days\":%ld,\"content_fields\":[", p->hitl.approvals_required > 0 ?
	    p->hitl.approvals_required : 1, p->hitl.separation_of_duties ? "true" : "false",
	    p->hitl.timeout_s, p->hitl.expire_s, p->ledger_require_scrubbed ? "true" : "false",
	    p->ledger_retention_days) < 0)
		return -1;
	for (i = 0; i < p->ledger_content_fields.n; i++)
		if ((i && buf_addc(b, ',') < 0) || jstr_encode(b, p->ledger_content_fields.v[i],
		    strlen(p->ledger_content_fields.v[i])) < 0)
			return -1;
	if (p->ledger_content_fields.n == 0 && buf_adds(b, "\".\"") < 0)
		return -1;
	if (buf_adds(b, "]}") < 0 || break_glass_access(b, p) < 0 ||
	    buf_adds(b, ",\"source\":") < 0 || jstr_encode(b, p->source.p ? p->source.p : "",
	    p->source.len) < 0 || buf_adds(b, "},\"previous_sha256\":") < 0 ||
	    jstr_encode(b, previous, strlen(previous)) < 0 || buf_adds(b, ",\"by\":") < 0 ||
	    jstr_encode(b, actor, strlen(actor)) < 0 || buf_addc(b, '}') < 0)
		return -1;
	return 0;
}

/* Appends the binding (in a transaction of its own); re-reads under the lock. */
static int
bind_locked(struct ledger *l, const struct policy *p, const char *expect_prev, const char *actor,
    const struct note_signer *sk, struct buf *note, struct phk_err *e)
{
	struct dbpolicy cur;
	struct ledger_rec r;
	struct buf pay;
	int rc = -1;

	if (ledger_begin(l, e) < 0)
		return -1;
	if (dbpolicy_read(l, &cur, e) < 0)
		goto out;
	if (strcmp(cur.bound ? cur.sha256 : "", expect_prev)) {
		/* someone bound one first: judged against it, as any later command */
		ledger_rollback(l);
		return 1;
	}
	buf_init(&pay, (size_t)1 << 29);
	if (payload(&pay, p, expect_prev, actor) < 0) {
		buf_release(&pay);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.run_id = DBPOLICY_RUN;
	r.actor = actor;
	r.kind = "policy.bind";
	r.payload = pay.p;
	r.n = pay.len;
	rc = ledger_append_locked(l, &r, 1, e);
	buf_release(&pay);
	if (rc < 0 || (sk && ledger_sign_locked(l, sk, note, e) < 0))
		goto out;
	return ledger_commit(l, e);
out:
	ledger_rollback(l);
	return -1;
}

static int
mismatch(const struct dbpolicy *b, const struct policy *p, struct phk_err *e)
{
	phk_err_set(e, PHK_EXIT_USAGE, "this database's queue runs under policy '%.60s' (sha256 "
	    "%.12s..., bound at entry %llu, from %.200s); this command was given '%.60s' (sha256 "
	    "%.12s..., from %.200s): give the bound policy with -p, or have its admin change it "
	    "with ledger-admin policy", b->name, b->sha256, (unsigned long long)b->seq, b->path,
	    p->name, p->sha256, p->path);
	return -1;
}

int
dbpolicy_enforce(struct ledger *l, const struct policy *p, int bind, const char *actor,
    const struct note_signer *sk, struct buf *note, struct phk_err *e)
{
	struct dbpolicy b;
	int rc;

	if (dbpolicy_read(l, &b, e) < 0)
		return -1;
	if (b.bound)
		return strcmp(b.sha256, p->sha256) ? mismatch(&b, p, e) : 0;
	if (!bind)
		return 0;
	if ((rc = bind_locked(l, p, "", actor, sk, note, e)) <= 0)
		return rc;
	/* bound by another command meanwhile */
	if (dbpolicy_read(l, &b, e) < 0)
		return -1;
	return strcmp(b.sha256, p->sha256) ? mismatch(&b, p, e) : 0;
}

int
dbpolicy_change(struct ledger *l, const struct policy *p, const struct dbpolicy *cur,
    const char *actor, const struct note_signer *sk, struct buf *note, struct phk_err *e)
{
	int rc = bind_locked(l, p, cur->bound ? cur->sha256 : "", actor, sk, note, e);

	if (rc > 0) {
		phk_err_set(e, PHK_EXIT_IO, "the bound policy changed while this command ran; "
		    "run it again");
		return -1;
	}
	return rc;
}
