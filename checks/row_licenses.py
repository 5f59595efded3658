"""Where a snapshot carries a license per row: the text fields, top-level or nested in structs and lists, that hold
license values.

A field is a row license field by its name (a name part `license` / `licence`, e.g. `data_license`,
`row_license`, `license_terms`, `licenseName`, a column literally named `license.name`, a struct field
`meta.license`, or a text field of a struct named so: `license.url`) or by its values: a text field most of
whose sampled distinct values classify as licenses. The sample is the distinct values of the first
SAMPLE_ROWS rows, so finding the fields costs no full scan; judging a field's values (checks/governance.py) reads
them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from assets.sql import sql_identifier, sql_string
from licenses import LicenseInfo, classify

# A name part: license, licence, licenses, licensing, and the glued forms licensename, licenseurl, ...
LICENSE_WORD = re.compile(r"(?<![a-z])licen[cs](?:es?|ing)(?:name|url|id|spdx|type|link|text|terms)?(?![a-z])")
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SAMPLE_ROWS = 5000  # rows whose values are sampled to find license fields by their values
SAMPLE_VALUES = 50  # distinct non-blank values classified per field
LONGEST_LABEL = 200  # characters: a longer value is prose, not a license label, and is not classified
MAX_DEPTH = 4  # struct and list levels looked into
BARE_WORD = re.compile(r"^[A-Za-z]+$")


@dataclass(frozen=True)
class RowLicenseField:
    path: str  # as a steward reads it: meta.license, items[].license, "license.name" for a dotted column name
    value: str  # SQL giving the field's value in a row of the snapshot (a list's values unnested)
    found_by: str  # "name" or "values"

    def values_sql(self, relation: str = "snapshot") -> str:
        """A query with one VARCHAR column `value`, one row per value of the field in `relation`."""
        return f"SELECT CAST({self.value} AS VARCHAR) AS value FROM {relation}"


def license_fields(connection: duckdb.DuckDBPyConnection) -> list[RowLicenseField]:
    """The row license fields (text fields only) of the view `snapshot` on `connection`."""
    found = []
    for leaf in _text_leaves(connection):
        names = [name for kind, name in leaf.steps if kind == "field"]
        # Its own name says license, or it is a text field of a struct whose name does (license.url).
        named = any(_is_license_name(name) for name in names)
        field = RowLicenseField(leaf.path, _value_sql(leaf), "name" if named else "values")
        if named or _values_read_as_licenses(connection, field):
            found.append(field)
    return found


def reads_as_license(info: LicenseInfo) -> bool:
    """Whether a value names a license or license terms (what the check can compare with the declared one)."""
    return info.informative and not (info.spdx is None and info.use == "unknown")


def _is_license_name(name: str) -> bool:
    return bool(LICENSE_WORD.search(CAMEL_BOUNDARY.sub("_", name).lower()))


@dataclass(frozen=True)
class _Leaf:
    steps: tuple[tuple[str, str], ...]  # ("field", name) | ("list", "") from the top-level column down

    @property
    def path(self) -> str:
        shown = ""
        for kind, name in self.steps:
            if kind == "list":
                shown += "[]"
            else:
                part = f'"{name}"' if re.search(r'[.\[\]"]', name) else name
                shown += f".{part}" if shown else part
        return shown


def _text_leaves(connection: duckdb.DuckDBPyConnection) -> list[_Leaf]:
    """Every text field of the snapshot, through structs and lists down to MAX_DEPTH levels."""
    leaves: list[_Leaf] = []

    def walk(steps: tuple, kind: duckdb.DuckDBPyType, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if kind.id == "struct":
            for name, child in kind.children:
                walk((*steps, ("field", name)), child, depth + 1)
        elif kind.id in ("list", "array"):
            walk((*steps, ("list", "")), kind.children[0][1], depth + 1)
        elif kind.id == "varchar":
            leaves.append(_Leaf(steps))

    for name, kind, *_ in connection.execute("SELECT * FROM snapshot LIMIT 0").description:
        walk((("field", name),), kind, 0)
    return leaves


def _value_sql(leaf: _Leaf) -> str:
    expression, is_list = _expression(sql_identifier(leaf.steps[0][1]), leaf.steps[1:], 0)
    return f"unnest({expression})" if is_list else expression


def _expression(base: str, steps: tuple, depth: int) -> tuple[str, bool]:
    """The SQL reaching the leaf from `base`, and whether it gives a list (of the leaf's values) per row."""
    if not steps:
        return base, False
    (kind, name), rest = steps[0], steps[1:]
    if kind == "field":
        return _expression(f"struct_extract({base}, {sql_string(name)})", rest, depth)
    element = f"element{depth}"
    inner, inner_is_list = _expression(element, rest, depth + 1)
    mapped = base if inner == element else f"list_transform({base}, lambda {element}: {inner})"
    return (f"flatten({mapped})" if inner_is_list else mapped), True


def _values_read_as_licenses(connection: duckdb.DuckDBPyConnection, field: RowLicenseField) -> bool:
    """Most sampled distinct non-blank values classify as licenses, and one does so by more than a bare word
    naming a permissive license: a column of company names ("Intel", "Nokia", "Fair" are SPDX ids too) is not a
    license column."""
    sample = f"(SELECT * FROM snapshot LIMIT {SAMPLE_ROWS})"
    values = [value for value, in connection.execute(
        f"SELECT DISTINCT left(trim(value), {LONGEST_LABEL + 1}) AS label FROM ({field.values_sql(sample)})"
        f" WHERE trim(value) <> '' LIMIT {SAMPLE_VALUES}").fetchall()]
    if not values:
        return False
    infos = {value: classify(value) for value in values if len(value) <= LONGEST_LABEL}
    licenses = [value for value, info in infos.items() if reads_as_license(info)]
    telling = [value for value in licenses if not (BARE_WORD.match(value) and infos[value].use == "commercial")]
    return len(licenses) * 2 > len(values) and bool(telling)
