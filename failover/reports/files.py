"""Writing a report file with the mode its reader needs, atomically.

A drill report and the internal status page name addresses, reasons and the
vendors' own words: they are written 0600 (0640 where a group must read them),
never with the umask's 0644. The public page is for everyone: 0644.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PRIVATE = 0o600
PUBLIC = 0o644


def write_file(path: Path, body: bytes, mode: int = PRIVATE) -> None:
    """``body`` into ``path`` with ``mode``, written whole then renamed: a reader sees the
    old file or the new one. The mode is set on the open file, so there is no moment when
    a wider one applies."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)     # os.open's mode passes through the umask
            f.write(body)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
