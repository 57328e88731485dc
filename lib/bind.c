#include <string.h>

#include "annot.h"
#include "bind.h"
#include "sha256.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void
bind_content_hex(const char *line, size_t n, const struct jscan *js, char hex[65])
{
	unsigned char h[32];
	size_t a, b, i;

	if (js->pk_key < 0) {
		sha256(h, line, n);
		hex32(hex, h);
		return;
	}
	a = (size_t)js->pk_key;
	b = (size_t)js->pk_end;
	for (i = a; i > 0 && is_ws(line[i - 1]); i--)
		;
	if (i > 0 && line[i - 1] == ',') {
		a = i - 1;	/* a member before it: ', "phikit": {...}' goes */
	} else {
		/* the first member: '"phikit": {...}, ' goes */
		for (i = b; i < n && is_ws(line[i]); i++)
			;
		if (i < n && line[i] == ',') {
			for (i++; i < n && is_ws(line[i]); i++)
				;
			b = i;
		}
	}
	sha256_2(h, line, a, line + b, n - b);
	hex32(hex, h);
}

/* What a phikit.<member> object says about what it vouches for. */
struct claim {
	const char *line;
	int has_sha, has_input, has_verdict, nfields, bad_field;
	char sha[65], input[65], verdict[8];
	struct fieldpath f[BIND_MAX_FIELDS];
};

static int
key_is(const struct jseg *g, const char *k)
{
	return g->key && g->klen == strlen(k) && memcmp(g->key, k, g->klen) == 0;
}

/* A hex SHA-256 as phikit writes it: 64 lowercase hex digits, no escapes. */
static int
hex_copy(char out[65], const char *p, size_t n, int esc)
{
	size_t i;

	if (esc || n != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	memcpy(out, p, 64);
	out[64] = '\0';
	return 1;
}

static int
on_claim(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct claim *c = ctx;
	const char *p = c->line + st;
	size_t n = en - st;

	if (jp->n == 1 && key_is(&jp->seg[0], "content_sha256"))
		c->has_sha = hex_copy(c->sha, p, n, esc) ? 1 : -1;
	else if (jp->n == 1 && key_is(&jp->seg[0], "input_sha256"))
		c->has_input = hex_copy(c->input, p, n, esc) ? 1 : -1;
	else if (jp->n == 1 && key_is(&jp->seg[0], "verdict")) {
		if (!esc && n < sizeof(c->verdict)) {
			memcpy(c->verdict, p, n);
			c->verdict[n] = '\0';
			c->has_verdict = 1;
		} else
			c->has_verdict = -1;
	} else if (jp->n == 2 && key_is(&jp->seg[0], "fields") && jp->seg[1].key == NULL) {
		char path[256];
		struct phk_err fe;
		if (esc || n >= sizeof(path) || c->nfields == BIND_MAX_FIELDS) {
			c->bad_field = 1;
			return 0;
		}
		memcpy(path, p, n);
		path[n] = '\0';
		if (fieldpath_parse(&c->f[c->nfields], path, &fe) < 0)
			c->bad_field = 1;
		else
			c->nfields++;
	}
	return 0;
}

static void
claim_release(struct claim *c)
{
	int i;

	for (i = 0; i < c->nfields; i++)
		fieldpath_release(&c->f[i]);
}

/* Reads phikit.<member>: 1 there (c filled), 0 absent, -1 e set. */
static int
read_claim(const char *line, size_t n, const struct jscan *js, const char *member,
    struct claim *c, struct phk_err *e)
{
	struct annot_pos pos;
	struct jscan ms;

	memset(c, 0, sizeof(*c));
	if (annot_locate(line, n, js, member, &pos, e) < 0)
		return -1;
	if (!pos.has_member)
		return 0;
	if (line[pos.at] != '{') {
		phk_err_set(e, PHK_EXIT_INPUT, "phikit.%s is not an object", member);
		return -1;
	}
	c->line = line + pos.at;
	jscan_init(&ms, NULL);
	ms.on_string = on_claim;
	ms.ctx = c;
	if (jscan_record(&ms, line + pos.at, pos.end - pos.at, e) < 0) {
		claim_release(c);
		return -1;
	}
	return 1;
}

int
bind_check_scrub(const char *line, size_t n, const struct jscan *js, const struct policy *p,
    struct phk_err *e)
{
	static const char redo[] = "run phi-scrub on it again before it is logged";
	struct claim c;
	char hex[65];
	size_t i;
	int k, rc;

	if (js->pk_key >= 0) {
		struct annot_pos rp;
		if (annot_locate(line, n, js, "restore", &rp, e) < 0)
			return -1;
		if (rp.has_member) {
			phk_err_set(e, PHK_EXIT_INPUT, "record carries phikit.restore: phi-restore put "
			    "its original values back, so it holds PHI again and is not logged as "
			    "scrubbed");
			return -1;
		}
	}
	if ((rc = read_claim(line, n, js, "scrub", &c, e)) < 0)
		return -1;
	if (rc == 0) {
		phk_err_set(e, PHK_EXIT_INPUT, "record has no phikit.scrub annotation; the "
		    "policy requires records scrubbed by phi-scrub before they are logged");
		return -1;
	}
	if (c.has_sha != 1) {
		claim_release(&c);
		phk_err_set(e, PHK_EXIT_INPUT, "record's phikit.scrub does not say what it "
		    "scrubbed (no content_sha256: written by hand or by an older phi-scrub); %s", redo);
		return -1;
	}
	bind_content_hex(line, n, js, hex);
	if (strcmp(hex, c.sha)) {
		claim_release(&c);
		phk_err_set(e, PHK_EXIT_INPUT, "record changed after phi-scrub scrubbed it (a "
		    "model's answer or another field was added or edited since: its content no "
		    "longer matches phikit.scrub.content_sha256); %s", redo);
		return -1;
	}
	if (c.bad_field || c.nfields == 0) {
		claim_release(&c);
		phk_err_set(e, PHK_EXIT_INPUT, "record's phikit.scrub does not say which fields "
		    "it searched; %s", redo);
		return -1;
	}
	/* every field the policy names is under one phi-scrub searched */
	for (i = 0; i < (p->ledger_content_fields.n ? p->ledger_content_fields.n : 1); i++) {
		struct fieldpath r;
		struct phk_err fe;
		int covered = 0;
		if (fieldpath_parse(&r, p->ledger_content_fields.n ?
		    p->ledger_content_fields.v[i] : ".", &fe) < 0) {
			claim_release(&c);
			*e = fe;
			return -1;
		}
		for (k = 0; k < c.nfields && !covered; k++)
			covered = fieldpath_covers(&c.f[k], &r);
		if (!covered) {
			phk_err_set(e, PHK_EXIT_INPUT, "phi-scrub searched only some fields of this "
			    "record (--field); the policy's ledger.content_fields needs %.100s searched: "
			    "scrub the record without --field, or name that field too", r.text);
			fieldpath_release(&r);
			claim_release(&c);
			return -1;
		}
		fieldpath_release(&r);
	}
	claim_release(&c);
	return 0;
}

int
bind_guard_verdict(const char *line, size_t n, const struct jscan *js, char verdict[8],
    struct phk_err *e)
{
	struct claim g, s;
	char hex[65];
	int rc;

	if ((rc = read_claim(line, n, js, "guard", &g, e)) < 0)
		return -1;
	if (rc == 0) {
		phk_err_set(e, PHK_EXIT_INPUT, "record has no phikit.guard verdict: run "
		    "guard-check on it before hitl gate");
		return -1;
	}
	claim_release(&g);
	if (g.has_verdict != 1 || (strcmp(g.verdict, "allow") && strcmp(g.verdict, "warn") &&
	    strcmp(g.verdict, "ask") && strcmp(g.verdict, "deny"))) {
		phk_err_set(e, PHK_EXIT_INPUT, "phikit.guard.verdict is not allow, warn, ask or deny");
		return -1;
	}
	if (g.has_sha != 1) {
		phk_err_set(e, PHK_EXIT_INPUT, "record's phikit.guard does not say what it "
		    "checked (no content_sha256: written by hand or by an older guard-check); run "
		    "guard-check on it again");
		return -1;
	}
	bind_content_hex(line, n, js, hex);
	if (strcmp(hex, g.sha)) {
		/* guard-check, then phi-scrub: the verdict is on what phi-scrub was given */
		if ((rc = read_claim(line, n, js, "scrub", &s, e)) < 0)
			return -1;
		claim_release(&s);
		if (rc == 0 || s.has_sha != 1 || s.has_input != 1 || strcmp(s.sha, hex) ||
		    strcmp(s.input, g.sha)) {
			phk_err_set(e, PHK_EXIT_INPUT, "record changed after guard-check judged it "
			    "(its content no longer matches phikit.guard.content_sha256); run "
			    "guard-check on it again");
			return -1;
		}
	}
	memcpy(verdict, g.verdict, sizeof(g.verdict));
	return 0;
}
