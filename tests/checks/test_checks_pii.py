"""Personal data is masked wherever a check shows a value: governance samples, GX samples and Data Docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from checks.gx_duckdb import run_suite
from checks.pii import mask, mask_text
from checks.suite import ExpectationSpec, Suite

RAW = ("john.doe@example.org", "555-123-4567", "10.1.2.3")


@pytest.mark.parametrize(("kind", "value", "masked"), [
    ("email", "john.doe@example.org", "j***@e***.org"),
    ("email", "a@mail.example.co.uk", "a***@m***.uk"),
    ("phone", "+1 555-123-4567", "+1 ***-***-**67"),
    ("phone", "(555) 123-4567", "(***) ***-**67"),
    ("phone", "+4915112345678", "+***********78"),
    ("ipv4", "192.168.10.20", "192.168.*.*"),
    ("ipv6", "2001:db8:85a3::8a2e:370:7334", "2001:db8:*"),
    ("ipv6", "fe80::1ff:fe23:4567:890a", "fe80::*"),
])
def test_mask_keeps_only_enough_to_recognise_the_kind(kind, value, masked):
    assert mask(kind, value) == masked


def test_mask_text_masks_every_datum_in_a_text_and_leaves_the_rest():
    text = "mail john.doe@example.org or +1 555-123-4567; hosts 10.0.0.1 10.0.0.2, Chrome/120.0.0.0"
    assert mask_text(text) == "mail j***@e***.org or +1 ***-***-**67; hosts 10.0.*.* 10.0.*.*, Chrome/120.0.0.0"


@pytest.fixture(scope="module")
def pii_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pii")
    path = folder / "contacts.parquet"
    pq.write_table(pa.table({"contact": ["ok", "john.doe@example.org", "call 555-123-4567", "10.1.2.3"]}), path)
    suite = Suite("contacts", (
        ExpectationSpec("expect_column_values_to_match_regex", {"column": "contact", "regex": "^ok$"}),
        ExpectationSpec("expect_column_most_common_value_to_be_in_set", {"column": "contact", "value_set": ["x"]}),
    ), "test")
    return run_suite(path, suite, data_docs_dir=folder / "docs"), folder / "docs"


def test_gx_unexpected_and_observed_values_are_masked(pii_run):
    run, _ = pii_run
    regex, most_common = run.outcomes
    assert not regex.passed and regex.observed["unexpected_count"] == 3
    assert sorted(regex.sample_values) == ["10.1.*.*", "call ***-***-**67", "j***@e***.org"]
    assert "j***@e***.org" in most_common.observed["observed_value"]
    text = json.dumps([{"observed": o.observed, "samples": o.sample_values} for o in run.outcomes])
    for raw in RAW:
        assert raw not in text


def test_data_docs_show_masked_values_only(pii_run):
    run, docs = pii_run
    assert run.data_docs_index is not None
    pages = "".join(page.read_text(encoding="utf-8") for page in Path(docs).rglob("*.html"))
    assert "j***@e***.org" in pages
    for raw in RAW:
        assert raw not in pages


def test_every_value_the_patterns_match_passes_the_cheap_test_run_before_them():
    """The substring / pattern tested first must never skip a value the full pattern matches."""
    import random

    from checks.pii import PATTERNS, REQUIRED_PATTERN, REQUIRED_SUBSTRING

    generator = random.Random(7)
    values = ["".join(generator.choice("0123456789 +-.():@abc") for _ in range(generator.randint(4, 24)))
              for _ in range(50_000)]
    checked = 0
    for kind, pattern in PATTERNS.items():
        for value in values:
            if re.search(pattern, value):
                checked += 1
                assert REQUIRED_SUBSTRING[kind] is None or REQUIRED_SUBSTRING[kind] in value, (kind, value)
                assert kind not in REQUIRED_PATTERN or re.search(REQUIRED_PATTERN[kind], value), (kind, value)
    assert checked > 100  # the fuzzing reached matches of the patterns
