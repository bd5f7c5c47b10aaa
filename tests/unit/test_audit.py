"""``failover audit``: the example's dependencies, and the same stacks once hedged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from failover.audit import audit, backend_vendor, registry_vendor, secrets_vendor
from failover.config import load_config
from failover.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "failover.yaml"
STACKS = ROOT / "stacks"


def _app() -> typer.Typer:
    from cli.audit import register

    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context,
              config: Path = typer.Option(..., "--config", "-c")) -> None:
        ctx.obj = {"config_path": config}

    register(app)
    return app


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(_app(), list(args), standalone_mode=False)


@pytest.fixture
def stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped stacks folder to change."""
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    copy = tmp_path / "stacks"
    shutil.copytree(STACKS, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def _edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _hedge(stacks: Path) -> None:
    def service(data: dict[str, Any]) -> None:
        data["service"]["image_mirrors"] = ["quay.io/example", "registry.gitlab.com/example"]
        data["recovery"]["state_backups"] = [
            "s3://state-copy?endpoint=https://abc.r2.cloudflarestorage.com"]

    def project(data: dict[str, Any]) -> None:
        data["backend"] = {"url": "s3://state?endpoint=s3.eu-central-003.backblazeb2.com"}

    _edit(stacks / "service.yaml", service)
    _edit(stacks / "Pulumi.yaml", project)


def test_example_names_the_registry_and_the_state_backend(stacks: Path) -> None:
    result = _invoke("-c", str(EXAMPLE), "audit", "--stacks", str(stacks), "--format", "json")
    assert result.return_value == 1, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["blocking"] == ["github", "pulumi"]
    registry = data["vendors"]["github"][0]
    assert registry["kind"] == "registry"
    assert registry["loss"] == "every new instance fails to pull ghcr.io/example/social:1.4.2"
    assert "mirror the image to a registry at two other vendors" in registry["fix"]
    assert data["vendors"]["pulumi"][0]["kind"] == "state"


def test_table_says_losing_vendor_in_one_sentence(stacks: Path) -> None:
    result = _invoke("-c", str(EXAMPLE), "audit", "--stacks", str(stacks))
    assert result.return_value == 1
    assert "losing github: every new instance fails to pull ghcr.io/example/social:1.4.2; " \
           "mirror the image" in " ".join(result.stdout.split())
    assert "2 vendor(s) would block recovery: github, pulumi" in result.stdout


def test_hedged_stacks_exit_0(stacks: Path) -> None:
    _hedge(stacks)
    result = _invoke("-c", str(EXAMPLE), "audit", "--stacks", str(stacks), "--format", "json")
    assert result.return_value == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["blocking"] == []
    assert {"github", "quay", "gitlab", "backblaze"} <= set(data["vendors"])


@pytest.mark.parametrize("provider, vendor", [
    ("awskms://alias/pulumi?region=us-east-1", "aws"),
    ("gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k", "gcp"),
    ("azurekeyvault://vault.vault.azure.net/keys/k", "azure"),
])
def test_a_cloud_kms_blocks_recovery_even_when_hedged_otherwise(stacks: Path, provider: str,
                                                                 vendor: str) -> None:
    _hedge(stacks)
    _edit(stacks / "Pulumi.gcp-prod.yaml", lambda d: d.update(secretsprovider=provider))
    result = audit(load_config(EXAMPLE), stacks)
    assert result.blocking_vendors == [vendor]
    secrets = [d for d in result.dependencies if d.kind == "secrets"]
    assert secrets[0].stack == "gcp-prod"
    assert "change-secrets-provider passphrase --stack gcp-prod" in secrets[0].fix


def test_passphrase_stacks_depend_on_no_vendor(stacks: Path) -> None:
    _hedge(stacks)
    _edit(stacks / "Pulumi.aws-prod.yaml",
          lambda d: d.update(secretsprovider="passphrase", encryptionsalt="v1:abc"))
    assert not [d for d in audit(load_config(EXAMPLE), stacks).dependencies
                if d.kind == "secrets"]


def test_a_registrar_at_a_hedged_vendor_blocks(stacks: Path) -> None:
    _hedge(stacks)
    _edit(stacks / "service.yaml", lambda d: d["recovery"].update(registrar="aws"))
    assert audit(load_config(EXAMPLE), stacks).blocking_vendors == ["aws"]


def test_one_sign_in_path_without_break_glass_blocks(stacks: Path) -> None:
    _hedge(stacks)
    _edit(stacks / "service.yaml", lambda d: d["recovery"].update(break_glass=False))
    assert audit(load_config(EXAMPLE), stacks).blocking_vendors == ["google-workspace"]


def test_state_copy_at_the_same_vendor_is_no_hedge(stacks: Path) -> None:
    _hedge(stacks)
    _edit(stacks / "service.yaml", lambda d: d["recovery"].update(state_backups=[
        "s3://other?endpoint=s3.us-west-000.backblazeb2.com"]))
    assert audit(load_config(EXAMPLE), stacks).blocking_vendors == ["backblaze"]


def test_backend_from_the_environment_and_the_option(stacks: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://state-bucket")
    state = [d for d in audit(load_config(EXAMPLE), stacks).dependencies if d.kind == "state"]
    assert state[0].vendor == "gcp" and "gs://state-bucket" in state[0].what
    state = [d for d in audit(load_config(EXAMPLE), stacks, backend="file:///srv/state")
             .dependencies if d.kind == "state"]
    assert state == []


def test_credentials_in_a_backend_url_are_never_printed(stacks: Path) -> None:
    deps = audit(load_config(EXAMPLE), stacks,
                 backend="https://user:hunter2@pulumi.example.net").dependencies
    assert not any("hunter2" in d.what for d in deps)


@pytest.mark.parametrize("url, vendor", [
    ("s3://bucket", "aws"),
    ("s3://b?endpoint=storage.googleapis.com", "gcp"),
    ("s3://b?endpoint=https://fsn1.your-objectstorage.com&s3ForcePathStyle=true", "hetzner"),
    ("s3://b?endpoint=objects.example.net", "objects.example.net"),
    ("azblob://container", "azure"),
    ("https://api.pulumi.com", "pulumi"),
    ("file:///srv/state", None),
])
def test_backend_vendors(url: str, vendor: str | None) -> None:
    assert backend_vendor(url) == vendor


@pytest.mark.parametrize("image, vendor", [
    ("ghcr.io/example/social:1.4.2", "github"),
    ("nginx", "docker"),
    ("library/nginx:1", "docker"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/social:1", "aws"),
    ("europe-docker.pkg.dev/p/r/social:1", "gcp"),
    ("localhost:5000/social", "localhost:5000"),
])
def test_registry_vendors(image: str, vendor: str) -> None:
    assert registry_vendor(image)[1] == vendor


@pytest.mark.parametrize("bad", ["ftp://state", "s4://x"])
def test_unknown_backend_is_one_clear_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="unknown scheme"):
        backend_vendor(bad)
    with pytest.raises(ConfigError, match="unknown kind"):
        secrets_vendor(bad)


def test_broken_stack_file_is_one_line_exit_3(stacks: Path) -> None:
    from cli.app import main

    (stacks / "Pulumi.aws-prod.yaml").write_text("config: [unclosed\n")
    with pytest.raises(SystemExit) as exc:
        import sys

        argv = sys.argv
        sys.argv = ["failover", "-c", str(EXAMPLE), "audit", "--stacks", str(stacks)]
        try:
            main()
        finally:
            sys.argv = argv
    assert exc.value.code == 3


def test_missing_project_says_pass_stacks(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pass --stacks DIR"):
        audit(load_config(EXAMPLE), tmp_path)


def test_no_second_registrar_account_blocks_recovery(stacks: Path) -> None:
    _hedge(stacks)
    _edit(stacks / "service.yaml", lambda d: d["recovery"].pop("second_registrar"))
    result = audit(load_config(EXAMPLE), stacks)
    assert result.blocking_vendors == ["gandi"]
    [dep] = [d for d in result.dependencies if d.kind == "registrar"]
    assert "no second registrar account" in dep.loss and "second_registrar" in dep.fix


def test_a_second_registrar_at_the_same_registrar_is_no_second_account(stacks: Path) -> None:
    _hedge(stacks)
    _edit(stacks / "service.yaml", lambda d: d["recovery"].update(second_registrar="gandi"))
    result = audit(load_config(EXAMPLE), stacks)
    assert result.blocking_vendors == ["gandi"]


def test_an_acm_only_hosting_is_named_as_bound_to_aws(stacks: Path) -> None:
    _hedge(stacks)
    config = load_config(EXAMPLE)
    hosting = next(iter(config.hosting))
    config.hosting[hosting] = config.hosting[hosting].model_copy(
        update={"certificate": "acm"})
    result = audit(config, stacks)
    [dep] = [d for d in result.dependencies if d.kind == "certificate"]
    assert dep.vendor == "aws" and dep.blocking  # no certs: section, no standby anywhere
    assert f"hosting {hosting}'s certificate lives only in AWS Certificate Manager" == dep.what
    assert f"hosting {hosting} is bound to aws" in dep.loss
    assert "aws" in result.blocking_vendors
