"""Custom terms stated in words rather than by naming a license.

Rules run on the normalised text with the named licenses blanked out (identify.blank_out):

- restrictions ("non-commercial use only", "for research purposes only", "do not
  redistribute") always apply, on top of any named license: the most restrictive wins;
  so do statements that grant us nothing ("used with permission of the author", "who
  retains all rights", "the images belong to their owners"): permission given to one
  distributor is not permission given to us;
- beside a named license, a part with unknown terms ("data license unknown") makes the
  use unknown;
- weak restrictions (data-use agreements, click-through terms, "for research purposes")
  apply only when no license is named, since beside a license they usually describe intent;
  "all rights reserved" (no rights) applies only when no rights are granted in words either
  ("... are permitted provided that"): beside a grant it closes a copyright notice;
- statements (public domain, "may be freely used for any purpose", placeholders like
  "other" or "see LICENSE") give the answer when no license is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from licenses.info import LicenseInfo, Terms, make_info

_ACADEMIC = r"(?:academic|research|scientific|educational|scholarly|teaching)"
_PROHIBITED = r"(?:not permitted|not allowed|prohibited|forbidden|disallowed|not authori[sz]ed|strictly prohibited)"
_BOTH_USES = (
    r"\b(?:(?:noncommercial|research|academic) (?:and|or|as well as) commercial"
    r"|commercial (?:and|or|as well as) (?:noncommercial|research|academic))\b"
)
_REDISTRIBUTE = (
    r"(?:re ?distribut\w*|distribut\w*|share|shared|sharing|publish\w*|disseminat\w*|transfer\w*|repost\w*|upload\w*)"
)
_BY_PERMISSION = r"(?:with|by) (?:the )?(?:(?:express|explicit|kind|written|special|prior) )*permission"

# Phrases that would otherwise trip a restriction: standard license-text wording, and
# "commercial and non-commercial use", which allows both.
NEUTRAL_PHRASES = re.compile(
    r"this alternative is allowed only for noncommercial distribution"
    r"|\b(?:trademarks?|marks|brands|trade names|service marks)\b[a-z ]{0,80}?"
    r" (?:(?:are|is) (?:the )?property of|(?:are|is) used (?:with|by) permission)\b"
    r"|allowed only occasionally and noncommercially"
    rf"|{_BOTH_USES}|\bincluding commercial (?:use|uses|applications?|purposes?)\b"
)

NON_COMMERCIAL = Terms(use="non-commercial")
RESEARCH_ONLY = Terms(use="research-only")
NO_REDISTRIBUTION = Terms(use="commercial", forbids_redistribution=True)
# Nothing is granted, so nothing may be redistributed and no use is known to be allowed.
NO_RIGHTS = Terms(use="unknown", forbids_redistribution=True)
USE_RESTRICTED = Terms(use="commercial", use_restrictions=True)
PUBLIC_DOMAIN = Terms(use="commercial", public_domain=True)
ANY_PURPOSE = Terms(use="commercial")


@dataclass(frozen=True)
class Rule:
    name: str
    regex: re.Pattern[str]
    terms: Terms


def _rule(name: str, pattern: str, terms: Terms) -> Rule:
    return Rule(name, re.compile(pattern), terms)


RESTRICTIONS = (
    _rule("non-commercial terms", r"\bnoncommercial\b|\bnicht kommerziell\b|\bno comercial\b", NON_COMMERCIAL),
    _rule(
        "non-commercial terms",
        r"\bnot (?:be )?(?:used |usable |available |permitted |allowed |licensed )?(?:for|in) (?:any )?commercial\b"
        r"|\bno commercial (?:use|usage|purpose|purposes|exploitation|application|applications|redistribution)\b"
        rf"|\bcommercial (?:use|usage|purposes?|exploitation|applications?|redistribution|distribution|gain)s?"
        rf"(?: of [a-z ]{{0,40}}?)? (?:is |are )?{_PROHIBITED}"
        r"|\bcommercial (?:use|usage|purposes?|exploitation|applications?)s?\b.{0,60}?"
        r"\b(?:requires?|need|needs|only with|contact|must obtain|separate license)\b"
        r"|\b(?:not|never|nor)\b(?! limited)(?: [a-z]+){0,8}? (?:for|in|with) (?:any )?(?:commercial|commercially)\b"
        r"|\b(?:cannot|can not|may not|must not|shall not|should not|not to)(?: [a-z]+){0,6}? commercially\b"
        r"|\bnon ?profit (?:use|purposes?)\b|\bnot for (?:re)?sale\b|\bcommons clause\b"
        r"|\b(?:may|must|shall|can) ?not (?:be )?(?:sold|resold|monetized|monetised)\b"
        # no sale, no fee, no profit: "you may not sell this data", "not ... in any product or service offered for a
        # fee", "may not be used for profit", "not to train commercial models"
        # ("we do not sell your data" is a promise of the publisher's, not a term)
        r"|(?<!\bwe )(?<!\bi )\b(?:may|must|shall|can|will|do|does|to) ?not (?:[a-z]+ ){0,3}?"
        r"(?:sell|resell|rent|monetize|monetise)\b"
        r"|\b(?:not|never|nor)\b(?! limited)(?: [a-z]+){0,14}? (?:for|against) (?:a |any )?"
        r"(?:fee|fees|payment|charge)\b"
        r"|\b(?:not|never|nor)\b(?! limited)(?: [a-z]+){0,6}? (?:used|use|using|exploited) (?:for|to make) (?:a )?"
        r"(?:profit|revenue|money|monetary gain|financial gain)\b"
        r"|\b(?:not|never|nor)\b(?! limited)(?: [a-z]+){0,8}? (?:generates?|generating|earns?|earning)"
        r" (?:revenue|income|money|profit)\b"
        r"|\b(?:not|never|nor)\b(?! limited)(?: [a-z]+){0,8}? (?:train|build|develop|create|power)s? commercial\b"
        r"|\bfor (?:personal|private) (?:use|purposes) only\b|\b(?:personal|private) use only\b"
        r"|\b(?:except|excluding|other than) (?:for )?(?:any )?commercial\b",
        NON_COMMERCIAL,
    ),
    _rule(
        "research-only terms",
        rf"\bresearch (?:use |uses |purposes? |activities )?only\b"
        rf"|\b{_ACADEMIC}(?: (?:and|or) {_ACADEMIC}| noncommercial)* (?:use|uses|purposes?|activities) only\b"
        rf"|\bonly (?:be )?(?:used |usable |available |licensed |permitted |allowed |intended )?(?:for |to |in )?"
        rf"(?:noncommercial |non profit )?{_ACADEMIC}\b"
        rf"|\b(?:solely|exclusively|strictly|purely|limited to|restricted to) (?:for |to |in )?(?:the )?"
        rf"(?:noncommercial |non profit )?{_ACADEMIC}\b",
        RESEARCH_ONLY,
    ),
    _rule(
        "use restrictions",
        r"\bno (?:military|nuclear|weapons?)\b|\bnot (?:be )?(?:used )?(?:for|in) (?:military|nuclear|weapons?)\b",
        USE_RESTRICTED,
    ),
    _rule(
        "no-redistribution terms",
        rf"\b(?:may|must|shall|can|will) ?not (?:be )?(?:further )?{_REDISTRIBUTE}\b(?!(?: \w+){{0,6}} except\b)"
        rf"|\bnot to be {_REDISTRIBUTE}\b"
        rf"|\b(?:re ?distribution|redistributing|sharing|dissemination|republication|resale)\b"
        rf"(?: of [a-z ]{{0,40}}?)? (?:is |are )?{_PROHIBITED}"
        rf"|\bdo not {_REDISTRIBUTE}\b|\bno (?:re ?distribution|redistributing|sharing)\b"
        r"|\bnot for (?:re ?distribution|resale)\b"
        r"|\binternal use only\b",
        NO_REDISTRIBUTION,
    ),
    _rule(
        "permission given to the distributor only, no license grant",
        rf"\b(?:used|included|reproduced|reprinted|republished|posted|adapted)(?: here| in this \w+)?"
        rf" {_BY_PERMISSION}\b"
        r"|\bpermission (?:was|has been|had been) obtained\b"
        # not "you retain all rights to your content", "retains all rights, title and interest" (licensor's IP)
        r"|(?<!\byou )\bretains? all rights\b(?! title| not| to (?:their|his|her|its|your) own)"
        r"|\ball rights (?:are )?retained\b",
        NO_RIGHTS,
    ),
    _rule(
        "held by others, no license grant",
        r"\b(?:belongs?|belonging) to (?:their|its|the) (?:respective |original )?"
        r"(?:owners?|copyright (?:owners?|holders?)|rights holders?)\b"
        r"|\b(?:(?:property|copyright) of|copyrighted by|owned by) (?:their|its) (?:respective |original )?owners?\b"
        r"|(?<!\byou )\b(?:do|does) not (?:own|hold) (?:the )?(?:copyrights?|rights)\b",
        NO_RIGHTS,
    ),
)

# Beside a named license: a part whose terms nobody knows ("data license unknown").
PARTLY_UNKNOWN = (
    _rule(
        "part of the data has unknown terms",
        r"\blicens(?:e|es|ing)(?: status| terms)? (?:is |are )?(?:unknown|unclear|not specified|unspecified)\b"
        r"|\bunknown licens(?:e|es)\b",
        Terms(use="unknown"),
    ),
)

WEAK_RESTRICTIONS = (
    _rule(
        "research-use terms",
        rf"\b(?:for|in) (?:noncommercial )?{_ACADEMIC}(?: (?:and|or) {_ACADEMIC})*"
        r" (?:use|uses|usage|purposes?|settings?|projects?)\b"
        rf"|\b(?:academic|research|scientific|educational) (?:use|usage|purposes?)\b|\bacademic research\b"
        rf"|\bfor (?:noncommercial )?(?:academic |scientific )?research\b|\bnoncommercial (?:academic )?research\b"
        rf"|\bresearch\b.{{0,40}}\b(?:license|agreement|terms)\b",
        RESEARCH_ONLY,
    ),
    _rule(
        "data-use agreement (access is typically restricted to research)",
        r"\b(?:data|dataset|database|corpus|user|usage|use|access|end user|sharing|research|transfer)"
        r"(?: (?:use|usage|user|license|licensing|access|sharing|transfer))* agreement\b"
        r"|\bby (?:accessing|downloading|using|requesting|obtaining)\b.{0,200}?"
        r"\byou (?:hereby )?(?:agree|accept|acknowledge)"
        r"|\b(?:request|application|registration|access) form\b|\bsign (?:a|the) (?:license|agreement|form)\b",
        RESEARCH_ONLY,
    ),
)
ALL_RIGHTS_RESERVED = _rule("all rights reserved, no license grant", r"\ball rights reserved\b", NO_RIGHTS)
# A license text we cannot name still grants rights: its "all rights reserved" closes a copyright notice.
GRANT_RE = re.compile(
    r"\bhereby grant|\bgrants? (?:permission|to you|you|licensee)\b|\bpermission (?:is|are) (?:hereby )?granted\b"
    r"|\bpermission to use\b|\b(?:is|are) permitted\b|(?<!\bnot )\blicensed under\b|\bfree of charge\b|\bgranted to\b"
    r"|\byou are free to\b"
    r"|\bmay (?:be )?(?:freely )?(?:use|used|copy|copied|modify|modified|(?:re)?distribute|(?:re)?distributed)\b"
)

STATEMENTS = (
    _rule(
        "public-domain statement",
        r"(?<!not )(?<!not in )(?<!not in the )(?<!no longer in the )\bpublic domain\b"
        r"|\b(?:u s|us|united states)(?: federal)? government work\b"
        r"|\bwork (?:of|by) (?:the |an? )?(?:u s|us|united states)(?: federal)? government\b"
        r"|\bnot subject to (?:domestic )?copyright (?:protection )?in the (?:united states|u s|us)\b"
        r"|\b17 u s c(?: section)? 105\b|\bno rights reserved\b",
        PUBLIC_DOMAIN,
    ),
    _rule(
        "any-purpose statement",
        r"\b(?:may|can) be (?:freely )?used for any purpose\b(?! other| except| but)"
        r"|\bfree(?:ly)? (?:to )?use(?:d)? for any purpose\b(?! other| except| but)"
        r"|\bfor any purpose including commercial\b"
        r"|\b(?:free|freely available) for (?:commercial|any) use\b"
        r"|\bcommercial use (?:is )?(?:allowed|permitted)\b(?! only)"
        rf"|{_BOTH_USES}",
        ANY_PURPOSE,
    ),
)

UNKNOWN_TERMS = (
    ("custom or several unidentified licenses", r"\bcustom\b|\bproprietary\b|\bvarious\b|\bmultiple\b|\bmixed\b"),
    ("all rights reserved beside license wording that names no known license", r"\ball rights reserved\b"),
    ("no license granted", r"\bno license\b|\bunlicensed\b|\bnot licensed\b|\bwithout (?:a )?license\b"),
    ("custom terms of use", r"\bterms of (?:use|service)\b|\bterms and conditions\b"),
)
PLACEHOLDERS = (
    (
        "placeholder without license terms",
        r"^(?:unknown|other|others|none|n a|na|nan|null|nil|not specified|unspecified|undefined|tbd|tba|todo"
        r"|no|unclear|license|licenses|not available|unavailable|see license|see licenses|noassertion)$",
    ),
    (
        "points elsewhere for the license",
        r"\b(?:see|refer to|check|read)(?: the)? (?:license|licenses|licensing|readme|link|paper|website|site|url"
        r"|terms|below|above|original|source|homepage|documentation|repository|repo|file)\b",
    ),
    (
        "license information missing",
        r"\b(?:unavailable|not available|not found|not specified|not provided|not given|unknown|unspecified|unclear"
        r"|missing)\b|\b404\b",
    ),
)
NEGATION_RE = re.compile(r"\b(?:not|cannot|never|nor|prohibited|forbidden|unless)\b")
ATTRIBUTION_REQUIRED_RE = re.compile(
    r"\b(?:must|shall|required to|please|should) (?:cite|credit|acknowledge|attribute)\b"
    r"|\battribution (?:is )?required\b|\bmust give (?:appropriate )?credit\b|\bcite\b"
)
LEGAL_WORDS_RE = re.compile(r"\b(?:licens\w*|permi\w*|terms|agree\w*|rights|distribut\w*|copy|commercial)\b")
ALL_COPYRIGHT_RE = re.compile(r"^(?:\s*(?:copyright\b|\(c\)|©)[^\n]*(?:\n|$))+\s*$", re.IGNORECASE)


def _matches(rules: tuple[Rule, ...], residual: str, confidence: float) -> list[LicenseInfo]:
    found = []
    for rule in rules:
        match = rule.regex.search(residual)
        if match:
            found.append(
                make_info(rule.terms, confidence=confidence, evidence=f"{rule.name}: '{match.group(0).strip()}'")
            )
    return found


def restrictions(residual: str) -> list[LicenseInfo]:
    """Restrictions stated in words; they tighten whatever license the text names."""
    return _matches(RESTRICTIONS, NEUTRAL_PHRASES.sub(" ", residual), 0.7)


def partly_unknown(residual: str) -> list[LicenseInfo]:
    return _matches(PARTLY_UNKNOWN, residual, 0.5)


def weak_restrictions(residual: str) -> list[LicenseInfo]:
    """Restrictions that count only when no license is named; "all rights reserved" only without a grant."""
    found = _matches(WEAK_RESTRICTIONS, NEUTRAL_PHRASES.sub(" ", residual), 0.5)
    return found if GRANT_RE.search(residual) else found + _matches((ALL_RIGHTS_RESERVED,), residual, 0.5)


def statement(residual: str, original: str) -> LicenseInfo:
    """The answer for a text that names no license (restrictions are applied by the caller)."""
    for info in _matches(STATEMENTS, residual, 0.6):
        if info.public_domain:
            return info
        if NEGATION_RE.search(residual):
            continue  # "cannot be used for research or commercial purposes" grants nothing
        needs_credit = bool(ATTRIBUTION_REQUIRED_RE.search(residual))
        return make_info(Terms(use="commercial", attribution=needs_credit), confidence=0.5, evidence=info.evidence)
    for evidence, pattern in UNKNOWN_TERMS:
        if re.search(pattern, residual):
            return make_info(Terms(), confidence=0.5, evidence=evidence)
    stripped = residual.strip()
    for evidence, pattern in PLACEHOLDERS:
        if re.search(pattern, stripped):
            return make_info(Terms(), confidence=0.5, evidence=f"{evidence} ('{stripped[:60]}')", informative=False)
    if ALL_COPYRIGHT_RE.match(original.strip() + "\n"):
        return make_info(Terms(), confidence=0.5, evidence="copyright notice only, no license grant", informative=False)
    # Unrecognised prose that talks about rights is custom terms we cannot read; anything else is noise.
    informative = len(stripped.split()) >= 8 and bool(LEGAL_WORDS_RE.search(stripped))
    return make_info(
        Terms(), confidence=0.2 if informative else 0.0, evidence="no license identified", informative=informative
    )
