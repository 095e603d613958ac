"""Estimators over the store: drift, tail-vocabulary loss, near-duplicates (docs/metrics.md).

Each `estimate_*(store, config)` returns an Estimate (polars frames) and records its rows in the
metrics table; the `*_from_*` functions are the store-free cores.
"""
from __future__ import annotations

from provenance.estimators.drift import DRIFT_METRICS, DriftConfig, drift_from_counts, estimate_drift
from provenance.estimators.dups import DUP_METRICS, DupsConfig, cluster_signatures, estimate_dups
from provenance.estimators.results import Estimate
from provenance.estimators.tails import TAIL_METRICS, TailsConfig, estimate_tails, tails_from_counts

__all__ = [
    "DRIFT_METRICS", "TAIL_METRICS", "DUP_METRICS", "DriftConfig", "TailsConfig", "DupsConfig", "Estimate",
    "estimate_drift", "estimate_tails", "estimate_dups", "drift_from_counts", "tails_from_counts",
    "cluster_signatures",
]
