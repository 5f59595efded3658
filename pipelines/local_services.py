"""Loopback services for the local demo and the tests: an HTTP file server for the catalog's HTTP sources and,
when HF_ENDPOINT is not set, the project's loopback Hub (seeded with the catalog's upstream Hub datasets)."""

from __future__ import annotations

import functools
import os
import secrets
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from assets.catalog import Catalog


class QuietFileHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextmanager
def file_server(root: Path) -> Iterator[str]:
    handler = functools.partial(QuietFileHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Started:
    lines: list[str] = field(default_factory=list)  # a line per service started or upstream repo seeded
    seed_failures: dict[str, str] = field(default_factory=dict)  # dataset id -> why its upstream repo is missing


@contextmanager
def local_services(catalog: Catalog, state_dir: Path) -> Iterator[Started]:
    """Start what the environment does not already provide; yields what was started and which Hub-sourced
    datasets could not have their upstream repo seeded. Must run before huggingface_hub is imported: the client
    reads HF_ENDPOINT once, at import."""
    started = Started()
    with ExitStack() as stack:
        if "CATALOG_HTTP_BASE" not in os.environ:
            base = stack.enter_context(file_server(catalog.path.parent / "data"))
            stack.enter_context(environment(CATALOG_HTTP_BASE=base))
            started.lines.append(f"started an HTTP file server for the catalog's HTTP sources at {base}")
        if "HF_ENDPOINT" not in os.environ:
            from loopback_hub import HubServer

            token = os.environ.get("HF_TOKEN") or f"hf_{secrets.token_hex(16)}"
            hub = stack.enter_context(HubServer(state_dir / "loopback_hub", tokens={token: "write"}))
            # The demo's Hub is its own public address: croissant.json names the repos there.
            stack.enter_context(environment(HF_ENDPOINT=hub.url, HF_TOKEN=token,
                                            HUB_PUBLIC_URL=os.environ.get("HUB_PUBLIC_URL") or hub.url))
            started.lines.append(f"started the loopback Hub at {hub.url}")
        seed_upstream_repos(catalog, started)
        yield started


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore what was there."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def seed_upstream_repos(catalog: Catalog, started: Started) -> None:
    """Upload each Hub-sourced entry's bundled `seed` folder (a demo fixture) as its upstream repo when the
    repo is missing or holds nothing yet. A seed that cannot be uploaded (a refusal, an invalid card) fails its
    own dataset, recorded in `started.seed_failures`; the other datasets run."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    from assets.hub import hub_error_message, without_progress_bars
    from assets.messages import condensed

    without_progress_bars()
    api = HfApi()
    for entry in catalog.entries:
        source = entry.source
        if source.kind != "hub" or source.seed is None:
            continue
        try:  # a repo an earlier, refused upload left empty is seeded again
            if {sibling.rfilename for sibling in api.dataset_info(source.repo_id).siblings or []} - {".gitattributes"}:
                continue
        except RepositoryNotFoundError:
            pass
        links = sorted(str(path.relative_to(source.seed)) for path in source.seed.rglob("*") if path.is_symlink())
        if links:  # a link may lead out of the data root: what it points to would be uploaded
            started.seed_failures[entry.id] = (f"{entry.id}: not seeding upstream Hub dataset {source.repo_id}: "
                                               f"{source.seed.name}/ holds symbolic links {links}, which are never "
                                               "followed")
            continue
        try:
            api.create_repo(source.repo_id, repo_type="dataset", exist_ok=True)
            api.upload_folder(repo_id=source.repo_id, repo_type="dataset", folder_path=source.seed,
                              commit_message="Upstream release")
        except Exception as error:  # whatever the cause, only this dataset is affected
            reason = hub_error_message(error) if isinstance(error, HfHubHTTPError) else condensed(str(error))
            started.seed_failures[entry.id] = (f"{entry.id}: could not seed upstream Hub dataset {source.repo_id} "
                                               f"from {source.seed}: {reason}")
            continue
        started.lines.append(f"seeded upstream Hub dataset {source.repo_id} from {source.seed.name}/")


def main() -> None:
    """Serve the loopback services until interrupted, for `dagster dev` in another shell."""
    import time

    from assets.catalog import load_catalog

    state_dir = Path(os.environ.get("WAREHOUSE_PATH", "data/warehouse.duckdb")).resolve().parent
    with local_services(load_catalog(), state_dir) as started:
        for line in [*started.lines, *started.seed_failures.values()]:
            print(line, flush=True)
        print(f"export HF_ENDPOINT={os.environ['HF_ENDPOINT']} CATALOG_HTTP_BASE={os.environ['CATALOG_HTTP_BASE']}"
              f" HUB_PUBLIC_URL={os.environ.get('HUB_PUBLIC_URL') or os.environ['HF_ENDPOINT']}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
