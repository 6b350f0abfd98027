# deps.sh - install the Debian packages hsmca needs, once.
#
# Every package the build, the daemons and the tests use is listed here:
# CI starts from a clean Debian 12 machine, so nothing may be assumed.

HSMCA_PACKAGES=(
	# build
	gcc make cmake pkg-config
	libssl-dev libp11-kit-dev libprotobuf-c-dev protobuf-c-compiler
	libnanomsg-dev libsqlite3-dev libjansson-dev libmicrohttpd-dev
	# run: the token and its tools
	p11-kit softhsm2 libsofthsm2 openssl
	# tests: pkcs11-tool (opensc), jq (reading JSON output), sqlite3 (looking
	# into the database), clang (fuzz targets), curl (raw HTTP API requests)
	opensc jq sqlite3 clang procps curl
)

deps_missing() {
	local p missing=()
	for p in "${HSMCA_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	echo "${missing[@]}"
}

deps_install() {
	local missing sudo=""
	missing=$(deps_missing)
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing: $missing" >&2
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}
