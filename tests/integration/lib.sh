# lib.sh - integration tests: a fresh instance (SoftHSM2 token, pca-signer,
# pca-frontend, administrator) in a temporary HSMCA_HOME, real clients, TAP.
#
#   . "$(dirname "$0")/lib.sh"
#   it_up                       start the instance; the pca CLI is on PATH
#   ok "name" cmd...            a case that must succeed
#   expect_error Code cmd...    a case that must fail with that AWS error
#   it_done                     print the plan; exit non-zero on failures
#   as FILE cmd...              run cmd as the [default] profile of FILE
#   key_file USER FILE [CREDS]  a new access key of an IAM user, as a file
#   session_file FILE JSON      the credentials of an assume-role answer
#   make_root_ca NAME           an ACTIVE EC root CA; prints its ARN
set -uo pipefail

HSMCA_TOP=${HSMCA_SOURCE_DIR:?run through ctest}
BUILD=${HSMCA_BUILD_DIR:?run through ctest}
export HSMCA_TOP
. "$HSMCA_TOP/scripts/lib/instance.sh"

IT_N=0
IT_FAILED=0
IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hsmca-it.XXXXXX")
export HSMCA_HOME=$IT_TMP/home
# no HTTPS listener unless a test asks (HSMCA_HTTPS=1 before it_up): issuing
# its certificate makes a CA in the administrator's account and costs seconds
export HSMCA_HTTPS=0
WORK=$IT_TMP/work
mkdir -p "$WORK"

it_cleanup() {
	instance_down >/dev/null 2>&1 || true
	if [ "$IT_FAILED" -ne 0 ] || [ -n "${HSMCA_KEEP_TMP:-}" ]; then
		echo "# kept $IT_TMP"
		for f in "$HSMCA_HOME"/log/*.log; do
			[ -f "$f" ] || continue
			echo "# --- $f (last lines)"
			tail -n 30 "$f" | sed 's/^/# /'
		done
	else
		rm -rf "$IT_TMP"
	fi
	# sanitizer reports of the daemons fail the test
	if grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
	    "$HSMCA_HOME"/log/*.log >/dev/null 2>&1; then
		echo "not ok - sanitizer report in a daemon log"
		grep -h -A 20 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		    "$HSMCA_HOME"/log/*.log | head -60 | sed 's/^/# /'
		exit 1
	fi
}
trap it_cleanup EXIT

it_up() {
	instance_up "$BUILD" || {
		# what the daemons said is all that tells why (the directory goes)
		tail -n 30 "$HSMCA_HOME"/log/*.log 2>/dev/null | sed 's/^/# /'
		echo "Bail out! instance did not start"
		exit 1
	}
	# shellcheck disable=SC1091
	. "$HSMCA_HOME/env"
	ADMIN_CREDS=$AWS_SHARED_CREDENTIALS_FILE
	ADMIN_PROFILE=$AWS_PROFILE
}

# --- the aws CLI and boto3 against the HTTP API (after it_up) ---------------

# aws_cli_setup: no user configuration but what the instance wrote; PY (the
# interpreter itself, not a version manager's shim: each start counts) and
# AWS (the aws CLI v1 as a command array); bails out without them or boto3
aws_cli_setup() {
	: >"$WORK/aws-config"
	export AWS_CONFIG_FILE="$WORK/aws-config" AWS_DEFAULT_OUTPUT=json AWS_PAGER="" \
		AWS_EC2_METADATA_DISABLED=true
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
	if "$PY" -c 'import awscli' 2>/dev/null; then
		AWS=("$PY" -m awscli)
	elif command -v aws >/dev/null 2>&1; then
		AWS=(aws)
	else
		echo "Bail out! no aws CLI (python3 -m awscli or aws)"
		exit 1
	fi
	"$PY" -c 'import boto3' 2>/dev/null || { echo "Bail out! no boto3"; exit 1; }
}

# --- several principals (after it_up; files are written to the cwd) ------

# as FILE cmd... : run cmd with the [default] profile of credentials FILE
as() {
	local f=$1
	shift
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
		export AWS_SHARED_CREDENTIALS_FILE="$f" AWS_PROFILE=default
		"$@"
	)
}

# key_file USER FILE [ACCOUNT-CREDS]: an access key of USER written to FILE
key_file() {
	local user=$1 file=$2 creds=${3:-$ADMIN_CREDS} profile=default out
	[ "$creds" = "$ADMIN_CREDS" ] && profile=$ADMIN_PROFILE
	out=$(AWS_SHARED_CREDENTIALS_FILE=$creds AWS_PROFILE=$profile \
		pca iam create-access-key --user-name "$user") || return 1
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$(jq -r .AccessKey.AccessKeyId <<<"$out")" \
		"$(jq -r .AccessKey.SecretAccessKey <<<"$out")" >"$file"
	chmod 600 "$file"
}

# session_file FILE JSON: the credentials of an assume-role answer
session_file() {
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
		"$(jq -r .Credentials.AccessKeyId <<<"$2")" \
		"$(jq -r .Credentials.SecretAccessKey <<<"$2")" \
		"$(jq -r .Credentials.SessionToken <<<"$2")" >"$1"
	chmod 600 "$1"
}

# make_root_ca NAME [OPTION...]: an ACTIVE root CA of the caller's account
# (OPTIONs go to create-certificate-authority); prints its ARN
make_root_ca() {
	local arn csr cert
	printf '{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"%s"}}' \
		"$1" >"$1.json"
	arn=$(pca acm-pca create-certificate-authority --certificate-authority-type ROOT \
		--certificate-authority-configuration "file://$1.json" "${@:2}" | jq -r .CertificateAuthorityArn) || return 1
	pca acm-pca get-certificate-authority-csr --certificate-authority-arn "$arn" | jq -r .Csr >"$1.csr"
	cert=$(pca acm-pca issue-certificate --certificate-authority-arn "$arn" --csr "fileb://$1.csr" \
		--signing-algorithm SHA256WITHECDSA --validity Value=5,Type=YEARS \
		--template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 | jq -r .CertificateArn) || return 1
	pca acm-pca get-certificate --certificate-authority-arn "$arn" --certificate-arn "$cert" |
		jq -r .Certificate >"$1.pem"
	pca acm-pca import-certificate-authority-certificate --certificate-authority-arn "$arn" \
		--certificate "fileb://$1.pem" >/dev/null || return 1
	echo "$arn"
}


_it_result() {
	IT_N=$((IT_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $IT_N - $2"
	else
		IT_FAILED=$((IT_FAILED + 1))
		echo "not ok $IT_N - $2"
		[ -n "${3:-}" ] && sed 's/^/# /' <<<"$3"
	fi
}

# ok "name" cmd... : the command must succeed; its stdout is in $OUT
ok() {
	local name=$1 err
	shift
	OUT=$("$@" 2>"$IT_TMP/stderr")
	local rc=$?
	err=$(cat "$IT_TMP/stderr")
	_it_result "$rc" "$name" "command: $*
exit $rc
$err"
}

# expect_error Code "name" cmd... : the command must fail with that error
expect_error() {
	local code=$1 name=$2 err rc
	shift 2
	OUT=$("$@" 2>"$IT_TMP/stderr")
	rc=$?
	err=$(cat "$IT_TMP/stderr")
	if [ "$rc" -ne 0 ] && grep -q "($code)" <<<"$err"; then
		_it_result 0 "$name"
	else
		_it_result 1 "$name" "expected $code; exit $rc
$err
$OUT"
	fi
}

# expect_param_error "name" cmd... : refused by the CLI's own parameter
# validation (exit 252), as the AWS CLI does before sending anything
expect_param_error() {
	local name=$1 err rc
	shift
	OUT=$("$@" 2>"$IT_TMP/stderr")
	rc=$?
	err=$(cat "$IT_TMP/stderr")
	if [ "$rc" -eq 252 ]; then
		_it_result 0 "$name"
	else
		_it_result 1 "$name" "expected a parameter error (exit 252); exit $rc
$err"
	fi
}

# check "name" condition... : a test of values already obtained
check() {
	local name=$1
	shift
	if "$@"; then _it_result 0 "$name"; else _it_result 1 "$name" "failed: $*"; fi
}

it_done() {
	echo "1..$IT_N"
	[ "$IT_FAILED" -eq 0 ]
}
