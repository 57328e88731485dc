#include <arpa/inet.h>
#include <errno.h>
#include <curl/curl.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "keyfile.h"

#define BODY_MAX (16u << 20)
#define RETRY_AFTER_MAX_S 300

void
http_opts_init(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 30000;
	o->connect_timeout_ms = 10000;
	o->retries = 4;
	o->backoff_ms = 500;
	o->backoff_max_ms = 30000;
}

int
http_global_init(struct phk_err *e)
{
	static int done;

	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || sodium_init() < 0) {
		phk_err_set(e, PHK_EXIT_IO, "cannot initialize libcurl");
		return -1;
	}
	done = 1;
	return 0;
}

int
http_loopback(const char *host)
{
	struct in_addr a4;

	return !strcmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1") ||
	    (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127);
}

int
http_url_check(const char *url, int insecure_http, struct phk_err *e)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if (u == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s is not a URL", phk_url(url));
		goto out;
	}
	if (!strcmp(scheme, "https"))
		ok = 1;
	else if (!strcmp(scheme, "http")) {
		/* health data in clear text only where it never leaves the host */
		ok = insecure_http || http_loopback(host);
		if (!ok)
			phk_err_set(e, PHK_EXIT_USAGE, "%s: http:// only to a loopback address; "
			    "use https:// (or --insecure-http on a network you trust)", phk_url(url));
	} else
		phk_err_set(e, PHK_EXIT_USAGE, "%s: only https:// and http:// URLs", phk_url(url));
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

int
http_secret_load(struct http_secret *s, const char *path, struct phk_err *e)
{
	unsigned char *raw;
	size_t len = 0, i;

	s->p = NULL;
	s->len = 0;
	if ((raw = keyfile_read(path, &len, e)) == NULL)
		return -1;
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r' || raw[len - 1] == ' '))
		raw[--len] = '\0';
	/* one line of printable ASCII: anything else could smuggle a header in */
	for (i = 0; i < len; i++)
		if (raw[i] < 0x20 || raw[i] > 0x7e)
			break;
	if (len == 0 || i < len) {
		phk_err_set(e, PHK_EXIT_USAGE, "secret file '%s' must hold one line of printable "
		    "ASCII", path);
		sodium_free(raw);
		return -1;
	}
	s->p = (char *)raw;
	s->len = len;
	return 0;
}

void
http_secret_release(struct http_secret *s)
{
	sodium_free(s->p);	/* wipes */
	s->p = NULL;
	s->len = 0;
}

char *
http_auth_header(const char *scheme, const struct http_secret *s)
{
	static const char pre[] = "Authorization: ";
	size_t n = sizeof(pre) - 1 + strlen(scheme) + 1 + s->len + 1;
	char *h;

	if (s->p == NULL || (h = sodium_malloc(n)) == NULL)
		return NULL;
	memcpy(h, pre, sizeof(pre) - 1);
	memcpy(h + sizeof(pre) - 1, scheme, strlen(scheme));
	h[sizeof(pre) - 1 + strlen(scheme)] = ' ';
	memcpy(h + n - 1 - s->len, s->p, s->len);
	h[n - 1] = '\0';
	return h;
}

void
http_header_free(char *h)
{
	sodium_free(h);
}

void
http_result_init(struct http_result *r)
{
	r->status = 0;
	r->attempts = 0;
	buf_init(&r->body, BODY_MAX);
}

void
http_result_release(struct http_result *r)
{
	buf_release(&r->body);
}

int
http_should_retry(int curl_code, long status)
{
	switch (curl_code) {
	case CURLE_OK:
		return status == 429 || (status >= 500 && status <= 599);
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST:
		return 1;
	default:
		/* TLS failures, bad URLs, refused options: trying again changes nothing */
		return 0;
	}
}

long
http_backoff_ms(const struct http_opts *o, int attempt, long retry_after_s)
{
	long d = o->backoff_ms > 0 ? o->backoff_ms : 1;
	int i;

	for (i = 1; i < attempt && d < o->backoff_max_ms; i++)
		d *= 2;
	if (d > o->backoff_max_ms)
		d = o->backoff_max_ms;
	/* jitter: writers retrying together do not come back together */
	d -= (long)randombytes_uniform((uint32_t)(d / 2 + 1));
	if (retry_after_s > 0) {
		long ra = (retry_after_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : retry_after_s) * 1000;
		if (ra > d)
			d = ra;
	}
	return d > o->backoff_max_ms ? o->backoff_max_ms : d;
}

void
http_easy_setup(void *curl, const struct http_opts *o, const char *url)
{
	CURL *c = curl;

	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	/* a proxy from the environment never sees what is meant for this host */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
}

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	/* a body past the bound ends the transfer: an error, not a truncation */
	return buf_add(b, p, size * n) < 0 ? 0 : size * n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *
host_of(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://"), *end;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	snprintf(out, n, "%.*s", (int)(end - p), p);
	return out;
}

int
http_post(const struct http_opts *o, const char *url, const char *const *headers,
    const char *auth_header, const void *body, size_t len, struct http_result *r,
    struct phk_err *e)
{
	struct curl_slist *hdr = NULL, *t;
	char host[256], cerr[CURL_ERROR_SIZE];
	CURLcode rc = CURLE_OK;
	CURL *c = NULL;
	curl_off_t ra;
	size_t i;
	int ret = -1;

	r->status = 0;
	r->attempts = 0;
	for (i = 0; headers && headers[i]; i++) {
		if ((t = curl_slist_append(hdr, headers[i])) == NULL)
			goto oom;
		hdr = t;
	}
	if (auth_header) {
		if ((t = curl_slist_append(hdr, auth_header)) == NULL)
			goto oom;
		hdr = t;
	}
	if ((c = curl_easy_init()) == NULL)
		goto oom;
	for (;;) {
		curl_easy_reset(c);
		http_easy_setup(c, o, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
		cerr[0] = '\0';
		buf_reset(&r->body);
		r->status = 0;
		r->attempts++;
		rc = curl_easy_perform(c);
		if (rc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (rc == CURLE_OK && r->status >= 200 && r->status <= 299) {
			ret = 0;
			break;
		}
		if (r->attempts > o->retries || !http_should_retry((int)rc, r->status))
			break;
		ra = 0;
#if LIBCURL_VERSION_NUM >= 0x074200
		if (rc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra);
#endif
		sleep_ms(http_backoff_ms(o, r->attempts, (long)ra));
	}
	if (ret < 0) {
		host_of(url, host, sizeof(host));
		if (rc != CURLE_OK)
			phk_err_set(e, PHK_EXIT_IO, "%s: %s (%d attempt%s); not delivered", host,
			    cerr[0] ? cerr : curl_easy_strerror(rc), r->attempts,
			    r->attempts == 1 ? "" : "s");
		else
			phk_err_set(e, PHK_EXIT_IO, "%s: the server answered %ld (%d attempt%s); "
			    "not delivered", host, r->status, r->attempts,
			    r->attempts == 1 ? "" : "s");
	}
	goto out;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
out:
	/* the list holds plain copies of the headers, the secret's among them */
	for (t = hdr; t; t = t->next)
		sodium_memzero(t->data, strlen(t->data));
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	return ret;
}
