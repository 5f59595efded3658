"""Column types the Hub's `datasets` library can load. DuckDB writes a MAP as a Parquet map and a UUID as Arrow's
uuid extension type, neither of which `datasets` has a feature for ("Arrow type map<...> does not have a datasets
dtype equivalent"): the conversion writes a map as a list of {key, value} structs and a UUID as its text, at any
depth. Before publishing, the snapshot's schema is checked with `datasets` itself."""

from __future__ import annotations

from pathlib import Path

from assets.sql import sql_identifier, sql_string


def loadable_columns(described: list[tuple]) -> dict[str, str]:
    """For each column (name, DuckDBPyType) holding a type `datasets` cannot load: the SQL expression giving it in
    one it can. Columns that load as they are are left out."""
    rewritten = {}
    for name, kind in described:
        expression = _loadable(sql_identifier(name), kind, 0)
        if expression:
            rewritten[name] = expression
    return rewritten


def _loadable(value: str, kind, depth: int) -> str | None:
    """`value` as a type `datasets` loads, or None when it already is one. `kind` is a DuckDBPyType."""
    if kind.id == "uuid":
        return f"CAST({value} AS VARCHAR)"
    if kind.id == "map":
        (_, key_kind), (_, value_kind) = kind.children
        entry = f"entry{depth}"
        key, item = f"struct_extract({entry}, 'key')", f"struct_extract({entry}, 'value')"
        new_key, new_item = _loadable(key, key_kind, depth + 1), _loadable(item, value_kind, depth + 1)
        if new_key is None and new_item is None:
            return f"map_entries({value})"
        return (f"list_transform(map_entries({value}), lambda {entry}: struct_pack(key := {new_key or key}, "
                f"value := {new_item or item}))")
    if kind.id in ("list", "array"):
        element = f"element{depth}"
        new_element = _loadable(element, kind.children[0][1], depth + 1)
        return None if new_element is None else f"list_transform({value}, lambda {element}: {new_element})"
    if kind.id == "struct":
        fields = [(name, f"struct_extract({value}, {sql_string(name)})", field_kind)
                  for name, field_kind in kind.children]
        new_fields = [_loadable(field, field_kind, depth + 1) for _, field, field_kind in fields]
        if all(new is None for new in new_fields):
            return None
        packed = ", ".join(f"{sql_identifier(name)} := {new or field}"
                           for (name, field, _), new in zip(fields, new_fields))
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE struct_pack({packed}) END"  # a NULL struct stays NULL
    return None


def unloadable_reason(parquet_path: Path) -> str | None:
    """Why `datasets` cannot load the Parquet file's schema (naming the columns), or None when it can."""
    import datasets  # heavy: imported only when a snapshot is about to be published
    import pyarrow as pa
    import pyarrow.parquet as pq

    problems = []
    for field in pq.read_schema(parquet_path):  # one at a time, to name every column that fails
        try:
            datasets.Features.from_arrow_schema(pa.schema([field]))
        except (ValueError, TypeError, NotImplementedError) as error:
            problems.append(f"column {field.name}: {error}")
    return "; ".join(problems) or None
