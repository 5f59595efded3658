"""A dataset card (README.md): its YAML front matter, read so that no key silently overrides another, and its body.

YAML requires a mapping's keys to be unique, but most loaders keep the last value of a repeated key: a card with
`license: cc-by-nc-4.0` then `license: cc-by-4.0` would read as CC BY. Here every repeated key is reported, with
each of its values, for the steward to settle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml

# The Hub's own front-matter block (huggingface_hub.repocard.REGEX_YAML_BLOCK): "---" lines around YAML at the top.
FRONT_MATTER_RE = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")


@dataclass(frozen=True)
class RepeatedKey:
    path: str  # "license", or "configs/0/split" for a nested mapping
    values: list[tuple[int, object]]  # (line number in the card, value as written), in order


@dataclass(frozen=True)
class Card:
    metadata: dict  # the front matter; for a repeated key, its last value (as the Hub's loader reads it)
    body: str  # the text after the front matter (the whole text when there is none)
    repeated: list[RepeatedKey] = field(default_factory=list)
    error: str | None = None  # why the front matter could not be read


def read_card(text: str) -> Card:
    """Split a card into its front matter and body; an unreadable front matter is reported in `error`."""
    import yaml  # deferred: importing the library stays light

    text = text.removeprefix("\ufeff")
    match = FRONT_MATTER_RE.search(text)
    if match is None:
        return Card({}, text)
    front, body = match.group(2), text[match.end() :]
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        metadata = yaml.safe_load(front)
    except yaml.YAMLError as error:
        return Card({}, body, error=f"unreadable card YAML: {str(error).splitlines()[0]}")
    if metadata is not None and not isinstance(metadata, dict):
        return Card({}, body, error="card YAML is not a mapping")
    line_offset = text[: match.start(2)].count("\n")
    return Card(metadata or {}, body, _repeated_keys(node, "", line_offset, set()) if node is not None else [])


def _repeated_keys(node: yaml.Node, path: str, line_offset: int, seen: set[int]) -> list[RepeatedKey]:
    found: list[RepeatedKey] = []
    if id(node) in seen:  # an alias of a node already read (anchors may even refer to themselves)
        return found
    seen.add(id(node))
    if node.id == "mapping":
        values: dict[str, list[tuple[int, object]]] = {}
        for key, value in node.value:
            name = key.value if key.id == "scalar" else str(key.start_mark)
            values.setdefault(name, []).append((key.start_mark.line + 1 + line_offset, _as_written(value)))
            found += _repeated_keys(value, f"{path}{name}/", line_offset, seen)
        found += [RepeatedKey(f"{path}{name}", written) for name, written in values.items() if len(written) > 1]
    elif node.id == "sequence":
        for index, item in enumerate(node.value):
            found += _repeated_keys(item, f"{path}{index}/", line_offset, seen)
    return found


def _as_written(node: yaml.Node) -> object:
    """A scalar's text, a list of scalars' texts; anything else as '{...}'."""
    if node.id == "scalar":
        return node.value
    if node.id == "sequence" and all(item.id == "scalar" for item in node.value):
        return [item.value for item in node.value]
    return "{...}"
