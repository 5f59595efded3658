"""`python -m loopback_hub serve --data-dir DIR [--port 8808] [--host 127.0.0.1] [--write-token TOKEN]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .server import HubServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loopback_hub", description="A loopback Hugging Face Hub.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Hub until interrupted")
    serve.add_argument("--data-dir", type=Path, required=True, help="where repos and blobs are stored")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8808, help="port to bind (default: 8808)")
    serve.add_argument(
        "--write-token", default=None, help="token allowed to write (default: the HF_TOKEN environment variable)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    write_token = args.write_token or os.environ.get("HF_TOKEN")
    tokens = {write_token: "write"} if write_token else {}
    hub = HubServer(args.data_dir, tokens=tokens, host=args.host, port=args.port).start()
    print(f"Loopback Hub serving {args.data_dir} at {hub.url}", flush=True)
    if not tokens:
        print("No write token (--write-token or HF_TOKEN): the Hub is read-only.", file=sys.stderr, flush=True)
    try:
        hub.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
