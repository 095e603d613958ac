"""Model families: fit to data, decode (temperature, top-p), and sample training data.

Categorical over P0's vocabulary (the main family) and a Gaussian (for the closed-form check of
Shumailov et al. 2024). Sampling never loops over tokens or types: counts come from one
`Generator.multinomial` call, Gaussian data from its sufficient statistics.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# -- categorical ---------------------------------------------------------------------------
def fit_categorical(counts: np.ndarray, smoothing_k: float = 0.0) -> np.ndarray:
    """Return the add-k estimate (c_i + k) / (N + kV); k = 0 is the maximum-likelihood fit."""
    counts = np.asarray(counts, dtype=float)
    smoothed = counts + smoothing_k if smoothing_k else counts
    return smoothed / smoothed.sum(axis=-1, keepdims=True)


def temper(p: np.ndarray, temperature: float) -> np.ndarray:
    """Return p^(1/T) renormalized (computed in log space so small T does not underflow to 0/0)."""
    p = np.asarray(p, dtype=float)
    if temperature == 1.0:
        return p
    positive = p > 0
    logits = np.full(p.shape, -np.inf)
    np.log(p, out=logits, where=positive)
    logits = (logits - logits.max(axis=-1, keepdims=True)) / temperature
    out = np.exp(logits)
    return out / out.sum(axis=-1, keepdims=True)


def nucleus_mask(p: np.ndarray, top_p: float) -> np.ndarray:
    """Mark the nucleus of a 1-D p: the fewest most-probable types whose cumulative mass is >= top_p.

    Ties are broken by index (a stable sort), so the nucleus is unique; 1e-12 of slack keeps
    float rounding from pulling one extra type in when the mass lands exactly on top_p.
    """
    p = np.asarray(p, dtype=float)
    mask = np.zeros(p.shape, dtype=bool)
    support = np.flatnonzero(p > 0)
    if support.size == 0:
        return mask
    order = support[np.argsort(-p[support], kind="stable")]
    cumulative = np.cumsum(p[order])
    keep = int(np.searchsorted(cumulative, top_p * cumulative[-1] - 1e-12, side="left")) + 1
    mask[order[: min(keep, order.size)]] = True
    return mask


def top_p_filter(p: np.ndarray, top_p: float) -> np.ndarray:
    """Return p restricted to its nucleus and renormalized (identity when top_p = 1)."""
    p = np.asarray(p, dtype=float)
    if top_p >= 1.0:
        return p
    kept = np.where(nucleus_mask(p, top_p), p, 0.0)
    return kept / kept.sum()


def decode(p: np.ndarray, temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """Return the distribution an LLM decoder samples from: temperature first, then top-p.

    The order is the one Hugging Face `generate` applies (temperature warper before top-p).
    """
    return top_p_filter(temper(p, temperature), top_p)


def sample_counts(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """Draw type counts of n tokens from p with one multinomial (C loop of V conditional binomials)."""
    if n <= 0:
        return np.zeros(p.shape, dtype=np.int64)
    return rng.multinomial(n, p / p.sum())


def sample_training_counts(
    rng: np.random.Generator, n: int, alpha: float, p0: np.ndarray, q: np.ndarray, split: str = "mixture"
) -> np.ndarray:
    """Draw n training tokens: a share alpha from the model's decoder q, the rest fresh from P0.

    split="mixture": every token is synthetic with probability alpha, i.e. one multinomial over
    (1 - alpha) P0 + alpha q (the mixture whose weight `provenance synth` estimates);
    split="exact": exactly round(alpha n) synthetic tokens and n - round(alpha n) human ones.
    """
    if split == "exact":
        n_synthetic = round(alpha * n)
        return sample_counts(rng, n - n_synthetic, p0) + sample_counts(rng, n_synthetic, q)
    if alpha <= 0.0:
        return sample_counts(rng, n, p0)
    if alpha >= 1.0:
        return sample_counts(rng, n, q)
    return sample_counts(rng, n, (1.0 - alpha) * p0 + alpha * q)


# -- Gaussian ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianData:
    """Sufficient statistics of Gaussian samples, one entry per replicate: size, mean, sum of squares."""

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    def combine(self, other: GaussianData) -> GaussianData:
        """Pool two samples (Chan et al. 1979 parallel update of mean and squared deviations)."""
        n = self.n + other.n
        safe_n = np.maximum(n, 1)
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / safe_n
        m2 = self.m2 + other.m2 + delta**2 * self.n * other.n / safe_n
        return GaussianData(n, mean, m2)

    def fit(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the maximum-likelihood mean and variance (sum of squares / n, as Shumailov et al.)."""
        return self.mean, self.m2 / np.maximum(self.n, 1)


def sample_gaussian(rng: np.random.Generator, n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> GaussianData:
    """Draw the sufficient statistics of n i.i.d. N(mean, var) samples per replicate, exactly.

    The sample mean is N(mean, var / n) and the sum of squared deviations is var * chi2(n - 1),
    independently (Cochran's theorem), so no individual sample is drawn.
    """
    n = np.asarray(n, dtype=np.int64)
    safe_n = np.maximum(n, 1)
    sample_mean = np.where(n > 0, rng.normal(mean, np.sqrt(var / safe_n)), 0.0)
    m2 = np.where(n > 1, var * rng.chisquare(np.maximum(n - 1, 1)), 0.0)
    return GaussianData(n, sample_mean, m2)


def sample_gaussian_training(
    rng: np.random.Generator, n: int, alphas: np.ndarray, mean: np.ndarray, var: np.ndarray, temperature: float, split: str
) -> GaussianData:
    """Draw n training samples per replicate: synthetic from N(mean, T var), the rest from P0 = N(0, 1).

    Temperature T scales the variance: a Gaussian density raised to 1/T is N(mean, T var).
    """
    if split == "exact":
        n_synthetic = np.rint(alphas * n).astype(np.int64)
    else:
        n_synthetic = rng.binomial(n, alphas)
    human = sample_gaussian(rng, n - n_synthetic, np.zeros_like(mean), np.ones_like(var))
    return human.combine(sample_gaussian(rng, n_synthetic, mean, temperature * var))
