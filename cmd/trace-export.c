/* trace-export — audit trails out of the ledger: the audit bundle of one run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "diag.h"
#include "ledger.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: trace-export [-hV] [--db path] --run id [--since checkpoint-file]\n"
	    "                    [--format json] [-o file]\n");
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_RUN, O_SINCE, O_FORMAT };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "run", required_argument, NULL, O_RUN },
		{ "since", required_argument, NULL, O_SINCE },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct bundle_opts bo;
	struct ledger l;
	struct phk_err e;
	const char *db = getenv("PHIKIT_DB"), *out = NULL, *since = NULL;
	struct buf sb;
	char tmp[4096];
	FILE *f = stdout;
	long n;
	int c, fd, status = 0;

	phk_setprog(argv[0]);
	memset(&bo, 0, sizeof(bo));
	while ((c = getopt_long(argc, argv, "hVo:", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			db = optarg;
			break;
		case O_RUN:
			if (!ledger_ident_ok(optarg)) {
				phk_warn("--run '%.200s' is not an identifier", optarg);
				return PHK_EXIT_USAGE;
			}
			bo.run = optarg;
			break;
		case O_SINCE:
			since = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") != 0) {
				phk_warn("unknown --format '%s' (json)", optarg);
				return PHK_EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		case 'V':
			printf("trace-export (phikit) %s\n", PHIKIT_VERSION);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		default:
			usage(stderr);
			return PHK_EXIT_USAGE;
		}
	}
	if (optind != argc || bo.run == NULL) {
		usage(stderr);
		return PHK_EXIT_USAGE;
	}
	if (db == NULL || *db == '\0')
		db = "phikit.db";
	buf_init(&sb, 256u << 20);
	if (since) {
		if (buf_read_file(&sb, since) < 0) {
			phk_warn("%s: %s", since, errno == E2BIG ?
			    "larger than 256 MiB; keep the newest notes in it" : strerror(errno));
			buf_release(&sb);
			return PHK_EXIT_IO;
		}
		bo.since = sb.p;
		bo.since_len = sb.len;
	}
	if (ledger_open(&l, db, LEDGER_RDONLY, &e) < 0) {
		phk_warn("%s", e.msg);
		buf_release(&sb);
		return e.status;
	}
	if (out) {
		/* all or nothing: written beside the target, 0600, renamed over it */
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >= sizeof(tmp) ||
		    (fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "w")) == NULL) {
			phk_warn("%s: %s", out, strerror(errno));
			status = PHK_EXIT_IO;
			goto done;
		}
	}
	if ((n = bundle_write(&l, &bo, f, &e)) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	}
	if (out) {
		if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
			if (status == 0)
				phk_warn("%s: %s", out, strerror(errno));
			status = status ? status : PHK_EXIT_IO;
		}
		fclose(f);
		if (status == 0 && rename(tmp, out) != 0) {
			phk_warn("%s: %s", out, strerror(errno));
			status = PHK_EXIT_IO;
		}
		if (status != 0)
			unlink(tmp);
		else
			fprintf(stderr, "%s: %ld entr%s of run '%s' written to '%s'\n", phk_prog(), n,
			    n == 1 ? "y" : "ies", bo.run, out);
	} else if (fclose(stdout) != 0 && status == 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
done:
	ledger_close(&l);
	buf_release(&sb);
	return status;
}
