"""Distances and tail statistics between the true distribution P0 and a model (base-2 logs, bits).

All functions work on the last axis, so one call handles a vector or a (replicates, types) matrix.
"""
from __future__ import annotations

import numpy as np

FloatArray = np.ndarray


def tail_mask(counts: np.ndarray, q: float = 0.05, min_count: int = 3) -> np.ndarray:
    """Mark P0's tail: the least-frequent types seen >= min_count times that hold the lowest q of mass.

    Types are taken in ascending count (ties in the given order, i.e. by token when the counts come
    sorted from the store) while their cumulative share of P0's total mass stays <= q; the tail is
    never empty while some type qualifies. Types seen fewer than min_count times are left out, so
    the tail is not sampling noise (the same definition as the tails estimator).
    """
    counts = np.asarray(counts)
    eligible = np.flatnonzero(counts >= min_count)
    mask = np.zeros(counts.shape, dtype=bool)
    if eligible.size == 0:
        return mask
    order = eligible[np.argsort(counts[eligible], kind="stable")]
    cumulative = np.cumsum(counts[order]) / counts.sum()
    keep = max(1, int(np.searchsorted(cumulative, q * (1 + 1e-12), side="right")))
    mask[order[:keep]] = True
    return mask


def tail_survival(model_counts: np.ndarray, tail: np.ndarray) -> FloatArray:
    """Return the share of tail types the model still gives non-zero (maximum-likelihood) mass."""
    return np.mean(np.asarray(model_counts)[..., tail] > 0, axis=-1)


def entropy(p: np.ndarray) -> FloatArray:
    """Return the Shannon entropy in bits of distributions p (zeros contribute nothing)."""
    return -np.sum(_xlog2y(p, p), axis=-1)


def jsd(p: np.ndarray, q: np.ndarray) -> FloatArray:
    """Return the Jensen-Shannon divergence in bits, in [0, 1]: (KL(p||m) + KL(q||m)) / 2, m = (p+q)/2."""
    m = 0.5 * (np.asarray(p) + np.asarray(q))
    log_m = _log2(m)
    value = 0.5 * (np.sum(_xlog2y(p, p) - _xlog(p, log_m), axis=-1) + np.sum(_xlog2y(q, q) - _xlog(q, log_m), axis=-1))
    return np.clip(value, 0.0, 1.0)


def kl_smoothed(p0: np.ndarray, model_counts: np.ndarray, pseudocount: float = 0.5) -> FloatArray:
    """Return KL(P0 || model) in bits on P0's support, the model smoothed by add-pseudocount.

    The model is q_i = (c_i + eps) / sum_j (c_j + eps) over P0's support, so a type the model lost
    costs a finite -log2 q_i instead of infinity; eps = 0.5 is the Krichevsky-Trofimov estimator.
    """
    p0 = np.asarray(p0, dtype=float)
    support = p0 > 0
    c = np.asarray(model_counts, dtype=float)[..., support] + pseudocount
    q = c / c.sum(axis=-1, keepdims=True)
    p = p0[support]
    return np.sum(p * (np.log2(p) - np.log2(q)), axis=-1)


def homozygosity(p: np.ndarray) -> FloatArray:
    """Return sum_i p_i^2, the chance two draws agree (1 - heterozygosity in Wright-Fisher terms)."""
    p = np.asarray(p, dtype=float)
    return np.sum(p * p, axis=-1)


def _log2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    np.log2(x, out=out, where=x > 0)
    return out


def _xlog(x: np.ndarray, log_y: np.ndarray) -> np.ndarray:
    """x * log_y with 0 * log 0 = 0 (log_y already computed, 0 where y = 0)."""
    return np.asarray(x, dtype=float) * log_y


def _xlog2y(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _xlog(x, _log2(y))
