/*
 * guard-features — the sentences of guard-check's texts and their
 * classifier features, for scripts/train-guard.
 *
 *	guard-features [-p POLICY] --nbits N [--explain] [--model MODEL] [FILE]
 *
 * Reads JSON Lines records with a string "text" (and any "id"); splits
 * the text's normalized shadow (NORM_PROSE) into sentences as guard-check
 * does (lib/gclf's gclf_sentence) and prints, per sentence, one JSON line:
 *
 *	{"n":RECORD,"s":START,"e":END,"f":"IDX:1 IDX:1 ..."}
 *
 * RECORD counts input lines from 0; START and END are the sentence's span
 * in code points of the original text (guard-check's offsets); f the
 * features as lib/gclf hashes them among 2^N, in clf-train's format. With
 * --explain, "w" lists the feature strings too; with --model, "p" holds
 * the model's probability of each of its labels. The vocabulary (the
 * policy's names section: NF_MED, NF_ENG) is read as guard-check reads it.
 * A development tool, built like tools/clf-train; not installed.
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
#include "gclf.h"
#include "jscan.h"
#include "names.h"
#include "norm.h"
#include "policy.h"

static void
explain(void *ctx, const char *f, size_t n)
{
	json_t *a = ctx;

	json_array_append_new(a, json_stringn(f, n));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nbits", required_argument, NULL, 'b' },
		{ "explain", no_argument, NULL, 'x' },
		{ "model", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *policy = NULL, *model = NULL;
	struct clf mod;
	double prob[CLF_MAX_LABELS];
	unsigned nbits = 0;
	int c, want_explain = 0;
	struct policy pol;
	struct names nm;
	struct norm no;
	struct clf_vec x;
	struct phk_err e;
	struct buf fb;
	FILE *in = stdin;
	char *line = NULL;
	size_t cap = 0, rec = 0;
	ssize_t len;

	phk_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'b': nbits = (unsigned)atoi(optarg); break;
		case 'x': want_explain = 1; break;
		case 'm': model = optarg; break;
		case 'h':
			printf("usage: guard-features [-p POLICY] --nbits N [--explain] [--model MODEL] [FILE]\n");
			return 0;
		default:
			fprintf(stderr, "usage: guard-features [-p POLICY] --nbits N [--explain] [--model MODEL] [FILE]\n");
			return 2;
		}
	}
	if (nbits < 8 || nbits > 28 || optind + 1 < argc) {
		fprintf(stderr, "usage: guard-features [-p POLICY] --nbits N [--explain] [--model MODEL] [FILE]\n");
		return 2;
	}
	if (optind < argc && (in = fopen(argv[optind], "r")) == NULL) {
		phk_warn("%s: %s", argv[optind], strerror(errno));
		return 2;
	}
	if (policy_load(&pol, policy ? policy : policy_default_path(), &e) < 0 ||
	    names_init(&nm, &pol.names, &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if (model && clf_load(&mod, model, "guard-sentences", &e) < 0) {
		phk_warn("%s", e.msg);
		return e.status;
	}
	if (model)
		nbits = mod.nbits;
	norm_init(&no);
	clf_vec_init(&x);
	buf_init(&fb, (size_t)1 << 30);
	while ((len = getline(&line, &cap, in)) > 0) {
		json_error_t je;
		json_t *r = json_loadb(line, (size_t)len, 0, &je), *t;
		const char *s, *src;
		size_t n, pos = 0, ss, se, a, b, i;
		if (r == NULL || (t = json_object_get(r, "text")) == NULL || !json_is_string(t)) {
			phk_warn("line %zu: not a record with a string \"text\"", rec + 1);
			return 3;
		}
		src = json_string_value(t);
		if (norm_run(&no, src, json_string_length(t), NORM_PROSE) < 0) {
			phk_warn("out of memory");
			return 4;
		}
		s = no.p;
		n = no.n;
		while (gclf_next(s, n, &pos, &ss, &se)) {
			json_t *o, *w = NULL;
			char *dump;
			if (want_explain)
				w = json_array();
			if (gclf_features(&nm, nbits, s + ss, se - ss, &x, want_explain ? explain : NULL,
			    w) < 0) {
				phk_warn("out of memory");
				return 4;
			}
			a = ss;
			b = se;
			if (no.changed)
				norm_span(&no, ss, se, &a, &b);
			buf_reset(&fb);
			for (i = 0; i < x.n; i++)
				buf_printf(&fb, "%s%u:%g", i ? " " : "", x.idx[i], (double)x.val[i]);
			o = json_pack("{s:I,s:I,s:I,s:s%}", "n", (json_int_t)rec, "s",
			    (json_int_t)utf8_count(src, a), "e", (json_int_t)utf8_count(src, b), "f", fb.len ? fb.p : "",
			    fb.len);
			if (w)
				json_object_set_new(o, "w", w);
			if (model) {
				json_t *pj = json_object();
				int k;
				clf_predict(&mod, &x, prob);
				for (k = 0; k < mod.nlabels; k++)
					json_object_set_new(pj, mod.labels[k], json_real(prob[k]));
				json_object_set_new(o, "p", pj);
			}
			dump = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			puts(dump);
			free(dump);
			json_decref(o);
		}
		json_decref(r);
		rec++;
	}
	free(line);
	buf_release(&fb);
	clf_vec_release(&x);
	norm_release(&no);
	names_release(&nm);
	policy_release(&pol);
	if (model)
		clf_release(&mod);
	return 0;
}
