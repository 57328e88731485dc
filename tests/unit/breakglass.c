/*
 * A break-glass release, as ledger-verify judges it: the trail lets one
 * break-glass approval release an item that needs two, but only one by a
 * user the policy bound at the time gives break_glass. The entries are
 * written with the ledger's own append, as anyone who can write the
 * database and link the library could write them: a forgery hitl itself
 * would refuse to make (tests/cli/hitl-breakglass.t makes the real ones).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbpolicy.h"
#include "ledger.h"
#include "lverify.h"
#include "policy.h"
#include "tap.h"
#include "trail.h"

static void
add(struct trail *t, const char *kind, const char *payload)
{
	trail_add(t, kind, payload, strlen(payload), 1);
}

static int
append_in(struct ledger *l, const char *run, const char *actor, const char *kind,
    const char *payload)
{
	struct ledger_rec r;
	struct phk_err e;

	memset(&r, 0, sizeof(r));
	r.run_id = run;
	r.actor = actor;
	r.kind = kind;
	r.payload = payload;
	r.n = strlen(payload);
	if (ledger_append(l, &r, 1, NULL, NULL, &e) < 0) {
		diag("%s", e.msg);
		return -1;
	}
	return 0;
}

static int
append(struct ledger *l, const char *actor, const char *kind, const char *payload)
{
	return append_in(l, "r-1", actor, kind, payload);
}

/*
 * A queue of one item under a quorum of two, approved by break-glass by
 * who, released; the policy bound as phikit binds it, or (p NULL) as it
 * did before policy.bind listed the break_glass role.
 */
static int
verify_release_by(const char *dir, const struct policy *p, const char *who, struct lverify_result *r)
{
	char path[600], pay[512];
	struct lverify_opts o;
	struct ledger l;
	struct phk_err e;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	snprintf(path, sizeof(path), "%s/%s.db", dir, who);
	if (ledger_open(&l, path, LEDGER_CREATE, &e) < 0) {
		diag("%s", e.msg);
		return -1;
	}
	if (p == NULL ? append_in(&l, DBPOLICY_RUN, "phkt-u-admin", "policy.bind",
	    "{\"policy\":{\"name\":\"old\",\"sha256\":\"00\",\"hitl\":{}},\"by\":\"a\"}") < 0 :
	    dbpolicy_enforce(&l, p, 1, "phkt-u-admin", NULL, NULL, &e) < 0) {
		diag("%s", e.msg);
		goto out;
	}
	snprintf(pay, sizeof(pay), "{\"item\":1,\"decision\":\"approve\",\"reviewer\":\"%s\","
	    "\"unix_user\":\"%s\",\"reason\":\"x\",\"status\":\"approved\",\"approvals\":1,"
	    "\"approvals_required\":2,\"break_glass\":true}", who, who);
	if (append(&l, "phkt-u-gate", "hitl.enqueue", "{\"item\":1,\"reason\":\"ask\","
	    "\"record_sha256\":\"00\",\"queued_by\":\"phkt-u-gate\",\"approvals_required\":2,"
	    "\"separation_of_duties\":true}") < 0 ||
	    append(&l, who, "hitl.decision", pay) < 0 ||
	    append(&l, who, "hitl.release", "{\"item\":1,\"approvals\":1,"
	    "\"approvals_required\":2}") < 0)
		goto out;
	memset(&o, 0, sizeof(o));
	if (lverify_db(&l, &o, r, &e) < 0) {
		diag("%s", e.msg);
		goto out;
	}
	rc = 0;
out:
	ledger_close(&l);
	return rc;
}

int
main(void)
{
	char dir[] = "/tmp/phikit-unit-bg.XXXXXX", path[600];
	struct lverify_result r;
	struct policy p;
	struct phk_err e;
	struct trail t;
	char why[256];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;

	/* the trail alone: one break-glass approval passes a quorum of two and the queuer */
	trail_init(&t);
	add(&t, "hitl.enqueue", "{\"item\":1,\"queued_by\":\"a\",\"approvals_required\":2,"
	    "\"separation_of_duties\":true}");
	add(&t, "hitl.decision", "{\"item\":1,\"decision\":\"approve\",\"unix_user\":\"a\","
	    "\"break_glass\":true}");
	ok(t.break_glass && !strcmp(t.break_glass_by, "a"), "the trail sees a break-glass approval, and by whom");
	ok(trail_releasable(&t, 2, 1, why, sizeof(why)), "it releases past the quorum and the separation of duties");
	add(&t, "hitl.decision", "{\"item\":1,\"decision\":\"reject\",\"unix_user\":\"b\","
	    "\"break_glass_review\":true}");
	ok(t.break_glass_reviewed && !t.rejected, "a review after the fact is recorded, not counted as a rejection");

	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fputs("name: bg\n"
	    "hitl: {approvals_required: 2}\n"
	    "access:\n"
	    "  roles: {oncall: {users: [phkt-u-oncall], groups: [phkt-g-oncall]}}\n"
	    "  actions: {break_glass: oncall}\n", f);
	fclose(f);
	if (policy_load(&p, path, &e) < 0) {
		diag("%s", e.msg);
		return 1;
	}
	ok(verify_release_by(dir, &p, "phkt-u-oncall", &r) == 0 && r.ok && r.releases == 1,
	    "a release by break-glass of a user the bound policy gives the role verifies");
	ok(verify_release_by(dir, &p, "phkt-u-mallory", &r) == 0 && !r.ok,
	    "a forged break-glass approval, by a user without the role, does not");
	is_str(r.what, "entry 3 releases item 1 of run 'r-1', but its break-glass approval "
	    "(entry 2) is by phkt-u-mallory, whom the policy bound then does not give break_glass",
	    "... and ledger-verify says why");
	ok(verify_release_by(dir, NULL, "phkt-u-old", &r) == 0 && !r.ok,
	    "under a binding that does not list the role, it cannot be judged, and does not verify");
	is_str(r.what, "entry 3 releases item 1 of run 'r-1', but its break-glass approval "
	    "(entry 2) is under no bound policy that lists who holds break_glass", "... said so");
	policy_release(&p);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
