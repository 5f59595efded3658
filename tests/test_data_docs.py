"""GX Data Docs as a steward opens them: served over HTTP by the local services (a browser refuses a file:// link
from the Dagster UI) and readable offline (nothing loaded from a CDN)."""

from __future__ import annotations

import os
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from assets.catalog import load_catalog
from assets.convert import to_parquet
from checks.data_docs import STATIC, UnbundledResourceError, make_offline, site_url
from checks.gx_duckdb import run_suite
from checks.suite import load_suite
from pipelines.local_services import local_services


class Loads(HTMLParser):
    """What a page makes the browser fetch: scripts, stylesheets, images."""

    def __init__(self):
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "img") and attributes.get("src"):
            self.addresses.append(attributes["src"])
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "") and attributes.get("href"):
            self.addresses.append(attributes["href"])


def loads_of(page: Path) -> list[str]:
    parser = Loads()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.addresses


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("docs")
    (work / "raw.csv").write_text("id,name\n1,a\n2,b\n")
    parquet = to_parquet(work / "raw.csv", "csv", work / "out.parquet")
    run = run_suite(parquet.path, load_suite("no-such-suite", ["id"]), data_docs_dir=work / "site")
    assert run.data_docs_index == (work / "site" / "index.html").resolve()
    return work / "site"


def test_every_page_loads_only_files_of_its_own_site(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 3  # the index, the suite and a validation result
    for page in pages:
        addresses = loads_of(page)
        assert any(address.endswith("jquery.min.js") for address in addresses), page  # the index table needs it
        for address in addresses:
            assert not address.startswith(("http:", "https:", "//")), (page, address)
            assert (page.parent / address.split("?")[0]).resolve().is_file(), (page, address)
    # The run-time filter no longer asks for the date picker, which is not bundled.
    assert "'filterControl': 'datepicker'" not in (site / "index.html").read_text(encoding="utf-8")


def test_each_bundled_package_comes_with_its_license():
    folders = [path for path in STATIC.iterdir() if path.is_dir()]
    assert {folder.name for folder in folders} >= {"jquery-3.7.1", "bootstrap-4.3.1", "bootstrap-table-1.19.1"}
    for folder in folders:
        licenses = [path for path in folder.iterdir() if path.name.startswith("LICENSE")]
        assert licenses and "MIT" in licenses[0].read_text(encoding="utf-8"), folder.name
        assert folder.name in (STATIC / "README.md").read_text(encoding="utf-8")


def test_a_remote_script_that_is_not_bundled_is_refused_not_left_to_fail_offline(tmp_path):
    (tmp_path / "index.html").write_text('<html><script src="https://cdn.example.org/chart.js"></script></html>')
    with pytest.raises(UnbundledResourceError, match="index.html loads https://cdn.example.org/chart.js"):
        make_offline(tmp_path)


def test_decoration_not_bundled_is_dropped_and_links_that_load_nothing_stay(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('<link rel="canonical" href="https://example.org/"><img src="https://example.org/logo.png">'
                    '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script><a href="https://example.org">x</a>')
    make_offline(tmp_path)
    assert page.read_text() == '<link rel="canonical" href="https://example.org/"><a href="https://example.org">x</a>'


def test_the_local_services_serve_the_data_docs_the_check_links_to(monkeypatch, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": []}))
    (tmp_path / "data_docs" / "rows").mkdir(parents=True)
    (tmp_path / "data_docs" / "rows" / "index.html").write_text("<title>rows</title>")
    monkeypatch.delenv("DATA_DOCS_URL", raising=False)
    assert site_url("rows") == "http://127.0.0.1:8810/rows/index.html"  # the fixed default, unless configured
    with local_services(load_catalog(tmp_path / "catalog.yaml"), tmp_path) as started:
        assert any("Data Docs" in line for line in started.lines)
        link = site_url("rows")
        assert link.startswith(os.environ["DATA_DOCS_URL"]) and link.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.read() == b"<title>rows</title>"
    assert "DATA_DOCS_URL" not in os.environ
