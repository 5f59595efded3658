"""The loopback Hub's HTTP server: routing, auth and error shaping over `http.server`.

The real `huggingface_hub` and `datasets` clients talk to it as to the Hugging Face Hub once `HF_ENDPOINT`
points at `HubServer.url` (routes: `read_routes`, `write_routes`, `xet_cas`).

Uploads work in both client configurations: with `HF_HUB_DISABLE_XET=1` LFS-mode files use the git-LFS
batch API (basic transfer); by default huggingface_hub sends them through Xet, which `xet_cas` answers.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from . import pages, read_routes, write_routes, xet_cas
from .context import ROLES, HubContext, Route
from .errors import HubError
from .faults import Fault
from .store import RepoStore
from .transport import Request, Response, copy_file_range, error_response, json_response

logger = logging.getLogger("loopback_hub")

_ROUTES: list[tuple[re.Pattern[str], Route]] = [
    (re.compile(route.pattern + r"/?\Z"), route)
    for route in read_routes.ROUTES + write_routes.ROUTES + xet_cas.ROUTES + pages.ROUTES
]


def dispatch(hub: HubContext, request: Request) -> Response:
    injected = hub.faults.error_for(request)
    if injected is not None:
        raise injected
    path_matched = False
    for pattern, route in _ROUTES:
        match = pattern.match(request.path)
        if match is None:
            continue
        path_matched = True
        if request.method in route.methods:
            request.role = hub.role_of(request) if route.hub_auth else None
            params = {name: value for name, value in match.groupdict().items() if value is not None}
            return route.handler(hub, request, params)
    if path_matched:
        raise HubError(405, f"Method {request.method} not allowed on {request.path}")
    raise HubError(404, "Sorry, we can't find the page you are looking for.")


class _HubRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients' connection pools expect
    server_version = "LoopbackHub/1.0"
    server: _HubHTTPServer

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _handle(self) -> None:
        request = Request(self.command, self.path, self.headers, self.rfile)
        try:
            response = dispatch(self.server.hub, request)
        except HubError as error:
            response = error_response(error)
        except Exception:
            # The traceback names no credentials: tokens live only in the Authorization header.
            logger.exception("Internal error on %s %s", self.command, request.path)
            response = json_response({"error": "Internal server error"}, status=500)
        try:
            if not request.drain():
                self.close_connection = True
        except HubError:
            self.close_connection = True
        self._send(response)

    def _send(self, response: Response) -> None:
        length = response.file.length if response.file is not None else len(response.body)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.file is not None:
            copy_file_range(response.file, self.wfile)
        else:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        # Quiet by default: http.server would print every request line to stderr.
        logger.debug("http.server: " + format, *args)


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    hub: HubContext

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the kept-alive connections too: a stopped Hub answers nothing, not even on an open connection."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class HubServer:
    """A Hugging Face Hub stand-in on a local port, storing its repos under `data_dir`.

    `tokens` maps each accepted token to its role, "read" or "write"; every token belongs to the user
    "steward". Use `start()` / `stop()`, or `with HubServer(...) as hub:`.
    """

    def __init__(
        self, data_dir: Path, tokens: dict[str, str] | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        tokens = dict(tokens or {})
        unknown_roles = {role for role in tokens.values() if role not in ROLES}
        if unknown_roles:
            raise ValueError(f"Token roles must be one of {ROLES}, got {sorted(unknown_roles)}")
        self._store = RepoStore(Path(data_dir))
        self._xet = xet_cas.XetCas(Path(data_dir) / "xet", self._store.blobs)
        self._tokens = tokens
        self._host = host
        self._port = port
        self._http: _HubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("The loopback Hub is not started")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        if self._http is not None:
            return self
        self._http = _HubHTTPServer((self._host, self._port), _HubRequestHandler)
        self._http.hub = HubContext(self._store, self._xet, self._tokens, fallback_url=self.url)
        self._thread = threading.Thread(target=self._http.serve_forever, name="loopback-hub", daemon=True)
        self._thread.start()
        return self

    def inject_fault(self, method: str, path_pattern: str, status: int, times: int = 1, message: str | None = None,
                     headers: dict[str, str] | None = None) -> Fault:
        """Answer the next `times` requests matching `method` and the regex `path_pattern` (searched in the
        percent-encoded path) with `status` and `headers`, e.g. 429 with `Retry-After`. The server must be started;
        `Fault.fired` counts the requests answered."""
        if self._http is None:
            raise RuntimeError("The loopback Hub is not started")
        fault = Fault(method, re.compile(path_pattern), status, times, message or f"Injected failure ({status})",
                      dict(headers or {}))
        return self._http.hub.faults.add(fault)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI's mode)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        self._http.close_connections()
        if self._thread is not None:
            self._thread.join()
        self._http = None
        self._thread = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
