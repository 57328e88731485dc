#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
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
#define MACLEN crypto_shorthash_BYTES	/* SipHash-2-4 under a key of the run */
#define KEYALLOC (KEYLEN + crypto_shorthash_KEYBYTES)	/* the data key, then its MAC key */
#define RUN_MAX 128
#define NRUNS 128		/* data keys held at once: more than the 64 threads */
#define COMMIT_EVERY 65536	/* rows per transaction while storing, at most */
#define WAKE_ROWS 1024	/* rows queued before the writer is woken, unless someone waits */
#define COMMIT_MS 100		/* and milliseconds: what is stored is soon readable */
#define PREFETCH_MAX 65536	/* a run's values read at once, at most */
#define VALUE_MAX (1 << 20)
#define READS_PER_TX 4096	/* lookups under one read lock */

enum {
	Q_RUN_GET, Q_RUN_ADD, Q_VAL_MAC, Q_VAL_ADD, Q_VAL_AMBIG, Q_VAL_GET, Q_SHRED_RUN,
	Q_SHRED_VALS, Q_BEFORE, Q_RUN_VALS, Q__N
};

static const char *const sql[Q__N] = {
	"SELECT wrapped, shredded, why FROM vault_runs WHERE run_id = ?1",
	"INSERT INTO vault_runs (run_id, created, wrapped) VALUES (?1, ?2, ?3)",
	"SELECT vmac FROM vault_values WHERE run_id = ?1 AND token = ?2",
	"INSERT OR IGNORE INTO vault_values (run_id, token, sealed, vmac) VALUES (?1, ?2, ?3, ?4)",
	"UPDATE vault_values SET ambiguous = 1 WHERE run_id = ?1 AND token = ?2",
	"SELECT sealed, ambiguous FROM vault_values WHERE run_id = ?1 AND token = ?2",
	"UPDATE vault_runs SET wrapped = NULL, shredded = ?2, why = ?3 "
	    "WHERE run_id = ?1 AND wrapped IS NOT NULL",
	"DELETE FROM vault_values WHERE run_id = ?1",
	"SELECT run_id FROM vault_runs WHERE wrapped IS NOT NULL AND created < ?1",
	"SELECT token, sealed, ambiguous FROM vault_values WHERE run_id = ?1 LIMIT ?2",
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
	int users;		/* threads sealing with it: not evicted */
	char erased[96];
};

struct wput;

struct vault {
	sqlite3 *db;
	sqlite3_stmt *st[Q__N];
	unsigned char *key;	/* the vault key, sodium memory, or NULL */
	pthread_mutex_t mu;	/* the database connection; taken after qmu, never before */
	/*
	 * qmu: the run keys, seen, the nonce counter and the writer's queue.
	 * Tickets: each call that queues values takes the next (issued); the
	 * writer stores them in that order (stored) and commits (done), so
	 * every ticket up to done is committed.
	 */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;	/* to the writer: values queued, or someone waits */
	pthread_cond_t dcv;	/* from the writer: done moved, or it failed */
	pthread_t wth;
	int wstarted, wquit, failed, widle;
	size_t qrows;		/* rows queued */
	atomic_int waiters;	/* in vault_wait */
	struct wput *qhead, *qtail;
	uint64_t issued, stored, done;
	struct phk_err werr;	/* the writer's failure: every later wait fails with it */
	int in_tx;		/* a write transaction is open */
	int in_read;		/* a read transaction is open: vault_get's */
	long pending, reads;
	struct timespec committed;	/* when the last write transaction ended */
	/* vault_get: the sealed values of the run read last, by token */
	struct pf {
		char run[RUN_MAX + 1];
		int whole;	/* every value of the run is here */
		struct pfe { size_t tok, blob, bn; int amb; } *e;
		size_t cap, n, slots, capslot, *slot;
		struct buf data;
	} pf;
	struct vrun runs[NRUNS];
	struct vrun *last;	/* the run looked up last */
	int nruns, next;
	uint64_t *seen;		/* hashes of (run, token, value) stored: not stored twice */
	unsigned char nonce[NONCE];	/* 16 random bytes, then a counter: no syscall per value */
	unsigned char sipkey[crypto_shorthash_KEYBYTES];	/* seen's hashes: this process's */
	uint64_t nonces;
	size_t nseen, capseen;
};

static void wput_free_list(struct wput *p);

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
	pthread_mutex_init(&v->qmu, NULL);
	pthread_cond_init(&v->qcv, NULL);
	pthread_cond_init(&v->dcv, NULL);
	randombytes_buf(v->nonce, NONCE);
	randombytes_buf(v->sipkey, sizeof(v->sipkey));
	clock_gettime(CLOCK_MONOTONIC, &v->committed);
	buf_init(&v->pf.data, (size_t)1 << 32);
	*vp = v;
	if (sqlite3_open_v2(path, &v->db, oflags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		phk_err_set(e, v->db && access(path, F_OK) < 0 ? PHK_EXIT_USAGE : PHK_EXIT_IO,
		    "vault '%s': %s", path, v->db ? sqlite3_errmsg(v->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(v->db, 10000);
	/*
	 * WAL, so that phi-restore reads while phi-scrub writes and a commit
	 * is cheap enough to make every 100 ms (synchronous=NORMAL: a power
	 * cut may lose the last commits, never the file's consistency).
	 */
	if (sqlite3_exec(v->db, "PRAGMA secure_delete = ON; PRAGMA mmap_size = 268435456; "
	    "PRAGMA cache_size = -65536;",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    (!(flags & VAULT_RDONLY) && sqlite3_exec(v->db, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = NORMAL;", NULL, NULL, NULL) != SQLITE_OK) ||
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
	if (v->wstarted) {
		/* what is queued is stored and committed; vault_flush says whether it was */
		pthread_mutex_lock(&v->qmu);
		v->wquit = 1;
		pthread_cond_signal(&v->qcv);
		pthread_mutex_unlock(&v->qmu);
		pthread_join(v->wth, NULL);
	}
	wput_free_list(v->qhead);
	if (v->in_tx || v->in_read)
		sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < Q__N; i++)
		sqlite3_finalize(v->st[i]);
	sqlite3_close(v->db);
	for (i = 0; i < v->nruns; i++)
		sodium_free(v->runs[i].k);
	sodium_free(v->key);
	sodium_memzero(v->seen, v->capseen * sizeof(*v->seen));
	free(v->seen);
	free(v->pf.e);
	free(v->pf.slot);
	sodium_memzero(v->sipkey, sizeof(v->sipkey));
	buf_release(&v->pf.data);
	pthread_mutex_destroy(&v->mu);
	pthread_mutex_destroy(&v->qmu);
	pthread_cond_destroy(&v->qcv);
	pthread_cond_destroy(&v->dcv);
	free(v);
}

/* ---- the associated data: what a sealed blob is bound to ---- */

static size_t
ad_make(unsigned char *ad, size_t cap, const char *label, const char *run, const char *token)
{
	size_t a = strlen(label) + 1, b = strlen(run) + 1, c = token ? strlen(token) : 0;

	/* the callers' buffers hold the longest label, run and token; never more */
	if (a > cap)
		a = cap;
	if (b > cap - a)
		b = cap - a;
	if (c > cap - a - b)
		c = cap - a - b;
	memcpy(ad, label, a);
	memcpy(ad + a, run, b);
	if (c)
		memcpy(ad + a + b, token, c);
	return a + b + c;
}

/* ---- run keys ---- */

static struct vrun *
run_cached(struct vault *v, const char *run)
{
	int i;

	if (v->last && !strcmp(v->last->run, run))
		return v->last;
	for (i = 0; i < v->nruns; i++)
		if (!strcmp(v->runs[i].run, run))
			return v->last = &v->runs[i];
	return NULL;
}

static struct vrun *
run_slot(struct vault *v, const char *run)
{
	struct vrun *r;

	if (v->nruns < NRUNS)
		r = &v->runs[v->nruns++];
	else {
		/* more slots than threads: one is always free of users */
		while (v->runs[v->next].users)
			v->next = (v->next + 1) % NRUNS;
		r = &v->runs[v->next];
		v->next = (v->next + 1) % NRUNS;
		sodium_free(r->k);
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->run, sizeof(r->run), "%s", run);
	v->last = NULL;
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

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
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

/* The key of the run's value MACs, after its data key: derived, so shredded with it. */
static void
mac_key(struct vrun *r)
{
	static const char label[] = "phikit vault mac v1";

	crypto_generichash(r->k + KEYLEN, crypto_shorthash_KEYBYTES, (const unsigned char *)label,
	    sizeof(label), r->k, KEYLEN);
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

	if ((r->k = sodium_malloc(KEYALLOC)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
		return -1;
	}
	crypto_aead_xchacha20poly1305_ietf_keygen(r->k);
	mac_key(r);
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
	    (r->k = sodium_malloc(KEYALLOC)) == NULL ||
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
	} else if (r->k)
		mac_key(r);
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

	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, token, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return dberr(v, e, "reading");
	}
	same = sqlite3_column_bytes(q, 0) == MACLEN &&
	    sodium_memcmp(sqlite3_column_blob(q, 0), mac, MACLEN) == 0;
	sqlite3_reset(q);
	if (same)
		return 0;
	sqlite3_bind_text(u, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 2, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(u);
	sqlite3_reset(u);
	return rc == SQLITE_DONE ? 0 : dberr(v, e, "storing");
}

/*
 * One call's values, sealed, on their way to the writer: the tokens and
 * the sealed blobs (never a value in the clear) in one allocation.
 */
struct wrow {
	uint64_t h;		/* which (run, token, value): seen's hash */
	size_t tok;		/* in data */
	size_t blob, bn;	/* in data; bn 0: not stored (stored before) */
	unsigned char mac[MACLEN];
};

struct wput {
	struct wput *next;
	uint64_t ticket;
	size_t n;
	char run[RUN_MAX + 1];
	struct wrow *r;
	unsigned char *data;
};

/* 1 if h is among the hashes queued before, by this process (qmu held). */
static int
seen_has(const struct vault *v, uint64_t h)
{
	size_t i;

	if (h == 0)
		h = 1;
	if (v->capseen == 0)
		return 0;
	for (i = h & (v->capseen - 1); v->seen[i]; i = (i + 1) & (v->capseen - 1))
		if (v->seen[i] == h)
			return 1;
	return 0;
}

/*
 * The run's data key, made if the run is new, held (users) so that no
 * other thread's run evicts it while values are sealed with it; n nonces
 * of this vault's counter; and which of the values were queued before
 * (bn 0). qmu, then mu for the database only when the run is not cached.
 * 0 or -1 with e set.
 */
static int
put_hold(struct vault *v, const char *run, struct wput *p, struct vrun **rp, uint64_t *nonce,
    struct phk_err *e)
{
	size_t i;
	int rc;

	pthread_mutex_lock(&v->qmu);
	if (v->failed) {
		*e = v->werr;
		pthread_mutex_unlock(&v->qmu);
		return -1;
	}
	if ((*rp = run_cached(v, run)) != NULL)
		rc = 1;
	else {
		pthread_mutex_lock(&v->mu);
		if ((rc = run_load(v, run, rp, e)) == 0) {
			*rp = run_slot(v, run);
			if ((rc = run_create(v, *rp, e)) < 0)
				(*rp)->run[0] = '\0';
			else
				rc = 1;
		}
		pthread_mutex_unlock(&v->mu);
	}
	if (rc > 0 && (*rp)->k == NULL) {
		phk_err_set(e, PHK_EXIT_INPUT, "run '%s' was erased from the vault (%s): its "
		    "values are not stored again", run, (*rp)->erased);
		rc = -1;
	}
	if (rc > 0) {
		(*rp)->users++;
		*nonce = v->nonces;
		v->nonces += p->n;
		for (i = 0; i < p->n; i++)
			if (seen_has(v, p->r[i].h))
				p->r[i].bn = 0;
	}
	pthread_mutex_unlock(&v->qmu);
	return rc < 0 ? -1 : 0;
}

static void
seal(const struct vrun *r, const unsigned char *prefix, uint64_t nonce,
    const struct vault_item *it, const char *token, struct wrow *x, unsigned char *blob)
{
	unsigned char ad[RUN_MAX + VAULT_TOKEN_MAX + 64];
	unsigned long long cl;
	int i;

	/* a keyed hash of the value as the token saw it: under the run's key, shredded with it */
	crypto_shorthash(x->mac, (const unsigned char *)it->norm, it->nn, r->k + KEYLEN);
	memcpy(blob, prefix, NONCE - 8);
	for (i = 0; i < 8; i++)
		blob[NONCE - 8 + i] = (unsigned char)(nonce >> (8 * i));
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE, &cl,
	    (const unsigned char *)it->value, it->n, ad, ad_make(ad, sizeof(ad),
	    "phikit vault value v1", r->run, token), NULL, blob, r->k);
	x->bn = NONCE + (size_t)cl;
}

/* One call's values in the open transaction, beginning one if need be. Under mu. */
static int
store(struct vault *v, const struct wput *p, struct phk_err *e)
{
	sqlite3_stmt *q = v->st[Q_VAL_ADD];
	size_t i;
	int rc;

	if (begin(v, e) < 0)
		return -1;
	for (i = 0; i < p->n; i++) {
		const struct wrow *x = &p->r[i];
		const char *tok = (const char *)p->data + x->tok;
		if (x->bn == 0)
			continue;
		sqlite3_bind_text(q, 1, p->run, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, tok, -1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 3, p->data + x->blob, (int)x->bn, SQLITE_STATIC);
		sqlite3_bind_blob(q, 4, x->mac, MACLEN, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE) {
			sqlite3_clear_bindings(q);
			return dberr(v, e, "storing");
		}
		if (sqlite3_changes(v->db) == 0 && put_again(v, p->run, tok, x->mac, e) < 0) {
			sqlite3_clear_bindings(q);
			return -1;
		}
		v->pending++;
	}
	sqlite3_clear_bindings(q);
	return 0;
}

static int
commit(struct vault *v, struct phk_err *e)
{
	if (!v->in_tx)
		return 0;
	if (sqlite3_exec(v->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return dberr(v, e, "committing");
	v->in_tx = 0;
	v->pending = 0;
	clock_gettime(CLOCK_MONOTONIC, &v->committed);
	return 0;
}

static void
wput_free_list(struct wput *p)
{
	struct wput *n;

	for (; p; p = n) {
		n = p->next;
		free(p);
	}
}

/*
 * The writer: stores what the scrubbing threads sealed, in the order they
 * queued it, while they go on. It commits when someone waits for what it
 * stored (vault_wait: a record is written only once its values are
 * committed), every COMMIT_MS and every COMMIT_EVERY rows; done is the
 * last ticket committed. The first failure is kept (werr): nothing queued
 * after it is stored, and every wait for it fails.
 */
static void *
writer(void *arg)
{
	struct vault *v = arg;
	struct wput *list, *p;
	struct phk_err e;
	uint64_t last;
	int rc, want, committed;

	pthread_mutex_lock(&v->qmu);
	for (;;) {
		/* commit: someone waits, or it is time; store: enough queued, or a commit is due */
		want = !v->failed && (v->stored > v->done || v->qhead) &&
		    (atomic_load(&v->waiters) > 0 || v->wquit || ms_since(&v->committed) >= COMMIT_MS);
		if (!want && !(v->qhead && (v->qrows >= WAKE_ROWS || v->failed))) {
			if (v->wquit)
				break;
			v->widle = 1;
			if (!v->failed && (v->qhead || v->stored > v->done)) {
				struct timespec ts;
				long ms = COMMIT_MS - ms_since(&v->committed);
				if (ms < 1)
					ms = 1;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += (ms % 1000) * 1000000L;
				ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
				ts.tv_nsec %= 1000000000L;
				pthread_cond_timedwait(&v->qcv, &v->qmu, &ts);
			} else
				pthread_cond_wait(&v->qcv, &v->qmu);
			v->widle = 0;
			continue;
		}
		list = v->qhead;
		v->qhead = v->qtail = NULL;
		v->qrows = 0;
		last = v->stored;
		for (p = list; p; p = p->next)
			last = p->ticket;
		if (v->failed) {
			pthread_mutex_unlock(&v->qmu);
			wput_free_list(list);
			pthread_mutex_lock(&v->qmu);
			continue;
		}
		pthread_mutex_unlock(&v->qmu);
		rc = committed = 0;
		pthread_mutex_lock(&v->mu);
		for (p = list; p && rc == 0; p = p->next)
			rc = store(v, p, &e);
		if (rc == 0 && (want || atomic_load(&v->waiters) > 0 || v->pending >= COMMIT_EVERY ||
		    ms_since(&v->committed) >= COMMIT_MS)) {
			rc = commit(v, &e);
			committed = rc == 0;
		}
		pthread_mutex_unlock(&v->mu);
		wput_free_list(list);
		pthread_mutex_lock(&v->qmu);
		if (rc < 0) {
			v->failed = 1;
			v->werr = e;
		} else {
			v->stored = last;
			if (committed)
				v->done = last;
		}
		if (rc < 0 || committed)
			pthread_cond_broadcast(&v->dcv);
	}
	pthread_mutex_unlock(&v->qmu);
	return NULL;
}

/* Queues p for the writer, the values queued meanwhile by others left out. Under qmu. */
static int
put_queue(struct vault *v, struct wput *p, struct phk_err *e)
{
	size_t i, k = 0;

	if (v->failed) {
		*e = v->werr;
		return -1;
	}
	for (i = 0; i < p->n; i++)
		if (p->r[i].bn && seen(v, p->r[i].h))
			p->r[i].bn = 0;
		else if (p->r[i].bn)
			k++;
	if (k == 0) {
		free(p);
		return 0;
	}
	if (!v->wstarted) {
		if (pthread_create(&v->wth, NULL, writer, v) != 0) {
			phk_err_set(e, PHK_EXIT_IO, "vault: cannot start its writer thread");
			return -1;
		}
		v->wstarted = 1;
	}
	p->ticket = ++v->issued;
	p->next = NULL;
	if (v->qtail)
		v->qtail->next = p;
	else
		v->qhead = p;
	v->qtail = p;
	/* the writer is woken for a batch, not a record: a wakeup costs more than a row */
	if ((v->qrows += k) >= WAKE_ROWS && v->widle)
		pthread_cond_signal(&v->qcv);
	return 0;
}

int
vault_put_many(struct vault *v, const char *run, const struct vault_item *it, size_t n,
    struct phk_err *e)
{
	struct wput *p;
	struct vrun *r;
	uint64_t nonce;
	size_t i, tl, size, at;
	int rc;

	if (n == 0)
		return 0;
	if (v->key == NULL || strlen(run) > RUN_MAX) {
		phk_err_set(e, PHK_EXIT_IO, "vault: internal error: a value it cannot store");
		return -1;
	}
	size = sizeof(*p) + n * sizeof(*p->r);
	for (i = 0; i < n; i++) {
		if ((tl = strlen(it[i].token)) > VAULT_TOKEN_MAX || it[i].n > VALUE_MAX) {
			phk_err_set(e, PHK_EXIT_IO, "vault: internal error: a value it cannot store");
			return -1;
		}
		size += tl + 1 + NONCE + it[i].n + TAG;
	}
	if ((p = malloc(size)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	p->n = n;
	snprintf(p->run, sizeof(p->run), "%s", run);
	p->r = (struct wrow *)(p + 1);
	p->data = (unsigned char *)(p->r + n);
	for (at = i = 0; i < n; i++) {
		unsigned char sh[crypto_shorthash_BYTES];
		struct wrow *x = &p->r[i];
		crypto_shorthash(sh, (const unsigned char *)it[i].norm, it[i].nn, v->sipkey);
		x->h = fnv(fnv(fnv(0xcbf29ce484222325ULL, run, strlen(run) + 1), it[i].token,
		    strlen(it[i].token) + 1), sh, sizeof(sh));
		x->tok = at;
		tl = strlen(it[i].token) + 1;
		memcpy(p->data + at, it[i].token, tl);
		at += tl;
		x->blob = at;
		x->bn = 1;	/* to be sealed */
		at += NONCE + it[i].n + TAG;
	}
	if (put_hold(v, run, p, &r, &nonce, e) < 0) {
		free(p);
		return -1;
	}
	/* the crypto in parallel, outside the locks; SQLite in the writer */
	for (i = 0; i < n; i++)
		if (p->r[i].bn)
			seal(r, v->nonce, nonce + i, &it[i], (const char *)p->data + p->r[i].tok,
			    &p->r[i], p->data + p->r[i].blob);
	pthread_mutex_lock(&v->qmu);
	r->users--;
	rc = put_queue(v, p, e);
	pthread_mutex_unlock(&v->qmu);
	if (rc < 0)
		free(p);
	return rc;
}

int
vault_put(struct vault *v, const char *run, const char *token, const char *value, size_t n,
    const char *norm, size_t nn, struct phk_err *e)
{
	struct vault_item it = { token, value, n, norm, nn };

	return vault_put_many(v, run, &it, 1, e);
}

/* Waits for the writer to commit every value queued so far, then commits what else is open. */
int
vault_flush(struct vault *v, struct phk_err *e)
{
	int rc;

	if (vault_wait(v, vault_mark(v), e) < 0)
		return -1;
	pthread_mutex_lock(&v->mu);
	rc = commit(v, e);
	pthread_mutex_unlock(&v->mu);
	return rc;
}

uint64_t
vault_mark(struct vault *v)
{
	uint64_t t;

	pthread_mutex_lock(&v->qmu);
	t = v->issued;
	pthread_mutex_unlock(&v->qmu);
	return t;
}

int
vault_wait(struct vault *v, uint64_t ticket, struct phk_err *e)
{
	int rc = 0;

	pthread_mutex_lock(&v->qmu);
	if (v->done < ticket && !v->failed) {
		atomic_fetch_add(&v->waiters, 1);
		pthread_cond_signal(&v->qcv);
		while (v->done < ticket && !v->failed)
			pthread_cond_wait(&v->dcv, &v->qmu);
		atomic_fetch_sub(&v->waiters, 1);
	}
	if (v->done < ticket) {
		*e = v->werr;
		rc = -1;
	}
	pthread_mutex_unlock(&v->qmu);
	return rc;
}

/* ---- reading ---- */

/* Opens one sealed value of run into out. */
static int
unseal(const struct vrun *r, const char *run, const char *token, const unsigned char *blob,
    size_t bn, struct buf *out, struct phk_err *e)
{
	unsigned char ad[RUN_MAX + VAULT_TOKEN_MAX + 64];
	unsigned long long pl;
	size_t at = out->len;

	if (bn < NONCE + TAG || bn - NONCE - TAG > VALUE_MAX) {
		phk_err_set(e, PHK_EXIT_IO, "vault: a sealed value of run '%s' is malformed (the "
		    "vault was altered): nothing is trusted", run);
		return -1;
	}
	if (buf_add(out, blob + NONCE, bn - NONCE - TAG) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out->p + at, &pl, NULL,
	    blob + NONCE, bn - NONCE, ad, ad_make(ad, sizeof(ad), "phikit vault value v1", run,
	    token), blob, r->k) != 0) {
		sodium_memzero(out->p + at, bn - NONCE - TAG);
		out->len = at;
		phk_err_set(e, PHK_EXIT_IO, "vault: a sealed value of run '%s' does not "
		    "authenticate (the vault was altered, or a row was moved): nothing is trusted",
		    run);
		return -1;
	}
	out->len = at + (size_t)pl;
	return VAULT_FOUND;
}

static uint32_t
hash32(const char *t)
{
	uint32_t h = 2166136261u;

	for (; *t; t++)
		h = (h ^ (unsigned char)*t) * 16777619u;
	return h;
}

/*
 * The run's sealed values in one scan of its rows, indexed by token: a
 * lookup each is what makes re-identification slower than reading the
 * records. A run with more than PREFETCH_MAX values is looked up row by row.
 */
static int
prefetch(struct vault *v, const char *run, struct phk_err *e)
{
	struct pf *p = &v->pf;
	sqlite3_stmt *q = v->st[Q_RUN_VALS];
	size_t i, k, cap;
	int rc;

	snprintf(p->run, sizeof(p->run), "%s", run);
	p->n = 0;
	p->whole = 0;
	buf_reset(&p->data);
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, PREFETCH_MAX + 1);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && p->n < PREFETCH_MAX) {
		struct pfe *x;
		const char *tok = (const char *)sqlite3_column_text(q, 0);
		if (p->n + 1 > p->cap) {
			cap = p->cap ? p->cap * 2 : 1024;
			if ((x = realloc(p->e, cap * sizeof(*x))) == NULL)
				break;
			p->e = x;
			p->cap = cap;
		}
		x = &p->e[p->n];
		x->tok = p->data.len;
		if (tok == NULL || buf_adds(&p->data, tok) < 0 || buf_addc(&p->data, 0) < 0)
			break;
		x->blob = p->data.len;
		x->bn = (size_t)sqlite3_column_bytes(q, 1);
		x->amb = sqlite3_column_int(q, 2);
		if (buf_add(&p->data, sqlite3_column_blob(q, 1), x->bn) < 0)
			break;
		p->n++;
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW || (rc != SQLITE_DONE && rc != SQLITE_ROW))
		return rc == SQLITE_ROW ? 0 : dberr(v, e, "reading");
	/* the index: slot k holds an entry's number + 1, half the slots free */
	for (cap = 16; cap < 2 * p->n; cap <<= 1)
		;
	if (cap > p->capslot) {
		size_t *t = realloc(p->slot, cap * sizeof(*t));
		if (t == NULL)
			return 0;	/* looked up row by row */
		p->slot = t;
		p->capslot = cap;
	}
	memset(p->slot, 0, cap * sizeof(*p->slot));
	for (i = 0; i < p->n; i++) {
		for (k = hash32(p->data.p + p->e[i].tok) & (cap - 1); p->slot[k];
		    k = (k + 1) & (cap - 1))
			;
		p->slot[k] = i + 1;
	}
	p->slots = cap;
	p->whole = 1;
	return 0;
}

/* The prefetched entry of token, or NULL. */
static const struct pfe *
pf_find(const struct pf *p, const char *token)
{
	size_t k;

	for (k = hash32(token) & (p->slots - 1); p->slot[k]; k = (k + 1) & (p->slots - 1))
		if (!strcmp(p->data.p + p->e[p->slot[k] - 1].tok, token))
			return &p->e[p->slot[k] - 1];
	return NULL;
}

/* A read transaction for lookups, renewed now and then so a writer is not kept waiting. */
static int
read_tx(struct vault *v, int renew, struct phk_err *e)
{
	if (v->in_read && (renew || ++v->reads >= READS_PER_TX)) {
		sqlite3_exec(v->db, "COMMIT", NULL, NULL, NULL);
		v->in_read = 0;
	}
	if (!v->in_tx && !v->in_read) {
		if (sqlite3_exec(v->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return dberr(v, e, "reading");
		v->in_read = 1;
		v->reads = 0;
	}
	return 0;
}

int
vault_get(struct vault *v, const char *run, const char *token, struct buf *out,
    struct phk_err *e)
{
	sqlite3_stmt *q = v->st[Q_VAL_GET];
	const struct pfe *x;
	struct vrun *r;
	int rc;

	if (strlen(run) > RUN_MAX || strlen(token) > VAULT_TOKEN_MAX)
		return VAULT_NOT_FOUND;
	if (read_tx(v, 0, e) < 0)
		return -1;
	if ((rc = run_load(v, run, &r, e)) <= 0)
		return rc < 0 ? -1 : VAULT_NOT_FOUND;
	if (r->k == NULL)
		return VAULT_ERASED;
	if (strcmp(v->pf.run, run) && prefetch(v, run, e) < 0)
		return -1;
	if (v->pf.whole && (x = pf_find(&v->pf, token)) != NULL)
		return x->amb ? VAULT_AMBIGUOUS : unseal(r, run, token,
		    (const unsigned char *)v->pf.data.p + x->blob, x->bn, out, e);
	/* not there when the run was read: stored since, perhaps (phi-scrub upstream) */
	if (v->pf.whole && read_tx(v, 1, e) < 0)
		return -1;
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, token, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return rc == SQLITE_DONE ? VAULT_NOT_FOUND : dberr(v, e, "reading");
	}
	if (sqlite3_column_int(q, 1))
		rc = VAULT_AMBIGUOUS;
	else
		rc = unseal(r, run, token, sqlite3_column_blob(q, 0),
		    (size_t)sqlite3_column_bytes(q, 0), out, e);
	sqlite3_reset(q);
	return rc;
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
	sqlite3_exec(v->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	return 0;
}
