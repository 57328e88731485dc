#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "annot.h"
#include "bind.h"
#include "ckpt.h"
#include "jscan.h"
#include "lappend.h"
#include "sha256.h"

struct lappend_rec {
	size_t off, len;	/* the payload, in payloads */
	char run[LEDGER_IDENT_MAX + 1];
	struct annot_pos pos;	/* where phikit.ledger goes in it */
	struct ledger_rec lr;
};

void
lappend_init(struct lappend *a)
{
	memset(a, 0, sizeof(*a));
	a->ckfd = -1;
	a->kind = "record";
	a->max_line = JSONL_DEFAULT_MAX;
	a->batch_max = 1000;
	a->batch_bytes = 8u << 20;
	a->batch_ms = 200;
	buf_init(&a->payloads, (size_t)-1 / 4);
	buf_init(&a->out, (size_t)-1 / 4);
	buf_init(&a->note, 1 << 16);
}

void
lappend_release(struct lappend *a)
{
	buf_release(&a->payloads);
	buf_release(&a->out);
	buf_release(&a->note);
	free(a->r);
	a->r = NULL;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int
input_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Commits the open batch, then (and only then) passes its records on. */
static int
flush_batch(struct lappend *a, struct phk_err *e)
{
	char val[128], hex[2 * HASH_LEN + 1];
	struct ledger_rec *lr;
	size_t i, k;
	int rc;

	if (a->n == 0)
		return 0;
	if ((lr = calloc(a->n, sizeof(*lr))) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	for (i = 0; i < a->n; i++) {
		lr[i].run_id = a->r[i].run;
		lr[i].actor = a->actor;
		lr[i].kind = a->kind;
		lr[i].payload = a->payloads.p + a->r[i].off;
		lr[i].n = a->r[i].len;
	}
	buf_reset(&a->note);
	rc = ledger_append(a->l, lr, a->n, a->sk, a->sk ? &a->note : NULL, e);
	if (rc == 0 && a->ckfd >= 0 && a->note.len &&
	    ckpt_write(a->ckfd, a->note.p, a->note.len, e) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "checkpoint file: %s (entries up to %llu are in the "
		    "ledger, not passed on)", strerror(errno), (unsigned long long)lr[a->n - 1].seq);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < a->n; i++) {
		hex32(hex, lr[i].leaf);
		k = (size_t)snprintf(val, sizeof(val), "{\"seq\":%llu,\"leaf_hash\":\"%s\"}",
		    (unsigned long long)lr[i].seq, hex);
		buf_reset(&a->out);
		if (annot_write(lr[i].payload, lr[i].n, &a->r[i].pos, "ledger", val, k, &a->out) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			rc = -1;
		} else if (jsonl_write(a->w, a->out.p, a->out.len) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0) {
		a->appended += a->n;
		a->batches++;
	}
	free(lr);
	a->n = 0;
	buf_reset(&a->payloads);
	return rc;
}

static int
before_read(void *ctx, struct phk_err *e)
{
	struct lappend *a = ctx;

	/* the read may wait: nothing finished is held back while it does */
	if (a->n && !input_ready(a->fd))
		return flush_batch(a, e);
	return 0;
}

static int
stage(struct lappend *a, const char *line, size_t n, struct phk_err *e)
{
	struct lappend_rec *r;
	struct jscan js;
	size_t off = a->payloads.len;

	jscan_init(&js, NULL);
	if (jscan_record(&js, line, n, e) < 0)
		return -1;
	if (ARRAY_RESERVE(a->r, a->cap, a->n + 1) < 0)
		goto oom;
	r = &a->r[a->n];
	memset(r, 0, sizeof(*r));
	if (js.run_start >= 0) {
		size_t len = (size_t)(js.run_end - js.run_start);
		if (!jscan_is_ident(line + js.run_start, len)) {
			phk_err_set(e, PHK_EXIT_INPUT,
			    "run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -");
			return -1;
		}
		memcpy(r->run, line + js.run_start + 1, len - 2);
		r->run[len - 2] = '\0';
	} else if (a->run)
		snprintf(r->run, sizeof(r->run), "%s", a->run);
	else {
		/* one run for everything this invocation brings without one */
		if (a->uuid[0] == '\0')
			ledger_uuid(a->uuid);
		snprintf(r->run, sizeof(r->run), "%s", a->uuid);
	}
	if (a->require_scrubbed && bind_check_scrub(line, n, &js, a->pol, e) < 0)
		return -1;
	if (js.run_start >= 0) {
		if (annot_locate(line, n, &js, "ledger", &r->pos, e) < 0)
			return -1;
		if (buf_add(&a->payloads, line, n) < 0)
			goto oom;
	} else {
		/* the run it was given is part of what is logged */
		char q[LEDGER_IDENT_MAX + 3];
		size_t ql = (size_t)snprintf(q, sizeof(q), "\"%s\"", r->run);
		struct jscan js2;
		if (annot_add_member(line, n, &js, "run_id", q, ql, &a->payloads) < 0)
			goto oom;
		jscan_init(&js2, NULL);
		if (jscan_record(&js2, a->payloads.p + off, a->payloads.len - off, e) < 0 ||
		    annot_locate(a->payloads.p + off, a->payloads.len - off, &js2, "ledger",
		    &r->pos, e) < 0) {
			a->payloads.len = off;
			return -1;
		}
	}
	r->off = off;
	r->len = a->payloads.len - off;
	if (a->n++ == 0)
		a->t0 = now_ms();
	return 0;
oom:
	a->payloads.len = off;
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return -1;
}

int
lappend_fd(struct lappend *a, int fd, const char *name)
{
	struct jsonl_reader rd;
	struct phk_err e;
	const char *line;
	size_t n;
	int rc, status = 0;

	if (jsonl_reader_init(&rd, fd, name, a->max_line) < 0) {
		phk_err_set(&e, PHK_EXIT_IO, "out of memory");
		a->report(a->rctx, name, 0, &e);
		return PHK_EXIT_IO;
	}
	jsonl_writer_pair(a->w, &rd);
	rd.before_read = before_read;
	rd.before_ctx = a;
	a->fd = fd;
	a->src = name;
	for (;;) {
		rc = jsonl_read(&rd, &line, &n, &e);
		if (rc == 0)
			break;
		if (rc > 0 && stage(a, line, n, &e) == 0) {
			if (a->n >= a->batch_max || a->payloads.len >= a->batch_bytes ||
			    now_ms() - a->t0 >= a->batch_ms) {
				if (flush_batch(a, &e) < 0) {
					a->report(a->rctx, name, 0, &e);
					status = e.status;
					goto out;
				}
			}
			continue;
		}
		if (e.status != PHK_EXIT_INPUT) {
			/* a failed commit, a read or write error: nothing more passes */
			a->report(a->rctx, name, 0, &e);
			status = e.status;
			goto out;
		}
		a->report(a->rctx, name, rd.lineno, &e);
		a->bad++;
		status = PHK_EXIT_INPUT;
		if (!a->skip)
			break;
	}
	/* what came before the end (or a bad line) is logged and passed on */
	if (flush_batch(a, &e) < 0) {
		a->report(a->rctx, name, 0, &e);
		status = e.status;
	}
out:
	a->n = 0;
	buf_reset(&a->payloads);
	jsonl_reader_release(&rd);
	return status;
}
