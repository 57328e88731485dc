#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vault.h"

#define KEYLEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MACLEN 16
#define RUN_MAX 128
#define NRUNS 64		/* data keys held at once */
#define COMMIT_EVERY 8192	/* rows per transaction while storing */
#define VALUE_MAX (1 << 20)

enum {
	Q_RUN_GET, Q_RUN_ADD, Q_VAL_MAC, Q_VAL_ADD, Q_VAL_AMBIG, Q_VAL_GET, Q_SHRED_RUN,
	Q_SHRED_VALS, Q_BEFORE, Q__N
};

static const char *const sql[Q__N] = {
	"SELECT wrapped, shredded, why FROM vault_runs WHERE run_id = ?1",
	"INSERT INTO vault_runs (run_id, created, wrapped) VALUES (?1, ?2, ?3)",
	"SELECT vmac FROM vault_values WHERE run_id = ?1 AND token = ?2",
	"INSERT INTO vault_values (run_id, token, sealed, vmac) VALUES (?1, ?2, ?3, ?4)",
	"UPDATE vault_values SET ambiguous = 1 WHERE run_id = ?1 AND token = ?2",
	"SELECT sealed, ambiguous FROM vault_values WHERE run_id = ?1 AND token = ?2",
	"UPDATE vault_runs SET wrapped = NULL, shredded = ?2, why = ?3 "
	    "WHERE run_id = ?1 AND wrapped IS NOT NULL",
	"DELETE FROM vault_values WHERE run_id = ?1",
	"SELECT run_id FROM vault_runs WHERE wrapped IS NOT NULL AND created < ?1",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS vault_meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS vault_runs (run_id TEXT PRIMARY KEY, created TEXT NOT NULL,"
	" wrapped BLOB, shredded TEXT, why TEXT);"
	"CREATE TABLE IF NOT EXISTS vault_values (run_id TEXT NOT NULL, token TEXT NOT NULL,"
	" sealed BLOB NOT NULL, vmac BLOB NOT NULL, ambiguous INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (run_id, token)) WITHOUT ROWID;";

struct vrun {
	char run[RUN_MAX + 1];
	unsigned char *k;	/* sodium memory; NULL: erased */
	char erased[96];
};

struct vault {
	sqlite3 *db;
	sqlite3_stmt *st[Q__N];
	unsigned char *key;	/* the vault key, sodium memory, or NULL */
	pthread_mutex_t mu;
	int in_tx;
	long pending;
	struct vrun runs[NRUNS];
	int nruns, next;
	uint64_t *seen;		/* hashes of (run, token, value) stored: not stored twice */
	size_t nseen, capseen;
};

static int
dberr(struct vault *v, struct phk_err *e, const char *what)
{
	phk_err_set(e, PHK_EXIT_IO, "vault: %s: %s", what, sqlite3_errmsg(v->db));
	return -1;
}

/* Creates path 0600 if it does not exist, so SQLite never makes it with the umask's mode. */
static int
create_0600(const char *path, struct phk_err *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0)
		return close(fd);
	if (errno == EEXIST)
		return 0;
	phk_err_set(e, PHK_EXIT_IO, "vault '%s': %s", path, strerror(errno));
	return -1;
}

/* The vault key's check value: a vault opened with another key is refused. */
static int
check_key(struct vault *v, const char *path, int create, struct phk_err *e)
{
	static const char label[] = "phikit vault key check v1";
	unsigned char want[32];
	sqlite3_stmt *q;
	int rc, ok = -1;

	crypto_generichash(want, sizeof(want), (const unsigned char *)label, sizeof(label),
	    v->key, KEYLEN);
	if (sqlite3_prepare_v2(v->db, "SELECT v FROM vault_meta WHERE k = 'key_check'", -1, &q,
	    NULL) != SQLITE_OK)
		return dberr(v, e, "reading");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(q, 0) == (int)sizeof(want) &&
		    sodium_memcmp(sqlite3_column_blob(q, 0), want, sizeof(want)) == 0)
			ok = 0;
		else
			phk_err_set(e, PHK_EXIT_USAGE, "vault '%s' was made with another vault key "
			    "(--vault-key, PHIKIT_VAULT_KEY_FILE)", path);
		sqlite3_finalize(q);
		return ok;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return dberr(v, e, "reading");
	if (!create) {
		phk_err_set(e, PHK_EXIT_USAGE, "'%s' is not a phikit vault (phi-scrub --vault "
		    "makes one)", path);
		return -1;
	}
	if (sqlite3_prepare_v2(v->db, "INSERT INTO vault_meta (k, v) VALUES ('key_check', ?1)",
	    -1, &q, NULL) != SQLITE_OK)
		return dberr(v, e, "writing");
	sqlite3_bind_blob(q, 1, want, sizeof(want), SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : dberr(v, e, "writing");
}

int
vault_open(struct vault **vp, const char *path, int flags, const unsigned char *key,
    struct phk_err *e)
{
	struct vault *v;
	int i, oflags = flags & VAULT_RDONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;

	*vp = NULL;
	if (sodium_init() < 0) {
		phk_err_set(e, PHK_EXIT_IO, "libsodium failed to initialize");
		return -1;
	}
	if ((flags & VAULT_CREATE) && create_0600(path, e) < 0)
		return -1;
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	pthread_mutex_init(&v->mu, NULL);
	*vp = v;
	if (sqlite3_open_v2(path, &v->db, oflags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		phk_err_set(e, v->db && access(path, F_OK) < 0 ? PHK_EXIT_USAGE : PHK_EXIT_IO,
		    "vault '%s': %s", path, v->db ? sqlite3_errmsg(v->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(v->db, 10000);
	if (sqlite3_exec(v->db, "PRAGMA secure_delete = ON; PRAGMA synchronous = FULL;", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    (!(flags & VAULT_RDONLY) && sqlite3_exec(v->db, schema, NULL, NULL, NULL) != SQLITE_OK)) {
		phk_err_set(e, PHK_EXIT_IO, "vault '%s': %s", path, sqlite3_errmsg(v->db));
		goto fail;
	}
	for (i = 0; i < Q__N; i++)
		if (sqlite3_prepare_v3(v->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &v->st[i],
		    NULL) != SQLITE_OK) {
			phk_err_set(e, PHK_EXIT_USAGE, "vault '%s' is not a phikit vault: %s", path,
			    sqlite3_errmsg(v->db));
			goto fail;
		}
	if (key) {
		if ((v->key = sodium_malloc(KEYLEN)) == NULL) {
			phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
			goto fail;
		}
		memcpy(v->key, key, KEYLEN);
		if (check_key(v, path, flags & VAULT_CREATE, e) < 0)
			goto fail;
	}
	return 0;
fail:
	vault_close(v);
	*vp = NULL;
	return -1;
}

void
vault_close(struct vault *v)
{
	int i;

	if (v == NULL)
		return;
	if (v->in_tx)
		sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < Q__N; i++)
		sqlite3_finalize(v->st[i]);
	sqlite3_close(v->db);
	for (i = 0; i < v->nruns; i++)
		sodium_free(v->runs[i].k);
	sodium_free(v->key);
	sodium_memzero(v->seen, v->capseen * sizeof(*v->seen));
	free(v->seen);
	pthread_mutex_destroy(&v->mu);
	free(v);
}

int
vault_flush(struct vault *v, struct phk_err *e)
{
	int rc = 0;

	pthread_mutex_lock(&v->mu);
	if (v->in_tx) {
		if (sqlite3_exec(v->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = dberr(v, e, "committing");
		else
			v->in_tx = 0;
		v->pending = 0;
	}
	pthread_mutex_unlock(&v->mu);
	return rc;
}

/* ---- the associated data: what a sealed blob is bound to ---- */

static size_t
ad_make(unsigned char *ad, size_t cap, const char *label, const char *run, const char *token)
{
	size_t n = (size_t)snprintf((char *)ad, cap, "%s", label) + 1;

	n += (size_t)snprintf((char *)ad + n, cap - n, "%s", run) + 1;
	if (token)
		n += (size_t)snprintf((char *)ad + n, cap - n, "%s", token);
	return n < cap ? n : cap;
}

/* ---- run keys ---- */

static struct vrun *
run_cached(struct vault *v, const char *run)
{
	int i;

	for (i = 0; i < v->nruns; i++)
		if (!strcmp(v->runs[i].run, run))
			return &v->runs[i];
	return NULL;
}

static struct vrun *
run_slot(struct vault *v, const char *run)
{
	struct vrun *r;

	if (v->nruns < NRUNS)
		r = &v->runs[v->nruns++];
	else {
		r = &v->runs[v->next];
		v->next = (v->next + 1) % NRUNS;
		sodium_free(r->k);
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->run, sizeof(r->run), "%s", run);
	return r;
}

static void
now_ts(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
begin(struct vault *v, struct phk_err *e)
{
	if (v->in_tx)
		return 0;
	if (sqlite3_exec(v->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return dberr(v, e, "starting a transaction");
	v->in_tx = 1;
	return 0;
}

/* A new run: a random data key, wrapped by the vault key, stored. */
static int
run_create(struct vault *v, struct vrun *r, struct phk_err *e)
{
	unsigned char blob[NONCE + KEYLEN + TAG], ad[RUN_MAX + 64];
	unsigned long long cl;
	sqlite3_stmt *q = v->st[Q_RUN_ADD];
	char ts[32];
	size_t adn = ad_make(ad, sizeof(ad), "phikit vault run v1", r->run, NULL);
	int rc;

	if ((r->k = sodium_malloc(KEYLEN)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
		return -1;
	}
	crypto_aead_xchacha20poly1305_ietf_keygen(r->k);
	randombytes_buf(blob, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE, &cl, r->k, KEYLEN, ad, adn,
	    NULL, blob, v->key);
	if (begin(v, e) < 0)
		return -1;
	now_ts(ts);
	sqlite3_bind_text(q, 1, r->run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ts, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, blob, sizeof(blob), SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? 0 : dberr(v, e, "storing a run's key");
}

/*
 * The run's data key, from the cache or the vault: 1 (r set; r->k NULL
 * when the run was erased), 0 the vault has no such run, -1 e set.
 */
static int
run_load(struct vault *v, const char *run, struct vrun **rp, struct phk_err *e)
{
	unsigned char ad[RUN_MAX + 64];
	sqlite3_stmt *q = v->st[Q_RUN_GET];
	struct vrun *r;
	int rc, ret = 1;

	if ((*rp = run_cached(v, run)) != NULL)
		return 1;
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return rc == SQLITE_DONE ? 0 : dberr(v, e, "reading");
	}
	r = run_slot(v, run);
	if (sqlite3_column_type(q, 0) == SQLITE_NULL) {
		const char *ts = (const char *)sqlite3_column_text(q, 1),
		    *why = (const char *)sqlite3_column_text(q, 2);
		snprintf(r->erased, sizeof(r->erased), "%.40s %.40s", ts ? ts : "?",
		    why ? why : "erased");
	} else if (sqlite3_column_bytes(q, 0) != NONCE + KEYLEN + TAG || v->key == NULL ||
	    (r->k = sodium_malloc(KEYLEN)) == NULL ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(r->k, NULL, NULL,
	    (const unsigned char *)sqlite3_column_blob(q, 0) + NONCE, KEYLEN + TAG, ad,
	    ad_make(ad, sizeof(ad), "phikit vault run v1", run, NULL),
	    sqlite3_column_blob(q, 0), v->key) != 0) {
		phk_err_set(e, PHK_EXIT_IO, "vault: the data key of run '%s' does not "
		    "authenticate (the vault was altered): nothing of it is trusted", run);
		sodium_free(r->k);
		r->k = NULL;
		r->run[0] = '\0';
		ret = -1;
	}
	sqlite3_reset(q);
	*rp = r;
	return ret;
}

/* ---- storing ---- */

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/* 1 if h was stored before in this process; else remembers it, 0. */
static int
seen(struct vault *v, uint64_t h)
{
	size_t i, k;

	if (h == 0)
		h = 1;
	if (v->nseen * 2 >= v->capseen) {
		size_t cap = v->capseen ? v->capseen * 2 : 4096;
		uint64_t *t;
		if (cap > ((size_t)1 << 22) || (t = calloc(cap, sizeof(*t))) == NULL) {
			memset(v->seen, 0, v->capseen * sizeof(*v->seen));	/* forget */
			v->nseen = 0;
			if (v->capseen == 0)
				return 0;
		} else {
			for (k = 0; k < v->capseen; k++)
				if (v->seen[k])
					for (i = v->seen[k] & (cap - 1); ; i = (i + 1) & (cap - 1))
						if (t[i] == 0) {
							t[i] = v->seen[k];
							break;
						}
			free(v->seen);
			v->seen = t;
			v->capseen = cap;
		}
	}
	for (i = h & (v->capseen - 1); v->seen[i]; i = (i + 1) & (v->capseen - 1))
		if (v->seen[i] == h)
			return 1;
	v->seen[i] = h;
	v->nseen++;
	return 0;
}

/* The token has a value already: the same one, or it becomes ambiguous. */
static int
put_again(struct vault *v, const char *run, const char *token, const unsigned char *mac,
    struct phk_err *e)
{
	sqlite3_stmt *q = v->st[Q_VAL_MAC], *u = v->st[Q_VAL_AMBIG];
	int same, rc;

	same = sqlite3_column_bytes(q, 0) == MACLEN &&
	    sodium_memcmp(sqlite3_column_blob(q, 0), mac, MACLEN) == 0;
	sqlite3_reset(q);
	if (same)
		return 0;
	if (begin(v, e) < 0)
		return -1;
	sqlite3_bind_text(u, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 2, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(u);
	sqlite3_reset(u);
	return rc == SQLITE_DONE ? 0 : dberr(v, e, "storing");
}

static int
put_new(struct vault *v, const struct vrun *r, const char *token, const char *value, size_t n,
    const unsigned char *mac, struct phk_err *e)
{
	unsigned char ad[RUN_MAX + VAULT_TOKEN_MAX + 64], *blob;
	unsigned long long cl;
	sqlite3_stmt *q = v->st[Q_VAL_ADD];
	int rc;

	if ((blob = malloc(NONCE + n + TAG)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	randombytes_buf(blob, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE, &cl, (const unsigned char *)value,
	    n, ad, ad_make(ad, sizeof(ad), "phikit vault value v1", r->run, token), NULL, blob,
	    r->k);
	if (begin(v, e) < 0) {
		free(blob);
		return -1;
	}
	sqlite3_bind_text(q, 1, r->run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, token, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, blob, (int)(NONCE + cl), SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, mac, MACLEN, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	free(blob);
	if (rc != SQLITE_DONE)
		return dberr(v, e, "storing");
	if (++v->pending >= COMMIT_EVERY) {
		if (sqlite3_exec(v->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return dberr(v, e, "committing");
		v->in_tx = 0;
		v->pending = 0;
	}
	return 0;
}

static int
put_locked(struct vault *v, const char *run, const char *token, const char *value, size_t n,
    const char *norm, size_t nn, struct phk_err *e)
{
	unsigned char mac[MACLEN];
	sqlite3_stmt *q = v->st[Q_VAL_MAC];
	struct vrun *r;
	uint64_t h;
	int rc;

	if ((rc = run_load(v, run, &r, e)) < 0)
		return -1;
	if (rc == 0) {
		r = run_slot(v, run);
		if (run_create(v, r, e) < 0) {
			r->run[0] = '\0';
			return -1;
		}
	} else if (r->k == NULL) {
		phk_err_set(e, PHK_EXIT_INPUT, "run '%s' was erased from the vault (%s): its "
		    "values are not stored again", run, r->erased);
		return -1;
	}
	/* a keyed hash of the value as the token saw it: under the run's key, shredded with it */
	crypto_generichash(mac, MACLEN, (const unsigned char *)norm, nn, r->k, KEYLEN);
	h = fnv(fnv(fnv(0xcbf29ce484222325ULL, run, strlen(run) + 1), token, strlen(token) + 1),
	    mac, MACLEN);
	if (seen(v, h))
		return 0;
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, token, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		return put_again(v, run, token, mac, e);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return dberr(v, e, "reading");
	return put_new(v, r, token, value, n, mac, e);
}

int
vault_put(struct vault *v, const char *run, const char *token, const char *value, size_t n,
    const char *norm, size_t nn, struct phk_err *e)
{
	int rc;

	if (v->key == NULL || strlen(run) > RUN_MAX || strlen(token) > VAULT_TOKEN_MAX ||
	    n > VALUE_MAX) {
		phk_err_set(e, PHK_EXIT_IO, "vault: internal error: a value it cannot store");
		return -1;
	}
	pthread_mutex_lock(&v->mu);
	rc = put_locked(v, run, token, value, n, norm, nn, e);
	pthread_mutex_unlock(&v->mu);
	return rc;
}

/* ---- reading ---- */

int
vault_get(struct vault *v, const char *run, const char *token, struct buf *out,
    struct phk_err *e)
{
	unsigned char ad[RUN_MAX + VAULT_TOKEN_MAX + 64];
	sqlite3_stmt *q = v->st[Q_VAL_GET];
	const unsigned char *blob;
	unsigned long long pl;
	struct vrun *r;
	size_t bn, at;
	int rc;

	if (strlen(run) > RUN_MAX || strlen(token) > VAULT_TOKEN_MAX)
		return VAULT_NOT_FOUND;
	if ((rc = run_load(v, run, &r, e)) <= 0)
		return rc < 0 ? -1 : VAULT_NOT_FOUND;
	if (r->k == NULL)
		return VAULT_ERASED;
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, token, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return rc == SQLITE_DONE ? VAULT_NOT_FOUND : dberr(v, e, "reading");
	}
	if (sqlite3_column_int(q, 1)) {
		sqlite3_reset(q);
		return VAULT_AMBIGUOUS;
	}
	blob = sqlite3_column_blob(q, 0);
	bn = (size_t)sqlite3_column_bytes(q, 0);
	at = out->len;
	if (bn < NONCE + TAG || bn - NONCE - TAG > VALUE_MAX ||
	    buf_add(out, blob + NONCE, bn - NONCE - TAG) < 0) {
		sqlite3_reset(q);
		phk_err_set(e, PHK_EXIT_IO, bn < NONCE + TAG || bn - NONCE - TAG > VALUE_MAX ?
		    "vault: a sealed value of run '%s' is malformed (the vault was altered): "
		    "nothing is trusted" : "out of memory (%s)", run);
		return -1;
	}
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out->p + at, &pl, NULL,
	    blob + NONCE, bn - NONCE, ad, ad_make(ad, sizeof(ad), "phikit vault value v1", run,
	    token), blob, r->k);
	sqlite3_reset(q);
	if (rc != 0) {
		sodium_memzero(out->p + at, bn - NONCE - TAG);
		phk_err_set(e, PHK_EXIT_IO, "vault: a sealed value of run '%s' does not "
		    "authenticate (the vault was altered, or a row was moved): nothing is trusted",
		    run);
		return -1;
	}
	out->len = at + (size_t)pl;
	return VAULT_FOUND;
}

const char *
vault_erased(struct vault *v, const char *run)
{
	struct vrun *r = run_cached(v, run);

	return r && r->k == NULL && r->erased[0] ? r->erased : NULL;
}

/* ---- erasure ---- */

static int
shred_one(struct vault *v, const char *run, const char *ts, const char *why, long *n,
    struct phk_err *e)
{
	sqlite3_stmt *q = v->st[Q_SHRED_RUN], *d = v->st[Q_SHRED_VALS];
	int rc;

	sqlite3_bind_text(q, 1, run, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, why, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return dberr(v, e, "erasing");
	*n += sqlite3_changes(v->db);
	sqlite3_bind_text(d, 1, run, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(d);
	sqlite3_reset(d);
	sqlite3_clear_bindings(d);
	return rc == SQLITE_DONE ? 0 : dberr(v, e, "erasing");
}

int
vault_shred(struct vault *v, const char *run, const char *before, const char *why, long *n,
    struct phk_err *e)
{
	sqlite3_stmt *q = v->st[Q_BEFORE];
	char ts[32];
	int rc = 0;

	*n = 0;
	now_ts(ts);
	pthread_mutex_lock(&v->mu);
	if (begin(v, e) < 0) {
		pthread_mutex_unlock(&v->mu);
		return -1;
	}
	if (run)
		rc = shred_one(v, run, ts, why, n, e);
	else {
		char (*runs)[RUN_MAX + 1] = NULL;
		size_t nr = 0, i;
		sqlite3_bind_text(q, 1, before, -1, SQLITE_STATIC);
		while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
			void *t = realloc(runs, (nr + 1) * sizeof(*runs));
			if (t == NULL) {
				phk_err_set(e, PHK_EXIT_IO, "out of memory");
				rc = -1;
				break;
			}
			runs = t;
			snprintf(runs[nr++], RUN_MAX + 1, "%s", sqlite3_column_text(q, 0));
		}
		sqlite3_reset(q);
		for (i = 0; rc == 0 && i < nr; i++)
			rc = shred_one(v, runs[i], ts, why, n, e);
		free(runs);
	}
	if (rc == 0 && sqlite3_exec(v->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = dberr(v, e, "committing");
	if (rc == 0)
		v->in_tx = 0;
	pthread_mutex_unlock(&v->mu);
	if (rc < 0)
		return -1;
	/* the freed pages are zeroed (secure_delete); give them back to the file system too */
	sqlite3_exec(v->db, "VACUUM", NULL, NULL, NULL);
	return 0;
}
