#include "err.h"

const char *
pca_err_str(int r)
{
	switch (r) {
	case PCA_OK:			return "success";
	case PCA_ERR_INTERNAL:		return "internal error";
	case PCA_ERR_NOMEM:		return "out of memory";
	case PCA_ERR_INVALID:		return "invalid argument";
	case PCA_ERR_MALFORMED:		return "malformed input";
	case PCA_ERR_TOO_LARGE:		return "input too large";
	case PCA_ERR_TRANSPORT:		return "transport error";
	case PCA_ERR_TIMEOUT:		return "timed out";
	case PCA_ERR_POLICY:		return "refused by policy";
	case PCA_ERR_NOT_FOUND:		return "not found";
	case PCA_ERR_TOKEN:		return "token operation failed";
	case PCA_ERR_TOKEN_RETRY:	return "token unavailable, retry later";
	case PCA_ERR_BAD_SIGNATURE:	return "signature does not verify";
	case PCA_ERR_IO:		return "i/o error";
	case PCA_ERR_DB:		return "database error";
	case PCA_ERR_CONFIG:		return "configuration error";
	case PCA_ERR_EXISTS:		return "already exists";
	case PCA_ERR_UNSUPPORTED:	return "not supported";
	case PCA_ERR_CRYPTO:		return "cryptographic library error";
	case PCA_ERR_AUTH:		return "authentication failed";
	case PCA_ERR_STATE:		return "wrong state";
	case PCA_ERR_PERM:		return "permission or file mode refused";
	case PCA_ERR_UNAVAILABLE:	return "service unavailable, retry later";
	}
	return "unknown error";
}

int
pca_err_retryable(int r)
{
	return r == PCA_ERR_TOKEN_RETRY || r == PCA_ERR_TIMEOUT ||
	    r == PCA_ERR_UNAVAILABLE || r == PCA_ERR_TRANSPORT;
}
