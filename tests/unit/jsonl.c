/*
 * lib/jsonl.c: the reader hands out one line at a time without its "\n"
 * or "\r\n", with or without a final newline; a line longer than the
 * maximum is refused whole (PHK_EXIT_INPUT), never truncated, and the
 * next line is still read. The writer ends every record with "\n" and
 * reports a failed write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "tap.h"

/* An fd to read data from: a temporary file, already unlinked. */
static int
input(const char *data, size_t n)
{
	char path[] = "/tmp/phikit-jsonl-XXXXXX";
	int fd = mkstemp(path);
	size_t off = 0;
	ssize_t w;

	if (fd < 0)
		return -1;
	unlink(path);
	while (off < n && (w = write(fd, data + off, n - off)) > 0)
		off += (size_t)w;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The same through a pipe, for short data: no seeking, short reads. */
static int
piped(const char *data)
{
	int fds[2];

	if (pipe(fds) < 0)
		return -1;
	if (write(fds[1], data, strlen(data)) != (ssize_t)strlen(data))
		return -1;
	close(fds[1]);
	return fds[0];
}

static struct jsonl_reader rd;
static struct phk_err err;

/* Reads one line and checks it is want, numbered lineno. */
static void
line_is(const char *want, long lineno, const char *name)
{
	const char *p = NULL;
	size_t n = 0;
	int r;

	memset(&err, 0, sizeof(err));
	r = jsonl_read(&rd, &p, &n, &err);
	if (r != 1) {
		ok(0, "%s", name);
		diag("jsonl_read returned %d (%s)", r, err.msg);
		return;
	}
	if (!is_mem(p, n, want, strlen(want), "%s", name))
		return;
	is_int(rd.lineno, lineno, "%s: line number %ld", name, lineno);
}

static void
refused(const char *want, long lineno, const char *name)
{
	const char *p = NULL;
	size_t n = 0;
	int r;

	memset(&err, 0, sizeof(err));
	r = jsonl_read(&rd, &p, &n, &err);
	ok(r == -1 && err.status == PHK_EXIT_INPUT, "%s: refused as bad input", name);
	is_str(err.msg, want, "%s: message", name);
	is_int(rd.lineno, lineno, "%s: line number %ld", name, lineno);
}

static void
at_end(const char *name)
{
	const char *p;
	size_t n;

	ok(jsonl_read(&rd, &p, &n, &err) == 0, "%s", name);
}

int
main(void)
{
	char *big, *want;
	const char *p;
	size_t n, i, k, off;
	long ln;
	int fd, bad;

	/* lines with and without a final newline, CRLF, an empty line */
	fd = piped("{\"a\":1}\n{\"b\":2}\r\n\n\r\n{\"c\":\"x\ry\"}\n{\"d\":4}");
	jsonl_reader_init(&rd, fd, "<pipe>", 1024);
	line_is("{\"a\":1}", 1, "LF line");
	line_is("{\"b\":2}", 2, "CRLF line, CR stripped");
	line_is("", 3, "an empty line is handed out empty");
	line_is("", 4, "a CRLF-only line is handed out empty");
	line_is("{\"c\":\"x\ry\"}", 5, "a CR inside the line is kept");
	line_is("{\"d\":4}", 6, "the last line without a newline");
	at_end("then end of input");
	at_end("end of input again");
	jsonl_reader_release(&rd);
	close(fd);

	/* an over-long line, refused, and the next still read */
	fd = piped("{\"a\":1}\r\n{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"b\":2}");
	jsonl_reader_init(&rd, fd, "<pipe>", 24);
	line_is("{\"a\":1}", 1, "short line");
	refused("line longer than 24 bytes", 2, "over-long line");
	line_is("{\"b\":2}", 3, "the line after an over-long one");
	at_end("end after it");
	jsonl_reader_release(&rd);
	close(fd);

	/* the limit is inclusive */
	fd = piped("0123456789\n01234567890\n0123456789");
	jsonl_reader_init(&rd, fd, "<pipe>", 10);
	line_is("0123456789", 1, "a line of exactly the maximum");
	refused("line longer than 10 bytes", 2, "one byte more");
	line_is("0123456789", 3, "exactly the maximum, no final newline");
	at_end("end");
	jsonl_reader_release(&rd);
	close(fd);

	/* the CR of a CRLF ending is no part of the line */
	fd = piped("0123456789\r\n");
	jsonl_reader_init(&rd, fd, "<pipe>", 10);
	line_is("0123456789", 1, "a line of exactly the maximum, ended by CRLF");
	jsonl_reader_release(&rd);
	close(fd);

	/* an over-long last line without a newline */
	fd = piped("{}\n0123456789abcdef");
	jsonl_reader_init(&rd, fd, "<pipe>", 10);
	line_is("{}", 1, "short line");
	refused("line longer than 10 bytes", 2, "an over-long last line without a newline");
	at_end("then end of input");
	jsonl_reader_release(&rd);
	close(fd);

	/* an over-long line larger than the read buffer (several reads) */
	n = 3u << 20;
	big = malloc(n + 64);
	memcpy(big, "{\"a\":1}\n", 8);
	memset(big + 8, 'x', n);
	memcpy(big + 8 + n, "\n{\"b\":2}\n", 9);
	fd = input(big, n + 17);
	jsonl_reader_init(&rd, fd, "<file>", 1u << 20);
	line_is("{\"a\":1}", 1, "before a 3 MiB line");
	refused("line longer than 1048576 bytes", 2, "a 3 MiB line over a 1 MiB maximum");
	line_is("{\"b\":2}", 3, "after the 3 MiB line");
	at_end("end");
	jsonl_reader_release(&rd);
	close(fd);

	/* a long line under the maximum comes back whole */
	fd = input(big, n + 17);
	jsonl_reader_init(&rd, fd, "<file>", 4u << 20);
	line_is("{\"a\":1}", 1, "before a 3 MiB line");
	memset(&err, 0, sizeof(err));
	ok(jsonl_read(&rd, &p, &n, &err) == 1 && n == 3u << 20 && p[0] == 'x' &&
	    p[n - 1] == 'x' && memchr(p, '\n', n) == NULL, "a 3 MiB line under a 4 MiB maximum, whole");
	line_is("{\"b\":2}", 3, "after it");
	jsonl_reader_release(&rd);
	close(fd);
	free(big);

	/* many lines of many lengths across read-buffer boundaries */
	big = malloc(8u << 20);
	want = malloc(4096);
	for (off = 0, k = 0; k < 20000; k++) {
		size_t len = (k * 7919) % 700;
		for (i = 0; i < len; i++)
			big[off++] = (char)('a' + (k + i) % 26);
		if (k % 3 == 0)
			big[off++] = '\r';
		big[off++] = '\n';
	}
	fd = input(big, off);
	jsonl_reader_init(&rd, fd, "<file>", 1024);
	bad = 0;
	for (k = 0; k < 20000; k++) {
		size_t len = (k * 7919) % 700;
		for (i = 0; i < len; i++)
			want[i] = (char)('a' + (k + i) % 26);
		if (jsonl_read(&rd, &p, &n, &err) != 1 || n != len || memcmp(p, want, len) != 0) {
			bad++;
			if (bad == 1)
				diag("line %zu differs", k + 1);
		}
	}
	ln = rd.lineno;
	is_int(bad, 0, "20000 lines across buffer boundaries: every line exact");
	is_int(ln, 20000, "20000 lines: numbered");
	at_end("20000 lines: then end of input");
	jsonl_reader_release(&rd);
	close(fd);
	free(big);
	free(want);

	/* a read error is an I/O error, not bad input */
	fd = open("/", O_RDONLY | O_DIRECTORY);
	jsonl_reader_init(&rd, fd, "/", 1024);
	memset(&err, 0, sizeof(err));
	ok(jsonl_read(&rd, &p, &n, &err) == -1 && err.status == PHK_EXIT_IO,
	    "reading a directory: an I/O error");
	is_str(err.msg, "read error: Is a directory", "reading a directory: message");
	jsonl_reader_release(&rd);
	close(fd);

	/* the writer */
	{
		struct jsonl_writer w;
		char buf[64];
		FILE *f = tmpfile();
		int dup_fd = dup(fileno(f));

		jsonl_writer_init(&w, f);
		ok(w.flush_each == 0, "writer: a regular file is not flushed per record");
		ok(jsonl_write(&w, "{\"a\":1}", 7) == 0 && jsonl_write(&w, "{}", 2) == 0,
		    "writer: two records");
		ok(jsonl_writer_close(&w) == 0, "writer: closes cleanly");
		lseek(dup_fd, 0, SEEK_SET);
		n = (size_t)read(dup_fd, buf, sizeof(buf));
		is_mem(buf, n, "{\"a\":1}\n{}\n", 11, "writer: each record ends with a newline");
		close(dup_fd);

		f = fopen("/dev/full", "w");
		if (f == NULL) {
			diag("no /dev/full: the full-disk test is skipped");
		} else {
			jsonl_writer_init(&w, f);
			ok(w.flush_each == 1, "writer: a device is flushed per record");
			errno = 0;
			ok(jsonl_write(&w, "{\"a\":1}", 7) == -1 && errno == ENOSPC,
			    "writer: a full device fails the write (ENOSPC)");
			ok(jsonl_writer_close(&w) == -1, "writer: and close reports the failure too");
		}
	}
	return done_testing();
}
