/*
 * clf — linear classifiers over hashed sparse features: the one way every
 * trained model in phikit is stored, loaded and applied.
 *
 * A feature is a string (say "w=coumadin" or "shape=Xx."), hashed with
 * clf_hash into one of 2^nbits indices; an example is a sparse vector of
 * them (struct clf_vec). A model is one-vs-rest logistic regression as
 * liblinear trains it (tools/clf-train, the only code that links
 * liblinear): per label a bias and a weight per index, zero weights left
 * out. Probabilities are liblinear's for such models: each label's
 * logistic score, normalized over the labels.
 *
 * The model file (phikit-clf(5) in spirit; documented in data/README.md):
 *	"PHKCLF1\n"
 *	u32 nlabels, nbits, nnz, namelen, infolen	(little-endian)
 *	name, info					(UTF-8, no NUL)
 *	per label: u32 len, bytes
 *	f32 bias[nlabels]
 *	u32 keys[nnz]					(strictly ascending, < 2^nbits)
 *	f32 w[nnz][nlabels]
 *	SHA-256 of everything before it			(32 bytes)
 * A file that does not check out is refused whole: never a silent
 * fall-back to no model.
 */
#ifndef PHIKIT_CLF_H
#define PHIKIT_CLF_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define CLF_MAX_LABELS 64
#define CLF_HASH_INIT 14695981039346656037ull

/* FNV-1a, 64 bits, continuing from h: features hash piece by piece. */
static inline uint64_t
clf_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * 1099511628211ull;
	return h;
}

static inline uint64_t
clf_hash_str(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The index of a feature hash among 2^nbits. */
static inline uint32_t
clf_index(unsigned nbits, uint64_t h)
{
	/* the top bits: FNV's low bits mix least */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)(h >> (64 - nbits));
}

struct clf_vec {
	uint32_t *idx;
	float *val;
	size_t n, cap;
};

void clf_vec_init(struct clf_vec *x);
void clf_vec_release(struct clf_vec *x);
static inline void clf_vec_reset(struct clf_vec *x) { x->n = 0; }
/* 0, or -1 when out of memory. Repeated indices add up. */
int clf_vec_add(struct clf_vec *x, uint32_t idx, float v);

struct clf {
	char *name, *info;
	char **labels;
	int nlabels;
	unsigned nbits;
	size_t nnz;
	float *bias;		/* [nlabels] */
	uint32_t *keys;		/* [nnz] */
	float *w;		/* [nnz][nlabels] */
	uint32_t *slot;		/* open addressing: row + 1, 0 empty */
	size_t smask;
	char sha256[65];	/* of the file, for annotations and reports */
};

/*
 * Loads a model file; want_name, when not NULL, must be its name. 0, or
 * -1 with e set (PHK_EXIT_USAGE: missing, unreadable, not a model, corrupt,
 * the wrong model) — the message names the file, never its bytes.
 */
int clf_load(struct clf *c, const char *path, const char *want_name, struct phk_err *e);
void clf_release(struct clf *c);
/* The label's number, or -1. */
int clf_label(const struct clf *c, const char *label);
/* prob[0..nlabels) for example x. */
void clf_predict(const struct clf *c, const struct clf_vec *x, double *prob);
/* The weights of index key, [nlabels], or NULL when it has none. */
const float *clf_row(const struct clf *c, uint32_t key);
/* The raw score of one label (bias + w.x), for tests and thresholds. */
double clf_score(const struct clf *c, const struct clf_vec *x, int label);

/*
 * Writes a model file (0600 is not needed: a model holds no PHI, 0644).
 * keys strictly ascending; w is [nnz][nlabels]. 0, or -1 with e set.
 */
int clf_save(const char *path, const char *name, const char *info, char *const *labels,
    int nlabels, unsigned nbits, const float *bias, const uint32_t *keys, const float *w,
    size_t nnz, struct phk_err *e);

#endif
