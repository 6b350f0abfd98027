/*
 * codec_query.h - the AWS query protocol (iam, sts) over the protobuf-c
 * descriptors: form-encoded requests in, XML answers out.
 *
 * Pure functions: no I/O, no global state, safe from any thread. The HTTP
 * door reads the body (at most CODEC_QUERY_MAX_BODY bytes: refuse longer
 * ones before reading them), finds the operation with codec_query_action()
 * and api_op_find(), decodes with codec_query_decode() and answers with
 * codec_query_encode() or codec_query_encode_error().
 *
 * Requests (application/x-www-form-urlencoded, as botocore's query
 * serializer writes them):
 *   scalar        Name=v
 *   structure     Name.Sub=v
 *   list          Name.member.N=v, Name.member.N.Sub=v (N = 1, 2, ... with
 *                 no gaps); "Name=" with an empty value is an empty list
 *   map           Name.entry.N.key=k & Name.entry.N.value=v (a repeated
 *                 message with exactly the fields key and value: how
 *                 protobuf-c represents map<K, V>)
 *   boolean       true | false
 *   integer       decimal
 *   timestamp     ISO 8601: 2024-01-02T03:04:05[.fff](Z|+hh:mm|-hh:mm)
 *   blob          base64 (standard alphabet, padded)
 *   enum          the model's value
 * Names are the model's member names: codec_field_json_name() (PascalCase
 * for these packages), except members the model spells in lower case, which
 * that function cannot tell from snake_case: a table in codec_query.c has
 * them (sts PolicyDescriptorType "arn": PolicyArns.member.1.arn). "+" is a
 * space and %XX a byte, in names and values.
 * The top-level Action and Version are skipped by the decoder. Neither iam
 * nor sts uses locationName, flattened lists or (in the operations we
 * generate) maps; a model that needs them needs a table here.
 *
 * Errors, with codec_json's classes and, where both can say it, its words:
 *   - malformed body (empty parameter "a&&b", no '=', bad %XX escape, a
 *     name that is not [A-Za-z0-9._-], repeated parameter), too many
 *     parameters or too long a name, list items not numbered 1..n,
 *     unknown parameter, wrong type ("MaxItems=ten"), a string XML cannot
 *     carry ........................................ CODEC_ERR_SERIALIZATION
 *   - missing required member, enum, length/count/range rules of
 *     api_catalog ....................................... CODEC_ERR_VALIDATION
 * (the second class comes from codec_json_to_msg(), which the decoder
 * feeds: the checks and the messages are those of the JSON door).
 */
#ifndef PCA_CODEC_QUERY_H
#define PCA_CODEC_QUERY_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#include "codec_json.h"		/* enum codec_err, struct codec_error */

#define CODEC_QUERY_MAX_BODY	(2u << 20)	/* bytes of a request body */
#define CODEC_QUERY_MAX_PARAMS	1000		/* name=value pairs */
#define CODEC_QUERY_MAX_NAME	256		/* bytes of a decoded name */
#define CODEC_QUERY_MAX_ITEMS	1000		/* largest list index N */
#define CODEC_QUERY_ACTION_MAX	128		/* buffer for an Action */

/*
 * The Action and Version of a form-encoded body (the whole body is
 * parsed, so a malformed one is refused here already). A parameter that is
 * absent comes back as "". Returns CODEC_OK, or CODEC_ERR_SERIALIZATION
 * (malformed body, too large, repeated Action/Version, a value longer
 * than its buffer) with err->message set; CODEC_ERR_NOMEM.
 * The caller answers a missing Action itself (AWS: MissingAction).
 */
int codec_query_action(const char *body, size_t len, char *action, size_t alen,
    char *version, size_t vlen, struct codec_error *err);

/*
 * Decode the body's parameters (the top-level Action and Version skipped)
 * into a new message of type d; free it with
 * protobuf_c_message_free_unpacked(msg, NULL). *out is NULL on error.
 * Returns CODEC_OK or the error class, with err->message for the client.
 */
int codec_query_decode(const char *body, size_t len,
    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
    struct codec_error *err);

/*
 * The XML answer of operation op (its model name, "ListUsers"):
 *   <OpResponse xmlns="NS"><OpResult>...</OpResult>
 *   <ResponseMetadata><RequestId>ID</RequestId></ResponseMetadata></OpResponse>
 * OpResult is the model's resultWrapper (every iam and sts operation names
 * it op + "Result"). out NULL, or of a descriptor without fields (Empty),
 * leaves OpResult out, as AWS does for operations without output.
 * Members are named as codec_json names them, absent ones left out; lists
 * are <Name><member>..</member></Name> (<Name/> when empty: AWS sends the
 * empty list of a top-level *Response, and nested empty lists are left
 * out, as in codec_msg_to_json()); maps <Name><entry><key>..</key><value>
 * ..</value></entry></Name>; timestamps 2024-01-02T03:04:05Z (.fffZ when
 * not whole seconds); booleans true/false; blobs base64; text escaped.
 * Policy documents in iam answers (the model's policyDocumentType: a
 * table in codec_query.c) are URL-encoded first, as AWS sends them and
 * botocore decodes them. The buffer's old copies are wiped as it grows:
 * answers may carry secrets (free *xml with free_wiped() then).
 * *xml is a new NUL-terminated string (free()), *len its length.
 * Returns CODEC_OK, CODEC_ERR_NOMEM, or CODEC_ERR_SERIALIZATION when a
 * string is not UTF-8 or holds a character XML 1.0 cannot carry (a NUL or
 * other C0 control but tab, LF and CR), or the message nests deeper than
 * CODEC_MAX_DEPTH; op, xmlns and request_id must be plain names.
 */
int codec_query_encode(const char *op, const char *xmlns,
    const ProtobufCMessage *out, const char *request_id, char **xml, size_t *len);

/*
 * <ErrorResponse xmlns="NS"><Error><Type>Sender|Receiver</Type><Code>C</Code>
 * <Message>M</Message></Error><RequestId>ID</RequestId></ErrorResponse>
 * message may be NULL (no <Message>). Same returns as codec_query_encode();
 * a message with characters XML cannot carry has them replaced by U+FFFD
 * rather than losing the error (error messages echo client input).
 */
int codec_query_encode_error(const char *xmlns, const char *code,
    const char *message, int sender, const char *request_id, char **xml,
    size_t *len);

#endif
