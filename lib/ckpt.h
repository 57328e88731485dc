/*
 * ckpt — the checkpoints a ledger writer saves elsewhere (--checkpoint-out,
 * PHIKIT_CHECKPOINT_OUT): each signed note it makes, appended to a file
 * the ledger's own writers should not be able to rewrite (WORM storage,
 * another host), and synced before the writer goes on, so that
 * `ledger-verify --since` catches a rollback or a truncated tail. Every
 * writer of the ledger (ledger-append, hitl, ledger-admin) saves to it.
 */
#ifndef PHIKIT_CKPT_H
#define PHIKIT_CKPT_H

#include <stddef.h>

#include "diag.h"

/*
 * The path to save to: opt if given, else $PHIKIT_CHECKPOINT_OUT, else NULL.
 * A writer given no signing key signs nothing and saves nothing; it is an
 * error only when --checkpoint-out itself was given.
 */
const char *ckpt_path(const char *opt);
/* Opens path for appending (created 0600, no symlink); the fd, or -1 with e set. */
int ckpt_open(const char *path, struct phk_err *e);
/* Appends one signed note and syncs; 0, or -1 with e set (PHK_EXIT_IO). */
int ckpt_write(int fd, const char *note, size_t n, struct phk_err *e);

#endif
