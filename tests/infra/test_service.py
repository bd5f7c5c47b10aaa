"""The provider-neutral service description and the script every vendor runs."""

from __future__ import annotations

import shutil
import subprocess

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
    assert "-p 8080:8080 ghcr.io/example/social:1.4.2" in script
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
