#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "note.h"

#define ALG_ED25519 1
static const char dash[] = "\xe2\x80\x94 ";	/* U+2014 EM DASH, space */

int
note_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NOTE_NAME_MAX)
		return 0;
	/* ASCII only: Go's rule is "no Unicode space", ours is stricter */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7f || c == '+')
			return 0;
	}
	return 1;
}

static uint32_t
key_hash(const char *name, const unsigned char pk[32])
{
	crypto_hash_sha256_state st;
	unsigned char h[32], alg = ALG_ED25519;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
	crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&st, &alg, 1);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static void
vkey_format(const char *name, uint32_t hash, const unsigned char pk[32], char out[NOTE_VKEY_MAX])
{
	unsigned char k[33];
	char b64[64];

	k[0] = ALG_ED25519;
	memcpy(k + 1, pk, 32);
	sodium_bin2base64(b64, sizeof(b64), k, sizeof(k), sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, NOTE_VKEY_MAX, "%s+%08" PRIx32 "+%s", name, hash, b64);
}

int
note_keygen(const char *name, char **skey, size_t *skey_len, char vkey[NOTE_VKEY_MAX],
    struct phk_err *e)
{
	unsigned char pk[32], *sk = NULL, *seed = NULL;
	char *out = NULL;
	uint32_t h;
	size_t cap;

	if (sodium_init() < 0) {
		phk_err_set(e, PHK_EXIT_IO, "libsodium failed to initialize");
		return -1;
	}
	if (!note_name_ok(name)) {
		phk_err_set(e, PHK_EXIT_USAGE,
		    "key name '%s' must be 1 to %d printable ASCII characters, no spaces or '+'",
		    name, NOTE_NAME_MAX);
		return -1;
	}
	cap = strlen(name) + 96;
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	seed = sodium_malloc(33);
	out = sodium_malloc(cap);
	if (sk == NULL || seed == NULL || out == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
		goto fail;
	}
	seed[0] = ALG_ED25519;
	randombytes_buf(seed + 1, 32);
	crypto_sign_seed_keypair(pk, sk, seed + 1);
	h = key_hash(name, pk);
	memcpy(out, "PRIVATE+KEY+", 12);
	*skey_len = 12;
	*skey_len += (size_t)snprintf(out + *skey_len, cap - *skey_len, "%s+%08" PRIx32 "+",
	    name, h);
	sodium_bin2base64(out + *skey_len, cap - *skey_len, seed, 33,
	    sodium_base64_VARIANT_ORIGINAL);
	*skey_len += strlen(out + *skey_len);
	vkey_format(name, h, pk, vkey);
	sodium_free(sk);
	sodium_free(seed);
	*skey = out;
	return 0;
fail:
	sodium_free(sk);
	sodium_free(seed);
	sodium_free(out);
	return -1;
}

/* Cuts s at the first c: returns the rest, or NULL. */
static char *
chop(char *s, int c)
{
	char *p = strchr(s, c);

	if (p == NULL)
		return NULL;
	*p = '\0';
	return p + 1;
}

static int
parse_hash8(const char *s, uint32_t *h)
{
	char *end;
	unsigned long v;
	size_t i;

	if (strlen(s) != 8)
		return -1;
	for (i = 0; i < 8; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return -1;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || *end)
		return -1;
	*h = (uint32_t)v;
	return 0;
}

int
note_signer_load(struct note_signer *s, const char *path, struct phk_err *e)
{
	unsigned char *raw, *seed = NULL;
	char *p, *name, *hash, *b64;
	size_t len, n, bin;
	uint32_t h;

	memset(s, 0, sizeof(*s));
	if ((raw = keyfile_read(path, &len, e)) == NULL)
		return -1;
	p = (char *)raw;
	/* one line; a trailing newline is allowed */
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		p[--len] = '\0';
	if (strlen(p) != len || strncmp(p, "PRIVATE+KEY+", 12) != 0)
		goto bad;
	name = p + 12;
	if ((hash = chop(name, '+')) == NULL || (b64 = chop(hash, '+')) == NULL)
		goto bad;
	if (!note_name_ok(name) || parse_hash8(hash, &h) < 0)
		goto bad;
	n = strlen(b64);
	if ((seed = sodium_malloc(n)) == NULL ||
	    (s->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
		goto fail;
	}
	if (sodium_base642bin(seed, n, b64, n, NULL, &bin, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || bin != 33 || seed[0] != ALG_ED25519)
		goto bad;
	crypto_sign_seed_keypair(s->pk, s->sk, seed + 1);
	if (key_hash(name, s->pk) != h) {
		phk_err_set(e, PHK_EXIT_USAGE,
		    "signing key '%s': its key id does not match its key", path);
		goto fail;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->hash = h;
	sodium_mprotect_readonly(s->sk);
	sodium_free(seed);
	sodium_free(raw);
	return 0;
bad:
	phk_err_set(e, PHK_EXIT_USAGE,
	    "signing key '%s' is not a key from 'ledger-admin keygen' (PRIVATE+KEY+name+id+key)",
	    path);
fail:
	sodium_free(seed);
	sodium_free(raw);
	sodium_free(s->sk);
	s->sk = NULL;
	return -1;
}

void
note_signer_release(struct note_signer *s)
{
	sodium_free(s->sk);	/* wipes */
	s->sk = NULL;
}

void
note_signer_vkey(const struct note_signer *s, char vkey[NOTE_VKEY_MAX])
{
	vkey_format(s->name, s->hash, s->pk, vkey);
}

int
note_verifier_parse(struct note_verifier *v, const char *vkey, struct phk_err *e)
{
	char tmp[NOTE_VKEY_MAX + 1], *name, *hash, *b64;
	unsigned char k[40];
	size_t bin;

	memset(v, 0, sizeof(*v));
	if (strlen(vkey) > NOTE_VKEY_MAX)
		goto bad;
	snprintf(tmp, sizeof(tmp), "%s", vkey);
	name = tmp;
	if ((hash = chop(name, '+')) == NULL || (b64 = chop(hash, '+')) == NULL)
		goto bad;
	if (!note_name_ok(name) || parse_hash8(hash, &v->hash) < 0)
		goto bad;
	if (sodium_base642bin(k, sizeof(k), b64, strlen(b64), NULL, &bin, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || bin != 33 || k[0] != ALG_ED25519)
		goto bad;
	memcpy(v->pk, k + 1, 32);
	if (key_hash(name, v->pk) != v->hash)
		goto bad;
	if (strlen(name) >= sizeof(v->name))
		goto bad;
	memcpy(v->name, name, strlen(name) + 1);
	return 0;
bad:
	/* Never quote the input: a signing key given by mistake is a secret. */
	if (strncmp(vkey, "PRIVATE+KEY+", 12) == 0)
		phk_err_set(e, PHK_EXIT_USAGE,
		    "this is a signing key; give the verifier key (name+id+key)");
	else
		phk_err_set(e, PHK_EXIT_USAGE, "not a verifier key (name+id+key)");
	return -1;
}

void
note_verifier_vkey(const struct note_verifier *v, char vkey[NOTE_VKEY_MAX])
{
	vkey_format(v->name, v->hash, v->pk, vkey);
}

void
note_verifier_id(const struct note_verifier *v, char *out, size_t n)
{
	snprintf(out, n, "%s+%08" PRIx32, v->name, v->hash);
}

int
note_sign(const struct note_signer *s, const char *text, size_t n, struct buf *out)
{
	unsigned char sig[4 + 64];
	char b64[128];

	if (n == 0 || text[n - 1] != '\n')
		return -1;
	sig[0] = (unsigned char)(s->hash >> 24);
	sig[1] = (unsigned char)(s->hash >> 16);
	sig[2] = (unsigned char)(s->hash >> 8);
	sig[3] = (unsigned char)s->hash;
	crypto_sign_detached(sig + 4, NULL, (const unsigned char *)text, n, s->sk);
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	if (buf_add(out, text, n) < 0 || buf_addc(out, '\n') < 0 || buf_adds(out, dash) < 0 ||
	    buf_adds(out, s->name) < 0 || buf_addc(out, ' ') < 0 || buf_adds(out, b64) < 0 ||
	    buf_addc(out, '\n') < 0)
		return -1;
	return 0;
}

int
note_parse(struct note *nt, const char *msg, size_t n, struct phk_err *e)
{
	size_t i, split = 0, at;
	int found = 0;

	memset(nt, 0, sizeof(*nt));
	/* as note.Open: UTF-8, no control characters but newline */
	for (i = 0; i < n;) {
		unsigned char c = (unsigned char)msg[i];
		if (c < 0x20 && c != '\n')
			goto bad;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4 || i + 1 >= n) goto bad;
		{
			size_t len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, k;
			if (i + len > n) goto bad;
			for (k = 1; k < len; k++)
				if (((unsigned char)msg[i + k] & 0xc0) != 0x80)
					goto bad;
			i += len;
		}
	}
	/* the signatures follow the last blank line */
	for (i = 0; i + 1 < n; i++)
		if (msg[i] == '\n' && msg[i + 1] == '\n') {
			split = i;
			found = 1;
		}
	if (!found || n == 0 || msg[n - 1] != '\n' || split + 2 >= n)
		goto bad;
	nt->text_len = split + 1;
	for (at = split + 2; at < n;) {
		const char *line = msg + at, *nl = memchr(line, '\n', n - at), *sp;
		size_t len = (size_t)(nl - line), nlen, bin;
		unsigned char raw[80];
		char b64[128];
		struct note_sig *s;

		if (len < sizeof(dash) - 1 || memcmp(line, dash, sizeof(dash) - 1) != 0)
			goto bad;
		line += sizeof(dash) - 1;
		len -= sizeof(dash) - 1;
		if ((sp = memchr(line, ' ', len)) == NULL)
			goto bad;
		nlen = (size_t)(sp - line);
		if (nlen == 0 || nlen > NOTE_NAME_MAX || len - nlen - 1 >= sizeof(b64))
			goto bad;
		memcpy(b64, sp + 1, len - nlen - 1);
		b64[len - nlen - 1] = '\0';
		if (sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL, &bin, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0 || bin < 5)
			goto bad;
		at = (size_t)(nl - msg) + 1;
		if (bin != 4 + 64)
			continue;	/* not Ed25519: not ours to check */
		if (nt->nsigs == NOTE_MAX_SIGS)
			goto bad;
		s = &nt->sigs[nt->nsigs++];
		memcpy(s->name, line, nlen);
		s->name[nlen] = '\0';
		s->hash = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
		    (uint32_t)raw[2] << 8 | raw[3];
		memcpy(s->sig, raw + 4, 64);
	}
	return 0;
bad:
	phk_err_set(e, PHK_EXIT_INPUT, "malformed signed note");
	return -1;
}

int
note_sig_valid(const struct note *nt, const char *msg, const struct note_sig *sig,
    const unsigned char pk[32])
{
	return crypto_sign_verify_detached(sig->sig, (const unsigned char *)msg,
	    nt->text_len, pk) == 0;
}

int
note_verify(const struct note *nt, const char *msg, const struct note_verifier *v, size_t nv)
{
	size_t k;
	int i;

	for (i = 0; i < nt->nsigs; i++)
		for (k = 0; k < nv; k++) {
			if (nt->sigs[i].hash != v[k].hash || strcmp(nt->sigs[i].name, v[k].name))
				continue;
			if (!note_sig_valid(nt, msg, &nt->sigs[i], v[k].pk))
				return -2;
			return (int)k;
		}
	return -1;
}

int
checkpoint_origin_ok(const char *origin)
{
	size_t i, n = strlen(origin);

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)origin[i] <= ' ' || (unsigned char)origin[i] >= 0x7f ||
		    origin[i] == '+')
			return 0;
	return 1;
}

int
checkpoint_format(struct buf *out, const char *origin, uint64_t size, const mhash root)
{
	char b64[64];

	sodium_bin2base64(b64, sizeof(b64), root, HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (buf_adds(out, origin) < 0 || buf_addc(out, '\n') < 0 || buf_addu(out, size) < 0 ||
	    buf_addc(out, '\n') < 0 || buf_adds(out, b64) < 0 || buf_addc(out, '\n') < 0)
		return -1;
	return 0;
}

int
checkpoint_parse(const char *text, size_t n, char origin[256], uint64_t *size, mhash root,
    struct phk_err *e)
{
	const char *l1, *l2, *l3, *end = text + n;
	size_t len, bin;
	char b64[64];
	uint64_t v = 0;
	const char *p;

	if ((l1 = memchr(text, '\n', n)) == NULL ||
	    (l2 = memchr(l1 + 1, '\n', (size_t)(end - l1 - 1))) == NULL ||
	    (l3 = memchr(l2 + 1, '\n', (size_t)(end - l2 - 1))) == NULL)
		goto bad;
	/* extension lines after the third are allowed, and not ours */
	len = (size_t)(l1 - text);
	if (len == 0 || len > 255)
		goto bad;
	memcpy(origin, text, len);
	origin[len] = '\0';
	if (!checkpoint_origin_ok(origin))
		goto bad;
	p = l1 + 1;
	if (p == l2 || (*p == '0' && l2 - p > 1) || l2 - p > 20)
		goto bad;
	for (; p < l2; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - d) / 10)
			goto bad;
		v = v * 10 + d;
	}
	len = (size_t)(l3 - l2 - 1);
	if (len != 44)
		goto bad;
	memcpy(b64, l2 + 1, len);
	b64[len] = '\0';
	if (sodium_base642bin(root, HASH_LEN, b64, len, NULL, &bin, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || bin != HASH_LEN)
		goto bad;
	*size = v;
	return 0;
bad:
	phk_err_set(e, PHK_EXIT_INPUT, "malformed checkpoint (origin, tree size, root hash)");
	return -1;
}

int
note_verifier_load(struct note_verifier *v, const char *arg, struct phk_err *e)
{
	char line[NOTE_VKEY_MAX + 2];
	FILE *f;
	size_t n;

	if (note_verifier_parse(v, arg, e) == 0)
		return 0;
	if ((f = fopen(arg, "r")) == NULL) {
		/* a signing key given by mistake is a secret: said so, never quoted */
		if (strncmp(arg, "PRIVATE+KEY+", 12) != 0)
			phk_err_set(e, PHK_EXIT_USAGE, "--key '%.200s' is neither a verifier key "
			    "(name+id+key) nor a readable file", arg);
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (note_verifier_parse(v, line, e) < 0) {
		char msg[sizeof(e->msg)];
		snprintf(msg, sizeof(msg), "%.200s: %.200s", arg, e->msg);
		phk_err_set(e, PHK_EXIT_USAGE, "%s", msg);
		sodium_memzero(line, sizeof(line));
		return -1;
	}
	return 0;
}
