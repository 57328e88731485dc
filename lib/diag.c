#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

static const char *prog = "phikit";

void
phk_err_set(struct phk_err *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
phk_setprog(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	prog = s ? s + 1 : argv0;
}

const char *
phk_prog(void)
{
	return prog;
}

void
phk_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
phk_input_error(const char *src, long line, const char *msg)
{
	fprintf(stderr, "%s: error (at %s:%ld): %s\n", prog, src, line, msg);
}

int
phk_std_fds(void)
{
	int fd;

	if (fcntl(STDIN_FILENO, F_GETFD) < 0 && (fd = open("/dev/null", O_RDONLY)) >= 0 &&
	    fd != STDIN_FILENO)
		close(fd);
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	if (fcntl(STDERR_FILENO, F_GETFD) < 0 && (fd = open("/dev/null", O_WRONLY)) >= 0 &&
	    fd != STDERR_FILENO)
		close(fd);
	return 0;
}
