/*
 * test_codec_query.c - the AWS query codec (iam, sts) on real messages.
 *
 * The request bodies are botocore 1.43.11's own: its query serializer
 * (botocore.serialize.create_serializer('query')) on the real iam and sts
 * models, urlencoded as botocore's AWSRequest does. The XML answers are
 * compared with golden strings here, and codec_query_parse.py feeds them
 * to botocore's QueryParser with the real models (skipped when python3 or
 * botocore is missing), which is what the aws CLI and boto3 run.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "codec_query.h"
#include "iam.pb-c.h"
#include "sts.pb-c.h"

#define IAM_NS	"https://iam.amazonaws.com/doc/2010-05-08/"
#define STS_NS	"https://sts.amazonaws.com/doc/2011-06-15/"
#define RID	"7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"

/* ---- botocore's bodies -------------------------------------------------- */

static const char body_create_user[] =
    "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F"
    "&Tags.member.1.Key=team&Tags.member.1.Value=pki+ops"
    "&Tags.member.2.Key=cost-center&Tags.member.2.Value=a%26b%3Dc%2Fd";
static const char body_put_user_policy[] =
    "Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=s3-read"
    "&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B"
    "%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22"
    "Resource%22%3A%22%2A%22%7D%5D%7D";
static const char body_create_role[] =
    "Action=CreateRole&Version=2010-05-08&RoleName=ops&AssumeRolePolicyDocument="
    "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A"
    "%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aroot%22%7D%2C%22Action"
    "%22%3A%22sts%3AAssumeRole%22%7D%5D%7D&MaxSessionDuration=7200"
    "&Description=caf%C3%A9+role";
static const char body_list_users[] =
    "Action=ListUsers&Version=2010-05-08&Marker=abc%2B%2F%3D&MaxItems=50";
static const char body_create_access_key[] =
    "Action=CreateAccessKey&Version=2010-05-08&UserName=alice";
static const char body_create_access_key_self[] =
    "Action=CreateAccessKey&Version=2010-05-08";
static const char body_assume_role[] =
    "Action=AssumeRole&Version=2011-06-15"
    "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops&RoleSessionName=s1"
    "&DurationSeconds=900&Tags.member.1.Key=k1&Tags.member.1.Value=v1"
    "&Tags.member.2.Key=k2&Tags.member.2.Value=v2"
    "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"
    "&TransitiveTagKeys.member.1=k1";
static const char body_get_caller_identity[] =
    "Action=GetCallerIdentity&Version=2011-06-15";
static const char body_attach_role_policy[] =
    "Action=AttachRolePolicy&Version=2010-05-08&RoleName=ops"
    "&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess";
static const char body_list_attached_user_policies[] =
    "Action=ListAttachedUserPolicies&Version=2010-05-08&UserName=alice"
    "&PathPrefix=%2F&MaxItems=10";
static const char body_create_user_no_tags[] =		/* Tags=[] */
    "Action=CreateUser&Version=2010-05-08&UserName=bob&Tags=";
static const char body_list_policies[] =
    "Action=ListPolicies&Version=2010-05-08&Scope=Local&OnlyAttached=true"
    "&PolicyUsageFilter=PermissionsBoundary";
static const char body_update_access_key[] =
    "Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=AKIAIOSFODNN7EXAMPLE"
    "&Status=Inactive";
static const char body_create_slr[] =
    "Action=CreateServiceLinkedRole&Version=2010-05-08"
    "&AWSServiceName=acm.amazonaws.com";

/* ---- helpers ------------------------------------------------------------ */

static ProtobufCMessage *
decode_ok(const ProtobufCMessageDescriptor *d, const char *body)
{
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	int r = codec_query_decode(body, strlen(body), d, &m, &err);

	if (r != CODEC_OK)
		test_fail(__FILE__, __LINE__, "decode %s: %d %s", d->short_name, r,
		    err.message);
	assert_ptr_not_null(m);
	return m;
}

#define expect_error(d_, body_, code_, msg_) do {				\
	struct codec_error _e;							\
	ProtobufCMessage *_m = (ProtobufCMessage *)1;				\
	const char *_body = (body_);						\
	int _r = codec_query_decode(_body, strlen(_body), (d_), &_m, &_e);		\
	assert_int_eq(_r, (code_));						\
	assert_int_eq(_e.code, (code_));					\
	assert_ptr_null(_m);							\
	assert_str_contains(_e.message, (msg_));				\
} while (0)

#define D_CREATE_USER	(&pca__api__iam__create_user_request__descriptor)
#define D_LIST_USERS	(&pca__api__iam__list_users_request__descriptor)
#define D_LIST_POL	(&pca__api__iam__list_policies_request__descriptor)
#define D_ASSUME	(&pca__api__sts__assume_role_request__descriptor)

/* ---- Action and Version ------------------------------------------------- */

static void
test_action(void)
{
	char a[CODEC_QUERY_ACTION_MAX], v[32];
	struct codec_error err;

	assert_int_eq(codec_query_action(body_create_user, strlen(body_create_user),
	    a, sizeof(a), v, sizeof(v), &err), CODEC_OK);
	assert_str_eq(a, "CreateUser");
	assert_str_eq(v, "2010-05-08");
	assert_int_eq(codec_query_action(body_assume_role, strlen(body_assume_role),
	    a, sizeof(a), v, sizeof(v), &err), CODEC_OK);
	assert_str_eq(a, "AssumeRole");
	assert_str_eq(v, "2011-06-15");
	/* absent: "" (the door answers MissingAction) */
	assert_int_eq(codec_query_action("UserName=a", 10, a, sizeof(a), v, sizeof(v),
	    &err), CODEC_OK);
	assert_str_eq(a, "");
	assert_str_eq(v, "");
	assert_int_eq(codec_query_action("", 0, a, sizeof(a), v, sizeof(v), &err),
	    CODEC_OK);
	assert_str_eq(a, "");
}

static void
test_action_errors(void)
{
	char a[16], v[16];
	struct codec_error err;
	const char *b;

	b = "Action=ListUsers&Action=DeleteUser";
	assert_int_eq(codec_query_action(b, strlen(b), a, sizeof(a), v, sizeof(v), &err),
	    CODEC_ERR_SERIALIZATION);
	assert_str_contains(err.message, "Duplicate parameter: \"Action\"");
	assert_str_eq(a, "");
	b = "Action=ListAttachedUserPolicies";	/* longer than a[16] */
	assert_int_eq(codec_query_action(b, strlen(b), a, sizeof(a), v, sizeof(v), &err),
	    CODEC_ERR_SERIALIZATION);
	assert_str_contains(err.message, "Invalid value for parameter Action");
	b = "Action=List%3CUsers";		/* not a name */
	assert_int_eq(codec_query_action(b, strlen(b), a, sizeof(a), v, sizeof(v), &err),
	    CODEC_ERR_SERIALIZATION);
	b = "Action=ListUsers&&";
	assert_int_eq(codec_query_action(b, strlen(b), a, sizeof(a), v, sizeof(v), &err),
	    CODEC_ERR_SERIALIZATION);
	assert_str_contains(err.message, "empty parameter");
}

/* ---- decoding botocore's bodies ----------------------------------------- */

static void
test_create_user_tags(void)
{
	Pca__Api__Iam__CreateUserRequest *m = (void *)decode_ok(D_CREATE_USER,
	    body_create_user);

	assert_str_eq(m->user_name, "alice");
	assert_str_eq(m->path, "/eng/");
	assert_ptr_null(m->permissions_boundary);
	assert_int_eq(m->n_tags, 2);
	assert_str_eq(m->tags[0]->key, "team");
	assert_str_eq(m->tags[0]->value, "pki ops");
	assert_str_eq(m->tags[1]->key, "cost-center");
	assert_str_eq(m->tags[1]->value, "a&b=c/d");
	protobuf_c_message_free_unpacked(&m->base, NULL);

	/* botocore writes an empty list as "Tags=" */
	m = (void *)decode_ok(D_CREATE_USER, body_create_user_no_tags);
	assert_str_eq(m->user_name, "bob");
	assert_int_eq(m->n_tags, 0);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	/* items in any order in the body */
	m = (void *)decode_ok(D_CREATE_USER, "Tags.member.2.Value=2&Tags.member.1.Key=a"
	    "&UserName=u&Tags.member.2.Key=b&Tags.member.1.Value=1");
	assert_int_eq(m->n_tags, 2);
	assert_str_eq(m->tags[0]->key, "a");
	assert_str_eq(m->tags[1]->value, "2");
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void
test_policies(void)
{
	Pca__Api__Iam__PutUserPolicyRequest *p = (void *)decode_ok(
	    &pca__api__iam__put_user_policy_request__descriptor, body_put_user_policy);
	Pca__Api__Iam__CreateRoleRequest *r;
	Pca__Api__Iam__AttachRolePolicyRequest *a;

	assert_str_eq(p->user_name, "alice");
	assert_str_eq(p->policy_name, "s3-read");
	assert_str_eq(p->policy_document, "{\"Version\":\"2012-10-17\",\"Statement\":"
	    "[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}");
	protobuf_c_message_free_unpacked(&p->base, NULL);

	r = (void *)decode_ok(&pca__api__iam__create_role_request__descriptor,
	    body_create_role);
	assert_str_eq(r->role_name, "ops");
	assert_str_eq(r->assume_role_policy_document, "{\"Statement\":[{\"Effect\":"
	    "\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},"
	    "\"Action\":\"sts:AssumeRole\"}]}");
	assert_true(r->has_max_session_duration);
	assert_int_eq(r->max_session_duration, 7200);
	assert_str_eq(r->description, "caf\xc3\xa9 role");
	assert_ptr_null(r->path);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	a = (void *)decode_ok(&pca__api__iam__attach_role_policy_request__descriptor,
	    body_attach_role_policy);
	assert_str_eq(a->role_name, "ops");
	assert_str_eq(a->policy_arn, "arn:aws:iam::aws:policy/ReadOnlyAccess");
	protobuf_c_message_free_unpacked(&a->base, NULL);
}

static void
test_lists_and_keys(void)
{
	Pca__Api__Iam__ListUsersRequest *l = (void *)decode_ok(D_LIST_USERS,
	    body_list_users);
	Pca__Api__Iam__ListAttachedUserPoliciesRequest *la;
	Pca__Api__Iam__CreateAccessKeyRequest *k;
	Pca__Api__Iam__ListPoliciesRequest *lp;
	Pca__Api__Iam__UpdateAccessKeyRequest *u;
	Pca__Api__Iam__CreateServiceLinkedRoleRequest *s;

	assert_str_eq(l->marker, "abc+/=");
	assert_true(l->has_max_items);
	assert_int_eq(l->max_items, 50);
	assert_ptr_null(l->path_prefix);
	protobuf_c_message_free_unpacked(&l->base, NULL);

	la = (void *)decode_ok(&pca__api__iam__list_attached_user_policies_request__descriptor,
	    body_list_attached_user_policies);
	assert_str_eq(la->user_name, "alice");
	assert_str_eq(la->path_prefix, "/");
	assert_int_eq(la->max_items, 10);
	assert_ptr_null(la->marker);
	protobuf_c_message_free_unpacked(&la->base, NULL);

	k = (void *)decode_ok(&pca__api__iam__create_access_key_request__descriptor,
	    body_create_access_key);
	assert_str_eq(k->user_name, "alice");
	protobuf_c_message_free_unpacked(&k->base, NULL);
	k = (void *)decode_ok(&pca__api__iam__create_access_key_request__descriptor,
	    body_create_access_key_self);
	assert_ptr_null(k->user_name);
	protobuf_c_message_free_unpacked(&k->base, NULL);

	lp = (void *)decode_ok(D_LIST_POL, body_list_policies);
	assert_true(lp->has_scope);
	assert_int_eq(lp->scope, PCA__API__IAM__POLICY_SCOPE_TYPE__policyScopeType_Local);
	assert_true(lp->has_only_attached);
	assert_true(lp->only_attached);
	assert_int_eq(lp->policy_usage_filter,
	    PCA__API__IAM__POLICY_USAGE_TYPE__PolicyUsageType_PermissionsBoundary);
	protobuf_c_message_free_unpacked(&lp->base, NULL);
	lp = (void *)decode_ok(D_LIST_POL, "OnlyAttached=false");
	assert_true(lp->has_only_attached);
	assert_false(lp->only_attached);
	protobuf_c_message_free_unpacked(&lp->base, NULL);

	u = (void *)decode_ok(&pca__api__iam__update_access_key_request__descriptor,
	    body_update_access_key);
	assert_str_eq(u->access_key_id, "AKIAIOSFODNN7EXAMPLE");
	assert_int_eq(u->status, PCA__API__IAM__STATUS_TYPE__statusType_Inactive);
	protobuf_c_message_free_unpacked(&u->base, NULL);

	/* a member name kept verbatim by gen_api.py */
	s = (void *)decode_ok(&pca__api__iam__create_service_linked_role_request__descriptor,
	    body_create_slr);
	assert_str_eq(s->awsservicename, "acm.amazonaws.com");
	protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void
test_sts(void)
{
	Pca__Api__Sts__AssumeRoleRequest *m = (void *)decode_ok(D_ASSUME,
	    body_assume_role);
	ProtobufCMessage *g;

	assert_str_eq(m->role_arn, "arn:aws:iam::123456789012:role/ops");
	assert_str_eq(m->role_session_name, "s1");
	assert_true(m->has_duration_seconds);
	assert_int_eq(m->duration_seconds, 900);
	assert_int_eq(m->n_tags, 2);
	assert_str_eq(m->tags[0]->key, "k1");
	assert_str_eq(m->tags[0]->value, "v1");
	assert_str_eq(m->tags[1]->key, "k2");
	assert_str_eq(m->tags[1]->value, "v2");
	/* the model spells this member "arn" */
	assert_int_eq(m->n_policy_arns, 1);
	assert_str_eq(m->policy_arns[0]->arn, "arn:aws:iam::aws:policy/ReadOnlyAccess");
	assert_int_eq(m->n_transitive_tag_keys, 1);
	assert_str_eq(m->transitive_tag_keys[0], "k1");
	assert_ptr_null(m->policy);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	g = decode_ok(&pca__api__sts__get_caller_identity_request__descriptor,
	    body_get_caller_identity);
	protobuf_c_message_free_unpacked(g, NULL);
	g = decode_ok(&pca__api__sts__get_caller_identity_request__descriptor, "");
	protobuf_c_message_free_unpacked(g, NULL);
}

/* Timestamps: iam and sts inputs have none, so decode an output shape. */
static void
test_timestamps(void)
{
	const ProtobufCMessageDescriptor *d = &pca__api__iam__user__descriptor;
	Pca__Api__Iam__User *u;

	u = (void *)decode_ok(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2024-01-02T03%3A04%3A05Z");
	assert_true(u->create_date == 1704164645.0);
	assert_false(u->has_password_last_used);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	u = (void *)decode_ok(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2024-01-02T04%3A04%3A05.250%2B01%3A00"
	    "&PasswordLastUsed=1969-12-31T23%3A59%3A59Z");
	assert_true(u->create_date == 1704164645.25);
	assert_true(u->has_password_last_used);
	assert_true(u->password_last_used == -1.0);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	u = (void *)decode_ok(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2024-02-29T00%3A00%3A00-00%3A30");
	assert_true(u->create_date == 1709166600.0);
	protobuf_c_message_free_unpacked(&u->base, NULL);

	expect_error(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa&CreateDate=1704164645",
	    CODEC_ERR_SERIALIZATION, "Invalid type for parameter CreateDate, value: "
	    "\"1704164645\", type: string, valid types: timestamp (ISO 8601)");
	expect_error(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2023-02-29T00%3A00%3A00Z", CODEC_ERR_SERIALIZATION,
	    "valid types: timestamp");
	expect_error(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2023-01-01T00%3A00%3A00", CODEC_ERR_SERIALIZATION,
	    "valid types: timestamp");
	expect_error(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2023-01-01T24%3A00%3A00Z", CODEC_ERR_SERIALIZATION,
	    "valid types: timestamp");
	expect_error(d, "Path=%2F&UserName=a&UserId=AIDAEXAMPLEEXAMPLE&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fa"
	    "&CreateDate=2023-01-01T00%3A00%3A00.Z", CODEC_ERR_SERIALIZATION,
	    "valid types: timestamp");
}

/* ---- maps (no iam/sts operation we serve has one) ----------------------- */

typedef struct {
	ProtobufCMessage	 base;
	char			*key;
	char			*value;
} TestEntry;

typedef struct {
	ProtobufCMessage	 base;
	size_t			 n_attributes;
	TestEntry		**attributes;
} TestMapHolder;

static const ProtobufCMessageDescriptor test_entry_descriptor;
static const ProtobufCMessageDescriptor test_holder_descriptor;

static void
test_entry_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(TestEntry));
	m->descriptor = &test_entry_descriptor;
}

static void
test_holder_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(TestMapHolder));
	m->descriptor = &test_holder_descriptor;
}

static const ProtobufCFieldDescriptor test_entry_fields[2] = {
	{ "key", 1, PROTOBUF_C_LABEL_REQUIRED, PROTOBUF_C_TYPE_STRING, 0,
	  offsetof(TestEntry, key), NULL, NULL, 0, 0, NULL, NULL },
	{ "value", 2, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0,
	  offsetof(TestEntry, value), NULL, NULL, 0, 0, NULL, NULL },
};
static const ProtobufCFieldDescriptor test_holder_fields[1] = {
	{ "attributes", 1, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE,
	  offsetof(TestMapHolder, n_attributes), offsetof(TestMapHolder, attributes),
	  &test_entry_descriptor, NULL, 0, 0, NULL, NULL },
};
static const unsigned test_entry_by_name[2] = { 0, 1 };
static const unsigned test_holder_by_name[1] = { 0 };
static const ProtobufCIntRange test_entry_ranges[2] = { { 1, 0 }, { 0, 2 } };
static const ProtobufCIntRange test_holder_ranges[2] = { { 1, 0 }, { 0, 1 } };

static const ProtobufCMessageDescriptor test_entry_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pca.test.Holder.AttributesEntry",
	"AttributesEntry", "TestEntry", "pca.test", sizeof(TestEntry), 2,
	test_entry_fields, test_entry_by_name, 1, test_entry_ranges,
	test_entry_init, NULL, NULL, NULL
};
static const ProtobufCMessageDescriptor test_holder_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "pca.test.Holder", "Holder",
	"TestMapHolder", "pca.test", sizeof(TestMapHolder), 1, test_holder_fields,
	test_holder_by_name, 1, test_holder_ranges, test_holder_init, NULL, NULL, NULL
};

static void
test_maps(void)
{
	TestMapHolder *h = (void *)decode_ok(&test_holder_descriptor,
	    "Attributes.entry.2.key=b&Attributes.entry.1.key=a"
	    "&Attributes.entry.1.value=1&Attributes.entry.2.value=2");
	char *xml = NULL;
	size_t len;

	assert_int_eq(h->n_attributes, 2);
	assert_str_eq(h->attributes[0]->key, "a");
	assert_str_eq(h->attributes[0]->value, "1");
	assert_str_eq(h->attributes[1]->key, "b");
	assert_str_eq(h->attributes[1]->value, "2");
	assert_int_eq(codec_query_encode("GetThing", NULL, &h->base, RID, &xml, &len),
	    CODEC_OK);
	assert_str_eq(xml, "<GetThingResponse><GetThingResult><Attributes>"
	    "<entry><key>a</key><value>1</value></entry>"
	    "<entry><key>b</key><value>2</value></entry></Attributes></GetThingResult>"
	    "<ResponseMetadata><RequestId>" RID "</RequestId></ResponseMetadata>"
	    "</GetThingResponse>");
	free(xml);
	protobuf_c_message_free_unpacked(&h->base, NULL);

	expect_error(&test_holder_descriptor, "Attributes.member.1.key=a",
	    CODEC_ERR_SERIALIZATION, "its items are named entry.N");
	expect_error(&test_holder_descriptor, "Attributes.entry.1.Key=a",
	    CODEC_ERR_SERIALIZATION, "Unknown parameter in Attributes[0]: \"Key\", "
	    "must be one of: key, value");
	expect_error(&test_holder_descriptor, "Attributes.entry.1.value=a",
	    CODEC_ERR_VALIDATION, "Missing required parameter in Attributes[0]: \"Key\"");
}

/* ---- malformed and invalid input ---------------------------------------- */

static void
test_malformed(void)
{
	const ProtobufCMessageDescriptor *d = D_CREATE_USER;

	expect_error(d, "UserName=%zz", CODEC_ERR_SERIALIZATION,
	    "bad percent-encoding in parameter \"UserName\"");
	expect_error(d, "UserName=ab%4", CODEC_ERR_SERIALIZATION, "bad percent-encoding");
	expect_error(d, "UserName=ab%", CODEC_ERR_SERIALIZATION, "bad percent-encoding");
	expect_error(d, "User%4Eame=ab%", CODEC_ERR_SERIALIZATION, "bad percent-encoding");
	expect_error(d, "&&&", CODEC_ERR_SERIALIZATION,
	    "Malformed request body: empty parameter at byte 0");
	expect_error(d, "UserName=a&&Path=%2F", CODEC_ERR_SERIALIZATION,
	    "empty parameter at byte 11");
	expect_error(d, "UserName=a&", CODEC_ERR_SERIALIZATION, "empty parameter");
	expect_error(d, "&UserName=a", CODEC_ERR_SERIALIZATION, "empty parameter");
	expect_error(d, "UserName", CODEC_ERR_SERIALIZATION,
	    "parameter \"UserName\" has no '='");
	expect_error(d, "=a", CODEC_ERR_SERIALIZATION, "invalid parameter name \"\"");
	expect_error(d, "User+Name=a", CODEC_ERR_SERIALIZATION,
	    "invalid parameter name \"User Name\"");
	expect_error(d, "User%00Name=a", CODEC_ERR_SERIALIZATION,
	    "invalid parameter name \"User?Name\"");
	expect_error(d, "Tags..Key=a", CODEC_ERR_SERIALIZATION,
	    "invalid parameter name \"Tags..Key\"");
	expect_error(d, ".UserName=a", CODEC_ERR_SERIALIZATION, "invalid parameter name");
	expect_error(d, "UserName.=a", CODEC_ERR_SERIALIZATION, "invalid parameter name");
	expect_error(d, "UserName=a&UserName=b", CODEC_ERR_SERIALIZATION,
	    "Duplicate parameter: \"UserName\"");
	expect_error(d, "UserName=a&Tags.member.1.Key=k&Tags.member.1.Key=k",
	    CODEC_ERR_SERIALIZATION, "Duplicate parameter: \"Tags.member.1.Key\"");
	expect_error(d, "UserName=a&UserName.Sub=b", CODEC_ERR_SERIALIZATION,
	    "\"UserName.Sub\" is both a value and a structure or list");
	expect_error(d, "UserName.Sub=b&UserName=a", CODEC_ERR_SERIALIZATION,
	    "\"UserName\" is both a value and a structure or list");
	/* values: NUL and other controls XML cannot carry, bad UTF-8 */
	expect_error(d, "UserName=a%00b", CODEC_ERR_SERIALIZATION,
	    "Invalid value for parameter UserName: contains a control character");
	expect_error(d, "UserName=a%1Bb", CODEC_ERR_SERIALIZATION, "control character");
	expect_error(d, "UserName=a%EF%BF%BFb", CODEC_ERR_SERIALIZATION,
	    "control character");
	expect_error(d, "UserName=%FF", CODEC_ERR_SERIALIZATION,
	    "Invalid value for parameter UserName: not valid UTF-8");
	expect_error(d, "UserName=%ED%A0%80", CODEC_ERR_SERIALIZATION, "not valid UTF-8");
}

static void
test_lists_malformed(void)
{
	const ProtobufCMessageDescriptor *d = D_CREATE_USER;

	expect_error(d, "UserName=a&Tags.member.99999999.Key=k&Tags.member.99999999.Value=v",
	    CODEC_ERR_SERIALIZATION, "Invalid list parameter Tags: item number "
	    "\"99999999\" is not from 1 to 1000");
	expect_error(d, "UserName=a&Tags.member.18446744073709551617.Key=k",
	    CODEC_ERR_SERIALIZATION, "is not from 1 to 1000");
	expect_error(d, "UserName=a&Tags.member.1001.Key=k", CODEC_ERR_SERIALIZATION,
	    "is not from 1 to 1000");
	expect_error(d, "UserName=a&Tags.member.0.Key=k", CODEC_ERR_SERIALIZATION,
	    "item number \"0\" is not from 1 to 1000");
	expect_error(d, "UserName=a&Tags.member.01.Key=k", CODEC_ERR_SERIALIZATION,
	    "item number \"01\"");
	expect_error(d, "UserName=a&Tags.member.-1.Key=k", CODEC_ERR_SERIALIZATION,
	    "item number \"-1\"");
	expect_error(d, "UserName=a&Tags.member.1.Key=a&Tags.member.1.Value=b"
	    "&Tags.member.3.Key=c&Tags.member.3.Value=d", CODEC_ERR_SERIALIZATION,
	    "Invalid list parameter Tags: member 2 is missing (items are numbered "
	    "from 1 without gaps)");
	expect_error(d, "UserName=a&Tags.member.2.Key=a&Tags.member.2.Value=b",
	    CODEC_ERR_SERIALIZATION, "member 1 is missing");
	expect_error(d, "UserName=a&Tags.member.1000.Key=a", CODEC_ERR_SERIALIZATION,
	    "member 1 is missing");
	expect_error(d, "UserName=a&Tags.1.Key=a", CODEC_ERR_SERIALIZATION,
	    "Invalid list parameter Tags: its items are named member.N, N from 1");
	expect_error(d, "UserName=a&Tags.member=a", CODEC_ERR_SERIALIZATION,
	    "its items are named member.N");
	expect_error(d, "UserName=a&Tags.member.1.Key=a&Tags.entry.1.Key=b",
	    CODEC_ERR_SERIALIZATION, "its items are named member.N");
	expect_error(d, "UserName=a&Tags=x", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter Tags, value: \"x\", type: string, valid types: list");
	expect_error(d, "UserName=a&Tags.member.1=x", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter Tags[0], value: \"x\", type: string, valid "
	    "types: structure");
	expect_error(D_ASSUME, "RoleArn=a&RoleSessionName=b&TransitiveTagKeys.member.1.X=k",
	    CODEC_ERR_SERIALIZATION, "Invalid type for parameter TransitiveTagKeys[0], "
	    "type: structure, valid types: string");
}

static void
test_unknown_and_types(void)
{
	const ProtobufCMessageDescriptor *d = D_CREATE_USER;

	expect_error(d, "UserNmae=alice", CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in input: \"UserNmae\", must be one of: Path, UserName, "
	    "PermissionsBoundary, Tags");
	expect_error(d, "UserName=a&Tags.member.1.Kee=k", CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in Tags[0]: \"Kee\", must be one of: Key, Value");
	/* botocore's spelling only: "Arn" is not the model's "arn" */
	expect_error(D_ASSUME, "RoleArn=a&RoleSessionName=b&PolicyArns.member.1.Arn=x",
	    CODEC_ERR_SERIALIZATION, "Unknown parameter in PolicyArns[0]: \"Arn\", "
	    "must be one of: arn");
	/* Action and Version only at the top */
	expect_error(d, "UserName=a&Tags.member.1.Action=k", CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in Tags[0]: \"Action\"");
	/* an unknown member outranks a type error, as in codec_json */
	expect_error(D_LIST_USERS, "MaxItems=ten&Bogus=1", CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in input: \"Bogus\"");
	expect_error(D_LIST_USERS, "MaxItems=ten", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter MaxItems, value: \"ten\", type: string, valid "
	    "types: integer");
	expect_error(D_LIST_USERS, "MaxItems=", CODEC_ERR_SERIALIZATION,
	    "valid types: integer");
	expect_error(D_LIST_USERS, "MaxItems=+5", CODEC_ERR_SERIALIZATION,
	    "valid types: integer");
	expect_error(D_LIST_USERS, "MaxItems=1.5", CODEC_ERR_SERIALIZATION,
	    "valid types: integer");
	expect_error(D_LIST_USERS, "MaxItems=99999999999999999999", CODEC_ERR_SERIALIZATION,
	    "Invalid value for parameter MaxItems: out of range for a 64-bit integer");
	expect_error(D_LIST_USERS, "MaxItems=4294967296", CODEC_ERR_SERIALIZATION,
	    "out of range for a 32-bit integer");
	expect_error(D_LIST_USERS, "MaxItems.X=1", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter MaxItems, type: structure, valid types: integer");
	expect_error(D_LIST_POL, "OnlyAttached=yes", CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter OnlyAttached, value: \"yes\", type: string, "
	    "valid types: boolean");
	expect_error(D_LIST_POL, "OnlyAttached=True", CODEC_ERR_SERIALIZATION,
	    "valid types: boolean");
	expect_error(D_ASSUME, "RoleArn=a&RoleSessionName=b&PolicyArns.member.1=x",
	    CODEC_ERR_SERIALIZATION, "Invalid type for parameter PolicyArns[0], value: "
	    "\"x\", type: string, valid types: structure");
}

static void
test_validation(void)
{
	const ProtobufCMessageDescriptor *d = D_CREATE_USER;

	expect_error(d, "Path=%2F", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"UserName\"");
	expect_error(d, "", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"UserName\"");
	expect_error(d, "Action=CreateUser&Version=2010-05-08", CODEC_ERR_VALIDATION,
	    "Missing required parameter in input: \"UserName\"");
	expect_error(d, "UserName=a&Tags.member.1.Key=k", CODEC_ERR_VALIDATION,
	    "Missing required parameter in Tags[0]: \"Value\"");
	expect_error(d, "UserName=", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value '' at 'userName' failed to satisfy "
	    "constraint: Member must have length greater than or equal to 1");
	expect_error(D_LIST_USERS, "MaxItems=0", CODEC_ERR_VALIDATION,
	    "Value '0' at 'maxItems' failed to satisfy constraint: Member must have "
	    "value greater than or equal to 1");
	expect_error(D_LIST_POL, "Scope=Everything", CODEC_ERR_VALIDATION,
	    "1 validation error detected: Value 'Everything' at 'scope' failed to "
	    "satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]");
	expect_error(D_ASSUME, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops"
	    "&RoleSessionName=bb&Tags.member.1.Key=&"
	    "Tags.member.1.Value=v", CODEC_ERR_VALIDATION,
	    "at 'tags.1.member.key' failed to satisfy constraint: Member must have "
	    "length greater than or equal to 1");
	/* a serialization error anywhere outranks a validation error */
	expect_error(D_LIST_POL, "Scope=Everything&OnlyAttached=maybe",
	    CODEC_ERR_SERIALIZATION, "valid types: boolean");
}

static void
test_limits(void)
{
	struct codec_error err;
	ProtobufCMessage *m = NULL;
	size_t n = CODEC_QUERY_MAX_BODY + 1, i, o;
	char *big = malloc(n + 1), name[CODEC_QUERY_MAX_NAME + 16];

	assert_ptr_not_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	memcpy(big, "UserName=", 9);
	assert_int_eq(codec_query_decode(big, n, D_CREATE_USER, &m, &err),
	    CODEC_ERR_SERIALIZATION);
	assert_str_contains(err.message, "Request body too large");
	assert_ptr_null(m);

	/* 1001 parameters */
	for (i = 0, o = 0; i < CODEC_QUERY_MAX_PARAMS + 1; i++)
		o += (size_t)sprintf(big + o, "%sTags.member.%zu.Key=k", i ? "&" : "",
		    i % 1000 + 1);
	assert_int_eq(codec_query_decode(big, o, D_CREATE_USER, &m, &err),
	    CODEC_ERR_SERIALIZATION);
	assert_str_contains(err.message, "Too many parameters (more than 1000)");

	/* 1000 tags decode (then fail the model's count rule, 50) */
	for (i = 0, o = 0; i < CODEC_QUERY_MAX_PARAMS / 2 - 1; i++)
		o += (size_t)sprintf(big + o, "Tags.member.%zu.Key=k&Tags.member.%zu.Value=v&",
		    i + 1, i + 1);
	o += (size_t)sprintf(big + o, "UserName=a");
	assert_int_eq(codec_query_decode(big, o, D_CREATE_USER, &m, &err),
	    CODEC_ERR_VALIDATION);
	assert_str_contains(err.message, "Member must have length less than or equal to 50");
	free(big);

	/* a name of 257 bytes */
	memset(name, 'A', CODEC_QUERY_MAX_NAME + 1);
	memcpy(name + CODEC_QUERY_MAX_NAME + 1, "=v", 3);
	expect_error(D_CREATE_USER, name, CODEC_ERR_SERIALIZATION, "invalid parameter name");
	name[CODEC_QUERY_MAX_NAME - 1] = '=';
	name[CODEC_QUERY_MAX_NAME] = '\0';
	expect_error(D_CREATE_USER, name, CODEC_ERR_SERIALIZATION, "Unknown parameter");
}

/* ---- XML out ------------------------------------------------------------ */

#define RMD	"<ResponseMetadata><RequestId>" RID "</RequestId></ResponseMetadata>"

static char *
encode_ok(const char *op, const char *ns, const ProtobufCMessage *m)
{
	char *xml = NULL;
	size_t len = 0;

	assert_int_eq(codec_query_encode(op, ns, m, RID, &xml, &len), CODEC_OK);
	assert_ptr_not_null(xml);
	assert_int_eq(strlen(xml), len);
	return xml;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_ptr_not_null(f = fopen(path, "w"));
	assert_int_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_eq(fclose(f), 0);
}

/* The answers that codec_query_parse.py reads; built in one place so the
 * golden strings and the botocore check see the same bytes. */
static char *
xml_list_users(int empty)
{
	Pca__Api__Iam__ListUsersResponse r = PCA__API__IAM__LIST_USERS_RESPONSE__INIT;
	Pca__Api__Iam__User u1 = PCA__API__IAM__USER__INIT, u2 = PCA__API__IAM__USER__INIT;
	Pca__Api__Iam__Tag t = PCA__API__IAM__TAG__INIT, *tags[1] = { &t };
	Pca__Api__Iam__User *users[2] = { &u1, &u2 };

	u1.path = "/";
	u1.user_name = "alice";
	u1.user_id = "AIDAEXAMPLE1";
	u1.arn = "arn:aws:iam::123456789012:user/alice";
	u1.create_date = 1704164645.0;
	u2.path = "/eng/";
	u2.user_name = "b<o>b&co";
	u2.user_id = "AIDAEXAMPLE2";
	u2.arn = "arn:aws:iam::123456789012:user/eng/b<o>b&co";
	u2.create_date = 1704164645.5;
	u2.has_password_last_used = 1;
	u2.password_last_used = 1704200000.0;
	t.key = "team";
	t.value = "pki \"ops\"\r\n";
	u2.n_tags = 1;
	u2.tags = tags;
	if (!empty) {
		r.n_users = 2;
		r.users = users;
		r.has_is_truncated = 1;
		r.is_truncated = 1;
		r.marker = "m-2";
	} else {
		r.has_is_truncated = 1;
	}
	return encode_ok("ListUsers", IAM_NS, &r.base);
}

static char *
xml_create_access_key(void)
{
	Pca__Api__Iam__CreateAccessKeyResponse r =
	    PCA__API__IAM__CREATE_ACCESS_KEY_RESPONSE__INIT;
	Pca__Api__Iam__AccessKey k = PCA__API__IAM__ACCESS_KEY__INIT;

	k.user_name = "alice";
	k.access_key_id = "AKIAIOSFODNN7EXAMPLE";
	k.status = PCA__API__IAM__STATUS_TYPE__statusType_Active;
	k.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	k.has_create_date = 1;
	k.create_date = 1704164645.0;
	r.access_key = &k;
	return encode_ok("CreateAccessKey", IAM_NS, &r.base);
}

static char *
xml_assume_role(void)
{
	Pca__Api__Sts__AssumeRoleResponse r = PCA__API__STS__ASSUME_ROLE_RESPONSE__INIT;
	Pca__Api__Sts__Credentials c = PCA__API__STS__CREDENTIALS__INIT;
	Pca__Api__Sts__AssumedRoleUser u = PCA__API__STS__ASSUMED_ROLE_USER__INIT;

	c.access_key_id = "ASIAEXAMPLE";
	c.secret_access_key = "secret/+=";
	c.session_token = "FwoGZXIvYXdzEXAMPLE==";
	c.expiration = 1704168245.0;
	u.assumed_role_id = "AROAEXAMPLE:s1";
	u.arn = "arn:aws:sts::123456789012:assumed-role/ops/s1";
	r.credentials = &c;
	r.assumed_role_user = &u;
	r.has_packed_policy_size = 1;
	r.packed_policy_size = 6;
	return encode_ok("AssumeRole", STS_NS, &r.base);
}

static char *
xml_get_caller_identity(void)
{
	Pca__Api__Sts__GetCallerIdentityResponse r =
	    PCA__API__STS__GET_CALLER_IDENTITY_RESPONSE__INIT;

	r.user_id = "AIDAEXAMPLE1";
	r.account = "123456789012";
	r.arn = "arn:aws:iam::123456789012:user/alice";
	return encode_ok("GetCallerIdentity", STS_NS, &r.base);
}

static char *
xml_error(void)
{
	char *xml = NULL;
	size_t len;

	assert_int_eq(codec_query_encode_error(IAM_NS, "NoSuchEntity",
	    "The user with name <bob> cannot be found.", 1, RID, &xml, &len), CODEC_OK);
	return xml;
}

static void
test_encode(void)
{
	Pca__Api__Iam__Empty e = PCA__API__IAM__EMPTY__INIT;
	char *x;

	x = xml_list_users(0);
	assert_str_eq(x, "<ListUsersResponse xmlns=\"" IAM_NS "\"><ListUsersResult>"
	    "<Users><member><Path>/</Path><UserName>alice</UserName>"
	    "<UserId>AIDAEXAMPLE1</UserId><Arn>arn:aws:iam::123456789012:user/alice</Arn>"
	    "<CreateDate>2024-01-02T03:04:05Z</CreateDate></member>"
	    "<member><Path>/eng/</Path><UserName>b&lt;o&gt;b&amp;co</UserName>"
	    "<UserId>AIDAEXAMPLE2</UserId>"
	    "<Arn>arn:aws:iam::123456789012:user/eng/b&lt;o&gt;b&amp;co</Arn>"
	    "<CreateDate>2024-01-02T03:04:05.500Z</CreateDate>"
	    "<PasswordLastUsed>2024-01-02T12:53:20Z</PasswordLastUsed>"
	    "<Tags><member><Key>team</Key><Value>pki &quot;ops&quot;&#13;\n</Value>"
	    "</member></Tags></member></Users>"
	    "<IsTruncated>true</IsTruncated><Marker>m-2</Marker></ListUsersResult>"
	    RMD "</ListUsersResponse>");
	free(x);

	/* an empty top-level list is sent, as AWS does */
	x = xml_list_users(1);
	assert_str_eq(x, "<ListUsersResponse xmlns=\"" IAM_NS "\"><ListUsersResult>"
	    "<Users/><IsTruncated>false</IsTruncated></ListUsersResult>" RMD
	    "</ListUsersResponse>");
	free(x);

	x = xml_create_access_key();
	assert_str_eq(x, "<CreateAccessKeyResponse xmlns=\"" IAM_NS "\">"
	    "<CreateAccessKeyResult><AccessKey><UserName>alice</UserName>"
	    "<AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId><Status>Active</Status>"
	    "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>"
	    "<CreateDate>2024-01-02T03:04:05Z</CreateDate></AccessKey>"
	    "</CreateAccessKeyResult>" RMD "</CreateAccessKeyResponse>");
	free(x);

	x = xml_assume_role();
	assert_str_eq(x, "<AssumeRoleResponse xmlns=\"" STS_NS "\"><AssumeRoleResult>"
	    "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
	    "<SecretAccessKey>secret/+=</SecretAccessKey>"
	    "<SessionToken>FwoGZXIvYXdzEXAMPLE==</SessionToken>"
	    "<Expiration>2024-01-02T04:04:05Z</Expiration></Credentials>"
	    "<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s1</AssumedRoleId>"
	    "<Arn>arn:aws:sts::123456789012:assumed-role/ops/s1</Arn></AssumedRoleUser>"
	    "<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>" RMD
	    "</AssumeRoleResponse>");
	free(x);

	/* no output: no Result element */
	x = encode_ok("DeleteUser", IAM_NS, &e.base);
	assert_str_eq(x, "<DeleteUserResponse xmlns=\"" IAM_NS "\">" RMD
	    "</DeleteUserResponse>");
	free(x);
	x = encode_ok("DeleteUser", IAM_NS, NULL);
	assert_str_eq(x, "<DeleteUserResponse xmlns=\"" IAM_NS "\">" RMD
	    "</DeleteUserResponse>");
	free(x);
	/* an output with nothing set still has its Result */
	{
		Pca__Api__Sts__GetCallerIdentityResponse g =
		    PCA__API__STS__GET_CALLER_IDENTITY_RESPONSE__INIT;
		x = encode_ok("GetCallerIdentity", STS_NS, &g.base);
		assert_str_eq(x, "<GetCallerIdentityResponse xmlns=\"" STS_NS "\">"
		    "<GetCallerIdentityResult></GetCallerIdentityResult>" RMD
		    "</GetCallerIdentityResponse>");
		free(x);
	}
}

static void
test_encode_errors(void)
{
	Pca__Api__Iam__GetUserPolicyResponse r = PCA__API__IAM__GET_USER_POLICY_RESPONSE__INIT;
	Pca__Api__Iam__CreateAccessKeyResponse k =
	    PCA__API__IAM__CREATE_ACCESS_KEY_RESPONSE__INIT;
	Pca__Api__Iam__User u = PCA__API__IAM__USER__INIT;
	Pca__Api__Iam__GetUserResponse gu = PCA__API__IAM__GET_USER_RESPONSE__INIT;
	char *xml = (char *)1;
	size_t len = 1;

	r.user_name = "a";
	r.policy_name = "p";
	r.policy_document = "{\x01}";		/* XML 1.0 cannot carry U+0001 */
	assert_int_eq(codec_query_encode("GetUserPolicy", IAM_NS, &r.base, RID, &xml, &len),
	    CODEC_ERR_SERIALIZATION);
	assert_ptr_null(xml);
	assert_int_eq(len, 0);
	r.policy_document = "\xff";		/* not UTF-8 */
	assert_int_eq(codec_query_encode("GetUserPolicy", IAM_NS, &r.base, RID, &xml, &len),
	    CODEC_ERR_SERIALIZATION);
	r.policy_document = "ok\ttab";
	assert_int_eq(codec_query_encode("GetUserPolicy", IAM_NS, &r.base, RID, &xml, &len),
	    CODEC_OK);
	assert_str_contains(xml, "<PolicyDocument>ok%09tab</PolicyDocument>");
	free(xml);
	/* absent members are left out, required or not (as codec_msg_to_json) */
	assert_int_eq(codec_query_encode("CreateAccessKey", IAM_NS, &k.base, RID, &xml,
	    &len), CODEC_OK);
	assert_str_eq(xml, "<CreateAccessKeyResponse xmlns=\"" IAM_NS "\">"
	    "<CreateAccessKeyResult></CreateAccessKeyResult>" RMD
	    "</CreateAccessKeyResponse>");
	free(xml);
	gu.user = &u;
	assert_int_eq(codec_query_encode("GetUser", IAM_NS, &gu.base, RID, &xml, &len),
	    CODEC_OK);
	assert_str_contains(xml, "<User><CreateDate>1970-01-01T00:00:00Z</CreateDate></User>");
	free(xml);
	/* a timestamp Python cannot read */
	u.path = "/";
	u.user_name = u.user_id = u.arn = "x";
	u.create_date = 1e300;
	assert_int_eq(codec_query_encode("GetUser", IAM_NS, &gu.base, RID, &xml, &len),
	    CODEC_ERR_SERIALIZATION);
	/* element names are ours, never a client's */
	assert_int_eq(codec_query_encode("Get<User", IAM_NS, NULL, RID, &xml, &len),
	    CODEC_ERR_SERIALIZATION);
	assert_int_eq(codec_query_encode("", IAM_NS, NULL, RID, &xml, &len),
	    CODEC_ERR_SERIALIZATION);
}

static void
test_encode_error_response(void)
{
	char *xml = NULL;
	size_t len;

	xml = xml_error();
	assert_str_eq(xml, "<ErrorResponse xmlns=\"" IAM_NS "\"><Error><Type>Sender</Type>"
	    "<Code>NoSuchEntity</Code><Message>The user with name &lt;bob&gt; cannot be "
	    "found.</Message></Error><RequestId>" RID "</RequestId></ErrorResponse>");
	free(xml);
	assert_int_eq(codec_query_encode_error(STS_NS, "ServiceFailure", NULL, 0, RID,
	    &xml, &len), CODEC_OK);
	assert_str_eq(xml, "<ErrorResponse xmlns=\"" STS_NS "\"><Error><Type>Receiver"
	    "</Type><Code>ServiceFailure</Code></Error><RequestId>" RID "</RequestId>"
	    "</ErrorResponse>");
	free(xml);
	/* messages echo client input: what XML cannot carry becomes U+FFFD */
	assert_int_eq(codec_query_encode_error(IAM_NS, "ValidationError",
	    "Value 'a\x01\xff' bad", 1, RID, &xml, &len), CODEC_OK);
	assert_str_contains(xml, "<Message>Value 'a\xef\xbf\xbd\xef\xbf\xbd' bad</Message>");
	free(xml);
}

/* Policy documents go out URL-encoded, as AWS sends them; other members
 * holding the same text do not. */
static char *
xml_get_user_policy(void)
{
	Pca__Api__Iam__GetUserPolicyResponse r = PCA__API__IAM__GET_USER_POLICY_RESPONSE__INIT;

	r.user_name = "alice";
	r.policy_name = "read <all> & more";
	r.policy_document = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
	    "\"Allow\", \"Action\": \"acm-pca:List*\", \"Resource\": \"*\", "
	    "\"Sid\": \"a+b~c_d.e-f\\u00e9\u00e9\"}]}";
	return encode_ok("GetUserPolicy", IAM_NS, &r.base);
}

static char *
xml_get_role(void)
{
	Pca__Api__Iam__GetRoleResponse r = PCA__API__IAM__GET_ROLE_RESPONSE__INIT;
	Pca__Api__Iam__Role role = PCA__API__IAM__ROLE__INIT;

	role.path = "/";
	role.role_name = "ops";
	role.role_id = "AROAEXAMPLE";
	role.arn = "arn:aws:iam::123456789012:role/ops";
	role.create_date = 1704164645;
	role.assume_role_policy_document = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
	role.description = "{\"not\": \"a policy\"}";
	r.role = &role;
	return encode_ok("GetRole", IAM_NS, &r.base);
}

static void
test_encode_policy_documents(void)
{
	Pca__Api__Iam__GetPolicyVersionResponse v =
	    PCA__API__IAM__GET_POLICY_VERSION_RESPONSE__INIT;
	Pca__Api__Iam__PolicyVersion pv = PCA__API__IAM__POLICY_VERSION__INIT;
	char *x;

	x = xml_get_user_policy();
	assert_str_contains(x, "<PolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22%2C%20"
	    "%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20"
	    "%22acm-pca%3AList%2A%22%2C%20%22Resource%22%3A%20%22%2A%22%2C%20%22Sid%22%3A%20"
	    "%22a%2Bb~c_d.e-f%5Cu00e9%C3%A9%22%7D%5D%7D</PolicyDocument>");
	/* the policy's name is plain text */
	assert_str_contains(x, "<PolicyName>read &lt;all&gt; &amp; more</PolicyName>");
	free(x);
	x = xml_get_role();
	assert_str_contains(x, "<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22"
	    "%2C%22Statement%22%3A%5B%5D%7D</AssumeRolePolicyDocument>");
	assert_str_contains(x, "<Description>{&quot;not&quot;: &quot;a policy&quot;}"
	    "</Description>");
	free(x);
	pv.document = "{}";
	pv.version_id = "v1";
	v.policy_version = &pv;
	x = encode_ok("GetPolicyVersion", IAM_NS, &v.base);
	assert_str_contains(x, "<PolicyVersion><Document>%7B%7D</Document>");
	free(x);
	/* an empty document is an empty element */
	pv.document = "";
	x = encode_ok("GetPolicyVersion", IAM_NS, &v.base);
	assert_str_contains(x, "<Document></Document>");
	free(x);
}

/* Round trip: botocore's body -> message -> XML of the same shape. */
static void
test_decode_then_encode(void)
{
	Pca__Api__Iam__CreateUserRequest *m = (void *)decode_ok(D_CREATE_USER,
	    body_create_user);
	Pca__Api__Iam__CreateUserResponse r = PCA__API__IAM__CREATE_USER_RESPONSE__INIT;
	Pca__Api__Iam__User u = PCA__API__IAM__USER__INIT;
	char *x;

	u.path = m->path;
	u.user_name = m->user_name;
	u.user_id = "AIDA";
	u.arn = "arn";
	u.create_date = 0;
	u.n_tags = m->n_tags;
	u.tags = m->tags;
	r.user = &u;
	x = encode_ok("CreateUser", IAM_NS, &r.base);
	assert_str_contains(x, "<Tags><member><Key>team</Key><Value>pki ops</Value></member>"
	    "<member><Key>cost-center</Key><Value>a&amp;b=c/d</Value></member></Tags>");
	assert_str_contains(x, "<CreateDate>1970-01-01T00:00:00Z</CreateDate>");
	free(x);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* botocore's QueryParser with the real models reads our XML. */
static void
test_botocore_parses(void)
{
	const char *dir = test_tmpdir();
	char *out = NULL, *x;
	int st;

	if (test_sh(&out, "python3 -c 'import botocore.parsers' 2>&1") != 0) {
		test_diag("skipped: python3 with botocore not found: %s", out);
		free(out);
		return;
	}
	free(out);
	write_file(dir, "iam.ListUsers.xml", x = xml_list_users(0));
	free(x);
	write_file(dir, "iam.ListUsers.empty.xml", x = xml_list_users(1));
	free(x);
	write_file(dir, "iam.CreateAccessKey.xml", x = xml_create_access_key());
	free(x);
	write_file(dir, "sts.AssumeRole.xml", x = xml_assume_role());
	free(x);
	write_file(dir, "sts.GetCallerIdentity.xml", x = xml_get_caller_identity());
	free(x);
	write_file(dir, "iam.error.xml", x = xml_error());
	free(x);
	write_file(dir, "iam.GetUserPolicy.xml", x = xml_get_user_policy());
	free(x);
	write_file(dir, "iam.GetRole.xml", x = xml_get_role());
	free(x);
	{
		Pca__Api__Iam__Empty e = PCA__API__IAM__EMPTY__INIT;
		write_file(dir, "iam.DeleteUser.xml", x = encode_ok("DeleteUser", IAM_NS,
		    &e.base));
		free(x);
	}
	st = test_sh(&out, "python3 %s/tests/unit/codec_query_parse.py %s 2>&1",
	    HSMCA_SOURCE_DIR, dir);
	if (st != 0)
		test_fail(__FILE__, __LINE__, "codec_query_parse.py: exit %d\n%s", st, out);
	assert_str_contains(out, "ok 9 files");
	free(out);
}

int
main(void)
{
	test_run("codec_query/action", test_action);
	test_run("codec_query/action_errors", test_action_errors);
	test_run("codec_query/decode/create_user_tags", test_create_user_tags);
	test_run("codec_query/decode/policies", test_policies);
	test_run("codec_query/decode/lists_and_keys", test_lists_and_keys);
	test_run("codec_query/decode/sts", test_sts);
	test_run("codec_query/decode/timestamps", test_timestamps);
	test_run("codec_query/decode/maps", test_maps);
	test_run("codec_query/decode/malformed", test_malformed);
	test_run("codec_query/decode/lists_malformed", test_lists_malformed);
	test_run("codec_query/decode/unknown_and_types", test_unknown_and_types);
	test_run("codec_query/decode/validation", test_validation);
	test_run("codec_query/decode/limits", test_limits);
	test_run("codec_query/encode", test_encode);
	test_run("codec_query/encode/errors", test_encode_errors);
	test_run("codec_query/encode/error_response", test_encode_error_response);
	test_run("codec_query/encode/policy_documents", test_encode_policy_documents);
	test_run("codec_query/decode_then_encode", test_decode_then_encode);
	test_run("codec_query/botocore_parses", test_botocore_parses);
	return test_done();
}
