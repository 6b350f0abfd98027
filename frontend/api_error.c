#include "api_error.h"

static const struct {
	const char	*name;
	int		 http;
	int		 retryable;
} exc_table[EXC_COUNT] = {
	[EXC_NONE]			= { "",					200, 0 },
	[EXC_CERTIFICATE_MISMATCH]	= { "CertificateMismatchException",	400, 0 },
	[EXC_CONCURRENT_MODIFICATION]	= { "ConcurrentModificationException",	400, 0 },
	[EXC_INVALID_ARGS]		= { "InvalidArgsException",		400, 0 },
	[EXC_INVALID_ARN]		= { "InvalidArnException",		400, 0 },
	[EXC_INVALID_NEXT_TOKEN]	= { "InvalidNextTokenException",	400, 0 },
	[EXC_INVALID_POLICY]		= { "InvalidPolicyException",		400, 0 },
	[EXC_INVALID_REQUEST]		= { "InvalidRequestException",		400, 0 },
	[EXC_INVALID_STATE]		= { "InvalidStateException",		400, 0 },
	[EXC_INVALID_TAG]		= { "InvalidTagException",		400, 0 },
	[EXC_LIMIT_EXCEEDED]		= { "LimitExceededException",		400, 0 },
	[EXC_LOCKOUT_PREVENTED]		= { "LockoutPreventedException",	400, 0 },
	[EXC_MALFORMED_CERTIFICATE]	= { "MalformedCertificateException",	400, 0 },
	[EXC_MALFORMED_CSR]		= { "MalformedCSRException",		400, 0 },
	[EXC_PERMISSION_ALREADY_EXISTS]	= { "PermissionAlreadyExistsException",	400, 0 },
	[EXC_REQUEST_ALREADY_PROCESSED]	= { "RequestAlreadyProcessedException",	400, 0 },
	[EXC_REQUEST_FAILED]		= { "RequestFailedException",		400, 0 },
	[EXC_REQUEST_IN_PROGRESS]	= { "RequestInProgressException",	400, 1 },
	[EXC_RESOURCE_NOT_FOUND]	= { "ResourceNotFoundException",	400, 0 },
	[EXC_TOO_MANY_TAGS]		= { "TooManyTagsException",		400, 0 },
	[EXC_ACCESS_DENIED]		= { "AccessDeniedException",		400, 0 },
	[EXC_VALIDATION]		= { "ValidationException",		400, 0 },
	[EXC_SERIALIZATION]		= { "SerializationException",		400, 0 },
	[EXC_UNKNOWN_OPERATION]		= { "UnknownOperationException",	400, 0 },
	[EXC_THROTTLING]		= { "ThrottlingException",		400, 1 },
	[EXC_INTERNAL]			= { "InternalFailure",			500, 1 },
	[EXC_SERVICE_UNAVAILABLE]	= { "ServiceUnavailable",		503, 1 },
	[EXC_MISSING_AUTH]		= { "MissingAuthenticationTokenException", 400, 0 },
	[EXC_INCOMPLETE_SIGNATURE]	= { "IncompleteSignatureException",	400, 0 },
	[EXC_UNRECOGNIZED_CLIENT]	= { "UnrecognizedClientException",	400, 0 },
	[EXC_INVALID_SIGNATURE]		= { "InvalidSignatureException",	400, 0 },
	[EXC_EXPIRED_TOKEN]		= { "ExpiredTokenException",		400, 0 },
};

const char *
api_exc_name(enum api_exc e)
{
	return e > EXC_NONE && e < EXC_COUNT ? exc_table[e].name : "InternalFailure";
}

int
api_exc_http_status(enum api_exc e)
{
	return e >= EXC_NONE && e < EXC_COUNT ? exc_table[e].http : 500;
}

int
api_exc_retryable(enum api_exc e)
{
	return e > EXC_NONE && e < EXC_COUNT ? exc_table[e].retryable : 0;
}
