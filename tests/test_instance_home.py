"""The README's `dagster dev` set-up starts without Dagster's warning that a dagster.yaml in the current folder
is not used: `dagster dev` warns whenever DAGSTER_HOME is set and the folder it runs from holds a dagster.yaml
(or dagster.yml) that is not DAGSTER_HOME itself."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def readme_dagster_dev_homes() -> list[str]:
    """For every README shell block that starts `dagster dev`, the DAGSTER_HOME it exports (under $PWD)."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    homes = []
    for block in blocks:
        if "dagster dev" in block:
            exported = re.findall(r"^export DAGSTER_HOME=\$PWD/(\S+)", block, flags=re.M)
            assert exported, f"a README block starts dagster dev without DAGSTER_HOME:\n{block}"
            homes.append(exported[-1])
    return homes


def test_following_the_readme_dagster_dev_finds_its_settings_in_dagster_home_and_none_beside_it():
    homes = readme_dagster_dev_homes()
    assert homes, "the README no longer says how to start dagster dev"
    for home in homes:
        config = yaml.safe_load((ROOT / home / "dagster.yaml").read_text())
        assert config["concurrency"]["pools"]["default_limit"] == 1 and config["concurrency"]["runs"]
    # `dagster dev` runs from the project folder: a dagster.yaml there would be ignored, with a warning.
    assert not (ROOT / "dagster.yaml").exists() and not (ROOT / "dagster.yml").exists()
