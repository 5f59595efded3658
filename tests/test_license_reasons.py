"""The reasons a steward reads for a license decision, on the bundled mauna-loa-co2 entry (the catalog says
CC-BY-4.0): with its LICENSE replaced by the CC-BY-NC-4.0 legal code, the decision says once what blocks it and
which sources disagree, not a second, nameless "non-commercial license" read from the legal code's own clauses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assets.catalog import load_catalog
from assets.evidence import gather_evidence
from licenses import decide, license_text, load_policy

CATALOG = Path(__file__).resolve().parents[1] / "catalog" / "catalog.yaml"
DATASET = "mauna-loa-co2"


@pytest.fixture(scope="module")
def entry():
    return load_catalog(CATALOG).get(DATASET)


def decided(entry, folder: Path, license_file: str):
    """The license decision on the bundled NOTICE and this LICENSE text, as the pipeline gathers them."""
    shutil.copy(CATALOG.parent / "data" / DATASET / "NOTICE", folder / "NOTICE")
    (folder / "LICENSE").write_text(license_file, encoding="utf-8")
    evidence = gather_evidence(entry, {name: str(folder / name) for name in ("LICENSE", "NOTICE")})
    return decide(evidence.signals, load_policy(entry.policy))


def test_the_bundled_entry_publishes_under_its_one_license(entry, tmp_path):
    bundled = (CATALOG.parent / "data" / DATASET / "LICENSE").read_text(encoding="utf-8")
    decision = decided(entry, tmp_path, bundled)
    policy = load_policy(entry.policy)
    assert decision.decision == "publish" and not decision.conflicts
    assert decision.reasons == [policy.traits["permissive"].reason.format(license="CC-BY-4.0")]


def test_a_non_commercial_license_file_blocks_with_one_reason_and_names_the_disagreement(entry, tmp_path):
    legal_code = license_text("CC-BY-NC-4.0")
    assert "NonCommercial purposes only" in legal_code  # its own clauses say so too: they are not reasons of their own
    decision = decided(entry, tmp_path, legal_code)
    policy = load_policy(entry.policy)
    disagreement = ("catalog says CC-BY-4.0 (commercial use, attribution) but LICENSE says CC-BY-NC-4.0 "
                    "(non-commercial use, attribution)")
    assert decision.decision == "blocked" and decision.conflicts == [disagreement]
    assert decision.reasons == [
        policy.traits["non-commercial"].reason.format(license="CC-BY-NC-4.0 in LICENSE"),
        policy.conflict.reason.format(conflicts=disagreement, license="CC-BY-NC-4.0"),
    ]
    assert not any("unknown license" in reason or " says \"" in reason for reason in decision.reasons)
