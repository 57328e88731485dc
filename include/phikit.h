/*
 * phikit.h — phi-scrub and guard-check as a library, for programs that
 * embed them rather than run them as filters (libphikit.so.1,
 * `pkg-config --cflags --libs phikit`).
 *
 * Each call takes one JSON object (a record, as one line of the filters'
 * input, without its newline) and gives back exactly the bytes the filter
 * would print for it, in a buffer the caller frees with phikit_free. The
 * same rules: a record that cannot be read or checked yields nothing and
 * an error whose message never quotes the input. Every function returns
 * 0, or the exit status the filter would have exited with:
 * PHIKIT_USAGE (2) for a bad policy, PHIKIT_INPUT (3) for bad input,
 * PHIKIT_IO (4) for anything else; err (errlen bytes, may be NULL) gets
 * the message. A handle is used by one thread at a time; make one per
 * thread (policies may be shared among them, read-only).
 */
#ifndef PHIKIT_H
#define PHIKIT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PHIKIT_API_VERSION 1

enum { PHIKIT_OK = 0, PHIKIT_USAGE = 2, PHIKIT_INPUT = 3, PHIKIT_IO = 4 };

typedef struct phikit_policy phikit_policy;
typedef struct phikit_scrubber phikit_scrubber;
typedef struct phikit_guard phikit_guard;

/* The library's version, "0.1.0", and the API's, PHIKIT_API_VERSION. */
const char *phikit_version(int *api);

/* A policy file (NULL: $PHIKIT_POLICY, else the installed preset). */
int phikit_policy_load(const char *path, phikit_policy **out, char *err, size_t errlen);
/* The policy's name and SHA-256 (hex), as the annotations carry them. */
const char *phikit_policy_name(const phikit_policy *p);
const char *phikit_policy_sha256(const phikit_policy *p);
void phikit_policy_free(phikit_policy *p);

/* A scrubber of p (which must outlive it), in the policy's mode. */
int phikit_scrubber_new(const phikit_policy *p, phikit_scrubber **out, char *err,
    size_t errlen);
/* The record as phi-scrub prints it, annotation included: *out, *outn. */
int phikit_scrub_record(phikit_scrubber *s, const char *rec, size_t n, char **out,
    size_t *outn, char *err, size_t errlen);
/* A string as phi-scrub leaves it in {"text": s}: the scrubbed text alone. */
int phikit_scrub_text(phikit_scrubber *s, const char *text, size_t n, char **out,
    size_t *outn, char *err, size_t errlen);
void phikit_scrubber_free(phikit_scrubber *s);

/*
 * A guard of p: records checked as guard-check checks them, one after
 * another (per-run limits count across the calls, in call order).
 */
int phikit_guard_new(const phikit_policy *p, phikit_guard **out, char *err, size_t errlen);
/* The record as guard-check prints it, with phikit.guard. */
int phikit_guard_record(phikit_guard *g, const char *rec, size_t n, char **out,
    size_t *outn, char *err, size_t errlen);
void phikit_guard_free(phikit_guard *g);

void phikit_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
