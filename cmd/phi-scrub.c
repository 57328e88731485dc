/* phi-scrub — remove the HIPAA Safe Harbor identifiers from JSON Lines. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "jsonl.h"
#include "keyfile.h"
#include "policy.h"
#include "filter.h"
#include "fopts.h"
#include "scrub.h"
#include "vault.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: phi-scrub [-hV] [-j jobs] [-p policy] [-m tag|mask|pseudonym] [-k keyfile]\n"
	    "                 [-f path]... [--keep-year] [--date-shift] [--report]\n"
	    "                 [--vault db] [--vault-key keyfile] [--on-error=stop|skip]\n"
	    "                 [--max-line bytes] [--stats] [file ...]\n");
}

static struct vault *vault;
static char vault_said[sizeof(((struct phk_err *)0)->msg)];	/* the vault error reported */

/*
 * With --vault, the record is followed by its ticket (the filter's aux
 * bytes): it covers the record's values, which the vault's writer thread
 * stores while the scrubbing goes on.
 */
static int
work(void *ctx, const char *line, size_t n, struct buf *out, struct phk_err *e)
{
	uint64_t t;
	size_t auxn = sizeof(t);

	if (scrub_line(ctx, line, n, out, e) < 0)
		return -1;
	if (vault == NULL)
		return 0;
	t = vault_mark(vault);
	if (buf_add(out, &t, sizeof(t)) < 0 || buf_add(out, &auxn, sizeof(auxn)) < 0) {
		buf_reset(out);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	return 0;
}

/* In input order: a record is written only once its values are committed to the vault. */
static int
order(void *ctx, const char *line, size_t n, const char *aux, size_t auxn, struct buf *alt,
    struct phk_err *e)
{
	uint64_t t;

	(void)ctx, (void)line, (void)n, (void)alt;
	if (auxn != sizeof(t)) {
		phk_err_set(e, PHK_EXIT_IO, "internal error: no vault ticket");
		return -1;
	}
	memcpy(&t, aux, sizeof(t));
	return vault_wait(vault, t, e) < 0 ? -1 : FILTER_WRITE;
}

static void
report(void *ctx, const char *src, long lineno, const struct phk_err *e)
{
	(void)ctx;
	if (!strncmp(e->msg, "vault: ", 7))
		snprintf(vault_said, sizeof(vault_said), "%s", e->msg);
	phk_input_error(src, lineno, e->msg);
}

/* --vault: only for pseudonyms, with the vault key from a file, never argv. */
static int
open_vault(const char *path, const char *keypath, int mode, struct vault **v)
{
	unsigned char *vk;
	struct phk_err e;
	int rc;

	if (mode != REPLACE_PSEUDONYM) {
		phk_warn("--vault keeps the values pseudonyms replace: it needs -m pseudonym");
		return PHK_EXIT_USAGE;
	}
	if (keypath == NULL || *keypath == '\0') {
		phk_warn("--vault needs the vault key: --vault-key FILE or PHIKIT_VAULT_KEY_FILE");
		return PHK_EXIT_USAGE;
	}
	if ((vk = keyfile_load(keypath, VAULT_KEY_PURPOSE, &e)) == NULL) {
		phk_warn("vault %s", e.msg);
		return e.status;
	}
	rc = vault_open(v, path, VAULT_CREATE, vk, &e);
	keyfile_free(vk);
	if (rc < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_KEEPYEAR = 256, O_SHIFT, O_REPORT, O_STATS, O_VERSION, O_VAULT, O_VAULTKEY };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "field", required_argument, NULL, 'f' },
		{ "keep-year", no_argument, NULL, O_KEEPYEAR },
		{ "date-shift", no_argument, NULL, O_SHIFT },
		{ "report", no_argument, NULL, O_REPORT },
		{ "vault", required_argument, NULL, O_VAULT },
		{ "vault-key", required_argument, NULL, O_VAULTKEY },
		FOPTS_LONG,
		{ "stats", no_argument, NULL, O_STATS },
		FOPTS_JOBS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct fieldpath fields[SCRUB_MAX_FIELDS];
	struct scrub_opts o = { .replace = -1, .keep_year = -1 };
	struct policy pol;
	struct phk_err e;
	struct filter flt;
	struct jsonl_writer w;
	struct scrubber *sc = NULL;
	void *wctx[64];
	const char *policy = NULL, *keypath = getenv("PHIKIT_SCRUB_KEY");
	const char *vaultpath = NULL, *vkeypath = getenv("PHIKIT_VAULT_KEY_FILE");
	unsigned char *key = NULL;
	int c, i, status = 0, stats = 0, k, nsc = 0, loaded = 0;
	size_t nf = 0;
	struct fopts fo;

	phk_setprog(argv[0]);
	fopts_init(&fo, FOPTS_CPUS);
	memset(&flt, 0, sizeof(flt));
	while ((c = getopt_long(argc, argv, "hVj:p:m:k:f:", longopts, NULL)) != -1) {
		if ((k = fopts_take(&fo, c, optarg)) != 0) {
			if (k < 0) {
				status = PHK_EXIT_USAGE;
				goto out;
			}
			continue;
		}
		switch (c) {
		case 'p':
			policy = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "tag"))
				o.replace = REPLACE_TAG;
			else if (!strcmp(optarg, "mask"))
				o.replace = REPLACE_MASK;
			else if (!strcmp(optarg, "pseudonym"))
				o.replace = REPLACE_PSEUDONYM;
			else {
				phk_warn("unknown mode %s (tag, mask or pseudonym)", phk_arg(optarg));
				status = PHK_EXIT_USAGE;
				goto out;
			}
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'f':
			if (nf == SCRUB_MAX_FIELDS) {
				phk_warn("at most %d --field options", SCRUB_MAX_FIELDS);
				status = PHK_EXIT_USAGE;
				goto out;
			}
			if (fieldpath_parse(&fields[nf], optarg, &e) < 0) {
				phk_warn("%s", e.msg);
				status = PHK_EXIT_USAGE;
				goto out;
			}
			nf++;
			break;
		case O_KEEPYEAR:
			o.keep_year = 1;
			break;
		case O_SHIFT:
			o.date_shift = 1;
			break;
		case O_REPORT:
			o.report = 1;
			break;
		case O_STATS:
			stats = 1;
			break;
		case O_VAULT:
			vaultpath = optarg;
			break;
		case O_VAULTKEY:
			vkeypath = optarg;
			break;
		case 'h':
			usage(stdout);
			status = fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
			goto out;
		case 'V':
			printf("phi-scrub (phikit) %s\n", PHIKIT_VERSION);
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
	o.fields = fields;
	o.nfields = nf;

	if (policy_load(&pol, policy ? policy : policy_default_path(), &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto out;
	}
	loaded = 1;
	if (keypath && *keypath && (o.replace == REPLACE_PSEUDONYM ||
	    (o.replace < 0 && pol.replace == REPLACE_PSEUDONYM) || o.date_shift)) {
		if ((key = keyfile_load(keypath, "phikit scrub v1", &e)) == NULL) {
			phk_warn("%s", e.msg);
			status = e.status;
			goto out;
		}
		o.key = key;
	}
	if (vaultpath && (key || (o.replace >= 0 ? o.replace : pol.replace) != REPLACE_PSEUDONYM) &&
	    (status = open_vault(vaultpath, vkeypath,
	    o.replace >= 0 ? o.replace : pol.replace, &vault)) != 0)
		goto done;
	o.vault = vault;
	if ((sc = calloc((size_t)fo.jobs, sizeof(*sc))) == NULL) {
		phk_warn("out of memory");
		status = PHK_EXIT_IO;
		goto done;
	}
	for (nsc = 0; nsc < fo.jobs; nsc++) {
		if ((nsc == 0 ? scrubber_init(&sc[0], &pol, &o, &e) :
		    scrubber_clone(&sc[nsc], &sc[0], &e)) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
			goto done;
		}
		wctx[nsc] = &sc[nsc];
	}
	/* A reader that went away is an I/O error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	jsonl_writer_init(&w, stdout);
	flt.nworkers = fo.jobs;
	flt.wctx = wctx;
	flt.work = work;
	flt.report = report;
	if (vault)
		flt.order = order;
	flt.max_line = fo.max_line;
	flt.skip = fo.skip;
	flt.w = &w;

	if (argc == 0)
		status = filter_fd(&flt, STDIN_FILENO, "<stdin>");
	for (i = 0; i < argc && (status == 0 || (status == PHK_EXIT_INPUT && flt.skip)); i++) {
		int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		int st;
		if (fd < 0) {
			phk_warn("%s: %s", argv[i], strerror(errno));
			status = PHK_EXIT_IO;
			break;
		}
		st = filter_fd(&flt, fd, fd == STDIN_FILENO ? "<stdin>" : argv[i]);
		if (fd != STDIN_FILENO)
			close(fd);
		if (st && (!status || st != PHK_EXIT_INPUT))
			status = st;
	}
	if (jsonl_writer_close(&w) < 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (vault && vault_flush(vault, &e) < 0) {
		if (strcmp(e.msg, vault_said))	/* not said already, at the record it stopped */
			phk_warn("%s", e.msg);
		status = e.status;
	}
	if (flt.skip && flt.bad)
		phk_warn("%lu bad line%s skipped", flt.bad, flt.bad == 1 ? "" : "s");
	if (stats) {
		unsigned long long records = 0, tot[CAT__N] = { 0 };
		char line[64 * CAT__N + 32];
		size_t len = 0;
		for (k = 0; k < nsc; k++) {
			records += sc[k].records;
			for (i = 0; i < CAT__N; i++)
				tot[i] += sc[k].total[i];
		}
		line[0] = '\0';
		for (i = 0; i < CAT__N; i++)
			if (tot[i] && len < sizeof(line))
				len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%llu",
				    cat_name(i), tot[i]);
		phk_warn("%llu records%s", records, line);
	}
done:
	/* clones first: they borrow from the first */
	while (nsc-- > 0)
		scrubber_release(&sc[nsc]);
	free(sc);
	vault_close(vault);
out:
	for (i = 0; i < (int)nf; i++)
		fieldpath_release(&fields[i]);
	if (loaded)
		policy_release(&pol);
	keyfile_free(key);
	return status;
}
