/*
 * lib/hitl.c and the policy's access section: who may sign as whom, who
 * holds a role (by name, and through a group), what an action without a
 * role allows, and which webhook URLs are allowed.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitl.h"
#include "policy.h"
#include "tap.h"

static int
load(struct policy *p, const char *dir, const char *yaml)
{
	char path[512];
	struct phk_err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(yaml, f);
	fclose(f);
	if (policy_load(p, path, &e) < 0) {
		diag("%s", e.msg);
		return -1;
	}
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/phikit-unit-hitl.XXXXXX", yaml[2048], path[600];
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;
	const char *me = pw ? pw->pw_name : "root", *mygroup = gr ? gr->gr_name : "root";
	struct policy p;
	struct phk_err e;

	if (mkdtemp(dir) == NULL)
		return 1;

	/* no access section: anyone, under the user's own name only */
	ok(load(&p, dir, "name: open\n") == 0, "a policy without access loads");
	ok(hitl_allowed(&p, "anyone", ACT_APPROVE), "no access section: anyone may approve");
	ok(hitl_allowed(&p, "anyone", ACT_RELEASE), "no access section: anyone may release");
	ok(!hitl_allowed(&p, "anyone", ACT_BREAK_GLASS), "no access section: no one may break the glass");
	ok(hitl_alias_ok(&p, "alice", "alice"), "a user may sign as itself");
	ok(!hitl_alias_ok(&p, "alice", "dr-alice"), "no alias without the policy");
	is_int(p.hitl.approvals_required, 1, "approvals_required defaults to 1");
	is_int(p.hitl.separation_of_duties, 1, "separation_of_duties defaults to on");
	policy_release(&p);

	snprintf(yaml, sizeof(yaml),
	    "access:\n"
	    "  aliases: {phkt-u-alice: [dr-alice, a.smith]}\n"
	    "  roles:\n"
	    "    reviewers: {users: [phkt-u-alice]}\n"
	    "    staff: {groups: [%s]}\n"
	    "  actions: {approve: [reviewers, staff], release: reviewers}\n"
	    "hitl: {approvals_required: 3, irreversible_tools: [send_fax], timeout_s: 60}\n",
	    mygroup);
	ok(load(&p, dir, yaml) == 0, "a policy with access and hitl loads");
	ok(hitl_alias_ok(&p, "phkt-u-alice", "dr-alice"), "an alias the policy gives");
	ok(hitl_alias_ok(&p, "phkt-u-alice", "a.smith"), "a second alias");
	ok(!hitl_alias_ok(&p, "phkt-u-bob", "dr-alice"), "someone else's alias is refused");
	ok(hitl_allowed(&p, "phkt-u-alice", ACT_APPROVE), "a role by user name");
	ok(hitl_allowed(&p, me, ACT_APPROVE), "a role through the user's primary group (%s)", mygroup);
	ok(!hitl_allowed(&p, "phkt-u-nobody", ACT_APPROVE), "no role, no approval");
	ok(!hitl_allowed(&p, me, ACT_RELEASE), "the group's role does not give release");
	ok(hitl_allowed(&p, "phkt-u-nobody", ACT_REJECT), "an action no role is named for is open");
	ok(!hitl_allowed(&p, "phkt-u-alice", ACT_BREAK_GLASS), "but break_glass with no role named is no one's");
	is_int(p.hitl.approvals_required, 3, "approvals_required read");
	is_int((int)p.hitl.timeout_s, 60, "timeout_s read");
	is_int((int)p.hitl.irreversible_tools.n, 1, "irreversible_tools read");
	policy_release(&p);

	/* a base's access is layered on */
	snprintf(path, sizeof(path), "%s/base.yaml", dir);
	{
		FILE *f = fopen(path, "w");
		if (f) {
			fputs("access:\n  roles: {leads: {users: [x]}}\n  actions: {release: leads}\n", f);
			fclose(f);
		}
	}
	ok(load(&p, dir, "extends: base.yaml\naccess:\n  roles: {leads: {users: [y]}}\n") == 0,
	    "an extending policy loads");
	ok(hitl_allowed(&p, "y", ACT_RELEASE) && !hitl_allowed(&p, "x", ACT_RELEASE),
	    "a role given again replaces the base's whole");
	policy_release(&p);
	unlink(path);

	ok(hitl_webhook_ok("https://hooks.example.org/x", &e) == 0, "webhook: https anywhere");
	ok(hitl_webhook_ok("http://127.0.0.1:8080/x", &e) == 0, "webhook: http to 127.0.0.1");
	ok(hitl_webhook_ok("http://127.9.9.9/x", &e) == 0, "webhook: http to 127/8");
	ok(hitl_webhook_ok("http://localhost/x", &e) == 0, "webhook: http to localhost");
	ok(hitl_webhook_ok("http://[::1]:9/x", &e) == 0, "webhook: http to [::1]");
	ok(hitl_webhook_ok("http://example.org/x", &e) < 0, "webhook: http elsewhere refused");
	ok(hitl_webhook_ok("http://localhost.example.org/x", &e) < 0, "webhook: a name that starts like localhost refused");
	ok(hitl_webhook_ok("http://127.0.0.1.nip.io/x", &e) < 0, "webhook: a name that starts like 127 refused");
	ok(hitl_webhook_ok("ftp://127.0.0.1/x", &e) < 0, "webhook: other schemes refused");
	ok(hitl_webhook_ok("not a url", &e) < 0, "webhook: not a URL");
	is_int(e.status, PHK_EXIT_USAGE, "webhook: a usage error");

	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
