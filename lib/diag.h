/*
 * diag — errors travel from lib/ to main as a struct phk_err; only the
 * printing helpers here write to stderr, and only cmd/ calls them.
 */
#ifndef PHIKIT_DIAG_H
#define PHIKIT_DIAG_H

#include <stddef.h>

/* Exit statuses shared by every program (DESIGN.md). */
enum {
	PHK_EXIT_OK = 0,
	PHK_EXIT_VIOLATION = 1,	/* a check found something */
	PHK_EXIT_USAGE = 2,	/* usage or policy error */
	PHK_EXIT_INPUT = 3,	/* bad input */
	PHK_EXIT_IO = 4		/* I/O, database or internal error */
};

struct phk_err {
	int status;		/* one of PHK_EXIT_* */
	char msg[512];
};

void phk_err_set(struct phk_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void phk_setprog(const char *argv0);
const char *phk_prog(void);

/* "prog: msg" on stderr. */
void phk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: error (at SRC:LINE): msg" on stderr, as jq does. */
void phk_input_error(const char *src, long line, const char *msg);
/*
 * Before a program opens sockets: a closed standard input or error is
 * pointed at /dev/null, so no socket can take its number and be read from
 * or written to by mistake. 0; -1 if standard output is closed (a socket
 * there would receive the records): the caller reports a write error.
 */
int phk_std_fds(void);

#endif
