"""Test session set-up: the project's loopback Hub plays the Hub, everything else is the real stack.

HF_ENDPOINT is read when huggingface_hub is imported, so the Hub is started in pytest_configure,
before any test module (and so huggingface_hub) is imported."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

WRITE_TOKEN = "hf_loopbackWriteToken0123456789abcdef"
READ_TOKEN = "hf_loopbackReadToken0123456789abcdef"
_session: dict = {}


def pytest_configure(config):
    root = Path(tempfile.mkdtemp(prefix="governance-tests-"))
    os.environ.update({
        "HF_HOME": str(root / "hf_home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GX_ANALYTICS_ENABLED": "False",
        "HF_TOKEN": WRITE_TOKEN,
        # Any free port: test runs side by side must not compete for the local services' fixed defaults.
        "LOOPBACK_HUB_PORT": "0",
        "CATALOG_HTTP_PORT": "0",
        "DATA_DOCS_PORT": "0",
    })
    os.environ.pop("CATALOG_PATH", None)
    from loopback_hub import HubServer

    hub = HubServer(root / "hub", tokens={WRITE_TOKEN: "write", READ_TOKEN: "read"}).start()
    os.environ["HF_ENDPOINT"] = hub.url
    os.environ["HUB_PUBLIC_URL"] = hub.url  # the loopback Hub is the tests' public Hub: published files name it
    _session.update(root=root, hub=hub)


def pytest_unconfigure(config):
    if "hub" in _session:
        _session["hub"].stop()
        shutil.rmtree(_session["root"], ignore_errors=True)


@pytest.fixture(scope="session")
def hub_url() -> str:
    return _session["hub"].url


@pytest.fixture(scope="session")
def hub_server():
    """The session's loopback Hub itself, for tests that inject faults into it."""
    return _session["hub"]


@pytest.fixture
def network(monkeypatch):
    """Name resolution and connections under the test's control, so no test reaches beyond loopback.
    `names[host]`: the answers a name gives, one per lookup, the last one repeated. `routes[(address, port)]`:
    the loopback server a connection to that address reaches. `connections`: every address connected to."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
    names, routes, connections = {}, {}, []

    def getaddrinfo(host, port, *args, **kwargs):
        answers = names.get(host)
        address = (answers.pop(0) if len(answers) > 1 else answers[0]) if answers else host
        return real_getaddrinfo(address, port, *args, **kwargs)

    def connect(sock, address):
        host, port = address[:2]
        connections.append((host, port))
        if ipaddress.ip_address(host).is_loopback:
            return real_connect(sock, address)
        if (host, port) in routes:
            return real_connect(sock, routes[host, port])
        raise ConnectionRefusedError(f"the test's network has no route to {host}")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return SimpleNamespace(names=names, routes=routes, connections=connections)
