"""Real license statements, verbatim, with the answer a governance gate needs.

Origins (all openly licensed): the `COPYRIGHT` and `SOURCE` strings and docstrings of the
statsmodels 0.15 datasets (BSD-3-Clause); scikit-learn 1.9's COPYING, a docstring of
sklearn/datasets/_samples_generator.py and sklearn/datasets/images/README.txt
(BSD-3-Clause); the `License`, `License-Expression` and `Classifier` fields and license
files of Python packages (mdurl: MIT; the others under the license they state).

The `*_PHRASES` lists are short sentences written for the test in the wording of the rules.
`NOT_LICENSES` ends with names that only look like license names: wider matching must not
turn them into licenses.
"""

import pytest

from licenses import SignOff, classify, decide, load_policy, signal

SCIKIT_LEARN_COPYING = """BSD 3-Clause License

Copyright (c) 2007-2026 The scikit-learn developers.
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

* Redistributions of source code must retain the above copyright notice, this
  list of conditions and the following disclaimer.

* Redistributions in binary form must reproduce the above copyright notice,
  this list of conditions and the following disclaimer in the documentation
  and/or other materials provided with the distribution.

* Neither the name of the copyright holder nor the names of its
  contributors may be used to endorse or promote products derived from
  this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
# mdurl's LICENSE, the part for the code taken from node.js
NODE_URL_MIT = """Copyright Joyent, Inc. and other Node contributors. All rights reserved.
Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to
deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.
"""
SKLEARN_CHINA_JPG = """Image: china.jpg
Released under a creative commons license. [1]
Attribution: Some rights reserved by danielbuechele [2]
Retrieved 21st August, 2011 from [3] by Robert Layton

[1] https://creativecommons.org/licenses/by/2.0/"""

# (text, spdx, use, forbids_redistribution, informative)
NO_RIGHTS = [
    ("Used with express permission of the original author, who\nretains all rights.", None, "unknown", True, True),
    ("Used with express permission from the original author,\nwho retains all rights.", None, "unknown", True, True),
    ("Included with permission of the author.", None, "unknown", True, True),
    (
        "\nhttp://pages.stern.nyu.edu/~wgreene/Text/econometricanalysis.htm\n\n"
        "The raw data was downloaded from Bill Greene's Econometric Analysis web site,\n"
        "though permission was obtained from the original researcher, Dr. Lee Spector,\n"
        "Professor of Economics, Ball State University.",
        None,
        "unknown",
        True,
        True,
    ),
    ("Adapted with permission from Stephen Marsland's code [1]_.", None, "unknown", True, True),
    ("Copyright (c) 2015-2025, Vega-Altair Developers\nAll rights reserved.", None, "unknown", True, True),
    ("All rights reserved.", None, "unknown", True, True),
]
NO_RIGHTS_PHRASES = [
    ("© 2020 ACME. All rights reserved.", None, "unknown", True, True),
    ("This data may not be redistributed.", None, "unknown", True, True),
    ("The author retains all rights.", None, "unknown", True, True),
    ("Reproduced by permission of the publisher.", None, "unknown", True, True),
    ("Used with permission of the owner.", None, "unknown", True, True),
    ("The images belong to their respective owners.", None, "unknown", True, True),
    ("Not licensed under any open license. All rights reserved.", None, "unknown", True, True),
]
PART_PHRASES = [
    ("Annotations are released under CC BY 4.0. The images belong to their owners", "CC-BY-4.0", "unknown", True, True),
    ("The annotations are licensed under CC BY 4.0.", "CC-BY-4.0", "unknown", False, True),
    ("Labels: CC0 1.0. Images are copyrighted by their respective owners.", "CC0-1.0", "unknown", True, True),
    ("CC BY 4.0 for the annotations", "CC-BY-4.0", "unknown", False, True),
    ("The captions are CC BY-NC 4.0.", "CC-BY-NC-4.0", "non-commercial", False, True),
    ("The code is MIT licensed.", None, "unknown", False, True),  # says nothing about the data
    ("The code is MIT licensed; the data is CC BY 4.0", "CC-BY-4.0", "commercial", False, True),
    ("Data license: CC BY 4.0. Code license: MIT.", "CC-BY-4.0", "commercial", False, True),
    (
        "The software is released under the GPL-3.0; the corpus under CC BY-SA 4.0.",
        "CC-BY-SA-4.0",
        "commercial",
        False,
        True,
    ),
    ("This dataset is licensed under CC BY 4.0.", "CC-BY-4.0", "commercial", False, True),
    ("Copyright (c) ACME Corp. All rights reserved.\nLicensed under MIT.", "MIT", "commercial", False, True),
    ("The data is released under CC BY-NC 4.0.", "CC-BY-NC-4.0", "non-commercial", False, True),
    ("Some files are licensed under CC BY 4.0.", "CC-BY-4.0", "unknown", False, True),  # some of the whole
]
PUBLIC_DOMAIN = [
    ("This is public domain.", None, "commercial", False, True),
    ("This data is in the public domain.", None, "commercial", False, True),
    ("This is in the public domain.", None, "commercial", False, True),
    ("Public domain.", None, "commercial", False, True),
    ("This data is public domain.", None, "commercial", False, True),
]
REFERENCES_TO_TERMS = [
    ("This data is distributed according to the World Bank terms of use. See SOURCE.", None, "unknown", False, True),
    ("The World Bank Terms of Use can be found at the following URL", None, "unknown", False, True),
]
LICENSES_WITH_COPYRIGHT_LINES = [
    (SCIKIT_LEARN_COPYING, "BSD-3-Clause", "commercial", False, True),
    (SCIKIT_LEARN_COPYING.removeprefix("BSD 3-Clause License\n\n"), "BSD-3-Clause", "commercial", False, True),
    (NODE_URL_MIT, "MIT", "commercial", False, True),
    (SKLEARN_CHINA_JPG, "CC-BY-2.0", "commercial", False, True),
]
PACKAGE_METADATA = [
    ("License :: OSI Approved :: MIT License", "MIT", "commercial", False, True),
    ("License :: OSI Approved :: BSD License", None, "commercial", False, True),
    ("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0", "commercial", False, True),
    ("License :: OSI Approved :: Python Software Foundation License", "PSF-2.0", "commercial", False, True),
    ("Apache 2.0", "Apache-2.0", "commercial", False, True),
    ("MIT license", "MIT", "commercial", False, True),
    ("Apache License Version 2.0", "Apache-2.0", "commercial", False, True),
    ("3-Clause BSD License", "BSD-3-Clause", "commercial", False, True),
    ("2-clause BSD", "BSD-2-Clause", "commercial", False, True),
    ("MPL-2.0 AND MIT", "MPL-2.0 AND MIT", "commercial", False, True),
    (
        "BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0",
        "BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0",
        "commercial",
        False,
        True,
    ),
    ("Apache-2.0 OR BSD-2-Clause", "Apache-2.0 OR BSD-2-Clause", "commercial", False, True),
    ("Dual License", None, "unknown", False, False),
    ("Copyright (c) 2001-2002 Enthought, Inc. 2003, SciPy Developers.", None, "unknown", False, False),
]
NOT_LICENSES = [
    ("???", None, "unknown", False, False),
    ("...", None, "unknown", False, False),
    ("Intern. J. Epidemiol. (1992)", None, "unknown", False, False),
    (
        'Fair, Ray. 1978. "A Theory of Extramarital Affairs," *Journal of Political\nEconomy*, February, 45-61.',
        None,
        "unknown",
        False,
        False,
    ),
    ("William Greene's *Econometric Analysis*", None, "unknown", False, False),
    (
        "Experimental data on the effectiveness of the personalized\nsystem of instruction (PSI) program",
        None,
        "unknown",
        False,
        False,
    ),
    (
        "Gorman KB, Williams TD, Fraser WR (2014) Ecological Sexual Dimorphism and Environmental Variability within a"
        " Community of Antarctic Penguins (Genus Pygoscelis). PLoS ONE 9(3): e90081",
        None,
        "unknown",
        False,
        False,
    ),
    ("Released under a creative commons license. [1]", None, "unknown", False, False),
    ("Attribution: Some rights reserved by danielbuechele [2]", None, "unknown", False, False),
    ("JSON format", None, "unknown", False, False),
    ("Python", None, "unknown", False, False),
    ("CSV", None, "unknown", False, False),
    ("See the paper", None, "unknown", False, False),
    ("MIT Press", None, "unknown", False, False),
    ("MIT-BIH Arrhythmia Database", None, "unknown", False, False),
    ("Apache Spark", None, "unknown", False, False),
    ("Apache Software Foundation", None, "unknown", False, False),
    ("Python Software Foundation", None, "unknown", False, False),
    ("the GNU project", None, "unknown", False, False),
    ("GNU Make", None, "unknown", False, False),
    ("BSD socket API", None, "unknown", False, False),
    ("Creative commons", None, "unknown", False, False),
    ("Mozilla Firefox", None, "unknown", False, False),
    ("Eclipse IDE", None, "unknown", False, False),
    ("UCI Machine Learning Repository", None, "unknown", False, False),
    ("Public Library of Science", None, "unknown", False, False),
]
CASES = NO_RIGHTS + NO_RIGHTS_PHRASES + PART_PHRASES + PUBLIC_DOMAIN + REFERENCES_TO_TERMS
CASES += LICENSES_WITH_COPYRIGHT_LINES + PACKAGE_METADATA + NOT_LICENSES


@pytest.mark.parametrize(("text", "spdx", "use", "forbids_redistribution", "informative"), CASES)
def test_real_world_statement(text, spdx, use, forbids_redistribution, informative):
    info = classify(text)
    got = (info.spdx, info.use, info.forbids_redistribution, info.informative)
    assert got == (spdx, use, forbids_redistribution, informative), info.evidence


@pytest.mark.parametrize(("text", "spdx", "use", "forbids_redistribution", "informative"), PUBLIC_DOMAIN)
def test_public_domain_statements(text, spdx, use, forbids_redistribution, informative):
    assert classify(text).public_domain


def test_a_license_for_part_of_the_data_says_which_part():
    assert "covers only the annotations" in classify("The annotations are licensed under CC BY 4.0.").evidence
    assert "covers only the code" in classify("The code is MIT licensed.").evidence


STEWARD = SignOff(who="ana.steward", when="2026-01-15", why="the author answered by e-mail", license="CC-BY-4.0")


@pytest.mark.parametrize(
    "text",
    [
        "Used with express permission of the original author, who\nretains all rights.",
        "Included with permission of the author.",
        "All rights reserved.",
        "Annotations are released under CC BY 4.0. The images belong to their owners",
    ],
)
def test_no_grant_is_blocked_and_no_sign_off_releases_it(text):
    decision = decide([signal("catalog", text)], load_policy(), STEWARD)
    assert decision.decision == "blocked"
    assert "do not redistribute" in decision.obligations


def test_a_part_license_waits_for_a_steward():
    policy = load_policy()
    evidence = [signal("catalog", "The annotations are licensed under CC BY 4.0.")]
    assert decide(evidence, policy).decision == "quarantine"
    assert decide(evidence, policy, STEWARD).decision == "publish"


def test_a_card_license_beside_a_readme_that_scopes_it_to_the_annotations_waits_for_a_steward():
    evidence = [signal("card", "cc-by-4.0"), signal("README", "The annotations are licensed under CC BY 4.0.")]
    decision = decide(evidence, load_policy())
    assert decision.decision == "quarantine" and decision.conflicts


def test_copyright_notice_above_a_license_text_does_not_block_it():
    assert decide([signal("LICENSE", SCIKIT_LEARN_COPYING)], load_policy()).decision == "publish"


# Wording of ordinary license texts that must not read as "no rights" (phrases in that wording)
LICENSE_TEXT_PHRASES = [
    ("Library General Public License v2", "LGPL-2.0-only", "commercial", False, True),  # "library" is no scope here
    (
        "Licensed under the MIT License. Each contributing author retains all rights to their own work.",
        "MIT",
        "commercial",
        False,
        True,
    ),
    (
        "MIT License. The Example trademark belongs to Example Inc. and is used by permission.",
        "MIT",
        "commercial",
        False,
        True,
    ),
    (
        "Licensed under the Apache License 2.0.\nYou must retain all copyright, patent, trademark, and attribution"
        " notices from the Source form of the Work.",
        "Apache-2.0",
        "commercial",
        False,
        True,
    ),
    (
        "MIT License\nAll other trademarks are the property of their respective owners.",
        "MIT",
        "commercial",
        False,
        True,
    ),
    (
        "Licensed under the MIT License. You retain all rights to your contributions.",
        "MIT",
        "commercial",
        False,
        True,
    ),
    (
        "If you do not own the copyright in the entire work of authorship, identify the owner. Licensed under MIT.",
        "MIT",
        "commercial",
        False,
        True,
    ),
    # a grant in words under a license we cannot name: quarantine for a steward, not a block
    (
        "Copyright (c) 2005-2007 Jane Doe. All rights reserved.\n"
        "This stylesheet may be modified in any way to fit your requirements.",
        None,
        "unknown",
        False,
        True,
    ),
    (
        "Copyright (c) 2001 Example Project. All rights reserved.\n"
        "Use and redistribution of this software, with or without modification, are permitted.",
        None,
        "unknown",
        False,
        True,
    ),
]


@pytest.mark.parametrize(("text", "spdx", "use", "forbids_redistribution", "informative"), LICENSE_TEXT_PHRASES)
def test_license_text_wording_is_not_a_no_rights_statement(text, spdx, use, forbids_redistribution, informative):
    info = classify(text)
    got = (info.spdx, info.use, info.forbids_redistribution, info.informative)
    assert got == (spdx, use, forbids_redistribution, informative), info.evidence


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("Released under a creative commons license. [1]\nAttribution: Some rights reserved", None),
        ("Creative Commons 3.0 BY", "CC-BY-3.0"),
        ("CC 4.0 BY-SA", "CC-BY-SA-4.0"),
    ],
)
def test_a_footnote_mark_after_creative_commons_is_not_a_version(text, spdx):
    assert classify(text).spdx == spdx
