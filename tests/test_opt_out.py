"""Opt-out signals at ingest, through the main command against real HTTP servers (one per site, since robots.txt
and tdmrep.json are per host): a robots.txt disallowing an AI crawler, a TDM reservation header or a matching
tdmrep.json rule quarantines the dataset with the signal quoted; allowing ones publish as before; a robots.txt that
is not one fails its dataset alone, naming its URL; a sign-off releases an opt-out only with a permission granted
to the organisation that publishes. The signals are read again on a run that finds the data unchanged."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import threading
import uuid
from importlib.resources import files
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download

from assets.catalog import CatalogEntry, Source
from assets.opt_out import OptOutReadError, opt_out_record, opt_outs_changed, site_opt_outs
from assets.steward import (PermissionGranted, StewardReview, StewardReviewError, current_override,
                            policy_and_sign_off)
from assets.warehouse import Warehouse
from licenses import Permission, SignOff, decide, load_policy, signal
from licenses.opt_out import OptOutError, opt_out_decision, robots_signals, robots_text
from pipelines.local_services import environment
from pipelines.run import main as run_main

ROWS = b"id,review\n1,good\n2,bad\n"
# doc.rust-lang.org's robots.txt, verbatim as the Rust documentation ships it
# (the rust-docs component: share/doc/rust/html/robots.txt)
RUST_DOCS_ROBOTS = """User-agent: *
Disallow: /1.
Disallow: /0.
Disallow: /book/first-edition/
Disallow: /book/second-edition/
Disallow: /stable/book/first-edition/
Disallow: /stable/book/second-edition/
Disallow: /beta/book/first-edition/
Disallow: /beta/book/second-edition/
Disallow: /nightly/book/first-edition/
Disallow: /nightly/book/second-edition/

Sitemap: https://doc.rust-lang.org/sitemap.txt
"""
# The robots.txt dagster-webserver serves with its UI, read from the installed package: it allows every crawler.
DAGSTER_UI_ROBOTS = (files("dagster_webserver") / "webapp" / "build" / "robots.txt").read_text()
TDMREP = [{"location": "/data/*", "tdm-reservation": 1, "tdm-policy": "https://rights.example/policy.json"},
          {"location": "/", "tdm-reservation": 0}]
GPTBOT_OUT = "User-agent: GPTBot\nDisallow: /"
ORGANISATION_PERMISSION = {"kind": "written-permission", "reference": "letter of 2026-11-02 from the site's editor"}


class Site(http.server.ThreadingHTTPServer):
    """One host: its robots.txt and tdmrep.json (text, or None for a 404), headers on the data's answers, and a
    count of data answers by status."""

    def __init__(self, robots: str | bytes | None = None, robots_type: str = "text/plain",
                 tdmrep: list | str | None = None, data_headers: dict | None = None,
                 data_path: str = "/data/reviews.csv"):
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.robots, self.robots_type, self.tdmrep = robots, robots_type, tdmrep
        self.data_headers, self.data_path = data_headers or {}, data_path
        self.answers: list[int] = []
        self.robots_status: int | None = None  # answer robots.txt with this status instead
        self.tdmrep_type = "application/json"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def data_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.data_path}"


class SiteHandler(http.server.BaseHTTPRequestHandler):
    server: Site

    def do_GET(self):  # noqa: N802 - the stdlib's name
        site = self.server
        if self.path == "/robots.txt" and site.robots_status is not None:
            self.answer(site.robots_status, b"", {})
        elif self.path == "/robots.txt" and site.robots is not None:
            body = site.robots if isinstance(site.robots, bytes) else site.robots.encode()
            self.answer(200, body, {"Content-Type": site.robots_type})
        elif self.path == "/.well-known/tdmrep.json" and site.tdmrep is not None:
            body = site.tdmrep if isinstance(site.tdmrep, str) else json.dumps(site.tdmrep)
            self.answer(200, body.encode(), {"Content-Type": site.tdmrep_type})
        elif self.path == site.data_path:
            # As nginx's add_header does, the TDM headers go on a 304 too.
            status = 304 if self.headers.get("If-None-Match") == '"v1"' else 200
            site.answers.append(status)
            self.answer(status, ROWS if status == 200 else b"",
                        {"Content-Type": "text/csv", "ETag": '"v1"', **site.data_headers})
        else:
            self.answer(404, b"", {})

    def answer(self, status: int, body: bytes, headers: dict) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def sites() -> dict[str, Site]:
    return {
        "gptbot-out": Site(GPTBOT_OUT + "\n"),
        "all-allowed": Site("User-agent: *\nAllow: /\n"),
        "rust-docs-path": Site(RUST_DOCS_ROBOTS, data_path="/book/first-edition/reviews.csv"),
        "tdm-header": Site(None, data_headers={"tdm-reservation": "1",
                                                "tdm-policy": "https://rights.example/policy.json"}),
        "tdmrep-match": Site(DAGSTER_UI_ROBOTS, tdmrep=TDMREP),
        "tdmrep-elsewhere": Site(DAGSTER_UI_ROBOTS, tdmrep=TDMREP, data_path="/open/reviews.csv"),
        "robots-is-html": Site("<!DOCTYPE html>\n<html><body>Welcome</body></html>\n", robots_type="text/html"),
        "permission-ours": Site(GPTBOT_OUT + "\n"),
        "permission-theirs": Site(GPTBOT_OUT + "\n"),
    }


def catalog_entries(servers: dict[str, Site], namespace: str) -> list[dict]:
    entries = []
    for dataset_id, site in servers.items():
        entry = {"id": dataset_id, "title": dataset_id, "format": "csv", "license": "CC-BY-4.0",
                 "citation": "Reviews, Example Lab, 2026.", "source": {"kind": "http", "url": site.data_url}}
        if dataset_id.startswith("permission-"):
            granted_to = namespace if dataset_id == "permission-ours" else "Some Other Lab"
            entry["sign_off"] = {"who": "Ada", "when": "2026-11-03", "why": "the site's editor agreed in writing",
                                 "license": "CC-BY-4.0",
                                 "permission": {**ORGANISATION_PERMISSION, "granted_to": granted_to}}
        entries.append(entry)
    return entries


def run(root: Path, namespace: str) -> tuple[int, str, dict]:
    out = io.StringIO()
    with environment(CATALOG_PATH=str(root / "catalog.yaml"), WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
                     HUB_NAMESPACE=namespace), contextlib.redirect_stdout(out):
        exit_code = run_main([])
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT dataset_id, decision, decision_record FROM governance.datasets").fetchall()
    decisions = {dataset_id: (decision, json.loads(record)) for dataset_id, decision, record in rows}
    return exit_code, out.getvalue(), decisions


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    root = tmp_path_factory.mktemp("opt-out")
    servers = sites()
    namespace = f"optout-{uuid.uuid4().hex[:8]}"
    (root / "catalog.yaml").write_text(yaml.safe_dump({"allow_private_network": True,
                                                       "datasets": catalog_entries(servers, namespace)}))
    first = run(root, namespace)
    # The next run: the data is unchanged (304), but the all-allowed site's robots.txt now keeps GPTBot out.
    servers["all-allowed"].robots = GPTBOT_OUT + "\n"
    second = run(root, namespace)
    yield {"first": first, "second": second, "namespace": namespace, "servers": servers, "root": root}
    for site in servers.values():
        site.shutdown()
        site.server_close()


def published(governed, dataset_id: str) -> bool:
    return HfApi().repo_exists(f"{governed['namespace']}/{dataset_id}", repo_type="dataset")


def reasons(governed, dataset_id: str, which: str = "first") -> tuple[str, list[str]]:
    decision, record = governed[which][2][dataset_id]
    return decision, record["reasons"]


def test_a_robots_txt_keeping_gptbot_out_quarantines_with_its_lines_quoted(governed):
    decision, why = reasons(governed, "gptbot-out")
    assert decision == "quarantine"
    # The decision record is published with a snapshot: a loopback host is not named there.
    assert any(f'robots.txt at http://[private host]/robots.txt for GPTBot: "{GPTBOT_OUT}" (applies to '
               'http://[private host]/data/reviews.csv)' in reason for reason in why), why
    assert not published(governed, "gptbot-out")
    with duckdb.connect(str(governed["root"] / "warehouse.duckdb"), read_only=True) as connection:
        [(record,)] = connection.execute("SELECT opt_out FROM governance.sources WHERE dataset_id = 'gptbot-out'"
                                         " ORDER BY checked_at LIMIT 1").fetchall()
    robots = governed["servers"]["gptbot-out"].data_url.replace("/data/reviews.csv", "/robots.txt")
    assert json.loads(record)["signals"][0]["url"] == robots  # the steward's record names it in full


def test_a_robots_txt_allowing_every_crawler_publishes_as_before(governed):
    decision, why = reasons(governed, "all-allowed")
    assert decision == "publish", why
    assert published(governed, "all-allowed")


def test_a_real_robots_txt_disallowing_the_data_path_for_every_crawler_quarantines(governed):
    decision, why = reasons(governed, "rust-docs-path")
    assert decision == "quarantine"
    assert any("for GPTBot, ClaudeBot" in reason and "Disallow: /book/first-edition/" in reason
               and "Sitemap" not in reason for reason in why), why


def test_a_tdm_reservation_header_quarantines_with_the_header_quoted(governed):
    decision, why = reasons(governed, "tdm-header")
    assert decision == "quarantine"
    assert any('tdm-reservation header' in reason and
               '"tdm-reservation: 1\ntdm-policy: https://rights.example/policy.json"' in reason for reason in why), why


def test_a_tdmrep_rule_matching_the_path_quarantines_and_one_elsewhere_does_not(governed):
    decision, why = reasons(governed, "tdmrep-match")
    assert decision == "quarantine"
    assert any("opted out by tdmrep.json at http://[private host]/.well-known/tdmrep.json" in reason
               and '"location": "/data/*"' in reason
               for reason in why), why
    decision, why = reasons(governed, "tdmrep-elsewhere")
    assert decision == "publish", why


def test_a_robots_txt_that_does_not_parse_fails_its_dataset_alone_naming_the_url(governed):
    exit_code, out, decisions = governed["first"]
    robots = governed["servers"]["robots-is-html"].data_url.replace("/data/reviews.csv", "/robots.txt")
    [line] = [line for line in out.splitlines() if line.startswith("robots-is-html")]
    assert f"robots.txt at {robots} is an HTML (or XML) page" in line
    assert exit_code == 1 and "robots-is-html" not in decisions
    assert decisions["all-allowed"][0] == "publish" and decisions["gptbot-out"][0] == "quarantine"


def test_a_sign_off_naming_a_permission_granted_to_us_releases_the_opt_out(governed):
    decision, why = reasons(governed, "permission-ours")
    assert decision == "publish", why
    assert any("opt-out released by steward Ada" in reason for reason in why)
    assert any(reason.startswith('was opted out: opted out by robots.txt') for reason in why)
    assert published(governed, "permission-ours")


def test_a_permission_granted_to_someone_else_does_not_release_it(governed):
    decision, why = reasons(governed, "permission-theirs")
    assert decision == "quarantine"
    assert any("granted to 'Some Other Lab', not to" in reason and "permission given to someone else is not ours"
               in reason for reason in why), why
    assert not published(governed, "permission-theirs")


def test_the_signals_are_read_again_when_the_data_is_unchanged(governed):
    site = governed["servers"]["all-allowed"]
    assert site.answers == [200, 304]  # one conditional request for the data on the second run
    decision, why = reasons(governed, "all-allowed", "second")
    assert decision == "quarantine" and any(GPTBOT_OUT in reason for reason in why), why
    assert reasons(governed, "tdm-header", "second")[0] == "quarantine"
    with duckdb.connect(str(governed["root"] / "warehouse.duckdb"), read_only=True) as connection:
        unchanged, opt_out = connection.execute(
            "SELECT unchanged, opt_out FROM governance.sources WHERE dataset_id = 'all-allowed'"
            " ORDER BY checked_at DESC LIMIT 1").fetchone()
    assert unchanged and json.loads(opt_out)["signals"][0]["quote"] == GPTBOT_OUT


def test_the_released_signal_is_published_in_provenance_without_a_private_host(governed):
    repo_id = f"{governed['namespace']}/permission-ours"
    text = Path(hf_hub_download(repo_id, "provenance.json", repo_type="dataset")).read_text()
    opt_out = json.loads(text)["license"]["opt_out"]
    assert opt_out["signals"][0]["quote"] == GPTBOT_OUT
    assert {"url": "http://[private host]/robots.txt", "status": 200} in opt_out["read"]
    assert "127.0.0.1" not in text


# The library alone: what does not parse, and how a sign-off's permission is judged.

@pytest.mark.parametrize("body, says", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not UTF-8 text"),
    (b"User-agent: *\x00Disallow: /", "is binary data"),
    (b"{\"robots\": \"none\"}\n", "does not parse: none of its 1 lines is a robots.txt record"),
])
def test_a_robots_txt_that_is_not_one_is_refused_naming_it(body, says):
    with pytest.raises(OptOutError, match=f"robots.txt at https://example.org/robots.txt {says}"):
        robots_text(body, "https://example.org/robots.txt")


def test_the_dagster_ui_robots_txt_allows_every_ai_crawler():
    assert robots_signals(robots_text(DAGSTER_UI_ROBOTS.encode(), "u"), "u", "https://example.org/data.csv") == []


def test_a_blocked_license_stays_blocked_and_a_sign_off_without_permission_says_what_it_lacks():
    [signal_] = robots_signals(GPTBOT_OUT, "https://example.org/robots.txt", "https://example.org/data.csv")
    policy = load_policy()
    sign_off = SignOff("Ada", "2026-11-03", "checked", "CC-BY-4.0")
    released = decide([signal("catalog", "CC-BY-4.0")], policy, sign_off)
    without = opt_out_decision(released, [signal_], "open-data")
    assert without.decision == "quarantine"
    assert any("does not release the opt-out: it names no permission granted to us" in r for r in without.reasons)
    ours = SignOff("Ada", "2026-11-03", "checked", "CC-BY-4.0",
                   permission=Permission("licence", "Agreement OD-14", "Open Data"))
    assert opt_out_decision(decide([signal("catalog", "CC-BY-4.0")], policy, ours), [signal_],
                            "open-data").decision == "publish"
    blocked = decide([signal("catalog", "All rights reserved. Used with permission of the author.")], policy, ours)
    assert opt_out_decision(blocked, [signal_], "open-data").decision == "blocked"


# At ingest, one host at a time: what each robots.txt answer means (RFC 9309), a tdmrep.json that is not one,
# and the nightly's question whether the opt-outs changed.

def http_entry(site: Site) -> CatalogEntry:
    return CatalogEntry(id="one-site", title="One site", description="", format="csv",
                        source=Source(kind="http", url=site.data_url, allow_private_network=True))


@pytest.mark.parametrize("status, signalled", [(503, True), (500, True), (404, False), (403, False)])
def test_a_robots_txt_server_error_means_complete_disallow_and_a_4xx_no_rules(status, signalled):
    site = Site(None)
    site.robots_status = status
    try:
        signals, read = site_opt_outs(http_entry(site))
    finally:
        site.shutdown()
        site.server_close()
    robots = site.data_url.replace("/data/reviews.csv", "/robots.txt")
    assert {"url": robots, "status": status} in read
    if signalled:
        [found] = signals
        assert found.agents == ("*",) and found.quote == (f"HTTP {status}: unreachable, so complete disallow "
                                                          "(RFC 9309 2.3.1.4)")
    else:
        assert signals == []


def test_a_tdmrep_json_that_is_not_json_fails_its_dataset_naming_it():
    site = Site(None, tdmrep="<html>Not found</html>")
    try:
        with pytest.raises(OptOutReadError, match=r"one-site: tdmrep.json at http://127\.0\.0\.1:\d+/\.well-known/"
                                                  r"tdmrep.json is not JSON"):
            site_opt_outs(http_entry(site))
    finally:
        site.shutdown()
        site.server_close()


def test_an_html_page_at_the_tdmrep_address_is_a_site_answering_every_address_not_a_reservation():
    site = Site(None, tdmrep="<!DOCTYPE html><html><body>Home</body></html>")
    site.tdmrep_type = "text/html; charset=utf-8"
    try:
        assert site_opt_outs(http_entry(site))[0] == []
    finally:
        site.shutdown()
        site.server_close()


def test_the_nightly_sees_a_changed_robots_txt_over_unchanged_data():
    site = Site("User-agent: *\nAllow: /\n")
    entry = http_entry(site)
    try:
        signals, read = site_opt_outs(entry)
        recorded = opt_out_record(signals, read, "2026-11-03T00:00:00+00:00")
        assert not opt_outs_changed(entry, recorded, {})
        site.robots = GPTBOT_OUT
        assert opt_outs_changed(entry, recorded, {})
        assert opt_outs_changed(entry, recorded, {site.data_url: {"tdm-reservation": "1"}})
    finally:
        site.shutdown()
        site.server_close()


def test_a_launchpad_sign_off_records_its_permission_for_these_bytes(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    entry = CatalogEntry(id="one-site", title="One site", description="", format="csv",
                         source=Source(kind="http", url="https://example.org/data.csv"))
    review = StewardReview(signed_off_by="Ada", reason="the editor agreed in writing", license="CC-BY-4.0",
                           permission=PermissionGranted(kind="licence", reference="Agreement OD-14",
                                                        granted_to="open-data"))
    override = current_override(review, warehouse, entry.id, "ab" * 32, "run-1")
    _, sign_off = policy_and_sign_off(entry, override)
    assert sign_off.permission == Permission("licence", "Agreement OD-14", "open-data")
    assert current_override(review, warehouse, entry.id, "ab" * 32, "run-2")["run_id"] == "run-1"  # not again
    with pytest.raises(StewardReviewError, match="permission needs kind"):
        current_override(StewardReview(signed_off_by="Ada", reason="r", permission=PermissionGranted(
            kind="e-mail", reference="x", granted_to="open-data")), warehouse, entry.id, "ab" * 32, "run-3")
