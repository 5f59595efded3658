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
