"""Statistics over token counts: divergence, entropy, Zipf fit, rarefaction, Good-Turing, Chao1, bootstrap.

Pure numpy (no scipy): log-gamma is vectorized below with Stirling's series. Every function takes
count vectors (non-negative integers as int64 or float64) and returns plain floats or arrays.
See docs/metrics.md for the definitions and the references.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOG2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# -- log-gamma ---------------------------------------------------------------------------------
def lgamma(x: np.ndarray | float) -> np.ndarray:
    """Return log Gamma(x) elementwise for x > 0 (absolute error < 1e-12 for x >= 1e-3).

    Arguments below 8 are shifted up with Gamma(x) = Gamma(x + k) / (x (x+1) ... (x+k-1)), then
    Stirling's series with four correction terms is used (truncation error < 1e-13 for x >= 8).
    """
    x = np.asarray(x, dtype=np.float64)
    shift = np.zeros_like(x)
    z = x.copy()
    small = z < 8.0
    while small.any():  # at most 8 rounds, each over the still-small arguments only
        shift[small] += np.log(z[small])
        z[small] += 1.0
        small = z < 8.0
    return (z - 0.5) * np.log(z) - z + _HALF_LOG_2PI + _stirling(z) - shift


def lgamma_diff(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Return log Gamma(x + k) - log Gamma(x) without the cancellation of two huge log-gammas.

    For x >= 8: (x - 1/2) log1p(k/x) + k log(x + k) - k + s(x + k) - s(x), s = Stirling's correction.
    """
    x = np.asarray(x, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    x, k = np.broadcast_arrays(x, k)
    out = np.empty(x.shape)
    big = x >= 8.0
    xb, kb = x[big], k[big]
    out[big] = (xb - 0.5) * np.log1p(kb / xb) + kb * np.log(xb + kb) - kb + _stirling(xb + kb) - _stirling(xb)
    out[~big] = lgamma(x[~big] + k[~big]) - lgamma(x[~big])
    return out


def _stirling(z: np.ndarray) -> np.ndarray:
    inv = 1.0 / z
    inv2 = inv * inv
    return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680))))


def log_comb_ratio(total: float, k: np.ndarray, n: float, j: int = 0) -> np.ndarray:
    """Return log[C(total - k, n - j) / C(total, n)] elementwise over k (-inf where it is zero).

    With j = 0 this is log P(a type with k of `total` tokens is missed by n draws without
    replacement) -- the hypergeometric probability of zero successes. Written as differences of
    log-gammas at nearby arguments (lgamma_diff), so it stays exact to ~1e-12 at total = 1e9.
    """
    k = np.asarray(k, dtype=np.float64)
    m = n - j
    ok = (total - k - m >= 0) & (k >= j)
    ks = np.where(ok, k, float(j))
    out = (
        -lgamma_diff(total - ks + 1, ks)
        + lgamma_diff(total - ks - m + 1, ks - j)
        + (math.lgamma(n + 1) - math.lgamma(m + 1))
    )
    return np.where(ok, out, -np.inf)


# -- rarefaction --------------------------------------------------------------------------------
def count_spectrum(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (k, f_k): the distinct positive counts and how many types have each ("frequency of frequencies")."""
    c = np.asarray(counts)
    if c.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    c = c.astype(np.int64, copy=False)  # counts are whole numbers even when stored as floats
    if c.max(initial=0) > 4 * c.size + 1024:  # a few huge counts: sort instead of a long bincount
        return np.unique(c[c > 0], return_counts=True)
    f = np.bincount(c)
    f[0] = 0
    k = np.flatnonzero(f)
    return k, f[k]


def presence_probability(counts: np.ndarray, total: float, n: float) -> np.ndarray:
    """Return P(type observed at least once) in n tokens drawn without replacement from `total`.

    Hypergeometric: 1 - C(total - k, n) / C(total, n) for a type with k tokens (Hurlbert 1971).
    Computed per distinct count and broadcast back, because Zipfian data repeat small counts a lot.
    """
    counts = np.asarray(counts)
    if n >= total:
        return (counts > 0).astype(np.float64)
    values, inverse = np.unique(counts, return_inverse=True)
    p = -np.expm1(log_comb_ratio(total, values, n))
    p[values <= 0] = 0.0
    return p[inverse].reshape(counts.shape)


def expected_seen_share(counts: np.ndarray, total: float, n: float) -> float:
    """Return the mean of presence_probability over the given types (0 types: NaN)."""
    k, f = count_spectrum(counts)
    size = np.asarray(counts).size
    if size == 0:
        return float("nan")
    if n >= total:
        return float(f.sum() / size)
    return float((f * -np.expm1(log_comb_ratio(total, k, n))).sum() / size)


def expected_singletons(counts: np.ndarray, total: float, n: float) -> float:
    """Return E[number of types seen exactly once] in n tokens drawn without replacement.

    P(X = 1) = k C(total - k, n - 1) / C(total, n) for a type with k tokens.
    """
    k, f = count_spectrum(counts)
    if n >= total:
        return float(f[k == 1].sum())
    p1 = np.exp(np.log(k) + log_comb_ratio(total, k, n, j=1))
    return float((f * p1).sum())


def expected_block_singletons(presence: np.ndarray, singles: np.ndarray, blocks: float, k: float) -> float:
    """Return E[number of types seen exactly once] in k of `blocks` blocks drawn without replacement, for types in
    presence[t] blocks, once in singles[t] of them: sum_t singles_t C(blocks - presence_t, k - 1) / C(blocks, k)
    (one of its single-token blocks drawn, none of its other blocks)."""
    by_blocks = np.bincount(np.asarray(presence).astype(np.int64), weights=singles)  # singles by how many blocks hold the type
    values = np.flatnonzero(by_blocks)
    if not values.size:
        return 0.0
    if k >= blocks:
        per = (values == 1).astype(np.float64)
    else:
        per = np.exp(log_comb_ratio(blocks, values, k, j=1))
    return float((by_blocks[values] * per).sum())


def expected_types(counts: np.ndarray, total: float, n: float) -> float:
    """Return the rarefied richness: E[number of distinct types] in n of `total` tokens."""
    k, f = count_spectrum(counts)
    if n >= total:
        return float(f.sum())
    return float((f * -np.expm1(log_comb_ratio(total, k, n))).sum())


# -- distributions ------------------------------------------------------------------------------
def entropy_bits(counts: np.ndarray) -> float:
    """Return the plug-in Shannon entropy (bits) of a count vector."""
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    if c.size == 0:
        return 0.0
    total = c.sum()
    return float(np.log2(total) - (c * np.log2(c)).sum() / total)


def jsd_terms(p_counts: np.ndarray, q_counts: np.ndarray) -> np.ndarray:
    """Return each type's contribution to JSD(P, Q) in bits (they sum to the divergence)."""
    p = np.asarray(p_counts, dtype=np.float64)
    q = np.asarray(q_counts, dtype=np.float64)
    p = p / p.sum()
    q = q / q.sum()
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        tp = np.where(p > 0, p * np.log2(p / m), 0.0)
        tq = np.where(q > 0, q * np.log2(q / m), 0.0)
    return 0.5 * (tp + tq)


def jsd(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Return the Jensen-Shannon divergence in bits between two count vectors over one vocabulary.

    JSD(P, Q) = H(M) - (H(P) + H(Q)) / 2 with M = (P + Q) / 2; it lies in [0, 1] and is symmetric.
    Raises ValueError when either vector sums to zero.
    """
    p = np.asarray(p_counts, dtype=np.float64)
    q = np.asarray(q_counts, dtype=np.float64)
    return jsd_from_entropies(p, q, entropy_bits(p), entropy_bits(q))


def jsd_from_entropies(p: np.ndarray, q: np.ndarray, h_p: float, h_q: float) -> float:
    """Return JSD(p, q) given the two entropies already computed (one log pass over the union)."""
    sp, sq = p.sum(), q.sum()
    if sp <= 0 or sq <= 0:
        raise ValueError("JSD of an empty distribution")
    m = p * (0.5 / sp) + q * (0.5 / sq)
    m = m[m > 0]
    h_m = -float((m * np.log2(m)).sum())
    return float(min(1.0, max(0.0, h_m - 0.5 * (h_p + h_q))))


def xlog2x_table(max_count: int) -> np.ndarray:
    """Return t with t[k] = k log2 k for k = 0 .. max_count (so a sum over counts is one gather)."""
    k = np.arange(max_count + 1, dtype=np.float64)
    k[0] = 1.0
    t = k * np.log2(k)
    t[0] = 0.0
    return t


def xlog2x_sum(counts: np.ndarray, table: np.ndarray | None = None) -> float:
    """Return sum of c log2 c over integer counts (0 log 0 = 0); `table` from xlog2x_table is faster."""
    c = np.asarray(counts)
    if table is not None and (c.size == 0 or int(c.max(initial=0)) < table.size):
        return float(np.take(table, c).sum())
    c = c[c > 1].astype(np.float64)
    return float((c * np.log2(c)).sum())


def jsd_equal_totals(p: np.ndarray, q: np.ndarray, s_p: float, s_q: float, n: float,
                     table: np.ndarray | None = None) -> float:
    """Return JSD(p, q) for integer count vectors that both sum to n, given s_x = sum x log2 x.

    With equal totals M = (p + q) / 2n, so JSD = 1 + (s_p + s_q - s_{p+q}) / (2n): one pass.
    """
    value = 1.0 + (s_p + s_q - xlog2x_sum(p + q, table)) / (2.0 * n)
    return float(min(1.0, max(0.0, value)))


def zipf_exponent(counts: np.ndarray, min_count: int = 5, max_rank: int = 10_000) -> float:
    """Return the maximum-likelihood Zipf exponent s of the rank-frequency curve (NaN if < 3 ranks).

    Model: P(rank r) = r^-s / sum_{j<=K} j^-s over the K most frequent types with count >=
    min_count (at most max_rank); the rarer ranks are dominated by sampling noise. The likelihood
    is concave in s; Newton's method from s = 1 converges in a few steps (Clauset et al. 2009 argue
    for ML over least squares on the log-log plot).
    """
    c = np.asarray(counts, dtype=np.float64)
    c = c[c >= min_count]
    if c.size > max_rank:
        c = np.partition(c, c.size - max_rank)[c.size - max_rank:]
    if c.size < 3:
        return float("nan")
    f = np.sort(c)[::-1]
    logr = np.log(np.arange(1, f.size + 1, dtype=np.float64))
    target = float((f * logr).sum() / f.sum())  # observed mean log-rank
    s = 1.0
    for _ in range(50):
        w = np.exp(-s * logr)
        z = w.sum()
        mean = (w * logr).sum() / z
        var = (w * logr * logr).sum() / z - mean * mean
        step = (mean - target) / max(var, 1e-12)  # d(mean log r)/ds = -var
        s = min(max(s + step, 1e-6), 20.0)
        if abs(step) < 1e-10:
            break
    return float(s)


# -- unseen mass and richness ---------------------------------------------------------------------
def good_turing_unseen(counts: np.ndarray) -> float:
    """Return Turing's estimate of the probability mass of unseen types: f1 / N."""
    c = np.asarray(counts)
    total = c.sum()
    return float((c == 1).sum() / total) if total > 0 else float("nan")


@dataclass(frozen=True)
class Chao1:
    """Chao1 richness with Chao's (1987) log-normal confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    observed: int
    f1: int
    f2: int


def chao1(counts: np.ndarray, confidence: float = 0.95) -> Chao1:
    """Return Chao1 = S_obs + ((n-1)/n) f1^2 / (2 f2) (bias-corrected f1(f1-1)/(2(f2+1)) if f2 = 0).

    Variance (Chao 1987; EstimateS), with A = (n-1)/n and r = f1/f2:
      f2 > 0: var = f2 (A r^2 / 2 + A^2 r^3 + A^2 r^4 / 4)
      f2 = 0: var = A f1 (f1-1)/2 + A^2 f1 (2 f1 - 1)^2 / 4 - A^2 f1^4 / (4 Chao1)
    Interval: S_obs + T / K, S_obs + T K with T = Chao1 - S_obs, K = exp(z sqrt(log(1 + var / T^2))),
    so the lower bound never falls below S_obs. With no singletons T = 0 and the interval is [S_obs, S_obs].
    """
    c = np.asarray(counts)
    c = c[c > 0]
    n = float(c.sum())
    s_obs = int(c.size)
    f1, f2 = int((c == 1).sum()), int((c == 2).sum())
    if n == 0:
        return Chao1(0.0, 0.0, 0.0, 0, 0, 0)
    a = (n - 1) / n
    if f2 > 0:
        est = s_obs + a * f1 * f1 / (2 * f2)
        r = f1 / f2
        var = f2 * (a * r**2 / 2 + a * a * r**3 + a * a * r**4 / 4)
    else:
        est = s_obs + a * f1 * (f1 - 1) / 2
        var = a * f1 * (f1 - 1) / 2 + a * a * f1 * (2 * f1 - 1) ** 2 / 4 - a * a * f1**4 / (4 * est)
    t = est - s_obs
    if t <= 0:
        return Chao1(float(est), float(s_obs), float(s_obs), s_obs, f1, f2)
    z = normal_quantile(0.5 + confidence / 2)
    k = math.exp(z * math.sqrt(math.log(1 + max(var, 0.0) / (t * t))))
    return Chao1(float(est), s_obs + t / k, s_obs + t * k, s_obs, f1, f2)


# -- intervals -----------------------------------------------------------------------------------
def normal_quantile(p: float) -> float:
    """Return the standard normal quantile: Acklam's rational approximation, then one Halley step."""
    x = _acklam(p)
    e = 0.5 * math.erfc(-x / math.sqrt(2)) - p
    u = e * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
    return x - u / (1 + x * u / 2)


def _acklam(p: float) -> float:
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549671043703958e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if p > 1 - lo:
        return -_acklam(1 - p)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)


def t_quantile(p: float, df: float) -> float:
    """Return Student's t quantile (Cornish-Fisher expansion in 1/df; |error| < 1e-3 for df >= 5)."""
    z = normal_quantile(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def half_sample_interval(
    t: np.ndarray, confidence: float, lower: float = -math.inf, upper: float = math.inf
) -> tuple[float, float | None, float | None]:
    """Return (estimate, lo, hi) from (draws, 2) values of a statistic on two disjoint halves.

    Each row is one random split of the blocks into halves A and B. Estimate: the mean of all values.
    (T_A - T_B)^2 / 4 is unbiased for the variance of (T_A + T_B) / 2 when the halves are
    independent (McCarthy 1969); its mean over splits is the variance used. Interval: estimate +-
    t_{draws} * se, clipped to [lower, upper]; None bounds with fewer than 2 complete splits.
    """
    t = np.asarray(t, dtype=np.float64)
    ok = np.isfinite(t).all(axis=1)
    if not ok.any():
        return math.nan, None, None
    value = float(t[ok].mean())
    if ok.sum() < 2:
        return value, None, None
    se = math.sqrt(float(((t[ok, 0] - t[ok, 1]) ** 2).mean()) / 4)
    q = t_quantile(0.5 + confidence / 2, float(ok.sum()))
    return value, max(lower, value - q * se), min(upper, value + q * se)


def bootstrap_interval(
    estimate: float, replicates: np.ndarray, confidence: float = 0.95,
    lower: float = -math.inf, upper: float = math.inf,
) -> tuple[float | None, float | None]:
    """Return a percentile interval re-centred on the estimate, clipped to [lower, upper].

    The percentile interval of the replicates is shifted by (estimate - median of replicates): this
    removes the location bias that resampling whole blocks with replacement gives statistics such as
    type counts (duplicated blocks add tokens but no types), while keeping the replicates' spread and
    skew. None, None when fewer than 2 finite replicates exist.
    """
    r = np.asarray(replicates, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 2 or not math.isfinite(estimate):
        return None, None
    alpha = (1 - confidence) / 2
    lo, med, hi = np.quantile(r, [alpha, 0.5, 1 - alpha])
    shift = estimate - med
    return float(min(max(lo + shift, lower), estimate)), float(max(min(hi + shift, upper), estimate))


def multinomial_weights(rng: np.random.Generator, n_units: int, replicates: int) -> np.ndarray:
    """Return (replicates, n_units) block-bootstrap weights: how often each unit is drawn."""
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=replicates).astype(np.float64)


def wilson_interval(p: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion p observed among n: the sampling noise of n documents alone, which no
    interval of a share of them can honestly be narrower than (a bootstrap of 3 documents that all read as human
    gave [0, 0])."""
    if n <= 0:
        return 0.0, 1.0
    z = normal_quantile((1 + confidence) / 2)
    p = min(1.0, max(0.0, p))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)

