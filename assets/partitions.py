"""One dynamic partition per catalog dataset; the catalog sensor keeps the keys in step with the catalog."""

import dagster as dg

dataset_partitions = dg.DynamicPartitionsDefinition(name="datasets")
