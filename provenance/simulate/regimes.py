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
    """Metrics of a categorical model against P0, with P0's terms computed once.

    The vocabulary is P0's support, so p0 > 0 and m = (p0 + q) / 2 > 0 everywhere; that lets the
    hot path use identities needing three logarithms per generation instead of eight:
    JSD = H(m) - (H(p0) + H(q)) / 2 and
    KL(p0 || q~) = -H(p0) - sum p0 log2(c + eps) + log2(sum(c) + eps V).
    `metrics` holds the direct definitions, against which tests check these.
    """

    def __init__(self, p0_counts: np.ndarray, config: SimulationConfig) -> None:
        if (p0_counts <= 0).any():
            raise ValueError("P0's counts must be positive: the vocabulary is P0's support")
        self.p0 = p0_counts / p0_counts.sum()
        self.tail = np.flatnonzero(metrics.tail_mask(p0_counts, config.tail_q, config.tail_min_count))
        self.entropy_p0 = float(metrics.entropy(self.p0))
        self.pseudocount = config.kl_pseudocount
        self.smoothing_k = config.smoothing_k

    def score(self, out: dict[str, np.ndarray], t: int, r: int, counts: np.ndarray | None, p: np.ndarray) -> None:
        """Fill row (t, r) of out; counts None means the model is P0 itself (generation 0)."""
        values: dict[str, float]
        if counts is None:
            values = {"tail_survival": 1.0 if self.tail.size else np.nan, "jsd": 0.0, "entropy": self.entropy_p0, "kl": 0.0}
        else:
            values = self._distances(counts, p)
        values["support"] = float(np.count_nonzero(p))
        values["homozygosity"] = float(np.dot(p, p))
        for name, value in values.items():
            out[name][t, r] = value

    def _distances(self, counts: np.ndarray, p: np.ndarray) -> dict[str, float]:
        entropy_q = -float(np.dot(p, np.log2(p + (p == 0))))  # 0 log 0 = 0 without a masked log
        m = 0.5 * (self.p0 + p)
        jsd = -float(np.dot(m, np.log2(m))) - 0.5 * (self.entropy_p0 + entropy_q)
        smoothed = counts + (self.smoothing_k + self.pseudocount)
        kl = -self.entropy_p0 - float(np.dot(self.p0, np.log2(smoothed))) + float(np.log2(smoothed.sum()))
        survival = np.count_nonzero(counts[self.tail]) / self.tail.size if self.tail.size else np.nan
        return {"tail_survival": survival, "jsd": min(max(jsd, 0.0), 1.0), "entropy": entropy_q, "kl": max(kl, 0.0)}


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
        data = sample_training_counts(rng, config.n, float(alphas[t]), scorer.p0, q, config.split)
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
        data = sample_gaussian_training(rng, config.n, alphas[t], mean, var, config.temperature, config.split)
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
