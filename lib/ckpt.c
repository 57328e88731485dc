#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"

const char *
ckpt_path(const char *opt)
{
	const char *env = getenv("PHIKIT_CHECKPOINT_OUT");

	if (opt && *opt)
		return opt;
	return env && *env ? env : NULL;
}

int
ckpt_open(const char *path, struct phk_err *e)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", path, strerror(errno));
	return fd;
}

int
ckpt_write(int fd, const char *note, size_t n, struct phk_err *e)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, note, n)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		note += w;
		n -= (size_t)w;
	}
	if (fdatasync(fd) == 0)
		return 0;
fail:
	phk_err_set(e, PHK_EXIT_IO, "checkpoint file: %s (the entries are in the ledger; the "
	    "saved checkpoint lags behind them)", strerror(errno));
	return -1;
}
