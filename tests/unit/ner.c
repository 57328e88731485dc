/*
 * lib/ner.c: tokens, the features training sees and the scores run time
 * computes (the same, through the word cache), spans, and a model file
 * refused whole when it is missing, corrupt or another model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clf.h"
#include "names.h"
#include "ner.h"
#include "tap.h"

struct span {
	size_t s, e;
	int label;
	double p;
};

static struct span got[16];
static int ngot;

static int
collect(void *ctx, size_t s, size_t e, int label, double p)
{
	(void)ctx;
	if (ngot < 16) {
		got[ngot].s = s;
		got[ngot].e = e;
		got[ngot].label = label;
		got[ngot].p = p;
	}
	ngot++;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void
tok_is(const struct ner_work *w, const char *s, size_t i, const char *want, int kind, const char *name)
{
	if (i >= w->n) {
		ok(0, "%s (no token %zu)", name, i);
		return;
	}
	is_mem(s + w->t[i].s, w->t[i].e - w->t[i].s, want, strlen(want), "%s", name);
	is_int(w->t[i].kind, kind, "%s: its kind", name);
}

int
main(void)
{
	char dir[] = "/tmp/phikit-ner.XXXXXX", path[64], bad[64], other[64];
	struct names_conf nc;
	struct names nm;
	struct ner_work w;
	struct ner nr;
	struct clf_vec x, y;
	struct phk_err e;
	const char *t1 = "Seen 6/30-7/2 by Dr. O'Brien's team; TOXICITY-9/2/92, on the 20th.\nPLAN: home";
	const char *t2 = "Seen by Zqxwv today";
	char *labels[NER__N], lname[NER__N][8];
	float bias[NER__N], *wt;
	uint32_t keys[512];
	size_t i, k, nk = 0;
	int l, same;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	memset(&nc, 0, sizeof(nc));
	nc.enabled = 1;
	if (names_init(&nm, &nc, &e) < 0)
		return 1;
	ner_work_init(&w);

	/* tokens: words, numbers with their separators, ordinals, no possessive */
	ok(ner_tokenize(&w, &nm, t1, strlen(t1)) == 0, "a text is cut into tokens");
	is_int((int)w.n, 13, "thirteen of them");
	tok_is(&w, t1, 1, "6/30-7/2", NT_NUM, "a range of days is one number");
	tok_is(&w, t1, 4, "O'Brien", NT_WORD, "an apostrophe inside a name, the possessive left out");
	tok_is(&w, t1, 5, "team", NT_WORD, "the next word");
	tok_is(&w, t1, 6, "TOXICITY", NT_WORD, "a word glued to a date");
	tok_is(&w, t1, 7, "9/2/92", NT_NUM, "and the date");
	tok_is(&w, t1, 10, "20th", NT_NUM, "an ordinal is one number");
	is_int(w.t[4].cls, 'M', "O'Brien is of mixed case");
	is_int(w.t[6].cls, 'U', "TOXICITY in capitals");
	is_int(w.t[11].gbn, 1, "PLAN starts a line");
	is_int(w.t[10].eol, 1, "20th ends one");
	ok(w.t[12].sec != 0 && w.t[12].sec == w.t[11].sec, "PLAN: opens a section its words are in");
	is_int(w.style, 'M', "a note in mixed case");
	ok(ner_tokenize(&w, &nm, "PT IN USOH UNTIL 8/23 WHEN PRESENTED AT VAMC", 44) == 0 &&
	    w.style == 'A', "a note in capitals");
	ok(ner_tokenize(&w, &nm, "pt conts a&ox3, mae, skin w&d, talking and drinking", 51) == 0 &&
	    w.style == 'L', "a note in lower case");

	/* the features are the same every time, and per token */
	clf_vec_init(&x);
	clf_vec_init(&y);
	ner_tokenize(&w, &nm, t2, strlen(t2));
	l = ner_vector(&w, t2, 2, 20, &x);
	ok(l == 0 && x.n > 20, "a token has its features (%zu)", x.n);
	ner_tokenize(&w, &nm, t2, strlen(t2));
	ner_vector(&w, t2, 2, 20, &y);
	same = x.n == y.n;
	for (i = 0; same && i < x.n; i++)
		same = x.idx[i] == y.idx[i];
	ok(same, "the same features for the same text");
	ner_vector(&w, t2, 1, 20, &y);
	same = x.n == y.n;
	for (i = 0; same && i < x.n; i++)
		same = x.idx[i] == y.idx[i];
	ok(!same, "and others for another token");

	/*
	 * A model that knows one thing: the features only "Zqxwv" has make a
	 * name. Scored through the cache, it must find exactly that word.
	 */
	ner_vector(&w, t2, 2, 12, &x);
	for (i = 0; i < x.n && nk < 512; i++) {
		int elsewhere = 0;
		size_t j;
		for (j = 0; j < w.n && !elsewhere; j++) {
			if (j == 2)
				continue;
			ner_vector(&w, t2, j, 12, &y);
			for (k = 0; k < y.n; k++)
				elsewhere |= y.idx[k] == x.idx[i];
		}
		for (k = 0; k < nk; k++)
			elsewhere |= keys[k] == x.idx[i];
		if (!elsewhere)
			keys[nk++] = x.idx[i];
	}
	ok(nk > 3, "the word has features of its own (%zu)", nk);
	qsort(keys, nk, sizeof(keys[0]), cmp_u32);
	wt = calloc(nk * NER__N, sizeof(float));
	for (l = 0; l < NER__N; l++) {
		snprintf(lname[l], sizeof(lname[l]), "%s", ner_label_names[l]);
		labels[l] = lname[l];
		bias[l] = l == NER_O ? 2.0f : -6.0f;
	}
	for (k = 0; k < nk; k++)
		wt[k * NER__N + NER_NAME] = 12.0f / (float)nk * 2;
	snprintf(path, sizeof(path), "%s/m", dir);
	ok(clf_save(path, NER_MODEL_NAME, "a test; threshold=0.5; propagate=0.75", labels, NER__N,
	    12, bias, keys, wt, nk, &e) == 0, "a model is written");
	ok(ner_load(&nr, path, &e) == 0, "and loaded");
	ok(fabs(nr.thr - 0.5) < 1e-9 && fabs(nr.prop - 0.75) < 1e-9,
	    "its thresholds come from its note");
	ner_tokenize(&w, &nm, t2, strlen(t2));
	ngot = 0;
	ok(ner_find(&nr, &w, t2, collect, NULL) == 0, "a text is classified");
	is_int(ngot, 1, "one span");
	ok(ngot >= 1 && got[0].s == 8 && got[0].e == 13 && got[0].label == NER_NAME,
	    "the word, as a name");
	ok(ngot >= 1 && got[0].p > 0.5 && got[0].p <= 1, "with its probability (%.3f)",
	    ngot ? got[0].p : 0);
	{
		/* the cache's sums are the training features' */
		double pc[CLF_MAX_LABELS];
		ner_vector(&w, t2, 2, 12, &x);
		clf_predict(&nr.clf, &x, pc);
		ok(fabs(pc[NER_NAME] - got[0].p) < 1e-4, "run time scores what training saw (%.5f, %.5f)",
		    pc[NER_NAME], got[0].p);
	}
	ngot = 0;
	ner_find(&nr, &w, t2, collect, NULL);
	is_int(ngot, 1, "the second time, from the cache, the same");

	/* refused whole: missing, corrupt, another model */
	ner_release(&nr);
	snprintf(bad, sizeof(bad), "%s/none", dir);
	ok(ner_load(&nr, bad, &e) < 0 && e.status == 2 && strstr(e.msg, "No such file") != NULL,
	    "a missing model is an error (exit 2)");
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	{
		char buf[1 << 16];
		size_t n;
		f = fopen(path, "rb");
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		buf[n / 2] ^= 1;
		f = fopen(bad, "wb");
		fwrite(buf, 1, n, f);
		fclose(f);
	}
	ok(ner_load(&nr, bad, &e) < 0 && e.status == 2 && strstr(e.msg, "corrupt") != NULL,
	    "one flipped bit is an error: %s", e.msg);
	snprintf(other, sizeof(other), "%s/other", dir);
	clf_save(other, "something-else", "", labels, NER__N, 12, bias, keys, wt, nk, &e);
	ok(ner_load(&nr, other, &e) < 0 && e.status == 2 && strstr(e.msg, "something else") != NULL,
	    "another model is an error: %s", e.msg);

	unlink(path);
	unlink(bad);
	unlink(other);
	rmdir(dir);
	free(wt);
	clf_vec_release(&x);
	clf_vec_release(&y);
	ner_work_release(&w);
	names_release(&nm);
	return done_testing();
}
