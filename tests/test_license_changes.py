"""License changes after publishing, through the main command on the loopback Hub: an upstream's LICENSE turns from
CC-BY-4.0 to CC-BY-NC-4.0 over unchanged data bytes. The next run decides again (a new decision, a new snapshot),
publishes nothing new, and acts on what was published as the dataset's policy says: a license notice on the card
(the default for Creative Commons) or the data withdrawn from main (a policy that withdraws); tags stay, `verify` of
the old tag says which. A later run does not act again. When the license changes back over the same bytes, the
decision is publish again for the very snapshot tagged: main is restored to it, once."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import DatasetCard, HfApi, hf_hub_download

import licenses.policy
from licenses import PolicyError, license_text, load_policy
from licenses.after_publishing import action_for, after_publishing_rules, license_family
from pipelines.local_services import environment
from pipelines.run import main as run_main
from pipelines.verify import main as verify_main

ROWS = "id,count\n1,10\n2,20\n3,30\n"
DATASETS = {"counts-notice": "default", "counts-withdraw": "withdraw"}


def withdraw_policy(policies: Path) -> None:
    """The default policy, except that every license family is withdrawn after a license change."""
    raw = yaml.safe_load((policies / "default.yaml").read_text())
    raw["name"] = "withdraw"
    raw["after_publishing"]["on_license_change"] = {
        "default": "withdraw", "families": {"creative-commons": "withdraw", "odc": "withdraw", "osi": "withdraw"}}
    (policies / "withdraw.yaml").write_text(yaml.safe_dump(raw))


def run(root: Path, namespace: str) -> tuple[int, str]:
    out = io.StringIO()
    with environment(CATALOG_PATH=str(root / "catalog.yaml"), WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
                     HUB_NAMESPACE=namespace), contextlib.redirect_stdout(out):
        exit_code = run_main([])
    return exit_code, out.getvalue()


def query(root: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def main_commits(repo_id: str) -> list[str]:
    return [commit.commit_id for commit in HfApi().list_repo_commits(repo_id, repo_type="dataset")]


def bird_counts_catalog(root: Path, datasets: dict[str, str]) -> Path:
    """A catalog of CC-BY-4.0 bird counts, one entry per dataset id under its policy (the bundled policies plus
    `withdraw`); returns the policies folder."""
    policies = root / "policies"
    shutil.copytree(licenses.policy.POLICY_DIR, policies)
    withdraw_policy(policies)
    entries = []
    for dataset_id, policy in datasets.items():
        folder = root / "data" / dataset_id
        folder.mkdir(parents=True)
        (folder / "counts.csv").write_text(ROWS)
        (folder / "LICENSE").write_text(license_text("CC-BY-4.0"))
        entries.append({"id": dataset_id, "title": f"Bird counts ({policy})", "format": "csv", "policy": policy,
                        "citation": "Bird counts, Bird Count Society, 2026.", "key_columns": ["id"],
                        "source": {"kind": "file", "path": f"data/{dataset_id}/counts.csv"}})
    (root / "catalog.yaml").write_text(yaml.safe_dump({"datasets": entries}))
    return policies


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    root = tmp_path_factory.mktemp("license-changes")
    policies = bird_counts_catalog(root, DATASETS)
    namespace = f"lic-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(licenses.policy, "POLICY_DIR", policies)
        first = run(root, namespace)
        tags = {dataset_id: tag for dataset_id, tag in query(
            root, "SELECT dataset_id, published_tag FROM governance.snapshots WHERE published_tag IS NOT NULL")}
        commits = {dataset_id: main_commits(f"{namespace}/{dataset_id}") for dataset_id in DATASETS}
        for dataset_id in DATASETS:  # the data stays byte for byte; only the license beside it changes
            (root / "data" / dataset_id / "LICENSE").write_text(license_text("CC-BY-NC-4.0"))
        second = run(root, namespace)
        after_second = {dataset_id: main_commits(f"{namespace}/{dataset_id}") for dataset_id in DATASETS}
        third = run(root, namespace)
        yield {"root": root, "namespace": namespace, "first": first, "second": second, "third": third,
               "tags": tags, "commits": commits, "after_second": after_second}


def line(output: str, dataset_id: str) -> str:
    [found] = [row for row in output.splitlines() if row.startswith(dataset_id + " ")]
    return found


def test_both_are_published_under_cc_by_first(changed):
    exit_code, out = changed["first"]
    assert exit_code == 0, out
    assert set(changed["tags"]) == set(DATASETS)


def test_a_changed_license_over_unchanged_bytes_is_a_new_decision_and_a_new_snapshot(changed):
    root = changed["root"]
    for dataset_id in DATASETS:
        sha256s = {row[0] for row in query(root, "SELECT raw_sha256 FROM governance.sources WHERE dataset_id = ?",
                                           [dataset_id])}
        assert len(sha256s) == 1  # the same data bytes on every run
        decision, spdx = query(root, "SELECT decision, license_spdx FROM governance.datasets WHERE dataset_id = ?",
                               [dataset_id])[0]
        assert (decision, spdx) == ("blocked", "CC-BY-NC-4.0")
        snapshots = query(root, "SELECT snapshot_id, published_tag FROM governance.snapshots WHERE dataset_id = ?"
                                " ORDER BY created_at", [dataset_id])
        assert len(snapshots) == 2 and snapshots[0][1] == changed["tags"][dataset_id] and snapshots[1][1] is None
    assert HfApi().list_repo_refs(f"{changed['namespace']}/counts-notice", repo_type="dataset").tags[0].name \
        == changed["tags"]["counts-notice"]  # nothing new published: still the one tag


def test_a_notice_policy_puts_the_new_license_on_the_card_and_verify_of_the_old_tag_prints_it(changed, capsys):
    repo_id, tag = f"{changed['namespace']}/counts-notice", changed["tags"]["counts-notice"]
    files = set(HfApi().list_repo_files(repo_id, repo_type="dataset"))
    assert any(path.endswith(".parquet") for path in files) and "status.json" in files  # the data stays on main
    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.text.lstrip().startswith("## License notice")
    assert "**CC-BY-NC-4.0**" in card.text and f"`{tag}`: CC-BY-4.0" in card.text
    assert "license notice added on" in line(changed["second"][1], "counts-notice")
    action, cause, decided_by, license_now = query(
        changed["root"], "SELECT action, cause, decided_by, license_now FROM governance.withdrawals"
                         " WHERE dataset_id = 'counts-notice'")[0]
    assert (action, cause, license_now) == ("notice", "license_change", "CC-BY-NC-4.0")
    assert "policy default (CC-BY-4.0: creative-commons -> notice)" in decided_by
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 0
    out = capsys.readouterr().out
    assert "NOTICE: license notice since" in out and "the license is now CC-BY-NC-4.0" in out


def test_a_withdraw_policy_removes_the_data_from_main_keeps_the_tag_and_verify_says_withdrawn(changed, capsys):
    repo_id, tag = f"{changed['namespace']}/counts-withdraw", changed["tags"]["counts-withdraw"]
    assert set(HfApi().list_repo_files(repo_id, repo_type="dataset")) == {"README.md", "status.json",
                                                                           ".gitattributes"}
    assert any(path.endswith(".parquet") for path in HfApi().list_repo_files(repo_id, repo_type="dataset",
                                                                             revision=tag))
    assert "## Withdrawn" in DatasetCard.load(repo_id, repo_type="dataset").text
    said = line(changed["second"][1], "counts-withdraw")
    assert "not published: " in said and f"withdrawn from {repo_id} main" in said and "published " + repo_id \
        not in said
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 1
    err = capsys.readouterr().err
    assert "withdrawn on" in err and "CC-BY-NC-4.0" in err


def test_each_action_is_one_commit_and_a_later_run_does_not_act_again(changed):
    for dataset_id in DATASETS:
        before, after = changed["commits"][dataset_id], changed["after_second"][dataset_id]
        assert len(after) == len(before) + 1
        assert main_commits(f"{changed['namespace']}/{dataset_id}") == after
    assert query(changed["root"], "SELECT count(*) FROM governance.withdrawals")[0][0] == 2
    assert "withdrawn from" in line(changed["third"][1], "counts-withdraw")  # still said, not done again


# The policy data alone.

def test_the_licenses_the_tags_went_out_under_choose_and_any_withdraw_wins():
    rules = load_policy().after_publishing
    assert [license_family(spdx) for spdx in ("CC0-1.0", "ODbL-1.0", "MIT", "BUSL-1.1", None)] == [
        "creative-commons", "odc", "osi", None, None]
    assert action_for(rules, ["CC-BY-4.0", "ODbL-1.0"], "default").action == "notice"
    assert action_for(rules, ["CC-BY-4.0", "BUSL-1.1"], "default").action == "withdraw"
    assert action_for(rules, ["CC-BY-4.0 AND LicenseRef-custom"], "default").action == "withdraw"
    assert action_for(rules, ["unknown license"], "default").action == "withdraw"


def test_a_policy_file_with_an_unknown_action_is_refused_naming_it(tmp_path):
    raw = yaml.safe_load((licenses.policy.POLICY_DIR / "default.yaml").read_text())
    raw["after_publishing"]["on_license_change"]["families"]["osi"] = "delete"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(PolicyError, match="policy bad.yaml: on_license_change takes notice or withdraw, not osi: "
                                          "delete"):
        load_policy(str(tmp_path / "bad.yaml"))
    assert after_publishing_rules(None, "x").upstream_gone.checks == 3
    assert json.dumps(after_publishing_rules({"upstream_gone": {"checks": 2, "min_span_hours": 6}}, "x")
                      .upstream_gone.__dict__) == '{"checks": 2, "min_span_hours": 6.0}'


# The license returns: CC-BY-4.0, then CC-BY-NC-4.0, then CC-BY-4.0 again.

RETURNS = {"back-notice": "default", "back-withdraw": "withdraw", "back-changed": "withdraw"}


@pytest.fixture(scope="module")
def returned(tmp_path_factory):
    """Over unchanged bytes the decision is publish again for the very snapshot already tagged; `back-changed`
    comes back with new rows too, a new snapshot."""
    root = tmp_path_factory.mktemp("license-returns")
    policies = bird_counts_catalog(root, RETURNS)
    namespace = f"back-{uuid.uuid4().hex[:8]}"
    commits = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(licenses.policy, "POLICY_DIR", policies)
        assert run(root, namespace)[0] == 0
        tags = {dataset_id: tag for dataset_id, tag in query(
            root, "SELECT dataset_id, published_tag FROM governance.snapshots WHERE published_tag IS NOT NULL")}
        for dataset_id in RETURNS:
            (root / "data" / dataset_id / "LICENSE").write_text(license_text("CC-BY-NC-4.0"))
        run(root, namespace)
        commits["acted"] = {dataset_id: main_commits(f"{namespace}/{dataset_id}") for dataset_id in RETURNS}
        for dataset_id in RETURNS:
            (root / "data" / dataset_id / "LICENSE").write_text(license_text("CC-BY-4.0"))
        (root / "data" / "back-changed" / "counts.csv").write_text(ROWS + "4,40\n")
        back = run(root, namespace)
        commits["back"] = {dataset_id: main_commits(f"{namespace}/{dataset_id}") for dataset_id in RETURNS}
        again = run(root, namespace)
        yield {"root": root, "namespace": namespace, "tags": tags, "commits": commits, "back": back,
               "again": again}


def repo_file(repo_id: str, path: str, revision: str = "main") -> bytes:
    return Path(hf_hub_download(repo_id, path, repo_type="dataset", revision=revision)).read_bytes()


def tag_files(repo_id: str, revision: str) -> dict[str, str]:
    """path -> the Hub's content id (the LFS sha256, else the git blob id) of every file at the revision."""
    files = HfApi().list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True)
    return {item.path: item.lfs.sha256 if item.lfs else item.blob_id for item in files
            if hasattr(item, "blob_id") and item.path not in ("status.json", ".gitattributes")}


@pytest.mark.parametrize("dataset_id", ["back-withdraw", "back-notice"])
def test_the_license_back_over_the_same_bytes_restores_the_tagged_release_on_main_once(returned, dataset_id, capsys):
    root, repo_id, tag = returned["root"], f"{returned['namespace']}/{dataset_id}", returned["tags"][dataset_id]
    exit_code, out = returned["back"]
    assert exit_code == 0, out
    said = line(out, dataset_id)
    assert f"published {repo_id}@{tag}; main restored since " in said and "publish again" in said
    assert f"  {dataset_id}: unchanged since" not in out  # main moved: not "nothing republished"
    assert [row[0] for row in query(root, "SELECT snapshot_id FROM governance.snapshots WHERE dataset_id = ?"
                                          " AND published_tag IS NOT NULL", [dataset_id])] == [tag]
    # One commit on main puts back what the tag holds: the data, the records and the card as published.
    assert len(returned["commits"]["back"][dataset_id]) == len(returned["commits"]["acted"][dataset_id]) + 1
    assert tag_files(repo_id, "main") == tag_files(repo_id, tag)
    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.data.license == "cc-by-4.0" and "withdrawn" not in card.data.tags
    assert "## Withdrawn" not in card.text and "## License notice" not in card.text
    status = json.loads(repo_file(repo_id, "status.json"))
    assert (status["status"], status["current_tag"]) == ("published", tag)
    acted, restored = status["events"]
    assert restored["action"] == "restore" and restored["cause"] == "license_change"
    assert restored["tags"] == {tag: "CC-BY-4.0"} and restored["license_now"] == "CC-BY-4.0"
    assert "publish again" in restored["reason"]
    [(action, commit)] = query(root, "SELECT action, commit_oid FROM governance.withdrawals WHERE dataset_id = ?"
                                     " AND action = 'restore'", [dataset_id])
    assert commit == returned["commits"]["back"][dataset_id][0]
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 0
    out = capsys.readouterr().out
    said = {"back-withdraw": "withdrawn", "back-notice": "license notice"}[dataset_id]
    assert f"NOTICE: {said} on {acted['since']}" in out and f"restored on main on {restored['since']}" in out
    assert "the license is now CC-BY-NC-4.0" not in out
    # A later run finds main holding the release: no commit, nothing recorded again.
    assert main_commits(repo_id) == returned["commits"]["back"][dataset_id]
    assert line(returned["again"][1], dataset_id).endswith(f"published {repo_id}@{tag}")
    assert query(root, "SELECT count(*) FROM governance.withdrawals WHERE dataset_id = ?", [dataset_id])[0][0] == 2


def test_a_new_snapshot_published_after_a_withdrawal_is_current_on_main(returned, capsys):
    root, repo_id, old_tag = returned["root"], f"{returned['namespace']}/back-changed", returned["tags"]["back-changed"]
    [new_tag] = [row[0] for row in query(root, "SELECT published_tag FROM governance.snapshots WHERE dataset_id ="
                                               " 'back-changed' AND published_tag IS NOT NULL AND published_tag != ?",
                                         [old_tag])]
    assert tag_files(repo_id, "main") == tag_files(repo_id, new_tag)
    status = json.loads(repo_file(repo_id, "status.json"))
    assert (status["status"], status["current_tag"]) == ("published", new_tag)
    assert [event["action"] for event in status["events"]] == ["withdraw"]  # nothing restored: a new release
    assert "## Withdrawn" not in DatasetCard.load(repo_id, repo_type="dataset").text
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", new_tag]) == 0
    assert main_commits(repo_id) == returned["commits"]["back"]["back-changed"]
