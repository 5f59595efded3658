"""Copyright notices and holders."""

from pathlib import Path

import pytest

from licenses import copyright_holders, extract_copyright

NOTICES = [
    ("Copyright (c) 2019 ACME Corp", "Copyright (c) 2019 ACME Corp", "ACME Corp"),
    ("© EU/ECDC, 1995-2020", "© EU/ECDC, 1995-2020", "EU/ECDC"),
    ("Copyright 2020-2023 The X Authors", "Copyright 2020-2023 The X Authors", "The X Authors"),
    ("Copyright 2017 Google Inc.", "Copyright 2017 Google Inc.", "Google Inc."),
    ("Copyright <2019> <Oana-Maria Camburu>", "Copyright <2019> <Oana-Maria Camburu>", "Oana-Maria Camburu"),
    ("Copyright (c) 2019-present, Facebook, Inc.", "Copyright (c) 2019-present, Facebook, Inc.", "Facebook, Inc."),
    (
        "Copyright (c) Microsoft Corporation. All rights reserved.",
        "Copyright (c) Microsoft Corporation",
        "Microsoft Corporation",
    ),
    ("(c) 2021 Foo Bar GmbH", "(c) 2021 Foo Bar GmbH", "Foo Bar GmbH"),
    ("Copyright © 2015, 2016 Jane Roe. Licensed under CC BY 4.0.", "Copyright © 2015, 2016 Jane Roe", "Jane Roe"),
]


@pytest.mark.parametrize(("text", "notice", "holder"), NOTICES)
def test_notice_and_holder(text, notice, holder):
    assert extract_copyright(text) == [notice]
    assert copyright_holders([notice]) == [holder]


def test_notice_inside_a_license_sentence():
    text = "Creative Commons Attribution 4.0 International (CC BY 4.0) licence Copyright © EU/ECDC, 1995-2020"
    assert extract_copyright(text) == ["Copyright © EU/ECDC, 1995-2020"]


def test_several_notices_deduplicated_in_order():
    text = "Copyright 2019 Alpha Ltd.\nsome text\nCopyright 2020 Beta LLC; Copyright 2019 Alpha Ltd."
    notices = extract_copyright(text)
    assert notices == ["Copyright 2019 Alpha Ltd.", "Copyright 2020 Beta LLC"]
    assert copyright_holders(notices + notices) == ["Alpha Ltd.", "Beta LLC"]


@pytest.mark.parametrize(
    "boilerplate",
    [
        "The above copyright notice and this permission notice shall be included in all copies",
        "THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS",
        "Copyright (c) <year> <copyright holders>",
        "Copyright [yyyy] [name of copyright owner]",
        "Copyright and Similar Rights means copyright and/or similar rights",
        "(c) prohibiting misrepresentation of the origin of that material",
        "Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>",
        # GPL-2, section 10
        "to ask for permission.  For software which is copyrighted by the Free\n"
        "Software Foundation, write to the Free Software Foundation; we sometimes\n"
        "make exceptions for this.  Our decision will be guided by the two goals",
        # CC BY-NC 4.0, section 1(d)
        "may not be circumvented under laws fulfilling obligations under Article 11 of the WIPO Copyright Treaty"
        " adopted on December 20, 1996, and/or similar international agreements.",
        "",
    ],
)
def test_license_boilerplate_is_not_a_notice(boilerplate):
    assert extract_copyright(boilerplate) == []


@pytest.mark.parametrize(
    ("text", "holders"),
    [
        ("Copyright (c) 2018 Microlink, MIT) was repackaged by Kiko Beats", ["Microlink"]),
        ("Copyright (C) 2008 The Android Open Source Project", ["The Android Open Source Project"]),
        ("Copyright 2019-2024 Jane Roe <jane@example.org>", ["Jane Roe"]),
        (
            "Copyright (c) 2015 Hynek Schlawack and the attrs contributors",
            ["Hynek Schlawack and the attrs contributors"],
        ),
        ("(c) 2021 Example University. All rights reserved.", ["Example University"]),
    ],
)
def test_holder_is_a_name_not_a_fragment(text, holders):
    assert copyright_holders(extract_copyright(text)) == holders


def test_bundled_notices_name_no_holder_of_the_code_or_the_license():
    catalog = Path(__file__).parents[2] / "catalog" / "data"
    for dataset in ("palmer-penguins", "cloudflare-verified-bots", "mauna-loa-co2", "world-countries"):
        text = "\n".join((catalog / dataset / name).read_text(encoding="utf-8") for name in ("NOTICE", "LICENSE"))
        assert copyright_holders(extract_copyright(text)) == [], dataset
