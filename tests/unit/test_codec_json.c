/*
 * test_codec_json.c - the descriptor-driven JSON <-> protobuf codec on real
 * acm-pca messages: round trips, every error class with its exact message,
 * codec_msg_check on bytes from the native door, timestamps in both styles.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "codec_json.h"
#include "acm_pca.pb-c.h"

#define ARN	"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/" \
		"11111111-2222-3333-4444-555555555555"

#define D_ISSUE		(&pca__api__acm_pca__issue_certificate_request__descriptor)
#define D_CREATE	(&pca__api__acm_pca__create_certificate_authority_request__descriptor)
#define D_DELETE	(&pca__api__acm_pca__delete_certificate_authority_request__descriptor)
#define D_PERM		(&pca__api__acm_pca__create_permission_request__descriptor)

/* ---- a recursive message, which acm-pca lacks, for the depth limit ---- */

typedef struct TestNode {
	ProtobufCMessage	 base;
	struct TestNode		*child;
	char			*name;
} TestNode;

static const ProtobufCMessageDescriptor test_node_descriptor;
static const ProtobufCMessageDescriptor test_ram_descriptor;

static void
test_node_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(TestNode));
	m->descriptor = &test_node_descriptor;
}

static void
test_ram_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(TestNode));
	m->descriptor = &test_ram_descriptor;
}

static const ProtobufCFieldDescriptor test_node_fields[2] = {
	{ "child", 1, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE, 0,
	  offsetof(TestNode, child), &test_node_descriptor, NULL, 0, 0, NULL, NULL },
	{ "name", 2, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0,
	  offsetof(TestNode, name), NULL, NULL, 0, 0, NULL, NULL },
};
/* the same layout in a rest-json package: camelCase member names */
static const ProtobufCFieldDescriptor test_ram_fields[2] = {
	{ "child_node", 1, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE, 0,
	  offsetof(TestNode, child), &test_ram_descriptor, NULL, 0, 0, NULL, NULL },
	{ "resource_share_arn", 2, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0,
	  offsetof(TestNode, name), NULL, NULL, 0, 0, NULL, NULL },
};
static const unsigned test_node_by_name[2] = { 0, 1 };
static const ProtobufCIntRange test_node_ranges[2] = { { 1, 0 }, { 0, 2 } };

static const ProtobufCMessageDescriptor test_node_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pca.test.Node", "Node", "Node",
	"pca.test", sizeof(TestNode), 2, test_node_fields, test_node_by_name,
	1, test_node_ranges, test_node_init, NULL, NULL, NULL
};
static const ProtobufCMessageDescriptor test_ram_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pca.api.ram.Node", "Node", "Node",
	"pca.api.ram", sizeof(TestNode), 2, test_ram_fields, test_node_by_name,
	1, test_node_ranges, test_ram_init, NULL, NULL, NULL
};

/* ---- helpers ---------------------------------------------------------- */

static json_t *
jparse(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, 0, &e);

	if (v == NULL)
		test_fail(__FILE__, __LINE__, "test JSON: %s", e.text);
	return v;
}

/* decode JSON text; returns the codec's code */
static int
decode(const ProtobufCMessageDescriptor *d, const char *text,
    ProtobufCMessage **m, struct codec_error *err)
{
	json_t *in = jparse(text);
	int r = codec_json_to_msg(d, in, m, err);

	json_decref(in);
	return r;
}

#define expect_error(d_, text_, code_, msg_) do {			\
	struct codec_error _e;						\
	ProtobufCMessage *_m = (ProtobufCMessage *)&_e;			\
	assert_int_eq(decode((d_), (text_), &_m, &_e), (code_));	\
	assert_int_eq(_e.code, (code_));				\
	assert_ptr_null(_m);						\
	assert_str_eq(_e.message, (msg_));				\
} while (0)

#define expect_ok(d_, text_) do {					\
	struct codec_error _e;						\
	ProtobufCMessage *_m = NULL;					\
	int _r = decode((d_), (text_), &_m, &_e);			\
	if (_r != CODEC_OK)						\
		test_fail(__FILE__, __LINE__, "decode: %s", _e.message); \
	protobuf_c_message_free_unpacked(_m, NULL);			\
} while (0)

/* compact JSON text of a message, in the codec's key order (caller frees) */
static char *
encode_text(const ProtobufCMessage *m, enum codec_style style)
{
	json_t *j = codec_msg_to_json(m, style);
	char *s;

	assert_ptr_not_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return s;
}

/* ---- names -------------------------------------------------------------- */

static const ProtobufCFieldDescriptor *
field(const ProtobufCMessageDescriptor *d, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(d, name);

	assert_ptr_not_null(f);
	return f;
}

static void
test_names(void)
{
	const ProtobufCMessageDescriptor *ku = &pca__api__acm_pca__key_usage__descriptor;
	const ProtobufCMessageDescriptor *crl = &pca__api__acm_pca__crl_configuration__descriptor;
	const ProtobufCMessageDescriptor *gn = &pca__api__acm_pca__general_name__descriptor;
	const ProtobufCEnumDescriptor *ka = &pca__api__acm_pca__key_algorithm__descriptor;
	const ProtobufCEnumDescriptor *at = &pca__api__acm_pca__action_type__descriptor;
	const ProtobufCEnumValue *v;
	char buf[64];

	assert_str_eq(codec_field_json_name(ku, field(ku, "CRLSign"), buf, sizeof(buf)), "CRLSign");
	assert_str_eq(codec_field_json_name(ku, field(ku, "key_cert_sign"), buf, sizeof(buf)),
	    "KeyCertSign");
	assert_str_eq(codec_field_json_name(crl, field(crl, "s3_bucket_name"), buf, sizeof(buf)),
	    "S3BucketName");
	assert_str_eq(codec_field_json_name(gn, field(gn, "rfc822_name"), buf, sizeof(buf)),
	    "Rfc822Name");
	assert_str_eq(codec_field_json_name(D_ISSUE, field(D_ISSUE, "certificate_authority_arn"),
	    buf, sizeof(buf)), "CertificateAuthorityArn");
	/* rest-json packages are camelCase */
	assert_str_eq(codec_field_json_name(&test_ram_descriptor, &test_ram_fields[1], buf,
	    sizeof(buf)), "resourceShareArn");

	v = protobuf_c_enum_descriptor_get_value(ka, 4);
	assert_str_eq(codec_enum_wire_name(ka, v, buf, sizeof(buf)), "EC_prime256v1");
	assert_int_eq(codec_enum_from_wire(ka, "EC_secp384r1")->value, 5);
	assert_int_eq(codec_enum_from_wire(at, "ListPermissions")->value, 3);
	assert_ptr_null(codec_enum_from_wire(ka, "KeyAlgorithm_RSA_2048"));
	assert_ptr_null(codec_enum_from_wire(ka, "rsa_2048"));
}

/* gen_api.py escapes '-' and '.' in enum values as _x2D_ / _x2E_ */
static void
test_enum_escapes(void)
{
	static const ProtobufCEnumValue values[2] = {
		{ "Proto_TLS_x2E_1_x2D_2", "X1", 1 },
		{ "Proto_PLAIN", "X2", 2 },
	};
	static const ProtobufCEnumValueIndex by_name[2] = { { "Proto_PLAIN", 1 },
		{ "Proto_TLS_x2E_1_x2D_2", 0 } };
	static const ProtobufCIntRange ranges[2] = { { 1, 0 }, { 0, 2 } };
	static const ProtobufCEnumDescriptor e = {
		PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC, "pca.test.Proto", "Proto", "Proto",
		"pca.test", 2, values, 2, by_name, 1, ranges, NULL, NULL, NULL, NULL
	};
	char buf[64];

	assert_str_eq(codec_enum_wire_name(&e, &values[0], buf, sizeof(buf)), "TLS.1-2");
	assert_str_eq(codec_enum_wire_name(&e, &values[1], buf, sizeof(buf)), "PLAIN");
	assert_int_eq(codec_enum_from_wire(&e, "TLS.1-2")->value, 1);
	/* the escaped spelling is not a wire value */
	assert_ptr_null(codec_enum_from_wire(&e, "TLS_x2E_1_x2D_2"));
}

/* ---- round trips --------------------------------------------------------- */

static const char create_ca_json[] =
    "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"EC_prime256v1\","
    "\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Subject\":{\"Country\":\"DE\","
    "\"Organization\":\"Example GmbH\",\"CommonName\":\"Example Root CA \xc3\xa9\","
    "\"CustomAttributes\":[{\"ObjectIdentifier\":\"1.2.3.4\",\"Value\":\"x\"}]},"
    "\"CsrExtensions\":{\"KeyUsage\":{\"DigitalSignature\":true,\"KeyCertSign\":true,"
    "\"CRLSign\":true}}},"
    "\"RevocationConfiguration\":{\"CrlConfiguration\":{\"Enabled\":false,"
    "\"ExpirationInDays\":7,\"S3ObjectAcl\":\"BUCKET_OWNER_FULL_CONTROL\"},"
    "\"OcspConfiguration\":{\"Enabled\":true}},"
    "\"CertificateAuthorityType\":\"ROOT\",\"IdempotencyToken\":\"tok-1\","
    "\"KeyStorageSecurityStandard\":\"FIPS_140_2_LEVEL_3_OR_HIGHER\","
    "\"Tags\":[{\"Key\":\"team\",\"Value\":\"pki\"},{\"Key\":\"env\"}],"
    "\"UsageMode\":\"SHORT_LIVED_CERTIFICATE\"}";

static void
test_roundtrip_create_ca(void)
{
	Pca__Api__AcmPca__CreateCertificateAuthorityRequest *req, *back;
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	uint8_t *packed;
	size_t len;
	char *text;

	assert_int_eq(decode(D_CREATE, create_ca_json, &m, &err), CODEC_OK);
	req = (Pca__Api__AcmPca__CreateCertificateAuthorityRequest *)m;
	assert_int_eq(req->certificate_authority_configuration->key_algorithm,
	    PCA__API__ACM_PCA__KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1);
	assert_str_eq(req->certificate_authority_configuration->subject->country, "DE");
	assert_int_eq(req->certificate_authority_configuration->subject->n_custom_attributes, 1);
	assert_int_eq(req->certificate_authority_configuration->csr_extensions->key_usage->has_crlsign, 1);
	assert_int_eq(req->certificate_authority_configuration->csr_extensions->key_usage->crlsign, 1);
	assert_int_eq(req->certificate_authority_configuration->csr_extensions->key_usage->has_non_repudiation, 0);
	assert_int_eq(req->revocation_configuration->crl_configuration->enabled, 0);
	assert_int_eq(req->revocation_configuration->crl_configuration->has_expiration_in_days, 1);
	assert_int_eq(req->revocation_configuration->crl_configuration->expiration_in_days, 7);
	assert_int_eq(req->has_key_storage_security_standard, 1);
	assert_int_eq(req->n_tags, 2);
	assert_str_eq(req->tags[1]->key, "env");
	assert_ptr_null(req->tags[1]->value);
	assert_int_eq(req->has_usage_mode, 1);

	/* through protobuf bytes (the native door) and back */
	len = protobuf_c_message_get_packed_size(m);
	packed = malloc(len);
	assert_ptr_not_null(packed);
	protobuf_c_message_pack(m, packed);
	back = pca__api__acm_pca__create_certificate_authority_request__unpack(NULL, len, packed);
	free(packed);
	assert_ptr_not_null(back);
	assert_int_eq(codec_msg_check(&back->base, &err), CODEC_OK);

	/* same members, in model order, as the input */
	text = encode_text(&back->base, CODEC_WIRE);
	assert_str_eq(text, create_ca_json);
	free(text);
	pca__api__acm_pca__create_certificate_authority_request__free_unpacked(back, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void
test_roundtrip_issue(void)
{
	static const char in[] =
	    "{\"ApiPassthrough\":{\"Extensions\":{\"ExtendedKeyUsage\":[{\"ExtendedKeyUsageType\":"
	    "\"SERVER_AUTH\"}],\"SubjectAlternativeNames\":[{\"DnsName\":\"a.example\"},"
	    "{\"IpAddress\":\"10.0.0.1\"}]}},"
	    "\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"Csr\":\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KAP8=\","
	    "\"SigningAlgorithm\":\"SHA256WITHRSA\","
	    "\"TemplateArn\":\"arn:aws:acm-pca:::template/EndEntityCertificate/V1\","
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"},"
	    "\"ValidityNotBefore\":{\"Value\":1704164645,\"Type\":\"ABSOLUTE\"},"
	    "\"IdempotencyToken\":\"0123456789abcdef0123456789abcdef0123\"}";
	static const char csr[] = "-----BEGIN CERTIFICATE REQUEST-----\n\0\xff";
	Pca__Api__AcmPca__IssueCertificateRequest *req;
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	char *text;

	assert_int_eq(decode(D_ISSUE, in, &m, &err), CODEC_OK);
	req = (Pca__Api__AcmPca__IssueCertificateRequest *)m;
	assert_int_eq(req->csr.len, sizeof(csr) - 1);
	assert_mem_eq(req->csr.data, csr, sizeof(csr) - 1);
	assert_int_eq(req->validity->value, 30);
	assert_int_eq(req->validity->type, PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS);
	assert_int_eq(req->validity_not_before->value, 1704164645);
	assert_int_eq(req->api_passthrough->extensions->n_subject_alternative_names, 2);
	assert_str_eq(req->api_passthrough->extensions->subject_alternative_names[1]->ip_address,
	    "10.0.0.1");
	assert_int_eq(codec_msg_check(m, &err), CODEC_OK);
	text = encode_text(m, CODEC_WIRE);
	assert_str_eq(text, in);
	free(text);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* lists of enums, and the empty-list rule of responses */
static void
test_lists(void)
{
	Pca__Api__AcmPca__ListTagsResponse tags = PCA__API__ACM_PCA__LIST_TAGS_RESPONSE__INIT;
	Pca__Api__AcmPca__ListPermissionsResponse perms =
	    PCA__API__ACM_PCA__LIST_PERMISSIONS_RESPONSE__INIT;
	Pca__Api__AcmPca__Permission p = PCA__API__ACM_PCA__PERMISSION__INIT, *pp = &p;
	Pca__Api__AcmPca__CreateCertificateAuthorityRequest create =
	    PCA__API__ACM_PCA__CREATE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__CertificateAuthorityConfiguration conf =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_CONFIGURATION__INIT;
	Pca__Api__AcmPca__ASN1Subject subj = PCA__API__ACM_PCA__ASN1_SUBJECT__INIT;
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	char *text;

	assert_int_eq(decode(D_PERM, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"Principal\":\"acm.amazonaws.com\",\"Actions\":[\"IssueCertificate\","
	    "\"GetCertificate\",\"ListPermissions\"]}", &m, &err), CODEC_OK);
	assert_int_eq(((Pca__Api__AcmPca__CreatePermissionRequest *)m)->n_actions, 3);
	assert_int_eq(((Pca__Api__AcmPca__CreatePermissionRequest *)m)->actions[2],
	    PCA__API__ACM_PCA__ACTION_TYPE__ActionType_ListPermissions);
	protobuf_c_message_free_unpacked(m, NULL);

	/* a top-level response list is [] when empty (AWS sends it) ... */
	text = encode_text(&tags.base, CODEC_WIRE);
	assert_str_eq(text, "{\"Tags\":[]}");
	free(text);
	/* ... a nested one is left out, as are absent optionals */
	p.principal = "acm.amazonaws.com";
	perms.n_permissions = 1;
	perms.permissions = &pp;
	text = encode_text(&perms.base, CODEC_WIRE);
	assert_str_eq(text, "{\"Permissions\":[{\"Principal\":\"acm.amazonaws.com\"}]}");
	free(text);
	/* requests omit empty lists; required scalars are always there */
	conf.subject = &subj;
	create.certificate_authority_configuration = &conf;
	text = encode_text(&create.base, CODEC_WIRE);
	assert_str_eq(text, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Subject\":{}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}");
	free(text);
}

static void
test_null_is_absent(void)
{
	Pca__Api__AcmPca__DeleteCertificateAuthorityRequest *req;
	struct codec_error err;
	ProtobufCMessage *m = NULL;

	assert_int_eq(decode(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"PermanentDeletionTimeInDays\":null}", &m, &err), CODEC_OK);
	req = (Pca__Api__AcmPca__DeleteCertificateAuthorityRequest *)m;
	assert_int_eq(req->has_permanent_deletion_time_in_days, 0);
	protobuf_c_message_free_unpacked(m, NULL);
	expect_error(D_DELETE, "{\"CertificateAuthorityArn\":null}", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"CertificateAuthorityArn\"");
	expect_error(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"CertificateAuthorityType\":\"ROOT\",\"Tags\":[{\"Key\":\"a\"},null]}",
	    CODEC_ERR_VALIDATION, "1 validation error detected: Value null at "
	    "'tags.2.member' failed to satisfy constraint: Member must not be null");
}

/* ---- errors ----------------------------------------------------------- */

#define ISSUE_HEAD	"{\"CertificateAuthorityArn\":\"" ARN "\","

static void
test_missing_required(void)
{
	expect_error(D_ISSUE, ISSUE_HEAD "\"SigningAlgorithm\":\"SHA256WITHRSA\","
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"Csr\"");
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30}}", CODEC_ERR_VALIDATION,
	    "Missing required parameter in Validity: \"Type\"");
	expect_error(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"CertificateAuthorityType\":\"ROOT\",\"Tags\":[{\"Key\":\"a\"},{\"Value\":\"b\"}]}",
	    CODEC_ERR_VALIDATION, "Missing required parameter in Tags[1]: \"Key\"");
	/* a required bool has no has_ flag: presence is tracked while decoding */
	expect_error(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"RevocationConfiguration\":{\"CrlConfiguration\":{\"ExpirationInDays\":7}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}", CODEC_ERR_VALIDATION,
	    "Missing required parameter in RevocationConfiguration.CrlConfiguration: "
	    "\"Enabled\"");
	expect_error(D_ISSUE, "{}", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"CertificateAuthorityArn\"");
}

static void
test_bad_enum(void)
{
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":\"SHA1WITHRSA\","
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value 'SHA1WITHRSA' at 'signingAlgorithm' failed "
	    "to satisfy constraint: Member must satisfy enum value set: [SHA256WITHECDSA, "
	    "SHA384WITHECDSA, SHA512WITHECDSA, SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA, "
	    "SM3WITHSM2, ML_DSA_44, ML_DSA_65, ML_DSA_87]");
	expect_error(D_PERM, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Principal\":"
	    "\"acm.amazonaws.com\",\"Actions\":[\"IssueCertificate\",\"Revoke\"]}",
	    CODEC_ERR_VALIDATION, "1 validation error detected: Value 'Revoke' at "
	    "'actions.2.member' failed to satisfy constraint: Member must satisfy enum "
	    "value set: [IssueCertificate, GetCertificate, ListPermissions]");
	/* an enum must be a string */
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":4,"
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter SigningAlgorithm, value: 4, type: integer, "
	    "valid types: string");
}

static void
test_wrong_type(void)
{
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":\"30\",\"Type\":\"DAYS\"}}",
	    CODEC_ERR_SERIALIZATION, "Invalid type for parameter Validity.Value, "
	    "value: \"30\", type: string, valid types: integer");
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30.5,\"Type\":\"DAYS\"}}",
	    CODEC_ERR_SERIALIZATION, "Invalid type for parameter Validity.Value, "
	    "value: 30.5, type: number, valid types: integer");
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":[30,\"DAYS\"]}", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter Validity, type: list, valid types: object");
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":[1],\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}",
	    CODEC_ERR_SERIALIZATION, "Invalid type for parameter Csr, type: list, "
	    "valid types: string (base64)");
	expect_error(D_PERM, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Principal\":"
	    "\"p\",\"Actions\":\"IssueCertificate\"}", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter Actions, value: \"IssueCertificate\", type: "
	    "string, valid types: list");
	expect_error(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"RevocationConfiguration\":{\"OcspConfiguration\":{\"Enabled\":\"true\"}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter RevocationConfiguration.OcspConfiguration.Enabled, "
	    "value: \"true\", type: string, valid types: boolean");
	expect_error(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"PermanentDeletionTimeInDays\":2147483648}", CODEC_ERR_SERIALIZATION,
	    "Invalid value for parameter PermanentDeletionTimeInDays: out of range for a "
	    "32-bit integer");
	{
		struct codec_error e;
		ProtobufCMessage *m = NULL;
		json_t *arr = json_array();
		/* jansson parses "\u0000" only when asked to; build it */
		json_t *nul = json_pack("{s:s%}", "CertificateAuthorityArn", "a\0bcdefg", (size_t)8);

		assert_int_eq(codec_json_to_msg(D_DELETE, nul, &m, &e), CODEC_ERR_SERIALIZATION);
		assert_str_eq(e.message, "Invalid value for parameter CertificateAuthorityArn: "
		    "contains a NUL character");
		assert_int_eq(codec_json_to_msg(D_DELETE, arr, &m, &e), CODEC_ERR_SERIALIZATION);
		assert_str_eq(e.message, "Invalid type for parameter input, type: list, "
		    "valid types: object");
		assert_int_eq(codec_json_to_msg(D_DELETE, NULL, &m, &e), CODEC_ERR_SERIALIZATION);
		json_decref(arr);
		json_decref(nul);
	}
}

static void
test_bad_base64(void)
{
	static const char *const bad[] = { "LS0", "LS0t=", "L=0t", "LS0t\\n", "LS-_",
	    "YR==", "YWJ=", "====", "LS0tLQ" };
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), ISSUE_HEAD "\"Csr\":\"%s\",\"SigningAlgorithm\":"
		    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}", bad[i]);
		expect_error(D_ISSUE, text, CODEC_ERR_SERIALIZATION, "Invalid value for "
		    "parameter Csr: not valid base64 (standard alphabet, padded)");
	}
	/* padded forms of 1, 2 and 3 bytes */
	expect_ok(D_ISSUE, ISSUE_HEAD "\"Csr\":\"YQ==\",\"SigningAlgorithm\":\"SHA256WITHRSA\","
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}");
	expect_ok(D_ISSUE, ISSUE_HEAD "\"Csr\":\"YWI=\",\"SigningAlgorithm\":\"SHA256WITHRSA\","
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}");
	expect_ok(D_ISSUE, ISSUE_HEAD "\"Csr\":\"YWJj+/+/\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}");
	/* empty decodes, then fails the length rule */
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"\",\"SigningAlgorithm\":\"SHA256WITHRSA\","
	    "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value at 'csr' failed to satisfy constraint: "
	    "Member must have length greater than or equal to 1");
}

static void
test_length(void)
{
	char text[1024], tok[128];
	size_t i;

	/* IdempotencyToken: 1..36 characters */
	memset(tok, 'a', 37);
	tok[37] = '\0';
	snprintf(text, sizeof(text), ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"},"
	    "\"IdempotencyToken\":\"%s\"}", tok);
	expect_error(D_ISSUE, text, CODEC_ERR_VALIDATION, "1 validation error detected: "
	    "Value 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' at 'idempotencyToken' failed to "
	    "satisfy constraint: Member must have length less than or equal to 36");
	tok[36] = '\0';
	snprintf(text, sizeof(text), ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"},"
	    "\"IdempotencyToken\":\"%s\"}", tok);
	expect_ok(D_ISSUE, text);
	/* characters, not bytes: 36 two-byte characters fit */
	for (i = 0; i < 36; i++)
		memcpy(tok + 2 * i, "\xc3\xa9", 2);
	tok[72] = '\0';
	snprintf(text, sizeof(text), ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"},"
	    "\"IdempotencyToken\":\"%s\"}", tok);
	expect_ok(D_ISSUE, text);
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"},"
	    "\"IdempotencyToken\":\"\"}", CODEC_ERR_VALIDATION, "1 validation error "
	    "detected: Value '' at 'idempotencyToken' failed to satisfy constraint: "
	    "Member must have length greater than or equal to 1");
	/* nested: Country is exactly 2 */
	expect_error(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"Country\":"
	    "\"DEU\"}},\"CertificateAuthorityType\":\"ROOT\"}", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value 'DEU' at 'certificateAuthorityConfiguration."
	    "subject.country' failed to satisfy constraint: Member must have length less "
	    "than or equal to 2");
	expect_error(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"CertificateAuthorityType\":\"ROOT\",\"Tags\":[{\"Key\":\"a\"},{\"Key\":\"\"}]}",
	    CODEC_ERR_VALIDATION, "1 validation error detected: Value '' at "
	    "'tags.2.member.key' failed to satisfy constraint: Member must have length "
	    "greater than or equal to 1");
	/* a long value is cut in the message */
	{
		char big[400], msg[512];
		memset(big, 'p', 300);
		big[300] = '\0';
		snprintf(text, sizeof(text), "{\"CertificateAuthorityArn\":\"%s\"}", big);
		snprintf(msg, sizeof(msg), "1 validation error detected: Value '%.64s...' at "
		    "'certificateAuthorityArn' failed to satisfy constraint: Member must have "
		    "length less than or equal to 200", big);
		expect_error(D_DELETE, text, CODEC_ERR_VALIDATION, msg);
	}
}

static void
test_count(void)
{
	json_t *in = jparse("{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}");
	json_t *tags = json_array();
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	int i;

	/* present but empty fails min 1, like AWS */
	json_object_set(in, "Tags", tags);
	assert_int_eq(codec_json_to_msg(D_CREATE, in, &m, &err), CODEC_ERR_VALIDATION);
	assert_str_eq(err.message, "1 validation error detected: Value at 'tags' failed "
	    "to satisfy constraint: Member must have length greater than or equal to 1");
	for (i = 0; i < 50; i++)
		json_array_append_new(tags, json_pack("{s:s}", "Key", "k"));
	assert_int_eq(codec_json_to_msg(D_CREATE, in, &m, &err), CODEC_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	json_array_append_new(tags, json_pack("{s:s}", "Key", "k"));
	assert_int_eq(codec_json_to_msg(D_CREATE, in, &m, &err), CODEC_ERR_VALIDATION);
	assert_ptr_null(m);
	assert_str_eq(err.message, "1 validation error detected: Value at 'tags' failed "
	    "to satisfy constraint: Member must have length less than or equal to 50");
	json_decref(tags);
	json_decref(in);

	expect_error(D_PERM, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Principal\":"
	    "\"p\",\"Actions\":[\"IssueCertificate\",\"GetCertificate\",\"ListPermissions\","
	    "\"IssueCertificate\"]}", CODEC_ERR_VALIDATION, "1 validation error detected: "
	    "Value at 'actions' failed to satisfy constraint: Member must have length less "
	    "than or equal to 3");
}

static void
test_range(void)
{
	expect_error(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"PermanentDeletionTimeInDays\":6}", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value '6' at 'permanentDeletionTimeInDays' "
	    "failed to satisfy constraint: Member must have value greater than or equal to 7");
	expect_error(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"PermanentDeletionTimeInDays\":31}", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value '31' at 'permanentDeletionTimeInDays' "
	    "failed to satisfy constraint: Member must have value less than or equal to 30");
	expect_ok(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"PermanentDeletionTimeInDays\":7}");
	expect_ok(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\","
	    "\"PermanentDeletionTimeInDays\":30}");
	/* Validity.Value: min 1, no maximum, int64 */
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":0,\"Type\":\"DAYS\"}}",
	    CODEC_ERR_VALIDATION, "1 validation error detected: Value '0' at "
	    "'validity.value' failed to satisfy constraint: Member must have value greater "
	    "than or equal to 1");
	expect_ok(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":4102444800,\"Type\":\"END_DATE\"}}");
}

static void
test_unknown_member(void)
{
	expect_error(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Force\":true}",
	    CODEC_ERR_SERIALIZATION, "Unknown parameter in input: \"Force\", must be one "
	    "of: CertificateAuthorityArn, PermanentDeletionTimeInDays");
	/* null does not make an unknown member acceptable */
	expect_error(D_DELETE, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Force\":null}",
	    CODEC_ERR_SERIALIZATION, "Unknown parameter in input: \"Force\", must be one "
	    "of: CertificateAuthorityArn, PermanentDeletionTimeInDays");
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":"
	    "\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\",\"Vaule\":1}}",
	    CODEC_ERR_SERIALIZATION, "Unknown parameter in Validity: \"Vaule\", must be one "
	    "of: Value, Type");
	/* member names are case-sensitive */
	expect_error(D_DELETE, "{\"certificateAuthorityArn\":\"" ARN "\"}",
	    CODEC_ERR_SERIALIZATION, "Unknown parameter in input: \"certificateAuthorityArn\", "
	    "must be one of: CertificateAuthorityArn, PermanentDeletionTimeInDays");
}

/* a serialization error anywhere outranks a validation error before it */
static void
test_error_priority(void)
{
	expect_error(D_ISSUE, ISSUE_HEAD "\"Csr\":\"LS0t\",\"SigningAlgorithm\":\"MD5\","
	    "\"Validity\":{\"Value\":\"30\",\"Type\":\"DAYS\"}}", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter Validity.Value, value: \"30\", type: string, "
	    "valid types: integer");
	/* and the first validation error is the one reported */
	expect_error(D_ISSUE, ISSUE_HEAD "\"SigningAlgorithm\":\"MD5\","
	    "\"Validity\":{\"Value\":0,\"Type\":\"DAYS\"}}", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"Csr\"");
}

static void
test_camel_case(void)
{
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	TestNode *n;
	char *text;

	assert_int_eq(decode(&test_ram_descriptor, "{\"childNode\":{\"resourceShareArn\":"
	    "\"x\"}}", &m, &err), CODEC_OK);
	n = (TestNode *)m;
	assert_str_eq(n->child->name, "x");
	text = encode_text(m, CODEC_WIRE);
	assert_str_eq(text, "{\"childNode\":{\"resourceShareArn\":\"x\"}}");
	free(text);
	protobuf_c_message_free_unpacked(m, NULL);
	expect_error(&test_ram_descriptor, "{\"ChildNode\":{}}", CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in input: \"ChildNode\", must be one of: childNode, "
	    "resourceShareArn");
}

/* nested JSON of the given depth: {"child":{"child":...{"name":"leaf"}}} */
static json_t *
nested_json(int depth)
{
	json_t *v = json_pack("{s:s}", "Name", "leaf");

	while (--depth > 0)
		v = json_pack("{s:o}", "Child", v);
	return v;
}

static void
test_depth(void)
{
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	TestNode *chain = NULL, *n;
	json_t *in;
	int i;

	in = nested_json(CODEC_MAX_DEPTH);
	assert_int_eq(codec_json_to_msg(&test_node_descriptor, in, &m, &err), CODEC_OK);
	json_decref(in);
	assert_int_eq(codec_msg_check(m, &err), CODEC_OK);
	in = codec_msg_to_json(m, CODEC_WIRE);
	assert_ptr_not_null(in);
	json_decref(in);
	protobuf_c_message_free_unpacked(m, NULL);

	in = nested_json(CODEC_MAX_DEPTH + 1);
	assert_int_eq(codec_json_to_msg(&test_node_descriptor, in, &m, &err),
	    CODEC_ERR_SERIALIZATION);
	json_decref(in);
	assert_ptr_null(m);
	assert_str_contains(err.message, "Input nested deeper than 32 levels at Child.Child.");

	/* a deep chain built in memory (as unpack could build it) */
	for (i = 0; i < 200; i++) {
		n = malloc(sizeof(*n));
		assert_ptr_not_null(n);
		test_node_init(&n->base);
		n->child = chain;
		chain = n;
	}
	assert_int_eq(codec_msg_check(&chain->base, &err), CODEC_ERR_SERIALIZATION);
	assert_str_contains(err.message, "Input nested deeper than 32 levels");
	assert_ptr_null(codec_msg_to_json(&chain->base, CODEC_WIRE));
	protobuf_c_message_free_unpacked(&chain->base, NULL);
}

/* ---- codec_msg_check on bytes from the native door ---------------------- */

static uint8_t *
pack(const ProtobufCMessage *m, size_t *len, const uint8_t *extra, size_t nextra)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	buf = malloc(*len + nextra);
	assert_ptr_not_null(buf);
	protobuf_c_message_pack(m, buf);
	if (nextra > 0)
		memcpy(buf + *len, extra, nextra);
	*len += nextra;
	return buf;
}

static void
test_check_unknown_field(void)
{
	Pca__Api__AcmPca__Validity v = PCA__API__ACM_PCA__VALIDITY__INIT, *vu;
	Pca__Api__AcmPca__IssueCertificateRequest req =
	    PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT, *ru;
	static const uint8_t field99[] = { 0x98, 0x06, 0x01 };	/* field 99, varint 1 */
	struct codec_error err;
	uint8_t *buf;
	size_t len;

	v.value = 30;
	v.type = PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS;
	req.certificate_authority_arn = ARN;
	req.csr.data = (uint8_t *)"csr";
	req.csr.len = 3;
	req.validity = &v;
	assert_int_eq(codec_msg_check(&req.base, &err), CODEC_OK);

	buf = pack(&req.base, &len, field99, sizeof(field99));
	ru = pca__api__acm_pca__issue_certificate_request__unpack(NULL, len, buf);
	free(buf);
	assert_ptr_not_null(ru);
	assert_int_eq(codec_msg_check(&ru->base, &err), CODEC_ERR_SERIALIZATION);
	assert_str_eq(err.message, "Unknown field number 99 in input");
	pca__api__acm_pca__issue_certificate_request__free_unpacked(ru, NULL);

	/* one level down */
	buf = pack(&v.base, &len, field99, sizeof(field99));
	vu = pca__api__acm_pca__validity__unpack(NULL, len, buf);
	free(buf);
	assert_ptr_not_null(vu);
	req.validity = vu;
	assert_int_eq(codec_msg_check(&req.base, &err), CODEC_ERR_SERIALIZATION);
	assert_str_eq(err.message, "Unknown field number 99 in Validity");
	pca__api__acm_pca__validity__free_unpacked(vu, NULL);
}

static void
test_check_unknown_enum(void)
{
	Pca__Api__AcmPca__Validity v = PCA__API__ACM_PCA__VALIDITY__INIT;
	Pca__Api__AcmPca__IssueCertificateRequest req =
	    PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT, *ru;
	struct codec_error err;
	json_t *j;
	uint8_t *buf;
	size_t len;

	v.value = 30;
	v.type = PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS;
	req.certificate_authority_arn = ARN;
	req.csr.data = (uint8_t *)"csr";
	req.csr.len = 3;
	req.validity = &v;
	req.signing_algorithm = 99;	/* protobuf-c packs and unpacks any number */
	buf = pack(&req.base, &len, NULL, 0);
	ru = pca__api__acm_pca__issue_certificate_request__unpack(NULL, len, buf);
	free(buf);
	assert_ptr_not_null(ru);
	assert_int_eq(ru->signing_algorithm, 99);
	assert_int_eq(codec_msg_check(&ru->base, &err), CODEC_ERR_VALIDATION);
	assert_str_eq(err.message, "1 validation error detected: Value '99' at "
	    "'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum "
	    "value set: [SHA256WITHECDSA, SHA384WITHECDSA, SHA512WITHECDSA, SHA256WITHRSA, "
	    "SHA384WITHRSA, SHA512WITHRSA, SM3WITHSM2, ML_DSA_44, ML_DSA_65, ML_DSA_87]");
	/* output names what it can and shows the number otherwise */
	j = codec_msg_to_json(&ru->base, CODEC_WIRE);
	assert_ptr_not_null(j);
	assert_int_eq(json_integer_value(json_object_get(j, "SigningAlgorithm")), 99);
	json_decref(j);
	pca__api__acm_pca__issue_certificate_request__free_unpacked(ru, NULL);
}

static void
test_check_rules(void)
{
	Pca__Api__AcmPca__DeleteCertificateAuthorityRequest del =
	    PCA__API__ACM_PCA__DELETE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__CreatePermissionRequest perm =
	    PCA__API__ACM_PCA__CREATE_PERMISSION_REQUEST__INIT;
	Pca__Api__AcmPca__ActionType actions[4] = { 1, 2, 3, 1 };
	struct codec_error err;

	del.certificate_authority_arn = ARN;
	del.has_permanent_deletion_time_in_days = 1;
	del.permanent_deletion_time_in_days = 31;
	assert_int_eq(codec_msg_check(&del.base, &err), CODEC_ERR_VALIDATION);
	assert_str_eq(err.message, "1 validation error detected: Value '31' at "
	    "'permanentDeletionTimeInDays' failed to satisfy constraint: Member must have "
	    "value less than or equal to 30");
	/* the value only counts when has_ says it is there */
	del.has_permanent_deletion_time_in_days = 0;
	assert_int_eq(codec_msg_check(&del.base, &err), CODEC_OK);
	/* a required string left NULL (not possible after unpack) */
	del.certificate_authority_arn = NULL;
	assert_int_eq(codec_msg_check(&del.base, &err), CODEC_ERR_VALIDATION);
	assert_str_eq(err.message, "Missing required parameter in input: "
	    "\"CertificateAuthorityArn\"");

	perm.certificate_authority_arn = ARN;
	perm.principal = "acm.amazonaws.com";
	perm.n_actions = 4;
	perm.actions = actions;
	assert_int_eq(codec_msg_check(&perm.base, &err), CODEC_ERR_VALIDATION);
	assert_str_eq(err.message, "1 validation error detected: Value at 'actions' failed "
	    "to satisfy constraint: Member must have length less than or equal to 3");
	/* protobuf has no "present but empty": no items passes */
	perm.n_actions = 0;
	assert_int_eq(codec_msg_check(&perm.base, &err), CODEC_OK);
}

static void
test_check_utf8(void)
{
	Pca__Api__AcmPca__DeleteCertificateAuthorityRequest del =
	    PCA__API__ACM_PCA__DELETE_CERTIFICATE_AUTHORITY_REQUEST__INIT, *du;
	struct codec_error err;
	uint8_t *buf;
	size_t len;

	del.certificate_authority_arn = "arn:\xff\xfe:bad";
	buf = pack(&del.base, &len, NULL, 0);
	du = pca__api__acm_pca__delete_certificate_authority_request__unpack(NULL, len, buf);
	free(buf);
	assert_ptr_not_null(du);
	assert_int_eq(codec_msg_check(&du->base, &err), CODEC_ERR_SERIALIZATION);
	assert_str_eq(err.message, "Invalid value for parameter CertificateAuthorityArn: "
	    "not valid UTF-8");
	/* such a message cannot be put into JSON */
	assert_ptr_null(codec_msg_to_json(&du->base, CODEC_WIRE));
	pca__api__acm_pca__delete_certificate_authority_request__free_unpacked(du, NULL);
}

/* ---- timestamps --------------------------------------------------------- */

static void
test_timestamp_format(void)
{
	static const struct {
		double		 t;
		const char	*s;
	} cases[] = {
		{ 1704164645.123, "2024-01-02T03:04:05.123000+00:00" },
		{ 1704164645.0, "2024-01-02T03:04:05+00:00" },
		{ 0.0, "1970-01-01T00:00:00+00:00" },
		{ -1.5, "1969-12-31T23:59:58.500000+00:00" },
		{ 1704164645.9999996, "2024-01-02T03:04:06+00:00" },
		{ 0.0000025, "1970-01-01T00:00:00.000002+00:00" },	/* half to even */
		{ 0.0000015, "1970-01-01T00:00:00.000002+00:00" },
		{ 253402300799.0, "9999-12-31T23:59:59+00:00" },
		{ 1e300, "1.0000000000000001e+300" },			/* no such date */
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		codec_format_timestamp(cases[i].t, buf, sizeof(buf));
		assert_str_eq(buf, cases[i].s);
	}
}

static void
test_timestamp_styles(void)
{
	Pca__Api__AcmPca__DescribeCertificateAuthorityResponse resp =
	    PCA__API__ACM_PCA__DESCRIBE_CERTIFICATE_AUTHORITY_RESPONSE__INIT;
	Pca__Api__AcmPca__CertificateAuthority ca = PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY__INIT;
	json_t *j, *c;
	char *text;

	ca.arn = ARN;
	ca.has_created_at = 1;
	ca.created_at = 1704164645.123;
	ca.has_not_after = 1;
	ca.not_after = 2019686400;
	ca.has_status = 1;
	ca.status = PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_STATUS__CertificateAuthorityStatus_ACTIVE;
	resp.certificate_authority = &ca;

	j = codec_msg_to_json(&resp.base, CODEC_WIRE);
	assert_ptr_not_null(j);
	c = json_object_get(j, "CertificateAuthority");
	assert_true(json_is_real(json_object_get(c, "CreatedAt")));
	assert_true(json_real_value(json_object_get(c, "CreatedAt")) == 1704164645.123);
	/* whole seconds are sent as integers */
	assert_true(json_is_integer(json_object_get(c, "NotAfter")));
	assert_int_eq(json_integer_value(json_object_get(c, "NotAfter")), 2019686400);
	json_decref(j);

	text = encode_text(&resp.base, CODEC_CLI);
	assert_str_eq(text, "{\"CertificateAuthority\":{\"Arn\":\"" ARN "\",\"CreatedAt\":"
	    "\"2024-01-02T03:04:05.123000+00:00\",\"Status\":\"ACTIVE\",\"NotAfter\":"
	    "\"2034-01-01T00:00:00+00:00\"}}");
	free(text);

	/* timestamps in requests: epoch numbers, integer or real */
	{
		struct codec_error err;
		ProtobufCMessage *m = NULL;
		const ProtobufCMessageDescriptor *d =
		    &pca__api__acm_pca__certificate_authority__descriptor;

		assert_int_eq(decode(d, "{\"CreatedAt\":1704164645.5,\"NotAfter\":2019686400}",
		    &m, &err), CODEC_OK);
		assert_true(((Pca__Api__AcmPca__CertificateAuthority *)m)->created_at ==
		    1704164645.5);
		assert_true(((Pca__Api__AcmPca__CertificateAuthority *)m)->not_after ==
		    2019686400.0);
		protobuf_c_message_free_unpacked(m, NULL);
		expect_error(d, "{\"CreatedAt\":\"2024-01-02T03:04:05Z\"}",
		    CODEC_ERR_SERIALIZATION, "Invalid type for parameter CreatedAt, value: "
		    "\"2024-01-02T03:04:05Z\", type: string, valid types: timestamp (epoch "
		    "seconds)");
	}
}

int
main(void)
{
	test_run("codec/names", test_names);
	test_run("codec/enum_escapes", test_enum_escapes);
	test_run("codec/roundtrip_create_ca", test_roundtrip_create_ca);
	test_run("codec/roundtrip_issue", test_roundtrip_issue);
	test_run("codec/lists", test_lists);
	test_run("codec/null_is_absent", test_null_is_absent);
	test_run("codec/missing_required", test_missing_required);
	test_run("codec/bad_enum", test_bad_enum);
	test_run("codec/wrong_type", test_wrong_type);
	test_run("codec/bad_base64", test_bad_base64);
	test_run("codec/length", test_length);
	test_run("codec/count", test_count);
	test_run("codec/range", test_range);
	test_run("codec/unknown_member", test_unknown_member);
	test_run("codec/error_priority", test_error_priority);
	test_run("codec/camel_case", test_camel_case);
	test_run("codec/depth", test_depth);
	test_run("codec/check_unknown_field", test_check_unknown_field);
	test_run("codec/check_unknown_enum", test_check_unknown_enum);
	test_run("codec/check_rules", test_check_rules);
	test_run("codec/check_utf8", test_check_utf8);
	test_run("codec/timestamp_format", test_timestamp_format);
	test_run("codec/timestamp_styles", test_timestamp_styles);
	return test_done();
}
