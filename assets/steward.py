"""A steward's override of the license decision, given as launchpad config: another policy and / or a sign-off.

An override is recorded in `governance.steward_overrides` and holds for the source bytes it was given for, so the
nightly refresh keeps it; new upstream bytes need a new review. The license library decides what a sign-off may
do: it releases a quarantine, never a license that forbids redistribution. An opt-out (robots.txt, TDM reservation)
is released only by a sign-off naming a permission granted to the organisation that publishes (licenses/opt_out.py)."""

from __future__ import annotations

import json
from datetime import timezone

import dagster as dg
from pydantic import Field

from assets.catalog import CatalogEntry
from assets.warehouse import Warehouse
from licenses import Permission, PolicyError, SignOff, load_policy
from licenses.opt_out import PERMISSION_KINDS
from licenses.release import PUBLIC_DOMAIN_NAME


class PermissionGranted(dg.Config):
    """A licence or written permission to use the data despite its opt-out, granted to the organisation."""

    kind: str = Field(description=f"What it is: {' or '.join(PERMISSION_KINDS)}.")
    reference: str = Field(description="Where it can be checked: the agreement's id, the letter's date and sender, a "
                                       "URL.")
    granted_to: str = Field(description="Whom it is granted to, as it names them: it must be the organisation that "
                                        "publishes (the Hub namespace, HUB_NAMESPACE).")


class StewardReview(dg.Config):
    """Launchpad config of license_decision."""

    policy: str | None = Field(default=None, description="Decide under this policy (licenses/policies/<name>.yaml) "
                                                         "instead of the catalog's. Needs a sign-off.")
    signed_off_by: str | None = Field(default=None, description="Who signs this override off (name or e-mail).")
    reason: str | None = Field(default=None, description="Why: recorded in the decision record and the card.")
    license: str | None = Field(default=None, description="The license the sign-off confirms: an SPDX id (e.g. "
                                                          "CC-BY-4.0) or public-domain. Needed to release a dataset "
                                                          "whose license could not be identified.")
    evidence: str | None = Field(default=None, description="What confirms that license, verbatim (for public "
                                                           "domain: the statement, published as the LICENSE).")
    withdraw: bool = Field(default=False, description="Withdraw the override recorded for these source bytes "
                                                      "(still needs who and why).")
    permission: PermissionGranted | None = Field(default=None, description="Releases an opt-out (robots.txt, TDM "
                                                 "reservation): the permission granted to us to use the data.")

    def is_empty(self) -> bool:
        return not (self.policy or self.signed_off_by or self.reason or self.license or self.evidence
                    or self.withdraw or self.permission)

    def permission_json(self) -> str | None:
        return json.dumps(self.permission.model_dump(), sort_keys=True) if self.permission else None


class StewardReviewError(ValueError):
    """The launchpad config is not a valid override; the message says what to change."""


def current_override(review: StewardReview, warehouse: Warehouse, dataset_id: str, raw_sha256: str,
                     run_id: str) -> dict | None:
    """This run's override, once recorded, else the last one recorded for these bytes (None when withdrawn). The
    same override given again (a re-executed run keeps its launchpad config) is not recorded again: the decision,
    and so the snapshot and its tag, stay the same."""
    latest = _latest_override(warehouse, dataset_id, raw_sha256)
    if not review.is_empty() and not _same_override(review, latest):
        _validate(review)
        with warehouse.connect() as connection:
            connection.execute(
                "INSERT INTO governance.steward_overrides (dataset_id, raw_sha256, policy, signed_off_by, reason,"
                " recorded_at, run_id, withdrawn, license, evidence, permission)"
                " VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?)",
                [dataset_id, raw_sha256, review.policy, review.signed_off_by.strip(), review.reason.strip(),
                 run_id, review.withdraw, _stripped(review.license), _stripped(review.evidence),
                 review.permission_json()],
            )
        latest = _latest_override(warehouse, dataset_id, raw_sha256)
    return None if latest is None or latest["withdrawn"] else latest


def _latest_override(warehouse: Warehouse, dataset_id: str, raw_sha256: str) -> dict | None:
    return warehouse.fetch_one("SELECT * FROM governance.steward_overrides WHERE dataset_id = ? AND raw_sha256 = ?"
                               " ORDER BY recorded_at DESC LIMIT 1", [dataset_id, raw_sha256])


def _same_override(review: StewardReview, recorded: dict | None) -> bool:
    return recorded is not None and (
        review.policy, _stripped(review.signed_off_by), _stripped(review.reason), _stripped(review.license),
        _stripped(review.evidence), review.withdraw, _permission(review.permission_json()),
    ) == (recorded["policy"], recorded["signed_off_by"], recorded["reason"], recorded["license"],
          recorded["evidence"], recorded["withdrawn"], _permission(recorded["permission"]))


def policy_and_sign_off(entry: CatalogEntry, override: dict | None) -> tuple[str, SignOff | None]:
    """The override's, else the catalog's."""
    if override is None:
        return entry.policy, catalog_sign_off(entry.sign_off)
    when = override["recorded_at"].astimezone(timezone.utc).isoformat(timespec="seconds")
    return override["policy"] or entry.policy, SignOff(override["signed_off_by"], when, override["reason"],
                                                       override["license"], override["evidence"],
                                                       _permission(override["permission"]))


def catalog_sign_off(sign_off: dict | None) -> SignOff | None:
    """The catalog entry's sign_off, its permission (if any) as one."""
    if not sign_off:
        return None
    permission = sign_off.get("permission")
    return SignOff(**{**sign_off, "permission": Permission(**permission) if permission else None})


def _permission(recorded: str | None) -> Permission | None:
    return Permission(**json.loads(recorded)) if recorded else None


def override_record(override: dict | None) -> dict | None:
    if override is None:
        return None
    return {"policy": override["policy"], "signed_off_by": override["signed_off_by"], "reason": override["reason"],
            "license": override["license"], "evidence": override["evidence"],
            "permission": json.loads(override["permission"]) if override["permission"] else None,
            "recorded_at": override["recorded_at"].astimezone(timezone.utc).isoformat(),
            "run_id": override["run_id"]}


def _stripped(text: str | None) -> str | None:
    return text.strip() or None if text else None


def _validate(review: StewardReview) -> None:
    if not (review.signed_off_by or "").strip() or not (review.reason or "").strip():
        raise StewardReviewError("a steward override needs signed_off_by and reason: who signs it off and why")
    if review.withdraw and (review.policy or review.license):
        raise StewardReviewError("withdraw takes no policy or license: it returns the dataset to the catalog's "
                                 "decision")
    if (review.license or "").strip().lower() == PUBLIC_DOMAIN_NAME and not (review.evidence or "").strip():
        raise StewardReviewError("a public-domain sign-off needs evidence: the statement that puts the data in the "
                                 "public domain, which is published as its LICENSE")
    if review.policy:
        try:  # an unknown policy fails here, naming the available ones, before it is recorded
            load_policy(review.policy)
        except PolicyError as error:
            raise StewardReviewError(f"policy {review.policy!r}: {error}") from None
    if review.permission and (review.permission.kind not in PERMISSION_KINDS or not review.permission.reference.strip()
                              or not review.permission.granted_to.strip()):
        raise StewardReviewError(f"permission needs kind ({' or '.join(PERMISSION_KINDS)}), reference (where it can "
                                 "be checked) and granted_to (whom it is granted to)")
