"""The snapshot id's recipe, in one place: a snapshot is the same snapshot only when all of these are the same.

- the bytes of every input (their sha256),
- how they are converted (format and reading options, and the snapshot format's version),
- the license decision record that travels with the snapshot (provenance.json, the card, croissant.json),
- the catalog's words about the data that the card and croissant.json publish (title, description, citation,
  creators, homepage, origin),
- the takedown requests whose rows it lacks, each with the rows it names (assets/takedowns.py): a takedown over
  unchanged bytes is a new snapshot.

So a tag never moves: a license fixed over unchanged bytes is a new decision, hence a new snapshot and a new tag,
and everything published at one tag tells the same story."""

from __future__ import annotations

import dataclasses

from assets.catalog import CatalogEntry
from assets.warehouse import fingerprint

# Bump when the conversion or provenance.json changes what a snapshot holds, so unchanged sources still get a new
# snapshot. 2: provenance.json names the source's location only when it is public. 3: maps and UUIDs are written
# as types the Hub's `datasets` loads; provenance.json records what the conversion changed.
SNAPSHOT_FORMAT = "3"


def conversion_options(entry: CatalogEntry) -> dict:
    """Everything that decides how the source bytes become the snapshot's rows."""
    csv = {"null_values": list(entry.null_values), "csv": dataclasses.asdict(entry.csv)} if entry.format == "csv" \
        else {}
    return {"format": entry.format, **csv, "snapshot_format": SNAPSHOT_FORMAT}


def published_metadata(entry: CatalogEntry) -> dict:
    return {"title": entry.title, "description": entry.description, "citation": entry.citation,
            "creator": [dataclasses.asdict(creator) for creator in entry.creator], "homepage": entry.homepage,
            "origin": entry.origin}


def snapshot_recipe(entry: CatalogEntry, input_sha256s: list[str], decision_record: dict,
                    takedowns: list[dict] = ()) -> dict:
    """`takedowns`: the row takedown requests applied ({request, rows}); none leaves the recipe (and ids) as
    before."""
    recipe = {"inputs": sorted(input_sha256s), "conversion": conversion_options(entry), "decision": decision_record,
              "metadata": published_metadata(entry)}
    return recipe | ({"takedowns": sorted(takedowns, key=lambda item: item["request"])} if takedowns else {})


def snapshot_id_for_decision(entry: CatalogEntry, input_sha256s: list[str], decision_record: dict,
                             takedowns: list[dict] = ()) -> str:
    return f"{entry.id}-{fingerprint(snapshot_recipe(entry, input_sha256s, decision_record, takedowns))[:12]}"
