#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

#define KEY_MAX 4096

unsigned char *
keyfile_read(const char *path, size_t *lenp, struct phk_err *e)
{
	unsigned char *raw = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t got;
	int fd;

	if (sodium_init() < 0) {
		phk_err_set(e, PHK_EXIT_IO, "libsodium failed to initialize");
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "key file '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		phk_err_set(e, PHK_EXIT_USAGE, "key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		phk_err_set(e, PHK_EXIT_USAGE,
		    "key file '%s' is readable by others (mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((raw = sodium_malloc(KEY_MAX + 1)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
		goto out;
	}
	while (len < KEY_MAX && (got = read(fd, raw + len, KEY_MAX - len)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			phk_err_set(e, PHK_EXIT_IO, "key file '%s': %s", path, strerror(errno));
			sodium_free(raw);
			raw = NULL;
			goto out;
		}
		len += (size_t)got;
	}
	raw[len] = 0;
	*lenp = len;
out:
	close(fd);
	return raw;
}

unsigned char *
keyfile_load(const char *path, const char *purpose, struct phk_err *e)
{
	unsigned char *raw, *key;
	crypto_generichash_state h;
	size_t len = 0;

	if ((raw = keyfile_read(path, &len, e)) == NULL)
		return NULL;
	if (len < 16) {
		phk_err_set(e, PHK_EXIT_USAGE,
		    "key file '%s' holds %zu bytes; it needs at least 16 of secret", path, len);
		sodium_free(raw);
		return NULL;
	}
	if ((key = sodium_malloc(32)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of secure memory");
		sodium_free(raw);
		return NULL;
	}
	/* Domain-separated, so one secret can serve several purposes safely. */
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const unsigned char *)purpose, strlen(purpose) + 1);
	crypto_generichash_update(&h, raw, len);
	crypto_generichash_final(&h, key, 32);
	sodium_memzero(&h, sizeof(h));
	sodium_mprotect_readonly(key);
	sodium_free(raw);
	return key;
}

void
keyfile_free(unsigned char *key)
{
	sodium_free(key);	/* wipes before unmapping */
}
