# deps.sh - install the Debian packages hsmca needs, once.
#
# Every package the build, the daemons and the tests use is listed here:
# CI starts from a clean Debian 12 machine, so nothing may be assumed.
#
#   deps_install            what scripts/up (and scripts/bench) need: build and run
#   deps_install test       that and what scripts/test needs on top
#   deps_missing [test]     the packages of that set not installed yet

HSMCA_PACKAGES=(
	# build
	gcc make cmake pkg-config
	libssl-dev libp11-kit-dev libprotobuf-c-dev protobuf-c-compiler
	libnanomsg-dev libsqlite3-dev libjansson-dev libmicrohttpd-dev
	# run: the token and its tools; jq and curl for scripts/lib/instance.sh
	# (the HTTPS certificate's issuance, the listener's readiness)
	p11-kit softhsm2 libsofthsm2 openssl jq curl
)

HSMCA_TEST_PACKAGES=(
	# tests: pkcs11-tool (opensc), sqlite3 (looking into the database),
	# clang (fuzz targets), procps; the aws CLI v2 (/usr/bin/aws) and boto3
	# for the HTTP and HTTPS API tests (an aws CLI v1 on PATH, if any, is
	# used as well)
	opensc sqlite3 clang procps awscli python3-boto3
)

deps_missing() {
	local p missing=() want=("${HSMCA_PACKAGES[@]}")
	[ "${1:-}" = test ] && want+=("${HSMCA_TEST_PACKAGES[@]}")
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	echo "${missing[@]}"
}

deps_install() {
	local missing sudo=""
	missing=$(deps_missing "${1:-}")
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing: $missing" >&2
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}
