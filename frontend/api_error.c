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
	[EXC_MISSING_AUTH]		= { "MissingAuthenticationTokenException", 403, 0 },
	[EXC_INCOMPLETE_SIGNATURE]	= { "IncompleteSignatureException",	400, 0 },
	[EXC_UNRECOGNIZED_CLIENT]	= { "UnrecognizedClientException",	400, 0 },
	[EXC_INVALID_SIGNATURE]		= { "InvalidSignatureException",	403, 0 },
	[EXC_EXPIRED_TOKEN]		= { "ExpiredTokenException",		400, 0 },
	[EXC_IAM_ACCESS_DENIED]		= { "AccessDenied",			403, 0 },
	[EXC_IAM_NO_SUCH_ENTITY]	= { "NoSuchEntity",			404, 0 },
	[EXC_IAM_ENTITY_EXISTS]		= { "EntityAlreadyExists",		409, 0 },
	[EXC_IAM_DELETE_CONFLICT]	= { "DeleteConflict",			409, 0 },
	[EXC_IAM_LIMIT_EXCEEDED]	= { "LimitExceeded",			409, 0 },
	[EXC_IAM_MALFORMED_POLICY]	= { "MalformedPolicyDocument",		400, 0 },
	[EXC_IAM_INVALID_INPUT]		= { "InvalidInput",			400, 0 },
	[EXC_IAM_UNMODIFIABLE]		= { "UnmodifiableEntity",		400, 0 },
	[EXC_IAM_NOT_ATTACHABLE]	= { "PolicyNotAttachable",		400, 0 },
	[EXC_IAM_SERVICE_FAILURE]	= { "ServiceFailure",			500, 1 },
	[EXC_STS_VALIDATION]		= { "ValidationError",			400, 0 },
	[EXC_ORG_NOT_IN_USE]		= { "AWSOrganizationsNotInUseException", 400, 0 },
	[EXC_ORG_ALREADY_IN_ORG]	= { "AlreadyInOrganizationException",	400, 0 },
	[EXC_ORG_ACCOUNT_NOT_FOUND]	= { "AccountNotFoundException",		400, 0 },
	[EXC_ORG_OU_NOT_FOUND]		= { "OrganizationalUnitNotFoundException", 400, 0 },
	[EXC_ORG_PARENT_NOT_FOUND]	= { "ParentNotFoundException",		400, 0 },
	[EXC_ORG_SOURCE_PARENT_NOT_FOUND] = { "SourceParentNotFoundException",	400, 0 },
	[EXC_ORG_DEST_PARENT_NOT_FOUND]	= { "DestinationParentNotFoundException", 400, 0 },
	[EXC_ORG_CHILD_NOT_FOUND]	= { "ChildNotFoundException",		400, 0 },
	[EXC_ORG_DUPLICATE_OU]		= { "DuplicateOrganizationalUnitException", 400, 0 },
	[EXC_ORG_DUPLICATE_ACCOUNT]	= { "DuplicateAccountException",	400, 0 },
	[EXC_ORG_DUPLICATE_HANDSHAKE]	= { "DuplicateHandshakeException",	400, 0 },
	[EXC_ORG_NOT_EMPTY]		= { "OrganizationNotEmptyException",	400, 0 },
	[EXC_ORG_OU_NOT_EMPTY]		= { "OrganizationalUnitNotEmptyException", 400, 0 },
	[EXC_ORG_HANDSHAKE_NOT_FOUND]	= { "HandshakeNotFoundException",	400, 0 },
	[EXC_ORG_HANDSHAKE_TRANSITION]	= { "InvalidHandshakeTransitionException", 400, 0 },
	[EXC_ORG_HANDSHAKE_CONSTRAINT]	= { "HandshakeConstraintViolationException", 400, 0 },
	[EXC_ORG_CONSTRAINT_VIOLATION]	= { "ConstraintViolationException",	400, 0 },
	[EXC_ORG_INVALID_INPUT]		= { "InvalidInputException",		400, 0 },
	[EXC_ORG_MASTER_CANNOT_LEAVE]	= { "MasterCannotLeaveOrganizationException", 400, 0 },
	[EXC_ORG_CREATE_STATUS_NOT_FOUND] = { "CreateAccountStatusNotFoundException", 400, 0 },
	[EXC_ACM_INVALID_PARAMETER]	= { "InvalidParameterException",	400, 0 },
	[EXC_ACM_INVALID_DOMAIN_VALIDATION_OPTIONS] =
	    { "InvalidDomainValidationOptionsException", 400, 0 },
	[EXC_ACM_RESOURCE_IN_USE]	= { "ResourceInUseException",		400, 0 },
	[EXC_ACM_TAG_POLICY]		= { "TagPolicyException",		400, 0 },
	[EXC_ACM_CONFLICT]		= { "ConflictException",		400, 0 },
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
