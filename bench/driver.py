"""The blackbox_exporter driver: N ``/probe`` requests at a fixed concurrency, keep-alive.

Run as ``python -m bench.driver --port P --paths FILE --concurrency C``: it
sends each request path in FILE (one per line) once, at most C at a time over
C persistent HTTP/1.1 connections, and prints one JSON line: requests,
successes (status 200 and a ``probe_success 1`` line), failures with reasons,
seconds and its own CPU seconds. Bounded: each path is sent once, and the whole
run stops after ``--deadline`` seconds whatever is left.

The same driver pointed at nginx's ``/probe`` stand-in measures what the
driver alone can do on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

SUCCESS = b"\nprobe_success 1\n"


class Driver:
    """C workers sharing one iterator of request paths, each on its own connection."""

    def __init__(self, host: str, port: int, paths: list[str], concurrency: int,
                 timeout: float) -> None:
        self.host = host
        self.port = port
        self.paths = paths
        self.concurrency = max(1, min(concurrency, len(paths)))
        self.timeout = timeout
        self.ok = 0
        self.failed: Counter[str] = Counter()
        self._pending: Iterator[str] = iter(paths)

    async def run(self, deadline: float) -> None:
        try:
            async with asyncio.timeout(deadline):
                await asyncio.gather(*(self._worker() for _ in range(self.concurrency)))
        except TimeoutError:
            done = self.ok + sum(self.failed.values())
            self.failed["run deadline reached"] += len(self.paths) - done

    async def _worker(self) -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for path in self._pending:
            try:
                async with asyncio.timeout(self.timeout):
                    if conn is None:
                        conn = await asyncio.open_connection(self.host, self.port)
                    status, body, keep = await self._exchange(conn, path)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                self.failed[type(exc).__name__] += 1
                _close(conn)
                conn = None
                continue
            if status == 200 and SUCCESS in body:
                self.ok += 1
            else:
                self.failed[f"status {status}" if status != 200 else "probe_success 0"] += 1
            if not keep:
                _close(conn)
                conn = None
        _close(conn)

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                        path: str) -> tuple[int, bytes, bool]:
        reader, writer = conn
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                     "User-Agent: failover-bench\r\n\r\n".encode("ascii"))
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower()] = value.strip().lower()
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            body = await _chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
        keep = headers.get(b"connection") != b"close"
        return status, body, keep


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _close(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if conn is not None:
        conn[1].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths", type=Path, required=True, help="request paths, one a line")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--deadline", type=float, default=300.0, help="whole run, seconds")
    args = parser.parse_args()
    paths = args.paths.read_text().split()
    driver = Driver(args.host, args.port, paths, args.concurrency, args.timeout)
    cpu0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(driver.run(args.deadline))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"requests": len(paths), "ok": driver.ok,
                      "failed": sum(driver.failed.values()),
                      "reasons": dict(driver.failed.most_common(5)),
                      "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
