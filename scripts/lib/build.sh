# build.sh - configure and build into a build directory.
#   build_tree <build-dir> [cmake options...]

build_tree() {
	local dir=$1
	shift
	cmake -S "$HSMCA_TOP" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j "$(nproc)" >/dev/null
}
