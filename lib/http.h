/*
 * http — requests to the outside world over libcurl, for the programs that
 * send (trace-export --post, llm-call, hitl's webhook): TLS verified, no
 * redirects, no proxy for loopback, secrets from owner-only files, and
 * retries with backoff on 429, 5xx and dropped connections. A POST is
 * reported sent only when the server's final answer was a 2xx.
 */
#ifndef PHIKIT_HTTP_H
#define PHIKIT_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"

struct http_opts {
	const char *cacert;	/* a CA bundle file, or NULL for the system's */
	long timeout_ms;	/* one attempt, connect to last byte */
	long connect_timeout_ms;
	int retries;		/* attempts after the first */
	long backoff_ms;	/* the first wait; doubles each retry */
	long backoff_max_ms;	/* no wait longer, Retry-After included */
	int insecure_http;	/* http:// allowed to any host, not only loopback */
};

/* Defaults: 30 s per attempt, 10 s to connect, 4 retries, 500 ms doubling to 30 s. */
void http_opts_init(struct http_opts *o);

/* curl_global_init, once per process, before any thread starts; 0 or -1 (e). */
int http_global_init(struct phk_err *e);

/*
 * 0 if url may be used: https://, or http:// to a loopback host (any host
 * with insecure_http); else -1 with e (PHK_EXIT_USAGE) saying why.
 */
int http_url_check(const char *url, int insecure_http, struct phk_err *e);

/* 1 if host (as a URL names it) is this machine: localhost, 127.0.0.0/8, ::1. */
int http_loopback(const char *host);

/* A bearer token or API key, in sodium guarded memory. */
struct http_secret {
	char *p;		/* NUL-terminated; NULL when none is loaded */
	size_t len;
};

/*
 * Reads a secret from path: a regular file only its owner can read, one
 * line of printable ASCII (a trailing newline is dropped). 0 or -1 (e).
 */
int http_secret_load(struct http_secret *s, const char *path, struct phk_err *e);
void http_secret_release(struct http_secret *s);

/*
 * "Authorization: <scheme> <secret>" in sodium memory, for a header list;
 * NULL on failure. Free with http_header_free, which wipes it.
 */
char *http_auth_header(const char *scheme, const struct http_secret *s);
void http_header_free(char *h);

/* What a request came to: the last attempt's status and body. */
struct http_result {
	long status;		/* 0 when no answer came */
	int attempts;
	struct buf body;	/* at most 16 MiB */
};

void http_result_init(struct http_result *r);
void http_result_release(struct http_result *r);

/*
 * POSTs body to url with headers (NULL-terminated "Name: value" lines;
 * auth_header, when not NULL, is one more that is never logged), retrying
 * as http_should_retry says with http_backoff_ms between attempts.
 * 0 only when the final answer was a 2xx; else -1 with e (PHK_EXIT_IO)
 * naming the host, the last status or error, and the attempts made.
 */
int http_post(const struct http_opts *o, const char *url, const char *const *headers,
    const char *auth_header, const void *body, size_t len, struct http_result *r,
    struct phk_err *e);

/* Whether an attempt that ended so is worth repeating: 429, 5xx, no answer. */
int http_should_retry(int curl_code, long status);

/*
 * The wait before retry number attempt (1 for the first retry): backoff_ms
 * doubled per attempt, jittered down by up to half, at least retry_after_s
 * when the server sent one, never above backoff_max_ms.
 */
long http_backoff_ms(const struct http_opts *o, int attempt, long retry_after_s);

/*
 * Sets what every phikit request shares on a CURL easy handle: url, TLS
 * verification and cacert, timeouts, http/https only, no redirects, no
 * signals, no proxy for loopback.
 */
void http_easy_setup(void *curl, const struct http_opts *o, const char *url);

#endif
