"""Fixtures for the deploy/k8s tests: the kubectl binary and the three renderings."""

from __future__ import annotations

import shutil

import pytest

from tests.deploy.manifests import TREES, Rendering, render
from tests.settings import SuiteSettings


@pytest.fixture(scope="session")
def kubectl(suite_settings: SuiteSettings) -> str:
    """kubectl with its embedded kustomize (v5); required in CI, skipped without it elsewhere."""
    path = shutil.which("kubectl")
    if path is None:
        if suite_settings.ci:
            pytest.fail("kubectl is required when CI=true (it renders deploy/k8s)")
        pytest.skip("kubectl is not installed")
    return path


@pytest.fixture(scope="session")
def renderings(kubectl: str) -> dict[str, Rendering]:
    return {tree: render(kubectl, tree) for tree in TREES}
