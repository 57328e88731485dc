/*
 * note — C2SP signed notes with Ed25519, and C2SP tlog-checkpoints in them,
 * byte for byte as golang.org/x/mod/sumdb/note makes and opens them: key
 * id = the first 4 bytes of SHA-256(name "\n" 0x01 pubkey), verifier key
 * "name+hash+base64(0x01 pubkey)", signer key "PRIVATE+KEY+name+hash+
 * base64(0x01 seed)". A signer's secret lives in sodium guarded memory.
 */
#ifndef PHIKIT_NOTE_H
#define PHIKIT_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "merkle.h"

#define NOTE_NAME_MAX 128
#define NOTE_VKEY_MAX (NOTE_NAME_MAX + 64)
#define NOTE_MAX_SIGS 16

struct note_signer {
	char name[NOTE_NAME_MAX + 1];
	uint32_t hash;
	unsigned char pk[32];
	unsigned char *sk;	/* 64 bytes of sodium memory, read-only */
};

struct note_verifier {
	char name[NOTE_NAME_MAX + 1];
	uint32_t hash;
	unsigned char pk[32];
};

/* A key name as sumdb/note allows it: no spaces, no '+', at most 128 bytes. */
int note_name_ok(const char *name);

/*
 * A new key pair. The signer key text goes into sodium memory (*skey, its
 * length in *skey_len; free with sodium_free); the verifier key into vkey.
 */
int note_keygen(const char *name, char **skey, size_t *skey_len,
    char vkey[NOTE_VKEY_MAX], struct phk_err *e);
/* Reads a signer key file (mode 0600, owned by no one else). */
int note_signer_load(struct note_signer *s, const char *path, struct phk_err *e);
void note_signer_release(struct note_signer *s);
void note_signer_vkey(const struct note_signer *s, char vkey[NOTE_VKEY_MAX]);

/* Parses a verifier key string; 0 or -1 with e set. */
int note_verifier_parse(struct note_verifier *v, const char *vkey, struct phk_err *e);
/* "name+hash" for messages. */
/* The key in full, as note_keygen wrote it: name+hash+base64. */
void note_verifier_vkey(const struct note_verifier *v, char vkey[NOTE_VKEY_MAX]);
void note_verifier_id(const struct note_verifier *v, char *out, size_t n);
/*
 * A verifier key given as itself or as a file holding it on its first
 * line (a --key argument); 0, or -1 with e set (PHK_EXIT_USAGE).
 */
int note_verifier_load(struct note_verifier *v, const char *arg, struct phk_err *e);

/* Appends text (ending in "\n"), a blank line and the signature line to out. */
int note_sign(const struct note_signer *s, const char *text, size_t n, struct buf *out);

struct note_sig {
	char name[NOTE_NAME_MAX + 1];
	uint32_t hash;
	unsigned char sig[64];
};

struct note {
	size_t text_len;	/* the signed text is msg[0..text_len) */
	struct note_sig sigs[NOTE_MAX_SIGS];
	int nsigs;
};

/* Splits a signed note into text and signature lines; 0 or -1 (malformed). */
int note_parse(struct note *nt, const char *msg, size_t n, struct phk_err *e);
/*
 * Which of the verifiers signed it: the index of the first whose signature
 * is present and valid; -1 if none of them signed it; -2 if one of them
 * has a signature there that does not verify (a forgery).
 */
int note_verify(const struct note *nt, const char *msg, const struct note_verifier *v,
    size_t nv);
/* Verifies one signature of the note against a key; 1 valid, 0 not. */
int note_sig_valid(const struct note *nt, const char *msg, const struct note_sig *sig,
    const unsigned char pk[32]);

/* C2SP tlog-checkpoint body: origin, tree size, base64 root hash. */
int checkpoint_format(struct buf *out, const char *origin, uint64_t size, const mhash root);
/* Parses the body; origin is copied into origin[0..256). 0 or -1 with e set. */
int checkpoint_parse(const char *text, size_t n, char origin[256], uint64_t *size,
    mhash root, struct phk_err *e);
/* Whether an origin line is acceptable: printable ASCII, no spaces or '+'. */
int checkpoint_origin_ok(const char *origin);

#endif
