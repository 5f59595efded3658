"""Hub settings as a Dagster resource. The token is never part of the config: huggingface_hub reads HF_TOKEN
from the environment itself, so it never shows in the UI, the run config or the logs."""

from __future__ import annotations

import dagster as dg


class HubTarget(dg.ConfigurableResource):
    """Where vetted snapshots are published: `<namespace>/<dataset_id>` on the Hub at HF_ENDPOINT."""

    namespace: str = "open-data"

    def repo_id(self, dataset_id: str) -> str:
        return f"{self.namespace}/{dataset_id}"
