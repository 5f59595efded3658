"""The Xet CAS: its decoding of xorb chunks, and who may use it."""

from __future__ import annotations

import struct

import pytest
from huggingface_hub import HfApi
from loopback_helpers import READ_TOKEN, REPO_ID, WRITE_TOKEN, call

from loopback_hub import HubServer
from loopback_hub.xet_format import XetFormatError, hash_to_string, lz4_frame_decompress, xorb_chunks


def lz4_frame(block: bytes) -> bytes:
    # magic, FLG (version 1, independent blocks), BD, header checksum (unchecked), one block, end mark
    return struct.pack("<I", 0x184D2204) + bytes([0x60, 0x40, 0x00]) + struct.pack("<I", len(block)) + block + bytes(4)


# "abc", then a 9-byte match 3 bytes back (overlapping its own output), then the literal "!"
ABC_BLOCK = bytes([0x35]) + b"abc" + struct.pack("<H", 3) + bytes([0x10]) + b"!"


def chunk(body: bytes, compression: int, size: int) -> bytes:
    return bytes([0]) + len(body).to_bytes(3, "little") + bytes([compression]) + size.to_bytes(3, "little") + body


def test_lz4_frame_with_overlapping_match() -> None:
    assert lz4_frame_decompress(lz4_frame(ABC_BLOCK)) == b"abcabcabcabc!"
    with pytest.raises(XetFormatError):
        lz4_frame_decompress(b"not an lz4 frame")


def test_xorb_chunks_undo_each_compression_scheme() -> None:
    grouped = b"abcabcabcabc!"  # byte grouping stores bytes 0,4,8.. then 1,5,9.. then 2,6,10.. then 3,7,11..
    original = bytearray(13)
    start = 0
    for group in range(4):
        size = len(range(group, 13, 4))
        original[group::4] = grouped[start : start + size]
        start += size
    xorb = chunk(b"raw bytes", 0, 9) + chunk(lz4_frame(ABC_BLOCK), 1, 13) + chunk(lz4_frame(ABC_BLOCK), 2, 13)
    assert xorb_chunks(xorb, 0, 3) == [b"raw bytes", b"abcabcabcabc!", bytes(original)]
    assert xorb_chunks(xorb, 1, 2) == [b"abcabcabcabc!"]
    with pytest.raises(XetFormatError):
        xorb_chunks(xorb, 0, 4)


def test_hash_strings_reverse_each_8_byte_group() -> None:
    raw = bytes(range(32))
    assert hash_to_string(raw) == "0706050403020100" "0f0e0d0c0b0a0908" "1716151413121110" "1f1e1d1c1b1a1918"


def test_cas_needs_a_token_from_a_write_token(hub: HubServer) -> None:
    HfApi(endpoint=hub.url, token=WRITE_TOKEN).create_repo(REPO_ID, repo_type="dataset")
    token_url = f"{hub.url}/api/datasets/{REPO_ID}/xet-write-token/main"
    assert call("GET", token_url, headers={"Authorization": f"Bearer {READ_TOKEN}"})[0] == 403
    assert call("GET", token_url)[0] == 401
    status, headers, _ = call("GET", token_url, headers={"Authorization": f"Bearer {WRITE_TOKEN}"})
    cas_url = headers["X-Xet-Cas-Url"]
    assert status == 200 and cas_url.startswith(f"{hub.url}/xet-cas/")
    xorb_url = f"{cas_url}/v1/xorbs/default/{'ab' * 32}"
    assert call("POST", xorb_url, b"xorb", {"Authorization": f"Bearer {WRITE_TOKEN}"})[0] == 401
    cas_token = headers["X-Xet-Access-Token"]
    assert call("POST", xorb_url, b"xorb", {"Authorization": f"Bearer {cas_token}"})[0] == 200
    status, _, body = call("POST", f"{cas_url}/v1/shards", b"\0" * 40, {"Authorization": f"Bearer {cas_token}"})
    assert status == 400 and b"Malformed shard" in body
    other_store = f"{hub.url}/xet-cas/0123456789abcdef/v1/shards"
    assert call("POST", other_store, b"\0" * 40, {"Authorization": f"Bearer {cas_token}"})[0] == 404


def test_a_new_state_folder_at_the_same_address_is_a_new_cas(tmp_path) -> None:
    """hf_xet remembers, per CAS URL, which chunks the CAS holds: a Hub started again at the same port over a new
    state folder must not inherit that memory, or uploads of files seen before fail (a shard naming lost xorbs)."""
    content = bytes(range(256)) * 4096  # 1 MiB: above the size huggingface_hub sends inline
    first = HubServer(tmp_path / "first", tokens={WRITE_TOKEN: "write"}).start()
    port = int(first.url.rsplit(":", 1)[1])
    try:
        HfApi(endpoint=first.url, token=WRITE_TOKEN).create_repo(REPO_ID, repo_type="dataset")
        HfApi(endpoint=first.url, token=WRITE_TOKEN).upload_file(
            path_or_fileobj=content, path_in_repo="data.bin", repo_id=REPO_ID, repo_type="dataset")
    finally:
        first.stop()
    second = HubServer(tmp_path / "second", tokens={WRITE_TOKEN: "write"}, port=port).start()
    try:
        api = HfApi(endpoint=second.url, token=WRITE_TOKEN)
        api.create_repo(REPO_ID, repo_type="dataset")
        api.upload_file(path_or_fileobj=content, path_in_repo="data.bin", repo_id=REPO_ID, repo_type="dataset")
        sizes = [f.size for f in api.list_repo_tree(REPO_ID, repo_type="dataset") if f.path == "data.bin"]
        assert sizes == [len(content)]
    finally:
        second.stop()
