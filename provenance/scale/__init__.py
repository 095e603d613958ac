"""Scale out: the per-file ingest on a process pool or a Ray cluster, into Parquet shards DuckDB reads."""
from __future__ import annotations

from provenance.scale.attach import Attachment, attach
from provenance.scale.executor import EXECUTORS, ingest_shards

__all__ = ["EXECUTORS", "Attachment", "attach", "ingest_shards"]
