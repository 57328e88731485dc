/*
 * cursor — where a shipper left off: the file trace-export --since-last
 * keeps, naming the ledger (its origin) and the last entry sent. It is
 * read before an export and replaced (0600, written beside it, renamed
 * over it) only once the entries up to its new value were delivered, so a
 * cron job sends each entry once and a failed run sends it again.
 */
#ifndef PHIKIT_CURSOR_H
#define PHIKIT_CURSOR_H

#include <stdint.h>

#include "diag.h"

struct cursor {
	const char *path;
	char tmp[4096];
	int fd;			/* the replacement, made before the export; -1 once done */
	int has;		/* the file existed: seq is the last entry sent */
	uint64_t seq;
	char origin[256];
};

/*
 * Reads path (absent: nothing sent yet) and makes its replacement beside
 * it, so that an unwritable cursor is found before anything is sent. A
 * cursor of another ledger is refused. 0, or -1 with e set.
 */
int cursor_open(struct cursor *c, const char *path, const char *origin, struct phk_err *e);
/* Moves the cursor to seq (the last entry delivered): 0, or -1 with e set. */
int cursor_commit(struct cursor *c, uint64_t seq, struct phk_err *e);
/* Drops the replacement if it was not committed. */
void cursor_release(struct cursor *c);

#endif
