#!/usr/bin/env bash
# IAM as a user runs it with the pca CLI (the aws CLI's shapes and errors):
# users, access keys (a new key signs requests; an Inactive or deleted one
# is refused), inline policies (round trip, size quota, malformed
# documents), AWS managed policies and their attachments, roles, and the
# service-linked role of ACM. Every operation's happy path, then each typed
# error it can answer. The caller is the administrator account's root,
# which may do anything in its own account.
. "$(dirname "$0")/lib.sh"
it_up
cd "$WORK" || exit 1

ACCT=$(pca sts get-caller-identity 2>/dev/null | jq -r .Account)
if ! grep -Eq '^[0-9]{12}$' <<<"$ACCT"; then
	# sts may not be there yet: the root's ARN says the account too
	ACCT=$(pca iam get-user | jq -r .User.Arn | sed -n 's/^arn:aws:iam::\([0-9]*\):root$/\1/p')
fi
check "the administrator's account id is known" grep -Eq '^[0-9]{12}$' <<<"$ACCT"

# bob's credentials, in their own file and profile (as `aws configure` writes)
as_bob() {
	AWS_SHARED_CREDENTIALS_FILE=$WORK/bob.credentials AWS_PROFILE=bob "$@"
}
bob_profile() {	# key-id secret
	(umask 077 && printf '[bob]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$1" "$2" >"$WORK/bob.credentials")
}

# --- users ------------------------------------------------------------------------
ok "create-user bob" pca iam create-user --user-name bob
check "UserName bob, Path /" test "$(jq -r '.User | .UserName + " " + .Path' <<<"$OUT")" = "bob /"
check "UserId is AIDA + 17 base32 characters" grep -Eq '^AIDA[A-Z2-7]{17}$' \
	<<<"$(jq -r .User.UserId <<<"$OUT")"
check "Arn is arn:aws:iam::<account>:user/bob" \
	test "$(jq -r .User.Arn <<<"$OUT")" = "arn:aws:iam::$ACCT:user/bob"
check "CreateDate is set" test "$(jq -r .User.CreateDate <<<"$OUT")" != null
BOB_ID=$(jq -r .User.UserId <<<"$OUT")
expect_error EntityAlreadyExists "create-user bob again" pca iam create-user --user-name bob
check "... worded as AWS does" grep -q "User with name bob already exists." "$IT_TMP/stderr"
ok "create-user carol at path /eng/" pca iam create-user --user-name carol --path /eng/
check "carol's ARN has the path" test "$(jq -r .User.Arn <<<"$OUT")" = "arn:aws:iam::$ACCT:user/eng/carol"
expect_error ValidationError "a user name with a space" pca iam create-user --user-name "bad name"
expect_error ValidationError "a path without slashes" pca iam create-user --user-name dave --path eng
expect_param_error "a user name of 65 characters" pca iam create-user --user-name "$(printf 'u%.0s' {1..65})"
expect_error InvalidInput "permissions boundaries are refused" pca iam create-user --user-name dave \
	--permissions-boundary arn:aws:iam::aws:policy/ReadOnlyAccess

ok "get-user bob" pca iam get-user --user-name bob
check "the same user" test "$(jq -r .User.UserId <<<"$OUT")" = "$BOB_ID"
ok "get-user without a name: the caller (root)" pca iam get-user
check "the root's ARN and account id" test "$(jq -r '.User | .Arn + " " + .UserId' <<<"$OUT")" = \
	"arn:aws:iam::$ACCT:root $ACCT"
expect_error NoSuchEntity "get-user of nobody" pca iam get-user --user-name nobody
check "... worded as AWS does" grep -q "The user with name nobody cannot be found." "$IT_TMP/stderr"

ok "list-users" pca iam list-users
check "bob and carol, not truncated" test "$(jq -r '[.Users[].UserName] | join(",")' <<<"$OUT") $(jq -r .IsTruncated <<<"$OUT")" = "bob,carol false"
ok "list-users --max-items 1" pca iam list-users --max-items 1
check "one user, truncated, with a marker" test "$(jq -r '(.Users | length | tostring) + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "1 true"
MARKER=$(jq -r .Marker <<<"$OUT")
ok "list-users from the marker" pca iam list-users --marker "$MARKER" --max-items 1
check "the next user, and the end" test "$(jq -r '.Users[0].UserName + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "carol false"
ok "list-users --path-prefix /eng/" pca iam list-users --path-prefix /eng/
check "only carol" test "$(jq -r '[.Users[].UserName] | join(",")' <<<"$OUT")" = carol

# --- inline policies of users ---------------------------------------------------------
cat >bob-policy.json <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Self", "Effect": "Allow",
     "Action": ["iam:GetUser", "iam:ListAccessKeys", "iam:ListUserPolicies"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}
  ]
}
EOF
ok "put-user-policy" pca iam put-user-policy --user-name bob --policy-name self \
	--policy-document file://bob-policy.json
ok "get-user-policy" pca iam get-user-policy --user-name bob --policy-name self
check "the document comes back as given" test "$(jq -r .PolicyDocument <<<"$OUT")" = "$(cat bob-policy.json)"
check "with the user and policy names" test "$(jq -r '.UserName + " " + .PolicyName' <<<"$OUT")" = "bob self"
ok "put-user-policy replaces" pca iam put-user-policy --user-name bob --policy-name self \
	--policy-document file://bob-policy.json
ok "a second inline policy" pca iam put-user-policy --user-name bob --policy-name deny-ca \
	--policy-document '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"acm-pca:DeleteCertificateAuthority","Resource":"*"}}'
ok "list-user-policies" pca iam list-user-policies --user-name bob
check "both, by name" test "$(jq -r '.PolicyNames | join(",")' <<<"$OUT")" = "deny-ca,self"
ok "list-user-policies --max-items 1" pca iam list-user-policies --user-name bob --max-items 1
check "the first, truncated" test "$(jq -r '.PolicyNames[0] + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "deny-ca true"
ok "list-user-policies from the marker" pca iam list-user-policies --user-name bob \
	--marker "$(jq -r .Marker <<<"$OUT")"
check "the second, the end" test "$(jq -r '.PolicyNames[0] + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "self false"
expect_error MalformedPolicyDocument "a document that is not a policy" pca iam put-user-policy \
	--user-name bob --policy-name bad --policy-document '{"Statement": "nope"}'
expect_error MalformedPolicyDocument "not JSON" pca iam put-user-policy \
	--user-name bob --policy-name bad --policy-document 'this is not JSON'
expect_error MalformedPolicyDocument "an identity policy with a Principal" pca iam put-user-policy \
	--user-name bob --policy-name bad --policy-document \
	'{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"*"}}'
big_policy() {	# n actions -> a valid policy of about 26 * n characters
	local i acts=""
	for i in $(seq 1 "$1"); do acts="$acts\"acm-pca:GetCertificate$i\","; done
	printf '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[%s"iam:GetUser"],"Resource":"*"}}' "$acts"
}
big_policy 90 >big.json
expect_error LimitExceeded "an inline user policy over 2048 characters" pca iam put-user-policy \
	--user-name bob --policy-name big --policy-document file://big.json
check "... worded as AWS does" grep -q "Maximum policy size of 2048 bytes exceeded for user bob" "$IT_TMP/stderr"
big_policy 70 >half.json	# about 1980 characters: fits alone, not beside bob's two
expect_error LimitExceeded "all of a user's inline policies count together" pca iam put-user-policy \
	--user-name bob --policy-name half --policy-document file://half.json
ok "a large one fits where no other is" pca iam put-user-policy --user-name carol \
	--policy-name half --policy-document file://half.json
spaced=$(sed 's/,/ ,   /g' half.json)
ok "whitespace does not count" pca iam put-user-policy --user-name carol \
	--policy-name half --policy-document "$spaced"
expect_error NoSuchEntity "put-user-policy for nobody" pca iam put-user-policy --user-name nobody \
	--policy-name p --policy-document file://bob-policy.json
expect_error NoSuchEntity "get-user-policy of a policy that is not there" pca iam get-user-policy \
	--user-name bob --policy-name nothing
check "... worded as AWS does" grep -q "The user policy with name nothing cannot be found." "$IT_TMP/stderr"
expect_error ValidationError "a policy name with a slash" pca iam put-user-policy \
	--user-name bob --policy-name a/b --policy-document file://bob-policy.json

# --- access keys: a new key signs requests ------------------------------------------
ok "create-access-key for bob" pca iam create-access-key --user-name bob
KEY1=$(jq -r .AccessKey.AccessKeyId <<<"$OUT")
SECRET1=$(jq -r .AccessKey.SecretAccessKey <<<"$OUT")
check "AccessKeyId is AKIA + 16 base32 characters" grep -Eq '^AKIA[A-Z2-7]{16}$' <<<"$KEY1"
check "the secret has 40 characters" test "${#SECRET1}" -eq 40
check "Active, bob's" test "$(jq -r '.AccessKey | .Status + " " + .UserName' <<<"$OUT")" = "Active bob"
bob_profile "$KEY1" "$SECRET1"
ok "bob's new key authenticates: get-user as bob" as_bob pca iam get-user
check "bob sees himself" test "$(jq -r .User.Arn <<<"$OUT")" = "arn:aws:iam::$ACCT:user/bob"
ok "bob lists his own keys without naming himself" as_bob pca iam list-access-keys
check "his one key" test "$(jq -r '[.AccessKeyMetadata[].AccessKeyId] | join(",")' <<<"$OUT")" = "$KEY1"
ok "bob reads his own user policy names" as_bob pca iam list-user-policies --user-name bob
# his policy allows only reading himself: everything else is denied once
# the authorizer applies users' identity policies
expect_error AccessDenied "bob may not create users" as_bob pca iam create-user --user-name eve
expect_error AccessDenied "bob may not read carol" as_bob pca iam get-user --user-name carol
ok "a second key" pca iam create-access-key --user-name bob
KEY2=$(jq -r .AccessKey.AccessKeyId <<<"$OUT")
SECRET2=$(jq -r .AccessKey.SecretAccessKey <<<"$OUT")
expect_error LimitExceeded "a third key" pca iam create-access-key --user-name bob
check "... worded as AWS does" grep -q "Cannot exceed quota for AccessKeysPerUser: 2" "$IT_TMP/stderr"
expect_error NoSuchEntity "create-access-key for nobody" pca iam create-access-key --user-name nobody
ok "list-access-keys" pca iam list-access-keys --user-name bob
check "two keys, both Active" test "$(jq -r '[.AccessKeyMetadata[].Status] | join(",")' <<<"$OUT")" = "Active,Active"
check "no secrets in the list" test "$(jq -r '[.AccessKeyMetadata[] | has("SecretAccessKey")] | any' <<<"$OUT")" = false
ok "list-access-keys --max-items 1" pca iam list-access-keys --user-name bob --max-items 1
check "one, truncated" test "$(jq -r '(.AccessKeyMetadata | length | tostring) + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "1 true"

ok "update-access-key: Inactive" pca iam update-access-key --user-name bob --access-key-id "$KEY1" --status Inactive
ok "list-access-keys shows it" pca iam list-access-keys --user-name bob
check "KEY1 Inactive" test "$(jq -r --arg k "$KEY1" '.AccessKeyMetadata[] | select(.AccessKeyId == $k) | .Status' <<<"$OUT")" = Inactive
expect_error UnrecognizedClientException "an Inactive key is refused" as_bob pca iam get-user
ok "update-access-key: Active again" pca iam update-access-key --user-name bob --access-key-id "$KEY1" --status Active
ok "and it works again" as_bob pca iam get-user
expect_error NoSuchEntity "update-access-key of a key that is not there" pca iam update-access-key \
	--user-name bob --access-key-id AKIAAAAAAAAAAAAAAAAA --status Inactive
check "... worded as AWS does" grep -q "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found." "$IT_TMP/stderr"
expect_error NoSuchEntity "bob's key is not carol's" pca iam delete-access-key \
	--user-name carol --access-key-id "$KEY1"
expect_error NoSuchEntity "nor the root's" pca iam update-access-key --access-key-id "$KEY1" --status Inactive
expect_param_error "a status that is not one" pca iam update-access-key --user-name bob \
	--access-key-id "$KEY1" --status Sleeping

ok "delete-access-key" pca iam delete-access-key --user-name bob --access-key-id "$KEY1"
expect_error UnrecognizedClientException "a deleted key is refused" as_bob pca iam get-user
expect_error NoSuchEntity "delete-access-key twice" pca iam delete-access-key --user-name bob --access-key-id "$KEY1"

# the root's own keys (the administrator has one already)
ok "list-access-keys of the root" pca iam list-access-keys
NROOT=$(jq -r '.AccessKeyMetadata | length' <<<"$OUT")
check "the root has its key" test "$NROOT" -ge 1
check "root keys name no user" test "$(jq -r '[.AccessKeyMetadata[] | has("UserName") and .UserName != ""] | any' <<<"$OUT")" = false
if [ "$NROOT" -eq 1 ]; then
	ok "create-access-key for the root" pca iam create-access-key
	RKEY=$(jq -r .AccessKey.AccessKeyId <<<"$OUT")
	RSECRET=$(jq -r .AccessKey.SecretAccessKey <<<"$OUT")
	ok "the new root key authenticates" env AWS_ACCESS_KEY_ID="$RKEY" \
		AWS_SECRET_ACCESS_KEY="$RSECRET" AWS_PROFILE= AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		pca iam get-user
	check "as the root" test "$(jq -r .User.Arn <<<"$OUT")" = "arn:aws:iam::$ACCT:root"
	expect_error LimitExceeded "a third root key" pca iam create-access-key
	ok "delete the new root key" pca iam delete-access-key --access-key-id "$RKEY"
fi

# --- managed policies ----------------------------------------------------------------
RO=arn:aws:iam::aws:policy/ReadOnlyAccess
SLRP=arn:aws:iam::aws:policy/aws-service-role/CertificateManagerServiceRolePolicy
ok "attach-user-policy ReadOnlyAccess" pca iam attach-user-policy --user-name bob --policy-arn $RO
ok "attaching it again is no error" pca iam attach-user-policy --user-name bob --policy-arn $RO
ok "list-attached-user-policies" pca iam list-attached-user-policies --user-name bob
check "ReadOnlyAccess once" test "$(jq -c '.AttachedPolicies' <<<"$OUT")" = \
	"[{\"PolicyName\":\"ReadOnlyAccess\",\"PolicyArn\":\"$RO\"}]"
bob_profile "$KEY2" "$SECRET2"
ok "with it bob may list users (iam:List* of ReadOnlyAccess)" as_bob pca iam list-users
expect_error AccessDenied "but still not create them" as_bob pca iam create-user --user-name eve
expect_error NoSuchEntity "attach a policy that does not exist" pca iam attach-user-policy \
	--user-name bob --policy-arn arn:aws:iam::aws:policy/NoSuchPolicy
check "... worded as AWS does" grep -q "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable." "$IT_TMP/stderr"
expect_error InvalidInput "attach what is not an ARN" pca iam attach-user-policy \
	--user-name bob --policy-arn not-an-arn-of-any-kind
expect_error PolicyNotAttachable "a service role policy is not for users" pca iam attach-user-policy \
	--user-name bob --policy-arn $SLRP
expect_error NoSuchEntity "detach what is not attached" pca iam detach-user-policy \
	--user-name bob --policy-arn arn:aws:iam::aws:policy/IAMFullAccess
check "... worded as AWS does" grep -q "Policy arn:aws:iam::aws:policy/IAMFullAccess was not found." "$IT_TMP/stderr"
expect_error NoSuchEntity "attach to nobody" pca iam attach-user-policy --user-name nobody --policy-arn $RO
n=0
for p in $(pca iam list-policies --scope AWS | jq -r '.Policies[] | select(.Path == "/") | .Arn'); do
	pca iam attach-user-policy --user-name carol --policy-arn "$p" 2>"$IT_TMP/stderr" || break
	n=$((n + 1))
done
check "ten policies attach to carol, the eleventh does not" test "$n" -eq 10
check "... LimitExceeded" grep -q "(LimitExceeded)" "$IT_TMP/stderr"
ok "list-attached-user-policies --max-items 4" pca iam list-attached-user-policies --user-name carol --max-items 4
check "four, truncated" test "$(jq -r '(.AttachedPolicies | length | tostring) + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "4 true"

ok "get-policy ReadOnlyAccess" pca iam get-policy --policy-arn $RO
check "its name, path, version, AWS-like id" test "$(jq -r '.Policy | .PolicyName + " " + .Path + " " + .DefaultVersionId' <<<"$OUT")" = "ReadOnlyAccess / v1"
check "PolicyId is ANPA + 17" grep -Eq '^ANPA[A-Z2-7]{17}$' <<<"$(jq -r .Policy.PolicyId <<<"$OUT")"
check "attached to bob and carol" test "$(jq -r .Policy.AttachmentCount <<<"$OUT")" = 2
ok "get-policy-version v1" pca iam get-policy-version --policy-arn $RO --version-id v1
check "the document is JSON with statements" jq -e '.PolicyVersion.Document | fromjson | .Statement' <<<"$OUT"
expect_error NoSuchEntity "get-policy-version v2" pca iam get-policy-version --policy-arn $RO --version-id v2
expect_error NoSuchEntity "get-policy of an unknown policy" pca iam get-policy \
	--policy-arn arn:aws:iam::aws:policy/NoSuchPolicy
expect_error InvalidInput "get-policy of what is not an ARN" pca iam get-policy \
	--policy-arn not-an-arn-of-any-kind
ok "list-policies --only-attached" pca iam list-policies --only-attached
check "the ten of carol (ReadOnlyAccess among them)" test "$(jq -r '.Policies | length' <<<"$OUT")" -eq 10
ok "list-policies --scope Local" pca iam list-policies --scope Local
check "no customer managed policies" test "$(jq -r '.Policies | length' <<<"$OUT")" -eq 0
ok "list-policies --path-prefix /aws-service-role/" pca iam list-policies --path-prefix /aws-service-role/
check "the service role policy" test "$(jq -r '[.Policies[].PolicyName] | join(",")' <<<"$OUT")" = CertificateManagerServiceRolePolicy
ok "list-policies --max-items 2 and on from the marker" pca iam list-policies --max-items 2
M=$(jq -r .Marker <<<"$OUT")
FIRST=$(jq -r '[.Policies[].PolicyName] | join(",")' <<<"$OUT")
ok "the next page" pca iam list-policies --max-items 2 --marker "$M"
check "does not repeat the first" test -z "$(comm -12 <(tr , '\n' <<<"$FIRST" | sort) \
	<(jq -r '.Policies[].PolicyName' <<<"$OUT" | sort))"

# --- deleting a user: only when nothing hangs on it ----------------------------------
expect_error DeleteConflict "delete-user bob with an access key" pca iam delete-user --user-name bob
check "... must delete access keys first" grep -q "must delete access keys first" "$IT_TMP/stderr"
ok "delete bob's last key" pca iam delete-access-key --user-name bob --access-key-id "$KEY2"
expect_error DeleteConflict "delete-user bob with inline policies" pca iam delete-user --user-name bob
check "... must delete policies first" grep -q "must delete policies first" "$IT_TMP/stderr"
ok "delete-user-policy self" pca iam delete-user-policy --user-name bob --policy-name self
ok "delete-user-policy deny-ca" pca iam delete-user-policy --user-name bob --policy-name deny-ca
expect_error NoSuchEntity "delete-user-policy twice" pca iam delete-user-policy --user-name bob --policy-name self
expect_error DeleteConflict "delete-user bob with an attached policy" pca iam delete-user --user-name bob
check "... must detach all policies first" grep -q "must detach all policies first" "$IT_TMP/stderr"
ok "detach-user-policy" pca iam detach-user-policy --user-name bob --policy-arn $RO
ok "list-attached-user-policies: none" pca iam list-attached-user-policies --user-name bob
check "empty" test "$(jq -r '.AttachedPolicies | length' <<<"$OUT")" -eq 0
ok "delete-user bob" pca iam delete-user --user-name bob
expect_error NoSuchEntity "delete-user bob twice" pca iam delete-user --user-name bob
expect_error NoSuchEntity "get-user bob after" pca iam get-user --user-name bob
ok "bob can be created again" pca iam create-user --user-name bob
check "with a new id" test "$(jq -r .User.UserId <<<"$OUT")" != "$BOB_ID"

# --- roles ---------------------------------------------------------------------------
cat >trust.json <<EOF
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::$ACCT:root"},
                "Action": "sts:AssumeRole"}]}
EOF
ok "create-role" pca iam create-role --role-name issuer --assume-role-policy-document file://trust.json \
	--description "issues certificates"
check "RoleId is AROA + 17" grep -Eq '^AROA[A-Z2-7]{17}$' <<<"$(jq -r .Role.RoleId <<<"$OUT")"
check "Arn, Path, MaxSessionDuration 3600" test "$(jq -r '.Role | .Arn + " " + .Path + " " + (.MaxSessionDuration | tostring)' <<<"$OUT")" = \
	"arn:aws:iam::$ACCT:role/issuer / 3600"
check "the trust policy as given" test "$(jq -r .Role.AssumeRolePolicyDocument <<<"$OUT")" = "$(cat trust.json)"
expect_error EntityAlreadyExists "create-role again" pca iam create-role --role-name issuer \
	--assume-role-policy-document file://trust.json
check "... worded as AWS does" grep -q "Role with name issuer already exists." "$IT_TMP/stderr"
ok "create-role with a path and a longer session" pca iam create-role --role-name auditor --path /audit/ \
	--assume-role-policy-document file://trust.json --max-session-duration 43200
check "its ARN and duration" test "$(jq -r '.Role | .Arn + " " + (.MaxSessionDuration | tostring)' <<<"$OUT")" = \
	"arn:aws:iam::$ACCT:role/audit/auditor 43200"
expect_param_error "MaxSessionDuration under an hour" pca iam create-role --role-name r1 \
	--assume-role-policy-document file://trust.json --max-session-duration 600
expect_error MalformedPolicyDocument "a trust policy with a Resource" pca iam create-role --role-name r1 \
	--assume-role-policy-document '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}}'
expect_error MalformedPolicyDocument "a trust policy without a Principal" pca iam create-role --role-name r1 \
	--assume-role-policy-document '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}'
expect_error MalformedPolicyDocument "a trust policy granting another action" pca iam create-role --role-name r1 \
	--assume-role-policy-document '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"iam:GetUser"}}'
expect_error ValidationError "a role name with a space" pca iam create-role --role-name "bad role" \
	--assume-role-policy-document file://trust.json
expect_error InvalidInput "the service-linked path is reserved" pca iam create-role --role-name r1 \
	--path /aws-service-role/acm.amazonaws.com/ --assume-role-policy-document file://trust.json
ok "get-role" pca iam get-role --role-name issuer
check "its description" test "$(jq -r .Role.Description <<<"$OUT")" = "issues certificates"
expect_error NoSuchEntity "get-role of nothing" pca iam get-role --role-name nothing
check "... worded as AWS does" grep -q "The role with name nothing cannot be found." "$IT_TMP/stderr"
ok "list-roles" pca iam list-roles
check "auditor and issuer" test "$(jq -r '[.Roles[].RoleName] | join(",")' <<<"$OUT")" = "auditor,issuer"
ok "list-roles --path-prefix /audit/" pca iam list-roles --path-prefix /audit/
check "auditor" test "$(jq -r '[.Roles[].RoleName] | join(",")' <<<"$OUT")" = auditor
ok "list-roles --max-items 1" pca iam list-roles --max-items 1
ok "and from its marker" pca iam list-roles --marker "$(jq -r .Marker <<<"$OUT")"
check "issuer, the end" test "$(jq -r '(.Roles | map(.RoleName) | join(",")) + " " + (.IsTruncated | tostring)' <<<"$OUT")" = "issuer false"

sed 's/:root/:user\/bob/' trust.json >trust2.json
ok "update-assume-role-policy" pca iam update-assume-role-policy --role-name issuer --policy-document file://trust2.json
ok "get-role shows it" pca iam get-role --role-name issuer
check "the new trust policy" test "$(jq -r .Role.AssumeRolePolicyDocument <<<"$OUT")" = "$(cat trust2.json)"
expect_error MalformedPolicyDocument "update-assume-role-policy with an identity policy" \
	pca iam update-assume-role-policy --role-name issuer --policy-document file://bob-policy.json
expect_error NoSuchEntity "update-assume-role-policy of nothing" \
	pca iam update-assume-role-policy --role-name nothing --policy-document file://trust.json
big_policy 90 | sed 's/"Action":\[/"Principal":{"AWS":"*"},"Action":["sts:AssumeRole",/; s/,"Resource":"\*"//' >bigtrust.json
expect_error LimitExceeded "a trust policy over 2048 characters" \
	pca iam update-assume-role-policy --role-name issuer --policy-document file://bigtrust.json

cat >issue.json <<'EOF'
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow", "Action": "acm-pca:IssueCertificate", "Resource": "*"}]}
EOF
ok "put-role-policy" pca iam put-role-policy --role-name issuer --policy-name issue --policy-document file://issue.json
ok "get-role-policy" pca iam get-role-policy --role-name issuer --policy-name issue
check "round trip" test "$(jq -r .PolicyDocument <<<"$OUT")" = "$(cat issue.json)"
check "names" test "$(jq -r '.RoleName + " " + .PolicyName' <<<"$OUT")" = "issuer issue"
ok "list-role-policies" pca iam list-role-policies --role-name issuer
check "issue" test "$(jq -r '.PolicyNames | join(",")' <<<"$OUT")" = issue
ok "a role takes more than a user (10240)" pca iam put-role-policy --role-name issuer \
	--policy-name big --policy-document file://big.json
big_policy 400 >huge.json
expect_error LimitExceeded "but not over 10240" pca iam put-role-policy --role-name issuer \
	--policy-name huge --policy-document file://huge.json
check "... worded as AWS does" grep -q "Maximum policy size of 10240 bytes exceeded for role issuer" "$IT_TMP/stderr"
expect_error MalformedPolicyDocument "put-role-policy with a malformed document" pca iam put-role-policy \
	--role-name issuer --policy-name bad --policy-document '{"Version":"2012-10-17"}'
expect_error NoSuchEntity "get-role-policy of nothing" pca iam get-role-policy --role-name issuer --policy-name nothing
check "... worded as AWS does" grep -q "The role policy with name nothing cannot be found." "$IT_TMP/stderr"
ok "attach-role-policy" pca iam attach-role-policy --role-name issuer \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAUser
ok "list-attached-role-policies" pca iam list-attached-role-policies --role-name issuer
check "AWSCertificateManagerPrivateCAUser" test "$(jq -r '[.AttachedPolicies[].PolicyName] | join(",")' <<<"$OUT")" = \
	AWSCertificateManagerPrivateCAUser
expect_error PolicyNotAttachable "a service role policy is not for customer roles" pca iam attach-role-policy \
	--role-name issuer --policy-arn $SLRP
check "... worded as AWS does" grep -q "Cannot attach a Service Role Policy to a Customer Role." "$IT_TMP/stderr"
expect_error NoSuchEntity "attach-role-policy to nothing" pca iam attach-role-policy --role-name nothing --policy-arn $RO
expect_error DeleteConflict "delete-role with inline policies" pca iam delete-role --role-name issuer
check "... must delete policies first" grep -q "must delete policies first" "$IT_TMP/stderr"
ok "delete-role-policy issue" pca iam delete-role-policy --role-name issuer --policy-name issue
ok "delete-role-policy big" pca iam delete-role-policy --role-name issuer --policy-name big
expect_error NoSuchEntity "delete-role-policy twice" pca iam delete-role-policy --role-name issuer --policy-name big
expect_error DeleteConflict "delete-role with an attached policy" pca iam delete-role --role-name issuer
check "... must detach all policies first" grep -q "must detach all policies first" "$IT_TMP/stderr"
ok "detach-role-policy" pca iam detach-role-policy --role-name issuer \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAUser
expect_error NoSuchEntity "detach-role-policy twice" pca iam detach-role-policy --role-name issuer \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAUser
ok "delete-role" pca iam delete-role --role-name issuer
expect_error NoSuchEntity "delete-role twice" pca iam delete-role --role-name issuer

# --- the service-linked role of ACM ---------------------------------------------------
SLR=AWSServiceRoleForCertificateManager
ok "create-service-linked-role acm.amazonaws.com" pca iam create-service-linked-role \
	--aws-service-name acm.amazonaws.com
check "its name, path and ARN" test "$(jq -r '.Role | .RoleName + " " + .Path + " " + .Arn' <<<"$OUT")" = \
	"$SLR /aws-service-role/acm.amazonaws.com/ arn:aws:iam::$ACCT:role/aws-service-role/acm.amazonaws.com/$SLR"
check "trusted by ACM" test "$(jq -r '.Role.AssumeRolePolicyDocument | fromjson | .Statement[0].Principal.Service' <<<"$OUT")" = acm.amazonaws.com
ok "it has ACM's policy attached" pca iam list-attached-role-policies --role-name $SLR
check "CertificateManagerServiceRolePolicy" test "$(jq -r '[.AttachedPolicies[].PolicyArn] | join(",")' <<<"$OUT")" = "$SLRP"
expect_error InvalidInput "create-service-linked-role twice" pca iam create-service-linked-role \
	--aws-service-name acm.amazonaws.com
check "... has been taken" grep -q "Service role name $SLR has been taken in this account" "$IT_TMP/stderr"
expect_error InvalidInput "a service without one" pca iam create-service-linked-role \
	--aws-service-name nothing.amazonaws.com
expect_error InvalidInput "a custom suffix ACM does not take" pca iam create-service-linked-role \
	--aws-service-name acm.amazonaws.com --custom-suffix x
expect_error UnmodifiableEntity "its trust policy cannot change" pca iam update-assume-role-policy \
	--role-name $SLR --policy-document file://trust.json
check "... worded as AWS does" grep -q "Cannot perform the operation on the protected role '$SLR' - this role is only modifiable by AWS" "$IT_TMP/stderr"
expect_error UnmodifiableEntity "nor its inline policies" pca iam put-role-policy --role-name $SLR \
	--policy-name p --policy-document file://issue.json
expect_error UnmodifiableEntity "nor its attachments" pca iam attach-role-policy --role-name $SLR --policy-arn $RO
expect_error UnmodifiableEntity "nor detach its policy" pca iam detach-role-policy --role-name $SLR --policy-arn "$SLRP"
expect_error UnmodifiableEntity "delete-role does not delete it" pca iam delete-role --role-name $SLR
ok "get-role of it" pca iam get-role --role-name $SLR
ok "delete-service-linked-role" pca iam delete-service-linked-role --role-name $SLR
check "a deletion task id" grep -Eq "^task/aws-service-role/acm.amazonaws.com/$SLR/[0-9a-f-]{36}\$" \
	<<<"$(jq -r .DeletionTaskId <<<"$OUT")"
expect_error NoSuchEntity "it is gone" pca iam get-role --role-name $SLR
expect_error NoSuchEntity "delete-service-linked-role twice" pca iam delete-service-linked-role --role-name $SLR
expect_error InvalidInput "delete-service-linked-role of a customer role" \
	pca iam delete-service-linked-role --role-name auditor
ok "it can be created again" pca iam create-service-linked-role --aws-service-name acm.amazonaws.com

# --- the frontend is still well ------------------------------------------------------
ok "get-status after all that" pca hsmca get-status

it_done
