/*
 * The vault format: a vault whose rows an attacker rewrote, and the
 * records phi-restore reads. The first byte picks what the rest is:
 *
 *   0  a record for phi-restore, against a vault holding three values
 *   1  the sealed blob of the row of [NAME-aaaaaa]
 *   2  the wrapped data key of its run
 *   3  the vault's key check value
 *
 * What must hold: a record is restored or refused as bad input, never
 * "out of memory", and restored it is one JSON object carrying
 * phikit.restore; a rewritten row never yields a value other than the
 * one stored (the AEAD fails, exit 4) and a rewritten key check refuses
 * the vault (exit 2) unless it is the true one.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "fuzz.h"
#include "restore.h"
#include "vault.h"

static unsigned char key[32];
static char path[160], work[160];
static unsigned char *good_blob, *good_wrap, good_check[64];
static int good_blob_n, good_wrap_n, good_check_n;

static const char *const vals[][2] = {
	{ "[NAME-aaaaaa]", "Ingrid Hartvigsson" },
	{ "[SSN-bbbbbb]", "219-09-9999" },
	{ "[DATE-cccccc]", "03/14/2021" },
};

static void
copy_col(sqlite3 *db, const char *sql, unsigned char **p, unsigned char *fixed, int *n)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
		abort();
	*n = sqlite3_column_bytes(q, 0);
	if (fixed)
		memcpy(fixed, sqlite3_column_blob(q, 0), (size_t)*n);
	else if ((*p = malloc((size_t)*n)) == NULL)
		abort();
	else
		memcpy(*p, sqlite3_column_blob(q, 0), (size_t)*n);
	sqlite3_finalize(q);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct phk_err e;
	struct vault *v;
	sqlite3 *db;
	size_t i;

	memset(key, 7, sizeof(key));
	snprintf(path, sizeof(path), "%s", fuzz_tmpfile((const uint8_t *)"", 0, "vault.db"));
	snprintf(work, sizeof(work), "%s", fuzz_tmpfile((const uint8_t *)"", 0, "work.db"));
	unlink(path);
	if (vault_open(&v, path, VAULT_CREATE, key, &e) < 0)
		abort();
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (vault_put(v, "r", vals[i][0], vals[i][1], strlen(vals[i][1]), vals[i][1],
		    strlen(vals[i][1]), &e) < 0)
			abort();
	if (vault_flush(v, &e) < 0)
		abort();
	vault_close(v);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		abort();
	copy_col(db, "SELECT sealed FROM vault_values WHERE token = '[NAME-aaaaaa]'", &good_blob,
	    NULL, &good_blob_n);
	copy_col(db, "SELECT wrapped FROM vault_runs WHERE run_id = 'r'", &good_wrap, NULL,
	    &good_wrap_n);
	copy_col(db, "SELECT v FROM vault_meta WHERE k = 'key_check'", NULL, good_check,
	    &good_check_n);
	sqlite3_close(db);
	(void)argc;
	(void)argv;
	return 0;
}

static void
one_record(const char *p, size_t n)
{
	struct restorer r;
	struct phk_err e;
	struct vault *v;
	struct buf out;
	json_t *j = NULL;

	if (vault_open(&v, path, VAULT_RDONLY, key, &e) < 0 || restorer_init(&r, v, NULL, 0, &e) < 0)
		abort();
	buf_init(&out, (size_t)1 << 26);
	if (restore_line(&r, p, n, &out, &e) == 0) {
		fuzz_json_object(out.p, out.len, &j);
		if (strstr(out.p, "\"restore\":{\"restored\":") == NULL)
			abort();
		json_decref(j);
	} else if (e.status != PHK_EXIT_INPUT || out.len != 0)
		abort();	/* the vault is intact: only the record can be wrong */
	buf_release(&out);
	restorer_release(&r);
	vault_close(v);
}

/* The work copy with one column rewritten to data. */
static void
rewrite(const char *sql, const uint8_t *data, size_t size)
{
	sqlite3_stmt *q;
	sqlite3 *db;
	FILE *src, *dst;
	char b[4096];
	size_t k;

	if ((src = fopen(path, "rb")) == NULL || (dst = fopen(work, "wb")) == NULL)
		abort();
	while ((k = fread(b, 1, sizeof(b), src)) > 0)
		if (fwrite(b, 1, k, dst) != k)
			abort();
	fclose(src);
	if (fclose(dst) != 0 || sqlite3_open(work, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_blob(q, 1, data, (int)size, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		abort();
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void
one_row(int what, const uint8_t *data, size_t size)
{
	static const char *const sql[] = {
		"UPDATE vault_values SET sealed = ?1 WHERE token = '[NAME-aaaaaa]'",
		"UPDATE vault_runs SET wrapped = ?1 WHERE run_id = 'r'",
		"UPDATE vault_meta SET v = ?1 WHERE k = 'key_check'",
	};
	const unsigned char *good = what == 1 ? good_blob : what == 2 ? good_wrap : good_check;
	int gn = what == 1 ? good_blob_n : what == 2 ? good_wrap_n : good_check_n;
	int same = (size_t)gn == size && memcmp(good, data, size) == 0;
	struct phk_err e;
	struct vault *v;
	struct buf out;
	int rc;

	rewrite(sql[what - 1], data, size);
	if (vault_open(&v, work, VAULT_RDONLY, key, &e) < 0) {
		if (what != 3 || same || e.status != PHK_EXIT_USAGE)
			abort();
		return;
	}
	if (what == 3 && !same)
		abort();	/* another key check let through */
	buf_init(&out, 1 << 20);
	rc = vault_get(v, "r", "[NAME-aaaaaa]", &out, &e);
	if (rc == VAULT_FOUND) {
		if (out.len != strlen(vals[0][1]) || memcmp(out.p, vals[0][1], out.len))
			abort();	/* a forged value */
	} else if (rc != -1 || e.status != PHK_EXIT_IO || same)
		abort();
	buf_release(&out);
	vault_close(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 4 == 0)
		one_record((const char *)data + 1, size - 1);
	else
		one_row(data[0] % 4, data + 1, size - 1);
	return 0;
}
