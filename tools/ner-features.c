/*
 * ner-features — turns labeled JSON Lines into tools/clf-train's input for
 * the token classifier of lib/ner, with lib/ner's own feature code.
 *
 *	ner-features -p POLICY [--nbits N] [FILE]...
 *
 * Each input line is a record in phi-eval's corpus format: "text", and
 * "phi" (and "not_phi") spans with "label", "start" and "end" counted in
 * code points, as Python indexes strings. Each token of the text becomes
 * one output line: its label (O, NAME, LOC, ADDR, ZIP, DATE, PHONE, AGE,
 * ID; a "not_phi" span is O), then index:1 per feature. Tokens inside an
 * e-mail address, a URL or an IP address are left out: their shapes are
 * the rules', and their words would teach the model that names are not.
 * The text goes through what phi-scrub does to it first: the normalized
 * shadow (lib/norm), the name heuristics (lib/names) marking their finds.
 * A development tool, built with `make tools/ner-features`.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clf.h"
#include "diag.h"
#include "names.h"
#include "ner.h"
#include "norm.h"
#include "policy.h"

#define SKIP 255

static int
label_of(const char *l, int not_phi)
{
	static const struct {
		const char *corpus;
		int ner;
	} map[] = {
		{ "NAME", NER_NAME }, { "LOCATION", NER_LOC }, { "CITY", NER_LOC },
		{ "ADDRESS", NER_ADDR }, { "ZIP", NER_ZIP }, { "DATE", NER_DATE },
		{ "PHONE", NER_PHONE }, { "FAX", NER_PHONE }, { "AGE", NER_AGE },
		{ "EMAIL", SKIP }, { "URL", SKIP }, { "IP", SKIP },
	};
	size_t i;

	if (not_phi)
		return NER_O;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].corpus, l) == 0)
			return map[i].ner;
	return NER_ID;	/* SSN, MRN, ACCOUNT...: an identifier */
}

/* Byte offset of every code point of s, and of its end: off[0..ncp]. */
static size_t *
cp_offsets(const char *s, size_t n, size_t *ncp)
{
	size_t *off = malloc((n + 1) * sizeof(*off)), i, k = 0;

	if (off == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			off[k++] = i;
	off[k] = n;
	*ncp = k;
	return off;
}

static int
paint(json_t *spans, int not_phi, const size_t *off, size_t ncp, unsigned char *lab)
{
	size_t i, b;
	json_t *sp;

	if (spans == NULL)
		return 0;
	if (!json_is_array(spans))
		return -1;
	json_array_foreach(spans, i, sp) {
		json_int_t st = json_integer_value(json_object_get(sp, "start"));
		json_int_t en = json_integer_value(json_object_get(sp, "end"));
		const char *l = json_string_value(json_object_get(sp, "label"));
		int v;
		if (l == NULL || st < 0 || en < st || (size_t)en > ncp)
			return -1;
		v = label_of(l, not_phi);
		for (b = off[st]; b < off[en]; b++)
			if (!not_phi || lab[b] == NER_O)
				lab[b] = (unsigned char)v;
	}
	return 0;
}

static int
on_name(void *ctx, size_t a, size_t b, const char *rule)
{
	(void)ctx, (void)a, (void)b, (void)rule;
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ner-features -p POLICY [--nbits N] [FILE]...\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "nbits", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *polpath = NULL;
	unsigned nbits = 20;
	struct policy pol;
	struct names nm;
	struct ntoks tk;
	struct ner_work w;
	struct norm nrm;
	struct clf_vec x;
	struct phk_err e;
	struct buf out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int c, fi;
	long lineno;
	unsigned long skipped[NER__N] = { 0 };

	phk_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': polpath = optarg; break;
		case 'b': nbits = (unsigned)atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (polpath == NULL || nbits < 8 || nbits > 28) {
		usage(stderr);
		return 2;
	}
	if (policy_load(&pol, polpath, &e) < 0 || names_init(&nm, &pol.names, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	memset(&tk, 0, sizeof(tk));
	ner_work_init(&w);
	norm_init(&nrm);
	clf_vec_init(&x);
	buf_init(&out, (size_t)1 << 30);
	for (fi = optind; fi < argc || (fi == optind && optind == argc); fi++) {
		FILE *in = fi < argc ? fopen(argv[fi], "r") : stdin;
		const char *fname = fi < argc ? argv[fi] : "<stdin>";
		if (in == NULL) {
			phk_warn("%s: %s", argv[fi], strerror(errno));
			return 2;
		}
		for (lineno = 1; (len = getline(&line, &cap, in)) > 0; lineno++) {
			json_error_t je;
			json_t *r = json_loadb(line, (size_t)len, 0, &je), *tx;
			const char *text;
			size_t n, ncp, *off, i, k;
			unsigned char *lab;

			if (r == NULL || !json_is_object(r) ||
			    !json_is_string(tx = json_object_get(r, "text"))) {
				phk_warn("%s:%ld: not a labeled record", fname, lineno);
				return 3;
			}
			text = json_string_value(tx);
			n = json_string_length(tx);
			if ((off = cp_offsets(text, n, &ncp)) == NULL ||
			    (lab = calloc(n + 1, 1)) == NULL)
				return 4;
			if (paint(json_object_get(r, "phi"), 0, off, ncp, lab) < 0 ||
			    paint(json_object_get(r, "not_phi"), 1, off, ncp, lab) < 0) {
				phk_warn("%s:%ld: a span out of the text", fname, lineno);
				return 3;
			}
			if (norm_run(&nrm, text, n, NORM_TEXT) < 0 ||
			    ner_tokenize(&w, &nm, nrm.p, nrm.n) < 0 ||
			    names_tokenize(&nm, nrm.p, nrm.n, &tk) < 0)
				return 4;
			if (names_detect(&nm, nrm.p, nrm.n, &tk, on_name, NULL) < 0)
				return 4;
			ner_marks(&w, &tk);
			for (i = 0; i < w.n; i++) {
				size_t sa, sb;
				int l = NER_O, most = 0, cnt[256] = { 0 };
				norm_span(&nrm, w.t[i].s, w.t[i].e, &sa, &sb);
				for (k = sa; k < sb; k++)
					cnt[lab[k]]++;
				/* the label most of its bytes have; any PHI beats O */
				for (k = 1; k < 256; k++)
					if (cnt[k] > most) {
						most = cnt[k];
						l = (int)k;
					}
				if (l == SKIP)
					continue;
				if (ner_skip(&w, i)) {
					skipped[l]++;
					continue;
				}
				if (ner_vector(&w, nrm.p, i, nbits, &x) < 0)
					return 4;
				buf_reset(&out);
				if (buf_adds(&out, ner_label_names[l]) < 0)
					return 4;
				for (k = 0; k < x.n; k++)
					if (buf_printf(&out, " %u:1", x.idx[k]) < 0)
						return 4;
				if (buf_addc(&out, '\n') < 0 ||
				    fwrite(out.p, 1, out.len, stdout) != out.len) {
					phk_warn("stdout: %s", strerror(errno));
					return 4;
				}
			}
			free(off);
			free(lab);
			json_decref(r);
		}
		if (in != stdin)
			fclose(in);
		if (fi >= argc)
			break;
	}
	fprintf(stderr, "ner-features: left out as plain words:");
	for (c = 0; c < NER__N; c++)
		fprintf(stderr, " %s %lu", ner_label_names[c], skipped[c]);
	fprintf(stderr, "\n");
	if (fflush(stdout) != 0) {
		phk_warn("stdout: %s", strerror(errno));
		return 4;
	}
	free(line);
	buf_release(&out);
	clf_vec_release(&x);
	norm_release(&nrm);
	ner_work_release(&w);
	ntoks_release(&tk);
	names_release(&nm);
	policy_release(&pol);
	return 0;
}
