#!/usr/bin/env bash
# Automatic renewal of managed certificates as seed 001 (case 2: one
# account) tells it, on the service's test clock, and its failure modes:
#  - the owner creates a CA with --authorize-acm-renewals (the console's
#    "Authorize ACM access to renew certificates requested by this
#    account"); an issuer user requests and exports a certificate; at 59
#    days before expiry the scheduler renews it: the export is new and
#    verifies;
#  - a CA without the permission: FAILED with PCA_ACCESS_DENIED, the old
#    certificate still exported, an event recorded; retried with back-off
#    (not before an hour has passed); after the permission is granted the
#    next attempt succeeds; removing it stops later renewals;
#  - both daemons killed in the middle of a sweep: no certificate lost,
#    none renewed twice.
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

field() { jq -r "$2" <<<"$1"; }
# describe ARN [CREDS]: DescribeCertificate's Certificate (the administrator's when no CREDS)
describe() {
	if [ -n "${2:-}" ]; then
		as "$2" pca acm describe-certificate --certificate-arn "$1" | jq -c .Certificate
	else
		pca acm describe-certificate --certificate-arn "$1" | jq -c .Certificate
	fi
}
serial_of_pem() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/../&:/g; s/:$//'
}
# counts: "renewed failed" of the last RunScheduler answer in $OUT
counts() { jq -r '"\(.RenewedCertificates // 0) \(.FailedRenewals // 0)"' <<<"$OUT"; }
PASS='correct horse battery staple'

# --- the owner: two CAs, one authorizing renewals from the start ----------------
CA_OK=$(make_root_ca seed-ok --authorize-acm-renewals)
CA_NO=$(make_root_ca seed-no)
check "two ACTIVE root CAs" test -n "$CA_OK" -a -n "$CA_NO"
ok "the authorized CA's permissions" pca acm-pca list-permissions --certificate-authority-arn "$CA_OK"
check "acm.amazonaws.com with IssueCertificate, GetCertificate, ListPermissions, for this account" test \
	"$(jq -r '.Permissions[] | .Principal + " " + (.Actions | sort | join(",")) + " " + .SourceAccount' <<<"$OUT")" = \
	"acm.amazonaws.com GetCertificate,IssueCertificate,ListPermissions $(cut -d: -f5 <<<"$CA_OK")"
ok "the other CA has none" pca acm-pca list-permissions --certificate-authority-arn "$CA_NO"
check "no permission" test "$(jq '.Permissions | length' <<<"$OUT")" = 0
ok "authorizing again changes nothing" pca hsmca set-acm-renewal-authorization \
	--certificate-authority-arn "$CA_OK" --authorized
check "Changed false" test "$(jq -r '.Authorized, .Changed' <<<"$OUT" | tr '\n' ' ')" = "true false "
expect_error InvalidArnException "a malformed CA ARN" pca hsmca set-acm-renewal-authorization \
	--certificate-authority-arn arn:aws:acm-pca:us-east-1:1:nope --authorized
expect_error ResourceNotFoundException "a CA that does not exist" pca hsmca set-acm-renewal-authorization \
	--certificate-authority-arn "${CA_NO%/*}/00000000-0000-4000-8000-000000000000" --authorized

# --- the issuer: an IAM user who may request and export ---------------------------------
ok "create user issuer" pca iam create-user --user-name issuer
cat >issuer.json <<EOF
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["acm:RequestCertificate","acm:DescribeCertificate","acm:ExportCertificate",
   "acm:GetCertificate","acm:ListCertificates"],"Resource":"*"},
 {"Effect":"Allow","Action":["acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":["$CA_OK","$CA_NO"]}]}
EOF
ok "issuer's policy" pca iam put-user-policy --user-name issuer --policy-name issue \
	--policy-document file://issuer.json
key_file issuer issuer.creds
expect_error AccessDeniedException "the issuer cannot grant the service anything" as issuer.creds \
	pca hsmca set-acm-renewal-authorization --certificate-authority-arn "$CA_NO" --authorized

ok "the issuer requests from the authorized CA" as issuer.creds pca acm request-certificate \
	--domain-name ok.example.com --key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_OK"
OKC=$(jq -r .CertificateArn <<<"$OUT")
ok "and from the other" as issuer.creds pca acm request-certificate \
	--domain-name no.example.com --key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_NO"
NOC=$(jq -r .CertificateArn <<<"$OUT")
ok "a third that is never exported" as issuer.creds pca acm request-certificate \
	--domain-name unexported.example.com --key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_OK"
UNX=$(jq -r .CertificateArn <<<"$OUT")
for c in "$OKC" "$NOC"; do
	ok "the issuer exports $c" as issuer.creds pca acm export-certificate --certificate-arn "$c" \
		--passphrase "$PASS"
done
OK0=$(field "$(describe "$OKC" issuer.creds)" .Serial)
NO0=$(field "$(describe "$NOC" issuer.creds)" .Serial)

# --- 60 days before NotAfter, and one day more ---------------------------------------
ok "a sweep at 61 days before NotAfter" bash -c 'pca hsmca advance-clock --days 334 >/dev/null &&
	pca hsmca run-scheduler'
check "nothing renewed or failed yet" test "$(counts)" = "0 0"
ok "a sweep at 59 days before NotAfter" bash -c 'pca hsmca advance-clock --days 2 >/dev/null &&
	pca hsmca run-scheduler'
check "one renewed, one failed" test "$(counts)" = "1 1"
D=$(describe "$OKC" issuer.creds)
check "authorized CA: SUCCESS, a new serial, the same ARN" test \
	"$(field "$D" '.RenewalSummary.RenewalStatus + " " + .CertificateArn')" = "SUCCESS $OKC" -a \
	"$(field "$D" .Serial)" != "$OK0"
check "NotAfter moved a validity period on" test "$(field "$D" '.NotAfter | sub("\\+00:00$"; "Z") | fromdateiso8601')" -gt \
	"$(( $(date +%s) + 700 * 86400 ))"
ok "the issuer exports the renewed certificate" as issuer.creds pca acm export-certificate \
	--certificate-arn "$OKC" --passphrase "$PASS"
jq -r .Certificate <<<"$OUT" >ok.pem
jq -r .PrivateKey <<<"$OUT" >ok-key.pem
check "it is the new one" test "$(serial_of_pem ok.pem)" = "$(field "$D" .Serial)"
check "it verifies against the CA" openssl verify -attime "$(( $(date +%s) + 340 * 86400 ))" \
	-CAfile seed-ok.pem ok.pem
printf '%s' "$PASS" >pass.txt
check "its key opens and is the certificate's" test \
	"$(openssl pkey -in ok-key.pem -passin file:pass.txt -pubout)" = "$(openssl x509 -in ok.pem -noout -pubkey)"
check "the unexported certificate was not renewed" test \
	"$(field "$(describe "$UNX" issuer.creds)" '.RenewalEligibility + " " + (.RenewalSummary | tostring)')" = \
	"INELIGIBLE null"

D=$(describe "$NOC" issuer.creds)
check "CA without the permission: FAILED, PCA_ACCESS_DENIED" test \
	"$(field "$D" '.RenewalSummary.RenewalStatus + " " + .RenewalSummary.RenewalStatusReason')" = \
	"FAILED PCA_ACCESS_DENIED"
ok "the issuer exports it" as issuer.creds pca acm export-certificate --certificate-arn "$NOC" \
	--passphrase "$PASS"
jq -r .Certificate <<<"$OUT" >no.pem
check "the old certificate is still the one exported" test "$(serial_of_pem no.pem)" = "$NO0"
ok "the owner lists the renewal events" pca hsmca list-renewal-events --certificate-arn "$NOC"
check "one event: FAILED PCA_ACCESS_DENIED, naming the missing grant" test \
	"$(jq -r '[.Events[] | .RenewalStatus + ":" + .FailureReason] | join(" ")' <<<"$OUT")" = \
	"FAILED:PCA_ACCESS_DENIED"
check "the frontend logged it" grep -q "certificate $NOC: renewal failed (PCA_ACCESS_DENIED" \
	"$HSMCA_HOME/log/frontend.log"

# --- back-off, then the grant ------------------------------------------------------
ok "the owner authorizes renewals on the second CA" pca hsmca set-acm-renewal-authorization \
	--certificate-authority-arn "$CA_NO" --authorized
check "Changed true" test "$(jq -r .Changed <<<"$OUT")" = true
ok "a sweep at once" pca hsmca run-scheduler
check "not retried within the hour of back-off" test \
	"$(counts)" = "0 0"
ok "an hour later" bash -c 'pca hsmca advance-clock --seconds 3601 >/dev/null && pca hsmca run-scheduler'
check "renewed" test "$(counts)" = "1 0"
D=$(describe "$NOC" issuer.creds)
check "SUCCESS with a new serial" test "$(field "$D" .RenewalSummary.RenewalStatus)" = SUCCESS -a \
	"$(field "$D" .Serial)" != "$NO0"
ok "the events of that certificate" pca hsmca list-renewal-events --certificate-arn "$NOC"
check "FAILED then SUCCESS" test \
	"$(jq -r '[.Events[] | .RenewalStatus] | join(" ")' <<<"$OUT")" = "FAILED SUCCESS"

# --- taking the permission away stops renewals ------------------------------------------
ok "the owner removes the second CA's authorization" pca hsmca set-acm-renewal-authorization \
	--certificate-authority-arn "$CA_NO" --no-authorized
check "Authorized false, Changed true" test "$(jq -r '.Authorized, .Changed' <<<"$OUT" | tr '\n' ' ')" = "false true "
ok "no permission left" pca acm-pca list-permissions --certificate-authority-arn "$CA_NO"
check "none" test "$(jq '.Permissions | length' <<<"$OUT")" = 0
ok "removing it again changes nothing" pca hsmca set-acm-renewal-authorization \
	--certificate-authority-arn "$CA_NO" --no-authorized
check "Changed false" test "$(jq -r .Changed <<<"$OUT")" = false
ok "delete-permission on the first CA (the acm-pca way)" pca acm-pca delete-permission \
	--certificate-authority-arn "$CA_OK" --principal acm.amazonaws.com \
	--source-account "$(cut -d: -f5 <<<"$CA_OK")"
for c in "$OKC" "$NOC"; do
	ok "export $c again" as issuer.creds pca acm export-certificate --certificate-arn "$c" \
		--passphrase "$PASS"
done
OK1=$(field "$(describe "$OKC" issuer.creds)" .Serial)
ok "the next renewal time" bash -c 'pca hsmca advance-clock --days 337 >/dev/null && pca hsmca run-scheduler'
check "both failed" test "$(counts)" = "0 2"
D=$(describe "$OKC" issuer.creds)
check "PCA_ACCESS_DENIED, the certificate unchanged" test \
	"$(field "$D" '.RenewalSummary.RenewalStatusReason + " " + .Serial')" = "PCA_ACCESS_DENIED $OK1"
ok "an hour later" bash -c 'pca hsmca advance-clock --seconds 3601 >/dev/null && pca hsmca run-scheduler'
check "both retried, both failed again" test "$(counts)" = "0 2"
ok "another hour later" bash -c 'pca hsmca advance-clock --seconds 3601 >/dev/null && pca hsmca run-scheduler'
check "not retried: after a second failure in a row the back-off is two hours" test "$(counts)" = "0 0"
ok "a third hour later" bash -c 'pca hsmca advance-clock --seconds 3601 >/dev/null && pca hsmca run-scheduler'
check "retried" test "$(counts)" = "0 2"
ok "the first certificate's events" pca hsmca list-renewal-events --certificate-arn "$OKC"
check "SUCCESS, then three failures" test \
	"$(jq -r '[.Events[] | .RenewalStatus] | join(" ")' <<<"$OUT")" = "SUCCESS FAILED FAILED FAILED"

# --- a CA deleted for good -------------------------------------------------------------
CA_DEL=$(make_root_ca seed-del --authorize-acm-renewals)
ok "a certificate from a third CA" pca acm request-certificate --domain-name del.example.com \
	--key-algorithm EC_prime256v1 --certificate-authority-arn "$CA_DEL"
DELC=$(jq -r .CertificateArn <<<"$OUT")
ok "exported" pca acm export-certificate --certificate-arn "$DELC" --passphrase "$PASS"
ok "the CA is disabled" pca acm-pca update-certificate-authority --certificate-authority-arn "$CA_DEL" \
	--status DISABLED
ok "and deleted with a 7-day restore window" pca acm-pca delete-certificate-authority \
	--certificate-authority-arn "$CA_DEL" --permanent-deletion-time-in-days 7
ok "the renewal time, past the restore window" bash -c \
	'pca hsmca advance-clock --days 336 >/dev/null && pca hsmca run-scheduler'
check "the CA was purged" test "$(jq -r '.PurgedCertificateAuthorities // 0' <<<"$OUT")" -ge 1
check "its certificate: FAILED with PCA_RESOURCE_NOT_FOUND" test \
	"$(field "$(describe "$DELC")" '.RenewalSummary.RenewalStatus + " " + .RenewalSummary.RenewalStatusReason')" = \
	"FAILED PCA_RESOURCE_NOT_FOUND"

# --- a crash in the middle of a sweep ----------------------------------------------
# RSA keys, whose generation takes the frontend long enough to be caught
printf '{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"CommonName":"rsa"}}' >rsa.json
CA_RSA=$(pca acm-pca create-certificate-authority --certificate-authority-type ROOT \
	--certificate-authority-configuration file://rsa.json --authorize-acm-renewals |
	jq -r .CertificateAuthorityArn)
pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$CA_RSA" | jq -r .Csr >rsa.csr
RC=$(pca acm-pca issue-certificate --certificate-authority-arn "$CA_RSA" --csr fileb://rsa.csr \
	--signing-algorithm SHA256WITHRSA --validity Value=5,Type=YEARS \
	--template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 | jq -r .CertificateArn)
pca acm-pca get-certificate --certificate-authority-arn "$CA_RSA" --certificate-arn "$RC" |
	jq -r .Certificate >rsa.pem
ok "an RSA root CA authorizing renewals" pca acm-pca import-certificate-authority-certificate \
	--certificate-authority-arn "$CA_RSA" --certificate fileb://rsa.pem
N=40
for i in $(seq 1 $N); do
	pca acm request-certificate --domain-name "c$i.example.com" --certificate-authority-arn "$CA_RSA" |
		jq -r .CertificateArn
done >batch.arns
check "$N certificates requested" test "$(sort -u batch.arns | grep -c certificate/)" = $N
while read -r c; do
	pca acm export-certificate --certificate-arn "$c" --passphrase "$PASS" >/dev/null || echo "$c" >>export.failed
done <batch.arns
check "and exported" test ! -e export.failed
while read -r c; do
	pca acm describe-certificate --certificate-arn "$c" | jq -r .Certificate.Serial
done <batch.arns >batch.serials0
ok "to 59 days before their NotAfter" pca hsmca advance-clock --days 336
before=$(grep -c " renewed: serial" "$HSMCA_HOME/log/frontend.log")
pca --cli-read-timeout 600 hsmca run-scheduler >sweep.out 2>sweep.err &
SWEEP=$!
# kill both daemons once some (not all) renewals of the batch are done
for _ in $(seq 1 600); do
	[ "$(grep -c " renewed: serial" "$HSMCA_HOME/log/frontend.log")" -ge $((before + 3)) ] && break
	sleep 0.05
done
kill -9 "$(cat "$HSMCA_HOME/run/frontend.pid")" "$(cat "$HSMCA_HOME/run/signer.pid")"
kill "$SWEEP" 2>/dev/null	# its request died with the frontend
wait "$SWEEP"
done_before=$(( $(grep -c " renewed: serial" "$HSMCA_HOME/log/frontend.log") - before ))
check "the sweep was cut short ($done_before of $N renewed)" test "$done_before" -ge 3 -a "$done_before" -lt $N
it_up
ok "after the restart, past the claims a dead sweep left" bash -c \
	'pca hsmca advance-clock --seconds 601 >/dev/null && pca --cli-read-timeout 600 hsmca run-scheduler'
ok "another sweep" pca hsmca run-scheduler
check "it had nothing left to do" test "$(counts)" = "0 0"
lost=0; twice=0; stale=0; n=0
while read -r c; do
	n=$((n + 1))
	d=$(pca acm describe-certificate --certificate-arn "$c" | jq -c .Certificate) || { lost=$((lost + 1)); continue; }
	[ "$(field "$d" .RenewalSummary.RenewalStatus)" = SUCCESS ] || stale=$((stale + 1))
	[ "$(field "$d" .Serial)" = "$(sed -n "${n}p" batch.serials0)" ] && stale=$((stale + 1))
	e=$(pca hsmca list-renewal-events --certificate-arn "$c" | jq -r '[.Events[] | select(.RenewalStatus == "SUCCESS")] | length')
	[ "$e" = 1 ] || twice=$((twice + 1))
done <batch.arns
check "no certificate lost" test "$lost" = 0
check "every one renewed (new serial, SUCCESS)" test "$stale" = 0
check "none renewed twice (one SUCCESS event each)" test "$twice" = 0
DB=$(sed -n 's/^database //p' "$HSMCA_HOME/frontend.conf")
check "the CA issued one certificate per renewal, none undelivered (1 + 2 x $N)" test \
	"$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE ca_id = '${CA_RSA##*/}'")" = $((1 + 2 * N))
check "no renewal of the batch left in flight" test "$(sqlite3 "$DB" "SELECT count(*) FROM \
	acm_renew_intents i JOIN acm_certs c ON c.id = i.cert_id WHERE c.ca_arn = '$CA_RSA'")" = 0
check "no sanitizer report or crash" test -z "$(grep -l -E 'AddressSanitizer|runtime error' "$HSMCA_HOME"/log/*.log 2>/dev/null)"
it_done
