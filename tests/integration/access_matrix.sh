#!/usr/bin/env bash
# Who may do what to a CA: the scenario matrix of the policy engine, run
# with the pca CLI against real daemons.
#  - single account (seed case 1): an issuer user allowed only
#    acm-pca:IssueCertificate on one CA issues from it and from nothing
#    else, and cannot administer it;
#  - a CA permission for acm.amazonaws.com lets no human principal issue;
#  - cross account through a resource policy naming an account, one user,
#    an organization (aws:PrincipalOrgID) and an OU path
#    (aws:PrincipalOrgPaths), each only when the caller's own identity
#    policy allows too; explicit Deny in either policy wins;
#  - a resource policy never lets another account administer the CA;
#  - removing a policy or permission takes effect on the next request;
#  - malformed, oversized and over-broad policies are refused, typed;
#  - assumed-role credentials stop working when they expire (test clock);
#  - every decision is in the audit log, whose hash chain verifies.
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
	-out leaf.csr -subj "/CN=leaf.example" 2>/dev/null
issue() {	# issue CA-ARN [extra args]: IssueCertificate of leaf.csr
	local ca=$1
	shift
	pca acm-pca issue-certificate --certificate-authority-arn "$ca" --csr fileb://leaf.csr \
		--signing-algorithm SHA256WITHECDSA --validity Value=7,Type=DAYS "$@"
}

A=$(pca sts get-caller-identity | jq -r .Account)
check "the administrator's account is known" grep -Eq '^[0-9]{12}$' <<<"$A"
CA1=$(make_root_ca ca-one)
CA2=$(make_root_ca ca-two)
check "two ACTIVE root CAs" test -n "$CA1" -a -n "$CA2"

# --- seed case 1: an issuer in the CA owner's account ----------------------
ok "create user issuer" pca iam create-user --user-name issuer
cat >issuer-policy.json <<EOF
{"Version":"2012-10-17","Statement":[{"Sid":"IssueFromOne","Effect":"Allow",
 "Action":["acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":"$CA1"}]}
EOF
ok "give issuer IssueCertificate on CA1 only" pca iam put-user-policy --user-name issuer \
	--policy-name issue-one --policy-document file://issuer-policy.json
key_file issuer issuer.creds
ok "issuer issues from CA1" as issuer.creds issue "$CA1"
CERT=$(jq -r .CertificateArn <<<"$OUT")
ok "issuer gets that certificate" as issuer.creds pca acm-pca get-certificate \
	--certificate-authority-arn "$CA1" --certificate-arn "$CERT"
expect_error AccessDeniedException "issuer cannot issue from CA2" as issuer.creds issue "$CA2"
expect_error AccessDeniedException "issuer cannot PutPolicy on CA1" as issuer.creds \
	pca acm-pca put-policy --resource-arn "$CA1" --policy '{"Version":"2012-10-17","Statement":[]}'
expect_error AccessDeniedException "issuer cannot CreatePermission on CA1" as issuer.creds \
	pca acm-pca create-permission --certificate-authority-arn "$CA1" \
	--principal acm.amazonaws.com --actions IssueCertificate GetCertificate ListPermissions
expect_error AccessDeniedException "issuer cannot update CA1" as issuer.creds \
	pca acm-pca update-certificate-authority --certificate-authority-arn "$CA1" --status DISABLED
expect_error AccessDeniedException "issuer cannot delete CA1" as issuer.creds \
	pca acm-pca delete-certificate-authority --certificate-authority-arn "$CA1" \
	--permanent-deletion-time-in-days 7
check "the denial names the missing identity Allow" grep -q "identity-based policy" <<<"$(cat "$IT_TMP/stderr")"
ok "CA1 is still ACTIVE" pca acm-pca describe-certificate-authority --certificate-authority-arn "$CA1"
check "CA1 ACTIVE" test "$(jq -r .CertificateAuthority.Status <<<"$OUT")" = ACTIVE
cat >deny-one.json <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"acm-pca:IssueCertificate","Resource":"$CA1"}]}
EOF
ok "add an explicit Deny to issuer's identity" pca iam put-user-policy --user-name issuer \
	--policy-name deny-one --policy-document file://deny-one.json
expect_error AccessDeniedException "the identity Deny wins over the Allow (next request)" \
	as issuer.creds issue "$CA1"
ok "remove the Deny" pca iam delete-user-policy --user-name issuer --policy-name deny-one
ok "issuer issues again" as issuer.creds issue "$CA1"

# --- a managed policy, attached -------------------------------------------
ok "create user pca-user" pca iam create-user --user-name pca-user
ok "attach AWSCertificateManagerPrivateCAUser" pca iam attach-user-policy --user-name pca-user \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAUser
key_file pca-user pca-user.creds
ok "pca-user issues an end-entity certificate from CA2" as pca-user.creds issue "$CA2"
expect_error AccessDeniedException "pca-user may not issue a CA certificate (the policy's Deny)" \
	as pca-user.creds issue "$CA2" --template-arn arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1
expect_error AccessDeniedException "pca-user cannot update CA2" as pca-user.creds \
	pca acm-pca update-certificate-authority --certificate-authority-arn "$CA2" --status DISABLED
ok "detach it" pca iam detach-user-policy --user-name pca-user \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAUser
expect_error AccessDeniedException "detached: pca-user issues nothing" as pca-user.creds issue "$CA2"

# the managed-certificate service's linked role, through a condition on
# iam:AWSServiceName in AWSCertificateManagerFullAccess
ok "create user acm-admin" pca iam create-user --user-name acm-admin
ok "attach AWSCertificateManagerFullAccess" pca iam attach-user-policy --user-name acm-admin \
	--policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerFullAccess
key_file acm-admin acm-admin.creds
ok "acm-admin creates the ACM service-linked role" as acm-admin.creds \
	pca iam create-service-linked-role --aws-service-name acm.amazonaws.com
expect_error AccessDenied "pca-user (no such policy) may not" as pca-user.creds \
	pca iam create-service-linked-role --aws-service-name acm.amazonaws.com

# --- a CA permission for the managed-certificate service -------------------
ok "create-permission for acm.amazonaws.com" pca acm-pca create-permission \
	--certificate-authority-arn "$CA1" --principal acm.amazonaws.com \
	--actions IssueCertificate GetCertificate ListPermissions
ok "list-permissions" pca acm-pca list-permissions --certificate-authority-arn "$CA1"
check "one permission, three actions, principal acm.amazonaws.com" test \
	"$(jq -r '.Permissions | length, .[0].Principal, (.[0].Actions | length)' <<<"$OUT" | tr '\n' ' ')" \
	= "1 acm.amazonaws.com 3 "
expect_error PermissionAlreadyExistsException "the same permission twice" pca acm-pca create-permission \
	--certificate-authority-arn "$CA1" --principal acm.amazonaws.com --actions IssueCertificate
expect_error InvalidRequestException "only acm.amazonaws.com can be a permission's principal" \
	pca acm-pca create-permission --certificate-authority-arn "$CA1" \
	--principal "arn:aws:iam::$A:root" --actions IssueCertificate
ok "create user nobody" pca iam create-user --user-name nobody
key_file nobody nobody.creds
expect_error AccessDeniedException "the service's permission lets no human principal issue" \
	as nobody.creds issue "$CA1"

# --- another account -------------------------------------------------------
ok "add a standalone account B" "$BUILD/frontend/pca-frontend" -c "$HSMCA_HOME/frontend.conf" \
	add-account --credentials-file "$WORK/b.creds" --profile default --name team-b
B=$(as b.creds pca sts get-caller-identity | jq -r .Account)
check "B is another account" test -n "$B" -a "$B" != "$A"
expect_error AccessDeniedException "B cannot issue from CA1 without a policy" as b.creds issue "$CA1"
expect_error AccessDeniedException "B cannot describe CA1 without a policy" as b.creds \
	pca acm-pca describe-certificate-authority --certificate-authority-arn "$CA1"

# the account grant of API.md 3.7, verbatim apart from the principal and the ARN
cat >account-grant.json <<EOF
{"Version":"2012-10-17",
 "Statement":[
  {"Sid":"1","Effect":"Allow","Principal":{"AWS":"$B"},
   "Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate",
             "acm-pca:GetCertificateAuthorityCertificate","acm-pca:ListPermissions","acm-pca:ListTags"],
   "Resource":"$CA1"},
  {"Sid":"1","Effect":"Allow","Principal":{"AWS":"$B"},
   "Action":["acm-pca:IssueCertificate"],
   "Resource":"$CA1",
   "Condition":{"StringEquals":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}}}]}
EOF
ok "put the account grant (duplicate Sids)" pca acm-pca put-policy --resource-arn "$CA1" \
	--policy file://account-grant.json
ok "get-policy returns it" pca acm-pca get-policy --resource-arn "$CA1"
check "the same document" test "$(jq -r .Policy <<<"$OUT" | jq -cS .)" = "$(jq -cS . account-grant.json)"
ok "B's root issues from CA1" as b.creds issue "$CA1"
ok "B's root describes CA1" as b.creds pca acm-pca describe-certificate-authority \
	--certificate-authority-arn "$CA1"
ok "B lists the CAs shared with it" as b.creds pca acm-pca list-certificate-authorities \
	--resource-owner OTHER_ACCOUNTS
check "CA1 and only CA1" test "$(jq -r '[.CertificateAuthorities[].Arn] | join(" ")' <<<"$OUT")" = "$CA1"
ok "B's own list is empty" as b.creds pca acm-pca list-certificate-authorities
check "no CA of B's own" test "$(jq -r '.CertificateAuthorities | length' <<<"$OUT")" = 0
expect_error AccessDeniedException "B may not use a CA template the policy does not grant" \
	as b.creds issue "$CA1" --template-arn arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1
expect_error AccessDeniedException "B cannot issue from CA2 (no policy there)" as b.creds issue "$CA2"
for op in "update-certificate-authority --status DISABLED" \
	"delete-certificate-authority --permanent-deletion-time-in-days 7" \
	"create-permission --principal acm.amazonaws.com --actions IssueCertificate"; do
	# shellcheck disable=SC2086
	expect_error AccessDeniedException "a resource policy never lets B administer: ${op%% *}" \
		as b.creds pca acm-pca $op --certificate-authority-arn "$CA1"
done
expect_error AccessDeniedException "B cannot replace CA1's policy" as b.creds \
	pca acm-pca put-policy --resource-arn "$CA1" --policy file://account-grant.json
expect_error AccessDeniedException "B cannot delete CA1's policy" as b.creds \
	pca acm-pca delete-policy --resource-arn "$CA1"

ok "B creates user b-issuer" as b.creds pca iam create-user --user-name b-issuer
key_file b-issuer b-issuer.creds "$WORK/b.creds"
expect_error AccessDeniedException "cross account: b-issuer without an identity Allow is denied" \
	as b-issuer.creds issue "$CA1"
cat >issue-any.json <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:IssueCertificate","Resource":"*"}]}
EOF
ok "B allows b-issuer to issue anywhere" as b.creds pca iam put-user-policy --user-name b-issuer \
	--policy-name issue-any --policy-document file://issue-any.json
ok "cross account: b-issuer with both Allows issues from CA1" as b-issuer.creds issue "$CA1"
expect_error AccessDeniedException "b-issuer's identity Allow is not enough for CA2" \
	as b-issuer.creds issue "$CA2"

# one user of B, by ARN
ok "B creates user b-special" as b.creds pca iam create-user --user-name b-special
ok "B allows b-special to issue anywhere" as b.creds pca iam put-user-policy --user-name b-special \
	--policy-name issue-any --policy-document file://issue-any.json
key_file b-special b-special.creds "$WORK/b.creds"
cat >user-grant.json <<EOF
{"Version":"2012-10-17","Statement":[{"Sid":"OneUser","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::$B:user/b-special"},"Action":"acm-pca:IssueCertificate","Resource":"$CA2"}]}
EOF
ok "CA2 grants one user of B" pca acm-pca put-policy --resource-arn "$CA2" --policy file://user-grant.json
ok "b-special issues from CA2" as b-special.creds issue "$CA2"
# a user with a path is named by its whole ARN (user/pki/ops/b-pathed), as AWS does
ok "B creates user b-pathed under /pki/ops/" as b.creds pca iam create-user --user-name b-pathed \
	--path /pki/ops/
ok "B allows b-pathed to issue anywhere" as b.creds pca iam put-user-policy --user-name b-pathed \
	--policy-name issue-any --policy-document file://issue-any.json
key_file b-pathed b-pathed.creds "$WORK/b.creds"
ok "b-pathed: get-caller-identity" as b-pathed.creds pca sts get-caller-identity
check "... its ARN carries the path" test "$(jq -r .Arn <<<"$OUT")" = \
	"arn:aws:iam::$B:user/pki/ops/b-pathed"
cat >path-grant.json <<EOF
{"Version":"2012-10-17","Statement":[{"Sid":"OneUser","Effect":"Allow",
 "Principal":{"AWS":["arn:aws:iam::$B:user/b-special","arn:aws:iam::$B:user/b-pathed"]},
 "Action":"acm-pca:IssueCertificate","Resource":"$CA2"}]}
EOF
ok "CA2 names b-pathed without its path" pca acm-pca put-policy --resource-arn "$CA2" \
	--policy file://path-grant.json
expect_error AccessDeniedException "... which is not b-pathed's ARN" as b-pathed.creds issue "$CA2"
sed -i 's|user/b-pathed|user/pki/ops/b-pathed|' path-grant.json
ok "CA2 names b-pathed by its ARN" pca acm-pca put-policy --resource-arn "$CA2" \
	--policy file://path-grant.json
ok "b-pathed issues from CA2" as b-pathed.creds issue "$CA2"
ok "CA2 back to b-special alone" pca acm-pca put-policy --resource-arn "$CA2" --policy file://user-grant.json
expect_error AccessDeniedException "b-issuer (same account, not named) cannot" as b-issuer.creds issue "$CA2"
expect_error AccessDeniedException "B's root (not named) cannot" as b.creds issue "$CA2"

# explicit Deny in the resource policy
cat >deny-b.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"IssueB","Effect":"Allow","Principal":{"AWS":"$B"},"Action":"acm-pca:IssueCertificate","Resource":"$CA1"},
 {"Sid":"NotSpecial","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::$B:user/b-issuer"},
  "Action":"acm-pca:IssueCertificate","Resource":"$CA1"}]}
EOF
ok "CA1: allow B but deny b-issuer" pca acm-pca put-policy --resource-arn "$CA1" --policy file://deny-b.json
expect_error AccessDeniedException "the resource policy's Deny wins over both Allows" as b-issuer.creds issue "$CA1"
check "the denial names the explicit deny" grep -q "explicit deny" <<<"$(cat "$IT_TMP/stderr")"
ok "B's root still issues" as b.creds issue "$CA1"

# a removed policy takes effect on the next request
ok "delete CA1's policy" pca acm-pca delete-policy --resource-arn "$CA1"
expect_error AccessDeniedException "B is denied on the next request" as b.creds issue "$CA1"
expect_error ResourceNotFoundException "get-policy of a CA without one" pca acm-pca get-policy --resource-arn "$CA1"
expect_error ResourceNotFoundException "delete-policy of a CA without one" pca acm-pca delete-policy --resource-arn "$CA1"

# --- bad policies -----------------------------------------------------------
expect_error InvalidPolicyException "a policy that is not JSON" pca acm-pca put-policy \
	--resource-arn "$CA1" --policy '{"Version":'
python3 - "$B" "$CA1" >big.json <<'EOF'
import json, sys
st = [{"Sid": "S%d" % i, "Effect": "Allow", "Principal": {"AWS": sys.argv[1]},
       "Action": "acm-pca:GetCertificate", "Resource": sys.argv[2]} for i in range(500)]
print(json.dumps({"Version": "2012-10-17", "Statement": st}))
EOF
check "the oversized policy is over 81920 characters" test "$(wc -c <big.json)" -gt 81920
expect_param_error "an oversized policy is refused before it is sent (the server's own check: bad_input)" \
	pca acm-pca put-policy --resource-arn "$CA1" --policy file://big.json
for bad in '"acm-pca:*"' '"*"' '"acm-pca:UpdateCertificateAuthority"' '"acm-pca:PutPolicy"'; do
	printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},"Action":%s,"Resource":"%s"}]}' \
		"$B" "$bad" "$CA1" >broad.json
	expect_error InvalidPolicyException "an over-broad grant: $bad" pca acm-pca put-policy \
		--resource-arn "$CA1" --policy file://broad.json
done
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"acm-pca:IssueCertificate","Resource":"%s"}]}' \
	"$CA1" >public.json
expect_error InvalidPolicyException "an unconditional Principal * " pca acm-pca put-policy \
	--resource-arn "$CA1" --policy file://public.json
expect_error InvalidPolicyException "a principal that is not an account, user or role" \
	pca acm-pca put-policy --resource-arn "$CA1" --policy \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"acm-pca:GetCertificate"}]}'
ok "the service still serves" pca acm-pca describe-certificate-authority --certificate-authority-arn "$CA1"

# --- organizations and OU paths ---------------------------------------------
ok "create an organization" pca organizations create-organization --feature-set ALL
ORG=$(jq -r .Organization.Id <<<"$OUT")
ok "list roots" pca organizations list-roots
ROOT_ID=$(jq -r '.Roots[0].Id' <<<"$OUT")
ok "create OU engineering" pca organizations create-organizational-unit --parent-id "$ROOT_ID" --name engineering
OU_ENG=$(jq -r .OrganizationalUnit.Id <<<"$OUT")
ok "create nested OU platform" pca organizations create-organizational-unit --parent-id "$OU_ENG" --name platform
OU_PLAT=$(jq -r .OrganizationalUnit.Id <<<"$OUT")
ok "create member account C" pca organizations create-account --email c@example.com --account-name team-c
C=$(jq -r .CreateAccountStatus.AccountId <<<"$OUT")
check "C is a 12-digit account" grep -Eq '^[0-9]{12}$' <<<"$C"
ok "move C into engineering/platform" pca organizations move-account --account-id "$C" \
	--source-parent-id "$ROOT_ID" --destination-parent-id "$OU_PLAT"
ok "assume OrganizationAccountAccessRole in C" pca sts assume-role \
	--role-arn "arn:aws:iam::$C:role/OrganizationAccountAccessRole" --role-session-name ops
session_file c.creds "$OUT"
ok "the session is C's" as c.creds pca sts get-caller-identity
check "assumed-role ARN in C" test "$(jq -r .Arn <<<"$OUT")" = \
	"arn:aws:sts::$C:assumed-role/OrganizationAccountAccessRole/ops"
expect_error AccessDenied "B cannot assume C's role" as b.creds pca sts assume-role \
	--role-arn "arn:aws:iam::$C:role/OrganizationAccountAccessRole" --role-session-name intruder

cat >org-grant.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"OrgRead","Effect":"Allow","Principal":"*",
  "Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate"],"Resource":"$CA1",
  "Condition":{"StringEquals":{"aws:PrincipalOrgID":"$ORG"},"StringNotEquals":{"aws:PrincipalAccount":"$A"}}},
 {"Sid":"OrgIssue","Effect":"Allow","Principal":"*","Action":"acm-pca:IssueCertificate","Resource":"$CA1",
  "Condition":{"StringEquals":{"aws:PrincipalOrgID":"$ORG",
   "acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"},
   "StringNotEquals":{"aws:PrincipalAccount":"$A"}}}]}
EOF
ok "CA1 grants the organization" pca acm-pca put-policy --resource-arn "$CA1" --policy file://org-grant.json
ok "C's role session (AdministratorAccess) issues from CA1" as c.creds issue "$CA1"
expect_error AccessDeniedException "B, outside the organization, cannot" as b.creds issue "$CA1"

cat >ou-grant.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"PlatformIssue","Effect":"Allow","Principal":"*","Action":"acm-pca:IssueCertificate","Resource":"$CA2",
  "Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"$ORG/$ROOT_ID/$OU_ENG/*"}}}]}
EOF
ok "CA2 grants the engineering OU path" pca acm-pca put-policy --resource-arn "$CA2" --policy file://ou-grant.json
ok "C under engineering/platform issues from CA2" as c.creds issue "$CA2"
ok "move C back to the root" pca organizations move-account --account-id "$C" \
	--source-parent-id "$OU_PLAT" --destination-parent-id "$ROOT_ID"
expect_error AccessDeniedException "C outside the OU is denied on the next request" as c.creds issue "$CA2"

# --- the invitation path ------------------------------------------------------
ok "invite B" pca organizations invite-account-to-organization --target Id="$B",Type=ACCOUNT
HS=$(jq -r .Handshake.Id <<<"$OUT")
ok "B accepts" as b.creds pca organizations accept-handshake --handshake-id "$HS"
ok "B, now in the organization, issues from CA1 through the org grant" as b.creds issue "$CA1"

# --- CA permissions: removal takes effect ------------------------------------
ok "delete-permission" pca acm-pca delete-permission --certificate-authority-arn "$CA1" \
	--principal acm.amazonaws.com
ok "list-permissions after" pca acm-pca list-permissions --certificate-authority-arn "$CA1"
check "no permission left" test "$(jq -r '.Permissions | length' <<<"$OUT")" = 0
expect_error ResourceNotFoundException "deleting it again" pca acm-pca delete-permission \
	--certificate-authority-arn "$CA1" --principal acm.amazonaws.com
ok "disable CA2" pca acm-pca update-certificate-authority --certificate-authority-arn "$CA2" --status DISABLED
expect_error InvalidStateException "permissions only while ACTIVE" pca acm-pca create-permission \
	--certificate-authority-arn "$CA2" --principal acm.amazonaws.com --actions IssueCertificate

# --- temporary credentials expire --------------------------------------------
ok "assume C's role for 15 minutes" pca sts assume-role --duration-seconds 900 \
	--role-arn "arn:aws:iam::$C:role/OrganizationAccountAccessRole" --role-session-name short
session_file short.creds "$OUT"
ok "the session works" as short.creds pca sts get-caller-identity
ok "move the service clock 16 minutes" pca hsmca advance-clock --seconds 960
expect_error ExpiredTokenException "the session has expired" as short.creds pca sts get-caller-identity
ok "long-term keys still work" as b.creds pca sts get-caller-identity
ok "a day later" pca hsmca advance-clock --hours 25
ok "the scheduler sweeps" pca hsmca run-scheduler
expect_error UnrecognizedClientException "the expired session is gone after a day" \
	as short.creds pca sts get-caller-identity

# --- the audit log ----------------------------------------------------------------
ok "list audit records" pca hsmca list-audit-records --max-results 1000
check "denials are recorded with their reason" test "$(jq '[.Records[] | select(.Allowed == false)] | length' <<<"$OUT")" -gt 10
check "an allow names the deciding statement" test "$(jq -r '[.Records[] | select(.Allowed and .Sid == "OrgIssue")] | length' <<<"$OUT")" -ge 1
ok "verify the audit chain" pca hsmca verify-audit-log
check "the chain is intact" test "$(jq -r .Valid <<<"$OUT")" = true
expect_error AccessDeniedException "only the administrator reads the audit log" as b.creds pca hsmca verify-audit-log
sqlite3 "$HSMCA_HOME/data/frontend.db" "UPDATE audit SET allowed = 1 - allowed WHERE seq = 5" 2>/dev/null ||
	sqlite3 "$(sed -n 's/^database //p' "$HSMCA_HOME/frontend.conf")" "UPDATE audit SET allowed = 1 - allowed WHERE seq = 5"
ok "verify after tampering with record 5" pca hsmca verify-audit-log
check "the break is found at record 5" test "$(jq -r '.Valid, .FirstBadSequence' <<<"$OUT" | tr '\n' ' ')" = "false 5 "
it_done
