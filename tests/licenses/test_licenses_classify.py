"""classify(): every family and form of license string -> SPDX id, use class and obligations."""

import pytest

from licenses import LicenseInfo, classify

# (text, spdx, use, attribution, share_alike, no_derivatives)
CASES = [
    # SPDX ids and expressions
    ("MIT", "MIT", "commercial", True, False, False),
    ("Apache-2.0", "Apache-2.0", "commercial", True, False, False),
    ("CC-BY-NC-ND-4.0", "CC-BY-NC-ND-4.0", "non-commercial", True, False, True),
    ("GPL-2.0+", "GPL-2.0-or-later", "commercial", True, True, False),
    ("LGPL-2.1", "LGPL-2.1-only", "commercial", True, True, False),
    ("MIT OR Apache-2.0", "MIT OR Apache-2.0", "commercial", True, False, False),
    ("CC-BY-4.0 AND CC-BY-NC-4.0", "CC-BY-4.0 AND CC-BY-NC-4.0", "non-commercial", True, False, False),
    ("(MIT OR Apache-2.0) AND CC-BY-SA-4.0", "(MIT OR Apache-2.0) AND CC-BY-SA-4.0", "commercial", True, True, False),
    (
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "commercial",
        True,
        True,
        False,
    ),
    # Hub license tags
    ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0", "non-commercial", True, True, False),
    ("cc0-1.0", "CC0-1.0", "commercial", False, False, False),
    ("odbl", "ODbL-1.0", "commercial", True, True, False),
    ("odc-by", "ODC-By-1.0", "commercial", True, False, False),
    ("pddl", "PDDL-1.0", "commercial", False, False, False),
    ("agpl-3.0", "AGPL-3.0-only", "commercial", True, True, False),
    ("etalab-2.0", "etalab-2.0", "commercial", True, False, False),
    ("gpl", None, "commercial", True, True, False),
    ("bsd", None, "commercial", True, False, False),
    ("other", None, "unknown", False, False, False),
    ("unknown", None, "unknown", False, False, False),
    ("cc", None, "unknown", False, False, False),
    # Creative Commons names, abbreviations, odd spacing, typos, ports
    (
        "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International Public License",
        "CC-BY-NC-SA-4.0",
        "non-commercial",
        True,
        True,
        False,
    ),
    ("Attribution-NoDerivatives 4.0 International", "CC-BY-ND-4.0", "commercial", True, False, True),
    ("Creative Commons Attribution-NoDerivs 3.0 Unported", "CC-BY-ND-3.0", "commercial", True, False, True),
    ("CC BY- SA 4.0", "CC-BY-SA-4.0", "commercial", True, True, False),
    ("cc by nc 2.5", "CC-BY-NC-2.5", "non-commercial", True, False, False),
    ("CC-BY 1.0", "CC-BY-1.0", "commercial", True, False, False),
    ("Creative Comons Atribution-NonComercial 4.0", "CC-BY-NC-4.0", "non-commercial", True, False, False),
    (
        "Creative Commons Attribution Non Commercial Share Alike 4.0",
        "CC-BY-NC-SA-4.0",
        "non-commercial",
        True,
        True,
        False,
    ),
    ("CC BY-SA 3.0 DE", "CC-BY-SA-3.0-DE", "commercial", True, True, False),
    ("Creative Commons Attribution 3.0 Austria License", "CC-BY-3.0-AT", "commercial", True, False, False),
    ("CC BY-NC-ND 3.0 IGO", "CC-BY-NC-ND-3.0-IGO", "non-commercial", True, False, True),
    ("CC BY-SA 3.0 ES", None, "commercial", True, True, False),  # port SPDX does not list
    ("CC BY-NC", None, "non-commercial", True, False, False),
    ("CC BY-SA (Creative Commons / Attribution-ShareAlike)", None, "commercial", True, True, False),
    ("CC BY-NC-SA 4.0 (Attribution-NonCommercial-ShareAlike)", "CC-BY-NC-SA-4.0", "non-commercial", True, True, False),
    ("CC0", "CC0-1.0", "commercial", False, False, False),
    ("Creative Commons Zero v1.0 Universal", "CC0-1.0", "commercial", False, False, False),
    ("Public Domain Mark 1.0", "CC-PDM-1.0", "commercial", False, False, False),
    ("Creative Commons", None, "unknown", False, False, False),
    ("Creative Commons Legal Code", None, "unknown", False, False, False),
    (
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland",
        "CC-BY-SA-3.0-DE",
        "commercial",
        True,
        True,
        False,
    ),
    (
        "Creative Commons Paternité - Pas d'Utilisation Commerciale 2.0 France",
        None,
        "non-commercial",
        True,
        False,
        False,
    ),
    # other data licenses
    ("Open Data Commons Open Database License (ODbL) v1.0", "ODbL-1.0", "commercial", True, True, False),
    ("Open Data Commons Public Domain Dedication and License", "PDDL-1.0", "commercial", False, False, False),
    ("ODC-BY 1.0", "ODC-By-1.0", "commercial", True, False, False),
    (
        "Community Data License Agreement - Permissive - Version 2.0",
        "CDLA-Permissive-2.0",
        "commercial",
        True,
        False,
        False,
    ),
    ("CDLA-Sharing-1.0", "CDLA-Sharing-1.0", "commercial", True, True, False),
    ("Open Government Licence v3.0", "OGL-UK-3.0", "commercial", True, False, False),
    ("OGL-UK-1.0", "OGL-UK-1.0", "commercial", True, False, False),
    ("Licence Ouverte / Open Licence version 2.0", "etalab-2.0", "commercial", True, False, False),
    ("Datenlizenz Deutschland - Namensnennung - Version 2.0", "DL-DE-BY-2.0", "commercial", True, False, False),
    ("DL-DE-ZERO-2.0", "DL-DE-ZERO-2.0", "commercial", False, False, False),
    ("Datenlizenz Deutschland – Zero – Version 2.0", "DL-DE-ZERO-2.0", "commercial", False, False, False),
    ("Computational Use of Data Agreement (C-UDA)", "C-UDA-1.0", "commercial", True, False, False),
    # software licenses used on data, any spelling
    ("The MIT License (MIT)", "MIT", "commercial", True, False, False),
    ("Apache License, Version 2.0", "Apache-2.0", "commercial", True, False, False),
    ("apache 2", "Apache-2.0", "commercial", True, False, False),
    ("Apache Licence", None, "commercial", True, False, False),
    ("BSD 3-Clause", "BSD-3-Clause", "commercial", True, False, False),
    ("Simplified BSD License", "BSD-2-Clause", "commercial", True, False, False),
    ("GNU GPLv3", "GPL-3.0-only", "commercial", True, True, False),
    ("GNU General Public License v2 or later", "GPL-2.0-or-later", "commercial", True, True, False),
    ("GNU Genral Public Licence version 3", "GPL-3.0-only", "commercial", True, True, False),
    ("GNU Lesser General Public License v2.1", "LGPL-2.1-only", "commercial", True, True, False),
    ("GNU Affero General Public License v3.0", "AGPL-3.0-only", "commercial", True, True, False),
    ("GNU GENERAL PUBLIC LICENSE", None, "commercial", True, True, False),
    ("Mozilla Public License 2.0", "MPL-2.0", "commercial", True, True, False),
    ("ISC License", "ISC", "commercial", True, False, False),
    ("Boost Software License 1.0", "BSL-1.0", "commercial", True, False, False),
    ("ms-pl", "MS-PL", "commercial", True, False, False),
    ("Academic Free License v3.0", "AFL-3.0", "commercial", True, False, False),
    ("The Unlicense", "Unlicense", "commercial", False, False, False),
    # URLs
    ("https://creativecommons.org/licenses/by-sa/4.0/legalcode", "CC-BY-SA-4.0", "commercial", True, True, False),
    (
        "https://creativecommons.org/licenses/by-nc-nd/3.0/de/deed.en",
        "CC-BY-NC-ND-3.0-DE",
        "non-commercial",
        True,
        False,
        True,
    ),
    ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0", "commercial", False, False, False),
    ("https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0", "commercial", True, True, False),
    ("https://spdx.org/licenses/CDLA-Permissive-2.0.html", "CDLA-Permissive-2.0", "commercial", True, False, False),
    ("https://opensource.org/licenses/MIT", "MIT", "commercial", True, False, False),
    ("https://choosealicense.com/licenses/gpl-3.0/", "GPL-3.0-only", "commercial", True, True, False),
    ("http://www.apache.org/licenses/LICENSE-2.0", "Apache-2.0", "commercial", True, False, False),
    (
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
        "OGL-UK-2.0",
        "commercial",
        True,
        False,
        False,
    ),
    ("https://www.govdata.de/dl-de/by-2-0", "DL-DE-BY-2.0", "commercial", True, False, False),
    ("https://github.com/some-org/some-data/blob/main/LICENSE", None, "unknown", False, False, False),
    # sentences that embed a license
    (
        "The corpus is licensed under the Creative Commons Attribution 4.0 (CC BY 4.0) license.",
        "CC-BY-4.0",
        "commercial",
        True,
        False,
        False,
    ),
    ("Like its source, this dataset is released under CC BY-SA 3.0.", "CC-BY-SA-3.0", "commercial", True, True, False),
    ("Code is MIT licensed; the data is CC BY-NC 4.0.", "CC-BY-NC-4.0", "non-commercial", True, False, False),
    ("Dual licensed under MIT or Apache 2.0", "MIT OR Apache-2.0", "commercial", True, False, False),
    (
        "Licensed under the MIT license, except the images, which are CC BY-NC-ND 4.0.",
        "MIT AND CC-BY-NC-ND-4.0",
        "non-commercial",
        True,
        False,
        True,
    ),
    (
        "Wikipedia text is available under CC BY-SA 3.0 and the GNU Free Documentation License",
        None,
        "commercial",
        True,
        True,
        False,
    ),
    ("Released under CC BY 4.0, for research purposes only.", "CC-BY-4.0", "research-only", True, False, False),
    (
        "Contains public sector information licensed under the Open Government Licence v3.0.",
        "OGL-UK-3.0",
        "commercial",
        True,
        False,
        False,
    ),
    (
        "We release the data under the CC BY-NC 4.0 license for non-commercial research.",
        "CC-BY-NC-4.0",
        "non-commercial",
        True,
        False,
        False,
    ),
    ("Apache License 2.0 with Commons Clause", "Apache-2.0", "non-commercial", True, False, False),
    ("MIT license, but the data cannot be used commercially.", "MIT", "non-commercial", True, False, False),
    ("MIT (see LICENSE)", "MIT", "commercial", True, False, False),
    ("CC-BY-NCSA", None, "non-commercial", True, True, False),
    ("cc-by-4.0-nc", "CC-BY-NC-4.0", "non-commercial", True, False, False),
    ("CC BY 4.0, except commercial use", "CC-BY-4.0", "non-commercial", True, False, False),
    ("Apache License 2.0; the data license is unknown", "Apache-2.0", "unknown", True, False, False),
    ("ccbysa 4.0", "CC-BY-SA-4.0", "commercial", True, True, False),
    ("CC BY 4.0 with additional restrictions", None, "unknown", False, False, False),
    ("Mozilla Public License", None, "commercial", True, True, False),
    # model licenses: no SPDX id
    ("openrail", None, "commercial", True, True, False),
    ("BigScience OpenRAIL-M", None, "commercial", True, True, False),
    ("llama2", None, "commercial", True, False, False),
    ("Meta Llama 3 Community License Agreement", None, "commercial", True, False, False),
    ("gemma", None, "commercial", True, False, False),
    ("fair-noncommercial-research-license", None, "research-only", True, False, False),
    # custom terms
    ("Custom (non-commercial)", None, "non-commercial", False, False, False),
    ("You may not use this dataset for commercial purposes.", None, "non-commercial", False, False, False),
    ("This dataset is intended for non-commercial research purposes only.", None, "research-only", False, False, False),
    ("The data may be used for academic and educational purposes only", None, "research-only", False, False, False),
    ("Research Only", None, "research-only", False, False, False),
    (
        "By downloading the corpus you agree to the terms of the data use agreement",
        None,
        "research-only",
        False,
        False,
        False,
    ),
    ("The dataset may be freely used for any purpose.", None, "commercial", False, False, False),
    ("Free for research and commercial use.", None, "commercial", False, False, False),
    (
        "The data cannot be used for research or commercial purposes without permission.",
        None,
        "unknown",
        False,
        False,
        False,
    ),
    ("OpenAI Terms of Use", None, "non-commercial", False, False, False),
    ("LDC User Agreement for Non-Members", None, "non-commercial", True, False, False),
    ("EPL match results 2019", None, "unknown", False, False, False),
    # public domain
    ("Public domain", None, "commercial", False, False, False),
    (
        "This is a work of the U.S. Government and is not subject to copyright protection in the United States.",
        None,
        "commercial",
        False,
        False,
        False,
    ),
    ("This dataset is not in the public domain.", None, "unknown", False, False, False),
    # unknown
    ("see LICENSE", None, "unknown", False, False, False),
    ("Copyright (c) 2019 ACME Corp", None, "unknown", False, False, False),
    ("Modified MIT License", None, "unknown", False, False, False),
    ("Custom (various)", None, "unknown", False, False, False),
    ("Unknwon", None, "unknown", False, False, False),
    ("Data collected at MIT CSAIL.", None, "unknown", False, False, False),
    ("Generated with Llama 2.", None, "unknown", False, False, False),
    ("Processed with Apache Spark.", None, "unknown", False, False, False),
]


@pytest.mark.parametrize(("text", "spdx", "use", "attribution", "share_alike", "no_derivatives"), CASES)
def test_classifies(text, spdx, use, attribution, share_alike, no_derivatives):
    info = classify(text)
    assert (info.spdx, info.use) == (spdx, use), info.evidence
    assert (info.attribution, info.share_alike, info.no_derivatives) == (attribution, share_alike, no_derivatives)


LICENSE_FILE_HEADS = [
    (
        "MIT License\n\nCopyright (c) 2021 Jane Doe\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software",
        "MIT",
    ),
    (
        "Copyright (c) 2021 Jane Doe\n\nPermission is hereby granted, free of charge, to any person obtaining a copy ...",
        "MIT",
    ),
    (
        "                                 Apache License\n                           Version 2.0, January 2004\n                        http://www.apache.org/licenses/\n\n   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "Apache-2.0",
    ),
    (
        "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\nCopyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>\nEveryone is permitted to copy and distribute verbatim copies",
        "GPL-3.0-only",
    ),
    (
        "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\nCopyright (C) 2007 Free Software Foundation, Inc.\n\nThis version of the GNU Lesser General Public License incorporates\nthe terms and conditions of version 3 of the GNU General Public\nLicense, supplemented by the additional permissions listed below.",
        "LGPL-3.0-only",
    ),
    (
        "Copyright (c) 2020, ACME Corp.\nAll rights reserved.\n\nRedistribution and use in source and binary forms, with or without\nmodification, are permitted provided that the following conditions are met:\n\n1. Redistributions of source code must retain the above copyright notice.\n2. Redistributions in binary form must reproduce the above copyright notice.\n3. Neither the name of the copyright holder nor the names of its contributors\n   may be used to endorse or promote products derived from this software.",
        "BSD-3-Clause",
    ),
    (
        'Attribution-NonCommercial-ShareAlike 4.0 International\n\n=======================================================================\n\nCreative Commons Corporation ("Creative Commons") is not a law firm',
        "CC-BY-NC-SA-4.0",
    ),
    (
        "Creative Commons Legal Code\n\nCC0 1.0 Universal\n\n    CREATIVE COMMONS CORPORATION IS NOT A LAW FIRM AND DOES NOT PROVIDE",
        "CC0-1.0",
    ),
    (
        "# Community Data License Agreement - Permissive - Version 2.0\n\nThis is the Community Data License Agreement - Permissive, Version 2.0",
        "CDLA-Permissive-2.0",
    ),
    (
        "MIT No Attribution\n\nCopyright 2020 A\n\nPermission is hereby granted, free of charge, to any person obtaining a copy",
        "MIT-0",
    ),
    (
        "This is free and unencumbered software released into the public domain.\n\nAnyone is free to copy, modify, publish, use",
        "Unlicense",
    ),
]


@pytest.mark.parametrize(("text", "spdx"), LICENSE_FILE_HEADS)
def test_license_file_first_lines(text, spdx):
    assert classify(text).spdx == spdx


def test_license_body_mentions_do_not_add_licenses():
    """Inside a long license text, permissive sibling mentions are not second licenses."""
    body = "\n".join(["Terms and conditions of this license follow."] * 40)
    text = f"Attribution 4.0 International\n\n=====\n\n{body}\nThe CC0 Public Domain Dedication and the MIT License are other options."
    assert classify(text).spdx == "CC-BY-4.0"


def test_restrictive_note_at_end_of_long_license_text_counts():
    body = "\n".join(["Permission notice and disclaimer text."] * 40)
    text = (
        f"MIT License\n\nCopyright (c) 2020 A\n{body}\nNote: the data files are for non-commercial research use only."
    )
    info = classify(text)
    assert info.spdx == "MIT"
    assert info.use == "research-only"


def test_grant_wording_of_license_texts_is_not_a_restriction():
    cc0_fallback = (
        "Creative Commons Legal Code\n\nCC0 1.0 Universal\n\n3. Public License Fallback. ... Affirmer hereby grants to\n"
        "each affected person a royalty-free, non transferable, non sublicensable, non exclusive,\n"
        "irrevocable and unconditional license to exercise Affirmer's Copyright and Related Rights"
    )
    zlib = (
        "zlib License\n\nThis software is provided 'as-is', without any express or implied warranty.\n"
        "Permission is granted to anyone to use this software for any purpose,\n"
        "including commercial applications, and to alter it and redistribute it\n"
        "freely, subject to the following restrictions:"
    )
    cc0, zlib_info = classify(cc0_fallback), classify(zlib)
    assert (cc0.spdx, cc0.use, cc0.forbids_redistribution) == ("CC0-1.0", "commercial", False)
    assert (zlib_info.spdx, zlib_info.use) == ("Zlib", "commercial")


def test_mit_grant_wrapped_across_the_title_lines():
    text = (
        "Copyright (c) 2021 Jane Doe\n\nPermission is hereby granted, free of charge, to any person obtaining\n"
        'a copy of this software and associated documentation files (the "Software"), to deal\n'
        "in the Software without restriction"
    )
    assert classify(text).spdx == "MIT"


def test_clauses_of_a_long_license_text_do_not_restrict_it():
    clauses = "\n\n".join(
        [
            "If you cannot distribute so as to satisfy this License, you may not distribute the Program at all.",
            "You may not distribute the Work with technological measures that restrict the rights of this License.",
        ]
        * 10
    )
    text = f"GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n\n{clauses}"
    info = classify(text)
    assert (info.spdx, info.use, info.forbids_redistribution) == ("GPL-2.0-only", "commercial", False)
    note = classify(f"{text}\n\nThe annotation files may not be redistributed.")
    assert note.forbids_redistribution


def test_gpl2_text_phrase_is_not_a_non_commercial_term():
    text = "GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n\n(This alternative is allowed only for noncommercial distribution)"
    assert classify(text).use == "commercial"


def test_public_domain_flags():
    for text in ("CC0", "PDDL-1.0", "Unlicense", "US Government Work"):
        info = classify(text)
        assert info.public_domain and not info.attribution and info.use == "commercial", text


def test_model_licenses_carry_use_restrictions():
    for text in ("llama3.1", "gemma", "creativeml-openrail-m", "openrail++"):
        info = classify(text)
        assert info.use_restrictions and info.spdx is None and info.hub_id == text, text


def test_explicit_no_redistribution():
    info = classify("CC BY 4.0. The data may not be redistributed.")
    assert info.forbids_redistribution and info.spdx == "CC-BY-4.0"


def test_negated_mention_is_dropped():
    assert classify("This dataset is not licensed under CC BY 4.0.").use == "unknown"


def test_answer_carries_name_hub_id_url_and_evidence():
    info = classify("Creative Commons Attribution 4.0 International")
    assert info.name == "Creative Commons Attribution 4.0 International"
    assert info.hub_id == "cc-by-4.0"
    assert info.url == "https://creativecommons.org/licenses/by/4.0/"
    assert "attribution 4.0" in info.evidence
    assert 0 < info.confidence <= 1
    assert classify("CC-BY-SA-3.0-DE").hub_id is None  # the Hub has no id for this port
    assert classify("MIT").url == "https://spdx.org/licenses/MIT.html"


def test_to_dict_has_the_batch_fields():
    record = classify("MIT").to_dict()
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
        assert key in record


@pytest.mark.parametrize("bad", ["", "   ", None, 42, b"MIT", "\x00\x01\x02\x03\x04garbage\x00\x00\x00\x00\x00"])
def test_unusable_input_is_unknown_with_reason(bad):
    info = classify(bad)
    assert isinstance(info, LicenseInfo)
    assert info.use == "unknown" and info.spdx is None and info.evidence


def test_huge_text_is_read_from_its_start():
    info = classify("CC BY-SA 4.0 " + "lorem ipsum " * 200_000)
    assert info.spdx == "CC-BY-SA-4.0"
    assert "characters read" in info.evidence
