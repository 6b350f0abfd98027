#!/usr/bin/env bash
# The AWS Private CA flow, exactly as a user runs it with the pca CLI:
# root CA bring-up, a subordinate CA signed by it, a leaf from a CSR made
# with openssl, and `openssl verify -x509_strict` on the result; then the
# CA's lifecycle (describe, list, update, delete, restore, tags), a restart
# of both daemons, and the key attributes in the token.
. "$(dirname "$0")/lib.sh"
it_up
cd "$WORK" || exit 1

cat >root.json <<'EOF'
{"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
 "Subject": {"Country": "US", "Organization": "Example Corp", "CommonName": "Example Root CA"}}
EOF
cat >sub.json <<'EOF'
{"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA",
 "Subject": {"Country": "US", "Organization": "Example Corp", "OrganizationalUnit": "Issuing",
             "CommonName": "Example Issuing CA"}}
EOF

# --- root CA ---------------------------------------------------------------
ok "create a ROOT CA" pca acm-pca create-certificate-authority \
	--certificate-authority-configuration file://root.json \
	--certificate-authority-type ROOT --idempotency-token root1 \
	--tags Key=team,Value=pki Key=env,Value=test
ROOT=$(jq -r .CertificateAuthorityArn <<<"$OUT")
check "ROOT ARN has the AWS form" grep -Eq \
	'^arn:aws:acm-pca:us-east-1:[0-9]{12}:certificate-authority/[0-9a-f-]{36}$' <<<"$ROOT"
ok "the same idempotency token gives the same CA" pca acm-pca create-certificate-authority \
	--certificate-authority-configuration file://root.json \
	--certificate-authority-type ROOT --idempotency-token root1
check "same ARN" test "$(jq -r .CertificateAuthorityArn <<<"$OUT")" = "$ROOT"

ok "describe the new root" pca acm-pca describe-certificate-authority --certificate-authority-arn "$ROOT"
check "status PENDING_CERTIFICATE" test "$(jq -r .CertificateAuthority.Status <<<"$OUT")" = PENDING_CERTIFICATE
check "type ROOT, key RSA_2048" test "$(jq -r '.CertificateAuthority | .Type + " " +
	.CertificateAuthorityConfiguration.KeyAlgorithm' <<<"$OUT")" = "ROOT RSA_2048"

ok "get the root's CSR" pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$ROOT"
jq -r .Csr <<<"$OUT" >root.csr
check "the CSR verifies with openssl" openssl req -in root.csr -noout -verify
check "the CSR subject is the configured one" \
	grep -q "CN = Example Root CA" <(openssl req -in root.csr -noout -subject -nameopt oneline)

expect_error InvalidStateException "a PENDING_CERTIFICATE CA issues nothing but its own certificate" \
	pca acm-pca issue-certificate --certificate-authority-arn "$ROOT" --csr fileb://root.csr \
	--signing-algorithm SHA256WITHRSA --validity Value=30,Type=DAYS

ok "issue the root certificate (RootCACertificate/V1)" pca acm-pca issue-certificate \
	--certificate-authority-arn "$ROOT" --csr fileb://root.csr --signing-algorithm SHA256WITHRSA \
	--template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 --validity Value=10,Type=YEARS
ROOT_CERT_ARN=$(jq -r .CertificateArn <<<"$OUT")
check "certificate ARN is <CA ARN>/certificate/<32 hex>" grep -Eq "^$ROOT/certificate/[0-9a-f]{32}\$" <<<"$ROOT_CERT_ARN"
ok "get the root certificate" pca acm-pca get-certificate --certificate-authority-arn "$ROOT" \
	--certificate-arn "$ROOT_CERT_ARN"
jq -r .Certificate <<<"$OUT" >root.pem
check "it is self-signed and a CA" openssl verify -x509_strict -CAfile root.pem root.pem
check "basicConstraints critical CA:TRUE" grep -A1 "Basic Constraints: critical" \
	<(openssl x509 -in root.pem -noout -text) -q
ok "import the root certificate" pca acm-pca import-certificate-authority-certificate \
	--certificate-authority-arn "$ROOT" --certificate fileb://root.pem
ok "describe after import" pca acm-pca describe-certificate-authority --certificate-authority-arn "$ROOT"
check "root is ACTIVE" test "$(jq -r .CertificateAuthority.Status <<<"$OUT")" = ACTIVE
check "root has NotAfter" test "$(jq -r .CertificateAuthority.NotAfter <<<"$OUT")" != null

# --- subordinate CA ------------------------------------------------------------
ok "create a SUBORDINATE CA" pca acm-pca create-certificate-authority \
	--certificate-authority-configuration file://sub.json --certificate-authority-type SUBORDINATE
SUB=$(jq -r .CertificateAuthorityArn <<<"$OUT")
ok "get the subordinate's CSR" pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$SUB"
jq -r .Csr <<<"$OUT" >sub.csr
ok "the root issues the subordinate's certificate (PathLen0)" pca acm-pca issue-certificate \
	--certificate-authority-arn "$ROOT" --csr fileb://sub.csr --signing-algorithm SHA256WITHRSA \
	--template-arn arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1 \
	--validity Value=5,Type=YEARS
SUB_CERT_ARN=$(jq -r .CertificateArn <<<"$OUT")
ok "get it with its chain" pca acm-pca get-certificate --certificate-authority-arn "$ROOT" \
	--certificate-arn "$SUB_CERT_ARN"
jq -r .Certificate <<<"$OUT" >sub.pem
jq -r .CertificateChain <<<"$OUT" >sub-chain.pem
check "its chain is the root" cmp -s <(openssl x509 -in sub-chain.pem -outform DER) \
	<(openssl x509 -in root.pem -outform DER)
check "pathlen 0" grep -q "CA:TRUE, pathlen:0" <(openssl x509 -in sub.pem -noout -text)
expect_error CertificateMismatchException "importing the root's certificate into the subordinate is refused" \
	pca acm-pca import-certificate-authority-certificate --certificate-authority-arn "$SUB" \
	--certificate fileb://root.pem
expect_error InvalidRequestException "a subordinate needs its chain" \
	pca acm-pca import-certificate-authority-certificate --certificate-authority-arn "$SUB" \
	--certificate fileb://sub.pem
ok "import the subordinate certificate with its chain" pca acm-pca import-certificate-authority-certificate \
	--certificate-authority-arn "$SUB" --certificate fileb://sub.pem --certificate-chain fileb://sub-chain.pem
ok "get-certificate-authority-certificate of the subordinate" \
	pca acm-pca get-certificate-authority-certificate --certificate-authority-arn "$SUB"
check "its chain is returned" test "$(jq -r .CertificateChain <<<"$OUT")" != null

# --- a leaf from an openssl CSR ----------------------------------------------------
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
	-subj "/CN=service.example.internal" \
	-addext "subjectAltName=DNS:service.example.internal,DNS:alt.example.internal" 2>/dev/null
ok "issue a leaf (30 days)" pca acm-pca issue-certificate --certificate-authority-arn "$SUB" \
	--csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA --validity Value=30,Type=DAYS \
	--idempotency-token leaf-1
LEAF=$(jq -r .CertificateArn <<<"$OUT")
ok "the same token gives the same certificate" pca acm-pca issue-certificate \
	--certificate-authority-arn "$SUB" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=30,Type=DAYS --idempotency-token leaf-1
check "same certificate ARN" test "$(jq -r .CertificateArn <<<"$OUT")" = "$LEAF"
ok "get the leaf" pca acm-pca get-certificate --certificate-authority-arn "$SUB" --certificate-arn "$LEAF"
jq -r .Certificate <<<"$OUT" >leaf.pem
jq -r .CertificateChain <<<"$OUT" >leaf-chain.pem
check "openssl verify -x509_strict accepts the leaf against the root" \
	openssl verify -x509_strict -CAfile root.pem -untrusted leaf-chain.pem leaf.pem
check "the chain is subordinate then root" test "$(grep -c 'BEGIN CERTIFICATE' leaf-chain.pem)" = 2
check "SAN from the CSR" grep -q "DNS:service.example.internal, DNS:alt.example.internal" \
	<(openssl x509 -in leaf.pem -noout -ext subjectAltName)
check "EKU serverAuth, clientAuth (EndEntityCertificate/V1)" grep -q \
	"TLS Web Server Authentication, TLS Web Client Authentication" <(openssl x509 -in leaf.pem -noout -text)
nb=$(date -d "$(openssl x509 -in leaf.pem -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)" +%s)
check "validity is 30 days and 1 hour (backdated an hour)" test $((na - nb)) -eq $((30 * 86400 + 3600))
serial=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
check "the ARN names the certificate's serial" test "$LEAF" = "$SUB/certificate/$serial"
check "the serial has at least 64 bits" test "${#serial}" -ge 16

# --- templates and algorithms -------------------------------------------------------
for t in EndEntityClientAuthCertificate EndEntityServerAuthCertificate; do
	ok "issue with $t/V1" pca acm-pca issue-certificate --certificate-authority-arn "$SUB" \
		--csr fileb://leaf.csr --signing-algorithm SHA384WITHECDSA --validity Value=3,Type=MONTHS \
		--template-arn "arn:aws:acm-pca:::template/$t/V1"
done
expect_error InvalidArgsException "an RSA algorithm on an EC CA is refused" \
	pca acm-pca issue-certificate --certificate-authority-arn "$SUB" --csr fileb://leaf.csr \
	--signing-algorithm SHA256WITHRSA --validity Value=30,Type=DAYS
expect_error InvalidArgsException "a validity beyond the CA's is refused" \
	pca acm-pca issue-certificate --certificate-authority-arn "$SUB" --csr fileb://leaf.csr \
	--signing-algorithm SHA256WITHECDSA --validity Value=20,Type=YEARS
expect_error InvalidArgsException "the subordinate may not issue a CA under pathlen 0" \
	pca acm-pca issue-certificate --certificate-authority-arn "$SUB" --csr fileb://sub.csr \
	--signing-algorithm SHA256WITHECDSA --validity Value=1,Type=YEARS \
	--template-arn arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1
end=$(date -u -d '+40 days' +%Y%m%d%H%M%S)
ok "validity END_DATE" pca acm-pca issue-certificate --certificate-authority-arn "$SUB" \
	--csr fileb://leaf.csr --signing-algorithm SHA512WITHECDSA --validity "Value=$end,Type=END_DATE"
abs=$(date -u -d '+50 days' +%s)
ok "validity ABSOLUTE" pca acm-pca issue-certificate --certificate-authority-arn "$SUB" \
	--csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA --validity "Value=$abs,Type=ABSOLUTE"
A=$(jq -r .CertificateArn <<<"$OUT")
ok "get it" pca acm-pca get-certificate --certificate-authority-arn "$SUB" --certificate-arn "$A"
na=$(date -d "$(jq -r .Certificate <<<"$OUT" | openssl x509 -noout -enddate | cut -d= -f2)" +%s)
check "ABSOLUTE sets notAfter exactly" test "$na" -eq "$abs"

# --- lifecycle ------------------------------------------------------------------------
ok "list CAs" pca acm-pca list-certificate-authorities
check "both CAs listed" test "$(jq '.CertificateAuthorities | length' <<<"$OUT")" -eq 2
ok "list with MaxResults 1" pca acm-pca list-certificate-authorities --max-results 1
TOKEN=$(jq -r .NextToken <<<"$OUT")
check "a NextToken is given" test "$TOKEN" != null
ok "the next page" pca acm-pca list-certificate-authorities --max-results 1 --next-token "$TOKEN"
check "the second CA, no further token" test "$(jq -r '.CertificateAuthorities | length' <<<"$OUT") $(jq -r .NextToken <<<"$OUT")" = "1 null"
expect_error InvalidNextTokenException "a forged NextToken is refused" \
	pca acm-pca list-certificate-authorities --next-token not-a-token

ok "list-tags" pca acm-pca list-tags --certificate-authority-arn "$ROOT"
check "the creation tags" test "$(jq -c '[.Tags[] | .Key + "=" + .Value] | sort' <<<"$OUT")" = '["env=test","team=pki"]'
ok "tag" pca acm-pca tag-certificate-authority --certificate-authority-arn "$ROOT" --tags Key=owner,Value=alice
ok "untag env (any value) and team (wrong value: kept)" pca acm-pca untag-certificate-authority \
	--certificate-authority-arn "$ROOT" --tags Key=env Key=team,Value=other
ok "list-tags" pca acm-pca list-tags --certificate-authority-arn "$ROOT"
check "owner and team remain" test "$(jq -c '[.Tags[].Key] | sort' <<<"$OUT")" = '["owner","team"]'
expect_error InvalidTagException "aws: tag keys are reserved" \
	pca acm-pca tag-certificate-authority --certificate-authority-arn "$ROOT" --tags Key=aws:x,Value=y

expect_error InvalidStateException "an ACTIVE CA cannot be deleted" \
	pca acm-pca delete-certificate-authority --certificate-authority-arn "$SUB"
ok "disable the subordinate" pca acm-pca update-certificate-authority \
	--certificate-authority-arn "$SUB" --status DISABLED
expect_error InvalidStateException "a DISABLED CA does not issue" \
	pca acm-pca issue-certificate --certificate-authority-arn "$SUB" --csr fileb://leaf.csr \
	--signing-algorithm SHA256WITHECDSA --validity Value=30,Type=DAYS
ok "enable it again" pca acm-pca update-certificate-authority --certificate-authority-arn "$SUB" --status ACTIVE
ok "issue again" pca acm-pca issue-certificate --certificate-authority-arn "$SUB" --csr fileb://leaf.csr \
	--signing-algorithm SHA256WITHECDSA --validity Value=30,Type=DAYS
ok "disable" pca acm-pca update-certificate-authority --certificate-authority-arn "$SUB" --status DISABLED
expect_param_error "a restore window under 7 days is refused" \
	pca acm-pca delete-certificate-authority --certificate-authority-arn "$SUB" --permanent-deletion-time-in-days 3
ok "delete with a 7-day window" pca acm-pca delete-certificate-authority \
	--certificate-authority-arn "$SUB" --permanent-deletion-time-in-days 7
ok "describe the deleted CA" pca acm-pca describe-certificate-authority --certificate-authority-arn "$SUB"
check "DELETED with RestorableUntil" test "$(jq -r '.CertificateAuthority | .Status + " " + (.RestorableUntil != null | tostring)' <<<"$OUT")" = "DELETED true"
expect_error InvalidStateException "a DELETED CA does not issue" \
	pca acm-pca issue-certificate --certificate-authority-arn "$SUB" --csr fileb://leaf.csr \
	--signing-algorithm SHA256WITHECDSA --validity Value=30,Type=DAYS
ok "restore it" pca acm-pca restore-certificate-authority --certificate-authority-arn "$SUB"
ok "describe" pca acm-pca describe-certificate-authority --certificate-authority-arn "$SUB"
check "restored to DISABLED (never straight to ACTIVE)" test "$(jq -r .CertificateAuthority.Status <<<"$OUT")" = DISABLED

expect_error InvalidStateException "without a test clock the clock cannot be moved" \
	pca hsmca advance-clock --days 1
expect_error InvalidStateException "nor the scheduler run on demand" pca hsmca run-scheduler

# --- restart: nothing is lost -------------------------------------------------------------
instance_down >/dev/null
it_up
ok "after a restart the leaf is still there" pca acm-pca get-certificate \
	--certificate-authority-arn "$SUB" --certificate-arn "$LEAF"
check "byte for byte" cmp -s <(jq -r .Certificate <<<"$OUT") leaf.pem
ok "and the root still issues" pca acm-pca issue-certificate --certificate-authority-arn "$ROOT" \
	--csr fileb://leaf.csr --signing-algorithm SHA384WITHRSA --validity Value=1,Type=DAYS

# --- the keys in the token ---------------------------------------------------------------
export PIN
PIN=$(cat "$HSMCA_HOME/user.pin")
objs=$(pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label hsmca --login \
	--pin env:PIN --list-objects --type privkey 2>/dev/null)
check "two CA private keys in the token" test "$(grep -c 'Private Key Object' <<<"$objs")" -eq 2
check "each sensitive and never extractable" test \
	"$(grep -c 'Access:.*sensitive.*never extractable' <<<"$objs")" -eq 2
check "usage sign only" test "$(grep -c 'Usage: *sign$' <<<"$objs")" -eq 2
check "the signer links neither SQLite nor JSON nor HTTP" \
	bash -c "! ldd '$BUILD/signer/pca-signer' | grep -Eq 'sqlite|jansson|microhttpd'"

it_done
