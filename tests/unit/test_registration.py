"""Registration readiness judged: a registrar (through the plugin interface's
``readiness``) whose domain expires soon, is unlocked, or will not give its auth code."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from hypothesis import example, given
from hypothesis import strategies as st

from failover import registration
from failover.registrars.base import Readiness, Registrar
from tests.hypo import cases

NOW = 1_800_000_000.0
DAY = 86400.0


class Plugin(Registrar):
    """A third-party registrar as a plugin would ship it."""

    def __init__(self, answer: Readiness | Exception | None) -> None:
        super().__init__("plug", "example.org.")
        self.answer = answer

    def read(self) -> list[str]:
        return []

    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        raise NotImplementedError

    def readiness(self) -> Readiness | None:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class OldPlugin(Registrar):
    """A plugin written before ``readiness`` existed: it must keep working."""

    def read(self) -> list[str]:
        return []

    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        raise NotImplementedError


def test_a_plugin_without_readiness_is_said_unable_never_ready() -> None:
    readings = registration.read({"old": OldPlugin("old", "example.org.")})
    assert readings == {"old": None}
    [f] = registration.findings(readings, NOW)
    assert "cannot report" in f.reason and "check them at the registrar" in f.reason
    assert registration.dependencies(readings, NOW) == []


def ready(**changes: object) -> Readiness:
    base = {"domain": "example.org", "transfer_lock": True, "expires": NOW + 400 * DAY,
            "auto_renew": True, "auth_code": True, "privacy": True}
    return Readiness(**{**base, **changes})  # type: ignore[arg-type]


def test_expiry_under_thirty_days_blocks_recovery_in_audit() -> None:
    readings = registration.read({"plug": Plugin(ready(expires=NOW + 12 * DAY,
                                                       auto_renew=False))})
    [f] = registration.findings(readings, NOW)
    assert f.status == "CRITICAL" and "expires in 12 days" in f.reason and "OFF" in f.reason
    [dep] = registration.dependencies(readings, NOW)
    assert dep.blocking and dep.vendor == "plug" and "may lapse" in dep.loss


def test_a_registrar_that_cannot_say_is_not_called_ready_and_errors_are_one_line() -> None:
    readings = registration.read({"a": Plugin(None), "b": Plugin(RuntimeError("boom\x1b[2J"))})
    found = {f.name: f for f in registration.findings(readings, NOW)}
    assert "cannot report" in found["a"].reason
    assert found["b"].status == "UNKNOWN" and "\x1b" not in found["b"].reason


@cases(200)
@given(st.booleans(), st.booleans(), st.booleans(), st.booleans(),
       st.floats(min_value=-10, max_value=800))
@example(False, True, True, True, 400.0)   # each fault alone, whatever the profile draws
@example(True, False, True, True, 400.0)
@example(True, True, False, True, 400.0)
@example(True, True, True, False, 400.0)
@example(True, True, True, True, 29.0)
def test_ready_exactly_when_nothing_is_wrong(lock: bool, renew: bool, code: bool,
                                             private: bool, days: float) -> None:
    r = ready(transfer_lock=lock, auto_renew=renew, auth_code=code, privacy=private,
              expires=NOW + days * DAY)
    wrong = registration.problems(r, NOW)
    assert (not wrong) == (lock and renew and code and private and days >= 30)
    assert all(p.severity == 2 for p in wrong if p.kind == "expiry" and not renew)
    # Only a lapse or an auth code refused blocks recovery; each problem names its fix.
    assert {p.kind for p in wrong if p.blocks} <= {"expiry", "auth-code"}
    assert all(p.fix for p in wrong)


def test_an_auth_code_refused_blocks_recovery_and_the_finding_names_the_fix() -> None:
    readings = registration.read({"plug": Plugin(ready(auth_code=False,
                                                       auth_code_error="suspended"))})
    [f] = registration.findings(readings, NOW)
    assert f.status == "WARNING" and "(suspended)" in f.reason
    assert "Fix at plug: ask the registrar why it refuses the auth code" in f.reason
    [dep] = registration.dependencies(readings, NOW)
    assert dep.blocking and "plug blocks recovery" in dep.loss


# What a terminal would act on: C0 and C1 controls (ESC, CSI), DEL, bidi overrides.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE = st.lists(st.sampled_from(["\x1b[2J", "\x1b]8;;http://x\x07", "\u202e", "\x9b1m",
                                    "\r", "\x00", "[red]", "<i>", "ok"]),
                   max_size=30).map(lambda parts: "".join(parts) * 40)


@cases(200)
@given(HOSTILE, st.lists(HOSTILE, max_size=40), HOSTILE)
@example("x", ["ok"] * 500, "\x1b[2J" * 10_000)
def test_a_plugins_hostile_answer_is_inert_in_check_and_audit(domain: str, status: list[str],
                                                               error: str) -> None:
    answer = ready(domain=domain, status=tuple(status), auth_code=False,
                   auth_code_error=error, transfer_lock=False)
    readings = registration.read({"plug": Plugin(answer)})
    [f] = registration.findings(readings, NOW)
    deps = registration.dependencies(readings, NOW)
    shown = [f.reason, json.dumps(f.evidence, ensure_ascii=False),
             *(t for d in deps for t in (d.what, d.loss, d.fix))]
    assert not any(UNSAFE.search(t) for t in shown), shown
    assert len(f.evidence[0]["status"]) <= 20 and len(f.reason) < 2000


def test_prometheus_carries_each_registrars_days_left() -> None:
    from failover.report import to_prometheus

    readings = registration.read({"plug": Plugin(ready(expires=NOW + 12 * DAY)),
                                  "blind": Plugin(None)})
    text = to_prometheus("svc", NOW, 1, registration.findings(readings, NOW))
    assert 'failover_registration_days_left{service="svc",registrar="plug"} 12\n' in text
    assert 'registrar="blind"' not in text
