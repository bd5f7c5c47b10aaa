"""The inventory against a stand-in ``pulumi`` on PATH, an export file, and no CLI at all.

The stand-in (tests/fakes/pulumi) answers ``pulumi stack output --json --stack X`` as the
real CLI does, from a JSON state file; unknown stacks exit 255 with the real message.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from failover.config import ConfigError, StackEndpoints, StaticEndpoints, load_config, parse_config
from failover.errors import InventoryError
from failover.inventory import (
    endpoints_from_output,
    resolve_endpoints,
    resolve_inventory,
    resolved_config_text,
    write_resolved_config,
)

FAKES = Path(__file__).resolve().parent.parent / "fakes"

STATE = {
    "aws-prod": {"vendor": "aws", "hosting": "aws-use1", "addresses": ["203.0.113.10"],
                 "port": 8080, "health_url": "http://203.0.113.10:8080/healthz"},
    "hetzner-prod": {"vendor": "hetzner", "hosting": "hetzner-fsn1",
                     "addresses": ["192.0.2.30", "2001:DB8:30::1"], "port": 8080},
    "edge": {"hostings": {"cdn": {"target": "social.cdn.example.net."}},
             "token": {"__secret__": "hunter2"}},
}

CONFIG = """\
service: social
zone: example.org.
records: [{name: "@", type: A}, {name: www, type: A}]
vendors: {aws: {}, hetzner: {}, colo-fra: {}}
hosting:
  aws-use1:     {vendor: aws, priority: 1, endpoints: {from_stack: aws-prod}}
  hetzner-fsn1: {vendor: hetzner, priority: 2, endpoints: {from_stack: hetzner-prod}}
  metal-fra:    {vendor: colo-fra, priority: 3, endpoints: {A: [192.0.2.20]}}
dns:
  route53: {vendor: aws, kind: route53, hosted_zone_id: Z123EXAMPLE}
checks: [{kind: tcp, port: 8080}]
"""


def _path_without_pulumi() -> str:
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "pulumi").exists()]
    return os.pathsep.join([str(Path(sys.executable).parent), *dirs])


@pytest.fixture
def no_pulumi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _path_without_pulumi())


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in on PATH, its state file, and a call log; returns the log's path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").symlink_to(FAKES / "pulumi")
    state = tmp_path / "pulumi-state.json"
    state.write_text(json.dumps(STATE), encoding="utf-8")
    log = tmp_path / "pulumi-calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{_path_without_pulumi()}")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(state))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.delenv("FAKE_PULUMI_DELAY", raising=False)
    return log


def _config(tmp_path: Path, extra: str = "", hostings: str | None = None) -> Path:
    """A config next to a Pulumi project folder (``stacks/``), as in the repository."""
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / "Pulumi.yaml").write_text("name: failover\nruntime: python\n")
    text = CONFIG
    if hostings is not None:
        head, rest = text.split("hosting:\n", 1)
        text = head + "hosting:\n" + hostings + "dns:\n" + rest.split("dns:\n", 1)[1]
    path = tmp_path / "failover.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return path


PULUMI_CWD = "inventory: {pulumi_cwd: stacks, timeout: 10s}\n"


def _calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def _one_line(exc: pytest.ExceptionInfo[InventoryError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# -- through the Pulumi CLI -------------------------------------------------------------

def test_stacks_resolve_through_the_cli(tmp_path: Path, fake_pulumi: Path) -> None:
    config = load_config(_config(tmp_path, PULUMI_CWD))
    endpoints = resolve_endpoints(config)
    assert endpoints == {
        "aws-use1": {"A": ["203.0.113.10"], "AAAA": [], "CNAME": []},
        "hetzner-fsn1": {"A": ["192.0.2.30"], "AAAA": ["2001:db8:30::1"], "CNAME": []},
        "metal-fra": {"A": ["192.0.2.20"], "AAAA": [], "CNAME": []},
    }
    calls = _calls(fake_pulumi)
    assert sorted(c["argv"][c["argv"].index("--stack") + 1] for c in calls) == \
        ["aws-prod", "hetzner-prod"]
    assert all(c["argv"][:3] == ["stack", "output", "--json"] for c in calls)
    assert all(Path(c["cwd"]) == (tmp_path / "stacks").resolve() for c in calls)


def test_each_stack_is_asked_once(tmp_path: Path, fake_pulumi: Path) -> None:
    hostings = ("  aws-use1: {vendor: aws, endpoints: {from_stack: aws-prod}}\n"
                "  aws-use1b: {vendor: aws, endpoints: {from_stack: aws-prod}}\n"
                "  metal-fra: {vendor: colo-fra, endpoints: {A: [192.0.2.20]}}\n")
    endpoints = resolve_endpoints(load_config(_config(tmp_path, PULUMI_CWD, hostings)))
    assert endpoints["aws-use1"] == endpoints["aws-use1b"]
    assert len(_calls(fake_pulumi)) == 1


def test_static_only_config_never_runs_pulumi(tmp_path: Path, no_pulumi: None) -> None:
    hostings = ("  metal-fra: {vendor: colo-fra,"
                " endpoints: {A: [192.0.2.20], AAAA: ['2001:db8::20']}}\n")
    endpoints = resolve_endpoints(load_config(_config(tmp_path, hostings=hostings)))
    assert endpoints == {"metal-fra": {"A": ["192.0.2.20"], "AAAA": ["2001:db8::20"],
                                       "CNAME": []}}


def test_unknown_stack_is_one_clear_line(tmp_path: Path, fake_pulumi: Path) -> None:
    hostings = ("  aws-use1: {vendor: aws, endpoints: {from_stack: aws-prod}}\n"
                "  gcp-euw1: {vendor: aws, endpoints: {from_stack: gcp-prod}}\n")
    config = load_config(_config(tmp_path, PULUMI_CWD, hostings))
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(config)
    message = _one_line(exc)
    assert message.startswith(f"{config.source}: hosting 'gcp-euw1': stack 'gcp-prod': ")
    assert "no stack named 'gcp-prod' found" in message
    assert "exit 255" in message


def test_missing_output_names_the_outputs_there(tmp_path: Path, fake_pulumi: Path) -> None:
    hostings = "  aws-use1: {vendor: aws, endpoints: {from_stack: aws-prod, output: ips}}\n"
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(load_config(_config(tmp_path, PULUMI_CWD, hostings)))
    message = _one_line(exc)
    assert "stack 'aws-prod' has no output 'ips'" in message
    assert "addresses, health_url, hosting, port, vendor" in message


def test_dotted_output_and_cname_target(tmp_path: Path, fake_pulumi: Path) -> None:
    hostings = ("  cdn: {vendor: aws, endpoints: {from_stack: edge, "
                "output: hostings.cdn.target}}\n")
    endpoints = resolve_endpoints(load_config(_config(tmp_path, PULUMI_CWD, hostings)))
    assert endpoints["cdn"] == {"A": [], "AAAA": [], "CNAME": ["social.cdn.example.net."]}


def test_secret_output_is_refused(tmp_path: Path, fake_pulumi: Path) -> None:
    hostings = "  cdn: {vendor: aws, endpoints: {from_stack: edge, output: token}}\n"
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(load_config(_config(tmp_path, PULUMI_CWD, hostings)))
    assert "is a secret" in _one_line(exc)


def test_outside_a_pulumi_project_says_set_pulumi_cwd(tmp_path: Path, fake_pulumi: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(load_config(_config(tmp_path)))
    message = _one_line(exc)
    assert "no Pulumi.yaml project file found" in message
    assert "set inventory.pulumi_cwd" in message


def test_a_hung_backend_times_out(tmp_path: Path, fake_pulumi: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PULUMI_DELAY", "5")
    config = load_config(_config(tmp_path, "inventory: {pulumi_cwd: stacks, timeout: 300ms}\n"))
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(config)
    message = _one_line(exc)
    assert "gave no answer in 0.3s" in message
    # Both stacks were asked side by side, so both failed; the first is shown, the count too.
    assert "(and 1 more; run 'failover inventory')" in message


def test_missing_cli_is_one_clear_line(tmp_path: Path, no_pulumi: None) -> None:
    config = load_config(_config(tmp_path, PULUMI_CWD))
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(config)
    message = _one_line(exc)
    assert message.startswith(f"{config.source}: hosting 'aws-use1': stack 'aws-prod': ")
    assert "the pulumi CLI is not on PATH" in message
    assert "inventory.export_file" in message


# -- from the deploy pipeline's export --------------------------------------------------

def test_export_file_needs_no_cli(tmp_path: Path, no_pulumi: None) -> None:
    (tmp_path / "stacks.json").write_text(json.dumps(
        {k: v for k, v in STATE.items() if k != "edge"}), encoding="utf-8")
    config = load_config(_config(tmp_path, "inventory: {export_file: stacks.json}\n"))
    inventory = resolve_inventory(config)
    assert not inventory.errors
    assert inventory.endpoints()["hetzner-fsn1"]["AAAA"] == ["2001:db8:30::1"]
    origins = {h.name: h.origin for h in inventory.hostings}
    assert origins["aws-use1"] == f"export {tmp_path / 'stacks.json'}"
    assert origins["metal-fra"] == "file"


def test_export_folder_of_stack_files(tmp_path: Path, no_pulumi: None) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for stack in ("aws-prod", "hetzner-prod"):
        (exports / f"{stack}.json").write_text(json.dumps(STATE[stack]), encoding="utf-8")
    config = load_config(_config(tmp_path, "inventory: {export_file: exports}\n"))
    assert resolve_endpoints(config)["aws-use1"]["A"] == ["203.0.113.10"]


def test_stack_missing_from_export_falls_back_to_the_cli(tmp_path: Path,
                                                          fake_pulumi: Path) -> None:
    (tmp_path / "stacks.json").write_text(json.dumps({"aws-prod": STATE["aws-prod"]}))
    config = load_config(_config(
        tmp_path, "inventory: {export_file: stacks.json, pulumi_cwd: stacks}\n"))
    inventory = resolve_inventory(config)
    assert not inventory.errors
    origins = {h.name: h.origin for h in inventory.hostings}
    assert origins["aws-use1"].startswith("export ")
    assert origins["hetzner-fsn1"] == "pulumi"
    assert [c["argv"][-1] for c in _calls(fake_pulumi)] == ["hetzner-prod"]


def test_stack_in_neither_export_nor_cli_says_both(tmp_path: Path, no_pulumi: None) -> None:
    (tmp_path / "stacks.json").write_text(json.dumps({"aws-prod": STATE["aws-prod"]}))
    config = load_config(_config(tmp_path, "inventory: {export_file: stacks.json}\n"))
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(config)
    message = _one_line(exc)
    assert "hosting 'hetzner-fsn1'" in message
    assert f"not in export {tmp_path / 'stacks.json'}, and stack 'hetzner-prod': " \
           "the pulumi CLI is not on PATH" in message


def test_broken_export_is_an_error_not_a_fallback(tmp_path: Path, fake_pulumi: Path) -> None:
    (tmp_path / "stacks.json").write_text("{not json")
    config = load_config(_config(tmp_path, "inventory: {export_file: stacks.json, "
                                           "pulumi_cwd: stacks}\n"))
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(config)
    assert "not JSON" in _one_line(exc)
    assert _calls(fake_pulumi) == []


# -- output shapes ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (["203.0.113.10", "2001:db8::1"], {"A": ["203.0.113.10"], "AAAA": ["2001:db8::1"]}),
    ("203.0.113.10", {"A": ["203.0.113.10"]}),
    ({"A": ["203.0.113.10"], "AAAA": "2001:db8::1"},
     {"A": ["203.0.113.10"], "AAAA": ["2001:db8::1"]}),
    (["lb-123.elb.amazonaws.com"], {"CNAME": ["lb-123.elb.amazonaws.com"]}),
])
def test_output_shapes(value: Any, expected: dict[str, list[str]]) -> None:
    got = endpoints_from_output(value, "addresses", "s")
    assert got == {"A": [], "AAAA": [], "CNAME": [], **expected}


@pytest.mark.parametrize("value, message", [
    ([], "is empty; has the stack been deployed"),
    (None, "is empty"),
    (["203.0.113.10", "lb.example.net"], "mixes addresses and a host name"),
    (["a.example.net", "b.example.net"], "at most one CNAME target"),
    ({"A": ["2001:db8::1"]}, "under A is not an IPv4 address"),
    ({"MX": ["10 mx"]}, "unknown keys MX"),
    (["not an address!"], "neither an IP address nor a host name"),
    ([8080], "expected addresses as strings"),
    ("[secret]", "is a secret"),
])
def test_bad_outputs(value: Any, message: str) -> None:
    with pytest.raises(InventoryError, match=message.replace("(", r"\(")):
        endpoints_from_output(value, "addresses", "s")


# -- the resolved config ---------------------------------------------------------------------

def test_resolved_config_validates_and_has_no_stacks(tmp_path: Path, fake_pulumi: Path) -> None:
    config = load_config(_config(tmp_path, PULUMI_CWD))
    text = resolved_config_text(resolve_inventory(config))
    assert text.startswith(f"# Resolved by 'failover inventory --output' from {config.source}")
    assert "aws-use1 <- aws-prod (pulumi)" in text
    resolved = parse_config(text, "resolved.yaml")
    assert not any(isinstance(h.endpoints, StackEndpoints) for h in resolved.hosting.values())
    hetzner = resolved.hosting["hetzner-fsn1"].endpoints
    assert isinstance(hetzner, StaticEndpoints)
    assert (hetzner.A, hetzner.AAAA) == (["192.0.2.30"], ["2001:db8:30::1"])
    assert resolved.hosting["hetzner-fsn1"].priority == 2
    assert resolved.records == config.records


def test_resolved_config_is_not_written_when_a_hosting_fails(tmp_path: Path,
                                                              no_pulumi: None) -> None:
    config = load_config(_config(tmp_path, PULUMI_CWD))
    target = tmp_path / "resolved.yaml"
    with pytest.raises(InventoryError, match="not on PATH"):
        write_resolved_config(resolve_inventory(config), target)
    assert not target.exists()


def test_stack_names_are_checked_in_the_config() -> None:
    text = CONFIG.replace("from_stack: aws-prod", "from_stack: 'aws prod!'")
    with pytest.raises(ConfigError, match="not a Pulumi stack name"):
        parse_config(text, "f.yaml")
    qualified = CONFIG.replace("from_stack: aws-prod", "from_stack: acme/failover/aws-prod")
    assert parse_config(qualified, "f.yaml")


# -- the command -------------------------------------------------------------------------

def _app() -> typer.Typer:
    from cli.inventory import register

    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context,
              config: Path = typer.Option(..., "--config", "-c")) -> None:
        ctx.obj = {"config_path": config}

    register(app)
    return app


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(_app(), list(args), standalone_mode=False)


def test_command_shows_a_table(tmp_path: Path, fake_pulumi: Path) -> None:
    result = _invoke("-c", str(_config(tmp_path, PULUMI_CWD)), "inventory")
    assert result.exception is None, result.output
    assert result.return_value == 0
    assert "hetzner-fsn1" in result.stdout
    assert "2001:db8:30::1" in result.stdout
    assert "aws-prod (pulumi)" in result.stdout


def test_command_json_and_write(tmp_path: Path, fake_pulumi: Path) -> None:
    target = tmp_path / "resolved.yaml"
    result = _invoke("-c", str(_config(tmp_path, PULUMI_CWD)), "inventory",
                     "--format", "json", "--output", str(target))
    assert result.return_value == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    by_name = {h["hosting"]: h for h in data["hostings"]}
    assert by_name["hetzner-fsn1"] == {
        "hosting": "hetzner-fsn1", "vendor": "hetzner", "origin": "pulumi",
        "stack": "hetzner-prod", "output": "addresses", "written_at": None,
        "A": ["192.0.2.30"], "AAAA": ["2001:db8:30::1"], "CNAME": [], "port": 8080,
        "health_url": None, "etcd": None, "error": None}
    assert by_name["metal-fra"]["origin"] == "file"
    written = load_config(target)
    assert isinstance(written.hosting["aws-use1"].endpoints, StaticEndpoints)


def test_command_fails_with_one_line_per_unresolved_hosting(tmp_path: Path,
                                                           no_pulumi: None) -> None:
    target = tmp_path / "resolved.yaml"
    result = _invoke("-c", str(_config(tmp_path, PULUMI_CWD)), "inventory",
                     "--output", str(target))
    assert result.return_value == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("failover: ")]
    assert len(errors) == 3  # two hostings, and the file not written
    assert "hosting 'aws-use1'" in errors[0] and "not on PATH" in errors[0]
    assert not target.exists()
