"""Resources configured from the environment, so the same code location serves a laptop and a server."""

import os

import dagster as dg

from assets.hub import HubTarget
from assets.warehouse import Warehouse
from checks.asset_checks import GreatExpectations

# Documented defaults; EnvVar is read when a run starts, so each run sees the current environment.
os.environ.setdefault("WAREHOUSE_PATH", "data/warehouse.duckdb")
os.environ.setdefault("HUB_NAMESPACE", "open-data")

resources = {
    "warehouse": Warehouse(path=dg.EnvVar("WAREHOUSE_PATH")),
    "hub": HubTarget(namespace=dg.EnvVar("HUB_NAMESPACE")),
    "great_expectations": GreatExpectations(),
}
