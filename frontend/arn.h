/*
 * arn.h - Amazon Resource Names of hsmca's resources.
 *
 *   CA           arn:aws:acm-pca:<region>:<account>:certificate-authority/<uuid>
 *   certificate  <CA ARN>/certificate/<serial hex, lower case, no colons>
 *   template     arn:aws:acm-pca:::template/<Name>/V1
 *   IAM          arn:aws:iam::<account>:root | user/<name>
 *
 * Parsing is strict: a string that is not an ARN of the expected shape is
 * PCA_ERR_INVALID (the doors answer InvalidArnException); a well-formed ARN
 * that names nothing is the handler's ResourceNotFoundException.
 */
#ifndef PCA_ARN_H
#define PCA_ARN_H

#include <stddef.h>

#include "err.h"

#define ARN_MAX		2048

struct arn {
	char	partition[32];
	char	service[64];
	char	region[64];
	char	account[64];
	char	resource[ARN_MAX];
};

/* arn:<partition>:<service>:<region>:<account>:<resource>, no empty
 * partition/service/resource, at most ARN_MAX characters, no control
 * characters. */
int arn_parse(const char *s, struct arn *out) PCA_MUST_CHECK;

/* A CA ARN: account is 12 digits and the resource is
 * certificate-authority/<lower-case uuid>. ca_id gets the uuid. */
int arn_parse_ca(const char *s, struct arn *out, char ca_id[37]) PCA_MUST_CHECK;
/* A certificate ARN: <CA ARN>/certificate/<hex serial>. ca_arn gets the CA
 * part (ARN_MAX + 1 bytes), serial the hex. */
int arn_parse_cert(const char *s, char *ca_arn, char ca_id[37], char serial[41]) PCA_MUST_CHECK;

void arn_format_ca(char *out, size_t len, const char *region, const char *account,
    const char *ca_id);
void arn_format_cert(char *out, size_t len, const char *ca_arn, const char *serial_hex);

/* 1 if s is a lower-case uuid (8-4-4-4-12 hex). */
int uuid_valid(const char *s);
/* A fresh random (version 4) uuid, lower case. */
int uuid_generate(char out[37]) PCA_MUST_CHECK;
/* The 16 bytes of a uuid (the CA's key id in the token). */
int uuid_to_bytes(const char *s, unsigned char out[16]) PCA_MUST_CHECK;

#endif
