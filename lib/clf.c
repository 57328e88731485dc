#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clf.h"
#include "sha256.h"

#define MAGIC "PHKCLF1\n"
#define MAX_FILE ((size_t)1 << 30)

/* ---- vectors ---- */

void
clf_vec_init(struct clf_vec *x)
{
	memset(x, 0, sizeof(*x));
}

void
clf_vec_release(struct clf_vec *x)
{
	free(x->idx);
	free(x->val);
	memset(x, 0, sizeof(*x));
}

int
clf_vec_add(struct clf_vec *x, uint32_t idx, float v)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		uint32_t *a = realloc(x->idx, cap * sizeof(*a));
		float *b;
		if (a == NULL)
			return -1;
		x->idx = a;
		if ((b = realloc(x->val, cap * sizeof(*b))) == NULL)
			return -1;
		x->val = b;
		x->cap = cap;
	}
	x->idx[x->n] = idx;
	x->val[x->n++] = v;
	return 0;
}

/* ---- reading ---- */

struct rd {
	const unsigned char *p;
	size_t n, at;
	int bad;
};

static uint32_t
rd_u32(struct rd *r)
{
	uint32_t v;

	if (r->n - r->at < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[r->at] | (uint32_t)r->p[r->at + 1] << 8 |
	    (uint32_t)r->p[r->at + 2] << 16 | (uint32_t)r->p[r->at + 3] << 24;
	r->at += 4;
	return v;
}

static float
rd_f32(struct rd *r)
{
	uint32_t v = rd_u32(r);
	float f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

static char *
rd_str(struct rd *r, size_t len)
{
	char *s;

	if (r->bad || r->n - r->at < len || memchr(r->p + r->at, '\0', len) != NULL) {
		r->bad = 1;
		return NULL;
	}
	if ((s = malloc(len + 1)) == NULL) {
		r->bad = 2;
		return NULL;
	}
	memcpy(s, r->p + r->at, len);
	s[len] = '\0';
	r->at += len;
	return s;
}

static size_t
slot_of(const struct clf *c, uint32_t key)
{
	return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 20) & c->smask;
}

void
clf_release(struct clf *c)
{
	int i;

	for (i = 0; c->labels && i < c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->name);
	free(c->info);
	free(c->bias);
	free(c->keys);
	free(c->w);
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

int
clf_load(struct clf *c, const char *path, const char *want_name, struct phk_err *e)
{
	struct buf b;
	struct rd r;
	unsigned char h[32];
	uint32_t namelen, infolen;
	size_t i, k, tab;

	memset(c, 0, sizeof(*c));
	buf_init(&b, MAX_FILE);
	if (buf_read_file(&b, path) < 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "model %s: %s", path,
		    errno == E2BIG ? "too large to be a model" : strerror(errno));
		buf_release(&b);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.p = (const unsigned char *)b.p;
	r.n = b.len;
	if (b.len < sizeof(MAGIC) - 1 + 20 + 32 || memcmp(b.p, MAGIC, sizeof(MAGIC) - 1) != 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "model %s: not a phikit model file", path);
		goto fail;
	}
	sha256(h, b.p, b.len - 32);
	if (memcmp(h, b.p + b.len - 32, 32) != 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "model %s: corrupt (its checksum does not match)", path);
		goto fail;
	}
	hex32(c->sha256, h);
	r.n = b.len - 32;
	r.at = sizeof(MAGIC) - 1;
	c->nlabels = (int)rd_u32(&r);
	c->nbits = rd_u32(&r);
	c->nnz = rd_u32(&r);
	namelen = rd_u32(&r);
	infolen = rd_u32(&r);
	if (r.bad || c->nlabels < 2 || c->nlabels > CLF_MAX_LABELS || c->nbits < 8 ||
	    c->nbits > 28 || c->nnz > ((size_t)1 << c->nbits) || namelen > 256 || infolen > 65536)
		goto bad;
	if ((c->name = rd_str(&r, namelen)) == NULL || (c->info = rd_str(&r, infolen)) == NULL)
		goto bad;
	if ((c->labels = calloc((size_t)c->nlabels, sizeof(*c->labels))) == NULL)
		goto oom;
	for (i = 0; i < (size_t)c->nlabels; i++) {
		uint32_t len = rd_u32(&r);
		if (len == 0 || len > 64 || (c->labels[i] = rd_str(&r, len)) == NULL)
			goto bad;
	}
	/* exactly what the counts say is left */
	if (r.n - r.at != ((size_t)c->nlabels + c->nnz + c->nnz * (size_t)c->nlabels) * 4)
		goto bad;
	if ((c->bias = malloc((size_t)c->nlabels * sizeof(float))) == NULL ||
	    (c->keys = malloc((c->nnz ? c->nnz : 1) * sizeof(uint32_t))) == NULL ||
	    (c->w = malloc((c->nnz ? c->nnz : 1) * (size_t)c->nlabels * sizeof(float))) == NULL)
		goto oom;
	for (i = 0; i < (size_t)c->nlabels; i++)
		if (!isfinite(c->bias[i] = rd_f32(&r)))
			goto bad;
	for (i = 0; i < c->nnz; i++) {
		c->keys[i] = rd_u32(&r);
		if (c->keys[i] >= (uint32_t)1 << c->nbits || (i && c->keys[i] <= c->keys[i - 1]))
			goto bad;
	}
	for (i = 0; i < c->nnz * (size_t)c->nlabels; i++)
		if (!isfinite(c->w[i] = rd_f32(&r)))
			goto bad;
	if (want_name && strcmp(c->name, want_name) != 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "model %s: is a model for something else, not %s",
		    path, want_name);
		goto fail;
	}
	for (tab = 16; tab < 2 * c->nnz; tab *= 2)
		;
	if ((c->slot = calloc(tab, sizeof(*c->slot))) == NULL)
		goto oom;
	c->smask = tab - 1;
	for (i = 0; i < c->nnz; i++) {
		for (k = slot_of(c, c->keys[i]); c->slot[k]; k = (k + 1) & c->smask)
			;
		c->slot[k] = (uint32_t)i + 1;
	}
	buf_release(&b);
	return 0;
bad:
	if (r.bad == 2)
		goto oom;
	phk_err_set(e, PHK_EXIT_USAGE, "model %s: corrupt (its contents do not add up)", path);
	goto fail;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
fail:
	buf_release(&b);
	clf_release(c);
	return -1;
}

int
clf_label(const struct clf *c, const char *label)
{
	int i;

	for (i = 0; i < c->nlabels; i++)
		if (strcmp(c->labels[i], label) == 0)
			return i;
	return -1;
}

const float *
clf_row(const struct clf *c, uint32_t key)
{
	size_t k;

	for (k = slot_of(c, key); c->slot[k]; k = (k + 1) & c->smask)
		if (c->keys[c->slot[k] - 1] == key)
			return c->w + (size_t)(c->slot[k] - 1) * (size_t)c->nlabels;
	return NULL;
}

double
clf_score(const struct clf *c, const struct clf_vec *x, int label)
{
	double s = c->bias[label];
	size_t i;

	for (i = 0; i < x->n; i++) {
		const float *w = clf_row(c, x->idx[i]);
		if (w)
			s += (double)x->val[i] * w[label];
	}
	return s;
}

void
clf_predict(const struct clf *c, const struct clf_vec *x, double *prob)
{
	double s[CLF_MAX_LABELS], sum = 0;
	size_t i;
	int k;

	for (k = 0; k < c->nlabels; k++)
		s[k] = c->bias[k];
	for (i = 0; i < x->n; i++) {
		const float *w = clf_row(c, x->idx[i]);
		if (w == NULL)
			continue;
		for (k = 0; k < c->nlabels; k++)
			s[k] += (double)x->val[i] * w[k];
	}
	for (k = 0; k < c->nlabels; k++) {
		prob[k] = 1 / (1 + exp(-s[k]));
		sum += prob[k];
	}
	for (k = 0; k < c->nlabels; k++)
		prob[k] /= sum;
}

/* ---- writing ---- */

static int
put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4] = { (unsigned char)v, (unsigned char)(v >> 8),
		(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	return buf_add(b, p, 4);
}

static int
put_f32(struct buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, sizeof(v));
	return put_u32(b, v);
}

int
clf_save(const char *path, const char *name, const char *info, char *const *labels,
    int nlabels, unsigned nbits, const float *bias, const uint32_t *keys, const float *w,
    size_t nnz, struct phk_err *e)
{
	struct buf b;
	unsigned char h[32];
	size_t i;
	int fd, k, ok = 1;
	ssize_t wr;
	size_t at;

	if (nlabels < 2 || nlabels > CLF_MAX_LABELS || nbits < 8 || nbits > 28 ||
	    strlen(name) > 256 || strlen(info) > 65536) {
		phk_err_set(e, PHK_EXIT_USAGE, "model %s: bad shape", path);
		return -1;
	}
	buf_init(&b, MAX_FILE);
	ok &= buf_add(&b, MAGIC, sizeof(MAGIC) - 1) == 0;
	ok &= put_u32(&b, (uint32_t)nlabels) == 0 && put_u32(&b, nbits) == 0 &&
	    put_u32(&b, (uint32_t)nnz) == 0 && put_u32(&b, (uint32_t)strlen(name)) == 0 &&
	    put_u32(&b, (uint32_t)strlen(info)) == 0;
	ok &= buf_adds(&b, name) == 0 && buf_adds(&b, info) == 0;
	for (k = 0; k < nlabels; k++)
		ok &= put_u32(&b, (uint32_t)strlen(labels[k])) == 0 && buf_adds(&b, labels[k]) == 0;
	for (k = 0; k < nlabels; k++)
		ok &= put_f32(&b, bias[k]) == 0;
	for (i = 0; i < nnz; i++) {
		if (keys[i] >= (uint32_t)1 << nbits || (i && keys[i] <= keys[i - 1])) {
			buf_release(&b);
			phk_err_set(e, PHK_EXIT_USAGE, "model %s: keys must ascend", path);
			return -1;
		}
		ok &= put_u32(&b, keys[i]) == 0;
	}
	for (i = 0; i < nnz * (size_t)nlabels; i++)
		ok &= put_f32(&b, w[i]) == 0;
	if (!ok) {
		buf_release(&b);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	sha256(h, b.p, b.len);
	if (buf_add(&b, h, 32) < 0) {
		buf_release(&b);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "model %s: %s", path, strerror(errno));
		buf_release(&b);
		return -1;
	}
	for (at = 0; at < b.len; at += (size_t)wr)
		if ((wr = write(fd, b.p + at, b.len - at)) <= 0) {
			if (wr < 0 && errno == EINTR) {
				wr = 0;
				continue;
			}
			phk_err_set(e, PHK_EXIT_IO, "model %s: %s", path, strerror(errno));
			close(fd);
			buf_release(&b);
			return -1;
		}
	buf_release(&b);
	if (close(fd) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "model %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
