/*
 * api_json_fuzz.c - the JSON codec: common/codec_json.h codec_json_to_msg
 * against the input (and output) descriptor of every operation in api_ops[],
 * then codec_msg_check, codec_msg_to_json and a second decode.
 *
 * Input: byte 0 picks the message type and the output style, the rest is
 * JSON text (parsed by jansson with JSON_DECODE_ANY, so that arrays,
 * strings and numbers reach the codec's own top-level check):
 *   bits 0-5  operation: api_ops[(b & 0x3f) % api_ops_len]
 *   bit 6     decode as that operation's output message instead of its input
 *   bit 7     also encode in CODEC_CLI style (ISO 8601 timestamps)
 *
 * Invariants for every message the codec decodes:
 *   - codec_msg_check accepts it (the native door's check is never stricter
 *     than the JSON decoder's, or the two doors would disagree);
 *   - codec_msg_to_json encodes it (CODEC_WIRE and CODEC_CLI);
 *   - for input messages, the CODEC_WIRE JSON decodes again to the same
 *     message (same packed bytes). Not for outputs: codec_msg_to_json writes
 *     an empty list of a top-level *Response as [] (AWS does), which the
 *     decoder checks against the list's count rule (min 1 for most lists),
 *     and outputs are never decoded from JSON by the service.
 *
 * Seeds: tests/fuzz/corpus/api_json/ (api_json_fuzz --write-seeds DIR).
 */
#include "fuzz_util.h"
#include "api_catalog.h"
#include "codec_json.h"

#include <jansson.h>

static uint8_t *
packed(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	FUZZ_CHECK((buf = malloc(*len > 0 ? *len : 1)) != NULL);
	FUZZ_ASSERT(protobuf_c_message_pack(m, buf) == *len);
	return buf;
}

static void
round_trip(const ProtobufCMessageDescriptor *d, const ProtobufCMessage *m, int cli,
    int output)
{
	struct codec_error err;
	ProtobufCMessage *m2 = NULL;
	json_t *j;
	uint8_t *p1, *p2;
	size_t l1, l2;
	int r;

	r = codec_msg_check(m, &err);
	if (r != CODEC_OK)
		fprintf(stderr, "codec_msg_check refuses what the JSON decoder took: %s\n",
		    err.message);
	FUZZ_ASSERT(r == CODEC_OK);

	if (cli) {
		FUZZ_ASSERT((j = codec_msg_to_json(m, CODEC_CLI)) != NULL);
		json_decref(j);
	}
	FUZZ_ASSERT((j = codec_msg_to_json(m, CODEC_WIRE)) != NULL);
	if (output) {
		json_decref(j);
		return;
	}
	r = codec_json_to_msg(d, j, &m2, &err);
	if (r != CODEC_OK) {
		char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

		fprintf(stderr, "the codec's own JSON does not decode: %s\n%s\n", err.message,
		    text != NULL ? text : "?");
		free(text);
	}
	FUZZ_ASSERT(r == CODEC_OK && m2 != NULL);
	p1 = packed(m, &l1);
	p2 = packed(m2, &l2);
	FUZZ_ASSERT(l1 == l2 && memcmp(p1, p2, l1) == 0);
	free(p1);
	free(p2);
	json_decref(j);
	protobuf_c_message_free_unpacked(m2, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready, verbose;
	const struct api_op *op;
	const ProtobufCMessageDescriptor *d;
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	json_error_t jerr;
	json_t *in;
	int r;

	if (!ready) {
		fuzz_logs("api_json_fuzz");
		FUZZ_CHECK(api_ops_len > 0);
		verbose = getenv("HSMCA_FUZZ_VERBOSE") != NULL;	/* print results */
		ready = 1;
	}
	if (size < 1)
		return 0;
	op = &api_ops[(data[0] & 0x3f) % api_ops_len];
	d = (data[0] & 0x40) ? op->output : op->input;
	in = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, &jerr);
	if (in == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	r = codec_json_to_msg(d, in, &m, &err);
	if (verbose)
		fprintf(stderr, "api_json: %s -> %d %s\n", d->name, r, err.message);
	if (r == CODEC_OK) {
		FUZZ_ASSERT(m != NULL && m->descriptor == d);
		round_trip(d, m, (data[0] & 0x80) != 0, (data[0] & 0x40) != 0);
		protobuf_c_message_free_unpacked(m, NULL);
	} else {
		FUZZ_ASSERT(m == NULL && (int)err.code == r && err.message[0] != '\0');
	}
	json_decref(in);
	return 0;
}

/* ---- seeds --------------------------------------------------------------- */

#define ARN	"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/" \
		"11111111-2222-4333-8444-555555555555"

static const struct {
	const char	*op;
	int		 output;
	const char	*json;
} seeds[] = {
	{ "CreateCertificateAuthority", 0,
	  "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"EC_prime256v1\","
	  "\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Subject\":{\"Country\":\"US\","
	  "\"Organization\":\"Example\",\"CommonName\":\"Example Root\"},"
	  "\"CsrExtensions\":{\"KeyUsage\":{\"KeyCertSign\":true,\"CRLSign\":true},"
	  "\"SubjectInformationAccess\":[{\"AccessMethod\":{\"AccessMethodType\":"
	  "\"CA_REPOSITORY\"},\"AccessLocation\":{\"UniformResourceIdentifier\":"
	  "\"http://example.com/ca\"}}]}},"
	  "\"RevocationConfiguration\":{\"CrlConfiguration\":{\"Enabled\":true,"
	  "\"ExpirationInDays\":7,\"CustomCname\":\"crl.example.com\","
	  "\"S3BucketName\":\"bucket\"},\"OcspConfiguration\":{\"Enabled\":false}},"
	  "\"CertificateAuthorityType\":\"ROOT\",\"IdempotencyToken\":\"tok-1\","
	  "\"KeyStorageSecurityStandard\":\"FIPS_140_2_LEVEL_3_OR_HIGHER\","
	  "\"UsageMode\":\"GENERAL_PURPOSE\","
	  "\"Tags\":[{\"Key\":\"team\",\"Value\":\"pki\"},{\"Key\":\"empty\"}]}" },
	{ "CreateCertificateAuthority", 0,
	  "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_2048\","
	  "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"CustomAttributes\":"
	  "[{\"ObjectIdentifier\":\"2.5.4.3\",\"Value\":\"custom\"}]}},"
	  "\"CertificateAuthorityType\":\"SUBORDINATE\"}" },
	{ "IssueCertificate", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K\","
	  "\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Validity\":{\"Value\":365,\"Type\":\"DAYS\"},"
	  "\"ValidityNotBefore\":{\"Value\":1767225600,\"Type\":\"ABSOLUTE\"},"
	  "\"TemplateArn\":\"arn:aws:acm-pca:::template/EndEntityCertificate/V1\","
	  "\"IdempotencyToken\":\"abc\",\"ApiPassthrough\":{\"Extensions\":{"
	  "\"KeyUsage\":{\"DigitalSignature\":true},\"SubjectAlternativeNames\":["
	  "{\"DnsName\":\"www.example.com\"},{\"IpAddress\":\"192.0.2.1\"},"
	  "{\"OtherName\":{\"TypeId\":\"1.3.6.1.4.1.311.20.2.3\",\"Value\":\"upn\"}},"
	  "{\"DirectoryName\":{\"CommonName\":\"dir\"}}],"
	  "\"ExtendedKeyUsage\":[{\"ExtendedKeyUsageType\":\"SERVER_AUTH\"},"
	  "{\"ExtendedKeyUsageObjectIdentifier\":\"1.3.6.1.5.5.7.3.2\"}],"
	  "\"CustomExtensions\":[{\"ObjectIdentifier\":\"1.2.3.4\",\"Value\":\"AQID\","
	  "\"Critical\":false}],\"CertificatePolicies\":[{\"CertPolicyId\":\"2.5.29.32.0\","
	  "\"PolicyQualifiers\":[{\"PolicyQualifierId\":\"CPS\",\"Qualifier\":{"
	  "\"CpsUri\":\"https://example.com/cps\"}}]}]},"
	  "\"Subject\":{\"CommonName\":\"override\"}}}" },
	{ "IssueCertificate", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":\"AA==\","
	  "\"SigningAlgorithm\":\"SHA512WITHRSA\",\"Validity\":{\"Value\":20501231235959,"
	  "\"Type\":\"END_DATE\"}}" },
	{ "DescribeCertificateAuthority", 0, "{\"CertificateAuthorityArn\":\"" ARN "\"}" },
	{ "ListCertificateAuthorities", 0,
	  "{\"MaxResults\":10,\"NextToken\":\"11111111-2222-4333-8444-555555555555\","
	  "\"ResourceOwner\":\"SELF\"}" },
	{ "ListCertificateAuthorities", 0, "{}" },
	{ "UpdateCertificateAuthority", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"Status\":\"DISABLED\","
	  "\"RevocationConfiguration\":{\"OcspConfiguration\":{\"Enabled\":true,"
	  "\"OcspCustomCname\":\"ocsp.example.com\"}}}" },
	{ "DeleteCertificateAuthority", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"PermanentDeletionTimeInDays\":7}" },
	{ "ImportCertificateAuthorityCertificate", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"Certificate\":\"MA==\","
	  "\"CertificateChain\":\"MAA=\"}" },
	{ "TagCertificateAuthority", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"\u00e9\"}]}" },
	{ "UntagCertificateAuthority", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"Tags\":[]}" },
	{ "ListTags", 0, "{\"CertificateAuthorityArn\":\"" ARN "\",\"MaxResults\":0}" },
	{ "GetCertificate", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"CertificateArn\":\"" ARN
	  "/certificate/0123456789abcdef\"}" },
	{ "RevokeCertificate", 0,
	  "{\"CertificateAuthorityArn\":\"" ARN "\",\"CertificateSerial\":\"01:02\","
	  "\"RevocationReason\":\"KEY_COMPROMISE\"}" },
	{ "AdvanceClock", 0, "{\"Seconds\":86400}" },
	{ "DescribeCertificateAuthority", 1,
	  "{\"CertificateAuthority\":{\"Arn\":\"" ARN "\",\"OwnerAccount\":\"123456789012\","
	  "\"CreatedAt\":1767225600.5,\"LastStateChangeAt\":1767225600,"
	  "\"NotBefore\":-1,\"NotAfter\":253402300799.999999,\"Type\":\"ROOT\","
	  "\"Status\":\"ACTIVE\",\"Serial\":\"01\",\"KeyStorageSecurityStandard\":"
	  "\"FIPS_140_2_LEVEL_3_OR_HIGHER\",\"UsageMode\":\"SHORT_LIVED_CERTIFICATE\"}}" },
	{ "GetStatus", 1, "{}" },
	/* refusals */
	{ "DescribeCertificateAuthority", 0, "{\"CertificateAuthorityArn\":1}" },
	{ "ListTags", 0, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Vaule\":1}" },
	{ "IssueCertificate", 0, "[1,2,3]" },
	{ "CreateCertificateAuthority", 0,
	  "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_1024\"}}" },
	{ "IssueCertificate", 0, "{\"Csr\":\"AA=\"}" },
};

int
FuzzWriteSeeds(const char *dir)
{
	char name[96];
	uint8_t *buf;
	size_t len;
	int r = 0;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const struct api_op *op = NULL;
		size_t idx;

		for (idx = 0; idx < api_ops_len; idx++)
			if (strcmp(api_ops[idx].name, seeds[i].op) == 0) {
				op = &api_ops[idx];
				break;
			}
		if (op == NULL || idx > 0x3f) {
			fprintf(stderr, "seed %zu: operation %s not in api_ops[0..63]\n", i,
			    seeds[i].op);
			return -1;
		}
		len = 1 + strlen(seeds[i].json);
		FUZZ_CHECK((buf = malloc(len)) != NULL);
		/* the CLI-style encoding on every other seed */
		buf[0] = (uint8_t)(idx | (seeds[i].output ? 0x40 : 0) | (i % 2 ? 0x80 : 0));
		memcpy(buf + 1, seeds[i].json, len - 1);
		snprintf(name, sizeof(name), "%02zu-%s%s", i, seeds[i].op,
		    seeds[i].output ? "-out" : "");
		r |= fuzz_seed(dir, name, buf, len);
		free(buf);
	}
	return r == 0 ? 0 : -1;
}
