#!/usr/bin/env bash
# The HTTPS listener (HSMCA_HTTPS=1: its certificate issued by the instance's
# own "hsmca local TLS root" CA, the bundle in $HSMCA_CA_BUNDLE), with the aws
# CLI v1 (python3 -m awscli or aws on PATH, when there is one), the aws CLI v2
# (Debian's /usr/bin/aws) and boto3, all with --ca-bundle / verify=bundle:
#  - the server certificate verifies against the bundle (openssl s_client
#    -verify_return_error, for localhost and 127.0.0.1), and was issued by
#    hsmca (EndEntityServerAuthCertificate: TLS server auth);
#  - with each client, the single-account unmanaged flow: a root CA (create,
#    wait certificate-authority-csr-created, CSR, issue RootCACertificate/V1,
#    wait certificate-issued, import), create-permission for
#    acm.amazonaws.com as AWS documents it, a leaf from --csr fileb://,
#    get-certificate, openssl verify; acm request-certificate from the CA and
#    wait certificate-validated;
#  - a client without the bundle is refused (certificate verify failed);
#    plain HTTP to the HTTPS port fails cleanly and the listener keeps
#    serving; the HTTP listener keeps working; a key file readable by others
#    is refused; a restart reuses the certificate and the port.
. "$(dirname "$0")/lib.sh"
export HSMCA_HTTPS=1
it_up
cd "$WORK" || exit 1

# no user configuration: only what the instance wrote
: >"$WORK/aws-config"
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_DEFAULT_OUTPUT=json AWS_PAGER="" \
	AWS_EC2_METADATA_DISABLED=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CA_BUNDLE \
	REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE

EP=${HSMCA_HTTPS_ENDPOINT:-}
BUNDLE=${HSMCA_CA_BUNDLE:-}
[ -n "$EP" ] && [ -f "$BUNDLE" ] || {
	echo "Bail out! no HSMCA_HTTPS_ENDPOINT / HSMCA_CA_BUNDLE in $HSMCA_HOME/env"
	exit 1
}
PORT=${EP##*:}
CLIENT="$HSMCA_TOP/tests/integration/http_tls_client.py"

# a Python with boto3: the one on PATH, else Debian's (python3-boto3)
PY=""
for p in "$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)" /usr/bin/python3; do
	[ -n "$p" ] && "$p" -c 'import boto3' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || { echo "Bail out! no boto3"; exit 1; }
# the aws CLI v2: Debian's awscli (scripts/lib/deps.sh); v1: the one on PATH
# (a version manager's, here), called through its interpreter when it can be
AWS2=(/usr/bin/aws)
[ -x /usr/bin/aws ] || { echo "Bail out! no aws CLI v2 at /usr/bin/aws (Debian's awscli)"; exit 1; }
AWS1=()
if "$PY" -c 'import awscli, sys; sys.exit(awscli.__version__[0] != "1")' 2>/dev/null; then
	AWS1=("$PY" -m awscli)
elif command -v aws >/dev/null 2>&1 && aws --version 2>&1 | grep -q '^aws-cli/1\.'; then
	AWS1=(aws)
fi
echo "# v1: $([ ${#AWS1[@]} -gt 0 ] && "${AWS1[@]}" --version 2>&1 || echo none)"
echo "# v2: $("${AWS2[@]}" --version 2>&1); boto3 under $PY; endpoint $EP"

# --- the server certificate -------------------------------------------------------
ok "openssl s_client -verify_return_error with the bundle (localhost)" \
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$BUNDLE" \
	-verify_return_error -verify_hostname localhost </dev/null
check "... Verify return code: 0 (ok)" grep -q 'Verify return code: 0 (ok)' <<<"$OUT"
ok "... and for the address 127.0.0.1" openssl s_client -connect "127.0.0.1:$PORT" \
	-CAfile "$BUNDLE" -verify_return_error -verify_ip 127.0.0.1 </dev/null
check "the server certificate verifies with openssl verify" \
	openssl verify -CAfile "$BUNDLE" -untrusted "$HSMCA_HOME/tls/server.pem" "$HSMCA_HOME/tls/server.pem"
TEXT=$(openssl x509 -in "$HSMCA_HOME/tls/server.pem" -noout -text)
check "... CN=localhost, issued by 'hsmca local TLS root'" grep -q \
	'Issuer: CN *= *hsmca local TLS root' <<<"$TEXT"
check "... subjectAltName DNS:localhost, IP:127.0.0.1" grep -q \
	'DNS:localhost, IP Address:127.0.0.1' <<<"$TEXT"
check "... TLS Web Server Authentication (EndEntityServerAuthCertificate/V1)" grep -q \
	'TLS Web Server Authentication' <<<"$TEXT"
check "server.key is mode 0600" test "$(stat -c %a "$HSMCA_HOME/tls/server.key")" = 600
TLSCA=$(cat "$HSMCA_HOME/tls/ca.arn")
ok "the TLS root is a CA of the administrator's account" pca acm-pca describe-certificate-authority \
	--certificate-authority-arn "$TLSCA"
check "... ACTIVE, ROOT, EC_prime256v1, 'hsmca local TLS root'" test \
	"$(jq -r '.CertificateAuthority | "\(.Status) \(.Type) \(.CertificateAuthorityConfiguration.KeyAlgorithm) \(.CertificateAuthorityConfiguration.Subject.CommonName)"' <<<"$OUT")" \
	= "ACTIVE ROOT EC_prime256v1 hsmca local TLS root"
ok "its CA certificate" pca acm-pca get-certificate-authority-certificate --certificate-authority-arn "$TLSCA"
check "... is the bundle" test "$(jq -r .Certificate <<<"$OUT")" = "$(cat "$BUNDLE")"

# --- without the bundle: refused ----------------------------------------------------------
expect_refused() {
	local name=$1 err rc
	shift
	OUT=$("$@" 2>"$IT_TMP/stderr")
	rc=$?
	err=$(cat "$IT_TMP/stderr")
	if [ "$rc" -ne 0 ] && grep -qi 'certificate verify failed' <<<"$err$OUT"; then
		_it_result 0 "$name"
	else
		_it_result 1 "$name" "expected 'certificate verify failed'; exit $rc
$err
$OUT"
	fi
}
if [ ${#AWS1[@]} -gt 0 ]; then
	expect_refused "aws CLI v1 without --ca-bundle: certificate verify failed" \
		"${AWS1[@]}" --endpoint-url "$EP" acm-pca list-certificate-authorities
fi
expect_refused "aws CLI v2 without --ca-bundle: certificate verify failed" \
	"${AWS2[@]}" --endpoint-url "$EP" acm-pca list-certificate-authorities
ok "boto3 with verify=True: SSLError, certificate verify failed" "$PY" "$CLIENT" unverified "$EP"
CODE=0
curl -s -o /dev/null "$EP/" || CODE=$?
check "curl without --cacert: exit 60 (peer certificate cannot be authenticated)" test "$CODE" = 60
OUT=$(openssl s_client -connect "127.0.0.1:$PORT" -verify_return_error </dev/null 2>&1)
check "openssl s_client -verify_return_error without the bundle fails" test $? -ne 0

# --- the flow, with each client ------------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
	-out leaf.csr -subj /CN=service.internal 2>/dev/null

# flow NAME CLI...: the single-account unmanaged flow over HTTPS
flow() {
	local n=$1 ca root leaf acm status
	shift
	local cli=("$@" --endpoint-url "$EP" --ca-bundle "$BUNDLE")
	printf '{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"%s TLS Root CA"}}' \
		"$n" >"ca-$n.json"
	ok "$n: create-certificate-authority" "${cli[@]}" acm-pca create-certificate-authority \
		--certificate-authority-type ROOT --certificate-authority-configuration "file://ca-$n.json"
	ca=$(jq -r .CertificateAuthorityArn <<<"$OUT")
	ok "$n: wait certificate-authority-csr-created" "${cli[@]}" acm-pca wait \
		certificate-authority-csr-created --certificate-authority-arn "$ca"
	ok "$n: get-certificate-authority-csr" "${cli[@]}" acm-pca get-certificate-authority-csr \
		--certificate-authority-arn "$ca" --output text
	printf '%s\n' "$OUT" >"ca-$n.csr"
	ok "$n: issue-certificate RootCACertificate/V1 --csr fileb://" "${cli[@]}" acm-pca \
		issue-certificate --certificate-authority-arn "$ca" --csr "fileb://ca-$n.csr" \
		--signing-algorithm SHA256WITHECDSA --validity Value=5,Type=YEARS \
		--template-arn arn:aws:acm-pca:::template/RootCACertificate/V1
	root=$(jq -r .CertificateArn <<<"$OUT")
	ok "$n: wait certificate-issued (root)" "${cli[@]}" acm-pca wait certificate-issued \
		--certificate-authority-arn "$ca" --certificate-arn "$root"
	ok "$n: get-certificate (root)" "${cli[@]}" acm-pca get-certificate \
		--certificate-authority-arn "$ca" --certificate-arn "$root"
	jq -r .Certificate <<<"$OUT" >"ca-$n.pem"
	ok "$n: import-certificate-authority-certificate --certificate fileb://" "${cli[@]}" acm-pca \
		import-certificate-authority-certificate --certificate-authority-arn "$ca" \
		--certificate "fileb://ca-$n.pem"
	ok "$n: create-permission (as AWS documents it)" "${cli[@]}" acm-pca create-permission \
		--certificate-authority-arn "$ca" --actions IssueCertificate GetCertificate ListPermissions \
		--principal acm.amazonaws.com
	ok "$n: list-permissions" "${cli[@]}" acm-pca list-permissions --certificate-authority-arn "$ca"
	check "$n: one permission, acm.amazonaws.com, three actions" test \
		"$(jq -r '"\(.Permissions | length) \(.Permissions[0].Principal) \(.Permissions[0].Actions | sort | join(","))"' <<<"$OUT")" \
		= "1 acm.amazonaws.com GetCertificate,IssueCertificate,ListPermissions"
	ok "$n: issue-certificate --csr fileb://leaf.csr" "${cli[@]}" acm-pca issue-certificate \
		--certificate-authority-arn "$ca" --csr fileb://leaf.csr \
		--signing-algorithm SHA256WITHECDSA --validity Value=30,Type=DAYS
	leaf=$(jq -r .CertificateArn <<<"$OUT")
	ok "$n: wait certificate-issued (leaf)" "${cli[@]}" acm-pca wait certificate-issued \
		--certificate-authority-arn "$ca" --certificate-arn "$leaf"
	ok "$n: get-certificate (leaf)" "${cli[@]}" acm-pca get-certificate \
		--certificate-authority-arn "$ca" --certificate-arn "$leaf"
	jq -r .Certificate <<<"$OUT" >"leaf-$n.pem"
	check "$n: openssl verifies the leaf under its root" openssl verify -CAfile "ca-$n.pem" "leaf-$n.pem"
	ok "$n: acm request-certificate from the private CA" "${cli[@]}" acm request-certificate \
		--domain-name "$n.example.com" --certificate-authority-arn "$ca" --key-algorithm EC_prime256v1
	acm=$(jq -r .CertificateArn <<<"$OUT")
	# the waiter polls every 60 s: start it once issuance is through
	status=""
	for _ in $(seq 1 100); do
		status=$(pca acm describe-certificate --certificate-arn "$acm" | jq -r .Certificate.Status)
		[ "$status" = PENDING_VALIDATION ] || break
		sleep 0.1
	done
	ok "$n: acm wait certificate-validated" "${cli[@]}" acm wait certificate-validated \
		--certificate-arn "$acm"
	ok "$n: acm describe-certificate" "${cli[@]}" acm describe-certificate --certificate-arn "$acm"
	check "$n: ISSUED, PRIVATE, every name SUCCESS" test \
		"$(jq -r '.Certificate | "\(.Status) \(.Type) \([.DomainValidationOptions[].ValidationStatus] | unique | join(","))"' <<<"$OUT")" \
		= "ISSUED PRIVATE SUCCESS"
}

if [ ${#AWS1[@]} -gt 0 ]; then
	flow v1 "${AWS1[@]}"
else
	echo "# no aws CLI v1 on this machine: its flow is skipped"
fi
flow v2 "${AWS2[@]}"

ok "boto3 (verify=bundle): the same flow with boto3's waiters" "$PY" "$CLIENT" flow "$EP" "$BUNDLE" "$WORK"
check "boto3: the CA is ACTIVE, the permission as created, the acm certificate ISSUED" test \
	"$(jq -c '[.status, .permissions, .managed_status]' <<<"$OUT")" = \
	'["ACTIVE",[["acm.amazonaws.com",["GetCertificate","IssueCertificate","ListPermissions"]]],"ISSUED"]'
check "boto3: openssl verifies its leaf under its root" openssl verify -CAfile boto-ca.pem boto-leaf.pem

# --- plain HTTP to the HTTPS port; the HTTP listener -------------------------------------
CODE=0
curl -s -m 10 -o /dev/null -X POST -H 'X-Amz-Target: ACMPrivateCA.ListCertificateAuthorities' \
	-d '{}' "http://127.0.0.1:$PORT/" || CODE=$?
check "plain HTTP to the HTTPS port: the connection is closed, no answer (curl exit $CODE)" \
	test "$CODE" -ne 0 -a "$CODE" -ne 28
ok "still serving HTTPS after it" "${AWS2[@]}" --endpoint-url "$EP" --ca-bundle "$BUNDLE" \
	acm-pca list-certificate-authorities --max-results 1
CODE=0
head -c 4096 /dev/urandom | curl -s -m 10 -o /dev/null --data-binary @- \
	"http://127.0.0.1:$PORT/" || CODE=$?
check "random bytes to the HTTPS port: closed too" test "$CODE" -ne 0 -a "$CODE" -ne 28
ok "boto3 over HTTPS still works" "$PY" "$CLIENT" list "$EP" "$BUNDLE"
if [ ${#AWS1[@]} -gt 0 ]; then
	ok "the HTTP listener keeps working (v1)" "${AWS1[@]}" --endpoint-url "$HSMCA_HTTP_ENDPOINT" \
		acm-pca list-certificate-authorities
else
	ok "the HTTP listener keeps working (v2)" "${AWS2[@]}" --endpoint-url "$HSMCA_HTTP_ENDPOINT" \
		acm-pca list-certificate-authorities
fi
NCA=3					# the TLS root, v2's and boto3's
[ ${#AWS1[@]} -gt 0 ] && NCA=4		# and v1's
check "... and lists the same CAs ($NCA)" test \
	"$(jq -r '.CertificateAuthorities | length' <<<"$OUT")" = "$NCA"

# --- the key file's mode -------------------------------------------------------------------
cp "$HSMCA_HOME/tls/server.key" loose.key
chmod 0644 loose.key
sed -e "s|^https-key .*|https-key $WORK/loose.key|" "$HSMCA_HOME/frontend.conf" >loose.conf
OUT=$("$BUILD/frontend/pca-frontend" -c loose.conf -t 2>&1)
check "a key file of mode 0644 is refused" test $? -ne 0
check "... with a clear line (mode 0644 is too open)" grep -q 'loose.key: mode 0644 is too open' <<<"$OUT"
rm -f loose.key

# --- a restart reuses the certificate and the port ------------------------------------------
SUM=$(sha256sum "$HSMCA_HOME/tls/server.pem")
instance_down
ok "instance_up again" instance_up "$BUILD"
. "$HSMCA_HOME/env"
check "the same HTTPS endpoint and certificate" test \
	"$HSMCA_HTTPS_ENDPOINT $(sha256sum "$HSMCA_HOME/tls/server.pem")" = "$EP $SUM"
ok "served over HTTPS after the restart" "${AWS2[@]}" --endpoint-url "$EP" --ca-bundle "$BUNDLE" \
	acm-pca list-certificate-authorities --max-results 1

check "pca-frontend still running" kill -0 "$(cat "$HSMCA_HOME/run/frontend.pid")"
it_done
