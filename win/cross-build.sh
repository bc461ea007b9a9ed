#!/bin/sh
# Cross-build the agent for Windows in BUILDDIR, a copy of this source tree
# (automake refuses a second build of an already configured tree), with the
# libraries from win/build-deps.sh.  Incremental: only changed files are
# copied, and configure runs again only when its arguments or the
# libraries change.
#
#   win/cross-build.sh BUILDDIR [configure arguments...]
#
# e.g. win/cross-build.sh win-build --enable-test-controls
set -eu

HOST=x86_64-w64-mingw32
src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [configure arguments...]" >&2; exit 2; }
B=$1
shift
JOBS=${JOBS:-2}

# the libraries' prefix (SABA_WIN_PREFIX, else the cache's for this script)
PREFIX=$(sh "$src/win/build-deps.sh" ${SABA_WIN_PREFIX:+"$SABA_WIN_PREFIX"})
command -v git >/dev/null 2>&1 && [ -e "$src/.git" ] || {
	echo "cross-build: needs a git checkout of the source (to know its files)" >&2
	exit 1
}
mkdir -p "$B"
B=$(cd "$B" && pwd)
# The tree's files (tracked, and new ones not ignored), copied when they
# differ so make sees only real changes; with the time of the copy, not the
# source's (a merge can bring a file older than an object built since).
(cd "$src" && git ls-files -co --exclude-standard) | while IFS= read -r f; do
	[ -f "$src/$f" ] || continue
	case "$f" in win-build/*) continue ;; esac
	if ! cmp -s "$src/$f" "$B/$f" 2>/dev/null; then
		mkdir -p "$B/$(dirname "$f")"
		cp "$src/$f" "$B/$f"
	fi
done
cd "$B"
# New arguments or a new configure.ac (flags change: objects are stale).
stamp="--host=$HOST $* $(md5sum < configure.ac | cut -c1-12) $PREFIX"
if [ ! -f config.status ] || [ "$(cat .saba-configure 2>/dev/null)" != "$stamp" ]; then
	[ ! -f Makefile ] || make clean >/dev/null 2>&1 || true
	autoreconf -fi >/dev/null 2>&1
	PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" ./configure -q --host=$HOST "$@"
	echo "$stamp" > .saba-configure
fi
make -j"$JOBS" >/dev/null
echo "cross-build: $B"
