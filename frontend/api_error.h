/*
 * api_error.h - the typed errors clients see, in one table.
 *
 * Handlers fail with an enum api_exc and a message; the doors turn it into
 * the AWS exception name (the native API's error_code, the HTTP API's
 * __type) and, for HTTP, the status. Names are the AWS models' names.
 */
#ifndef PCA_API_ERROR_H
#define PCA_API_ERROR_H

enum api_exc {
	EXC_NONE = 0,
	/* modelled acm-pca exceptions */
	EXC_CERTIFICATE_MISMATCH,
	EXC_CONCURRENT_MODIFICATION,
	EXC_INVALID_ARGS,
	EXC_INVALID_ARN,
	EXC_INVALID_NEXT_TOKEN,
	EXC_INVALID_POLICY,
	EXC_INVALID_REQUEST,
	EXC_INVALID_STATE,
	EXC_INVALID_TAG,
	EXC_LIMIT_EXCEEDED,
	EXC_LOCKOUT_PREVENTED,
	EXC_MALFORMED_CERTIFICATE,
	EXC_MALFORMED_CSR,
	EXC_PERMISSION_ALREADY_EXISTS,
	EXC_REQUEST_ALREADY_PROCESSED,
	EXC_REQUEST_FAILED,
	EXC_REQUEST_IN_PROGRESS,
	EXC_RESOURCE_NOT_FOUND,
	EXC_TOO_MANY_TAGS,
	/* returned by AWS services on any operation */
	EXC_ACCESS_DENIED,
	EXC_VALIDATION,
	EXC_SERIALIZATION,
	EXC_UNKNOWN_OPERATION,
	EXC_THROTTLING,
	EXC_INTERNAL,
	EXC_SERVICE_UNAVAILABLE,
	/* authentication */
	EXC_MISSING_AUTH,
	EXC_INCOMPLETE_SIGNATURE,
	EXC_UNRECOGNIZED_CLIENT,
	EXC_INVALID_SIGNATURE,
	EXC_EXPIRED_TOKEN,
	/* iam and sts (query protocol: Error/Code) */
	EXC_IAM_ACCESS_DENIED,		/* "AccessDenied" (iam, sts) */
	EXC_IAM_NO_SUCH_ENTITY,
	EXC_IAM_ENTITY_EXISTS,
	EXC_IAM_DELETE_CONFLICT,
	EXC_IAM_LIMIT_EXCEEDED,
	EXC_IAM_MALFORMED_POLICY,	/* "MalformedPolicyDocument" (iam, sts) */
	EXC_IAM_INVALID_INPUT,
	EXC_IAM_UNMODIFIABLE,
	EXC_IAM_NOT_ATTACHABLE,
	EXC_IAM_SERVICE_FAILURE,
	EXC_STS_VALIDATION,		/* "ValidationError" */
	/* organizations */
	EXC_ORG_NOT_IN_USE,
	EXC_ORG_ALREADY_IN_ORG,
	EXC_ORG_ACCOUNT_NOT_FOUND,
	EXC_ORG_OU_NOT_FOUND,
	EXC_ORG_PARENT_NOT_FOUND,
	EXC_ORG_SOURCE_PARENT_NOT_FOUND,
	EXC_ORG_DEST_PARENT_NOT_FOUND,
	EXC_ORG_CHILD_NOT_FOUND,
	EXC_ORG_DUPLICATE_OU,
	EXC_ORG_DUPLICATE_ACCOUNT,
	EXC_ORG_DUPLICATE_HANDSHAKE,
	EXC_ORG_NOT_EMPTY,
	EXC_ORG_OU_NOT_EMPTY,
	EXC_ORG_HANDSHAKE_NOT_FOUND,
	EXC_ORG_HANDSHAKE_TRANSITION,
	EXC_ORG_HANDSHAKE_CONSTRAINT,
	EXC_ORG_CONSTRAINT_VIOLATION,
	EXC_ORG_INVALID_INPUT,
	EXC_ORG_MASTER_CANNOT_LEAVE,
	EXC_ORG_CREATE_STATUS_NOT_FOUND,
	/* acm (managed certificates); InvalidArn, InvalidState, InvalidTag,
	 * LimitExceeded, RequestInProgress, ResourceNotFound, TooManyTags and
	 * Validation are the shared entries above */
	EXC_ACM_INVALID_PARAMETER,
	EXC_ACM_INVALID_DOMAIN_VALIDATION_OPTIONS,
	EXC_ACM_RESOURCE_IN_USE,
	EXC_ACM_TAG_POLICY,
	EXC_ACM_CONFLICT,
	EXC_COUNT
};

/* "InvalidStateException" etc. */
const char *api_exc_name(enum api_exc e);
/* HTTP status of the JSON 1.1 protocol: 400 for modelled errors (no JSON
 * model declares httpStatusCode), 500 InternalFailure, 503
 * ServiceUnavailable, 429 ThrottlingException, 403 for a missing or wrong
 * signature (the HTTP door answers 400 for a signature outside the time
 * window, as AWS does). */
int api_exc_http_status(enum api_exc e);
/* Nonzero when a client should retry the same request later. */
int api_exc_retryable(enum api_exc e);

#endif
