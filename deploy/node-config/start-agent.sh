#!/bin/sh
# Entry point of docker-compose's `demo-node`: starts the node agent once the demo component's
# pinned TUF root is in place (the agent verifies every artifact against it, so it refuses to
# start without one). See README.md next to this file.
set -eu
root="${AGENT_TRUSTED_ROOT:?AGENT_TRUSTED_ROOT is not set}"
while [ ! -s "$root" ]; do
  echo "demo-node: waiting for $root — on the host run: lockstep release root --component ${AGENT_COMPONENT:-demo} > deploy/node-config/root.json" >&2
  sleep 10
done
exec node dist/services/installer/src/main.js
