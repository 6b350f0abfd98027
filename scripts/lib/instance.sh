# instance.sh - one hsmca instance in a data directory ($HSMCA_HOME):
# a SoftHSM2 token, pca-signer, pca-frontend and the administrator.
#
#   instance_up <build-dir>     create what is missing and start both daemons
#   instance_down               stop both daemons (the data stays)
#
# Variables: HSMCA_HOME (data directory), HSMCA_PORT (native API port; a
# free one is chosen and kept otherwise), HSMCA_HTTP_PORT (the AWS-compatible
# HTTP API's port; chosen and kept the same way), HSMCA_REGION (us-east-1),
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

_pick_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
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

	_start pca-frontend "$H/run/frontend.pid" "$H/log/frontend.log" \
		env HSMCA_TEST_CLOCK="${HSMCA_TEST_CLOCK:-0}" \
		"$build/frontend/pca-frontend" -c "$H/frontend.conf"

	cat >"$H/env" <<ENV
export PATH="$build/cli:\$PATH"
export HSMCA_HOME="$H"
export HSMCA_ENDPOINT="tcp://127.0.0.1:$port"
export HSMCA_HTTP_ENDPOINT="http://127.0.0.1:$http_port"
export AWS_SHARED_CREDENTIALS_FILE="$H/credentials"
export AWS_PROFILE="$HSMCA_PROFILE"
export AWS_DEFAULT_REGION="$(sed -n 's/^region //p' "$H/frontend.conf")"
export SOFTHSM2_CONF="$SOFTHSM2_CONF"
ENV
	# ready when an authenticated request gets through
	for i in $(seq 1 300); do
		if (. "$H/env" && pca hsmca get-status >/dev/null 2>&1); then
			return 0
		fi
		_running "$H/run/frontend.pid" || { _log "pca-frontend failed: see $H/log/frontend.log"; return 1; }
		sleep 0.1
	done
	_log "pca-frontend does not answer: see $H/log/frontend.log"
	return 1
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
