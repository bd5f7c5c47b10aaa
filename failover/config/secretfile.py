"""Reading the secrets and settings a config points at: one bounded reader for them all.

A config names files (``url_file``, ``token_file``, ``password_file``) and
environment variables (``*_env``). A file may be anything the path reaches:
/dev/zero, a FIFO nobody writes, a 2 GB log, a token pasted with a line break
inside. :func:`read_secret_file` opens without blocking, reads only a regular
file, at most ``MAX_SECRET_BYTES``, as UTF-8, and refuses control characters
inside the value; each problem is one :class:`SecretFileError` whose message
names the file and never its content. :func:`loose_mode` words the warning ssh
gives for a key file that group or others may read.
"""

import logging
import os
import re
import stat
from pathlib import Path

from pydantic import BaseModel

from failover.untrusted import remember_secret

log = logging.getLogger("failover.secrets")

# A token, a URL, a password or an INI of credentials: far below this.
MAX_SECRET_BYTES = 64 * 1024
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Inside a value (the ends are stripped): C0 controls, DEL and C1 controls. A line break
# inside a token ends up in an HTTP header, and in the error that quotes the header.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class SecretFileError(ValueError):
    """A secret or setting file that cannot be used; the message names the file only."""


def env_name_ok(name: str) -> bool:
    """A name a shell could export: what is not one may be a secret pasted in its place."""
    return bool(_ENV_NAME.fullmatch(name))


def read_secret_env(name: str) -> str:
    """The variable's value, stripped; "" when unset or empty (callers say how to set it).
    A name that is no variable name, or a value with a control character inside, is a
    :class:`SecretFileError` that quotes neither."""
    if not env_name_ok(name):
        raise SecretFileError("an *_env setting must name an environment variable (letters, "
                              "digits and _); this one is not a name (not shown, in case it "
                              "is the secret itself)")
    value = os.environ.get(name, "").strip()
    if _CONTROL.search(value):
        raise SecretFileError(f"environment variable {name} holds a line break or another "
                              "control character inside the secret; set it to the secret "
                              "alone")
    remember_secret(value)      # masked in all text from outside from now on
    return value


def read_secret_file(path: Path, *, one_line: bool = True,
                     limit: int = MAX_SECRET_BYTES) -> str:
    """The file's text, stripped: a regular file of at most ``limit`` bytes, in UTF-8,
    not empty, and (``one_line``) with no control character inside."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SecretFileError(f"{path} does not exist; write the secret there or fix the "
                              "path") from None
    except OSError as exc:
        raise SecretFileError(f"cannot read {path}: {(exc.strerror or 'unreadable').lower()}"
                              ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise SecretFileError(f"{path} is {what}; point at the file that holds the secret")
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise SecretFileError(f"cannot read {path}: "
                                  f"{(exc.strerror or 'unreadable').lower()}") from None
    if len(data) > limit:
        raise SecretFileError(f"{path} is larger than {limit // 1024} KB; is this the secret "
                              "file?")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecretFileError(f"{path} is not UTF-8 text; write the secret as text") from None
    if not text:
        raise SecretFileError(f"{path} is empty; write the secret there")
    if one_line and _CONTROL.search(text):
        raise SecretFileError(f"{path} holds a line break or another control character "
                              "inside the secret; write the secret alone on one line")
    remember_secret(text)       # masked in all text from outside from now on
    said = loose_mode(path)
    if said:
        log.warning("%s", said)
    return text


def loose_mode(path: Path) -> str | None:
    """A warning when group or others may read ``path`` (as ssh gives for a key), else
    None; None too when the file cannot be looked at (reading it says why)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return None
    who = " and ".join(w for w, bits in (("group", 0o070), ("others", 0o007)) if mode & bits)
    return (f"secret file {path} is open to {who} (mode {stat.S_IMODE(mode):04o}); "
            f"chmod 600 {path}")


# The fields that name a file holding a secret (ca_file and cert_file are public).
SECRET_FILE_FIELDS = frozenset({"url_file", "token_file", "password_file", "secret_file",
                                "api_key_file", "credentials_file", "key_file"})


def secret_files(config: BaseModel) -> list[tuple[str, Path]]:
    """Every secret file the config names: (its key, its path resolved as the config does)."""
    resolve = getattr(config, "resolve_path", Path)
    found: list[tuple[str, Path]] = []

    def walk(value: object, key: str) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                item = getattr(value, name, None)
                where = f"{key}.{name}" if key else name
                if name in SECRET_FILE_FIELDS and isinstance(item, str):
                    found.append((where, resolve(item)))
                else:
                    walk(item, where)
        elif isinstance(value, dict):
            for name, item in value.items():
                walk(item, f"{key}.{name}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{key}[{i}]")

    walk(config, "")
    return found


def secret_file_warnings(config: BaseModel) -> list[str]:
    """A line for each secret file that group or others may read."""
    out = []
    for key, path in secret_files(config):
        said = loose_mode(path)
        if said:
            out.append(f"{key}: {said}")
    return out
