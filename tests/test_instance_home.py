"""The README's UI set-up starts without warnings: no "dagster.yaml in the current folder is not used" (Dagster
warns whenever DAGSTER_HOME is set and the folder it runs from holds a dagster.yaml that is not DAGSTER_HOME
itself) and no "superseded" notice (`dagster dev` has one; the README starts `dg dev`)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
UI_COMMAND = re.compile(r"^uv run (dg dev|dagster dev)\b.*$", flags=re.M)


def readme_ui_blocks() -> list[tuple[str, str]]:
    """For every README shell block that starts the UI, the DAGSTER_HOME it exports (under $PWD) and its command."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    found = []
    for block in blocks:
        command = UI_COMMAND.search(block)
        if command:
            exported = re.findall(r"^export DAGSTER_HOME=\$PWD/(\S+)", block, flags=re.M)
            assert exported, f"a README block starts the UI without DAGSTER_HOME:\n{block}"
            found.append((exported[-1], command.group(0).split("#")[0].strip()))
    return found


def test_following_the_readme_the_ui_finds_its_settings_in_dagster_home_and_none_beside_it():
    blocks = readme_ui_blocks()
    assert blocks, "the README no longer says how to start the UI"
    for home, command in blocks:
        config = yaml.safe_load((ROOT / home / "dagster.yaml").read_text())
        assert config["concurrency"]["pools"]["default_limit"] == 1 and config["concurrency"]["runs"]
        assert command == "uv run dg dev", command  # `dagster dev` prints a superseded warning
    # The UI runs from the project folder: a dagster.yaml there would be ignored, with a warning.
    assert not (ROOT / "dagster.yaml").exists() and not (ROOT / "dagster.yml").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dg_dev_serves_the_code_location_without_a_warning(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    environment = {**os.environ, "DAGSTER_HOME": str(home), "VIRTUAL_ENV": sys.prefix,
                   "CATALOG_PATH": str(ROOT / "catalog" / "catalog.yaml")}
    command = [str(Path(sys.executable).parent / "dg"), "dev", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    output = []
    try:
        deadline = time.monotonic() + 120
        for line in server.stdout:
            output.append(line)
            if "Serving dagster-webserver" in line or time.monotonic() > deadline:
                break
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    text = "".join(output)
    assert "Serving dagster-webserver" in text, text
    assert not re.search(r"warn", text, flags=re.I), text
