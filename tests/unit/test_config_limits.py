"""Hostile config input: each is one line naming the place, exit 3, in bounded memory.

The CLI cases run the installed `failover` script under an address-space
limit, so a loader that expands an alias bomb or reads /dev/zero fails the
test with a MemoryError instead of passing slowly. Nothing here asserts a
duration; a hang is caught by the subprocess timeout.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from failover import yamlsrc
from failover.config import MAX_CONFIG_BYTES, parse_config, read_config_text
from failover.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "examples" / "failover.yaml").read_text()
SCRIPT = Path(sys.executable).parent / "failover"
# validate's own peak is about 75 MB of address space; the issue allows 200 MB more.
ADDRESS_SPACE = 300 * 1024 * 1024

BOMB = "\n".join(
    ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]) + "\n"


def error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    return info.value


def line_of(needle: str, text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def validate(path: Path | str) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FAILOVER_DEBUG", None)
    return subprocess.run([str(SCRIPT), "-c", str(path), "validate"], capture_output=True,
                          text=True, env=env, timeout=120, preexec_fn=limit)


def assert_one_line(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 3, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0]
    assert "internal error" not in lines[0]


# -- through the CLI, under a memory limit -------------------------------------

def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    # lol4 is the first to pass 10,000 values (9**5 = 59,049).
    assert_one_line(validate(bomb), f"{bomb}:5: aliases expand to more than")


def test_dev_zero_is_not_read() -> None:
    assert_one_line(validate("/dev/zero"), "/dev/zero: not a regular file")


def test_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    assert_one_line(validate(fifo), f"{fifo}: not a regular file")


def test_folder_is_named(tmp_path: Path) -> None:
    assert_one_line(validate(tmp_path), f"{tmp_path}: a folder")


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:      # sparse: no disk, and nothing to read if we refuse first
        f.truncate(MAX_CONFIG_BYTES + 1)
    assert_one_line(validate(big), "larger than 32 MB")


def test_recursive_alias_via_cli(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("service: s\nx: &a [*a]\n")
    assert_one_line(validate(loop), f"{loop}:2: the value of &a contains itself")


# -- the loader's rules ----------------------------------------------------------

def test_alias_within_bound_is_fine() -> None:
    data = yamlsrc.load_yaml("a: &a {x: 1}\nb: *a\nc: *a\n", "f").data
    assert data == {"a": {"x": 1}, "b": {"x": 1}, "c": {"x": 1}}


def test_recursive_mapping_is_refused() -> None:
    e = error("service: s\nm: &m {self: *m}\n")
    assert "contains itself" in str(e) and e.line == 2


def test_unknown_alias_is_refused() -> None:
    e = error("service: s\nzone: *nowhere\n")
    assert "unknown alias *nowhere" in str(e) and e.line == 2


def test_deep_nesting_is_refused() -> None:
    e = error("x: " + "[" * 100 + "]" * 100 + "\n")
    assert f"nested deeper than {yamlsrc.MAX_DEPTH} levels" in str(e)
    e = error("x: " + "[" * 50000 + "]" * 50000 + "\n")   # libyaml's own bound comes first
    assert "nesting depth" in str(e) and e.line == 1


def test_second_document_is_refused() -> None:
    e = error(BASE + "---\nservice: other\n")
    assert "one YAML document per file" in str(e)


def test_foreign_tag_is_refused() -> None:
    e = error(BASE.replace("service: social", "service: !!python/object:os.system {}"))
    assert "not supported" in str(e) and e.line == line_of("service:", BASE)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"service: s\nzone: \xe9xample.org.\n")
    with pytest.raises(ConfigError) as info:
        read_config_text(bad)
    assert info.value.line == 2 and "not UTF-8" in str(info.value)


def test_line_is_found_deep_in_a_large_file() -> None:
    records = "".join(f"  - {{name: r{i}, type: A}}\n" for i in range(20000))
    text = BASE.replace('records:\n  - {name: "@", type: A}\n  - {name: www, type: A}\n',
                        "records:\n" + records + "  - {name: late, type: MX}\n")
    e = error(text)
    assert e.key == "records.20000.type" and e.line == line_of("name: late", text)


# -- numbers and durations ---------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "says"), [
    ("timeout: 2s", "timeout: .inf", "finite"),
    ("timeout: 2s", "timeout: -.inf", "finite"),
    ("interval: 10s", "interval: .nan", "finite"),
    ("interval: 10s", "interval: 1.0e+999", "finite"),
    ("interval: 10s", f"interval: {10**400}", "finite"),
    ("interval: 10s", "interval: 48h", "at most 24h"),
    ("timeout: 2s", "timeout: 0", "more than zero"),
    ("rpo: 1h", "rpo: .inf", "finite"),
    ("ttl: 60", "ttl: -1", "greater than or equal to 0"),
    ("ttl: 60", f"ttl: {2**31}", f"less than or equal to {2**31 - 1}"),
    ("priority: 1", "priority: 99999999999999999999", "less than or equal to"),
    ("fall: 3", "fall: 0", "greater than or equal to 1"),
    ("fall: 3", "fall: 100000", "less than or equal to 1000"),
    ("port: 8080", "port: 70000", "less than or equal to 65535"),
    ("port: 8080", "port: 0", "greater than or equal to 1"),
    ("expect_status: [200]", "expect_status: [99]", "greater than or equal to 100"),
    ("max_change_fraction: 0.5", "max_change_fraction: .nan", "finite"),
])
def test_numbers_out_of_bounds_are_refused(old: str, new: str, says: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    e = error(text)
    assert says in str(e), str(e)
    assert e.line == line_of(new, text)
    assert str(e).startswith(f"f.yaml:{e.line}: ")


def test_weight_bound() -> None:
    text = BASE.replace("priority: 1,", "priority: 1, weight: 256,")
    assert "less than or equal to 255" in str(error(text))


def test_ttl_zero_is_kept_not_replaced_by_the_default() -> None:
    text = BASE.replace('{name: www, type: A}', '{name: www, type: A, ttl: 0}')
    config = parse_config(text, "f.yaml")
    assert config.record_ttl(config.records[1]) == 0
