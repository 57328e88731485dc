#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jscan.h"
#include "ledger.h"
#include "sha256.h"

enum {
	ST_SIZE, ST_NODE, ST_RUNLAST, ST_INSERT, ST_CKPT, ST_KEY, ST_BEGIN, ST_COMMIT,
	ST_ROLLBACK, ST_LATEST_CK, ST__N
};

static const char *const sql[ST__N] = {
	[ST_SIZE] = "SELECT COALESCE(MAX(seq) + 1, 0) FROM entries",
	[ST_NODE] = "SELECT leaf_hash, nodes FROM entries WHERE seq = ?1",
	[ST_RUNLAST] = "SELECT run_seq, leaf_hash FROM entries WHERE run_id = ?1 "
	    "ORDER BY run_seq DESC LIMIT 1",
	[ST_INSERT] = "INSERT INTO entries(seq, run_id, run_seq, run_prev, ts, actor, kind, "
	    "payload_sha256, leaf_hash, nodes, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11)",
	[ST_CKPT] = "INSERT INTO checkpoints(size, ts, note) VALUES (?1, ?2, ?3)",
	[ST_KEY] = "INSERT OR IGNORE INTO keys(vkey) VALUES (?1)",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_LATEST_CK] = "SELECT note FROM checkpoints ORDER BY size DESC, id DESC LIMIT 1",
};

/*
 * The schema. Hashes are BLOBs, the hashed fields TEXT exactly as hashed.
 * "nodes" keeps, per entry, the perfect subtrees its leaf completed, so a
 * proof reads O(log n) rows and verification can check them in order.
 * Triggers make the tables append-only; the one UPDATE allowed sets a
 * payload to NULL, and only once an erasure row names the entry.
 */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS entries("
    " seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, run_seq INTEGER NOT NULL,"
    " run_prev TEXT NOT NULL, ts TEXT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,"
    " payload_sha256 TEXT NOT NULL, leaf_hash BLOB NOT NULL, nodes BLOB, payload BLOB);"
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_run ON entries(run_id, run_seq);"
    "CREATE TABLE IF NOT EXISTS checkpoints(id INTEGER PRIMARY KEY, size INTEGER NOT NULL,"
    " ts TEXT NOT NULL, note TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS checkpoints_size ON checkpoints(size);"
    "CREATE TABLE IF NOT EXISTS erasures(seq INTEGER PRIMARY KEY, by_seq INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keys(vkey TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: entries are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries"
    " WHEN NOT (NEW.payload IS NULL AND OLD.payload IS NOT NULL"
    "  AND NEW.seq IS OLD.seq AND NEW.run_id IS OLD.run_id AND NEW.run_seq IS OLD.run_seq"
    "  AND NEW.run_prev IS OLD.run_prev AND NEW.ts IS OLD.ts AND NEW.actor IS OLD.actor"
    "  AND NEW.kind IS OLD.kind AND NEW.payload_sha256 IS OLD.payload_sha256"
    "  AND NEW.leaf_hash IS OLD.leaf_hash AND NEW.nodes IS OLD.nodes"
    "  AND EXISTS (SELECT 1 FROM erasures WHERE erasures.seq = OLD.seq)) BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: entries are append-only (payloads are erased"
    " only by ledger-admin anonymize or prune)'); END;"
    "CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: checkpoints are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: checkpoints are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS erasures_no_update BEFORE UPDATE ON erasures BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: erasures are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS erasures_no_delete BEFORE DELETE ON erasures BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: erasures are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS keys_no_update BEFORE UPDATE ON keys BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: keys are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS keys_no_delete BEFORE DELETE ON keys BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: keys are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS meta_no_update BEFORE UPDATE ON meta BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: meta is write-once'); END;"
    "CREATE TRIGGER IF NOT EXISTS meta_no_delete BEFORE DELETE ON meta BEGIN"
    " SELECT RAISE(ABORT, 'phikit ledger: meta is write-once'); END;";

static int
dberr(struct ledger *l, struct phk_err *e, const char *what)
{
	int code = sqlite3_errcode(l->db);

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		phk_err_set(e, PHK_EXIT_IO, "database '%s' is locked (%s)", l->path, what);
	else
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s: %s", l->path, what,
		    sqlite3_errmsg(l->db));
	return -1;
}

static sqlite3_stmt *
stmt(struct ledger *l, int i, struct phk_err *e)
{
	if (l->st[i] == NULL &&
	    sqlite3_prepare_v3(l->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i], NULL) != SQLITE_OK) {
		dberr(l, e, "prepare");
		return NULL;
	}
	sqlite3_reset(l->st[i]);
	sqlite3_clear_bindings(l->st[i]);
	return l->st[i];
}

/* Runs a statement that returns no rows. */
static int
run(struct ledger *l, int i, const char *what, struct phk_err *e)
{
	sqlite3_stmt *s = stmt(l, i, e);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dberr(l, e, what);
	return 0;
}

static void
rollback(struct ledger *l)
{
	struct phk_err ignore;

	if (!sqlite3_get_autocommit(l->db))
		run(l, ST_ROLLBACK, "rollback", &ignore);
	l->fr_valid = 0;
}

void
ledger_now(char ts[LEDGER_TS_LEN + 1])
{
	struct timespec t;
	struct tm tm;
	char tmp[96];

	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    t.tv_nsec / 1000);
	memcpy(ts, tmp, LEDGER_TS_LEN);
	ts[LEDGER_TS_LEN] = '\0';
}

int
ledger_ts_ok(const char *ts)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;

	if (strlen(ts) != LEDGER_TS_LEN)
		return 0;
	for (i = 0; i < LEDGER_TS_LEN; i++)
		if (shape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != shape[i])
			return 0;
	return 1;
}

int
ledger_kind_reserved(const char *kind)
{
	static const char *const exact[] = { "anonymize", "prune" };
	static const char *const prefix[] = { "hitl.", "access.", "policy.", "vault." };
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(kind, exact[i]))
			return 1;
	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(kind, prefix[i], strlen(prefix[i])))
			return 1;
	return 0;
}

int
ledger_ident_ok(const char *s)
{
	size_t n = strlen(s);
	char q[LEDGER_IDENT_MAX + 3];

	if (n == 0 || n > LEDGER_IDENT_MAX)
		return 0;
	q[0] = '"';
	memcpy(q + 1, s, n);
	q[n + 1] = '"';
	return jscan_is_ident(q, n + 2);
}

int
ledger_unix_user(char out[LEDGER_IDENT_MAX + 1], struct phk_err *e)
{
	struct passwd pw, *r = NULL;
	char buf[4096];

	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &r) != 0 || r == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "no user name for uid %u", (unsigned)geteuid());
		return -1;
	}
	if (!ledger_ident_ok(pw.pw_name)) {
		phk_err_set(e, PHK_EXIT_USAGE, "user name '%.64s' is not an identifier; use --actor",
		    pw.pw_name);
		return -1;
	}
	snprintf(out, LEDGER_IDENT_MAX + 1, "%s", pw.pw_name);
	return 0;
}

void
ledger_uuid(char out[37])
{
	unsigned char u[16];

	randombytes_buf(u, sizeof(u));
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	    u[13], u[14], u[15]);
}

int
ledger_entry_json(const struct ledger_entry *x, struct buf *out)
{
	/* Every string is an identifier, a timestamp or hex: nothing to escape. */
	if (buf_adds(out, "{\"actor\":\"") < 0 || buf_adds(out, x->actor) < 0 ||
	    buf_adds(out, "\",\"kind\":\"") < 0 || buf_adds(out, x->kind) < 0 ||
	    buf_adds(out, "\",\"payload_sha256\":\"") < 0 || buf_adds(out, x->payload_sha256) < 0 ||
	    buf_adds(out, "\",\"run_id\":\"") < 0 || buf_adds(out, x->run_id) < 0 ||
	    buf_adds(out, "\",\"run_prev\":\"") < 0 || buf_adds(out, x->run_prev) < 0 ||
	    buf_adds(out, "\",\"run_seq\":") < 0 || buf_addu(out, x->run_seq) < 0 ||
	    buf_adds(out, ",\"seq\":") < 0 || buf_addu(out, x->seq) < 0 ||
	    buf_adds(out, ",\"ts\":\"") < 0 || buf_adds(out, x->ts) < 0 ||
	    buf_adds(out, "\",\"v\":1}") < 0)
		return -1;
	return 0;
}

/*
 * A new database is its creator's alone (0600), unless it is made in a
 * setgid directory: that is how a site shares one queue among the
 * pipeline and its reviewers (hitl(1), "Sharing the queue"), so it is
 * made 0660, whatever the umask, in the directory's group. SQLite makes
 * its -wal and -shm files with the database's mode.
 */
static int
create_file(const char *path, struct phk_err *e)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;
	mode_t mode = 0600;
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISGID))
		mode = 0660;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd >= 0) {
		if (mode != 0600 && fchmod(fd, mode) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "cannot create database '%s': %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	phk_err_set(e, PHK_EXIT_IO, "cannot create database '%s': %s", path, strerror(errno));
	return -1;
}

static int
read_meta(struct ledger *l, const char *key, char *out, size_t n, struct phk_err *e)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) != SQLITE_OK)
		return dberr(l, e, "read meta");
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
		found = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "read meta");
	return found;
}

static int
is_ledger(struct ledger *l, struct phk_err *e)
{
	sqlite3_stmt *s;
	int rc, n = -1;

	if (sqlite3_prepare_v2(l->db, "SELECT COUNT(*), SUM(name = 'meta') FROM sqlite_master "
	    "WHERE type = 'table'", -1, &s, NULL) != SQLITE_OK)
		return dberr(l, e, "read schema");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0) == 0 ? 0 : sqlite3_column_int(s, 1) ? 1 : 2;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return dberr(l, e, "read schema");
	return n;	/* 0 empty, 1 a ledger, 2 something else */
}

static int
create_schema(struct ledger *l, struct phk_err *e)
{
	char origin[256], hex[33];
	unsigned char r[16];
	const char *env = getenv("PHIKIT_LEDGER_ORIGIN");
	sqlite3_stmt *s;
	int rc;

	if (env && *env) {
		if (!checkpoint_origin_ok(env)) {
			phk_err_set(e, PHK_EXIT_USAGE, "PHIKIT_LEDGER_ORIGIN must be printable ASCII "
			    "without spaces or '+', at most 255 bytes");
			return -1;
		}
		snprintf(origin, sizeof(origin), "%s", env);
	} else {
		/* unique per database, so checkpoints of two ledgers never mix */
		randombytes_buf(r, sizeof(r));
		sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
		snprintf(origin, sizeof(origin), "phikit.ledger/%s", hex);
	}
	if (run(l, ST_BEGIN, "begin", e) < 0)
		return -1;
	if (sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		dberr(l, e, "create schema");
		rollback(l);
		return -1;
	}
	if (sqlite3_prepare_v2(l->db, "INSERT OR IGNORE INTO meta(key, value) VALUES "
	    "('schema', '1'), ('origin', ?1)", -1, &s, NULL) != SQLITE_OK) {
		dberr(l, e, "create schema");
		rollback(l);
		return -1;
	}
	sqlite3_bind_text(s, 1, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		dberr(l, e, "create schema");
		rollback(l);
		return -1;
	}
	return run(l, ST_COMMIT, "commit", e);
}

/*
 * Switching to WAL takes an exclusive lock and SQLite does not run the busy
 * handler for it, so writers racing to create one database would fail
 * here: retry until the busy timeout, as any other statement would.
 */
static int
wal_mode(struct ledger *l, long timeout_ms)
{
	long waited;
	int rc;

	for (waited = 0;; waited += 5) {
		rc = sqlite3_exec(l->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= timeout_ms)
			return rc;
		sqlite3_sleep(5);
	}
}

/*
 * Whether path lies where its reader cannot create files (read-only media,
 * an auditor's copy in a directory of someone else's) and no write-ahead
 * log with content sits beside it.
 */
static int
readonly_place(const char *path)
{
	char *dir = strdup(path), *slash, wal[4096];
	struct stat st;
	int ro;

	if (dir == NULL)
		return 0;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	ro = access(slash ? dir : ".", W_OK) != 0;
	free(dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return ro && !(stat(wal, &st) == 0 && st.st_size > 0);
}

/* file:PATH?immutable=1, the path percent-encoded where a URI needs it. */
static char *
immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path), i, k = 0;
	char *u = malloc(3 * n + 32);

	if (u == NULL)
		return NULL;
	memcpy(u, "file:", 5);
	k = 5;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c == '?' || c == '#' || c == '%' || c < 0x21 || c >= 0x7f) {
			u[k++] = '%';
			u[k++] = hex[c >> 4];
			u[k++] = hex[c & 15];
		} else
			u[k++] = (char)c;
	}
	memcpy(u + k, "?immutable=1", 13);
	return u;
}

int
ledger_open(struct ledger *l, const char *path, int flags, struct phk_err *e)
{
	const char *t = getenv("PHIKIT_DB_TIMEOUT_MS");
	long timeout = t && *t ? strtol(t, NULL, 10) : 30000;
	struct stat st;
	int oflags, kind;
	char v[16];

	memset(l, 0, sizeof(*l));
	if (sodium_init() < 0) {
		phk_err_set(e, PHK_EXIT_IO, "libsodium failed to initialize");
		return -1;
	}
	if ((l->path = strdup(path)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s' is not a regular file", path);
		goto fail;
	}
	if (flags & LEDGER_RDONLY) {
		if (access(path, R_OK) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "cannot open database '%s': %s", path, strerror(errno));
			goto fail;
		}
		oflags = SQLITE_OPEN_READONLY;
	} else {
		if ((flags & LEDGER_CREATE) && create_file(path, e) < 0)
			goto fail;
		oflags = SQLITE_OPEN_READWRITE;
	}
	if ((flags & LEDGER_RDONLY) && readonly_place(path)) {
		/*
		 * Read-only media, or a directory the reader cannot write: SQLite
		 * cannot make the WAL's shared-memory file there. With no write-
		 * ahead log left to read, the file is all there is: read it as
		 * immutable.
		 */
		char *uri = immutable_uri(path);
		int rc;
		if (uri == NULL) {
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			goto fail;
		}
		rc = sqlite3_open_v2(uri, &l->db, oflags | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW |
		    SQLITE_OPEN_NOMUTEX, NULL);
		free(uri);
		if (rc != SQLITE_OK) {
			dberr(l, e, "open");
			goto fail;
		}
	} else if (sqlite3_open_v2(path, &l->db, oflags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		dberr(l, e, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(l->db, 0);
	sqlite3_busy_timeout(l->db, timeout > 0 && timeout < 3600000 ? (int)timeout : 30000);
	/*
	 * WAL: readers never block the writer. FULL: a commit is on disk
	 * before ledger-append passes a record on. secure_delete: an erased
	 * payload is overwritten, not left in a free page.
	 */
	if (!(flags & LEDGER_RDONLY) &&
	    (wal_mode(l, timeout > 0 && timeout < 3600000 ? timeout : 30000) != SQLITE_OK ||
	    sqlite3_exec(l->db, "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON", NULL, NULL,
	    NULL) != SQLITE_OK)) {
		dberr(l, e, "open");
		goto fail;
	}
	if ((kind = is_ledger(l, e)) < 0)
		goto fail;
	if (kind == 2) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s' is not a phikit ledger", path);
		goto fail;
	}
	if (kind == 0) {
		if (flags & LEDGER_RDONLY) {
			phk_err_set(e, PHK_EXIT_IO, "database '%s' is empty: not a phikit ledger", path);
			goto fail;
		}
		if (create_schema(l, e) < 0)
			goto fail;
	} else if (!(flags & LEDGER_RDONLY) && sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		/* an older file gains what it lacks; IF NOT EXISTS keeps the rest */
		dberr(l, e, "schema");
		goto fail;
	}
	if (read_meta(l, "schema", v, sizeof(v), e) < 0)
		goto fail;
	if (strcmp(v, "1") != 0) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': ledger schema '%s' is not one this "
		    "version reads", path, v);
		goto fail;
	}
	if (read_meta(l, "origin", l->origin, sizeof(l->origin), e) <= 0 ||
	    !checkpoint_origin_ok(l->origin)) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': no valid origin in meta", path);
		goto fail;
	}
	return 0;
fail:
	ledger_close(l);
	return -1;
}

void
ledger_close(struct ledger *l)
{
	size_t i;

	for (i = 0; i < ST__N; i++)
		sqlite3_finalize(l->st[i]);
	if (l->db)
		sqlite3_close(l->db);
	free(l->path);
	memset(l, 0, sizeof(*l));
}

int
ledger_get_node(void *ctx, int level, uint64_t index, mhash out)
{
	struct ledger *l = ctx;
	struct phk_err e;
	sqlite3_stmt *s = stmt(l, ST_NODE, &e);
	uint64_t seq;
	int ok = -1;

	if (s == NULL || level < 0 || level > 62)
		return -1;
	seq = ((index + 1) << level) - 1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *p;
		int n;
		if (level == 0) {
			p = sqlite3_column_blob(s, 0);
			n = sqlite3_column_bytes(s, 0);
			if (p && n == HASH_LEN) {
				memcpy(out, p, HASH_LEN);
				ok = 0;
			}
		} else {
			p = sqlite3_column_blob(s, 1);
			n = sqlite3_column_bytes(s, 1);
			if (p && n >= level * HASH_LEN) {
				memcpy(out, p + (level - 1) * HASH_LEN, HASH_LEN);
				ok = 0;
			}
		}
	}
	sqlite3_reset(s);
	return ok;
}

static int
read_size(struct ledger *l, uint64_t *size, struct phk_err *e)
{
	sqlite3_stmt *s = stmt(l, ST_SIZE, e);

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return dberr(l, e, "read the head");
	}
	*size = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

/* The frontier of the current head: kept from the last batch when no one else appended. */
static int
load_head(struct ledger *l, struct phk_err *e)
{
	uint64_t size = 0, pos = 0;
	int k;

	if (read_size(l, &size, e) < 0)
		return -1;
	if (l->fr_valid && l->fr.size == size)
		return 0;
	merkle_frontier_init(&l->fr);
	for (k = 63; k >= 0; k--) {
		if (!((size >> k) & 1))
			continue;
		if (ledger_get_node(l, k, pos >> k, l->fr.h[k]) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "database '%s': the tree node ending at entry %llu "
			    "is missing or damaged; run ledger-verify", l->path,
			    (unsigned long long)(pos + (1ull << k) - 1));
			return -1;
		}
		pos += 1ull << k;
	}
	l->fr.size = size;
	l->fr_valid = 1;
	return 0;
}

int
ledger_head(struct ledger *l, uint64_t *size, mhash root, struct phk_err *e)
{
	if (load_head(l, e) < 0)
		return -1;
	*size = l->fr.size;
	merkle_frontier_root(&l->fr, root);
	return 0;
}

struct runc {
	const char *run;
	uint64_t next;
	char prev[2 * HASH_LEN + 1];
};

static int
run_state(struct ledger *l, const char *run, struct runc *c, struct phk_err *e)
{
	sqlite3_stmt *s = stmt(l, ST_RUNLAST, e);
	int rc;

	if (s == NULL)
		return -1;
	c->run = run;
	c->next = 0;
	c->prev[0] = '\0';
	sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(s, 1);
		if (h == NULL || sqlite3_column_bytes(s, 1) != HASH_LEN) {
			sqlite3_reset(s);
			phk_err_set(e, PHK_EXIT_IO, "database '%s': run '%s' has a damaged entry; "
			    "run ledger-verify", l->path, run);
			return -1;
		}
		c->next = (uint64_t)sqlite3_column_int64(s, 0) + 1;
		hex32(c->prev, h);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "read a run");
	return 0;
}

/* Appends inside an open transaction, the head loaded. */
static int
append_locked(struct ledger *l, struct ledger_rec *r, size_t nr, struct phk_err *e)
{
	struct runc *rc = NULL, *c;
	size_t nrc = 0, i, k, last = 0;
	struct ledger_entry x;
	struct buf leaf;
	mhash ph, done[64];
	sqlite3_stmt *s;
	int nd, ret = -1;

	buf_init(&leaf, 4096);
	if ((rc = calloc(nr ? nr : 1, sizeof(*rc))) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		/* the run's state: this batch's copy, else the database's */
		if (nrc == 0 || strcmp(rc[last].run, r[i].run_id) != 0) {
			for (k = 0; k < nrc && strcmp(rc[k].run, r[i].run_id) != 0; k++)
				;
			if (k == nrc) {
				if (run_state(l, r[i].run_id, &rc[nrc], e) < 0)
					goto out;
				nrc++;
			}
			last = k;
		}
		c = &rc[last];
		memset(&x, 0, sizeof(x));
		x.seq = l->fr.size;
		x.run_seq = c->next;
		snprintf(x.run_id, sizeof(x.run_id), "%s", r[i].run_id);
		memcpy(x.run_prev, c->prev, sizeof(x.run_prev));
		ledger_now(x.ts);
		snprintf(x.actor, sizeof(x.actor), "%s", r[i].actor);
		snprintf(x.kind, sizeof(x.kind), "%s", r[i].kind);
		sha256(ph, (const unsigned char *)r[i].payload, r[i].n);
		hex32(x.payload_sha256, ph);
		buf_reset(&leaf);
		if (ledger_entry_json(&x, &leaf) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			goto out;
		}
		merkle_leaf(r[i].leaf, leaf.p, leaf.len);
		nd = merkle_frontier_push(&l->fr, r[i].leaf, done);
		r[i].seq = x.seq;

		if ((s = stmt(l, ST_INSERT, e)) == NULL)
			goto out;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)x.seq);
		sqlite3_bind_text(s, 2, x.run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)x.run_seq);
		sqlite3_bind_text(s, 4, x.run_prev, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, x.ts, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, x.actor, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, x.kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, x.payload_sha256, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 9, r[i].leaf, HASH_LEN, SQLITE_STATIC);
		if (nd)
			sqlite3_bind_blob(s, 10, done, nd * HASH_LEN, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 10);
		sqlite3_bind_text(s, 11, r[i].payload, (int)r[i].n, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			dberr(l, e, "append");
			sqlite3_reset(s);
			goto out;
		}
		sqlite3_reset(s);
		c->next++;
		hex32(c->prev, r[i].leaf);
	}
	ret = 0;
out:
	free(rc);
	buf_release(&leaf);
	return ret;
}

/* Signs the head inside an open transaction. */
static int
sign_locked(struct ledger *l, const struct note_signer *sk, struct buf *note, struct phk_err *e)
{
	char ts[LEDGER_TS_LEN + 1], vkey[NOTE_VKEY_MAX];
	struct buf text, signed_note;
	sqlite3_stmt *s;
	mhash root;
	int ret = -1;

	buf_init(&text, 1024);
	buf_init(&signed_note, 4096);
	merkle_frontier_root(&l->fr, root);
	if (checkpoint_format(&text, l->origin, l->fr.size, root) < 0 ||
	    note_sign(sk, text.p, text.len, &signed_note) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	ledger_now(ts);
	if ((s = stmt(l, ST_CKPT, e)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)l->fr.size);
	sqlite3_bind_text(s, 2, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, signed_note.p, (int)signed_note.len, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dberr(l, e, "store a checkpoint");
		goto out;
	}
	note_signer_vkey(sk, vkey);
	if ((s = stmt(l, ST_KEY, e)) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, vkey, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dberr(l, e, "store a key");
		goto out;
	}
	if (note && buf_add(note, signed_note.p, signed_note.len) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	ret = 0;
out:
	buf_release(&text);
	buf_release(&signed_note);
	return ret;
}

static int
begin(struct ledger *l, struct phk_err *e)
{
	if (run(l, ST_BEGIN, "begin a transaction", e) < 0)
		return -1;
	if (load_head(l, e) < 0) {
		rollback(l);
		return -1;
	}
	return 0;
}

static int
commit(struct ledger *l, struct phk_err *e)
{
	if (run(l, ST_COMMIT, "commit", e) < 0) {
		rollback(l);
		return -1;
	}
	return 0;
}

int
ledger_begin(struct ledger *l, struct phk_err *e)
{
	return begin(l, e);
}

int
ledger_append_locked(struct ledger *l, struct ledger_rec *r, size_t nr, struct phk_err *e)
{
	return append_locked(l, r, nr, e);
}

int
ledger_sign_locked(struct ledger *l, const struct note_signer *sk, struct buf *note,
    struct phk_err *e)
{
	return sign_locked(l, sk, note, e);
}

int
ledger_commit(struct ledger *l, struct phk_err *e)
{
	return commit(l, e);
}

void
ledger_rollback(struct ledger *l)
{
	rollback(l);
}

int
ledger_append(struct ledger *l, struct ledger_rec *r, size_t nr,
    const struct note_signer *sk, struct buf *note, struct phk_err *e)
{
	if (begin(l, e) < 0)
		return -1;
	if (append_locked(l, r, nr, e) < 0 || (sk && sign_locked(l, sk, note, e) < 0)) {
		rollback(l);
		return -1;
	}
	return commit(l, e);
}

int
ledger_checkpoint(struct ledger *l, const struct note_signer *sk, struct buf *out,
    struct phk_err *e)
{
	if (begin(l, e) < 0)
		return -1;
	if (sign_locked(l, sk, out, e) < 0) {
		rollback(l);
		return -1;
	}
	return commit(l, e);
}

int
ledger_latest_checkpoint(struct ledger *l, struct buf *out, struct phk_err *e)
{
	sqlite3_stmt *s = stmt(l, ST_LATEST_CK, e);
	int rc, found = 0;

	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (buf_add(out, sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0)) < 0) {
			sqlite3_reset(s);
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
		found = 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "read checkpoints");
	return found;
}

/* One statement with up to three bound values; *count gets column 0 of its row. */
static int
exec1(struct ledger *l, const char *q, const char *a, const char *b, sqlite3_int64 c,
    sqlite3_int64 *count, struct phk_err *e)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(l->db, q, -1, &s, NULL) != SQLITE_OK)
		return dberr(l, e, "prepare");
	if (a)
		sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_int64(s, 3, c);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && count)
		*count = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "update");
	return 0;
}

/* Moves erased bytes out of the WAL too, once the erasure has committed. */
static void
flush_wal(struct ledger *l)
{
	sqlite3_wal_checkpoint_v2(l->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int
ledger_erasure_text(struct buf *out, const char *origin, const char *kind, const char *scope,
    uint64_t seq, uint64_t erased)
{
	return buf_printf(out, "phikit erasure v1\norigin %s\nkind %s\n%s %s\nseq %llu\n"
	    "erased %llu\n", origin, kind, !strcmp(kind, "prune") ? "before" : "run", scope,
	    (unsigned long long)seq, (unsigned long long)erased);
}

/*
 * The erasure's authorization: its scope, signed with the ledger's key,
 * so that no one without the key can erase (or claim to have erased).
 */
static int
authorize(struct ledger *l, const struct note_signer *sk, const char *kind, const char *scope,
    uint64_t erased, struct buf *payload, struct phk_err *e)
{
	struct buf text, note;
	int rc;

	buf_init(&text, 4096);
	buf_init(&note, 8192);
	rc = ledger_erasure_text(&text, l->origin, kind, scope, l->fr.size, erased) < 0 ||
	    note_sign(sk, text.p, text.len, &note) < 0 ||
	    buf_adds(payload, ",\"authorization\":") < 0 ||
	    jstr_encode(payload, note.p, note.len) < 0 || buf_addc(payload, '}') < 0 ? -1 : 0;
	buf_release(&text);
	buf_release(&note);
	if (rc < 0)
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return rc;
}

/* Erasures never reach the entries that authorize them, nor the bound policy. */
#define ERASABLE "kind NOT IN ('anonymize', 'prune', 'policy.bind')"

static int
erase_by(struct ledger *l, uint64_t by, uint64_t *erased, struct phk_err *e)
{
	sqlite3_int64 n = 0;

	if (exec1(l, "UPDATE entries SET payload = NULL WHERE seq IN "
	    "(SELECT seq FROM erasures WHERE by_seq = ?3)", NULL, NULL, (sqlite3_int64)by, NULL, e) < 0)
		return -1;
	n = sqlite3_changes(l->db);
	*erased = (uint64_t)n;
	return 0;
}

int
ledger_anonymize(struct ledger *l, const char *run, const char *reason, const char *actor,
    const struct note_signer *sk, struct buf *note, uint64_t *erased, struct phk_err *e)
{
	struct ledger_rec r;
	sqlite3_int64 n = 0, live = 0;
	struct buf p;
	int ret = -1;

	if (sk == NULL) {
		phk_err_set(e, PHK_EXIT_USAGE, "an erasure is signed with the ledger's key, so that "
		    "no one without it can erase: give --key (or PHIKIT_LEDGER_KEY)");
		return -1;
	}
	buf_init(&p, 1 << 16);
	if (begin(l, e) < 0)
		goto out2;
	if (exec1(l, "SELECT COUNT(*) FROM entries WHERE run_id = ?1", run, NULL, 0, &n, e) < 0 ||
	    exec1(l, "SELECT COUNT(*) FROM entries WHERE run_id = ?1 AND payload IS NOT NULL AND "
	    ERASABLE, run, NULL, 0, &live, e) < 0)
		goto out;
	if (n == 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "no run '%s' in the ledger", run);
		goto out;
	}
	if (buf_adds(&p, "{\"anonymize\":{\"erased\":") < 0 || buf_addu(&p, (unsigned long long)live) < 0 ||
	    buf_adds(&p, ",\"reason\":") < 0 || jstr_encode(&p, reason, strlen(reason)) < 0 ||
	    buf_adds(&p, ",\"run_id\":\"") < 0 || buf_adds(&p, run) < 0 || buf_adds(&p, "\"}") < 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "reason too long");
		goto out;
	}
	if (authorize(l, sk, "anonymize", run, (uint64_t)live, &p, e) < 0)
		goto out;
	memset(&r, 0, sizeof(r));
	r.run_id = run;
	r.actor = actor;
	r.kind = "anonymize";
	r.payload = p.p;
	r.n = p.len;
	if (append_locked(l, &r, 1, e) < 0 ||
	    exec1(l, "INSERT INTO erasures(seq, by_seq) SELECT seq, ?3 FROM entries "
	    "WHERE run_id = ?1 AND payload IS NOT NULL AND seq < ?3 AND " ERASABLE, run, NULL,
	    (sqlite3_int64)r.seq, NULL, e) < 0 ||
	    erase_by(l, r.seq, erased, e) < 0 || sign_locked(l, sk, note, e) < 0)
		goto out;
	ret = commit(l, e);
	if (ret == 0)
		flush_wal(l);
	goto out2;
out:
	rollback(l);
out2:
	buf_release(&p);
	return ret;
}

/* A real calendar date and time, not just the shape of one. */
static int
date_ok(const char *ts)
{
	struct tm tm, back;
	time_t t;

	if (!ledger_ts_ok(ts))
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(ts) - 1900;
	tm.tm_mon = atoi(ts + 5) - 1;
	tm.tm_mday = atoi(ts + 8);
	tm.tm_hour = atoi(ts + 11);
	tm.tm_min = atoi(ts + 14);
	tm.tm_sec = atoi(ts + 17);
	back = tm;
	t = timegm(&tm);
	return t != (time_t)-1 && tm.tm_mday == back.tm_mday && tm.tm_mon == back.tm_mon &&
	    tm.tm_hour == back.tm_hour && tm.tm_min == back.tm_min && tm.tm_sec == back.tm_sec;
}

int
ledger_prune(struct ledger *l, const char *before, long retention_days, const char *actor,
    const struct note_signer *sk, struct buf *note, uint64_t *erased, struct phk_err *e)
{
	char cut[LEDGER_TS_LEN + 1], limit[LEDGER_TS_LEN + 1];
	struct ledger_rec r;
	struct tm tm;
	time_t now;
	sqlite3_int64 live = 0;
	struct buf p;
	int ret = -1;

	if (strlen(before) == 10) {
		snprintf(cut, sizeof(cut), "%sT00:00:00.000000Z", before);
	} else
		snprintf(cut, sizeof(cut), "%s", before);
	if (!date_ok(cut)) {
		phk_err_set(e, PHK_EXIT_USAGE, "--before %s is not a date (YYYY-MM-DD)",
		    phk_arg(before));
		return -1;
	}
	now = time(NULL) - (time_t)retention_days * 86400;
	gmtime_r(&now, &tm);
	{
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.000000Z", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		memcpy(limit, tmp, LEDGER_TS_LEN);
		limit[LEDGER_TS_LEN] = '\0';
	}
	if (strcmp(cut, limit) > 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "refusing to prune: '%s' is within the retention "
		    "period (%ld days); the latest date allowed is %.10s", before, retention_days, limit);
		return -1;
	}
	if (sk == NULL) {
		phk_err_set(e, PHK_EXIT_USAGE, "an erasure is signed with the ledger's key, so that "
		    "no one without it can erase: give --key (or PHIKIT_LEDGER_KEY)");
		return -1;
	}
	buf_init(&p, 4096);
	if (begin(l, e) < 0)
		goto out2;
	if (exec1(l, "SELECT COUNT(*) FROM entries WHERE ts < ?1 AND payload IS NOT NULL AND "
	    ERASABLE, cut, NULL, 0, &live, e) < 0)
		goto out;
	if (buf_adds(&p, "{\"prune\":{\"before\":\"") < 0 || buf_adds(&p, cut) < 0 ||
	    buf_adds(&p, "\",\"erased\":") < 0 || buf_addu(&p, (unsigned long long)live) < 0 ||
	    buf_adds(&p, ",\"retention_days\":") < 0 ||
	    buf_addu(&p, (unsigned long long)retention_days) < 0 || buf_adds(&p, "}") < 0 ||
	    authorize(l, sk, "prune", cut, (uint64_t)live, &p, e) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.run_id = "phikit:retention";
	r.actor = actor;
	r.kind = "prune";
	r.payload = p.p;
	r.n = p.len;
	if (append_locked(l, &r, 1, e) < 0 ||
	    exec1(l, "INSERT INTO erasures(seq, by_seq) SELECT seq, ?3 FROM entries "
	    "WHERE ts < ?1 AND payload IS NOT NULL AND seq < ?3 AND " ERASABLE, cut, NULL,
	    (sqlite3_int64)r.seq, NULL, e) < 0 ||
	    erase_by(l, r.seq, erased, e) < 0 || sign_locked(l, sk, note, e) < 0)
		goto out;
	ret = commit(l, e);
	if (ret == 0)
		flush_wal(l);
	goto out2;
out:
	rollback(l);
out2:
	buf_release(&p);
	return ret;
}

int
ledger_stats(struct ledger *l, struct ledger_stats *st, struct phk_err *e)
{
	sqlite3_int64 v = 0;
	sqlite3_stmt *s;
	uint64_t size = 0;

	memset(st, 0, sizeof(*st));
	if (ledger_head(l, &size, st->root, e) < 0)
		return -1;
	st->entries = size;
	if (exec1(l, "SELECT COUNT(*) FROM (SELECT DISTINCT run_id FROM entries)", NULL, NULL, 0, &v, e) < 0)
		return -1;
	st->runs = (uint64_t)v;
	if (exec1(l, "SELECT COUNT(*) FROM checkpoints", NULL, NULL, 0, &v, e) < 0)
		return -1;
	st->checkpoints = (uint64_t)v;
	v = 0;
	if (exec1(l, "SELECT COALESCE(MAX(size), 0) FROM checkpoints", NULL, NULL, 0, &v, e) < 0)
		return -1;
	st->last_ck_size = (uint64_t)v;
	if (exec1(l, "SELECT COUNT(*) FROM entries WHERE payload IS NULL", NULL, NULL, 0, &v, e) < 0)
		return -1;
	st->erased = (uint64_t)v;
	if (sqlite3_prepare_v2(l->db, "SELECT (SELECT ts FROM entries ORDER BY seq LIMIT 1), "
	    "(SELECT ts FROM entries ORDER BY seq DESC LIMIT 1)", -1, &s, NULL) != SQLITE_OK)
		return dberr(l, e, "stats");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
		snprintf(st->first_ts, sizeof(st->first_ts), "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(st->last_ts, sizeof(st->last_ts), "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return 0;
}
