"""How an etcd member starts: rejoin when its data is gone, bootstrap only on the first deploy.

``start_script`` is the bash that ``failover-etcd.service`` runs instead of etcd
itself. etcd reads its settings (``ETCD_*``) from the environment, as before;
the script decides one thing first, from the member's data dir:

- data there: this member has run before, etcd reads the cluster from its data;
- empty, and a peer answers ``endpoint health`` (so the cluster has a quorum):
  this member's old self is removed (by name, or by peer URL if it was added and
  never started), it is added again, and etcd starts with
  ``ETCD_INITIAL_CLUSTER_STATE=existing`` and the cluster ``member add`` printed.
  Without this a replaced machine answers ``member ... has already been
  bootstrapped`` and restarts forever;
- empty, and no peer answers: a new cluster is bootstrapped only if the
  first-deploy marker is there (``first_deploy_script``, which the Pulumi
  program runs once, when the member is created and has never run). Otherwise
  the script exits non-zero and systemd tries again in a few seconds, so the
  member rejoins once its peers are back, and never starts a second cluster.

``rejoin_settings`` are the variables it reads beyond etcd's own. The same
script is run for real against a lab cluster in tests/infra/test_etcd_rejoin.py.
"""

from __future__ import annotations

import shlex

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"
FIRST_DEPLOY = "first-deploy"
JOINED = "joined"


def rejoin_settings(peers: list[str], ca_file: str, cert_file: str, key_file: str,
                    flags_dir: str) -> dict[str, str]:
    """The variables ``start_script`` reads besides ``ETCD_*``.

    ``peers`` are the other members' client URLs; the certificate authenticates
    this member as a client of theirs; ``flags_dir`` (writable by etcd's user)
    holds the first-deploy marker and the record that this member has run.
    """
    return {"FAILOVER_ETCD_PEERS": ",".join(peers),
            "FAILOVER_ETCD_CACERT": ca_file, "FAILOVER_ETCD_CERT": cert_file,
            "FAILOVER_ETCD_KEY": key_file, "FAILOVER_ETCD_FLAGS": flags_dir}


def start_script(etcd: str = ETCD, etcdctl: str = ETCDCTL) -> str:
    """Bash that starts this member (``exec etcd``), rejoining when its data dir is empty."""
    return f"""#!/bin/bash
# failover: start this etcd member; rejoin the cluster if its data is gone (infra/etcdstart.py).
set -euo pipefail
name=${{ETCD_NAME:?}} data=${{ETCD_DATA_DIR:?}} me=${{ETCD_INITIAL_ADVERTISE_PEER_URLS:?}}
flags=${{FAILOVER_ETCD_FLAGS:?}}
log() {{ echo "failover-etcd: $*" >&2; }}
ctl() {{
  {shlex.quote(etcdctl)} --cacert="$FAILOVER_ETCD_CACERT" --cert="$FAILOVER_ETCD_CERT" \\
    --key="$FAILOVER_ETCD_KEY" --dial-timeout=3s --command-timeout=10s "$@"
}}
if [ -d "$data/member" ]; then
  # This member has run: etcd knows its cluster from its data. The marker is spent.
  touch "$flags/{JOINED}"; rm -f "$flags/{FIRST_DEPLOY}"
  exec {shlex.quote(etcd)}
fi
healthy=
IFS=, read -ra peers <<< "${{FAILOVER_ETCD_PEERS:-}}"
for peer in "${{peers[@]}}"; do
  # Healthy means the peer could read through raft: the cluster has a quorum.
  if ctl --endpoints="$peer" --command-timeout=3s endpoint health >/dev/null 2>&1; then
    healthy=$peer; break
  fi
done
if [ -n "$healthy" ]; then
  log "data dir $data is empty and the cluster answers at $healthy: rejoining as $name"
  # Our old self: by name if it ever ran, by peer URL if it was added and never started.
  old=$(ctl --endpoints="$healthy" member list -w simple \\
        | awk -F', ' -v n="$name" -v u="$me" '$3 == n || $4 == u {{print $1}}')
  for id in $old; do
    log "removing the old member $id"
    ctl --endpoints="$healthy" member remove "$id" >&2
  done
  # etcd refuses to add a voter until its leader has seen a quorum for a few seconds
  # ("unhealthy cluster", right after the removal): try for a minute.
  for try in $(seq 30); do
    if added=$(ctl --endpoints="$healthy" member add "$name" --peer-urls="$me" 2>&1); then
      break
    fi
    log "member add refused (try $try): ${{added##*Error: }}"; added=; sleep 2
  done
  cluster=$(printf '%s\\n' "$added" | sed -n 's/^ETCD_INITIAL_CLUSTER="\\(.*\\)"$/\\1/p')
  if [ -z "$cluster" ]; then log "member add printed no cluster: $added"; exit 1; fi
  log "added again; starting with the cluster $cluster"
  touch "$flags/{JOINED}"; rm -f "$flags/{FIRST_DEPLOY}"
  export ETCD_INITIAL_CLUSTER="$cluster" ETCD_INITIAL_CLUSTER_STATE=existing
  exec {shlex.quote(etcd)}
fi
if [ -e "$flags/{FIRST_DEPLOY}" ]; then
  log "first deploy: no peer answers yet; bootstrapping the cluster as $name"
  exec {shlex.quote(etcd)}
fi
log "data dir $data is empty and no peer answers (${{FAILOVER_ETCD_PEERS:-none}});" \\
  "not bootstrapping a second cluster: waiting for the peers (see docs/deploy-upgrades.md)"
exit 1
"""


def first_deploy_script(data_dir: str, flags_dir: str, user: str = "etcd") -> str:
    """Bash that allows a new cluster on this member's first start, and only then.

    Run once by the Pulumi program when the member is created; a no-op if the
    member has data or has ever run (a re-run after a lost volume or a key change
    must not allow a second cluster).
    """
    flags, data = shlex.quote(flags_dir), shlex.quote(data_dir)
    return (f"install -d -m 0700 -o {user} -g {user} {flags}\n"
            f"if [ ! -d {data}/member ] && [ ! -e {flags}/{JOINED} ]; then\n"
            f"  install -m 0600 -o {user} -g {user} /dev/null {flags}/{FIRST_DEPLOY}\n"
            "fi\n")
