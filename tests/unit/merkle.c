/*
 * lib/merkle.c: RFC 6962 hashing against published values, the frontier
 * against an independent tree hash, and inclusion and consistency proofs
 * made and checked for every (m, n) up to 70, each also checked to fail
 * once a hash, an index or a size is altered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "tap.h"

#define MAXN 300
#define PROOFN 70

/*
 * The certificate-transparency test vectors (merkle_tree_test.cc,
 * RFC 6962 test data): eight leaves and the tree hash of every prefix.
 * Note leaf 5 is 40414243 (four bytes). Checked with python3 hashlib:
 *   lh = lambda d: sha256(b"\0" + d).digest()
 *   nh = lambda a, b: sha256(b"\1" + a + b).digest()
 *   mth(ds) = lh(ds[0]) if len(ds) == 1 else nh(mth(ds[:k]), mth(ds[k:]))
 *             with k the largest power of two below len(ds)
 */
static const struct {
	const char *data;
	size_t n;
} ct_leaves[8] = {
	{ "", 0 },
	{ "\x00", 1 },
	{ "\x10", 1 },
	{ "\x20\x21", 2 },
	{ "\x30\x31", 2 },
	{ "\x40\x41\x42\x43", 4 },
	{ "\x50\x51\x52\x53\x54\x55\x56\x57", 8 },
	{ "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16 },
};

static const char *const ct_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void
hex(char out[2 * HASH_LEN + 1], const mhash h)
{
	int i;

	for (i = 0; i < HASH_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int
is_hash(const mhash h, const char *want, const char *name)
{
	char got[2 * HASH_LEN + 1];

	hex(got, h);
	return is_str(got, want, "%s", name);
}

/* ---- an in-memory store, filled from what the frontier reports ---- */

struct store {
	mhash leaf[MAXN];
	mhash node[10][MAXN];	/* node[l][i]: the perfect subtree of 2^l leaves at index i */
	int calls, fail_after;	/* fail_after >= 0: the get function fails from that call on */
};

static int
get(void *ctx, int level, uint64_t index, mhash out)
{
	struct store *s = ctx;

	if (s->fail_after >= 0 && s->calls++ >= s->fail_after)
		return -1;
	if (level < 0 || level >= 10 || index >= MAXN)
		return -1;
	memcpy(out, level == 0 ? s->leaf[index] : s->node[level][index], HASH_LEN);
	return 0;
}

/* The tree hash of leaves [lo, hi), by the definition, from the leaves alone. */
static void
ref_mth(const mhash *leaf, uint64_t lo, uint64_t hi, mhash out)
{
	mhash l, r;
	uint64_t k = 1;

	if (hi - lo == 1) {
		memcpy(out, leaf[lo], HASH_LEN);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	ref_mth(leaf, lo, lo + k, l);
	ref_mth(leaf, lo + k, hi, r);
	merkle_node(out, l, r);
}

static struct store st;
static mhash roots[MAXN + 1];	/* roots[n]: the tree hash of the first n leaves */

static void
test_hashes(void)
{
	struct merkle_frontier f;
	mhash h, a, b, done[64];
	char name[64];
	int i, nd, all = 1;

	merkle_empty(h);
	is_hash(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "the empty tree hashes to SHA-256 of nothing");
	merkle_leaf(h, "", 0);
	is_hash(h, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "leaf hash of the empty string: SHA-256(00)");
	/* python3: sha256(b"\0abc").hexdigest() */
	merkle_leaf(h, "abc", 3);
	is_hash(h, "609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1",
	    "leaf hash of 'abc': SHA-256(00 'abc')");
	/* python3: sha256(b"\1" + bytes(32) + b"\xff" * 32).hexdigest() */
	memset(a, 0, HASH_LEN);
	memset(b, 0xff, HASH_LEN);
	merkle_node(h, a, b);
	is_hash(h, "bc6b943b820c449acf880d293c216a24a8066b153f87f2361fae2beda3a72641",
	    "node hash: SHA-256(01 left right)");
	{
		mhash h2;
		merkle_node(h2, b, a);
		ok(memcmp(h, h2, HASH_LEN) != 0, "node(r, l) differs from node(l, r)");
	}

	/* the CT vectors, through the frontier and through the store */
	merkle_frontier_init(&f);
	merkle_frontier_root(&f, h);
	is_hash(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "an empty frontier's root is the empty tree hash");
	for (i = 0; i < 8; i++) {
		merkle_leaf(h, ct_leaves[i].data, ct_leaves[i].n);
		nd = merkle_frontier_push(&f, h, done);
		all &= nd == __builtin_ctz((unsigned)i + 1);
		merkle_frontier_root(&f, h);
		snprintf(name, sizeof(name), "CT test vector: tree of the first %d leaves", i + 1);
		is_hash(h, ct_roots[i], name);
	}
	ok(all, "push reports as many completed subtrees as the new size has trailing zeros");
	is_int((long long)f.size, 8, "the frontier counts its leaves");
}

/* Fills the store with n leaves (leaf i = 4-byte big-endian i), keeping what push reports. */
static void
build(void)
{
	struct merkle_frontier f;
	mhash done[64];
	unsigned char d[4];
	int i, k, nd, bad_root = 0, bad_range = 0, bad_nd = 0;

	memset(&st, 0, sizeof(st));
	st.fail_after = -1;
	merkle_frontier_init(&f);
	merkle_frontier_root(&f, roots[0]);
	for (i = 0; i < MAXN; i++) {
		d[0] = (unsigned char)(i >> 24);
		d[1] = (unsigned char)(i >> 16);
		d[2] = (unsigned char)(i >> 8);
		d[3] = (unsigned char)i;
		merkle_leaf(st.leaf[i], d, sizeof(d));
		nd = merkle_frontier_push(&f, st.leaf[i], done);
		if (nd != __builtin_ctz((unsigned)i + 1))
			bad_nd++;
		/* done[k-1]: the subtree of 2^k leaves ending at leaf i */
		for (k = 1; k <= nd; k++) {
			mhash want;
			uint64_t idx = ((uint64_t)i + 1) / (1ull << k) - 1;
			memcpy(st.node[k][idx], done[k - 1], HASH_LEN);
			ref_mth(st.leaf, idx << k, (idx + 1) << k, want);
			if (memcmp(want, done[k - 1], HASH_LEN) != 0)
				bad_nd++;
		}
		merkle_frontier_root(&f, roots[i + 1]);
	}
	ok(bad_nd == 0, "every subtree push reports is a perfect subtree's tree hash, for 300 leaves");
	for (i = 1; i <= MAXN; i++) {
		mhash want, got;
		ref_mth(st.leaf, 0, (uint64_t)i, want);
		if (memcmp(want, roots[i], HASH_LEN) != 0) {
			if (!bad_root)
				diag("frontier root of size %d is wrong", i);
			bad_root++;
		}
		if (merkle_range_hash(get, &st, 0, (uint64_t)i, got) != 0 ||
		    memcmp(want, got, HASH_LEN) != 0) {
			if (!bad_range)
				diag("range hash [0, %d) is wrong", i);
			bad_range++;
		}
	}
	ok(bad_root == 0, "frontier roots equal the tree hash for sizes 1 to 300");
	ok(bad_range == 0, "range hashes from the stored subtrees equal it for sizes 1 to 300");
	{
		mhash e;
		merkle_empty(e);
		is_mem(roots[0], HASH_LEN, e, HASH_LEN, "size 0: the empty tree hash");
	}
	/* inner ranges too */
	bad_range = 0;
	for (i = 0; i < 80; i++) {
		int j;
		for (j = i + 1; j <= 80; j++) {
			mhash want, got;
			ref_mth(st.leaf, (uint64_t)i, (uint64_t)j, want);
			if (merkle_range_hash(get, &st, (uint64_t)i, (uint64_t)j, got) != 0 ||
			    memcmp(want, got, HASH_LEN) != 0)
				bad_range++;
		}
	}
	ok(bad_range == 0, "range hashes of every [lo, hi) within 80 leaves");
	{
		mhash h;
		is_int(merkle_range_hash(get, &st, 5, 5, h), -1, "an empty range is refused");
		is_int(merkle_range_hash(get, &st, 6, 5, h), -1, "a reversed range is refused");
		st.fail_after = 0;
		st.calls = 0;
		is_int(merkle_range_hash(get, &st, 0, 7, h), -1, "a store that cannot answer: -1");
		st.fail_after = 2;
		st.calls = 0;
		is_int(merkle_range_hash(get, &st, 0, 7, h), -1, "a store that fails midway: -1");
		st.fail_after = -1;
	}
}

static void
flip(mhash h)
{
	h[HASH_LEN / 2] ^= 0x01;
}

static void
test_inclusion(void)
{
	mhash proof[MERKLE_MAX_PROOF], alt[MERKLE_MAX_PROOF + 1];
	uint64_t m, n;
	int np, i;
	long good = 0, bad_good = 0, bad_len = 0, accepted_hash = 0, accepted_idx = 0,
	    accepted_size = 0, accepted_short = 0, accepted_long = 0, accepted_leaf = 0,
	    accepted_root = 0;

	for (n = 1; n <= PROOFN; n++)
		for (m = 0; m < n; m++) {
			np = merkle_prove_inclusion(get, &st, m, n, proof);
			if (np < 0) {
				bad_good++;
				continue;
			}
			/* RFC 6962: the path is as long as the number of levels above the leaf */
			{
				int want = 0;
				uint64_t lo = 0, hi = n;
				while (hi - lo > 1) {
					uint64_t k = 1;
					while (k * 2 < hi - lo)
						k *= 2;
					if (m < lo + k)
						hi = lo + k;
					else
						lo += k;
					want++;
				}
				if (np != want)
					bad_len++;
			}
			if (merkle_check_inclusion((const mhash *)proof, (size_t)np, m, n, st.leaf[m],
			    roots[n]))
				good++;
			else {
				if (bad_good < 3)
					diag("inclusion (%llu, %llu) does not verify", (unsigned long long)m,
					    (unsigned long long)n);
				bad_good++;
			}
			/* every hash altered in turn */
			for (i = 0; i < np; i++) {
				memcpy(alt, proof, (size_t)np * HASH_LEN);
				flip(alt[i]);
				accepted_hash += merkle_check_inclusion((const mhash *)alt, (size_t)np, m, n,
				    st.leaf[m], roots[n]);
			}
			{
				mhash l2, r2;
				memcpy(l2, st.leaf[m], HASH_LEN);
				flip(l2);
				accepted_leaf += merkle_check_inclusion((const mhash *)proof, (size_t)np, m,
				    n, l2, roots[n]);
				memcpy(r2, roots[n], HASH_LEN);
				flip(r2);
				accepted_root += merkle_check_inclusion((const mhash *)proof, (size_t)np, m,
				    n, st.leaf[m], r2);
			}
			/* another index, same leaf and proof */
			if (m + 1 < n)
				accepted_idx += merkle_check_inclusion((const mhash *)proof, (size_t)np,
				    m + 1, n, st.leaf[m], roots[n]);
			if (m > 0)
				accepted_idx += merkle_check_inclusion((const mhash *)proof, (size_t)np,
				    m - 1, n, st.leaf[m], roots[n]);
			accepted_idx += merkle_check_inclusion((const mhash *)proof, (size_t)np, n, n,
			    st.leaf[m], roots[n]);
			/* another size, with that size's root */
			accepted_size += merkle_check_inclusion((const mhash *)proof, (size_t)np, m,
			    n + 1, st.leaf[m], roots[n + 1]);
			if (n - 1 > m)
				accepted_size += merkle_check_inclusion((const mhash *)proof, (size_t)np,
				    m, n - 1, st.leaf[m], roots[n - 1]);
			/* one hash fewer, one more */
			if (np > 0)
				accepted_short += merkle_check_inclusion((const mhash *)proof,
				    (size_t)np - 1, m, n, st.leaf[m], roots[n]);
			memcpy(alt, proof, (size_t)np * HASH_LEN);
			memcpy(alt[np], roots[n], HASH_LEN);
			accepted_long += merkle_check_inclusion((const mhash *)alt, (size_t)np + 1, m,
			    n, st.leaf[m], roots[n]);
		}
	is_int(good, PROOFN * (PROOFN + 1) / 2, "inclusion proofs verify for every m < n <= 70");
	is_int(bad_len, 0, "inclusion proofs are as long as the leaf's path");
	is_int(accepted_hash, 0, "an altered proof hash fails, for every hash of every proof");
	is_int(accepted_leaf, 0, "an altered leaf hash fails");
	is_int(accepted_root, 0, "an altered root fails");
	is_int(accepted_idx, 0, "the proof checked for another index fails (m-1, m+1, m=n)");
	is_int(accepted_size, 0, "the proof checked for another size and its root fails (n-1, n+1)");
	is_int(accepted_short, 0, "a proof with its last hash dropped fails");
	is_int(accepted_long, 0, "a proof with a hash too many fails");

	is_int(merkle_prove_inclusion(get, &st, 5, 5, proof), -1, "no proof for m = n");
	is_int(merkle_prove_inclusion(get, &st, 9, 5, proof), -1, "no proof for m > n");
	is_int(merkle_prove_inclusion(get, &st, 0, 1, proof), 0, "the only leaf: an empty proof");
	ok(merkle_check_inclusion(NULL, 0, 0, 1, st.leaf[0], roots[1]),
	    "the only leaf: its own hash is the root");
	st.fail_after = 1;
	st.calls = 0;
	is_int(merkle_prove_inclusion(get, &st, 3, 37, proof), -1, "a store that fails: no proof");
	st.fail_after = -1;
}

static void
test_consistency(void)
{
	mhash proof[MERKLE_MAX_PROOF], alt[MERKLE_MAX_PROOF + 1];
	uint64_t m, n;
	int np, i;
	long good = 0, bad_good = 0, accepted_hash = 0, accepted_m = 0, accepted_n = 0,
	    accepted_short = 0, accepted_long = 0, accepted_root = 0, total = 0;

	for (n = 1; n <= PROOFN; n++)
		for (m = 1; m <= n; m++) {
			total++;
			np = merkle_prove_consistency(get, &st, m, n, proof);
			if (np < 0) {
				bad_good++;
				continue;
			}
			if (merkle_check_consistency((const mhash *)proof, (size_t)np, m, roots[m], n,
			    roots[n]))
				good++;
			else {
				if (bad_good < 3)
					diag("consistency (%llu, %llu) does not verify",
					    (unsigned long long)m, (unsigned long long)n);
				bad_good++;
			}
			for (i = 0; i < np; i++) {
				memcpy(alt, proof, (size_t)np * HASH_LEN);
				flip(alt[i]);
				accepted_hash += merkle_check_consistency((const mhash *)alt, (size_t)np, m,
				    roots[m], n, roots[n]);
			}
			{
				mhash r2;
				memcpy(r2, roots[m], HASH_LEN);
				flip(r2);
				accepted_root += merkle_check_consistency((const mhash *)proof, (size_t)np,
				    m, r2, n, roots[n]);
				memcpy(r2, roots[n], HASH_LEN);
				flip(r2);
				accepted_root += merkle_check_consistency((const mhash *)proof, (size_t)np,
				    m, roots[m], n, r2);
			}
			/* another old size, with its root */
			if (m > 1)
				accepted_m += merkle_check_consistency((const mhash *)proof, (size_t)np,
				    m - 1, roots[m - 1], n, roots[n]);
			if (m < n)
				accepted_m += merkle_check_consistency((const mhash *)proof, (size_t)np,
				    m + 1, roots[m + 1], n, roots[n]);
			/* another new size, with its root */
			accepted_n += merkle_check_consistency((const mhash *)proof, (size_t)np, m,
			    roots[m], n + 1, roots[n + 1]);
			if (n - 1 >= m && n > 1)
				accepted_n += merkle_check_consistency((const mhash *)proof, (size_t)np, m,
				    roots[m], n - 1, roots[n - 1]);
			if (np > 0)
				accepted_short += merkle_check_consistency((const mhash *)proof,
				    (size_t)np - 1, m, roots[m], n, roots[n]);
			memcpy(alt, proof, (size_t)np * HASH_LEN);
			memcpy(alt[np], roots[n], HASH_LEN);
			accepted_long += merkle_check_consistency((const mhash *)alt, (size_t)np + 1, m,
			    roots[m], n, roots[n]);
		}
	is_int(good, total, "consistency proofs verify for every 1 <= m <= n <= 70");
	is_int(accepted_hash, 0, "an altered proof hash fails, for every hash of every proof");
	is_int(accepted_root, 0, "an altered old or new root fails");
	is_int(accepted_m, 0, "the proof checked for another old size and its root fails");
	is_int(accepted_n, 0, "the proof checked for another new size and its root fails");
	is_int(accepted_short, 0, "a proof with its last hash dropped fails");
	is_int(accepted_long, 0, "a proof with a hash too many fails");

	/* the edges */
	is_int(merkle_prove_consistency(get, &st, 0, 9, proof), 0, "from the empty tree: no hashes");
	ok(merkle_check_consistency(NULL, 0, 0, roots[0], 9, roots[9]),
	    "the empty tree is a prefix of every tree");
	is_int(merkle_prove_consistency(get, &st, 9, 9, proof), 0, "m = n: no hashes");
	ok(!merkle_check_consistency(NULL, 0, 9, roots[8], 9, roots[9]),
	    "m = n with two different roots fails");
	is_int(merkle_prove_consistency(get, &st, 10, 9, proof), -1, "no proof for m > n");
	ok(!merkle_check_consistency(NULL, 0, 10, roots[10], 9, roots[9]), "m > n never verifies");
	/* RFC 9162 2.1.4.1: a power-of-two old tree leaves its own root out */
	np = merkle_prove_consistency(get, &st, 4, 8, proof);
	is_int(np, 1, "from 4 to 8: one hash");
	is_mem(proof[0], HASH_LEN, st.node[2][1], HASH_LEN, "from 4 to 8: the hash of leaves 4..7");
	np = merkle_prove_consistency(get, &st, 3, 7, proof);
	{
		/* RFC 9162's example: [c (leaf 2), d (leaf 3), g (leaves 0..1), l (leaves 4..6)] */
		mhash l;
		ref_mth(st.leaf, 4, 7, l);
		ok(np == 4 && !memcmp(proof[0], st.leaf[2], HASH_LEN) &&
		    !memcmp(proof[1], st.leaf[3], HASH_LEN) &&
		    !memcmp(proof[2], st.node[1][0], HASH_LEN) && !memcmp(proof[3], l, HASH_LEN),
		    "from 3 to 7: RFC 9162's example proof [c, d, g, l]");
	}
	st.fail_after = 1;
	st.calls = 0;
	is_int(merkle_prove_consistency(get, &st, 3, 37, proof), -1, "a store that fails: no proof");
	st.fail_after = -1;
}

int
main(void)
{
	test_hashes();
	build();
	test_inclusion();
	test_consistency();
	return done_testing();
}
