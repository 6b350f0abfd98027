/*
 * codec_query_fuzz.c - the AWS query codec: common/codec_query.h
 * codec_query_action and codec_query_decode against the input descriptor
 * of every iam and sts operation in api_ops[], then codec_msg_check and
 * codec_query_encode of what was decoded.
 *
 * Input: byte 0 picks the operation (among the query services' ones, mod
 * their count), the rest is the form body.
 *
 * Invariants for every message the decoder accepts:
 *   - codec_msg_check accepts it (the query door is never looser than the
 *     native one);
 *   - codec_query_encode writes it (the decoder lets in only text XML can
 *     carry, so whatever a client stored can be sent back);
 * and for every input: a refusal carries a class and a message, *out is
 * NULL, and nothing leaks.
 *
 * Seeds: tests/fuzz/corpus/codec_query/ (codec_query_fuzz --write-seeds
 * DIR): botocore-shaped bodies for a few operations.
 */
#include "fuzz_util.h"
#include "api_catalog.h"
#include "codec_query.h"

static const struct api_op *
query_op(uint8_t b)
{
	size_t i, n = 0, k;

	for (i = 0; i < api_ops_len; i++)
		n += strcmp(api_ops[i].service->protocol, "query") == 0;
	FUZZ_CHECK(n > 0);
	k = b % n;
	for (i = 0; i < api_ops_len; i++)
		if (strcmp(api_ops[i].service->protocol, "query") == 0 && k-- == 0)
			return &api_ops[i];
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct api_op *op;
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	char action[CODEC_QUERY_ACTION_MAX], version[32], *xml = NULL;
	const char *body;
	size_t len, xlen;
	int r;

	if (size < 1)
		return 0;
	op = query_op(data[0]);
	body = (const char *)data + 1;
	len = size - 1;

	r = codec_query_action(body, len, action, sizeof(action), version,
	    sizeof(version), &err);
	FUZZ_ASSERT(r == CODEC_OK || (r == (int)err.code && err.message[0] != '\0'));
	FUZZ_ASSERT(strlen(action) < sizeof(action));

	r = codec_query_decode(body, len, op->input, &m, &err);
	if (r != CODEC_OK) {
		FUZZ_ASSERT(m == NULL && r == (int)err.code && err.message[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(m != NULL);
	r = codec_msg_check(m, &err);
	if (r != CODEC_OK)
		fprintf(stderr, "codec_msg_check refuses what the query decoder took: %s\n",
		    err.message);
	FUZZ_ASSERT(r == CODEC_OK);
	r = codec_query_encode(op->name, "https://example.com/", m, "rid", &xml, &xlen);
	FUZZ_ASSERT(r == CODEC_OK && xml != NULL && strlen(xml) == xlen);
	free(xml);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static const struct {
	const char	*op;
	const char	*body;
} seeds[] = {
	{ "CreateUser", "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F"
	  "&Tags.member.1.Key=team&Tags.member.1.Value=pki+ops"
	  "&Tags.member.2.Key=cost-center&Tags.member.2.Value=a%26b%3Dc%2Fd" },
	{ "PutUserPolicy", "Action=PutUserPolicy&Version=2010-05-08&UserName=alice"
	  "&PolicyName=s3-read&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D" },
	{ "ListUsers", "Action=ListUsers&Version=2010-05-08&Marker=abc%2B%2F%3D&MaxItems=50" },
	{ "ListPolicies", "Action=ListPolicies&Version=2010-05-08&Scope=Local"
	  "&OnlyAttached=true&PolicyUsageFilter=PermissionsBoundary" },
	{ "AssumeRole", "Action=AssumeRole&Version=2011-06-15"
	  "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops&RoleSessionName=s1"
	  "&DurationSeconds=900&Tags.member.1.Key=k1&Tags.member.1.Value=v1"
	  "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"
	  "&TransitiveTagKeys.member.1=k1" },
	{ "CreateUser", "Action=CreateUser&Version=2010-05-08&UserName=bob&Tags=" },
};

int
FuzzWriteSeeds(const char *dir)
{
	char path[512];
	size_t i, j;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		uint8_t buf[1024];
		size_t n = strlen(seeds[i].body);

		for (j = 0; j < 256; j++)
			if (strcmp(query_op((uint8_t)j)->name, seeds[i].op) == 0)
				break;
		FUZZ_CHECK(j < 256 && n + 1 <= sizeof(buf));
		buf[0] = (uint8_t)j;
		memcpy(buf + 1, seeds[i].body, n);
		snprintf(path, sizeof(path), "%s/%02zu-%s", dir, i, seeds[i].op);
		if (fuzz_write_file(path, buf, n + 1) != 0)
			return -1;
	}
	return 0;
}
