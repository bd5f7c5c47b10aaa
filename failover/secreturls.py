"""Channel URLs hold secrets (passwords, tokens, webhook paths): read them, never show them.

A URL is shown as ``scheme://host`` at most; where the "host" is no host name but a key
(``opsgenie://KEY``, ``pbul://TOKEN``, ``pagerduty://KEY@KEY``), as apprise's own privacy
rendering shows it (``opsgenie://K...6``). Text from apprise (its log lines, its error
strings) is scrubbed of every part of the URL that could be a secret before it goes to
the journal, a log or the screen; the parts that look like secrets are also given to
:func:`failover.untrusted.remember_secret`, so that no text from outside shows them.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from failover.config import Config, SecretUrl
from failover.config.secretfile import SecretFileError, read_secret_env, read_secret_file
from failover.errors import ConfigError
from failover.untrusted import clean, remember_secret

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
        _remember(value)
        return value
    assert source.url_file is not None
    try:
        value = read_secret_file(config.resolve_path(source.url_file))
    except SecretFileError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    _remember(value)
    return value


def _remember(url: str) -> None:
    """Give the URL's secret-looking parts to the untrusted-text boundary. Not every path
    segment: masking 'hooks' or 'config' in every line would hide what went wrong."""
    for part in secret_parts(url):
        if part == url or _tokenish(part):
            remember_secret(part)


def _tokenish(part: str) -> bool:
    return len(part) >= 16 or (len(part) >= 6 and any(c.isdigit() or c.isupper() or
                                                        not c.isalnum() for c in part))


def _hostlike(host: str) -> bool:
    """A name or an address, not a key written where apprise's URLs put a host."""
    return "." in host or ":" in host or host.lower() == "localhost"


def _netloc_host(split: urllib.parse.SplitResult) -> str:
    """The host as written (``hostname`` is lower-cased; a key is not)."""
    host = split.netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0]


def shown(url: str) -> str:
    """``scheme://host[:port]``: all of a channel's URL that may be shown; a key in the
    host's place as apprise's privacy rendering shows it."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(unparsable URL)"
    scheme = parts.scheme or "?"
    if not host:
        return f"{scheme}://"
    if not _hostlike(host):
        return f"{scheme}://{_private_host(url)}"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _private_host(url: str) -> str:
    """The host part of apprise's privacy rendering (``K...6``, ``****@****``); ``***``
    when apprise does not know the URL."""
    try:
        import apprise

        plugin: Any = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        private = plugin.url(privacy=True) if plugin else ""
        netloc = urllib.parse.urlsplit(str(private)).netloc
    except Exception:   # apprise's own parsing of a hostile URL: never ours to raise
        netloc = ""
    return clean(netloc, 80) if netloc else MASK


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
        if host and not _hostlike(host):
            pieces.append(_netloc_host(split))      # opsgenie://KEY: the key is the host
            host = ""
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
