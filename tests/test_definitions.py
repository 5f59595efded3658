"""Loading every definition fails fast on a broken import or a wiring mistake."""

import json
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs


def test_definitions_load_and_validate():
    repository = defs.get_repository_def()
    asset_keys = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    assert asset_keys == {"raw_source", "license_decision", "snapshot", "hub_release"}
    check_names = {key.name for key in repository.asset_graph.asset_check_keys}
    assert check_names == {"expectation_suite", "expectation_warnings", "published"}
    # Each evaluation names its dataset: every check is partitioned as its asset is.
    assert {repository.asset_graph.get(key).partitions_def.name for key in repository.asset_graph.asset_check_keys} \
        == {"datasets"}
    assert defs.resolve_job_def("refresh_dataset").partitions_def.name == "datasets"
    assert {s.name for s in repository.schedule_defs} == {"nightly_refresh"}
    assert {s.name for s in repository.sensor_defs} == {"catalog_sensor", "nightly_derived"}
    dg.Definitions.validate_loadable(defs)


def test_schedule_sensor_and_job_say_what_they_do_and_the_job_lists_its_steps_in_order():
    repository = defs.get_repository_def()
    assert "02:00 UTC" in repository.get_schedule_def("nightly_refresh").description
    assert "partition per catalog entry" in repository.get_sensor_def("catalog_sensor").description
    assert "once every such input's run has finished" in repository.get_sensor_def("nightly_derived").description
    description = defs.resolve_job_def("refresh_dataset").description
    steps = ["raw_source", "license_decision", "snapshot", "expectation_suite", "hub_release"]
    assert [description.index(step) for step in steps] == sorted(description.index(step) for step in steps)


def test_the_steps_that_write_the_warehouse_share_one_pool():
    pools = {key: defs.resolve_assets_def(key).op.pool for key in ("license_decision", "snapshot")}
    assert pools == {"license_decision": "warehouse", "snapshot": "warehouse"}


def test_catalog_sensor_adds_and_removes_partitions():
    from assets.catalog import load_catalog
    from pipelines.sensors import catalog_sensor

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("datasets", ["dropped-from-catalog"])
    result = catalog_sensor(dg.build_sensor_context(instance=instance))
    added = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.AddDynamicPartitionsRequest)]
    removed = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
    assert sorted(added[0].partition_keys) == sorted(load_catalog().ids)
    assert removed[0].partition_keys == ["dropped-from-catalog"]


def test_descriptions_have_no_placeholder_the_ui_would_swallow_as_an_html_tag():
    """The UI renders descriptions as markdown, where a bare `<dataset>` is an unknown HTML tag and vanishes."""
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    descriptions = {
        **{key.to_user_string(): graph.get_check_spec(key).description for key in graph.asset_check_keys},
        **{key.to_user_string(): graph.get(key).description for key in graph.get_all_asset_keys()},
        "refresh_dataset": defs.resolve_job_def("refresh_dataset").description,
        **{s.name: s.description for s in [*repository.schedule_defs, *repository.sensor_defs]},
    }
    assert all(descriptions.values()), [name for name, text in descriptions.items() if not text]
    outside_code = {name: re.sub(r"`[^`]*`", "", text) for name, text in descriptions.items()}
    assert {name: re.findall(r"<[A-Za-z/][^>]*>", text) for name, text in outside_code.items()
            if re.search(r"<[A-Za-z/][^>]*>", text)} == {}
    assert "`checks/suites/{dataset id}.yaml`" in graph.get_check_spec(
        dg.AssetCheckKey(dg.AssetKey("snapshot"), "expectation_suite")).description


# What loading the definitions and the nightly's question "did anything change upstream?" must not import: each
# costs seconds or hundreds of milliseconds in every fresh process (the code server, each nightly tick's answer).
HEAVY_MODULES = ("great_expectations", "pandas", "datasets", "mlcroissant", "huggingface_hub", "pyarrow", "requests",
                 "openlineage")
NIGHTLY_QUESTION = """
import json, sys
from datetime import datetime, timezone
from assets.catalog import load_catalog
from assets.fetch import KnownSource, upstream_unchanged
import pipelines.definitions
from pipelines.refresh_needed import refresh_inputs
loaded = {"definitions": sorted(m for m in sys.argv[1:] if m in sys.modules)}
known = KnownSource(retrieved_at=datetime.now(timezone.utc), size_bytes=0, raw_sha256="")
for entry in load_catalog().entries:
    if entry.source.kind == "file":  # a URL or Hub source asks over the network, with the client it needs
        refresh_inputs(entry)
        upstream_unchanged(entry, known)
loaded["nightly question"] = sorted(m for m in sys.argv[1:] if m in sys.modules)
print(json.dumps(loaded))
"""


def test_loading_the_definitions_and_asking_upstream_import_no_heavy_library():
    """In a fresh process, as the code server and the nightly's no-op start: GX, pandas, pyarrow, datasets, the
    Hub client, the HTTP client and the OpenLineage client are imported only by the steps that use them."""
    result = subprocess.run([sys.executable, "-c", NIGHTLY_QUESTION, *HEAVY_MODULES], capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parent.parent, check=True)
    assert json.loads(result.stdout.splitlines()[-1]) == {"definitions": [], "nightly question": []}
