/* llm-call — each record to an OpenAI-compatible chat completions endpoint, answered, in order. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baa.h"
#include "diag.h"
#include "fopts.h"
#include "http.h"
#include "llm.h"
#include "policy.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: llm-call [-hV] [-p policy] [--endpoint url] [--model name] [--temperature t]\n"
	    "                [--max-tokens n] [-j jobs] [--api-key-file file] [--cacert file]\n"
	    "                [--insecure-http] [--timeout s] [--retries n]\n"
	    "                [--on-error=stop|skip] [--max-line bytes] [--stats] [file ...]\n");
}

static void
report(void *ctx, const char *src, long lineno, const struct phk_err *e)
{
	(void)ctx;
	phk_warn("error (at %s:%ld): %s", src, lineno, e->msg);
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
	enum { O_ENDPOINT = 256, O_MODEL, O_TEMP, O_MAXTOK, O_KEY, O_CACERT, O_INSECURE,
		O_TIMEOUT, O_RETRIES, O_STATS };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "model", required_argument, NULL, O_MODEL },
		{ "temperature", required_argument, NULL, O_TEMP },
		{ "max-tokens", required_argument, NULL, O_MAXTOK },
		FOPTS_JOBS,
		{ "api-key-file", required_argument, NULL, O_KEY },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "insecure-http", no_argument, NULL, O_INSECURE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		FOPTS_LONG,
		{ "stats", no_argument, NULL, O_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *endpoint = getenv("PHIKIT_LLM_ENDPOINT"), *keyfile = getenv("PHIKIT_LLM_API_KEY_FILE");
	const char *model = getenv("PHIKIT_LLM_MODEL"), *policy = NULL;
	struct policy pol;
	struct http_secret key = { NULL, 0 };
	struct jsonl_writer w;
	struct llm_stats st;
	struct llm_opts o;
	struct http_opts ho;
	struct phk_err e;
	char *auth = NULL, *url = NULL, *end;
	long v;
	struct fopts fo;
	int c, i, k, status = 0, stats = 0, loaded = 0;

	phk_setprog(argv[0]);
	if (phk_std_fds() < 0) {
		phk_warn("write error: %s", strerror(errno));
		return PHK_EXIT_IO;
	}
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	http_opts_init(&ho);
	ho.timeout_ms = 120000;	/* a model may think a while */
	o.temperature = -1;
	fopts_init(&fo, 4);
	while ((c = getopt_long(argc, argv, "hVj:p:", longopts, NULL)) != -1) {
		if ((k = fopts_take(&fo, c, optarg)) != 0) {
			if (k < 0)
				return PHK_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'p':
			policy = optarg;
			break;
		case O_ENDPOINT:
			endpoint = optarg;
			break;
		case O_MODEL:
			model = optarg;
			break;
		case O_TEMP:
			errno = 0;
			o.temperature = strtod(optarg, &end);
			if (errno || end == optarg || *end || o.temperature < 0 || o.temperature > 2) {
				phk_warn("bad --temperature %s (0 to 2)", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			break;
		case O_MAXTOK:
			if (number(optarg, 1, 1000000, &o.max_tokens) < 0) {
				phk_warn("bad --max-tokens %s", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			break;
		case O_KEY:
			keyfile = optarg;
			break;
		case O_CACERT:
			ho.cacert = optarg;
			break;
		case O_INSECURE:
			ho.insecure_http = 1;
			break;
		case O_TIMEOUT:
			if (number(optarg, 1, 3600, &v) < 0) {
				phk_warn("bad --timeout %s (1 to 3600 seconds)", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			ho.timeout_ms = v * 1000;
			break;
		case O_RETRIES:
			if (number(optarg, 0, 100, &v) < 0) {
				phk_warn("bad --retries %s (0 to 100)", phk_arg(optarg));
				return PHK_EXIT_USAGE;
			}
			ho.retries = (int)v;
			break;
		case O_STATS:
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		case 'V':
			printf("llm-call (phikit) %s\n", PHIKIT_VERSION);
			return fclose(stdout) == 0 ? 0 : PHK_EXIT_IO;
		default:
			usage(stderr);
			return PHK_EXIT_USAGE;
		}
	}
	if (endpoint == NULL || *endpoint == '\0') {
		phk_warn("no endpoint: give --endpoint or PHIKIT_LLM_ENDPOINT");
		return PHK_EXIT_USAGE;
	}
	if (http_global_init(&e) < 0 || (url = llm_url(endpoint)) == NULL) {
		phk_warn("%s", url ? e.msg : "out of memory");
		return PHK_EXIT_IO;
	}
	if (http_url_check(url, ho.insecure_http, &e) < 0) {
		phk_warn("--endpoint %s", e.msg);
		free(url);
		return e.status;
	}
	/* which models may see a prompt: decided before any byte is sent */
	if (policy_load(&pol, policy ? policy : policy_default_path(), &e) < 0 ||
	    (loaded = 1, baa_check(&pol.llm, url, &e) < 0)) {
		phk_warn("%s%s", loaded ? "--endpoint " : "", e.msg);
		status = e.status;
		goto out;
	}
	if (keyfile && *keyfile) {
		if (http_secret_load(&key, keyfile, &e) < 0 ||
		    (auth = http_auth_header("Bearer", &key)) == NULL) {
			phk_warn("%s", key.p ? "out of secure memory" : e.msg);
			status = key.p ? PHK_EXIT_IO : e.status;
			goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	jsonl_writer_init(&w, stdout);
	o.url = url;
	o.model = model && *model ? model : "default";
	o.http = &ho;
	o.auth = auth;
	o.w = &w;
	o.report = report;
	o.jobs = fo.jobs;
	o.skip = fo.skip;
	o.max_line = fo.max_line;
	if (optind == argc)
		status = llm_run_fd(&o, STDIN_FILENO, "<stdin>", &st);
	for (i = optind; i < argc && (status == 0 || o.skip); i++) {
		int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		int s;
		if (fd < 0) {
			phk_warn("%s: %s", argv[i], strerror(errno));
			status = PHK_EXIT_IO;
			break;
		}
		s = llm_run_fd(&o, fd, fd == STDIN_FILENO ? "<stdin>" : argv[i], &st);
		if (fd != STDIN_FILENO)
			close(fd);
		if (s && !status)
			status = s;
	}
	if (st.write_errno) {
		phk_warn("write error: %s", strerror(st.write_errno));
		jsonl_writer_close(&w);
	} else if (jsonl_writer_close(&w) < 0 && status != PHK_EXIT_IO) {
		phk_warn("write error: %s", strerror(errno));
		status = PHK_EXIT_IO;
	}
	if (o.skip && st.failed)
		phk_warn("%lu record%s withheld", st.failed, st.failed == 1 ? "" : "s");
	if (stats)
		phk_warn("%lu record%s, %lu answered, %lu withheld, %lu retr%s", st.records,
		    st.records == 1 ? "" : "s", st.records - st.failed, st.failed, st.retries,
		    st.retries == 1 ? "y" : "ies");
out:
	if (loaded)
		policy_release(&pol);
	if (auth)
		http_header_free(auth);
	if (key.p)
		http_secret_release(&key);
	free(url);
	return status;
}
