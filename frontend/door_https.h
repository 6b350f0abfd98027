/*
 * door_https.h - the TLS side of the HTTP API door: the HTTPS listener is a
 * second libmicrohttpd daemon running the same request path (door_http.c),
 * with GnuTLS underneath. This module only reads the certificate and key
 * and turns them into MHD options; door_http_start() starts the listener.
 *
 *   listen-https host:port    the HTTPS listener (absent: none)
 *   https-cert   FILE         PEM: the server certificate, then its chain
 *   https-key    FILE         PEM: its private key; a regular file owned by
 *                             us, mode 0600 or stricter, or it is refused
 *
 * The key is held in memory only until MHD has handed it to GnuTLS (during
 * MHD_start_daemon()); door_https_clear() wipes it then.
 */
#ifndef PCA_DOOR_HTTPS_H
#define PCA_DOOR_HTTPS_H

#include <stddef.h>

#include <microhttpd.h>

#include "err.h"

struct frontend_config;

/* Bounds on what is read: a chain of a few certificates, one key. */
#define DOOR_HTTPS_MAX_CERT	(256u * 1024)
#define DOOR_HTTPS_MAX_KEY	(64u * 1024)
/* Entries door_https_options() fills, MHD_OPTION_END included. */
#define DOOR_HTTPS_NOPTS	4

struct door_https {
	char	*cert;		/* NUL-terminated PEM */
	size_t	 cert_len;
	char	*key;		/* NUL-terminated PEM; secret */
	size_t	 key_len;
};

/*
 * Read cfg->https_cert and cfg->https_key into t (cleared on entry). Fails
 * (logging why) when libmicrohttpd has no TLS, a file is missing, too
 * large, holds a NUL byte, or the key file is not ours or is readable by
 * group or others. On failure nothing is left to clear.
 */
int door_https_load(const struct frontend_config *cfg, struct door_https *t) PCA_MUST_CHECK;

/*
 * MHD options for MHD_OPTION_ARRAY: the certificate, the key and the TLS
 * versions allowed. They point into t: call MHD_start_daemon() before
 * door_https_clear().
 */
void door_https_options(const struct door_https *t, struct MHD_OptionItem opts[DOOR_HTTPS_NOPTS]);

/* Wipe and free what door_https_load() read. NULL-safe, idempotent. */
void door_https_clear(struct door_https *t);

#endif
