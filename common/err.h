/*
 * err.h - the error codes every library layer of hsmca returns.
 *
 * Functions return 0 on success and one of the negative PCA_ERR_* codes on
 * failure. pca_err_str() gives a short fixed text for logs. The doors map
 * these codes (and the typed API exceptions of frontend/api_error.h) to the
 * names clients see; nothing below the doors knows about AWS names.
 */
#ifndef PCA_ERR_H
#define PCA_ERR_H

enum pca_err {
	PCA_OK			=   0,
	PCA_ERR_INTERNAL	=  -1,	/* a bug or an impossible state */
	PCA_ERR_NOMEM		=  -2,
	PCA_ERR_INVALID		=  -3,	/* a caller-supplied value is wrong */
	PCA_ERR_MALFORMED	=  -4,	/* bytes that do not decode */
	PCA_ERR_TOO_LARGE	=  -5,	/* over a size limit */
	PCA_ERR_TRANSPORT	=  -6,	/* socket error */
	PCA_ERR_TIMEOUT		=  -7,	/* peer did not answer in time */
	PCA_ERR_POLICY		=  -8,	/* refused by the signer's policy */
	PCA_ERR_NOT_FOUND	=  -9,
	PCA_ERR_TOKEN		= -10,	/* the token refused an operation */
	PCA_ERR_TOKEN_RETRY	= -11,	/* token unavailable now; retry later */
	PCA_ERR_BAD_SIGNATURE	= -12,	/* a signature does not verify */
	PCA_ERR_IO		= -13,	/* file system */
	PCA_ERR_DB		= -14,	/* database */
	PCA_ERR_CONFIG		= -15,	/* configuration file or option */
	PCA_ERR_EXISTS		= -16,	/* already exists / conflicting duplicate */
	PCA_ERR_UNSUPPORTED	= -17,	/* algorithm or feature not supported */
	PCA_ERR_CRYPTO		= -18,	/* OpenSSL failure */
	PCA_ERR_AUTH		= -19,	/* authentication failed */
	PCA_ERR_STATE		= -20,	/* object in the wrong state */
	PCA_ERR_PERM		= -21,	/* file mode too loose, permission */
	PCA_ERR_UNAVAILABLE	= -22,	/* a dependency is down; retry later */
};

/* A short, constant description of r (never NULL). */
const char *pca_err_str(int r);

/* Nonzero when a client may retry the same request later. */
int pca_err_retryable(int r);

#if defined(__GNUC__)
#define PCA_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PCA_MUST_CHECK
#endif

#endif
