"""Card metadata the Hub would refuse is refused, through the real huggingface_hub client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, DatasetCard, HfApi, constants
from huggingface_hub.errors import BadRequestError
from loopback_helpers import README, REPO_ID, call, run_client

from loopback_hub import HubServer
from loopback_hub.card_rules import hub_license_ids

VALID_CARDS = {
    "hub license id": "---\nlicense: cc-by-4.0\n---\n# Data\n",
    "hub license ids as a list": "---\nlicense:\n- cc-by-4.0\n- odbl\n---\n# Data\n",
    "license other, named and linked": (
        "---\nlicense: other\nlicense_name: my-license-1.0\nlicense_link: LICENSE\n---\n# Data\n"
    ),
    "configs with config_name": README,
    "configs with data_files as paths": "---\nconfigs:\n- config_name: main\n  data_files: data/*.parquet\n---\n",
    "no metadata": "# Data\n",
}
INVALID_CARDS = {
    "license not a hub id": ("---\nlicense: Apache-2.0\n---\n", '"license" must be one of [apache-2.0, mit,'),
    "license list with an unknown id": ("---\nlicense:\n- mit\n- CC-BY-4.0\n---\n", '"license[1]" must be one of ['),
    "license other without license_name": (
        "---\nlicense: other\nlicense_link: LICENSE\n---\n",
        '"license_name" is required',
    ),
    "license other without license_link": (
        "---\nlicense: other\nlicense_name: my-license\n---\n",
        '"license_link" is required',
    ),
    "license_name not a lowercase id": (
        "---\nlicense: other\nlicense_name: My License 1.0\nlicense_link: LICENSE\n---\n",
        '"license_name" with value "My License 1.0" fails to match the required pattern',
    ),
    "configs entry without config_name": (
        "---\nconfigs:\n- data_files:\n  - split: train\n    path: data/train.parquet\n---\n",
        '"configs[0].config_name" is required',
    ),
    "data_files mapping without path": (
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n---\n",
        '"configs[0].data_files[0].path" is required',
    ),
    "data_files mapping without split": (
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - path: data/train.parquet\n---\n",
        '"configs[0].data_files[0].split" is required',
    ),
    "malformed YAML": ("---\nlicense: [mit\n---\n", "Invalid YAML in README.md metadata"),
}


def commit_readme(api: HfApi, readme: str, repo_type: str = "dataset") -> str:
    api.create_repo(REPO_ID, repo_type=repo_type, exist_ok=True)
    commit = api.create_commit(
        REPO_ID,
        repo_type=repo_type,
        commit_message="Add card",
        operations=[CommitOperationAdd("README.md", readme.encode())],
    )
    return commit.oid


def test_the_license_list_is_hub_docs_table() -> None:
    ids = hub_license_ids()
    assert len(ids) == len(set(ids)) == 83
    assert all(license_id == license_id.lower() for license_id in ids)
    assert {"cc-by-4.0", "odbl", "cc0-1.0", "other", "unknown"} <= set(ids)
    assert "cc-by-4.0-or-later" not in ids and "Apache-2.0" not in ids


@pytest.mark.parametrize("readme", VALID_CARDS.values(), ids=VALID_CARDS.keys())
def test_create_commit_accepts_a_card_the_hub_accepts(api: HfApi, readme: str) -> None:
    oid = commit_readme(api, readme)
    assert api.dataset_info(REPO_ID, revision=oid).sha == oid


@pytest.mark.parametrize(("readme", "message"), INVALID_CARDS.values(), ids=INVALID_CARDS.keys())
def test_create_commit_refuses_a_card_the_hub_refuses(api: HfApi, readme: str, message: str) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    with pytest.raises(ValueError, match="Invalid metadata in README.md") as raised:
        commit_readme(api, readme)
    assert message in str(raised.value)
    assert "README.md" not in api.list_repo_files(REPO_ID, repo_type="dataset")


def test_every_broken_rule_is_reported(api: HfApi) -> None:
    readme = "---\nlicense: other\nconfigs:\n- data_files: data/*.csv\n---\n"
    with pytest.raises(ValueError) as raised:
        commit_readme(api, readme)
    lines = str(raised.value).splitlines()
    assert lines[0] == "Invalid metadata in README.md."
    assert lines[1:] == [
        '- "license_name" is required',
        '- "license_link" is required',
        '- "configs[0].config_name" is required',
    ]


def test_dataset_configs_rules_do_not_apply_to_a_model_card(api: HfApi) -> None:
    readme = "---\nlicense: mit\nconfigs:\n- data_files: data/*.csv\n---\n"
    with pytest.raises(ValueError, match='"configs\\[0\\].config_name" is required'):
        commit_readme(api, readme, repo_type="dataset")
    oid = commit_readme(api, readme, repo_type="model")
    assert api.model_info(REPO_ID, revision=oid).card_data["configs"] == [{"data_files": "data/*.csv"}]


def test_a_commit_that_skips_validate_yaml_is_refused_too(api: HfApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    monkeypatch.setattr(api, "_validate_yaml", lambda *args, **kwargs: None)
    with pytest.raises(BadRequestError, match='"license" must be one of'):
        commit_readme(api, "---\nlicense: CC-BY-4.0\n---\n")
    assert "README.md" not in api.list_repo_files(REPO_ID, repo_type="dataset")


def test_validate_yaml_answers_the_hub_shaped_errors(hub: HubServer) -> None:
    body = json.dumps({"content": "---\nlicense: gpl-2.0-or-later\n---\n", "repoType": "dataset"}).encode()
    status, _, answer = call("POST", f"{hub.url}/api/validate-yaml", body, {"Content-Type": "application/json"})
    assert status == 400
    errors = json.loads(answer)["errors"]
    assert len(errors) == 1
    assert errors[0]["message"].startswith('"license" must be one of [apache-2.0, mit, openrail,')
    assert errors[0]["message"].endswith(", unknown, other, array]")


def test_dataset_card_validate_asks_the_hub(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)  # `RepoCard.validate` reads the endpoint at call time
    DatasetCard(VALID_CARDS["license other, named and linked"]).validate()
    with pytest.raises(ValueError, match='- Error: "license" must be one of') as raised:
        DatasetCard("---\nlicense: CC-BY-4.0\n---\n# Data\n").validate()
    assert "- Error: " in str(raised.value).splitlines()[0]


def test_dataset_card_push_to_hub_refuses_an_invalid_card(hub: HubServer, tmp_path: Path) -> None:
    code = f"""
import json
from huggingface_hub import DatasetCard, HfApi
HfApi().create_repo({REPO_ID!r}, repo_type="dataset")
try:
    DatasetCard("---\\nlicense: other\\nlicense_name: my-license\\n---\\n").push_to_hub({REPO_ID!r})
    refused = ""
except ValueError as error:
    refused = str(error)
DatasetCard("---\\nlicense: cc-by-4.0\\n---\\n# Data\\n").push_to_hub({REPO_ID!r})
print(json.dumps({{"refused": refused, "license": HfApi().dataset_info({REPO_ID!r}).card_data["license"]}}))
"""
    result = run_client(code, hub, tmp_path / "home", disable_xet=True)
    assert '- Error: "license_link" is required' in result["refused"]
    assert result["license"] == "cc-by-4.0"
