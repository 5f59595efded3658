"""Signals from each source, odd encodings, and reconciliation of disagreeing evidence."""

import json

import pytest

from licenses import (
    reconcile,
    signal,
    signal_from_column,
    signals_from_datapackage,
    signals_from_file,
    signals_from_hub_card,
)
from licenses.evidence import decode_license_bytes

CC_BY_SA_HEAD = "Attribution-ShareAlike 4.0 International\n\nCopyright © 2021 Société Générale des Données\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (CC_BY_SA_HEAD.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CC_BY_SA_HEAD.encode("utf-8"), "utf-8"),
        (CC_BY_SA_HEAD.encode("utf-16"), "utf-16-le"),  # with BOM
        (b"\xfe\xff" + CC_BY_SA_HEAD.encode("utf-16-be"), "utf-16-be"),
        (CC_BY_SA_HEAD.encode("utf-16-le"), "utf-16-le"),  # without BOM
        (CC_BY_SA_HEAD.encode("utf-32"), "utf-32-le"),
        (CC_BY_SA_HEAD.encode("latin-1"), "cp1252"),
    ],
)
def test_license_file_in_odd_encodings(raw, encoding):
    sig = signals_from_file("LICENSE", raw)
    assert sig.encoding == encoding
    assert sig.info.spdx == "CC-BY-SA-4.0"
    assert "Société Générale des Données" in sig.text
    assert sig.to_dict()["encoding"] == encoding


def test_undecodable_bytes_fall_back_to_latin1_and_binary_is_unknown():
    text, encoding = decode_license_bytes(bytes([0x81, 0x8D, 0x41]))
    assert encoding == "latin-1" and text.endswith("A")
    assert signals_from_file("LICENSE", bytes(range(256)) * 10).info.use == "unknown"


def test_long_file_text_is_excerpted_in_to_dict():
    sig = signals_from_file("LICENSE", ("MIT License\n" + "x" * 5000).encode())
    assert len(sig.to_dict()["text"]) < 600
    assert sig.to_dict()["info"]["spdx"] == "MIT"


def test_hub_card_signals():
    card = {"license": "other", "license_name": "llama3.1", "license_link": "https://example.org/LICENSE"}
    signals = signals_from_hub_card(card)
    assert [s.source for s in signals] == ["hub_card:license", "hub_card:license_name", "hub_card:license_link"]
    rec = reconcile(signals)
    assert rec.license.hub_id == "llama3.1" and not rec.conflicts


def test_hub_card_license_list_applies_together():
    [sig] = signals_from_hub_card({"license": ["mit", "cc-by-nc-4.0"]})
    assert sig.info.use == "non-commercial"
    assert sig.info.spdx == "MIT AND CC-BY-NC-4.0"


def test_datapackage_licenses():
    datapackage = {
        "licenses": [
            {
                "name": "ODC-PDDL-1.0",
                "path": "http://opendatacommons.org/licenses/pddl/",
                "title": "Open Data Commons Public Domain Dedication and License v1.0",
            }
        ],
        "resources": [{"name": "images", "licenses": [{"name": "CC-BY-NC-4.0"}]}, {"name": "plain"}],
    }
    package, images = signals_from_datapackage(json.dumps(datapackage))
    assert package.source == "datapackage.json" and package.info.spdx == "PDDL-1.0"
    assert images.source == "datapackage.json:resources/images" and images.info.use == "non-commercial"
    assert signals_from_datapackage("{not json")[0].info.use == "unknown"


def test_row_column_distinct_values_all_apply():
    sig = signal_from_column("license", ["CC-BY-4.0", "cc-by-sa-4.0", None, "", "CC-BY-4.0"])
    assert sig.source == "row_column:license"
    assert sig.text == "CC-BY-4.0; cc-by-sa-4.0"
    assert sig.info.share_alike and sig.info.use == "commercial"


def test_agreeing_signals_take_the_most_specific():
    rec = reconcile([signal("catalog", "CC BY"), signal("hub_card:license", "cc-by-4.0"), signal("NOTICE", "other")])
    assert rec.license.spdx == "CC-BY-4.0"
    assert rec.conflicts == [] and rec.needs_review is False


def test_conflict_takes_most_restrictive_and_needs_review():
    rec = reconcile(
        [signal("hub_card:license", "mit"), signal("LICENSE", "Attribution-NonCommercial 4.0 International")]
    )
    assert rec.license.spdx == "CC-BY-NC-4.0" and rec.license.use == "non-commercial"
    assert rec.needs_review
    [conflict] = rec.conflicts
    assert "hub_card:license" in conflict and "MIT" in conflict
    assert "LICENSE" in conflict and "CC-BY-NC-4.0" in conflict


def test_research_only_beats_non_commercial():
    rec = reconcile([signal("catalog", "CC BY-NC 4.0"), signal("README", "For research purposes only.")])
    assert rec.license.use == "research-only" and rec.needs_review


def test_unreadable_custom_terms_disagree_with_a_declared_license():
    custom = "The licensee may copy the data subject to the conditions agreed in writing with the provider."
    rec = reconcile([signal("hub_card:license", "mit"), signal("LICENSE", custom)])
    assert rec.license.use == "unknown" and rec.needs_review and rec.conflicts


def test_no_signals_and_only_uninformative_signals_are_unknown():
    assert reconcile([]).license.use == "unknown"
    rec = reconcile([signal("hub_card:license", "other"), signal("LICENSE", "Copyright 2020 Foo Ltd")])
    assert rec.license.use == "unknown" and rec.needs_review
    assert "hub_card:license" in rec.license.evidence
