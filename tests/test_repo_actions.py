"""Acting on a published repo after publishing (assets/repo_actions.py) and what a consumer's verify reads of it:
a license notice keeps the data and is printed; a withdrawal removes the data from main and fails verify; a tag
purged by a takedown fails verify naming the request and the snapshot to use instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import DatasetCard, HfApi, hf_hub_download

from assets.publication_status import PublicationAction, recorded_actions, status_document
from assets.repo_actions import action_card, commit_action, current_card
from assets.warehouse import Warehouse
from pipelines.local_services import environment
from pipelines.verify import main as verify_main
from tests.fixture_dataset import publish_cc_by_csv



@pytest.fixture
def published(tmp_path) -> dict:
    """A CC-BY-4.0 dataset published once by the main command."""
    published = publish_cc_by_csv(tmp_path, "counts", "id,count\n1,10\n2,20\n3,30\n",
                                  "Copyright 2022 Bird Count Society.\nCounts by the Bird Count Society.\n")
    with environment(**published["env"]):
        yield {**published, "warehouse": Warehouse(path=published["env"]["WAREHOUSE_PATH"])}


def action(published: dict, kind: str, **fields) -> PublicationAction:
    return PublicationAction(dataset_id="counts", repo_id=published["repo_id"], action=kind, cause="license_change",
                             reason="the upstream license became CC-BY-NC-4.0", decided_by="policy default",
                             **fields)


def apply(published: dict, pending: PublicationAction, remove_data: bool) -> str:
    api = HfApi()
    card = action_card(current_card(api, published["repo_id"]), pending, "Bird counts (fixture)")
    return commit_action(api, published["warehouse"], pending, card, remove_data=remove_data, run_id="run-test")


def main_files(repo_id: str) -> set[str]:
    return set(HfApi().list_repo_files(repo_id, repo_type="dataset"))


def test_a_notice_keeps_the_data_puts_the_notice_on_the_card_and_verify_prints_it(published, capsys):
    repo_id, tag = published["repo_id"], published["tag"]
    before = main_files(repo_id)
    commit = apply(published, action(published, "notice", license_now="CC-BY-NC-4.0", tags={tag: "CC-BY-4.0"}),
                   remove_data=False)
    assert main_files(repo_id) == before | {"status.json"}
    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.data.license == "cc-by-4.0"  # what main holds is still licensed as it was published
    assert card.text.lstrip().startswith("## License notice")
    assert f"`{tag}`: CC-BY-4.0" in card.text and "**CC-BY-NC-4.0**" in card.text
    status = json.loads(Path(hf_hub_download(repo_id, "status.json", repo_type="dataset")).read_text())
    assert status["status"] == "license_notice" and status["events"][0]["tags"] == {tag: "CC-BY-4.0"}
    assert recorded_actions(published["warehouse"], "counts")[0].action == "notice"
    assert published["warehouse"].fetch_one("SELECT commit_oid FROM governance.withdrawals")["commit_oid"] == commit
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 0
    out = capsys.readouterr().out
    assert "NOTICE: license notice since" in out and "the license is now CC-BY-NC-4.0" in out
    assert "published under CC-BY-4.0" in out
    # A second notice replaces the first on the card instead of stacking.
    apply(published, action(published, "notice", license_now="CC-BY-NC-SA-4.0", tags={tag: "CC-BY-4.0"}),
          remove_data=False)
    text = DatasetCard.load(repo_id, repo_type="dataset").text
    assert text.count("## License notice") == 1 and "CC-BY-NC-SA-4.0" in text


def test_a_withdrawal_removes_the_data_from_main_keeps_the_tag_and_fails_verify(published, capsys):
    repo_id, tag = published["repo_id"], published["tag"]
    apply(published, action(published, "withdraw", license_now="LicenseRef-proprietary", tags={tag: "CC-BY-4.0"}),
          remove_data=True)
    assert main_files(repo_id) == {"README.md", "status.json", ".gitattributes"}
    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.data.tags == ["withdrawn"] and "## Withdrawn" in card.text
    tag_files = set(HfApi().list_repo_files(repo_id, repo_type="dataset", revision=tag))
    assert any(path.endswith(".parquet") for path in tag_files)  # kept for the record
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 1
    err = capsys.readouterr().err
    assert "withdrawn on" in err and "the upstream license became CC-BY-NC-4.0" in err
    assert "decided by policy default" in err


def test_a_purged_tag_fails_verify_naming_the_request_and_the_snapshot_to_use(published, capsys):
    repo_id, tag = published["repo_id"], published["tag"]
    HfApi().delete_tag(repo_id, tag=tag, repo_type="dataset")
    apply(published, PublicationAction(
        dataset_id="counts", repo_id=repo_id, action="purge", cause="takedown", reason="rows removed on request",
        decided_by="takedown TD-7", removed_tags=[tag], requests=["TD-7"], use_instead="counts-next"),
        remove_data=False)
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 1
    err = capsys.readouterr().err
    assert "takedown request(s) TD-7" in err and "use counts-next instead" in err


def test_a_publish_after_an_action_makes_the_repo_published_again_and_keeps_the_events(published):
    notice = action(published, "notice", license_now="CC-BY-NC-4.0", tags={published["tag"]: "CC-BY-4.0"})
    apply(published, notice, remove_data=False)
    actions = recorded_actions(published["warehouse"], "counts")
    later = actions[0].recorded_at.replace(year=actions[0].recorded_at.year + 1)
    document = status_document(actions, published=("counts-new", later))
    assert document["status"] == "published" and document["current_tag"] == "counts-new"
    assert [event["action"] for event in document["events"]] == ["notice"]
    earlier = actions[0].recorded_at.replace(year=actions[0].recorded_at.year - 1)
    assert status_document(actions, published=("counts-old", earlier))["status"] == "license_notice"
