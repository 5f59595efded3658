"""The classifier's answer (LicenseInfo), license terms, and how several answers combine."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# Least to most restrictive. "unknown" sits below the known restrictions: a known
# non-commercial or research-only term is a firmer reason not to publish than ignorance.
USE_ORDER = ("commercial", "unknown", "non-commercial", "research-only")


def use_rank(use: str) -> int:
    return USE_ORDER.index(use) if use in USE_ORDER else USE_ORDER.index("unknown")


def most_restrictive_use(uses: list[str]) -> str:
    return max(uses, key=use_rank) if uses else "unknown"


@dataclass(frozen=True)
class Terms:
    """What a license allows and asks, independent of its name."""

    use: str = "unknown"
    attribution: bool = False
    share_alike: bool = False
    no_derivatives: bool = False
    public_domain: bool = False
    use_restrictions: bool = False  # behavioural-use / acceptable-use clauses (OpenRAIL, Llama, Gemma)
    forbids_redistribution: bool = False  # the text explicitly forbids redistributing or sharing the data

    def restrict(self, other: Terms) -> Terms:
        """Terms that satisfy both self and other (the most restrictive reading)."""
        return Terms(
            use=most_restrictive_use([self.use, other.use]),
            attribution=self.attribution or other.attribution,
            share_alike=self.share_alike or other.share_alike,
            no_derivatives=self.no_derivatives or other.no_derivatives,
            public_domain=self.public_domain and other.public_domain,
            use_restrictions=self.use_restrictions or other.use_restrictions,
            forbids_redistribution=self.forbids_redistribution or other.forbids_redistribution,
        )


UNKNOWN_TERMS = Terms()


def license_label(info: dict) -> str:
    """Short steward-readable identification of a license (a LicenseInfo or its recorded dict): SPDX id, else
    name, else 'public domain', else 'custom terms' when words without a license name set the use or restrict
    it (no redistribution, use restrictions), else 'unknown license'."""
    if info.get("spdx") or info.get("name"):
        return info.get("spdx") or info.get("name")
    if info.get("public_domain"):
        return "public domain"
    custom = (info.get("use") not in (None, "unknown") or info.get("forbids_redistribution")
              or info.get("use_restrictions"))
    return "custom terms" if custom else "unknown license"


@dataclass(frozen=True)
class LicenseInfo:
    spdx: str | None
    use: str  # commercial | non-commercial | research-only | unknown
    attribution: bool
    share_alike: bool
    no_derivatives: bool
    confidence: float
    evidence: str
    name: str | None = None  # human name, e.g. "Creative Commons Attribution 4.0 International"
    hub_id: str | None = None  # Hugging Face Hub license id, None when the Hub has none
    url: str | None = None  # canonical license URL
    public_domain: bool = False
    use_restrictions: bool = False
    forbids_redistribution: bool = False
    informative: bool = True  # False when the text carries no license terms ("other", "see LICENSE", "")

    @property
    def terms(self) -> Terms:
        return Terms(
            use=self.use,
            attribution=self.attribution,
            share_alike=self.share_alike,
            no_derivatives=self.no_derivatives,
            public_domain=self.public_domain,
            use_restrictions=self.use_restrictions,
            forbids_redistribution=self.forbids_redistribution,
        )

    @property
    def label(self) -> str:
        return license_label({"spdx": self.spdx, "name": self.name, "public_domain": self.public_domain,
                              "use": self.use, "forbids_redistribution": self.forbids_redistribution,
                              "use_restrictions": self.use_restrictions})

    def with_terms(self, terms: Terms, **changes: object) -> LicenseInfo:
        return dataclasses.replace(self, **dataclasses.asdict(terms), **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def make_info(
    terms: Terms,
    *,
    confidence: float,
    evidence: str,
    spdx: str | None = None,
    name: str | None = None,
    hub_id: str | None = None,
    url: str | None = None,
    informative: bool = True,
) -> LicenseInfo:
    return LicenseInfo(
        spdx=spdx,
        confidence=confidence,
        evidence=evidence,
        name=name,
        hub_id=hub_id,
        url=url,
        informative=informative,
        **dataclasses.asdict(terms),
    )


def unknown(evidence: str, *, informative: bool = False, confidence: float = 0.0) -> LicenseInfo:
    return make_info(UNKNOWN_TERMS, confidence=confidence, evidence=evidence, informative=informative)


def _join_expression(ids: list[str], operator: str) -> str:
    parts = [f"({i})" if (" AND " in i or " OR " in i) else i for i in ids]
    return f" {operator} ".join(parts)


def combine(infos: list[LicenseInfo], operator: str = "AND") -> LicenseInfo:
    """One answer for several licenses that all apply (AND) or are offered (OR).

    Both operators take the most restrictive terms: we cannot know which branch of a
    choice upstream actually relied on, so the governance gate assumes the worse one.
    The SPDX expression survives only if every part has an SPDX id.
    """
    distinct = list(dict.fromkeys(infos))  # LicenseInfo is frozen, so hashable
    if len(distinct) == 1:
        return distinct[0]
    if not distinct:
        return unknown("nothing to combine")
    terms = distinct[0].terms
    for info in distinct[1:]:
        terms = terms.restrict(info.terms)
    ids = list(dict.fromkeys(i.spdx for i in distinct))
    names = list(dict.fromkeys(i.name for i in distinct))
    hub_ids = {i.hub_id for i in distinct}
    urls = {i.url for i in distinct}
    return make_info(
        terms,
        confidence=min(i.confidence for i in distinct),
        evidence="; ".join(dict.fromkeys(i.evidence for i in distinct)),
        spdx=_join_expression(ids, operator) if None not in ids else None,
        name=f" {operator.lower()} ".join(names) if None not in names else None,
        hub_id=hub_ids.pop() if len(hub_ids) == 1 else None,
        url=urls.pop() if len(urls) == 1 else None,
        informative=any(i.informative for i in distinct),
    )


def apply_restrictions(base: LicenseInfo, restrictions: list[LicenseInfo]) -> LicenseInfo:
    """Tighten base's terms with extra restrictions stated beside its license (keeps its identity)."""
    terms = base.terms
    for restriction in restrictions:
        terms = terms.restrict(restriction.terms)
    evidence = "; ".join([base.evidence, *(r.evidence for r in restrictions)])
    confidence = min([base.confidence, *(r.confidence for r in restrictions)])
    return base.with_terms(terms, evidence=evidence, confidence=confidence)
