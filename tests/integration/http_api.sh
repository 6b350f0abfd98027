#!/usr/bin/env bash
# The AWS-compatible HTTP API with the machine's own aws CLI and boto3 (only
# --endpoint-url / endpoint_url pointing at hsmca), against real daemons:
#  - a root CA's life: create, CSR, issue its certificate, import it; a leaf
#    from a CSR (--csr fileb://), get-certificate, the certificate-issued
#    waiter (CLI and boto3); openssl verifies the chain;
#  - CA permissions for acm.amazonaws.com exactly as AWS documents them,
#    resource policies from file://, list-certificate-authorities paging
#    (--max-items and a boto3 paginator);
#  - acm request-certificate, describe, export; organizations; temporary
#    credentials of sts:AssumeRole (X-Amz-Security-Token);
#  - every error class, with its HTTP status and __type, each followed by a
#    request that still works: unsigned, wrong secret, unknown key, a date
#    outside the +-5 minute window, malformed JSON, a member of the wrong
#    type, a missing required member, an unknown target, an oversized body,
#    wrong path and method, an unsigned form-encoded (query protocol) request.
. "$(dirname "$0")/lib.sh"
it_up
cd "$WORK" || exit 1

EP=$HSMCA_HTTP_ENDPOINT
CLIENT="$HSMCA_TOP/tests/integration/http_api_client.py"
aws_cli_setup
echo "# $("${AWS[@]}" --version 2>&1), endpoint $EP"

awsx() { "${AWS[@]}" --endpoint-url "$EP" "$@"; }
raw() { "$PY" "$CLIENT" raw "$EP" "$@"; }
boto() { "$PY" "$CLIENT" boto "$EP" "$@"; }

# status_type JSON: "<status> <__type>" of a raw answer
status_type() { jq -r '"\(.status) \(.type)"' <<<"$1"; }

# still_serves NAME: a good signed request right after a bad one
still_serves() {
	ok "still serving after $1" awsx acm-pca list-certificate-authorities --max-results 1
}

# --- a root CA ------------------------------------------------------------------
cat >ca.json <<'EOF'
{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA",
 "Subject":{"Country":"US","Organization":"Example","CommonName":"HTTP Root CA"}}
EOF
ok "create-certificate-authority" awsx acm-pca create-certificate-authority \
	--certificate-authority-type ROOT --certificate-authority-configuration file://ca.json \
	--idempotency-token http1
CA=$(jq -r .CertificateAuthorityArn <<<"$OUT")
check "a CA ARN" grep -Eq '^arn:aws:acm-pca:us-east-1:[0-9]{12}:certificate-authority/' <<<"$CA"
ok "wait certificate-authority-csr-created" awsx acm-pca wait certificate-authority-csr-created \
	--certificate-authority-arn "$CA"
ok "get-certificate-authority-csr" awsx acm-pca get-certificate-authority-csr \
	--certificate-authority-arn "$CA" --output text
printf '%s\n' "$OUT" >ca.csr
check "the CSR is PEM" openssl req -in ca.csr -noout
ok "issue the CA's own certificate (RootCACertificate/V1)" awsx acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://ca.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=5,Type=YEARS --template-arn arn:aws:acm-pca:::template/RootCACertificate/V1
ROOT_CERT=$(jq -r .CertificateArn <<<"$OUT")
ok "wait certificate-issued (root)" awsx acm-pca wait certificate-issued \
	--certificate-authority-arn "$CA" --certificate-arn "$ROOT_CERT"
ok "get-certificate (root)" awsx acm-pca get-certificate --certificate-authority-arn "$CA" \
	--certificate-arn "$ROOT_CERT"
jq -r .Certificate <<<"$OUT" >ca.pem
ok "import-certificate-authority-certificate" awsx acm-pca import-certificate-authority-certificate \
	--certificate-authority-arn "$CA" --certificate fileb://ca.pem
ok "describe-certificate-authority" awsx acm-pca describe-certificate-authority \
	--certificate-authority-arn "$CA"
check "the CA is ACTIVE, with a CreatedAt" test \
	"$(jq -r '.CertificateAuthority | "\(.Status) \(.CreatedAt != null)"' <<<"$OUT")" = "ACTIVE true"
ok "boto3: describe (ACTIVE, CreatedAt a datetime)" boto describe "$CA"
check "boto3 parsed CreatedAt as a datetime" test "$(jq -r .created_is_datetime <<<"$OUT")" = true

# --- a leaf from a CSR --------------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
	-out leaf.csr -subj /CN=service.internal 2>/dev/null
ok "issue-certificate --csr fileb://leaf.csr" awsx acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=30,Type=DAYS --idempotency-token leaf1
LEAF=$(jq -r .CertificateArn <<<"$OUT")
check "the leaf's ARN is under the CA" grep -q "^$CA/certificate/[0-9a-f]*\$" <<<"$LEAF"
ok "aws acm-pca wait certificate-issued" awsx acm-pca wait certificate-issued \
	--certificate-authority-arn "$CA" --certificate-arn "$LEAF"
ok "boto3: certificate_issued waiter" boto waiter "$CA" "$LEAF"
ok "get-certificate (leaf)" awsx acm-pca get-certificate --certificate-authority-arn "$CA" \
	--certificate-arn "$LEAF"
jq -r .Certificate <<<"$OUT" >leaf.pem
check "openssl verifies the leaf under the root" openssl verify -CAfile ca.pem leaf.pem
check "the leaf is for service.internal" grep -q "CN *= *service.internal" \
	<<<"$(openssl x509 -in leaf.pem -noout -subject)"
ok "get-certificate-authority-certificate" awsx acm-pca get-certificate-authority-certificate \
	--certificate-authority-arn "$CA"
check "the CA certificate is the imported one" test "$(jq -r .Certificate <<<"$OUT")" = "$(cat ca.pem)"

# --- permissions and policies -----------------------------------------------------
ok "create-permission (as AWS documents it)" awsx acm-pca create-permission \
	--certificate-authority-arn "$CA" --actions IssueCertificate GetCertificate ListPermissions \
	--principal acm.amazonaws.com
ok "list-permissions" awsx acm-pca list-permissions --certificate-authority-arn "$CA"
check "one permission, acm.amazonaws.com, three actions" test \
	"$(jq -r '"\(.Permissions | length) \(.Permissions[0].Principal) \(.Permissions[0].Actions | sort | join(","))"' <<<"$OUT")" \
	= "1 acm.amazonaws.com GetCertificate,IssueCertificate,ListPermissions"
expect_error PermissionAlreadyExistsException "create-permission twice" awsx acm-pca create-permission \
	--certificate-authority-arn "$CA" --actions IssueCertificate GetCertificate ListPermissions \
	--principal acm.amazonaws.com
ok "delete-permission" awsx acm-pca delete-permission --certificate-authority-arn "$CA" \
	--principal acm.amazonaws.com
ok "list-permissions after delete" awsx acm-pca list-permissions --certificate-authority-arn "$CA"
check "no permission left" test "$(jq -r '.Permissions | length' <<<"$OUT")" = 0

ACCOUNT=$(cut -d: -f5 <<<"$CA")
cat >policy.json <<EOF
{"Version":"2012-10-17","Statement":[{"Sid":"read","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::$ACCOUNT:root"},
 "Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate",
   "acm-pca:GetCertificateAuthorityCertificate","acm-pca:ListPermissions","acm-pca:ListTags"],
 "Resource":"$CA"}]}
EOF
ok "put-policy --policy file://" awsx acm-pca put-policy --resource-arn "$CA" --policy file://policy.json
ok "get-policy" awsx acm-pca get-policy --resource-arn "$CA"
check "get-policy returns the policy" test \
	"$(jq -r .Policy <<<"$OUT" | jq -c .Statement[0].Sid)" = '"read"'
ok "delete-policy" awsx acm-pca delete-policy --resource-arn "$CA"
expect_error ResourceNotFoundException "get-policy after delete" awsx acm-pca get-policy --resource-arn "$CA"

# --- paging ------------------------------------------------------------------------------
for n in 2 3; do
	sed "s/HTTP Root CA/HTTP CA $n/" ca.json >ca$n.json
	ok "create CA $n" awsx acm-pca create-certificate-authority --certificate-authority-type ROOT \
		--certificate-authority-configuration "file://ca$n.json"
done
ok "list-certificate-authorities --max-items 2" awsx acm-pca list-certificate-authorities --max-items 2
check "two CAs and a NextToken" test \
	"$(jq -r '"\(.CertificateAuthorities | length) \(.NextToken != null)"' <<<"$OUT")" = "2 true"
TOKEN=$(jq -r .NextToken <<<"$OUT")
ok "--starting-token" awsx acm-pca list-certificate-authorities --max-items 2 --starting-token "$TOKEN"
check "the third CA, no NextToken" test \
	"$(jq -r '"\(.CertificateAuthorities | length) \(.NextToken)"' <<<"$OUT")" = "1 null"
ok "--page-size 1 still lists all three" awsx acm-pca list-certificate-authorities --page-size 1
check "three CAs" test "$(jq -r '.CertificateAuthorities | length' <<<"$OUT")" = 3
ok "boto3 paginator, one CA a page" boto paginate 3
check "three pages or more" test "$(jq -r .pages <<<"$OUT")" -ge 3

# --- acm and organizations ------------------------------------------------------------
ok "acm request-certificate" awsx acm request-certificate --domain-name www.example.com \
	--certificate-authority-arn "$CA" --key-algorithm EC_prime256v1
ACM=$(jq -r .CertificateArn <<<"$OUT")
STATUS=""
for _ in $(seq 1 50); do
	STATUS=$(awsx acm describe-certificate --certificate-arn "$ACM" | jq -r .Certificate.Status)
	[ "$STATUS" = ISSUED ] && break
	sleep 0.2
done
check "acm describe-certificate: ISSUED, PRIVATE" test "$STATUS" = ISSUED
ok "acm describe-certificate" awsx acm describe-certificate --certificate-arn "$ACM"
check "Type PRIVATE, CN www.example.com" test \
	"$(jq -r '.Certificate | "\(.Type) \(.Subject)"' <<<"$OUT")" = "PRIVATE CN=www.example.com"
printf 'correct horse battery' >pass.txt
ok "acm export-certificate --passphrase fileb://" awsx acm export-certificate \
	--certificate-arn "$ACM" --passphrase fileb://pass.txt
jq -r .PrivateKey <<<"$OUT" >acm.key
jq -r .Certificate <<<"$OUT" >acm.pem
check "the exported key opens with the passphrase" \
	openssl pkey -in acm.key -passin file:pass.txt -noout
check "the exported certificate verifies under the CA" openssl verify -CAfile ca.pem acm.pem
ok "boto3: acm list_certificates paginator" boto acm-list "$ACM"
expect_error AWSOrganizationsNotInUseException "organizations describe-organization (none yet)" \
	awsx organizations describe-organization
ok "organizations create-organization" awsx organizations create-organization --feature-set ALL
ok "organizations describe-organization" awsx organizations describe-organization
check "the organization's master is this account" test \
	"$(jq -r .Organization.MasterAccountId <<<"$OUT")" = "$ACCOUNT"
ok "organizations list-accounts" awsx organizations list-accounts
check "one account, this one" test "$(jq -r '.Accounts | map(.Id) | join(",")' <<<"$OUT")" = "$ACCOUNT"
ok "hsmca admin service over HTTP (HsmcaAdmin.GetStatus)" raw --target HsmcaAdmin.GetStatus
check "GetStatus answers 200" test "$(jq -r .status <<<"$OUT")" = 200

# --- temporary credentials (sts:AssumeRole by pca, used over HTTP) -----------------------
cat >trust.json <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::$ACCOUNT:root"},"Action":"sts:AssumeRole"}]}
EOF
ok "create-role http-reader (pca)" pca iam create-role --role-name http-reader \
	--assume-role-policy-document file://trust.json
ok "attach AWSCertificateManagerPrivateCAReadOnly (pca)" pca iam attach-role-policy \
	--role-name http-reader --policy-arn arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAReadOnly
ok "assume-role (pca)" pca sts assume-role --role-arn "arn:aws:iam::$ACCOUNT:role/http-reader" \
	--role-session-name http
session_file session.creds "$OUT"
ok "session credentials over HTTP (X-Amz-Security-Token)" \
	as session.creds "${AWS[@]}" --endpoint-url "$EP" acm-pca describe-certificate-authority \
	--certificate-authority-arn "$CA"
expect_error AccessDeniedException "the session's policy still decides over HTTP" \
	as session.creds "${AWS[@]}" --endpoint-url "$EP" acm-pca delete-policy --resource-arn "$CA"
sed 's/^aws_session_token = .*/aws_session_token = not-the-token/' session.creds >badtoken.creds
expect_error UnrecognizedClientException "a session with another token" \
	as badtoken.creds "${AWS[@]}" --endpoint-url "$EP" acm-pca list-certificate-authorities

# --- errors: authentication ---------------------------------------------------------------
ANS=$(curl -s -X POST "$EP/" -H 'Content-Type: application/x-amz-json-1.1' \
	-H 'X-Amz-Target: ACMPrivateCA.ListCertificateAuthorities' -d '{}' -D headers.txt)
check "unsigned (curl): 403 MissingAuthenticationTokenException" test \
	"$(head -1 headers.txt | cut -d' ' -f2) $(jq -r .__type <<<"$ANS")" = "403 MissingAuthenticationTokenException"
check "x-amzn-RequestId and x-amzn-ErrorType headers" test \
	"$(grep -ci -E '^(x-amzn-RequestId: [0-9a-f-]{36}|x-amzn-ErrorType: MissingAuthenticationTokenException)' headers.txt)" = 2
still_serves "an unsigned request"

printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$(sed -n 's/^aws_access_key_id *= *//p' "$ADMIN_CREDS" | head -1)" \
	"wrongwrongwrongwrongwrongwrongwrongwrong" >wrong.creds
expect_error InvalidSignatureException "aws CLI with a wrong secret" \
	as wrong.creds "${AWS[@]}" --endpoint-url "$EP" acm-pca list-certificate-authorities
ok "boto3 with a wrong secret: ClientError InvalidSignatureException, 403" boto wrong-secret
still_serves "a wrong signature"

printf '[default]\naws_access_key_id = AKIAUNKNOWNUNKNOWN00\naws_secret_access_key = %s\n' \
	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" >unknown.creds
expect_error UnrecognizedClientException "aws CLI with an unknown key" \
	as unknown.creds "${AWS[@]}" --endpoint-url "$EP" acm-pca list-certificate-authorities
ok "boto3 with an unknown key: ClientError UnrecognizedClientException" boto unknown-key
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --key AKIAUNKNOWNUNKNOWN00 --secret x)
check "unknown key: 400 UnrecognizedClientException, AWS's message" test \
	"$(status_type "$ANS") $(jq -r .message <<<"$ANS")" = \
	"400 UnrecognizedClientException The security token included in the request is invalid."

ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --skew -600)
check "signed 10 minutes ago: 400 InvalidSignatureException" test "$(status_type "$ANS")" = \
	"400 InvalidSignatureException"
check "... 'Signature expired: ... is now earlier than ... - 5 min.)'" grep -Eq \
	'^Signature expired: [0-9]{8}T[0-9]{6}Z is now earlier than [0-9]{8}T[0-9]{6}Z \([0-9]{8}T[0-9]{6}Z - 5 min\.\)$' \
	<<<"$(jq -r .message <<<"$ANS")"
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --skew 600)
check "signed 10 minutes ahead: 400 'Signature not yet current'" test \
	"$(status_type "$ANS") $(jq -r .message <<<"$ANS" | cut -c1-26)" = \
	"400 InvalidSignatureException Signature not yet current:"
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --skew -240)
check "signed 4 minutes ago: accepted" test "$(jq -r .status <<<"$ANS")" = 200
still_serves "a date outside the window"

# --- errors: the request ---------------------------------------------------------------------
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --body '{"MaxResults": 1,')
check "malformed JSON: 400 SerializationException" test "$(status_type "$ANS")" = \
	"400 SerializationException"
check "... with x-amzn-ErrorType" test "$(jq -r .error_type <<<"$ANS")" = SerializationException
still_serves "malformed JSON"
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --body '[]')
check "a body that is not an object: 400 SerializationException" test "$(status_type "$ANS")" = \
	"400 SerializationException"
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --body '{"MaxResults":"ten"}')
check "a member of the wrong type: 400 SerializationException" test "$(status_type "$ANS")" = \
	"400 SerializationException"
check "... botocore's wording" grep -q 'Invalid type for parameter MaxResults' \
	<<<"$(jq -r .message <<<"$ANS")"
still_serves "a member of the wrong type"
ANS=$(raw --target ACMPrivateCA.DescribeCertificateAuthority --body '{}')
check "a missing required member: 400 ValidationException" test "$(status_type "$ANS")" = \
	"400 ValidationException"
check "... naming CertificateAuthorityArn" grep -q CertificateAuthorityArn <<<"$(jq -r .message <<<"$ANS")"
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --body '{"Bogus":1}')
check "an unknown member: 400 SerializationException" test "$(status_type "$ANS")" = \
	"400 SerializationException"
ANS=$(raw --target ACMPrivateCA.IssueCertificateNow)
check "an unknown operation: 400 UnknownOperationException" test "$(status_type "$ANS")" = \
	"400 UnknownOperationException"
ANS=$(raw --target NoSuchService_20200101.ListThings)
check "an unknown target prefix: 400 UnknownOperationException" test "$(status_type "$ANS")" = \
	"400 UnknownOperationException"
still_serves "an unknown target"
ANS=$(raw --target ACMPrivateCA.ListCertificateAuthorities --body-size 1100000)
check "a body over http-max-body: 413, typed" test "$(status_type "$ANS")" = "413 ValidationException"
head -c 1100000 /dev/zero | tr '\0' a >big.txt
CODE=$(curl -s -o big.out -w '%{http_code}' -X POST "$EP/" -H 'Expect: 100-continue' \
	-H 'Content-Type: application/x-amz-json-1.1' \
	-H 'X-Amz-Target: ACMPrivateCA.ListCertificateAuthorities' --data-binary @big.txt)
check "... also answered before the body (Expect: 100-continue)" test \
	"$CODE $(jq -r .__type big.out)" = "413 ValidationException"
still_serves "an oversized body"
ok "boto3: describe an unknown CA raises ClientError ResourceNotFoundException" \
	boto not-found "${CA%/*}/00000000-0000-0000-0000-000000000000"

# --- errors: routing -------------------------------------------------------------------
CODE=$(curl -s -o route.out -w '%{http_code}' "$EP/")
check "GET /: 405, typed" test "$CODE $(jq -r .__type route.out)" = "405 UnknownOperationException"
CODE=$(curl -s -o route.out -w '%{http_code}' -X POST -d '{}' "$EP/elsewhere")
check "POST /elsewhere: 404, typed" test "$CODE $(jq -r .__type route.out)" = "404 UnknownOperationException"
CODE=$(curl -s -o route.out -w '%{http_code}' -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' -d 'Action=ListUsers&Version=2010-05-08' "$EP/")
check "an unsigned query-protocol request (iam, sts; http_query.sh): 403, XML" test \
	"$CODE $(grep -o '<Code>[A-Za-z]*</Code>' route.out)" = "403 <Code>MissingAuthenticationToken</Code>"
still_serves "routing errors"

check "pca-frontend still running" kill -0 "$(cat "$HSMCA_HOME/run/frontend.pid")"
it_done
