"""license_text(): full license texts from ScanCode's data, with the copyright filled in."""

import pytest

from licenses import classify, license_text
from licenses.texts import NOT_STATED

HOLDERS = ["The scikit-learn developers"]


def test_bsd_3_clause_with_holders_names_them_in_the_copyright_line_and_the_endorsement_clause():
    text = license_text("BSD-3-Clause", HOLDERS)
    assert text.splitlines()[0] == "Copyright (c) The scikit-learn developers"
    assert "Neither the name of The scikit-learn developers nor the names of its contributors" in text
    assert "ORGANIZATION" not in text
    assert "Redistribution and use in source and binary forms" in text


def test_bsd_3_clause_without_holders_says_the_copyright_is_not_stated():
    text = license_text("BSD-3-Clause")
    assert text.splitlines()[0] == NOT_STATED == "Copyright: not stated by the source"
    assert "Neither the name of the copyright holders nor" in text


@pytest.mark.parametrize("spdx", ["MIT", "ISC", "0BSD", "Zlib", "BSD-2-Clause", "BSD-4-Clause", "X11"])
def test_notice_style_licenses_start_with_a_copyright_line(spdx):
    assert license_text(spdx, HOLDERS).startswith("Copyright (c) The scikit-learn developers\n\n")
    assert license_text(spdx, []).startswith(f"{NOT_STATED}\n\n")
    assert "<" not in license_text(spdx).splitlines()[0]


def test_mit_text_is_the_mit_grant_with_several_holders_joined():
    text = license_text("MIT", ["Jane Doe", "Example University"])
    assert text.startswith("Copyright (c) Jane Doe, Example University\n")
    assert "Permission is hereby granted, free of charge, to any person obtaining" in text
    assert classify(text).spdx == "MIT"


def test_placeholders_in_a_template_copyright_line_are_replaced_by_ours():
    text = license_text("BSD-4-Clause", HOLDERS)
    assert "<organization>" not in text and "<COPYRIGHT HOLDER>" not in text
    assert "The scikit-learn developers" in text
    apache = license_text("Apache-2.0", HOLDERS)
    assert "Copyright The scikit-learn developers" in apache  # the appendix's "[yyyy] [name of copyright owner]"


@pytest.mark.parametrize(
    ("spdx", "title_words"),
    [
        ("CC-BY-4.0", "Creative Commons Attribution 4.0 International Public License"),
        ("CC0-1.0", "CC0 1.0 Universal"),
        ("CC-PDM-1.0", "Public Domain Mark 1.0"),
        ("ODbL-1.0", "Open Database License"),
        ("OGL-UK-3.0", "Open Government Licence"),
        ("CDLA-Permissive-2.0", "Community Data License Agreement - Permissive - Version 2.0"),
    ],
)
def test_legal_codes_come_whole_without_an_added_copyright_line(spdx, title_words):
    text = license_text(spdx, HOLDERS)
    assert title_words in text
    assert len(text) > 1000
    assert not text.startswith(("Copyright", NOT_STATED))
    assert spdx in classify(text).spdx  # ScanCode's OGL text has no title and names CC BY and ODC-By too


def test_deprecated_and_lower_case_ids_give_the_current_license_text():
    assert license_text("GPL-2.0+") == license_text("GPL-2.0-or-later")
    assert license_text("mit") == license_text("MIT")
    assert "either version 2 of the License" in license_text("GPL-2.0+")


def test_no_text_for_ids_the_data_lacks():
    assert license_text("OpenMDW-1.0") is None  # on the SPDX list, newer than licensedcode-data
    assert license_text("not-a-license") is None
