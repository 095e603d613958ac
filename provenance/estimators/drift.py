"""Drift: Jensen-Shannon divergence of each period's token distribution from a baseline's.

Everything is measured at one equal token budget n, because plug-in JSD, entropy and type-token
ratio all depend on sample size. Each draw splits every period's blocks at random into two disjoint
halves, and takes two disjoint n-token samples s0, s1 from each half (n = a quarter of the smallest
period by default, so every period can supply them). Within one half, with b the baseline:
  jsd          = JSD(s0_p, s0_b)       (for the baseline itself: JSD(s0_b, s1_b))
  noise_floor  = JSD(s0_b, s1_b)       what two samples of the same crawl differ by at budget n
  period_floor = JSD(s0_p, s1_p)       the same for period p
  excess_jsd   = jsd - (noise_floor + period_floor) / 2
  entropy, zipf_exponent, ttr          of s0_p and s1_p (averaged)
The expected JSD of two finite samples exceeds the divergence of their sources by a sampling term
to which each side contributes its own share (about (K - 1) / (4 n ln 2) for K observed types), so
the floor subtracted is the mean of both sides' floors; for the baseline excess_jsd is 0.
Point estimates average both halves over `draws` random splits; the two halves are independent
replicates on disjoint blocks, so (T_A - T_B)^2 / 4 estimates the variance of their mean
(half-sample replication, McCarthy 1969). Intervals: estimate +- z * se (conservative: the
average over splits varies less than one split's mean).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from provenance.errors import EstimatorError
from provenance.estimators import stats
from provenance.estimators.periods import Cell, UnitCounts, comparable_cells
from provenance.estimators.results import Estimate, estimate_from_store, metric_frame
from provenance.estimators.sampling import UnitStream, period_rng
from provenance.config import PeriodText

DRIFT_METRICS = ("jsd", "noise_floor", "period_floor", "excess_jsd", "entropy", "zipf_exponent", "ttr")
_BOUNDS = {"jsd": (0.0, 1.0), "noise_floor": (0.0, 1.0), "period_floor": (0.0, 1.0), "excess_jsd": (-1.0, 1.0),
           "entropy": (0.0, math.inf), "zipf_exponent": (0.0, math.inf), "ttr": (0.0, 1.0)}


@dataclass(frozen=True)
class DriftConfig(PeriodText):
    """Options of the drift estimator (see the module docstring and docs/metrics.md)."""

    baseline: str
    by: str = "year"
    lang: str | None = None
    tokenizer: str = "word"
    budget: int | None = None  # tokens per sample; default: a quarter of the smallest period
    draws: int = 10  # random half-splits of every period's blocks (point estimate and variance)
    confidence: float = 0.95
    max_units: int = 200  # resampling units per period; more blocks are merged into this many
    top: int = 10  # tokens listed per period in top movers
    seed: int = 0


def estimate_drift(store: object, config: DriftConfig, record_run: bool = True) -> Estimate:
    """Estimate drift against the baseline for every period; record the metrics unless told not to."""
    return estimate_from_store(store, "drift", config, drift_from_counts, record_run)


def drift_from_counts(data: UnitCounts, baseline: str, config: DriftConfig) -> Estimate:
    """Compute drift from loaded unit counts (the store-free core, used by tests and benchmarks)."""
    rows, summary, movers, notes, row_params = [], [], [], [], {}
    for lang in sorted({c.lang for c in data.cells}, key=lambda v: v or ""):
        cells = [i for i, c in enumerate(data.cells) if c.lang == lang]
        b = data.cell_index(Cell(baseline, lang))
        if b is None:
            notes.append(f"language {lang}: no baseline period {baseline}; skipped")
            continue
        group = _drift_group(data, b, cells, config, notes)
        for c, values, params in group:
            cell = data.cells[c]
            row_params[(cell.period, cell.lang)] = params
            summary.append({"period": cell.period, "lang": cell.lang, **params,
                            **{m: values[m][0] for m in DRIFT_METRICS}})
            rows.extend({"period": cell.period, "lang": cell.lang, "metric": m, "value": v[0],
                         "ci_low": v[1], "ci_high": v[2]} for m, v in values.items())
            if c != b:
                movers.append(top_movers(data, c, b, config.top))
    details = pl.concat(movers) if movers else _empty_movers()
    return Estimate("drift", metric_frame(rows), pl.DataFrame(summary), details,
                    asdict(config), tuple(notes), None, row_params)


def _drift_group(
    data: UnitCounts, b: int, cells: list[int], config: DriftConfig, notes: list[str]
) -> list[tuple[int, dict[str, tuple[float, float | None, float | None]], dict[str, object]]]:
    """Return (cell, {metric: (value, lo, hi)}, row parameters) for the cells of one language."""
    tokens = {c: float(data.unit_tokens[data.units(c)].sum()) for c in cells}
    cells = comparable_cells(data, cells, b, tokens, config.budget is not None, 4, notes)
    largest = int(min(tokens[c] for c in cells) // 4)
    n = config.budget or largest
    if n > largest:
        raise EstimatorError(f"--budget {n} exceeds the largest equal budget, {largest} tokens "
                             "(a quarter of the smallest period)")
    if n < 1:
        raise EstimatorError("a period holds fewer than 4 tokens; nothing to compare")
    lang = data.cells[b].lang
    halves = _draws(data, b, cells, n, config.draws, config.seed)
    few = [data.cells[c].period for c in cells if data.units(c).size < 4]
    if few:
        notes.append(f"{_where(lang)}fewer than 4 blocks in {', '.join(few)}: samples split blocks, "
                     "no intervals there")
    out = []
    for c in cells:
        n_units = int(data.units(c).size)
        no_ci = n_units < 4 or data.units(b).size < 4 or config.draws < 2
        values = {m: _summarize(halves[m][c], config.confidence, no_ci, *_BOUNDS[m]) for m in DRIFT_METRICS}
        params = {"budget_tokens": int(n), "tokens": int(tokens[c]), "units": n_units,
                  "blocks": int(data.blocks_per_unit[data.units(c)].sum())}
        out.append((c, values, params))
    return out


def _summarize(t: np.ndarray, confidence: float, no_ci: bool, lower: float, upper: float) -> tuple[float, float | None, float | None]:
    """Return (estimate, lo, hi) from (draws, 2) half-sample values (no interval when no_ci)."""
    value, lo, hi = stats.half_sample_interval(t, confidence, lower, upper)
    return (value, None, None) if no_ci else (value, lo, hi)


def _where(lang: str | None) -> str:
    return f"language {lang}: " if lang else ""


def _draws(data: UnitCounts, b: int, cells: list[int], n: int, draws: int, seed: int) -> dict[str, dict[int, np.ndarray]]:
    """Return metric -> cell -> (draws, 2) values: each draw's two half-sample replicates."""
    out = {m: {c: np.full((draws, 2), np.nan) for c in cells} for m in DRIFT_METRICS}
    rngs = {c: period_rng(seed, data.cells[c].period, data.cells[c].lang) for c in cells}
    table = stats.xlog2x_table(2 * int(n))  # sums of two n-token samples stay within it
    for r in range(draws):
        samples = {c: _four_samples(data, c, n, rngs[c], table) for c in cells}
        for h in (0, 1):
            s0b, s1b = samples[b][h]
            floor_b = s0b.jsd(s1b)
            for c in cells:
                s0, s1 = samples[c][h]
                floor_c = floor_b if c == b else s0.jsd(s1)
                value = floor_b if c == b else s0.jsd(s0b)
                row = {"jsd": value, "noise_floor": floor_b, "period_floor": floor_c,
                       "excess_jsd": value - (floor_b + floor_c) / 2,
                       "entropy": (s0.entropy + s1.entropy) / 2, "ttr": (s0.ttr + s1.ttr) / 2,
                       "zipf_exponent": (s0.zipf + s1.zipf) / 2}
                for m, v in row.items():
                    out[m][c][r, h] = v
    return out


class _Sample:
    """An n-token sample with the statistics every comparison reuses."""

    def __init__(self, counts: np.ndarray, table: np.ndarray) -> None:
        self.counts = counts.astype(np.int32)
        self.table = table
        self.n = int(self.counts.sum(dtype=np.int64))
        self.s = stats.xlog2x_sum(self.counts, table)
        self.entropy = math.log2(self.n) - self.s / self.n if self.n else math.nan
        self.ttr = float(np.count_nonzero(self.counts) / self.n) if self.n else math.nan
        self.zipf = stats.zipf_exponent(self.counts)

    def jsd(self, other: "_Sample") -> float:
        """Return JSD to another sample (exact: equal totals take the one-pass formula)."""
        if self.n == other.n:
            return stats.jsd_equal_totals(self.counts, other.counts, self.s, other.s, self.n, self.table)
        return stats.jsd_from_entropies(self.counts.astype(np.float64), other.counts.astype(np.float64),
                                        self.entropy, other.entropy)


def _four_samples(data: UnitCounts, c: int, n: int, rng: np.random.Generator, table: np.ndarray) -> tuple[tuple[_Sample, _Sample], ...]:
    """Split cell c's blocks at random into halves; return two disjoint n-token samples per half."""
    stream = UnitStream(data, data.units(c), rng, replace=False)
    s = [_Sample(stream.take(n), table) for _ in range(4)]
    return (s[0], s[1]), (s[2], s[3])


def top_movers(data: UnitCounts, c: int, b: int, top: int) -> pl.DataFrame:
    """Return the tokens whose share moved most between baseline and period, with their counts.

    Ranked by Dunning's (1993) log-likelihood G^2 = 2 [a ln(a / E_a) + b ln(b / E_b)], with a, b the
    token's counts in period and baseline and E the counts expected if its share were unchanged: it
    weighs a share change by the evidence for it, so one-off rare tokens do not crowd the list.
    (G^2 treats tokens as independent draws; with bursty documents it ranks, it does not test.)
    """
    p, q = data.cell_totals(c), data.cell_totals(b)
    n_p, n_q = p.sum(), q.sum()
    expected_p = (p + q) * (n_p / (n_p + n_q))
    expected_q = (p + q) - expected_p
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * (np.where(p > 0, p * np.log(p / expected_p), 0.0) + np.where(q > 0, q * np.log(q / expected_q), 0.0))
    g2 = np.nan_to_num(g2)
    k = min(top, int(np.count_nonzero(g2 > 0)))
    idx = _top_indices(g2, k)
    ps, qs = p[idx] / n_p, q[idx] / n_q
    terms = stats.jsd_terms(p, q)[idx]
    # add-0.5 smoothing keeps the log ratio finite for tokens absent on one side
    ratio = np.log2(((p[idx] + 0.5) / (n_p + 0.5)) / ((q[idx] + 0.5) / (n_q + 0.5)))
    cell = data.cells[c]
    return pl.DataFrame({
        "period": [cell.period] * k, "lang": pl.Series([cell.lang] * k, dtype=pl.String),
        "token": pl.Series(data.vocab[idx].tolist(), dtype=pl.String),
        "baseline_count": q[idx].astype(np.int64), "count": p[idx].astype(np.int64),
        "baseline_share": qs, "share": ps, "share_change": ps - qs,
        "log2_ratio": ratio, "g2": g2[idx], "jsd_contribution": terms,
    })


def _top_indices(score: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of the k largest scores, largest first (ties by index)."""
    if k <= 0:
        return np.zeros(0, np.int64)
    part = np.argpartition(-score, k - 1)[:k] if k < score.size else np.arange(score.size)
    return part[np.lexsort((part, -score[part]))]


def _empty_movers() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "period": pl.String, "lang": pl.String, "token": pl.String, "baseline_count": pl.Int64,
        "count": pl.Int64, "baseline_share": pl.Float64, "share": pl.Float64, "share_change": pl.Float64,
        "log2_ratio": pl.Float64, "g2": pl.Float64, "jsd_contribution": pl.Float64})
