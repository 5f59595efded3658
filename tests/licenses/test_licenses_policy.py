"""Policy decisions for every outcome, and steward sign-off."""

import dataclasses

import pytest
import yaml

from licenses import (
    PolicyError,
    SignOff,
    available_policies,
    decide,
    license_traits,
    license_text,
    load_policy,
    restriction_signals,
    signal,
    signals_from_file,
)
from licenses.policy import POLICY_DIR, Rule

STEWARD = SignOff(who="ana.steward", when="2025-03-01", why="upstream confirmed CC BY 4.0 by e-mail",
                  license="CC-BY-4.0")


@pytest.fixture(scope="module")
def default():
    return load_policy()


@pytest.fixture(scope="module")
def research():
    return load_policy("research")


def decide_text(text: str, policy, sign_off=None):
    return decide([signal("catalog", text)], policy, sign_off)


def test_policies_available_and_missing_policy_lists_them():
    assert {"default", "research"} <= set(available_policies())
    with pytest.raises(PolicyError, match="default.*research|research.*default"):
        load_policy("no-such-policy")
    with pytest.raises(FileNotFoundError):
        load_policy("../policies/default")


@pytest.mark.parametrize(
    ("text", "decision", "reason_part"),
    [
        ("CC0-1.0", "publish", "public-domain"),
        ("MIT", "publish", "permissive"),
        ("CC-BY-4.0", "publish", "permissive"),
        ("CC-BY-SA-4.0", "publish", "same license"),
        ("ODbL-1.0", "publish", "share-alike"),
        (
            "CC-BY-NC-4.0",
            "blocked",
            "non-commercial license CC-BY-NC-4.0: the default policy publishes only licenses that allow commercial use",
        ),
        ("CC-BY-ND-4.0", "blocked", "no-derivatives"),
        ("For research purposes only", "blocked", "research-only"),
        ("llama3", "blocked", "use"),
        ("CC BY 4.0; redistribution is prohibited", "blocked", "forbid redistribution"),
        ("other", "quarantine", "license unknown"),
        ("Modified MIT License", "quarantine", "license unknown"),
    ],
)
def test_default_policy_outcomes(default, text, decision, reason_part):
    result = decide_text(text, default)
    assert result.decision == decision
    assert any(reason_part in reason for reason in result.reasons), result.reasons
    assert result.policy == "default"


def test_no_evidence_is_quarantined(default):
    result = decide([], default)
    assert result.decision == "quarantine"
    assert result.reasons == ["no license evidence found: a steward must identify the license before publishing"]


def test_a_policy_may_block_rather_than_quarantine_without_evidence(default):
    strict = dataclasses.replace(default, no_evidence=Rule("blocked", "{license}: nothing to go on"))
    result = decide([], strict)
    assert result.decision == "blocked"
    assert result.reasons == ["unknown license: nothing to go on"]


def test_obligations_in_plain_words(default):
    result = decide(
        [signal("catalog", "CC BY-SA 4.0"), signal("LICENSE", "Copyright (c) 2019 ACME Corp")],
        default,
    )
    assert result.decision == "publish"
    assert "share adaptations under the same license" in result.obligations
    assert any("credit the copyright holders (ACME Corp)" in o for o in result.obligations)
    assert result.copyright == ["Copyright (c) 2019 ACME Corp"]


def test_public_domain_has_no_credit_obligation(default):
    result = decide_text("CC0", default)
    assert not any("credit" in o for o in result.obligations)


def test_conflict_quarantines_even_when_both_publishable(default):
    result = decide([signal("hub_card:license", "cc-by-4.0"), signal("LICENSE", "MIT License")], default)
    assert result.decision == "quarantine" and result.needs_review
    assert "disagrees" in result.reasons[0] and "MIT" in result.reasons[0] and "CC-BY-4.0" in result.reasons[0]


def test_conflict_with_a_blocked_license_blocks(default):
    result = decide([signal("hub_card:license", "mit"), signal("LICENSE", "CC BY-NC 4.0")], default)
    assert result.decision == "blocked" and result.needs_review and result.conflicts


def test_conflict_reasons_say_once_per_trait_which_source_states_it(default):
    result = decide([signal("catalog", "CC-BY-NC-4.0"), signal("hub_card:license", "cc-by-nc-sa-4.0")], default)
    assert result.decision == "blocked"
    [non_commercial] = [reason for reason in result.reasons if reason.startswith("non-commercial")]
    assert non_commercial.startswith(
        "non-commercial license CC-BY-NC-4.0 in catalog, CC-BY-NC-SA-4.0 in hub_card:license: ")
    assert result.reasons[1].startswith("license evidence disagrees: catalog says CC-BY-NC-4.0")


def test_a_restricting_sentence_without_a_license_name_is_named_by_its_source_and_quoted(default):
    result = decide([signal("catalog", "CC-BY-4.0"), *restriction_signals("NOTICE", "Non-commercial use only.")],
                    default)
    assert result.decision == "blocked"
    assert result.reasons[0].startswith("non-commercial license custom terms in NOTICE: ")
    assert "NOTICE says custom terms (non-commercial use)" in result.reasons[1]
    assert result.reasons[2] == 'NOTICE says "Non-commercial use only." (non-commercial terms: \'noncommercial\')'
    assert not any("unknown license" in reason for reason in result.reasons)


# The legend of the Wi-Fi Alliance license text in scancode-toolkit's license data (licensedcode), verbatim.
@pytest.mark.parametrize("statement", ["Confidential not for redistribution", "Redistribution of this data is not "
                                       "permitted.", "Copyright (c) 2019 Example Institute, who retains all rights."])
def test_a_sentence_forbidding_redistribution_blocks_and_is_named_custom_terms(default, statement):
    result = decide([signal("catalog", "CC-BY-4.0"), *restriction_signals("NOTICE", statement)], default)
    assert result.decision == "blocked"
    assert "NOTICE says custom terms (terms unknown, no redistribution)" in result.reasons[1]
    assert not any("unknown license" in reason for reason in result.reasons)


def test_a_note_added_to_a_license_text_is_quoted_and_the_license_named_as_narrowed(default):
    text = license_text("CC-BY-4.0") + "\n\nNote: the data may not be used commercially.\n"
    signals = [signal("catalog", "CC-BY-4.0"), signals_from_file("LICENSE", text.encode()),
               *restriction_signals("LICENSE", text)]
    result = decide(signals, default)
    assert result.decision == "blocked"
    assert result.reasons[0].startswith("non-commercial license CC-BY-4.0 with added terms in LICENSE: ")
    assert result.reasons[-1].startswith('LICENSE says "Note: the data may not be used commercially."')


def test_a_disagreement_that_quarantines_gives_no_publishing_reasons(default):
    result = decide([signal("hub_card:license", "cc-by-4.0"), signal("LICENSE", "MIT License")], default)
    assert result.decision == "quarantine"
    assert len(result.reasons) == 1 and result.reasons[0].startswith("license evidence disagrees: ")


def test_conflict_judges_every_disagreeing_license(research):
    # research-only wins on use, but the no-derivatives signal must still block
    result = decide([signal("catalog", "Research use only"), signal("LICENSE", "CC BY-ND 4.0")], research)
    assert result.decision == "blocked"


def test_sign_off_releases_a_quarantine_and_is_recorded(default):
    result = decide_text("other", default, STEWARD)
    assert result.decision == "publish"
    assert result.sign_off == STEWARD
    assert result.reasons[0] == "released by steward ana.steward on 2025-03-01: upstream confirmed CC BY 4.0 by e-mail"
    assert any(r.startswith("was quarantined: license unknown") for r in result.reasons)
    assert result.to_dict()["sign_off"] == {"who": "ana.steward", "when": "2025-03-01", "why": STEWARD.why,
                                            "license": "CC-BY-4.0"}
    assert result.license.spdx == "CC-BY-4.0" and "confirmed by steward ana.steward" in result.license.evidence
    assert result.release.hub_license == "cc-by-4.0" and result.release.text_from == "spdx:CC-BY-4.0"


def test_a_sign_off_must_name_the_license_it_confirms(default):
    unnamed = decide_text("other", default, dataclasses.replace(STEWARD, license=None))
    assert unnamed.decision == "quarantine" and unnamed.sign_off is None
    assert "must name the license it confirms" in unnamed.reasons[-1]
    bogus = decide_text("other", default, dataclasses.replace(STEWARD, license="the usual terms"))
    assert bogus.decision == "quarantine" and "neither an SPDX license id nor public-domain" in bogus.reasons[-1]
    restricted = decide_text("other", default, dataclasses.replace(STEWARD, license="CC-BY-NC-4.0"))
    assert restricted.decision == "quarantine" and "non-commercial" in restricted.reasons[-1]


def test_a_public_domain_sign_off_without_its_statement_releases_nothing(default):
    result = decide_text("other", default, dataclasses.replace(STEWARD, license="public-domain"))
    assert result.decision == "quarantine" and "needs evidence" in result.reasons[-1]
    not_public_domain = dataclasses.replace(STEWARD, license="public-domain",
                                            evidence="All rights reserved. Do not redistribute.")
    assert decide_text("other", default, not_public_domain).decision == "quarantine"


def test_a_public_domain_sign_off_publishes_its_evidence_as_the_license_text(default):
    statement = "The authors placed this table in the public domain (letter of 2026-11-30)."
    sign_off = dataclasses.replace(STEWARD, license="public-domain", evidence=statement)
    result = decide_text("other", default, sign_off)
    assert result.decision == "publish" and result.license.public_domain
    assert (result.release.hub_license, result.release.license_name) == ("other", "public-domain")
    assert result.release.statement == statement and result.release.text_from == "statement:sign_off"


@pytest.mark.parametrize("statement", ["This is public domain.", "This data is in the public domain."])
def test_a_public_domain_statement_is_published_with_the_statement_as_its_text(default, statement):
    result = decide_text(statement, default)
    assert result.decision == "publish"
    assert (result.release.hub_license, result.release.license_name) == ("other", "public-domain")
    assert result.release.statement == statement and result.release.text_from == "statement:catalog"


@pytest.mark.parametrize(("text", "hub_license", "text_from"), [
    ("CC0-1.0", "cc0-1.0", "spdx:CC0-1.0"),
    ("BSD-3-Clause", "bsd-3-clause", "spdx:BSD-3-Clause"),
    ("MIT OR Apache-2.0", "other", "spdx:MIT OR Apache-2.0"),
])
def test_an_spdx_license_is_published_with_its_full_text(default, text, hub_license, text_from):
    result = decide_text(text, default)
    assert result.decision == "publish"
    assert (result.release.hub_license, result.release.text_from) == (hub_license, text_from)


def test_a_license_known_only_by_name_waits_for_its_text(default):
    result = decide_text("CC BY", default)  # no version: no SPDX id, no text to publish
    assert result.decision == "quarantine" and result.release is None
    assert "no full text to publish" in result.reasons[0]


def test_sign_off_releases_a_conflict(default):
    result = decide([signal("hub_card:license", "cc-by-4.0"), signal("LICENSE", "MIT License")], default, STEWARD)
    assert result.decision == "publish" and not result.needs_review


def test_sign_off_never_releases_a_blocked_dataset(default):
    result = decide_text("CC-BY-NC-SA-4.0", default, STEWARD)
    assert result.decision == "blocked" and result.sign_off is None
    assert "does not apply" in result.reasons[-1]


def test_sign_off_never_releases_when_license_forbids_redistribution(tmp_path):
    # a steward's own policy that quarantines no-derivatives licenses: still not releasable
    raw = yaml.safe_load((POLICY_DIR / "default.yaml").read_text())
    raw["name"] = "strict"
    raw["traits"]["no-derivatives"]["decision"] = "quarantine"
    source = tmp_path / "strict.yaml"
    source.write_text(yaml.safe_dump(raw))
    policy = load_policy(str(source))
    result = decide_text("CC BY-ND 4.0", policy, STEWARD)
    assert result.decision == "quarantine" and result.sign_off is None
    assert "forbids redistribution" in result.reasons[-1]


def test_research_policy_allows_non_commercial_and_research_only(research):
    assert decide_text("CC-BY-NC-4.0", research).decision == "publish"
    result = decide_text("This dataset is for non-commercial research purposes only.", research)
    assert result.decision == "publish"
    assert "use for research only" in result.obligations
    assert "keep the snapshot inside the organisation" in result.obligations
    assert decide_text("CC-BY-NC-ND-4.0", research).decision == "blocked"
    assert decide_text("other", research).decision == "quarantine"


def test_relicensing_catalog_blocks_share_alike(tmp_path):
    raw = yaml.safe_load((POLICY_DIR / "default.yaml").read_text())
    raw["snapshot_keeps_upstream_license"] = False
    path = tmp_path / "relicense.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert decide_text("CC-BY-SA-4.0", load_policy(str(path))).decision == "blocked"
    assert decide_text("MIT", load_policy(str(path))).decision == "publish"


def test_incomplete_policy_is_rejected(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\ntraits: {permissive: {decision: publish, reason: ok}}\n")
    with pytest.raises(PolicyError, match="no rule for trait"):
        load_policy(str(path))
    raw = yaml.safe_load((POLICY_DIR / "default.yaml").read_text())
    raw["traits"]["permissive"]["reason"] = "allowed {licence}"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PolicyError, match="reason may use only"):
        load_policy(str(path))


def test_traits():
    assert license_traits(signal("x", "CC-BY-NC-ND-4.0").info) == ["non-commercial", "no-derivatives"]
    assert license_traits(signal("x", "CC0").info) == ["public-domain"]
    assert license_traits(signal("x", "MIT").info) == ["permissive"]


def test_decision_to_dict(default):
    record = decide_text("MIT", default).to_dict()
    assert record["decision"] == "publish" and record["license"]["spdx"] == "MIT" and record["sign_off"] is None


def test_a_license_restricted_beyond_its_own_terms_is_not_published_as_that_license(research):
    result = decide_text("Released under the MIT license. Non-commercial use only.", research)
    assert result.decision == "quarantine" and result.release is None
    assert "restricts MIT beyond its own terms" in result.reasons[0]


def test_an_upstream_file_that_only_names_the_license_does_not_stand_for_its_text(default):
    result = decide([signal("hub_card:license", "mit"), signal("LICENSE", "This project is MIT licensed.")], default)
    assert result.decision == "publish" and result.release.text_from == "spdx:MIT"


def test_a_code_license_beside_data_keeps_its_restrictions(default):
    result = decide_text("Data and code are released under CC BY-NC 4.0. Documentation is MIT.", default)
    assert result.decision == "blocked" and result.license.use == "non-commercial"
