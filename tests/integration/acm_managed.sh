#!/usr/bin/env bash
# Managed certificates (acm) with the pca CLI against real daemons:
#  - request-certificate (RSA and EC) from a private CA: the service makes
#    the key pair and CSR and has the CA issue as the caller (acm-pca's own
#    authorization), Type PRIVATE, Status ISSUED, colon-hex Serial;
#  - describe, list (status and key-type filters, paging, sorting), get;
#  - export under a passphrase: openssl opens the key and verifies the
#    certificate; bad passphrases are refused; exporting makes it ELIGIBLE;
#  - import, re-import over the same ARN, delete;
#  - renew-certificate on demand: FAILED with PCA_ACCESS_DENIED without
#    the CA's permission for acm.amazonaws.com (all three actions), SUCCESS
#    with it (same ARN, new serial), PCA_INVALID_STATE for a disabled CA;
#    across accounts through the service-linked role (SLR_NOT_FOUND when
#    the requester could not create it);
#  - tags, account configuration, options;
#  - the database holds no plaintext key.
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

DB=$(sed -n 's/^database //p' "$HSMCA_HOME/frontend.conf")

# make_root_ca_alg NAME KEYALG SIGALG: make_root_ca (lib.sh) with another key
make_root_ca_alg() {
	local arn cert
	printf '{"KeyAlgorithm":"%s","SigningAlgorithm":"%s","Subject":{"CommonName":"%s"}}' \
		"$2" "$3" "$1" >"$1.json"
	arn=$(pca acm-pca create-certificate-authority --certificate-authority-type ROOT \
		--certificate-authority-configuration "file://$1.json" | jq -r .CertificateAuthorityArn) || return 1
	pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$arn" | jq -r .Csr >"$1.csr"
	cert=$(pca acm-pca issue-certificate --certificate-authority-arn "$arn" --csr "fileb://$1.csr" \
		--signing-algorithm "$3" --validity Value=5,Type=YEARS \
		--template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 | jq -r .CertificateArn) || return 1
	pca acm-pca get-certificate --certificate-authority-arn "$arn" --certificate-arn "$cert" |
		jq -r .Certificate >"$1.pem"
	pca acm-pca import-certificate-authority-certificate --certificate-authority-arn "$arn" \
		--certificate "fileb://$1.pem" >/dev/null || return 1
	echo "$arn"
}

# describe ARN [CREDS]: DescribeCertificate's Certificate object
describe() {
	if [ -n "${2:-}" ]; then
		as "$2" pca acm describe-certificate --certificate-arn "$1" | jq -c .Certificate
	else
		pca acm describe-certificate --certificate-arn "$1" | jq -c .Certificate
	fi
}
field() { jq -r "$2" <<<"$1"; }

A=$(pca sts get-caller-identity | jq -r .Account)
CA_RSA=$(make_root_ca_alg ca-rsa RSA_2048 SHA256WITHRSA)
CA_EC=$(make_root_ca ca-ec)
check "an RSA and an EC root CA" test -n "$CA_RSA" -a -n "$CA_EC"

# --- request ------------------------------------------------------------------
ok "request an RSA_2048 certificate (the default)" pca acm request-certificate \
	--domain-name www.example.com --subject-alternative-names www.example.com api.example.com \
	--certificate-authority-arn "$CA_RSA"
RSA=$(jq -r .CertificateArn <<<"$OUT")
pca hsmca advance-clock --seconds 2 >/dev/null
check "the ARN as AWS forms it" grep -Eq \
	"^arn:aws:acm:[a-z0-9-]+:$A:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\$" <<<"$RSA"
D=$(describe "$RSA")
check "Type PRIVATE, Status ISSUED" test "$(field "$D" '.Type + " " + .Status')" = "PRIVATE ISSUED"
check "KeyAlgorithm RSA_2048, SignatureAlgorithm SHA256WITHRSA" \
	test "$(field "$D" '.KeyAlgorithm + " " + .SignatureAlgorithm')" = "RSA_2048 SHA256WITHRSA"
check "Serial in colon hex" grep -Eq '^([0-9a-f]{2}:)+[0-9a-f]{2}$' <<<"$(field "$D" .Serial)"
check "Subject CN=www.example.com" test "$(field "$D" .Subject)" = "CN=www.example.com"
check "CertificateAuthorityArn is the CA" test "$(field "$D" .CertificateAuthorityArn)" = "$CA_RSA"
check "SubjectAlternativeNames: domain first" \
	test "$(field "$D" '.SubjectAlternativeNames | join(",")')" = "www.example.com,api.example.com"
check "DomainValidationOptions: one entry per name, nothing to validate (SUCCESS)" \
	test "$(field "$D" '([.DomainValidationOptions[] | keys | join("+")] | join(",")) + " " + ([.DomainValidationOptions[] | .DomainName + "=" + .ValidationStatus] | join(","))')" \
	= "DomainName+ValidationStatus,DomainName+ValidationStatus www.example.com=SUCCESS,api.example.com=SUCCESS"
check "valid 395 days" test "$(field "$D" 'def t: sub("\\+00:00$"; "Z") | fromdateiso8601; (.NotAfter | t) - (.NotBefore | t) | . / 86400 | floor')" = 395
check "RenewalEligibility INELIGIBLE before export, no RenewalSummary" \
	test "$(field "$D" '.RenewalEligibility + " " + (.RenewalSummary | tostring)')" = "INELIGIBLE null"
check "end-entity usages (TLS server auth)" \
	grep -q TLS_WEB_SERVER_AUTHENTICATION <<<"$(field "$D" '[.ExtendedKeyUsages[].Name] | join(",")')"
check "CreatedAt and IssuedAt set" test "$(field "$D" '(.CreatedAt | type) + (.IssuedAt | type)')" = stringstring

ok "request an EC_prime256v1 certificate" pca acm request-certificate --domain-name ec.example.com \
	--key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_EC"
EC=$(jq -r .CertificateArn <<<"$OUT")
pca hsmca advance-clock --seconds 2 >/dev/null	# distinct CreatedAt for the sorted listing
D=$(describe "$EC")
check "EC: KeyAlgorithm EC_prime256v1, SHA256WITHECDSA, ISSUED" \
	test "$(field "$D" '.KeyAlgorithm + " " + .SignatureAlgorithm + " " + .Status')" = \
	"EC_prime256v1 SHA256WITHECDSA ISSUED"
ok "request an EC_secp384r1 certificate" pca acm request-certificate --domain-name p384.example.com \
	--key-algorithm EC_secp384r1 --certificate-authority-arn "$CA_EC"
EC384=$(jq -r .CertificateArn <<<"$OUT")
pca hsmca advance-clock --seconds 2 >/dev/null

expect_error InvalidParameterException "an RSA key from an EC CA (key family must match)" \
	pca acm request-certificate --domain-name x.example.com --certificate-authority-arn "$CA_EC"
expect_error InvalidParameterException "EC_secp521r1 cannot be requested" pca acm request-certificate \
	--domain-name x.example.com --key-algorithm EC_secp521r1 --certificate-authority-arn "$CA_EC"
expect_error InvalidParameterException "nor RSA_1024" pca acm request-certificate \
	--domain-name x.example.com --key-algorithm RSA_1024 --certificate-authority-arn "$CA_RSA"
expect_error InvalidParameterException "a public certificate (no CA) is not issued here" \
	pca acm request-certificate --domain-name x.example.com
expect_error InvalidArnException "a malformed CA ARN" pca acm request-certificate \
	--domain-name x.example.com --certificate-authority-arn arn:aws:acm-pca:us-east-1:1:nope
expect_error ValidationException "a domain that is not a domain name" pca acm request-certificate \
	--domain-name -bad-.example.com --certificate-authority-arn "$CA_RSA"
expect_error InvalidDomainValidationOptionsException "validation options for another domain" \
	pca acm request-certificate --domain-name x.example.com --certificate-authority-arn "$CA_RSA" \
	--domain-validation-options DomainName=y.example.com,ValidationDomain=example.com

ok "request with an idempotency token" pca acm request-certificate --domain-name idem.example.com \
	--certificate-authority-arn "$CA_RSA" --idempotency-token tok_1
IDEM=$(jq -r .CertificateArn <<<"$OUT")
ok "the same token again" pca acm request-certificate --domain-name idem.example.com \
	--certificate-authority-arn "$CA_RSA" --idempotency-token tok_1
check "the same token answers the same certificate" test "$(jq -r .CertificateArn <<<"$OUT")" = "$IDEM"

# --- get ----------------------------------------------------------------------
ok "get-certificate" pca acm get-certificate --certificate-arn "$RSA"
jq -r .Certificate <<<"$OUT" >rsa.pem
jq -r .CertificateChain <<<"$OUT" >rsa-chain.pem
check "the chain is the CA's certificate" cmp -s <(openssl x509 -in rsa-chain.pem -outform DER) \
	<(openssl x509 -in ca-rsa.pem -outform DER)
check "the certificate verifies against the CA" openssl verify -CAfile ca-rsa.pem rsa.pem
expect_error ResourceNotFoundException "get of a certificate that does not exist" \
	pca acm get-certificate --certificate-arn "${RSA%/*}/00000000-0000-4000-8000-000000000000"
expect_error InvalidArnException "get with a malformed ARN" \
	pca acm get-certificate --certificate-arn "arn:aws:acm:us-east-1:$A:certificate/xyz"

# --- list -------------------------------------------------------------------------
ok "list-certificates (default filter)" pca acm list-certificates
check "RSA certificates only by default" test \
	"$(jq -r '[.CertificateSummaryList[].KeyAlgorithm] | unique | join(",")' <<<"$OUT")" = RSA_2048
check "the RSA certificate is listed, the EC one is not" test \
	"$(jq -r --arg r "$RSA" --arg e "$EC" '[.CertificateSummaryList[].CertificateArn] | (index($r) != null) and (index($e) == null)' <<<"$OUT")" = true
ok "list EC keys" pca acm list-certificates --includes '{"keyTypes":["EC_prime256v1","EC_secp384r1"]}'
check "both EC certificates and nothing else" test \
	"$(jq -r '[.CertificateSummaryList[].CertificateArn] | sort | join(" ")' <<<"$OUT")" = \
	"$(printf '%s\n' "$EC" "$EC384" | sort | tr '\n' ' ' | sed 's/ $//')"
ok "summary fields" pca acm list-certificates --includes '{"keyTypes":["EC_prime256v1"]}'
check "summary: Type, Status, KeyAlgorithm, Exported, RenewalEligibility" test \
	"$(jq -r '.CertificateSummaryList[0] | [.Type, .Status, .KeyAlgorithm, (.Exported|tostring), .RenewalEligibility] | join(" ")' <<<"$OUT")" = \
	"PRIVATE ISSUED EC_prime256v1 false INELIGIBLE"
ALL='{"keyTypes":["RSA_2048","EC_prime256v1","EC_secp384r1"]}'
ok "list all key types" pca acm list-certificates --includes "$ALL"
NALL=$(jq '.CertificateSummaryList | length' <<<"$OUT")
check "four certificates in all" test "$NALL" = 4
ok "page 1 of size 3" pca acm list-certificates --includes "$ALL" --max-items 3
P1=$(jq -r '[.CertificateSummaryList[].CertificateArn] | join(" ")' <<<"$OUT")
TOK=$(jq -r '.NextToken // empty' <<<"$OUT")
check "three items and a NextToken" test "$(wc -w <<<"$P1")" = 3 -a -n "$TOK"
ok "page 2" pca acm list-certificates --includes "$ALL" --max-items 3 --next-token "$TOK"
P2=$(jq -r '[.CertificateSummaryList[].CertificateArn] | join(" ")' <<<"$OUT")
check "one more, no token" test "$(wc -w <<<"$P2")" = 1 -a -z "$(jq -r '.NextToken // empty' <<<"$OUT")"
check "the pages do not overlap" test -z "$(comm -12 <(tr ' ' '\n' <<<"$P1" | sort) <(tr ' ' '\n' <<<"$P2" | sort))"
ok "sorted by creation, descending, pages of 2" pca acm list-certificates --includes "$ALL" \
	--sort-by CREATED_AT --sort-order DESCENDING --max-items 2
S1=$(jq -r '[.CertificateSummaryList[].CertificateArn] | join(" ")' <<<"$OUT")
TOK=$(jq -r '.NextToken // empty' <<<"$OUT")
ok "sorted page 2" pca acm list-certificates --includes "$ALL" --sort-by CREATED_AT \
	--sort-order DESCENDING --max-items 2 --next-token "$TOK"
S2=$(jq -r '[.CertificateSummaryList[].CertificateArn] | join(" ")' <<<"$OUT")
check "newest first: the idempotent one, then the P-384 one" test "${S1%% *}" = "$IDEM" -a "${S1#* }" = "$EC384"
check "then EC, then RSA" test "$S2" = "$EC $RSA"
expect_error ValidationException "SortBy without SortOrder" pca acm list-certificates --sort-by CREATED_AT
expect_error InvalidArgsException "a NextToken that is not one" pca acm list-certificates --next-token garbage
ok "status filter FAILED" pca acm list-certificates --certificate-statuses FAILED --includes "$ALL"
check "no FAILED certificate yet" test "$(jq '.CertificateSummaryList | length' <<<"$OUT")" = 0
ok "status filter ISSUED" pca acm list-certificates --certificate-statuses ISSUED --includes "$ALL"
check "four ISSUED" test "$(jq '.CertificateSummaryList | length' <<<"$OUT")" = 4

# --- export -------------------------------------------------------------------------
PASS='correct horse battery staple'
printf '%s' "$PASS" >pass.txt
ok "export-certificate with a passphrase" pca acm export-certificate --certificate-arn "$RSA" \
	--passphrase "$PASS"
jq -r .PrivateKey <<<"$OUT" >rsa-key.pem
jq -r .Certificate <<<"$OUT" >rsa-exported.pem
check "the key is encrypted PKCS#8" grep -q -- '-----BEGIN ENCRYPTED PRIVATE KEY-----' rsa-key.pem
check "openssl opens it with the passphrase" openssl pkey -in rsa-key.pem -passin file:pass.txt -noout
check "it is the certificate's key" test "$(openssl pkey -in rsa-key.pem -passin file:pass.txt -pubout)" = \
	"$(openssl x509 -in rsa-exported.pem -noout -pubkey)"
check "a wrong passphrase does not open it" bash -c '! openssl pkey -in rsa-key.pem -passin pass:wrong-one -noout 2>/dev/null'
check "the exported certificate verifies" openssl verify -CAfile ca-rsa.pem rsa-exported.pem
openssl pkey -in rsa-key.pem -passin file:pass.txt -outform DER -out rsa-key.der 2>/dev/null
openssl pkey -in rsa-key.pem -passin file:pass.txt -traditional -outform DER -out rsa-key-trad.der 2>/dev/null
D=$(describe "$RSA")
check "exported: RenewalEligibility ELIGIBLE" test "$(field "$D" .RenewalEligibility)" = ELIGIBLE
expect_param_error "an empty passphrase is refused" pca acm export-certificate --certificate-arn "$RSA" --passphrase ""
expect_param_error "a 3-byte passphrase is refused" pca acm export-certificate --certificate-arn "$RSA" --passphrase abc
expect_error ValidationException "a passphrase with # is refused by the service" \
	pca acm export-certificate --certificate-arn "$RSA" --passphrase 'abc#defg'
ok "export the EC certificate" pca acm export-certificate --certificate-arn "$EC" --passphrase "$PASS"
jq -r .PrivateKey <<<"$OUT" >ec-key.pem
jq -r .Certificate <<<"$OUT" >ec.pem
check "EC: the key opens and matches" test "$(openssl pkey -in ec-key.pem -passin file:pass.txt -pubout)" = \
	"$(openssl x509 -in ec.pem -noout -pubkey)"
check "EC: the certificate verifies" openssl verify -CAfile ca-ec.pem ec.pem
openssl pkey -in ec-key.pem -passin file:pass.txt -outform DER -out ec-key.der 2>/dev/null
ok "list: Exported" pca acm list-certificates --includes '{"keyTypes":["EC_prime256v1"]}'
check "the EC summary says Exported and ELIGIBLE" test \
	"$(jq -r '.CertificateSummaryList[0] | (.Exported|tostring) + " " + .RenewalEligibility' <<<"$OUT")" = "true ELIGIBLE"

# --- renew on demand: the CA's permission for acm.amazonaws.com --------------------------
SERIAL0=$(field "$(describe "$RSA")" .Serial)
ok "renew without the CA's permission (the request itself succeeds)" \
	pca acm renew-certificate --certificate-arn "$RSA"
D=$(describe "$RSA")
check "RenewalSummary: FAILED, PCA_ACCESS_DENIED" test \
	"$(field "$D" '.RenewalSummary.RenewalStatus + " " + .RenewalSummary.RenewalStatusReason')" = \
	"FAILED PCA_ACCESS_DENIED"
check "RenewalSummary has UpdatedAt and the domains" test \
	"$(field "$D" '(.RenewalSummary.UpdatedAt | type) + " " + (.RenewalSummary.DomainValidationOptions | length | tostring)')" = "string 2"
check "the old certificate stays" test "$(field "$D" .Serial)" = "$SERIAL0"
ok "grant acm.amazonaws.com only IssueCertificate and GetCertificate" pca acm-pca create-permission \
	--certificate-authority-arn "$CA_RSA" --principal acm.amazonaws.com --actions IssueCertificate GetCertificate
ok "renew with two of the three actions" pca acm renew-certificate --certificate-arn "$RSA"
check "still PCA_ACCESS_DENIED (ListPermissions is needed too)" test \
	"$(field "$(describe "$RSA")" '.RenewalSummary.RenewalStatusReason')" = PCA_ACCESS_DENIED
# the CA issues, but the certificate cannot be fetched: the renewal fails, and the next
# attempt, a day later, fetches that certificate instead of having the CA issue another
CA_RSA_ID=${CA_RSA##*/}
ncerts() { sqlite3 "$DB" "SELECT count(*) FROM certs WHERE ca_id = '$CA_RSA_ID'"; }
ok "replace it with IssueCertificate and ListPermissions (no GetCertificate)" \
	pca acm-pca delete-permission --certificate-authority-arn "$CA_RSA" --principal acm.amazonaws.com
ok "... create-permission IssueCertificate ListPermissions" pca acm-pca create-permission \
	--certificate-authority-arn "$CA_RSA" --principal acm.amazonaws.com \
	--actions IssueCertificate ListPermissions
N0=$(ncerts)
ok "renew: the CA issues, GetCertificate is denied" pca acm renew-certificate --certificate-arn "$RSA"
check "FAILED PCA_ACCESS_DENIED, the old certificate stays" test \
	"$(field "$(describe "$RSA")" '.RenewalSummary.RenewalStatusReason + " " + .Serial')" = \
	"PCA_ACCESS_DENIED $SERIAL0"
check "the CA issued one certificate" test "$(ncerts)" = $((N0 + 1))
UNDELIVERED=$(sqlite3 "$DB" "SELECT serial FROM certs WHERE ca_id = '$CA_RSA_ID' ORDER BY created_at DESC, rowid DESC LIMIT 1")
check "the renewal in flight is kept (key sealed, token)" test \
	"$(sqlite3 "$DB" "SELECT count(*), length(token) FROM acm_renew_intents WHERE cert_id = '${RSA##*/}'")" = "1|32"
ok "a day later" pca hsmca advance-clock --days 1
ok "replace it with all three actions" pca acm-pca delete-permission --certificate-authority-arn "$CA_RSA" \
	--principal acm.amazonaws.com
ok "create-permission IssueCertificate GetCertificate ListPermissions" pca acm-pca create-permission \
	--certificate-authority-arn "$CA_RSA" --principal acm.amazonaws.com \
	--actions IssueCertificate GetCertificate ListPermissions
ok "renew on demand" pca acm renew-certificate --certificate-arn "$RSA"
D=$(describe "$RSA")
check "RenewalSummary SUCCESS, no reason" test \
	"$(field "$D" '.RenewalSummary.RenewalStatus + " " + (.RenewalSummary.RenewalStatusReason // "-")')" = "SUCCESS -"
check "it is the certificate the CA issued a day before; none more was issued" test \
	"$(field "$D" .Serial | tr -d : | sed 's/^0*//') $(ncerts)" = "$(sed 's/^0*//' <<<"$UNDELIVERED" | tr -d : | tr A-F a-f) $((N0 + 1))"
check "the renewal in flight is gone" test \
	"$(sqlite3 "$DB" "SELECT count(*) FROM acm_renew_intents")" = 0
check "a new serial, the same ARN" test "$(field "$D" .Serial)" != "$SERIAL0" -a "$(field "$D" .CertificateArn)" = "$RSA"
check "INELIGIBLE until exported again" test "$(field "$D" .RenewalEligibility)" = INELIGIBLE
expect_error ValidationException "a renewed certificate not exported again cannot be renewed" \
	pca acm renew-certificate --certificate-arn "$RSA"
check "with AWS's words" grep -q "has not been exported so it is not eligible" "$IT_TMP/stderr"
ok "export the renewed certificate" pca acm export-certificate --certificate-arn "$RSA" --passphrase "$PASS"
jq -r .Certificate <<<"$OUT" >rsa-renewed.pem
jq -r .PrivateKey <<<"$OUT" >rsa-renewed-key.pem
check "the export is the new certificate" test \
	"$(openssl x509 -in rsa-renewed.pem -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/../&:/g; s/:$//')" = \
	"$(field "$D" .Serial)"
check "it verifies" openssl verify -CAfile ca-rsa.pem rsa-renewed.pem
check "with a new key" test "$(openssl pkey -in rsa-renewed-key.pem -passin file:pass.txt -pubout)" != \
	"$(openssl pkey -in rsa-key.pem -passin file:pass.txt -pubout)"

# --- longer RSA keys (beyond AWS's RSA_2048) ------------------------------------------------
for bits in 3072 4096; do
	ok "request an RSA_$bits certificate" pca acm request-certificate --domain-name "rsa$bits.example.com" \
		--key-algorithm "RSA_$bits" --certificate-authority-arn "$CA_RSA"
	ARN=$(jq -r .CertificateArn <<<"$OUT")
	check "RSA_$bits: KeyAlgorithm RSA_$bits, ISSUED" test \
		"$(field "$(describe "$ARN")" '.KeyAlgorithm + " " + .Status')" = "RSA_$bits ISSUED"
	ok "RSA_$bits: export" pca acm export-certificate --certificate-arn "$ARN" --passphrase "$PASS"
	jq -r .PrivateKey <<<"$OUT" >"rsa$bits-key.pem"
	jq -r .Certificate <<<"$OUT" >"rsa$bits.pem"
	openssl pkey -in "rsa$bits-key.pem" -passin file:pass.txt -outform DER -out "rsa$bits-key.der" 2>/dev/null
	check "RSA_$bits: a $bits-bit key that is the certificate's" test \
		"$(openssl pkey -in "rsa$bits-key.pem" -passin file:pass.txt -noout -text | sed -n 's|.*(\([0-9]*\) bit.*|\1|p') $(openssl pkey -in "rsa$bits-key.pem" -passin file:pass.txt -pubout | sha256sum)" = \
		"$bits $(openssl x509 -in "rsa$bits.pem" -noout -pubkey | sha256sum)"
	check "RSA_$bits: it verifies (on the moved clock)" openssl verify -no_check_time -CAfile ca-rsa.pem "rsa$bits.pem"
done
ok "renew the RSA_4096 certificate on demand" pca acm renew-certificate --certificate-arn "$ARN"
ok "export it" pca acm export-certificate --certificate-arn "$ARN" --passphrase "$PASS"
check "renewed with a new 4096-bit key" test "$(jq -r .PrivateKey <<<"$OUT" | \
	openssl pkey -passin file:pass.txt -noout -text | sed -n 's|.*(\([0-9]*\) bit.*|\1|p') $(field "$(describe "$ARN")" \
	'.KeyAlgorithm + " " + .RenewalSummary.RenewalStatus')" = "4096 RSA_4096 SUCCESS"
check "... not the old one" test "$(jq -r .PrivateKey <<<"$OUT" | openssl pkey -passin file:pass.txt -pubout)" != \
	"$(openssl pkey -in rsa4096-key.pem -passin file:pass.txt -pubout)"
ok "export again" pca acm export-certificate --certificate-arn "$RSA" --passphrase "$PASS"
PIDS=""
for i in 1 2 3 4; do
	pca acm renew-certificate --certificate-arn "$RSA" >"renew-$i.out" 2>"renew-$i.err" &
	PIDS="$PIDS $!"
done
# shellcheck disable=SC2086
wait $PIDS	# not a bare wait: the daemons are children of this shell too
check "four renewers at once: one renewal" test \
	"$(grep -c "certificate $RSA renewed" "$HSMCA_HOME/log/frontend.log")" = 2
check "the others were told it is in progress or done" test \
	"$(cat renew-*.err | grep -c -E 'RequestInProgressException|ValidationException')" = 3
ok "and export once more" pca acm export-certificate --certificate-arn "$RSA" --passphrase "$PASS"
ok "disable the CA" pca acm-pca update-certificate-authority --certificate-authority-arn "$CA_RSA" --status DISABLED
ok "renew while the CA is DISABLED" pca acm renew-certificate --certificate-arn "$RSA"
check "FAILED with PCA_INVALID_STATE" test \
	"$(field "$(describe "$RSA")" '.RenewalSummary.RenewalStatus + " " + .RenewalSummary.RenewalStatusReason')" = \
	"FAILED PCA_INVALID_STATE"
ok "enable the CA again" pca acm-pca update-certificate-authority --certificate-authority-arn "$CA_RSA" --status ACTIVE
ok "renew again" pca acm renew-certificate --certificate-arn "$RSA"
check "SUCCESS" test "$(field "$(describe "$RSA")" '.RenewalSummary.RenewalStatus')" = SUCCESS
ok "the owner lists the certificate's renewal events" pca hsmca list-renewal-events --certificate-arn "$RSA"
check "every attempt, in order" test \
	"$(jq -r '[.Events[] | .RenewalStatus + ":" + (.FailureReason // "")] | join(" ")' <<<"$OUT")" = \
	"FAILED:PCA_ACCESS_DENIED FAILED:PCA_ACCESS_DENIED FAILED:PCA_ACCESS_DENIED SUCCESS: SUCCESS: FAILED:PCA_INVALID_STATE SUCCESS:"
ok "request while the CA is DISABLED" pca acm-pca update-certificate-authority \
	--certificate-authority-arn "$CA_RSA" --status DISABLED
ok "request-certificate from a DISABLED CA answers an ARN" pca acm request-certificate \
	--domain-name failed.example.com --certificate-authority-arn "$CA_RSA"
FAILED=$(jq -r .CertificateArn <<<"$OUT")
D=$(describe "$FAILED")
check "that certificate is FAILED with PCA_INVALID_STATE" \
	test "$(field "$D" '.Status + " " + .FailureReason')" = "FAILED PCA_INVALID_STATE"
expect_error InvalidStateException "no certificate to get from it" \
	pca acm get-certificate --certificate-arn "$FAILED"
ok "list FAILED" pca acm list-certificates --certificate-statuses FAILED
check "just that one" test "$(jq -r '[.CertificateSummaryList[].CertificateArn] | join(" ")' <<<"$OUT")" = "$FAILED"
ok "enable the CA" pca acm-pca update-certificate-authority --certificate-authority-arn "$CA_RSA" --status ACTIVE

# --- who may request: the caller's rights on both services ---------------------------------
ok "create user requester" pca iam create-user --user-name requester
cat >requester.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["acm:RequestCertificate","acm:DescribeCertificate"],"Resource":"*"},
 {"Effect":"Allow","Action":["acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":"$CA_EC"}]}
EOF
ok "requester may request, and issue from the EC CA" pca iam put-user-policy --user-name requester \
	--policy-name req --policy-document file://requester.json
key_file requester requester.creds
ok "requester requests from the EC CA" as requester.creds pca acm request-certificate \
	--domain-name req.example.com --key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_EC"
check "ISSUED" test "$(field "$(describe "$(jq -r .CertificateArn <<<"$OUT")" requester.creds)" .Status)" = ISSUED
expect_error AccessDeniedException "requester cannot use the RSA CA (acm-pca decides)" \
	as requester.creds pca acm request-certificate --domain-name req.example.com --certificate-authority-arn "$CA_RSA"
check "the denial is acm-pca's" grep -q "acm-pca:IssueCertificate" "$IT_TMP/stderr"
expect_error AccessDeniedException "requester's key-family mismatch is not revealed for the RSA CA" \
	as requester.creds pca acm request-certificate --domain-name req.example.com \
	--key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_RSA"
expect_error AccessDeniedException "requester may not export (no acm:ExportCertificate)" \
	as requester.creds pca acm export-certificate --certificate-arn "$EC" --passphrase "$PASS"
ok "create user nopca" pca iam create-user --user-name nopca
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm:*","Resource":"*"}]}' >acm-all.json
ok "nopca may do anything in acm, nothing in acm-pca" pca iam put-user-policy --user-name nopca \
	--policy-name acm --policy-document file://acm-all.json
key_file nopca nopca.creds
expect_error AccessDeniedException "nopca cannot have the CA issue" as nopca.creds \
	pca acm request-certificate --domain-name n.example.com --key-algorithm EC_prime256v1 \
	--certificate-authority-arn "$CA_EC"
ok "nopca lists only its account's certificates (all of them)" as nopca.creds pca acm list-certificates
expect_error AccessDeniedException "nopca cannot describe a certificate of another account" \
	as nopca.creds pca acm describe-certificate --certificate-arn \
	"${RSA/:$A:/:000000000000:}"

# --- another account: the service-linked role ----------------------------------------------
ok "add account B" "$BUILD/frontend/pca-frontend" -c "$HSMCA_HOME/frontend.conf" \
	add-account --credentials-file "$WORK/b.creds" --profile default --name team-b
B=$(as b.creds pca sts get-caller-identity | jq -r .Account)
ok "add account C" "$BUILD/frontend/pca-frontend" -c "$HSMCA_HOME/frontend.conf" \
	add-account --credentials-file "$WORK/c.creds" --profile default --name team-c
C=$(as c.creds pca sts get-caller-identity | jq -r .Account)
cat >share.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Read","Effect":"Allow","Principal":{"AWS":["$B","$C"]},
  "Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate",
            "acm-pca:GetCertificateAuthorityCertificate","acm-pca:ListPermissions","acm-pca:ListTags"],
  "Resource":"$CA_EC"},
 {"Sid":"Issue","Effect":"Allow","Principal":{"AWS":["$B","$C"]},"Action":"acm-pca:IssueCertificate",
  "Resource":"$CA_EC",
  "Condition":{"StringEquals":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}}}]}
EOF
ok "share the EC CA with B and C by resource policy" pca acm-pca put-policy --resource-arn "$CA_EC" \
	--policy file://share.json
expect_error NoSuchEntity "B has no ACM service-linked role yet" as b.creds \
	pca iam get-role --role-name AWSServiceRoleForCertificateManager
ok "B's root requests from the shared CA" as b.creds pca acm request-certificate \
	--domain-name b.example.com --key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_EC"
BC=$(jq -r .CertificateArn <<<"$OUT")
check "B's certificate is ISSUED, in B's account" test \
	"$(field "$(describe "$BC" b.creds)" .Status)" = ISSUED -a "$(cut -d: -f5 <<<"$BC")" = "$B"
ok "the request created B's service-linked role" as b.creds \
	pca iam get-role --role-name AWSServiceRoleForCertificateManager
check "on the service-linked path" test "$(jq -r .Role.Path <<<"$OUT")" = /aws-service-role/acm.amazonaws.com/
expect_error AccessDeniedException "A does not see B's certificate" pca acm describe-certificate --certificate-arn "$BC"
ok "B exports" as b.creds pca acm export-certificate --certificate-arn "$BC" --passphrase "$PASS"
BSER=$(field "$(describe "$BC" b.creds)" .Serial)
ok "B renews through its service-linked role and the CA's policy" as b.creds \
	pca acm renew-certificate --certificate-arn "$BC"
D=$(describe "$BC" b.creds)
check "B: SUCCESS, new serial" test "$(field "$D" .RenewalSummary.RenewalStatus)" = SUCCESS -a \
	"$(field "$D" .Serial)" != "$BSER"

ok "C creates user c-req (acm and the CA, but not iam:CreateServiceLinkedRole)" \
	as c.creds pca iam create-user --user-name c-req
cat >c-req.json <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["acm:*","acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":"*"}]}
EOF
ok "c-req's policy" as c.creds pca iam put-user-policy --user-name c-req --policy-name p \
	--policy-document file://c-req.json
key_file c-req c-req.creds "$WORK/c.creds"
ok "c-req requests from the shared CA" as c-req.creds pca acm request-certificate \
	--domain-name c.example.com --key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_EC"
CC=$(jq -r .CertificateArn <<<"$OUT")
check "ISSUED all the same" test "$(field "$(describe "$CC" c-req.creds)" .Status)" = ISSUED
expect_error NoSuchEntity "but C has no service-linked role" as c.creds \
	pca iam get-role --role-name AWSServiceRoleForCertificateManager
ok "c-req exports" as c-req.creds pca acm export-certificate --certificate-arn "$CC" --passphrase "$PASS"
ok "c-req renews" as c-req.creds pca acm renew-certificate --certificate-arn "$CC"
check "FAILED with SLR_NOT_FOUND" test \
	"$(field "$(describe "$CC" c-req.creds)" '.RenewalSummary.RenewalStatus + " " + .RenewalSummary.RenewalStatusReason')" = \
	"FAILED SLR_NOT_FOUND"
ok "C's root creates the role" as c.creds pca iam create-service-linked-role --aws-service-name acm.amazonaws.com
ok "c-req renews again" as c-req.creds pca acm renew-certificate --certificate-arn "$CC"
check "now SUCCESS" test "$(field "$(describe "$CC" c-req.creds)" .RenewalSummary.RenewalStatus)" = SUCCESS

# --- import, re-import, delete -----------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout imp.key -out imp.pem -days 30 -subj /CN=imported.example.com \
	-addext subjectAltName=DNS:imported.example.com,DNS:alt.example.com 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout imp2.key -out imp2.pem -days 60 \
	-subj /CN=imported.example.com 2>/dev/null
ok "import a certificate with tags" pca acm import-certificate --certificate fileb://imp.pem \
	--private-key fileb://imp.key --certificate-chain fileb://imp.pem --tags Key=env,Value=test
IMP=$(jq -r .CertificateArn <<<"$OUT")
D=$(describe "$IMP")
check "IMPORTED, ISSUED, RSA_2048, INELIGIBLE" test \
	"$(field "$D" '[.Type, .Status, .KeyAlgorithm, .RenewalEligibility] | join(" ")')" = \
	"IMPORTED ISSUED RSA_2048 INELIGIBLE"
check "its names and ImportedAt" test "$(field "$D" '(.SubjectAlternativeNames | join(",")) + " " + (.ImportedAt | type)')" = \
	"imported.example.com,alt.example.com string"
ok "its tag" pca acm list-tags-for-certificate --certificate-arn "$IMP"
check "env=test" test "$(jq -r '.Tags | map(.Key + "=" + .Value) | join(",")' <<<"$OUT")" = env=test
expect_error ValidationException "a key that is not the certificate's" pca acm import-certificate \
	--certificate fileb://imp.pem --private-key fileb://imp2.key
expect_error ValidationException "a certificate that is not one" pca acm import-certificate \
	--certificate fileb://imp.key --private-key fileb://imp.key
ok "re-import another certificate over the same ARN" pca acm import-certificate \
	--certificate-arn "$IMP" --certificate fileb://imp2.pem --private-key fileb://imp2.key
check "the same ARN" test "$(jq -r .CertificateArn <<<"$OUT")" = "$IMP"
D=$(describe "$IMP")
check "now EC_prime256v1 with the new serial" test "$(field "$D" .KeyAlgorithm)" = EC_prime256v1 -a \
	"$(field "$D" .Serial | tr -d :)" = "$(openssl x509 -in imp2.pem -noout -serial | cut -d= -f2 | tr A-F a-f)"
expect_error InvalidParameterException "no tags on re-import" pca acm import-certificate \
	--certificate-arn "$IMP" --certificate fileb://imp2.pem --private-key fileb://imp2.key --tags Key=a,Value=b
expect_error ValidationException "no re-import over a private certificate" pca acm import-certificate \
	--certificate-arn "$EC" --certificate fileb://imp2.pem --private-key fileb://imp2.key
ok "export the imported certificate" pca acm export-certificate --certificate-arn "$IMP" --passphrase "$PASS"
check "its key is the imported one" test \
	"$(jq -r .PrivateKey <<<"$OUT" | openssl pkey -passin file:pass.txt -pubout)" = "$(openssl pkey -in imp2.key -pubout)"
expect_error ValidationException "an imported certificate is never renewed" \
	pca acm renew-certificate --certificate-arn "$IMP"
ok "delete the imported certificate" pca acm delete-certificate --certificate-arn "$IMP"
expect_error ResourceNotFoundException "it is gone" pca acm describe-certificate --certificate-arn "$IMP"
expect_error ResourceNotFoundException "deleting it again" pca acm delete-certificate --certificate-arn "$IMP"

# --- tags, options, account configuration --------------------------------------------------
ok "add tags" pca acm add-tags-to-certificate --certificate-arn "$EC" --tags Key=a,Value=1 Key=b,Value=2 Key=c
ok "list tags" pca acm list-tags-for-certificate --certificate-arn "$EC"
check "a=1,b=2,c=" test "$(jq -r '.Tags | map(.Key + "=" + (.Value // "")) | join(",")' <<<"$OUT")" = "a=1,b=2,c="
ok "remove a regardless of value, b only with a wrong value" pca acm remove-tags-from-certificate \
	--certificate-arn "$EC" --tags Key=a Key=b,Value=9
ok "list tags after" pca acm list-tags-for-certificate --certificate-arn "$EC"
check "b=2,c=" test "$(jq -r '.Tags | map(.Key + "=" + (.Value // "")) | join(",")' <<<"$OUT")" = "b=2,c="
expect_error InvalidTagException "aws: keys are reserved" pca acm add-tags-to-certificate \
	--certificate-arn "$EC" --tags Key=aws:x,Value=1
python3 -c 'import json; print(json.dumps([{"Key":"k%d" % i,"Value":"v"} for i in range(48)]))' >tags48.json
ok "48 more tags (50 in all)" pca acm add-tags-to-certificate --certificate-arn "$EC" --tags file://tags48.json
expect_error TooManyTagsException "a 51st tag" pca acm add-tags-to-certificate --certificate-arn "$EC" \
	--tags Key=one-too-many,Value=x

expect_error InvalidStateException "update-certificate-options is refused for private certificates (as AWS)" \
	pca acm update-certificate-options --certificate-arn "$EC" \
	--options CertificateTransparencyLoggingPreference=DISABLED
check "with AWS's words" grep -q "not permitted for private certificates" "$IT_TMP/stderr"

ok "get-account-configuration" pca acm get-account-configuration
check "DaysBeforeExpiry defaults to 60" test "$(jq -r .ExpiryEvents.DaysBeforeExpiry <<<"$OUT")" = 60
ok "put DaysBeforeExpiry 30" pca acm put-account-configuration --idempotency-token t1 \
	--expiry-events DaysBeforeExpiry=30
ok "get it back" pca acm get-account-configuration
check "30" test "$(jq -r .ExpiryEvents.DaysBeforeExpiry <<<"$OUT")" = 30
expect_error ValidationException "more than a certificate lives" pca acm put-account-configuration \
	--idempotency-token t2 --expiry-events DaysBeforeExpiry=400
ok "B's configuration is its own" as b.creds pca acm get-account-configuration
check "B: 60" test "$(jq -r .ExpiryEvents.DaysBeforeExpiry <<<"$OUT")" = 60

# --- automatic renewal (the scheduler) ----------------------------------------------------------
ok "request a certificate to be renewed automatically" pca acm request-certificate \
	--domain-name auto.example.com --certificate-authority-arn "$CA_RSA"
AUTO=$(jq -r .CertificateArn <<<"$OUT")
ok "export it" pca acm export-certificate --certificate-arn "$AUTO" --passphrase "$PASS"
ASER=$(field "$(describe "$AUTO")" .Serial)
ok "a sweep now" pca hsmca run-scheduler
check "not due: no RenewalSummary" test "$(field "$(describe "$AUTO")" .RenewalSummary)" = null
ok "move to 59 days before NotAfter" pca hsmca advance-clock --days 336
ok "a sweep" pca hsmca run-scheduler
check "the account's window is 30 days (put above): not yet" \
	test "$(field "$(describe "$AUTO")" .RenewalSummary)" = null
ok "a 60-day window again" pca acm put-account-configuration --idempotency-token t3 \
	--expiry-events DaysBeforeExpiry=60
ok "a sweep" pca hsmca run-scheduler
D=$(describe "$AUTO")
check "renewed by the scheduler: SUCCESS, new serial, same ARN" test \
	"$(field "$D" '.RenewalSummary.RenewalStatus + " " + .CertificateArn')" = "SUCCESS $AUTO" -a \
	"$(field "$D" .Serial)" != "$ASER"
check "the EC certificate (exported; its CA grants the service nothing) FAILED: PCA_ACCESS_DENIED" test \
	"$(field "$(describe "$EC")" '.RenewalSummary.RenewalStatus + " " + .RenewalSummary.RenewalStatusReason')" = \
	"FAILED PCA_ACCESS_DENIED"
ok "another sweep" pca hsmca run-scheduler
check "renewed once only" test "$(field "$(describe "$AUTO")" .Serial)" = "$(field "$D" .Serial)"
ok "the next export is the new certificate" pca acm export-certificate --certificate-arn "$AUTO" \
	--passphrase "$PASS"
jq -r .Certificate <<<"$OUT" >auto.pem
check "with the new serial, verified by the CA (its time is the service clock's)" test \
	"$(openssl x509 -in auto.pem -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/../&:/g; s/:$//')" = \
	"$(field "$D" .Serial)" -a -n "$(openssl verify -no_check_time -CAfile ca-rsa.pem auto.pem 2>/dev/null | grep OK)"

# --- the signer away: retry later, nothing recorded ---------------------------------------------
SER=$(field "$(describe "$RSA")" .Serial)
ok "export RSA again (eligible)" pca acm export-certificate --certificate-arn "$RSA" --passphrase "$PASS"
instance_signer_stop
expect_error ServiceUnavailable "request while the signer is away" pca acm request-certificate \
	--domain-name away.example.com --certificate-authority-arn "$CA_RSA"
expect_error ServiceUnavailable "export while the signer is away" pca acm export-certificate \
	--certificate-arn "$RSA" --passphrase "$PASS"
expect_error ServiceUnavailable "renew while the signer is away" pca acm renew-certificate \
	--certificate-arn "$RSA"
instance_signer_start "$BUILD" || echo "# signer did not restart"
D=$(describe "$RSA")
check "the renewal left no failure behind" test \
	"$(field "$D" '.RenewalSummary.RenewalStatus + " " + .Serial + " " + .RenewalEligibility')" = "SUCCESS $SER ELIGIBLE"
ok "the signer is back: renew" pca acm renew-certificate --certificate-arn "$RSA"
check "renewed" test "$(field "$(describe "$RSA")" .Serial)" != "$SER"

# --- time ------------------------------------------------------------------------------------
ok "move the clock 400 days" pca hsmca advance-clock --days 400
D=$(describe "$EC")
check "the EC certificate has EXPIRED and is INELIGIBLE" test \
	"$(field "$D" '.Status + " " + .RenewalEligibility')" = "EXPIRED INELIGIBLE"
expect_error ValidationException "an expired certificate is not renewed" \
	pca acm renew-certificate --certificate-arn "$EC"
ok "list EXPIRED" pca acm list-certificates --certificate-statuses EXPIRED --includes "$ALL"
check "the EC certificate is among them" grep -q "$EC" <<<"$OUT"

# --- keys at rest -----------------------------------------------------------------------------
check "no PEM private key in the database" test \
	"$(sqlite3 "$DB" .dump | grep -c 'PRIVATE KEY')" = 0
openssl pkey -in imp.key -outform DER -out imp-key.der 2>/dev/null
openssl pkey -in imp2.key -outform DER -out imp2-key.der 2>/dev/null
for f in rsa-key.der rsa-key-trad.der ec-key.der rsa3072-key.der rsa4096-key.der imp-key.der imp2-key.der; do
	check "the key DER ($f) is not in the database files" python3 - "$f" "$DB" <<'EOF'
import os, sys
key = open(sys.argv[1], "rb").read()
assert len(key) > 100, "no key"
for path in (sys.argv[2], sys.argv[2] + "-wal"):
    if os.path.exists(path) and key in open(path, "rb").read():
        sys.exit(1)
EOF
done
check "no sanitizer report or crash so far" test -z "$(grep -l -E 'AddressSanitizer|runtime error' "$HSMCA_HOME"/log/*.log 2>/dev/null)"
it_done
