#!/bin/sh
# Cross-build the agent's libraries for x86_64-w64-mingw32, statically, from
# Debian's own source packages: libcurl (Schannel TLS, no OpenSSL), jansson,
# libconfig, expat for the ec2 plugin and PCRE2 for patterns.  Nothing is
# downloaded from anywhere but the Debian mirrors apt already uses.
#
#   win/build-deps.sh [PREFIX]
#
# prints the prefix the libraries are in (its only output on stdout):
# PREFIX, else CACHE/prefix-KEY where KEY names this script and the source
# versions, so checkouts with different scripts each keep their own and a
# second run with the same ones does nothing.  Runs one at a time per cache
# (flock); a prefix is complete once its .saba-deps stamp is written.  Then:
#   PKG_CONFIG_LIBDIR=PREFIX/lib/pkgconfig ./configure --host=x86_64-w64-mingw32
#
# Needs (Debian): gcc-mingw-w64-x86-64 cmake dpkg-dev make.
set -eu
trap 'echo "build-deps: failed (rerun without >/dev/null redirections in the step that failed)" >&2' EXIT

HOST=x86_64-w64-mingw32
CACHE=${SABA_WIN_CACHE:-/var/cache/saba-agent-win}
PKGS="curl jansson libconfig expat pcre2"
JOBS=${JOBS:-2}

for tool in $HOST-gcc cmake dpkg-source apt-get flock; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "build-deps: $tool not found: apt-get install gcc-mingw-w64-x86-64 cmake dpkg-dev" >&2
		exit 1
	}
done

mkdir -p "$CACHE"
# one run at a time: apt's lists, the sources and the build dir are shared
exec 9>"$CACHE/.lock"
flock 9
exec 3>&1 1>&2 # progress on stderr; stdout is the prefix alone

mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/archives/partial" "$CACHE/src"

# --- a private deb-src list built from the system's own deb entries ---
# (apt's state in /etc and /var/lib/apt is left alone)
srclist=$CACHE/apt/sources.list
: > "$srclist.new"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk '
	function flush() {
		if (deb && uris != "" && suites != "")
			printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n", \
				uris, suites, comps, (signed != "" ? "Signed-By: " signed "\n" : "")
		deb = 0; uris = suites = comps = signed = ""
	}
	/^[ \t]*$/ { flush(); next }
	/^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
	/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
	/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
	/^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
	/^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
	END { flush() }' "$f" >> "$srclist.new"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[ \t]*deb[ \t]/deb-src /p' "$f" > "$srclist.list.tmp"
	[ -s "$srclist.list.tmp" ] && cat "$srclist.list.tmp" >> "$CACHE/apt/extra.list.new"
	rm -f "$srclist.list.tmp"
done
mkdir -p "$CACHE/apt/parts"
rm -f "$CACHE/apt/parts/"*
[ -s "$srclist.new" ] && mv "$srclist.new" "$CACHE/apt/parts/debian-src.sources"
[ -s "$CACHE/apt/extra.list.new" ] && mv "$CACHE/apt/extra.list.new" "$CACHE/apt/parts/extra-src.list"
rm -f "$srclist.new" "$CACHE/apt/extra.list.new"
ls "$CACHE/apt/parts/"* >/dev/null 2>&1 || {
	echo "build-deps: no deb entries in /etc/apt to derive deb-src entries from" >&2
	exit 1
}
APT="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$CACHE/apt/parts \
 -o Dir::State::Lists=$CACHE/apt/lists -o Dir::Cache::Archives=$CACHE/apt/archives \
 -o Dir::Cache=$CACHE/apt -o APT::Get::Only-Source=true -o APT::Sandbox::User=root"

# Fetch each package's newest source the mirrors still serve (a security
# update can be listed before the pool has it); the versions fetched decide
# whether the cache is still good.
apt-get $APT -qq update
versions=""
for p in $PKGS; do
	got=""
	for v in $(apt-cache $APT showsrc "$p" | sed -n 's/^Version: //p' | sort -Vr | uniq); do
		dsc="$CACHE/src/${p}_${v#*:}.dsc"
		if [ -f "$dsc" ] || ( cd "$CACHE/src" &&
			apt-get $APT -qq source --download-only "$p=$v" >/dev/null 2>&1 ); then
			got=$v
			break
		fi
		echo "build-deps: $p $v is listed but cannot be fetched; trying an older one" >&2
	done
	[ -n "$got" ] || { echo "build-deps: cannot fetch any source of $p" >&2; exit 1; }
	versions="$versions $p=$got"
done
stamp="$(md5sum < "$0" | cut -c1-12)$versions"
PREFIX=${1:-$CACHE/prefix-$(echo "$stamp" | md5sum | cut -c1-12)}
if [ -f "$PREFIX/.saba-deps" ] && [ "$(cat "$PREFIX/.saba-deps")" = "$stamp" ]; then
	echo "build-deps: $PREFIX is up to date ($versions )"
	echo "$PREFIX" >&3
	trap - EXIT
	exit 0
fi

echo "build-deps: building$versions into $PREFIX"
rm -rf "$PREFIX" "$CACHE/build"
mkdir -p "$PREFIX" "$CACHE/build"
for p in $PKGS; do
	v=${versions#* $p=}
	v=${v%% *}
	dpkg-source --no-check -x "$CACHE/src/${p}_${v#*:}.dsc" "$CACHE/build/$p" >/dev/null
done

# Static libraries only; Schannel for TLS, so no OpenSSL is needed.
export CC=$HOST-gcc AR=$HOST-ar RANLIB=$HOST-ranlib

echo "build-deps: jansson"
mkdir -p "$CACHE/build/jansson/_build"
( cd "$CACHE/build/jansson/_build" &&
  cmake .. -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_C_COMPILER=$HOST-gcc \
	-DCMAKE_RC_COMPILER=$HOST-windres -DCMAKE_INSTALL_PREFIX="$PREFIX" \
	-DCMAKE_BUILD_TYPE=Release -DJANSSON_BUILD_SHARED_LIBS=OFF \
	-DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF >/dev/null &&
  make -j"$JOBS" >/dev/null && make install >/dev/null )

echo "build-deps: libconfig"
( cd "$CACHE/build/libconfig" &&
  { [ -x configure ] || autoreconf -fi >/dev/null 2>&1; } &&
  ./configure -q --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
	--disable-cxx --disable-examples >/dev/null &&
  make -C lib -j"$JOBS" >/dev/null && make -C lib install >/dev/null )

echo "build-deps: curl"
( cd "$CACHE/build/curl" &&
  { [ -x configure ] || autoreconf -fi >/dev/null 2>&1; } &&
  ./configure -q --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
	--with-schannel --without-zlib --without-brotli --without-zstd --without-libidn2 \
	--without-nghttp2 --without-libpsl --without-libssh2 --without-librtmp \
	--disable-ldap --disable-manual --disable-docs >/dev/null &&
  make -C lib -j"$JOBS" >/dev/null && make -C lib install >/dev/null &&
  make -C include install >/dev/null && make install-pkgconfigDATA >/dev/null )

echo "build-deps: expat"
# (Debian's expat source keeps the library in expat/; built with autotools
# as Debian does: its CMake config leaves XML_DTD without a value.)
( cd "$CACHE/build/expat/expat" && ./buildconf.sh >/dev/null 2>&1 &&
  ./configure -q --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
	--without-docbook --without-examples --without-tests --without-xmlwf >/dev/null &&
  make -C lib -j"$JOBS" >/dev/null && make -C lib install >/dev/null &&
  make install-pkgconfigDATA >/dev/null )

echo "build-deps: pcre2"
# the 8-bit library only; patterns are matched without JIT
( cd "$CACHE/build/pcre2" &&
  ./configure -q --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
	--enable-pcre2-8 --disable-pcre2-16 --disable-pcre2-32 --disable-jit \
	--disable-pcre2grep-libz --disable-pcre2grep-libbz2 >/dev/null &&
  make -j"$JOBS" libpcre2-8.la >/dev/null &&
  make install-libLTLIBRARIES install-includeHEADERS install-nodist_includeHEADERS \
	install-pkgconfigDATA >/dev/null )

# the stamp last: a prefix without it is an unfinished build
echo "$stamp" > "$PREFIX/.saba-deps"
rm -rf "$CACHE/build"
trap - EXIT
echo "build-deps: done: PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig"
echo "$PREFIX" >&3
