#include <sodium.h>
#include <string.h>

#include "merkle.h"
#include "sha256.h"

void
merkle_leaf(mhash out, const void *data, size_t n)
{
	sha256_pre(out, 0, data, n);
}

void
merkle_node(mhash out, const mhash l, const mhash r)
{
	unsigned char in[1 + 2 * HASH_LEN];

	in[0] = 1;
	memcpy(in + 1, l, HASH_LEN);
	memcpy(in + 1 + HASH_LEN, r, HASH_LEN);
	sha256(out, in, sizeof(in));
}

void
merkle_empty(mhash out)
{
	sha256(out, "", 0);
}

void
merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

int
merkle_frontier_push(struct merkle_frontier *f, const mhash leaf, mhash done[64])
{
	mhash cur;
	int k = 0;

	memcpy(cur, leaf, HASH_LEN);
	/* every set low bit is a subtree this leaf completes a bigger one with */
	while (k < 63 && (f->size >> k) & 1) {
		merkle_node(cur, f->h[k], cur);
		memcpy(done[k], cur, HASH_LEN);
		k++;
	}
	memcpy(f->h[k], cur, HASH_LEN);
	f->size++;
	return k;
}

void
merkle_frontier_root(const struct merkle_frontier *f, mhash out)
{
	mhash r;
	int k, have = 0;

	if (f->size == 0) {
		merkle_empty(out);
		return;
	}
	/* smaller subtrees sit to the right of bigger ones */
	for (k = 0; k < 64; k++) {
		if (!((f->size >> k) & 1))
			continue;
		if (!have) {
			memcpy(r, f->h[k], HASH_LEN);
			have = 1;
		} else
			merkle_node(r, f->h[k], r);
	}
	memcpy(out, r, HASH_LEN);
}

/* The largest power of two below n (n > 1). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static int
is_pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

int
merkle_range_hash(merkle_get_fn get, void *ctx, uint64_t lo, uint64_t hi, mhash out)
{
	mhash l, r;
	uint64_t n = hi - lo, k;
	int level = 0;

	if (hi <= lo)
		return -1;
	if (is_pow2(n) && lo % n == 0) {
		while ((1ull << level) < n)
			level++;
		return get(ctx, level, lo >> level, out);
	}
	k = split_point(n);
	if (merkle_range_hash(get, ctx, lo, lo + k, l) < 0 ||
	    merkle_range_hash(get, ctx, lo + k, hi, r) < 0)
		return -1;
	merkle_node(out, l, r);
	return 0;
}

static int
path(merkle_get_fn get, void *ctx, uint64_t m, uint64_t lo, uint64_t hi,
    mhash *proof, int np)
{
	uint64_t k;

	if (hi - lo == 1)
		return np;
	k = split_point(hi - lo);
	if (m < lo + k) {
		if ((np = path(get, ctx, m, lo, lo + k, proof, np)) < 0 ||
		    merkle_range_hash(get, ctx, lo + k, hi, proof[np]) < 0)
			return -1;
	} else {
		if ((np = path(get, ctx, m, lo + k, hi, proof, np)) < 0 ||
		    merkle_range_hash(get, ctx, lo, lo + k, proof[np]) < 0)
			return -1;
	}
	return np + 1;
}

int
merkle_prove_inclusion(merkle_get_fn get, void *ctx, uint64_t m, uint64_t n,
    mhash proof[MERKLE_MAX_PROOF])
{
	if (m >= n)
		return -1;
	return path(get, ctx, m, 0, n, proof, 0);
}

/* RFC 9162 §2.1.3.2 */
int
merkle_check_inclusion(const mhash *proof, size_t np, uint64_t m, uint64_t n,
    const mhash leaf, const mhash root)
{
	uint64_t fn = m, sn;
	mhash r;
	size_t i;

	if (m >= n)
		return 0;
	sn = n - 1;
	memcpy(r, leaf, HASH_LEN);
	for (i = 0; i < np; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			merkle_node(r, proof[i], r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			merkle_node(r, r, proof[i]);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && sodium_memcmp(r, root, HASH_LEN) == 0;
}

static int
subproof(merkle_get_fn get, void *ctx, uint64_t m, uint64_t lo, uint64_t hi, int whole,
    mhash *proof, int np)
{
	uint64_t n = hi - lo, k;

	if (m == n) {
		if (whole)
			return np;
		return merkle_range_hash(get, ctx, lo, hi, proof[np]) < 0 ? -1 : np + 1;
	}
	k = split_point(n);
	if (m <= k) {
		if ((np = subproof(get, ctx, m, lo, lo + k, whole, proof, np)) < 0 ||
		    merkle_range_hash(get, ctx, lo + k, hi, proof[np]) < 0)
			return -1;
	} else {
		if ((np = subproof(get, ctx, m - k, lo + k, hi, 0, proof, np)) < 0 ||
		    merkle_range_hash(get, ctx, lo, lo + k, proof[np]) < 0)
			return -1;
	}
	return np + 1;
}

int
merkle_prove_consistency(merkle_get_fn get, void *ctx, uint64_t m, uint64_t n,
    mhash proof[MERKLE_MAX_PROOF])
{
	if (m > n)
		return -1;
	if (m == 0 || m == n)
		return 0;
	return subproof(get, ctx, m, 0, n, 1, proof, 0);
}

/* RFC 9162 §2.1.4.2 */
int
merkle_check_consistency(const mhash *proof, size_t np, uint64_t m, const mhash root_m,
    uint64_t n, const mhash root_n)
{
	uint64_t fn, sn;
	mhash fr, sr;
	size_t i = 0;

	if (m > n)
		return 0;
	if (m == n)
		return np == 0 && sodium_memcmp(root_m, root_n, HASH_LEN) == 0;
	if (m == 0)
		return np == 0;	/* the empty tree is a prefix of every tree */
	if (np == 0)
		return 0;
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	if (is_pow2(m)) {
		/* the proof leaves out the old root: it is the first node */
		memcpy(fr, root_m, HASH_LEN);
	} else {
		memcpy(fr, proof[0], HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, HASH_LEN);
	for (; i < np; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			merkle_node(fr, proof[i], fr);
			merkle_node(sr, proof[i], sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			merkle_node(sr, sr, proof[i]);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && sodium_memcmp(fr, root_m, HASH_LEN) == 0 &&
	    sodium_memcmp(sr, root_n, HASH_LEN) == 0;
}
