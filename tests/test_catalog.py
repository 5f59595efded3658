"""The catalog: the bundled one covers every license outcome; a bad entry fails alone with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assets.catalog import CatalogError, Source, load_catalog

GOOD = {"id": "good-set", "title": "Good", "format": "csv", "source": {"kind": "file", "path": "data/rows.csv"}}


def write(tmp_path: Path, document: object) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "rows.csv").write_text("id\n1\n")
    path = tmp_path / "catalog.yaml"
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return path


def test_bundled_catalog_covers_every_license_outcome():
    catalog = load_catalog()
    assert not catalog.problems
    assert len(catalog.entries) >= 5
    kinds = {entry.source.kind for entry in catalog.entries}
    assert kinds == {"file", "http", "hub", "derived"}
    # The derived entry reads bundled entries under different licenses, so its license is a conjunction.
    derived = [entry for entry in catalog.entries if entry.source.kind == "derived"]
    assert all(len({catalog.get(name).license for name in entry.source.inputs}) > 1 for entry in derived)
    for entry in catalog.entries:
        folder = Path(entry.source.path).parent if entry.source.kind == "file" else None
        if folder:
            assert (folder / "NOTICE").is_file(), entry.id
    fixtures = [entry for entry in catalog.entries if entry.fixture]
    assert all(entry.license is None or "NC" in entry.license for entry in fixtures)


@pytest.mark.parametrize("bad_entry, message", [
    ({**GOOD, "id": "../etc"}, "id must match"),
    ({**GOOD, "id": "with space"}, "id must match"),
    ({k: v for k, v in GOOD.items() if k != "title"}, "missing required field 'title'"),
    ({**GOOD, "colour": "blue"}, "unknown field(s) ['colour']"),
    ({**GOOD, "format": "xml"}, "format must be one of"),
    ({**GOOD, "sheet": {"name": "Data"}}, "sheet applies only to the spreadsheet formats"),
    ({**GOOD, "format": "xlsx", "sheet": {"header_row": -1}}, "sheet.header_row must be a whole number"),
    ({**GOOD, "source": {"kind": "file", "splits": {"train/x": "data/rows.csv"}}}, "is not a valid split name"),
    ({**GOOD, "source": {"kind": "file", "path": "data/rows.csv", "splits": {"test": "data/rows.csv"}}},
     "either in source.path or per split in source.splits"),
    ({**GOOD, "source": {"kind": "file", "path": "data/rows.csv", "members": "*.csv"}},
     "source.members applies only to an archive source"),
    ({**GOOD, "source": {"kind": "file", "path": ["data/a.zip", "data/b.zip"]}}, "an archive source is one archive"),
    ({**GOOD, "source": {"kind": "http", "url": "${CATALOG_HTTP_BASE}/*.csv"}}, "a URL cannot be a glob"),
    ({**GOOD, "source": {"kind": "file", "path": "data/*.csv", "sha256": "ab" * 32}},
     "a source of several files cannot carry it"),
    ({**GOOD, "source": {"kind": "file", "path": "data/rows.csv", "compression": "rar"}},
     "source.compression must be one of"),
    ({**GOOD, "source": {"kind": "hub", "repo_id": "a/b", "path": "x.csv", "configs": ["c"]}},
     "source.configs applies to a hub source taken whole"),
    ({**GOOD, "source": {"kind": "file", "path": "../../*.csv"}}, "outside the catalog's data root"),
    ({**GOOD, "source": {"kind": "ftp", "url": "ftp://x"}}, "source.kind must be one of"),
    ({**GOOD, "source": {"kind": "http"}}, "a http source needs source.url or source.splits"),
    ({**GOOD, "source": {"kind": "http", "url": "file:///etc/passwd"}}, "source.url must be http(s)"),
    ({**GOOD, "source": {"kind": "file", "path": "../../etc/passwd"}}, "outside the catalog's data root"),
    ({**GOOD, "key_columns": "id"}, "key_columns must be a list"),
    ({**GOOD, "homepage": "file:///srv/notes.html"}, "homepage must be an http(s) URL"),
    ({**GOOD, "homepage": "https://ann:pw@example.org/x"}, "homepage is published and may not carry credentials"),
    ({**GOOD, "creator": {"name": "X", "url": "https://example.org/?token=abc"}}, "creator url must be http"),
    ({**GOOD, "sign_off": {"who": "ana"}}, "sign_off must give who, when, why and license"),
    ({**GOOD, "sign_off": {"who": "ana", "when": "2026-12-01", "why": "confirmed"}},
     "sign_off must give who, when, why and license"),
    ({**GOOD, "sign_off": {"who": "ana", "when": "2026-12-01", "why": "confirmed", "license": "public-domain"}},
     "a public-domain sign_off needs evidence"),
    ({**GOOD, "sign_off": {"who": "ana", "when": "2026-12-01", "why": "confirmed", "license": "CC-BY-4.0",
                           "permission": None}}, "sign_off permission must give kind"),
])
def test_a_bad_entry_fails_alone_with_a_clear_message(tmp_path, bad_entry, message):
    other = {**GOOD, "id": "other-set"}
    catalog = load_catalog(write(tmp_path, {"datasets": [bad_entry, other]}))
    assert [entry.id for entry in catalog.entries] == ["other-set"]
    [problem] = catalog.problems.values()
    assert message in problem
    if bad_entry.get("id") in catalog.ids:
        with pytest.raises(CatalogError, match="catalog entry"):
            catalog.get(bad_entry["id"])


def test_duplicate_ids_are_both_refused(tmp_path):
    catalog = load_catalog(write(tmp_path, {"datasets": [GOOD, GOOD]}))
    assert not catalog.entries and "appears twice" in catalog.problems["good-set"]


@pytest.mark.parametrize("text, message", [
    ("datasets: [unclosed", "is not valid YAML"),
    ("- just a list", "must be a mapping with a 'datasets' list"),
])
def test_an_unreadable_catalog_is_refused_whole(tmp_path, text, message):
    with pytest.raises(CatalogError, match=message):
        load_catalog(write(tmp_path, text))


def test_environment_is_substituted_in_urls_only_when_fetching(tmp_path, monkeypatch):
    monkeypatch.setenv("CATALOG_ALLOWED_VARIABLES", "OTHER, MIRROR_BASE")
    entry = {**GOOD, "source": {"kind": "http", "url": "${MIRROR_BASE}/rows.csv"}}
    catalog = load_catalog(write(tmp_path, {"datasets": [entry]}))
    with pytest.raises(CatalogError, match="MIRROR_BASE is not set"):
        catalog.get("good-set").source.resolved_url()
    monkeypatch.setenv("MIRROR_BASE", "https://mirror.example.org/")
    assert catalog.get("good-set").source.resolved_url() == "https://mirror.example.org/rows.csv"


def http_entry_problem(tmp_path: Path, url: str) -> str:
    catalog = load_catalog(write(tmp_path, {"datasets": [{**GOOD, "source": {"kind": "http", "url": url}}]}))
    with pytest.raises(CatalogError):
        catalog.get("good-set")
    return catalog.problems["good-set"]


@pytest.mark.parametrize("variable", ["HF_TOKEN", "MIRROR_API_KEY", "db_password", "ClientSecret"])
def test_a_variable_named_like_a_secret_is_never_substituted_even_when_allowed(tmp_path, monkeypatch, variable):
    monkeypatch.setenv(variable, "s3cr3t-value")
    monkeypatch.setenv("CATALOG_ALLOWED_VARIABLES", variable)
    monkeypatch.setenv("CATALOG_HTTP_BASE", "https://mirror.example.org")
    problem = http_entry_problem(tmp_path, "${CATALOG_HTTP_BASE}/rows.csv?api_key=${%s}" % variable)
    assert f"uses ${{{variable}}}: a variable named like a secret" in problem
    assert "s3cr3t-value" not in problem
    with pytest.raises(CatalogError, match="named like a secret") as refused:
        Source(kind="http", url="https://example.org/${%s}/rows.csv" % variable).resolved_url()
    assert "s3cr3t-value" not in str(refused.value)


def test_only_allowed_variables_are_substituted(tmp_path, monkeypatch):
    monkeypatch.delenv("CATALOG_ALLOWED_VARIABLES", raising=False)
    monkeypatch.setenv("HOME_MIRROR", "https://mirror.example.org")
    problem = http_entry_problem(tmp_path, "${HOME_MIRROR}/rows.csv")
    assert "uses ${HOME_MIRROR}, which is not an allowed variable" in problem
    assert "CATALOG_ALLOWED_VARIABLES" in problem and "mirror.example.org" not in problem
    monkeypatch.setenv("CATALOG_HTTP_BASE", "https://base.example.org/")
    assert Source(kind="http", url="${CATALOG_HTTP_BASE}/rows.csv").resolved_url() \
        == "https://base.example.org/rows.csv"


def test_credentials_in_a_catalog_url_stay_out_of_its_errors_and_its_stored_form(tmp_path):
    problem = http_entry_problem(tmp_path, "ftp://ann:pw-1234@example.org/rows.csv?sig=abc123")
    assert "pw-1234" not in problem and "abc123" not in problem
    source = Source(kind="http", url="https://ann:pw-1234@example.org/rows.csv?api_key=k-5678&page=2")
    assert source.describe() == "https://example.org/rows.csv?api_key=REDACTED&page=2"
