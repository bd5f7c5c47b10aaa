"""The wheel holds everything the CLI needs: every module, the schema, the entry point.

CI templates install failover from a built wheel (`python -m build --wheel`);
a module or data file left out of it would break only there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def source_files() -> list[str]:
    """The files of the source tree that git knows or would add (not build output)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [p for p in listed.splitlines() if (ROOT / p).is_file()]


def test_wheel_holds_what_the_cli_needs(tmp_path: Path) -> None:
    # Built from a copy, so that the build's own files stay out of the source tree.
    source = tmp_path / "src"
    files = source_files()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--skip-dependency-check", "--outdir", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("failover-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = [p for p in files if p.startswith(("failover/", "cli/", "lab/"))]
    missing = [p for p in package if p.endswith((".py", ".json")) and p not in names]
    assert not missing, missing
    assert "failover/schemas/check-report.schema.json" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "failover = cli.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    # Run the CLI from the unpacked wheel alone (not the source tree), as CI would.
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    code = ("import cli.app, failover, importlib.resources as r; "
            f"assert cli.app.__file__.startswith({str(unpacked)!r}), cli.app.__file__; "
            "r.files('failover').joinpath('schemas/check-report.schema.json').read_text(); "
            "import sys; sys.argv = ['failover', '--help']; cli.app.main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: failover" in result.stdout
