#!/usr/bin/env bash
# Write ahead, then sign: kill -9 the frontend, then the signer, while
# clients issue certificates concurrently; restart them; every certificate
# whose ARN a client received is there and verifies, no serial is used
# twice, and nothing is left half-done once the scheduler has run.
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

cat >ca.json <<'EOF'
{"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA", "Subject": {"CommonName": "crash root"}}
EOF
CA=$(pca acm-pca create-certificate-authority --certificate-authority-configuration file://ca.json \
	--certificate-authority-type ROOT | jq -r .CertificateAuthorityArn)
pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$CA" | jq -r .Csr >ca.csr
A=$(pca acm-pca issue-certificate --certificate-authority-arn "$CA" --csr fileb://ca.csr \
	--signing-algorithm SHA256WITHECDSA --template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 \
	--validity Value=5,Type=YEARS | jq -r .CertificateArn)
pca acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$A" | jq -r .Certificate >ca.pem
ok "root CA ACTIVE" pca acm-pca import-certificate-authority-certificate \
	--certificate-authority-arn "$CA" --certificate fileb://ca.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout l.key -out l.csr \
	-subj /CN=crash.example 2>/dev/null

# clients: each issues until told to stop, recording every ARN it received
client() {
	local n=0
	while [ ! -f stop ]; do
		if pca --cli-read-timeout 5 acm-pca issue-certificate --certificate-authority-arn "$CA" \
		    --csr fileb://l.csr --signing-algorithm SHA256WITHECDSA --validity Value=1,Type=DAYS \
		    >"out.$1.$n" 2>/dev/null; then
			jq -r .CertificateArn "out.$1.$n" >>"arns.$1"
		else
			echo x >>"failures.$1"
		fi
		n=$((n + 1))
	done
}
clients=()
for c in 1 2 3 4 5 6; do client "$c" & clients+=($!); done

sleep 3
kill -9 "$(cat "$HSMCA_HOME/run/frontend.pid")"
sleep 1
check "the frontend is gone" bash -c "! kill -0 $(cat "$HSMCA_HOME/run/frontend.pid") 2>/dev/null"
it_up	# restarts what is not running: the frontend completes what it left pending
sleep 3
kill -9 "$(cat "$HSMCA_HOME/run/signer.pid")"
sleep 2
it_up	# the signer comes back; the frontend finds it again
sleep 3
touch stop
wait "${clients[@]}"	# not the daemons, which are this shell's jobs too

issued=$(cat arns.* | wc -l)
check "clients received certificates ($issued) and saw failures while things were down" \
	test "$issued" -gt 20 -a "$(cat failures.* 2>/dev/null | wc -l)" -gt 0
check "no ARN was handed out twice" test "$(cat arns.* | sort | uniq -d | wc -l)" -eq 0

ok "the scheduler finishes what was left pending" pca hsmca run-scheduler
db=$HSMCA_HOME/hsmca.db
check "no certificate is left PENDING" test "$(sqlite3 "$db" 'SELECT count(*) FROM certs WHERE status=1')" -eq 0
check "no serial is stored twice" test "$(sqlite3 "$db" 'SELECT count(*) - count(DISTINCT serial) FROM certs')" -eq 0

bad=0
for arn in $(cat arns.*); do
	if ! pca acm-pca get-certificate --certificate-authority-arn "$CA" --certificate-arn "$arn" |
	    jq -r .Certificate >c.pem || ! openssl verify -x509_strict -CAfile ca.pem c.pem >/dev/null 2>&1 ||
	    [ "$arn" != "$CA/certificate/$(openssl x509 -in c.pem -noout -serial | cut -d= -f2 | tr A-F a-f)" ]; then
		bad=$((bad + 1))
	fi
done
check "every ARN a client received names a stored certificate that verifies" test "$bad" -eq 0
# perl-base is essential in Debian: it turns the hex of each DER into bytes
check "each stored certificate carries the serial it was stored under" test \
	"$(sqlite3 "$db" "SELECT serial || ' ' || hex(der) FROM certs WHERE status=2" | while read -r s h; do
		d=$(perl -e 'print pack("H*", $ARGV[0])' "$h" | openssl x509 -inform DER -noout -serial |
			cut -d= -f2 | tr A-F a-f)
		[ "$d" = "$s" ] || echo "$s"; done | wc -l)" -eq 0
it_done
