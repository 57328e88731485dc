/* ledger-verify — check an audit ledger, or an exported bundle, from the bytes up. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "jscan.h"
#include "ledger.h"
#include "lverify.h"
#include "note.h"

#define MAX_KEYS 16
#define SINCE_MAX (256u << 20)	/* a million notes and then some */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ledger-verify [-hV] [--db path] [--key verifier-key]... [--self-asserted]\n"
	    "                     [--since file] [--json] [bundle]\n");
}

static void
json_out(const struct lverify_result *r)
{
	char root[2 * HASH_LEN + 1];
	struct buf b;

	buf_init(&b, 1 << 16);
	sodium_bin2hex(root, sizeof(root), r->root, HASH_LEN);
	buf_printf(&b, "{\"valid\":%s,\"verified\":%s,\"type\":\"%s\",\"entries\":%" PRIu64
	    ",\"runs\":%" PRIu64 ",\"erased\":%" PRIu64 ",", r->ok ? "true" : "false",
	    r->key_verified ? "true" : "false", r->is_bundle ? "bundle" : "ledger",
	    r->entries, r->runs, r->erased);
	if (r->is_bundle && r->run_id[0])
		buf_printf(&b, "\"run_id\":\"%s\",", r->run_id);
	if (r->is_bundle && r->range[0])
		buf_printf(&b, "\"range\":\"%s\",", r->range);
	if (r->has_ck)
		buf_printf(&b, "\"checkpoint\":{\"size\":%" PRIu64 ",\"signer\":\"%s\"},",
		    r->ck_size, r->ck_signer);
	else
		buf_adds(&b, "\"checkpoint\":null,");
	if (r->has_since)
		buf_printf(&b, "\"since\":%" PRIu64 ",", r->since_size);
	buf_printf(&b, "\"root\":\"%s\",\"error\":", root);
	if (r->ok)
		buf_adds(&b, "null}");
	else {
		if (r->bad_seq >= 0)
			buf_printf(&b, "{\"seq\":%lld,\"message\":", r->bad_seq);
		else
			buf_adds(&b, "{\"seq\":null,\"message\":");
		jstr_encode(&b, r->what, strlen(r->what));
		buf_adds(&b, "}}");
	}
	puts(b.p);
	buf_release(&b);
}

static void
text_out(const struct lverify_result *r)
{
	const char *what = r->is_bundle ? "bundle" : "ledger";

	if (!r->ok) {
		printf("%s INVALID: %s\n", what, r->what);
		return;
	}
	if (r->key_verified)
		printf("%s OK: ", what);
	else
		printf("%s consistent, NOT verified (no --key): ", what);
	if (r->is_bundle && r->range[0])
		printf("entries from %s, ", r->range);
	else if (r->is_bundle)
		printf("run %s, ", r->run_id);
	printf("%" PRIu64 " entr%s", r->entries, r->entries == 1 ? "y" : "ies");
	if (!r->is_bundle || r->range[0])
		printf(", %" PRIu64 " run%s", r->runs, r->runs == 1 ? "" : "s");
	if (r->has_ck)
		printf(", checkpoint %" PRIu64 " %s %s", r->ck_size,
		    r->key_verified ? "signed by" : "self-asserted by", r->ck_signer);
	else
		printf(", no signed checkpoint");
	if (!r->is_bundle && r->has_ck && r->ck_size < r->entries)
		printf("; %" PRIu64 " entr%s after it not yet signed", r->entries - r->ck_size,
		    r->entries - r->ck_size == 1 ? "y" : "ies");
	if (r->erased)
		printf("; %" PRIu64 " payload%s erased", r->erased, r->erased == 1 ? "" : "s");
	if (r->has_since)
		printf("; extends the saved checkpoint %" PRIu64, r->since_size);
	putchar('\n');
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_KEY, O_SINCE, O_JSON, O_SELF };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "key", required_argument, NULL, O_KEY },
		{ "since", required_argument, NULL, O_SINCE },
		{ "json", no_argument, NULL, O_JSON },
		{ "self-asserted", no_argument, NULL, O_SELF },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct note_verifier keys[MAX_KEYS];
	struct lverify_opts o;
	struct lverify_result r;
	struct ledger l;
	struct phk_err e;
	const char *db = NULL, *since = NULL;
	struct buf sb = { NULL, 0, 0, 0 };
	int c, json = 0, status = 0, rc, self_ok = 0;

	phk_setprog(argv[0]);
	/* a closed pipe is a write error to report (exit 4), not a silent death */
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			db = optarg;
			break;
		case O_KEY:
			if (o.nkeys == MAX_KEYS) {
				phk_warn("at most %d --key options", MAX_KEYS);
				return PHK_EXIT_USAGE;
			}
			if (note_verifier_load(&keys[o.nkeys], optarg, &e) < 0) {
				phk_warn("%s", e.msg);
				return PHK_EXIT_USAGE;
			}
			o.nkeys++;
			break;
		case O_SINCE:
			since = optarg;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_SELF:
			self_ok = 1;
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		case 'V':
			printf("ledger-verify (phikit) %s\n", PHIKIT_VERSION);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		default:
			usage(stderr);
			return PHK_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1 && db)) {
		usage(stderr);
		return PHK_EXIT_USAGE;
	}
	o.keys = keys;
	if (since) {
		/* every note in it, not the tail: the largest one counts */
		buf_init(&sb, SINCE_MAX);
		if (buf_read_file(&sb, since) < 0) {
			phk_warn("%s: %s", since, errno == E2BIG ?
			    "larger than 256 MiB; keep the newest notes in it" : strerror(errno));
			buf_release(&sb);
			return PHK_EXIT_IO;
		}
		o.since = sb.p;
		o.since_len = sb.len;
	}
	if (argc == 1) {
		rc = lverify_bundle(argv[0], &o, &r, &e);
	} else {
		if (db == NULL && ((db = getenv("PHIKIT_DB")) == NULL || *db == '\0'))
			db = "phikit.db";
		if (ledger_open(&l, db, LEDGER_RDONLY, &e) < 0) {
			phk_warn("%s", e.msg);
			buf_release(&sb);
			return e.status;
		}
		rc = lverify_db(&l, &o, &r, &e);
		ledger_close(&l);
	}
	buf_release(&sb);
	if (rc < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if (json)
		json_out(&r);
	else
		text_out(&r);
	status = r.ok ? 0 : PHK_EXIT_VIOLATION;
	if (fclose(stdout) != 0) {
		phk_warn("write error: %s", strerror(errno));
		return PHK_EXIT_IO;
	}
	if (r.ok && !r.key_verified && !self_ok) {
		/* a CI job that forgot its key must not stay green */
		phk_warn("not verified: no trusted key was given, so its checkpoints are only "
		    "self-asserted; pass --key VERIFIER-KEY (or --self-asserted to accept that)");
		status = PHK_EXIT_VIOLATION;
	}
	if (r.ok && !r.has_since && !json)
		phk_warn("note: a truncated tail or a rollback is caught only against a checkpoint "
		    "saved elsewhere: use --since FILE");
	return status;
}
