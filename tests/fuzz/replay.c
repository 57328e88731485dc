/*
 * Runs a harness over files with no fuzzer: each file given, or each file
 * in each directory given, once, as TAP ("ok N - file"). Built with gcc
 * (and the sanitizers, with make SANITIZE=...) so make check replays every
 * seed and every past crash on every build.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int n;

static void
one(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t len = 0, cap = 0, got;

	if (f == NULL) {
		printf("not ok %d - %s: cannot open\n", ++n, path);
		return;
	}
	do {
		if (len + 65536 > cap && (p = realloc(p, cap = cap * 2 + 65536)) == NULL)
			abort();
		got = fread(p + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(p, len);	/* a failure aborts: prove reports it */
	free(p);
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct dirent **ents;
	struct stat st;
	int i, k, m;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc == 1) {
		/* tests/fuzz/scrub.t alone replays tests/fuzz/corpus/scrub/ */
		static char dflt[4096];
		static char *args[3];
		const char *base = strrchr(argv[0], '/');
		size_t dir = base ? (size_t)(base - argv[0]) + 1 : 0;
		size_t len = strlen(argv[0] + dir);
		if (len > 2 && strcmp(argv[0] + dir + len - 2, ".t") == 0)
			len -= 2;
		snprintf(dflt, sizeof(dflt), "%.*scorpus/%.*s", (int)dir, argv[0], (int)len,
		    argv[0] + dir);
		args[0] = argv[0];
		args[1] = dflt;
		argv = args;
		argc = 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			char path[4096];
			if ((m = scandir(argv[i], &ents, NULL, alphasort)) < 0)
				continue;
			for (k = 0; k < m; k++) {
				if (ents[k]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
					one(path);
				}
				free(ents[k]);
			}
			free(ents);
		} else
			one(argv[i]);
	}
	printf("1..%d\n", n);
	return 0;
}
