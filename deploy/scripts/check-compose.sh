#!/usr/bin/env bash
# Validates a compose file without a Docker engine (CI has none): the Compose Specification's
# schema plus lint rules (dclint, configured in .dclintrc.json), then that every image is pinned
# to a full release version — no `latest`, no floating `2.12` or `15` (Postgres releases are
# major.minor) — except the image the file builds itself (lockstep:local).
#   bash deploy/scripts/check-compose.sh [FILE]      (default: docker-compose.yml)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
file="${1:-$root/docker-compose.yml}"
"$root/node_modules/.bin/dclint" --config "$root/.dclintrc.json" "$file"
unpinned=$(grep -nE '^[[:space:]]*image:' "$file" \
  | grep -vE "image:[[:space:]]*['\"]?lockstep:local['\"]?[[:space:]]*$" \
  | grep -vE "image:[[:space:]]*['\"]?[a-z0-9./_-]+:v?[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9.]+)*['\"]?[[:space:]]*$" \
  | grep -vE "image:[[:space:]]*['\"]?postgres:[0-9]+\.[0-9]+([.-][A-Za-z0-9.]+)*['\"]?[[:space:]]*$" || true)
if [ -n "$unpinned" ]; then
  echo "$file: pin every image to a full release version (e.g. nats:2.12.15-alpine3.22), never latest:" >&2
  echo "$unpinned" >&2
  exit 1
fi
echo "$file: valid; every image pinned"
