#!/usr/bin/env bash
# Prints the bin directory of the Node.js that Lockstep runs on (the version pinned as the
# `node` devDependency in package.json), installing it from the npm registry into .tools/
# when missing. Used by .ci/run so that `npm ci` itself already runs on that Node:
#   export PATH="$(bash deploy/scripts/node24.sh):$PATH"
# (After `npm ci`, npm scripts find the same Node in node_modules/.bin on their own.)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version=$(sed -n 's/^ *"node": "\([0-9][0-9.]*\)",\{0,1\}$/\1/p' "$root/package.json" | head -1)
[ -n "$version" ] || { echo "node24.sh: no exact \"node\" devDependency in package.json" >&2; exit 1; }
prefix="$root/.tools/node-$version"
bin="$prefix/node_modules/.bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
  echo "node24.sh: installing Node.js $version from the npm registry into ${prefix#"$root"/}" >&2
  rm -rf "$prefix" && mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$version" >&2
  [ "$("$bin/node" --version)" = "v$version" ] || { echo "node24.sh: Node.js $version did not install" >&2; exit 1; }
fi
echo "$bin"
