#!/usr/bin/env bash
# iam and sts over HTTP (the AWS query protocol: form-encoded requests, XML
# answers) with the machine's own aws CLI and boto3, only --endpoint-url /
# endpoint_url pointing at hsmca:
#  - users with tags, get-user, list-users paging (--max-items and a boto3
#    paginator), inline policies from file:// (the document comes back
#    URL-encoded, as AWS sends it, and botocore decodes it), AWS managed
#    policies, access keys used at once for sts get-caller-identity and
#    refused once deleted, roles with a trust policy, assume-role and its
#    session credentials against sts and acm-pca (the JSON door), a
#    service-linked role;
#  - iam's and sts's errors, with their codes, statuses and XML: NoSuchEntity
#    (CLI exit 254 and its error line; boto3's typed exception),
#    EntityAlreadyExists, AccessDenied, MalformedPolicyDocument, missing and
#    unknown Action, a malformed form, a member of the wrong type, a missing
#    required member, unsigned, wrong signature, unknown key, a date outside
#    the window -- each followed by a request that still works.
. "$(dirname "$0")/lib.sh"
it_up
cd "$WORK" || exit 1

EP=$HSMCA_HTTP_ENDPOINT
CLIENT="$HSMCA_TOP/tests/integration/http_query_client.py"
aws_cli_setup
echo "# $("${AWS[@]}" --version 2>&1), endpoint $EP"

awsx() { "${AWS[@]}" --endpoint-url "$EP" "$@"; }
raw() { "$PY" "$CLIENT" raw "$EP" "$@"; }
boto() { "$PY" "$CLIENT" boto "$EP" "$@"; }
# as_aws FILE args...: the aws CLI as the [default] profile of FILE
as_aws() { local f=$1; shift; as "$f" "${AWS[@]}" --endpoint-url "$EP" "$@"; }

# sc JSON: "<status> <Code>" of a raw answer
sc() { jq -r '"\(.status) \(.code)"' <<<"$1"; }

still_serves() {
	ok "still serving after $1" awsx iam get-user --user-name alice
}

IAM_NS=https://iam.amazonaws.com/doc/2010-05-08/
STS_NS=https://sts.amazonaws.com/doc/2011-06-15/

# --- users ------------------------------------------------------------------------
# hsmca keeps no tags on users: the Tags.member.N list is decoded and the
# handler refuses it in its own words
expect_error InvalidInput "iam create-user --tags: decoded, refused (no tags on users)" \
	awsx iam create-user --user-name alice --tags Key=team,Value=pki Key=env,Value=test
check "... in the handler's words" grep -q "Tags on users are not supported" "$IT_TMP/stderr"
ok "iam create-user" awsx iam create-user --user-name alice
check "the new user: alice, an iam ARN, path /" test \
	"$(jq -r '.User | "\(.UserName) \(.Arn | test("^arn:aws:iam::[0-9]{12}:user/alice$")) \(.Path)"' <<<"$OUT")" \
	= "alice true /"
ACCOUNT=$(jq -r .User.Arn <<<"$OUT" | cut -d: -f5)
ok "iam get-user" awsx iam get-user --user-name alice
check "get-user: alice, with a CreateDate" test \
	"$(jq -r '.User | "\(.UserName) \(.CreateDate != null)"' <<<"$OUT")" = "alice true"
ok "boto3: get_user (CreateDate a datetime)" boto user alice
check "boto3 parsed CreateDate as a datetime" test "$(jq -r .created_is_datetime <<<"$OUT")" = true

for u in bob carol; do
	ok "iam create-user $u" awsx iam create-user --user-name "$u"
done
ok "iam list-users --max-items 2" awsx iam list-users --max-items 2
check "two users and a NextToken" test \
	"$(jq -r '"\(.Users | length) \(.NextToken != null)"' <<<"$OUT")" = "2 true"
TOKEN=$(jq -r .NextToken <<<"$OUT")
FIRST=$(jq -r '[.Users[].UserName] | join(",")' <<<"$OUT")
ok "iam list-users --starting-token" awsx iam list-users --max-items 2 --starting-token "$TOKEN"
REST=$(jq -r '[.Users[].UserName] | join(",")' <<<"$OUT")
check "the pages hold alice, bob and carol once each" test \
	"$(tr , '\n' <<<"$FIRST,$REST" | grep -E '^(alice|bob|carol)$' | sort | uniq | wc -l)" = 3
ok "boto3: list_users paginator, one user a page" boto paginate-users alice bob carol
check "three pages or more" test "$(jq -r .pages <<<"$OUT")" -ge 3

# --- policies -----------------------------------------------------------------------
cat >alice-policy.json <<'EOF'
{"Version": "2012-10-17",
 "Statement": [{"Sid": "read", "Effect": "Allow",
   "Action": ["acm-pca:List*", "acm-pca:Describe*"], "Resource": "*"}]}
EOF
ok "iam put-user-policy --policy-document file://" awsx iam put-user-policy --user-name alice \
	--policy-name read-pca --policy-document file://alice-policy.json
ok "iam get-user-policy" awsx iam get-user-policy --user-name alice --policy-name read-pca
check "the CLI shows the document decoded, as from AWS" test \
	"$(jq -c '.PolicyDocument.Statement[0] | [.Sid, .Effect, .Action[0]]' <<<"$OUT")" = \
	'["read","Allow","acm-pca:List*"]'
ok "boto3: get_user_policy decodes the document into a dict" boto user-policy alice read-pca
ANS=$(raw --body "Action=GetUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=read-pca")
check "on the wire: URL-encoded, as AWS sends it" grep -q \
	'<PolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22%2C' <<<"$(jq -r .body <<<"$ANS")"
check "... text/xml, in iam's namespace, with the request id" test \
	"$(jq -r '"\(.status) \(.content_type) \(.root) \(.xmlns) \(.rid == .request_id)"' <<<"$ANS")" = \
	"200 text/xml GetUserPolicyResponse $IAM_NS true"
ok "iam list-user-policies" awsx iam list-user-policies --user-name alice
check "one inline policy" test "$(jq -r '.PolicyNames | join(",")' <<<"$OUT")" = read-pca
ok "iam attach-user-policy (AWS managed)" awsx iam attach-user-policy --user-name alice \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAReadOnly
ok "iam list-attached-user-policies" awsx iam list-attached-user-policies --user-name alice
check "the managed policy is attached" test \
	"$(jq -r '.AttachedPolicies | map("\(.PolicyName) \(.PolicyArn)") | join(",")' <<<"$OUT")" = \
	"AWSCertificateManagerPrivateCAReadOnly arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAReadOnly"
ok "iam get-policy (AWS managed)" awsx iam get-policy \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAReadOnly
check "get-policy names it" test "$(jq -r .Policy.PolicyName <<<"$OUT")" = \
	AWSCertificateManagerPrivateCAReadOnly

# --- access keys --------------------------------------------------------------------
ok "iam create-access-key" awsx iam create-access-key --user-name alice
ALICE_KEY=$(jq -r .AccessKey.AccessKeyId <<<"$OUT")
check "an AKIA key with a 40-character secret, Active" test \
	"$(jq -r '.AccessKey | "\(.AccessKeyId | test("^AKIA[A-Z0-9]{16}$")) \(.SecretAccessKey | length) \(.Status)"' <<<"$OUT")" \
	= "true 40 Active"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$ALICE_KEY" \
	"$(jq -r .AccessKey.SecretAccessKey <<<"$OUT")" >alice.creds
chmod 600 alice.creds
ok "the new key at once: sts get-caller-identity" as_aws alice.creds sts get-caller-identity
check "... is alice" test "$(jq -r '"\(.Arn) \(.Account)"' <<<"$OUT")" = \
	"arn:aws:iam::$ACCOUNT:user/alice $ACCOUNT"
ok "boto3 as alice: get_caller_identity" as alice.creds "$PY" "$CLIENT" boto "$EP" caller \
	"arn:aws:iam::$ACCOUNT:user/alice"
ok "alice's policies decide over HTTP: acm-pca list (JSON door)" \
	as_aws alice.creds acm-pca list-certificate-authorities
ok "iam list-access-keys" awsx iam list-access-keys --user-name alice
check "one key, no secret in the listing" test \
	"$(jq -r '.AccessKeyMetadata | "\(length) \(.[0].AccessKeyId) \(.[0].SecretAccessKey)"' <<<"$OUT")" \
	= "1 $ALICE_KEY null"

# --- errors of the operations --------------------------------------------------------
OUT=$(awsx iam get-user --user-name nobody 2>"$IT_TMP/err")
RC=$?
# aws-cli v1 exits 255 on a service error, v2 254
case $("${AWS[@]}" --version 2>&1) in aws-cli/1.*) WANT_RC=255 ;; *) WANT_RC=254 ;; esac
check "get-user of a missing user: CLI exit $WANT_RC" test "$RC" = "$WANT_RC"
check "... and AWS's error line" grep -q \
	'^An error occurred (NoSuchEntity) when calling the GetUser operation: ' "$IT_TMP/err"
ok "boto3: ClientError NoSuchEntity, 404, Sender" boto no-such-user nobody
ok "boto3: iam.exceptions.NoSuchEntityException" boto typed-exception nobody
still_serves "NoSuchEntity"
expect_error EntityAlreadyExists "create-user of an existing name" awsx iam create-user \
	--user-name alice
ok "boto3: ClientError EntityAlreadyExists, 409" boto user-exists alice
still_serves "EntityAlreadyExists"
expect_error AccessDenied "alice has no iam rights: list-users" as_aws alice.creds iam list-users
expect_error AccessDenied "... nor create-user" as_aws alice.creds iam create-user --user-name mallory
ok "alice still works where allowed" as_aws alice.creds sts get-caller-identity
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}' \
	>bad-policy.json
expect_error MalformedPolicyDocument "put-user-policy with Effect Maybe" awsx iam put-user-policy \
	--user-name alice --policy-name bad --policy-document file://bad-policy.json
expect_error MalformedPolicyDocument "put-user-policy with a document that is not JSON" \
	awsx iam put-user-policy --user-name alice --policy-name bad --policy-document '{"Version":'
still_serves "MalformedPolicyDocument"

# --- roles, sts ------------------------------------------------------------------------
ok "make a root CA (pca) for the session to see" make_root_ca query-ca
CA=$OUT
cat >trust.json <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::$ACCOUNT:root"},"Action":"sts:AssumeRole"}]}
EOF
ok "iam create-role with a trust policy" awsx iam create-role --role-name q-reader \
	--assume-role-policy-document file://trust.json
check "the role's ARN, its trust policy decoded" test \
	"$(jq -r '.Role | "\(.Arn) \(.AssumeRolePolicyDocument.Statement[0].Action)"' <<<"$OUT")" = \
	"arn:aws:iam::$ACCOUNT:role/q-reader sts:AssumeRole"
ok "boto3: get_role (trust policy a dict)" boto role q-reader
ok "iam attach-role-policy" awsx iam attach-role-policy --role-name q-reader \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAReadOnly
ok "sts assume-role" awsx sts assume-role --role-arn "arn:aws:iam::$ACCOUNT:role/q-reader" \
	--role-session-name cli
check "temporary credentials: ASIA key, a secret, a token, an Expiration" test \
	"$(jq -r '.Credentials | "\(.AccessKeyId | test("^ASIA")) \(.SecretAccessKey | length > 0) \(.SessionToken | length > 0) \(.Expiration != null)"' <<<"$OUT")" \
	= "true true true true"
session_file session.creds "$OUT"
ok "the session: sts get-caller-identity (AWS_SESSION_TOKEN)" \
	env -u AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	AWS_ACCESS_KEY_ID="$(jq -r .Credentials.AccessKeyId <<<"$OUT")" \
	AWS_SECRET_ACCESS_KEY="$(jq -r .Credentials.SecretAccessKey <<<"$OUT")" \
	AWS_SESSION_TOKEN="$(jq -r .Credentials.SessionToken <<<"$OUT")" \
	"${AWS[@]}" --endpoint-url "$EP" sts get-caller-identity
check "... is the assumed role" test "$(jq -r .Arn <<<"$OUT")" = \
	"arn:aws:sts::$ACCOUNT:assumed-role/q-reader/cli"
ok "the session over the JSON door: acm-pca describe-certificate-authority" \
	as_aws session.creds acm-pca describe-certificate-authority --certificate-authority-arn "$CA"
expect_error AccessDenied "the session has no iam rights" as_aws session.creds iam list-users
ok "boto3: assume_role, then the session against sts and acm-pca" \
	boto assume-role "arn:aws:iam::$ACCOUNT:role/q-reader"
ok "iam create-service-linked-role --aws-service-name acm.amazonaws.com" \
	awsx iam create-service-linked-role --aws-service-name acm.amazonaws.com
check "AWSServiceRoleForCertificateManager under aws-service-role/" test \
	"$(jq -r .Role.Arn <<<"$OUT")" = \
	"arn:aws:iam::$ACCOUNT:role/aws-service-role/acm.amazonaws.com/AWSServiceRoleForCertificateManager"
ok "iam list-roles" awsx iam list-roles
check "both roles listed" test \
	"$(jq -r '[.Roles[].RoleName] | sort | join(",")' <<<"$OUT")" = \
	"AWSServiceRoleForCertificateManager,q-reader"

# --- a deleted key is refused -----------------------------------------------------------
ok "iam delete-access-key" awsx iam delete-access-key --user-name alice --access-key-id "$ALICE_KEY"
expect_error InvalidClientTokenId "the deleted key: sts get-caller-identity" \
	as_aws alice.creds sts get-caller-identity
expect_error InvalidClientTokenId "... and iam" as_aws alice.creds iam get-user
still_serves "a deleted key"

# --- errors of the protocol --------------------------------------------------------------
ANS=$(raw --body "Version=2010-05-08")
check "no Action: 400 MissingAction, Sender, iam's namespace" test \
	"$(jq -r '"\(.status) \(.code) \(.type) \(.xmlns)"' <<<"$ANS")" = "400 MissingAction Sender $IAM_NS"
ANS=$(raw --body "Action=FlyAway&Version=2010-05-08")
check "an unknown Action: 400 InvalidAction" test "$(sc "$ANS")" = "400 InvalidAction"
check "... AWS's words" test "$(jq -r .message <<<"$ANS")" = \
	"Could not find operation FlyAway for version 2010-05-08"
ANS=$(raw --service sts --body "Action=ListUsers&Version=2011-06-15")
check "an iam Action signed for sts: 400 InvalidAction in sts's namespace" test \
	"$(jq -r '"\(.status) \(.code) \(.xmlns)"' <<<"$ANS")" = "400 InvalidAction $STS_NS"
ANS=$(raw --body "Action=ListUsers")
check "no Version: 400 InvalidAction" test "$(sc "$ANS")" = "400 InvalidAction"
still_serves "missing and unknown Actions"
ANS=$(raw --body "Action=ListUsers&&Version=2010-05-08")
check "a malformed form (empty parameter): 400 MalformedQueryString" test "$(sc "$ANS")" = \
	"400 MalformedQueryString"
ANS=$(raw --body "Action=ListUsers&Version=2010-05-08&Marker=%zz")
check "a bad %-escape: 400 MalformedQueryString" test "$(sc "$ANS")" = "400 MalformedQueryString"
ANS=$(raw --body "Action=ListUsers&Version=2010-05-08&MaxItems=ten")
check "a member of the wrong type: 400 InvalidParameterValue" test "$(sc "$ANS")" = \
	"400 InvalidParameterValue"
ANS=$(raw --body "Action=ListUsers&Version=2010-05-08&Bogus=1")
check "an unknown parameter: 400 InvalidParameterValue" test "$(sc "$ANS")" = \
	"400 InvalidParameterValue"
ANS=$(raw --body "Action=GetUserPolicy&Version=2010-05-08&UserName=alice")
check "a missing required member: 400 ValidationError naming it" test \
	"$(sc "$ANS") $(jq -r .message <<<"$ANS" | grep -c PolicyName)" = "400 ValidationError 1"
still_serves "malformed forms"
ANS=$(raw --get --body "Action=GetUser&Version=2010-05-08&UserName=alice")
check "GET /?Action=GetUser&...: 200, the same answer" test \
	"$(jq -r '"\(.status) \(.root)"' <<<"$ANS") $(jq -r .body <<<"$ANS" | grep -c '<UserName>alice</UserName>')" = \
	"200 GetUserResponse 1"
ANS=$(raw --get --body "Action=GetUser&Version=2010-05-08&UserName=nobody")
check "GET of a missing user: 404 NoSuchEntity" test "$(sc "$ANS")" = "404 NoSuchEntity"

# curl signs SigV4 itself (--aws-sigv4): a malformed body from another client
ADMIN_KEY=$(sed -n 's/^aws_access_key_id *= *//p' "$ADMIN_CREDS" | head -1)
ADMIN_SECRET=$(sed -n 's/^aws_secret_access_key *= *//p' "$ADMIN_CREDS" | head -1)
CODE=$(curl -s -o curl.out -w '%{http_code}' --aws-sigv4 "aws:amz:${AWS_DEFAULT_REGION:-us-east-1}:iam" \
	--user "$ADMIN_KEY:$ADMIN_SECRET" -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary 'Action=ListUsers&Version=2010-05-08&MaxItems' "$EP/")
check "curl --aws-sigv4, a parameter without '=': 400 MalformedQueryString" test \
	"$CODE $(grep -o '<Code>[A-Za-z]*</Code>' curl.out)" = "400 <Code>MalformedQueryString</Code>"
CODE=$(curl -s -o curl.out -w '%{http_code}' --aws-sigv4 "aws:amz:${AWS_DEFAULT_REGION:-us-east-1}:iam" \
	--user "$ADMIN_KEY:$ADMIN_SECRET" -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary 'Action=GetUser&Version=2010-05-08&UserName=alice' "$EP/")
check "curl --aws-sigv4, a good one: 200 GetUserResponse" test \
	"$CODE $(grep -c '<UserName>alice</UserName>' curl.out)" = "200 1"

CODE=$(curl -s -o curl.out -D headers.txt -w '%{http_code}' -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' \
	-d 'Action=ListUsers&Version=2010-05-08' "$EP/")
check "unsigned (curl): 403 MissingAuthenticationToken" test \
	"$CODE $(grep -o '<Code>[A-Za-z]*</Code>' curl.out)" = "403 <Code>MissingAuthenticationToken</Code>"
check "... text/xml with x-amzn-RequestId" test \
	"$(grep -ci -E '^(content-type: text/xml|x-amzn-RequestId: [0-9a-f-]{36})' headers.txt)" = 2
still_serves "an unsigned request"
# a form body over http-max-body: the query protocol's XML, in the namespace of the
# service the (here unverified) Authorization scope names, before and after the body
{ printf 'Action=ListUsers&Version=2010-05-08&Marker='; head -c 1100000 /dev/zero | tr '\0' a; } \
	>bigform.txt
CODE=$(curl -s -o big.out -w '%{http_code}' -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary @bigform.txt "$EP/")
check "a form body over http-max-body: 413 <Code>ValidationError</Code> in XML" test \
	"$CODE $(grep -o '<Code>[A-Za-z]*</Code>' big.out)" = "413 <Code>ValidationError</Code>"
check "... in iam's namespace" grep -q 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"' big.out
CODE=$(curl -s -o big.out -w '%{http_code}' -X POST -H 'Expect: 100-continue' \
	-H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \
	-H "Authorization: AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=$(printf '0%.0s' $(seq 64))" \
	--data-binary @bigform.txt "$EP/")
check "... also answered before the body (Expect: 100-continue), sts's namespace for an sts scope" \
	test "$CODE $(grep -c 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' big.out)" = "413 1"
still_serves "an oversized form body"

printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$ADMIN_KEY" \
	"wrongwrongwrongwrongwrongwrongwrongwrong" >wrong.creds
expect_error SignatureDoesNotMatch "aws CLI with a wrong secret (iam)" as_aws wrong.creds iam list-users
expect_error SignatureDoesNotMatch "aws CLI with a wrong secret (sts)" \
	as_aws wrong.creds sts get-caller-identity
ok "boto3 with a wrong secret: SignatureDoesNotMatch, 403" boto wrong-secret
still_serves "a wrong signature"
ok "boto3 with an unknown key: InvalidClientTokenId, 403" boto unknown-key
ANS=$(raw --body "Action=ListUsers&Version=2010-05-08" --skew -600)
check "signed 10 minutes ago: 403 SignatureDoesNotMatch 'Signature expired'" test \
	"$(sc "$ANS") $(jq -r .message <<<"$ANS" | cut -c1-18)" = \
	"403 SignatureDoesNotMatch Signature expired:"
ANS=$(raw --body "Action=ListUsers&Version=2010-05-08" --key AKIAUNKNOWNKEY000000 --secret x)
check "unknown key (raw): 403 InvalidClientTokenId" test "$(sc "$ANS")" = "403 InvalidClientTokenId"
still_serves "authentication errors"

check "pca-frontend still running" kill -0 "$(cat "$HSMCA_HOME/run/frontend.pid")"
it_done
