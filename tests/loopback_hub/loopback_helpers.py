"""Shared constants and helpers of the loopback Hub tests."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loopback_hub import HubServer

WRITE_TOKEN = "hf_loopbackTestWrite_5f1c2e9a7b"
READ_TOKEN = "hf_loopbackTestRead_3d8e0b6c4a"
REPO_ID = "steward/demo"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

README = """---
license: cc-by-4.0
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.parquet
---
# Demo dataset
"""
ROWS = {"id": [1, 2, 3], "name": ["ada", "grace", "edsger"]}


def parquet_bytes(rows: dict[str, list]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(rows), buffer)
    return buffer.getvalue()


def run_client(
    code: str, hub: HubServer, home: Path, disable_xet: bool, extra_env: dict[str, str] | None = None
) -> dict:
    """Run client code in a fresh interpreter, whose huggingface_hub reads this env at import; returns its JSON."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HF_")}
    env.update(
        HF_ENDPOINT=hub.url,
        HF_TOKEN=WRITE_TOKEN,
        HF_HOME=str(home),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra_env or {})
    if disable_xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def call(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
