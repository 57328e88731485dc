/* trace-export — audit trails out of the ledger: a run's audit bundle, or entries for SIEMs. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "dbpolicy.h"
#include "diag.h"
#include "export.h"
#include "hitl.h"
#include "http.h"
#include "ledger.h"
#include "policy.h"
#include "report.h"

#define FMT_BUNDLE (-1)
#define FMT_HTML (-2)
#define MAX_KEYS 16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: trace-export [-hV] [--db path] [-p policy] --run id | [--from ts] [--to ts]\n"
	    "                    [--since checkpoint-file] [--format json] [-o file]\n"
	    "       trace-export [--db path] [-p policy] --run id --format html\n"
	    "                    [--key verifier-key]... [-o file]\n"
	    "       trace-export [--db path] [-p policy] --format jsonl|otlp|hec [--run id]\n"
	    "                    [--from ts] [--to ts] [-o file | --post url [--token-file file]\n"
	    "                    [--cacert file] [--insecure-http] [--timeout s] [--retries n]]\n");
}

/* Where batches go: a stream, or a collector over HTTP. */
struct dest {
	FILE *f;
	const char *url;
	const struct http_opts *ho;
	const char *const *headers;
	const char *auth;
	long batches;
	uint64_t sent_first, sent_last;
	int sent;
};

static int
sink(void *ctx, const char *p, size_t n, uint64_t first, uint64_t last, struct phk_err *e)
{
	struct dest *d = ctx;
	struct http_result r;
	int rc;

	if (d->url == NULL) {
		if (fwrite(p, 1, n, d->f) != n) {
			phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	http_result_init(&r);
	rc = http_post(d->ho, d->url, d->headers, d->auth, p, n, &r, e);
	http_result_release(&r);
	if (rc < 0) {
		/* say exactly what was delivered: nothing half-sent passes for sent */
		char msg[sizeof(e->msg)];
		if (d->sent)
			snprintf(msg, sizeof(msg), "entries %llu to %llu delivered in %ld batch%s; from "
			    "seq %llu not delivered: %.300s", (unsigned long long)d->sent_first,
			    (unsigned long long)d->sent_last, d->batches, d->batches == 1 ? "" : "es",
			    (unsigned long long)first, e->msg);
		else
			snprintf(msg, sizeof(msg), "nothing delivered: %.400s", e->msg);
		phk_err_set(e, PHK_EXIT_IO, "%s", msg);
		return -1;
	}
	if (!d->sent)
		d->sent_first = first;
	d->sent = 1;
	d->sent_last = last;
	d->batches++;
	return 0;
}

/* The export role of the policy's access section; a refusal is logged if the ledger can be written. */
static int
may_export(const char *db, const char *policy, struct phk_err *e)
{
	char user[LEDGER_IDENT_MAX + 1], path[4096];
	struct policy pol;
	struct ledger w;
	int rc;

	/* the export role is the bound policy's, never the one the caller names */
	if (ledger_open(&w, db, LEDGER_RDONLY, e) < 0)
		return -1;
	if (dbpolicy_choose(&w, policy, path, sizeof(path), e) < 0 ||
	    policy_load(&pol, path, e) < 0) {
		ledger_close(&w);
		return -1;
	}
	rc = dbpolicy_enforce(&w, &pol, 0, "", NULL, NULL, e);
	ledger_close(&w);
	if (rc < 0 || ledger_unix_user(user, e) < 0) {
		policy_release(&pol);
		return -1;
	}
	if (hitl_allowed(&pol, user, ACT_EXPORT)) {
		policy_release(&pol);
		return 0;
	}
	if (ledger_open(&w, db, 0, e) == 0) {
		rc = hitl_access_check(&w, &pol, user, ACT_EXPORT, "access", NULL, NULL, e);
		ledger_close(&w);
	} else {
		phk_err_set(e, PHK_EXIT_VIOLATION, "refused: %s may not export (access.actions.export), "
		    "and the refusal could not be logged", user);
		rc = -1;
	}
	policy_release(&pol);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { O_DB = 256, O_RUN, O_SINCE, O_FORMAT, O_FROM, O_TO, O_POST, O_TOKEN, O_CACERT,
		O_INSECURE, O_TIMEOUT, O_RETRIES, O_KEY };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "run", required_argument, NULL, O_RUN },
		{ "since", required_argument, NULL, O_SINCE },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "post", required_argument, NULL, O_POST },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "insecure-http", no_argument, NULL, O_INSECURE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "key", required_argument, NULL, O_KEY },
		{ "policy", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const json_hdr[] = { "Content-Type: application/json", NULL };
	static const char *const ndjson_hdr[] = { "Content-Type: application/x-ndjson", NULL };
	struct note_verifier keys[MAX_KEYS];
	struct report_opts ro = { NULL, keys, 0 };
	struct bundle_opts bo;
	struct export_opts xo;
	struct http_opts ho;
	struct http_secret tok = { NULL, 0 };
	struct dest d;
	struct ledger l;
	struct phk_err e;
	const char *db = getenv("PHIKIT_DB"), *out = NULL, *since = NULL, *policy = NULL;
	const char *token = getenv("PHIKIT_EXPORT_TOKEN_FILE");
	struct buf sb;
	char tmp[4096], *end, *auth = NULL;
	FILE *f = stdout;
	long n, v;
	int c, fd, status = 0, format = FMT_BUNDLE;

	phk_setprog(argv[0]);
	if (phk_std_fds() < 0) {
		phk_warn("write error: %s", strerror(errno));
		return PHK_EXIT_IO;
	}
	/* a closed pipe is a write error to report (exit 4), not a silent death */
	signal(SIGPIPE, SIG_IGN);
	memset(&bo, 0, sizeof(bo));
	memset(&xo, 0, sizeof(xo));
	memset(&d, 0, sizeof(d));
	http_opts_init(&ho);
	while ((c = getopt_long(argc, argv, "hVo:p:", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			db = optarg;
			break;
		case O_RUN:
			if (!ledger_ident_ok(optarg)) {
				phk_warn("--run %s is not an identifier", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			bo.run = xo.run = optarg;
			break;
		case O_SINCE:
			since = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				format = FMT_BUNDLE;
			else if (strcmp(optarg, "html") == 0)
				format = FMT_HTML;
			else if ((format = export_format(optarg)) < 0) {
				phk_warn("unknown --format %s (json, jsonl, otlp, hec, html)",
				    phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			break;
		case O_KEY:
			if (ro.nkeys == MAX_KEYS) {
				phk_warn("at most %d --key options", MAX_KEYS);
				return PHK_EXIT_USAGE;
			}
			if (note_verifier_load(&keys[ro.nkeys], optarg, &e) < 0) {
				phk_warn("%s", e.msg);
				return PHK_EXIT_USAGE;
			}
			ro.nkeys++;
			break;
		case O_FROM:
		case O_TO:
			/* a prefix of a ts: 2026-11-24, 2026-11-24T15, ... */
			if (strlen(optarg) < 4 || strlen(optarg) > LEDGER_TS_LEN ||
			    strspn(optarg, "0123456789-T:.Z") != strlen(optarg)) {
				phk_warn("--%s %s is not a time (YYYY-MM-DD[THH:MM:SS])",
				    c == O_FROM ? "from" : "to", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			*(c == O_FROM ? &xo.from : &xo.to) = optarg;
			break;
		case O_POST:
			d.url = optarg;
			break;
		case O_TOKEN:
			token = optarg;
			break;
		case O_CACERT:
			ho.cacert = optarg;
			break;
		case O_INSECURE:
			ho.insecure_http = 1;
			break;
		case O_TIMEOUT:
		case O_RETRIES:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < (c == O_TIMEOUT) || v > 3600) {
				phk_warn("bad --%s %s", c == O_TIMEOUT ? "timeout" : "retries",
				    phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			if (c == O_TIMEOUT)
				ho.timeout_ms = v * 1000;
			else
				ho.retries = (int)v;
			break;
		case 'p':
			policy = optarg;
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
	bo.from = xo.from;
	bo.to = xo.to;
	/* a bundle is of one run, or of a time range */
	if (optind != argc || (format == FMT_BUNDLE && (bo.run == NULL) == (xo.from == NULL &&
	    xo.to == NULL)) || (format == FMT_BUNDLE && d.url) ||
	    (format == FMT_HTML && (bo.run == NULL || xo.from || xo.to || d.url)) ||
	    (format >= 0 && since) || (out && d.url) || (format == FMT_HTML && since) ||
	    (format != FMT_HTML && ro.nkeys)) {
		usage(stderr);
		return PHK_EXIT_USAGE;
	}
	if (d.url && (http_global_init(&e) < 0 || http_url_check(d.url, ho.insecure_http, &e) < 0)) {
		phk_warn("--post %s", e.msg);
		return e.status;
	}
	if (db == NULL || *db == '\0')
		db = "phikit.db";
	if (may_export(db, policy, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if (d.url && token && *token) {
		if (http_secret_load(&tok, token, &e) < 0 ||
		    (auth = http_auth_header(format == EXPORT_HEC ? "Splunk" : "Bearer", &tok)) == NULL) {
			phk_warn("%s", tok.p ? "out of secure memory" : e.msg);
			http_secret_release(&tok);
			return tok.p ? PHK_EXIT_IO : e.status;
		}
	}
	buf_init(&sb, 256u << 20);
	if (since) {
		if (buf_read_file(&sb, since) < 0) {
			phk_warn("%s: %s", since, errno == E2BIG ?
			    "larger than 256 MiB; keep the newest notes in it" : strerror(errno));
			status = PHK_EXIT_IO;
			goto early;
		}
		bo.since = sb.p;
		bo.since_len = sb.len;
	}
	if (ledger_open(&l, db, LEDGER_RDONLY, &e) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
		goto early;
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
	if (format == FMT_BUNDLE)
		n = bundle_write(&l, &bo, f, &e);
	else if (format == FMT_HTML) {
		ro.run = bo.run;
		n = report_html(&l, &ro, f, &e);
	} else {
		xo.format = format;
		d.f = f;
		d.ho = &ho;
		d.auth = auth;
		d.headers = format == EXPORT_JSONL ? ndjson_hdr : json_hdr;
		n = export_entries(&l, &xo, sink, &d, &e);
	}
	if (n < 0) {
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
		else if (format < 0 && bo.run)
			phk_warn("%ld entr%s of run '%s' written to '%s'", n, n == 1 ? "y" : "ies",
			    bo.run, out);
		else
			phk_warn("%ld entr%s written to '%s'", n, n == 1 ? "y" : "ies", out);
	} else if (d.url) {
		if (status == 0)
			phk_warn("%ld entr%s delivered in %ld batch%s", n, n == 1 ? "y" : "ies",
			    d.batches, d.batches == 1 ? "" : "es");
	} else if (fclose(stdout) != 0 && status == 0) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
done:
	ledger_close(&l);
early:
	buf_release(&sb);
	if (auth)
		http_header_free(auth);
	if (tok.p)
		http_secret_release(&tok);
	return status;
}
