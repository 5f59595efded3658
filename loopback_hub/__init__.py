"""A loopback Hugging Face Hub: a local HTTP server the real huggingface_hub and datasets clients use as the Hub.

    from loopback_hub import HubServer
    with HubServer(data_dir, tokens={"hf_secret": "write"}) as hub:
        os.environ["HF_ENDPOINT"] = hub.url  # before huggingface_hub is imported

Command line: `python -m loopback_hub serve --data-dir DIR [--port 8808] [--host 127.0.0.1] [--write-token TOKEN]`.
LFS-mode uploads work with and without `HF_HUB_DISABLE_XET=1` (Xet is answered by `loopback_hub.xet_cas`).
Tree listings come in pages as on the Hub (1000 entries, 50 with `expand`, the next in a `Link` header).
Tests of clients' error handling can make it misbehave: `hub.inject_fault("POST", r"/commit/main$", 429,
headers={"Retry-After": "1"})` answers the next matching request with that error (`loopback_hub.faults`).

Card metadata is checked like the Hub checks it, by `POST /api/validate-yaml` (400 with `{"errors": [{"message"}]}`,
or `- Error: ...` lines to `Accept: text/plain`) and by a commit adding README.md (400): malformed YAML, a
`license` (string or list) not among the Hub's ids (`hub_license_ids.txt`, from hub-docs), `license: other`
without `license_name` or `license_link`, a `license_name` that is not a lowercase id, and, for datasets, a
`configs` entry without `config_name` or a `data_files` mapping without `split` / `path` (`card_rules`).

A dataset's web URL (`/datasets/<ns>/<name>[/tree/<rev>]`) answers a browser with an HTML page (`pages`).
"""

from .server import HubServer

__all__ = ["HubServer"]
