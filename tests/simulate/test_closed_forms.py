"""The simulator against closed forms, each within a stated Monte Carlo tolerance.

Tolerance: 4 standard errors of the replicate mean (estimated from the replicates themselves),
so an unbiased simulator fails with probability ~6e-5 per check; seeds are fixed, so each test is
deterministic anyway.
"""
from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest

from provenance.simulate import SimulationConfig, simulate_counts

P0_COUNTS = np.array([40, 25, 15, 8, 5, 3, 2, 1, 1])  # P0 of the Wright-Fisher checks
TOLERANCE_SE = 4.0


def pure_resampling(**overrides) -> SimulationConfig:
    """alpha = 1, T = 1, no truncation, no smoothing, replace: Wright-Fisher drift."""
    options = {"baseline": "2019", "schedule": "1", "regime": "replace", "generations": 8, "tokens": 30, "replicates": 4000, "seed": 11}
    return SimulationConfig(**{**options, **overrides})


def per_generation(result, column: str, regime: str = "replace") -> tuple[np.ndarray, np.ndarray]:
    """Return the replicate mean and its standard error per generation."""
    frame = result.generations.filter(pl.col("regime") == regime)
    values = frame[column].to_numpy().reshape(result.config.generations + 1, result.config.replicates)
    return values.mean(axis=1), values.std(axis=1, ddof=1) / np.sqrt(values.shape[1])


def assert_within(mean: np.ndarray, se: np.ndarray, expected: np.ndarray) -> None:
    assert np.all(np.abs(mean - expected) <= TOLERANCE_SE * se + 1e-12), (mean, expected, se)


def test_pure_resampling_is_wright_fisher_drift_of_the_homozygosity():
    result = simulate_counts(P0_COUNTS, pure_resampling())
    n, p0 = 30, P0_COUNTS / P0_COUNTS.sum()
    h0 = 1 - np.sum(p0**2)
    t = np.arange(9)
    mean, se = per_generation(result, "homozygosity")
    # E[sum p_i^2 at t] = 1 - E[H_t], E[H_t] = H_0 (1 - 1/n)^t
    assert_within(mean, se, 1 - h0 * (1 - 1 / n) ** t)


def test_expected_types_surviving_one_generation_is_sum_of_one_minus_one_minus_p_to_the_n():
    result = simulate_counts(P0_COUNTS, pure_resampling(generations=1))
    n, p0 = 30, P0_COUNTS / P0_COUNTS.sum()
    mean, se = per_generation(result, "support")
    assert_within(mean[1:], se[1:], np.array([np.sum(1 - (1 - p0) ** n)]))


def test_gaussian_refit_shrinks_the_expected_variance_as_n_minus_one_over_n_to_the_t():
    config = SimulationConfig(family="gaussian", schedule="1", regime="replace", generations=10, tokens=10, replicates=20_000, seed=5)
    result = simulate_counts(None, config)
    mean, se = per_generation(result, "variance")
    assert_within(mean, se, ((10 - 1) / 10) ** np.arange(11))


def test_gaussian_variance_stays_bounded_away_from_zero_when_data_accumulates():
    config = SimulationConfig(family="gaussian", schedule="1", regime="both", generations=40, tokens=10, replicates=4000, seed=6)
    result = simulate_counts(None, config)
    accumulated, _ = per_generation(result, "variance", "accumulate")
    replaced, _ = per_generation(result, "variance", "replace")
    assert accumulated[40] > 0.75 and abs(accumulated[40] - accumulated[20]) < 0.03  # a plateau
    assert replaced[40] < 0.02  # 0.9^40 = 0.015


def test_jsd_to_p0_stays_bounded_with_accumulation_and_grows_with_replacement():
    counts = 1 + np.floor(5000 / np.arange(1, 201) ** 1.1).astype(int)
    config = SimulationConfig(baseline="2019", schedule="1", regime="both", generations=30, tokens=2000, replicates=40, seed=3)
    summary = simulate_counts(counts, config).summary
    jsd = {r: summary.filter(pl.col("regime") == r)["jsd_median"].to_numpy() for r in ("replace", "accumulate")}
    # Accumulation: model t averages t datasets, so its error variance sums 1/k^2 <= pi^2/6 of the first.
    assert jsd["accumulate"][30] <= 2.0 * jsd["accumulate"][1]
    # Replacement: errors add up like a random walk, about linearly in t.
    assert jsd["replace"][30] >= 5.0 * jsd["replace"][1]
    assert np.all(np.diff(jsd["replace"][[1, 5, 10, 20, 30]]) > 0)


def test_fresh_human_data_keeps_the_tail_alive():
    counts = 1 + np.floor(5000 / np.arange(1, 201) ** 1.1).astype(int)
    base = {"baseline": "2019", "regime": "replace", "generations": 20, "tokens": 2000, "replicates": 20, "seed": 4}
    pure = simulate_counts(counts, SimulationConfig(schedule="1", **base)).summary["tail_survival_median"][-1]
    mixed = simulate_counts(counts, SimulationConfig(schedule="0.2", **base)).summary["tail_survival_median"][-1]
    assert mixed > pure + 0.3


def test_top_p_truncation_drops_every_type_outside_the_nucleus_in_one_generation():
    counts = np.array([400, 250, 150, 100, 60, 40])
    config = pure_resampling(generations=1, tokens=5000, replicates=20, top_p=0.75)
    support = simulate_counts(counts, config).generations.filter(pl.col("generation") == 1)["support"]
    assert support.max() == 3  # nucleus of 0.75: 0.4 + 0.25 + 0.15 = 0.8 >= 0.75


def test_the_same_seed_gives_identical_bytes_and_another_seed_does_not():
    config = SimulationConfig(baseline="2019", schedule="0.5", regime="both", generations=5, tokens=500, replicates=6, seed=9)
    counts = np.arange(1, 60)[::-1]

    def payload(c: SimulationConfig) -> bytes:
        buffer = io.BytesIO()
        simulate_counts(counts, c).generations.write_ipc(buffer)
        return buffer.getvalue()

    assert payload(config) == payload(config)
    assert payload(config) != payload(SimulationConfig(**{**config.to_dict(), "seed": 10}))


def test_a_replicate_does_not_depend_on_how_many_replicates_run():
    counts = np.arange(1, 60)[::-1]
    config = SimulationConfig(baseline="2019", schedule="0.5", regime="replace", generations=4, tokens=500, replicates=3, seed=2)
    few = simulate_counts(counts, config).generations
    more = simulate_counts(counts, SimulationConfig(**{**config.to_dict(), "replicates": 7})).generations
    assert few.equals(more.filter(pl.col("replicate") < 3))


def test_both_regimes_share_generation_one_and_differ_afterwards():
    counts = np.arange(1, 60)[::-1]
    config = SimulationConfig(baseline="2019", schedule="1", regime="both", generations=3, tokens=500, replicates=4, seed=2)
    frame = simulate_counts(counts, config).generations
    by = {r: frame.filter(pl.col("regime") == r).drop("regime") for r in ("replace", "accumulate")}
    first = [by[r].filter(pl.col("generation") <= 1) for r in by]
    assert first[0].equals(first[1])
    assert not by["replace"].equals(by["accumulate"])


def test_generation_zero_is_p0_itself():
    counts = np.array([50, 30, 20])
    row = simulate_counts(counts, pure_resampling(generations=1, replicates=2)).generations.row(0, named=True)
    assert (row["generation"], row["tail_survival"], row["jsd"], row["kl"], row["alpha"]) == (0, 1.0, 0.0, 0.0, None)
    assert row["entropy"] == pytest.approx(-sum(p * np.log2(p) for p in (0.5, 0.3, 0.2)))
