# instance.sh - one hsmca instance in a data directory ($HSMCA_HOME):
# a SoftHSM2 token, pca-signer, pca-frontend and the administrator.
#
#   instance_up <build-dir>     create what is missing and start both daemons
#   instance_down               stop both daemons (the data stays)
#
# Variables: HSMCA_HOME (data directory), HSMCA_PORT (native API port; a
# free one is chosen and kept otherwise), HSMCA_HTTP_PORT (the AWS-compatible
# HTTP API's port; chosen and kept the same way), HSMCA_HTTPS=1 (also an
# HTTPS listener whose certificate this instance's own CA issues; see
# _tls_setup), HSMCA_HTTPS_PORT (its port), HSMCA_REGION (us-east-1),
# HSMCA_TEST_CLOCK=1 (a test clock the administrator can move),
# HSMCA_SOFTHSM_MODULE (the PKCS#11 module).

: "${HSMCA_REGION:=us-east-1}"
: "${HSMCA_SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
HSMCA_TOKEN_LABEL=hsmca
HSMCA_PROFILE=admin

_log() { echo "hsmca: $*" >&2; }

# A random secret of 32 characters into a new file of mode 0600.
_secret_file() {
	(umask 077 && head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 32 >"$1")
}

_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port nothing listens on, below the kernel's ephemeral range: a port
# in that range can be the local end of any outgoing connection (the aws
# CLI's, a test's), which nothing here can see and which makes bind() fail.
_pick_port() {
	local p i low=32768 high=60999 base=20000 span
	read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	span=$((low - base))
	if [ "$span" -lt 2000 ]; then	# a range starting low: above it instead
		base=$((high + 1))
		span=$((65536 - base))
	fi
	[ "$span" -gt 0 ] || return 1
	for i in $(seq 1 200); do
		p=$((base + (RANDOM * 32768 + RANDOM) % span))
		_port_free "$p" && { echo "$p"; return 0; }
	done
	return 1
}

_running() {
	local pidfile=$1
	[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

_start() {
	local name=$1 pidfile=$2 log=$3
	shift 3
	if _running "$pidfile"; then
		_log "$name already running (pid $(cat "$pidfile"))"
		return 0
	fi
	setsid "$@" >>"$log" 2>&1 </dev/null &
	echo $! >"$pidfile"
}

_stop() {
	local name=$1 pidfile=$2 i pid
	_running "$pidfile" || { rm -f "$pidfile"; return 0; }
	pid=$(cat "$pidfile")
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		_log "$name did not stop; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

instance_paths() {
	: "${HSMCA_HOME:=$HSMCA_TOP/var}"
	mkdir -p "$HSMCA_HOME"
	HSMCA_HOME=$(cd "$HSMCA_HOME" && pwd)
	export HSMCA_HOME
	H=$HSMCA_HOME
	export SOFTHSM2_CONF=$H/softhsm2.conf
}

instance_up() {
	local build=$1 port http_port token_uri i
	instance_paths
	chmod 0700 "$H"
	mkdir -p "$H/tokens" "$H/log" "$H/run"
	chmod 0700 "$H/tokens"
	chmod 0750 "$H/run"

	# the token: configuration, PINs (files of mode 0600, never arguments)
	if [ ! -f "$SOFTHSM2_CONF" ]; then
		sed -e "s|@TOKENDIR@|$H/tokens|" "$HSMCA_TOP/hsm-config/softhsm2.conf.in" >"$SOFTHSM2_CONF"
	fi
	[ -f "$H/so.pin" ] || _secret_file "$H/so.pin"
	[ -f "$H/user.pin" ] || _secret_file "$H/user.pin"
	"$build/signer/pca-signer" init-token --module "$HSMCA_SOFTHSM_MODULE" \
		--label "$HSMCA_TOKEN_LABEL" --so-pin-file "$H/so.pin" --pin-file "$H/user.pin" \
		>>"$H/log/setup.log" 2>&1 || { _log "token initialization failed: see $H/log/setup.log"; return 1; }

	# configuration files: written once, kept afterwards (edit them freely)
	token_uri="pkcs11:token=$HSMCA_TOKEN_LABEL?module-path=$HSMCA_SOFTHSM_MODULE&pin-source=file:$H/user.pin"
	[ -f "$H/signer-policy.conf" ] || cp "$HSMCA_TOP/hsm-config/signer-policy.conf" "$H/signer-policy.conf"
	if [ ! -f "$H/signer.conf" ]; then
		cat >"$H/signer.conf" <<CONF
# pca-signer configuration (see hsm-config/signer.conf.example)
token-uri $token_uri
listen ipc://$H/run/signer.sock
policy-file $H/signer-policy.conf
workers 0
log-level info
CONF
	fi
	if [ ! -f "$H/frontend.conf" ]; then
		port=${HSMCA_PORT:-$(_pick_port)} || { _log "no free port"; return 1; }
		cat >"$H/frontend.conf" <<CONF
# pca-frontend configuration (see hsm-config/frontend.conf.example)
listen tcp://127.0.0.1:$port
signer ipc://$H/run/signer.sock
database $H/hsmca.db
region $HSMCA_REGION
workers 32
log-level info
CONF
	fi
	port=$(sed -n 's|^listen tcp://127.0.0.1:\([0-9]*\)$|\1|p' "$H/frontend.conf")
	# the HTTP API (aws CLI, SDKs); added to configurations written before it
	if ! grep -q '^listen-http ' "$H/frontend.conf"; then
		http_port=${HSMCA_HTTP_PORT:-$(_pick_port)} || { _log "no free port"; return 1; }
		while [ "$http_port" = "$port" ]; do http_port=$(_pick_port); done
		echo "listen-http 127.0.0.1:$http_port" >>"$H/frontend.conf"
	fi
	http_port=$(sed -n 's|^listen-http 127.0.0.1:\([0-9]*\)$|\1|p' "$H/frontend.conf")

	_start pca-signer "$H/run/signer.pid" "$H/log/signer.log" \
		"$build/signer/pca-signer" -c "$H/signer.conf"
	for i in $(seq 1 300); do
		[ -S "$H/run/signer.sock" ] && break
		_running "$H/run/signer.pid" || { _log "pca-signer failed: see $H/log/signer.log"; return 1; }
		sleep 0.1
	done

	"$build/frontend/pca-frontend" -c "$H/frontend.conf" admin-init \
		--credentials-file "$H/credentials" --profile "$HSMCA_PROFILE" >>"$H/log/setup.log" 2>&1 ||
		{ _log "administrator setup failed: see $H/log/setup.log"; return 1; }

	_frontend_start "$build"
	_write_env "$build" "$port" "$http_port"
	_frontend_ready || return 1

	# the HTTPS listener, its certificate issued by this instance's own CA:
	# set up when asked (HSMCA_HTTPS=1; scripts/up asks), reused afterwards,
	# re-issued when it is missing or expires within 30 days
	if [ "${HSMCA_HTTPS:-0}" = 1 ] && { ! grep -q '^listen-https ' "$H/frontend.conf" ||
		! openssl x509 -in "$H/tls/server.pem" -noout -checkend 2592000 >/dev/null 2>&1; }; then
		_tls_setup "$build" "$port" "$http_port" ||
			{ _log "HTTPS setup failed: see $H/log/setup.log"; return 1; }
	fi
	return 0
}

_frontend_start() {
	_start pca-frontend "$H/run/frontend.pid" "$H/log/frontend.log" \
		env HSMCA_TEST_CLOCK="${HSMCA_TEST_CLOCK:-0}" \
		"$1/frontend/pca-frontend" -c "$H/frontend.conf"
}

# _write_env BUILD PORT HTTP_PORT: $H/env, with the HTTPS endpoint and its
# CA bundle once frontend.conf has listen-https
_write_env() {
	local https_port
	cat >"$H/env" <<ENV
export PATH="$1/cli:\$PATH"
export HSMCA_HOME="$H"
export HSMCA_ENDPOINT="tcp://127.0.0.1:$2"
export HSMCA_HTTP_ENDPOINT="http://127.0.0.1:$3"
export AWS_SHARED_CREDENTIALS_FILE="$H/credentials"
export AWS_PROFILE="$HSMCA_PROFILE"
export AWS_DEFAULT_REGION="$(sed -n 's/^region //p' "$H/frontend.conf")"
export SOFTHSM2_CONF="$SOFTHSM2_CONF"
ENV
	https_port=$(sed -n 's|^listen-https 127.0.0.1:\([0-9]*\)$|\1|p' "$H/frontend.conf")
	if [ -n "$https_port" ] && [ -f "$H/tls/ca-bundle.pem" ]; then
		cat >>"$H/env" <<ENV
export HSMCA_HTTPS_ENDPOINT="https://127.0.0.1:$https_port"
export HSMCA_CA_BUNDLE="$H/tls/ca-bundle.pem"
ENV
	fi
}

# ready when an authenticated request gets through (and, with an HTTPS
# listener, when it answers over TLS verified by the instance's CA bundle);
# each try waits 5 s at most, so a frontend that exited is seen at once
_frontend_ready() {
	local i https_port
	https_port=$(sed -n 's|^listen-https 127.0.0.1:\([0-9]*\)$|\1|p' "$H/frontend.conf")
	for i in $(seq 1 300); do
		if (. "$H/env" && pca --cli-read-timeout 5 hsmca get-status >/dev/null 2>&1) &&
			{ [ -z "$https_port" ] || curl -s -o /dev/null --cacert "$H/tls/ca-bundle.pem" \
				"https://127.0.0.1:$https_port/"; }; then
			return 0
		fi
		_running "$H/run/frontend.pid" || { _log "pca-frontend failed: see $H/log/frontend.log"; return 1; }
		sleep 0.1
	done
	_log "pca-frontend does not answer: see $H/log/frontend.log"
	return 1
}

# _tls_setup BUILD PORT HTTP_PORT: the HTTPS listener's certificate, issued by
# hsmca itself, the AWS way, with the administrator's credentials: a root CA
# of its own ("hsmca local TLS root", kept in tls/ca.arn and reused), a key
# and CSR made here for localhost and 127.0.0.1, issued with
# EndEntityServerAuthCertificate/V1. Writes tls/server.pem (certificate and
# chain), tls/server.key (0600) and tls/ca-bundle.pem, adds listen-https,
# https-cert and https-key to frontend.conf and restarts the frontend.
_tls_setup() {
	local build=$1 port=$2 http_port=$3 t=$H/tls https_port
	mkdir -p "$t"
	chmod 0700 "$t"
	(
		set -eo pipefail
		# shellcheck disable=SC1091
		. "$H/env"
		cd "$t"
		root=arn:aws:acm-pca:::template/RootCACertificate/V1
		server=arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1
		if [ -s ca.arn ]; then
			ca=$(cat ca.arn)
		else
			printf '%s' '{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"hsmca local TLS root"}}' >ca.json
			ca=$(pca acm-pca create-certificate-authority --certificate-authority-type ROOT \
				--certificate-authority-configuration file://ca.json | jq -r .CertificateAuthorityArn)
			pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$ca" |
				jq -r .Csr >ca.csr
			cert=$(pca acm-pca issue-certificate --certificate-authority-arn "$ca" --csr fileb://ca.csr \
				--signing-algorithm SHA256WITHECDSA --validity Value=10,Type=YEARS \
				--template-arn "$root" | jq -r .CertificateArn)
			pca acm-pca get-certificate --certificate-authority-arn "$ca" --certificate-arn "$cert" |
				jq -r .Certificate >ca.pem
			pca acm-pca import-certificate-authority-certificate --certificate-authority-arn "$ca" \
				--certificate fileb://ca.pem >/dev/null
			echo "$ca" >ca.arn
			rm -f ca.json ca.csr ca.pem
		fi
		pca acm-pca get-certificate-authority-certificate --certificate-authority-arn "$ca" |
			jq -r .Certificate >ca-bundle.pem.new
		(umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout server.key.new -out server.csr -subj /CN=localhost \
			-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null)
		cert=$(pca acm-pca issue-certificate --certificate-authority-arn "$ca" --csr fileb://server.csr \
			--signing-algorithm SHA256WITHECDSA --validity Value=365,Type=DAYS \
			--template-arn "$server" | jq -r .CertificateArn)
		pca acm-pca get-certificate --certificate-authority-arn "$ca" --certificate-arn "$cert" |
			jq -r '.Certificate, (.CertificateChain // empty)' >server.pem.new
		openssl verify -CAfile ca-bundle.pem.new -untrusted server.pem.new server.pem.new >/dev/null
		mv server.key.new server.key
		mv server.pem.new server.pem
		mv ca-bundle.pem.new ca-bundle.pem
		rm -f server.csr
	) >>"$H/log/setup.log" 2>&1 || return 1

	if ! grep -q '^listen-https ' "$H/frontend.conf"; then
		https_port=${HSMCA_HTTPS_PORT:-$(_pick_port)} || { _log "no free port"; return 1; }
		while [ "$https_port" = "$port" ] || [ "$https_port" = "$http_port" ]; do
			https_port=$(_pick_port)
		done
		cat >>"$H/frontend.conf" <<CONF
listen-https 127.0.0.1:$https_port
https-cert $t/server.pem
https-key $t/server.key
CONF
	fi
	_stop pca-frontend "$H/run/frontend.pid"
	_frontend_start "$build"
	_write_env "$build" "$port" "$http_port"
	_frontend_ready
}

instance_down() {
	instance_paths
	_stop pca-frontend "$H/run/frontend.pid"
	_stop pca-signer "$H/run/signer.pid"
}

# For tests: stop or start only the signer (the frontend keeps running).
instance_signer_stop() {
	instance_paths
	_stop pca-signer "$H/run/signer.pid"
}

instance_signer_start() {
	local build=$1 i
	instance_paths
	_start pca-signer "$H/run/signer.pid" "$H/log/signer.log" \
		"$build/signer/pca-signer" -c "$H/signer.conf"
	for i in $(seq 1 300); do
		[ -S "$H/run/signer.sock" ] && return 0
		sleep 0.1
	done
	return 1
}
