"""A derived catalog entry (`derived: {query: ...}`): a DuckDB SELECT over other catalog datasets' latest vetted
snapshots. Here: reading the query, which datasets it names, and the catalog-wide checks (every input is a valid
entry of the catalog; no dataset is built, through its inputs, from itself)."""

from __future__ import annotations

from assets.contained_sql import UserSQLError, single_select
from assets.splits import SPLIT_NAME

DERIVED_FIELDS = {"query"}


class DerivedQueryError(ValueError):
    """The derived entry's query is not one SELECT over catalog datasets."""


def derived_query(raw: object, where: str) -> tuple[str, tuple[str, ...]]:
    """The `derived:` mapping's query, checked to be one SELECT, and the dataset ids it reads, in name order. A
    table is a dataset id (its first split) or `<dataset id>/<split>` (that split)."""
    import duckdb

    if not isinstance(raw, dict) or set(raw) != DERIVED_FIELDS or not isinstance(raw["query"], str) \
            or not raw["query"].strip():
        raise DerivedQueryError(f"{where}: derived must be a mapping with one field, query: a DuckDB SELECT over "
                                "catalog datasets, each named by its id as a table (\"<id>\" or \"<id>/<split>\")")
    try:
        query = single_select(raw["query"], f"{where}: derived.query")
        tables = duckdb.get_table_names(query)
    except UserSQLError as error:
        raise DerivedQueryError(str(error)) from None
    except duckdb.Error as error:
        raise DerivedQueryError(f"{where}: derived.query does not parse: {str(error).splitlines()[0]}") from None
    inputs = []
    for table in sorted(tables):
        dataset_id, _, split = table.partition("/")
        if "/" in table and not SPLIT_NAME.match(split):
            raise DerivedQueryError(f"{where}: derived.query reads {table!r}: {split!r} is not a split name")
        inputs.append(dataset_id)
    if not inputs:
        raise DerivedQueryError(f"{where}: derived.query reads no catalog dataset (name each by its id as a table, "
                                "e.g. SELECT * FROM \"mauna-loa-co2\")")
    return query, tuple(dict.fromkeys(inputs))


def derived_problems(inputs: dict[str, tuple[str, ...]], known: set[str], problems: dict[str, str],
                     path: object) -> dict[str, str]:
    """Why each derived entry cannot be built, by id: `inputs` maps each derived entry to the datasets its query
    reads; `known` are the catalog's valid entries, `problems` its invalid ones (by id). An entry reading one that
    is unknown, invalid or itself unbuildable, or reading itself through its inputs, fails (its own dataset only)."""
    failed: dict[str, str] = {}
    for dataset_id, names in inputs.items():
        cycle = _cycle(dataset_id, inputs)
        if cycle:
            failed[dataset_id] = (f"catalog entry {dataset_id!r}: derived.query forms a cycle: "
                                  + " -> ".join(cycle) + " (a dataset cannot be built from itself)")
    changed = True
    while changed:  # an entry whose input fails fails too, through any number of derived steps
        changed = False
        for dataset_id, names in inputs.items():
            if dataset_id in failed:
                continue
            for name in names:
                why = _missing(name, known, problems, failed, path)
                if why:
                    failed[dataset_id] = f"catalog entry {dataset_id!r}: derived.query reads {name!r}: {why}"
                    changed = True
                    break
    return failed


def _missing(name: str, known: set[str], problems: dict[str, str], failed: dict[str, str], path: object) -> str:
    if name in failed:
        return "that derived dataset cannot be built itself"
    if name in problems:
        return "its catalog entry is invalid"
    if name not in known:
        return f"dataset {name!r} is not in the catalog {path}"
    return ""


def _cycle(start: str, inputs: dict[str, tuple[str, ...]]) -> list[str]:
    """A path start -> ... -> start through derived entries' inputs, or [] when there is none."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, trail = stack.pop()
        for name in inputs.get(node, ()):
            if name == start:
                return [*trail, start]
            if name not in seen:
                seen.add(name)
                stack.append((name, [*trail, name]))
    return []


def dependency_order(ids: list[str], inputs: dict[str, tuple[str, ...]]) -> list[str]:
    """`ids` with every derived dataset after the inputs among them (otherwise in the given order)."""
    ordered: list[str] = []
    wanted = set(ids)

    def visit(dataset_id: str, trail: tuple[str, ...]) -> None:
        if dataset_id in ordered or dataset_id in trail:
            return
        for name in inputs.get(dataset_id, ()):
            if name in wanted:
                visit(name, (*trail, dataset_id))
        ordered.append(dataset_id)

    for dataset_id in ids:
        visit(dataset_id, ())
    return ordered
