"""Retraining regimes: each generation refits the model on fresh human plus synthetic data.

replace:    generation t trains on its own n tokens only;
accumulate: generation t trains on all tokens of generations 1..t (Gerstgrasser et al. 2024).
Generation 0 is P0 itself (a perfect first model); generation t's synthetic data comes from the
decoder of model t-1. The loops run over replicates and generations, never over tokens or types.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from provenance.simulate import metrics
from provenance.simulate.config import SimulationConfig
from provenance.simulate.models import (
    GaussianData,
    decode,
    fit_categorical,
    sample_gaussian_training,
    sample_training_counts,
)

# Spawn keys of the independent random streams derived from the seed.
STREAM_SCHEDULE = 0
STREAM_REPLICATE = 1
STREAM_GAUSSIAN = 2

COLUMNS = ("alpha", "tail_survival", "jsd", "entropy", "kl", "support", "homozygosity", "mean", "variance")


def stream(seed: int, *key: int) -> np.random.Generator:
    """Return the PCG64 generator of one sub-stream of the seed (SeedSequence spawn key)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass(frozen=True)
class Trajectories:
    """Per-generation, per-replicate values of one regime: each array has shape (G + 1, R)."""

    regime: str
    values: dict[str, np.ndarray]


def _empty(generations: int, replicates: int) -> dict[str, np.ndarray]:
    return {name: np.full((generations + 1, replicates), np.nan) for name in COLUMNS}


class _Scorer:
    """Metrics of a categorical model against P0, with P0's terms computed once."""

    def __init__(self, p0_counts: np.ndarray, config: SimulationConfig) -> None:
        self.p0 = p0_counts / p0_counts.sum()
        self.tail = metrics.tail_mask(p0_counts, config.tail_q, config.tail_min_count)
        self.pseudocount = config.kl_pseudocount
        self.smoothing_k = config.smoothing_k

    def score(self, out: dict[str, np.ndarray], t: int, r: int, counts: np.ndarray | None, p: np.ndarray) -> None:
        """Fill row (t, r) of out; counts None means the model is P0 itself (generation 0)."""
        exact = counts is None
        out["tail_survival"][t, r] = 1.0 if exact else metrics.tail_survival(counts, self.tail)
        out["jsd"][t, r] = 0.0 if exact else metrics.jsd(self.p0, p)
        out["entropy"][t, r] = metrics.entropy(p)
        model_counts = None if exact else counts + self.smoothing_k
        out["kl"][t, r] = 0.0 if exact else metrics.kl_smoothed(self.p0, model_counts, self.pseudocount)
        out["support"][t, r] = np.count_nonzero(p)
        out["homozygosity"][t, r] = metrics.homozygosity(p)


def run_categorical(p0_counts: np.ndarray, alphas: np.ndarray, config: SimulationConfig, regime: str) -> Trajectories:
    """Simulate one regime of the categorical family for every replicate; alphas has shape (G + 1, R).

    Replicate r draws from its own stream (seed, 1, r), the same in both regimes: results do not
    depend on the number of replicates, and generation 1 is identical under replace and accumulate.
    Cost per generation: one multinomial over the vocabulary and a few O(V) array passes.
    """
    p0_counts = np.asarray(p0_counts, dtype=np.int64)
    scorer = _Scorer(p0_counts, config)
    out = _empty(config.generations, config.replicates)
    out["alpha"][:] = alphas
    for r in range(config.replicates):
        _replicate(scorer, out, r, alphas[:, r], config, regime)
    return Trajectories(regime, out)


def _replicate(scorer: _Scorer, out: dict[str, np.ndarray], r: int, alphas: np.ndarray, config: SimulationConfig, regime: str) -> None:
    rng = stream(config.seed, STREAM_REPLICATE, r)
    p = scorer.p0
    scorer.score(out, 0, r, None, p)
    pool = np.zeros(p.shape, dtype=np.int64)
    for t in range(1, config.generations + 1):
        q = decode(p, config.temperature, config.top_p)
        data = sample_training_counts(rng, config.tokens, float(alphas[t]), scorer.p0, q, config.split)
        pool = pool + data if regime == "accumulate" else data
        p = fit_categorical(pool, config.smoothing_k)
        scorer.score(out, t, r, pool, p)


def run_gaussian(alphas: np.ndarray, config: SimulationConfig, regime: str) -> Trajectories:
    """Simulate one regime of the Gaussian family, P0 = N(0, 1), all replicates at once.

    All replicates share one stream (seed, 2), the same in both regimes; each generation draws
    sufficient statistics, so the cost does not grow with the number of tokens.
    """
    rng = stream(config.seed, STREAM_GAUSSIAN)
    out = _empty(config.generations, config.replicates)
    out["alpha"][:] = alphas
    mean, var = np.zeros(config.replicates), np.ones(config.replicates)
    pool = GaussianData(np.zeros(config.replicates, dtype=np.int64), np.zeros(config.replicates), np.zeros(config.replicates))
    _score_gaussian(out, 0, mean, var)
    for t in range(1, config.generations + 1):
        data = sample_gaussian_training(rng, config.tokens, alphas[t], mean, var, config.temperature, config.split)
        pool = pool.combine(data) if regime == "accumulate" else data
        mean, var = pool.fit()
        _score_gaussian(out, t, mean, var)
    return Trajectories(regime, out)


def _score_gaussian(out: dict[str, np.ndarray], t: int, mean: np.ndarray, var: np.ndarray) -> None:
    """Closed forms against P0 = N(0, 1): differential entropy and KL(P0 || N(mean, var)), in bits."""
    safe_var = np.maximum(var, 1e-300)
    out["mean"][t] = mean
    out["variance"][t] = var
    out["entropy"][t] = 0.5 * np.log2(2 * np.pi * np.e * safe_var)
    out["kl"][t] = 0.5 * (np.log(safe_var) + (1.0 + mean**2) / safe_var - 1.0) / np.log(2)
