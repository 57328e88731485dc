/*
 * lib/baa.c: which endpoints may receive a prompt under llm.require_baa.
 * A listed URL covers its own scheme, host (any case) and port (written or
 * the default) and the paths at or below its own, segment by segment;
 * loopback hosts are self-hosted; nothing else passes, and the refusal
 * names where the policy requires it.
 */
#include <string.h>

#include "baa.h"
#include "tap.h"

static int
allowed(const struct llm_conf *c, const char *url)
{
	struct phk_err e;

	return baa_check(c, url, &e) == 0;
}

int
main(void)
{
	struct llm_endpoint eps[] = {
		{ "https://example-hospital.openai.azure.com/openai/", 1, NULL, "site.yaml:4" },
		{ "https://api.openai.com/v1", 0, "no agreement", "site.yaml:7" },
		{ "https://models.example.org:8443", 1, NULL, "site.yaml:9" },
		{ "not a url", 1, NULL, "site.yaml:11" },
	};
	struct llm_conf c = { 1, "hipaa.yaml:35", eps, 3 };
	struct llm_conf open = { 0, NULL, NULL, 0 };
	struct phk_err e;

	ok(allowed(&c, "https://example-hospital.openai.azure.com/openai/deployments/x/chat/completions"),
	    "a path below a listed base");
	ok(allowed(&c, "https://example-hospital.openai.azure.com/openai"), "the listed base itself");
	ok(allowed(&c, "https://EXAMPLE-Hospital.openai.azure.com:443/openai/x"),
	    "the host in any case, the default port written");
	ok(!allowed(&c, "https://example-hospital.openai.azure.com/openaix/chat/completions"),
	    "a sibling path that shares the prefix: refused");
	ok(!allowed(&c, "https://example-hospital.openai.azure.com.evil.net/openai/x"),
	    "a look-alike host: refused");
	ok(!allowed(&c, "http://example-hospital.openai.azure.com/openai/x"), "another scheme: refused");
	ok(!allowed(&c, "https://example-hospital.openai.azure.com:8443/openai/x"), "another port: refused");
	ok(allowed(&c, "https://models.example.org:8443/v1/chat/completions"), "a listed host and port");
	ok(!allowed(&c, "https://models.example.org/v1/chat/completions"), "the same host on 443: refused");
	ok(allowed(&c, "http://127.0.0.1:8080/v1/chat/completions"), "127.0.0.1: self-hosted");
	ok(allowed(&c, "http://127.3.4.5/v1"), "127.0.0.0/8: self-hosted");
	ok(allowed(&c, "http://[::1]:9/v1"), "::1: self-hosted");
	ok(allowed(&c, "http://localhost/v1"), "localhost: self-hosted");
	ok(!allowed(&c, "https://128.0.0.1/v1"), "128.0.0.1 is not loopback");
	ok(!allowed(&c, "https://localhost.example.net/v1"), "a host that starts with localhost: refused");
	ok(baa_check(&c, "https://api.openai.com/v1/chat/completions", &e) < 0 &&
	    e.status == PHK_EXIT_USAGE, "listed with baa: false: refused, exit 2");
	is_str(e.msg, "'https://api.openai.com/v1/chat/completions' is not covered by a business "
	    "associate agreement: hipaa.yaml:35 requires one (llm.require_baa), and site.yaml:7 lists "
	    "it with baa: false; list it under llm.endpoints with baa: true in a site policy, or run "
	    "the model on this host", "the refusal names both lines");
	ok(allowed(&open, "https://api.openai.com/v1/chat/completions"), "require_baa false: anywhere");
	c.nendpoints = 4;
	ok(baa_check(&c, "https://elsewhere.example/v1", &e) < 0, "a listed url that does not parse");
	is_str(e.msg, "site.yaml:11: llm.endpoints: not a url is not a URL", "named by its line");
	return done_testing();
}
