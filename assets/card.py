"""The dataset card published with a snapshot: Hub YAML (license, configs, provenance) and a body stewards and
consumers read: the license and what it obliges, attribution, provenance, files, checks, how to load and verify.

Built only from the snapshot's immutable records, so re-publishing a snapshot renders the same card."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assets.catalog_entry import CatalogEntry, Creator
from assets.croissant import PublishedFile, checks_summary, conversion_changes, source_label
from assets.splits import published_splits
from licenses.release import license_file_name

if TYPE_CHECKING:  # huggingface_hub stays out of the definitions' load: imported where a card is made
    from huggingface_hub import DatasetCard, DatasetCardData

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"))
COMMERCIAL_USE = {"commercial": "allowed", "non-commercial": "not allowed", "research-only": "not allowed "
                  "(research only)", "unknown": "unknown: treat as not allowed until the license is identified"}


def size_category(rows: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if rows < limit), "n>1T")


def card_data(entry: CatalogEntry, license_record: dict, provenance: dict, license_file: str | None) -> DatasetCardData:
    from huggingface_hub import DatasetCardData

    license_info, release = license_record["license"], license_record["release"]
    # The Hub accepts only its own ids; `other` needs a name and a link to the terms: the published license file.
    extra = {"license_name": release["license_name"], "license_link": license_file} \
        if release["hub_license"] == "other" else {}
    return DatasetCardData(
        license=release["hub_license"],
        pretty_name=entry.title,
        source_datasets=source_datasets(provenance["source"], provenance.get("derived_from")) or None,
        size_categories=[size_category(provenance["row_count"])],
        tags=["governed-snapshot", f"license-use:{license_info['use']}", "croissant"],
        configs=[{"config_name": "default", "data_files": data_files(provenance)}],
        **extra,
    )


def data_files(provenance: dict) -> list[dict]:
    """Each split's shards as `datasets`' push_to_hub lists them in the card: `data/<split>-*`, in split order."""
    return [{"split": name, "path": f"data/{name}-*"} for name in published_splits(provenance)]


def source_datasets(source: dict, derived_from: list[dict] | None = None) -> list[str]:
    """What the card's `source_datasets` (dataset ids or URLs on the Hub) names: a Hub source's repo id, a public
    source's URL, else the catalog's homepage; nothing when none is known. provenance.json holds a source's `uri`
    only when it is public, so a local path or a private address never reaches the card. A derived dataset names
    each published input as repo@tag."""
    if derived_from:
        return [f"{item['repo_id']}@{item['tag']}" for item in derived_from if item.get("repo_id") and item.get("tag")]
    uri = source.get("uri")
    if uri:
        return [uri.removeprefix("hf://datasets/")] if source["kind"] == "hub" else [uri]
    homepage = source.get("homepage")
    return [homepage] if homepage and re.match(r"^https?://", homepage) else []


def render_card(entry: CatalogEntry, license_record: dict, provenance: dict, checks: list[dict], repo_id: str,
                files: list[PublishedFile]) -> DatasetCard:
    """`provenance` is the provenance.json published with the card (its `splits` name each split's shards); `files`
    are the published files the card lists with their sha256 (the Parquet shards first)."""
    from huggingface_hub import DatasetCard

    paths = [file.path for file in files]
    license_file = license_file_name(license_record["release"]["text_from"])
    data = card_data(entry, license_record, provenance, license_file)
    body = "\n".join([
        f"# {entry.title}",
        "",
        entry.description or f"A governed snapshot of {source_label(provenance['source'])}.",
        "",
        *license_section(license_record, license_file, [p for p in paths if p.startswith("NOTICE")]),
        *attribution_section(entry, license_record),
        *provenance_section(entry, license_record, provenance),
        *files_section(files),
        "## Quality checks",
        "",
        checks_summary(checks),
        "",
        *[f"- {c['check_name']} ({c['severity']}): {'passed' if c['passed'] else 'FAILED'}" for c in checks],
        "",
        *usage_section(repo_id, provenance["snapshot_id"], files),
    ])
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


LICENSE_TEXT_FROM = {
    "upstream": "the license file the source ships, verbatim",
    "spdx": "the license's full text from the SPDX license list data, its copyright line filled from the "
            "copyright holders the source names (or marked as not stated)",
    "statement": "the source's own license statement, verbatim",
}


def license_section(license_record: dict, license_file: str | None, notice_files: list[str]) -> list[str]:
    info, release = license_record["license"], license_record["release"]
    sign_off = license_record.get("sign_off")
    name = info.get("name") or info.get("spdx") or ("Public domain" if info.get("public_domain") else "Custom terms")
    travels = " and ".join(f"`{path}`" for path in [license_file, *notice_files] if path)
    return [
        "## License",
        "",
        f"**{name}** (SPDX: `{info.get('spdx') or 'none'}`, Hub: `{release['hub_license']}`"
        + (f" / `{release['license_name']}`" if release.get("license_name") else "") + ")."
        + (f" Full terms: {info['url']}" if info.get("url") else ""),
        "",
        f"- Commercial use: {COMMERCIAL_USE.get(info['use'], info['use'])}",
        f"- Attribution required: {'yes' if info.get('attribution') else 'no'}",
        f"- Share-alike (adaptations under the same license): {'yes' if info.get('share_alike') else 'no'}",
        f"- The license terms travel with the data in {travels}; `{license_file}` holds "
        f"{LICENSE_TEXT_FROM[release['text_from'].partition(':')[0]]}.",
        *([f"- Released on a steward's sign-off by {sign_off['who']} ({sign_off['when']}): {sign_off['why']}"]
          if sign_off else []),
        "",
        "What you must do when you use or share this data:",
        "",
        *[f"- {obligation}" for obligation in license_record.get("obligations") or ["nothing beyond the license"]],
        "",
    ]


CREDIT_LABEL_RE = re.compile(r"^(?:attribution|credit|source|citation)[\w /-]{0,30}:\s*", re.IGNORECASE)


def attribution_section(entry: CatalogEntry, license_record: dict) -> list[str]:
    """Whom the source credits, from its copyright notices and its NOTICE's credit line; never a guess."""
    holders = license_record.get("copyright_holders") or []
    credit = license_record.get("credit")
    return [
        "## Attribution",
        "",
        f"Copyright holders: {', '.join(holders)}." if holders else "The source names no copyright holder.",
        "",
        *([f"Credit as the source asks: {CREDIT_LABEL_RE.sub('', credit)}", ""] if credit else []),
        *([f"Please cite: {entry.citation}", ""] if entry.citation else []),
        *inputs_lines(license_record.get("derived_from") or []),
    ]


def inputs_lines(derived_from: list[dict]) -> list[str]:
    """A derived dataset's inputs, each where it is published and under which license."""
    if not derived_from:
        return []
    return ["Built from these datasets; credit each as its card asks (their notices are in `NOTICE`):", "",
            *[f"- {item['dataset_id']}: `{item['repo_id']}` at `{item['tag']}` ({item['license']})"
              if item.get("repo_id")
              else f"- {item['dataset_id']}: snapshot `{item['snapshot_id']}` ({item['license']}, not published)"
              for item in derived_from], ""]


def provenance_section(entry: CatalogEntry, license_record: dict, provenance: dict) -> list[str]:
    source, pipeline = provenance["source"], provenance["pipeline"]
    upstream = [(label, source.get(key)) for label, key in
                (("Upstream revision", "upstream_revision"), ("ETag", "etag"), ("Last-Modified", "last_modified"))]
    changes = conversion_changes(provenance)
    converted = f"converted to Parquet with these changes: {'; '.join(changes)}" if changes else \
        "converted to Parquet unchanged"
    return [
        "## Provenance",
        "",
        f"- Source ({source['kind']}): {source_label(source)}" + (f"; homepage {entry.homepage}" if entry.homepage
                                                                   else ""),
        *([f"- Origin: {source['origin']}"] if source.get("origin") else []),
        *([f"- Created by: {', '.join(creator_text(c) for c in entry.creator)}"] if entry.creator else []),
        f"- Retrieved: {source['retrieved_at']}",
        *[f"- {label}: `{value}`" for label, value in upstream if value],
        f"- Source bytes: {source['size_bytes']}, sha256 `{source['sha256']}`",
        f"- Snapshot `{provenance['snapshot_id']}`: {provenance['row_count']} rows, {len(provenance['columns'])} "
        f"columns, {converted} (pipeline {pipeline['code_version']}, "
        f"Dagster run `{pipeline['dagster_run_id']}`)",
        "- Splits: " + "; ".join(f"{name}, {split['row_count']} rows in {len(split['files'])} Parquet file"
                                 + ("s" if len(split["files"]) > 1 else "")
                                 for name, split in published_splits(provenance).items()),
        f"- License decision: {license_record['decision']} under policy `{license_record['policy']}`: "
        + "; ".join(license_record.get("reasons") or []),
        "- Machine-readable: `provenance.json` (the full record), `croissant.json` (Croissant 1.1 with PROV-O "
        "provenance and Responsible-AI fields) and `spdx.json` (SPDX 3.0.1: the dataset package, its declared and "
        "concluded licenses, and its inputs).",
        "",
    ]


def creator_text(creator: Creator) -> str:
    return f"{creator.name} ({creator.url})" if creator.url else creator.name


def files_section(files: list[PublishedFile]) -> list[str]:
    return [
        "## Files",
        "",
        "| file | bytes | sha256 |",
        "|---|---|---|",
        *[f"| `{file.path}` | {file.size_bytes} | `{file.sha256}` |" for file in files],
        "",
    ]


def usage_section(repo_id: str, tag: str, files: list[PublishedFile]) -> list[str]:
    """How to load the snapshot, and how any Hub user checks it with standard tools (the sha256s are in this card,
    `croissant.json` and `provenance.json`); the publishing project's own command is named as the full check."""
    folder = repo_id.rpartition("/")[2]
    return [
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("{repo_id}", revision="{tag}")',
        "```",
        "",
        "## Verify",
        "",
        "Every file's sha256 is listed under Files above and in `croissant.json` (the data files' also in "
        "`provenance.json`). Download the snapshot at its tag with `huggingface_hub`'s `hf` command and check "
        "them with `sha256sum`:",
        "",
        "```bash",
        f"hf download {repo_id} --repo-type dataset --revision {tag} --local-dir {folder}",
        f"cd {folder} && sha256sum -c <<'EOF'",
        *[f"{file.sha256}  {file.path}" for file in files],
        "EOF",
        "```",
        "",
        f"`hf cache verify {repo_id} --repo-type dataset --revision {tag}` checks what `load_dataset` or "
        "`hf_hub_download` put in the Hugging Face cache against the Hub's own checksums.",
        "",
        "The full check, with the code of the pipeline that published this snapshot (open-data-governance): "
        f"`uv run python -m pipelines.verify {repo_id} --revision {tag}` also checks that `provenance.json` and "
        "`croissant.json` agree on every file and on the license, and prints the license, its obligations and "
        "whether commercial use is allowed.",
        "",
    ]
