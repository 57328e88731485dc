/* ledger-append — log each JSON Lines record in the audit ledger, then pass it on. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "dbpolicy.h"
#include "fopts.h"
#include "diag.h"
#include "jsonl.h"
#include "lappend.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ledger-append [-hV] [--db path] [-p policy] [--run id] [--actor name]\n"
	    "                     [--kind kind] [--key keyfile] [--checkpoint-out file]\n"
	    "                     [--require-scrubbed] [--on-error=stop|skip] [--max-line bytes]\n"
	    "                     [--batch records] [--batch-ms ms] [--stats] [file ...]\n");
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

static int
number(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < lo || *out > hi ? -1 : 0;
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_RUN, O_ACTOR, O_KIND, O_KEY, O_CKOUT, O_REQ,
	    O_BATCH, O_BATCHMS, O_STATS };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "policy", required_argument, NULL, 'p' },
		{ "run", required_argument, NULL, O_RUN },
		{ "actor", required_argument, NULL, O_ACTOR },
		{ "kind", required_argument, NULL, O_KIND },
		{ "key", required_argument, NULL, O_KEY },
		{ "checkpoint-out", required_argument, NULL, O_CKOUT },
		{ "require-scrubbed", no_argument, NULL, O_REQ },
		FOPTS_LONG,
		{ "batch", required_argument, NULL, O_BATCH },
		{ "batch-ms", required_argument, NULL, O_BATCHMS },
		{ "stats", no_argument, NULL, O_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = getenv("PHIKIT_DB"), *policy = NULL, *keypath = getenv("PHIKIT_LEDGER_KEY");
	const char *ckout = NULL;
	char actor[LEDGER_IDENT_MAX + 1] = "";
	struct note_signer sk;
	struct jsonl_writer w;
	struct lappend a;
	struct ledger l;
	struct policy pol;
	struct phk_err e;
	struct fopts fo;
	int c, i, k, status = 0, stats = 0, have_sk = 0, have_l = 0, have_pol = 0;
	long v;

	phk_setprog(argv[0]);
	lappend_init(&a);
	fopts_init(&fo, 1);
	while ((c = getopt_long(argc, argv, "hVp:", longopts, NULL)) != -1) {
		if ((k = fopts_take(&fo, c, optarg)) != 0) {
			if (k < 0) {
				status = PHK_EXIT_USAGE;
				goto out;
			}
			continue;
		}
		switch (c) {
		case O_DB:
			db = optarg;
			break;
		case 'p':
			policy = optarg;
			break;
		case O_RUN:
		case O_ACTOR:
		case O_KIND:
			if (!ledger_ident_ok(optarg)) {
				phk_warn("--%s %s must be 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -",
				    c == O_RUN ? "run" : c == O_ACTOR ? "actor" : "kind",
				    phk_arg(optarg));
				status = PHK_EXIT_USAGE;
				goto out;
			}
			if (c == O_RUN)
				a.run = optarg;
			else if (c == O_ACTOR)
				snprintf(actor, sizeof(actor), "%s", optarg);
			else
				a.kind = optarg;
			break;
		case O_KEY:
			keypath = optarg;
			break;
		case O_CKOUT:
			ckout = optarg;
			break;
		case O_REQ:
			a.require_scrubbed = 1;
			break;
		case O_BATCH:
			if (number(optarg, 1, 1000000, &v) < 0) {
				phk_warn("bad --batch %s (1 to 1000000 records)", phk_arg(optarg));
				status = PHK_EXIT_USAGE;
				goto out;
			}
			a.batch_max = (size_t)v;
			break;
		case O_BATCHMS:
			if (number(optarg, 0, 3600000, &v) < 0) {
				phk_warn("bad --batch-ms %s (0 to 3600000)", phk_arg(optarg));
				status = PHK_EXIT_USAGE;
				goto out;
			}
			a.batch_ms = v;
			break;
		case O_STATS:
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			status = fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
			goto out;
		case 'V':
			printf("ledger-append (phikit) %s\n", PHIKIT_VERSION);
			status = fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
			goto out;
		default:
			usage(stderr);
			status = PHK_EXIT_USAGE;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	a.skip = fo.skip;
	a.max_line = fo.max_line;
	if (db == NULL || *db == '\0')
		db = "phikit.db";

	if (policy_load(&pol, policy ? policy : policy_default_path(), &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto out;
	}
	have_pol = 1;
	a.pol = &pol;
	if (pol.ledger_require_scrubbed)
		a.require_scrubbed = 1;
	if (ledger_kind_reserved(a.kind)) {
		phk_warn("--kind %s is reserved: only the program it belongs to writes it "
		    "(anonymize and prune: ledger-admin; hitl.*: hitl; access.*, policy.*, vault.*)",
		    a.kind);
		status = PHK_EXIT_USAGE;
		goto out;
	}
	if (actor[0] == '\0' && ledger_unix_user(actor, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto out;
	}
	a.actor = actor;
	if (keypath && *keypath) {
		if (note_signer_load(&sk, keypath, &e) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
			goto out;
		}
		have_sk = 1;
		a.sk = &sk;
	}
	if (ckout && !a.sk) {
		phk_warn("--checkpoint-out needs a signing key (--key or PHIKIT_LEDGER_KEY)");
		status = PHK_EXIT_USAGE;
		goto out;
	}
	/* what it signs is saved; without a key there is nothing to save */
	if ((ckout = ckpt_path(ckout)) != NULL && a.sk) {
		if ((a.ckfd = ckpt_open(ckout, &e)) < 0) {
			phk_warn("%s", e.msg);
			status = PHK_EXIT_IO;
			goto out;
		}
	}
	if (ledger_open(&l, db, LEDGER_CREATE, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto out;
	}
	have_l = 1;
	a.l = &l;
	{
		/*
		 * The database's bound policy may tighten what this one asks:
		 * if it requires scrubbed records, so does every writer.
		 */
		static struct policy strict;	/* no content_fields: the whole record */
		struct dbpolicy b;
		if (dbpolicy_read(&l, &b, &e) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
			goto out;
		}
		if (b.bound && b.require_scrubbed && strcmp(b.sha256, pol.sha256) &&
		    (!a.require_scrubbed || pol.ledger_content_fields.n)) {
			a.require_scrubbed = 1;
			a.pol = &strict;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	jsonl_writer_init(&w, stdout);
	a.w = &w;
	a.report = report;

	if (argc == 0)
		status = lappend_fd(&a, STDIN_FILENO, "<stdin>");
	for (i = 0; i < argc && (status == 0 || (status == PHK_EXIT_INPUT && a.skip)); i++) {
		int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		int st;
		if (fd < 0) {
			phk_warn("%s: %s", argv[i], strerror(errno));
			status = PHK_EXIT_IO;
			break;
		}
		st = lappend_fd(&a, fd, fd == STDIN_FILENO ? "<stdin>" : argv[i]);
		if (fd != STDIN_FILENO)
			close(fd);
		if (st && (!status || st != PHK_EXIT_INPUT))
			status = st;
	}
	/* a write error lappend_fd met is reported already */
	if (jsonl_writer_close(&w) < 0 && status != PHK_EXIT_IO) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (a.skip && a.bad)
		phk_warn("%lu bad line%s skipped", a.bad, a.bad == 1 ? "" : "s");
	if (stats)
		phk_warn("%llu record%s appended in %llu transaction%s", a.appended,
		    a.appended == 1 ? "" : "s", a.batches, a.batches == 1 ? "" : "s");
out:
	if (a.ckfd >= 0 && close(a.ckfd) < 0 && status == 0) {
		phk_warn("%s: %s", ckout, strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (have_l)
		ledger_close(&l);
	if (have_sk)
		note_signer_release(&sk);
	if (have_pol)
		policy_release(&pol);
	lappend_release(&a);
	return status;
}
