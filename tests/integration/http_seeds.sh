#!/usr/bin/env bash
# The seeds' cases with the aws CLI as their pages write it, only the
# endpoint and the ARNs changed, against real daemons over the HTTP API:
#  - single account, unmanaged: the CA issues from a CSR (issue-certificate);
#  - single account, managed (seed 001 case 2): create-permission for
#    acm.amazonaws.com, request-certificate, export; at 59 days before
#    expiry the service renews it; list-permissions, delete-permission;
#  - cross account by resource policy (seed 000 case 2): put-policy,
#    get-policy; the other account issues unmanaged and requests managed
#    certificates from the shared CA, its service-linked role appears and
#    renews; delete-policy ends the sharing.
# The service clock is moved with pca (hsmca's own administration API).
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

EP=$HSMCA_HTTP_ENDPOINT
aws_cli_setup
echo "# $("${AWS[@]}" --version 2>&1), endpoint $EP"
aws() { "${AWS[@]}" --endpoint-url "$EP" "$@"; }
field() { jq -r "$2" <<<"$1"; }
PASS='correct horse battery staple'
printf '%s' "$PASS" >pass.txt

# --- the CA administrator's root CA ------------------------------------------------
cat >ca_config.json <<'EOF'
{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"Country":"US","Organization":"Example Corp","CommonName":"Example Root"}}
EOF
ok "aws acm-pca create-certificate-authority" aws acm-pca create-certificate-authority \
	--certificate-authority-configuration file://ca_config.json --certificate-authority-type ROOT
CA=$(jq -r .CertificateAuthorityArn <<<"$OUT")
ok "aws acm-pca wait certificate-authority-csr-created" aws acm-pca wait certificate-authority-csr-created \
	--certificate-authority-arn "$CA"
aws acm-pca get-certificate-authority-csr --certificate-authority-arn "$CA" --output text >ca.csr
ok "the CA's certificate from its own CSR" aws acm-pca issue-certificate --certificate-authority-arn "$CA" \
	--csr fileb://ca.csr --signing-algorithm SHA256WITHECDSA \
	--template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 --validity Value=5,Type=YEARS
ROOT=$(jq -r .CertificateArn <<<"$OUT")
aws acm-pca wait certificate-issued --certificate-authority-arn "$CA" --certificate-arn "$ROOT"
aws acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$ROOT" |
	jq -r .Certificate >ca.pem
ok "aws acm-pca import-certificate-authority-certificate" aws acm-pca \
	import-certificate-authority-certificate --certificate-authority-arn "$CA" --certificate fileb://ca.pem

# --- single account, unmanaged --------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.csr \
	-subj /CN=unmanaged.example.com 2>/dev/null
ok "aws acm-pca issue-certificate (unmanaged)" aws acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=365,Type=DAYS
LEAF=$(jq -r .CertificateArn <<<"$OUT")
ok "aws acm-pca wait certificate-issued" aws acm-pca wait certificate-issued \
	--certificate-authority-arn "$CA" --certificate-arn "$LEAF"
aws acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$LEAF" |
	jq -r .Certificate >leaf.pem
check "the unmanaged certificate verifies" openssl verify -CAfile ca.pem leaf.pem

# --- single account, managed (seed 001, case 2) ---------------------------------------------
ok "aws acm-pca create-permission (seed 001, verbatim)" aws acm-pca create-permission \
	--certificate-authority-arn "$CA" \
	--actions IssueCertificate GetCertificate ListPermissions \
	--principal acm.amazonaws.com
ok "aws acm-pca list-permissions" aws acm-pca list-permissions --certificate-authority-arn "$CA"
check "the three actions for acm.amazonaws.com" test \
	"$(jq -r '.Permissions[] | .Principal + " " + (.Actions | sort | join(","))' <<<"$OUT")" = \
	"acm.amazonaws.com GetCertificate,IssueCertificate,ListPermissions"
ok "aws acm request-certificate from the private CA" aws acm request-certificate \
	--domain-name www.example.com --certificate-authority-arn "$CA" --key-algorithm EC_prime256v1
M=$(jq -r .CertificateArn <<<"$OUT")
ok "aws acm wait certificate-validated" aws acm wait certificate-validated --certificate-arn "$M"
ok "aws acm export-certificate" aws acm export-certificate --certificate-arn "$M" --passphrase fileb://pass.txt
jq -r .Certificate <<<"$OUT" >m0.pem
S0=$(openssl x509 -in m0.pem -noout -serial)
ok "59 days before NotAfter; the scheduler runs" bash -c \
	'pca hsmca advance-clock --days 336 >/dev/null && pca hsmca run-scheduler'
ok "aws acm describe-certificate" aws acm describe-certificate --certificate-arn "$M"
check "RenewalSummary SUCCESS" test "$(jq -r .Certificate.RenewalSummary.RenewalStatus <<<"$OUT")" = SUCCESS
ok "aws acm export-certificate (the renewed one)" aws acm export-certificate --certificate-arn "$M" \
	--passphrase fileb://pass.txt
jq -r .Certificate <<<"$OUT" >m1.pem
jq -r .PrivateKey <<<"$OUT" >m1.key
check "a new certificate" test "$(openssl x509 -in m1.pem -noout -serial)" != "$S0"
check "it verifies (at the service's time)" openssl verify -attime "$(( $(date +%s) + 337 * 86400 ))" \
	-CAfile ca.pem m1.pem
check "its key opens with the passphrase and matches" test \
	"$(openssl pkey -in m1.key -passin file:pass.txt -pubout)" = "$(openssl x509 -in m1.pem -noout -pubkey)"
ok "aws acm-pca delete-permission (seed 001, verbatim)" aws acm-pca delete-permission \
	--certificate-authority-arn "$CA" \
	--principal acm.amazonaws.com
ok "aws acm-pca list-permissions after" aws acm-pca list-permissions --certificate-authority-arn "$CA"
check "none" test "$(jq '.Permissions | length' <<<"$OUT")" = 0

# --- cross account by resource policy (seed 000, case 2) ------------------------------------
ok "account B" "$BUILD/frontend/pca-frontend" -c "$HSMCA_HOME/frontend.conf" \
	add-account --credentials-file "$WORK/b.creds" --profile default --name team-b
bws() { AWS_SHARED_CREDENTIALS_FILE="$WORK/b.creds" AWS_PROFILE=default aws "$@"; }
B=$(bws sts get-caller-identity 2>/dev/null | jq -r .Account)
[ -n "$B" ] && [ "$B" != null ] || B=$(as b.creds pca sts get-caller-identity | jq -r .Account)
cat >policy.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"ExampleStatementID","Effect":"Allow","Principal":{"AWS":"$B"},
  "Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate",
            "acm-pca:GetCertificateAuthorityCertificate","acm-pca:ListPermissions","acm-pca:ListTags"],
  "Resource":"$CA"},
 {"Sid":"ExampleStatementID2","Effect":"Allow","Principal":{"AWS":"$B"},
  "Action":"acm-pca:IssueCertificate","Resource":"$CA",
  "Condition":{"StringEquals":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}}}]}
EOF
expect_error AccessDeniedException "before sharing, B cannot issue from the CA" bws acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=30,Type=DAYS
ok "aws acm-pca put-policy --policy file://policy.json" aws acm-pca put-policy --resource-arn "$CA" \
	--policy file://policy.json
ok "aws acm-pca get-policy" aws acm-pca get-policy --resource-arn "$CA"
check "the policy as put" test "$(jq -r .Policy <<<"$OUT" | jq -c .Statement[0].Sid)" = '"ExampleStatementID"'
ok "B issues an unmanaged certificate from the shared CA" bws acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=30,Type=DAYS --template-arn arn:aws:acm-pca:::template/EndEntityCertificate/V1
BL=$(jq -r .CertificateArn <<<"$OUT")
ok "B gets it" bws acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$BL"
jq -r .Certificate <<<"$OUT" >b-leaf.pem
check "it verifies" openssl verify -attime "$(( $(date +%s) + 337 * 86400 ))" -CAfile ca.pem b-leaf.pem
expect_error AccessDeniedException "another template is not shared" bws acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=30,Type=DAYS --template-arn arn:aws:acm-pca:::template/CodeSigningCertificate/V1
ok "B requests a managed certificate from the shared CA" bws acm request-certificate \
	--domain-name b.example.com --certificate-authority-arn "$CA" --key-algorithm EC_prime256v1
BM=$(jq -r .CertificateArn <<<"$OUT")
check "in B's account" test "$(cut -d: -f5 <<<"$BM")" = "$B"
ok "aws acm wait certificate-validated (B)" bws acm wait certificate-validated --certificate-arn "$BM"
ok "B's service-linked role now exists" as b.creds pca iam get-role \
	--role-name AWSServiceRoleForCertificateManager
ok "B exports" bws acm export-certificate --certificate-arn "$BM" --passphrase fileb://pass.txt
ok "59 days before its NotAfter; the scheduler runs" bash -c \
	'pca hsmca advance-clock --days 336 >/dev/null && pca hsmca run-scheduler'
ok "B describes its certificate" bws acm describe-certificate --certificate-arn "$BM"
check "renewed through B's service-linked role: SUCCESS" \
	test "$(jq -r .Certificate.RenewalSummary.RenewalStatus <<<"$OUT")" = SUCCESS
ok "aws acm-pca delete-policy" aws acm-pca delete-policy --resource-arn "$CA"
expect_error AccessDeniedException "after delete-policy B cannot issue" bws acm-pca issue-certificate \
	--certificate-authority-arn "$CA" --csr fileb://leaf.csr --signing-algorithm SHA256WITHECDSA \
	--validity Value=30,Type=DAYS --template-arn arn:aws:acm-pca:::template/EndEntityCertificate/V1
it_done
