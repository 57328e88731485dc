/*
 * lib/clf.c: the model file — written, read back, applied; and refused
 * whole when it is missing, not a model, corrupt or another model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clf.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/phikit-clf.XXXXXX", path[64], bad[64];
	char *labels[] = { "O", "NAME", "DATE" };
	float bias[] = { 1.0f, -1.0f, -2.0f };
	uint32_t keys[] = { 3, 17, 200 };
	float w[] = { -1, 0, 0,   0, 2, 0,   0.5f, 0, 3 };	/* [key][label] */
	struct clf c;
	struct clf_vec x;
	struct phk_err e;
	double p[3], sum;
	FILE *f;
	long size;
	char *bytes;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/m", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	ok(clf_save(path, "test", "made by tests/unit/clf.c", labels, 3, 8, bias, keys, w, 3, &e) == 0,
	    "a model is saved");
	ok(clf_load(&c, path, "test", &e) == 0, "and loaded back");
	is_int(c.nlabels, 3, "its labels");
	is_str(c.labels[1], "NAME", "in order");
	is_str(c.info, "made by tests/unit/clf.c", "its note");
	is_int(clf_label(&c, "DATE"), 2, "a label by name");
	is_int(clf_label(&c, "CITY"), -1, "an unknown label");
	clf_vec_init(&x);
	clf_vec_add(&x, 17, 1.0f);
	clf_vec_add(&x, 99, 5.0f);	/* no weight: no effect */
	ok(clf_score(&c, &x, 1) == 1.0 && clf_score(&c, &x, 0) == 1.0 && clf_score(&c, &x, 2) == -2.0,
	    "scores: bias plus weights of the features present");
	clf_predict(&c, &x, p);
	sum = p[0] + p[1] + p[2];
	ok(sum > 0.999999 && sum < 1.000001 && p[0] == p[1] && p[2] < p[0],
	    "probabilities sum to one, in the scores' order");
	clf_vec_add(&x, 17, 1.0f);
	ok(clf_score(&c, &x, 1) == 3.0, "a repeated feature adds up");
	clf_release(&c);

	ok(clf_load(&c, path, "phi-ner", &e) < 0 && e.status == 2, "another model's name is refused");
	is_str(strstr(e.msg, "is a model for something else, not phi-ner") ? "yes" : e.msg, "yes",
	    "and says so");
	ok(clf_load(&c, bad, NULL, &e) < 0 && e.status == 2 && strstr(e.msg, "No such file"),
	    "a missing file is exit 2");

	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	bytes = malloc((size_t)size);
	if (fread(bytes, 1, (size_t)size, f) != (size_t)size)
		return 1;
	fclose(f);
	bytes[size / 2] ^= 1;
	f = fopen(bad, "wb");
	fwrite(bytes, 1, (size_t)size, f);
	fclose(f);
	ok(clf_load(&c, bad, NULL, &e) < 0 && e.status == 2 &&
	    strstr(e.msg, "corrupt (its checksum does not match)"), "one flipped bit is refused");
	f = fopen(bad, "wb");
	fwrite("hello, world\n", 1, 13, f);
	fclose(f);
	ok(clf_load(&c, bad, NULL, &e) < 0 && strstr(e.msg, "not a phikit model file"),
	    "another file is refused");
	ok(strstr(e.msg, "hello") == NULL, "without quoting it");
	f = fopen(bad, "wb");
	fwrite(bytes, 1, (size_t)size - 40, f);
	fclose(f);
	ok(clf_load(&c, bad, NULL, &e) < 0 && e.status == 2, "a truncated file is refused");
	free(bytes);
	clf_vec_release(&x);
	unlink(path);
	unlink(bad);
	rmdir(dir);
	return done_testing();
}
