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
#include "cursor.h"
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
	    "       trace-export [--db path] [-p policy] --run id | [--from ts] [--to ts]\n"
	    "                    --format html [--since checkpoint-file] [--key verifier-key]...\n"
	    "                    [-o file]\n"
	    "       trace-export --bundle file --format html [--since checkpoint-file]\n"
	    "                    [--key verifier-key]... [-o file]\n"
	    "       trace-export [--db path] [-p policy] --format jsonl|otlp|hec [--run id]\n"
	    "                    [--from ts] [--to ts] [--since-last cursor-file]\n"
	    "                    [-o file | --post url [--token-file file] [--cacert file]\n"
	    "                    [--insecure-http] [--timeout s] [--retries n]]\n");
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
		if (!d->sent)
			d->sent_first = first;
		d->sent = 1;
		d->sent_last = last;
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

/* Everything a run of trace-export works with, once its options are read. */
struct job {
	struct note_verifier keys[MAX_KEYS];
	struct report_opts ro;
	struct bundle_opts bo;
	struct export_opts xo;
	struct http_opts ho;
	struct http_secret tok;
	struct cursor cur;
	struct dest d;
	struct ledger l;
	struct buf sb;
	const char *db, *out, *since, *policy, *token, *bundle, *since_last;
	char tmp[4096], *auth;
	FILE *f;
	int format, opened;
};

static int
parse_num(int c, const char *arg, struct http_opts *ho)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < (c == 't') || v > 3600) {
		phk_warn("bad --%s %s", c == 't' ? "timeout" : "retries", phk_arg(arg));
		return -1;
	}
	if (c == 't')
		ho->timeout_ms = v * 1000;
	else
		ho->retries = (int)v;
	return 0;
}

static int
parse_format(struct job *j, const char *arg)
{
	if (strcmp(arg, "json") == 0)
		j->format = FMT_BUNDLE;
	else if (strcmp(arg, "html") == 0)
		j->format = FMT_HTML;
	else if ((j->format = export_format(arg)) < 0) {
		phk_warn("unknown --format %s (json, jsonl, otlp, hec, html)", phk_arg(arg));
		return -1;
	}
	return 0;
}

static int
parse_time(struct job *j, int from, const char *arg)
{
	/* a prefix of a ts: 2026-11-24, 2026-11-24T15, ... */
	if (strlen(arg) < 4 || strlen(arg) > LEDGER_TS_LEN ||
	    strspn(arg, "0123456789-T:.Z") != strlen(arg)) {
		phk_warn("--%s %s is not a time (YYYY-MM-DD[THH:MM:SS])", from ? "from" : "to",
		    phk_arg(arg));
		return -1;
	}
	*(from ? &j->xo.from : &j->xo.to) = arg;
	return 0;
}

/* The combinations the SYNOPSIS allows. */
static int
usage_ok(const struct job *j)
{
	int range = j->xo.from || j->xo.to, run = j->bo.run != NULL;

	if (j->format == FMT_BUNDLE)
		return run != range && !j->d.url && !j->bundle && !j->since_last && !j->ro.nkeys;
	if (j->format == FMT_HTML)
		return (j->bundle ? !run && !range : run != range) && !j->d.url && !j->since_last;
	return !j->since && !j->bundle && !j->ro.nkeys && !(j->out && j->d.url);
}

static int
parse_args(struct job *j, int argc, char **argv)
{
	enum { O_DB = 256, O_RUN, O_SINCE, O_FORMAT, O_FROM, O_TO, O_POST, O_TOKEN, O_CACERT,
		O_INSECURE, O_TIMEOUT, O_RETRIES, O_KEY, O_BUNDLE, O_SINCE_LAST };
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
		{ "bundle", required_argument, NULL, O_BUNDLE },
		{ "since-last", required_argument, NULL, O_SINCE_LAST },
		{ "policy", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct phk_err e;
	int c;

	while ((c = getopt_long(argc, argv, "hVo:p:", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB: j->db = optarg; break;
		case O_SINCE: j->since = optarg; break;
		case O_BUNDLE: j->bundle = optarg; break;
		case O_SINCE_LAST: j->since_last = optarg; break;
		case O_POST: j->d.url = optarg; break;
		case O_TOKEN: j->token = optarg; break;
		case O_CACERT: j->ho.cacert = optarg; break;
		case O_INSECURE: j->ho.insecure_http = 1; break;
		case 'p': j->policy = optarg; break;
		case 'o': j->out = optarg; break;
		case O_RUN:
			if (!ledger_ident_ok(optarg)) {
				phk_warn("--run %s is not an identifier", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			j->bo.run = j->xo.run = optarg;
			break;
		case O_FORMAT:
			if (parse_format(j, optarg) < 0)
				return PHK_EXIT_USAGE;
			break;
		case O_KEY:
			if (j->ro.nkeys == MAX_KEYS) {
				phk_warn("at most %d --key options", MAX_KEYS);
				return PHK_EXIT_USAGE;
			}
			if (note_verifier_load(&j->keys[j->ro.nkeys], optarg, &e) < 0) {
				phk_warn("%s", e.msg);
				return PHK_EXIT_USAGE;
			}
			j->ro.nkeys++;
			break;
		case O_FROM:
		case O_TO:
			if (parse_time(j, c == O_FROM, optarg) < 0)
				return PHK_EXIT_USAGE;
			break;
		case O_TIMEOUT:
		case O_RETRIES:
			if (parse_num(c == O_TIMEOUT ? 't' : 'r', optarg, &j->ho) < 0)
				return PHK_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? -1 : PHK_EXIT_IO;
		case 'V':
			printf("trace-export (phikit) %s\n", PHIKIT_VERSION);
			return fclose(stdout) == 0 ? -1 : PHK_EXIT_IO;
		default:
			usage(stderr);
			return PHK_EXIT_USAGE;
		}
	}
	j->bo.from = j->xo.from;
	j->bo.to = j->xo.to;
	if (optind != argc || !usage_ok(j)) {
		usage(stderr);
		return PHK_EXIT_USAGE;
	}
	return 0;
}

/* -o: all or nothing, written beside the target, 0600, renamed over it. */
static int
open_out(struct job *j)
{
	int fd;

	if (j->out == NULL)
		return 0;
	if ((size_t)snprintf(j->tmp, sizeof(j->tmp), "%s.XXXXXX", j->out) >= sizeof(j->tmp) ||
	    (fd = mkstemp(j->tmp)) < 0 || (j->f = fdopen(fd, "w")) == NULL) {
		phk_warn("%s: %s", j->out, strerror(errno));
		j->f = stdout;
		return PHK_EXIT_IO;
	}
	j->opened = 1;
	return 0;
}

/* The output closed; kept (renamed into place) when keep. */
static int
close_out(struct job *j, int status, int keep, long n)
{
	if (!j->opened) {
		if (!j->d.url && fclose(stdout) != 0 && status == 0) {
			phk_warn("write error: %s", strerror(errno));
			status = PHK_EXIT_IO;
		}
		return status;
	}
	if (fflush(j->f) != 0 || fsync(fileno(j->f)) != 0) {
		if (status == 0)
			phk_warn("%s: %s", j->out, strerror(errno));
		status = status ? status : PHK_EXIT_IO;
		keep = 0;
	}
	fclose(j->f);
	if (keep && rename(j->tmp, j->out) != 0) {
		phk_warn("%s: %s", j->out, strerror(errno));
		status = PHK_EXIT_IO;
		keep = 0;
	}
	if (!keep)
		unlink(j->tmp);
	else if (j->format == FMT_HTML && !j->ro.valid)
		phk_warn("INVALID: %s; the report that says so written to '%s'", j->ro.what, j->out);
	else if (j->format < 0 && j->bo.run)
		phk_warn("%ld entr%s of run '%s' written to '%s'", n, n == 1 ? "y" : "ies",
		    j->bo.run, j->out);
	else
		phk_warn("%ld entr%s written to '%s'", n, n == 1 ? "y" : "ies", j->out);
	return status;
}

/* --format html: verified as it is made; a trail that does not verify gets its page and exit 1. */
static int
report(struct job *j)
{
	struct phk_err e;
	int status = 0;
	long n;

	if ((status = open_out(j)) != 0)
		return status;
	j->ro.run = j->bo.run;
	j->ro.from = j->xo.from;
	j->ro.to = j->xo.to;
	if (j->bundle)
		n = report_html_bundle(j->bundle, &j->ro, j->f, &e);
	else
		n = report_html_db(&j->l, &j->ro, j->f, &e);
	if (n < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	}
	status = close_out(j, status, n >= 0, n);
	if (n >= 0 && !j->ro.valid) {
		if (!j->opened)
			phk_warn("INVALID: %s", j->ro.what);
		status = status ? status : PHK_EXIT_VIOLATION;
	}
	return status;
}

static int
ship(struct job *j)
{
	static const char *const json_hdr[] = { "Content-Type: application/json", NULL };
	static const char *const ndjson_hdr[] = { "Content-Type: application/x-ndjson", NULL };
	struct phk_err e;
	int status;
	long n = 0;

	if (j->since_last) {
		if (cursor_open(&j->cur, j->since_last, j->l.origin, &e) < 0) {
			phk_warn("%s", e.msg);
			return e.status;
		}
		j->xo.has_after = j->cur.has;
		j->xo.after = j->cur.seq;
	}
	if ((status = open_out(j)) != 0)
		return status;
	j->xo.format = j->format;
	j->d.f = j->f;
	j->d.ho = &j->ho;
	j->d.auth = j->auth;
	j->d.headers = j->format == EXPORT_JSONL ? ndjson_hdr : json_hdr;
	if ((n = export_entries(&j->l, &j->xo, sink, &j->d, &e)) < 0) {
		phk_warn("%s", e.msg);
		status = e.status;
	}
	if (j->d.url && status == 0)
		phk_warn("%ld entr%s delivered in %ld batch%s", n, n == 1 ? "y" : "ies",
		    j->d.batches, j->d.batches == 1 ? "" : "es");
	status = close_out(j, status, status == 0, n);
	/* what was delivered is not sent again, even when a later batch failed */
	if (j->since_last && j->d.sent && (status == 0 || (j->d.url && j->d.batches))) {
		if (cursor_commit(&j->cur, j->d.sent_last, &e) < 0) {
			phk_warn("entries to %llu were sent, but the cursor was not moved: %s",
			    (unsigned long long)j->d.sent_last, e.msg);
			status = status ? status : PHK_EXIT_IO;
		}
	}
	return status;
}

static int
run(struct job *j)
{
	struct phk_err e;
	int status;

	if (j->d.url && (http_global_init(&e) < 0 ||
	    http_url_check(j->d.url, j->ho.insecure_http, &e) < 0)) {
		phk_warn("--post %s", e.msg);
		return e.status;
	}
	if (j->bundle)	/* the auditor's copy: no database, no export role */
		return report(j);
	if (j->db == NULL || *j->db == '\0')
		j->db = "phikit.db";
	if (may_export(j->db, j->policy, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if (j->d.url && j->token && *j->token &&
	    (http_secret_load(&j->tok, j->token, &e) < 0 || (j->auth = http_auth_header(
	    j->format == EXPORT_HEC ? "Splunk" : "Bearer", &j->tok)) == NULL)) {
		phk_warn("%s", j->tok.p ? "out of secure memory" : e.msg);
		return j->tok.p ? PHK_EXIT_IO : e.status;
	}
	if (j->since) {
		if (buf_read_file(&j->sb, j->since) < 0) {
			phk_warn("%s: %s", j->since, errno == E2BIG ?
			    "larger than 256 MiB; keep the newest notes in it" : strerror(errno));
			return PHK_EXIT_IO;
		}
		j->bo.since = j->ro.since = j->sb.p;
		j->bo.since_len = j->ro.since_len = j->sb.len;
	}
	if (ledger_open(&j->l, j->db, LEDGER_RDONLY, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if (j->format == FMT_HTML)
		status = report(j);
	else if (j->format == FMT_BUNDLE) {
		long n;
		if ((status = open_out(j)) != 0)
			goto done;
		if ((n = bundle_write(&j->l, &j->bo, j->f, &e)) < 0) {
			phk_warn("%s", e.msg);
			status = e.status;
		}
		status = close_out(j, status, status == 0, n);
	} else
		status = ship(j);
done:
	ledger_close(&j->l);
	return status;
}

int
main(int argc, char **argv)
{
	static struct job j;	/* zeroed */
	int status;

	phk_setprog(argv[0]);
	if (phk_std_fds() < 0) {
		phk_warn("write error: %s", strerror(errno));
		return PHK_EXIT_IO;
	}
	/* a closed pipe is a write error to report (exit 4), not a silent death */
	signal(SIGPIPE, SIG_IGN);
	j.db = getenv("PHIKIT_DB");
	j.token = getenv("PHIKIT_EXPORT_TOKEN_FILE");
	j.f = stdout;
	j.format = FMT_BUNDLE;
	j.ro.keys = j.keys;
	j.cur.fd = -1;
	http_opts_init(&j.ho);
	buf_init(&j.sb, 256u << 20);
	if ((status = parse_args(&j, argc, argv)) != 0)
		return status < 0 ? 0 : status;
	status = run(&j);
	buf_release(&j.sb);
	cursor_release(&j.cur);
	if (j.auth)
		http_header_free(j.auth);
	if (j.tok.p)
		http_secret_release(&j.tok);
	return status;
}
