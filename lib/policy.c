#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "fieldpath.h"
#include "policy.h"

/*
 * Room for one more element after the n in *arr, whose room for *cap the
 * loader keeps: doubling, so loading N rules copies O(N) bytes, not
 * O(N^2). -1 leaves it as it was.
 */
#define ARRAY_GROW(a, n, cap) grow((void *)&(a), (a), (n), (cap), sizeof(*(a)))
static int
grow(void *slot, void *p, size_t n, size_t *cap, size_t size)
{
	size_t want;
	void *q;

	if (n < *cap)
		return 0;
	want = n < 8 ? 8 : 2 * n;
	if (want > SIZE_MAX / size || (q = realloc(p, want * size)) == NULL)
		return -1;
	memcpy(slot, &q, sizeof(q));	/* no type-punned pointer store */
	*cap = want;
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
	"vin", "age", "zip", "phone", "after_state", "phone_any", "iban", "month_day",
};

/* Error texts used twice; no message quotes the policy's own bytes. */
#define NAME_CHARS "1 to 128 of A-Z a-z 0-9 . _ : @ / + = -"
#define UNKNOWN_CATEGORY "unknown category (NAME, ADDRESS, CITY, ZIP, DATE, AGE, PHONE, FAX, " \
	"EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, CARD, LICENSE, DEA, NPI, VEHICLE, DEVICE, URL, " \
	"IP, BIOMETRIC, PHOTO, ID)"

static const char *const act_names[ACT__N] = {
	"approve", "reject", "release", "anonymize", "export", "policy", "reidentify",
	"break_glass",
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

/*
 * Where the policy of a bare name is: the preset ("hipaa") when no policy
 * is named, and any "extends: NAME" not found beside the extending file.
 * One search for both: the installed PHIKIT_DATADIR/policies/NAME.yaml,
 * else, for programs run from a build tree that is not installed (bin/
 * beside policies/, as make demo and the README run them), the tree's
 * policies/NAME.yaml. Found nowhere, the installed path, for the error to
 * name. -1 if the path does not fit in size.
 */
static int
named_policy_path(const char *name, char *out, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if ((size_t)snprintf(out, size, "%s/policies/%s.yaml", PHIKIT_DATADIR, name) >= size)
		return -1;
	if (access(out, R_OK) == 0)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(out, size, "%s/../policies/%s.yaml", exe, name) < size &&
			    access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, size, "%s/policies/%s.yaml", PHIKIT_DATADIR, name);
	return 0;
}

const char *
policy_default_path(void)
{
	static char path[PATH_MAX + 64];
	const char *p = getenv("PHIKIT_POLICY");

	if (p && *p)
		return p;
	if (named_policy_path("hipaa", path, sizeof(path)) < 0)
		return PHIKIT_DATADIR "/policies/hipaa.yaml";
	return path;
}

/*
 * An index of the names in an array of structs that begin with the name
 * (char *id, char *name, char *user), or of a char *[]: which element has
 * a given name, in O(1), so that loading N rules with their ids is linear.
 * Open addressing; a slot holds an element's position + 1. An element
 * whose name is gone (NULL: a rule disabled, removed when loading ends)
 * is passed over, so no slot is ever removed.
 */
struct idx {
	size_t *slot;
	size_t cap;		/* a power of two, or 0 */
	size_t used;		/* slots taken */
};
#define IDX_NAME(base, stride, i) (*(char *const *)(const void *)((const char *)(base) + (i) * (stride)))

struct loadctx {
	crypto_hash_sha256_state h;
	int depth;
	unsigned char hkey[crypto_shorthash_KEYBYTES];	/* for strhash */
	size_t *tab;		/* check_nodes' hash table, reused */
	size_t tabcap;
	/* the policy's arrays: their room, and the index of their names */
	size_t cap_rules, cap_guard, cap_disc, cap_perms, cap_roles, cap_aliases, cap_endpoints;
	struct idx ix_rules, ix_guard, ix_disc, ix_perms, ix_terms, ix_roles, ix_aliases;
};

/* Loader state for one file. */
struct ld {
	const char *file;
	char *dir;		/* directory of file, for relative paths */
	yaml_document_t doc;
	struct phk_err *e;
	struct loadctx *cx;
	size_t at;		/* where find_id found it */
};

/* SipHash under a key drawn for each load, so no policy can be written to collide. */
static uint64_t
strhash(const struct loadctx *cx, const char *s, size_t n)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)s, n, cx->hkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* The element named s[0..n) (no NUL in it): 1 and its position in *at; 0 none. */
static int
idx_find(const struct loadctx *cx, const struct idx *x, const void *base, size_t stride,
    const char *s, size_t n, size_t *at)
{
	size_t h;

	if (x->cap == 0)
		return 0;
	for (h = (size_t)strhash(cx, s, n) & (x->cap - 1); x->slot[h]; h = (h + 1) & (x->cap - 1)) {
		const char *name = IDX_NAME(base, stride, x->slot[h] - 1);
		if (name != NULL && strncmp(name, s, n) == 0 && name[n] == '\0') {
			*at = x->slot[h] - 1;
			return 1;
		}
	}
	return 0;
}

static void
idx_put(const struct loadctx *cx, struct idx *x, const char *name, size_t i)
{
	size_t h = (size_t)strhash(cx, name, strlen(name)) & (x->cap - 1);

	while (x->slot[h])
		h = (h + 1) & (x->cap - 1);
	x->slot[h] = i + 1;
	x->used++;
}

/*
 * Indexes element i, already in place among the nel of base. Past 3/4
 * full, the table doubles and takes the live elements again. -1: out of
 * memory, the index as it was.
 */
static int
idx_add(const struct loadctx *cx, struct idx *x, const void *base, size_t stride, size_t nel,
    size_t i)
{
	if ((x->used + 1) * 4 > x->cap * 3) {
		struct idx y;
		size_t j;
		y.cap = x->cap ? 2 * x->cap : 16;
		y.used = 0;
		if (y.cap > SIZE_MAX / sizeof(*y.slot) || (y.slot = calloc(y.cap, sizeof(*y.slot))) == NULL)
			return -1;
		for (j = 0; j < nel; j++)
			if (j != i && IDX_NAME(base, stride, j) != NULL)
				idx_put(cx, &y, IDX_NAME(base, stride, j), j);
		free(x->slot);
		*x = y;
	}
	idx_put(cx, x, IDX_NAME(base, stride, i), i);
	return 0;
}

/* Drops the elements whose name is gone (disabled rules), keeping the order. */
static size_t
compact(void *base, size_t n, size_t size)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (IDX_NAME(base, size, i) != NULL) {
			if (k != i)
				memcpy((char *)base + k * size, (char *)base + i * size, size);
			k++;
		}
	return k;
}

static int errat(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int errmark(struct ld *l, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
verrmark(struct ld *l, const yaml_mark_t *m, const char *fmt, va_list ap)
{
	char msg[384];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	phk_err_set(l->e, PHK_EXIT_USAGE, "%s:%zu:%zu: %s", l->file,
	    m ? m->line + 1 : 0, m ? m->column + 1 : 0, msg);
	return -1;
}

static int
errmark(struct ld *l, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrmark(l, m, fmt, ap);
	va_end(ap);
	return -1;
}

static int
errat(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrmark(l, n ? &n->start_mark : NULL, fmt, ap);
	va_end(ap);
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

/*
 * Room for extra more strings: a list is grown once for all the items of
 * a YAML sequence, never one item at a time.
 */
static int
strlist_reserve(struct strlist *sl, size_t extra)
{
	char **v;

	if (extra == 0)
		return 0;
	if (extra > SIZE_MAX / sizeof(*v) - sl->n ||
	    (v = realloc(sl->v, (sl->n + extra) * sizeof(*v))) == NULL)
		return -1;
	sl->v = v;
	return 0;
}

/* Appends a copy of s where strlist_reserve made room. */
static int
strlist_push(struct strlist *sl, const char *s)
{
	if ((sl->v[sl->n] = strdup(s)) == NULL)
		return -1;
	sl->n++;
	return 0;
}

static int
strlist_add(struct strlist *sl, const char *s)
{
	return strlist_reserve(sl, 1) < 0 ? -1 : strlist_push(sl, s);
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
	if (strlist_reserve(sl, (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)) < 0)
		return errat(l, n, "%s: out of memory", what);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(&l->doc, *it);
		if ((s = scalar(l, c, what)) == NULL)
			return -1;
		if (strlist_push(sl, s) < 0)
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

/*
 * The element of a policy array (rules, guard, disc, perms: their first
 * member is char *id) with this id, through the loader's index; NULL if
 * none, or if it was disabled.
 */
#define FIND_ID(l, ix, arr, want) \
	(find_id((l), (ix), (arr), sizeof(*(arr)), (want)) ? &(arr)[(l)->at] : NULL)
static int
find_id(struct ld *l, const struct idx *ix, const void *arr, size_t size, const char *id)
{
	return idx_find(l->cx, ix, arr, size, id, strlen(id), &l->at);
}

static struct scrub_rule *
find_rule(struct ld *l, struct policy *p, const char *id)
{
	return FIND_ID(l, &l->cx->ix_rules, p->rules, id);
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

static int load_rule(struct ld *l, struct policy *p, yaml_node_t *n);

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
		return errat(l, v, "%s must be a number of years, months or days (6y, 18m, 90d)", what);
	*days = end[0] == 'y' ? n * 366 : end[0] == 'm' ? n * 31 : n;
	return 0;
}

/*
 * A section of settings as a table: each key, what it holds and where in
 * struct policy it goes, or the function that reads it (a mapping or a
 * list of its own). load_fields reads a mapping through a table; a key
 * not in it is an error that names the table's keys, in its order.
 */
enum {
	FT_BOOL,		/* int: true or false (yes, on, no, off) */
	FT_INT,			/* int, lo..hi */
	FT_LONG,		/* long, lo..hi */
	FT_ULONG,		/* unsigned long, lo..hi */
	FT_STR,			/* char *, a copy */
	FT_PATH,		/* char *, relative to the policy's directory */
	FT_LIST,		/* struct strlist, replaced */
	FT_LIST_ADD,		/* struct strlist, appended to */
	FT_ENUM,		/* int: the position of the value in vals */
	FT_PERIOD,		/* long: days, from 6y, 18m, 90d */
	FT_NUMBER,		/* double, 0..1e15 */
	FT_NODE,		/* yaml_node_t *: the value, for the caller to read after */
	FT_SCALAR,		/* nothing kept: any scalar (a description) */
	FT_READ,		/* read by rd into its place */
	FT_CALL			/* read by fn */
};

struct field {
	const char *key;
	int type;
	size_t off;		/* in struct policy */
	long lo, hi;		/* FT_INT, FT_LONG, FT_ULONG */
	const char *const *vals;	/* FT_ENUM: the values, NULL-terminated */
	const char *msg;		/* FT_ENUM: the error when none is given */
	int (*fn)(struct ld *, struct policy *, yaml_node_t *);	/* FT_CALL */
	int (*rd)(struct ld *, yaml_node_t *, const char *key, void *at);	/* FT_READ */
};

/*
 * offsetof(S, member), which does not compile unless member is a type.
 * The F_ tables place fields in struct policy (F_STRUCT), or in the
 * struct a rule is read into: a table of one sets F_STRUCT before it.
 */
#define AT(member, type) (offsetof(F_STRUCT, member) + \
	0 * sizeof((type *)0 - &((F_STRUCT *)0)->member))
#define F_STRUCT struct policy
#define F_BOOL(k, m)		{ k, FT_BOOL, AT(m, int), 0, 0, NULL, NULL, NULL, NULL }
#define F_INT(k, m, lo, hi)	{ k, FT_INT, AT(m, int), lo, hi, NULL, NULL, NULL, NULL }
#define F_LONG(k, m, lo, hi)	{ k, FT_LONG, AT(m, long), lo, hi, NULL, NULL, NULL, NULL }
#define F_ULONG(k, m, lo, hi)	{ k, FT_ULONG, AT(m, unsigned long), lo, hi, NULL, NULL, NULL, NULL }
#define F_STR(k, m)		{ k, FT_STR, AT(m, char *), 0, 0, NULL, NULL, NULL, NULL }
#define F_PATH(k, m)		{ k, FT_PATH, AT(m, char *), 0, 0, NULL, NULL, NULL, NULL }
#define F_LIST(k, m)		{ k, FT_LIST, AT(m, struct strlist), 0, 0, NULL, NULL, NULL, NULL }
#define F_LIST_ADD(k, m)	{ k, FT_LIST_ADD, AT(m, struct strlist), 0, 0, NULL, NULL, NULL, NULL }
#define F_ENUM(k, m, vals, msg)	{ k, FT_ENUM, AT(m, int), 0, 0, vals, msg, NULL, NULL }
#define F_PERIOD(k, m)		{ k, FT_PERIOD, AT(m, long), 0, 0, NULL, NULL, NULL, NULL }
#define F_NUMBER(k, m)		{ k, FT_NUMBER, AT(m, double), 0, 0, NULL, NULL, NULL, NULL }
#define F_NODE(k, m)		{ k, FT_NODE, AT(m, yaml_node_t *), 0, 0, NULL, NULL, NULL, NULL }
#define F_SCALAR(k)		{ k, FT_SCALAR, 0, 0, 0, NULL, NULL, NULL, NULL }
#define F_READ(k, m, type, rd)	{ k, FT_READ, AT(m, type), 0, 0, NULL, NULL, NULL, rd }
#define F_CALL(k, fn)		{ k, FT_CALL, 0, 0, 0, NULL, NULL, fn, NULL }
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* Reads v into base (struct policy, or the struct a rule is read into) as f says. */
static int
load_field(struct ld *l, struct policy *p, void *base, yaml_node_t *v, const struct field *f)
{
	void *at = (char *)base + f->off;
	const char *s;
	char *end;
	double x;
	long n;
	int i;

	switch (f->type) {
	case FT_BOOL:
		return get_bool(l, v, f->key, at);
	case FT_INT:
		return get_int(l, v, f->key, f->lo, f->hi, at);
	case FT_LONG:
		return get_long(l, v, f->key, f->lo, f->hi, at);
	case FT_ULONG:
		if (get_long(l, v, f->key, f->lo, f->hi, &n) < 0)
			return -1;
		*(unsigned long *)at = (unsigned long)n;
		return 0;
	case FT_STR:
		return get_str(l, v, f->key, at);
	case FT_PATH:
		return get_path(l, v, f->key, at);
	case FT_LIST:
	case FT_LIST_ADD:
		return get_list(l, v, f->key, at, f->type == FT_LIST);
	case FT_ENUM:
		if ((s = scalar(l, v, f->key)) == NULL)
			return -1;
		for (i = 0; f->vals[i] != NULL; i++)
			if (!strcmp(s, f->vals[i])) {
				*(int *)at = i;
				return 0;
			}
		return errat(l, v, "%s", f->msg);
	case FT_PERIOD:
		return get_period(l, v, f->key, at);
	case FT_NUMBER:
		if ((s = scalar(l, v, f->key)) == NULL)
			return -1;
		errno = 0;
		x = strtod(s, &end);
		if (errno || end == s || *end || !(x >= 0 && x <= 1e15))
			return errat(l, v, "%s must be a number from 0 up", f->key);
		*(double *)at = x;
		return 0;
	case FT_NODE:
		*(yaml_node_t **)at = v;
		return 0;
	case FT_SCALAR:
		return scalar(l, v, f->key) ? 0 : -1;
	case FT_READ:
		return f->rd(l, v, f->key, at);
	default:
		return f->fn(l, p, v);
	}
}

static int
load_fields(struct ld *l, struct policy *p, void *base, yaml_node_t *n, const char *where,
    const struct field *f, size_t nf)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *key;
	size_t i;

	if (need_map(l, n, where) < 0)
		return -1;
	FOREACH_PAIR(l, n, k, v, pr) {
		if ((key = keyname(l, k)) == NULL)
			return -1;
		for (i = 0; i < nf && strcmp(key, f[i].key); i++)
			;
		if (i == nf) {
			char keys[512];
			size_t len = 0;
			for (i = 0; i < nf && len < sizeof(keys); i++)
				len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s%s",
				    i ? ", " : "", f[i].key);
			return errat(l, k, "unknown key in %s (%s)", where, keys);
		}
		if (load_field(l, p, base, v, &f[i]) < 0)
			return -1;
	}
	return 0;
}

/* in the order of NAMES_DETECT_* */
static const char *const detect_vals[] = { "rules", "both", "model", NULL };

static const struct field names_fields[] = {
	F_BOOL("enabled", names.enabled),
	F_PATH("first_names", names.first_names),
	F_PATH("surnames", names.surnames),
	F_PATH("english_words", names.english),
	F_PATH("medical_words", names.medical),
	F_PATH("abbreviations", names.abbrev),
	F_LIST_ADD("titles", names.titles),
	F_LIST_ADD("relations", names.relations),
	F_LIST_ADD("particles", names.particles),
	F_LIST_ADD("verbs_after", names.verbs_after),
	F_LIST_ADD("cues_before", names.cues_before),
	F_LIST_ADD("cues_after", names.cues_after),
	F_LIST_ADD("labels", names.labels),
	F_LIST_ADD("not_names", names.not_names),
	F_LIST_ADD("eponym_next", names.eponym_next),
	F_PATH("places", names.places),
	F_LIST_ADD("facility_words", names.facility),
	F_LIST_ADD("place_cues", names.place_cues),
	F_LIST_ADD("facility_heads", names.facility_heads),
	F_LIST_ADD("facility_names", names.facility_names),
	F_PATH("model", names.model),
	F_ENUM("detect", names.detect, detect_vals, "names.detect is both, rules or model"),
};

static int
load_names(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "names", names_fields, NFIELDS(names_fields));
}

/* in the order of REPLACE_*, ZIP_* */
static const char *const replace_vals[] = { "tag", "mask", "pseudonym", NULL };
static const char *const zip_vals[] = { "truncate", "remove", NULL };
_Static_assert(REPLACE_TAG == 0 && REPLACE_MASK == 1 && REPLACE_PSEUDONYM == 2, "replace_vals");
_Static_assert(ZIP_TRUNCATE == 0 && ZIP_REMOVE == 1, "zip_vals");

static const struct field zip_fields[] = {
	F_ENUM("mode", zip_mode, zip_vals, "zip mode must be truncate or remove"),
	F_LIST("restricted", zip_restricted),
};

static int
load_zip(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "zip", zip_fields, NFIELDS(zip_fields));
}

static int
load_rules(struct ld *l, struct policy *p, yaml_node_t *v)
{
	yaml_node_item_t *it;

	if (v->type != YAML_SEQUENCE_NODE)
		return errat(l, v, "%s must be a list", "rules");
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		if (load_rule(l, p, yaml_document_get_node(&l->doc, *it)) < 0)
			return -1;
	return 0;
}

static int
load_disable(struct ld *l, struct policy *p, yaml_node_t *v)
{
	yaml_node_item_t *it;
	struct scrub_rule *r;
	const char *s;

	if (v->type != YAML_SEQUENCE_NODE)
		return errat(l, v, "%s must be a list", "disable");
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(&l->doc, *it);
		if ((s = scalar(l, c, "disable")) == NULL)
			return -1;
		if ((r = find_rule(l, p, s)) == NULL)
			return errat(l, c, "%s", "no rule with this id to disable");
		/* its id NULL: passed over now, dropped when loading ends */
		rule_free(r);
		memset(r, 0, sizeof(*r));
	}
	return 0;
}

static const struct field scrub_fields[] = {
	F_ENUM("replace", replace, replace_vals, "replace must be tag, mask or pseudonym"),
	F_BOOL("keep_year", keep_year),
	F_INT("age_over", age_over, 0, 200),
	F_ULONG("match_limit", match_limit, 1000, 100000000),
	F_CALL("zip", load_zip),
	F_CALL("names", load_names),
	F_CALL("rules", load_rules),
	F_CALL("disable", load_disable),
};

static int
load_scrub(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "scrub", scrub_fields, NFIELDS(scrub_fields));
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
	return errat(l, n, "%s must be %s", what,
	    lo == SEV_WARN ? "warn, ask or deny" : "allow, ask or deny");
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
	const char *close = NULL;	/* the first "}}" not yet passed */
	int noclose = 0;		/* none after here */

	if (o == NULL)
		return errat(l, n, "%s", "out of memory");
	for (i = 0; i < len; ) {
		const char *add = pat + i;
		size_t addn = 1, skip = 1;
		int wrap = 0;
		/* strstr again only past the last "}}" found: linear in the pattern */
		if (pat[i] == '{' && pat[i + 1] == '{' && !noclose &&
		    (close == NULL || close < pat + i + 2) &&
		    (close = strstr(pat + i + 2, "}}")) == NULL)
			noclose = 1;
		if (pat[i] == '{' && pat[i + 1] == '{' && !noclose) {
			size_t nl = (size_t)(close - (pat + i + 2));
			if (!idx_find(l->cx, &l->cx->ix_terms, p->term_names.v, sizeof(*p->term_names.v),
			    pat + i + 2, nl, &t)) {
				free(o);
				return errat(l, n, "%s", "unknown term (a {{name}} must be defined in terms)");
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
		return errat(l, n, "%s: %.250s", what, ce.msg);
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
	size_t t, np;

	if (need_map(l, n, "terms") < 0)
		return -1;
	np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (strlist_reserve(&p->term_names, np) < 0 || strlist_reserve(&p->term_pats, np) < 0)
		return errat(l, n, "%s", "out of memory");
	FOREACH_PAIR(l, n, k, v, pr) {
		char *pat;
		if ((key = keyname(l, k)) == NULL)
			return -1;
		if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key))
			return errat(l, k, "%s", "a term name must be lowercase letters, digits, _");
		if ((s = scalar(l, v, "a term")) == NULL)
			return -1;
		/* a term may use the terms before it */
		if (expand_terms(l, p, v, s, &pat) < 0)
			return -1;
		if (idx_find(l->cx, &l->cx->ix_terms, p->term_names.v, sizeof(*p->term_names.v),
		    key, strlen(key), &t)) {
			free(p->term_pats.v[t]);
			p->term_pats.v[t] = pat;
			continue;
		}
		/* the pattern first: a name is never left without one */
		p->term_pats.v[p->term_pats.n++] = pat;
		if (strlist_push(&p->term_names, key) < 0 ||
		    idx_add(l->cx, &l->cx->ix_terms, p->term_names.v, sizeof(*p->term_names.v),
		    p->term_names.n, p->term_names.n - 1) < 0)
			return errat(l, v, "%s", "out of memory");
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
	regex_release(&r->attribution);
	free(r->classifier);
	free(r->label);
}

/* The value of key in mapping n (known to be one), or NULL. */
static yaml_node_t *
map_node(struct ld *l, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;

	FOREACH_PAIR(l, n, k, v, pr)
		if (k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return v;
	return NULL;
}

static int
read_sev_warn(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	return get_sev(l, v, key, SEV_WARN, at);
}

/* A list of categories: a bit each. */
static int
read_cats(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	yaml_node_item_t *it;
	const char *s;
	int c;

	if (v->type != YAML_SEQUENCE_NODE)
		return errat(l, v, "%s must be a list", key);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *cn = yaml_document_get_node(&l->doc, *it);
		if ((s = scalar(l, cn, key)) == NULL)
			return -1;
		if ((c = cat_parse(s)) < 0)
			return errat(l, cn, "%s", UNKNOWN_CATEGORY);
		*(unsigned long *)at |= 1ul << c;
	}
	return 0;
}

/* One category. */
static int
read_cat(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	const char *s = scalar(l, v, key);

	if (s == NULL)
		return -1;
	if ((*(int *)at = cat_parse(s)) < 0)
		return errat(l, v, "%s", UNKNOWN_CATEGORY);
	return 0;
}

static int
read_prob(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	const char *s = scalar(l, v, key);
	char *end;
	double x;

	if (s == NULL)
		return -1;
	x = strtod(s, &end);
	if (end == s || *end || !(x > 0 && x < 1))
		return errat(l, v, "%s must be a number between 0 and 1", key);
	*(double *)at = x;
	return 0;
}

static int
read_detect_phi(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	const char *s = scalar(l, v, key);

	if (s == NULL)
		return -1;
	if (strcmp(s, "phi"))
		return errat(l, v, "%s", "detect must be phi");
	*(int *)at = 1;
	return 0;
}

static const char *const anchor_vals[] = { "scan", "trigger", NULL };
static const char *const quoted_vals[] = { "skip", "count", NULL };
static const char *const names_vals[] = { "all", "cued", NULL };

/* A prohibited_output rule as read, before its patterns are compiled. */
struct guard_src {
	struct guard_rule r;
	yaml_node_t *pattern, *unless_before, *unless_sentence, *except, *attribution;
	int caseless, enabled;
};

#undef F_STRUCT
#define F_STRUCT struct guard_src
static const struct field guard_rule_fields[] = {
	F_STR("id", r.id),
	F_STR("kind", r.kind),
	F_STR("citation", r.citation),
	F_SCALAR("description"),
	F_READ("severity", r.severity, int, read_sev_warn),
	F_NODE("pattern", pattern),
	F_NODE("unless_before", unless_before),
	F_NODE("unless_sentence", unless_sentence),
	F_NODE("except", except),
	F_LIST("triggers", r.triggers),
	F_ENUM("anchor", r.anchor_trigger, anchor_vals, "anchor must be trigger or scan"),
	F_BOOL("caseless", caseless),
	F_BOOL("enabled", enabled),
	F_ENUM("quoted", r.quoted, quoted_vals, "quoted must be skip or count"),
	F_READ("detect", r.detect_phi, int, read_detect_phi),
	F_READ("categories", r.cats, unsigned long, read_cats),
	F_ENUM("names", r.names_cued, names_vals, "names must be cued or all"),
	F_NODE("attribution", attribution),
	F_PATH("classifier", r.classifier),
	F_STR("label", r.label),
	F_READ("threshold", r.threshold, double, read_prob),
};
#undef F_STRUCT
#define F_STRUCT struct policy

/* A validator's name (val_names) into an int. */
static int
read_validator(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	const char *s = scalar(l, v, key);
	char msg[256];
	size_t len;
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < V__N; i++)
		if (!strcmp(s, val_names[i])) {
			*(int *)at = i;
			return 0;
		}
	len = (size_t)snprintf(msg, sizeof(msg), "unknown validator (");
	for (i = 0; i < V__N && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", i ? ", " : "",
		    val_names[i]);
	return errat(l, v, "%s)", msg);
}

/* A scrub rule as read, before its patterns are compiled. */
struct rule_src {
	struct scrub_rule r;
	char *pattern, *gate;
	int caseless;
};

#undef F_STRUCT
#define F_STRUCT struct rule_src
static const struct field rule_fields[] = {
	F_STR("id", r.id),
	F_READ("category", r.cat, int, read_cat),
	F_STR("pattern", pattern),
	F_READ("validate", r.validate, int, read_validator),
	F_LIST("triggers", r.triggers),
	F_LIST("requires", r.requires),
	F_INT("min_digits", r.min_digits, 0, 1024),
	F_INT("min_digit_run", r.min_digit_run, 0, 1024),
	F_INT("min_run", r.min_run, 0, 1024),
	F_ENUM("anchor", r.anchor_trigger, anchor_vals, "anchor must be trigger or scan"),
	F_STR("gate", gate),
	F_BOOL("caseless", caseless),
	F_SCALAR("description"),
	F_SCALAR("citation"),
};
#undef F_STRUCT
#define F_STRUCT struct policy

static int
load_rule(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_t *patnode, *idnode, *gatenode;
	struct scrub_rule r, *old;
	struct rule_src rs;
	char *pat, *gate;
	struct phk_err ce;
	int caseless;

	memset(&rs, 0, sizeof(rs));
	rs.r.cat = -1;
	if (load_fields(l, p, &rs, n, "a rule", rule_fields, NFIELDS(rule_fields)) < 0) {
		free(rs.pattern);
		free(rs.gate);
		rule_free(&rs.r);
		return -1;
	}
	r = rs.r;
	pat = rs.pattern;
	gate = rs.gate;
	caseless = rs.caseless;
	idnode = map_node(l, n, "id");
	patnode = map_node(l, n, "pattern");
	gatenode = map_node(l, n, "gate");
	if (r.id == NULL) {
		errat(l, n, "%s", "a rule needs an id");
		goto bad;
	}
	if (r.cat < 0 || pat == NULL) {
		errat(l, idnode, "%s", "a rule needs a category and a pattern");
		goto bad;
	}
	if (r.anchor_trigger && r.triggers.n == 0) {
		errat(l, idnode, "%s", "a rule is anchored on triggers but has none");
		goto bad;
	}
	if ((r.anchor_trigger ? regex_compile_anchored(&r.re, pat, caseless, &ce) :
	    regex_compile(&r.re, pat, caseless, &ce)) < 0) {
		errat(l, patnode, "pattern: %.250s", ce.msg);
		goto bad;
	}
	if (gate && regex_compile(&r.gate, gate, 0, &ce) < 0) {
		errat(l, gatenode, "gate: %.250s", ce.msg);
		goto bad;
	}
	free(pat);
	free(gate);
	if ((old = find_rule(l, p, r.id)) != NULL) {
		/* A site rule with a base rule's id replaces it in place. */
		rule_free(old);
		*old = r;
		return 0;
	}
	if (ARRAY_GROW(p->rules, p->nrules, &l->cx->cap_rules) < 0) {
		errat(l, n, "%s", "out of memory");
		rule_free(&r);
		return -1;
	}
	p->rules[p->nrules++] = r;
	if (idx_add(l->cx, &l->cx->ix_rules, p->rules, sizeof(*p->rules), p->nrules,
	    p->nrules - 1) < 0) {
		rule_free(&p->rules[--p->nrules]);
		return errat(l, n, "%s", "out of memory");
	}
	return 0;
bad:
	free(pat);
	free(gate);
	rule_free(&r);
	return -1;
}

static int
load_guard_rule(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_t *idnode = n, *pat, *ub, *us, *ex, *attr;
	struct guard_src g;
	struct guard_rule r, *old;
	int caseless, enabled, sev_set;

	memset(&g, 0, sizeof(g));
	g.caseless = g.enabled = 1;
	if (load_fields(l, p, &g, n, "a prohibited_output rule", guard_rule_fields,
	    NFIELDS(guard_rule_fields)) < 0) {
		guard_rule_free(&g.r);
		return -1;
	}
	r = g.r;
	pat = g.pattern, ub = g.unless_before, us = g.unless_sentence, ex = g.except;
	attr = g.attribution;
	caseless = g.caseless, enabled = g.enabled;
	sev_set = map_node(l, n, "severity") != NULL;
	if (map_node(l, n, "id") != NULL)
		idnode = map_node(l, n, "id");
	if (r.id == NULL) {
		errat(l, n, "%s", "a prohibited_output rule needs an id");
		goto bad;
	}
	if (!enabled) {
		/* a site policy turns a base rule off by its id */
		old = FIND_ID(l, &l->cx->ix_guard, p->guard, r.id);
		if (old == NULL) {
			errat(l, idnode, "%s", "no prohibited_output rule with this id to disable");
			goto bad;
		}
		/* its id NULL: passed over now, dropped when loading ends */
		guard_rule_free(old);
		memset(old, 0, sizeof(*old));
		guard_rule_free(&r);
		return 0;
	}
	if (r.citation == NULL || !sev_set ||
	    (pat != NULL) + r.detect_phi + (r.classifier != NULL) != 1) {
		errat(l, idnode, "%s", "a prohibited_output rule needs a citation, a severity, "
		    "and a pattern, detect: phi or a classifier");
		goto bad;
	}
	if (r.classifier && (r.label == NULL || r.threshold == 0)) {
		errat(l, idnode, "%s", "a classifier rule needs a label and a threshold");
		goto bad;
	}
	if (r.kind == NULL && (r.kind = strdup(r.detect_phi ? "phi" : r.id)) == NULL)
		goto oom;
	if (r.detect_phi && r.cats == 0)
		r.cats = (1ul << CAT__N) - 1;
	if (r.anchor_trigger && (pat == NULL || r.triggers.n == 0)) {
		errat(l, idnode, "%s", "a rule is anchored on triggers but has no pattern or no triggers");
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
	if (attr && get_regex(l, p, attr, "attribution", r.id, caseless, &r.attribution) < 0)
		goto bad;
	old = FIND_ID(l, &l->cx->ix_guard, p->guard, r.id);
	if (old != NULL) {
		guard_rule_free(old);
		*old = r;
		return 0;
	}
	if (ARRAY_GROW(p->guard, p->nguard, &l->cx->cap_guard) < 0)
		goto oom;
	p->guard[p->nguard++] = r;
	if (idx_add(l->cx, &l->cx->ix_guard, p->guard, sizeof(*p->guard), p->nguard,
	    p->nguard - 1) < 0) {
		r = p->guard[--p->nguard];
		goto oom;
	}
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

static const char *const action_vals[] = { "deny", "append", NULL };	/* DISC_* */

/* A required_disclosure rule as read, before its patterns are compiled. */
struct disc_src {
	struct disclosure d;
	yaml_node_t *requires;
	int enabled;
};

#undef F_STRUCT
#define F_STRUCT struct disc_src
static const struct field disc_fields[] = {
	F_STR("id", d.id),
	F_STR("kind", d.kind),
	F_STR("citation", d.citation),
	F_STR("text", d.text),
	F_SCALAR("description"),
	F_STR("when", d.when_src),
	F_NODE("requires", requires),
	F_INT("when_medical", d.when_medical, 0, 100),
	F_BOOL("enabled", enabled),
	F_ENUM("action", d.action, action_vals, "action must be deny or append"),
};
#undef F_STRUCT
#define F_STRUCT struct policy

static int
load_disclosure(struct ld *l, struct policy *p, yaml_node_t *n)
{
	yaml_node_t *idnode, *when, *req;
	struct disclosure d, *old;
	struct disc_src ds;
	int enabled, act;

	memset(&ds, 0, sizeof(ds));
	ds.enabled = 1;
	if (load_fields(l, p, &ds, n, "a required_disclosure rule", disc_fields,
	    NFIELDS(disc_fields)) < 0) {
		disclosure_free(&ds.d);
		return -1;
	}
	d = ds.d;
	req = ds.requires;
	enabled = ds.enabled;
	when = map_node(l, n, "when");
	act = map_node(l, n, "action") != NULL;
	idnode = map_node(l, n, "id") ? map_node(l, n, "id") : n;
	if (d.id == NULL) {
		errat(l, n, "%s", "a required_disclosure rule needs an id");
		goto bad;
	}
	if (!enabled) {
		old = FIND_ID(l, &l->cx->ix_disc, p->disc, d.id);
		if (old == NULL) {
			errat(l, idnode, "%s", "no required_disclosure rule with this id to disable");
			goto bad;
		}
		/* its id NULL: passed over now, dropped when loading ends */
		disclosure_free(old);
		memset(old, 0, sizeof(*old));
		disclosure_free(&d);
		return 0;
	}
	if (d.citation == NULL || when == NULL || req == NULL || d.text == NULL || !act) {
		errat(l, idnode, "%s", "a required_disclosure rule needs when, requires, text, action "
		    "and a citation");
		goto bad;
	}
	if (d.kind == NULL && (d.kind = strdup("disclosure")) == NULL)
		goto oom;
	if (get_regex(l, p, when, "when", d.id, 1, &d.when) < 0 ||
	    get_regex(l, p, req, "requires", d.id, 1, &d.requires) < 0)
		goto bad;
	old = FIND_ID(l, &l->cx->ix_disc, p->disc, d.id);
	if (old != NULL) {
		disclosure_free(old);
		*old = d;
		return 0;
	}
	if (ARRAY_GROW(p->disc, p->ndisc, &l->cx->cap_disc) < 0)
		goto oom;
	p->disc[p->ndisc++] = d;
	if (idx_add(l->cx, &l->cx->ix_disc, p->disc, sizeof(*p->disc), p->ndisc,
	    p->ndisc - 1) < 0) {
		d = p->disc[--p->ndisc];
		goto oom;
	}
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
			rc = errat(l, k, "%s", "unknown key in a permissions rule (id, reason, citation, "
			    "description, enabled, behavior, when)");
		if (rc < 0)
			goto bad;
	}
	if (r.id == NULL) {
		errat(l, n, "%s", "a permissions rule needs an id");
		goto bad;
	}
	if (!enabled) {
		old = FIND_ID(l, &l->cx->ix_perms, p->perms, r.id);
		if (old == NULL) {
			errat(l, idnode, "%s", "no permissions rule with this id to disable");
			goto bad;
		}
		/* its id NULL: passed over now, dropped when loading ends */
		perm_free(old);
		memset(old, 0, sizeof(*old));
		perm_free(&r);
		return 0;
	}
	if (when == NULL || !beh || r.reason == NULL) {
		errat(l, idnode, "%s", "a permissions rule needs when, behavior and a reason");
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
			rc = errat(l, wk, "%s", "unknown key in when (tool, agent, args_pattern)");
		if (rc < 0)
			goto bad;
	}
	if (!r.tool.code && !r.agent.code && !r.args.code) {
		errat(l, when, "%s", "when needs tool, agent or args_pattern");
		goto bad;
	}
	old = FIND_ID(l, &l->cx->ix_perms, p->perms, r.id);
	if (old != NULL) {
		perm_free(old);
		*old = r;
		return 0;
	}
	if (ARRAY_GROW(p->perms, p->nperms, &l->cx->cap_perms) < 0) {
		errat(l, n, "%s", "out of memory");
		goto bad;
	}
	p->perms[p->nperms++] = r;
	if (idx_add(l->cx, &l->cx->ix_perms, p->perms, sizeof(*p->perms), p->nperms,
	    p->nperms - 1) < 0) {
		r = p->perms[--p->nperms];
		errat(l, n, "%s", "out of memory");
		goto bad;
	}
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
			return errat(l, k, "%s", "unknown key in permissions (default, rules)");
	}
	return 0;
}

/* in the order of LONG_* */
static const char *const long_vals[] = { "truncate", "deny", NULL };
_Static_assert(LONG_TRUNCATE == 0 && LONG_DENY == 1, "long_vals");

static const struct field limits_fields[] = {
	F_LONG("max_output_chars", limits.max_output_chars, 0, 1L << 30),
	F_ENUM("long_output", limits.long_output, long_vals, "long_output must be truncate or deny"),
	F_STR("truncate_marker", limits.marker),
	F_STR("cost_field", limits.cost_field),
	F_NUMBER("max_run_cost", limits.max_run_cost),
	F_LONG("max_run_records", limits.max_run_records, 0, LONG_MAX),
	F_LONG("max_runs", limits.max_runs, 1, 1L << 24),
	F_STR("citation", limits.citation),
};

static int
load_limits(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "limits", limits_fields, NFIELDS(limits_fields));
}

/* ledger.content_fields: field paths, each as phi-scrub --field takes one */
static int
load_content_fields(struct ld *l, struct policy *p, yaml_node_t *v)
{
	size_t i;

	if (get_list(l, v, "content_fields", &p->ledger_content_fields, 1) < 0)
		return -1;
	for (i = 0; i < p->ledger_content_fields.n; i++) {
		struct fieldpath fp;
		struct phk_err fe;
		int bad = fieldpath_parse(&fp, p->ledger_content_fields.v[i], &fe) < 0;
		if (!bad) {
			bad = fp.optional;
			fieldpath_release(&fp);
		}
		if (bad)
			return errat(l, v, "%s", "ledger.content_fields: each a field path such as "
			    ". or .messages[].content");
	}
	return 0;
}

static const struct field ledger_fields[] = {
	F_BOOL("require_scrubbed", ledger_require_scrubbed),
	F_PERIOD("retention", ledger_retention_days),
	F_CALL("content_fields", load_content_fields),
};

static int
load_ledger(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "ledger", ledger_fields, NFIELDS(ledger_fields));
}

/* "file:line" of node n, kept for a message given after loading */
static char *
where(struct ld *l, const yaml_node_t *n)
{
	size_t len = strlen(l->file) + 24;
	char *s = malloc(len);

	if (s != NULL)
		snprintf(s, len, "%s:%zu", l->file, n->start_mark.line + 1);
	return s;
}

static int
read_require_baa(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	struct llm_conf *c = at;

	if (get_bool(l, v, key, &c->require_baa) < 0)
		return -1;
	free(c->require_at);
	if ((c->require_at = where(l, v)) == NULL)
		return errat(l, v, "%s: out of memory", key);
	return 0;
}

/* a base URL: http(s)://host[:port][/path], no user, query, fragment or space */
static int
read_endpoint_url(struct ld *l, yaml_node_t *v, const char *key, void *at)
{
	const char *s = scalar(l, v, key), *h;

	if (s == NULL)
		return -1;
	h = !strncmp(s, "https://", 8) ? s + 8 : !strncmp(s, "http://", 7) ? s + 7 : NULL;
	if (h == NULL || *h == '\0' || *h == '/' || strpbrk(s, " \t@?#") != NULL)
		return errat(l, v, "%s", "url must be http(s)://host[:port][/path], "
		    "with no user, query or fragment");
	return get_str(l, v, key, at);
}

static void
endpoint_free(struct llm_endpoint *ep)
{
	free(ep->url);
	free(ep->note);
	free(ep->at);
}

#undef F_STRUCT
#define F_STRUCT struct llm_endpoint
static const struct field endpoint_fields[] = {
	F_READ("url", url, char *, read_endpoint_url),
	F_BOOL("baa", baa),
	F_STR("note", note),
};
#undef F_STRUCT
#define F_STRUCT struct policy

/* One entry of llm.endpoints; an extending file's entries add to its base's. */
static int
load_endpoint(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct llm_endpoint ep = { NULL, 0, NULL, NULL };

	if (load_fields(l, p, &ep, n, "llm.endpoints", endpoint_fields,
	    NFIELDS(endpoint_fields)) < 0)
		goto fail;
	if (ep.url == NULL) {
		errat(l, n, "%s", "each of llm.endpoints needs a url");
		goto fail;
	}
	if ((ep.at = where(l, n)) == NULL ||
	    ARRAY_GROW(p->llm.endpoints, p->llm.nendpoints, &l->cx->cap_endpoints) < 0) {
		errat(l, n, "%s", "llm.endpoints: out of memory");
		goto fail;
	}
	p->llm.endpoints[p->llm.nendpoints++] = ep;
	return 0;
fail:
	endpoint_free(&ep);
	return -1;
}

static int
load_endpoints(struct ld *l, struct policy *p, yaml_node_t *v)
{
	yaml_node_item_t *it;

	if (v->type != YAML_SEQUENCE_NODE)
		return errat(l, v, "%s", "endpoints must be a list");
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		if (load_endpoint(l, p, yaml_document_get_node(&l->doc, *it)) < 0)
			return -1;
	return 0;
}

static const struct field llm_fields[] = {
	F_READ("require_baa", llm, struct llm_conf, read_require_baa),
	F_CALL("endpoints", load_endpoints),
};

static int
load_llm(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "llm", llm_fields, NFIELDS(llm_fields));
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
			return errat(l, n, "%s: not a name (%s)", what, NAME_CHARS);
		if (strlist_add(sl, (const char *)n->data.scalar.value) < 0)
			return errat(l, n, "%s: out of memory", what);
		return 0;
	}
	if (get_list(l, n, what, sl, 1) < 0)
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(&l->doc, *it);
		if (!ident_ok((const char *)c->data.scalar.value))
			return errat(l, c, "%s: not a name (%s)", what, NAME_CHARS);
	}
	return 0;
}

/* Where the i-th name of what get_names read stands. */
static yaml_node_t *
name_node(struct ld *l, yaml_node_t *n, size_t i)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return n;
	return yaml_document_get_node(&l->doc, n->data.sequence.items.start[i]);
}

static struct access_role *
find_role(struct ld *l, struct access_conf *a, const char *name)
{
	size_t i;

	return idx_find(l->cx, &l->cx->ix_roles, a->roles, sizeof(*a->roles), name, strlen(name), &i) ?
	    &a->roles[i] : NULL;
}

static struct access_alias *
find_alias_user(struct ld *l, struct access_conf *a, const char *user)
{
	size_t i;

	return idx_find(l->cx, &l->cx->ix_aliases, a->aliases, sizeof(*a->aliases), user,
	    strlen(user), &i) ? &a->aliases[i] : NULL;
}

/*
 * Which user holds each alias, for load_aliases: a hash table of (user,
 * name) positions, sized once for every alias there can be, so checking
 * N aliases is linear. An entry is checked against the lists as they are
 * when looked up, so one left by a list since replaced can mislead nothing.
 */
struct alias_owner {
	size_t u, j;		/* a->aliases[u].names.v[j] */
};
struct alias_tab {
	struct alias_owner *e;
	size_t n, *slot, cap;
};

static void
alias_tab_put(struct ld *l, struct alias_tab *t, size_t u, size_t j, const char *name)
{
	size_t h = (size_t)strhash(l->cx, name, strlen(name)) & (t->cap - 1);

	while (t->slot[h])
		h = (h + 1) & (t->cap - 1);
	t->e[t->n].u = u;
	t->e[t->n].j = j;
	t->slot[h] = ++t->n;
}

/* Whether a user other than u holds name as an alias now. */
static int
alias_tab_other(struct ld *l, const struct alias_tab *t, const struct access_conf *a, size_t u,
    const char *name)
{
	size_t h = (size_t)strhash(l->cx, name, strlen(name)) & (t->cap - 1);

	for (; t->slot[h]; h = (h + 1) & (t->cap - 1)) {
		const struct alias_owner *o = &t->e[t->slot[h] - 1];
		if (o->u != u && o->j < a->aliases[o->u].names.n &&
		    !strcmp(a->aliases[o->u].names.v[o->j], name))
			return 1;
	}
	return 0;
}

static int
load_aliases(struct ld *l, struct policy *p, yaml_node_t *n)
{
	struct access_conf *a = &p->access;
	struct alias_tab t;
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	const char *user;
	size_t i, u, most = 0;
	int rc = -1;

	if (need_map(l, n, "access.aliases") < 0)
		return -1;
	/* room for the aliases already loaded and every one this mapping can give */
	for (u = 0; u < a->naliases; u++)
		most += a->aliases[u].names.n;
	FOREACH_PAIR(l, n, k, v, pr)
		most += v->type == YAML_SEQUENCE_NODE ?
		    (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 1;
	memset(&t, 0, sizeof(t));
	for (t.cap = 16; t.cap < 2 * most; t.cap *= 2)
		;
	if ((t.e = calloc(most ? most : 1, sizeof(*t.e))) == NULL ||
	    (t.slot = calloc(t.cap, sizeof(*t.slot))) == NULL) {
		errat(l, n, "%s", "out of memory");
		goto out;
	}
	for (u = 0; u < a->naliases; u++)
		for (i = 0; i < a->aliases[u].names.n; i++)
			alias_tab_put(l, &t, u, i, a->aliases[u].names.v[i]);
	FOREACH_PAIR(l, n, k, v, pr) {
		struct access_alias *al;
		if ((user = keyname(l, k)) == NULL)
			goto out;
		if (!ident_ok(user)) {
			errat(l, k, "access.aliases: not a user name (%s)", NAME_CHARS);
			goto out;
		}
		if ((al = find_alias_user(l, a, user)) == NULL) {
			if (ARRAY_GROW(a->aliases, a->naliases, &l->cx->cap_aliases) < 0) {
				errat(l, k, "%s", "out of memory");
				goto out;
			}
			al = &a->aliases[a->naliases];
			memset(al, 0, sizeof(*al));
			if ((al->user = strdup(user)) == NULL) {
				errat(l, k, "%s", "out of memory");
				goto out;
			}
			a->naliases++;
			if (idx_add(l->cx, &l->cx->ix_aliases, a->aliases, sizeof(*a->aliases),
			    a->naliases, a->naliases - 1) < 0) {
				errat(l, k, "%s", "out of memory");
				goto out;
			}
		}
		u = (size_t)(al - a->aliases);
		if (get_names(l, v, "access.aliases", &al->names) < 0)
			goto out;
		for (i = 0; i < al->names.n; i++) {
			struct passwd *pw = getpwnam(al->names.v[i]);
			/* signing as someone else's login would defeat separation of duties */
			if (pw != NULL && strcmp(pw->pw_name, user)) {
				errat(l, name_node(l, v, i), "%s",
				    "access.aliases: an alias may not be another user's login name");
				goto out;
			}
			if (alias_tab_other(l, &t, a, u, al->names.v[i])) {
				errat(l, name_node(l, v, i), "%s",
				    "access.aliases: an alias already given to another user");
				goto out;
			}
		}
		for (i = 0; i < al->names.n; i++)
			alias_tab_put(l, &t, u, i, al->names.v[i]);
	}
	rc = 0;
out:
	free(t.e);
	free(t.slot);
	return rc;
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
		struct access_role *r;
		if ((name = keyname(l, k)) == NULL)
			return -1;
		if (!ident_ok(name))
			return errat(l, k, "access.roles: not a role name (%s)", NAME_CHARS);
		if (need_map(l, v, "a role") < 0)
			return -1;
		if ((r = find_role(l, a, name)) == NULL) {
			if (ARRAY_GROW(a->roles, a->nroles, &l->cx->cap_roles) < 0)
				return errat(l, k, "%s", "out of memory");
			r = &a->roles[a->nroles];
			memset(r, 0, sizeof(*r));
			if ((r->name = strdup(name)) == NULL)
				return errat(l, k, "%s", "out of memory");
			a->nroles++;
			if (idx_add(l->cx, &l->cx->ix_roles, a->roles, sizeof(*a->roles), a->nroles,
			    a->nroles - 1) < 0)
				return errat(l, k, "%s", "out of memory");
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
				return errat(l, k2, "%s", "unknown key in a role (users, groups)");
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
			return errat(l, k, "%s", "unknown action in access.actions (approve, reject, "
			    "release, anonymize, export, policy, reidentify, break_glass)");
		if (get_names(l, v, key, &a->actions[act]) < 0)
			return -1;
		for (i = 0; i < a->actions[act].n; i++)
			if (find_role(l, a, a->actions[act].v[i]) == NULL)
				return errat(l, name_node(l, v, i), "access.actions.%s: no such role in "
				    "access.roles", key);
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
			return errat(l, k, "%s", "unknown key in access (aliases, roles, actions)");
	}
	return actions ? load_actions(l, p, actions) : 0;
}

static const struct field hitl_fields[] = {
	F_LONG("timeout_s", hitl.timeout_s, 0, 100L * 366 * 86400),
	F_LONG("expire_s", hitl.expire_s, 0, 100L * 366 * 86400),
	F_INT("approvals_required", hitl.approvals_required, 1, 16),
	F_BOOL("separation_of_duties", hitl.separation_of_duties),
	F_LIST("irreversible_tools", hitl.irreversible_tools),
	F_STR("webhook", hitl.webhook),
	F_LONG("break_glass_review_s", hitl.break_glass_review_s, 0, 100L * 366 * 86400),
};

static int
load_hitl(struct ld *l, struct policy *p, yaml_node_t *n)
{
	return load_fields(l, p, p, n, "hitl", hitl_fields, NFIELDS(hitl_fields));
}

static int load_file(struct policy *p, const char *path, struct loadctx *cx,
    struct phk_err *e);

/*
 * The file "extends: name" names: a path (a '/', or .yaml or .yml in it),
 * relative to the extending file's directory; a bare name, NAME.yaml
 * beside the extending file, else where the preset is looked for
 * (named_policy_path). NULL: out of memory, or a name too long.
 */
static char *
find_base(struct ld *l, const char *name)
{
	char *p, found[PATH_MAX + 64];
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
	if (named_policy_path(name, found, sizeof(found)) < 0)
		return NULL;
	return strdup(found);
}

/*
 * What libyaml lets through and a policy may not hold: a key given twice
 * in one mapping, where the last would silently win (a second hitl: could
 * turn separation of duties off unseen), and a NUL in a string (an escape
 * such as "\0", "\x00" or "\u0000" in double quotes), where C strings,
 * patterns among them, would end and a rule match less than it says.
 * Every node of the document is looked at once, whatever it belongs to,
 * keys included; the first offence in the file is reported. Linear: one
 * hash table, sized for the largest mapping and cleared mapping by mapping.
 */
static int
check_nodes(struct ld *l)
{
	struct loadctx *cx = l->cx;
	yaml_node_t *n, *bad = NULL, *first = NULL;
	size_t np, cap, i, h;
	yaml_node_pair_t *pairs;

	for (n = l->doc.nodes.start; n < l->doc.nodes.top; n++) {
		if (n->type == YAML_SCALAR_NODE) {
			if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL &&
			    (bad == NULL || n->start_mark.index < bad->start_mark.index)) {
				bad = n;
				first = NULL;
			}
			continue;
		}
		if (n->type != YAML_MAPPING_NODE)
			continue;
		pairs = n->data.mapping.pairs.start;
		np = (size_t)(n->data.mapping.pairs.top - pairs);
		for (cap = 8; cap < 2 * np; cap *= 2)
			;
		if (cap > cx->tabcap) {
			size_t *t = realloc(cx->tab, cap * sizeof(*t));
			if (t == NULL)
				return errat(l, n, "%s", "out of memory");
			cx->tab = t;
			cx->tabcap = cap;
		}
		memset(cx->tab, 0, cap * sizeof(*cx->tab));
		for (i = 0; i < np; i++) {
			yaml_node_t *k = yaml_document_get_node(&l->doc, pairs[i].key), *o = NULL;
			if (k == NULL || k->type != YAML_SCALAR_NODE)
				continue;	/* not a key phikit knows: said when read */
			h = (size_t)strhash(cx, (const char *)k->data.scalar.value,
			    k->data.scalar.length) & (cap - 1);
			for (; cx->tab[h]; h = (h + 1) & (cap - 1)) {
				o = yaml_document_get_node(&l->doc, pairs[cx->tab[h] - 1].key);
				if (o->data.scalar.length == k->data.scalar.length &&
				    !memcmp(o->data.scalar.value, k->data.scalar.value, k->data.scalar.length))
					break;
			}
			if (cx->tab[h] == 0)
				cx->tab[h] = i + 1;
			else if (bad == NULL || k->start_mark.index < bad->start_mark.index) {
				bad = k;
				first = o;
			}
		}
	}
	if (bad == NULL)
		return 0;
	if (first == NULL)
		return errat(l, bad, "%s", "a NUL character in a string");
	return errat(l, bad, "duplicate key in a mapping (first at %zu:%zu)",
	    first->start_mark.line + 1, first->start_mark.column + 1);
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
		return errmark(l, &l->doc.start_mark, "%s", "empty policy");
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
			return errat(l, v, "%s", "extends: out of memory, or a name too long");
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
		} else if (!strcmp(key, "llm")) {
			if (load_llm(l, p, v) < 0)
				return -1;
		} else
			return errat(l, k, "%s", "unknown key (name, version, description, extends, scrub, "
			    "terms, prohibited_output, required_disclosure, permissions, limits, ledger, "
			    "access, hitl, llm)");
	}
	return 0;
}

/*
 * libyaml's own error: where, and its problem, a fixed text of libyaml's
 * (never its context, never the input). A reader error (bad UTF-8, a
 * control character) carries a byte offset and no mark: line and column
 * are counted here, the column in characters as libyaml counts them.
 */
static void
yaml_error(struct ld *l, const yaml_parser_t *parser, const char *text, size_t len)
{
	yaml_mark_t m = parser->problem_mark;
	const char *problem = parser->problem ? parser->problem : "malformed YAML";
	size_t i;

	if (parser->error == YAML_READER_ERROR) {
		memset(&m, 0, sizeof(m));
		for (i = 0; i < parser->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80)
				m.column++;
		}
	} else if (parser->error == YAML_COMPOSER_ERROR && parser->context &&
	    !strcmp(problem, "second occurrence"))
		problem = "found duplicate anchor";
	errmark(l, &m, "%s", problem);
}

static int
load_file(struct policy *p, const char *path, struct loadctx *cx, struct phk_err *e)
{
	yaml_parser_t parser;
	yaml_document_t more;
	struct ld l;
	FILE *f;
	char *slash, *text = NULL;
	size_t len = 0, cap = 0, got;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.file = path;
	l.e = e;
	l.cx = cx;
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
		yaml_error(&l, &parser, text, len);
		yaml_parser_delete(&parser);
		goto out;
	}
	/* one document: what follows a second "---" would otherwise go unread */
	if (!yaml_parser_load(&parser, &more)) {
		yaml_error(&l, &parser, text, len);
		yaml_parser_delete(&parser);
		yaml_document_delete(&l.doc);
		goto out;
	}
	yaml_parser_delete(&parser);
	if (yaml_document_get_root_node(&more) != NULL) {
		errmark(&l, &more.start_mark, "%s", "a second YAML document (a policy is one document)");
		yaml_document_delete(&more);
		yaml_document_delete(&l.doc);
		goto out;
	}
	yaml_document_delete(&more);
	rc = check_nodes(&l);
	if (rc == 0)
		rc = load_doc(&l, p, cx);
	/* after load_doc, which loads what this extends: the base is hashed first */
	crypto_hash_sha256_update(&cx->h, (const unsigned char *)text, len);
	/* and kept as it was hashed, for the ledger's record of a queue's policy */
	if (rc == 0 && (buf_printf(&p->source, "# phikit policy file %s\n", path) < 0 ||
	    buf_add(&p->source, text, len) < 0)) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		rc = -1;
	}
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
	int rc;

	memset(p, 0, sizeof(*p));
	buf_init(&p->source, (size_t)1 << 28);
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
	randombytes_buf(cx.hkey, sizeof(cx.hkey));
	rc = load_file(p, path, &cx, e);
	free(cx.tab);
	free(cx.ix_rules.slot);
	free(cx.ix_guard.slot);
	free(cx.ix_disc.slot);
	free(cx.ix_perms.slot);
	free(cx.ix_terms.slot);
	free(cx.ix_roles.slot);
	free(cx.ix_aliases.slot);
	if (rc < 0) {
		policy_release(p);
		return -1;
	}
	/* the rules disabled on the way, gone at last, the others in their order */
	p->nrules = compact(p->rules, p->nrules, sizeof(*p->rules));
	p->nguard = compact(p->guard, p->nguard, sizeof(*p->guard));
	p->ndisc = compact(p->disc, p->ndisc, sizeof(*p->disc));
	p->nperms = compact(p->perms, p->nperms, sizeof(*p->perms));
	crypto_hash_sha256_final(&cx.h, h);
	if ((p->path = realpath(path, NULL)) == NULL && (p->path = xstrdup(path)) == NULL) {
		policy_release(p);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
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
	strlist_free(&p->ledger_content_fields);
	buf_release(&p->source);
	free(p->path);
	free(p->names.first_names);
	free(p->names.surnames);
	free(p->names.english);
	free(p->names.medical);
	free(p->names.abbrev);
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
	strlist_free(&p->names.place_cues);
	strlist_free(&p->names.facility_heads);
	strlist_free(&p->names.facility_names);
	for (i = 0; i < p->nguard; i++)
		guard_rule_free(&p->guard[i]);
	free(p->guard);
	for (i = 0; i < p->ndisc; i++)
		disclosure_free(&p->disc[i]);
	free(p->disc);
	for (i = 0; i < p->nperms; i++)
		perm_free(&p->perms[i]);
	free(p->perms);
	for (i = 0; i < p->llm.nendpoints; i++)
		endpoint_free(&p->llm.endpoints[i]);
	free(p->llm.endpoints);
	free(p->llm.require_at);
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
