/* ledger-admin — keys, checkpoints, erasure and statistics of the audit ledger. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "dbpolicy.h"
#include "diag.h"
#include "hitl.h"
#include "ledger.h"
#include "note.h"
#include "policy.h"
#include "vault.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ledger-admin keygen --name name [-o keyfile]\n"
	    "       ledger-admin pubkey [--key keyfile]\n"
	    "       ledger-admin checkpoint [--db path] [--key keyfile] [--checkpoint-out file]\n"
	    "       ledger-admin anonymize --run id --reason text --key keyfile [--db path]\n"
	    "                    [-p policy] [--vault db] [--actor name] [--checkpoint-out file]\n"
	    "       ledger-admin prune --before date --key keyfile [--db path] [-p policy]\n"
	    "                    [--vault db] [--actor name] [--checkpoint-out file]\n"
	    "       ledger-admin policy [--db path] [-p policy] [--key keyfile]\n"
	    "                    [--checkpoint-out file]\n"
	    "       ledger-admin stats [--db path] [--json]\n"
	    "       ledger-admin -h | -V\n");
}

struct opts {
	const char *db, *key, *name, *out, *ckout, *run, *reason, *before, *policy, *vault;
	char actor[LEDGER_IDENT_MAX + 1];
	int json;
};

static int
keygen(struct opts *o)
{
	char *skey = NULL, vkey[NOTE_VKEY_MAX], path[4096];
	struct phk_err e;
	size_t n = 0;
	int fd, status = 0;

	if (o->name == NULL) {
		phk_warn("keygen needs --name");
		return PHK_EXIT_USAGE;
	}
	if (note_keygen(o->name, &skey, &n, vkey, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if ((size_t)snprintf(path, sizeof(path), o->out ? "%s" : "%s.key",
	    o->out ? o->out : o->name) >= sizeof(path)) {
		phk_warn("key file name too long");
		sodium_free(skey);
		return PHK_EXIT_USAGE;
	}
	/* never over an existing key: that would orphan every checkpoint it signed */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		phk_warn("%s: %s", path, strerror(errno));
		sodium_free(skey);
		return errno == EEXIST ? PHK_EXIT_USAGE : PHK_EXIT_IO;
	}
	skey[n] = '\n';
	if (write(fd, skey, n + 1) != (ssize_t)(n + 1) || fsync(fd) < 0) {
		phk_warn("%s: %s", path, strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (close(fd) < 0 && status == 0) {
		phk_warn("%s: %s", path, strerror(errno));
		status = PHK_EXIT_IO;
	}
	sodium_free(skey);
	if (status) {
		unlink(path);
		return status;
	}
	printf("%s\n", vkey);
	phk_warn("secret key in '%s' (mode 0600); the line above is its verifier key", path);
	return 0;
}

static int
open_db(struct ledger *l, const struct opts *o, int flags)
{
	struct phk_err e;

	if (ledger_open(l, o->db, flags, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	return 0;
}

static int load_key(struct note_signer *sk, const struct opts *o, int required);

/* The verifier key of a secret key, for an auditor who lost the line keygen printed. */
static int
pubkey(struct opts *o)
{
	struct note_signer sk;
	char vkey[NOTE_VKEY_MAX];
	int rc;

	if ((rc = load_key(&sk, o, 1)) != 0)
		return -rc;
	note_signer_vkey(&sk, vkey);
	note_signer_release(&sk);
	printf("%s\n", vkey);
	return 0;
}

static int
load_key(struct note_signer *sk, const struct opts *o, int required)
{
	struct phk_err e;

	if (o->key == NULL || *o->key == '\0') {
		if (!required)
			return 1;
		phk_warn("a signing key is needed (--key or PHIKIT_LEDGER_KEY)");
		return -PHK_EXIT_USAGE;
	}
	if (note_signer_load(sk, o->key, &e) < 0) {
		phk_warn("%s", e.msg);
		return -e.status;
	}
	return 0;
}

/* Appends a signed note to --checkpoint-out (or PHIKIT_CHECKPOINT_OUT), if any. */
static int
save_note(const struct opts *o, const struct buf *note)
{
	const char *path = ckpt_path(o->ckout);
	struct phk_err e;
	int fd, rc = 0;

	if (path == NULL || note->len == 0)
		return 0;
	if ((fd = ckpt_open(path, &e)) < 0 || ckpt_write(fd, note->p, note->len, &e) < 0) {
		phk_warn("%s", e.msg);
		rc = PHK_EXIT_IO;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
checkpoint(struct opts *o)
{
	struct note_signer sk;
	struct ledger l;
	struct phk_err e;
	struct buf note;
	int rc;

	if ((rc = load_key(&sk, o, 1)) != 0)
		return -rc;
	if ((rc = open_db(&l, o, 0)) != 0) {
		note_signer_release(&sk);
		return rc;
	}
	buf_init(&note, 1 << 16);
	if (ledger_checkpoint(&l, &sk, &note, &e) < 0) {
		phk_warn("%s", e.msg);
		rc = e.status;
	} else {
		fwrite(note.p, 1, note.len, stdout);
		rc = save_note(o, &note);
	}
	buf_release(&note);
	ledger_close(&l);
	note_signer_release(&sk);
	return rc;
}

static int
actor_of(struct opts *o)
{
	struct phk_err e;

	if (o->actor[0] == '\0' && ledger_unix_user(o->actor, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	return 0;
}

/*
 * Crypto-shredding: the data key of the run (anonymize) or of every run
 * the vault made before the date (prune) is destroyed, so none of their
 * values can be decrypted again; no vault key is needed to destroy one.
 */
static int
shred(const struct opts *o, struct vault *v, int anonymize)
{
	struct phk_err e;
	long n = 0;

	if (vault_shred(v, anonymize ? o->run : NULL, o->before, anonymize ? "anonymize" :
	    "prune", &n, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	printf("vault %s: %ld run key%s destroyed\n", o->vault, n, n == 1 ? "" : "s");
	return 0;
}

static int
erase(struct opts *o, int anonymize)
{
	char user[LEDGER_IDENT_MAX + 1], pol_path[4096];
	struct note_signer sk;
	struct policy pol;
	struct ledger l;
	struct phk_err e;
	struct buf note;
	struct vault *v = NULL;
	uint64_t erased = 0;
	int rc;

	if (anonymize && (o->run == NULL || o->reason == NULL || *o->reason == '\0')) {
		phk_warn("anonymize needs --run and --reason");
		return PHK_EXIT_USAGE;
	}
	if (!anonymize && o->before == NULL) {
		phk_warn("prune needs --before");
		return PHK_EXIT_USAGE;
	}
	/* an erasure is signed: no one without the ledger's key can erase */
	if (o->key == NULL || *o->key == '\0') {
		phk_warn("an erasure is signed with the ledger's key, so that no one without it can "
		    "erase: give --key (or PHIKIT_LEDGER_KEY)");
		return PHK_EXIT_USAGE;
	}
	if ((rc = load_key(&sk, o, 1)) != 0)
		return -rc;
	/* the vault is opened first: a ledger erased and a vault left as it was is what to avoid */
	if (o->vault && vault_open(&v, o->vault, 0, NULL, &e) < 0) {
		phk_warn("%s", e.msg);
		note_signer_release(&sk);
		return e.status;
	}
	buf_init(&note, 1 << 16);
	if ((rc = actor_of(o)) != 0 || (rc = open_db(&l, o, 0)) != 0) {
		buf_release(&note);
		note_signer_release(&sk);
		vault_close(v);
		return rc;
	}
	/* the retention period, and who may erase: the bound policy's, never the caller's */
	if (dbpolicy_choose(&l, o->policy, pol_path, sizeof(pol_path), &e) < 0 ||
	    policy_load(&pol, pol_path, &e) < 0) {
		phk_warn("%s", e.msg);
		ledger_close(&l);
		buf_release(&note);
		note_signer_release(&sk);
		vault_close(v);
		return e.status;
	}
	if (ledger_unix_user(user, &e) < 0 ||
	    dbpolicy_enforce(&l, &pol, 1, user, &sk, &note, &e) < 0 ||
	    hitl_access_check(&l, &pol, user, ACT_ANONYMIZE, "access", &sk, &note, &e) < 0) {
		phk_warn("%s", e.msg);
		rc = e.status;
	} else if ((anonymize ? ledger_anonymize(&l, o->run, o->reason, o->actor, &sk, &note,
	    &erased, &e) : ledger_prune(&l, o->before, pol.ledger_retention_days, o->actor, &sk,
	    &note, &erased, &e)) < 0) {
		phk_warn("%s", e.msg);
		rc = e.status;
	} else if (anonymize)
		printf("anonymized run '%s': %llu payload%s erased\n", o->run,
		    (unsigned long long)erased, erased == 1 ? "" : "s");
	else
		printf("pruned: %llu payload%s before %s erased\n", (unsigned long long)erased,
		    erased == 1 ? "" : "s", o->before);
	if (rc == 0 && v && (rc = shred(o, v, anonymize)) != 0)
		phk_warn("the ledger's payloads were erased, the vault's values were not: run it "
		    "again once the vault can be written");
	ledger_close(&l);
	if (save_note(o, &note) && rc == 0)
		rc = PHK_EXIT_IO;
	buf_release(&note);
	note_signer_release(&sk);
	policy_release(&pol);
	vault_close(v);
	return rc;
}

/*
 * The database's bound policy: shown; bound (if none is); or changed to -p,
 * by a user the bound policy's access section gives the "policy" action,
 * judged by that policy as its file still holds it.
 */
static int
policy_cmd(struct opts *o)
{
	char user[LEDGER_IDENT_MAX + 1];
	struct note_signer sk;
	struct dbpolicy cur;
	struct policy next, bound;
	struct ledger l;
	struct phk_err e;
	struct buf note;
	int rc, have_sk, have_next = 0, have_bound = 0;

	if ((rc = load_key(&sk, o, 0)) < 0)
		return -rc;
	have_sk = rc == 0;
	buf_init(&note, 1 << 16);
	if ((rc = open_db(&l, o, o->policy ? 0 : LEDGER_RDONLY)) != 0)
		goto out;
	if (dbpolicy_read(&l, &cur, &e) < 0)
		goto fail;
	if (o->policy == NULL) {
		if (!cur.bound)
			printf("no policy bound yet (the first hitl or ledger-admin command binds its own)\n");
		else
			printf("policy %s sha256 %s\nfile %s\nbound at entry %llu\n", cur.name,
			    cur.sha256, cur.path, (unsigned long long)cur.seq);
		goto close;
	}
	if (policy_load(&next, o->policy, &e) < 0)
		goto fail;
	have_next = 1;
	if (ledger_unix_user(user, &e) < 0)
		goto fail;
	if (cur.bound && !strcmp(cur.sha256, next.sha256)) {
		printf("policy %s sha256 %s is bound already\n", cur.name, cur.sha256);
		goto close;
	}
	if (cur.bound) {
		/* who may change it is the bound policy's say, read from the file it was bound from */
		if (policy_load(&bound, cur.path, &e) < 0 || (have_bound = 1, strcmp(bound.sha256,
		    cur.sha256))) {
			phk_err_set(&e, PHK_EXIT_USAGE, "the bound policy's file %.200s no longer holds "
			    "the policy bound (sha256 %.12s...): restore it, so that its access section "
			    "can say who may change it", cur.path, cur.sha256);
			goto fail;
		}
		if (hitl_access_check(&l, &bound, user, ACT_POLICY, DBPOLICY_RUN,
		    have_sk ? &sk : NULL, &note, &e) < 0)
			goto fail;
	}
	if (dbpolicy_change(&l, &next, &cur, user, have_sk ? &sk : NULL, &note, &e) < 0)
		goto fail;
	printf("policy %s sha256 %s bound%s%s\n", next.name, next.sha256,
	    cur.bound ? " in place of " : "", cur.bound ? cur.name : "");
	goto close;
fail:
	phk_warn("%s", e.msg);
	rc = e.status;
close:
	ledger_close(&l);
	if (save_note(o, &note) && rc == 0)
		rc = PHK_EXIT_IO;
out:
	if (have_next)
		policy_release(&next);
	if (have_bound)
		policy_release(&bound);
	if (have_sk)
		note_signer_release(&sk);
	buf_release(&note);
	return rc;
}

static int
stats(struct opts *o)
{
	struct ledger_stats s;
	struct ledger l;
	struct phk_err e;
	char hex[2 * HASH_LEN + 1];
	int rc;

	if ((rc = open_db(&l, o, LEDGER_RDONLY)) != 0)
		return rc;
	if (ledger_stats(&l, &s, &e) < 0) {
		phk_warn("%s", e.msg);
		ledger_close(&l);
		return e.status;
	}
	sodium_bin2hex(hex, sizeof(hex), s.root, HASH_LEN);
	if (o->json)
		printf("{\"entries\":%llu,\"runs\":%llu,\"checkpoints\":%llu,"
		    "\"last_checkpoint_size\":%llu,\"erased\":%llu,\"first_ts\":\"%s\","
		    "\"last_ts\":\"%s\",\"root\":\"%s\",\"origin\":\"%s\"}\n",
		    (unsigned long long)s.entries, (unsigned long long)s.runs,
		    (unsigned long long)s.checkpoints, (unsigned long long)s.last_ck_size,
		    (unsigned long long)s.erased, s.first_ts, s.last_ts, hex, l.origin);
	else
		printf("origin       %s\nentries      %llu\nruns         %llu\n"
		    "checkpoints  %llu (latest covers %llu)\nerased       %llu payloads\n"
		    "first        %s\nlast         %s\nroot         %s\n",
		    l.origin, (unsigned long long)s.entries, (unsigned long long)s.runs,
		    (unsigned long long)s.checkpoints, (unsigned long long)s.last_ck_size,
		    (unsigned long long)s.erased, s.first_ts[0] ? s.first_ts : "-",
		    s.last_ts[0] ? s.last_ts : "-", hex);
	ledger_close(&l);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_KEY, O_NAME, O_CKOUT, O_RUN, O_REASON, O_BEFORE, O_ACTOR, O_JSON,
		O_VAULT };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "key", required_argument, NULL, O_KEY },
		{ "name", required_argument, NULL, O_NAME },
		{ "checkpoint-out", required_argument, NULL, O_CKOUT },
		{ "run", required_argument, NULL, O_RUN },
		{ "reason", required_argument, NULL, O_REASON },
		{ "before", required_argument, NULL, O_BEFORE },
		{ "actor", required_argument, NULL, O_ACTOR },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, O_JSON },
		{ "vault", required_argument, NULL, O_VAULT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	const char *cmd;
	int c, status;

	phk_setprog(argv[0]);
	/* a closed pipe is a write error to report (exit 4), not a silent death */
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	o.db = getenv("PHIKIT_DB");
	o.key = getenv("PHIKIT_LEDGER_KEY");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
	}
	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("ledger-admin (phikit) %s\n", PHIKIT_VERSION);
		return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
	}
	if (argc < 2 || argv[1][0] == '-') {
		usage(stderr);
		return PHK_EXIT_USAGE;
	}
	cmd = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "ho:p:", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB: o.db = optarg; break;
		case O_KEY: o.key = optarg; break;
		case O_NAME: o.name = optarg; break;
		case 'o': o.out = optarg; break;
		case O_CKOUT: o.ckout = optarg; break;
		case O_RUN: o.run = optarg; break;
		case O_REASON: o.reason = optarg; break;
		case O_BEFORE: o.before = optarg; break;
		case 'p': o.policy = optarg; break;
		case O_JSON: o.json = 1; break;
		case O_VAULT: o.vault = optarg; break;
		case O_ACTOR:
			if (!ledger_ident_ok(optarg)) {
				phk_warn("--actor %s must be 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -",
				    phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			snprintf(o.actor, sizeof(o.actor), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		default:
			usage(stderr);
			return PHK_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		phk_warn("unexpected argument %s", phk_arg(argv[optind]));
		return PHK_EXIT_USAGE;
	}
	if (o.run && !ledger_ident_ok(o.run)) {
		phk_warn("--run %s is not an identifier", phk_arg(o.run));
		return PHK_EXIT_USAGE;
	}
	if (o.db == NULL || *o.db == '\0')
		o.db = "phikit.db";
	if (!strcmp(cmd, "keygen"))
		status = keygen(&o);
	else if (!strcmp(cmd, "pubkey"))
		status = pubkey(&o);
	else if (!strcmp(cmd, "checkpoint"))
		status = checkpoint(&o);
	else if (!strcmp(cmd, "anonymize"))
		status = erase(&o, 1);
	else if (!strcmp(cmd, "prune"))
		status = erase(&o, 0);
	else if (!strcmp(cmd, "policy"))
		status = policy_cmd(&o);
	else if (!strcmp(cmd, "stats"))
		status = stats(&o);
	else {
		phk_warn("unknown command %s (keygen, pubkey, checkpoint, anonymize, prune, policy, "
		    "stats)",
		    phk_arg(cmd));
		return PHK_EXIT_USAGE;
	}
	if (fclose(stdout) != 0 && status == 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	return status;
}
