/*
 * api_catalog.h - the API contract as data: services, operations, and the
 * length/range constraints of their members, generated from the AWS models
 * by tools/gen_api.py (api_catalog_gen.c).
 *
 * The CLI finds an operation by its AWS CLI name, the doors by service and
 * operation name; both then work only through the protobuf-c descriptors.
 */
#ifndef PCA_API_CATALOG_H
#define PCA_API_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

struct api_service {
	const char	*name;		/* "acm-pca" (the CLI's service name) */
	const char	*protocol;	/* "json", "rest-json", "query" */
	const char	*target_prefix;	/* "ACMPrivateCA" (X-Amz-Target) */
	const char	*signing_name;	/* SigV4 service name */
	const char	*api_version;
	const char	*json_version;
};

struct api_op {
	const struct api_service		*service;
	const char				*name;		/* "IssueCertificate" */
	const char				*cli_name;	/* "issue-certificate" */
	const ProtobufCMessageDescriptor	*input;
	const ProtobufCMessageDescriptor	*output;
};

enum api_rule_kind {
	RULE_LEN,	/* string length in characters / blob length in bytes */
	RULE_COUNT,	/* number of list items */
	RULE_RANGE,	/* integer value */
};

struct api_rule {
	const ProtobufCMessageDescriptor	*message;
	const char				*field;	/* proto field name */
	enum api_rule_kind			 kind;
	int64_t					 min;
	int64_t					 max;	/* -1: no maximum */
};

extern const struct api_service api_services[];
extern const size_t api_services_len;
extern const struct api_op api_ops[];
extern const size_t api_ops_len;
extern const struct api_rule api_rules[];
extern const size_t api_rules_len;

const struct api_service *api_service_find(const char *name);
const struct api_op *api_op_find(const char *service, const char *name);
const struct api_op *api_op_find_cli(const char *service, const char *cli_name);
/* The rules of one field, or NULL; *n gets their count (rules of one
 * field are contiguous). */
const struct api_rule *api_rules_for(const ProtobufCMessageDescriptor *m,
    const char *field, size_t *n);

#endif
