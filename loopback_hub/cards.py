"""README.md YAML front matter: the `cardData` of repo info and the `/api/validate-yaml` check."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .card_rules import card_metadata_errors

_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class InvalidCardMetadata(ValueError):
    pass


def card_metadata(readme_text: str) -> dict[str, Any] | None:
    """The YAML mapping at the top of a README, None when there is none; raises on malformed YAML."""
    match = _FRONT_MATTER.match(readme_text)
    if match is None:
        return None
    try:
        metadata = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise InvalidCardMetadata(f"Invalid YAML in README.md metadata: {error}") from None
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidCardMetadata("README.md metadata must be a YAML mapping")
    return metadata


def card_text(readme_text: str) -> str:
    """The README without its YAML front matter: what the Hub renders as the card."""
    return _FRONT_MATTER.sub("", readme_text, count=1)


def card_errors(readme_text: str, repo_type: str) -> list[str]:
    """Why the Hub would refuse this README's metadata (malformed YAML or a broken rule); empty when it would not."""
    try:
        metadata = card_metadata(readme_text)
    except InvalidCardMetadata as error:
        return [str(error)]
    return card_metadata_errors(metadata, repo_type) if metadata else []


def card_tags(metadata: dict[str, Any] | None) -> list[str]:
    """Repo tags as the Hub derives them from card metadata (its own tags plus `license:<id>`)."""
    if not metadata:
        return []
    tags = [str(tag) for tag in metadata.get("tags") or [] if isinstance(tag, (str, int, float))]
    licenses = metadata.get("license")
    for license_id in licenses if isinstance(licenses, list) else [licenses] if licenses else []:
        tags.append(f"license:{license_id}")
    return tags
