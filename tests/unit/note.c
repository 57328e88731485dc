/*
 * lib/note.c: C2SP signed notes with Ed25519 as golang.org/x/mod/sumdb/note
 * makes them (Go's own test vectors), keys made, saved, loaded and parsed,
 * signatures that must fail once a single byte changes, and C2SP
 * tlog-checkpoint bodies formatted, parsed and refused when malformed.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "note.h"
#include "tap.h"

/* golang.org/x/mod/sumdb/note's note_test.go and example_test.go */
#define GO_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define GO_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define GO_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define GO_SIGNED GO_TEXT "\n\xe2\x80\x94 PeterNeumann " \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define CKTEXT "phikit.ledger/0123\n42\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n"
#define CK_MSG "malformed checkpoint (origin, tree size, root hash)"

static char dir[] = "/tmp/phikit-note.XXXXXX";

/* Writes text to dir/name with mode; returns the path (static). */
static const char *
keyfile(const char *name, const char *text, size_t n, mode_t mode)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	int fd;

	snprintf(p, 512, "%s/%s", dir, name);
	unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, text, n) != (ssize_t)n || fchmod(fd, mode) < 0 || close(fd) < 0) {
		perror(p);
		exit(1);
	}
	return p;
}

static const char *
load_err(const char *path)
{
	static struct phk_err e;
	struct note_signer s;

	memset(&e, 0, sizeof(e));
	if (note_signer_load(&s, path, &e) == 0) {
		note_signer_release(&s);
		return "loaded";
	}
	if (e.status != PHK_EXIT_USAGE)
		return "wrong exit status";
	return e.msg;
}

static int
vparse(const char *k)
{
	struct note_verifier v;
	struct phk_err e;

	return note_verifier_parse(&v, k, &e);
}

/* Parses and verifies msg against v: the index, -1, -2, or -9 if it does not parse. */
static int
check(const char *msg, size_t n, const struct note_verifier *v, size_t nv)
{
	struct note nt;
	struct phk_err e;

	if (note_parse(&nt, msg, n, &e) < 0)
		return -9;
	return note_verify(&nt, msg, v, nv);
}

static void
test_go_vectors(void)
{
	struct note_verifier v;
	struct note_signer s;
	struct phk_err e;
	struct buf out;
	char vk[NOTE_VKEY_MAX], id[64];
	const char *p;

	is_int(note_verifier_parse(&v, GO_VKEY, &e), 0, "Go's verifier key parses");
	is_str(v.name, "PeterNeumann", "its name");
	is_int(v.hash, 0xc74f20a3, "its key id");
	note_verifier_id(&v, id, sizeof(id));
	is_str(id, "PeterNeumann+c74f20a3", "name+id for messages");

	p = keyfile("go.key", GO_SKEY "\n", sizeof(GO_SKEY), 0600);
	is_str(load_err(p), "loaded", "Go's signer key loads from a 0600 file");
	if (note_signer_load(&s, p, &e) < 0)
		return;
	note_signer_vkey(&s, vk);
	is_str(vk, GO_VKEY, "its verifier key is Go's, byte for byte");
	buf_init(&out, 1 << 16);
	is_int(note_sign(&s, GO_TEXT, sizeof(GO_TEXT) - 1, &out), 0, "signs Go's text");
	is_mem(out.p, out.len, GO_SIGNED, sizeof(GO_SIGNED) - 1,
	    "the signed note is Go's note.Sign output, byte for byte");
	is_int(check(GO_SIGNED, sizeof(GO_SIGNED) - 1, &v, 1), 0, "Go's signed note verifies");
	buf_reset(&out);
	is_int(note_sign(&s, "no newline", 10, &out), -1, "text without a final newline: refused");
	is_int(note_sign(&s, "", 0, &out), -1, "empty text: refused");
	note_signer_release(&s);
	ok(s.sk == NULL, "release drops the secret");
	buf_release(&out);
	p = keyfile("go-nonl.key", GO_SKEY, sizeof(GO_SKEY) - 1, 0600);
	is_str(load_err(p), "loaded", "a key file without a final newline loads too");
}

/* As Go's TestNewVerifier: every proper substring, every byte bumped, is refused. */
static void
test_vkey_manglings(void)
{
	char b[] = GO_VKEY, sub[sizeof(GO_VKEY)];
	size_t i, j, len = sizeof(GO_VKEY) - 1;
	int accepted = 0;
	struct note_verifier v;
	struct phk_err e;

	for (i = 0; i <= len; i++)
		for (j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			memcpy(sub, b + i, j - i);
			sub[j - i] = '\0';
			if (vparse(sub) == 0)
				accepted++;
		}
	is_int(accepted, 0, "no proper substring of a verifier key parses");
	accepted = 0;
	for (i = 0; i < len; i++) {
		b[i]++;
		if (vparse(b) == 0) {
			diag("accepted with byte %zu bumped: %s", i, b);
			accepted++;
		}
		b[i]--;
	}
	is_int(accepted, 0, "no verifier key with one byte bumped parses");
	is_int(vparse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="),
	    -1, "a key of the wrong length (key id adjusted) is refused");
	is_int(vparse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"), -1,
	    "an unknown algorithm (key id adjusted) is refused");
	note_verifier_parse(&v, "nope", &e);
	is_str(e.msg, "not a verifier key (name+id+key)", "the message does not quote what it got");
	note_verifier_parse(&v, "PRIVATE+KEY+a+00000000+c2VjcmV0", &e);
	is_str(e.msg, "this is a signing key; give the verifier key (name+id+key)",
	    "a signing key: said so, not quoted");
	is_int(e.status, PHK_EXIT_USAGE, "a usage error");
}

static void
test_keygen(void)
{
	struct note_verifier v, v2;
	struct note_signer s, s2;
	struct phk_err e;
	struct buf out;
	char *sk = NULL, *sk2 = NULL, vk[NOTE_VKEY_MAX], vk2[NOTE_VKEY_MAX], vk3[NOTE_VKEY_MAX];
	char prefix[64], id[64];
	size_t n = 0, n2 = 0, i;
	const char *p, *p2;
	int r, flips = 0, accepted = 0, bad;

	if (!ok(note_keygen("audit-key", &sk, &n, vk, &e) == 0, "keygen"))
		return;
	ok(n == strlen(sk) && !strncmp(sk, "PRIVATE+KEY+audit-key+", 22),
	    "the signer key text is PRIVATE+KEY+name+...");
	snprintf(prefix, sizeof(prefix), "audit-key+%.8s+", sk + 22);
	ok(!strncmp(vk, prefix, strlen(prefix)), "the verifier key is name+the same id+...");
	is_int((long long)strlen(vk), (long long)strlen("audit-key+12345678+") + 44,
	    "the verifier key's base64 is 44 characters (0x01 and 32 bytes)");
	is_int((long long)n, (long long)strlen("PRIVATE+KEY+audit-key+12345678+") + 44,
	    "so is the signer key's");
	p = keyfile("audit.key", sk, n, 0600);
	sodium_free(sk);
	is_int(note_signer_load(&s, p, &e), 0, "the signer key loads back");
	note_signer_vkey(&s, vk2);
	is_str(vk2, vk, "the loaded key's verifier key is the one keygen printed");
	is_int(note_verifier_parse(&v, vk, &e), 0, "the verifier key parses");
	is_str(v.name, "audit-key", "its name");
	is_int(v.hash, s.hash, "its id");
	is_mem(v.pk, 32, s.pk, 32, "its public key");

	is_int(note_keygen("other-key", &sk2, &n2, vk3, &e), 0, "a second key");
	p2 = keyfile("other.key", sk2, n2, 0600);
	sodium_free(sk2);
	note_signer_load(&s2, p2, &e);
	note_verifier_parse(&v2, vk3, &e);

	/* sign, parse, verify */
	buf_init(&out, 1 << 16);
	note_sign(&s, "example.org/log\n3\nAAAA\n", 23, &out);
	{
		struct note nt;
		struct note_verifier both[2];
		is_int(note_parse(&nt, out.p, out.len, &e), 0, "our signed note parses");
		is_int((long long)nt.text_len, 23, "its text is what was signed");
		is_int(nt.nsigs, 1, "one signature");
		is_str(nt.sigs[0].name, "audit-key", "by the key's name");
		is_int(nt.sigs[0].hash, s.hash, "with the key's id");
		is_int(note_verify(&nt, out.p, &v, 1), 0, "verifies with its key");
		both[0] = v2;
		both[1] = v;
		is_int(note_verify(&nt, out.p, both, 2), 1, "the index of the key that signed it");
		is_int(note_verify(&nt, out.p, &v2, 1), -1, "another key: -1 (not signed by it)");
		is_int(note_verify(&nt, out.p, NULL, 0), -1, "no keys: -1");
		/* the same name and id, another public key: a forgery */
		both[0] = v;
		memcpy(both[0].pk, v2.pk, 32);
		is_int(note_verify(&nt, out.p, both, 1), -2,
		    "a matching name and id whose signature does not verify: -2");
		nt.sigs[0].sig[10] ^= 0x40;
		is_int(note_verify(&nt, out.p, &v, 1), -2, "an altered signature: -2");
		ok(!note_sig_valid(&nt, out.p, &nt.sigs[0], v.pk), "note_sig_valid says so too");
		nt.sigs[0].sig[10] ^= 0x40;
		ok(note_sig_valid(&nt, out.p, &nt.sigs[0], v.pk), "and the original is valid");
	}

	/* a note signed by both keys: each verifies it */
	{
		struct buf two;
		size_t tl;
		buf_init(&two, 1 << 16);
		note_sign(&s, "text\n", 5, &two);
		tl = two.len;
		note_sign(&s2, "text\n", 5, &out);
		buf_reset(&out);
		note_sign(&s2, "text\n", 5, &out);
		/* append s2's signature line (the last line of out) to two */
		{
			const char *last = out.p + out.len - 1;
			while (last > out.p && last[-1] != '\n')
				last--;
			buf_add(&two, last, (size_t)(out.p + out.len - last));
		}
		ok(two.len > tl, "a note with two signatures");
		is_int(check(two.p, two.len, &v, 1), 0, "the first key verifies it");
		is_int(check(two.p, two.len, &v2, 1), 0, "the second key verifies it");
		buf_release(&two);
	}

	/* one byte changed anywhere: never a valid note from this key */
	buf_reset(&out);
	note_sign(&s, CKTEXT, sizeof(CKTEXT) - 1, &out);
	is_int(check(out.p, out.len, &v, 1), 0, "a checkpoint note verifies");
	bad = 0;
	for (i = 0; i < out.len; i++) {
		int bit;
		for (bit = 0; bit < 8; bit++) {
			out.p[i] ^= (char)(1 << bit);
			r = check(out.p, out.len, &v, 1);
			flips++;
			if (r == 0) {
				if (accepted++ < 3)
					diag("still valid with bit %d of byte %zu flipped", bit, i);
			} else if (r != -1 && r != -2 && r != -9)
				bad++;
			out.p[i] ^= (char)(1 << bit);
		}
	}
	is_int(accepted, 0, "any one bit flipped in text or signature line: never valid");
	is_int(bad, 0, "and the answer is always -1, -2 or malformed");
	/* text flips specifically give -2 (the signature line is intact) */
	bad = 0;
	for (i = 0; i < sizeof(CKTEXT) - 1; i++) {
		if (out.p[i] == '\n')
			continue;
		out.p[i] ^= 0x01;
		r = check(out.p, out.len, &v, 1);
		if (r != -2 && r != -9)
			bad++;
		out.p[i] ^= 0x01;
	}
	is_int(bad, 0, "a text byte changed: the signature is reported invalid (-2), not absent");

	/* malformed notes */
	{
		struct note nt;
		static const char *const badn[] = {
			"text\n",						/* no signatures */
			"text\n\n",						/* nothing after the blank line */
			"text\n\n\xe2\x80\x94 k AAAA\n",			/* signature too short */
			"text\n\n- k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
			"text\n\n\xe2\x80\x94 k AAAA",				/* no final newline */
			"te\x01xt\n\n\xe2\x80\x94 k AAAAAAAA\n",		/* a control character */
			"te\xffxt\n\n\xe2\x80\x94 k AAAAAAAA\n",		/* not UTF-8 */
			"text\n\n\xe2\x80\x94 kAAAAAAAA\n",			/* no space */
			"text\n\n\xe2\x80\x94 k !!!!\n",			/* not base64 */
		};
		for (i = 0; i < sizeof(badn) / sizeof(badn[0]); i++) {
			memset(&e, 0, sizeof(e));
			r = note_parse(&nt, badn[i], strlen(badn[i]), &e);
			ok(r == -1 && !strcmp(e.msg, "malformed signed note") &&
			    e.status == PHK_EXIT_INPUT, "malformed note %zu refused: malformed signed note",
			    i);
		}
	}
	note_verifier_id(&v, id, sizeof(id));
	ok(!strncmp(id, "audit-key+", 10) && strlen(id) == 18, "name+id of a generated key");

	note_signer_release(&s);
	note_signer_release(&s2);
	buf_release(&out);
	(void)flips;
}

static void
test_key_files(void)
{
	char want[1024];
	const char *p;
	struct phk_err e;
	char *sk = NULL, vk[NOTE_VKEY_MAX];
	size_t n;

	p = keyfile("world.key", GO_SKEY "\n", sizeof(GO_SKEY), 0644);
	snprintf(want, sizeof(want), "key file '%s' is readable by others (mode 0644); chmod 600 it",
	    p);
	is_str(load_err(p), want, "a world-readable key file is refused, with the exact message");
	p = keyfile("group.key", GO_SKEY "\n", sizeof(GO_SKEY), 0640);
	snprintf(want, sizeof(want), "key file '%s' is readable by others (mode 0640); chmod 600 it",
	    p);
	is_str(load_err(p), want, "a group-readable key file is refused");
	snprintf(want, sizeof(want), "%s/none.key", dir);
	{
		char w2[1100];
		snprintf(w2, sizeof(w2), "key file '%s': No such file or directory", want);
		is_str(load_err(want), w2, "a missing key file: named, with the reason");
	}
	{
		struct note_signer s;
		memset(&e, 0, sizeof(e));
		is_int(note_signer_load(&s, dir, &e), -1, "a directory is not a key file");
		snprintf(want, sizeof(want), "key file '%s' is not a regular file", dir);
		is_str(e.msg, want, "a directory: not a regular file");
		is_int(e.status, PHK_EXIT_USAGE, "a usage error");
	}

#define NOTKEY(text, name) do { \
		p = keyfile("bad.key", text, sizeof(text) - 1, 0600); \
		snprintf(want, sizeof(want), "signing key '%s' is not a key from 'ledger-admin " \
		    "keygen' (PRIVATE+KEY+name+id+key)", p); \
		is_str(load_err(p), want, name); \
	} while (0)
	NOTKEY(GO_VKEY "\n", "a verifier key is not a signer key");
	NOTKEY("PRIVATE+KEY+PeterNeumann+c74f20a3\n", "a signer key without its key");
	NOTKEY("PRIVATE+KEY+PeterNeumann+c74f20a+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
	    "an id of 7 hex digits");
	NOTKEY("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF\n",
	    "a truncated key");
	NOTKEY("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n"
	    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
	    "two lines");
	NOTKEY("PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
	    "a name with a space");
	NOTKEY("", "an empty file");
	p = keyfile("id.key", "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
	    sizeof(GO_SKEY), 0600);
	snprintf(want, sizeof(want), "signing key '%s': its key id does not match its key", p);
	is_str(load_err(p), want, "a key id that is not the key's: refused");

	/* names */
	ok(note_name_ok("a") && note_name_ok("audit-key.2026_x"), "plain names are fine");
	ok(!note_name_ok("") && !note_name_ok("a+b") && !note_name_ok("a b") &&
	    !note_name_ok("a\tb") && !note_name_ok("caf\xc3\xa9"), "empty, '+', spaces, non-ASCII: not names");
	{
		char name[130];
		memset(name, 'n', 128);
		name[128] = '\0';
		ok(note_name_ok(name), "128 bytes is a name");
		name[128] = 'n';
		name[129] = '\0';
		ok(!note_name_ok(name), "129 bytes is not");
	}
	is_int(note_keygen("bad name", &sk, &n, vk, &e), -1, "keygen refuses a bad name");
	is_str(e.msg, "key name 'bad name' must be 1 to 128 printable ASCII characters, no spaces or '+'",
	    "and says why");
	is_int(e.status, PHK_EXIT_USAGE, "a usage error");
}

static const char *
ckparse(const char *text, uint64_t *size, mhash root, char origin[256])
{
	static struct phk_err e;

	memset(&e, 0, sizeof(e));
	if (checkpoint_parse(text, strlen(text), origin, size, root, &e) == 0)
		return "ok";
	return e.status == PHK_EXIT_INPUT ? e.msg : "wrong exit status";
}

static void
test_checkpoints(void)
{
	struct buf b;
	mhash root, got;
	char origin[256], r64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	uint64_t size = 0;
	int i;

	for (i = 0; i < HASH_LEN; i++)
		root[i] = (unsigned char)i;
	buf_init(&b, 1 << 16);
	is_int(checkpoint_format(&b, "example.com/log", 1204, root), 0, "format");
	is_mem(b.p, b.len, "example.com/log\n1204\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 66,
	    "a C2SP checkpoint body: origin, size, base64 root, each on its line");
	is_str(ckparse(b.p, &size, got, origin), "ok", "it parses back");
	is_str(origin, "example.com/log", "the origin");
	is_int((long long)size, 1204, "the size");
	is_mem(got, HASH_LEN, root, HASH_LEN, "the root");
	buf_reset(&b);
	checkpoint_format(&b, "o", 0, root);
	is_str(ckparse(b.p, &size, got, origin), "ok", "size 0 round trips");
	is_int((long long)size, 0, "as 0");
	buf_reset(&b);
	checkpoint_format(&b, "o", UINT64_MAX - 6, root);
	is_str(ckparse(b.p, &size, got, origin), "ok", "a size near 2^64 round trips");
	ok(size == UINT64_MAX - 6, "as 18446744073709551609");
	buf_reset(&b);
	checkpoint_format(&b, "o", UINT64_MAX, root);
	is_str(ckparse(b.p, &size, got, origin), "ok", "the largest size (2^64 - 1) round trips");
	ok(size == UINT64_MAX, "as 18446744073709551615");
	buf_release(&b);
	is_str(ckparse("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nextension line\n", &size,
	    got, origin), "ok", "extension lines after the root are allowed");

#define CKBAD(text, name) is_str(ckparse(text, &size, got, origin), CK_MSG, name)
	CKBAD("", "empty: refused");
	CKBAD("o\n5\n", "no root line: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "no final newline: refused");
	CKBAD("o\n", "origin only: refused");
	CKBAD("\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "an empty origin: refused");
	CKBAD("o\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "an empty size: refused");
	CKBAD("o\n05\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "a size with a leading zero: refused");
	CKBAD("o\n00\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "size 00: refused");
	CKBAD("o\n+5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "a size with a sign: refused");
	CKBAD("o\n5 \nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "a size with a space: refused");
	CKBAD("o\n0x5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "a hex size: refused");
	CKBAD("o\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
	    "a size past 2^64 - 1: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", "a root without its padding: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==\n", "a root too long: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!=\n", "a root with a non-base64 character: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n", "a short root: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=AAAA\n", "a root with more bytes: refused");
	CKBAD("o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-_\n", "URL-safe base64: refused");
	CKBAD("ex+ample\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "an origin with '+': refused");
	CKBAD("ex ample\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "an origin with a space: refused");
	CKBAD("ex\tample\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "an origin with a tab: refused");
	CKBAD("o\n5\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "a blank line before the root: refused");
	(void)r64;
	{
		char o[300];
		memset(o, 'o', 255);
		o[255] = '\0';
		ok(checkpoint_origin_ok(o), "a 255-byte origin is fine");
		o[255] = 'o';
		o[256] = '\0';
		ok(!checkpoint_origin_ok(o), "a 256-byte origin is not");
		ok(!checkpoint_origin_ok("") && !checkpoint_origin_ok("a+b") &&
		    !checkpoint_origin_ok("a b") && checkpoint_origin_ok("phikit.ledger/00ff"),
		    "origin rules: printable ASCII, no spaces or '+'");
	}
}

static void
cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int
main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
		perror("setup");
		return 1;
	}
	atexit(cleanup);
	test_go_vectors();
	test_vkey_manglings();
	test_keygen();
	test_key_files();
	test_checkpoints();
	return done_testing();
}
