"""`failover validate` prints plain lines without rich (issue 13): colour only where rich
would have used it, and the file's name as written, brackets and all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "failover"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "failover.yaml"


def validate(config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("FAILOVER_CONFIG", "NO_COLOR", "FORCE_COLOR", "TERM")}
    return subprocess.run([str(SCRIPT), "-c", str(config), "validate"], capture_output=True,
                          text=True, timeout=60, env={**base, "PYTHONPATH": str(ROOT), **env})


def test_piped_output_is_plain_and_names_the_file_as_written(tmp_path: Path) -> None:
    # rich read "[bold]" as markup and dropped it from the name it printed.
    config = tmp_path / "site[bold].yaml"
    shutil.copy(EXAMPLE, config)
    result = validate(config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"valid: {config}: service social, zone example.org., ")
    assert "\x1b" not in result.stdout
    assert result.stdout.count("\n") == 1


def test_force_color_colours_the_verdict_and_no_color_wins() -> None:
    coloured = validate(EXAMPLE, FORCE_COLOR="1")
    assert coloured.stdout.startswith("\x1b[32mvalid\x1b[0m: "), coloured.stdout
    plain = validate(EXAMPLE, FORCE_COLOR="1", NO_COLOR="1")
    assert plain.stdout.startswith("valid: "), plain.stdout
