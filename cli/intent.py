"""The commands a hint prints ("finish it with", "undo with"), rebuilt from what the move
journaled, so that each, run as printed, does what it says (issue 20): 'failover move
--off aws', not a plain 'failover move' that would plan back to aws once it is healthy."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from failover.configpath import CONFIG_ENV, DEFAULT_CONFIG


def config_flag(path: Path) -> str:
    """' -c FILE' unless the command finds the file by itself (./failover.yaml, or the
    one $FAILOVER_CONFIG names in this shell)."""
    if str(path) == DEFAULT_CONFIG or os.environ.get(CONFIG_ENV) == str(path):
        return ""
    return f" -c {shlex.quote(str(path))}"


def redo(kind: str, args: dict[str, Any], config: Path, move_id: int | None = None) -> str:
    """The command that does again what a move or rollback set out to do."""
    head = f"failover{config_flag(config)}"
    if kind == "rollback":
        target = args.get("move")
        return f"{head} rollback {int(target)}" if target is not None else f"{head} rollback"
    words = [f"{head} move"]
    for vendor in sorted(args.get("off") or []):
        words.append(f"--off {shlex.quote(str(vendor))}")
    if args.get("saas"):
        words.append(f"--saas {shlex.quote(str(args['saas']))}")
    if args.get("to"):
        words.append(f"--to {shlex.quote(str(args['to']))}")
    if args.get("force"):
        words.append("--force")
    return " ".join(words)


def undo(kind: str, move_id: int, config: Path) -> str:
    """The command that restores what the move or rollback ``move_id`` found."""
    return f"failover{config_flag(config)} rollback {move_id}"
