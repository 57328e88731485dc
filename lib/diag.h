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

/*
 * Every message leaves through these two, one whole line each, and no
 * control character reaches the terminal: C0 controls (tab and newline
 * too), DEL and bytes that are not UTF-8 are shown as \x1b, and the C1
 * controls U+0080-U+009F, the bidirectional marks, embeddings, overrides
 * and isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and
 * U+2028, U+2029 as \u009b. Messages are still written so as never to
 * quote input (DESIGN.md); this is the net under a path that missed.
 */
/* "prog: msg" on stderr. */
void phk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: error (at SRC:LINE): msg" on stderr, as jq does. */
void phk_input_error(const char *src, long line, const char *msg);
/*
 * in, with those characters escaped, into out (cap bytes, NUL-terminated,
 * cut at a character boundary if it does not fit); its length.
 */
size_t phk_safe_text(char *out, size_t cap, const char *in);
/*
 * An argument given on the command line, for a message that says what is
 * wrong with it: 'two', quoted, when it is at most PHK_ARG_SHOWN printable
 * ASCII characters; else "<57 bytes, not shown>", so a secret pasted in
 * the wrong place does not land in a log. (Paths are shown whole: they
 * name what failed.) The text is the caller's until the fourth call after.
 */
#define PHK_ARG_SHOWN 24
const char *phk_arg(const char *s);
/*
 * A URL for a message: 'https://host:port/path', quoted, without what may
 * carry a secret (user:password@, ?query, #fragment); at most 200 bytes.
 */
const char *phk_url(const char *url);

/*
 * Before a program opens sockets: a closed standard input or error is
 * pointed at /dev/null, so no socket can take its number and be read from
 * or written to by mistake. 0; -1 if standard output is closed (a socket
 * there would receive the records): the caller reports a write error.
 */
int phk_std_fds(void);

#endif
