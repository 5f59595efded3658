"""An HTTP source is fetched from the address the private-network guard checked, on every redirect hop, however
its name resolves a moment later (DNS rebinding); the request still names the host (Host header, TLS SNI and
certificate check). Name resolution and connections are the test's own (the `network` fixture): a connection to a
non-loopback address is sent to a loopback server standing in for it, or refused, and never leaves the machine."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assets.catalog import CatalogEntry, Source
from assets.fetch import FetchError, RawStore, fetch

PUBLIC = "93.184.216.34"  # global addresses the guard accepts; the test's network routes them to loopback servers
OTHER_PUBLIC = "198.51.99.7"


@contextmanager
def serving(answers: dict[str, tuple[int, dict, bytes]], tls: ssl.SSLContext | None = None):
    """A loopback server answering each path with (status, headers, body); yields its port and the Host headers
    it received."""
    hosts: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            hosts.append(self.headers.get("Host"))
            status, headers, body = answers.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hosts
    finally:
        server.shutdown()
        server.server_close()


def fetch_url(url: str, tmp_path: Path):
    entry = CatalogEntry(id="rebound", title="Rebound", description="", format="csv",
                         source=Source(kind="http", url=url))
    return fetch(entry, RawStore(tmp_path / "raw"))


def test_a_name_that_rebinds_to_loopback_after_the_check_is_fetched_from_the_checked_address(network, tmp_path):
    with serving({"/rows.csv": (200, {}, b"id\ninternal\n")}) as (port, internal_hosts), \
            serving({"/rows.csv": (200, {}, b"id\npublic\n")}) as (public_port, public_hosts):
        network.names["data.example.org"] = [PUBLIC, "127.0.0.1"]  # public to the guard, loopback afterwards
        network.routes[PUBLIC, port] = ("127.0.0.1", public_port)
        fetched = fetch_url(f"http://data.example.org:{port}/rows.csv", tmp_path)
    assert Path(fetched.blob.path).read_bytes() == b"id\npublic\n"
    assert internal_hosts == []  # the loopback server behind the rebound name was never reached
    assert network.connections == [(PUBLIC, port)]  # evidence lookups were refused by the guard: loopback now
    assert public_hosts == [f"data.example.org:{port}"]


def test_every_redirect_hop_connects_to_the_address_checked_for_it(network, tmp_path):
    with serving({"/rows.csv": (200, {}, b"id\ninternal\n")}) as (port, internal_hosts), \
            serving({"/rows.csv": (200, {}, b"id\nmirror\n")}) as (mirror_port, mirror_hosts), \
            serving({"/rows.csv": (302, {"Location": f"http://mirror.example.org:{port}/rows.csv"}, b"")}) \
            as (first_port, first_hosts):
        network.names["data.example.org"] = [PUBLIC, "127.0.0.1"]
        network.names["mirror.example.org"] = [OTHER_PUBLIC, "127.0.0.1"]
        network.routes[PUBLIC, port] = ("127.0.0.1", first_port)
        network.routes[OTHER_PUBLIC, port] = ("127.0.0.1", mirror_port)
        fetched = fetch_url(f"http://data.example.org:{port}/rows.csv", tmp_path)
    assert Path(fetched.blob.path).read_bytes() == b"id\nmirror\n"
    assert network.connections == [(PUBLIC, port), (OTHER_PUBLIC, port)] and internal_hosts == []
    assert (first_hosts, mirror_hosts) == ([f"data.example.org:{port}"], [f"mirror.example.org:{port}"])


def certificate_authority(tmp_path: Path, server_name: str) -> tuple[ssl.SSLContext, Path]:
    """A throw-away CA (its certificate written to a file, for the client to trust) and a server context holding
    a certificate it signed for `server_name`."""
    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test CA")).issuer_name(name("test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name(server_name)).issuer_name(ca.subject)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem")
    return context, tmp_path / "ca.pem"


@pytest.mark.parametrize("certified_name, fetched", [("data.example.org", True), ("elsewhere.example.org", False)])
def test_tls_names_the_host_while_connecting_to_the_checked_address(network, tmp_path, monkeypatch, certified_name,
                                                                    fetched):
    context, ca = certificate_authority(tmp_path, certified_name)
    server_names = []
    context.sni_callback = lambda connection, server_name, _: server_names.append(server_name)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    with serving({"/rows.csv": (200, {}, b"id\nsecure\n")}, tls=context) as (port, hosts):
        network.names["data.example.org"] = [PUBLIC]
        network.routes[PUBLIC, port] = ("127.0.0.1", port)
        if fetched:
            blob = fetch_url(f"https://data.example.org:{port}/rows.csv", tmp_path).blob
            assert Path(blob.path).read_bytes() == b"id\nsecure\n" and hosts[0] == f"data.example.org:{port}"
        else:  # the certificate is checked against the name, not waved through for the address
            with pytest.raises(FetchError, match="could not fetch https://data.example.org.*SSLError"):
                fetch_url(f"https://data.example.org:{port}/rows.csv", tmp_path)
    assert server_names[0] == "data.example.org" and network.connections[0] == (PUBLIC, port)
