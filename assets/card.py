"""The dataset card published with a snapshot: Hub YAML (license, configs, provenance) and a body stewards and
consumers read: attribution, license obligations, provenance, checks, how to load and verify."""

from __future__ import annotations

from huggingface_hub import DatasetCard, DatasetCardData

DATA_FILE = "data/train-00000-of-00001.parquet"
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"))


def size_category(rows: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if rows < limit), "n>1T")


def card_data(entry, license_record: dict, snapshot_row: dict) -> DatasetCardData:
    license_info = license_record["license"]
    hub_license = license_info.get("hub_id")
    extra = {} if hub_license else {
        "license_name": license_info.get("name") or license_info.get("spdx") or "see LICENSE",
        "license_link": "LICENSE",
    }
    return DatasetCardData(
        license=hub_license or "other",
        pretty_name=entry.title,
        source_datasets=[snapshot_row["source_uri"]],
        size_categories=[size_category(snapshot_row["row_count"])],
        tags=["governed-snapshot", f"license-use:{license_info['use']}"],
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": DATA_FILE}]}],
        **extra,
    )


def render_card(entry, license_record: dict, snapshot_row: dict, checks: list[dict], repo_id: str) -> DatasetCard:
    data = card_data(entry, license_record, snapshot_row)
    license_info = license_record["license"]
    tag = snapshot_row["snapshot_id"]
    body = "\n".join([
        f"# {entry.title}",
        "",
        entry.description,
        "",
        "## Attribution",
        "",
        _quote(license_record.get("attribution") or "No attribution text was supplied by the source."),
        "",
        *( [f"Please cite: {entry.citation}", ""] if entry.citation else [] ),
        "## License",
        "",
        f"**{license_info.get('name') or license_info.get('spdx') or 'Unknown'}**"
        f" (SPDX: `{license_info.get('spdx') or 'none'}`; use: {license_info['use']})."
        + (f" Full terms: {license_info['url']}" if license_info.get("url") else ""),
        "",
        "Obligations when you use this data:",
        "",
        *[f"- {obligation}" for obligation in license_record.get("obligations") or ["none stated"]],
        "",
        "## Provenance",
        "",
        f"- Source: {snapshot_row['source_uri']}" + (f" ({entry.homepage})" if entry.homepage else ""),
        f"- Retrieved: {snapshot_row['retrieved_at']}",
        f"- Upstream revision / ETag: {snapshot_row.get('upstream_revision') or snapshot_row.get('etag') or 'n/a'}",
        f"- Source sha256: `{snapshot_row['content_sha256']}`",
        f"- Snapshot: `{tag}`, {snapshot_row['row_count']} rows, Parquet sha256 `{snapshot_row['parquet_sha256']}`",
        f"- License decision: {license_record['decision']} under policy `{license_record['policy']}`: "
        + "; ".join(license_record.get("reasons") or []),
        "- Full record: `provenance.json` in this repository.",
        "",
        "## Quality checks",
        "",
        *[f"- {c['check_name']} ({c['severity']}): {'passed' if c['passed'] else 'FAILED'}" for c in checks],
        "",
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("{repo_id}", revision="{tag}")',
        "```",
        "",
        "## Verify",
        "",
        "Every file's sha256 is recorded in `provenance.json`; check them after download:",
        "",
        "```bash",
        f"uv run python -m pipelines.verify {repo_id} --revision {tag}",
        "```",
        "",
    ])
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())
