"""Command line: `python -m licenses classify` reads JSON lines {"text": ...} and writes one
JSON answer per input line, in order, whatever the input holds."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from licenses.classify import classify
from licenses.info import unknown


def _answer(line: str) -> dict:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as error:
        return unknown(f"invalid JSON line: {error}").to_dict()
    if not isinstance(record, dict) or "text" not in record:
        return unknown('invalid input: expected an object with a "text" field').to_dict()
    try:
        return classify(record["text"]).to_dict()
    except Exception as error:  # a governance batch must answer every line
        return unknown(f"classifier error: {type(error).__name__}: {error}").to_dict()


def run_classify(stdin: TextIO, stdout: TextIO) -> None:
    for line in stdin:
        if line.endswith("\n"):
            line = line[:-1]
        # ASCII output: no U+2028 or similar inside a line for a reader to split on
        stdout.write(json.dumps(_answer(line)) + "\n")
        stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m licenses", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("classify", help="classify JSON lines {'text': ...} from stdin")
    args = parser.parse_args(argv)
    if args.command == "classify":
        # undecodable bytes must not stop the batch: replace them; only "\n" ends a line,
        # so one input line is always one answer
        sys.stdin.reconfigure(encoding="utf-8", errors="replace", newline="\n")
        run_classify(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
