"""`python -m licenses classify`: one JSON answer per input line, in order, whatever the input."""

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_classify(stdin: bytes) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "licenses", "classify"],
        input=stdin,
        capture_output=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]


def test_answers_in_order_with_required_fields():
    texts = ["MIT", "cc-by-nc-sa-4.0", "Public domain", "other", "GNU GPLv3"]
    answers = run_classify("".join(json.dumps({"text": t}) + "\n" for t in texts).encode())
    assert [a["spdx"] for a in answers] == ["MIT", "CC-BY-NC-SA-4.0", None, None, "GPL-3.0-only"]
    assert [a["use"] for a in answers] == ["commercial", "non-commercial", "commercial", "unknown", "commercial"]
    for answer in answers:
        for key in (
            "spdx",
            "use",
            "attribution",
            "share_alike",
            "no_derivatives",
            "confidence",
            "evidence",
            "hub_id",
            "name",
        ):
            assert key in answer


def test_garbage_lines_get_unknown_answers_and_keep_the_count():
    lines = [
        b'{"text": "MIT"}',
        b"this is not json",
        b"",
        b'{"text": null}',
        b'{"text": 12}',
        b'["text"]',
        b'{"other": "MIT"}',
        b'{"text": "a\rb"}\r',
        b"\xff\xfe\x00binary\x00garbage",
        b"[" * 50_000,
        json.dumps({"text": "\x00\x01\x02\x03\x04\x05garbage\x00\x00\x00\x00"}).encode(),
        json.dumps({"text": "\ud800 lone surrogate"}).encode(),
        json.dumps({"text": "CC BY 4.0 " + "x" * 2_000_000}).encode(),
        b'{"text": "Apache-2.0"}',
    ]
    answers = run_classify(b"\n".join(lines) + b"\n")
    assert len(answers) == len(lines)
    assert answers[0]["spdx"] == "MIT" and answers[-1]["spdx"] == "Apache-2.0"
    assert answers[-2]["spdx"] == "CC-BY-4.0"  # huge text: read from its start
    for answer in answers[1:12]:
        assert answer["use"] == "unknown" and answer["spdx"] is None
        assert answer["evidence"]
    assert "invalid JSON" in answers[1]["evidence"]


def test_last_line_without_newline_is_answered():
    answers = run_classify(b'{"text": "MIT"}\n{"text": "ISC"}')
    assert [a["spdx"] for a in answers] == ["MIT", "ISC"]
