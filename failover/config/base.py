"""What every config section builds on: the ``Strict`` model and the value types.

Durations (``2s``, ``500ms``), domain names as DNS carries them, header-safe
text, ``host:port`` server lists and HTTP status codes; each raises a
ValueError that pydantic reports at the key's file:line.
"""

# No ``from __future__ import annotations`` in this package: pydantic would have to
# evaluate every field's annotation from a string, 10% of building these models (issue 13).
import math
import re
import urllib.parse
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from failover.config.secretfile import env_name_ok

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
DAY = 86400.0


def parse_duration(value: Any, most: float = DAY) -> float:
    """``"2s"``, ``"500ms"``, ``"1m"``, ``"1h"`` or a number of seconds -> seconds.

    Finite, more than zero and at most ``most``: an infinite timeout hangs on a
    silent server, and a NaN interval makes a loop spin.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 2s, 500ms or 1m")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
        if not math.isfinite(seconds):
            raise ValueError(f"a duration must be a finite number such as 2s, not {value}")
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"'{value}' is not a duration; write 2s, 500ms, 1m or 1h")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be more than zero")
    if seconds > most:
        raise ValueError(f"a duration here must be at most {most / 3600:g}h")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
# Backup ages: weekly backups need more than a day.
LongDuration = Annotated[float, BeforeValidator(lambda v: parse_duration(v, most=366 * DAY))]


def dns_name(text: str) -> str:
    """A domain name as DNS carries it: lower case, IDN labels in their xn-- form.

    Raises ValueError naming the fault. ``@`` (the apex) and relative names pass
    through relative; a trailing dot is kept.
    """
    name = text.strip()
    if name == "@":
        return name
    absolute = name.endswith(".")
    labels = name[:-1].split(".") if absolute else name.split(".")
    out = []
    for label in labels:
        if not label:
            raise ValueError(f"'{text}' has an empty label (two dots in a row, or a "
                             "leading dot)")
        if not label.isascii():
            import idna  # IDNA 2008 with UTS 46 mapping, as browsers and registries use

            try:
                label = idna.encode(label, uts46=True).decode("ascii")
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValueError(f"'{text}': label '{label}' is not a valid "
                                 f"internationalised name ({exc})") from None
        label = label.lower()
        if len(label) > 63:
            raise ValueError(f"'{text}': label '{label[:20]}...' is longer than 63 characters")
        if not _LABEL.match(label):
            raise ValueError(f"'{text}': label '{label}' may hold only letters, digits, "
                             "'-' and '_' (or be '*')")
        out.append(label)
    result = ".".join(out) + ("." if absolute else "")
    if len(result.rstrip(".")) > 253:
        raise ValueError(f"'{text[:40]}...' is longer than 253 characters")
    return result


_LABEL = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)$")


def _no_control(value: str) -> str:
    """Text that goes into a request line or header: no CR, LF or other control characters."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{value!r} holds a control character (a line break would inject a "
                         "header); remove it")
    return value


HeaderText = Annotated[str, AfterValidator(_no_control)]


def _server(text: str) -> str:
    """``host``, ``host:port`` or ``[v6]:port``; a bare IPv6 address with a port is ambiguous."""
    entry = text.strip()
    if entry.startswith("["):
        host, close, rest = entry[1:].partition("]")
        if not close or (rest and not rest.startswith(":")):
            raise ValueError(f"'{text}' is not [address]:port")
        port = rest[1:]
    elif entry.count(":") > 1:
        raise ValueError(f"'{text}' is ambiguous: is the last part a port? write "
                         f"'[{entry}]' for the address alone, or '[address]:port' "
                         "such as '[::1]:53'")
    else:
        host, _, port = entry.partition(":")
    if not host:
        raise ValueError(f"'{text}' has no host")
    _no_control(host)
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"'{text}': the port must be a number from 1 to 65535")
    return entry


ServerList = list[Annotated[str, AfterValidator(_server)]]
HttpStatus = Annotated[int, Field(ge=100, le=599)]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are not coerced loosely.

    ``defer_build``: a model's validator is made when first used, so loading a
    config builds one validator (Config's) instead of one per model at import;
    ``failover --help`` and commands that read no config never pay for them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False,
                              defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _env_names(cls, data: Any) -> Any:
        """Every ``*_env`` key names a variable. What is not a name is often the secret
        pasted in its place, so the message does not quote it."""
        if isinstance(data, dict):
            for key, value in data.items():
                if not (isinstance(key, str) and isinstance(value, str)):
                    continue
                if key.endswith("_env") and not env_name_ok(value):
                    raise ValueError(f"{key} must name an environment variable (letters, "
                                     "digits and _, not first a digit); its value is not "
                                     "shown, in case it is the secret itself")
                if key.endswith("endpoint_url") and _has_userinfo(value):
                    raise ValueError(f"{key} holds a user or key before '@'; credentials do "
                                     "not go in a URL that is printed and logged: give them "
                                     "as *_env or credentials_file (the URL is not shown)")
        return data


def _has_userinfo(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
        return bool(parts.username or parts.password)
    except ValueError:
        return False
