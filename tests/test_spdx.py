"""spdx.json: the SPDX 3.0.1 document published with each snapshot, on a snapshot published by the real pipeline.
It passes the SPDX model's validation (and a broken one does not), its dataset package's sha256s are those of the
published files, its declared license (what the sources say) and concluded license (the decision) are kept apart,
and croissant.json vouches for it so verify checks it."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from huggingface_hub import snapshot_download

from assets.catalog_entry import Creator
from assets.convert import file_sha256
from assets.croissant import PARQUET, PublishedFile
from assets.spdx_document import spdx_json, spdx_problems
from licenses import decide, load_policy
from licenses.evidence import signal
from licenses.policy import SignOff
from pipelines.verify import verify_files
from tests.fixture_dataset import publish_cc_by_csv

NOT_IN_THE_PACKAGE = {"README.md", "croissant.json", "spdx.json", ".gitattributes"}  # they describe the package


@pytest.fixture(scope="module")
def snapshot_folder(tmp_path_factory) -> Path:
    """A CC-BY-4.0 CSV dataset (LICENSE and NOTICE beside it, two creators) published by the main command and
    downloaded at its tag."""
    root = tmp_path_factory.mktemp("spdx")
    published = publish_cc_by_csv(root, "gauges", "id,river,level\n1,north,1.5\n2,south,2.25\n3,east,0.5\n",
                                  "Copyright 2023 River Survey Ltd.\nGauges by River Survey Ltd.\n",
                                  title="River gauges (fixture)",
                                  creator=[{"name": "River Survey Ltd."}, {"name": "Ada Example", "type": "person"}])
    return Path(snapshot_download(published["repo_id"], repo_type="dataset", revision=published["tag"],
                                  local_dir=root / "download"))


@pytest.fixture(scope="module")
def document(snapshot_folder) -> dict:
    return json.loads((snapshot_folder / "spdx.json").read_text())


def elements(document: dict, kind: str) -> list[dict]:
    return [item for item in document["@graph"] if item["type"] == kind]


def by_id(document: dict) -> dict[str, dict]:
    return {item["spdxId"]: item for item in document["@graph"] if "spdxId" in item}


def related(document: dict, relationship_type: str, from_id: str) -> list[dict]:
    (relationship,) = [item for item in elements(document, "Relationship")
                       if item["relationshipType"] == relationship_type and item["from"] == from_id]
    return [by_id(document)[target] for target in relationship["to"]]


def published_files(folder: Path) -> dict[str, Path]:
    return {path.relative_to(folder).as_posix(): path for path in folder.rglob("*")
            if path.is_file() and ".cache" not in path.parts}


def test_the_published_spdx_json_validates(document):
    assert document["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    assert spdx_problems(document) == []


def test_the_dataset_package_names_the_snapshot_and_its_sha256s_are_the_published_files(snapshot_folder, document):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    (package,) = elements(document, "dataset_DatasetPackage")
    (spdx_document,) = elements(document, "SpdxDocument")
    assert spdx_document["rootElement"] == [package["spdxId"]]
    assert package["name"] == "gauges" and package["dataset_datasetType"] == ["structured"]
    assert package["software_packageVersion"] == provenance["snapshot_id"]
    assert package["software_downloadLocation"].endswith(f"/gauges/tree/{provenance['snapshot_id']}")
    assert package["releaseTime"].endswith("Z")
    assert [by_id(document)[agent]["name"] for agent in package["originatedBy"]] == ["River Survey Ltd.",
                                                                                       "Ada Example"]
    files = published_files(snapshot_folder)
    contained = related(document, "contains", package["spdxId"])
    assert {item["name"] for item in contained} == set(files) - NOT_IN_THE_PACKAGE
    for item in contained:
        (integrity,) = item["verifiedUsing"]
        assert integrity["algorithm"] == "sha256" and integrity["hashValue"] == file_sha256(files[item["name"]])
    (code,) = package["verifiedUsing"]
    actual = sorted(file_sha256(files[name]) for name in set(files) - NOT_IN_THE_PACKAGE)
    assert code["type"] == "PackageVerificationCode" and code["algorithm"] == "sha256"
    assert code["hashValue"] == hashlib.sha256("".join(actual).encode()).hexdigest()


def test_the_build_has_each_input_with_its_sha256_and_outputs_the_dataset(snapshot_folder, document):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    (package,) = elements(document, "dataset_DatasetPackage")
    (build,) = elements(document, "build_Build")
    assert build["build_buildId"] == provenance["pipeline"]["dagster_run_id"]
    assert related(document, "hasOutput", build["spdxId"]) == [package]
    (source,) = related(document, "hasInput", build["spdxId"])
    assert source["name"] == "gauges.csv"
    assert source["verifiedUsing"] == [{"type": "Hash", "algorithm": "sha256",
                                        "hashValue": provenance["source"]["sha256"]}]
    assert "externalRef" not in source  # a file on the publisher's machine: its location is not published
    assert str(snapshot_folder.parent / "catalog") not in json.dumps(document)


def test_agreeing_sources_declare_what_was_concluded(document):
    (package,) = elements(document, "dataset_DatasetPackage")
    (declared,) = related(document, "hasDeclaredLicense", package["spdxId"])
    (concluded,) = related(document, "hasConcludedLicense", package["spdxId"])
    assert declared["simplelicensing_licenseExpression"] == concluded["simplelicensing_licenseExpression"] \
        == "CC-BY-4.0"
    relationships = {item["relationshipType"]: item for item in elements(document, "Relationship")}
    assert relationships["hasConcludedLicense"]["comment"].startswith("Decided publish under policy 'default'")


def test_croissant_vouches_for_spdx_json_and_verify_checks_it(snapshot_folder, tmp_path):
    croissant = json.loads((snapshot_folder / "croissant.json").read_text())
    (listed,) = [item for item in croissant["distribution"] if item.get("contentUrl") == "spdx.json"]
    assert listed["sha256"] == file_sha256(snapshot_folder / "spdx.json")
    files = published_files(snapshot_folder)
    result = verify_files(files)
    assert result.problems == [] and "spdx.json" in result.verified
    tampered = tmp_path / "spdx.json"
    tampered.write_text((snapshot_folder / "spdx.json").read_text().replace("CC-BY-4.0", "CC0-1.0"))
    problems = verify_files({**files, "spdx.json": tampered}).problems
    assert len(problems) == 1 and problems[0].startswith("spdx.json: sha256 ")


def rebuilt(snapshot_folder: Path, license_record: dict, provenance: dict | None = None) -> dict:
    """spdx.json of the published snapshot's files, as publish builds it, under another license record (and
    another provenance record: another source)."""
    provenance = provenance or json.loads((snapshot_folder / "provenance.json").read_text())
    files = [PublishedFile(name, file_sha256(path), path.stat().st_size,
                           PARQUET if name.endswith(".parquet") else "text/plain", name)
             for name, path in published_files(snapshot_folder).items() if name not in NOT_IN_THE_PACKAGE]
    content = spdx_json(provenance=provenance, license_record=license_record, files=files,
                        dataset_url="https://hub.example/datasets/ns/gauges", publisher="ns",
                        creators=(Creator(name="River Survey Ltd."),),
                        released_at=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc))
    return json.loads(content)


def record(signals: list, sign_off: SignOff | None) -> dict:
    """A license record as license_decision writes it: the decision, and every signal it was made from."""
    decision = decide(signals, load_policy("default"), sign_off=sign_off)
    return {**decision.to_dict(), "signals": [s.to_dict() for s in signals]}


def licenses_of(document: dict) -> tuple[dict, dict]:
    (package,) = elements(document, "dataset_DatasetPackage")
    (declared,) = related(document, "hasDeclaredLicense", package["spdxId"])
    (concluded,) = related(document, "hasConcludedLicense", package["spdxId"])
    return declared, concluded


def test_sources_that_declare_two_licenses_are_declared_apart_from_the_steward_concluded_one(snapshot_folder):
    sign_off = SignOff(who="steward@example.org", when="2026-12-01", why="the upstream relicensed under ODbL",
                       license="ODbL-1.0")
    document = rebuilt(snapshot_folder, record([signal("catalog", "CC-BY-4.0"), signal("hub_card:license",
                                                                                       "ODbL-1.0")], sign_off))
    assert spdx_problems(document) == []
    declared, concluded = licenses_of(document)
    assert declared["simplelicensing_licenseExpression"] == "CC-BY-4.0 AND ODbL-1.0"
    assert concluded["simplelicensing_licenseExpression"] == "ODbL-1.0"
    relationships = {item["relationshipType"]: item for item in elements(document, "Relationship")}
    assert relationships["hasDeclaredLicense"]["comment"] == ("What the sources say: catalog: CC-BY-4.0; "
                                                              "hub_card:license: ODbL-1.0")
    assert "Signed off by steward@example.org" in relationships["hasConcludedLicense"]["comment"]


def test_a_statement_without_an_spdx_id_is_a_license_ref_carrying_its_text(snapshot_folder):
    sign_off = SignOff(who="steward@example.org", when="2026-12-01", why="the README dedicates it",
                       license="public-domain", evidence="This is public domain.")
    document = rebuilt(snapshot_folder, record([signal("README", "This is public domain.")], sign_off))
    assert spdx_problems(document) == []
    declared, concluded = licenses_of(document)
    assert declared["simplelicensing_licenseExpression"] == "LicenseRef-README"
    assert concluded["simplelicensing_licenseExpression"] == "LicenseRef-public-domain"
    for expression in (declared, concluded):
        (entry,) = expression["simplelicensing_customIdToUri"]
        assert entry["key"] == expression["simplelicensing_licenseExpression"]
        assert by_id(document)[entry["value"]]["simplelicensing_licenseText"] == "This is public domain."


def test_two_statements_in_one_file_are_two_license_refs(snapshot_folder):
    statements = ["This is public domain.", "Non-commercial use only."]
    document = rebuilt(snapshot_folder, record([signal("README", text) for text in statements], None))
    assert spdx_problems(document) == []
    declared, _ = licenses_of(document)
    assert declared["simplelicensing_licenseExpression"] == "LicenseRef-README AND LicenseRef-README-2"
    assert [by_id(document)[entry["value"]]["simplelicensing_licenseText"]
            for entry in declared["simplelicensing_customIdToUri"]] == statements


def test_sources_that_state_no_license_declare_noassertion(snapshot_folder):
    document = rebuilt(snapshot_folder, record([signal("LICENSE", "See the website for terms.")], None))
    assert spdx_problems(document) == []
    (package,) = elements(document, "dataset_DatasetPackage")
    (declared,) = [item["to"] for item in elements(document, "Relationship")
                   if item["relationshipType"] == "hasDeclaredLicense"]
    assert declared == ["expandedlicensing_NoAssertionLicense"] and package


def test_a_public_source_of_several_files_has_each_file_as_an_input(snapshot_folder):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    inputs = [{"split": "train", "name": "part-1.csv", "size_bytes": 10, "sha256": "1" * 64, "format": "csv"},
              {"split": "test", "name": "part-2.csv", "size_bytes": 12, "sha256": "2" * 64, "format": "csv"}]
    several = {**provenance, "inputs": inputs,
               "source": {**provenance["source"], "kind": "http", "uri": "https://data.example.org/gauges/"}}
    document = rebuilt(snapshot_folder, provenance["license"], several)
    assert spdx_problems(document) == []
    (build,) = elements(document, "build_Build")
    listed = related(document, "hasInput", build["spdxId"])
    assert [(item["name"], item["verifiedUsing"][0]["hashValue"], item["comment"]) for item in listed] == [
        ("part-1.csv", "1" * 64, "split train"), ("part-2.csv", "2" * 64, "split test")]
    assert "https://data.example.org/gauges/" in build["comment"]


def test_a_public_single_file_source_says_where_it_is_downloaded(snapshot_folder):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    public = {**provenance, "source": {**provenance["source"], "kind": "http",
                                       "uri": "https://data.example.org/gauges.csv"}}
    document = rebuilt(snapshot_folder, provenance["license"], public)
    assert spdx_problems(document) == []
    (build,) = elements(document, "build_Build")
    (source,) = related(document, "hasInput", build["spdxId"])
    assert source["externalRef"] == [{"type": "ExternalRef", "externalRefType": "altDownloadLocation",
                                      "locator": ["https://data.example.org/gauges.csv"]}]


def test_the_same_snapshot_gives_the_same_bytes(snapshot_folder):
    license_record = json.loads((snapshot_folder / "provenance.json").read_text())["license"]
    assert rebuilt(snapshot_folder, license_record) == rebuilt(snapshot_folder, license_record)


def broken(document: dict, change) -> dict:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


def relationship(document: dict, relationship_type: str) -> dict:
    return next(item for item in elements(document, "Relationship") if item["relationshipType"] == relationship_type)


def package(document: dict) -> dict:
    return elements(document, "dataset_DatasetPackage")[0]


def concluded(document: dict) -> dict:
    return by_id(document)[relationship(document, "hasConcludedLicense")["to"][0]]


@pytest.mark.parametrize("change, expected", [
    (lambda d: relationship(d, "hasInput").update(to=["https://hub.example/nothing"]),
     "references https://hub.example/nothing, which is not in the document"),
    (lambda d: relationship(d, "hasInput").update(relationshipType="madeFrom"), "'madeFrom' is not a valid value"),
    (lambda d: relationship(d, "hasConcludedLicense").pop("from"), "Property 'from_' in Relationship"),
    (lambda d: package(d).pop("dataset_datasetType"), "Property 'dataset_datasetType' in dataset_DatasetPackage"),
    (lambda d: package(d).update(releaseTime="yesterday"), "'yesterday' is not a correctly formatted datetime"),
    (lambda d: d.update({"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}), "@context is"),
    (lambda d: concluded(d).update(simplelicensing_licenseExpression="CC-BY-4.0 AND"),
     "license expression 'CC-BY-4.0 AND' does not parse"),
    (lambda d: concluded(d).update(simplelicensing_licenseExpression="CC-BY-4.0 AND LicenseRef-README"),
     "names LicenseRef-README: neither an SPDX License List id nor a LicenseRef it maps to its text"),
    (lambda d: concluded(d).update(simplelicensing_licenseExpression="Creative-Commons"),
     "names Creative-Commons: neither"),
])
def test_a_broken_document_fails_validation(document, change, expected):
    problems = spdx_problems(broken(document, change))
    assert len(problems) == 1 and expected in problems[0], problems
