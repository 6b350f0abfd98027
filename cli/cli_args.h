/*
 * cli_args.h - turn AWS-CLI-shaped arguments into the JSON input of an
 * operation, driven by the operation's input descriptor.
 *
 *   --certificate-authority-arn ARN          string member
 *   --csr fileb://leaf.csr                   blob member: raw file bytes
 *   --validity Value=30,Type=DAYS            structure: shorthand ...
 *   --validity '{"Value":30,"Type":"DAYS"}'  ... or JSON
 *   --certificate-authority-configuration file://ca.json
 *   --actions IssueCertificate GetCertificate ListPermissions   list: several words
 *   --tags Key=a,Value=b Key=c,Value=d       list of structures: one shorthand each
 *   --permanent-deletion-time-in-days 7      integer
 *   --flag / --no-flag                       boolean
 *
 * Flag names are the members' names in the AWS CLI's spelling (botocore
 * xform_name with '-': "CertificateAuthorityArn" -> certificate-authority-arn).
 * file://path reads the file as text, fileb://path as bytes, for any
 * parameter (like the AWS CLI's paramfile feature). Blob members given as
 * plain text use the text's bytes (AWS CLI v1 behaviour).
 * Shorthand: Key=Value pairs separated by ',', values may be nested
 * structures in {...} or lists in [...]; quotes "..." or '...' protect
 * commas; list members as Key=a,b,c when Key is a list of scalars;
 * Key@=file://path reads that value from a file (awscli/shorthand.py).
 * Also as in the AWS CLI: --flag=value (the only way to give a value that
 * starts with "--"), a repeated flag replaces the earlier one, and
 * --cli-input-json JSON|file://path supplies members the other flags
 * override. Files are read up to 8 MiB.
 *
 * The result is a JSON object keyed by the model's member names, which
 * codec_json_to_msg() then checks and converts: values are kept as JSON
 * strings where the member is a string/enum/blob (blobs: base64 of the
 * bytes), numbers for integers, true/false for booleans.
 */
#ifndef PCA_CLI_ARGS_H
#define PCA_CLI_ARGS_H

#include <stdio.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* argv holds only the operation's parameters (global options removed).
 * 0 on success; otherwise -1 with err set to a message in the AWS CLI's
 * style, e.g. "Unknown options: --foo",
 * "the following arguments are required: --csr, --validity" or
 * "Error parsing parameter '--validity': Expected: '=', received: ','". */
int cli_args_parse(const ProtobufCMessageDescriptor *input, int argc,
    char **argv, json_t **out, char *err, size_t errlen);

/* The AWS CLI flag name of a member ("CertificateAuthorityArn" ->
 * "certificate-authority-arn"), in buf. */
const char *cli_flag_name(const char *member, char *buf, size_t len);

/* Read file:// (text) or fileb:// (bytes) references; other strings are
 * returned as they are. *out malloc'd (NUL-terminated), *len its length. */
int cli_param_value(const char *arg, char **out, size_t *len, char *err,
    size_t errlen);

/* Print a JSON value the way the AWS CLI prints --output json: 4-space
 * indentation, keys in the order given, non-ASCII kept as UTF-8. Prints
 * nothing for an empty object. */
void cli_print_json(FILE *f, const json_t *v);

#endif
