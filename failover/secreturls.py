"""Channel URLs hold secrets (passwords, tokens, webhook paths): read them, never show them.

A URL is shown as ``scheme://host`` at most. Text from apprise (its log lines, its error
strings) is scrubbed of every part of the URL that could be a secret before it goes to
the journal, a log or the screen.
"""

from __future__ import annotations

import re
import urllib.parse

from failover.config import Config, SecretUrl
from failover.config.secretfile import SecretFileError, read_secret_env, read_secret_file
from failover.errors import ConfigError

MASK = "***"
# Parts shorter than this are not worth masking (they would mangle ordinary words).
_MIN_PART = 4


def read_url(config: Config, source: SecretUrl, what: str) -> str:
    """The URL from its environment variable or file; ConfigError naming the source if absent."""
    if source.url_env:
        try:
            value = read_secret_env(source.url_env)
        except SecretFileError as exc:
            raise ConfigError(f"{what}: {exc}") from None
        if not value:
            raise ConfigError(f"{what}: environment variable {source.url_env} is not set; "
                              "export it with the URL")
        return value
    assert source.url_file is not None
    try:
        return read_secret_file(config.resolve_path(source.url_file))
    except SecretFileError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def shown(url: str) -> str:
    """``scheme://host[:port]``: all of a channel's URL that may be shown."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(unparsable URL)"
    scheme = parts.scheme or "?"
    if not host:
        return f"{scheme}://"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def secret_parts(url: str) -> list[str]:
    """Every piece of ``url`` that could be a secret, longest first: the whole URL, its
    user and password, path segments, query values and fragment."""
    parts: set[str] = {url}
    try:
        split = urllib.parse.urlsplit(url)
        user, password = split.username, split.password
    except ValueError:
        split, user, password = None, None, None
    if split is not None:
        host = (split.hostname or "").lower()
        pieces = [user, password, split.path, split.query, split.fragment]
        pieces += re.split(r"[/]", split.path)
        for _key, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            pieces.append(value)
        for piece in pieces:
            if not piece:
                continue
            for variant in (piece, urllib.parse.unquote(piece), urllib.parse.quote(piece)):
                if len(variant) >= _MIN_PART and variant.lower() != host:
                    parts.add(variant)
    return sorted(parts, key=len, reverse=True)


def scrub(text: str, urls: list[str]) -> str:
    """``text`` with every secret part of each URL masked."""
    for url in urls:
        for part in secret_parts(url):
            text = text.replace(part, MASK)
    return text
