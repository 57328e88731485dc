/*
 * lib/http: which URLs may be used, secrets read from files, the retry
 * policy, and http_post against a real server on loopback (python3's
 * http.server) that answers as it is told: 503, 429 with Retry-After,
 * then 200; or 400, which is not retried; or nothing at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"
#include "tap.h"

static char dir[] = "/tmp/phikit-http.XXXXXX";

static const char *
url_check(const char *url, int insecure)
{
	static struct phk_err e;

	if (http_url_check(url, insecure, &e) == 0)
		return "ok";
	return e.msg;
}

static const char *
put(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		diag("cannot write %s", path);
	chmod(path, mode);
	return path;
}

static const char *
secret(const char *name, const char *text, mode_t mode)
{
	static char out[256];
	struct http_secret s;
	struct phk_err e;

	if (http_secret_load(&s, put(name, text, mode), &e) < 0) {
		snprintf(out, sizeof(out), "error: %.240s", e.msg);
		return out;
	}
	snprintf(out, sizeof(out), "%s", s.p);
	http_secret_release(&s);
	return out;
}

/*
 * The server: each POST takes the next answer from the script (a status,
 * with Retry-After: 1 after a 429); records each request's body and its
 * Authorization header; prints its port first.
 */
static const char server_py[] =
    "import http.server, sys\n"
    "script = sys.argv[1].split(',')\n"
    "log = open(sys.argv[2], 'a')\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_POST(self):\n"
    "        body = self.rfile.read(int(self.headers['Content-Length']))\n"
    "        log.write('%s %s\\n' % (self.headers.get('Authorization'), body.decode()))\n"
    "        log.flush()\n"
    "        code = int(script.pop(0)) if len(script) > 1 else int(script[0])\n"
    "        self.send_response(code)\n"
    "        if code == 429: self.send_header('Retry-After', '1')\n"
    "        self.send_header('Content-Length', '2')\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b'ok')\n"
    "    def log_message(self, *a): pass\n"
    "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "print(s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

static pid_t
serve(const char *script, const char *log, int *port)
{
	int p[2];
	pid_t pid;
	char line[32];
	ssize_t n;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		/* Debian's own python3 first: a version manager's shim may be slow or chatty */
		execl("/usr/bin/python3", "python3", "-c", server_py, script, log, (char *)NULL);
		execlp("python3", "python3", "-c", server_py, script, log, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* the port, up to its newline, however the pipe splits it */
	for (n = 0; (size_t)n < sizeof(line) - 1 && (n == 0 || line[n - 1] != '\n');) {
		ssize_t got = read(p[0], line + n, sizeof(line) - 1 - (size_t)n);
		if (got <= 0)
			break;
		n += got;
	}
	close(p[0]);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	*port = atoi(line);
	return pid;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static long
ms_since(const struct timeval *t0)
{
	struct timeval t;

	gettimeofday(&t, NULL);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_usec - t0->tv_usec) / 1000;
}

static char *
slurp(const char *path)
{
	static char b[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);

	if (fd >= 0)
		close(fd);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

static void
test_post(void)
{
	static const char *const hdr[] = { "Content-Type: application/json", NULL };
	struct http_result r;
	struct http_opts o;
	struct http_secret s;
	struct phk_err e;
	struct timeval t0;
	char url[64], log[256], *auth;
	int port, rc;
	pid_t pid;
	long ms;

	snprintf(log, sizeof(log), "%s/requests.log", dir);
	if ((pid = serve("503,429,200", log, &port)) < 0) {
		ok(1, "# skip no python3 to serve");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/logs", port);
	http_opts_init(&o);
	o.backoff_ms = 50;
	http_result_init(&r);
	if (http_secret_load(&s, put("tok", "s3cret-token-0123\n", 0600), &e) < 0)
		diag("%s", e.msg);
	auth = http_auth_header("Bearer", &s);
	gettimeofday(&t0, NULL);
	rc = http_post(&o, url, hdr, auth, "{\"a\":1}", 7, &r, &e);
	ms = ms_since(&t0);
	is_int(rc, 0, "post: 503, then 429, then 200: delivered");
	is_int(r.status, 200, "post: the final status");
	is_int(r.attempts, 3, "post: three attempts");
	is_str(r.body.p, "ok", "post: the body of the answer");
	ok(ms >= 1000, "post: Retry-After: 1 was honoured (%ld ms)", ms);
	is_str(slurp(log), "Bearer s3cret-token-0123 {\"a\":1}\nBearer s3cret-token-0123 {\"a\":1}\n"
	    "Bearer s3cret-token-0123 {\"a\":1}\n", "post: the same body and Authorization each time");
	http_header_free(auth);
	http_secret_release(&s);
	stop(pid);

	unlink(log);
	pid = serve("400", log, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	rc = http_post(&o, url, hdr, NULL, "x", 1, &r, &e);
	is_int(rc, -1, "post: a 400 fails");
	is_int(r.attempts, 1, "post: a 400 is not retried");
	is_int(e.status, PHK_EXIT_IO, "post: an I/O failure");
	{
		char want[128];
		snprintf(want, sizeof(want), "127.0.0.1:%d: the server answered 400 (1 attempt); "
		    "not delivered", port);
		is_str(e.msg, want, "post: the message names the host, the status, the attempts");
	}
	stop(pid);

	pid = serve("500", log, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	o.retries = 2;
	rc = http_post(&o, url, hdr, NULL, "x", 1, &r, &e);
	is_int(rc, -1, "post: 500 every time fails");
	is_int(r.attempts, 3, "post: after the retries allowed");
	stop(pid);

	/* nothing listens there any more */
	o.retries = 1;
	rc = http_post(&o, url, hdr, NULL, "x", 1, &r, &e);
	is_int(rc, -1, "post: a refused connection fails");
	is_int(r.attempts, 2, "post: a refused connection is retried");
	is_int((int)r.status, 0, "post: no status without an answer");
	http_result_release(&r);
}

int
main(void)
{
	struct http_opts o;
	struct phk_err e;
	long d, lo = 1000000, hi = 0;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	if (http_global_init(&e) < 0)
		return 1;

	is_str(url_check("https://collector.example.org/v1/logs", 0), "ok", "url: https");
	is_str(url_check("http://127.0.0.1:4318/v1/logs", 0), "ok", "url: http to 127.0.0.1");
	is_str(url_check("http://127.8.9.10/", 0), "ok", "url: http to 127/8");
	is_str(url_check("http://localhost:8088/services/collector", 0), "ok", "url: http to localhost");
	is_str(url_check("http://[::1]:8080/", 0), "ok", "url: http to [::1]");
	is_str(url_check("http://10.1.2.3/x", 0), "'http://10.1.2.3/x': http:// only to a loopback "
	    "address; use https:// (or --insecure-http on a network you trust)", "url: http elsewhere refused");
	is_str(url_check("http://127.0.0.1.example.com/", 0), "'http://127.0.0.1.example.com/': "
	    "http:// only to a loopback address; use https:// (or --insecure-http on a network you "
	    "trust)", "url: a name that starts like 127.0.0.1 is not loopback");
	is_str(url_check("http://10.1.2.3/x", 1), "ok", "url: http elsewhere with insecure_http");
	is_str(url_check("ftp://example.org/", 1), "'ftp://example.org/': only https:// and http:// URLs",
	    "url: another scheme refused, even with insecure_http");
	is_str(url_check("not a url", 0), "'not a url' is not a URL", "url: not a URL");

	is_str(secret("a", "abc-123_XYZ.token\n", 0600), "abc-123_XYZ.token", "secret: the line, its newline dropped");
	is_str(secret("b", "Bearer-ish with spaces \r\n", 0600), "Bearer-ish with spaces",
	    "secret: trailing CR and spaces dropped");
	{
		char want[256];
		snprintf(want, sizeof(want), "error: key file '%s/c' is readable by others (mode 0644); "
		    "chmod 600 it", dir);
		is_str(secret("c", "tok\n", 0644), want, "secret: a file others can read is refused");
		snprintf(want, sizeof(want), "error: secret file '%s/d' must hold one line of printable "
		    "ASCII", dir);
		is_str(secret("d", "tok\nX-Injected: 1\n", 0600), want, "secret: two lines refused (no header smuggling)");
		snprintf(want, sizeof(want), "error: secret file '%s/e' must hold one line of printable "
		    "ASCII", dir);
		is_str(secret("e", "\n", 0600), want, "secret: an empty file refused");
	}
	{
		struct http_secret s;
		char *h;
		http_secret_load(&s, put("f", "xyz\n", 0600), &e);
		h = http_auth_header("Splunk", &s);
		is_str(h, "Authorization: Splunk xyz", "auth header: scheme and secret");
		http_header_free(h);
		http_secret_release(&s);
		ok(s.p == NULL && s.len == 0, "secret: released");
	}

	ok(http_should_retry(CURLE_OK, 429), "retry: 429");
	ok(http_should_retry(CURLE_OK, 503), "retry: 503");
	ok(!http_should_retry(CURLE_OK, 400), "retry: not 400");
	ok(!http_should_retry(CURLE_OK, 200), "retry: not 200");
	ok(http_should_retry(CURLE_COULDNT_CONNECT, 0), "retry: a refused connection");
	ok(http_should_retry(CURLE_OPERATION_TIMEDOUT, 0), "retry: a timeout");
	ok(http_should_retry(CURLE_GOT_NOTHING, 0), "retry: a dropped connection");
	ok(!http_should_retry(CURLE_PEER_FAILED_VERIFICATION, 0), "retry: not a TLS verification failure");

	http_opts_init(&o);
	for (i = 0; i < 200; i++) {
		d = http_backoff_ms(&o, 1, 0);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ok(lo >= 250 && hi <= 500 && lo < hi, "backoff: the first wait is 250..500 ms, jittered (%ld..%ld)", lo, hi);
	d = http_backoff_ms(&o, 3, 0);
	ok(d >= 1000 && d <= 2000, "backoff: the third is 1..2 s (%ld)", d);
	d = http_backoff_ms(&o, 40, 0);
	ok(d >= 15000 && d <= 30000, "backoff: capped at 30 s however many (%ld)", d);
	is_int(http_backoff_ms(&o, 1, 7), 7000, "backoff: Retry-After: 7 waits 7 s");
	is_int(http_backoff_ms(&o, 1, 100000), 30000, "backoff: a Retry-After past the cap waits the cap");

	test_post();
	{
		static const char *const files[] = { "a", "b", "c", "d", "e", "f", "tok",
		    "requests.log" };
		char path[256];
		size_t k;
		for (k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
			unlink(path);
		}
		rmdir(dir);
	}
	return done_testing();
}
