"""Derived datasets: a catalog query over other datasets' vetted snapshots, published with the conjunction of their
licenses, through the real Dagster job, DuckDB and the loopback Hub."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import DatasetCard, HfApi, hf_hub_download

from assets.catalog import load_catalog
from assets.publication_status import PublicationAction, record_action
from assets.warehouse import Warehouse
from pipelines.local_services import environment
from pipelines.run import main as run_main
from pipelines.verify import main as verify_main

BUNDLED = Path(__file__).resolve().parent.parent / "catalog"
COUNTS = ('SELECT \'mauna-loa-co2\' AS dataset, count(*) AS records, min("Date") AS first_date FROM "mauna-loa-co2" '
          'UNION ALL SELECT \'world-countries\', count(*), NULL FROM "world-countries/train"')
INPUTS = [
    {"id": "mauna-loa-co2", "title": "Atmospheric CO2 at Mauna Loa", "format": "csv", "license": "CC-BY-4.0",
     "source": {"kind": "file", "path": str(BUNDLED / "data/mauna-loa-co2/co2-concentration.csv")},
     "key_columns": ["Date"]},
    {"id": "world-countries", "title": "World countries", "format": "jsonl", "license": "ODbL-1.0",
     "source": {"kind": "file", "path": str(BUNDLED / "data/world-countries/countries.jsonl")},
     "key_columns": ["cca2"]},
]
DERIVED = {"id": "co2-and-countries", "title": "Records per input", "description": "How many records each input has.",
           "derived": {"query": COUNTS}}


def write_catalog(root: Path, entries: list[dict]) -> Path:
    path = root / "catalog.yaml"
    path.write_text(yaml.safe_dump({"data_root": str(BUNDLED), "datasets": entries}, sort_keys=False))
    return path


def run(root: Path, namespace: str, *datasets: str) -> tuple[int, str]:
    out = io.StringIO()
    with environment(CATALOG_PATH=str(root / "catalog.yaml"), WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
                     HUB_NAMESPACE=namespace), contextlib.redirect_stdout(out):
        exit_code = run_main([arg for dataset in datasets for arg in ("--dataset", dataset)])
    return exit_code, out.getvalue()


def query(root: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    root = tmp_path_factory.mktemp("derived")
    namespace = f"derived-{uuid.uuid4().hex[:8]}"
    # The derived entry comes first in the file: the run still makes its inputs first.
    write_catalog(root, [DERIVED, *INPUTS])
    exit_code, out = run(root, namespace)
    yield {"root": root, "namespace": namespace, "exit_code": exit_code, "out": out}


def decision_record(root: Path, dataset_id: str) -> dict:
    return json.loads(query(root, "SELECT decision_record FROM governance.datasets WHERE dataset_id = ?",
                            [dataset_id])[0][0])


def test_a_derived_dataset_of_cc_by_and_odbl_inputs_carries_both(governed):
    assert governed["exit_code"] == 0, governed["out"]
    decision, spdx, attribution, share_alike = query(
        governed["root"], "SELECT decision, license_spdx, attribution, share_alike FROM governance.datasets"
                          " WHERE dataset_id = 'co2-and-countries'")[0]
    assert (decision, spdx, attribution, share_alike) == ("publish", "CC-BY-4.0 AND ODbL-1.0", True, True)
    record = decision_record(governed["root"], "co2-and-countries")
    assert "share adaptations under the same license" in record["obligations"]
    credit = next(o for o in record["obligations"] if o.startswith("credit every dataset"))
    assert "mauna-loa-co2" in credit and "world-countries" in credit
    # Attribution to both: each input's own attribution (its NOTICE), named by the input.
    assert "mauna-loa-co2 (" in record["attribution"] and "world-countries (" in record["attribution"]
    assert "Scripps" in record["attribution"] and "Le Doze" in record["attribution"]


def test_its_card_provenance_and_data_name_the_input_snapshots(governed):
    from datasets import load_dataset

    root, namespace = governed["root"], governed["namespace"]
    inputs = dict(query(root, "SELECT dataset_id, published_tag FROM governance.snapshots"
                              " WHERE dataset_id IN ('mauna-loa-co2', 'world-countries')"))
    assert all(inputs.values())
    tag = query(root, "SELECT published_tag FROM governance.snapshots WHERE dataset_id = 'co2-and-countries'")[0][0]
    repo_id = f"{namespace}/co2-and-countries"
    card = DatasetCard.load(hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=tag))
    assert sorted(card.data.source_datasets) == sorted(f"{namespace}/{d}@{t}" for d, t in inputs.items())
    assert card.data.license == "other" or "odbl" in str(card.data.license).lower()
    provenance = json.loads(Path(hf_hub_download(repo_id, "provenance.json", repo_type="dataset",
                                                 revision=tag)).read_text())
    assert {item["dataset_id"]: item["snapshot_id"] for item in provenance["derived_from"]} == inputs
    assert provenance["source"]["kind"] == "derived" and provenance["source"]["query"] == COUNTS
    assert provenance["license"]["license"]["spdx"] == "CC-BY-4.0 AND ODbL-1.0"
    # The attribution both licenses require travels with the data, and the card names each input.
    notice = Path(hf_hub_download(repo_id, "NOTICE", repo_type="dataset", revision=tag)).read_text()
    assert "Scripps CO2 Program" in notice and "Mohammed Le Doze" in notice
    assert all(f"{dataset}: `{namespace}/{dataset}` at `{input_tag}`" in card.text
               for dataset, input_tag in inputs.items())
    spdx = json.loads(Path(hf_hub_download(repo_id, "spdx.json", repo_type="dataset", revision=tag)).read_text())
    spdx_inputs = {e["name"] for e in spdx["@graph"] if e.get("spdxId", "").rpartition("#")[2].startswith("input-")}
    assert spdx_inputs == {f"{d} snapshot {t} ({namespace}/{d}@{t})" for d, t in inputs.items()}
    croissant = json.loads(Path(hf_hub_download(repo_id, "croissant.json", repo_type="dataset",
                                                revision=tag)).read_text())
    derived_from = {entity["name"] for entity in croissant["prov:wasDerivedFrom"][1:]}
    assert derived_from == {f"{d} snapshot {t}" for d, t in inputs.items()}
    loaded = load_dataset(repo_id, revision=tag, split="train")
    assert sorted((row["dataset"], row["records"]) for row in loaded) == [("mauna-loa-co2", 741),
                                                                          ("world-countries", 250)]


def test_the_derived_snapshot_verifies_and_its_croissant_loads(governed, tmp_path):
    import mlcroissant as mlc
    from huggingface_hub import snapshot_download

    from pipelines.verify import main as verify_main

    root, namespace = governed["root"], governed["namespace"]
    tag = query(root, "SELECT published_tag FROM governance.snapshots WHERE dataset_id = 'co2-and-countries'")[0][0]
    repo_id = f"{namespace}/co2-and-countries"
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert verify_main([repo_id, "--revision", tag]) == 0, out.getvalue()
    folder = Path(snapshot_download(repo_id, repo_type="dataset", revision=tag, local_dir=tmp_path / "snapshot"))
    records = list(mlc.Dataset(jsonld=folder / "croissant.json").records("train"))
    assert len(records) == 2


def nightly_reason(root: Path, warehouse: Warehouse) -> str | None:
    """What the nightly schedule asks of a derived dataset: whether its inputs changed since its last run."""
    from assets.derived import inputs_changed
    from assets.ingest import last_fetch

    entry = load_catalog(root / "catalog.yaml").get("co2-and-countries")
    return inputs_changed(warehouse, entry, last_fetch(warehouse, entry), decision_record(root, entry.id))


def test_an_input_withdrawn_blocks_the_derived_dataset(governed):
    root, namespace = governed["root"], governed["namespace"]
    before = HfApi().list_repo_refs(f"{namespace}/co2-and-countries", repo_type="dataset").tags
    warehouse = Warehouse(path=str(root / "warehouse.duckdb"))
    assert nightly_reason(root, warehouse) is None  # its inputs are as its last run read them
    record_action(warehouse, PublicationAction(
        dataset_id="world-countries", repo_id=f"{namespace}/world-countries", action="withdraw",
        cause="license_change", reason="the upstream license changed", decided_by="policy default"), None, "r1")
    assert nightly_reason(root, warehouse) == "an input was withdrawn or taken down since the last decision"
    exit_code, out = run(root, namespace, "co2-and-countries")
    assert nightly_reason(root, warehouse) is None
    decision, reason = query(root, "SELECT decision, decision_reason FROM governance.datasets"
                                   " WHERE dataset_id = 'co2-and-countries'")[0]
    assert decision == "blocked"
    assert "input world-countries" in reason and "withdrawn" in reason and "upstream license changed" in reason
    withdrawn = decision_record(root, "co2-and-countries")["inputs_withdrawn"]
    assert [(w["dataset_id"], w["action"]) for w in withdrawn] == [("world-countries", "withdraw")]
    repo_id = f"{namespace}/co2-and-countries"
    after = HfApi().list_repo_refs(repo_id, repo_type="dataset").tags
    assert [t.name for t in after] == [t.name for t in before]  # nothing new published
    # What applies to the input applies to its derived dataset's published repo: withdrawn, whatever its license.
    assert "withdrawn from" in out
    assert set(HfApi().list_repo_files(repo_id, repo_type="dataset")) == {"README.md", "status.json", ".gitattributes"}
    status = json.loads(Path(hf_hub_download(repo_id, "status.json", repo_type="dataset")).read_text())
    assert status["status"] == "withdrawn" and status["events"][-1]["cause"] == "input_withdrawn"
    assert "input world-countries" in status["events"][-1]["reason"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert verify_main([repo_id, "--revision", before[0].name]) == 1
    assert "withdrawn on" in err.getvalue() and "input world-countries" in err.getvalue()


def test_rows_taken_down_from_an_input_leave_what_was_built_from_it(tmp_path):
    """A row takedown on an input purges the derived dataset's tags built from the purged input snapshot; the
    derived dataset is built again from the input's snapshot without the rows and published, not left blocked."""
    namespace = f"derived-td-{uuid.uuid4().hex[:8]}"
    early = {"id": "co2-early", "title": "Mauna Loa CO2 before 1960", "description": "The first readings.",
             "derived": {"query": 'SELECT "Date", "CO2" FROM "mauna-loa-co2" WHERE "Date" < \'1960-01-01\''}}
    # and a derived dataset of that derived one
    count = {"id": "co2-early-count", "title": "How many early readings", "description": "One row.",
             "derived": {"query": 'SELECT count(*) AS readings FROM "co2-early"'}}
    write_catalog(tmp_path, [INPUTS[0], early, count])
    assert run(tmp_path, namespace)[0] == 0
    repo_id = f"{namespace}/co2-early"
    (first,) = [tag.name for tag in HfApi().list_repo_refs(repo_id, repo_type="dataset").tags]
    (first_count,) = [tag.name for tag in HfApi().list_repo_refs(f"{repo_id}-count", repo_type="dataset").tags]
    (tmp_path / "takedowns").mkdir()
    (tmp_path / "takedowns" / "td-9.yaml").write_text(yaml.safe_dump({
        "id": "td-9", "requested_by": "Records office", "date": "2026-12-01", "dataset": "mauna-loa-co2",
        "rows": {"where": "\"Date\" < '1959-01-01'"}}))
    exit_code, out = run(tmp_path, namespace)
    assert exit_code == 0, out
    tags = [tag.name for tag in HfApi().list_repo_refs(repo_id, repo_type="dataset").tags]
    assert first not in tags and len(tags) == 1
    count_tags = [tag.name for tag in HfApi().list_repo_refs(f"{repo_id}-count", repo_type="dataset").tags]
    assert first_count not in count_tags and len(count_tags) == 1
    dates = query(tmp_path, f'SELECT min("Date") FROM snapshots."{tags[0]}"')[0][0]
    assert str(dates) == "1959-01-01"
    assert query(tmp_path, "SELECT decision FROM governance.datasets WHERE dataset_id = 'co2-early'") == [("publish",)]
    for commit in HfApi().list_repo_commits(repo_id, repo_type="dataset"):
        files = HfApi().list_repo_files(repo_id, repo_type="dataset", revision=commit.commit_id)
        for path in (path for path in files if path.endswith(".parquet")):
            local = hf_hub_download(repo_id, path, repo_type="dataset", revision=commit.commit_id,
                                    cache_dir=tmp_path / "cache")
            with duckdb.connect() as connection:
                earliest = connection.execute(f"SELECT min(\"Date\") FROM '{local}'").fetchone()[0]
            assert str(earliest) >= "1959-01-01"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert verify_main([repo_id, "--revision", first]) == 1
    assert "td-9" in err.getvalue() and f"use {tags[0]}" in err.getvalue()


def test_an_input_taken_down_whole_takes_down_what_was_built_from_it(tmp_path):
    namespace = f"derived-tw-{uuid.uuid4().hex[:8]}"
    write_catalog(tmp_path, [*INPUTS, DERIVED])
    assert run(tmp_path, namespace)[0] == 0
    repo_id = f"{namespace}/co2-and-countries"
    (published,) = [tag.name for tag in HfApi().list_repo_refs(repo_id, repo_type="dataset").tags]
    (tmp_path / "takedowns").mkdir()
    (tmp_path / "takedowns" / "td-w.yaml").write_text(yaml.safe_dump({
        "id": "td-w", "requested_by": "Records office", "date": "2026-12-01", "dataset": "world-countries"}))
    exit_code, out = run(tmp_path, namespace)
    assert exit_code == 0, out
    [derived_line] = [line for line in out.splitlines() if line.startswith("co2-and-countries ")]
    assert "taken down (td-w)" in derived_line, derived_line
    assert HfApi().list_repo_refs(repo_id, repo_type="dataset").tags == []
    assert set(HfApi().list_repo_files(repo_id, repo_type="dataset")) <= {".gitattributes", "README.md",
                                                                          "status.json"}
    assert len(HfApi().list_repo_commits(repo_id, repo_type="dataset")) == 1
    assert query(tmp_path, "SELECT count(*) FROM governance.snapshots WHERE dataset_id = 'co2-and-countries'"
                           " AND purged_at IS NULL") == [(0,)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert verify_main([repo_id, "--revision", published]) == 1
    assert "td-w" in err.getvalue() and "its input world-countries" in err.getvalue()


@pytest.mark.parametrize("entries, failing, says", [
    ([{**DERIVED, "derived": {"query": 'SELECT * FROM "no-such-dataset"'}}], "co2-and-countries",
     "'no-such-dataset' is not in the catalog"),
    ([{**DERIVED, "id": "loop-a", "derived": {"query": 'SELECT * FROM "loop-b"'}},
      {**DERIVED, "id": "loop-b", "derived": {"query": 'SELECT * FROM "loop-a"'}}], "loop-a",
     "forms a cycle: loop-a -> loop-b -> loop-a"),
    ([{**DERIVED, "derived": {"query": "COPY (SELECT 1) TO '/tmp/out.csv'"}}], "co2-and-countries",
     "must be a SELECT statement, not COPY"),
    ([{**DERIVED, "derived": {"query": 'SELECT 1 FROM "mauna-loa-co2"; DROP TABLE x'}}], "co2-and-countries",
     "must be one SELECT statement, found 2"),
    ([{**DERIVED, "derived": {"query": 'SELECT * FROM "world-countries/bad split"'}}], "co2-and-countries",
     "is not a split name"),
    ([{**DERIVED, "source": INPUTS[0]["source"]}], "co2-and-countries", "either source or derived"),
])
def test_a_bad_derived_entry_fails_only_itself_naming_what_is_wrong(tmp_path, entries, failing, says):
    catalog = load_catalog(write_catalog(tmp_path, [*INPUTS, *entries]))
    assert says in catalog.why_missing(failing) and failing in catalog.why_missing(failing)
    assert {"mauna-loa-co2", "world-countries"} <= {entry.id for entry in catalog.entries}
    assert failing in catalog.ids  # still a dataset: its run fails with the message


def test_a_derived_entry_reading_a_broken_one_fails_too(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path, [
        *INPUTS, {**DERIVED, "id": "first", "derived": {"query": 'SELECT * FROM "nowhere"'}},
        {**DERIVED, "id": "second", "derived": {"query": 'SELECT * FROM "first"'}}]))
    assert "reads 'first': that derived dataset cannot be built itself" in catalog.why_missing("second")


def test_dependency_order_puts_inputs_first(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path, [
        {**DERIVED, "id": "second", "derived": {"query": 'SELECT * FROM "first", "world-countries"'}},
        {**DERIVED, "id": "first", "derived": {"query": 'SELECT * FROM "mauna-loa-co2"'}}, *INPUTS]))
    order = catalog.in_dependency_order(catalog.ids)
    assert order.index("mauna-loa-co2") < order.index("first") < order.index("second")
    assert order.index("world-countries") < order.index("second")


def test_a_query_reading_a_file_or_an_unknown_dataset_fails_its_dataset_alone(governed, tmp_path):
    root, namespace = governed["root"], governed["namespace"]
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    sneaky = {**DERIVED, "id": "sneaky", "derived": {
        "query": f'SELECT m."Date", s.* FROM "mauna-loa-co2" m, read_csv(\'{secret}\') s'}}
    ghost = {**DERIVED, "id": "ghost", "derived": {"query": 'SELECT * FROM "no-such-dataset"'}}
    write_catalog(root, [*INPUTS, sneaky, ghost])
    try:
        exit_code, out = run(root, namespace, "sneaky", "ghost")
    finally:
        write_catalog(root, [DERIVED, *INPUTS])
    assert exit_code == 1
    assert "sneaky" in out and "derived.query failed" in out and "hunter2" not in out
    assert "catalog entry 'ghost': derived.query reads 'no-such-dataset': dataset 'no-such-dataset' is not in" in out
    assert not HfApi().repo_exists(f"{namespace}/ghost", repo_type="dataset")
    assert query(root, "SELECT count(*) FROM governance.sources WHERE dataset_id = 'sneaky'")[0][0] == 0
    assert not HfApi().repo_exists(f"{namespace}/sneaky", repo_type="dataset")


def test_the_catalog_schema_takes_a_derived_entry_instead_of_a_source():
    import jsonschema

    schema = json.loads((BUNDLED / "catalog.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate({"datasets": [*INPUTS, DERIVED]})
    for bad in ({**DERIVED, "source": INPUTS[0]["source"]}, {k: v for k, v in DERIVED.items() if k != "derived"},
                {**DERIVED, "derived": {"query": COUNTS, "inputs": ["mauna-loa-co2"]}}):
        assert list(validator.iter_errors({"datasets": [bad]}))


def test_a_takedown_blocks_and_a_license_notice_does_not(tmp_path):
    from assets.derived import withdrawn_inputs

    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    inputs = [{"dataset_id": "noticed"}, {"dataset_id": "taken"}]
    for dataset_id, action in (("noticed", "notice"), ("taken", "takedown")):
        record_action(warehouse, PublicationAction(
            dataset_id=dataset_id, repo_id=f"org/{dataset_id}", action=action, cause="takedown",
            reason="request T-1", decided_by="T-1", requests=["T-1"]), None, "r1")
    withdrawn = withdrawn_inputs(warehouse, inputs)
    assert [(w["dataset_id"], w["requests"]) for w in withdrawn] == [("taken", ["T-1"])]
    assert withdrawn[0]["reason"].startswith("input taken (org/taken) was taken down on ")
    # An input withdrawn and then restored on its main (publishable again) blocks nothing.
    for action in ("withdraw", "restore"):
        record_action(warehouse, PublicationAction(
            dataset_id="noticed", repo_id="org/noticed", action=action, cause="license_change",
            reason="the license changed", decided_by="policy default"), None, "r2")
        blocked = [w["dataset_id"] for w in withdrawn_inputs(warehouse, inputs)]
        assert blocked == (["noticed", "taken"] if action == "withdraw" else ["taken"])
