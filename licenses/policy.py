"""Publishing policy as data (licenses/policies/*.yaml) and the license decision.

A dataset's license has traits (public-domain, permissive, share-alike, use-restricted,
no-derivatives, non-commercial, research-only, no-redistribution, unknown). The policy
gives each trait a decision; the strictest wins: blocked > quarantine > publish. When the
evidence disagrees, every disagreeing license is judged, so the most restrictive wins.

"Forbids redistribution" (what a steward's sign-off can never override) is a policy
setting, `sign_off_cannot_release`. The default policy lists:
- no-redistribution: the terms say so ("may not be redistributed", "internal use only");
- no-derivatives: a published snapshot is converted, validated and filtered, i.e. adapted;
- research-only: such terms are personal agreements, they do not extend to the public.
Non-commercial alone does not forbid redistribution. A sign-off releases only a
quarantined dataset; a blocked one needs a policy that allows its license.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from licenses.after_publishing import AfterPublishing, AfterPublishingError, after_publishing_rules
from licenses.classify import classify
from licenses.copyright import copyright_holders, extract_copyright
from licenses.evidence import LicenseSignal, reconcile
from licenses.info import LicenseInfo, unknown
from licenses.reasons import TRAITS, license_traits, named, quoted, stated
from licenses.release import PUBLIC_DOMAIN_NAME, LicenseRelease, license_release, narrower_than_named

POLICY_DIR = Path(__file__).with_name("policies")
DECISIONS = ("publish", "quarantine", "blocked")  # least to most strict


class PolicyError(ValueError):
    """A policy file that does not say what it must."""


class PolicyNotFoundError(PolicyError, FileNotFoundError):
    """No policy of that name; the message lists the available ones."""


@dataclass(frozen=True)
class Rule:
    decision: str
    reason: str


RELICENSED_SHARE_ALIKE = Rule(
    "blocked", "share-alike license {license}: this catalog relicenses snapshots, which the license forbids")


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    audience: str  # "public" or "internal"
    snapshot_keeps_upstream_license: bool
    sign_off_cannot_release: frozenset[str]
    traits: dict[str, Rule]
    conflict: Rule
    no_evidence: Rule
    after_publishing: AfterPublishing = AfterPublishing()  # notice or withdraw; when upstream counts as gone


@dataclass(frozen=True)
class Permission:
    """A licence or written permission granted to a named party: what releases an opt-out (licenses/opt_out.py)."""

    kind: str  # "licence" | "written-permission"
    reference: str  # where it can be checked: the agreement's id, the letter's date and sender, a URL
    granted_to: str  # whom it is granted to, as the permission names them


@dataclass(frozen=True)
class SignOff:
    who: str
    when: str  # ISO date or timestamp
    why: str
    license: str | None = None  # the license the steward confirms: an SPDX id or expression, or "public-domain"
    evidence: str | None = None  # what confirms it (for public domain: the statement, published as LICENSE)
    permission: Permission | None = None  # releases an opt-out when granted to the publishing organisation

    def to_dict(self) -> dict:
        return {key: value for key, value in dataclasses.asdict(self).items() if value is not None}


@dataclass(frozen=True)
class LicenseDecision:
    decision: str  # "publish" | "blocked" | "quarantine"
    reasons: list[str]
    license: LicenseInfo
    obligations: list[str]
    policy: str
    needs_review: bool
    sign_off: SignOff | None
    conflicts: list[str] = field(default_factory=list)
    copyright: list[str] = field(default_factory=list)  # notices found in the evidence
    release: LicenseRelease | None = None  # how the license is published; None unless the decision is publish

    def to_dict(self) -> dict:
        return {
            "decision": self.decision,
            "reasons": list(self.reasons),
            "license": self.license.to_dict(),
            "obligations": list(self.obligations),
            "policy": self.policy,
            "needs_review": self.needs_review,
            "sign_off": self.sign_off.to_dict() if self.sign_off else None,
            "conflicts": list(self.conflicts),
            "copyright": list(self.copyright),
            "release": self.release.to_dict() if self.release else None,
        }


def available_policies() -> list[str]:
    return sorted(path.stem for path in POLICY_DIR.glob("*.yaml"))


def _rule(raw: object, where: str) -> Rule:
    if not isinstance(raw, dict) or raw.get("decision") not in DECISIONS or not raw.get("reason"):
        raise PolicyError(f"{where}: needs a decision ({', '.join(DECISIONS)}) and a reason")
    reason = str(raw["reason"])
    try:
        reason.format(license="", evidence="", conflicts="")
    except (KeyError, IndexError, ValueError) as error:
        raise PolicyError(f"{where}: reason may use only {{license}}, {{evidence}}, {{conflicts}} ({error})") from None
    return Rule(raw["decision"], reason)


def load_policy(name: str = "default") -> Policy:
    """Read licenses/policies/<name>.yaml (or a path to a policy file)."""
    import yaml

    is_path = str(name).endswith((".yaml", ".yml"))
    path = Path(name) if is_path else POLICY_DIR / f"{name}.yaml"
    if not path.is_file() or (not is_path and name not in available_policies()):
        raise PolicyNotFoundError(f"no license policy {name!r}; available: {', '.join(available_policies())}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    traits = raw.get("traits") or {}
    missing = [t for t in TRAITS if t not in traits]
    if missing:
        raise PolicyError(f"policy {path.name}: no rule for trait(s) {', '.join(missing)}")
    unknown_traits = set(raw.get("sign_off_cannot_release") or []) - set(TRAITS)
    if unknown_traits:
        raise PolicyError(f"policy {path.name}: unknown trait(s) {', '.join(sorted(unknown_traits))}")
    return Policy(
        name=str(raw.get("name") or path.stem),
        description=str(raw.get("description") or ""),
        audience=str(raw.get("audience") or "public"),
        snapshot_keeps_upstream_license=bool(raw.get("snapshot_keeps_upstream_license", True)),
        sign_off_cannot_release=frozenset(raw.get("sign_off_cannot_release") or []),
        traits={t: _rule(traits[t], f"policy {path.name}, trait {t}") for t in TRAITS},
        conflict=_rule(raw.get("conflict"), f"policy {path.name}, conflict"),
        no_evidence=_rule(raw.get("no_evidence"), f"policy {path.name}, no_evidence"),
        after_publishing=_after_publishing(raw.get("after_publishing"), f"policy {path.name}"),
    )


def _after_publishing(raw: object, where: str) -> AfterPublishing:
    try:
        return after_publishing_rules(raw, where)
    except AfterPublishingError as error:
        raise PolicyError(str(error)) from None


def _strictest(decisions: list[str]) -> str:
    return max(decisions, key=DECISIONS.index)


def _obligations(info: LicenseInfo, holders: list[str], policy: Policy) -> list[str]:
    credit = f" ({', '.join(holders)})" if holders else ""
    return [
        text
        for text, applies in (
            (f"keep the upstream license {info.label} and its text with every copy", bool(info.spdx or info.name)),
            (
                f"credit the copyright holders{credit} and the source, and keep the license and copyright notices",
                info.attribution,
            ),
            ("share adaptations under the same license", info.share_alike),
            ("pass the license's use restrictions on to every downstream user", info.use_restrictions),
            ("no commercial use", info.use == "non-commercial"),
            ("use for research only", info.use == "research-only"),
            ("do not share adapted versions", info.no_derivatives),
            ("do not redistribute", info.forbids_redistribution),
            ("keep the snapshot inside the organisation", policy.audience == "internal"),
        )
        if applies
    ]


def _judged_traits(
    license: LicenseInfo, signals: list[LicenseSignal], conflicts: list[str]
) -> list[tuple[str, LicenseInfo]]:
    """(trait, license) pairs to judge: the reconciled license, and every voting signal on conflict."""
    infos = [license] + ([s.info for s in signals if s.info.informative] if conflicts else [])
    pairs: list[tuple[str, LicenseInfo]] = []
    seen: set[tuple[str, str]] = set()
    for info in infos:
        for trait in license_traits(info):
            if (trait, info.label) not in seen:
                seen.add((trait, info.label))
                pairs.append((trait, info))
    return pairs


def _rule_for(trait: str, policy: Policy) -> Rule:
    """The policy's rule for a trait; share-alike is blocked outright where the catalog relicenses snapshots."""
    if trait == "share-alike" and not policy.snapshot_keeps_upstream_license:
        return RELICENSED_SHARE_ALIKE
    return policy.traits[trait]


def _format(rule: Rule, info: LicenseInfo, conflicts: list[str]) -> str:
    return _formatted(rule, named(info), info.evidence, conflicts)


def _formatted(rule: Rule, license: str, evidence: str, conflicts: list[str]) -> str:
    return rule.reason.format(license=license, evidence=evidence, conflicts="; ".join(conflicts))


def decide(signals: list[LicenseSignal], policy: Policy, sign_off: SignOff | None = None) -> LicenseDecision:
    """Publish, block or quarantine a dataset from its license evidence under a policy.

    `publish` is decided only when the snapshot can be published as it is: the license has a name the Hub
    accepts and a full text to ship with the data (see licenses/release.py); otherwise the dataset waits."""
    notices = list(dict.fromkeys(n for s in signals for n in extract_copyright(s.text)))
    if not signals:
        license = unknown("no license evidence found")
        result = LicenseDecision(policy.no_evidence.decision, [_format(policy.no_evidence, license, [])], license, [],
                                 policy.name, True, None)
        return _released(_apply_sign_off(result, policy, sign_off, notices), signals, sign_off)
    reconciled = reconcile(signals)
    license, conflicts = reconciled.license, reconciled.conflicts
    judged = [(trait, info, _rule_for(trait, policy)) for trait, info in _judged_traits(license, signals, conflicts)]
    decision = _strictest([rule.decision for _, _, rule in judged] + ([policy.conflict.decision] if conflicts else []))
    # One reason per trait that decides; on disagreement, saying which source states it.
    deciding = {trait: rule for trait, _, rule in judged if rule.decision == decision}
    if conflicts:
        reasons = [_formatted(rule, *stated(trait, reconciled), conflicts) for trait, rule in deciding.items()]
        disagreement = _format(policy.conflict, license, conflicts)
        # first when it decides; after the stricter rule that does
        reasons.insert(0 if policy.conflict.decision == decision else len(reasons), disagreement)
    else:
        reasons = [_format(rule, license, conflicts) for rule in deciding.values()]
    if decision != "publish":
        reasons += quoted(signals)
    result = LicenseDecision(
        decision=decision,
        reasons=list(dict.fromkeys(reasons)),
        license=license,
        obligations=_obligations(license, copyright_holders(notices), policy),
        policy=policy.name,
        needs_review=reconciled.needs_review,
        sign_off=None,
        conflicts=conflicts,
        copyright=notices,
    )
    released = _apply_sign_off(result, policy, sign_off, notices, [trait for trait, _, _ in judged])
    return _released(released, signals, sign_off)


def _released(result: LicenseDecision, signals: list[LicenseSignal], sign_off: SignOff | None) -> LicenseDecision:
    """A publish decision with how its license is published, or a quarantine when it cannot be."""
    if result.decision != "publish":
        return result
    if sign_off is not None and sign_off.license:  # the steward's confirmation is evidence of the license too
        signals = [*signals, LicenseSignal("sign_off", sign_off.evidence or sign_off.why, result.license)]
    release = license_release(result.license, signals)
    if release is not None:
        return dataclasses.replace(result, release=release)
    if narrower_than_named(result.license):
        reason = (f"the evidence restricts {result.license.label} beyond its own terms ({result.license.evidence}): no "
                  "one text states both, so it cannot be published as that license; a steward must review it")
    else:
        reason = (f"license {result.license.label} has no full text to publish with the data: put its text beside "
                  "the source (LICENSE) or name its SPDX id in the catalog, then a steward can review it")
    return dataclasses.replace(result, decision="quarantine", reasons=[reason, *result.reasons], needs_review=True)


def _confirmed_license(sign_off: SignOff) -> LicenseInfo | None:
    """The license a sign-off names: an SPDX id or expression, or public domain; None when it names neither."""
    text = (sign_off.license or "").strip()
    statement = sign_off.evidence or sign_off.why
    if text.lower().replace(" ", "-") == PUBLIC_DOMAIN_NAME:
        info = classify(statement)  # the statement published as LICENSE must say public domain, and nothing more
        if license_traits(info) != ["public-domain"] or info.spdx:
            return None
    else:
        info = classify(text)
        if not info.spdx or info.confidence < 1.0:
            return None
    return dataclasses.replace(info, evidence=f"confirmed by steward {sign_off.who} on {sign_off.when}: {statement}")


def _apply_sign_off(result: LicenseDecision, policy: Policy, sign_off: SignOff | None, notices: list[str],
                    traits: list[str] | None = None) -> LicenseDecision:
    """A steward's sign-off releases a quarantine, naming the license it confirms; never when the evidence or
    that license forbids redistribution, and never a blocked dataset."""
    if sign_off is None:
        return result
    who = f"{sign_off.who} on {sign_off.when}"
    if result.decision == "publish":
        return dataclasses.replace(result, sign_off=sign_off)

    def refused(why: str) -> LicenseDecision:
        return dataclasses.replace(result, reasons=[*result.reasons, f"sign-off by {who} {why}"])

    if result.decision == "blocked":
        return refused("does not apply: a sign-off releases quarantined datasets only; a blocked license needs a "
                       "policy that allows it")
    forbidding = sorted(set(traits or []) & policy.sign_off_cannot_release)
    if forbidding:
        return refused(f"cannot release this dataset: its license forbids redistribution ({', '.join(forbidding)})")
    license = result.license
    if sign_off.license:
        if sign_off.license.strip().lower().replace(" ", "-") == PUBLIC_DOMAIN_NAME and not sign_off.evidence:
            return refused("cannot release this dataset: a public-domain sign-off needs evidence, the statement "
                           "published as its LICENSE")
        license = _confirmed_license(sign_off)
        if license is None:
            return refused(f"cannot release this dataset: it names {sign_off.license!r}, which is neither an SPDX "
                           "license id nor public-domain with a statement (evidence) that says so")
    elif not (license.spdx or license.public_domain):
        return refused("cannot release this dataset: a sign-off must name the license it confirms (an SPDX id or "
                       "public-domain, with the evidence)")
    rules = [(trait, _rule_for(trait, policy)) for trait in license_traits(license)]
    not_publishable = [(trait, rule) for trait, rule in rules if rule.decision != "publish"]
    if not_publishable:
        trait, rule = not_publishable[0]
        return refused(f"cannot release this dataset: the license it confirms is {trait} "
                       f"({_format(rule, license, [])})")
    released = [f"released by steward {who}: {sign_off.why}", *(f"was quarantined: {r}" for r in result.reasons)]
    return dataclasses.replace(result, decision="publish", reasons=released, needs_review=False, sign_off=sign_off,
                               license=license, obligations=_obligations(license, copyright_holders(notices), policy))
