"""One dynamic partition per catalog dataset; the catalog sensor keeps the keys in step with the catalog."""

import warnings

import dagster as dg

dataset_partitions = dg.DynamicPartitionsDefinition(name="datasets")


def dataset_check_spec(name: str, asset: str | dg.AssetKey, **kwargs) -> dg.AssetCheckSpec:
    """An asset check evaluated per dataset: each evaluation names its partition, so the check history filters by
    dataset and the UI shows each dataset's latest status rather than whichever dataset ran last. Partitioned
    checks are a Dagster preview feature: its warning, printed on every start-up, is silenced here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset, partitions_def=dataset_partitions, **kwargs)
