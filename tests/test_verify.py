"""The consumer's verify command on a snapshot published by the real pipeline: it passes and prints the license,
its obligations and commercial use; it fails non-zero, naming the file, when the data at a revision was tampered
with on the Hub, when a local download was corrupted, or when a file no record vouches for was slipped in."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import CommitOperationAdd, HfApi, close_session, hf_hub_download

from assets import DATA_FILE
from pipelines.verify import main as verify_main
from pipelines.verify import verify_files
from tests.conftest import WRITE_TOKEN
from tests.fixture_dataset import publish_cc_by_csv

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    """A CC-BY-4.0 CSV dataset with LICENSE and NOTICE, published once by the main command."""
    return publish_cc_by_csv(tmp_path_factory.mktemp("verify"), "counts", "id,count\n1,10\n2,20\n3,30\n",
                             "Copyright 2022 Bird Count Society.\nCounts by the Bird Count Society.\n",
                             title="Bird counts (fixture)")


def tag_a_change(repo_id: str, tag: str, operations: list) -> None:
    """Commit `operations` on top of main and tag the result, as someone tampering with the repo would."""
    api = HfApi()
    commit = api.create_commit(repo_id, operations, repo_type="dataset", commit_message="Tamper")
    api.create_tag(repo_id, tag=tag, revision=commit.oid, repo_type="dataset")


def other_parquet() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "count": [10, 20, 31]}), buffer)
    return buffer.getvalue()


def test_verify_passes_and_prints_license_obligations_and_commercial_use(published, capsys):
    assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 0
    out, err = capsys.readouterr()
    assert f"verified {published['repo_id']}@{published['tag']}" in out
    assert "5 file(s) match provenance.json and croissant.json" in out  # with spdx.json
    assert f"ok  {DATA_FILE}" in out
    assert "license: Creative Commons Attribution 4.0 International (SPDX CC-BY-4.0)" in out
    assert "commercial use allowed: yes" in out
    assert "  - credit the copyright holders" in out
    assert "source: counts.csv (a file on the publisher's machine; its location is not published)" in out
    assert "downloading" in err and "100%" in err  # the progress bar


def test_verify_fails_when_the_data_at_a_revision_was_changed_on_the_hub(published, capsys):
    tag_a_change(published["repo_id"], "tampered-data",
                 [CommitOperationAdd(path_in_repo=DATA_FILE, path_or_fileobj=other_parquet())])
    assert verify_main([published["repo_id"], "--revision", "tampered-data"]) == 1
    err = capsys.readouterr().err
    assert f"verification FAILED for {published['repo_id']}@tampered-data" in err
    assert f"{DATA_FILE}: sha256 " in err and "does not match provenance.json and croissant.json" in err


def test_verify_fails_when_a_file_no_record_vouches_for_was_added(published, capsys):
    tag_a_change(published["repo_id"], "extra-file",
                 [CommitOperationAdd(path_in_repo="data/extra.parquet", path_or_fileobj=other_parquet())])
    assert verify_main([published["repo_id"], "--revision", "extra-file"]) == 1
    assert "data/extra.parquet is in the snapshot but in neither" in capsys.readouterr().err


def test_verify_fails_when_the_local_download_is_corrupted(published, capsys):
    assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 0
    cached = Path(hf_hub_download(published["repo_id"], "NOTICE", repo_type="dataset",
                                  revision=published["tag"])).resolve()
    original = cached.read_bytes()
    cached.write_bytes(original.replace(b"Bird", b"Bat"))
    try:
        capsys.readouterr()
        assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 1
        assert "NOTICE: sha256 " in capsys.readouterr().err
    finally:
        cached.write_bytes(original)


def test_verify_says_an_unknown_revision_is_not_found_or_not_visible(published, capsys):
    assert verify_main([published["repo_id"], "--revision", "no-such-tag"]) == 1
    assert (f"cannot download it: revision no-such-tag of {published['repo_id']} not found or not visible with this "
            "token") in capsys.readouterr().err


@pytest.mark.parametrize("token", [WRITE_TOKEN, None], ids=["with a token (404)", "anonymous (401)"])
def test_verify_says_a_missing_repo_is_not_found_or_not_visible(published, capsys, monkeypatch, token):
    """The Hub answers 401 RepoNotFound for a repo that does not exist and for a private one: no token problem."""
    if token is None:
        monkeypatch.delenv("HF_TOKEN")
    repo_id = f"{published['repo_id']}-nothing-here"
    assert verify_main([repo_id, "--revision", published["tag"]]) == 1
    err = capsys.readouterr().err
    visible = "with this token" if token else "without a token"
    assert f"cannot download it: dataset repo {repo_id} not found or not visible {visible}" in err
    # the endpoint's port may contain the digits 401, so look for the status as a word
    assert not re.search(r"\b401\b|Unauthorized", err) and WRITE_TOKEN not in err


def test_verify_without_network_fails_in_one_line():
    """HF_ENDPOINT on a loopback port nothing listens on: connection refused."""
    with socket.socket() as closed:  # bound, never listening: every connection to it is refused
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
        result = subprocess.run([sys.executable, "-m", "pipelines.verify", "open-data/counts", "--revision", "v1"],
                                capture_output=True, text=True, env={**os.environ, "HF_ENDPOINT": endpoint},
                                cwd=PROJECT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"verification FAILED for open-data/counts@v1: cannot download it: cannot reach the Hub at {endpoint} "
        "(ConnectError: [Errno 111] Connection refused); check the network, or HF_ENDPOINT for another Hub"]
    assert WRITE_TOKEN not in result.stderr + result.stdout


def refuse_name_resolution(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def time_out(sock, address):
    raise TimeoutError("timed out")


@pytest.mark.parametrize("patch, cause", [
    (("getaddrinfo", refuse_name_resolution), "ConnectError: [Errno -2] Name or service not known"),
    (("connect", time_out), "ConnectTimeout: timed out"),
], ids=["DNS failure", "timeout"])
def test_verify_names_dns_failures_and_timeouts_in_one_line(published, capsys, monkeypatch, patch, cause, hub_url):
    name, replacement = patch
    close_session()  # no kept-alive connection to the Hub: the command must resolve and connect afresh
    monkeypatch.setattr(socket if name == "getaddrinfo" else socket.socket, name, replacement)
    try:
        assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 1
    finally:
        close_session()  # nor one opened under the patch for the next test
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"verification FAILED for {published['repo_id']}@{published['tag']}: cannot download it: cannot reach the "
        f"Hub at {hub_url} ({cause}); check the network, or HF_ENDPOINT for another Hub"]


def readme_consumer_snippets() -> list[tuple[str, str]]:
    """The fenced (language, code) blocks of the README's section for consumers."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Using a published snapshot\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```(\w+)\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def test_the_readmes_consumer_examples_work_against_the_loopback_hub(published):
    """The README's examples, with the published repo and tag filled in, run as written (HF_ENDPOINT is set, as
    the README says it must be for the loopback Hub)."""
    snippets = readme_consumer_snippets()
    assert [language for language, _ in snippets] == ["python", "bash"]
    for language, code in snippets:
        code = code.replace("open-data/palmer-penguins", published["repo_id"]).replace("<snapshot id>",
                                                                                      published["tag"])
        if language == "python":
            namespace: dict = {}
            exec(code, namespace)
            assert namespace["ds"]["train"]["count"] == [10, 20, 30]
        else:  # this interpreter stands for `uv run python`, which would build another environment
            result = subprocess.run(["bash", "-c", code.replace("uv run python", shlex.quote(sys.executable))],
                                    capture_output=True, text=True, cwd=PROJECT)
            assert result.returncode == 0, result.stderr
            assert f"verified {published['repo_id']}@{published['tag']}" in result.stdout


def test_the_cards_verification_advice_checks_the_real_files(published, tmp_path):
    """The card's sha256s are the published files' own, and its commands (`hf download`, `sha256sum -c`) pass."""
    repo_id, tag = published["repo_id"], published["tag"]
    card = Path(hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=tag)).read_text()
    assert "uv run python -m pipelines.verify" in card.split("The full check", 1)[1]  # named, not the only way
    (commands,) = re.findall(r"^```bash\n(.*?)^```$", card, flags=re.MULTILINE | re.DOTALL)
    listed = dict(line.split("  ")[::-1] for line in commands.splitlines() if re.match(r"^[0-9a-f]{64}  ", line))
    assert set(listed) == {DATA_FILE, "provenance.json", "spdx.json", "LICENSE", "NOTICE"}
    for path, sha256 in listed.items():
        local = hf_hub_download(repo_id, path, repo_type="dataset", revision=tag)
        assert hashlib.sha256(Path(local).read_bytes()).hexdigest() == sha256, path
    hf = Path(sys.executable).parent / "hf"  # the huggingface_hub command of this environment
    (cache_check,) = re.findall(r"`(hf cache verify [^`]*)`", card)
    result = subprocess.run([str(hf), *shlex.split(cache_check)[1:]], capture_output=True, text=True)
    assert result.returncode == 0 and "All checksums match" in result.stdout, result.stdout + result.stderr
    if shutil.which("sha256sum"):
        result = subprocess.run(["bash", "-c", re.sub(r"^hf ", shlex.quote(str(hf)) + " ", commands, flags=re.M)],
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        checked = [line for line in result.stdout.splitlines() if line.endswith(": OK")]
        assert sorted(checked) == sorted(f"{path}: OK" for path in listed)


def test_records_that_disagree_with_each_other_are_reported(tmp_path):
    parquet = tmp_path / "data.parquet"
    parquet.write_bytes(other_parquet())
    provenance = {"files": {DATA_FILE: {"sha256": "a" * 64}}, "license": {"license": {"spdx": "CC0-1.0"}}}
    croissant = {"license": ["https://spdx.org/licenses/MIT.html"], "distribution": [
        {"@type": "cr:FileObject", "contentUrl": DATA_FILE, "encodingFormat": "application/x-parquet",
         "sha256": "b" * 64}]}
    for name, record in (("provenance.json", provenance), ("croissant.json", croissant)):
        (tmp_path / name).write_text(json.dumps(record))
    result = verify_files({DATA_FILE: parquet, "provenance.json": tmp_path / "provenance.json",
                           "croissant.json": tmp_path / "croissant.json"})
    assert f"{DATA_FILE}: provenance.json and croissant.json record different sha256s" in result.problems
    assert any(problem.startswith(f"{DATA_FILE}: sha256 ") for problem in result.problems)
    assert any(problem.startswith("croissant.json states license") for problem in result.problems)
    assert result.verified == {}


def test_split_row_counts_that_disagree_with_the_shards_are_reported(tmp_path):
    parquet = tmp_path / "data.parquet"
    parquet.write_bytes(other_parquet())  # 3 rows
    sha256 = hashlib.sha256(parquet.read_bytes()).hexdigest()
    provenance = {"files": {DATA_FILE: {"sha256": sha256}}, "license": {"license": {"spdx": "CC0-1.0"}},
                  "splits": {"train": {"row_count": 4, "files": [DATA_FILE]}}}
    croissant = {"license": ["https://spdx.org/licenses/CC0-1.0.html"], "recordSet": [{"@id": "default"}],
                 "distribution": [{"@type": "cr:FileObject", "contentUrl": DATA_FILE,
                                   "encodingFormat": "application/x-parquet", "sha256": sha256}]}
    for name, record in (("provenance.json", provenance), ("croissant.json", croissant)):
        (tmp_path / name).write_text(json.dumps(record))
    result = verify_files({DATA_FILE: parquet, "provenance.json": tmp_path / "provenance.json",
                           "croissant.json": tmp_path / "croissant.json"})
    assert result.verified == {DATA_FILE: sha256}
    assert "split train: its shards hold 3 rows, provenance.json records 4" in result.problems
    assert "croissant.json has record sets ['default'], provenance.json splits ['train']" in result.problems
