"""No code from config, ever (issue 21): a config file names an octoDNS provider or a
registrar plugin, and failover imports only what an installed package offers as one.

``kind: octodns`` takes a class only from an installed octoDNS distribution's package;
``kind: plugin`` takes an entry point in the ``failover.registrars`` group, never a
module path. Anything else is one config line at ``validate`` (exit 3) and is refused
again when the provider or registrar is built; the module it names is never imported,
which a module that leaves a file behind when imported proves, through the real CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from failover.config import OctodnsProvider, PluginRegistrar, parse_config
from failover.config.octodnsclass import octodns_packages
from failover.errors import ConfigError
from failover.registrars import make_registrar

SCRIPT = Path(sys.executable).parent / "failover"
ROOT = Path(__file__).resolve().parents[2]

BASE = """\
service: s
zone: example.test.
records: [{name: www}]
vendors: {metal: {}}
hosting: {h: {vendor: metal, endpoints: {A: [192.0.2.1]}}}
dns:
  m: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
"""

EVIL = """\
import os
from pathlib import Path

Path(os.environ["EVIL_MARKER"]).write_text("imported")


def system(*args, **kwargs):
    return 0


class Registrar:
    pass
"""


def octodns(cls: str) -> str:
    return BASE + f"  o: {{vendor: metal, kind: octodns, class: {cls}, " \
                  f"settings: {{host: 127.0.0.1}}}}\n"


def plugin(form: str) -> str:
    return BASE + ("delegation:\n  parent_servers: ['127.0.0.1:9']\n  registrars:\n"
                   f"    r: {{kind: plugin, {form}}}\n")


def register_plugins(folder: Path, dist: str, group: str, entries: dict[str, str],
                     top_level: str = "") -> None:
    """An installed distribution as its metadata says: entry points, top-level modules."""
    info = folder / f"{dist.replace('-', '_')}-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0\n")
    if entries:
        (info / "entry_points.txt").write_text(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()))
    if top_level:
        (info / "top_level.txt").write_text(top_level + "\n")


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """A folder on the CLI's PYTHONPATH holding a module that leaves a file when imported."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "evil_marker.py").write_text(EVIL)
    return folder


def run(command: str, text: str, site: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    config = site.parent / "failover.yaml"
    config.write_text(text)
    marker = site.parent / "imported.txt"
    base = {k: v for k, v in os.environ.items()
            if k not in ("FAILOVER_CONFIG", "NO_COLOR", "FORCE_COLOR", "TERM")}
    env = {**base, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "EVIL_MARKER": str(marker)}
    result = subprocess.run([str(SCRIPT), "-c", str(config), command], capture_output=True,
                            text=True, timeout=60, env=env, cwd=site.parent)
    return result, marker


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize("cls", ["os.system", "evil_marker.system", "this.Nope"])
def test_an_octodns_class_outside_octodns_is_one_line_and_nothing_is_imported(
        site: Path, command: str, cls: str) -> None:
    result, marker = run(command, octodns(cls), site)
    assert result.returncode == 3, result.stdout + result.stderr
    line = one_line(result)
    assert f"failover.yaml:8: dns.o.class: {cls} is not an octoDNS provider from an " \
           f"installed octodns-* distribution" in line
    assert "octodns_bind.Rfc2136Provider" in line and "pip install octodns-NAME" in line
    assert "Zen of Python" not in line and not marker.exists()


def test_a_distribution_named_octodns_cannot_lend_its_name_to_another_module(
        site: Path) -> None:
    register_plugins(site, "octodns-evil", "", {}, top_level="evil_marker")
    result, marker = run("validate", octodns("evil_marker.system"), site)
    assert result.returncode == 3 and "is not an octoDNS provider" in one_line(result)
    assert not marker.exists()


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize("form", ['class: "this:Nope"', 'class: "evil_marker:Registrar"',
                                  'entry_point: "evil_marker:Registrar"',
                                  'entry_point: memory, class: "evil_marker:Registrar"'])
def test_a_registrar_from_a_module_path_is_one_line_and_nothing_is_imported(
        site: Path, command: str, form: str) -> None:
    register_plugins(site, "failover-test-registrars", "failover.registrars",
                     {"memory": "tests.unit.test_delegation:MemoryRegistrar"})
    result, marker = run(command, plugin(form), site)
    assert result.returncode == 3, result.stdout + result.stderr
    # Every problem of the file is reported (issue 20): without entry_point, also that
    # it is missing. The refusal comes first, one line.
    lines = result.stderr.splitlines()
    assert all(x.startswith("failover: ") for x in lines) and len(lines) <= 2, lines
    line = lines[0] if len(lines) > 1 else one_line(result)
    assert "failover.yaml:11: delegation.registrars.r." in line
    if form.startswith("entry_point: \"evil"):
        assert "no registrar plugin 'evil_marker:Registrar' is installed (entry points in " \
               "failover.registrars: memory)" in line
    else:
        assert "r.class: class " in line and "is refused" in line
    assert '[project.entry-points."failover.registrars"]' in line
    assert "Zen of Python" not in line and not marker.exists()


def test_an_installed_octodns_provider_and_a_registered_plugin_validate(site: Path) -> None:
    register_plugins(site, "failover-test-registrars", "failover.registrars",
                     {"memory": "tests.unit.test_delegation:MemoryRegistrar"})
    text = octodns("octodns_bind.Rfc2136Provider") + plugin("entry_point: memory")[len(BASE):]
    result, _ = run("validate", text, site)
    # exit 1: valid, with this small config's warnings (one vendor, no checks)
    assert result.returncode == 1 and result.stdout.startswith("valid: "), result.stdout


def test_the_allow_list_comes_from_installed_octodns_distributions() -> None:
    packages = octodns_packages()
    assert packages["octodns_bind"] == "octodns-bind"
    assert packages["octodns_powerdns"] == "octodns-powerdns"
    assert all(p == "octodns" or p.startswith("octodns_") for p in packages)


@pytest.mark.parametrize("cls", ["octodns_bind.os", "octodns_bind.BaseProvider",
                                 "octodns.zone.Zone"])
def test_an_octodns_module_that_is_not_a_provider_class_is_refused(cls: str) -> None:
    with pytest.raises(ConfigError, match=rf"dns\.o\.class: {cls} is not an octoDNS provider "
                                          r"\(a subclass of octodns\.provider\.base\."):
        parse_config(octodns(cls), "failover.yaml")


def test_building_refuses_again_what_validation_would_have(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Config made without validation (model_construct) still cannot import a module.
    from failover.dns.octodns import Octodns

    (tmp_path / "evil_marker.py").write_text(EVIL)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("EVIL_MARKER", str(tmp_path / "imported.txt"))
    config = parse_config(BASE + plugin("entry_point: x")[len(BASE):].replace(
        "{kind: plugin, entry_point: x}", "{kind: rfc2136, server: 127.0.0.1, zone: test.}"),
        str(tmp_path / "failover.yaml"))
    bad = OctodnsProvider.model_construct(kind="octodns", vendor="metal",
                                          class_="evil_marker.system", settings={})
    with pytest.raises(ConfigError, match=r"dns\.o\.class: evil_marker\.system is not an "
                                          r"octoDNS provider"):
        Octodns("o", bad, config)
    assert config.delegation is not None
    registrars = {"r": PluginRegistrar.model_construct(kind="plugin",
                                                       entry_point="evil_marker:Registrar")}
    unchecked = config.model_copy(update={"delegation": config.delegation.model_copy(
        update={"registrars": registrars})})
    with pytest.raises(ConfigError, match=r"delegation\.registrars\.r\.entry_point: no "
                                          r"registrar plugin 'evil_marker:Registrar'"):
        make_registrar("r", unchecked)
    assert not (tmp_path / "imported.txt").exists()
