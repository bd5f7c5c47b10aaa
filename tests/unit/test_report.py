"""Reports for machines, read back by real parsers; and the CI templates in examples/ci.

JUnit XML is read by junitparser (and xml.etree for well-formedness), the
Prometheus exposition by prometheus_client's own text parser, the CI
templates by PyYAML and by check-jsonschema's copies of the GitHub workflow
and GitLab CI schemas. Names and reasons include quotes, backslashes,
newlines and control characters, as a vendor's error message can.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import Failure, JUnitXml
from prometheus_client.parser import text_string_to_metric_families

from failover.health import Verdict
from failover.probes.base import ProbeResult
from failover.report import (
    Finding,
    hosting_findings,
    ordered,
    overall_exit_code,
    to_json,
    to_junit,
    to_prometheus,
    worst,
)

SERVICE = 'so"cial\\'
AT = 1_700_000_000.5
HOSTILE = 'evil "quoted" \\n back\\slash\nnew line \\'     # a backslash-n, a newline, a trailing \
HOSTILE_REASON = 'status 503: <html>&amp; "oops"\n\x1b[31mred\x1b[0m \\ done'
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"


def probe(hosting: str, target: str, ok: bool, latency: float, reason: str = "",
          name: str = "http /healthz") -> ProbeResult:
    return ProbeResult(hosting, name, target, ok, latency, reason, at=AT)


def verdicts() -> list[Verdict]:
    return [
        Verdict("aws-use1", "aws", "UP", "ok", "2/2 probes passed", 4, 0,
                [probe("aws-use1", "203.0.113.10:80", True, 0.012),
                 probe("aws-use1", "203.0.113.10:443", True, 0.034, name="tls")]),
        Verdict("gcp-euw1", "gcp", "DEGRADED", "partial", "1/2 probes failed", 1, 0,
                [probe("gcp-euw1", "198.51.100.20:80", False, 2.0, "timeout after 2.0s"),
                 probe("gcp-euw1", "198.51.100.20:443", True, 0.05, name="tls")]),
        Verdict("metal-fra", "colo-fra", "DOWN", "fail", "all 1 probes failed (3 in a row)", 0, 3,
                [probe("metal-fra", "192.0.2.20:80", False, 0.001, "connection refused")]),
        Verdict("hetzner-1", "hetzner", "TERMINATED", "fail", "the vendor refuses our account",
                0, 5, [probe("hetzner-1", "192.0.2.30:80", False, 0.002, "connection refused")]),
        Verdict("new-1", "aws", "UNKNOWN", "none", "no checks configured", 0, 0, []),
        Verdict(HOSTILE, "aws", "DOWN", "fail", HOSTILE_REASON, 0, 3,
                [probe(HOSTILE, '[2001:db8::"1]:80', False, 0.25, HOSTILE_REASON,
                       name='http /a"b\\c')]),
    ]


def other_findings() -> list[Finding]:
    return [
        Finding("vendor", "aws", "OK", 0, "STS answers; 2/2 instances running", vendor="aws",
                seconds=0.3),
        Finding("vendor", "hetzner", "CRITICAL", 2, "401 Unauthorized: token revoked",
                vendor="hetzner", seconds=0.1,
                evidence=[{"probe": "control http", "target": "api.hetzner.example:443",
                           "ok": False, "latency_ms": 100.0, "reason": "status 401"}]),
        Finding("vendor", "gcp", "WARNING", 1, "control plane refuses while the data plane "
                "serves: termination in progress?", vendor="gcp", metrics={"up": 0}),
        Finding("dns", "route53", "OK", 0, "serial 7 like the others", vendor="aws",
                seconds=0.2, metrics={"soa_serial": 7}),
        Finding("dns", "knot-fra", "UNKNOWN", 3, "timeout after 5.0s", vendor="colo-fra",
                seconds=5.0),
        Finding("backup", "db", "WARNING", 1, "newest backup is 3h old, over the 1h RPO",
                vendor="aws", seconds=0.4, metrics={"age_seconds": 10800.0, "objects_seen": 3}),
        Finding("backup", "media", "CRITICAL", 2, "no backup under s3://media/daily/",
                vendor="gcp", metrics={"objects_seen": 0}),
        Finding("backup", "fresh", "OK", 0, "newest backup is 5m old, within the 1h RPO",
                vendor="colo-fra", metrics={"age_seconds": 300.25, "objects_seen": 1}),
    ]


def all_findings() -> list[Finding]:
    return hosting_findings(verdicts()) + other_findings()


# -- findings and JSON ---------------------------------------------------------------------

def test_hosting_findings_map_verdicts_to_severities() -> None:
    found = {f.name: f for f in hosting_findings(verdicts())}
    assert {n: (f.status, f.severity) for n, f in found.items()} == {
        "aws-use1": ("UP", 0), "gcp-euw1": ("DEGRADED", 1), "metal-fra": ("DOWN", 2),
        "hetzner-1": ("TERMINATED", 2), "new-1": ("UNKNOWN", 3), HOSTILE: ("DOWN", 2)}
    gcp = found["gcp-euw1"]
    assert (gcp.kind, gcp.vendor, gcp.reason) == ("hosting", "gcp", "1/2 probes failed")
    assert gcp.seconds == 2.0                       # the slowest probe: they run concurrently
    assert gcp.metrics == {"ok_streak": 1, "fail_streak": 0, "probes": 2, "probes_failed": 1}
    assert gcp.evidence[0] == verdicts()[1].evidence[0].to_json()


def test_exit_code_combines_hostings_with_other_findings() -> None:
    assert worst([]) == 0
    assert worst([0, 1]) == 1
    assert worst([1, 3]) == 3
    assert worst([3, 2, 1]) == 2                    # UNKNOWN never hides a CRITICAL
    backup_warning = Finding("backup", "db", "WARNING", 1, "stale")
    dns_unknown = Finding("dns", "knot", "UNKNOWN", 3, "timeout")
    down = hosting_findings(verdicts())[2]
    assert overall_exit_code(0, [down, backup_warning]) == 1   # the engine already judged hostings
    assert overall_exit_code(2, [backup_warning, dns_unknown]) == 2
    # A part that could not be seen while the rest was judged is CRITICAL (issue 20):
    # 3 means only that nothing at all could be judged.
    assert overall_exit_code(0, [dns_unknown]) == 2
    assert overall_exit_code(3, [dns_unknown]) == 3


def test_json_shape() -> None:
    findings = all_findings()
    extra = {"hostings": [v.to_json() for v in verdicts()], "seconds": 2.5, "exit_code": 99}
    data = to_json(SERVICE, AT, 2, findings, extra=extra)
    assert json.loads(json.dumps(data)) == data     # plain JSON, nothing to coerce
    assert set(data) == {"service", "at", "exit_code", "status", "findings", "hostings", "seconds"}
    assert (data["service"], data["at"], data["exit_code"], data["status"]) == (
        SERVICE, AT, 2, "CRITICAL")                 # extra never replaces the documented keys
    assert data["hostings"] == extra["hostings"]
    kinds = [f["kind"] for f in data["findings"]]
    assert kinds == ["hosting"] * 6 + ["vendor"] * 3 + ["dns"] * 2 + ["backup"] * 3
    assert [f["name"] for f in data["findings"][6:9]] == ["aws", "gcp", "hetzner"]
    backup = next(f for f in data["findings"] if f["name"] == "db")
    assert backup == {"kind": "backup", "name": "db", "vendor": "aws", "status": "WARNING",
                      "severity": 1, "reason": "newest backup is 3h old, over the 1h RPO",
                      "seconds": 0.4, "evidence": [],
                      "metrics": {"age_seconds": 10800.0, "objects_seen": 3}}
    assert [to_json("s", AT, c, [])["status"] for c in range(4)] == [
        "OK", "WARNING", "CRITICAL", "UNKNOWN"]


# -- JUnit XML --------------------------------------------------------------------------------

def parse_junit(text: str) -> JUnitXml:
    ET.fromstring(text.encode("utf-8"))            # well-formed XML, or this raises
    return JUnitXml.fromstring(text.encode("utf-8"))


def test_junit_is_read_by_a_junit_parser() -> None:
    findings = all_findings()
    report = parse_junit(to_junit(SERVICE, AT, findings))
    assert (report.tests, report.failures, report.errors) == (14, 7, 0)
    suites = list(report)
    assert [s.name for s in suites] == ["failover.hosting", "failover.vendor", "failover.dns",
                                        "failover.backup"]
    expected = {f.name + "@" + f.kind: f for f in findings}
    seen = 0
    for suite in suites:
        kind = suite.name.removeprefix("failover.")
        cases = list(suite)
        assert suite.tests == len(cases)
        assert suite.failures == sum(not c.is_passed for c in cases)
        assert suite.errors == 0
        for case in cases:
            f = expected[case.name + "@" + kind]
            seen += 1
            assert case.classname == f"failover.{kind}"
            assert case.time == pytest.approx(round(f.seconds, 3))
            if f.severity >= 2:
                assert not case.is_passed
                (failure,) = case.result
                assert isinstance(failure, Failure)
                assert failure.type == f.status
                assert failure.message.startswith(f"{f.status}: ")
            else:
                assert case.is_passed, case.name
                assert case.result == []
                if f.severity == 1:
                    assert case.system_out.startswith("WARNING: ")
                else:
                    assert case.system_out is None
    assert seen == len(findings)
    # The declared counts are the ones the parser computes from the test cases.
    declared = (report.tests, report.failures, report.errors)
    report.update_statistics()
    assert (report.tests, report.failures, report.errors) == declared


def test_junit_details() -> None:
    report = parse_junit(to_junit(SERVICE, AT, all_findings()))
    cases = {(s.name, c.name): c for s in report for c in s}
    down = cases[("failover.hosting", "metal-fra")]
    (failure,) = down.result
    assert failure.message == "DOWN: all 1 probes failed (3 in a row)"
    assert failure.text.splitlines() == ["DOWN: all 1 probes failed (3 in a row)",
                                         "FAIL http /healthz 192.0.2.20:80 1.0 ms: "
                                         "connection refused"]
    degraded = cases[("failover.hosting", "gcp-euw1")]
    assert degraded.system_out.splitlines()[0] == "WARNING: DEGRADED: 1/2 probes failed"
    stale = cases[("failover.backup", "db")]
    assert stale.system_out == "WARNING: newest backup is 3h old, over the 1h RPO"
    unknown = cases[("failover.dns", "knot-fra")]
    assert unknown.result[0].type == "UNKNOWN"
    assert unknown.result[0].message == "UNKNOWN: timeout after 5.0s"

    root = ET.fromstring(to_junit(SERVICE, AT, all_findings()).encode())
    assert root.get("timestamp") == "2023-11-14T22:13:20"
    props = {p.get("name"): p.get("value")
             for p in root.findall(".//testcase[@name='db']/properties/property")}
    assert props == {"status": "WARNING", "severity": "1", "vendor": "aws",
                     "age_seconds": "10800", "objects_seen": "3"}
    service = root.find("testsuite/properties/property[@name='service']")
    assert service is not None and service.get("value") == SERVICE


def test_junit_escapes_hostile_names_and_reasons() -> None:
    report = parse_junit(to_junit(SERVICE, AT, all_findings()))
    assert report.name == f"failover check {SERVICE}"
    (case,) = [c for s in report for c in s if c.name == HOSTILE]
    (failure,) = case.result
    shown = HOSTILE_REASON.replace("\x1b", "\ufffd")   # XML 1.0 cannot carry ESC at all
    assert failure.message == f"DOWN: {shown}"
    assert failure.text.splitlines()[:2] == f"DOWN: {shown}".splitlines()
    assert 'http /a"b\\c [2001:db8::"1]:80 250.0 ms' in failure.text


def test_junit_is_deterministic() -> None:
    findings = all_findings()
    assert to_junit(SERVICE, AT, findings) == to_junit(SERVICE, AT, findings[::-1])
    assert [f.name for f in ordered(findings[::-1])] == [f.name for f in ordered(findings)]


def test_junit_without_findings() -> None:
    report = parse_junit(to_junit("social", AT, []))
    assert (report.tests, report.failures, list(report)) == (0, 0, [])


# -- Prometheus -------------------------------------------------------------------------------

def scrape(text: str) -> dict[str, dict[frozenset[tuple[str, str]], float]]:
    """Family name -> {labels: value}, as prometheus_client's parser reads the text."""
    out: dict[str, dict[frozenset[tuple[str, str]], float]] = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        assert family.documentation, family.name
        samples = out.setdefault(family.name, {})
        for s in family.samples:
            assert s.name == family.name
            key = frozenset(s.labels.items())
            assert key not in samples, f"duplicate sample {s.name}{s.labels}"
            samples[key] = s.value
    return out


def series(**labels: str) -> frozenset[tuple[str, str]]:
    """A sample's label set, with the service label every sample has."""
    return frozenset({"service": SERVICE, **labels}.items())


def test_prometheus_every_family_and_sample() -> None:
    text = to_prometheus(SERVICE, AT, 2, all_findings())
    got = scrape(text)
    hostings = {"aws-use1": ("aws", "UP"), "gcp-euw1": ("gcp", "DEGRADED"),
                "metal-fra": ("colo-fra", "DOWN"), "hetzner-1": ("hetzner", "TERMINATED"),
                "new-1": ("aws", "UNKNOWN"), HOSTILE: ("aws", "DOWN")}
    verdict_samples = {}
    for name, (vendor, verdict) in hostings.items():
        for v in ("UP", "DEGRADED", "DOWN", "TERMINATED", "UNKNOWN"):
            verdict_samples[series(hosting=name, vendor=vendor, verdict=v)] = float(v == verdict)
    probes = {("aws-use1", "203.0.113.10:80", "http /healthz"): (1.0, 0.012),
              ("aws-use1", "203.0.113.10:443", "tls"): (1.0, 0.034),
              ("gcp-euw1", "198.51.100.20:80", "http /healthz"): (0.0, 2.0),
              ("gcp-euw1", "198.51.100.20:443", "tls"): (1.0, 0.05),
              ("metal-fra", "192.0.2.20:80", "http /healthz"): (0.0, 0.001),
              ("hetzner-1", "192.0.2.30:80", "http /healthz"): (0.0, 0.002),
              (HOSTILE, '[2001:db8::"1]:80', 'http /a"b\\c'): (0.0, 0.25)}
    severities = {("hosting", f.name, f.vendor or ""): float(f.severity)
                  for f in hosting_findings(verdicts())}
    severities.update({(f.kind, f.name, f.vendor or ""): float(f.severity)
                       for f in other_findings()})
    expected = {
        "failover_check_status": {series(): 2.0},
        "failover_check_timestamp_seconds": {series(): AT},
        "failover_finding_severity": {series(kind=k, name=n, vendor=v): s
                                      for (k, n, v), s in severities.items()},
        "failover_hosting_up": {series(hosting=n, vendor=v): float(verdict in ("UP", "DEGRADED"))
                                for n, (v, verdict) in hostings.items()},
        "failover_hosting_verdict": verdict_samples,
        "failover_vendor_up": {series(vendor="aws"): 1.0, series(vendor="gcp"): 0.0,
                               series(vendor="hetzner"): 0.0},
        "failover_dns_provider_up": {series(provider="route53", vendor="aws"): 1.0,
                                     series(provider="knot-fra", vendor="colo-fra"): 0.0},
        "failover_dns_soa_serial": {series(provider="route53", vendor="aws"): 7.0},
        "failover_backup_age_seconds": {series(backup="db", vendor="aws"): 10800.0,
                                        series(backup="fresh", vendor="colo-fra"): 300.25},
        "failover_backup_fresh": {series(backup="db", vendor="aws"): 0.0,
                                  series(backup="media", vendor="gcp"): 0.0,
                                  series(backup="fresh", vendor="colo-fra"): 1.0},
        "failover_probe_success": {series(hosting=h, target=t, probe=p): ok
                                   for (h, t, p), (ok, _) in probes.items()},
        "failover_probe_latency_seconds": {series(hosting=h, target=t, probe=p): lat
                                           for (h, t, p), (_, lat) in probes.items()},
    }
    assert got == expected


def test_prometheus_text_details() -> None:
    text = to_prometheus(SERVICE, AT, 0, all_findings())
    assert text.endswith("\n") and not text.endswith("\n\n")
    lines = text.splitlines()
    names = [line.split()[2] for line in lines if line.startswith("# TYPE ")]
    assert len(names) == len(set(names))          # each family once, its samples together
    for line in lines:
        if not line.startswith("#"):
            assert re.match(r"^[a-z_]+\{.*\} \S+$", line), line   # no timestamps
    # A hostile value is escaped on one line, as the format says: \\ \" \n.
    assert '\\"quoted\\" \\\\n back\\\\slash\\nnew line \\\\"' in text
    assert to_prometheus(SERVICE, AT, 0, all_findings()[::-1]) == text


def test_prometheus_unusual_numbers() -> None:
    findings = [Finding("backup", "b", "OK", 0, "r", metrics={"age_seconds": float("inf")}),
                Finding("dns", "d", "OK", 0, "r", metrics={"soa_serial": 2024010101})]
    got = scrape(to_prometheus("s", 0.0, 0, findings))
    assert got["failover_backup_age_seconds"] == {
        frozenset({"service": "s", "backup": "b", "vendor": ""}.items()): float("inf")}
    assert list(got["failover_dns_soa_serial"].values()) == [2024010101.0]
    assert "failover_dns_soa_serial{" in to_prometheus("s", 0.0, 0, findings)
    assert " 2024010101\n" in to_prometheus("s", 0.0, 0, findings)


def test_parser_refuses_what_an_unescaped_value_would_produce() -> None:
    """Guards the test above: the parser is strict enough that a missing escape shows."""
    with pytest.raises(ValueError):
        list(text_string_to_metric_families('m{a="evil "quoted""} 1\n'))
    with pytest.raises(ValueError):
        list(text_string_to_metric_families('m{a="new\nline"} 1\n'))


# -- CI templates -------------------------------------------------------------------------------

def load_yaml(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(("name", "schema"), [("github-actions.yml", "vendor.github-workflows"),
                                              ("gitlab-ci.yml", "vendor.gitlab-ci")])
def test_ci_templates_match_their_schemas(name: str, schema: str) -> None:
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                             str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def github_steps() -> list[dict[str, Any]]:
    data = load_yaml("github-actions.yml")
    (job,) = data["jobs"].values()
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def test_github_workflow_structure() -> None:
    data = load_yaml("github-actions.yml")
    on = data["on"] if "on" in data else data[True]   # YAML 1.1 reads a bare `on` as true
    (schedule,) = on["schedule"]
    assert schedule["cron"] == "*/5 * * * *"
    assert data["concurrency"]["cancel-in-progress"] is False
    (job,) = data["jobs"].values()
    for var in ("FAILOVER_TSIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert job["env"][var] == f"${{{{ secrets.{var} }}}}"

    steps = github_steps()
    index = {s.get("name", s.get("uses")): i for i, s in enumerate(steps)}
    check = steps[index["Check"]]
    assert "failover check --format junit > report.xml" in check["run"]
    restore, save = steps[index["Restore the journal"]], steps[index["Save the journal"]]
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@") and save["if"] == "always()"
    assert restore["with"]["path"] == save["with"]["path"] == ".failover"
    assert "github.run_id" in save["with"]["key"]   # a new key each run, so it always saves
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"].strip())
    install = steps[index["Install failover"]]
    assert install["env"]["FAILOVER_PACKAGE"] == "${{ vars.FAILOVER_PACKAGE }}"
    assert "${FAILOVER_PACKAGE:?" in install["run"]   # no guessed package name from an index
    reconcile = steps[index["Reconcile"]]
    assert "failover reconcile" in reconcile["run"] and reconcile["id"] == "reconcile"
    assert "vars.FAILOVER_RECONCILE == 'true'" in reconcile["if"]
    assert index["Restore the journal"] < index["Check"] < index["Reconcile"] \
        < index["Save the journal"]
    report = steps[index["Publish the report"]]
    assert report["uses"].startswith("dorny/test-reporter@")
    assert (report["with"]["path"], report["with"]["reporter"]) == ("report.xml", "java-junit")
    assert steps[index["Keep the report"]]["with"]["path"] == "report.xml"
    assert all(s.get("if") == "always()" for s in steps[index["Save the journal"]:])


def test_gitlab_job_structure() -> None:
    data = load_yaml("gitlab-ci.yml")
    # An included file's top-level stages replace the including project's.
    assert "stages" not in data
    job = data["failover-check"]
    assert job["stage"] == "test"   # a stage every GitLab project has
    assert job["artifacts"]["reports"]["junit"] == "report.xml"
    assert job["artifacts"]["when"] == "always"
    assert job["cache"]["paths"] == [".failover/"]
    assert (job["cache"]["when"], job["cache"]["policy"]) == ("always", "pull-push")
    assert job["allow_failure"] == {"exit_codes": [1]}
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]
    script = "\n".join(job["script"])
    assert "failover check --format junit > report.xml" in script
    assert "failover reconcile" in script and "FAILOVER_RECONCILE" in script
    assert job["before_script"] == [
        'python -m pip install --quiet "${FAILOVER_PACKAGE:?set the variable FAILOVER_PACKAGE}"']


# The shell in the templates, run for real with a stand-in `failover` that exits as told.

def fake_failover(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "failover"
    tool.write_text('#!/bin/sh\necho "$@" >> "$CALLS"\n'
                    'if [ "$1" = check ]; then echo "<testsuites/>"; exit "$CHECK_EXIT"; fi\n'
                    'exit "${RECONCILE_EXIT:-0}"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "CALLS": str(tmp_path / "calls")}


@pytest.mark.parametrize("check_exit", [0, 1, 2, 3])
@pytest.mark.parametrize(("reconcile", "reconcile_exit"), [("true", 0), ("true", 1),
                                                           ("true", 2), ("", 0)])
def test_gitlab_script_runs(tmp_path: Path, check_exit: int, reconcile: str,
                            reconcile_exit: int) -> None:
    script = "\n".join(load_yaml("gitlab-ci.yml")["failover-check"]["script"])
    env = {**fake_failover(tmp_path), "CHECK_EXIT": str(check_exit),
           "FAILOVER_RECONCILE": reconcile, "RECONCILE_EXIT": str(reconcile_exit)}
    # GitLab stops a job at the first failing command, as `sh -e` does.
    result = subprocess.run(["sh", "-e", "-c", script], cwd=tmp_path, env=env, timeout=30)
    # The worse of the two; reconcile's 1 (serving a standby after a move) is a warning,
    # which allow_failure lets pass.
    assert result.returncode == max(check_exit, reconcile_exit)
    assert (tmp_path / "report.xml").read_text() == "<testsuites/>\n"
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["check --format junit"] + (["reconcile"] if reconcile else [])


@pytest.mark.parametrize(("check_exit", "job_exit"), [(0, 0), (1, 0), (2, 2), (3, 3)])
def test_github_steps_run(tmp_path: Path, check_exit: int, job_exit: int) -> None:
    steps = {s.get("name"): s for s in github_steps()}
    env = {**fake_failover(tmp_path), "CHECK_EXIT": str(check_exit),
           "GITHUB_OUTPUT": str(tmp_path / "output")}
    # GitHub runs `run:` with bash -e; the check step must survive a non-zero exit.
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    check = subprocess.run([*shell, steps["Check"]["run"]], cwd=tmp_path, env=env, timeout=30)
    assert check.returncode == 0
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    assert outputs == {"exit_code": str(check_exit)}
    final = steps["Exit with the worse status"]
    assert final["env"]["CHECK"] == "${{ steps.check.outputs.exit_code }}"
    assert final["env"]["RECONCILE"] == "${{ steps.reconcile.outputs.exit_code }}"
    done = subprocess.run([*shell, final["run"]], cwd=tmp_path, timeout=30, capture_output=True,
                          text=True, env={**env, "CHECK": outputs["exit_code"], "RECONCILE": ""})
    assert done.returncode == job_exit, done.stdout
    missing = subprocess.run([*shell, final["run"]], cwd=tmp_path, timeout=30,
                             capture_output=True, env={**env, "CHECK": ""})
    assert missing.returncode == 3                 # the check step never ran: UNKNOWN


@pytest.mark.parametrize(("reconcile_exit", "job_exit"), [(0, 0), (1, 0), (2, 2)])
def test_github_reconcile_after_a_move_is_a_warning(tmp_path: Path, reconcile_exit: int,
                                                    job_exit: int) -> None:
    # After a move, reconcile exits 1 on every run until the primary is back: that must
    # not turn the workflow red every 5 minutes, and a 2 (move needed, not done) must.
    steps = {s.get("name"): s for s in github_steps()}
    env = {**fake_failover(tmp_path), "CHECK_EXIT": "0", "RECONCILE_EXIT": str(reconcile_exit),
           "GITHUB_OUTPUT": str(tmp_path / "output")}
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    step = subprocess.run([*shell, steps["Reconcile"]["run"]], cwd=tmp_path, env=env,
                          timeout=30)
    assert step.returncode == 0
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    assert outputs == {"exit_code": str(reconcile_exit)}
    done = subprocess.run([*shell, steps["Exit with the worse status"]["run"]], cwd=tmp_path,
                          timeout=30, env={**env, "CHECK": "0",
                                           "RECONCILE": outputs["exit_code"]})
    assert done.returncode == job_exit
