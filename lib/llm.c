#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annot.h"
#include "buf.h"
#include "jscan.h"
#include "llm.h"

enum { S_FREE, S_WAIT, S_RUN, S_DONE, S_FAILED };

struct slot {
	int state;
	long lineno;
	int attempts;
	long long retry_at;	/* ms, monotonic */
	long long t0;		/* ms, monotonic: the first attempt's start */
	CURL *c;
	struct buf rec, req, resp, out;
	struct phk_err e;
};

struct run {
	const struct llm_opts *o;
	const char *name;
	CURLM *m;
	struct curl_slist *hdr;
	struct slot *s;
	int n, head, count, running;
	int fd;			/* input, polled while requests are in flight */
	int stop;		/* a record failed without --on-error=skip */
	int status;
	struct llm_stats *st;
};

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

char *
llm_url(const char *endpoint)
{
	static const char tail[] = "/chat/completions";
	size_t n = strlen(endpoint), t = sizeof(tail) - 1;
	char *u = malloc(n + t + 1);

	if (u == NULL)
		return NULL;
	memcpy(u, endpoint, n + 1);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	/* a base (".../v1") gains the path; the whole URL stays as it is */
	if (n < t || strcmp(u + n - t, tail) != 0)
		memcpy(u + n, tail, t + 1);
	return u;
}

static const char *
host_of(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://"), *end;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	snprintf(out, n, "%.*s", (int)(end - p), p);
	return out;
}

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	return buf_add(b, p, size * n) < 0 ? 0 : size * n;
}

/* The request for one record, or -1 with e set (PHK_EXIT_INPUT): what to send is missing. */
static int
build_request(struct run *r, struct slot *x, const char *line, size_t n, struct phk_err *e)
{
	json_t *rec, *msgs, *req;
	char *s;
	int rc = -1;

	/* scanned already: what fails is what jansson cannot hold, or memory */
	if ((rec = jscan_json(line, n, JSON_ALLOW_NUL, 1, "the record", e)) == NULL)
		return -1;
	if (json_object_get(rec, "choices") != NULL || json_object_get(rec, "usage") != NULL) {
		phk_err_set(e, PHK_EXIT_INPUT, "the record has choices or usage already (answered?)");
		goto out;
	}
	if (json_is_array(msgs = json_object_get(rec, "messages")) && json_array_size(msgs) > 0)
		json_incref(msgs);
	else if (json_is_string(json_object_get(rec, "text")))
		msgs = json_pack("[{s:s, s:O}]", "role", "user", "content", json_object_get(rec, "text"));
	else {
		phk_err_set(e, PHK_EXIT_INPUT, "the record has no messages (an array) or text "
		    "(a string) to send");
		goto out;
	}
	req = json_pack("{s:s, s:o}", "model", r->o->model, "messages", msgs);
	if (req && r->o->temperature >= 0)
		json_object_set_new(req, "temperature", json_real(r->o->temperature));
	if (req && r->o->max_tokens > 0)
		json_object_set_new(req, "max_tokens", json_integer(r->o->max_tokens));
	/* 15 digits: --temperature 0.2 goes out as 0.2, not 0.20000000000000001 */
	s = req ? json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(req);
	buf_reset(&x->req);
	if (s == NULL || buf_adds(&x->req, s) < 0)
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
	else
		rc = 0;
	free(s);
out:
	json_decref(rec);
	return rc;
}

static int
start(struct run *r, struct slot *x)
{
	if (x->c == NULL && (x->c = curl_easy_init()) == NULL) {
		phk_err_set(&x->e, PHK_EXIT_IO, "cannot start libcurl");
		return -1;
	}
	curl_easy_reset(x->c);
	http_easy_setup(x->c, r->o->http, r->o->url);
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, r->hdr);
	curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, x->req.p);
	curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req.len);
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &x->resp);
	curl_easy_setopt(x->c, CURLOPT_PRIVATE, x);
	buf_reset(&x->resp);
	x->attempts++;
	if (curl_multi_add_handle(r->m, x->c) != CURLM_OK) {
		phk_err_set(&x->e, PHK_EXIT_IO, "cannot start a request");
		return -1;
	}
	x->state = S_RUN;
	r->running++;
	return 0;
}

/*
 * phikit.llm: which model answered, as the answer names it (model, id,
 * system_fingerprint), the endpoint's host, and latency_ms: from the first
 * attempt's start to the answer that was kept, retries and their backoff
 * included (what the caller waited); x->out is rewritten with it.
 */
static int
annotate(const struct run *r, struct slot *x, json_t *ans, struct phk_err *e)
{
	static const char *const keys[] = { "model", "id", "system_fingerprint" };
	char host[256], *s;
	struct annot_pos pos;
	struct jscan js;
	struct buf t;
	json_t *a = json_object(), *v;
	size_t i;
	int rc = -1;

	for (i = 0; a && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_is_string(v = json_object_get(ans, keys[i])))
			json_object_set(a, keys[i], v);
	if (a)
		json_object_set_new(a, "host", json_string(host_of(r->o->url, host, sizeof(host))));
	if (a)
		json_object_set_new(a, "latency_ms", json_integer(now_ms() - x->t0));
	s = a ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
	json_decref(a);
	if (s == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	jscan_init(&js, NULL);
	if (jscan_record(&js, x->out.p, x->out.len, e) < 0 ||
	    annot_locate(x->out.p, x->out.len, &js, "llm", &pos, e) < 0)
		goto out;
	buf_reset(&x->req);
	if (annot_write(x->out.p, x->out.len, &pos, "llm", s, strlen(s), &x->req) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	t = x->out;
	x->out = x->req;
	x->req = t;
	rc = 0;
out:
	free(s);
	return rc;
}

/* The record with the answer's choices and usage as its last members, and phikit.llm. */
static int
finish(const struct run *r, struct slot *x, struct phk_err *e)
{
	json_t *ans, *ch, *msg, *usage;
	char *cs = NULL, *us = NULL;
	struct jscan js;
	int rc = -1;

	/* only a failed allocation is "out of memory"; anything else is the server's answer */
	if ((ans = jscan_json(x->resp.p, x->resp.len, 0, 0, "the answer", e)) == NULL &&
	    e->status == PHK_EXIT_IO)
		goto out;
	if (ans == NULL || !json_is_array(ch = json_object_get(ans, "choices")) ||
	    json_array_size(ch) == 0 ||
	    !json_is_object(msg = json_object_get(json_array_get(ch, 0), "message")) ||
	    !(json_is_string(json_object_get(msg, "content")) ||
	    json_is_array(json_object_get(msg, "tool_calls")))) {
		phk_err_set(e, PHK_EXIT_IO, "the answer is not a chat completion (no "
		    "choices[0].message with content)");
		goto out;
	}
	usage = json_object_get(ans, "usage");
	cs = json_dumps(ch, JSON_COMPACT | JSON_PRESERVE_ORDER);
	us = json_is_object(usage) ? json_dumps(usage, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	jscan_init(&js, NULL);
	if (cs == NULL || jscan_record(&js, x->rec.p, x->rec.len, e) < 0)
		goto out;
	buf_reset(&x->out);
	if (buf_add(&x->out, x->rec.p, js.top_close) < 0 ||
	    (js.top_members > 0 && buf_addc(&x->out, ',') < 0) ||
	    buf_adds(&x->out, "\"choices\":") < 0 || buf_adds(&x->out, cs) < 0 ||
	    (us && (buf_adds(&x->out, ",\"usage\":") < 0 || buf_adds(&x->out, us) < 0)) ||
	    buf_add(&x->out, x->rec.p + js.top_close, x->rec.len - js.top_close) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	rc = annotate(r, x, ans, e);
out:
	free(cs);
	free(us);
	json_decref(ans);
	return rc;
}

/* A transfer ended: done, due for a retry, or failed. */
static void
ended(struct run *r, struct slot *x, CURLcode cc)
{
	const struct http_opts *ho = r->o->http;
	char host[256], cerr[CURL_ERROR_SIZE];
	long status = 0;
	curl_off_t ra = 0;

	curl_multi_remove_handle(r->m, x->c);
	r->running--;
	if (cc == CURLE_OK)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status >= 200 && status <= 299) {
		x->state = finish(r, x, &x->e) == 0 ? S_DONE : S_FAILED;
		return;
	}
	if (x->attempts <= ho->retries && http_should_retry((int)cc, status)) {
#if LIBCURL_VERSION_NUM >= 0x074200
		if (cc == CURLE_OK)
			curl_easy_getinfo(x->c, CURLINFO_RETRY_AFTER, &ra);
#endif
		x->retry_at = now_ms() + http_backoff_ms(ho, x->attempts, (long)ra);
		x->state = S_WAIT;
		r->st->retries++;
		return;
	}
	host_of(r->o->url, host, sizeof(host));
	snprintf(cerr, sizeof(cerr), "%s", curl_easy_strerror(cc));
	if (cc != CURLE_OK)
		phk_err_set(&x->e, PHK_EXIT_IO, "%s: %s (%d attempt%s)", host, cerr, x->attempts,
		    x->attempts == 1 ? "" : "s");
	else
		phk_err_set(&x->e, PHK_EXIT_IO, "%s: the server answered %ld (%d attempt%s)", host,
		    status, x->attempts, x->attempts == 1 ? "" : "s");
	x->state = S_FAILED;
}

/* Writes out, in input order, every finished record at the head. */
static int
emit(struct run *r)
{
	while (r->count > 0) {
		struct slot *x = &r->s[r->head];
		if (x->state == S_DONE) {
			if (!r->stop && jsonl_write(r->o->w, x->out.p, x->out.len) < 0) {
				r->st->write_errno = errno;
				r->status = PHK_EXIT_IO;
				r->stop = 2;	/* no record, no report: the output is gone */
			}
		} else if (x->state == S_FAILED) {
			if (!r->stop) {
				if (r->o->report)
					r->o->report(r->o->ctx, r->name, x->lineno, &x->e);
				r->st->failed++;
				if (r->status == 0 || r->status == PHK_EXIT_INPUT)
					r->status = x->e.status;
				if (!r->o->skip)
					r->stop = 1;
			}
		} else
			return 0;
		x->state = S_FREE;
		r->head = (r->head + 1) % r->n;
		r->count--;
	}
	return 0;
}

/*
 * Drives the transfers for up to wait_ms, starting retries that are due;
 * with watch, returns early when the input has something to read.
 */
static int
pump(struct run *r, int wait_ms, int watch)
{
	struct curl_waitfd in = { r->fd, CURL_WAIT_POLLIN, 0 };
	long long now = now_ms(), next = -1;
	CURLMsg *msg;
	int i, left, still;

	for (i = 0; i < r->n; i++) {
		struct slot *x = &r->s[i];
		if (x->state != S_WAIT)
			continue;
		if (x->retry_at <= now) {
			if (start(r, x) < 0)
				x->state = S_FAILED;
		} else if (next < 0 || x->retry_at < next)
			next = x->retry_at;
	}
	curl_multi_perform(r->m, &still);
	while ((msg = curl_multi_info_read(r->m, &left)) != NULL) {
		char *pv = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &pv);
		ended(r, (struct slot *)(void *)pv, msg->data.result);
	}
	emit(r);
	if (next >= 0 && next - now < wait_ms)
		wait_ms = (int)(next - now) > 0 ? (int)(next - now) : 0;
	if (r->running > 0 || next >= 0 || watch) {
		curl_multi_poll(r->m, watch ? &in : NULL, watch ? 1 : 0, wait_ms, NULL);
		if (watch && (in.revents & (CURL_WAIT_POLLIN | POLLHUP)))
			return 1;
	}
	return 0;
}

/* The reader is about to wait for input: finish what can be finished meanwhile. */
static int
before_read(void *ctx, struct phk_err *e)
{
	struct run *r = ctx;

	while (r->count > 0 && !r->stop)
		if (pump(r, 1000, 1) == 1)
			break;
	if (!r->stop)
		return 0;
	phk_err_set(e, r->status ? r->status : PHK_EXIT_IO, "stopped");
	return -1;
}

static int
add_record(struct run *r, const char *line, size_t n, long lineno, const struct phk_err *bad)
{
	struct slot *x;

	while (r->count == r->n && !r->stop)
		pump(r, 1000, 0);
	if (r->stop)
		return -1;
	x = &r->s[(r->head + r->count) % r->n];
	r->count++;
	r->st->records++;
	x->lineno = lineno;
	x->attempts = 0;
	x->t0 = now_ms();
	if (bad) {
		x->e = *bad;
		x->state = S_FAILED;
	} else if (buf_reset(&x->rec), buf_add(&x->rec, line, n) < 0) {
		phk_err_set(&x->e, PHK_EXIT_IO, "out of memory");
		x->state = S_FAILED;
	} else {
		struct jscan js;
		jscan_init(&js, NULL);
		if (jscan_record(&js, line, n, &x->e) < 0 || build_request(r, x, line, n, &x->e) < 0 ||
		    start(r, x) < 0)
			x->state = S_FAILED;
	}
	emit(r);
	return 0;
}

int
llm_run_fd(const struct llm_opts *o, int fd, const char *name, struct llm_stats *st)
{
	struct jsonl_reader rd;
	struct curl_slist *t;
	struct phk_err e;
	struct run r;
	const char *p;
	size_t n;
	int i, rc = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.name = name;
	r.st = st;
	r.fd = fd;
	r.n = o->jobs;
	if ((r.s = calloc((size_t)r.n, sizeof(*r.s))) == NULL || (r.m = curl_multi_init()) == NULL ||
	    (r.hdr = curl_slist_append(NULL, "Content-Type: application/json")) == NULL ||
	    (o->auth && (t = curl_slist_append(r.hdr, o->auth)) == NULL)) {
		r.status = PHK_EXIT_IO;
		goto out;
	}
	curl_multi_setopt(r.m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)r.n);
	for (i = 0; i < r.n; i++) {
		buf_init(&r.s[i].rec, o->max_line);
		/* the answered record is annotated into req, swapped with out: one size */
		buf_init(&r.s[i].req, o->max_line + (16u << 20));
		buf_init(&r.s[i].resp, 16u << 20);
		buf_init(&r.s[i].out, o->max_line + (16u << 20));
	}
	if (jsonl_reader_init(&rd, fd, name, o->max_line) < 0) {
		r.status = PHK_EXIT_IO;
		goto out;
	}
	rd.before_read = before_read;
	rd.before_ctx = &r;
	while (!r.stop && (rc = jsonl_read(&rd, &p, &n, &e)) != 0) {
		if (rc < 0 && e.status != PHK_EXIT_INPUT)
			break;	/* a read error, or a stop from before_read */
		if (add_record(&r, p, n, rd.lineno, rc < 0 ? &e : NULL) < 0)
			break;
	}
	if (rc < 0 && !r.stop && e.status != PHK_EXIT_INPUT) {
		if (o->report)
			o->report(o->ctx, name, rd.lineno, &e);
		r.status = e.status;
		r.stop = 1;
	}
	while (r.count > 0 && !r.stop)
		pump(&r, 1000, 0);
	jsonl_reader_release(&rd);
out:
	for (i = 0; r.s && i < r.n; i++) {
		if (r.s[i].c) {
			curl_multi_remove_handle(r.m, r.s[i].c);
			curl_easy_cleanup(r.s[i].c);
		}
		buf_release(&r.s[i].rec);
		buf_release(&r.s[i].req);
		buf_release(&r.s[i].resp);
		buf_release(&r.s[i].out);
	}
	free(r.s);
	for (t = r.hdr; t; t = t->next)
		sodium_memzero(t->data, strlen(t->data));	/* the key's copy */
	curl_slist_free_all(r.hdr);
	if (r.m)
		curl_multi_cleanup(r.m);
	return r.status;
}
