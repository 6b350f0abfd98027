#!/usr/bin/env bash
# Every key algorithm and signing algorithm, then what time does to CAs,
# through the test clock (never by sleeping): a deleted CA is restorable
# within its window and purged after it, with its key destroyed in the
# token; a CA whose certificate runs out becomes EXPIRED and stops issuing.
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=leaf.example" 2>/dev/null

root_ca() {	# key sig -> the CA's ARN in ca.arn (ok runs this in a subshell)
	cat >ca.json <<EOF
{"KeyAlgorithm": "$1", "SigningAlgorithm": "$2", "Subject": {"CommonName": "root $1"}}
EOF
	CA=$(pca acm-pca create-certificate-authority --certificate-authority-configuration file://ca.json \
		--certificate-authority-type ROOT | jq -r .CertificateAuthorityArn) &&
	echo "$CA" >ca.arn &&
	pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$CA" | jq -r .Csr >ca.csr &&
	A=$(pca acm-pca issue-certificate --certificate-authority-arn "$CA" --csr fileb://ca.csr \
		--signing-algorithm "$2" --template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 \
		--validity Value=3650,Type=DAYS | jq -r .CertificateArn) &&
	pca acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$A" |
		jq -r .Certificate >ca.pem &&
	pca acm-pca import-certificate-authority-certificate --certificate-authority-arn "$CA" \
		--certificate fileb://ca.pem
}

leaf_verifies() {	# sig
	local a
	a=$(pca acm-pca issue-certificate --certificate-authority-arn "$CA" --csr fileb://leaf.csr \
		--signing-algorithm "$1" --validity Value=7,Type=DAYS | jq -r .CertificateArn) &&
	pca acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$a" |
		jq -r .Certificate >leaf.pem &&
	openssl verify -x509_strict -CAfile ca.pem leaf.pem >/dev/null &&
	openssl x509 -in leaf.pem -noout -text | grep -qi "Signature Algorithm: $2"
}

for spec in "RSA_2048 SHA256WITHRSA" "RSA_3072 SHA384WITHRSA" "RSA_4096 SHA512WITHRSA" \
    "EC_prime256v1 SHA256WITHECDSA" "EC_secp384r1 SHA384WITHECDSA"; do
	set -- $spec
	ok "a $1 root CA reaches ACTIVE" root_ca "$1" "$2"
	CA=$(cat ca.arn)
	check "$1: the root certificate's key is the token's" \
		grep -q "$( [ "${1%%_*}" = RSA ] && echo "Public-Key: (${1#RSA_} bit)" || echo 'ASN1 OID: ')" \
		<(openssl x509 -in ca.pem -noout -text)
	case $1 in
	RSA_*) sigs="SHA256WITHRSA:sha256WithRSAEncryption SHA384WITHRSA:sha384WithRSAEncryption SHA512WITHRSA:sha512WithRSAEncryption" ;;
	*) sigs="SHA256WITHECDSA:ecdsa-with-SHA256 SHA384WITHECDSA:ecdsa-with-SHA384 SHA512WITHECDSA:ecdsa-with-SHA512" ;;
	esac
	for s in $sigs; do
		ok "$1 issues with ${s%%:*}" leaf_verifies "${s%%:*}" "${s#*:}"
	done
done

for k in EC_secp521r1 ML_DSA_44 SM2; do
	cat >bad.json <<EOF
{"KeyAlgorithm": "$k", "SigningAlgorithm": "SHA256WITHECDSA", "Subject": {"CommonName": "x"}}
EOF
	expect_error InvalidArgsException "$k is refused with a clear error" \
		pca acm-pca create-certificate-authority --certificate-authority-configuration file://bad.json \
		--certificate-authority-type ROOT
done
cat >bad.json <<'EOF'
{"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHECDSA", "Subject": {"CommonName": "x"}}
EOF
expect_error InvalidArgsException "a signing algorithm of the other family is refused" \
	pca acm-pca create-certificate-authority --certificate-authority-configuration file://bad.json \
	--certificate-authority-type ROOT
cat >bad.json <<'EOF'
{"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA", "Subject": {"Country": "USA"}}
EOF
expect_param_error "a three-letter country is refused" \
	pca acm-pca create-certificate-authority --certificate-authority-configuration file://bad.json \
	--certificate-authority-type ROOT

# --- permanent deletion: restore window, then the key is destroyed ------------------
export PIN
PIN=$(cat "$HSMCA_HOME/user.pin")
token_labels() {
	pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label hsmca --login --pin env:PIN \
		--list-objects --type privkey 2>/dev/null | sed -n 's/^ *label: *//p'
}
cat >gone.json <<'EOF'
{"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA", "Subject": {"CommonName": "to be deleted"}}
EOF
ok "create a CA to delete" pca acm-pca create-certificate-authority \
	--certificate-authority-configuration file://gone.json --certificate-authority-type ROOT
GONE=$(jq -r .CertificateAuthorityArn <<<"$OUT")
label="hsmca-ca-$(basename "$GONE" | tr -d -)"
check "its key is in the token" grep -qx "$label" <(token_labels)
ok "delete it with a 7-day window (PENDING_CERTIFICATE)" pca acm-pca delete-certificate-authority \
	--certificate-authority-arn "$GONE" --permanent-deletion-time-in-days 7
ok "6 days later" pca hsmca advance-clock --days 6
ok "the scheduler runs" pca hsmca run-scheduler
check "nothing purged yet" test "$(jq -r .PurgedCertificateAuthorities <<<"$OUT")" = 0
ok "still restorable: describe" pca acm-pca describe-certificate-authority --certificate-authority-arn "$GONE"
check "DELETED" test "$(jq -r .CertificateAuthority.Status <<<"$OUT")" = DELETED
check "the key is still in the token" grep -qx "$label" <(token_labels)
ok "2 more days" pca hsmca advance-clock --days 2
expect_error InvalidStateException "too late to restore" \
	pca acm-pca restore-certificate-authority --certificate-authority-arn "$GONE"
ok "the scheduler runs" pca hsmca run-scheduler
check "one CA purged" test "$(jq -r .PurgedCertificateAuthorities <<<"$OUT")" = 1
expect_error ResourceNotFoundException "the CA is gone" \
	pca acm-pca describe-certificate-authority --certificate-authority-arn "$GONE"
check "its key is destroyed in the token" bash -c "! grep -qx '$label' <<<'$(token_labels)'"
check "the other CAs' keys are untouched" test "$(token_labels | grep -c '^hsmca-ca-')" -eq 5

# --- the data-key wrapping key (managed certificates' keys are stored wrapped) -------
# the signer made it at start, inside the token; it never leaves it
p11() {
	pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label hsmca --login --pin env:PIN "$@"
}
secret=$(p11 --list-objects --type secrkey 2>/dev/null)
check "one secret key in the token, the wrapping key" \
	test "$(grep -c 'Secret Key Object' <<<"$secret")" -eq 1 -a \
	"$(sed -n 's/^ *label: *//p' <<<"$secret")" = hsmca-wrap-1
check "AES-256" grep -q 'Secret Key Object; AES length 32' <<<"$secret"
check "sensitive, never extractable, made in the token" \
	grep -q 'Access:.*sensitive.*never extractable.*local' <<<"$secret"
check "usage encrypt and decrypt only" grep -qE 'Usage: *encrypt, decrypt$' <<<"$secret"
check "its value cannot be read (CKA_VALUE is sensitive)" bash -c \
	"! pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label hsmca --login \
	--pin env:PIN --read-object --type secrkey --label hsmca-wrap-1 -o '$WORK/wrap.bin' \
	2>/dev/null && test ! -s '$WORK/wrap.bin'"

# --- expiry: a CA whose certificate ran out ------------------------------------------
ok "ten years later" pca hsmca advance-clock --days 3660
ok "describe the last root" pca acm-pca describe-certificate-authority --certificate-authority-arn "$CA"
check "EXPIRED" test "$(jq -r .CertificateAuthority.Status <<<"$OUT")" = EXPIRED
expect_error InvalidStateException "an EXPIRED CA does not issue" \
	pca acm-pca issue-certificate --certificate-authority-arn "$CA" --csr fileb://leaf.csr \
	--signing-algorithm SHA384WITHECDSA --validity Value=7,Type=DAYS
expect_error InvalidStateException "an EXPIRED CA cannot be enabled" \
	pca acm-pca update-certificate-authority --certificate-authority-arn "$CA" --status ACTIVE
ok "but it can be deleted" pca acm-pca delete-certificate-authority --certificate-authority-arn "$CA" \
	--permanent-deletion-time-in-days 7
it_done
