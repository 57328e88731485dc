/*
 * sha256 — SHA-256 for the ledger's bulk hashing (every payload, leaf and
 * node), through OpenSSL's libcrypto, which uses the CPU's SHA extensions:
 * 4x libsodium's portable code on payloads, 2.5x on leaves. libsodium
 * stays for everything else (Ed25519, randomness, guarded memory).
 */
#ifndef PHIKIT_SHA256_H
#define PHIKIT_SHA256_H

#include <stddef.h>

void sha256(unsigned char out[32], const void *p, size_t n);
/* SHA-256(pre || p): RFC 6962's leaf and node hashes. */
void sha256_pre(unsigned char out[32], unsigned char pre, const void *p, size_t n);

/* SHA-256(a || b). */
void sha256_2(unsigned char out[32], const void *a, size_t an, const void *b, size_t bn);

/* Lowercase hex (65 bytes with the NUL): hashes are public, so no need for sodium's constant time. */
void hex32(char *out, const unsigned char h[32]);

#endif
