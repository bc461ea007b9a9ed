#!/bin/sh
# The installer-free Windows zip: one folder with saba-agent.exe, the
# example saba-agent.conf and plugins\*.dll (from the libtool archives
# given), zipped with python3's zipfile.
#
#   win/make-zip.sh OUT.zip EXE CONF PLUGIN.la...
set -eu
out=$1 exe=$2 conf=$3
shift 3
stage=${out%.zip}
rm -rf "$stage" "$out"
mkdir -p "$stage/plugins"
cp "$exe" "$stage/saba-agent.exe"
cp "$conf" "$stage/saba-agent.conf"
for la in "$@"; do
	dll="$(dirname "$la")/.libs/$(basename "$la" .la).dll"
	[ -f "$dll" ] || { echo "make-zip: $dll missing" >&2; exit 1; }
	cp "$dll" "$stage/plugins/"
done
python3 -m zipfile -c "$out" "$stage"
rm -rf "$stage"
echo "make-zip: $out"
