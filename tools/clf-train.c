/*
 * clf-train — trains a phikit model file (lib/clf.h) with liblinear's
 * logistic regression from examples a feature extractor wrote.
 *
 *	clf-train --name NAME --labels L1,L2,... --nbits N [-c C] [-s SOLVER]
 *	    [--weight LABEL=W]... [--prune EPS] [--info TEXT] -o MODEL [FILE]
 *
 * Each input line is one example: a label, then index:value pairs, the
 * indices 0-based among 2^nbits (clf_index), in any order, repeats adding
 * up. SOLVER is liblinear's: 0 L2-regularized logistic regression (primal,
 * deterministic; the default), 6 L1-regularized, 7 L2 dual. Weights whose
 * magnitude is under EPS (default 1e-4) are left out of the file.
 * A development tool: the only program that links liblinear.
 */
#include <errno.h>
#include <getopt.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clf.h"
#include "diag.h"

static void
quiet(const char *s)
{
	(void)s;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct feature_node *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: clf-train --name NAME --labels L1,L2,... --nbits N [-c C] [-s SOLVER]\n"
	    "                 [--weight LABEL=W]... [--prune EPS] [--info TEXT] -o MODEL [FILE]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "labels", required_argument, NULL, 'l' },
		{ "nbits", required_argument, NULL, 'b' },
		{ "weight", required_argument, NULL, 'w' },
		{ "prune", required_argument, NULL, 'p' },
		{ "info", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *labels_arg = NULL, *out = NULL, *info = "";
	char *labels[CLF_MAX_LABELS], *wname[CLF_MAX_LABELS], *lcopy, *tok, *save = NULL;
	int nlabels = 0, c, wl[CLF_MAX_LABELS], nw = 0, k, li;
	double wv[CLF_MAX_LABELS], prune = 1e-4;
	unsigned nbits = 0;
	struct parameter par;
	struct problem prob;
	struct model *m;
	struct phk_err e;
	FILE *in = stdin;
	char *line = NULL;
	size_t cap = 0, nx = 0, xcap = 0, nodes = 0, ncap = 0, i, j;
	ssize_t len;
	struct feature_node *pool = NULL;
	size_t *start = NULL;
	double *y = NULL;
	long lineno = 0;
	int maxidx = 0;

	phk_setprog(argv[0]);
	memset(&par, 0, sizeof(par));
	par.solver_type = L2R_LR;
	par.C = 1;
	par.eps = 0.01;
	while ((c = getopt_long(argc, argv, "c:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'l': labels_arg = optarg; break;
		case 'b': nbits = (unsigned)atoi(optarg); break;
		case 'c': par.C = atof(optarg); break;
		case 's': par.solver_type = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'p': prune = atof(optarg); break;
		case 'i': info = optarg; break;
		case 'w':
			if (nw == CLF_MAX_LABELS || strchr(optarg, '=') == NULL) {
				usage(stderr);
				return 2;
			}
			wv[nw] = atof(strchr(optarg, '=') + 1);
			*strchr(optarg, '=') = '\0';
			wname[nw++] = optarg;	/* resolved below */
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!name || !labels_arg || !out || nbits < 8 || nbits > 28 || optind + 1 < argc) {
		usage(stderr);
		return 2;
	}
	if (par.solver_type != L2R_LR && par.solver_type != L1R_LR &&
	    par.solver_type != L2R_LR_DUAL) {
		phk_warn("-s takes a logistic regression solver: 0, 6 or 7");
		return 2;
	}
	if (optind < argc && (in = fopen(argv[optind], "r")) == NULL) {
		phk_warn("%s: %s", argv[optind], strerror(errno));
		return 2;
	}
	{
		if ((lcopy = strdup(labels_arg)) == NULL)
			return 4;
		for (tok = strtok_r(lcopy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (nlabels == CLF_MAX_LABELS) {
				phk_warn("too many labels");
				return 2;
			}
			labels[nlabels++] = tok;
		}
		for (k = 0; k < nw; k++) {
			for (li = 0; li < nlabels && strcmp(labels[li], wname[k]); li++)
				;
			if (li == nlabels) {
				phk_warn("--weight names a label not in --labels");
				return 2;
			}
			wl[k] = li;
		}
	}
	if (nlabels < 2) {
		phk_warn("--labels needs two labels or more");
		return 2;
	}

	while ((len = getline(&line, &cap, in)) > 0) {
		char *p = line, *end;
		size_t first;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		end = strchr(p, ' ');
		if (end)
			*end = '\0';
		for (li = 0; li < nlabels && strcmp(labels[li], p); li++)
			;
		if (li == nlabels) {
			phk_warn("line %ld: a label not in --labels", lineno);
			return 3;
		}
		if (nx == xcap) {
			xcap = xcap ? xcap * 2 : 4096;
			if ((y = realloc(y, xcap * sizeof(*y))) == NULL ||
			    (start = realloc(start, (xcap + 1) * sizeof(*start))) == NULL)
				return 4;
		}
		y[nx] = li;
		start[nx] = first = nodes;
		for (p = end ? end + 1 : NULL; p && *p; ) {
			long idx;
			double v;
			char *q;
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			idx = strtol(p, &q, 10);
			if (q == p || *q != ':' || idx < 0 || idx >= (1L << nbits)) {
				phk_warn("line %ld: bad index:value", lineno);
				return 3;
			}
			v = strtod(q + 1, &p);
			if (!isfinite(v)) {
				phk_warn("line %ld: bad value", lineno);
				return 3;
			}
			if (nodes + 2 > ncap) {
				ncap = ncap ? ncap * 2 : 1 << 20;
				if ((pool = realloc(pool, ncap * sizeof(*pool))) == NULL)
					return 4;
			}
			pool[nodes].index = (int)idx + 1;
			pool[nodes++].value = v;
		}
		/* sorted, repeats summed, then liblinear's end mark */
		qsort(pool + first, nodes - first, sizeof(*pool), cmp_node);
		for (i = first, j = first; i < nodes; i++) {
			if (j > first && pool[j - 1].index == pool[i].index)
				pool[j - 1].value += pool[i].value;
			else
				pool[j++] = pool[i];
		}
		nodes = j;
		if (nodes > first && pool[nodes - 1].index > maxidx)
			maxidx = pool[nodes - 1].index;
		if (nodes + 1 > ncap && (pool = realloc(pool, (ncap *= 2) * sizeof(*pool))) == NULL)
			return 4;
		pool[nodes].index = -1;
		pool[nodes++].value = 0;
		nx++;
	}
	if (nx == 0) {
		phk_warn("no examples");
		return 3;
	}
	memset(&prob, 0, sizeof(prob));
	prob.l = (int)nx;
	prob.n = 1 << nbits;	/* the bias feature is n + 1 */
	prob.y = y;
	prob.bias = 1;
	if ((prob.x = malloc(nx * sizeof(*prob.x))) == NULL)
		return 4;
	for (i = 0; i < nx; i++)
		prob.x[i] = pool + start[i];
	/*
	 * The bias: liblinear wants it as the last feature of every example,
	 * in place of the end mark; every example got room for it above.
	 */
	{
		struct feature_node *np = malloc((nodes + nx) * sizeof(*np));
		size_t at = 0;
		if (np == NULL)
			return 4;
		for (i = 0; i < nx; i++) {
			struct feature_node *f = prob.x[i];
			prob.x[i] = np + at;
			for (; f->index != -1; f++)
				np[at++] = *f;
			np[at].index = prob.n + 1;
			np[at++].value = prob.bias;
			np[at].index = -1;
			np[at++].value = 0;
		}
		free(pool);
		pool = np;
	}
	prob.n += 1;
	par.nr_weight = nw;
	par.weight_label = wl;
	par.weight = wv;
	set_print_string_function(quiet);
	{
		const char *err = check_parameter(&prob, &par);
		if (err) {
			phk_warn("liblinear: %s", err);
			return 2;
		}
	}
	m = train(&prob, &par);
	{
		/* our label number -> liblinear's class index */
		int cls[CLF_MAX_LABELS];
		int *ml = malloc((size_t)get_nr_class(m) * sizeof(int));
		float bias[CLF_MAX_LABELS], *w = NULL, row[CLF_MAX_LABELS];
		uint32_t *keys = NULL;
		size_t nnz = 0, wcap = 0;
		int nf = get_nr_feature(m);	/* the bias is apart */
		if (ml == NULL)
			return 4;
		get_labels(m, ml);
		for (k = 0; k < nlabels; k++) {
			cls[k] = -1;
			for (li = 0; li < get_nr_class(m); li++)
				if (ml[li] == k)
					cls[k] = li;
		}
		for (k = 0; k < nlabels; k++)
			/* a label never seen: never predicted */
			bias[k] = cls[k] < 0 ? -30.0f : (float)get_decfun_bias(m, cls[k]);
		if (get_nr_class(m) == 1)
			for (k = 0; k < nlabels; k++)
				bias[k] = cls[k] < 0 ? -30.0f : 30.0f;
		for (j = 1; get_nr_class(m) > 1 && (int)j <= nf && (int)j <= maxidx; j++) {
			int any = 0;
			for (k = 0; k < nlabels; k++) {
				double v = cls[k] < 0 ? 0 : get_decfun_coef(m, (int)j, cls[k]);
				row[k] = fabs(v) < prune ? 0.0f : (float)v;
				any |= row[k] != 0.0f;
			}
			if (!any)
				continue;
			if (nnz == wcap) {
				wcap = wcap ? wcap * 2 : 4096;
				if ((keys = realloc(keys, wcap * sizeof(*keys))) == NULL ||
				    (w = realloc(w, wcap * (size_t)nlabels * sizeof(*w))) == NULL)
					return 4;
			}
			keys[nnz] = (uint32_t)(j - 1);
			memcpy(w + nnz * (size_t)nlabels, row, (size_t)nlabels * sizeof(float));
			nnz++;
		}
		if (clf_save(out, name, info, labels, nlabels, nbits, bias, keys, w, nnz, &e) < 0) {
			phk_warn("%s", e.msg);
			return e.status;
		}
		fprintf(stderr, "clf-train: %s: %zu examples, %zu weights kept of %d features\n",
		    out, nx, nnz, nf);
		free(ml);
		free(keys);
		free(w);
	}
	free_and_destroy_model(&m);
	free(prob.x);
	free(pool);
	free(start);
	free(y);
	free(line);
	free(lcopy);
	if (in != stdin)
		fclose(in);
	return 0;
}
