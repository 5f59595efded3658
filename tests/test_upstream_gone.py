"""Upstream gone, through the main command on the loopback Hub and a real HTTP server: a 404 once is recorded and
flagged, and nothing on the Hub changes (the tag still verifies); a 503 is an error that never counts; the same
gone answer on the policy's consecutive checks spanning a day applies the after-publishing policy (a license notice
for CC-BY-4.0); a steward's confirmation applies it at once (a withdrawal for a license outside the notice
families); the upstream back with the same bytes restores main, once."""

from __future__ import annotations

import contextlib
import http.server
import io
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import DatasetCard, HfApi

from licenses import license_text, load_policy
from licenses.after_publishing import UpstreamGoneRule, gone_streak
from pipelines.local_services import environment
from pipelines.run import main as run_main
from pipelines.verify import main as verify_main

ROWS = b"id,count\n1,10\n2,20\n3,30\n"


class Upstream(http.server.ThreadingHTTPServer):
    """A site serving /data/counts.csv and its LICENSE; `status` makes the data answer that instead."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), UpstreamHandler)
        self.status = 200
        self.license = license_text("CC-BY-4.0").encode()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def data_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/data/counts.csv"


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    server: Upstream

    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path == "/data/counts.csv":
            body = ROWS if self.server.status == 200 else b"gone"
            self.answer(self.server.status, body, "text/csv" if self.server.status == 200 else "text/plain")
        elif self.path == "/data/LICENSE" and self.server.status == 200:
            self.answer(200, self.server.license, "text/plain")
        else:
            self.answer(404, b"", "text/plain")

    def answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(root: Path, namespace: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with environment(CATALOG_PATH=str(root / "catalog.yaml"), WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
                     HUB_NAMESPACE=namespace), contextlib.redirect_stdout(out):
        exit_code = run_main(list(args))
    return exit_code, out.getvalue()


def query(root: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def line(output: str, dataset_id: str) -> str:
    [found] = [row for row in output.splitlines() if row.startswith(dataset_id + " ")]
    return found


def main_commits(repo_id: str) -> list[str]:
    return [commit.commit_id for commit in HfApi().list_repo_commits(repo_id, repo_type="dataset")]


@pytest.fixture(scope="module")
def gone(tmp_path_factory):
    root = tmp_path_factory.mktemp("upstream-gone")
    upstream = Upstream()
    data = root / "data"
    data.mkdir()
    (data / "counts.csv").write_bytes(ROWS)
    (data / "LICENSE").write_text(license_text("CDLA-Permissive-2.0"))
    common = {"format": "csv", "citation": "Bird counts, Bird Count Society, 2026.", "key_columns": ["id"]}
    (root / "catalog.yaml").write_text(yaml.safe_dump({"allow_private_network": True, "datasets": [
        {"id": "counts-http", "title": "Bird counts over HTTP", **common,
         "source": {"kind": "http", "url": upstream.data_url}},
        {"id": "counts-file", "title": "Bird counts from a file", **common,
         "source": {"kind": "file", "path": "data/counts.csv"}}]}))
    namespace = f"gone-{uuid.uuid4().hex[:8]}"
    state = {"root": root, "namespace": namespace, "upstream": upstream, "first": run(root, namespace)}
    state["tags"] = dict(query(root, "SELECT dataset_id, published_tag FROM governance.snapshots"
                                     " WHERE published_tag IS NOT NULL"))
    state["commits"] = main_commits(f"{namespace}/counts-http")
    upstream.status = 404
    (data / "counts.csv").unlink()
    state["once"] = run(root, namespace)
    state["commits_after_once"] = main_commits(f"{namespace}/counts-http")
    yield state
    upstream.shutdown()
    upstream.server_close()


def test_both_are_published_first(gone):
    exit_code, out = gone["first"]
    assert exit_code == 0, out
    assert set(gone["tags"]) == {"counts-http", "counts-file"}


def test_a_404_once_is_flagged_and_changes_nothing_and_the_tag_still_verifies(gone, capsys):
    exit_code, out = gone["once"]
    assert exit_code == 1
    said = line(out, "counts-http")
    assert "FAILED: counts-http: upstream gone (HTTP 404 Not Found fetching http://" in said
    assert "1 of 3 consecutive checks over 0.0 of 24 hours; nothing changed on the Hub" in said
    assert "source file not found" in line(out, "counts-file")
    assert gone["commits_after_once"] == gone["commits"]
    assert query(gone["root"], "SELECT count(*) FROM governance.withdrawals")[0][0] == 0
    [(status, answer)] = query(gone["root"], "SELECT status, answer FROM governance.upstream_checks"
                                             " WHERE dataset_id = 'counts-http'")
    assert (status, answer) == (404, "gone")
    capsys.readouterr()
    assert verify_main([f"{gone['namespace']}/counts-http", "--revision", gone["tags"]["counts-http"]]) == 0


def test_a_server_error_is_recorded_and_never_counts(gone):
    gone["upstream"].status = 503
    exit_code, out = run(gone["root"], gone["namespace"], "--dataset", "counts-http")
    assert exit_code == 1 and "HTTP 503" in line(out, "counts-http") and "upstream gone" not in line(out, "counts-http")
    assert query(gone["root"], "SELECT answer FROM governance.upstream_checks WHERE dataset_id = 'counts-http'"
                               " ORDER BY checked_at DESC LIMIT 1") == [("error",)]
    assert main_commits(f"{gone['namespace']}/counts-http") == gone["commits"]


def test_the_same_answer_on_three_checks_spanning_a_day_applies_the_policy(gone, capsys):
    root, repo_id = gone["root"], f"{gone['namespace']}/counts-http"
    source_key, = query(root, "SELECT source_key FROM governance.upstream_checks WHERE dataset_id = 'counts-http'")[0]
    now = datetime.now(timezone.utc)
    with duckdb.connect(str(root / "warehouse.duckdb")) as connection:  # two earlier looks, a day and more ago
        for hours in (30, 27):
            connection.execute("INSERT INTO governance.upstream_checks VALUES (?, ?, ?, 404, 'gone', ?, 'earlier')",
                               ["counts-http", source_key, now - timedelta(hours=hours), "HTTP 404 Not Found"])
    gone["upstream"].status = 404
    exit_code, out = run(root, gone["namespace"], "--dataset", "counts-http")
    said = line(out, "counts-http")
    assert exit_code == 1 and "4 of 3 consecutive checks over 30.0 of 24 hours, confirmed by the policy's checks" \
        in said and f"license notice added on {repo_id} main" in said, said
    assert len(main_commits(repo_id)) == len(gone["commits"]) + 1
    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.text.lstrip().startswith("## License notice") and "the upstream source is gone" in card.text
    cause, decided_by = query(root, "SELECT cause, decided_by FROM governance.withdrawals"
                                    " WHERE dataset_id = 'counts-http'")[0]
    assert cause == "upstream_gone" and decided_by.startswith("upstream checks (4 of 3")
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", gone["tags"]["counts-http"]]) == 0
    assert "NOTICE: license notice since" in capsys.readouterr().out
    # The next look finds it gone again: the notice stands, no second commit.
    run(root, gone["namespace"], "--dataset", "counts-http")
    assert len(main_commits(repo_id)) == len(gone["commits"]) + 1


def test_a_stewards_confirmation_applies_the_policy_at_once(gone, capsys):
    root, repo_id = gone["root"], f"{gone['namespace']}/counts-file"
    exit_code, out = run(root, gone["namespace"], "--dataset", "counts-file", "--confirm-upstream-gone", "Ada")
    said = line(out, "counts-file")
    assert exit_code == 1 and "2 of 3 consecutive checks" in said and "confirmed by steward Ada" in said
    assert f"withdrawn from {repo_id} main" in said, said
    assert set(HfApi().list_repo_files(repo_id, repo_type="dataset")) == {"README.md", "status.json",
                                                                           ".gitattributes"}
    decided_by, = query(root, "SELECT decided_by FROM governance.withdrawals WHERE dataset_id = 'counts-file'")[0]
    assert decided_by.startswith("steward Ada; policy default (CDLA-Permissive-2.0: no listed family -> withdraw)")
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", gone["tags"]["counts-file"]]) == 1
    assert "withdrawn on" in capsys.readouterr().err


def test_the_upstream_back_with_the_same_bytes_restores_main_once(gone, capsys):
    root, repo_id, tag = gone["root"], f"{gone['namespace']}/counts-file", gone["tags"]["counts-file"]
    (root / "data" / "counts.csv").write_bytes(ROWS)  # withdrawn by the steward's confirmation above
    exit_code, out = run(root, gone["namespace"], "--dataset", "counts-file")
    assert exit_code == 0 and f"published {repo_id}@{tag}; main restored since " in line(out, "counts-file"), out
    assert "the upstream answers again with the same data" in out
    assert set(HfApi().list_repo_files(repo_id, repo_type="dataset")) == set(
        HfApi().list_repo_files(repo_id, repo_type="dataset", revision=tag)) | {"status.json"}
    assert query(root, "SELECT action, cause FROM governance.withdrawals WHERE dataset_id = 'counts-file'"
                       " ORDER BY recorded_at") == [("withdraw", "upstream_gone"), ("restore", "upstream_gone")]
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", tag]) == 0
    assert "; restored on main on " in capsys.readouterr().out
    commits = main_commits(repo_id)
    assert run(root, gone["namespace"], "--dataset", "counts-file")[0] == 0
    assert main_commits(repo_id) == commits


def test_a_confirmation_names_a_steward():
    with pytest.raises(SystemExit):
        run_main(["--confirm-upstream-gone", "Ada"])  # without --dataset


def test_errors_are_skipped_a_present_answer_resets_and_the_span_must_be_reached():
    rule = load_policy().after_publishing.upstream_gone
    assert rule == UpstreamGoneRule(checks=3, min_span_hours=24)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    at = [start + timedelta(hours=hours) for hours in (0, 10, 20, 30)]
    assert gone_streak(rule, [(at[0], "gone"), (at[1], "error"), (at[2], "gone"), (at[3], "gone")]).confirmed
    assert not gone_streak(rule, [(at[0], "gone"), (at[1], "present"), (at[2], "gone"), (at[3], "gone")]).confirmed
    short = gone_streak(rule, [(at[1], "gone"), (at[2], "gone"), (at[3], "gone")])
    assert (short.count, short.confirmed) == (3, False)  # 20 hours only
