/* Helpers for the harnesses; see fuzz.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

const char *
fuzz_policy_path(const char *argv0)
{
	static char path[PATH_MAX];
	const char *env = getenv("PHIKIT_POLICY");
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	(void)argv0;
	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "policies/hipaa.yaml";
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/../../policies/hipaa.yaml", exe);
	return path;
}

const char *
fuzz_tmpfile(const uint8_t *data, size_t size, const char *name)
{
	static char dir[64], path[128];
	int fd;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s", "/tmp/phikit-fuzz.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	return path;
}
