"""The credit line of NOTICE files: the bundled catalog's and real ones."""

from pathlib import Path

import pytest

from licenses import credit_line

CATALOG = Path(__file__).parents[2] / "catalog" / "data"


@pytest.mark.parametrize(
    ("dataset", "credit"),
    [
        (
            "palmer-penguins",
            "Data were collected and made available by Dr. Kristen Gorman and the Palmer Station Long Term"
            " Ecological Research (LTER) Program",
        ),
        (
            "mauna-loa-co2",
            "Attribution / credit: Scripps CO2 Program, Scripps Institution of Oceanography at UC San Diego",
        ),
        (
            "cloudflare-verified-bots",
            "Source: Cloudflare, Inc. — Cloudflare Radar Verified Bots"
            " https://radar.cloudflare.com/traffic/verified-bots",
        ),
        ("garden-sensor-fixture", None),
    ],
)
def test_credit_line_of_the_bundled_notices(dataset, credit):
    assert credit_line((CATALOG / dataset / "NOTICE").read_text(encoding="utf-8")) == credit


def test_odbl_attribution_sentence_spans_lines():
    credit = credit_line((CATALOG / "world-countries" / "NOTICE").read_text(encoding="utf-8"))
    assert credit.startswith('This database contains information from "countries" by Mohammed Le Doze and contributors')
    assert credit.endswith("made available under the Open Database License (ODbL) v1.0"
                           " (https://opendatacommons.org/licenses/odbl/1.0/)")


@pytest.mark.parametrize(
    ("notice", "credit"),
    [
        # pyarrow 26.0.1, NOTICE.txt (opening lines)
        (
            "Apache Arrow\nCopyright 2016-2026 The Apache Software Foundation\n\n"
            "This product includes software developed at\nThe Apache Software Foundation (http://www.apache.org/).\n",
            "This product includes software developed at The Apache Software Foundation (http://www.apache.org/)",
        ),
        # yarl 1.25.1, NOTICE: a notice and a license grant, nobody to credit beyond the holder
        (
            "   Copyright 2016-2021, Andrew Svetlov and aio-libs team\n\n"
            '   Licensed under the Apache License, Version 2.0 (the "License");\n',
            None,
        ),
        # marshmallow 4.4.0, NOTICE: BSD disclaimer ("PROVIDED BY THE COPYRIGHT HOLDERS") is no credit
        (
            'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND\n'
            "ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED\n",
            None,
        ),
        # GPL-3, "How to Apply These Terms": license wording, not a credit
        (
            "    This program is free software: you can redistribute it and/or modify\n"
            "    it under the terms of the GNU General Public License as published by\n"
            "    the Free Software Foundation, either version 3 of the License, or\n"
            "    (at your option) any later version.\n",
            None,
        ),
        ("", None),
    ],
)
def test_credit_line_of_real_shapes(notice, credit):
    assert credit_line(notice) == credit
