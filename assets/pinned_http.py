"""The one HTTP GET a catalog URL gets: connected to the address the guard checked (assets/guards.py). Its own
module so that loading the definitions, which needs the guards, does not load an HTTP client."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from assets.guards import check_url


class PinnedAddress(HTTPAdapter):
    """Connects to the address the guard checked, whatever the host name resolves to by then (a name may answer a
    public address to the guard and a private one to the connection: DNS rebinding). The request still names the
    host: in its Host header and, over TLS, in the SNI and the certificate check."""

    def __init__(self, address: str):
        super().__init__()
        self.address = f"[{address}]" if ":" in address else address

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = pool_kwargs["assert_hostname"] = host_params["host"]
        host_params["host"] = self.address
        return host_params, pool_kwargs

    def add_headers(self, request, **kwargs):
        request.headers["Host"] = urlsplit(request.url).netloc.rpartition("@")[2]


def pinned_get(url: str, allow_private_network: bool, *, headers: dict[str, str],
               timeout: float) -> requests.Response:
    """One streamed GET (a redirect is returned, not followed) of a URL check_url allows, connected to the address
    it checked. The caller follows redirects, each through here."""
    address = check_url(url, allow_private_network)
    with requests.Session() as session:
        if address is not None:
            session.mount("http://", PinnedAddress(address))
            session.mount("https://", PinnedAddress(address))
        return session.get(url, stream=True, timeout=timeout, headers=headers, allow_redirects=False)
