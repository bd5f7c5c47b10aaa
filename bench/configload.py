"""``python -m bench.configload [RECORDS ...]``: what ``failover validate`` costs, in rows.

One row per config size (the example config with RECORDS managed records;
default 37,000 and 370,000, the second about 10 MB) and one per hostile input
(alias bomb, /dev/zero, a FIFO, ``.inf`` and ``.nan`` durations, a recursive
alias). Each is a fresh ``failover validate`` process; the row gives its wall
time, its CPU time (steadier on a shared machine), its peak resident memory
(from ``wait4``) and its exit code. Linear loading shows as time and memory
growing tenfold with the records. Prints Markdown; writes nothing else. Not
part of ``make test``: it measures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "failover.yaml").read_text()
RECORDS = 'records:\n  - {name: "@", type: A}\n  - {name: www, type: A}\n'


def config_with(records: int) -> str:
    rows = "".join(f"  - {{name: r{i}, type: A}}\n" for i in range(records))
    return EXAMPLE.replace(RECORDS, "records:\n" + rows)


def bomb() -> str:
    lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def run(config: str) -> tuple[float, float, int, int, str]:
    """Wall and CPU seconds, peak RSS in MB, exit code, first stderr line of one validate."""
    script = Path(sys.executable).parent / "failover"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.dup2(err.fileno(), 2)
            os.execve(str(script), [str(script), "-c", config, "validate"], env)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        first = err.read().decode(errors="replace").splitlines()[:1]
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status), \
        (first[0] if first else "")


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [37_000, 370_000]
    print("| input | size | wall | CPU | peak RSS | exit | says |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, str]] = []
        for n in sizes:
            path = Path(tmp, f"records-{n}.yaml")
            path.write_text(config_with(n))
            cases.append((f"{n:,} records", str(path)))
        hostile = {
            "alias bomb": bomb(),
            "timeout: .inf": EXAMPLE.replace("timeout: 2s", "timeout: .inf"),
            "interval: .nan": EXAMPLE.replace("interval: 10s", "interval: .nan"),
            "recursive alias": "service: s\nx: &a [*a]\n",
        }
        for name, text in hostile.items():
            hostile_file = Path(tmp, name.replace(" ", "_").replace(":", "") + ".yaml")
            hostile_file.write_text(text)
            cases.append((name, str(hostile_file)))
        fifo = Path(tmp, "fifo")
        os.mkfifo(fifo)
        cases += [("/dev/zero", "/dev/zero"), ("a FIFO", str(fifo))]
        for name, where in cases:
            size = os.stat(where).st_size if Path(where).is_file() else 0
            wall, cpu, rss, code, says = run(where)
            print(f"| {name} | {size / 1e6:.1f} MB | {wall:.2f} s | {cpu:.2f} s | {rss} MB "
                  f"| {code} | "
                  f"{says.replace(tmp, '…')[:70]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
