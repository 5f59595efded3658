"""status.json: what became of a dataset's published snapshots, rendered from governance.withdrawals."""

import json

import pytest

from assets.publication_status import PublicationAction, record_action, recorded_actions, status_bytes, \
    status_document
from assets.warehouse import Warehouse


def action(kind: str, **fields) -> PublicationAction:
    return PublicationAction(dataset_id="penguins", repo_id="org/penguins", action=kind, cause="license_change",
                             reason="the upstream license became CC-BY-NC-4.0", decided_by="policy default",
                             **fields)


def test_nothing_after_publishing_means_no_status_file():
    assert status_document([]) is None


def test_the_last_action_on_the_whole_repo_is_its_state_and_every_event_is_listed(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    record_action(warehouse, action("notice", license_now="CC-BY-NC-4.0", tags={"penguins-1": "CC-BY-4.0"}),
                  "c1", "run-1")
    record_action(warehouse, action("purge", removed_tags=["penguins-1"], requests=["TD-1"],
                                    use_instead="penguins-2"), "c2", "run-2")
    document = json.loads(status_bytes(status_document(recorded_actions(warehouse, "penguins"))))
    assert document["status"] == "license_notice"
    assert [event["action"] for event in document["events"]] == ["notice", "purge"]
    assert document["events"][0]["tags"] == {"penguins-1": "CC-BY-4.0"}
    assert document["events"][1] | {"since": None} == {
        "action": "purge", "cause": "license_change", "since": None, "reason": "the upstream license became "
        "CC-BY-NC-4.0", "decided_by": "policy default", "license_now": None, "tags": {},
        "removed_tags": ["penguins-1"], "requests": ["TD-1"], "use_instead": "penguins-2"}
    pending = status_document(recorded_actions(warehouse, "penguins"), action("withdraw"))
    assert pending["status"] == "withdrawn" and len(pending["events"]) == 3


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown publication action 'hide'"):
        action("hide")


def test_a_restore_makes_the_repo_published_with_the_restored_tag_current_and_verify_says_what_it_lifted(tmp_path):
    from pipelines.verify import status_verdict

    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    record_action(warehouse, action("withdraw", license_now="CC-BY-NC-4.0",
                                    tags={"penguins-1": "CC-BY-4.0", "penguins-2": "CC-BY-4.0"}), "c1", "run-1")
    restore = action("restore", license_now="CC-BY-4.0", tags={"penguins-1": "CC-BY-4.0"})
    withdrawn = recorded_actions(warehouse, "penguins")[0]
    # penguins-2 was published last, before the withdrawal; the decision came back for penguins-1's bytes.
    document = status_document([withdrawn], restore, published=("penguins-2", withdrawn.recorded_at.replace(
        year=withdrawn.recorded_at.year - 1)))
    assert (document["status"], document["current_tag"]) == ("published", "penguins-1")
    refusals, notices = status_verdict(document, "penguins-1")
    [notice] = notices
    assert refusals == [] and notice.startswith("withdrawn on ") and "; restored on main on " in notice
    # A notice after the restore is in force again, the one before it stays lifted.
    renoticed = status_document([withdrawn, restore], action("notice", license_now="CC-BY-NC-4.0",
                                                             tags={"penguins-1": "CC-BY-4.0"}))
    refusals, notices = status_verdict(renoticed, "penguins-1")
    assert renoticed["status"] == "license_notice" and refusals == []
    assert "restored on main" in notices[0] and notices[1].startswith("license notice since ")
    withdrawn_again = status_document([withdrawn, restore], action("withdraw", tags={"penguins-1": "CC-BY-4.0"}))
    assert status_verdict(withdrawn_again, "penguins-1")[0][0].startswith("withdrawn on ")
