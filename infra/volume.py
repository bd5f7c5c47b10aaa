"""The data volume of a cloud machine that runs an etcd member: what its user data does.

A member's data and TLS files live on a protected volume (EBS, a persistent
disk, a Hetzner volume) mounted at ``infra.watcher.VOLUME``, so a replaced
machine finds them again. ``mount_script`` is the whole of such a machine's
user data, which replaces the machine when it changes: it waits for the
volume's device, makes a filesystem only if it has none, and mounts it (and
again at each boot, from fstab). Everything else (the service, etcd, the
watcher, their configuration) is pushed over SSH by pulumi-command and changes
in place; ``WAIT_FOR_VOLUME`` is its first step.
"""

from __future__ import annotations

import shlex

from infra.watcher import VOLUME

LABEL = "failover-data"
# How long a pushed script waits for the first boot to mount the volume.
WAIT_SECONDS = 900
WAIT_FOR_VOLUME = (
    f"for i in $(seq {WAIT_SECONDS // 5}); do mountpoint -q {VOLUME} && break; sleep 5; done\n"
    f"mountpoint -q {VOLUME} || {{ echo \"failover: {VOLUME} is not mounted after "
    f"{WAIT_SECONDS}s (see /var/log/cloud-init-output.log)\" >&2; exit 1; }}\n")


def mount_script(devices: list[str]) -> str:
    """Bash user data: mount the first of ``devices`` to appear at VOLUME, formatting it
    only when it has no filesystem (a volume that outlived its machine keeps its data)."""
    candidates = " ".join(shlex.quote(d) for d in devices)
    return "\n".join([
        "#!/bin/bash",
        "# failover: mount the data volume (etcd's data and TLS files). Everything else",
        "# is installed over SSH by the Pulumi program, and changes without a new machine.",
        "set -euo pipefail",
        "dev=",
        # The volume is attached after the machine exists: wait for it.
        "for i in $(seq 180); do",
        f"  for d in {candidates}; do [ -b \"$d\" ] && {{ dev=$(readlink -f \"$d\"); break 2; }}",
        "  done; sleep 5",
        "done",
        "[ -n \"$dev\" ] || { echo \"failover: no data volume appeared\" >&2; exit 1; }",
        f"blkid \"$dev\" >/dev/null || mkfs.ext4 -q -L {LABEL} \"$dev\"",
        "uuid=$(blkid -s UUID -o value \"$dev\")",
        f"install -d -m 0755 {VOLUME}",
        f"grep -q \" {VOLUME} \" /etc/fstab ||"
        f" echo \"UUID=$uuid {VOLUME} ext4 defaults,nofail 0 2\" >> /etc/fstab",
        f"mountpoint -q {VOLUME} || mount {VOLUME}",
        "",
    ])
