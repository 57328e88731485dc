#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "trail.h"

void
trail_init(struct trail *t)
{
	memset(t, 0, sizeof(*t));
	t->sod = -1;
}

static void
jcopy(char *dst, size_t n, json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	snprintf(dst, n, "%s", v ? v : "");
}

void
trail_add(struct trail *t, const char *kind, const char *payload, size_t n, long long id)
{
	json_t *p, *sod;
	const char *d;
	char who[129];
	int i;

	if (kind == NULL || strncmp(kind, "hitl.", 5) || payload == NULL)
		return;
	p = json_loadb(payload, n, 0, NULL);
	if (p == NULL || kind == NULL || !json_is_integer(json_object_get(p, "item")) ||
	    json_integer_value(json_object_get(p, "item")) != id) {
		json_decref(p);
		return;
	}
	if (!strcmp(kind, "hitl.enqueue")) {
		t->enqueued = 1;
		jcopy(t->queued_by, sizeof(t->queued_by), p, "queued_by");
		jcopy(t->record_sha256, sizeof(t->record_sha256), p, "record_sha256");
		jcopy(t->policy_sha256, sizeof(t->policy_sha256), p, "policy_sha256");
		t->required = (int)json_integer_value(json_object_get(p, "approvals_required"));
		sod = json_object_get(p, "separation_of_duties");
		t->sod = sod ? json_is_true(sod) : -1;
	} else if (!strcmp(kind, "hitl.expire"))
		t->expired = 1;
	else if (!strcmp(kind, "hitl.release"))
		t->released = 1;
	else if (!strcmp(kind, "hitl.decision") &&
	    json_is_true(json_object_get(p, "break_glass_review")))
		t->break_glass_reviewed = 1;	/* after the release: decides nothing */
	else if (!strcmp(kind, "hitl.decision") &&
	    (d = json_string_value(json_object_get(p, "decision"))) != NULL) {
		if (!strcmp(d, "approve") && json_is_true(json_object_get(p, "break_glass")) &&
		    !t->break_glass) {
			t->break_glass = 1;
			jcopy(t->break_glass_by, sizeof(t->break_glass_by), p, "unix_user");
		}
		if (!strcmp(d, "reject"))
			t->rejected = 1;
		else if (!strcmp(d, "approve")) {
			jcopy(who, sizeof(who), p, "unix_user");
			for (i = 0; i < t->approvals && strcmp(t->approvers[i], who); i++)
				;
			if (i == t->approvals && i < TRAIL_MAX_APPROVERS) {
				jcopy(t->reviewers[t->approvals], sizeof(who), p, "reviewer");
				snprintf(t->approvers[t->approvals++], sizeof(who), "%s", who);
				if (!strcmp(who, t->queued_by))
					t->self_approved = 1;
			}
		}
	}
	json_decref(p);
}

int
trail_read(sqlite3 *db, const char *run, long long id, uint64_t before, struct trail *t)
{
	sqlite3_stmt *s = NULL;
	int rc;

	trail_init(t);
	if (sqlite3_prepare_v2(db, "SELECT kind, payload FROM entries WHERE run_id = ?1 AND "
	    "kind IN ('hitl.enqueue', 'hitl.decision', 'hitl.expire', 'hitl.release') AND "
	    "payload IS NOT NULL AND seq < ?2 AND json_valid(payload) AND "
	    "json_extract(payload, '$.item') = ?3 ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, before > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)before);
	sqlite3_bind_int64(s, 3, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		trail_add(t, (const char *)sqlite3_column_text(s, 0), sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), id);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
trail_releasable(const struct trail *t, int required, int sod, char *why, size_t n)
{
	if (!t->enqueued)
		snprintf(why, n, "the ledger holds no hitl.enqueue entry for it");
	else if (t->released)
		snprintf(why, n, "the ledger shows it released already");
	else if (t->rejected)
		snprintf(why, n, "the ledger shows it rejected");
	else if (t->expired)
		snprintf(why, n, "the ledger shows it expired");
	else if (t->break_glass)
		return 1;	/* past the quorum and the separation of duties, by design */
	else if (t->approvals < required)
		snprintf(why, n, "the ledger holds %d of the %d approvals it needs", t->approvals,
		    required);
	else if (sod && t->self_approved && t->approvals - 1 < required)
		snprintf(why, n, "its approvals include the user who queued it (separation of duties)");
	else
		return 1;
	return 0;
}
