"""Fixtures of the offline deployment checks: the pinned Helm binary (fetched
once into .cache/tools by deploy/tools/fetch-helm.sh) and chart rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_support.chart import Render, fetch_helm, renderer


@pytest.fixture(scope="session")
def helm() -> Path:
    return fetch_helm()


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """``render(values_file, *sets)`` -> the manifests, or the test fails with Helm's error."""
    return renderer(helm)
