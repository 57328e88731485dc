/*
 * keyfile — secrets come from files, never argv: a key file must be a
 * regular file that only its owner can read. The key lives in sodium
 * guarded memory, read-only, and is wiped by keyfile_free.
 */
#ifndef PHIKIT_KEYFILE_H
#define PHIKIT_KEYFILE_H

#include <stddef.h>

#include "diag.h"

/*
 * Reads path (at least 16 bytes of secret) and derives a 32-byte key for
 * the given purpose. Returns sodium memory, or NULL with e set.
 */
unsigned char *keyfile_load(const char *path, const char *purpose, struct phk_err *e);
void keyfile_free(unsigned char *key);
/*
 * The raw bytes of a key file (up to 4096, NUL-terminated) in sodium
 * memory, after the same checks; free with sodium_free.
 */
unsigned char *keyfile_read(const char *path, size_t *len, struct phk_err *e);

#endif
