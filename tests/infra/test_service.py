"""The provider-neutral service description and the script every vendor runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.metal import MetalPlacement, ssh_guard_script
from infra.service import Placement, Service, check_admin_cidrs, health_url, startup_script

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"


def _bash_syntax_ok(script: str) -> None:
    bash = shutil.which("bash")
    assert bash, "bash is needed to check the scripts"
    result = subprocess.run([bash, "-n"], input=script, text=True, capture_output=True,
                            check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_admin_cidrs_refuse_the_whole_internet(cidr: str) -> None:
    with pytest.raises(ValueError, match="whole internet"):
        check_admin_cidrs([cidr])
    with pytest.raises(ValidationError, match="whole internet"):
        Placement(hosting="aws-use1", vendor="aws", admin_cidrs=["198.51.100.7/32", cidr])


def test_admin_cidrs_must_be_networks() -> None:
    with pytest.raises(ValueError, match=r"admin CIDR '198\.51\.100\.7/24'"):
        check_admin_cidrs(["198.51.100.7/24"])


@pytest.mark.parametrize("fields, message", [
    ({}, "exactly one of image"),
    ({"image": "nginx", "command": "serve"}, "exactly one of image"),
    ({"image": "nginx; rm -rf /"}, "not a container image"),
    ({"command": "serve\nrm -rf /"}, "one non-empty line"),
    ({"image": "nginx", "port": 22}, "port 22 is SSH"),
    ({"image": "nginx", "health_path": "healthz"}, "must start with '/'"),
    ({"image": "nginx", "env": {"A": "it's"}}, "quotes"),
    ({"image": "nginx", "name": "Social_App"}, "service name"),
])
def test_service_refuses_what_would_break_the_script(fields: dict[str, object],
                                                     message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Service.model_validate({"name": "social", **fields})


def test_container_script_is_valid_bash_and_idempotent_by_construction() -> None:
    service = Service(name="social", image="ghcr.io/example/social:1.4.2", port=8080,
                      env={"LOG_LEVEL": "info"})
    script = startup_script(service)
    _bash_syntax_ok(script)
    assert "-p 8080:8080 failover/social:current" in script
    assert "ExecStartPre=/etc/failover/social.pull" in script
    assert "docker pull -q ghcr.io/example/social:1.4.2" in script
    assert "LOG_LEVEL=info" in script
    # A second run restarts only when a file changed.
    assert 'if [ "$changed" = 1 ]; then systemctl restart failover-social.service;' in script


def test_command_script_runs_the_command_under_systemd() -> None:
    service = Service(name="social", command="/usr/bin/python3 -m http.server 8080", port=8080)
    script = startup_script(service)
    _bash_syntax_ok(script)
    assert "exec /usr/bin/python3 -m http.server 8080" in script
    assert "DynamicUser=yes" in script
    assert "docker" not in script


def test_ssh_guard_is_valid_bash_and_names_only_admins() -> None:
    placement = MetalPlacement(hosting="metal-fra", vendor="colo-fra", host="192.0.2.20",
                               host_key=HOST_KEY,
                               admin_cidrs=["198.51.100.7/32", "2001:db8:ad::/48"])
    script = ssh_guard_script(placement, 8080)
    _bash_syntax_ok(startup_script(Service(name="social", image="nginx")) + script)
    assert "tcp dport 22 ip saddr { 198.51.100.7/32 } accept" in script
    assert "tcp dport 22 ip6 saddr { 2001:db8:ad::/48 } accept" in script
    assert "tcp dport 22 drop" in script
    assert "0.0.0.0/0" not in script


def test_health_url_brackets_ipv6() -> None:
    assert health_url("2001:db8::1", 8080, "/healthz") == "http://[2001:db8::1]:8080/healthz"
    assert health_url("203.0.113.10", 80, "/") == "http://203.0.113.10:80/"


FAKE_DOCKER = """#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_LOG"
case "$1" in
  pull) for ok in $FAKE_REACHABLE; do [ "$3" = "$ok" ] && exit 0; done; exit 1;;
  tag) exit 0;;
  image) [ -n "$FAKE_HAVE_LOCAL" ] && exit 0; exit 1;;
esac
exit 2
"""


def _run_pull(tmp_path: Path, reachable: list[str], have_local: bool) -> tuple[int, str, list[str]]:
    from infra.service import pull_script

    service = Service(name="social", image="ghcr.io/example/social:1.4.2",
                      image_mirrors=["quay.io/example", "registry.gitlab.com/example/"])
    docker = tmp_path / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    log = tmp_path / "docker.log"
    script = pull_script(service).replace("/usr/bin/docker", str(docker))
    done = subprocess.run(["/bin/sh", "-c", script], text=True, capture_output=True,
                          check=False, env={"PATH": "/usr/bin:/bin", "FAKE_DOCKER_LOG": str(log),
                                            "FAKE_REACHABLE": " ".join(reachable),
                                            "FAKE_HAVE_LOCAL": "1" if have_local else ""})
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, done.stderr, calls


def test_pull_takes_the_first_registry_that_answers(tmp_path: Path) -> None:
    code, stderr, calls = _run_pull(tmp_path, ["registry.gitlab.com/example/social:1.4.2"],
                                    have_local=False)
    assert code == 0
    assert calls == ["pull -q ghcr.io/example/social:1.4.2",
                     "pull -q quay.io/example/social:1.4.2",
                     "pull -q registry.gitlab.com/example/social:1.4.2",
                     "tag registry.gitlab.com/example/social:1.4.2 failover/social:current"]
    assert "cannot pull ghcr.io/example/social:1.4.2" in stderr


def test_pull_keeps_the_copy_it_has_when_no_registry_answers(tmp_path: Path) -> None:
    code, stderr, _ = _run_pull(tmp_path, [], have_local=True)
    assert code == 0 and "starting the copy pulled before" in stderr
    code, _, _ = _run_pull(tmp_path, [], have_local=False)
    assert code == 1


@pytest.mark.parametrize("mirror", ["quay.io/example/social:1.4.2", "quay.io/x@sha256:ab",
                                    "quay.io/a b"])
def test_image_mirrors_are_registry_paths(mirror: str) -> None:
    with pytest.raises(ValidationError, match="image mirror"):
        Service(name="social", image="ghcr.io/example/social:1.4.2", image_mirrors=[mirror])


def test_digest_pinned_images_keep_their_digest_in_every_mirror() -> None:
    service = Service(name="social", image="ghcr.io/example/social@sha256:0123",
                      image_mirrors=["quay.io/example"])
    assert service.images() == ["ghcr.io/example/social@sha256:0123",
                                "quay.io/example/social@sha256:0123"]
