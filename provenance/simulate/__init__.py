"""Retrain simulator: how a model retrained generation after generation on a web whose synthetic
share grows as observed drifts from the true distribution and loses its tail.

    from provenance.simulate import SimulationConfig, simulate
    result = simulate(store, SimulationConfig(baseline="2019", schedule="observed", regime="both"))
    result.summary      # polars: per regime and generation, median and 90% band over replicates
"""
from __future__ import annotations

from provenance.simulate.config import SimulationConfig
from provenance.simulate.run import (
    Baseline,
    SimulationResult,
    describe_horizons,
    load_baseline,
    load_observations,
    side_by_side,
    simulate,
    simulate_counts,
)
from provenance.simulate.schedules import Observation, Schedule

__all__ = [
    "Baseline", "Observation", "Schedule", "SimulationConfig", "SimulationResult", "describe_horizons",
    "load_baseline", "load_observations", "side_by_side", "simulate", "simulate_counts",
]
