"""Real datasets shipped inside PyPI packages, with their license statements verbatim, through the main command.

The data and statements are read at test time from the installed packages (statsmodels, scikit-learn): data that
may not be redistributed is never committed. "Published" means the files in the Hub repo at the snapshot's tag,
read back with the Hub client as a consumer would."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.local_services import environment
from pipelines.run import main as run_main

statsmodels = pytest.importorskip("statsmodels", reason="statsmodels (a dev dependency) supplies the datasets")
sklearn_datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn (a dev dependency) supplies data")

BUNDLED = Path(__file__).resolve().parent.parent / "catalog" / "data"
# The reference sklearn/datasets/descr/linnerud.rst gives for the Linnerud data.
LINNERUD_CITATION = "Tenenhaus, M. (1998). La regression PLS: theorie et pratique. Paris: Editions Technic."
# The UCI Machine Learning Repository's citation of the wine data (CC BY 4.0), which scikit-learn ships.
WINE_CREDIT = "Aeberhard, S. & Forina, M. (1991). Wine [Dataset]. UCI Machine Learning Repository. " \
              "https://doi.org/10.24432/C5PC7J"
SIGN_OFF = {"who": "Ada Steward", "when": "2026-12-01", "why": "the author answered our e-mail",
            "license": "CC0-1.0", "evidence": "e-mail of 2026-11-30"}


def statsmodels_dataset(name: str) -> tuple[Path, str]:
    """(the CSV file, the COPYRIGHT statement verbatim) of a statsmodels dataset."""
    module = importlib.import_module(f"statsmodels.datasets.{name}.data")
    [data] = Path(module.__file__).parent.glob("*.csv")
    return data, module.COPYRIGHT


def sklearn_file(name: str) -> Path:
    return Path(sklearn_datasets.__file__).parent / "data" / name


def sklearn_copying() -> Path:
    from importlib.metadata import distribution

    return Path(distribution("scikit-learn").locate_file(
        next(f for f in distribution("scikit-learn").files if f.name == "COPYING")))


def entry(dataset_id: str, data: Path, folder: Path, **fields) -> dict:
    target = folder / dataset_id
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data, target / data.name)
    return {"id": dataset_id, "title": dataset_id.replace("-", " "), "format": "csv",
            "source": {"kind": "file", "path": f"data/{dataset_id}/{data.name}"}, **fields}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("real-packages")
    data = root / "catalog" / "data"
    longley, public_domain = statsmodels_dataset("longley")
    scotland, all_rights = statsmodels_dataset("scotland")
    fertility, terms_of_use = statsmodels_dataset("fertility")
    cancer, _ = statsmodels_dataset("cancer")
    entries = [
        entry("longley", longley, data, license=public_domain,
              origin=f"PyPI statsmodels {statsmodels.__version__}, statsmodels/datasets/longley/longley.csv"),
        entry("scotland", scotland, data, license=all_rights),
        entry("scotland-signed-off", scotland, data, license=all_rights, sign_off=SIGN_OFF),
        entry("fertility", fertility, data, license=terms_of_use),
        entry("cancer", cancer, data),  # its COPYRIGHT says "???": no statement at all
        entry("penguins", BUNDLED / "palmer-penguins" / "penguins.csv", data, license="CC0-1.0", null_values=["NA"]),
        entry("linnerud", sklearn_file("linnerud_exercise.csv"), data, license="BSD-3-Clause",
              citation=LINNERUD_CITATION),
        entry("linnerud-copying", sklearn_file("linnerud_exercise.csv"), data, citation=LINNERUD_CITATION),
    ]
    wine_columns = [*sklearn_datasets.load_wine().feature_names, "target"]
    for dataset_id, csv in (("wine", {"skip_lines": 1, "header": False, "columns": wine_columns}), ("wine-as-is", {})):
        entries.append(entry(dataset_id, sklearn_file("wine_data.csv"), data, license="CC-BY-4.0",
                             **({"csv": csv} if csv else {})))
        (data / dataset_id / "NOTICE").write_text(WINE_CREDIT + "\n")
    shutil.copyfile(sklearn_copying(), data / "linnerud-copying" / "COPYING")
    catalog = root / "catalog" / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"datasets": entries}, sort_keys=False))
    namespace = f"real-{uuid.uuid4().hex[:8]}"
    # The loopback Hub stands in for the public Hub, whose address croissant.json names (HUB_PUBLIC_URL).
    with environment(CATALOG_PATH=str(catalog), WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
                     HUB_NAMESPACE=namespace, HUB_PUBLIC_URL="https://huggingface.co"):
        exit_code = run_main([])
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT dataset_id, decision, decision_reason, decision_record"
                                  " FROM governance.datasets").fetchall()
        snapshots = {row[0]: row[1:] for row in connection.execute(
            "SELECT dataset_id, row_count, columns, checks_passed, published_tag FROM governance.latest_snapshots"
        ).fetchall()}
    return {"exit_code": exit_code, "namespace": namespace, "root": root, "snapshots": snapshots,
            "decisions": {r[0]: {"decision": r[1], "reason": r[2], "record": json.loads(r[3])} for r in rows},
            "statements": {"public_domain": public_domain}}


def published_files(published, dataset_id: str) -> dict[str, bytes]:
    """Every file in the dataset's repo at its published tag, as a consumer downloads it."""
    from huggingface_hub import HfApi, hf_hub_download

    repo_id = f"{published['namespace']}/{dataset_id}"
    tag = next(ref.name for ref in HfApi().list_repo_refs(repo_id, repo_type="dataset").tags)
    return {path: Path(hf_hub_download(repo_id, path, repo_type="dataset", revision=tag)).read_bytes()
            for path in HfApi().list_repo_files(repo_id, repo_type="dataset", revision=tag)}


def card_yaml(files: dict[str, bytes]) -> dict:
    return yaml.safe_load(files["README.md"].decode().split("---")[1])


def test_the_main_command_decides_every_real_dataset(published):
    assert published["exit_code"] == 0
    decisions = {dataset_id: d["decision"] for dataset_id, d in published["decisions"].items()}
    assert decisions == {
        "longley": "publish", "penguins": "publish", "linnerud": "publish", "linnerud-copying": "publish",
        "scotland": "blocked", "scotland-signed-off": "blocked",
        "fertility": "quarantine", "cancer": "quarantine", "wine": "publish", "wine-as-is": "publish",
    }


def test_a_csv_with_a_preamble_line_is_read_whole_with_the_skip_option_and_fails_a_check_without_it(published):
    rows, columns, checks_passed, tag = published["snapshots"]["wine"]
    assert rows == 178 and [c["name"] for c in json.loads(columns)][:2] == ["alcohol", "malic_acid"]
    assert checks_passed is True and tag is not None
    rows, columns, checks_passed, tag = published["snapshots"]["wine-as-is"]
    assert rows == 177 and json.loads(columns)[0]["name"] == "14.23"  # the first record became the header
    assert checks_passed is False and tag is None


def test_all_rights_reserved_is_blocked_and_no_sign_off_releases_it(published):
    signed = published["decisions"]["scotland-signed-off"]
    assert "redistribution" in signed["reason"]
    assert any("sign-off by Ada Steward" in reason for reason in signed["record"]["reasons"])
    assert signed["record"]["sign_off"] is None


def test_public_domain_statement_is_published_as_other_public_domain_with_the_statement_as_license(published):
    files = published_files(published, "longley")
    card = card_yaml(files)
    assert card["license"] == "other" and card["license_name"] == "public-domain"
    assert card["license_link"] == "LICENSE"
    assert published["statements"]["public_domain"] in files["LICENSE"].decode()


def test_cc0_is_published_as_cc0_with_its_legal_code(published):
    files = published_files(published, "penguins")
    assert card_yaml(files)["license"] == "cc0-1.0"
    assert "CC0 1.0 Universal" in files["LICENSE"].decode()


def test_bsd_3_clause_ships_the_full_text_with_the_holders_line_or_says_it_is_not_stated(published):
    declared = published_files(published, "linnerud")
    assert card_yaml(declared)["license"] == "bsd-3-clause"
    text = declared["LICENSE"].decode()
    assert "Redistribution and use in source and binary forms" in text and "not stated" in text
    upstream = published_files(published, "linnerud-copying")
    assert card_yaml(upstream)["license"] == "bsd-3-clause"
    assert upstream["COPYING"] == sklearn_copying().read_bytes()
    assert "The scikit-learn developers" in upstream["README.md"].decode()


def test_nothing_published_names_a_local_path_or_a_private_address(published):
    for dataset_id in ("longley", "penguins", "linnerud", "linnerud-copying"):
        for path, content in published_files(published, dataset_id).items():
            if path.endswith(".parquet"):
                continue
            text = content.decode()
            for private in (str(published["root"]), os.path.expanduser("~"), "127.0.0.1", "localhost"):
                assert private not in text, (dataset_id, path, private)
