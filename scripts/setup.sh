#!/usr/bin/env bash
# Everything `make test` and `make demo` need, on a fresh machine:
# the virtual environment with the project and its dev tools, and the Debian
# packages whose programs the lab, the tests and the bench run. Idempotent and
# quick when done. `--bench` also installs the bench's peers (make bench).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
# Every program the project's code runs, and the Debian package that brings it:
# tests/unit/test_setup_programs.py reads the code for the programs it runs and
# fails when one is missing here, or when the package named does not hold it.
DEB_NEEDS=(
  "named:bind9"
  "named-journalprint:bind9"
  "dig:bind9-dnsutils"
  "knotd:knot"
  "knotc:knot"
  "pdns_server:pdns-server"
  "etcd:etcd-server"
  "etcdctl:etcd-client"
  "chromium:chromium"
  "unbound:unbound"
  "unbound-control:unbound"
  "openssl:openssl"
  "pebble:pebble"
  "ip:iproute2"
  "nft:nftables"
  "git:git"
  "bash:bash"
  "sh:dash"
  "dpkg-query:dpkg"
  # not a program: the schema file the lab's PowerDNS (gsqlite3) loads
  "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql:pdns-backend-sqlite3"
)
# The bench's peers (`make bench` runs `scripts/setup.sh --bench`); make test needs none.
BENCH_NEEDS=(
  "nginx:nginx"
  "prometheus-blackbox-exporter:prometheus-blackbox-exporter"
  "hyperfine:hyperfine"
)
if [ "${1:-}" = "--bench" ]; then
  DEB_NEEDS+=("${BENCH_NEEDS[@]}")
fi

missing=()
for need in "${DEB_NEEDS[@]}"; do
  prog=${need%%:*} pkg=${need#*:}
  if [ "${prog#/}" != "$prog" ]; then
    [ -e "$prog" ] || missing+=("$pkg")
  elif ! command -v "$prog" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$prog" ]; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" pdns-backend-bind >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 3
  fi
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: failover needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2
  exit 3
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PY" -m venv "$VENV"
fi
# Installed from requirements.lock: the exact versions, checked by hash, that
# CI tested. Update it on purpose with `make lock`. The stamp changes when
# either file does, so a pull that moves the lock reinstalls.
stamp="$VENV/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing failover and its locked dependencies into $VENV (log: $VENV/pip.log)"
  if ! { "$VENV/bin/pip" install -q --require-hashes -r requirements.lock \
         && "$VENV/bin/pip" install -q --no-deps -e .; } >"$VENV/pip.log" 2>&1; then
    tail -n 30 "$VENV/pip.log" >&2
    echo "setup: pip could not install the project; the full log is $VENV/pip.log" >&2
    exit 3
  fi
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
