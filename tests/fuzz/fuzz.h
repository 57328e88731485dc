/*
 * fuzz.h — what the harnesses share: libFuzzer's entry points, and the
 * preset policy, named by PHIKIT_POLICY (make sets it) or found in the
 * source tree when the harness runs from tests/fuzz/.
 */
#ifndef PHIKIT_FUZZ_H
#define PHIKIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The preset's path: $PHIKIT_POLICY, else ../../policies/hipaa.yaml from the harness. */
const char *fuzz_policy_path(const char *argv0);

/*
 * Whether what a harness got back is one JSON object, by jscan (RFC 8259)
 * and by jansson independently; jansson may refuse only what it cannot
 * hold (an integer past 64 bits, a real past a double, \u0000 in a key).
 * Aborts when they disagree or neither takes it; 1 when jansson holds it
 * (*j set), 0 when only jscan can.
 */
struct json_t;
int fuzz_json_object(const char *p, size_t n, struct json_t **j);

/* Writes data to a fresh file in a private directory; its path (static). */
const char *fuzz_tmpfile(const uint8_t *data, size_t size, const char *name);

#endif
