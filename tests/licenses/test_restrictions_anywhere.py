"""A restriction stated anywhere in the evidence counts: NOTICE, README or card body, card YAML, LICENSE,
datapackage.json. The catalog says CC-BY-4.0 in each case; the sentence that restricts is quoted to the steward.
Statements about something else than the data (the code, the flags) do not restrict it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from licenses import (classify, decide, load_policy, restriction_signals, signal, signals_from_card,
                      signals_from_datapackage, signals_from_file)
from licenses.evidence import reconcile
from licenses.restrictions import MAX_SCAN_CHARS, restrictions_in

BUNDLED = Path(__file__).resolve().parents[2] / "catalog" / "data"
CATALOG = signal("catalog", "CC-BY-4.0")
NOTICE_NC = "This dataset is licensed under CC BY-NC 4.0. Commercial use is not permitted."
CARD_NC = """---
license: cc-by-4.0
pretty_name: Reviews
---
# Reviews

This dataset may only be used for non-commercial purposes (CC BY-NC 4.0). Commercial use is prohibited.
"""
CARD_NO_KEY = "---\npretty_name: Reviews\n---\n# Reviews\n\nNon-commercial use only.\n"
README_PLAIN = "# Reviews\n\nCollected in 2024.\n\nLicense: CC BY-NC 4.0 - non-commercial use only.\n"
NO_SALE = "You may not sell this data or use it in any product or service offered for a fee."
CARD_REPEATED = "---\nlicense: cc-by-nc-4.0\npretty_name: Reviews\nlicense: cc-by-4.0\n---\n# Reviews\n"


def decided(signals):
    return decide([CATALOG, *signals], load_policy("default"))


def assert_not_published_quoting(decision, sentence):
    assert decision.decision in ("blocked", "quarantine")
    assert decision.needs_review or decision.decision == "blocked"
    assert any(sentence in reason for reason in decision.reasons), decision.reasons


def test_a_notice_that_restricts_the_data_blocks_it_and_is_quoted():
    decision = decided(restriction_signals("NOTICE", NOTICE_NC))
    assert decision.decision == "blocked"
    assert decision.license.use == "non-commercial"
    assert decision.conflicts  # the catalog said otherwise: a steward sees both
    assert_not_published_quoting(decision, "This dataset is licensed under CC BY-NC 4.0.")


def test_a_card_body_restricts_beyond_its_yaml_license():
    signals = signals_from_card(CARD_NC)
    assert [s.source for s in signals if not s.quoted] == ["hub_card:license"]
    assert_not_published_quoting(decided(signals), "may only be used for non-commercial purposes (CC BY-NC 4.0)")


def test_a_card_without_a_license_key_still_restricts_in_its_body():
    assert_not_published_quoting(decided(signals_from_card(CARD_NO_KEY)), "Non-commercial use only.")


def test_a_readme_without_front_matter_is_all_body():
    decision = decided(signals_from_card(README_PLAIN))
    assert decision.license.spdx == "CC-BY-NC-4.0"
    assert_not_published_quoting(decision, "License: CC BY-NC 4.0 - non-commercial use only.")


def test_a_license_file_that_forbids_sale_is_a_restriction_not_uninformative():
    info = classify(NO_SALE)
    assert info.informative and info.use == "non-commercial"
    signals = [signals_from_file("LICENSE", NO_SALE.encode()), *restriction_signals("LICENSE", NO_SALE)]
    assert_not_published_quoting(decided(signals), NO_SALE)


@pytest.mark.parametrize(("text", "use", "share_alike", "no_derivatives"), [
    ("BY-NC-SA", "non-commercial", True, False),
    ("BY-NC", "non-commercial", False, False),
    ("by-nc-nd\n", "non-commercial", False, True),
    ("License: BY-NC-SA", "non-commercial", True, False),
])
def test_bare_creative_commons_elements_are_the_cc_license(text, use, share_alike, no_derivatives):
    info = classify(text)
    assert (info.use, info.share_alike, info.no_derivatives, info.attribution) == (use, share_alike, no_derivatives,
                                                                                   True)
    assert info.name.startswith("Creative Commons Attribution-NonCommercial")
    signals = [signals_from_file("LICENSE", text.encode()), *restriction_signals("LICENSE", text)]
    assert_not_published_quoting(decided(signals), text.strip())


def test_cc_by_nc_with_a_version_keeps_its_spdx_id_and_a_word_pair_is_no_license():
    assert classify("CC BY-NC 4.0").spdx == "CC-BY-NC-4.0"
    assert not classify("funded by NC").informative
    assert restrictions_in("The survey was funded by NC State. It ran in 2020.") == []


def test_a_repeated_card_key_is_a_conflict_not_the_last_value():
    signals = signals_from_card(CARD_REPEATED)
    decision = decided(signals)
    assert decision.decision == "blocked"  # the first value is non-commercial: most restrictive wins
    assert_not_published_quoting(decision, "license: cc-by-nc-4.0 (line 2); license: cc-by-4.0 (line 4)")


def test_a_repeated_key_with_the_same_value_still_waits_for_a_steward():
    decision = decided(signals_from_card("---\nlicense: cc-by-4.0\nlicense: cc-by-4.0\n---\n"))
    assert decision.decision == "quarantine" and decision.needs_review
    assert any("gives the key 'license' 2 times" in reason for reason in decision.reasons)


def test_repeated_keys_are_found_in_nested_mappings_and_self_referring_anchors_are_read_once():
    signals = signals_from_card("---\na: &x [*x]\nlicense: cc-by-4.0\nextra:\n  terms: a\n  terms: b\n---\n")
    [repeated] = [s for s in signals if s.quoted]
    assert repeated.text == "extra/terms: a (line 5); extra/terms: b (line 6)"


def test_restrictions_in_other_card_values_and_datapackage_descriptions_count():
    card = ("---\nlicense: cc-by-4.0\n"
            "extra_gated_prompt: You agree to use this dataset for research purposes only.\n---\n")
    assert_not_published_quoting(decided(signals_from_card(card)), "for research purposes only")
    package = {"licenses": [{"name": "CC-BY-4.0"}], "description": "Prices. The data may not be redistributed.",
               "resources": [{"name": "rows", "description": "Non-commercial use only.",
                              "schema": {"fields": [{"name": "noncommercial", "type": "boolean"}]}}]}
    signals = signals_from_datapackage(json.dumps(package))
    assert {(s.source, s.text) for s in signals if s.quoted} == {
        ("datapackage.json:description", "The data may not be redistributed."),
        ("datapackage.json:resources/rows/description", "Non-commercial use only."),
    }
    assert decided(signals).decision == "blocked"


@pytest.mark.parametrize("notice", [
    "The data is licensed under CC BY 4.0. The BSD license covers only the package code.",
    "The data is licensed under CC BY 4.0. The software is for non-commercial use.",
    "The data is CC BY 4.0. Flags are not covered by the ODbL; this extract has none.",
    "The data is CC BY 4.0. The code in this repository is released under CC BY-NC 4.0.",
    "The data is CC BY 4.0. Commercial use of the software is prohibited.",
    "The data is CC BY 4.0. The model weights are for research use only.",
    "The data is CC BY 4.0. Code: CC BY-NC 4.0.",
    "The data is CC BY 4.0. Note: the scripts may not be sold.",
    "The data is CC BY 4.0. Cloudflare's trademarks are not licensed under CC BY-NC 4.0.",
    "The data is CC BY 4.0. This dataset is not licensed under CC BY-NC.",
    "The data is CC BY 4.0. We collected the reviews for research purposes. Copyright 2020 X. All rights reserved.",
    "This repository's code is for non-commercial use only; the data is CC BY 4.0.",  # the last noun heads it
    "The data is CC BY 4.0. We do not sell your data. We will not sell your personal information.",  # a promise
])
def test_statements_about_something_other_than_the_data_do_not_restrict_it(notice):
    assert restriction_signals("NOTICE", notice) == []
    assert decided(restriction_signals("NOTICE", notice)).decision == "publish"


@pytest.mark.parametrize(("text", "sentence"), [
    ("The code is MIT, and the data is CC BY-NC 4.0.", "The code is MIT, and the data is CC BY-NC 4.0."),
    ("The code is MIT. Commercial use of this dataset is prohibited.", "Commercial use of this dataset is prohibited."),
    ("The images are for research use only, e.g. in universities.",
     "The images are for research use only, e.g. in universities."),
    ("Data and code: CC BY-NC-ND 4.0.", "Data and code: CC BY-NC-ND 4.0."),
    ("- Do not redistribute the files.\n- Cite the paper.", "Do not redistribute the files."),
    # only a subject sets a statement aside, never an object
    ("You may not use it for commercial purposes, including in tools.",
     "You may not use it for commercial purposes, including in tools."),
    ("Non-commercial use only, including in software products.",
     "Non-commercial use only, including in software products."),
    ("Note: the models trained on this data may not be sold.",
     "Note: the models trained on this data may not be sold."),
    ("The code and data are for non-commercial use.", "The code and data are for non-commercial use."),
    ("Users must not resell the data.", "Users must not resell the data."),
])
def test_restrictions_on_the_data_or_a_part_of_it_count(text, sentence):
    [found] = restrictions_in(text)
    assert found.sentence == sentence


def test_a_license_text_own_clauses_are_not_restrictions_but_an_added_note_is():
    legal_code = (BUNDLED / "mauna-loa-co2" / "LICENSE").read_text()
    assert restriction_signals("LICENSE", legal_code) == []
    [note] = restriction_signals("LICENSE", legal_code + "\n\nNote: the data may not be used commercially.\n")
    assert note.text == "Note: the data may not be used commercially." and note.info.use == "non-commercial"


def test_a_restriction_the_license_already_has_is_no_disagreement():
    signals = [signal("catalog", "CC-BY-NC-4.0"), *restriction_signals("NOTICE", "Non-commercial use only.")]
    assert not reconcile(signals).conflicts
    decision = decide(signals, load_policy("default"))
    assert decision.decision == "blocked" and not any("says" in reason for reason in decision.reasons)


def test_the_bundled_notices_and_readmes_restrict_only_the_non_commercial_dataset():
    restricted = {folder.name for folder in BUNDLED.iterdir() for name in ("NOTICE", "README.md", "LICENSE")
                  if (folder / name).exists() and restriction_signals(name, (folder / name).read_text())}
    assert restricted == {"cloudflare-verified-bots"}


def test_a_text_too_long_to_read_whole_waits_for_a_steward():
    text = "The measurements were taken daily. " * (MAX_SCAN_CHARS // 30)
    [doubt] = restriction_signals("README.md", text)
    assert doubt.info.informative and doubt.info.use == "unknown"
    assert decided([doubt]).decision == "quarantine"


def test_a_quoted_sentence_is_never_published_as_the_license_statement():
    research = load_policy("research")
    decision = decide(restriction_signals("NOTICE", "Non-commercial use only."), research)
    assert decision.decision == "quarantine"  # custom terms with no statement of them to publish as LICENSE
    assert decision.release is None
