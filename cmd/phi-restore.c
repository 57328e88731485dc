/* phi-restore — put the originals back into model answers, for those allowed to see them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbpolicy.h"
#include "diag.h"
#include "filter.h"
#include "fopts.h"
#include "jsonl.h"
#include "keyfile.h"
#include "ledger.h"
#include "policy.h"
#include "restore.h"
#include "vault.h"

#define MAX_FIELDS 32

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: phi-restore [-hV] --vault db [--vault-key keyfile] [--db path] [-p policy]\n"
	    "                   [-f path]... [--on-error=stop|skip] [--max-line bytes]\n"
	    "                   [file ...]\n");
}

static int
work(void *ctx, const char *line, size_t n, struct buf *out, struct phk_err *e)
{
	return restore_line(ctx, line, n, out, e);
}

static void
report(void *ctx, const char *src, long lineno, const struct phk_err *e)
{
	(void)ctx;
	phk_input_error(src, lineno, e->msg);
}

struct opts {
	const char *vault, *vkey, *db, *policy;
	struct fieldpath fields[MAX_FIELDS];
	size_t nf;
	struct fopts fo;
};

/* -1 to exit with *status, 0 to go on. */
static int
parse(struct opts *o, int argc, char **argv, int *status)
{
	enum { O_VAULT = 256, O_VAULTKEY, O_DB };
	static const struct option longopts[] = {
		{ "vault", required_argument, NULL, O_VAULT },
		{ "vault-key", required_argument, NULL, O_VAULTKEY },
		{ "db", required_argument, NULL, O_DB },
		{ "policy", required_argument, NULL, 'p' },
		{ "field", required_argument, NULL, 'f' },
		FOPTS_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct phk_err e;
	int c, k;

	*status = PHK_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "hVp:f:", longopts, NULL)) != -1) {
		if ((k = fopts_take(&o->fo, c, optarg)) != 0) {
			if (k < 0)
				return -1;
			continue;
		}
		switch (c) {
		case O_VAULT: o->vault = optarg; break;
		case O_VAULTKEY: o->vkey = optarg; break;
		case O_DB: o->db = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'f':
			if (o->nf == MAX_FIELDS) {
				phk_warn("at most %d --field options", MAX_FIELDS);
				return -1;
			}
			if (fieldpath_parse(&o->fields[o->nf], optarg, &e) < 0) {
				phk_warn("%s", e.msg);
				return -1;
			}
			o->nf++;
			break;
		case 'h':
			usage(stdout);
			*status = fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
			return -1;
		case 'V':
			printf("phi-restore (phikit) %s\n", PHIKIT_VERSION);
			*status = fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->vault == NULL || *o->vault == '\0') {
		phk_warn("--vault is required: the vault phi-scrub --vault kept the values in");
		return -1;
	}
	if (o->vkey == NULL || *o->vkey == '\0') {
		phk_warn("the vault key is required: --vault-key FILE or PHIKIT_VAULT_KEY_FILE");
		return -1;
	}
	if (o->db == NULL || *o->db == '\0')
		o->db = "phikit.db";
	*status = 0;
	return 0;
}

/* The policy the ledger is bound to (or -p), and whether user may re-identify under it. */
static int
authorize(struct ledger *l, const struct opts *o, struct policy *pol, char *user,
    struct phk_err *e)
{
	char path[4096];

	if (dbpolicy_choose(l, o->policy, path, sizeof(path), e) < 0 ||
	    policy_load(pol, path, e) < 0)
		return -1;
	if (dbpolicy_enforce(l, pol, 0, "", NULL, NULL, e) < 0 || ledger_unix_user(user, e) < 0 ||
	    restore_access(l, pol, user, e) < 0) {
		policy_release(pol);
		return -1;
	}
	return 0;
}

static int
run_files(struct filter *flt, int argc, char **argv)
{
	int i, status = 0;

	if (argc == 0)
		return filter_fd(flt, STDIN_FILENO, "<stdin>");
	for (i = 0; i < argc && (status == 0 || (status == PHK_EXIT_INPUT && flt->skip)); i++) {
		int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		int st;
		if (fd < 0) {
			phk_warn("%s: %s", argv[i], strerror(errno));
			return PHK_EXIT_IO;
		}
		st = filter_fd(flt, fd, fd == STDIN_FILENO ? "<stdin>" : argv[i]);
		if (fd != STDIN_FILENO)
			close(fd);
		if (st && (!status || st != PHK_EXIT_INPUT))
			status = st;
	}
	return status;
}

/* Says which runs could not be restored because they were erased. */
static void
tell_erased(const struct restorer *r, struct vault *v)
{
	size_t i;

	for (i = 0; i < r->nruns; i++)
		if (r->runs[i].c.erased)
			phk_warn("run '%s' was erased from the vault (%s): %llu token%s not restored",
			    r->runs[i].run, vault_erased(v, r->runs[i].run) ?
			    vault_erased(v, r->runs[i].run) : "erased", r->runs[i].c.erased,
			    r->runs[i].c.erased == 1 ? "" : "s");
}

int
main(int argc, char **argv)
{
	char user[LEDGER_IDENT_MAX + 1];
	struct opts o;
	struct policy pol;
	struct phk_err e;
	struct filter flt;
	struct jsonl_writer w;
	struct restorer rs;
	struct ledger l;
	struct vault *v = NULL;
	unsigned char *vk = NULL;
	void *wctx[1];
	int status, have_l = 0, have_pol = 0, have_rs = 0;
	size_t i;

	phk_setprog(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	fopts_init(&o.fo, 1);
	o.vkey = getenv("PHIKIT_VAULT_KEY_FILE");
	o.db = getenv("PHIKIT_DB");
	if (parse(&o, argc, argv, &status) < 0)
		goto out;
	argc -= optind;
	argv += optind;
	/* who may comes first: an attempt without the role is logged, key or no key */
	if (ledger_open(&l, o.db, LEDGER_CREATE, &e) < 0)
		goto fail;
	have_l = 1;
	if (authorize(&l, &o, &pol, user, &e) < 0)
		goto fail;
	have_pol = 1;
	if ((vk = keyfile_load(o.vkey, VAULT_KEY_PURPOSE, &e)) == NULL)
		goto fail_vault;
	if (vault_open(&v, o.vault, VAULT_RDONLY, vk, &e) < 0 ||
	    restorer_init(&rs, v, o.fields, o.nf, &e) < 0)
		goto fail;
	have_rs = 1;
	memset(&flt, 0, sizeof(flt));
	jsonl_writer_init(&w, stdout);
	wctx[0] = &rs;
	flt.nworkers = 1;
	flt.wctx = wctx;
	flt.work = work;
	flt.report = report;
	flt.max_line = o.fo.max_line;
	flt.skip = o.fo.skip;
	flt.w = &w;
	status = run_files(&flt, argc, argv);
	if (jsonl_writer_close(&w) < 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (flt.skip && flt.bad)
		phk_warn("%lu bad line%s skipped", flt.bad, flt.bad == 1 ? "" : "s");
	tell_erased(&rs, v);
	/* what was restored is logged whatever the status: values may have gone out */
	if (restore_log(&l, &rs, &pol, user, o.vault, &e) < 0) {
		phk_warn("the restore could not be logged: %s", e.msg);
		status = PHK_EXIT_IO;
	}
	goto out;
fail_vault:
	phk_warn("vault %s", e.msg);
	status = e.status;
	goto out;
fail:
	phk_warn("%s", e.msg);
	status = e.status;
out:
	if (have_rs)
		restorer_release(&rs);
	vault_close(v);
	if (have_pol)
		policy_release(&pol);
	if (have_l)
		ledger_close(&l);
	keyfile_free(vk);
	for (i = 0; i < o.nf; i++)
		fieldpath_release(&o.fields[i]);
	return status;
}
