"""The traits a policy judges in a license, and how a decision's reasons name the evidence that has them.

A reason names what decides once per trait. When the evidence disagrees it says where each reading states it
("CC-BY-NC-4.0 in LICENSE"): a sentence that adds nothing to its reading's license (a clause of the license's own
text, "non-commercial use only" beside CC BY-NC) is neither a license of its own nor quoted.
"""

from __future__ import annotations

from licenses.evidence import LicenseSignal, Reconciled, most_specific
from licenses.info import LicenseInfo
from licenses.known import known_license
from licenses.release import narrower_than_named

TRAITS = (
    "public-domain",
    "permissive",
    "share-alike",
    "use-restricted",
    "no-derivatives",
    "non-commercial",
    "research-only",
    "no-redistribution",
    "unknown",
)


def license_traits(info: LicenseInfo) -> list[str]:
    """The policy-relevant traits of a license; a license with none is permissive."""
    traits = [
        trait
        for trait, present in (
            ("unknown", info.use == "unknown"),
            ("research-only", info.use == "research-only"),
            ("non-commercial", info.use == "non-commercial"),
            ("no-derivatives", info.no_derivatives),
            ("no-redistribution", info.forbids_redistribution),
            ("use-restricted", info.use_restrictions),
            ("share-alike", info.share_alike),
        )
        if present
    ]
    if not traits:
        traits.append("public-domain" if info.public_domain else "permissive")
    return traits


def named(info: LicenseInfo) -> str:
    """The license as a reason names it: "MIT with added terms" when words beside it restrict it beyond its own."""
    return f"{info.label} with added terms" if narrower_than_named(info) else info.label


def stated(trait: str, reconciled: Reconciled) -> tuple[str, str]:
    """(license, evidence) of a trait the evidence disagrees on: per reading that has it, the license and the
    sources that state it ("CC-BY-NC-4.0 in LICENSE"); a sentence that adds nothing to its reading's license is not
    named apart."""
    places, evidence = [], []
    for reading in reconciled.readings:
        having = [s for s in reading if trait in license_traits(s.info)]
        if having:
            carrier = most_specific(having)
            sources = dict.fromkeys(s.source for s in having if s.info.label == carrier.info.label)
            places.append(f"{named(carrier.info)} in {' and '.join(sources)}")
            evidence.append(carrier.info.evidence)
    return ", ".join(places), "; ".join(dict.fromkeys(evidence))


def quoted(signals: list[LicenseSignal]) -> list[str]:
    """The sentences (or repeated card keys) that state what not all the other evidence says, as the source wrote
    them: the first per source and traits. A sentence of a license file that its license says too (the title, a
    clause of the license's own text) is no news: the file's license is named already."""
    others = [set(license_traits(s.info)) for s in signals if not s.quoted and s.info.informative]
    undisputed = set.intersection(*others) if others else set()
    reasons: dict[tuple, str] = {}
    for s in signals:
        traits = tuple(trait for trait in license_traits(s.info) if trait not in undisputed)
        if s.quoted and traits and (s.source, traits) not in reasons and not _restates_its_license(s, signals):
            reasons[(s.source, traits)] = f'{s.source} says "{s.text}" ({s.info.evidence})'
    return list(reasons.values())


def _restates_its_license(sentence: LicenseSignal, signals: list[LicenseSignal]) -> bool:
    """The license its own file names (by SPDX id) has the sentence's terms already."""
    for whole in signals:
        if whole.source == sentence.source and not whole.quoted and whole.info.spdx \
                and sentence.info.spdx in (None, whole.info.spdx):
            plain = known_license(whole.info.spdx)
            if plain is not None and plain.terms.restrict(sentence.info.terms) == plain.terms:
                return True
    return False
