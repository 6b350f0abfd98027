/*
 * test_cli_args.c - AWS-CLI-shaped arguments to operation JSON, checked
 * against what the AWS CLI v1 does with the same words, and then through
 * the codec into real acm-pca messages. Also flag names and JSON printing.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cli_args.h"
#include "codec_json.h"
#include "acm_pca.pb-c.h"

#define ARN	"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/" \
		"11111111-2222-3333-4444-555555555555"

#define D_ISSUE		(&pca__api__acm_pca__issue_certificate_request__descriptor)
#define D_CREATE	(&pca__api__acm_pca__create_certificate_authority_request__descriptor)
#define D_PERM		(&pca__api__acm_pca__create_permission_request__descriptor)
#define D_TAG		(&pca__api__acm_pca__tag_certificate_authority_request__descriptor)
#define D_DELETE	(&pca__api__acm_pca__delete_certificate_authority_request__descriptor)

/* ---- member types acm-pca inputs lack at the top: bool, timestamp ------ */

typedef struct TestOpts {
	ProtobufCMessage	 base;
	protobuf_c_boolean	 has_dry_run;
	protobuf_c_boolean	 dry_run;
	protobuf_c_boolean	 has_not_before;
	double			 not_before;
	size_t			 n_ids;
	int32_t			*ids;
	protobuf_c_boolean	 has_no_reboot;
	protobuf_c_boolean	 no_reboot;
} TestOpts;

static const ProtobufCMessageDescriptor test_opts_descriptor;

static void
test_opts_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(TestOpts));
	m->descriptor = &test_opts_descriptor;
}

static const ProtobufCFieldDescriptor test_opts_fields[4] = {
	{ "dry_run", 1, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_BOOL,
	  offsetof(TestOpts, has_dry_run), offsetof(TestOpts, dry_run), NULL, NULL, 0, 0,
	  NULL, NULL },
	{ "not_before", 2, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_DOUBLE,
	  offsetof(TestOpts, has_not_before), offsetof(TestOpts, not_before), NULL, NULL,
	  0, 0, NULL, NULL },
	{ "ids", 3, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_INT32,
	  offsetof(TestOpts, n_ids), offsetof(TestOpts, ids), NULL, NULL, 0, 0, NULL, NULL },
	{ "no_reboot", 4, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_BOOL,
	  offsetof(TestOpts, has_no_reboot), offsetof(TestOpts, no_reboot), NULL, NULL, 0, 0,
	  NULL, NULL },
};
static const unsigned test_opts_by_name[4] = { 0, 2, 3, 1 };
static const ProtobufCIntRange test_opts_ranges[2] = { { 1, 0 }, { 0, 4 } };
static const ProtobufCMessageDescriptor test_opts_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pca.test.Opts", "Opts", "Opts", "pca.test",
	sizeof(TestOpts), 4, test_opts_fields, test_opts_by_name, 1, test_opts_ranges,
	test_opts_init, NULL, NULL, NULL
};

/* ---- helpers ---------------------------------------------------------- */

#define ARGV(...)	((char *[]){ __VA_ARGS__ })
#define ARGC(...)	((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))

/* parse; return compact JSON (caller frees) or NULL with err set */
static char *
parse(const ProtobufCMessageDescriptor *d, int argc, char **argv, char *err,
    size_t errlen)
{
	json_t *out = NULL;
	char *s;

	if (cli_args_parse(d, argc, argv, &out, err, errlen) != 0) {
		assert_ptr_null(out);
		return NULL;
	}
	assert_ptr_not_null(out);
	s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	return s;
}

#define expect_json(d, expected, ...) do {				\
	char _err[1024], *_s = parse((d), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), \
	    _err, sizeof(_err));					\
	if (_s == NULL)							\
		test_fail(__FILE__, __LINE__, "parse: %s", _err);	\
	assert_str_eq(_s, (expected));					\
	free(_s);							\
} while (0)

#define expect_fail(d, message, ...) do {				\
	char _err[1024], *_s = parse((d), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), \
	    _err, sizeof(_err));					\
	if (_s != NULL)							\
		test_fail(__FILE__, __LINE__, "parsed: %s", _s);	\
	assert_str_eq(_err, (message));					\
} while (0)

static const char *
write_file(const char *name, const char *data, size_t len)
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", test_tmpdir(), name);
	f = fopen(p, "wb");
	assert_ptr_not_null(f);
	assert_int_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return p;
}

/* ---- flag names ---------------------------------------------------------- */

static void
test_flag_names(void)
{
	static const char *const cases[][2] = {
		{ "CertificateAuthorityArn", "certificate-authority-arn" },
		{ "S3BucketName", "s3-bucket-name" },
		{ "CRLSign", "crl-sign" },
		{ "GetCertificateAuthorityCsr", "get-certificate-authority-csr" },
		{ "Rfc822Name", "rfc822-name" },
		{ "IdempotencyToken", "idempotency-token" },
		{ "KeyStorageSecurityStandard", "key-storage-security-standard" },
		{ "OcspCustomCname", "ocsp-custom-cname" },
		{ "ARNs", "-arns" },		/* botocore says so, too */
		{ "ListARNs", "list-arns" },
		{ "HTTPSPort", "https-port" },
		{ "IPv6Address", "i-pv6-address" },
		{ "already-dashed", "already-dashed" },
		{ "X509", "x509" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_str_eq(cli_flag_name(cases[i][0], buf, sizeof(buf)), cases[i][1]);
	/* truncation stays a string */
	assert_str_eq(cli_flag_name("CertificateAuthorityArn", buf, 5), "cert");
}

/* ---- structures: shorthand and JSON ------------------------------------- */

static void
test_issue_certificate(void)
{
	static const char der[] = { 0x30, (char)0x82, 0x00, (char)0xff, 0x0a, 0x0d, 0x00 };
	const char *csr = write_file("leaf.csr", der, sizeof(der));
	char arg[600], err[1024];
	Pca__Api__AcmPca__IssueCertificateRequest *req;
	struct codec_error cerr;
	ProtobufCMessage *m = NULL;
	json_t *out = NULL;

	snprintf(arg, sizeof(arg), "fileb://%s", csr);
	assert_int_eq(cli_args_parse(D_ISSUE, 8, ARGV("--certificate-authority-arn", ARN,
	    "--csr", arg, "--signing-algorithm", "SHA256WITHRSA", "--validity",
	    "Value=30,Type=DAYS"), &out, err, sizeof(err)), 0);
	{
		char *s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		/* model order; the blob base64-encoded for the codec */
		assert_str_eq(s, "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":\"MIIA/woNAA==\","
		    "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,"
		    "\"Type\":\"DAYS\"}}");
		free(s);
	}
	assert_int_eq(codec_json_to_msg(D_ISSUE, out, &m, &cerr), CODEC_OK);
	json_decref(out);
	req = (Pca__Api__AcmPca__IssueCertificateRequest *)m;
	assert_int_eq(req->csr.len, sizeof(der));
	assert_mem_eq(req->csr.data, der, sizeof(der));
	assert_int_eq(req->validity->value, 30);
	assert_int_eq(req->validity->type,
	    PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void
test_validity_forms(void)
{
	static const char want[] = "{\"CertificateAuthorityArn\":\"a\",\"Csr\":\"eA==\","
	    "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}";

	/* shorthand, JSON, JSON with leading blanks, --flag=value */
	expect_json(D_ISSUE, want, "--certificate-authority-arn", "a", "--csr", "x",
	    "--signing-algorithm", "SHA256WITHRSA", "--validity", "Value=30,Type=DAYS");
	expect_json(D_ISSUE, want, "--certificate-authority-arn", "a", "--csr", "x",
	    "--signing-algorithm", "SHA256WITHRSA", "--validity",
	    "{\"Value\":30,\"Type\":\"DAYS\"}");
	expect_json(D_ISSUE, want, "--validity", " \n{\"Value\": 30, \"Type\": \"DAYS\"}",
	    "--certificate-authority-arn=a", "--csr=x", "--signing-algorithm", "SHA256WITHRSA");
	expect_json(D_ISSUE, want, "--certificate-authority-arn", "a", "--csr", "x",
	    "--signing-algorithm", "SHA256WITHRSA", "--validity", "Value = 30 , Type=DAYS ");
	/* plain text is the blob's bytes (AWS CLI v1); a value that starts
	 * with "--" needs the --flag=value form, as with argparse */
	expect_json(D_ISSUE, "{\"CertificateAuthorityArn\":\"a\",\"Csr\":"
	    "\"LS0tLS1CRUdJTg==\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Validity\":"
	    "{\"Value\":30,\"Type\":\"DAYS\"}}", "--certificate-authority-arn", "a",
	    "--csr=-----BEGIN", "--signing-algorithm", "SHA256WITHRSA", "--validity",
	    "Value=30,Type=DAYS");
	expect_fail(D_ISSUE, "argument --csr: expected one argument",
	    "--certificate-authority-arn", "a", "--csr", "-----BEGIN", "--signing-algorithm",
	    "SHA256WITHRSA", "--validity", "Value=30,Type=DAYS");
	/* a later flag replaces an earlier one, like argparse */
	expect_json(D_DELETE, "{\"CertificateAuthorityArn\":\"b\"}",
	    "--certificate-authority-arn", "a", "--certificate-authority-arn", "b");
}

static void
test_nested_shorthand(void)
{
	expect_json(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"CommonName\":"
	    "\"Example CA, Inc\",\"CustomAttributes\":[{\"ObjectIdentifier\":\"1.2.3\","
	    "\"Value\":\"v\"}]}},\"RevocationConfiguration\":{\"CrlConfiguration\":{"
	    "\"Enabled\":true,\"ExpirationInDays\":7,\"S3BucketName\":\"my-bucket\"},"
	    "\"OcspConfiguration\":{\"Enabled\":false}},\"CertificateAuthorityType\":\"ROOT\"}",
	    "--certificate-authority-configuration",
	    "KeyAlgorithm=RSA_2048,SigningAlgorithm=SHA256WITHRSA,Subject={CommonName="
	    "'Example CA, Inc',CustomAttributes=[{ObjectIdentifier=1.2.3,Value=v}]}",
	    "--revocation-configuration", "CrlConfiguration={Enabled=true,"
	    "ExpirationInDays=7,S3BucketName=my-bucket},OcspConfiguration={Enabled=FALSE}",
	    "--certificate-authority-type", "ROOT");
	/* a boolean that is neither true nor false stays text; the codec refuses it */
	expect_json(D_CREATE, "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
	    "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}},"
	    "\"RevocationConfiguration\":{\"OcspConfiguration\":{\"Enabled\":\"yes\"}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}",
	    "--certificate-authority-configuration",
	    "{\"KeyAlgorithm\":\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}}",
	    "--revocation-configuration", "OcspConfiguration={Enabled=yes}",
	    "--certificate-authority-type", "ROOT");
}

/* ---- lists -------------------------------------------------------------- */

static void
test_actions_list(void)
{
	static const char want[] = "{\"CertificateAuthorityArn\":\"a\",\"Principal\":"
	    "\"acm.amazonaws.com\",\"Actions\":[\"IssueCertificate\",\"GetCertificate\","
	    "\"ListPermissions\"]}";
	static const char list[] =
	    "[\"IssueCertificate\", \"GetCertificate\", \"ListPermissions\"]\n";
	const char *f = write_file("actions.json", list, strlen(list));
	char arg[600];

	expect_json(D_PERM, want, "--certificate-authority-arn", "a", "--actions",
	    "IssueCertificate", "GetCertificate", "ListPermissions", "--principal",
	    "acm.amazonaws.com");
	expect_json(D_PERM, want, "--certificate-authority-arn", "a", "--principal",
	    "acm.amazonaws.com", "--actions",
	    "[\"IssueCertificate\",\"GetCertificate\",\"ListPermissions\"]");
	snprintf(arg, sizeof(arg), "file://%s", f);
	expect_json(D_PERM, want, "--certificate-authority-arn", "a", "--principal",
	    "acm.amazonaws.com", "--actions", arg);
	/* one word is a list of one; commas do not split scalar lists */
	expect_json(D_PERM, "{\"CertificateAuthorityArn\":\"a\",\"Principal\":\"p\","
	    "\"Actions\":[\"IssueCertificate,GetCertificate\"]}",
	    "--certificate-authority-arn", "a", "--principal", "p", "--actions",
	    "IssueCertificate,GetCertificate");
}

static void
test_tags_list(void)
{
	static const char want[] = "{\"CertificateAuthorityArn\":\"a\",\"Tags\":[{\"Key\":"
	    "\"a\",\"Value\":\"b\"},{\"Key\":\"c\",\"Value\":\"d\"}]}";

	expect_json(D_TAG, want, "--certificate-authority-arn", "a", "--tags",
	    "Key=a,Value=b", "Key=c,Value=d");
	expect_json(D_TAG, want, "--certificate-authority-arn", "a", "--tags",
	    "[{\"Key\":\"a\",\"Value\":\"b\"},{\"Key\":\"c\",\"Value\":\"d\"}]");
	expect_json(D_TAG, want, "--certificate-authority-arn", "a", "--tags",
	    "{\"Key\":\"a\",\"Value\":\"b\"}", "Key=c,Value=d");
	/* quoting protects commas and '=' */
	expect_json(D_TAG, "{\"CertificateAuthorityArn\":\"a\",\"Tags\":[{\"Key\":\"k\","
	    "\"Value\":\"x,y=z\"},{\"Key\":\"it's\",\"Value\":\"\"}]}",
	    "--certificate-authority-arn", "a", "--tags", "Key=k,Value=\"x,y=z\"",
	    "Key='it\\'s',Value=");
	/* ... and so does an escaped comma */
	expect_json(D_TAG, "{\"CertificateAuthorityArn\":\"a\",\"Tags\":[{\"Key\":\"k\","
	    "\"Value\":\"x,y\"}]}", "--certificate-authority-arn", "a", "--tags",
	    "Key=k,Value=x\\,y");
}

static void
test_config_file(void)
{
	static const char conf[] =
	    "{\n  \"KeyAlgorithm\": \"EC_secp384r1\",\n  \"SigningAlgorithm\": \"SHA384WITHECDSA\",\n"
	    "  \"Subject\": {\"Country\": \"DE\", \"CommonName\": \"Root \xc3\xa9\"},\n"
	    "  \"CsrExtensions\": {\"KeyUsage\": {\"KeyCertSign\": true, \"CRLSign\": true}}\n}\n";
	const char *f = write_file("ca.json", conf, sizeof(conf) - 1);
	Pca__Api__AcmPca__CreateCertificateAuthorityRequest *req;
	struct codec_error cerr;
	ProtobufCMessage *m = NULL;
	char arg[600], err[1024];
	json_t *out = NULL;

	snprintf(arg, sizeof(arg), "file://%s", f);
	assert_int_eq(cli_args_parse(D_CREATE, 6, ARGV("--certificate-authority-configuration",
	    arg, "--certificate-authority-type", "ROOT", "--tags", "Key=team,Value=pki"),
	    &out, err, sizeof(err)), 0);
	assert_int_eq(codec_json_to_msg(D_CREATE, out, &m, &cerr), CODEC_OK);
	json_decref(out);
	req = (Pca__Api__AcmPca__CreateCertificateAuthorityRequest *)m;
	assert_int_eq(req->certificate_authority_configuration->key_algorithm,
	    PCA__API__ACM_PCA__KEY_ALGORITHM__KeyAlgorithm_EC_secp384r1);
	assert_str_eq(req->certificate_authority_configuration->subject->common_name,
	    "Root \xc3\xa9");
	assert_int_eq(req->certificate_authority_configuration->csr_extensions->key_usage->has_crlsign, 1);
	assert_int_eq(req->certificate_authority_configuration->csr_extensions->key_usage->crlsign, 1);
	assert_int_eq(req->n_tags, 1);
	assert_str_eq(req->tags[0]->value, "pki");
	protobuf_c_message_free_unpacked(m, NULL);

	/* a file whose JSON has a typo: the codec names it */
	{
		static const char typo[] = "{\"KeyAlgorithm\":\"RSA_2048\",\"SigningAlgorithm\":"
		    "\"SHA256WITHRSA\",\"Subject\":{},\"Extras\":1}";
		f = write_file("typo.json", typo, strlen(typo));
	}
	snprintf(arg, sizeof(arg), "file://%s", f);
	assert_int_eq(cli_args_parse(D_CREATE, 4, ARGV("--certificate-authority-configuration",
	    arg, "--certificate-authority-type", "ROOT"), &out, err, sizeof(err)), 0);
	assert_int_eq(codec_json_to_msg(D_CREATE, out, &m, &cerr), CODEC_ERR_SERIALIZATION);
	assert_str_eq(cerr.message, "Unknown parameter in CertificateAuthorityConfiguration: "
	    "\"Extras\", must be one of: KeyAlgorithm, SigningAlgorithm, Subject, CsrExtensions");
	json_decref(out);
}

/* ---- files ---------------------------------------------------------------- */

static void
test_param_files(void)
{
	const char *crlf = write_file("crlf.pem", "A\r\nB\rC\n", 7);
	const char *bin = write_file("bin", "\xff\xfe", 2);
	char arg[600], err[1024], want[1024], *out = NULL;
	size_t len;

	/* file:// is text, read with universal newlines like Python */
	snprintf(arg, sizeof(arg), "file://%s", crlf);
	assert_int_eq(cli_param_value(arg, &out, &len, err, sizeof(err)), 0);
	assert_int_eq(len, 6);
	assert_str_eq(out, "A\nB\nC\n");
	free(out);
	/* fileb:// is bytes as they are */
	snprintf(arg, sizeof(arg), "fileb://%s", crlf);
	assert_int_eq(cli_param_value(arg, &out, &len, err, sizeof(err)), 0);
	assert_int_eq(len, 7);
	assert_mem_eq(out, "A\r\nB\rC\n", 7);
	free(out);
	/* anything else is the value itself */
	assert_int_eq(cli_param_value("file:/x", &out, &len, err, sizeof(err)), 0);
	assert_str_eq(out, "file:/x");
	free(out);

	snprintf(arg, sizeof(arg), "file://%s", bin);
	assert_int_eq(cli_param_value(arg, &out, &len, err, sizeof(err)), -1);
	assert_ptr_null(out);
	snprintf(want, sizeof(want), "Unable to load paramfile (%s), text contents could not "
	    "be decoded.  If this is a binary file, please use the fileb:// prefix instead "
	    "of the file:// prefix.", bin);
	assert_str_eq(err, want);

	expect_fail(D_ISSUE, "Error parsing parameter '--csr': Unable to load paramfile "
	    "fileb:///nonexistent/leaf.csr: No such file or directory",
	    "--certificate-authority-arn", "a", "--csr", "fileb:///nonexistent/leaf.csr",
	    "--signing-algorithm", "SHA256WITHRSA", "--validity", "Value=30,Type=DAYS");
	/* bytes that are not text cannot go into a string member */
	snprintf(arg, sizeof(arg), "fileb://%s", bin);
	expect_fail(D_DELETE, "Error parsing parameter '--certificate-authority-arn': the "
	    "value is not valid UTF-8 text (use fileb:// only for blob parameters)",
	    "--certificate-authority-arn", arg);
	expect_fail(D_DELETE, "Error parsing parameter '--certificate-authority-arn': the "
	    "value is not valid UTF-8 text (use fileb:// only for blob parameters)",
	    "--certificate-authority-arn", "arn\xc3");

	/* ~ and $VAR in paths */
	setenv("HSMCA_TEST_DIR", test_tmpdir(), 1);
	assert_int_eq(cli_param_value("fileb://${HSMCA_TEST_DIR}/bin", &out, &len, err,
	    sizeof(err)), 0);
	assert_int_eq(len, 2);
	free(out);
	assert_int_eq(cli_param_value("fileb://$HSMCA_TEST_DIR/bin", &out, &len, err,
	    sizeof(err)), 0);
	free(out);
	setenv("HOME", test_tmpdir(), 1);
	assert_int_eq(cli_param_value("fileb://~/bin", &out, &len, err, sizeof(err)), 0);
	free(out);

	/* "key@=" reads files inside shorthand */
	write_file("team.txt", "platform", 8);
	expect_json(D_TAG, "{\"CertificateAuthorityArn\":\"a\",\"Tags\":[{\"Key\":\"team\","
	    "\"Value\":\"platform\"}]}", "--certificate-authority-arn", "a", "--tags",
	    "Key=team,Value@=file://$HSMCA_TEST_DIR/team.txt");
	/* and without '@' the text is kept */
	expect_json(D_TAG, "{\"CertificateAuthorityArn\":\"a\",\"Tags\":[{\"Key\":\"team\","
	    "\"Value\":\"file://x\"}]}", "--certificate-authority-arn", "a", "--tags",
	    "Key=team,Value=file://x");
}

static void
test_cli_input_json(void)
{
	/* required members may come from --cli-input-json; flags override */
	expect_json(D_ISSUE, "{\"CertificateAuthorityArn\":\"from-flag\",\"Csr\":\"eHl6\","
	    "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}",
	    "--cli-input-json", "{\"CertificateAuthorityArn\":\"from-json\",\"Csr\":\"xyz\","
	    "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}",
	    "--certificate-authority-arn", "from-flag");
	expect_fail(D_DELETE, "Error parsing parameter '--cli-input-json': Invalid JSON: "
	    "'[' or '{' expected near 'x'\nJSON received: x", "--cli-input-json", "x");
}

/* ---- booleans, numbers, timestamps --------------------------------------- */

static void
test_bool_flags(void)
{
	expect_json(&test_opts_descriptor, "{\"DryRun\":true}", "--dry-run");
	expect_json(&test_opts_descriptor, "{\"DryRun\":false}", "--no-dry-run");
	/* a member whose flag starts with no- */
	expect_json(&test_opts_descriptor, "{\"NoReboot\":true}", "--no-reboot");
	expect_json(&test_opts_descriptor, "{\"NoReboot\":false}", "--no-no-reboot");
	expect_json(&test_opts_descriptor, "{\"DryRun\":false,\"NoReboot\":true}",
	    "--no-reboot", "--dry-run", "--no-dry-run");
	expect_fail(&test_opts_descriptor, "argument --dry-run: ignored explicit argument "
	    "'true'", "--dry-run=true");
	/* a boolean takes no word: a following one is a stray */
	expect_fail(&test_opts_descriptor, "Unknown options: true", "--dry-run", "true");
	/* --no- only exists for booleans */
	expect_fail(D_DELETE, "Unknown options: --no-certificate-authority-arn",
	    "--certificate-authority-arn", "a", "--no-certificate-authority-arn");
}

static void
test_numbers(void)
{
	expect_json(&test_opts_descriptor, "{\"Ids\":[1,-2,3]}", "--ids", "1", "-2", " +3 ");
	expect_json(&test_opts_descriptor, "{\"Ids\":[1000]}", "--ids", "1_000");
	expect_json(&test_opts_descriptor, "{\"Ids\":[4,5]}", "--ids", "[4,5]");
	expect_fail(&test_opts_descriptor, "Error parsing parameter '--ids': invalid literal "
	    "for int() with base 10: 'x'", "--ids", "1", "x");
	expect_fail(&test_opts_descriptor, "Error parsing parameter '--ids': integer out of "
	    "range: '99999999999999999999'", "--ids", "99999999999999999999");
	expect_json(D_DELETE, "{\"CertificateAuthorityArn\":\"a\","
	    "\"PermanentDeletionTimeInDays\":7}", "--certificate-authority-arn", "a",
	    "--permanent-deletion-time-in-days", "7");
	expect_fail(D_DELETE, "Error parsing parameter '--permanent-deletion-time-in-days': "
	    "invalid literal for int() with base 10: '7d'", "--certificate-authority-arn",
	    "a", "--permanent-deletion-time-in-days", "7d");
	expect_fail(D_ISSUE, "Error parsing parameter '--validity': invalid literal for "
	    "int() with base 10: 'thirty'", "--certificate-authority-arn", "a", "--csr", "x",
	    "--signing-algorithm", "SHA256WITHRSA", "--validity", "Value=thirty,Type=DAYS");
}

static void
test_timestamps(void)
{
	expect_json(&test_opts_descriptor, "{\"NotBefore\":1704164645.0}", "--not-before",
	    "2024-01-02T03:04:05Z");
	expect_json(&test_opts_descriptor, "{\"NotBefore\":1704164645.5}", "--not-before",
	    "2024-01-02T05:04:05.5+02:00");
	expect_json(&test_opts_descriptor, "{\"NotBefore\":1704153600.0}", "--not-before",
	    "2024-01-02");
	expect_json(&test_opts_descriptor, "{\"NotBefore\":1704164645.25}", "--not-before",
	    "1704164645.25");
	expect_fail(&test_opts_descriptor, "Error parsing parameter '--not-before': Invalid "
	    "timestamp value: 'yesterday'", "--not-before", "yesterday");
}

/* ---- errors --------------------------------------------------------------- */

static void
test_argv_errors(void)
{
	expect_fail(D_DELETE, "Unknown options: --foo, bar", "--certificate-authority-arn",
	    "a", "--foo", "bar");
	expect_fail(D_DELETE, "Unknown options: stray", "stray",
	    "--certificate-authority-arn", "a");
	expect_fail(D_DELETE, "Unknown options: b", "--certificate-authority-arn", "a", "b");
	expect_fail(D_ISSUE, "argument --csr: expected one argument",
	    "--certificate-authority-arn", "a", "--csr");
	expect_fail(D_ISSUE, "argument --csr: expected one argument", "--csr",
	    "--certificate-authority-arn", "a");
	expect_fail(D_PERM, "argument --actions: expected at least one argument",
	    "--certificate-authority-arn", "a", "--actions", "--principal", "p");
	/* required ones are reported before unknown ones, as argparse does */
	expect_fail(D_ISSUE, "the following arguments are required: "
	    "--certificate-authority-arn, --signing-algorithm, --validity", "--csr", "x",
	    "--bogus");
	{
		json_t *out = (json_t *)1;
		char err[8];
		/* a short buffer still gets a terminated message */
		assert_int_eq(cli_args_parse(&test_opts_descriptor, 1, ARGV("--x"), &out, err,
		    sizeof(err)), -1);
		assert_ptr_null(out);
		assert_str_eq(err, "Unknown");
	}
	/* no arguments at all is fine when nothing is required */
	{
		json_t *out = NULL;
		char err[64];
		assert_int_eq(cli_args_parse(&test_opts_descriptor, 0, NULL, &out, err,
		    sizeof(err)), 0);
		assert_int_eq(json_object_size(out), 0);
		json_decref(out);
	}
}

static void
test_shorthand_errors(void)
{
	expect_fail(D_ISSUE, "Error parsing parameter '--validity': Expected: '=', received: "
	    "',' for input:\nValue,30\n     ^", "--certificate-authority-arn", "a", "--csr",
	    "x", "--signing-algorithm", "SHA256WITHRSA", "--validity", "Value,30");
	expect_fail(D_ISSUE, "Error parsing parameter '--validity': Second instance of key "
	    "\"Value\" encountered for input:\nValue=1,Value=2\n        ^\nThis is often "
	    "because there is a preceding \",\" instead of a space.",
	    "--certificate-authority-arn", "a", "--csr", "x", "--signing-algorithm",
	    "SHA256WITHRSA", "--validity", "Value=1,Value=2");
	expect_fail(D_TAG, "Error parsing parameter '--tags': Expected: '<second>', "
	    "received: '<none>' for input:\nKey=a,\n      ^", "--certificate-authority-arn",
	    "a", "--tags", "Key=a,");
	expect_fail(D_TAG, "Error parsing parameter '--tags': Expected: '<singled quoted>', "
	    "received: '<none>' for input:\nKey='a\n    ^", "--certificate-authority-arn",
	    "a", "--tags", "Key='a");
	expect_fail(D_CREATE, "Error parsing parameter '--certificate-authority-configuration': "
	    "Expected: ',', received: 'EOF' for input:\nSubject={CommonName=x\n"
	    "                     ^", "--certificate-authority-configuration",
	    "Subject={CommonName=x", "--certificate-authority-type", "ROOT");
	/* the caret counts characters, and a newline starts a new line */
	expect_fail(D_ISSUE, "Error parsing parameter '--validity': Expected: '=', received: "
	    "'c' for input:\nValue={a=\xc3\xa9,\n b c}\n   ^",
	    "--certificate-authority-arn", "a", "--csr", "x", "--signing-algorithm",
	    "SHA256WITHRSA", "--validity", "Value={a=\xc3\xa9,\n b c}");
	/* JSON structures */
	expect_fail(D_ISSUE, "Error parsing parameter '--validity': Invalid JSON: "
	    "'}' expected near end of file\nJSON received: {\"Value\":30",
	    "--certificate-authority-arn", "a", "--csr", "x", "--signing-algorithm",
	    "SHA256WITHRSA", "--validity", "{\"Value\":30");
	expect_fail(D_ISSUE, "Error parsing parameter '--validity': Invalid JSON:\n[30]",
	    "--certificate-authority-arn", "a", "--csr", "x", "--signing-algorithm",
	    "SHA256WITHRSA", "--validity", "[30]");
	/* deep shorthand nesting is refused, not recursed into */
	{
		char deep[200], err[1024], *s;
		size_t i;

		strcpy(deep, "Subject=");
		for (i = 0; i < 40; i++)
			strcat(deep, "[");
		s = parse(D_CREATE, 4, ARGV("--certificate-authority-configuration", deep,
		    "--certificate-authority-type", "ROOT"), err, sizeof(err));
		assert_ptr_null(s);
		assert_str_eq(err, "Error parsing parameter '--certificate-authority-"
		    "configuration': Shorthand nested deeper than 32 levels");
	}
}

/* ---- printing ------------------------------------------------------------ */

static char *
print_to_string(const json_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_ptr_not_null(f);
	cli_print_json(f, v);
	fclose(f);
	return buf;
}

static void
test_print_json(void)
{
	/* what python3 -c 'json.dumps(v, indent=4, ensure_ascii=False)' prints */
	static const char want[] =
	    "{\n    \"CertificateAuthority\": {\n        \"Arn\": \"a\",\n        \"Tags\": [\n"
	    "            {\n                \"Key\": \"k\",\n                \"Value\": "
	    "\"\xc3\xa9\\n\\\"q\\\"\\u0001\"\n            }\n        ],\n        \"Empty\": {},\n"
	    "        \"List\": [],\n        \"N\": 30,\n        \"F\": 1704164645.123,\n"
	    "        \"T\": true,\n        \"Z\": null,\n        \"Big\": 1e+16\n    }\n}\n";
	json_t *v = json_pack("{s:{s:s,s:[{s:s,s:s}],s:{},s:[],s:i,s:f,s:b,s:n,s:f}}",
	    "CertificateAuthority", "Arn", "a", "Tags", "Key", "k", "Value",
	    "\xc3\xa9\n\"q\"\x01", "Empty", "List", "N", 30, "F", 1704164645.123, "T", 1,
	    "Z", "Big", 1e16);
	json_t *empty = json_object();
	char *s;

	assert_ptr_not_null(v);
	s = print_to_string(v);
	assert_str_eq(s, want);
	free(s);
	/* an empty answer prints nothing */
	s = print_to_string(empty);
	assert_str_eq(s, "");
	free(s);
	json_decref(v);
	json_decref(empty);

	/* a response through the codec in the CLI style */
	{
		Pca__Api__AcmPca__ListTagsResponse resp =
		    PCA__API__ACM_PCA__LIST_TAGS_RESPONSE__INIT;
		json_t *j = codec_msg_to_json(&resp.base, CODEC_CLI);
		s = print_to_string(j);
		assert_str_eq(s, "{\n    \"Tags\": []\n}\n");
		free(s);
		json_decref(j);
	}
}

int
main(void)
{
	test_run("cli/flag_names", test_flag_names);
	test_run("cli/issue_certificate", test_issue_certificate);
	test_run("cli/validity_forms", test_validity_forms);
	test_run("cli/nested_shorthand", test_nested_shorthand);
	test_run("cli/actions_list", test_actions_list);
	test_run("cli/tags_list", test_tags_list);
	test_run("cli/config_file", test_config_file);
	test_run("cli/param_files", test_param_files);
	test_run("cli/cli_input_json", test_cli_input_json);
	test_run("cli/bool_flags", test_bool_flags);
	test_run("cli/numbers", test_numbers);
	test_run("cli/timestamps", test_timestamps);
	test_run("cli/argv_errors", test_argv_errors);
	test_run("cli/shorthand_errors", test_shorthand_errors);
	test_run("cli/print_json", test_print_json);
	return test_done();
}
