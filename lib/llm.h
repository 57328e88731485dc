/*
 * llm — each record to an OpenAI-compatible chat completions endpoint and
 * back with the answer's choices and usage, several requests in flight
 * (libcurl multi) and the records out strictly in input order. A record
 * whose request finally fails, or whose answer is not one, is withheld and
 * reported, never passed on half-filled.
 */
#ifndef PHIKIT_LLM_H
#define PHIKIT_LLM_H

#include <stddef.h>

#include "diag.h"
#include "http.h"
#include "jsonl.h"

struct llm_opts {
	const char *url;	/* the full chat completions URL */
	const char *model;
	double temperature;	/* < 0: not sent */
	long max_tokens;	/* 0: not sent */
	int jobs;		/* requests in flight, 1 to 64 */
	int skip;		/* --on-error=skip */
	size_t max_line;
	const struct http_opts *http;
	const char *auth;	/* "Authorization: Bearer ..." or NULL */
	struct jsonl_writer *w;
	/* told about each failed record, in input order */
	void (*report)(void *ctx, const char *src, long lineno, const struct phk_err *e);
	void *ctx;
};

struct llm_stats {
	unsigned long records, failed, retries;
	int write_errno;	/* the output failed: for the caller to say so */
};

/*
 * Runs fd's records through the endpoint to o->w. 0; or the exit status
 * of the first failure (with skip: after the rest, PHK_EXIT_INPUT or
 * PHK_EXIT_IO). Records before a failure always come out.
 */
int llm_run_fd(const struct llm_opts *o, int fd, const char *name, struct llm_stats *st);

/* The chat completions URL for what --endpoint gave: a base or the whole URL. */
char *llm_url(const char *endpoint);

#endif
