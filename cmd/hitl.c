/* hitl — the human review queue: gate, list, show, approve, reject, review, release, wait. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fopts.h"
#include "hitl.h"
#include "jscan.h"
#include "jsonl.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"
#include "queue.h"
#include "review.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hitl gate [-q] [--on-error=stop|skip] [--max-line bytes] [common] [file ...]\n"
	    "       hitl list [--status status | --break-glass] [--run id] [--json] [common]\n"
	    "       hitl show id [--record] [--json] [common]\n"
	    "       hitl approve id --reviewer name --notes text | --notes-file file [common]\n"
	    "       hitl approve id --reviewer name --break-glass --reason text | --reason-file file\n"
	    "                   [common]\n"
	    "       hitl reject id --reviewer name --notes text | --notes-file file [common]\n"
	    "       hitl review --reviewer name [--run id] [--notes text | --notes-file file] [common]\n"
	    "       hitl release [--run id] [--limit n] [common]\n"
	    "       hitl wait id [--timeout seconds] [common]\n"
	    "       hitl -h | -V\n"
	    "common: [--db path] [-p policy] [--key keyfile] [--checkpoint-out file]\n");
}

struct opts {
	const char *db, *policy, *key, *status, *run, *reviewer, *notes, *notes_file, *ckout;
	const char *reason, *reason_file;	/* approve --break-glass */
	int json, record, quiet, skip, break_glass;
	long max_line, limit;	/* limit: release at most this many; 0 all */
	double timeout;		/* < 0: none */
	long long id;
};

static void
warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	phk_warn("warning: %s", msg);
}

static void
report(void *ctx, const char *src, long lineno, const struct phk_err *e)
{
	(void)ctx;
	if (lineno > 0)
		phk_input_error(src, lineno, e->msg);
	else
		phk_warn("%s", e->msg);
}

static void
queued(void *ctx, long long item, const char *run, const char *reason)
{
	const struct opts *o = ctx;

	if (!o->quiet)
		phk_warn("queued item %lld (run %s): %s", item, run, reason);
}

static void
denied(void *ctx, const char *run)
{
	const struct opts *o = ctx;

	if (!o->quiet)
		fprintf(stderr, "%s: withheld a denied record (run %s), logged as hitl.deny\n",
		    phk_prog(), run);
}

/* Opens the queue for a command; on failure says why. 0, or the exit status. */
static int
setup(struct queue *q, const struct opts *o, int create, int scrub_notes)
{
	struct queue_opts qo;
	struct phk_err e;

	memset(&qo, 0, sizeof(qo));
	qo.db = o->db;
	qo.policy = o->policy;
	qo.key = o->key;
	qo.ckout = o->ckout;
	qo.create = create;
	qo.scrub_notes = scrub_notes;
	qo.timeout_env = getenv("PHIKIT_HITL_TIMEOUT_S");
	qo.expire_env = getenv("PHIKIT_HITL_EXPIRE_S");
	qo.webhook_env = getenv("PHIKIT_HITL_WEBHOOK");
	qo.warn = warn_cb;
	if (queue_open(q, &qo, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	return 0;
}

static int
gate(struct opts *o, int argc, char **argv)
{
	struct hitl_gate_opts g;
	struct jsonl_writer w;
	struct queue c;
	int status, i;

	if ((status = setup(&c, o, 1, 0)) != 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	jsonl_writer_init(&w, stdout);
	memset(&g, 0, sizeof(g));
	g.skip = o->skip;
	g.max_line = (size_t)o->max_line;
	g.w = &w;
	g.report = report;
	g.queued = queued;
	g.denied = denied;
	g.ctx = o;
	if (argc == 0)
		status = hitl_gate_fd(&c.h, &g, STDIN_FILENO, "<stdin>");
	for (i = 0; i < argc && (status == 0 || (status == PHK_EXIT_INPUT && o->skip)); i++) {
		int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		int st;
		if (fd < 0) {
			phk_warn("%s: %s", argv[i], strerror(errno));
			status = PHK_EXIT_IO;
			break;
		}
		st = hitl_gate_fd(&c.h, &g, fd, fd == STDIN_FILENO ? "<stdin>" : argv[i]);
		if (fd != STDIN_FILENO)
			close(fd);
		if (st && (!status || st != PHK_EXIT_INPUT))
			status = st;
	}
	/* a write error the gate met is reported already */
	if (jsonl_writer_close(&w) < 0 && status != PHK_EXIT_IO) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (o->skip && g.bad)
		phk_warn("%lu bad line%s skipped", g.bad, g.bad == 1 ? "" : "s");
out:
	queue_close(&c);
	return status;
}

/* ---- list ---- */


struct rows {
	struct hitl_item *v;
	size_t n, cap;
	struct buf *json;	/* JSON Lines: printed as read, nothing kept */
	int required;
};

static int
collect(void *ctx, const struct hitl_item *it)
{
	struct rows *r = ctx;

	if (r->json) {
		if (queue_item_json(r->json, it, r->required) < 0) {
			errno = ENOMEM;
			return -1;
		}
		return printf("%s\n", r->json->p) < 0 ? -1 : 0;
	}
	if (ARRAY_RESERVE(r->v, r->cap, r->n + 1) < 0) {
		errno = ENOMEM;
		return -1;
	}
	r->v[r->n++] = *it;
	return 0;
}

static int
bg_json(void *ctx, const struct hitl_bg *b)
{
	struct buf *j = ctx;

	buf_reset(j);
	if (buf_printf(j, "{\"item\":%lld,\"run_id\":", b->id) < 0 ||
	    jstr_encode(j, b->run_id, strlen(b->run_id)) < 0 ||
	    buf_printf(j, ",\"status\":\"%s\",\"break_glass_by\":\"%s\",\"reviewer\":\"%s\","
	    "\"at\":\"%s\",\"review\":\"%s\",\"review_due\":", b->status, b->by, b->reviewer,
	    b->ts, b->state) < 0 ||
	    (b->due[0] ? buf_printf(j, "\"%s\"", b->due) : buf_adds(j, "null")) < 0 ||
	    (b->review[0] ? buf_printf(j, ",\"reviewed_by\":\"%s\",\"decision\":\"%s\"}",
	    b->review_by, b->review) : buf_adds(j, ",\"reviewed_by\":null,\"decision\":null}")) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return printf("%s\n", j->p) < 0 ? -1 : 0;
}

static int
bg_line(void *ctx, const struct hitl_bg *b)
{
	char review[200];

	(void)ctx;
	if (b->review[0])
		snprintf(review, sizeof(review), "%s by %s", b->review, b->review_by);
	else if (b->due[0])
		snprintf(review, sizeof(review), "%s, due %s", b->state, b->due);
	else
		snprintf(review, sizeof(review), "none required");
	return printf("%6lld  %-9s  %-12s  %-12s  %-20.19s  %s\n", b->id, b->status, b->run_id,
	    b->by, b->ts, review) < 0 ? -1 : 0;
}

/* list --break-glass: the items approved by break-glass, and their reviews after the fact. */
static int
list_break_glass(struct opts *o)
{
	struct phk_err e;
	struct queue c;
	struct buf b;
	int status, json = o->json || !isatty(STDOUT_FILENO);

	if (o->status) {
		phk_warn("--break-glass and --status cannot be used together");
		return PHK_EXIT_USAGE;
	}
	buf_init(&b, 1 << 20);
	if ((status = setup(&c, o, 0, 0)) == 0) {
		if (!json)
			printf("%6s  %-9s  %-12s  %-12s  %-20s  %s\n", "ITEM", "STATUS", "RUN",
			    "BROKEN_BY", "AT", "REVIEW");
		if (hitl_break_glass_list(&c.h, o->run, json ? bg_json : bg_line, &b, &e) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
		}
	}
	buf_release(&b);
	queue_close(&c);
	return status;
}

static int
list(struct opts *o)
{
	static const char *const states[] = { "pending", "approved", "rejected", "expired",
	    "escalated", "released", NULL };
	struct rows r = { NULL, 0, 0, NULL, 1 };
	struct phk_err e;
	struct queue c;
	struct buf b;
	size_t i, wr = 3, wq = 9, wreason = 6, k;
	int status, j;

	if (o->break_glass)
		return list_break_glass(o);
	if (o->status) {
		for (j = 0; states[j] && strcmp(states[j], o->status); j++)
			;
		if (states[j] == NULL) {
			phk_warn("--status takes pending, escalated, approved, rejected, expired or "
			    "released, not %s", phk_arg(o->status));
			return PHK_EXIT_USAGE;
		}
	}
	buf_init(&b, 1 << 20);
	if ((status = setup(&c, o, 0, 0)) != 0)
		goto out;
	r.required = c.pol.hitl.approvals_required;
	if (o->json || !isatty(STDOUT_FILENO))
		r.json = &b;
	if (hitl_list(&c.h, o->status, o->run, collect, &r, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto out;
	}
	if (!r.json) {
		for (i = 0; i < r.n; i++) {
			if ((k = strlen(r.v[i].run_id)) > wr)
				wr = k;
			if ((k = strlen(r.v[i].queued_by)) > wq)
				wq = k;
			k = strlen(r.v[i].reason) + (r.v[i].tool[0] ? strlen(r.v[i].tool) + 1 : 0);
			if (k > wreason)
				wreason = k;
		}
		printf("%6s  %-9s  %-*s  %-*s  %-*s  %-20s  %-9s  %s\n", "ITEM", "STATUS", (int)wr,
		    "RUN", (int)wreason, "REASON", (int)wq, "QUEUED_BY", "QUEUED_AT", "APPROVALS",
		    "RELEASED");
		for (i = 0; i < r.n; i++) {
			char reason[200], appr[32];
			snprintf(reason, sizeof(reason), "%s%s%s", r.v[i].reason,
			    r.v[i].tool[0] ? ":" : "", r.v[i].tool);
			snprintf(appr, sizeof(appr), "%d/%d", r.v[i].approvals,
			    c.pol.hitl.approvals_required);
			printf("%6lld  %-9s  %-*s  %-*s  %-*s  %-20.19s  %-9s  %s\n", r.v[i].id,
			    r.v[i].status, (int)wr, r.v[i].run_id, (int)wreason, reason, (int)wq,
			    r.v[i].queued_by, r.v[i].queued_at, appr,
			    r.v[i].released_at[0] ? "yes" : "-");
		}
	}
out:
	buf_release(&b);
	free(r.v);
	queue_close(&c);
	return status;
}

/* ---- show, approve, reject, review ---- */

static int
show(struct opts *o)
{
	struct phk_err e;
	struct queue c;
	int status;

	if ((status = setup(&c, o, 0, 0)) == 0 &&
	    review_show(&c, o->id, o->json, o->record, stdout, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	}
	queue_close(&c);
	return status;
}

/* approve --break-glass: the item approved alone, by a user the break_glass role holds. */
static int
break_glass(struct opts *o)
{
	struct hitl_outcome res;
	struct phk_err e;
	struct queue c;
	struct buf rb;
	const char *reason = o->reason;
	int status;

	if (o->notes || o->notes_file) {
		phk_warn("approve --break-glass takes --reason or --reason-file, not notes");
		return PHK_EXIT_USAGE;
	}
	if (o->reviewer == NULL || (o->reason == NULL) == (o->reason_file == NULL)) {
		phk_warn("approve --break-glass needs --reviewer, and --reason or --reason-file");
		return PHK_EXIT_USAGE;
	}
	buf_init(&rb, 4001);
	if (o->reason_file) {
		if (queue_read_text(o->reason_file, "--reason-file", &rb, &e) < 0) {
			phk_warn("%s", e.msg);
			buf_release(&rb);
			return e.status;
		}
		reason = rb.p ? rb.p : "";
	}
	if ((status = setup(&c, o, 0, 1)) == 0) {
		if (hitl_break_glass(&c.h, o->id, o->reviewer, reason, &res, &e) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
		} else
			printf("item %lld: %s by break-glass (%d of %d approvals)\n", o->id,
			    res.status, res.approvals, res.required);
	}
	queue_close(&c);
	buf_release(&rb);
	return status;
}

static int
decide(struct opts *o, int approve)
{
	struct phk_err e;
	struct queue c;
	struct buf nb;
	const char *notes;
	int status;

	if (approve && o->break_glass)
		return break_glass(o);
	if (o->break_glass || o->reason || o->reason_file) {
		phk_warn("--break-glass, --reason and --reason-file are for approve --break-glass");
		return PHK_EXIT_USAGE;
	}
	if (o->reviewer == NULL || (o->notes == NULL) == (o->notes_file == NULL)) {
		phk_warn("%s needs --reviewer, and --notes or --notes-file", approve ? "approve" :
		    "reject");
		return PHK_EXIT_USAGE;
	}
	buf_init(&nb, 4001);
	if (review_notes(o->notes, o->notes_file, &nb, &notes, &e) < 0) {
		phk_warn("%s", e.msg);
		buf_release(&nb);
		return e.status;
	}
	if ((status = setup(&c, o, 0, 1)) == 0 &&
	    review_decide(&c, o->id, approve, o->reviewer, notes, stdout, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	}
	queue_close(&c);
	buf_release(&nb);
	return status;
}

/*
 * The pending items one by one, on a terminal: each decision is
 * review_decide's, as approve's and reject's are. A refused decision is
 * reported and the walk goes on; the exit status is then 1, as approve's.
 */
static int
review(struct opts *o)
{
	struct review_walk_opts w;
	struct review_tally t;
	struct phk_err e;
	struct queue c;
	struct buf nb;
	int status;

	if (!isatty(STDIN_FILENO)) {
		phk_warn("review needs a terminal: stdin is not one (approve and reject decide "
		    "one item from a script)");
		return PHK_EXIT_USAGE;
	}
	if (o->reviewer == NULL) {
		phk_warn("review needs --reviewer");
		return PHK_EXIT_USAGE;
	}
	if (o->notes_file && !strcmp(o->notes_file, "-")) {
		phk_warn("review reads its answers from stdin: --notes-file - cannot be used");
		return PHK_EXIT_USAGE;
	}
	memset(&w, 0, sizeof(w));
	w.run = o->run;
	w.reviewer = o->reviewer;
	buf_init(&nb, 4001);
	if ((o->notes || o->notes_file) &&
	    review_notes(o->notes, o->notes_file, &nb, &w.notes, &e) < 0) {
		phk_warn("%s", e.msg);
		buf_release(&nb);
		return e.status;
	}
	if ((status = setup(&c, o, 0, 1)) != 0)
		goto out;
	if (review_walk(&c, &w, stdin, stdout, &t, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	}
	printf("approved %lu, rejected %lu, skipped %lu, refused %lu\n", t.approved, t.rejected,
	    t.skipped, t.refused);
	if (status == 0 && t.refused)
		status = PHK_EXIT_VIOLATION;
out:
	queue_close(&c);
	buf_release(&nb);
	return status;
}

/* ---- release ---- */

static int
release(struct opts *o)
{
	struct jsonl_writer w;
	struct phk_err e;
	struct queue c;
	struct buf out;
	long long id, done = 0;
	int status, rc;

	buf_init(&out, (size_t)-1 / 4);
	if ((status = setup(&c, o, 0, 0)) != 0)
		goto done;
	if (hitl_release_check(&c.h, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);
	jsonl_writer_init(&w, stdout);
	while (o->limit == 0 || done++ < o->limit) {
		buf_reset(&out);
		if ((rc = hitl_release_next(&c.h, o->run, &id, &out, &e)) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
			break;
		}
		if (rc == 0)
			break;
		if (jsonl_write(&w, out.p, out.len) < 0) {
			phk_warn("write error: %s (item %lld is marked released)", strerror(errno), id);
			status = PHK_EXIT_IO;
			break;
		}
	}
	if (jsonl_writer_close(&w) < 0 && status == 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (c.h.skipped && status == 0)
		status = PHK_EXIT_VIOLATION;	/* passed over, each said why */
done:
	buf_release(&out);
	queue_close(&c);
	return status;
}

/* ---- wait ---- */

static int
wait_cmd(struct opts *o)
{
	char st[16];
	struct phk_err e;
	struct queue c;
	int status, rc;

	if ((status = setup(&c, o, 0, 0)) != 0)
		goto out;
	rc = hitl_wait(&c.h, o->id, o->timeout < 0 ? -1 : (long long)(o->timeout * 1000), st, &e);
	if (rc < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	} else if (rc == 0) {
		phk_warn("timed out: item %lld is still %s after %g s", o->id, st, o->timeout);
		status = PHK_EXIT_IO;
	} else {
		printf("%s\n", st);
		status = strcmp(st, "approved") ? PHK_EXIT_VIOLATION : 0;
	}
out:
	queue_close(&c);
	return status;
}

static int
parse_id(const char *s, long long *id)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || end == s || *end || *id < 1 || s[0] == '+' || s[0] == ' ') {
		phk_warn("%s is not an item number", phk_arg(s));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_KEY, O_STATUS, O_RUN, O_JSON, O_RECORD, O_REVIEWER, O_NOTES,
	    O_TIMEOUT, O_LIMIT, O_NOTESFILE, O_CKOUT, O_BREAKGLASS, O_REASON, O_REASONFILE };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "policy", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, O_KEY },
		{ "status", required_argument, NULL, O_STATUS },
		{ "run", required_argument, NULL, O_RUN },
		{ "json", no_argument, NULL, O_JSON },
		{ "record", no_argument, NULL, O_RECORD },
		{ "reviewer", required_argument, NULL, O_REVIEWER },
		{ "notes", required_argument, NULL, O_NOTES },
		{ "notes-file", required_argument, NULL, O_NOTESFILE },
		{ "break-glass", no_argument, NULL, O_BREAKGLASS },
		{ "reason", required_argument, NULL, O_REASON },
		{ "reason-file", required_argument, NULL, O_REASONFILE },
		{ "checkpoint-out", required_argument, NULL, O_CKOUT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		FOPTS_LONG,
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cmds[] = { "gate", "list", "show", "approve", "reject",
	    "review", "release", "wait", NULL };
	struct fopts fo;
	struct opts o;
	const char *cmd;
	char *end;
	int c, k, status;

	phk_setprog(argv[0]);
	/* the webhook opens a socket: it must not take a closed stdout's number */
	if (phk_std_fds() < 0) {
		phk_warn("write error: %s", strerror(errno));
		return PHK_EXIT_IO;
	}
	memset(&o, 0, sizeof(o));
	o.db = getenv("PHIKIT_DB");
	o.key = getenv("PHIKIT_LEDGER_KEY");
	o.timeout = -1;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
	}
	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("hitl (phikit) %s\n", PHIKIT_VERSION);
		return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
	}
	if (argc < 2 || argv[1][0] == '-') {
		usage(stderr);
		return PHK_EXIT_USAGE;
	}
	cmd = argv[1];
	for (k = 0; cmds[k] && strcmp(cmds[k], cmd); k++)
		;
	if (cmds[k] == NULL) {
		phk_warn("unknown command %s (gate, list, show, approve, reject, review, release, "
		    "wait)", phk_arg(cmd));
		return PHK_EXIT_USAGE;
	}
	argc--;
	argv++;
	fopts_init(&fo, 1);
	while ((c = getopt_long(argc, argv, "hp:q", longopts, NULL)) != -1) {
		if ((k = fopts_take(&fo, c, optarg)) != 0) {
			if (k < 0)
				return PHK_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case O_DB: o.db = optarg; break;
		case 'p': o.policy = optarg; break;
		case O_KEY: o.key = optarg; break;
		case O_STATUS: o.status = optarg; break;
		case O_RUN: o.run = optarg; break;
		case O_JSON: o.json = 1; break;
		case O_RECORD: o.record = 1; break;
		case O_REVIEWER: o.reviewer = optarg; break;
		case O_NOTES: o.notes = optarg; break;
		case O_NOTESFILE: o.notes_file = optarg; break;
		case O_BREAKGLASS: o.break_glass = 1; break;
		case O_REASON: o.reason = optarg; break;
		case O_REASONFILE: o.reason_file = optarg; break;
		case O_CKOUT: o.ckout = optarg; break;
		case 'q': o.quiet = 1; break;
		case O_TIMEOUT:
			errno = 0;
			o.timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o.timeout >= 0 && o.timeout <= 1e7)) {
				phk_warn("bad --timeout %s (seconds, 0 to 10000000)", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			break;
		case O_LIMIT:
			errno = 0;
			o.limit = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o.limit < 1 || o.limit > 1000000000L) {
				phk_warn("bad --limit %s (1 or more)", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		default:
			usage(stderr);
			return PHK_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	o.skip = fo.skip;
	o.max_line = (long)fo.max_line;
	if (o.run && !ledger_ident_ok(o.run)) {
		phk_warn("--run %s is not an identifier", phk_arg(o.run));
		return PHK_EXIT_USAGE;
	}
	if (o.db == NULL || *o.db == '\0')
		o.db = "phikit.db";
	/* show, approve, reject and wait take one item number; gate takes files */
	if (!strcmp(cmd, "show") || !strcmp(cmd, "approve") || !strcmp(cmd, "reject") ||
	    !strcmp(cmd, "wait")) {
		if (argc != 1) {
			phk_warn("%s takes one item number", cmd);
			return PHK_EXIT_USAGE;
		}
		if (parse_id(argv[0], &o.id) < 0)
			return PHK_EXIT_USAGE;
	} else if (strcmp(cmd, "gate") && argc > 0) {
		phk_warn("unexpected argument %s", phk_arg(argv[0]));
		return PHK_EXIT_USAGE;
	}
	if (!strcmp(cmd, "gate"))
		status = gate(&o, argc, argv);
	else if (!strcmp(cmd, "list"))
		status = list(&o);
	else if (!strcmp(cmd, "show"))
		status = show(&o);
	else if (!strcmp(cmd, "approve"))
		status = decide(&o, 1);
	else if (!strcmp(cmd, "reject"))
		status = decide(&o, 0);
	else if (!strcmp(cmd, "review"))
		status = review(&o);
	else if (!strcmp(cmd, "release"))
		status = release(&o);
	else
		status = wait_cmd(&o);
	if (strcmp(cmd, "gate") && strcmp(cmd, "release") && fclose(stdout) != 0 && status == 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	return status;
}
