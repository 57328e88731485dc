#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "baa.h"
#include "http.h"

struct parts {
	char *scheme, *host, *port, *path;
};

static void
parts_free(struct parts *u)
{
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->path);
	memset(u, 0, sizeof(*u));
}

static int
parts_get(const char *url, struct parts *out)
{
	CURLU *u = curl_url();
	int ok;

	memset(out, 0, sizeof(*out));
	if (u == NULL)
		return -1;
	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &out->scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &out->host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &out->port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &out->path, 0) == CURLUE_OK;
	curl_url_cleanup(u);
	if (!ok)
		parts_free(out);
	return ok ? 0 : -1;
}

/* path at or below base, segment by segment ("/v1" covers "/v1/x", not "/v10") */
static int
under(const char *path, const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

static int
covers(const struct parts *ep, const struct parts *u)
{
	return !strcmp(ep->scheme, u->scheme) && !strcasecmp(ep->host, u->host) &&
	    !strcmp(ep->port, u->port) && under(u->path, ep->path);
}

int
baa_check(const struct llm_conf *c, const char *url, struct phk_err *e)
{
	const struct llm_endpoint *unsigned_at = NULL;
	struct parts u, ep;
	size_t i;
	int ok = 0;

	if (!c->require_baa)
		return 0;
	if (parts_get(url, &u) < 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s is not a URL", phk_url(url));
		return -1;
	}
	ok = http_loopback(u.host);	/* a model on this host: self-hosted */
	for (i = 0; !ok && i < c->nendpoints; i++) {
		if (parts_get(c->endpoints[i].url, &ep) < 0) {
			phk_err_set(e, PHK_EXIT_USAGE, "%s: llm.endpoints: %s is not a URL",
			    c->endpoints[i].at, c->endpoints[i].url);
			parts_free(&u);
			return -1;
		}
		if (covers(&ep, &u)) {
			if (c->endpoints[i].baa)
				ok = 1;
			else if (unsigned_at == NULL)
				unsigned_at = &c->endpoints[i];
		}
		parts_free(&ep);
	}
	parts_free(&u);
	if (ok)
		return 0;
	phk_err_set(e, PHK_EXIT_USAGE, "%s is not covered by a business associate agreement: "
	    "%s requires one (llm.require_baa)%s%s%s; list it under llm.endpoints with baa: true "
	    "in a site policy, or run the model on this host", phk_url(url),
	    c->require_at ? c->require_at : "the policy",
	    unsigned_at ? ", and " : "", unsigned_at ? unsigned_at->at : "",
	    unsigned_at ? " lists it with baa: false" : "");
	return -1;
}
