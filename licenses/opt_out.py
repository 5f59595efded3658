"""Opt-out signals: a site's word, outside any license, that its content is not to be mined or used for AI training.

Read for data fetched over HTTP(S):
- robots.txt (RFC 9309), parsed with protego, for the AI crawler user agents below and `*`: the data URL's path
  disallowed for any of them is an opt-out, quoted as the group of lines that says so;
- TDM reservations (W3C TDMRep community report): a `tdm-reservation: 1` response header on the data (with its
  `tdm-policy`, if any), or the first rule of `/.well-known/tdmrep.json` whose `location` matches the path with
  `tdm-reservation: 1`.

An opt-out quarantines the dataset, whatever its license says; a steward's sign-off releases it only by naming a
permission granted to the organisation that publishes (a licence or a written permission, with its reference): as
with licenses, permission given to someone else is not ours. A plain library: the caller fetches the files.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from licenses.policy import LicenseDecision, Permission

# User agents of crawlers that gather AI training data, as their operators document them; `*` is every crawler.
AI_CRAWLERS = (
    "GPTBot",  # OpenAI
    "ClaudeBot", "anthropic-ai",  # Anthropic
    "CCBot",  # Common Crawl, a source of most training corpora
    "Google-Extended",  # Google's AI training control token
    "Applebot-Extended",  # Apple's
    "Bytespider",  # ByteDance
    "meta-externalagent",  # Meta
    "PerplexityBot",
    "cohere-ai",
    "*",
)
PERMISSION_KINDS = ("licence", "written-permission")
TDMREP_PATH = "/.well-known/tdmrep.json"
# Any robots.txt record (RFC 9309 and the usual extensions): a file of content lines none of which is one is not a
# robots.txt.
ROBOTS_FIELD_RE = re.compile(r"^\s*(user-?agent|allow|disallow|sitemap|crawl-delay|host|request-rate|visit-time)"
                             r"\s*:", re.IGNORECASE)


class OptOutError(ValueError):
    """A robots.txt or tdmrep.json that cannot be read as one; the message names its URL."""


@dataclass(frozen=True)
class OptOutSignal:
    kind: str  # "robots.txt" | "tdm-reservation header" | "tdmrep.json"
    url: str  # where it came from: the robots.txt, the data URL whose response carried the header, the tdmrep.json
    quote: str  # verbatim: the robots.txt lines, the header lines, the tdmrep.json rule
    applies_to: str  # the data URL it reserves
    agents: tuple[str, ...] = ()  # robots.txt: the user agents disallowed

    def reason(self) -> str:
        who = f" for {', '.join(self.agents)}" if self.agents else ""
        return f'opted out by {self.kind} at {self.url}{who}: "{self.quote}" (applies to {self.applies_to})'

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "agents": list(self.agents)}

    @classmethod
    def from_dict(cls, raw: dict) -> OptOutSignal:
        return cls(raw["kind"], raw["url"], raw["quote"], raw["applies_to"], tuple(raw.get("agents") or ()))


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def tdmrep_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{TDMREP_PATH}"


def robots_text(body: bytes, where: str) -> str:
    """The robots.txt as text, or OptOutError naming `where` when it is not one: not UTF-8 text (RFC 9309), an HTML
    page, or content without a single robots.txt record."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OptOutError(f"robots.txt at {where} is not UTF-8 text (binary data?): it cannot be read") from None
    if "\x00" in text:
        raise OptOutError(f"robots.txt at {where} is binary data, not text: it cannot be read")
    content = [line for line in (line.split("#", 1)[0].strip() for line in text.splitlines()) if line]
    if content and content[0].startswith("<"):
        raise OptOutError(f"robots.txt at {where} is an HTML (or XML) page, not a robots.txt: it cannot be read")
    if content and not any(ROBOTS_FIELD_RE.match(line) for line in content):
        raise OptOutError(f"robots.txt at {where} does not parse: none of its {len(content)} lines is a robots.txt "
                          f"record (User-agent, Allow, Disallow, Sitemap); first line: {content[0][:80]!r}")
    return text


def robots_signals(text: str, where: str, data_url: str) -> list[OptOutSignal]:
    """The opt-outs a robots.txt states for `data_url`: one per group of lines that disallows it for AI crawlers."""
    from protego import Protego

    parser = Protego.parse(text)
    groups = _groups(text)
    by_quote: dict[str, list[str]] = {}
    for agent in AI_CRAWLERS:
        if parser.can_fetch(data_url, agent):
            continue
        token = max((token for token in groups if _score(token, agent)), key=lambda t: _score(t, agent), default=None)
        lines = groups[token] if token is not None else [line.strip() for line in text.splitlines() if line.strip()]
        by_quote.setdefault("\n".join(lines), []).append(agent)
    return [OptOutSignal("robots.txt", where, quote, data_url, tuple(agents)) for quote, agents in by_quote.items()]


def unreachable_robots(where: str, cause: str, data_url: str) -> OptOutSignal:
    """RFC 9309 2.3.1.4: a robots.txt unreachable through a server or network error means complete disallow."""
    return OptOutSignal("robots.txt", where, f"{cause}: unreachable, so complete disallow (RFC 9309 2.3.1.4)",
                        data_url, ("*",))


def _groups(text: str) -> dict[str, list[str]]:
    """Each user agent's lines, as written: every group naming it (RFC 9309: user-agent lines, then their rules;
    groups naming the same agent combine)."""
    found: list[tuple[list[str], list[str]]] = []  # (agent tokens, lines)
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        field, _, value = line.partition(":")
        field = field.strip().lower().replace(" ", "-")
        if field in ("user-agent", "useragent"):
            if in_rules or not found:
                found.append(([], []))
                in_rules = False
            token = value.strip().lower()
            found[-1][0].append(token.replace("*", "") if token != "*" else token)  # as protego reads "gpt*bot"
            found[-1][1].append(raw.strip())
        elif line and found and field not in ("sitemap", "host"):
            in_rules = True
            found[-1][1].append(raw.strip())
    groups: dict[str, list[str]] = {}
    for agents, lines in found:
        for agent in agents:
            groups.setdefault(agent, []).extend(lines)
    return groups


def _score(token: str, agent: str) -> int:
    """How well a robots.txt user-agent token matches an agent, as protego scores it: `*` least, else its length
    when the token is the agent's name or a word in it."""
    agent = agent.lower()
    if token == "*":
        return 1
    if agent == "*":
        return 0
    index = agent.find(token)
    while index != -1:
        if index == 0 or not (agent[index - 1].isalnum() or agent[index - 1] in "-_"):
            return len(token)
        index = agent.find(token, index + 1)
    return 0


def header_signal(headers: dict[str, str], data_url: str) -> OptOutSignal | None:
    """A `tdm-reservation: 1` header on the data response, quoted with its `tdm-policy`."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if lowered.get("tdm-reservation", "").strip() != "1":
        return None
    quote = "tdm-reservation: 1" + (f"\ntdm-policy: {lowered['tdm-policy']}" if lowered.get("tdm-policy") else "")
    return OptOutSignal("tdm-reservation header", data_url, quote, data_url)


def tdmrep_signal(body: bytes, where: str, data_url: str) -> OptOutSignal | None:
    """The first rule of a tdmrep.json whose location matches the data URL's path, when it reserves TDM rights."""
    try:
        rules = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise OptOutError(f"tdmrep.json at {where} is not JSON ({error}): it cannot be read") from None
    if not isinstance(rules, list) or not all(isinstance(rule, dict) and "location" in rule for rule in rules):
        raise OptOutError(f"tdmrep.json at {where} is not an array of rules each with a location (W3C TDMRep)")
    path = urlsplit(data_url).path or "/"
    for rule in rules:
        if _location_matches(str(rule["location"]), path):
            if str(rule.get("tdm-reservation")) != "1":
                return None
            return OptOutSignal("tdmrep.json", where, json.dumps(rule, ensure_ascii=False), data_url)
    return None


def _location_matches(location: str, path: str) -> bool:
    """A TDMRep location is a path pattern as in robots.txt: a prefix, `*` any characters, a final `$` the end."""
    anchored = location.endswith("$")
    pattern = "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", location.rstrip("$")))
    return re.match(pattern + ("$" if anchored else ""), path if location.startswith("/") else path.lstrip("/")) \
        is not None


def permission_refusal(permission: Permission | None, publisher: str) -> str | None:
    """Why a permission does not release an opt-out for `publisher` (the organisation that publishes), or None."""
    from licenses.restrictions import stated_restriction

    if permission is None:
        return ("names no permission granted to us: an opt-out is released only by a licence or written permission "
                f"granted to {publisher}, with its reference (permission: {{kind, reference, granted_to}})")
    if permission.kind not in PERMISSION_KINDS:
        return f"names a permission of kind {permission.kind!r}: it must be one of {', '.join(PERMISSION_KINDS)}"
    if not permission.reference.strip():
        return "names a permission without its reference (the agreement, the letter: where it can be checked)"
    if _organisation(permission.granted_to) != _organisation(publisher):
        return (f"names a permission granted to {permission.granted_to!r}, not to {publisher!r}, the organisation "
                "that publishes: permission given to someone else is not ours")
    said = stated_restriction(permission.reference)
    if said is not None and said.forbids_redistribution:
        return f"names a permission whose reference grants us nothing ({said.evidence}): {permission.reference!r}"
    return None


def _organisation(name: str) -> str:
    """An organisation's name compared without case, spaces or punctuation: "Open Data" is open-data."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def opt_out_decision(decision: LicenseDecision, signals: list[OptOutSignal], publisher: str) -> LicenseDecision:
    """The license decision with the opt-outs applied: quarantined (a blocked one stays blocked), each signal quoted,
    unless the decision's sign-off names a permission granted to `publisher`, which releases them."""
    if not signals:
        return decision
    reasons = [signal.reason() for signal in signals]
    sign_off = decision.sign_off
    refusal = permission_refusal(sign_off.permission if sign_off else None, publisher) if sign_off else None
    if decision.decision == "publish" and sign_off is not None and refusal is None:
        granted = sign_off.permission
        return dataclasses.replace(decision, reasons=[
            *decision.reasons, f"opt-out released by steward {sign_off.who} on {sign_off.when}: {granted.kind} "
            f"{granted.reference!r} granted to {granted.granted_to}", *(f"was opted out: {r}" for r in reasons)])
    if refusal is not None:
        reasons.append(f"sign-off by {sign_off.who} on {sign_off.when} does not release the opt-out: it {refusal}")
    elif decision.decision == "publish" or sign_off is None:
        reasons.append(f"a steward may release it only by a sign-off naming a permission granted to {publisher}")
    if decision.decision == "blocked":
        return dataclasses.replace(decision, reasons=[*decision.reasons, *reasons])
    others = decision.reasons if decision.decision == "quarantine" else []
    return dataclasses.replace(decision, decision="quarantine", reasons=[*reasons, *others], needs_review=True,
                               release=None)
