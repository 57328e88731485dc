/* guard-check — check model output against a policy before anyone acts on it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "filter.h"
#include "fopts.h"
#include "guard.h"
#include "jsonl.h"
#include "policy.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: guard-check [-hV] [-j jobs] [-p policy] [-f path]... [--drop-denied] [--fail]\n"
	    "                   [--fix] [--on-error=stop|skip] [--max-line bytes] [--stats]\n"
	    "                   [file ...]\n");
}

static int
work(void *ctx, const char *line, size_t n, struct buf *out, struct phk_err *e)
{
	return guard_line(ctx, line, n, out, e);
}

static void
report(void *ctx, const char *src, long lineno, const struct phk_err *e)
{
	(void)ctx;
	phk_input_error(src, lineno, e->msg);
}

int
main(int argc, char **argv)
{
	enum { O_DROP = 256, O_FAIL, O_FIX, O_STATS };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "field", required_argument, NULL, 'f' },
		{ "drop-denied", no_argument, NULL, O_DROP },
		{ "fail", no_argument, NULL, O_FAIL },
		{ "fix", no_argument, NULL, O_FIX },
		FOPTS_LONG,
		{ "stats", no_argument, NULL, O_STATS },
		FOPTS_JOBS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct fieldpath fields[GUARD_MAX_FIELDS];
	struct guard_opts o = { 0 };
	struct guard_runs runs;
	struct policy pol;
	struct phk_err e;
	struct filter flt;
	struct jsonl_writer w;
	struct guard *gd = NULL;
	void *wctx[64];
	const char *policy = NULL;
	int c, i, status = 0, stats = 0, k, ng = 0, loaded = 0;
	int drop = 0, fail = 0, haveruns = 0;
	size_t nf = 0;
	struct fopts fo;

	phk_setprog(argv[0]);
	fopts_init(&fo, FOPTS_CPUS);
	memset(&flt, 0, sizeof(flt));
	while ((c = getopt_long(argc, argv, "hVj:p:f:", longopts, NULL)) != -1) {
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
		case 'f':
			if (nf == GUARD_MAX_FIELDS) {
				phk_warn("at most %d --field options", GUARD_MAX_FIELDS);
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
		case O_DROP:
			drop = 1;
			break;
		case O_FAIL:
			fail = 1;
			break;
		case O_FIX:
			o.fix = 1;
			break;
		case O_STATS:
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			status = fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
			goto out;
		case 'V':
			printf("guard-check (phikit) %s\n", PHIKIT_VERSION);
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
	if (guard_runs_init(&runs, &pol, drop) < 0) {
		phk_warn("out of memory");
		status = PHK_EXIT_IO;
		goto done;
	}
	haveruns = 1;
	if ((gd = calloc((size_t)fo.jobs, sizeof(*gd))) == NULL) {
		phk_warn("out of memory");
		status = PHK_EXIT_IO;
		goto done;
	}
	for (ng = 0; ng < fo.jobs; ng++) {
		if ((ng == 0 ? guard_init(&gd[0], &pol, &o, &e) :
		    guard_clone(&gd[ng], &gd[0], &e)) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
			goto done;
		}
		wctx[ng] = &gd[ng];
	}
	/* A reader that went away is an I/O error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	jsonl_writer_init(&w, stdout);
	flt.nworkers = fo.jobs;
	flt.wctx = wctx;
	flt.work = work;
	flt.report = report;
	flt.order = guard_runs_order;
	flt.octx = &runs;
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
	if (flt.skip && flt.bad)
		phk_warn("%lu bad line%s skipped", flt.bad, flt.bad == 1 ? "" : "s");
	if (stats) {
		char more[64] = "", forgot[64] = "";
		if (drop)
			snprintf(more, sizeof(more), " dropped=%llu", runs.dropped);
		if (runs.forgotten)
			snprintf(forgot, sizeof(forgot), " runs_forgotten=%llu", runs.forgotten);
		phk_warn("%llu records allow=%llu warn=%llu ask=%llu deny=%llu%s%s", runs.records,
		    runs.verdicts[SEV_ALLOW], runs.verdicts[SEV_WARN], runs.verdicts[SEV_ASK],
		    runs.verdicts[SEV_DENY], more, forgot);
	}
	/* a violation is news only when nothing worse happened */
	if (fail && status == 0 && runs.verdicts[SEV_DENY] > 0)
		status = PHK_EXIT_VIOLATION;
done:
	while (ng-- > 0)
		guard_release(&gd[ng]);
	free(gd);
	if (haveruns)
		guard_runs_release(&runs);
out:
	for (i = 0; i < (int)nf; i++)
		fieldpath_release(&fields[i]);
	if (loaded)
		policy_release(&pol);
	return status;
}
