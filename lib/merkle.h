/*
 * merkle — RFC 6962 (RFC 9162 §2.1) Merkle tree hashing: leaf and node
 * hashes, a frontier that grows one leaf at a time in constant memory,
 * and inclusion and consistency proofs, made and checked. Proofs list
 * hashes leaf side first, as RFC 6962 and Go's sumdb/tlog do.
 */
#ifndef PHIKIT_MERKLE_H
#define PHIKIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN 32
#define MERKLE_MAX_PROOF 128	/* 2 * 64 levels: enough for any uint64 size */

typedef unsigned char mhash[HASH_LEN];

/* SHA-256(0x00 || data) */
void merkle_leaf(mhash out, const void *data, size_t n);
/* SHA-256(0x01 || l || r) */
void merkle_node(mhash out, const mhash l, const mhash r);
/* MTH of the empty tree: SHA-256 of nothing. */
void merkle_empty(mhash out);

/*
 * The roots of the perfect subtrees a tree of size leaves splits into,
 * largest first: all an append-only log needs to go on growing.
 */
struct merkle_frontier {
	uint64_t size;
	mhash h[64];		/* h[k]: the subtree of 2^k leaves, if bit k of size is set */
};

void merkle_frontier_init(struct merkle_frontier *f);
/*
 * Adds a leaf hash; the hashes of the perfect subtrees it completes are
 * written to done[0..n), level 1 upwards (n = trailing zeros of the new
 * size), so a store can keep them. Returns n.
 */
int merkle_frontier_push(struct merkle_frontier *f, const mhash leaf, mhash done[64]);
/* The tree hash (MTH) of the leaves pushed so far. */
void merkle_frontier_root(const struct merkle_frontier *f, mhash out);

/*
 * Where a store finds the hash of a perfect subtree: level l (2^l leaves),
 * index i (leaves i*2^l up to (i+1)*2^l). 0, or -1 if it cannot.
 */
typedef int (*merkle_get_fn)(void *ctx, int level, uint64_t index, mhash out);

/* MTH of leaves [lo, hi), from perfect subtrees; 0 or -1. */
int merkle_range_hash(merkle_get_fn get, void *ctx, uint64_t lo, uint64_t hi, mhash out);

/* The inclusion proof of leaf m in the tree of size n; the count, or -1. */
int merkle_prove_inclusion(merkle_get_fn get, void *ctx, uint64_t m, uint64_t n,
    mhash proof[MERKLE_MAX_PROOF]);
/* Whether proof shows leaf (hash) at index m in the tree of size n with root. */
int merkle_check_inclusion(const mhash *proof, size_t np, uint64_t m, uint64_t n,
    const mhash leaf, const mhash root);

/* The consistency proof of the tree of size m inside the one of size n. */
int merkle_prove_consistency(merkle_get_fn get, void *ctx, uint64_t m, uint64_t n,
    mhash proof[MERKLE_MAX_PROOF]);
/* Whether proof shows the tree (m, root_m) is a prefix of (n, root_n). */
int merkle_check_consistency(const mhash *proof, size_t np, uint64_t m, const mhash root_m,
    uint64_t n, const mhash root_n);

#endif
