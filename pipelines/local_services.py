"""Loopback services for the local demo and the tests: an HTTP file server for the catalog's HTTP sources,
one for the checks' Data Docs and, when HF_ENDPOINT is not set, the project's loopback Hub (seeded with the
catalog's upstream Hub datasets). Each starts only when its variable (CATALOG_HTTP_BASE, DATA_DOCS_URL,
HF_ENDPOINT) does not already name where it is.

They listen on fixed ports (LOOPBACK_HUB_PORT, CATALOG_HTTP_PORT, DATA_DOCS_PORT) so that the links a run records
(the Hub URL, a source's URL, the Data Docs) still open when the services are started again later; 0 picks any
free port, as the tests do."""

from __future__ import annotations

import errno
import functools
import os
import secrets
import sys
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from assets.catalog import Catalog
from checks import data_docs


LOCAL_HOST = "127.0.0.1"
DEFAULT_PORTS = {"LOOPBACK_HUB_PORT": 8808, "CATALOG_HTTP_PORT": 8809, "DATA_DOCS_PORT": data_docs.DEFAULT_PORT}


class ServiceStartError(RuntimeError):
    """A local service cannot listen where it is configured to: the message is one line, for the user."""


def service_port(variable: str) -> int:
    """The port a local service listens on: the variable's value, else its fixed default; 0 is any free port."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return DEFAULT_PORTS[variable]
    if not value.isdigit() or int(value) > 65535:
        raise ServiceStartError(f"{variable} must be a port number from 0 to 65535 (0: any free port), got {value!r}")
    return int(value)


@contextmanager
def port_in_use_explained(variable: str, port: int, service: str) -> Iterator[None]:
    """Turn a refused bind into one line naming the port and the variable that sets it."""
    try:
        yield
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        reason = "is in use" if error.errno == errno.EADDRINUSE else "may not be opened by this user"
        raise ServiceStartError(f"cannot start the {service}: port {port} on {LOCAL_HOST} {reason}; set {variable} "
                                "to a free port (0: any free port) or stop what holds it (if that is "
                                "pipelines.local_services, run the export line it printed instead)") from None


class QuietFileHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextmanager
def file_server(root: Path, port: int = 0) -> Iterator[str]:
    handler = functools.partial(QuietFileHandler, directory=str(root))
    server = ThreadingHTTPServer((LOCAL_HOST, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}"
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
    reads HF_ENDPOINT once, at import. Raises ServiceStartError when a service's port cannot be opened."""
    started = Started()
    with ExitStack() as stack:
        if "CATALOG_HTTP_BASE" not in os.environ:
            port = service_port("CATALOG_HTTP_PORT")
            with port_in_use_explained("CATALOG_HTTP_PORT", port, "HTTP file server for the catalog"):
                base = stack.enter_context(file_server(catalog.path.parent / "data", port))
            stack.enter_context(environment(CATALOG_HTTP_BASE=base))
            started.lines.append(f"started an HTTP file server for the catalog's HTTP sources at {base}")
        if "DATA_DOCS_URL" not in os.environ:
            port = service_port("DATA_DOCS_PORT")
            site = state_dir / "data_docs"
            site.mkdir(parents=True, exist_ok=True)
            with port_in_use_explained("DATA_DOCS_PORT", port, "Data Docs server"):
                docs_url = stack.enter_context(file_server(site, port))
            stack.enter_context(environment(DATA_DOCS_URL=docs_url))
            started.lines.append(f"serving the checks' Data Docs ({site}) at {docs_url}")
        if "HF_ENDPOINT" not in os.environ:
            from loopback_hub import HubServer

            token = os.environ.get("HF_TOKEN") or f"hf_{secrets.token_hex(16)}"
            port = service_port("LOOPBACK_HUB_PORT")
            hub = HubServer(state_dir / "loopback_hub", tokens={token: "write"}, host=LOCAL_HOST, port=port)
            with port_in_use_explained("LOOPBACK_HUB_PORT", port, "loopback Hub"):
                stack.enter_context(hub)
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
    try:
        with local_services(load_catalog(), state_dir) as started:
            for line in [*started.lines, *started.seed_failures.values()]:
                print(line, flush=True)
            print(f"export HF_ENDPOINT={os.environ['HF_ENDPOINT']} "
                  f"CATALOG_HTTP_BASE={os.environ['CATALOG_HTTP_BASE']} "
                  f"DATA_DOCS_URL={os.environ['DATA_DOCS_URL']} "
                  f"HUB_PUBLIC_URL={os.environ.get('HUB_PUBLIC_URL') or os.environ['HF_ENDPOINT']}", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    except ServiceStartError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
