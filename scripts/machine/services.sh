#!/usr/bin/env bash
# Installs (Debian/apt, as root) and starts what `npm test` talks to, when it is missing or stopped:
#   PostgreSQL on 127.0.0.1:5432 (user postgres, trust on loopback), RabbitMQ on :5672 with the management API on :15672,
#   a Docker Engine (host networking only: no bridge, no iptables) for the image tests, and Debian's Chromium for the
#   console's browser tests (installed only: playwright-core starts it).
# Idempotent: what is installed is kept, what runs is left running. Used by .ci/run; run it yourself on a fresh machine:
#   sudo bash scripts/machine/services.sh            # all four
#   sudo bash scripts/machine/services.sh postgres rabbitmq
set -euo pipefail

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac

wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=(postgres rabbitmq docker chromium)
for service in "${wanted[@]}"; do
  case "$service" in postgres | rabbitmq | docker | chromium) ;; *) echo "services.sh: unknown service '$service' (postgres, rabbitmq, docker, chromium)" >&2; usage >&2; exit 2 ;; esac
done

apt_updated=""
with_recommends=""
apt_install() { # packages... (recommended packages too when $with_recommends is set)
  local missing=()
  for package in "$@"; do dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package"); done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  if [[ $(id -u) -ne 0 ]]; then echo "services.sh: ${missing[*]} missing and not root: run it with sudo" >&2; exit 1; fi
  echo "-- apt-get install ${missing[*]}"
  [[ -n "$apt_updated" ]] || { apt-get update -q >/dev/null; apt_updated=1; }
  local recommends=--no-install-recommends
  [[ -z "$with_recommends" ]] || recommends=--install-recommends
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$recommends" "${missing[@]}" >/dev/null
}

wait_for() { # description, seconds, command...
  local description="$1" seconds="$2"; shift 2
  for _ in $(seq 1 "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  "$@" || { echo "services.sh: $description did not come up within ${seconds}s" >&2; exit 1; }
}

start_postgres() {
  apt_install postgresql
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # The tests connect as postgres over loopback without a password, as a developer machine's Postgres allows.
  if ! grep -q '^# qfn: trust loopback' "$hba"; then
    sed -i '/^host\s\+all\s\+all\s\+\(127\.0\.0\.1\/32\|::1\/128\)/s/\S\+$/trust/' "$hba"
    sed -i '1i # qfn: trust loopback (scripts/machine/services.sh)' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_for "PostgreSQL" 60 pg_isready -h 127.0.0.1 -p 5432 -q
  psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null
  echo "-- postgres $version ready on 127.0.0.1:5432"
}

start_rabbitmq() {
  apt_install rabbitmq-server curl
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    rabbitmq-server -detached
  fi
  # -detached returns before the Erlang node registers with epmd, and await_startup fails at once on a node it cannot reach.
  wait_for "the RabbitMQ node (see /var/log/rabbitmq)" 60 rabbitmq-diagnostics -q ping
  rabbitmqctl -q await_startup --timeout 120
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null
  wait_for "the RabbitMQ management API" 90 curl -fsS -u guest:guest -o /dev/null http://127.0.0.1:15672/api/overview
  echo "-- rabbitmq $(rabbitmqctl -q version 2>/dev/null || echo '?') ready on :5672 (management :15672)"
}

start_docker() {
  apt_install docker.io
  # Debian's CLI (20.10) has BuildKit built in; a newer CLI elsewhere on PATH may lack the buildx plugin.
  if ! /usr/bin/docker info >/dev/null 2>&1; then
    mkdir -p /var/log/qfn
    # No container networks on these machines: builds and containers use --network host.
    nohup dockerd --bridge=none --iptables=false --ip-masq=false >/var/log/qfn/dockerd.log 2>&1 &
  fi
  wait_for "the Docker Engine (see /var/log/qfn/dockerd.log)" 60 /usr/bin/docker info
  echo "-- docker engine $(/usr/bin/docker version -f '{{.Server.Version}}') ready"
}

start_chromium() {
  # With its recommended packages (fonts among them): the browser tests were proven with that install.
  with_recommends=1 apt_install chromium
  echo "-- $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?') at /usr/bin/chromium"
}

for service in "${wanted[@]}"; do "start_$service"; done
