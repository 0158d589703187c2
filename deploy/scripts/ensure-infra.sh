#!/usr/bin/env bash
# Starts what Lockstep's tests and demo need on this machine when it is not running yet:
# PostgreSQL on 127.0.0.1:5432 and nats-server with JetStream on 127.0.0.1:4222.
# Installs them (and the backup tools: zstd, pg_dump, pgbench) from Debian's packages when
# missing (needs root). The S3-protocol server
# (s3rver, an npm package) is started by the tests and the demo themselves.
set -euo pipefail

log() { printf '[infra] %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.2; done; return 1; }
apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to install $*; install them and run again"; exit 1; fi
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if port_open 5432; then
  log "postgres: running on 127.0.0.1:5432"
else
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  log "postgres: starting cluster $ver/main"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  wait_port 5432 || { log "postgres did not open 127.0.0.1:5432"; exit 1; }
fi

if port_open 4222; then
  log "nats: running on 127.0.0.1:4222"
else
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  mkdir -p /var/lib/nats-server
  log "nats: starting $bin with JetStream"
  start-stop-daemon --start --oknodo --background --exec "$bin" -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222 || { log "nats-server did not open 127.0.0.1:4222"; exit 1; }
fi

# Backups stream databases through pg_dump/pg_restore (and psql, restoring Lockstep's own database), compress with zstd; tests seed with pgbench.
missing=()
command -v zstd >/dev/null || missing+=(zstd)
{ command -v pg_dump >/dev/null && command -v pg_restore >/dev/null && command -v psql >/dev/null; } || missing+=(postgresql-client)
command -v pgbench >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (backup tools)"
  apt_install "${missing[@]}"
fi
log "backup tools: $(zstd --version | head -1); $(pg_dump --version)"
