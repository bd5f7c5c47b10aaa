"""The service, described once, and where one copy of it is placed.

``Service`` is provider-neutral: a name, a container image or a start
command, the port it listens on, the health path, a size. Each hosting
component takes the same ``Service`` and a ``Placement`` subclass that says
where this copy runs (region, zone, host) and who may log in (admin CIDRs,
SSH key). ``startup_script`` turns a ``Service`` into the one idempotent
shell script that every vendor runs (cloud user-data, GCP startup script,
bare metal over SSH), so that the service is the same wherever it runs.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Size = Literal["small", "medium", "large"]

# The instance type behind each provider-neutral size; a placement can override it.
SIZES: dict[str, dict[str, str]] = {
    "aws": {"small": "t3.small", "medium": "t3.medium", "large": "t3.large"},
    "gcp": {"small": "e2-small", "medium": "e2-medium", "large": "e2-standard-2"},
    # cx22/cx32/cx42 stopped being sold on 2025-12-31; the hetzner component looks
    # every type up, so a retired one fails at preview instead of at create.
    "hetzner": {"small": "cx23", "medium": "cx33", "large": "cx43"},
}

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/%?=&+-]*$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_VALUE = re.compile(r"^[^\n\r\"'\\]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(_Model):
    """What runs, the same at every vendor. Secrets do not belong here (see README)."""

    name: str
    image: str | None = None
    # Registries holding the same image (``quay.io/example``): each instance pulls from the
    # first that answers, so losing the image's own registry blocks no deploy.
    image_mirrors: list[str] = Field(default_factory=list)
    command: str | None = None
    port: int = Field(default=80, ge=1, le=65535)
    health_path: str = "/healthz"
    size: Size = "small"
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"service name '{name}' must be 2-32 characters of a-z, 0-9 "
                             "and '-', starting with a letter (it names cloud resources)")
        return name

    @field_validator("image")
    @classmethod
    def _image(cls, image: str | None) -> str | None:
        if image is not None and not _IMAGE.match(image):
            raise ValueError(f"'{image}' is not a container image reference")
        return image

    @field_validator("image_mirrors")
    @classmethod
    def _mirrors(cls, mirrors: list[str]) -> list[str]:
        for mirror in mirrors:
            if not _IMAGE.match(mirror) or ":" in mirror.split("/")[-1] or "@" in mirror:
                raise ValueError(f"image mirror '{mirror}' must be a registry and repository "
                                 "path without tag, such as quay.io/example")
        return [m.rstrip("/") for m in mirrors]

    @field_validator("command")
    @classmethod
    def _command(cls, command: str | None) -> str | None:
        if command is not None and (not command.strip() or "\n" in command):
            raise ValueError("command must be one non-empty line")
        return command

    @field_validator("health_path")
    @classmethod
    def _health_path(cls, path: str) -> str:
        if not _HEALTH_PATH.match(path):
            raise ValueError(f"health_path '{path}' must start with '/' and be URL-safe")
        return path

    @field_validator("env")
    @classmethod
    def _env(cls, env: dict[str, str]) -> dict[str, str]:
        for key, value in env.items():
            if not _ENV_KEY.match(key):
                raise ValueError(f"env key '{key}' is not a variable name")
            if not _ENV_VALUE.match(value):
                raise ValueError(f"env {key}: quotes, backslashes and newlines are not allowed")
        return env

    @model_validator(mode="after")
    def _one_way_to_run(self) -> Service:
        if (self.image is None) == (self.command is None):
            raise ValueError("give exactly one of image (a container) or command (a process)")
        if self.image_mirrors and self.image is None:
            raise ValueError("image_mirrors needs an image")
        if self.port == 22:
            raise ValueError("port 22 is SSH, which is only open to admin_cidrs; use another port")
        return self

    def images(self) -> list[str]:
        """The image and its copies in the mirrors, in the order an instance tries them."""
        if self.image is None:
            return []
        last = self.image.split("/")[-1]
        return [self.image, *(f"{mirror}/{last}" for mirror in self.image_mirrors)]

    @property
    def local_image(self) -> str:
        """The tag the pulled image gets on the host, whichever registry it came from."""
        return f"failover/{self.name}:current"

    @property
    def unit(self) -> str:
        """The systemd unit that runs the service on every host."""
        return f"failover-{self.name}.service"


def check_admin_cidrs(cidrs: list[str]) -> list[str]:
    """SSH sources: real networks, never the whole internet."""
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ValueError(f"admin CIDR '{cidr}': {exc}") from None
        if network.prefixlen == 0:
            raise ValueError(f"admin CIDR '{cidr}' opens SSH to the whole internet; "
                             "list the networks your admins connect from")
    return cidrs


class Placement(_Model):
    """Where one copy runs and who may log in; each vendor's component extends it."""

    hosting: str
    vendor: str
    admin_cidrs: list[str] = Field(default_factory=list)
    ssh_public_key: str | None = None
    ssh_port: int = Field(default=22, ge=1, le=65535)

    @field_validator("admin_cidrs")
    @classmethod
    def _admins(cls, cidrs: list[str]) -> list[str]:
        return check_admin_cidrs(cidrs)

    @field_validator("hosting")
    @classmethod
    def _hosting(cls, hosting: str) -> str:
        if not _NAME.match(hosting):
            raise ValueError(f"hosting name '{hosting}' must be 2-32 characters of a-z, 0-9 "
                             "and '-', starting with a letter")
        return hosting

    def admin_networks(self, version: int) -> list[str]:
        """The admin CIDRs of one IP version (4 or 6)."""
        return [c for c in self.admin_cidrs if ipaddress.ip_network(c).version == version]


def instance_type(vendor: str, size: str, override: str | None) -> str:
    """The vendor's machine type for a provider-neutral size, unless the placement names one."""
    return override or SIZES[vendor][size]


def health_url(address: str, port: int, path: str) -> str:
    """``http://203.0.113.10:8080/healthz``; IPv6 addresses in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}{path}"


def startup_script(service: Service) -> str:
    """An idempotent bash script that installs and (re)starts the service on Debian.

    Run as root. Running it again with the same service changes nothing and
    leaves the service running; a changed service is restarted once.
    """
    env_lines = "".join(f"{k}={v}\n" for k, v in sorted(service.env.items()))
    if service.image is not None:
        install = ("command -v docker >/dev/null"
                   " || { apt-get update -q; apt-get install -y -q docker.io; }")
        run = (f"/usr/bin/docker run --rm --name {service.name}"
               f" --env-file /etc/failover/{service.name}.env"
               f" -p {service.port}:{service.port} {service.local_image}")
        unit_extra = (f"ExecStartPre=-/usr/bin/docker rm -f {service.name}\n"
                      f"ExecStartPre=/etc/failover/{service.name}.pull\n"
                      f"ExecStop=/usr/bin/docker stop {service.name}\n"
                      # A slow registry must not make systemd give up on the pull.
                      "TimeoutStartSec=900\n")
        needs = "After=docker.service\nRequires=docker.service\n"
    else:
        install = ":"
        run = f"/etc/failover/{service.name}.run"
        unit_extra = (f"EnvironmentFile=/etc/failover/{service.name}.env\n"
                      "DynamicUser=yes\n"
                      f"StateDirectory={service.name}\n"
                      "AmbientCapabilities=CAP_NET_BIND_SERVICE\n")
        needs = ""
    unit = (
        "[Unit]\n"
        f"Description={service.name}, deployed by failover infra\n"
        "After=network-online.target\nWants=network-online.target\n"
        f"{needs}"
        "[Service]\n"
        f"ExecStart={run}\n"
        f"{unit_extra}"
        "Restart=always\nRestartSec=2\n"
        "[Install]\nWantedBy=multi-user.target\n"
    )
    runner = f"#!/bin/sh\nexec {service.command}\n" if service.command is not None else ""
    puller = pull_script(service) if service.image is not None else ""
    return "\n".join([
        "#!/bin/bash",
        f"# {service.name}: installed by failover infra; safe to run again.",
        "set -euo pipefail",
        "export DEBIAN_FRONTEND=noninteractive",
        "install -d -m 0755 /etc/failover",
        "changed=0",
        # Write a file only when its content differs, and remember that something changed.
        "put() { local dest=$1 mode=$2 tmp; tmp=$(mktemp); cat >\"$tmp\";"
        " if cmp -s \"$tmp\" \"$dest\"; then rm -f \"$tmp\";"
        " else install -m \"$mode\" \"$tmp\" \"$dest\"; rm -f \"$tmp\"; changed=1; fi; }",
        install,
        _heredoc(f"/etc/failover/{service.name}.env", "0600", env_lines),
        _heredoc(f"/etc/failover/{service.name}.run", "0755", runner) if runner else ":",
        _heredoc(f"/etc/failover/{service.name}.pull", "0755", puller) if puller else ":",
        _heredoc(f"/etc/systemd/system/{service.unit}", "0644", unit),
        "systemctl daemon-reload",
        f"systemctl enable {service.unit} >/dev/null",
        f"if [ \"$changed\" = 1 ]; then systemctl restart {service.unit};"
        f" else systemctl start {service.unit}; fi",
        "",
    ])


def pull_script(service: Service) -> str:
    """sh that pulls the image from the first registry that answers and tags it locally.

    When none answers, the copy pulled before is kept and used: a registry outage
    must not stop a restart of a machine that already has the image.
    """
    lines = ["#!/bin/sh", f"# {service.name}: pull from the first registry that answers."]
    for ref in service.images():
        lines.append(f"if timeout 600 /usr/bin/docker pull -q {shlex.quote(ref)} >/dev/null; then"
                     f" exec /usr/bin/docker tag {shlex.quote(ref)} {service.local_image}; fi")
        lines.append(f"echo \"failover: cannot pull {ref}\" >&2")
    lines.append(f"if /usr/bin/docker image inspect {service.local_image} >/dev/null 2>&1; then"
                 " echo \"failover: no registry answered; starting the copy pulled before\" >&2;"
                 " exit 0; fi")
    lines.append("exit 1")
    return "\n".join(lines) + "\n"


def _heredoc(dest: str, mode: str, content: str) -> str:
    marker = "FAILOVER_EOF"
    if any(line == marker for line in content.splitlines()):
        raise ValueError(f"content for {dest} contains the line {marker}")
    return f"put {shlex.quote(dest)} {mode} <<'{marker}'\n{content}{marker}"
