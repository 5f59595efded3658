"""How one night's refresh is split: the nightly_refresh schedule launches, at 02:00, every dataset that needs a run
and no input of which runs that night; the nightly_derived sensor launches each derived dataset left out once its
inputs' runs of that night have finished, so it is made from their snapshots of the same night."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

NIGHT_TAG = "nightly/night"  # the night (YYYY-MM-DD) a run belongs to, on the schedule's and the sensor's runs
SCHEDULED_TAG = "nightly/scheduled_runs"  # on the schedule's runs: how many its tick requested, so the sensor knows
# when every one of them exists, and no input of a waiting derived dataset is still to be created


def derived_waiting(dataset_ids: Iterable[str], inputs_of: Mapping[str, tuple[str, ...]],
                    runs_tonight: Callable[[str], bool]) -> dict[str, list[str]]:
    """Which derived datasets wait for their inputs' runs of the night, each with the inputs it waits for.
    `dataset_ids` are in dependency order; `runs_tonight(id)` says whether the schedule runs that dataset (asked
    only of datasets that do not wait). A derived dataset waits when one of its inputs runs tonight or waits
    itself, so a derived dataset of a derived one waits for the whole chain."""
    tonight: set[str] = set()
    waiting: dict[str, list[str]] = {}
    for dataset_id in dataset_ids:
        inputs = [name for name in inputs_of.get(dataset_id, ()) if name in tonight]
        if inputs:
            waiting[dataset_id] = inputs
            tonight.add(dataset_id)
        elif runs_tonight(dataset_id):
            tonight.add(dataset_id)
    return waiting
