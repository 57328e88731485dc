#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "policy.h"

/* Room for one more element at the end of a policy array; -1 leaves it as it was. */
#define ARRAY_RESERVE_N(a, n) grow1((void *)&(a), (a), (n), sizeof(*(a)))
static int
grow1(void *slot, void *p, size_t n, size_t size)
{
	void *q = realloc(p, (n + 1) * size);

	if (q == NULL)
		return -1;
	memcpy(slot, &q, sizeof(q));	/* no type-punned pointer store */
	/* q now lives in *slot, which cppcheck cannot follow through memcpy */
	// cppcheck-suppress memleak
	return 0;
}

static const char *const cat_names[CAT__N] = {
	"NAME", "ADDRESS", "CITY", "ZIP", "DATE", "AGE", "PHONE", "FAX",
	"EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "CARD", "LICENSE",
	"DEA", "NPI", "VEHICLE", "DEVICE", "URL", "IP", "BIOMETRIC", "PHOTO",
	"ID",
};

static const char *const val_names[V__N] = {
	"none", "luhn", "card", "npi", "dea", "ssn", "date", "ipv4", "ipv6",
	"vin", "age", "zip", "phone", "after_state", "phone_any", "iban",
};

static const char *const act_names[ACT__N] = {
	"approve", "reject", "release", "anonymize", "export",
};

const char *
action_name(int act)
{
	return act >= 0 && act < ACT__N ? act_names[act] : "?";
}

const char *
cat_name(int cat)
{
	return cat >= 0 && cat < CAT__N ? cat_names[cat] : "?";
}

int
cat_parse(const char *s)
{
	int i;

	for (i = 0; i < CAT__N; i++)
		if (strcmp(s, cat_names[i]) == 0)
			return i;
	return -1;
}

const char *
policy_default_path(void)
{
	static char built[PATH_MAX];
	const char *p = getenv("PHIKIT_POLICY"), *installed = PHIKIT_DATADIR "/policies/hipaa.yaml";
	char *slash;
	ssize_t n;

	if (p && *p)
		return p;
	if (access(installed, R_OK) == 0)
		return installed;
	/*
	 * Not installed: programs run from a build tree (bin/ beside
	 * policies/) find the preset there, as make demo and the README do.
	 */
	n = readlink("/proc/self/exe", built, sizeof(built) - 32);
	if (n > 0) {
		built[n] = '\0';
		if ((slash = strrchr(built, '/')) != NULL) {
			memcpy(slash, "/../policies/hipaa.yaml", sizeof("/../policies/hipaa.yaml"));
			if (access(built, R_OK) == 0)
				return built;
		}
	}
	return installed;
}

/* Loader state for one file. */
struct ld {
	const char *file;
	char *dir;		/* directory of file, for relative paths */
	yaml_document_t doc;
	struct phk_err *e;
};

struct loadctx {
	crypto_hash_sha256_state h;
	int depth;
};

static int errat(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
errat(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	phk_err_set(l->e, PHK_EXIT_USAGE, "%s:%zu:%zu: %s", l->file,
	    n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, msg);
	return -1;
}

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const char *
scalar(struct ld *l, yaml_node_t *n, const char *what)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE) {
		errat(l, n, "%s must be a scalar", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int
get_bool(struct ld *l, yaml_node_t *n, const char *what, int *out)
{
	const char *s = scalar(l, n, what);

	if (s == NULL)
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = 0;
	else
		return errat(l, n, "%s must be true or false", what);
	return 0;
}

static int
get_long(struct ld *l, yaml_node_t *n, const char *what, long lo, long hi, long *out)
{
	const char *s = scalar(l, n, what);
	char *end;
	long v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return errat(l, n, "%s must be a whole number in range", what);
	*out = v;
	return 0;
}

static int
get_int(struct ld *l, yaml_node_t *n, const char *what, long lo, long hi, int *out)
{
	long v;

	if (get_long(l, n, what, lo, hi, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int
get_str(struct ld *l, yaml_node_t *n, const char *what, char **out)
{
	const char *s = scalar(l, n, what);

	if (s == NULL)
		return -1;
	free(*out);
	if ((*out = strdup(s)) == NULL)
		return errat(l, n, "%s: out of memory", what);
	return 0;
}

static char *
resolve(struct ld *l, const char *rel)
{
	char *p;
	size_t n;

	if (rel[0] == '/')
		return strdup(rel);
	n = strlen(l->dir) + strlen(rel) + 2;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", l->dir, rel);
	return p;
}

static int
get_path(struct ld *l, yaml_node_t *n, const char *what, char **out)
{
	const char *s = scalar(l, n, what);

	if (s == NULL)
		return -1;
	free(*out);
	if ((*out = resolve(l, s)) == NULL)
		return errat(l, n, "%s: out of memory", what);
	return 0;
}

static int
strlist_add(struct strlist *sl, const char *s)
{
	char **v = realloc(sl->v, (sl->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	sl->v = v;
	if ((v[sl->n] = strdup(s)) == NULL)
		return -1;
	sl->n++;
	return 0;
}

static void
strlist_free(struct strlist *sl)
{
	size_t i;

	for (i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

/* Appends every item of a sequence of scalars (replace: clear first). */
static int
get_list(struct ld *l, yaml_node_t *n, const char *what, struct strlist *sl, int replace)
{
	yaml_node_item_t *it;
	const char *s;

	if (n->type != YAML_SEQUENCE_NODE)
		return errat(l, n, "%s must be a list", what);
	if (replace)
		strlist_free(sl);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(&l->doc, *it);
		if ((s = scalar(l, c, what)) == NULL)
			return -1;
		if (strlist_add(sl, s) < 0)
			return errat(l, c, "%s: out of memory", what);
	}
	return 0;
}

#define FOREACH_PAIR(l, map, k, v, pr) \
	for (pr = (map)->data.mapping.pairs.start; \
	    pr < (map)->data.mapping.pairs.top && \
	    ((k = yaml_document_get_node(&(l)->doc, pr->key)), \
	     (v = yaml_document_get_node(&(l)->doc, pr->value)), 1); pr++)

static int
need_map(struct ld *l, yaml_node_t *n, const char *what)
{
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return errat(l, n, "%s must be a mapping", what);
	return 0;
}

static const char *
keyname(struct ld *l, yaml_node_t *k)
{
	return scalar(l, k, "a key");
}

static struct scrub_rule *
find_rule(struct policy *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].id, id) == 0)
			return &p->rules[i];
	return NULL;
}

static void strlist_free(struct strlist *sl);

static void
rule_free(struct scrub_rule *r)
{
	free(r->id);
	regex_release(&r->re);
	regex_release(&r->gate);
	strlist_free(&r->triggers);
	strlist_free(&r->requires);
}

static int
load_rule(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v, *patnode = NULL, *idnode = NULL;
	struct scrub_rule r, *old;
	const char *key, *s;
	char *pat = NULL, *gate = NULL;
	yaml_node_t *gatenode = NULL;
	int caseless = 0, i;
	struct phk_err ce;

	memset(&r, 0, sizeof(r));
	r.cat = -1;
	if (need_map(l, n, "a rule") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			goto bad;
		if (!strcmp(key, "id")) {
			idnode = v;
			if (get_str(l, v, "id", &r.id) < 0)
				goto bad;
		} else if (!strcmp(key, "category")) {
			if ((s = scalar(l, v, "category")) == NULL)
				goto bad;
			if ((r.cat = cat_parse(s)) < 0) {
				errat(l, v, "unknown category '%s'", s);
				goto bad;
			}
		} else if (!strcmp(key, "pattern")) {
			patnode = v;
			if (get_str(l, v, "pattern", &pat) < 0)
				goto bad;
		} else if (!strcmp(key, "validate")) {
			if ((s = scalar(l, v, "validate")) == NULL)
				goto bad;
			for (i = 0; i < V__N && strcmp(s, val_names[i]); i++)
				;
			if (i == V__N) {
				errat(l, v, "unknown validator '%s'", s);
				goto bad;
			}
			r.validate = i;
		} else if (!strcmp(key, "triggers")) {
			if (get_list(l, v, key, &r.triggers, 1) < 0)
				goto bad;
		} else if (!strcmp(key, "requires")) {
			if (get_list(l, v, key, &r.requires, 1) < 0)
				goto bad;
		} else if (!strcmp(key, "min_digits")) {
			if (get_int(l, v, key, 0, 1024, &r.min_digits) < 0)
				goto bad;
		} else if (!strcmp(key, "anchor")) {
			if ((s = scalar(l, v, key)) == NULL)
				goto bad;
			if (!strcmp(s, "trigger"))
				r.anchor_trigger = 1;
			else if (strcmp(s, "scan")) {
				errat(l, v, "anchor must be trigger or scan, not '%s'", s);
				goto bad;
			}
		} else if (!strcmp(key, "min_digit_run")) {
			if (get_int(l, v, key, 0, 1024, &r.min_digit_run) < 0)
				goto bad;
		} else if (!strcmp(key, "gate")) {
			gatenode = v;
			if (get_str(l, v, "gate", &gate) < 0)
				goto bad;
		} else if (!strcmp(key, "min_run")) {
			if (get_int(l, v, key, 0, 1024, &r.min_run) < 0)
				goto bad;
		} else if (!strcmp(key, "caseless")) {
			if (get_bool(l, v, "caseless", &caseless) < 0)
				goto bad;
		} else if (!strcmp(key, "description") || !strcmp(key, "citation")) {
			if (scalar(l, v, key) == NULL)
				goto bad;
		} else {
			errat(l, k, "unknown key '%s' in a rule", key);
			goto bad;
		}
	}
	if (r.id == NULL) {
		errat(l, n, "%s", "a rule needs an id");
		goto bad;
	}
	if (r.cat < 0 || pat == NULL) {
		errat(l, idnode, "rule '%s' needs a category and a pattern", r.id);
		goto bad;
	}
	if (r.anchor_trigger && r.triggers.n == 0) {
		errat(l, idnode, "rule '%s' is anchored on triggers but has none", r.id);
		goto bad;
	}
	if ((r.anchor_trigger ? regex_compile_anchored(&r.re, pat, caseless, &ce) :
	    regex_compile(&r.re, pat, caseless, &ce)) < 0) {
		errat(l, patnode, "rule '%.100s': %.250s", r.id, ce.msg);
		goto bad;
	}
	if (gate && regex_compile(&r.gate, gate, 0, &ce) < 0) {
		errat(l, gatenode, "rule '%.100s' gate: %.250s", r.id, ce.msg);
		goto bad;
	}
	free(pat);
	free(gate);
	if ((old = find_rule(p, r.id)) != NULL) {
		/* A site rule with a base rule's id replaces it in place. */
		rule_free(old);
		*old = r;
		return 0;
	}
	old = realloc(p->rules, (p->nrules + 1) * sizeof(*old));
	if (old == NULL) {
		errat(l, n, "%s", "out of memory");
		rule_free(&r);
		return -1;
	}
	p->rules = old;
	p->rules[p->nrules++] = r;
	return 0;
bad:
	free(pat);
	free(gate);
	rule_free(&r);
	return -1;
}

static int
load_names(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct names_conf *nc = &p->names;
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key;

	if (need_map(l, n, "names") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		int rc;
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "enabled"))
			rc = get_bool(l, v, key, &nc->enabled);
		else if (!strcmp(key, "first_names"))
			rc = get_path(l, v, key, &nc->first_names);
		else if (!strcmp(key, "surnames"))
			rc = get_path(l, v, key, &nc->surnames);
		else if (!strcmp(key, "english_words"))
			rc = get_path(l, v, key, &nc->english);
		else if (!strcmp(key, "medical_words"))
			rc = get_path(l, v, key, &nc->medical);
		else if (!strcmp(key, "titles"))
			rc = get_list(l, v, key, &nc->titles, 0);
		else if (!strcmp(key, "relations"))
			rc = get_list(l, v, key, &nc->relations, 0);
		else if (!strcmp(key, "particles"))
			rc = get_list(l, v, key, &nc->particles, 0);
		else if (!strcmp(key, "verbs_after"))
			rc = get_list(l, v, key, &nc->verbs_after, 0);
		else if (!strcmp(key, "cues_before"))
			rc = get_list(l, v, key, &nc->cues_before, 0);
		else if (!strcmp(key, "cues_after"))
			rc = get_list(l, v, key, &nc->cues_after, 0);
		else if (!strcmp(key, "labels"))
			rc = get_list(l, v, key, &nc->labels, 0);
		else if (!strcmp(key, "not_names"))
			rc = get_list(l, v, key, &nc->not_names, 0);
		else if (!strcmp(key, "eponym_next"))
			rc = get_list(l, v, key, &nc->eponym_next, 0);
		else if (!strcmp(key, "places"))
			rc = get_path(l, v, key, &nc->places);
		else if (!strcmp(key, "facility_words"))
			rc = get_list(l, v, key, &nc->facility, 0);
		else if (!strcmp(key, "model"))
			rc = get_path(l, v, key, &nc->model);
		else if (!strcmp(key, "detect")) {
			const char *d = scalar(l, v, key);
			rc = d == NULL ? -1 : !strcmp(d, "both") ? (nc->detect = NAMES_DETECT_BOTH, 0) :
			    !strcmp(d, "rules") ? (nc->detect = NAMES_DETECT_RULES, 0) :
			    !strcmp(d, "model") ? (nc->detect = NAMES_DETECT_MODEL, 0) :
			    errat(l, v, "%s", "names.detect is both, rules or model");
		} else
			rc = errat(l, k, "unknown key '%s' in names", key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
load_scrub(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr, *zp;
	yaml_node_t *k, *v, *zk, *zv;
	yaml_node_item_t *it;
	const char *key, *s;
	long x;

	if (need_map(l, n, "scrub") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "replace")) {
			if ((s = scalar(l, v, key)) == NULL)
				return -1;
			if (!strcmp(s, "tag"))
				p->replace = REPLACE_TAG;
			else if (!strcmp(s, "mask"))
				p->replace = REPLACE_MASK;
			else if (!strcmp(s, "pseudonym"))
				p->replace = REPLACE_PSEUDONYM;
			else
				return errat(l, v, "replace must be tag, mask or pseudonym, not '%s'", s);
		} else if (!strcmp(key, "keep_year")) {
			if (get_bool(l, v, key, &p->keep_year) < 0)
				return -1;
		} else if (!strcmp(key, "age_over")) {
			if (get_long(l, v, key, 0, 200, &x) < 0)
				return -1;
			p->age_over = (int)x;
		} else if (!strcmp(key, "match_limit")) {
			if (get_long(l, v, key, 1000, 100000000, &x) < 0)
				return -1;
			p->match_limit = (unsigned long)x;
		} else if (!strcmp(key, "zip")) {
			if (need_map(l, v, "zip") < 0)
				return -1;
			FOREACH_PAIR(l, v, zk, zv, zp) {
				if ((key = keyname(l, zk)) == NULL)
					return -1;
				if (!strcmp(key, "mode")) {
					if ((s = scalar(l, zv, key)) == NULL)
						return -1;
					if (!strcmp(s, "truncate"))
						p->zip_mode = ZIP_TRUNCATE;
					else if (!strcmp(s, "remove"))
						p->zip_mode = ZIP_REMOVE;
					else
						return errat(l, zv, "zip mode must be truncate or remove, not '%s'", s);
				} else if (!strcmp(key, "restricted")) {
					if (get_list(l, zv, key, &p->zip_restricted, 1) < 0)
						return -1;
				} else
					return errat(l, zk, "unknown key '%s' in zip", key);
			}
		} else if (!strcmp(key, "names")) {
			if (load_names(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "rules")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return errat(l, v, "%s must be a list", key);
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
				if (load_rule(l, p, yaml_document_get_node(&l->doc, *it)) < 0)
					return -1;
		} else if (!strcmp(key, "disable")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return errat(l, v, "%s must be a list", key);
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				yaml_node_t *c = yaml_document_get_node(&l->doc, *it);
				struct scrub_rule *r;
				if ((s = scalar(l, c, "disable")) == NULL)
					return -1;
				if ((r = find_rule(p, s)) == NULL)
					return errat(l, c, "no rule '%s' to disable", s);
				rule_free(r);
				memmove(r, r + 1, (size_t)(p->rules + --p->nrules - r) * sizeof(*r));
			}
		} else
			return errat(l, k, "unknown key '%s' in scrub", key);
	}
	return 0;
}

/* ---- guard-check sections ---- */

static const char *const sev_names[] = { "allow", "warn", "ask", "deny" };

const char *
sev_name(int sev)
{
	return sev >= SEV_ALLOW && sev <= SEV_DENY ? sev_names[sev] : "?";
}

static int
get_sev(struct ld *l, yaml_node_t *n, const char *what, int lo, int *out)
{
	const char *s = scalar(l, n, what);
	int i;

	if (s == NULL)
		return -1;
	for (i = lo; i <= SEV_DENY; i++)
		if (!strcmp(s, sev_names[i])) {
			*out = i;
			return 0;
		}
	return errat(l, n, "%s must be %s, not '%s'", what,
	    lo == SEV_WARN ? "warn, ask or deny" : "allow, ask or deny", s);
}

/*
 * Patterns may name a term of the policy as {{name}}: a long alternation
 * (conditions, drugs) written once and shared by the rules that need it.
 */
static int
expand_terms(struct ld *l, const struct policy *p, yaml_node_t *n, const char *pat, char **out)
{
	size_t len = strlen(pat), cap = len + 1, k = 0, i, t;
	char *o = malloc(cap);

	if (o == NULL)
		return errat(l, n, "%s", "out of memory");
	for (i = 0; i < len; ) {
		const char *add = pat + i, *close;
		size_t addn = 1, skip = 1;
		int wrap = 0;
		if (pat[i] == '{' && pat[i + 1] == '{' && (close = strstr(pat + i + 2, "}}")) != NULL) {
			size_t nl = (size_t)(close - (pat + i + 2));
			for (t = 0; t < p->term_names.n; t++)
				if (strlen(p->term_names.v[t]) == nl &&
				    !memcmp(p->term_names.v[t], pat + i + 2, nl))
					break;
			if (t == p->term_names.n) {
				free(o);
				return errat(l, n, "unknown term '{{%.*s}}'", (int)(nl > 64 ? 64 : nl),
				    pat + i + 2);
			}
			add = p->term_pats.v[t];
			addn = strlen(add);
			skip = nl + 4;
			wrap = 1;
		}
		if (k + addn + 8 > cap) {
			char *x;
			cap = (k + addn + 8) * 2;
			if (cap > (1u << 20) || (x = realloc(o, cap)) == NULL) {
				free(o);
				return errat(l, n, "%s", "pattern too long with its terms");
			}
			o = x;
		}
		if (wrap) {
			memcpy(o + k, "(?:", 3);
			k += 3;
		}
		memcpy(o + k, add, addn);
		k += addn;
		if (wrap)
			o[k++] = ')';
		i += skip;
	}
	o[k] = '\0';
	*out = o;
	return 0;
}

static int
get_regex_opts(struct ld *l, struct policy *p, yaml_node_t *n, const char *what,
    const char *id, int caseless, int whole, int anchored, struct regex *r)
{
	const char *s = scalar(l, n, what);
	char *pat;
	struct phk_err ce;

	if (s == NULL)
		return -1;
	if (expand_terms(l, p, n, s, &pat) < 0)
		return -1;
	if (whole) {
		size_t wl = strlen(pat) + 8;
		char *w = malloc(wl);
		if (w == NULL) {
			free(pat);
			return errat(l, n, "%s", "out of memory");
		}
		snprintf(w, wl, "^(?:%s)$", pat);
		free(pat);
		pat = w;
	}
	regex_release(r);
	if ((anchored ? regex_compile_anchored(r, pat, caseless, &ce) :
	    regex_compile(r, pat, caseless, &ce)) < 0) {
		free(pat);
		return errat(l, n, "rule '%.100s' %s: %.250s", id ? id : "?", what, ce.msg);
	}
	free(pat);
	return 0;
}

static int
get_regex(struct ld *l, struct policy *p, yaml_node_t *n, const char *what, const char *id,
    int caseless, struct regex *r)
{
	return get_regex_opts(l, p, n, what, id, caseless, 0, 0, r);
}

static int
load_terms(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key, *s;
	size_t t;

	if (need_map(l, n, "terms") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		char *pat;
		if ((key = keyname(l, k)) == NULL || (s = scalar(l, v, key)) == NULL)
			return -1;
		if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key))
			return errat(l, k, "term name '%s' must be lowercase letters, digits, _", key);
		/* a term may use the terms before it */
		if (expand_terms(l, p, v, s, &pat) < 0)
			return -1;
		for (t = 0; t < p->term_names.n && strcmp(p->term_names.v[t], key); t++)
			;
		if (t < p->term_names.n) {
			free(p->term_pats.v[t]);
			p->term_pats.v[t] = pat;
			continue;
		}
		if (strlist_add(&p->term_names, key) < 0 || strlist_add(&p->term_pats, pat) < 0) {
			free(pat);
			return errat(l, v, "%s", "out of memory");
		}
		free(pat);
	}
	return 0;
}

static void
guard_rule_free(struct guard_rule *r)
{
	free(r->id);
	free(r->kind);
	free(r->citation);
	regex_release(&r->re);
	regex_release(&r->unless_before);
	regex_release(&r->unless_sentence);
	regex_release(&r->except);
	strlist_free(&r->triggers);
}

/* Finds id in an array of structs whose first member is char *id. */
#define FIND_ID(arr, nel, want, out) do { \
	size_t i_; (out) = NULL; \
	for (i_ = 0; i_ < (nel); i_++) \
		if (strcmp((arr)[i_].id, (want)) == 0) { (out) = &(arr)[i_]; break; } \
} while (0)

static int
load_guard_rule(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v, *idnode = n, *pat = NULL, *ub = NULL, *us = NULL, *ex = NULL;
	struct guard_rule r, *old;
	const char *key, *s;
	int caseless = 1, enabled = 1, sev_set = 0, c;
	yaml_node_item_t *it;

	memset(&r, 0, sizeof(r));
	if (need_map(l, n, "a prohibited_output rule") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		int rc = 0;
		if ((key = keyname(l, k)) == NULL)
			goto bad;
		if (!strcmp(key, "id")) {
			idnode = v;
			rc = get_str(l, v, key, &r.id);
		} else if (!strcmp(key, "kind"))
			rc = get_str(l, v, key, &r.kind);
		else if (!strcmp(key, "citation"))
			rc = get_str(l, v, key, &r.citation);
		else if (!strcmp(key, "description"))
			rc = scalar(l, v, key) ? 0 : -1;
		else if (!strcmp(key, "severity")) {
			rc = get_sev(l, v, key, SEV_WARN, &r.severity);
			sev_set = 1;
		} else if (!strcmp(key, "pattern"))
			pat = v;
		else if (!strcmp(key, "unless_before"))
			ub = v;
		else if (!strcmp(key, "unless_sentence"))
			us = v;
		else if (!strcmp(key, "except"))
			ex = v;
		else if (!strcmp(key, "triggers"))
			rc = get_list(l, v, key, &r.triggers, 1);
		else if (!strcmp(key, "anchor")) {
			if ((s = scalar(l, v, key)) == NULL)
				goto bad;
			if (!strcmp(s, "trigger"))
				r.anchor_trigger = 1;
			else if (strcmp(s, "scan"))
				rc = errat(l, v, "anchor must be trigger or scan, not '%s'", s);
		}
		else if (!strcmp(key, "caseless"))
			rc = get_bool(l, v, key, &caseless);
		else if (!strcmp(key, "enabled"))
			rc = get_bool(l, v, key, &enabled);
		else if (!strcmp(key, "quoted")) {
			if ((s = scalar(l, v, key)) == NULL)
				goto bad;
			if (!strcmp(s, "count"))
				r.quoted = 1;
			else if (strcmp(s, "skip"))
				rc = errat(l, v, "quoted must be skip or count, not '%s'", s);
		} else if (!strcmp(key, "detect")) {
			if ((s = scalar(l, v, key)) == NULL)
				goto bad;
			if (strcmp(s, "phi"))
				rc = errat(l, v, "detect must be phi, not '%s'", s);
			r.detect_phi = 1;
		} else if (!strcmp(key, "categories")) {
			if (v->type != YAML_SEQUENCE_NODE) {
				rc = errat(l, v, "%s must be a list", key);
			} else
				for (it = v->data.sequence.items.start; rc == 0 &&
				    it < v->data.sequence.items.top; it++) {
					yaml_node_t *cn = yaml_document_get_node(&l->doc, *it);
					if ((s = scalar(l, cn, key)) == NULL)
						goto bad;
					if ((c = cat_parse(s)) < 0)
						rc = errat(l, cn, "unknown category '%s'", s);
					else
						r.cats |= 1ul << c;
				}
		} else
			rc = errat(l, k, "unknown key '%s' in a prohibited_output rule", key);
		if (rc < 0)
			goto bad;
	}
	if (r.id == NULL) {
		errat(l, n, "%s", "a prohibited_output rule needs an id");
		goto bad;
	}
	if (!enabled) {
		/* a site policy turns a base rule off by its id */
		FIND_ID(p->guard, p->nguard, r.id, old);
		if (old == NULL) {
			errat(l, idnode, "no prohibited_output rule '%s' to disable", r.id);
			goto bad;
		}
		guard_rule_free(old);
		memmove(old, old + 1, (size_t)(p->guard + --p->nguard - old) * sizeof(*old));
		guard_rule_free(&r);
		return 0;
	}
	if (r.citation == NULL || !sev_set || (pat == NULL) == !r.detect_phi) {
		errat(l, idnode, "rule '%s' needs a citation, a severity, and a pattern or detect: phi",
		    r.id);
		goto bad;
	}
	if (r.kind == NULL && (r.kind = strdup(r.detect_phi ? "phi" : r.id)) == NULL)
		goto oom;
	if (r.detect_phi && r.cats == 0)
		r.cats = (1ul << CAT__N) - 1;
	if (r.anchor_trigger && (pat == NULL || r.triggers.n == 0)) {
		errat(l, idnode, "rule '%s' is anchored on triggers but has no pattern or no triggers", r.id);
		goto bad;
	}
	if ((pat && get_regex_opts(l, p, pat, "pattern", r.id, caseless, 0, r.anchor_trigger,
	    &r.re) < 0) ||
	    (ub && get_regex(l, p, ub, "unless_before", r.id, caseless, &r.unless_before) < 0) ||
	    (us && get_regex(l, p, us, "unless_sentence", r.id, caseless, &r.unless_sentence) < 0))
		goto bad;
	/* whole findings only, so "{{drug}}" cannot excuse a name that holds one */
	if (ex && get_regex_opts(l, p, ex, "except", r.id, caseless, 1, 0, &r.except) < 0)
		goto bad;
	FIND_ID(p->guard, p->nguard, r.id, old);
	if (old != NULL) {
		guard_rule_free(old);
		*old = r;
		return 0;
	}
	if (ARRAY_RESERVE_N(p->guard, p->nguard) < 0)
		goto oom;
	p->guard[p->nguard++] = r;
	return 0;
oom:
	errat(l, n, "%s", "out of memory");
bad:
	guard_rule_free(&r);
	return -1;
}

static void
disclosure_free(struct disclosure *d)
{
	free(d->id);
	free(d->kind);
	free(d->citation);
	free(d->text);
	regex_release(&d->when);
	regex_release(&d->requires);
	free(d->when_src);
}

static int
load_disclosure(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v, *idnode = n, *when = NULL, *req = NULL;
	struct disclosure d, *old;
	const char *key, *s;
	int enabled = 1, act = 0;

	memset(&d, 0, sizeof(d));
	if (need_map(l, n, "a required_disclosure rule") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		int rc = 0;
		if ((key = keyname(l, k)) == NULL)
			goto bad;
		if (!strcmp(key, "id")) {
			idnode = v;
			rc = get_str(l, v, key, &d.id);
		} else if (!strcmp(key, "kind"))
			rc = get_str(l, v, key, &d.kind);
		else if (!strcmp(key, "citation"))
			rc = get_str(l, v, key, &d.citation);
		else if (!strcmp(key, "text"))
			rc = get_str(l, v, key, &d.text);
		else if (!strcmp(key, "description"))
			rc = scalar(l, v, key) ? 0 : -1;
		else if (!strcmp(key, "when")) {
			when = v;
			rc = get_str(l, v, key, &d.when_src);
		} else if (!strcmp(key, "requires"))
			req = v;
		else if (!strcmp(key, "enabled"))
			rc = get_bool(l, v, key, &enabled);
		else if (!strcmp(key, "action")) {
			if ((s = scalar(l, v, key)) == NULL)
				goto bad;
			act = 1;
			if (!strcmp(s, "append"))
				d.action = DISC_APPEND;
			else if (!strcmp(s, "deny"))
				d.action = DISC_DENY;
			else
				rc = errat(l, v, "action must be deny or append, not '%s'", s);
		} else
			rc = errat(l, k, "unknown key '%s' in a required_disclosure rule", key);
		if (rc < 0)
			goto bad;
	}
	if (d.id == NULL) {
		errat(l, n, "%s", "a required_disclosure rule needs an id");
		goto bad;
	}
	if (!enabled) {
		FIND_ID(p->disc, p->ndisc, d.id, old);
		if (old == NULL) {
			errat(l, idnode, "no required_disclosure rule '%s' to disable", d.id);
			goto bad;
		}
		disclosure_free(old);
		memmove(old, old + 1, (size_t)(p->disc + --p->ndisc - old) * sizeof(*old));
		disclosure_free(&d);
		return 0;
	}
	if (d.citation == NULL || when == NULL || req == NULL || d.text == NULL || !act) {
		errat(l, idnode, "rule '%s' needs when, requires, text, action and a citation", d.id);
		goto bad;
	}
	if (d.kind == NULL && (d.kind = strdup("disclosure")) == NULL)
		goto oom;
	if (get_regex(l, p, when, "when", d.id, 1, &d.when) < 0 ||
	    get_regex(l, p, req, "requires", d.id, 1, &d.requires) < 0)
		goto bad;
	FIND_ID(p->disc, p->ndisc, d.id, old);
	if (old != NULL) {
		disclosure_free(old);
		*old = d;
		return 0;
	}
	if (ARRAY_RESERVE_N(p->disc, p->ndisc) < 0)
		goto oom;
	p->disc[p->ndisc++] = d;
	return 0;
oom:
	errat(l, n, "%s", "out of memory");
bad:
	disclosure_free(&d);
	return -1;
}

static void
perm_free(struct perm_rule *r)
{
	free(r->id);
	free(r->reason);
	free(r->citation);
	regex_release(&r->tool);
	regex_release(&r->agent);
	regex_release(&r->args);
}

static int
load_perm(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr, *wp;
	yaml_node_t *k, *v, *wk, *wv, *idnode = n, *when = NULL;
	struct perm_rule r, *old;
	const char *key;
	int beh = 0, enabled = 1;

	memset(&r, 0, sizeof(r));
	if (need_map(l, n, "a permissions rule") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		int rc = 0;
		if ((key = keyname(l, k)) == NULL)
			goto bad;
		if (!strcmp(key, "id")) {
			idnode = v;
			rc = get_str(l, v, key, &r.id);
		} else if (!strcmp(key, "reason"))
			rc = get_str(l, v, key, &r.reason);
		else if (!strcmp(key, "citation"))
			rc = get_str(l, v, key, &r.citation);
		else if (!strcmp(key, "description"))
			rc = scalar(l, v, key) ? 0 : -1;
		else if (!strcmp(key, "enabled"))
			rc = get_bool(l, v, key, &enabled);
		else if (!strcmp(key, "behavior")) {
			rc = get_sev(l, v, key, SEV_ALLOW, &r.behavior);
			if (rc == 0 && r.behavior == SEV_WARN)
				rc = errat(l, v, "%s", "behavior must be allow, ask or deny, not 'warn'");
			beh = 1;
		} else if (!strcmp(key, "when")) {
			when = v;
			if (need_map(l, v, "when") < 0)
				goto bad;
		} else
			rc = errat(l, k, "unknown key '%s' in a permissions rule", key);
		if (rc < 0)
			goto bad;
	}
	if (r.id == NULL) {
		errat(l, n, "%s", "a permissions rule needs an id");
		goto bad;
	}
	if (!enabled) {
		FIND_ID(p->perms, p->nperms, r.id, old);
		if (old == NULL) {
			errat(l, idnode, "no permissions rule '%s' to disable", r.id);
			goto bad;
		}
		perm_free(old);
		memmove(old, old + 1, (size_t)(p->perms + --p->nperms - old) * sizeof(*old));
		perm_free(&r);
		return 0;
	}
	if (when == NULL || !beh || r.reason == NULL) {
		errat(l, idnode, "rule '%s' needs when, behavior and a reason", r.id);
		goto bad;
	}
	FOREACH_PAIR(l, when, wk, wv, wp) {
		int rc;
		if ((key = keyname(l, wk)) == NULL)
			goto bad;
		if (!strcmp(key, "tool"))
			rc = get_regex(l, p, wv, "tool", r.id, 0, &r.tool);
		else if (!strcmp(key, "agent"))
			rc = get_regex(l, p, wv, "agent", r.id, 0, &r.agent);
		else if (!strcmp(key, "args_pattern"))
			rc = get_regex(l, p, wv, "args_pattern", r.id, 1, &r.args);
		else
			rc = errat(l, wk, "unknown key '%s' in when (tool, agent, args_pattern)", key);
		if (rc < 0)
			goto bad;
	}
	if (!r.tool.code && !r.agent.code && !r.args.code) {
		errat(l, when, "rule '%s': when needs tool, agent or args_pattern", r.id);
		goto bad;
	}
	FIND_ID(p->perms, p->nperms, r.id, old);
	if (old != NULL) {
		perm_free(old);
		*old = r;
		return 0;
	}
	if (ARRAY_RESERVE_N(p->perms, p->nperms) < 0) {
		errat(l, n, "%s", "out of memory");
		goto bad;
	}
	p->perms[p->nperms++] = r;
	return 0;
bad:
	perm_free(&r);
	return -1;
}

static int
load_permissions(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	yaml_node_item_t *it;
	const char *key;

	if (need_map(l, n, "permissions") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "default")) {
			if (get_sev(l, v, key, SEV_ALLOW, &p->perm_default) < 0)
				return -1;
			if (p->perm_default == SEV_WARN)
				return errat(l, v, "%s", "default must be allow, ask or deny, not 'warn'");
		} else if (!strcmp(key, "rules")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return errat(l, v, "%s must be a list", key);
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
				if (load_perm(l, p, yaml_document_get_node(&l->doc, *it)) < 0)
					return -1;
		} else
			return errat(l, k, "unknown key '%s' in permissions", key);
	}
	return 0;
}

static int
load_limits(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct limits *lm = &p->limits;
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key, *s;

	if (need_map(l, n, "limits") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		int rc = 0;
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "max_output_chars"))
			rc = get_long(l, v, key, 0, 1L << 30, &lm->max_output_chars);
		else if (!strcmp(key, "max_run_records"))
			rc = get_long(l, v, key, 0, LONG_MAX, &lm->max_run_records);
		else if (!strcmp(key, "max_runs"))
			rc = get_long(l, v, key, 1, 1L << 24, &lm->max_runs);
		else if (!strcmp(key, "truncate_marker"))
			rc = get_str(l, v, key, &lm->marker);
		else if (!strcmp(key, "cost_field"))
			rc = get_str(l, v, key, &lm->cost_field);
		else if (!strcmp(key, "citation"))
			rc = get_str(l, v, key, &lm->citation);
		else if (!strcmp(key, "long_output")) {
			if ((s = scalar(l, v, key)) == NULL)
				return -1;
			if (!strcmp(s, "truncate"))
				lm->long_output = LONG_TRUNCATE;
			else if (!strcmp(s, "deny"))
				lm->long_output = LONG_DENY;
			else
				rc = errat(l, v, "long_output must be truncate or deny, not '%s'", s);
		} else if (!strcmp(key, "max_run_cost")) {
			char *end;
			double x;
			if ((s = scalar(l, v, key)) == NULL)
				return -1;
			errno = 0;
			x = strtod(s, &end);
			if (errno || end == s || *end || !(x >= 0 && x <= 1e15))
				rc = errat(l, v, "%s must be a number from 0 up", key);
			else
				lm->max_run_cost = x;
		} else
			rc = errat(l, k, "unknown key '%s' in limits", key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* "6y", "18m", "90d": a retention period, in days (a year is 366, erring long). */
static int
get_period(struct ld *l, yaml_node_t *v, const char *what, long *days)
{
	const char *s;
	char *end;
	long n;

	if ((s = scalar(l, v, what)) == NULL)
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || n <= 0 || n > 1000 || end == s || end[0] == '\0' || end[1] != '\0' ||
	    (end[0] != 'y' && end[0] != 'm' && end[0] != 'd'))
		return errat(l, v, "%s must be a number of years, months or days (6y, 18m, 90d), not '%s'",
		    what, s);
	*days = end[0] == 'y' ? n * 366 : end[0] == 'm' ? n * 31 : n;
	return 0;
}

static int
load_ledger(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key;

	if (need_map(l, n, "ledger") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "require_scrubbed")) {
			if (get_bool(l, v, key, &p->ledger_require_scrubbed) < 0)
				return -1;
		} else if (!strcmp(key, "retention")) {
			if (get_period(l, v, key, &p->ledger_retention_days) < 0)
				return -1;
		} else
			return errat(l, k, "unknown key '%s' in ledger", key);
	}
	return 0;
}

/* A user, group, role or reviewer name: DESIGN.md's identifier. */
static int
ident_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("._:@/+=-", s[i])))
			return 0;
	return 1;
}

/* A scalar or a list of scalars, each an identifier; replaces sl. */
static int
get_names(struct ld *l, yaml_node_t *n, const char *what, struct strlist *sl)
{
	yaml_node_item_t *it;

	strlist_free(sl);
	if (n->type == YAML_SCALAR_NODE) {
		if (!ident_ok((const char *)n->data.scalar.value))
			return errat(l, n, "%s: '%.100s' is not a name (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -)",
			    what, (const char *)n->data.scalar.value);
		if (strlist_add(sl, (const char *)n->data.scalar.value) < 0)
			return errat(l, n, "%s: out of memory", what);
		return 0;
	}
	if (get_list(l, n, what, sl, 1) < 0)
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(&l->doc, *it);
		if (!ident_ok((const char *)c->data.scalar.value))
			return errat(l, c, "%s: '%.100s' is not a name (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -)",
			    what, (const char *)c->data.scalar.value);
	}
	return 0;
}

static struct access_role *
find_role(struct access_conf *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nroles; i++)
		if (!strcmp(a->roles[i].name, name))
			return &a->roles[i];
	return NULL;
}

static struct access_alias *
find_alias_user(struct access_conf *a, const char *user)
{
	size_t i;

	for (i = 0; i < a->naliases; i++)
		if (!strcmp(a->aliases[i].user, user))
			return &a->aliases[i];
	return NULL;
}

static int
load_aliases(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct access_conf *a = &p->access;
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *user;
	size_t i, j, m;

	if (need_map(l, n, "access.aliases") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		struct access_alias *al, *t;
		if ((user = keyname(l, k)) == NULL)
			return -1;
		if (!ident_ok(user))
			return errat(l, k, "access.aliases: '%.100s' is not a user name", user);
		if ((al = find_alias_user(a, user)) == NULL) {
			if ((t = realloc(a->aliases, (a->naliases + 1) * sizeof(*t))) == NULL)
				return errat(l, k, "%s", "out of memory");
			a->aliases = t;
			al = &a->aliases[a->naliases];
			memset(al, 0, sizeof(*al));
			if ((al->user = strdup(user)) == NULL)
				return errat(l, k, "%s", "out of memory");
			a->naliases++;
		}
		if (get_names(l, v, "access.aliases", &al->names) < 0)
			return -1;
		for (i = 0; i < al->names.n; i++) {
			struct passwd *pw = getpwnam(al->names.v[i]);
			/* signing as someone else's login would defeat separation of duties */
			if (pw != NULL && strcmp(pw->pw_name, user))
				return errat(l, v, "alias '%.100s' of %.100s is another user's login name",
				    al->names.v[i], user);
			for (j = 0; j < a->naliases; j++)
				for (m = 0; &a->aliases[j] != al && m < a->aliases[j].names.n; m++)
					if (!strcmp(a->aliases[j].names.v[m], al->names.v[i]))
						return errat(l, v, "alias '%.100s' is given to both %.100s and %.100s",
						    al->names.v[i], a->aliases[j].user, user);
		}
	}
	return 0;
}

static int
load_roles(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct access_conf *a = &p->access;
	yaml_node_pair_t *pr, *pr2;
	yaml_node_t *k, *v, *k2, *v2;
	const char *name, *key;

	if (need_map(l, n, "access.roles") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		struct access_role *r, *t;
		if ((name = keyname(l, k)) == NULL)
			return -1;
		if (!ident_ok(name))
			return errat(l, k, "access.roles: '%.100s' is not a role name", name);
		if (need_map(l, v, "a role") < 0)
			return -1;
		if ((r = find_role(a, name)) == NULL) {
			if ((t = realloc(a->roles, (a->nroles + 1) * sizeof(*t))) == NULL)
				return errat(l, k, "%s", "out of memory");
			a->roles = t;
			r = &a->roles[a->nroles];
			memset(r, 0, sizeof(*r));
			if ((r->name = strdup(name)) == NULL)
				return errat(l, k, "%s", "out of memory");
			a->nroles++;
		} else {
			/* a role redefined (by an extending policy) is replaced whole */
			strlist_free(&r->users);
			strlist_free(&r->groups);
		}
		FOREACH_PAIR(l, v, k2, v2, pr2) {
			if ((key = keyname(l, k2)) == NULL)
				return -1;
			if (!strcmp(key, "users")) {
				if (get_names(l, v2, "users", &r->users) < 0)
					return -1;
			} else if (!strcmp(key, "groups")) {
				if (get_names(l, v2, "groups", &r->groups) < 0)
					return -1;
			} else
				return errat(l, k2, "unknown key '%s' in role '%.100s' (users, groups)",
				    key, name);
		}
	}
	return 0;
}

static int
load_actions(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct access_conf *a = &p->access;
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key;
	size_t i;
	int act;

	if (need_map(l, n, "access.actions") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		for (act = 0; act < ACT__N && strcmp(key, act_names[act]); act++)
			;
		if (act == ACT__N)
			return errat(l, k, "unknown action '%s' in access.actions (approve, reject, "
			    "release, anonymize, export)", key);
		if (get_names(l, v, key, &a->actions[act]) < 0)
			return -1;
		for (i = 0; i < a->actions[act].n; i++)
			if (find_role(a, a->actions[act].v[i]) == NULL)
				return errat(l, v, "access.actions.%s: no role '%.100s' in access.roles",
				    key, a->actions[act].v[i]);
	}
	return 0;
}

static int
load_access(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v, *actions = NULL;
	const char *key;

	if (need_map(l, n, "access") < 0)
		return -1;
	p->access.present = 1;
	/* roles before actions, wherever they stand, so actions can name them */
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "aliases")) {
			if (load_aliases(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "roles")) {
			if (load_roles(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "actions"))
			actions = v;
		else
			return errat(l, k, "unknown key '%s' in access (aliases, roles, actions)", key);
	}
	return actions ? load_actions(l, p, actions) : 0;
}

static int
load_hitl(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key;

	if (need_map(l, n, "hitl") < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "timeout_s")) {
			if (get_long(l, v, key, 0, 100L * 366 * 86400, &p->hitl.timeout_s) < 0)
				return -1;
		} else if (!strcmp(key, "expire_s")) {
			if (get_long(l, v, key, 0, 100L * 366 * 86400, &p->hitl.expire_s) < 0)
				return -1;
		} else if (!strcmp(key, "approvals_required")) {
			if (get_int(l, v, key, 1, 16, &p->hitl.approvals_required) < 0)
				return -1;
		} else if (!strcmp(key, "separation_of_duties")) {
			if (get_bool(l, v, key, &p->hitl.separation_of_duties) < 0)
				return -1;
		} else if (!strcmp(key, "irreversible_tools")) {
			if (get_list(l, v, key, &p->hitl.irreversible_tools, 1) < 0)
				return -1;
		} else if (!strcmp(key, "webhook")) {
			if (get_str(l, v, key, &p->hitl.webhook) < 0)
				return -1;
		} else
			return errat(l, k, "unknown key '%s' in hitl (timeout_s, expire_s, "
			    "approvals_required, separation_of_duties, irreversible_tools, webhook)", key);
	}
	return 0;
}

static int load_file(struct policy *p, const char *path, struct loadctx *cx,
    struct phk_err *e);

static char *
find_base(struct ld *l, const char *name)
{
	char *p;
	size_t n;

	if (strchr(name, '/') || strstr(name, ".yaml") || strstr(name, ".yml"))
		return resolve(l, name);
	n = strlen(l->dir) + strlen(name) + 8;
	if ((p = malloc(n)) == NULL)
		return NULL;
	snprintf(p, n, "%s/%s.yaml", l->dir, name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	n = strlen(PHIKIT_DATADIR) + strlen(name) + 20;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/policies/%s.yaml", PHIKIT_DATADIR, name);
	return p;
}

static int
load_doc(struct ld *l, struct policy *p, struct loadctx *cx)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc), *k, *v;
	yaml_node_pair_t *pr;
	const char *key;
	char *base;
	int rc;

	if (root == NULL)
		return errat(l, NULL, "%s", "empty policy");
	if (need_map(l, root, "a policy") < 0)
		return -1;
	/* extends first, wherever it stands, so the base is what we layer on. */
	FOREACH_PAIR(l, root, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (strcmp(key, "extends"))
			continue;
		if (scalar(l, v, "extends") == NULL)
			return -1;
		if (cx->depth >= 8)
			return errat(l, v, "%s", "extends nests deeper than 8 files (a cycle?)");
		if ((base = find_base(l, (const char *)v->data.scalar.value)) == NULL)
			return errat(l, v, "%s", "out of memory");
		cx->depth++;
		rc = load_file(p, base, cx, l->e);
		cx->depth--;
		free(base);
		if (rc < 0) {
			char m[sizeof(l->e->msg)];
			/* say once where the base came from; deeper levels pass it on */
			if (strstr(l->e->msg, ": in extended policy: ") != NULL)
				return -1;
			memcpy(m, l->e->msg, sizeof(m));
			return errat(l, v, "in extended policy: %.300s", m);
		}
	}
	/* terms next, wherever they stand, so every pattern can use them */
	FOREACH_PAIR(l, root, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "terms") && load_terms(l, p, v) < 0)
			return -1;
	}
	FOREACH_PAIR(l, root, k, v, pr) {
		yaml_node_item_t *it;
		int (*each)(struct ld *, struct policy *, yaml_node_t *) = NULL;
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!strcmp(key, "extends") || !strcmp(key, "terms"))
			continue;
		if (!strcmp(key, "prohibited_output"))
			each = load_guard_rule;
		else if (!strcmp(key, "required_disclosure"))
			each = load_disclosure;
		if (each) {
			if (v->type != YAML_SEQUENCE_NODE)
				return errat(l, v, "%s must be a list", key);
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
				if (each(l, p, yaml_document_get_node(&l->doc, *it)) < 0)
					return -1;
		} else if (!strcmp(key, "permissions")) {
			if (load_permissions(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "limits")) {
			if (load_limits(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "name")) {
			if (get_str(l, v, key, &p->name) < 0)
				return -1;
		} else if (!strcmp(key, "version") || !strcmp(key, "description")) {
			if (scalar(l, v, key) == NULL)
				return -1;
		} else if (!strcmp(key, "scrub")) {
			if (load_scrub(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "ledger")) {
			if (load_ledger(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "access")) {
			if (load_access(l, p, v) < 0)
				return -1;
		} else if (!strcmp(key, "hitl")) {
			if (load_hitl(l, p, v) < 0)
				return -1;
		} else
			return errat(l, k, "unknown key '%s'", key);
	}
	return 0;
}

static int
load_file(struct policy *p, const char *path, struct loadctx *cx, struct phk_err *e)
{
	yaml_parser_t parser;
	struct ld l;
	FILE *f;
	char *slash, *text = NULL;
	size_t len = 0, cap = 0, got;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.file = path;
	l.e = e;
	if ((f = fopen(path, "rb")) == NULL) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			char *t;
			cap = cap ? cap * 2 : 8192;
			if (cap > (64u << 20) || (t = realloc(text, cap)) == NULL) {
				phk_err_set(e, PHK_EXIT_USAGE, "%s: too large", path);
				goto out;
			}
			text = t;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s: read error", path);
		goto out;
	}
	if ((l.dir = strdup(path)) == NULL)
		goto out;
	slash = strrchr(l.dir, '/');
	if (slash)
		*slash = '\0';
	else
		memcpy(l.dir, ".", 2);
	if (!yaml_parser_initialize(&parser))
		goto out;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s:%zu:%zu: %s", path,
		    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		goto out;
	}
	yaml_parser_delete(&parser);
	rc = load_doc(&l, p, cx);
	/* after load_doc, which loads what this extends: the base is hashed first */
	crypto_hash_sha256_update(&cx->h, (const unsigned char *)text, len);
	yaml_document_delete(&l.doc);
out:
	fclose(f);
	free(text);
	free(l.dir);
	return rc;
}

int
policy_load(struct policy *p, const char *path, struct phk_err *e)
{
	struct loadctx cx;
	unsigned char h[crypto_hash_sha256_BYTES];

	memset(p, 0, sizeof(*p));
	p->age_over = 89;
	p->ledger_retention_days = 6 * 366;	/* 45 CFR 164.316(b)(2): six years */
	p->match_limit = 1000000;
	p->hitl.approvals_required = 1;
	p->hitl.separation_of_duties = 1;
	p->names.enabled = 1;
	p->perm_default = SEV_ALLOW;
	p->limits.max_runs = 65536;
	if (sodium_init() < 0) {
		phk_err_set(e, PHK_EXIT_IO, "libsodium failed to initialize");
		return -1;
	}
	memset(&cx, 0, sizeof(cx));
	crypto_hash_sha256_init(&cx.h);
	if (load_file(p, path, &cx, e) < 0) {
		policy_release(p);
		return -1;
	}
	crypto_hash_sha256_final(&cx.h, h);
	if (p->limits.marker == NULL && (p->limits.marker = xstrdup(" [truncated]")) == NULL) {
		policy_release(p);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	sodium_bin2hex(p->sha256, sizeof(p->sha256), h, sizeof(h));
	if (p->name == NULL && (p->name = xstrdup("unnamed")) == NULL) {
		policy_release(p);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	return 0;
}

void
policy_release(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	free(p->name);
	strlist_free(&p->zip_restricted);
	free(p->names.first_names);
	free(p->names.surnames);
	free(p->names.english);
	free(p->names.medical);
	strlist_free(&p->names.titles);
	strlist_free(&p->names.cues_before);
	strlist_free(&p->names.relations);
	strlist_free(&p->names.verbs_after);
	strlist_free(&p->names.particles);
	strlist_free(&p->names.cues_after);
	strlist_free(&p->names.labels);
	strlist_free(&p->names.not_names);
	strlist_free(&p->names.eponym_next);
	free(p->names.places);
	free(p->names.model);
	strlist_free(&p->names.facility);
	for (i = 0; i < p->nguard; i++)
		guard_rule_free(&p->guard[i]);
	free(p->guard);
	for (i = 0; i < p->ndisc; i++)
		disclosure_free(&p->disc[i]);
	free(p->disc);
	for (i = 0; i < p->nperms; i++)
		perm_free(&p->perms[i]);
	free(p->perms);
	free(p->limits.marker);
	free(p->limits.cost_field);
	free(p->limits.citation);
	strlist_free(&p->term_names);
	strlist_free(&p->term_pats);
	for (i = 0; i < p->access.naliases; i++) {
		free(p->access.aliases[i].user);
		strlist_free(&p->access.aliases[i].names);
	}
	free(p->access.aliases);
	for (i = 0; i < p->access.nroles; i++) {
		free(p->access.roles[i].name);
		strlist_free(&p->access.roles[i].users);
		strlist_free(&p->access.roles[i].groups);
	}
	free(p->access.roles);
	for (i = 0; i < ACT__N; i++)
		strlist_free(&p->access.actions[i]);
	strlist_free(&p->hitl.irreversible_tools);
	free(p->hitl.webhook);
	memset(p, 0, sizeof(*p));
}
