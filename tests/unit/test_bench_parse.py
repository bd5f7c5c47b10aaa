"""The bench's pure helpers: generated configs, parsers of /proc and profiler output, the report.

No servers and no timing here: the measurements themselves run in ``make bench``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import dns.zone
import pytest
import yaml

from bench import blackbox, dnsbench, nginx, peers, report, stats
from bench.machine import cpu_model
from bench.procs import parse_stat_cpu, parse_status_kib
from bench.profiling import frame_name, hot_spots, import_table, parse_importtime, stack_table
from bench.results import Goal, Section
from bench.sweep import sweep_config
from failover.config import StaticEndpoints, parse_config
from failover.probes import targets_for


def test_addresses_are_distinct_loopback_and_skip_network_and_broadcast() -> None:
    addrs = nginx.addresses(1000)
    assert len(set(addrs)) == 1000
    for a in addrs:
        ip = ipaddress.IPv4Address(a)
        assert ip.is_loopback
        assert a.split(".")[3] not in ("0", "255")
    assert addrs[0] == "127.1.0.1"
    assert addrs[250] == "127.1.1.1"


def test_nginx_config_listens_on_each_address_only() -> None:
    text = nginx.config(Path("/tmp/w"), nginx.addresses(3), 18080)
    assert text.count("listen 127.1.0.") == 3
    assert "0.0.0.0" not in text
    assert "access_log off" in text


def test_probe_stand_in_body_ends_with_success_and_has_no_bare_quote_in_config() -> None:
    body = nginx.probe_body()
    assert body.endswith("\nprobe_success 1\n")
    assert len(body) >= nginx.PROBE_BODY_BYTES - 100
    line = next(ln for ln in nginx.config(Path("/w"), ["127.1.0.1"], 1).splitlines()
                if "location = /probe" in ln)
    inner = line.split('return 200 "', 1)[1].rsplit('";', 1)[0]
    assert '"' not in inner.replace('\\"', "")


def test_sweep_config_gives_one_target_per_address() -> None:
    addrs = nginx.addresses(250)
    config = parse_config(sweep_config(addrs, 18080, 50, per_hosting=100))
    assert len(config.hosting) == 3
    assert config.concurrency == 50
    endpoints = {name: {t: h.endpoints.values(t) for t in ("A", "AAAA", "CNAME")}
                 for name, h in config.hosting.items()
                 if isinstance(h.endpoints, StaticEndpoints)}
    targets = targets_for(config, endpoints)
    assert sorted(t.address for t in targets) == sorted(addrs)
    assert {t.check.port for t in targets} == {18080}


def test_dns_zone_and_configs_agree_on_the_managed_names() -> None:
    zone = dns.zone.from_text(dnsbench.zone_text(5, dnsbench.OLD), origin=dnsbench.ZONE,
                              relativize=False)
    names = {n.to_text() for n, _ in zone.items()}
    managed = {f"{r}.{dnsbench.ZONE}" for r in dnsbench.record_names(5)}
    assert managed <= names
    config = parse_config(dnsbench.failover_config(5, 5353))
    assert [r.name for r in config.records] == dnsbench.record_names(5)
    assert config.policy.max_change_fraction == 1.0
    octo = yaml.safe_load(dnsbench.octodns_config(Path("/z"), 5353))
    assert octo["providers"]["bind"]["class"] == "octodns_bind.Rfc2136Provider"
    assert octo["providers"]["bind"]["key_secret"].startswith("env/")


def test_proc_parsers() -> None:
    status = "Name:\tpython\nVmPeak:\t  200 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n"
    assert parse_status_kib(status, "VmHWM") == 51234
    assert parse_status_kib(status, "VmSwap") is None
    stat = "1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0 100"
    assert parse_stat_cpu(stat, 100) == 2.0


def test_cpu_model_and_versions() -> None:
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert peers.first_version("nginx version: nginx/1.22.1") == "1.22.1"
    assert peers.first_version("BIND 9.18.49-1~deb12u3-Debian (Extended)") == \
        "9.18.49-1~deb12u3-Debian"


def test_probe_path_quotes_the_target() -> None:
    path = blackbox.probe_path("http://127.1.0.1:8080/healthz")
    assert path == "/probe?module=http_2xx&target=http%3A%2F%2F127.1.0.1%3A8080%2Fhealthz"


def test_stack_table_counts_inclusive_once_per_stack_and_focuses() -> None:
    raw = ("main (cli/app.py:3);load (failover/config.py:9) 30\n"
           "main (cli/app.py:3);probe_all (failover/probes/__init__.py:1);"
           "f (x.py:1);f (x.py:2) 70\n")
    text = "\n".join(stack_table(raw))
    assert "| 100% | 0% | `main (cli/app.py)` |" in text
    assert "| 70% | 70% | `f (x.py)` |" in text
    focused = "\n".join(stack_table(raw, focus="probe_all"))
    assert focused.startswith("70 samples")
    assert "load (failover/config.py)" not in focused
    assert frame_name("<module> (<frozen runpy>)") == "<module> (<frozen runpy>)"


def test_importtime_parse_and_table() -> None:
    stderr = ("import time: self [us] | cumulative | imported package\n"
              "import time:       100 |        100 |   _io\n"
              "import time:      2000 |       2100 | typer\n"
              "import time:      5000 |       5000 |     pydantic.main\n")
    rows = parse_importtime(stderr)
    assert [(r.module, r.depth) for r in rows] == [("_io", 1), ("typer", 0),
                                                   ("pydantic.main", 2)]
    table = "\n".join(import_table(rows))
    assert "| `typer` | 2.1 | 2.0 |" in table


def test_stats_words() -> None:
    assert stats.times(stats.ratio(1.0, 12.4)) == "12x"
    assert stats.times(stats.ratio(2.0, 1.0)) == "0.50x"
    assert stats.times(float("nan")) == "n/a"
    assert stats.seconds(0.0841) == "84 ms"
    assert stats.rate(2345.6) == "2,346/s"
    assert stats.median([3.0, 1.0, 2.0]) == 2.0


def test_report_puts_ratios_first_and_flags_misses() -> None:
    sec = Section("dns", "DNS switch", ratios=["failover is 12x faster"],
                  goals=[Goal("1,000 records", "< 1 s", "1.3 s", False, "YAML parsing")],
                  lines=["| table |"])
    machine = {"nproc": 2, "memory_kib": 1024 * 1024, "available_kib": 512 * 1024,
               "cpu_model": "CPU", "loadavg": (3.0, 2.0, 1.0), "kernel": "6", "python": "3.11",
               "commit": "abc"}
    text = report.render(machine=machine, load_end=(1.0, 1.0, 1.0), versions={"nginx": "1"},
                         sections=[sec], started="now", elapsed=75, command="python -m bench",
                         repeats=3, quick=False)
    assert text.index("## Ratios") < text.index("## Targets") < text.index("## Machine")
    assert "| 1,000 records | < 1 s | 1.3 s | **no** | YAML parsing |" in text
    assert "shared with other work" in text
    assert "in 1 min 15 s" in text


def test_hot_spots_charge_library_time_to_the_innermost_failover_function() -> None:
    raw = ("main (cli/app.py:3);load_yaml (failover/yamlsrc.py:9);compose (yaml/composer.py:1) 30\n"
           "main (cli/app.py:3);provider_plan (failover/plan.py:1);"
           "<dictcomp> (failover/plan.py:2) 60\n"
           "_find_and_load (<frozen importlib._bootstrap>:1) 10\n")
    line = hot_spots(raw)
    assert line.startswith("time by innermost failover function: "
                           "`<dictcomp> (failover/plan.py)` 60%, "
                           "`load_yaml (failover/yamlsrc.py)` 30%")
    assert line.endswith("outside failover's code (interpreter start-up, imports) 10%")


def test_hot_spots_leave_out_threads_waiting_on_other_threads() -> None:
    raw = ("main (cli/app.py:3);execute (failover/move.py:9);Condition.wait (threading.py:3) 50\n"
           "Thread.run (threading.py:1);verify_one (failover/move.py:1);"
           "_ask_udp (failover/dns/query.py:2) 50\n")
    assert hot_spots(raw) == ("time by innermost failover function: "
                              "`_ask_udp (failover/dns/query.py)` 100%")


def test_missing_peers_is_one_line_naming_the_setup_command_and_exit_3(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from bench import __main__ as bench_main

    monkeypatch.setattr(peers, "which", lambda name: None if name == "nginx" else "/bin/true")
    monkeypatch.setattr(bench_main, "WORK", tmp_path)
    assert bench_main.main(["sweep"]) == 3
    err = capsys.readouterr().err
    assert err == ("bench: missing programs: nginx; install the bench's peers with: "
                   "sudo bash scripts/setup.sh --bench (make bench does)\n")


def test_startup_reads_what_check_says_it_took_and_reports_the_check_goal(tmp_path: Path) -> None:
    from bench.startup import _TOOK, CHECK, Startup, Timing

    line = "OK: 3/3 hostings up, 3 probes; took 2.12 s; slowest: dns route53 1.88 s\n"
    found = _TOOK.search("HOSTING ...\n" + line)
    assert found is not None
    assert found.group(0).removeprefix("; ") == "took 2.12 s; slowest: dns route53 1.88 s"
    assert _TOOK.search("OK: 3/3 hostings up, 3 probes; took 212 ms\n").group(1) == "212 ms"

    startup = Startup(tmp_path, runs=1)
    startup.lab_config = "lab/failover.yaml"
    startup.check_said, startup.check_cpu = "took 2.12 s", 0.9
    startup.timings = [Timing(name, wall, wall, wall, 1, 0.05) for name, wall in (
        ("failover --help", 0.05), ("failover validate", 0.1), ("python -c pass", 0.01),
        (CHECK, 0.5))]
    goals = {g.name: g for g in startup.section().goals}
    check = goals["start-up: `failover check` on the 3-hosting lab"]
    assert (check.met, check.measured) == (False, "500 ms")
    assert '"took 2.12 s"' in check.limit and "0.90 CPU s" in check.limit
    assert goals["start-up: `failover validate`"].met


def test_bench_with_no_pieces_runs_all_of_them() -> None:
    from bench.__main__ import parse

    assert parse([]).what == ["all"]  # `make bench`: argparse once refused its own default
    assert parse(["dns", "startup"]).what == ["dns", "startup"]


def test_sweep_counts_failed_probes_when_check_summarises_healthy_hostings() -> None:
    from bench.sweep import probe_failures

    drawn = ("HOSTING  VENDOR  VERDICT  PROBES  LATENCY  EVIDENCE\n"
             "h7       v7      DOWN     98/100  2 ms     connection refused\n"
             "99 more hostings UP, every probe passed (--full lists them)\n")
    assert probe_failures(drawn) == 2
    assert probe_failures("HOSTING  VENDOR  VERDICT  PROBES\n"
                          "1,000 more hostings UP, every probe passed\n") == 0
    assert probe_failures("config error: no such file\n") is None


def test_bench_commands_keep_their_zone_locks_and_pins_under_bench_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.procs import ROOT, child_env

    monkeypatch.delenv("FAILOVER_LOCK_DIR", raising=False)
    assert child_env()["FAILOVER_LOCK_DIR"] == str(ROOT / "bench" / "work" / "zone-locks")
