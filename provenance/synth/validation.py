"""Validation on mixtures of known share: references from one part of a human and a machine corpus,
mixtures of exactly round(alpha n) machine documents drawn from the parts held apart."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from provenance.synth.estimate import ShareEstimator
from provenance.synth.references import ReferenceTexts, assign_folds

ALPHAS = (0.0, 0.02, 0.05, 0.1, 0.25, 0.5)


def split_references(human: Sequence[str], machine: Sequence[str], human_ref: int, machine_ref: int,
                     seed: int = 0, folds: int = 5) -> tuple[ReferenceTexts, ReferenceTexts, list[str], list[str]]:
    """Shuffle both corpora; return the two references and the held-apart human and machine pools."""
    rng = np.random.default_rng(seed)
    h = [human[i] for i in rng.permutation(len(human))]
    m = [machine[i] for i in rng.permutation(len(machine))]
    refs = (ReferenceTexts("human", "human", h[:human_ref], assign_folds(human_ref, folds, seed), folds),
            ReferenceTexts("machine", "machine", m[:machine_ref], assign_folds(machine_ref, folds, seed + 1), folds))
    return refs[0], refs[1], h[human_ref:], m[machine_ref:]


def validate(estimator: ShareEstimator, human_pool: Sequence[str], machine_pool: Sequence[str],
             alphas: Sequence[float] = ALPHAS, mixtures: int = 20, docs: int = 2000, bootstrap: int = 500,
             ci_level: float = 0.95, seed: int = 0) -> pl.DataFrame:
    """Return one row per mixture: alpha, estimate, ci_low, ci_high, covered, raw_mle, resampled.

    Documents are drawn without replacement within a mixture; when a pool is smaller than a mixture
    needs, with replacement (resampled = true)."""
    rng = np.random.default_rng(seed)
    rows = []
    for alpha in alphas:
        k = round(alpha * docs)
        for j in range(mixtures):
            hi, h_re = _draw(rng, len(human_pool), docs - k)
            mi, m_re = _draw(rng, len(machine_pool), k)
            texts = [human_pool[i] for i in hi] + [machine_pool[i] for i in mi]
            est = estimator.estimate(texts, bootstrap, ci_level, seed=int(rng.integers(1 << 31)))
            truth = k / docs
            rows.append({"alpha": truth, "mixture": j, "estimate": est.value, "ci_low": est.ci_low,
                         "ci_high": est.ci_high, "covered": est.ci_low <= truth <= est.ci_high,
                         "raw_mle": est.raw_mle, "resampled": h_re or m_re})
    return pl.DataFrame(rows)


def _draw(rng: np.random.Generator, pool: int, n: int) -> tuple[np.ndarray, bool]:
    if n <= pool:
        return rng.choice(pool, n, replace=False), False
    return rng.integers(0, pool, n), True


def summarize(rows: pl.DataFrame) -> pl.DataFrame:
    """Return per alpha: mixtures, mean estimate, mean |error|, max |error|, coverage, mean raw MLE."""
    return (rows.with_columns((pl.col("estimate") - pl.col("alpha")).abs().alias("abs_error"))
            .group_by("alpha").agg(
                pl.len().alias("mixtures"), pl.col("estimate").mean().alias("mean_estimate"),
                pl.col("abs_error").mean().alias("mean_abs_error"), pl.col("abs_error").max().alias("max_abs_error"),
                pl.col("covered").mean().alias("coverage"), pl.col("raw_mle").mean().alias("mean_raw_mle"),
                (pl.col("ci_high") - pl.col("ci_low")).mean().alias("mean_ci_width"))
            .sort("alpha"))
