"""Fixtures for the loopback Hub tests: a fresh Hub per test, and clients pointed at it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from huggingface_hub import HfApi, constants
from loopback_helpers import READ_TOKEN, WRITE_TOKEN

from loopback_hub import HubServer


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    with HubServer(tmp_path / "hub", tokens={WRITE_TOKEN: "write", READ_TOKEN: "read"}) as server:
        yield server


@pytest.fixture
def lfs_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process's huggingface_hub upload LFS files with plain git-LFS, as HF_HUB_DISABLE_XET=1 does."""
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)


@pytest.fixture
def api(hub: HubServer) -> HfApi:
    return HfApi(endpoint=hub.url, token=WRITE_TOKEN)
