/*
 * OpenSSL 3 marks SHA256_Init and friends deprecated in favour of EVP, but
 * EVP costs 40% more per small hash (a provider lookup and a heap context),
 * and the ledger hashes three small messages per entry. The functions stay
 * in OpenSSL 3 and use the same SHA-extension code.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "sha256.h"

void
sha256(unsigned char out[32], const void *p, size_t n)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
}

void
sha256_pre(unsigned char out[32], unsigned char pre, const void *p, size_t n)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, &pre, 1);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
}

void
sha256_2(unsigned char out[32], const void *a, size_t an, const void *b, size_t bn)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, a, an);
	SHA256_Update(&c, b, bn);
	SHA256_Final(out, &c);
}

void
hex32(char *out, const unsigned char h[32])
{
	static const char dig[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = dig[h[i] >> 4];
		out[2 * i + 1] = dig[h[i] & 15];
	}
	out[64] = '\0';
}
