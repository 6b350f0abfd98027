/*
 * codec_json.h - one descriptor-driven JSON <-> protobuf codec.
 *
 * It walks protobuf-c descriptors; there is no per-operation JSON code. The
 * HTTP API, the CLI (file:// input, JSON output) and the tests all use it.
 *
 * Member names: a proto field whose name contains an upper-case letter is
 * named exactly so in JSON ("CRLSign"); otherwise the snake_case name is
 * converted: to PascalCase for packages of AWS JSON 1.1 / query services
 * ("certificate_authority_arn" -> "CertificateAuthorityArn") and to camelCase
 * for rest-json services (packages listed in codec_json.c: pca.api.ram).
 * Enum values: a value named "<EnumName>_<wire>" is "<wire>" in JSON, with
 * "_x2D_" and "_x2E_" standing for '-' and '.'.
 * Types: bytes are base64 strings (standard alphabet, padded); every double
 * is a timestamp: a number of seconds since the epoch (CODEC_WIRE), or an
 * ISO 8601 string "2024-01-02T03:04:05.123000+00:00" (CODEC_CLI output, as
 * the AWS CLI prints); int32/int64 numbers; bool true/false; repeated ->
 * arrays; messages -> objects. JSON null is treated as absent.
 *
 * Decoding checks, with the AWS error class and a message in the AWS style:
 *   - unknown member, wrong JSON type, bad base64, integer out of range,
 *     unknown enum value ........................ CODEC_ERR_SERIALIZATION /
 *                                                  CODEC_ERR_VALIDATION (enum)
 *   - missing required member, length/count/range rule of api_catalog ....
 *                                                  CODEC_ERR_VALIDATION
 *   - nesting deeper than CODEC_MAX_DEPTH ....... CODEC_ERR_SERIALIZATION
 * Validation messages read like AWS's:
 *   "1 validation error detected: Value 'X' at 'signingAlgorithm' failed to
 *    satisfy constraint: Member must satisfy enum value set: [A, B]"
 *   "Missing required parameter in input: \"Csr\""   (botocore's wording)
 * Serialization messages use botocore's wording too:
 *   "Unknown parameter in Validity: \"Vaule\", must be one of: Value, Type"
 *   "Invalid type for parameter Validity.Value, value: \"30\", type: string,
 *    valid types: integer"
 * Unknown members are refused, not ignored: botocore and our CLI build their
 * JSON from the same model and never send one, so one is a typo or a client
 * of another model, and dropping it silently ("Tagz") is worse than failing.
 * Only the first validation error is reported; a serialization error
 * anywhere in the input outranks it (AWS deserializes before validating).
 * Base64 must be canonical: padded, no whitespace, unused bits zero. A
 * list present but empty is checked against its count rule (AWS does);
 * codec_msg_check() cannot tell empty from absent and checks lists of one
 * item or more. Required lists of the model are plain `repeated` fields, so
 * neither function can report them missing: handlers must.
 */
#ifndef PCA_CODEC_JSON_H
#define PCA_CODEC_JSON_H

#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#define CODEC_MAX_DEPTH	32

enum codec_style {
	CODEC_WIRE,	/* AWS JSON 1.1 / rest-json: timestamps as epoch numbers */
	CODEC_CLI,	/* AWS CLI output: timestamps as ISO 8601 strings */
};

enum codec_err {
	CODEC_OK = 0,
	CODEC_ERR_SERIALIZATION = 1,	/* SerializationException */
	CODEC_ERR_VALIDATION = 2,	/* ValidationException */
	CODEC_ERR_NOMEM = 3,
};

struct codec_error {
	enum codec_err	code;
	char		message[512];
};

/* JSON object -> new message of type d (free with
 * protobuf_c_message_free_unpacked(msg, NULL)). */
int codec_json_to_msg(const ProtobufCMessageDescriptor *d, const json_t *in,
    ProtobufCMessage **out, struct codec_error *err);

/* Message -> new JSON object (json_decref it). Absent optional members are
 * omitted; empty repeated members are omitted except in top-level messages
 * whose descriptor name ends in "Response" (AWS returns [] there). Enum
 * numbers the descriptor does not know come out as numbers. NULL when out
 * of memory, when a string is not UTF-8 or when nested deeper than
 * CODEC_MAX_DEPTH (codec_msg_check() first tells which). */
json_t *codec_msg_to_json(const ProtobufCMessage *m, enum codec_style style);

/*
 * Check a message decoded from protobuf bytes (the native door): every enum
 * value is one the descriptor knows, no unknown fields anywhere, required
 * fields present, the api_catalog rules hold, depth <= CODEC_MAX_DEPTH.
 * Same error classes and messages as codec_json_to_msg().
 */
int codec_msg_check(const ProtobufCMessage *m, struct codec_error *err);

/* The JSON member name of a field (see above), in buf. */
const char *codec_field_json_name(const ProtobufCMessageDescriptor *msg,
    const ProtobufCFieldDescriptor *f, char *buf, size_t len);
/* The wire string of an enum value (points into buf or the descriptor). */
const char *codec_enum_wire_name(const ProtobufCEnumDescriptor *e,
    const ProtobufCEnumValue *v, char *buf, size_t len);
/* The enum value whose wire string is s, or NULL. */
const ProtobufCEnumValue *codec_enum_from_wire(const ProtobufCEnumDescriptor *e,
    const char *s);

/* Field layout, shared with codec_query: the size of one value (one list
 * item) of f, and whether a non-repeated f is set in m (has_ flag, or
 * pointer for strings and messages; required scalars always are). */
size_t codec_elem_size(const ProtobufCFieldDescriptor *f);
int codec_field_present(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m);

/* A client's value quoted in an error message: at most 64 bytes cut on a
 * UTF-8 boundary, control characters as '?', "..." when cut. */
void codec_show(char *dst, size_t dstlen, const char *s, size_t n);

/* Format an epoch timestamp the way the AWS CLI prints it. */
void codec_format_timestamp(double t, char *buf, size_t len);

#endif
