/*
 * door_https.c - the HTTPS listener's certificate and key (door_https.h).
 *
 * Files are read through one open descriptor: what is checked (owner,
 * mode, size) is what is read. The key file is refused, like the signer's
 * PIN file, when group or others may read it.
 */
#include "door_https.h"
#include "frontend.h"
#include "log.h"
#include "wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* TLS 1.2 and 1.3 only; GnuTLS's NORMAL set of ciphers otherwise. */
#define HTTPS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/*
 * Read the whole file at path (at most max bytes) into a NUL-terminated
 * buffer. secret: the file must be ours and 0600 or stricter, and any copy
 * is wiped. what names the config keyword in log lines.
 */
static int
read_pem(const char *what, const char *path, size_t max, int secret, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, r = PCA_ERR_IO;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) < 0) {
		log_error("%s %s: %s", what, path, strerror(errno));
		return PCA_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		log_error("%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s %s: not a regular file", what, path);
		r = PCA_ERR_PERM;
		goto out;
	}
	if (secret && st.st_uid != geteuid()) {
		log_error("%s %s: owned by uid %u, not by us (uid %u); refusing the key",
		    what, path, (unsigned)st.st_uid, (unsigned)geteuid());
		r = PCA_ERR_PERM;
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		log_error("%s %s: mode %04o is too open (0600 or stricter); refusing the key",
		    what, path, (unsigned)(st.st_mode & 07777));
		r = PCA_ERR_PERM;
		goto out;
	}
	if (st.st_size <= 0 || (unsigned long long)st.st_size > max) {
		log_error("%s %s: %lld bytes (1 to %zu allowed)", what, path,
		    (long long)st.st_size, max);
		r = PCA_ERR_TOO_LARGE;
		goto out;
	}
	/* one byte more than announced, to see a file that grew meanwhile */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	while (len < cap) {
		if ((n = read(fd, buf + len, cap - len)) < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s %s: %s", what, path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len != (size_t)st.st_size) {
		log_error("%s %s: changed while read", what, path);
		goto out;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {		/* MHD takes C strings */
		log_error("%s %s: holds a NUL byte; not PEM", what, path);
		r = PCA_ERR_MALFORMED;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	r = 0;
 out:
	if (buf != NULL)
		free_wiped(buf, cap + 1);
	close(fd);
	return r;
}

int
door_https_load(const struct frontend_config *cfg, struct door_https *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error("listen-https %s: this libmicrohttpd was built without TLS",
		    cfg->listen_https);
		return PCA_ERR_UNSUPPORTED;
	}
	if (cfg->https_cert == NULL || cfg->https_key == NULL) {
		log_error("listen-https %s needs https-cert and https-key", cfg->listen_https);
		return PCA_ERR_CONFIG;
	}
	if ((r = read_pem("https-cert", cfg->https_cert, DOOR_HTTPS_MAX_CERT, 0,
	    &t->cert, &t->cert_len)) != 0 ||
	    (r = read_pem("https-key", cfg->https_key, DOOR_HTTPS_MAX_KEY, 1,
	    &t->key, &t->key_len)) != 0) {
		door_https_clear(t);
		return r;
	}
	return 0;
}

void
door_https_options(const struct door_https *t, struct MHD_OptionItem opts[DOOR_HTTPS_NOPTS])
{
	opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert };
	opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, t->key };
	opts[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
	    (void *)(uintptr_t)HTTPS_PRIORITIES };
	opts[3] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

void
door_https_clear(struct door_https *t)
{
	free(t->cert);
	if (t->key != NULL)
		free_wiped(t->key, t->key_len + 1);
	memset(t, 0, sizeof(*t));
}
