"""Prometheus output that monitoring people accept: no fake DNS provider for the
delegation, clean numbers, seconds, a documented hosting_up for DEGRADED."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from failover.report import Finding, to_prometheus


def families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {f.name: [(s.labels, s.value) for s in f.samples]
            for f in text_string_to_metric_families(text)}


def findings() -> list[Finding]:
    probe = {"hosting": "aws-use1", "probe": "tcp", "target": "127.0.0.1:443", "ok": True,
             "reason": "", "at": 1700000000.25, "latency_ms": 5.1, "latency_seconds": 0.0051,
             "detail": {}}
    return [
        Finding("hosting", "aws-use1", "DEGRADED", 1, "failing 1/3 before DOWN", "aws",
                seconds=0.0051, evidence=[probe]),
        Finding("dns", "bind", "OK", 0, "answers", "colo-fra", metrics={"up": 1.0}),
        Finding("dns", "delegation", "WARNING", 1, "every listed server is at one vendor",
                None, metrics={"parents": 2.0, "servers": 2.0, "vendors": 1.0}),
    ]


def test_delegation_is_not_a_dns_provider() -> None:
    text = to_prometheus("svc", 1700000000.0, 1, findings())
    got = families(text)
    providers = [labels["provider"] for labels, _ in got["failover_dns_provider_up"]]
    assert providers == ["bind"]
    assert 'vendor=""' not in "\n".join(line for line in text.splitlines()
                                         if line.startswith("failover_dns_"))
    assert got["failover_delegation_ok"] == [({"service": "svc"}, 0.0)]
    assert got["failover_delegation_vendors"] == [({"service": "svc"}, 1.0)]
    kinds = {labels["name"]: labels["kind"] for labels, _ in got["failover_finding_severity"]}
    assert kinds["delegation"] == "delegation" and kinds["bind"] == "dns"


def test_numbers_are_clean_and_in_seconds() -> None:
    text = to_prometheus("svc", 1700000000.25, 1, findings(), seconds=0.1 + 0.2)
    assert "0.0050999999999999995" not in text and "0.30000000000000004" not in text
    assert 'failover_probe_latency_seconds{service="svc",hosting="aws-use1",' \
           'target="127.0.0.1:443",probe="tcp"} 0.0051' in text
    assert "failover_check_duration_seconds{service=\"svc\"} 0.3\n" in text
    assert "failover_check_timestamp_seconds{service=\"svc\"} 1700000000.25\n" in text


def test_older_evidence_in_milliseconds_still_reads_as_seconds() -> None:
    f = findings()[0]
    old = {k: v for k, v in f.evidence[0].items() if k != "latency_seconds"}
    text = to_prometheus("svc", 1.0, 1, [Finding("hosting", "aws-use1", "UP", 0, "", "aws",
                                                 evidence=[old])])
    (sample,) = families(text)["failover_probe_latency_seconds"]
    assert sample[1] == 0.0051


def test_hosting_up_counts_degraded_as_serving_and_says_so() -> None:
    text = to_prometheus("svc", 1.0, 1, findings())
    assert families(text)["failover_hosting_up"] == [
        ({"service": "svc", "hosting": "aws-use1", "vendor": "aws"}, 1.0)]
    help_line = next(line for line in text.splitlines()
                     if line.startswith("# HELP failover_hosting_up "))
    assert "DEGRADED" in help_line and "fewer than fall in a row" in help_line
