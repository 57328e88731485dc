#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"

#define MAGIC "phikit-export-cursor 1"

static int
parse(struct cursor *c, const char *s, struct phk_err *e)
{
	char origin[256], nl;
	unsigned long long seq;
	int n = 0;

	/* "phikit-export-cursor 1 ORIGIN SEQ\n", nothing else */
	if (strncmp(s, MAGIC " ", sizeof(MAGIC)) != 0 ||
	    sscanf(s + sizeof(MAGIC), "%255s %llu%c%n", origin, &seq, &nl, &n) != 3 || nl != '\n' ||
	    s[sizeof(MAGIC) + n] != '\0' || strspn(s + sizeof(MAGIC), "0123456789abcdefghijklmnop"
	    "qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./-_ \n") != strlen(s + sizeof(MAGIC))) {
		phk_err_set(e, PHK_EXIT_INPUT, "%s: not a trace-export cursor (%s ORIGIN SEQ)",
		    c->path, MAGIC);
		return -1;
	}
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	c->seq = seq;
	c->has = 1;
	return 0;
}

static int
load(struct cursor *c, struct phk_err *e)
{
	char text[512];
	ssize_t n;
	int fd;

	if ((fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing sent yet */
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", c->path, strerror(errno));
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", c->path, strerror(errno));
		return -1;
	}
	text[n] = '\0';
	if ((size_t)n != strlen(text)) {
		phk_err_set(e, PHK_EXIT_INPUT, "%s: not a trace-export cursor (%s ORIGIN SEQ)",
		    c->path, MAGIC);
		return -1;
	}
	return parse(c, text, e);
}

int
cursor_open(struct cursor *c, const char *path, const char *origin, struct phk_err *e)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->fd = -1;
	if (load(c, e) < 0)
		return -1;
	if (c->has && strcmp(c->origin, origin) != 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s is the cursor of ledger %s, not of %s", path,
		    c->origin, origin);
		return -1;
	}
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	if ((size_t)snprintf(c->tmp, sizeof(c->tmp), "%s.XXXXXX", path) >= sizeof(c->tmp) ||
	    (c->fd = mkstemp(c->tmp)) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", path, strerror(errno ? errno : ENAMETOOLONG));
		c->tmp[0] = '\0';
		return -1;
	}
	return 0;
}

int
cursor_commit(struct cursor *c, uint64_t seq, struct phk_err *e)
{
	char text[512];
	int n, fd = c->fd, bad;

	n = snprintf(text, sizeof(text), MAGIC " %s %" PRIu64 "\n", c->origin, seq);
	c->fd = -1;
	bad = fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0;
	if (fd >= 0 && close(fd) != 0)
		bad = 1;
	if (bad || rename(c->tmp, c->path) != 0) {
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", c->path, strerror(errno));
		unlink(c->tmp);
		c->tmp[0] = '\0';
		return -1;
	}
	c->tmp[0] = '\0';
	c->seq = seq;
	c->has = 1;
	return 0;
}

void
cursor_release(struct cursor *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->tmp[0]) {
		unlink(c->tmp);
		c->tmp[0] = '\0';
	}
}
