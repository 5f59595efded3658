"""The Hub's checks of card metadata: what `/api/validate-yaml` and a commit of README.md refuse.

Messages follow the Hub's, which are Joi validation messages: for an unknown license the Hub answers
`"license" must be one of [apache-2.0, mit, ..., other, array]` (quoted verbatim in huggingface_hub issue
4218). The Hub's own wording of the other rules is not published; they use Joi's templates for the same kind
of failure (`"<key>" is required`, `"<key>" with value "<v>" fails to match the required pattern: /<re>/`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

LICENSE_IDS_PATH = Path(__file__).with_name("hub_license_ids.txt")
# hub-docs asks for a `license_name` that is "short, lowercase, without spaces", "an id ... like
# `my-license-1.0`" (datasetcard.md, hacktoberfest_challenges/model_license_other.md); the Hub does not
# publish its exact pattern, so this is that rule as a pattern.
LICENSE_NAME_PATTERN = re.compile(r"^[a-z0-9-.]+$")


@cache
def hub_license_ids() -> tuple[str, ...]:
    """The license ids the Hub accepts, in the order of hub-docs' licenses table."""
    lines = LICENSE_IDS_PATH.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def card_metadata_errors(metadata: dict[str, Any], repo_type: str) -> list[str]:
    """The messages of every rule the card metadata breaks, empty when the Hub would accept it."""
    errors = _license_errors(metadata)
    if repo_type == "dataset":
        errors += _configs_errors(metadata.get("configs"))
    return errors


def _license_errors(metadata: dict[str, Any]) -> list[str]:
    known = hub_license_ids()
    errors = []
    licenses = metadata.get("license")
    if isinstance(licenses, list):
        errors += [
            f'"license[{index}]" must be one of [{", ".join(known)}]'
            for index, license_id in enumerate(licenses)
            if license_id not in known
        ]
    elif licenses is not None and licenses not in known:
        errors.append(f'"license" must be one of [{", ".join(known)}, array]')
    # repositories-licenses.md: with `license: other`, "set a name for it in `license_name`"; datasetcard.md:
    # `license_link` is then "LICENSE" / "LICENSE.md" (a file in the repo) or a URL.
    if licenses == "other" or isinstance(licenses, list) and "other" in licenses:
        errors += [f'"{key}" is required' for key in ("license_name", "license_link") if key not in metadata]
    if "license_name" in metadata:
        errors += _string_errors("license_name", metadata["license_name"], LICENSE_NAME_PATTERN)
    if "license_link" in metadata:
        errors += _string_errors("license_link", metadata["license_link"], None)
    return errors


def _string_errors(key: str, value: Any, pattern: re.Pattern[str] | None) -> list[str]:
    if not isinstance(value, str):
        return [f'"{key}" must be a string']
    if pattern is not None and not pattern.match(value):
        return [f'"{key}" with value "{value}" fails to match the required pattern: /{pattern.pattern}/']
    return []


def _configs_errors(configs: Any) -> list[str]:
    """hub-docs datasets-manual-configuration.md: "`config_name` field is required even if you have a single
    subset"; `data_files` is a path, a list of paths, or a list of `{split, path}` mappings."""
    if configs is None:
        return []
    if not isinstance(configs, list):
        return ['"configs" must be an array']
    errors = []
    for index, config in enumerate(configs):
        key = f"configs[{index}]"
        if not isinstance(config, dict):
            errors.append(f'"{key}" must be of type object')
            continue
        if "config_name" not in config:
            errors.append(f'"{key}.config_name" is required')
        elif not isinstance(config["config_name"], str):
            errors.append(f'"{key}.config_name" must be a string')
        errors += _data_files_errors(f"{key}.data_files", config.get("data_files"))
    return errors


def _data_files_errors(key: str, data_files: Any) -> list[str]:
    if data_files is None or isinstance(data_files, str):
        return []
    if not isinstance(data_files, list):
        return [f'"{key}" does not match any of the allowed types']
    errors = []
    for index, item in enumerate(data_files):
        if isinstance(item, dict):
            errors += [f'"{key}[{index}].{field}" is required' for field in ("split", "path") if field not in item]
        elif not isinstance(item, str):
            errors.append(f'"{key}[{index}]" does not match any of the allowed types')
    return errors
