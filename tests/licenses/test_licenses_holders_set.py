"""The extractor against a labelled set of real notices (fixtures/holders.jsonl).

Each line is an excerpt of a LICENSE, NOTICE, COPYING or README file of an openly licensed
package (PyPI, npm, Debian) or of the bundled catalog, with ScanCode's holders
(cluecode.copyrights, scancode-toolkit 32.5.0) and the reviewed expected holders; "note"
says where and why the expected answer departs from ScanCode's.
"""

import json
from pathlib import Path

import pytest

from licenses import copyright_holders, extract_copyright

LABELLED = [json.loads(line) for line in (Path(__file__).parent / "fixtures" / "holders.jsonl").open(encoding="utf-8")]


def test_the_labelled_set_is_large_and_varied():
    assert len(LABELLED) >= 60
    assert sum(not row["expected"] for row in LABELLED) >= 15  # license texts with no notice
    assert sum(len(row["expected"]) > 1 for row in LABELLED) >= 15


def test_every_holder_matches_the_labelled_set():
    mismatches = [
        f"{row['source']}: expected {row['expected']}, got {got}"
        for row in LABELLED
        if (got := copyright_holders(extract_copyright(row["text"]))) != row["expected"]
    ]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("row", [row for row in LABELLED if row["scancode"] != row["expected"]],
                         ids=lambda row: row["source"])
def test_where_scancode_is_overruled_a_note_says_why(row):
    assert row["note"]
