#!/bin/sh
# Run by scripts/images.ts before it builds an image for another architecture than this
# machine's. Puts the Deno binary for ARCH (arm64 or amd64) at
# node_modules/@deno/linux-<arm64|x64>-glibc/deno, where the Dockerfile's deno stage
# looks for it: the npm package of that name, at the version package.json pins for
# `deno`. `npm install` would refuse it (its "cpu" field names another architecture), so
# the package is fetched with `npm pack` and unpacked. Execs nothing.
# Usage: deno_binary.sh ARCH
set -eu
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
case ${1:-} in
  arm64 | aarch64) pkg=linux-arm64-glibc ;;
  amd64 | x86_64) pkg=linux-x64-glibc ;;
  *) fatal "usage: deno_binary.sh arm64|amd64" ;;
esac
dest=$root/node_modules/@deno/$pkg
version=$(sed -n 's/^ *"deno": *"\([^"]*\)".*/\1/p' "$root/package.json")
[ -n "$version" ] || fatal "no \"deno\" version in $root/package.json"
if [ -x "$dest/deno" ] && grep -q "\"version\": *\"$version\"" "$dest/package.json" 2>/dev/null; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || fatal "npm is missing; install it (apt-get install npm) and run again"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
info "fetching @deno/$pkg@$version from the npm registry"
(cd "$tmp" && npm pack --silent "@deno/$pkg@$version" >/dev/null) ||
  fatal "npm pack @deno/$pkg@$version failed; is the npm registry reachable?"
tar -xzf "$tmp"/deno-*.tgz -C "$tmp"
mkdir -p "$dest"
cp "$tmp/package/package.json" "$dest/package.json"
install -m 0755 "$tmp/package/deno" "$dest/deno.new"
mv "$dest/deno.new" "$dest/deno"
info "installed $dest/deno ($version)"
