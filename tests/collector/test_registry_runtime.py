"""Registry plumbing without the API: secret references, the clusters file, and the
supervisor restarting a source that fails."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import ValidationError

from kubeopt_collector.domain.clusters import ClusterSpec
from kubeopt_collector.errors import SecretReferenceError
from kubeopt_collector.health import Backoff, SourceMetrics, SourceState
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_collector.registry import ClusterSupervisor
from kubeopt_collector.registry_file import ClustersFileError, load_clusters_file
from kubeopt_collector.settings import resolve_secret
from tests.collector.test_prometheus_source import MemoryCheckpoints


def test_secret_references_resolve_from_env_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROM_TOKEN", "from-env")
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    assert resolve_secret("env:PROM_TOKEN") == "from-env"
    assert resolve_secret(f"file:{secret}") == "from-file"
    monkeypatch.delenv("PROM_TOKEN")
    with pytest.raises(SecretReferenceError, match="env:PROM_TOKEN: environment variable"):
        resolve_secret("env:PROM_TOKEN")
    with pytest.raises(SecretReferenceError, match="file:/nowhere/token"):
        resolve_secret("file:/nowhere/token")


def test_specs_accept_references_only() -> None:
    base = {"name": "c", "provider": "aws", "region": "r"}
    with pytest.raises(ValidationError, match="bearer_token"):
        ClusterSpec.model_validate(
            base
            | {
                "sources": [
                    {
                        "kind": "prometheus",
                        "url": "http://p",
                        "auth": "bearer",
                        "bearer_token": "abc",
                    }
                ]
            }
        )
    with pytest.raises(ValidationError, match="auth=basic needs username and password"):
        ClusterSpec.model_validate(
            base | {"sources": [{"kind": "prometheus", "url": "http://p", "auth": "basic"}]}
        )
    with pytest.raises(ValidationError, match="repeated"):
        ClusterSpec.model_validate(
            base | {"sources": [{"kind": "kubernetes"}, {"kind": "kubernetes"}]}
        )


def test_clusters_file(tmp_path: Path) -> None:
    good = tmp_path / "clusters.yaml"
    good.write_text(
        "- name: edge\n  provider: gcp\n  region: europe-west1\n"
        "  sources:\n    - {kind: kubernetes, connection: in_cluster}\n"
    )
    [spec] = load_clusters_file(good)
    assert (spec.name, spec.sources[0].kind) == ("edge", "kubernetes")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: edge\n  provider: moon\n  region: r\n  sources: [{kind: kubernetes}]\n")
    with pytest.raises(ClustersFileError, match=r"bad\.yaml: clusters\[0\.provider\]"):
        load_clusters_file(bad)


async def test_a_failing_source_is_retried_and_reported() -> None:
    published: list[OutgoingMessage] = []

    async def publish(messages: Sequence[OutgoingMessage]) -> None:
        published.extend(messages)

    supervisor = ClusterSupervisor(
        metrics=SourceMetrics.create(),
        resolve_secret=resolve_secret,
        checkpoints=lambda cluster_id, kind: MemoryCheckpoints(),
        backoff=Backoff(base_s=0.01, max_s=0.02, jitter=False),
    )
    spec = ClusterSpec.model_validate(
        {
            "name": "locked",
            "provider": "aws",
            "region": "us-east-1",
            "sources": [
                {
                    "kind": "prometheus",
                    "url": "http://127.0.0.1:1",
                    "auth": "bearer",
                    "bearer_token": "env:KUBEOPT_TEST_NEVER_SET",
                }
            ],
        }
    )
    cluster_id = uuid.uuid4()
    supervisor.apply(cluster_id, spec)  # before it runs: remembered
    task = asyncio.create_task(supervisor.run(publish, {}))
    try:
        async with asyncio.timeout(10):
            while not any(h.consecutive_failures >= 2 for h in supervisor.health(cluster_id)):
                await asyncio.sleep(0.01)
        [health] = supervisor.health(cluster_id)
        assert health.state is SourceState.RETRYING
        assert "KUBEOPT_TEST_NEVER_SET" in (health.last_error or "")
        supervisor.remove(cluster_id)
        assert supervisor.health(cluster_id) == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert published == []
