"""Takedown requests: `takedowns/` beside the catalog file, one YAML file per request.

    id: req-2026-001
    requested_by: Jane Doe <jane@example.org>
    date: 2026-12-01
    dataset: palmer-penguins
    rows:
      keys: {id: [17, 42]}          # or  where: "island = 'Biscoe' AND year < 2008"
                                    # no `rows`: the whole dataset

A request is applied at the next run of its dataset and at every run after: the rows go before the checks and the
publish (assets/takedown_rows.py), and the published snapshots that held them are purged (assets/takedown_purge.py).
A file that cannot be read, or names no known dataset, fails the request; one whose rows cannot be applied fails its
own dataset; both name the file and the request id."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assets.catalog import Catalog, CatalogEntry, catalog_path
from assets.sql import sql_identifier, sql_string

TAKEDOWNS_DIR = "takedowns"
FIELDS = ("id", "requested_by", "date", "dataset", "rows")
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class TakedownError(ValueError):
    """A takedown request that cannot be applied; the message names its file and request id."""


@dataclass(frozen=True)
class TakedownRequest:
    request_id: str
    requested_by: str
    requested_on: dt.date
    dataset_id: str
    file: Path
    keys: dict[str, list] | None = field(default=None, hash=False)  # column -> values, parallel lists
    where: str | None = None

    @property
    def whole_dataset(self) -> bool:
        return self.keys is None and self.where is None

    @property
    def label(self) -> str:
        return f"takedown file {self.file.name} (request {self.request_id})"

    def predicate(self) -> str:
        """The SQL predicate true on the rows this request removes. Key values are literals written here; a
        `where` is the steward's own SQL, checked to be one expression, and run only contained
        (assets/takedown_rows.py)."""
        if self.where is not None:
            return self.where
        columns = list(self.keys)
        if len(columns) == 1:
            values = ", ".join(sql_literal(value) for value in self.keys[columns[0]])
            return f"{sql_identifier(columns[0])} IN ({values})"
        rows = zip(*(self.keys[column] for column in columns))
        return " OR ".join("(" + " AND ".join(f"{sql_identifier(column)} = {sql_literal(value)}"
                                              for column, value in zip(columns, row)) + ")" for row in rows)


@dataclass(frozen=True)
class Takedowns:
    """Every request of the folder, and the files that are no request: file name -> (dataset it names, if it can
    be read, and what is wrong)."""

    folder: Path
    requests: tuple[TakedownRequest, ...] = ()
    problems: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    def for_dataset(self, dataset_id: str) -> list[TakedownRequest]:
        """The dataset's requests, oldest first; a bad file naming the dataset fails it."""
        bad = [message for named, message in self.problems.values() if named == dataset_id]
        if bad:
            raise TakedownError("; ".join(bad))
        return sorted((r for r in self.requests if r.dataset_id == dataset_id),
                      key=lambda r: (r.requested_on, r.request_id))

    def request_problems(self, known_ids: list[str]) -> dict[str, str]:
        """The bad files that fail no dataset (unreadable, or naming no dataset of the catalog): label -> message."""
        return {f"takedown {name}": message for name, (named, message) in self.problems.items()
                if named not in known_ids}


def takedowns_folder(catalog_file: Path | None = None) -> Path:
    return Path(catalog_file or catalog_path()).parent / TAKEDOWNS_DIR


def load_takedowns(catalog: Catalog) -> Takedowns:
    """Read and check every `*.yaml` / `*.yml` file of the folder beside the catalog."""
    folder = takedowns_folder(catalog.path)
    if not folder.is_dir():
        return Takedowns(folder)
    requests, problems, first_file = [], {}, {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        named = None
        try:
            raw = read_file(path)
            named = raw.get("dataset") if isinstance(raw.get("dataset"), str) else None
            request = parse_request(raw, path, catalog)
        except TakedownError as error:
            problems[path.name] = (named, str(error))
            continue
        if request.request_id in first_file:
            problems[path.name] = (named, f"{request.label}: request id {request.request_id!r} is also the id of "
                                          f"{first_file[request.request_id]}; give each request its own id")
            continue
        first_file[request.request_id] = path.name
        requests.append(request)
    return Takedowns(folder, tuple(requests), problems)


def dataset_takedowns(dataset_id: str, catalog: Catalog | None = None) -> list[TakedownRequest]:
    """The dataset's requests under the current catalog (raises TakedownError for a bad file naming it). A derived
    dataset also has the request taking down whole any of its inputs, direct or not: what was taken down from an
    input is taken down from what was built from it. `catalog`: the current one, when the caller has it."""
    from assets.catalog import load_catalog

    catalog = catalog or load_catalog()
    takedowns = load_takedowns(catalog)
    inputs = {entry.id: entry.source.inputs for entry in catalog.entries}
    return takedowns.for_dataset(dataset_id) + inherited_takedowns(takedowns, inputs, dataset_id, set())


def inherited_takedowns(takedowns: Takedowns, inputs: dict[str, tuple[str, ...]], dataset_id: str,
                        seen: set[str]) -> list[TakedownRequest]:
    """The whole-dataset requests of the dataset's inputs and of theirs."""
    found = []
    for input_id in inputs.get(dataset_id, ()):
        if input_id not in seen:
            seen.add(input_id)
            found += [request for request in takedowns.requests if request.dataset_id == input_id
                      and request.whole_dataset]
            found += inherited_takedowns(takedowns, inputs, input_id, seen)
    return found


def row_takedowns(entry: CatalogEntry) -> list[TakedownRequest]:
    """The dataset's takedown requests of some rows (raises TakedownError for a bad file naming the dataset)."""
    return [request for request in dataset_takedowns(entry.id) if not request.whole_dataset]


def whole_dataset_request(requests: list[TakedownRequest]) -> TakedownRequest | None:
    return next((request for request in requests if request.whole_dataset), None)


def read_file(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise TakedownError(f"takedown file {path.name}: not valid YAML text ({str(error).splitlines()[0]})") \
            from None
    if not isinstance(raw, dict):
        raise TakedownError(f"takedown file {path.name}: must be a mapping with {', '.join(FIELDS)}")
    return raw


def parse_request(raw: dict, path: Path, catalog: Catalog) -> TakedownRequest:
    request_id = raw.get("id")
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise TakedownError(f"takedown file {path.name}: `id` must be a request id (letters, digits, '.', '_', "
                            f"'-'), found {request_id!r}")
    where = f"takedown file {path.name} (request {request_id})"
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise TakedownError(f"{where}: unknown field(s) {unknown}; known: {', '.join(FIELDS)}")
    for name in ("requested_by", "dataset"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise TakedownError(f"{where}: `{name}` must be a non-empty text")
    requested_on = raw.get("date")
    if isinstance(requested_on, str):
        try:
            requested_on = dt.date.fromisoformat(requested_on)
        except ValueError:
            requested_on = None
    if not isinstance(requested_on, dt.date):
        raise TakedownError(f"{where}: `date` must be a date (YYYY-MM-DD)")
    if raw["dataset"] not in [entry.id for entry in catalog.entries]:
        raise TakedownError(f"{where}: names dataset {raw['dataset']!r}, which is not in the catalog {catalog.path}")
    keys, predicate = parse_rows(raw.get("rows"), where)
    return TakedownRequest(request_id, raw["requested_by"].strip(), requested_on, raw["dataset"], path, keys,
                           predicate)


def parse_rows(rows: object, where: str) -> tuple[dict[str, list] | None, str | None]:
    """`keys: {column: [values]}` (several columns: parallel lists, one key per position) or `where: <predicate>`;
    None for the whole dataset."""
    if rows is None:
        return None, None
    if not isinstance(rows, dict) or len(rows) != 1 or not set(rows) <= {"keys", "where"}:
        raise TakedownError(f"{where}: `rows` must be either `keys: {{column: [values]}}` or `where: <SQL "
                            "predicate>` (leave `rows` out to take down the whole dataset)")
    if "where" in rows:
        return None, checked_predicate(rows["where"], where)
    keys = rows["keys"]
    if not isinstance(keys, dict) or not keys or not all(isinstance(column, str) for column in keys):
        raise TakedownError(f"{where}: `rows.keys` must map column names to lists of values")
    for column, values in keys.items():
        if not isinstance(values, list) or not values:
            raise TakedownError(f"{where}: `rows.keys.{column}` must be a non-empty list of values")
        if not all(isinstance(value, (str, int, float, dt.date)) for value in values):
            raise TakedownError(f"{where}: `rows.keys.{column}` holds a value that is not a text, number or date")
    if len({len(values) for values in keys.values()}) > 1:
        raise TakedownError(f"{where}: the lists of `rows.keys` must have the same length (one key per position)")
    return dict(keys), None


def checked_predicate(predicate: object, where: str) -> str:
    """The `where` text, if it is exactly one SQL expression (a `;`, a closing parenthesis of its own or anything
    that does not parse is refused here; the contained run refuses the rest: see assets/takedown_rows.py)."""
    import duckdb

    if not isinstance(predicate, str) or not predicate.strip():
        raise TakedownError(f"{where}: `rows.where` must be a SQL predicate text")
    try:
        duckdb.SQLExpression(predicate)
    except duckdb.Error as error:
        raise TakedownError(f"{where}: `rows.where` is not one SQL predicate: {str(error).splitlines()[0]}") \
            from None
    return predicate.strip()


def sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return sql_string(value)
