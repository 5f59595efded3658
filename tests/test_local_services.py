"""The local services listen on fixed, configurable ports, so links recorded by one run open after the next start;
a port that cannot be opened stops the command with one line naming the port and the variable to change.
The tests themselves use any free port (conftest sets both variables to 0)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from assets.catalog import load_catalog
from pipelines.local_services import ServiceStartError, local_services, service_port
from pipelines.run import main as run_main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def held_port():
    """A port something else is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("id\n1\n")
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "rows", "title": "Rows", "format": "csv", "source": {"kind": "file", "path": "data/rows.csv"}}]}))
    return load_catalog(tmp_path / "catalog.yaml")


def test_ports_default_to_fixed_numbers_and_follow_their_variables(monkeypatch):
    monkeypatch.delenv("LOOPBACK_HUB_PORT")
    monkeypatch.delenv("CATALOG_HTTP_PORT")
    assert (service_port("LOOPBACK_HUB_PORT"), service_port("CATALOG_HTTP_PORT")) == (8808, 8809)
    monkeypatch.setenv("CATALOG_HTTP_PORT", "18809")
    assert service_port("CATALOG_HTTP_PORT") == 18809
    monkeypatch.setenv("LOOPBACK_HUB_PORT", "eighty")
    with pytest.raises(ServiceStartError, match="LOOPBACK_HUB_PORT must be a port number .* got 'eighty'"):
        service_port("LOOPBACK_HUB_PORT")


def test_the_file_server_listens_on_the_configured_port(monkeypatch, catalog, tmp_path):
    with socket.socket() as probe:  # a port free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CATALOG_HTTP_PORT", str(port))
    monkeypatch.delenv("CATALOG_HTTP_BASE", raising=False)
    with local_services(catalog, tmp_path):
        assert os.environ["CATALOG_HTTP_BASE"] == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/rows.csv", timeout=10) as response:
            assert response.read() == b"id\n1\n"


@pytest.mark.parametrize("variable", ["CATALOG_HTTP_PORT", "LOOPBACK_HUB_PORT"])
def test_a_port_in_use_is_one_line_naming_the_port_and_its_variable(monkeypatch, catalog, tmp_path, held_port,
                                                                    variable):
    monkeypatch.setenv(variable, str(held_port))
    if variable == "LOOPBACK_HUB_PORT":  # the Hub starts only where no Hub is configured
        monkeypatch.delenv("HF_ENDPOINT")
        monkeypatch.setenv("CATALOG_HTTP_BASE", "http://127.0.0.1:9")
    else:
        monkeypatch.delenv("CATALOG_HTTP_BASE", raising=False)
    before = dict(os.environ)
    with pytest.raises(ServiceStartError) as raised, local_services(catalog, tmp_path):
        pass
    message = str(raised.value)
    assert "\n" not in message and f"port {held_port} on 127.0.0.1 is in use" in message and variable in message
    assert dict(os.environ) == before  # nothing the failed start set is left behind


def test_the_main_command_stops_with_that_line_and_exit_code_2(monkeypatch, held_port, capsys):
    monkeypatch.setenv("CATALOG_HTTP_PORT", str(held_port))
    monkeypatch.delenv("CATALOG_HTTP_BASE", raising=False)
    assert run_main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot start the HTTP file server") and err.count("\n") == 1
    assert f"port {held_port}" in err and "CATALOG_HTTP_PORT" in err


def test_local_services_command_stops_with_that_line(held_port, tmp_path):
    env = {**os.environ, "LOOPBACK_HUB_PORT": str(held_port), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")}
    env.pop("HF_ENDPOINT")
    result = subprocess.run([sys.executable, "-m", "pipelines.local_services"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"port {held_port}" in result.stderr
    assert "LOOPBACK_HUB_PORT" in result.stderr
