# scripts/common.sh — shared by scripts/start-local and scripts/test-all.
# Sourced, not run.

TH_TOP=$(cd "$(dirname "$0")/.." && pwd)

# Debian packages the build and the tests need.
TH_DEPS="build-essential autoconf automake libtool pkg-config libdb5.3-dev libfcgi-dev libjson-c-dev lighttpd apache2 libapache2-mod-fcgid python3 curl gdb php-cli clang libclang-rt-14-dev"

th_say() { printf '%s\n' "==> $*"; }
th_die() { printf '%s\n' "error: $*" >&2; exit 1; }

# Installs whatever of TH_DEPS is missing (apt-get update first, as a fresh
# Debian machine has no package lists). Uses sudo when not root.
th_install_deps() {
	missing=""
	for p in $TH_DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	th_say "installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq || th_die "apt-get update failed"
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null || th_die "apt-get install failed"
}

# Configures and builds in $1 (a build directory) from a clean tree.
th_build() {
	bdir=$1
	shift
	( cd "$TH_TOP" && autoreconf -fi >/dev/null 2>&1 ) || th_die "autoreconf failed"
	mkdir -p "$bdir"
	( cd "$bdir" && "$TH_TOP/configure" "$@" >configure.out 2>&1 ) || { cat "$bdir/configure.out"; th_die "configure failed"; }
	( cd "$bdir" && make -j"$(nproc)" >make.out 2>&1 ) || { tail -50 "$bdir/make.out"; th_die "build failed"; }
}
