"""Through the main command: a restriction stated anywhere the pipeline reads (NOTICE, README or Hub card body, card
YAML, LICENSE) keeps a dataset the catalog calls CC-BY-4.0 off the Hub, with the sentence quoted in the decision;
a statement about the package's code does not."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download

from pipelines.local_services import environment
from pipelines.run import main as run_main

ROWS = "id,review\n1,good\n2,bad\n"
CARD_BODY_NC = ("---\nlicense: cc-by-4.0\npretty_name: Reviews\n---\n# Reviews\n\nThis dataset may only be used for "
                "non-commercial purposes (CC BY-NC 4.0). Commercial use is prohibited.\n")
# dataset id -> (hub source?, evidence files beside the data, the sentence the decision must quote)
RESTRICTED = {
    "notice-nc": (False, {"NOTICE": "Reviews (c) 2024 Example Lab.\n\nThis dataset is licensed under CC BY-NC 4.0. "
                                    "Commercial use is not permitted.\n"},
                  "This dataset is licensed under CC BY-NC 4.0."),
    "hub-card-body-nc": (True, {"README.md": CARD_BODY_NC},
                         "This dataset may only be used for non-commercial purposes (CC BY-NC 4.0)."),
    "hub-card-no-key": (True, {"README.md": "---\npretty_name: Reviews\n---\n# Reviews\n\nNon-commercial use only.\n"},
                        "Non-commercial use only."),
    "readme-no-front-matter": (False, {"README.md": "# Reviews\n\nLicense: CC BY-NC 4.0 - non-commercial use only.\n"},
                               "License: CC BY-NC 4.0 - non-commercial use only."),
    "license-no-sale": (False, {"LICENSE": "You may not sell this data or use it in any product or service offered "
                                           "for a fee.\n"},
                        "You may not sell this data or use it in any product or service offered for a fee."),
    "license-bare-elements": (False, {"LICENSE": "BY-NC-SA\n"}, "BY-NC-SA"),
    "card-repeated-key": (False, {"README.md": "---\nlicense: cc-by-nc-4.0\nlicense: cc-by-4.0\n---\n# Reviews\n"},
                          "license: cc-by-nc-4.0 (line 2); license: cc-by-4.0 (line 3)"),
}
CODE_NOTICE = ("Reviews (c) 2024 Example Lab. The data is licensed under CC BY 4.0. The BSD license covers only the "
               "package code. The software is for non-commercial use.\n")


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    root = tmp_path_factory.mktemp("restrictions")
    data, upstream = root / "catalog" / "data", f"upstream-{uuid.uuid4().hex[:8]}"
    entries = []
    cases = {**RESTRICTED, "code-scoped-notice": (False, {"NOTICE": CODE_NOTICE}, "")}
    for dataset_id, (hub, files, _) in cases.items():
        folder = data / dataset_id
        folder.mkdir(parents=True)
        (folder / "reviews.csv").write_text(ROWS)
        for name, text in files.items():
            (folder / name).write_text(text)
        source = ({"kind": "hub", "repo_id": f"{upstream}/{dataset_id}", "path": "reviews.csv",
                   "seed": f"data/{dataset_id}"} if hub else {"kind": "file", "path": f"data/{dataset_id}/reviews.csv"})
        entries.append({"id": dataset_id, "title": dataset_id, "format": "csv", "license": "CC-BY-4.0",
                        "source": source})
    catalog = root / "catalog" / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"datasets": entries}, sort_keys=False))
    namespace = f"restrict-{uuid.uuid4().hex[:8]}"
    with environment(CATALOG_PATH=str(catalog), WAREHOUSE_PATH=str(root / "warehouse.duckdb"), HUB_NAMESPACE=namespace):
        exit_code = run_main([])
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT dataset_id, decision, decision_record FROM governance.datasets").fetchall()
    return {"exit_code": exit_code, "namespace": namespace,
            "decisions": {dataset_id: (decision, json.loads(record)) for dataset_id, decision, record in rows}}


@pytest.mark.parametrize("dataset_id", sorted(RESTRICTED))
def test_a_restriction_anywhere_in_the_evidence_keeps_the_dataset_off_the_hub(governed, dataset_id):
    assert governed["exit_code"] == 0
    decision, record = governed["decisions"][dataset_id]
    assert decision in ("blocked", "quarantine"), (dataset_id, record["reasons"])
    sentence = RESTRICTED[dataset_id][2]
    assert any(sentence in reason for reason in record["reasons"]), record["reasons"]
    assert not HfApi().repo_exists(f"{governed['namespace']}/{dataset_id}", repo_type="dataset")


def test_a_notice_about_the_package_code_does_not_restrict_the_data(governed):
    decision, record = governed["decisions"]["code-scoped-notice"]
    assert decision == "publish", record["reasons"]
    repo_id = f"{governed['namespace']}/code-scoped-notice"
    card = Path(hf_hub_download(repo_id, "README.md", repo_type="dataset")).read_text()
    assert "- Commercial use: allowed" in card
    assert Path(hf_hub_download(repo_id, "NOTICE", repo_type="dataset")).read_text() == CODE_NOTICE
