#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

#define BATCH_RECORDS 256
#define BATCH_BYTES (1u << 20)

struct rec {
	size_t in, inlen;	/* in the batch's input */
	size_t out, outlen;	/* in the batch's output */
	int status;
	int pre;		/* failed before work: a line too long to read */
	struct phk_err e;
};

struct batch {
	struct buf in, out;
	struct rec *r;
	size_t n, cap;
	long lineno0;		/* line number of r[0] */
	int state;		/* FREE, FILLING, QUEUED, RUNNING, DONE */
};

enum { B_FREE, B_FILLING, B_QUEUED, B_RUNNING, B_DONE };

struct pool {
	struct filter *f;
	struct batch *b;
	int nb;
	int head;		/* oldest batch not yet written */
	int tail;		/* batch being filled */
	int quit;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t *th;
	int nth;
	int oom;
};

static int
batch_run(struct filter *f, void *wctx, struct batch *b)
{
	size_t i;
	struct buf tmp;

	buf_reset(&b->out);
	buf_init(&tmp, (size_t)-1 / 2);
	for (i = 0; i < b->n; i++) {
		struct rec *r = &b->r[i];
		r->out = b->out.len;
		r->outlen = 0;
		if (r->pre) {
			r->status = r->e.status;
			continue;
		}
		r->status = 0;
		/* the input lives in b->in; the worker writes straight after b->out */
		if (f->work(wctx, b->in.p + r->in, r->inlen, &tmp, &r->e) < 0) {
			r->status = r->e.status ? r->e.status : PHK_EXIT_IO;
			continue;
		}
		if (buf_add(&b->out, tmp.p, tmp.len) < 0) {
			phk_err_set(&r->e, PHK_EXIT_IO, "out of memory");
			r->status = PHK_EXIT_IO;
			continue;
		}
		r->outlen = tmp.len;
	}
	buf_release(&tmp);
	return 0;
}

static void *
worker(void *arg)
{
	struct pool *p = ((void **)arg)[0];
	void *wctx = ((void **)arg)[1];
	int i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (i = 0; i < p->nb && p->b[i].state != B_QUEUED; i++)
			;
		if (i == p->nb) {
			if (p->quit)
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		p->b[i].state = B_RUNNING;
		pthread_mutex_unlock(&p->mu);
		batch_run(p->f, wctx, &p->b[i]);
		pthread_mutex_lock(&p->mu);
		p->b[i].state = B_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * The second stage on one worked record: the bytes to write in *p, *n
 * (NULL: none), or -1 with e set.
 */
static int
order(struct filter *f, struct buf *alt, const char **p, size_t *n, struct phk_err *e)
{
	size_t auxn;
	int rc;

	if (f->order == NULL)
		return 0;
	if (*n < sizeof(auxn)) {
		phk_err_set(e, PHK_EXIT_IO, "internal error: no aux trailer");
		return -1;
	}
	memcpy(&auxn, *p + *n - sizeof(auxn), sizeof(auxn));
	if (auxn > *n - sizeof(auxn)) {
		phk_err_set(e, PHK_EXIT_IO, "internal error: bad aux trailer");
		return -1;
	}
	*n -= sizeof(auxn) + auxn;
	buf_reset(alt);
	rc = f->order(f->octx, *p, *n, *p + *n, auxn, alt, e);
	if (rc < 0)
		return -1;
	if (rc == FILTER_REWRITE) {
		*p = alt->p;
		*n = alt->len;
	} else if (rc == FILTER_DROP)
		*p = NULL;
	return 0;
}

/*
 * Writes batch b's records in order. Returns 0 to go on, or the exit
 * status to stop with.
 */
static int
emit(struct filter *f, struct batch *b, struct buf *alt, const char *name, int *status)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct rec *r = &b->r[i];
		if (r->status == 0) {
			const char *p = b->out.p + r->out;
			size_t n = r->outlen;
			if (order(f, alt, &p, &n, &r->e) < 0)
				r->status = r->e.status ? r->e.status : PHK_EXIT_IO;
			else {
				if (p && jsonl_write(f->w, p, n) < 0)
					return PHK_EXIT_IO;	/* reported by whoever closes the output */
				continue;
			}
		}
		f->report(f->rctx, name, b->lineno0 + (long)i, &r->e);
		if (r->status != PHK_EXIT_INPUT || !f->skip)
			return r->status;
		f->bad++;
		*status = PHK_EXIT_INPUT;
	}
	return 0;
}

static int
batch_add(struct batch *b, const char *line, size_t n, long lineno)
{
	if (ARRAY_RESERVE(b->r, b->cap, b->n + 1) < 0)
		return -1;
	if (b->n == 0)
		b->lineno0 = lineno;
	b->r[b->n].in = b->in.len;
	b->r[b->n].inlen = n;
	b->r[b->n].pre = 0;
	if (buf_add(&b->in, line, n) < 0 || buf_addc(&b->in, '\0') < 0)
		return -1;
	b->n++;
	return 0;
}

/* One thread: read, work, write, record by record. */
static int
run_serial(struct filter *f, int fd, const char *name)
{
	struct jsonl_reader rd;
	struct phk_err e;
	struct buf out, alt;
	const char *line, *p;
	size_t n, on;
	int rc, status = 0;

	if (jsonl_reader_init(&rd, fd, name, f->max_line) < 0)
		return PHK_EXIT_IO;
	jsonl_writer_pair(f->w, &rd);
	buf_init(&out, (size_t)-1 / 2);
	buf_init(&alt, (size_t)-1 / 2);
	for (;;) {
		rc = jsonl_read(&rd, &line, &n, &e);
		if (rc == 0)
			break;
		if (rc > 0 && f->work(f->wctx[0], line, n, &out, &e) == 0 &&
		    (p = out.p, on = out.len, order(f, &alt, &p, &on, &e) == 0)) {
			if (p && jsonl_write(f->w, p, on) < 0) {
				/* reported once, by whoever closes the output */
				status = PHK_EXIT_IO;
				break;
			}
			continue;
		}
		if (e.status == PHK_EXIT_IO && ferror(f->w->f)) {
			status = PHK_EXIT_IO;	/* the output failed: no input line to blame */
			break;
		}
		f->report(f->rctx, name, rd.lineno, &e);
		if (e.status != PHK_EXIT_INPUT || !f->skip) {
			status = e.status ? e.status : PHK_EXIT_IO;
			break;
		}
		f->bad++;
		status = PHK_EXIT_INPUT;
	}
	buf_release(&out);
	buf_release(&alt);
	jsonl_reader_release(&rd);
	return status;
}

/* Whether the next read can go on without waiting for the producer. */
static int
has_input(const struct jsonl_reader *r)
{
	struct pollfd pfd;

	if (memchr(r->rbuf + r->rpos, '\n', r->rlen - r->rpos) != NULL || r->eof)
		return 1;
	pfd.fd = r->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 1;
}

/*
 * Fills the batch at the pool's tail from the input: 1 at end of input, 0
 * when full or when reading would wait, -1 out of memory.
 */
static int
fill_batch(struct filter *f, struct jsonl_reader *rd, struct batch *b)
{
	struct phk_err e;
	const char *line;
	size_t n, at;
	int rc;

	while (b->n < BATCH_RECORDS && b->in.len < BATCH_BYTES) {
		if (f->w->flush_each && b->n > 0 && !has_input(rd))
			return 0;	/* reading would wait: send what we have */
		if ((rc = jsonl_read(rd, &line, &n, &e)) == 0)
			return 1;
		if (rc < 0) {
			/* a line we could not even read: a record that failed */
			at = b->n;
			if (batch_add(b, "", 0, rd->lineno) < 0)
				return -1;
			b->r[at].pre = 1;
			b->r[at].e = e;
			continue;
		}
		if (batch_add(b, line, n, rd->lineno) < 0)
			return -1;
	}
	return 0;
}

/* Waits for the batch at the head, running queued ones meanwhile; p->mu is held. */
static void
await_head(struct filter *f, struct pool *p)
{
	struct batch *h = &p->b[p->head];
	int i;

	while (h->state != B_DONE) {
		/* rather than wait, run a queued batch here */
		for (i = 0; i < p->nb && p->b[i].state != B_QUEUED; i++)
			;
		if (i == p->nb) {
			pthread_cond_wait(&p->done, &p->mu);
			continue;
		}
		p->b[i].state = B_RUNNING;
		pthread_mutex_unlock(&p->mu);
		batch_run(f, f->wctx[0], &p->b[i]);
		pthread_mutex_lock(&p->mu);
		p->b[i].state = B_DONE;
	}
}

static void
set_state(struct pool *p, struct batch *b, int state, int signal)
{
	pthread_mutex_lock(&p->mu);
	b->state = state;
	if (signal)
		pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* The pool's workers, one per thread but this one; -1 if none started. */
static int
pool_start(struct filter *f, struct pool *p, void **args)
{
	int i;

	for (i = 0; i < p->nb; i++) {
		buf_init(&p->b[i].in, (size_t)-1 / 2);
		buf_init(&p->b[i].out, (size_t)-1 / 2);
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (i = 0; i < f->nworkers - 1; i++) {
		args[2 * i] = p;
		args[2 * i + 1] = f->wctx[i + 1];
		if (pthread_create(&p->th[i], NULL, worker, &args[2 * i]) != 0)
			break;
		p->nth++;
	}
	return p->nth ? 0 : -1;
}

/* Batches still queued are run and dropped: nothing more is written. */
static void
pool_stop(struct pool *p)
{
	int i;

	if (p->nth) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (i = 0; i < p->nth; i++)
			pthread_join(p->th[i], NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work);
		pthread_cond_destroy(&p->done);
	}
	for (i = 0; p->b && i < p->nb; i++) {
		buf_release(&p->b[i].in);
		buf_release(&p->b[i].out);
		free(p->b[i].r);
	}
	free(p->b);
	free(p->th);
}

int
filter_fd(struct filter *f, int fd, const char *name)
{
	struct jsonl_reader rd;
	struct pool p;
	struct buf alt;
	void **args = NULL;
	int rc, status = 0, stop = 0, inflight = 0;

	if (f->nworkers <= 1)
		return run_serial(f, fd, name);
	f->w->paired = 1;	/* flushed here, when input would wait */
	buf_init(&alt, (size_t)-1 / 2);
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.nb = f->nworkers * 2;
	if (jsonl_reader_init(&rd, fd, name, f->max_line) < 0) {
		buf_release(&alt);
		return PHK_EXIT_IO;
	}
	if ((p.b = calloc((size_t)p.nb, sizeof(*p.b))) == NULL ||
	    (p.th = calloc((size_t)f->nworkers, sizeof(*p.th))) == NULL ||
	    (args = calloc((size_t)f->nworkers * 2, sizeof(*args))) == NULL ||
	    pool_start(f, &p, args) < 0) {
		status = PHK_EXIT_IO;
		goto out;
	}
	for (;;) {
		struct batch *b = &p.b[p.tail];
		int eof, drain;

		pthread_mutex_lock(&p.mu);
		if (b->state == B_FREE) {
			b->state = B_FILLING;
			b->n = 0;
			buf_reset(&b->in);
		}
		pthread_mutex_unlock(&p.mu);
		if ((eof = fill_batch(f, &rd, b)) < 0) {
			status = PHK_EXIT_IO;
			break;
		}
		drain = eof || (f->w->flush_each && !has_input(&rd));
		if (b->n > 0) {
			set_state(&p, b, B_QUEUED, 1);
			inflight++;
			p.tail = (p.tail + 1) % p.nb;
		} else
			set_state(&p, b, B_FREE, 0);
		/* Write finished batches in order: all of them when we must wait. */
		while (inflight > 0 && (drain || inflight == p.nb)) {
			struct batch *h = &p.b[p.head];
			pthread_mutex_lock(&p.mu);
			await_head(f, &p);
			pthread_mutex_unlock(&p.mu);
			rc = emit(f, h, &alt, name, &status);
			set_state(&p, h, B_FREE, 0);
			inflight--;
			p.head = (p.head + 1) % p.nb;
			if (rc) {
				status = rc;
				stop = 1;
				break;
			}
		}
		if (stop || (eof && inflight == 0))
			break;
		if (drain && f->w->flush_each && fflush(f->w->f) == EOF) {
			status = PHK_EXIT_IO;	/* reported by whoever closes the output */
			break;
		}
	}
out:
	pool_stop(&p);
	free(args);
	buf_release(&alt);
	jsonl_reader_release(&rd);
	return status;
}
