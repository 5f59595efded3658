"""License and provenance governance for datasets.

classify() maps any license string to an SPDX id (or None), a use class and obligations;
evidence.py gathers and reconciles signals from each source; policy.py decides, from a
policy file, whether a dataset may be published; license_text() gives a license's full
text. A plain library: no pipeline imports, and the license data and policy files load
lazily on first use.
"""

from licenses.classify import classify
from licenses.copyright import copyright_holders, extract_copyright
from licenses.credit import credit_line
from licenses.evidence import (
    LicenseSignal,
    Reconciled,
    reconcile,
    restriction_signals,
    signal,
    signal_from_column,
    signals_from_card,
    signals_from_datapackage,
    signals_from_file,
    signals_from_hub_card,
)
from licenses.info import LicenseInfo
from licenses.policy import (
    LicenseDecision,
    Permission,
    Policy,
    PolicyError,
    PolicyNotFoundError,
    SignOff,
    available_policies,
    decide,
    license_traits,
    load_policy,
)
from licenses.release import LicenseRelease, hub_license, license_release, spdx_text
from licenses.texts import license_text

__all__ = [
    "LicenseDecision",
    "LicenseInfo",
    "LicenseRelease",
    "LicenseSignal",
    "Permission",
    "Policy",
    "PolicyError",
    "PolicyNotFoundError",
    "Reconciled",
    "SignOff",
    "available_policies",
    "classify",
    "copyright_holders",
    "credit_line",
    "decide",
    "extract_copyright",
    "hub_license",
    "license_release",
    "license_text",
    "license_traits",
    "load_policy",
    "reconcile",
    "restriction_signals",
    "signal",
    "signal_from_column",
    "signals_from_card",
    "signals_from_datapackage",
    "signals_from_file",
    "signals_from_hub_card",
    "spdx_text",
]
