"""The Kubernetes manifests: valid against the Kubernetes schema (strict: no unknown field),
and saying what the reconciler expects (the shard count, the fleet file, the arguments)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from reconciler import cli
from reconciler.cli.choices import chosen
from reconciler.fleet.load import load_fleet
from reconciler.pipeline import fleet_check

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
# backoffLimitPerIndex is stable from 1.33; the manifests are checked against that release.
KUBERNETES = "1.33.0"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _fleet_manifest() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in _documents(ROOT / "deploy/kubernetes/fleet-cronjob.yaml")}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_kubernetes(path: Path) -> None:
    documents = _documents(path)
    assert documents
    for doc in documents:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_schema_check_refuses_a_wrong_manifest() -> None:
    job = copy.deepcopy(_fleet_manifest()["CronJob"])
    job["spec"]["jobTemplate"]["spec"]["completions"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, KUBERNETES, strict=True)
    job = copy.deepcopy(_fleet_manifest()["CronJob"])
    job["spec"]["jobTemplate"]["spec"]["backofLimitPerIndex"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, KUBERNETES, strict=True)


def _pod(job: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pod


def test_the_fleet_job_is_indexed_with_the_shard_count_it_runs() -> None:
    docs = _fleet_manifest()
    job = docs["CronJob"]["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed"
    assert job["backoffLimitPerIndex"] >= 1
    (container,) = _pod(docs["CronJob"])["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert int(env["RECONCILE_SHARD_COUNT"]["value"]) == job["completions"] == job["parallelism"]
    assert _pod(docs["CronJob"])["restartPolicy"] == "Never"
    # IRSA: the pods' service account carries the hub role, and no key is in the manifest.
    account = docs["ServiceAccount"]
    assert _pod(docs["CronJob"])["serviceAccountName"] == account["metadata"]["name"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::"
    )
    assert not any("AWS_SECRET_ACCESS_KEY" in name or "AWS_ACCESS_KEY" in name for name in env)
    assert "value" not in env["FLEET_EXTERNAL_ID"]  # from a Secret, never written here


def test_the_fleet_job_runs_a_valid_command_on_a_valid_fleet_file(tmp_path: Path) -> None:
    docs = _fleet_manifest()
    (container,) = _pod(docs["CronJob"])["containers"]
    args = cli.parse(container["args"])
    (mount,) = container["volumeMounts"]
    assert args.command == "apply"
    assert Path(args.fleet).parent == Path(mount["mountPath"])
    (volume,) = _pod(docs["CronJob"])["volumes"]
    config = docs["ConfigMap"]
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    path = tmp_path / Path(args.fleet).name
    path.write_text(config["data"][path.name])
    options = chosen(args)
    fleet = load_fleet(path, fleet_check(options))
    assert len(fleet.by_account_region()) >= 3
