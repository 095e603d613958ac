"""Drift: Jensen-Shannon divergence of each period's token distribution from a baseline's.

Everything is measured at one equal token budget n, because plug-in JSD, entropy and type-token
ratio all depend on sample size. n = min(smallest period, half the baseline), so the baseline can
supply two disjoint halves A and B of n tokens. In each draw:
  jsd(p)       = JSD(S_p, A)  with S_p = n tokens of period p's blocks (for the baseline, S = B);
  noise_floor  = JSD(B, A)    -- what two samples of the same crawl differ by at this budget;
  excess_jsd   = jsd - noise_floor (paired: the same A in both);
  entropy, zipf_exponent, ttr of S_p.
Point estimates average `draws` draws without replacement; intervals come from `replicates` draws
with blocks resampled with replacement (block bootstrap), re-centred on the point estimate.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from provenance.errors import EstimatorError
from provenance.estimators import stats
from provenance.estimators.periods import Cell, UnitCounts, load_unit_counts, parse_by, resolve_baseline
from provenance.estimators.results import Estimate, metric_frame, record
from provenance.estimators.sampling import UnitStream

DRIFT_METRICS = ("jsd", "noise_floor", "excess_jsd", "entropy", "zipf_exponent", "ttr")
_BOUNDS = {"jsd": (0.0, 1.0), "noise_floor": (0.0, 1.0), "excess_jsd": (-1.0, 1.0),
           "entropy": (0.0, math.inf), "zipf_exponent": (0.0, math.inf), "ttr": (0.0, 1.0)}


@dataclass(frozen=True)
class DriftConfig:
    """Options of the drift estimator (see the module docstring and docs/metrics.md)."""

    baseline: str
    by: str = "year"
    lang: str | None = None
    tokenizer: str = "word"
    budget: int | None = None  # tokens per sample; default: the largest equal budget
    draws: int = 20  # draws without replacement averaged into the point estimate
    replicates: int = 200  # block-bootstrap replicates for the intervals (0: no intervals)
    confidence: float = 0.95
    max_units: int = 200  # resampling units per period; more blocks are merged into this many
    top: int = 10  # tokens listed per period in top movers
    seed: int = 0


def estimate_drift(store: object, config: DriftConfig, record_run: bool = True) -> Estimate:
    """Estimate drift against the baseline for every period; record the metrics unless told not to."""
    grouping = parse_by(config.by)
    data = load_unit_counts(store, grouping, config.lang, config.tokenizer, config.max_units)
    baseline = resolve_baseline(data.cells, config.baseline, grouping)
    est = drift_from_counts(data, baseline, config)
    est = Estimate(est.estimator, est.metrics, est.summary, est.details,
                   {**asdict(config), "by": grouping.label}, est.notes, None, est.row_parameters)
    return record(store, "drift", est) if record_run else est


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
    largest = math.floor(min([tokens[b] / 2] + [tokens[c] for c in cells if c != b]))
    n = config.budget or largest
    if n > largest:
        raise EstimatorError(f"--budget {n} exceeds the largest equal budget {largest} tokens "
                             f"(smallest period, or half the baseline)")
    if n < 1:
        raise EstimatorError("a period or the baseline half holds no tokens; nothing to compare")
    lang = data.cells[b].lang
    point = _draws(data, b, cells, n, config.draws, replace=False, seed=config.seed)
    boot = _draws(data, b, cells, n, config.replicates, replace=True, seed=config.seed + 1)
    few = [data.cells[c].period for c in cells if data.units(c).size < 2]
    if few:
        notes.append(f"{_where(lang)}fewer than 2 blocks in {', '.join(few)}: no intervals there")
    out = []
    for c in cells:
        n_units = int(data.units(c).size)
        no_ci = n_units < 2 or data.units(b).size < 2 or config.replicates < 2
        values = {}
        for m in DRIFT_METRICS:
            value = float(np.nanmean(point[m][c])) if np.isfinite(point[m][c]).any() else math.nan
            lo, hi = (None, None) if no_ci else stats.bootstrap_interval(
                value, boot[m][c], config.confidence, *_BOUNDS[m])
            values[m] = (value, lo, hi)
        params = {"budget_tokens": int(n), "tokens": int(tokens[c]), "blocks": int(data.blocks_per_unit[data.units(c)].sum()),
                  "units": n_units}
        out.append((c, values, params))
    return out


def _where(lang: str | None) -> str:
    return f"language {lang}: " if lang else ""


def _draws(
    data: UnitCounts, b: int, cells: list[int], n: float, count: int, replace: bool, seed: int
) -> dict[str, dict[int, np.ndarray]]:
    """Return metric -> cell -> values over `count` draws at budget n."""
    out = {m: {c: np.full(count, np.nan) for c in cells} for m in DRIFT_METRICS}
    rng = np.random.default_rng(seed)
    for r in range(count):
        base = UnitStream(data, data.units(b), rng, replace)
        half_a, half_b = base.take(n), base.take(n)
        floor = stats.jsd(half_a, half_b)
        for c in cells:
            sample = half_b if c == b else UnitStream(data, data.units(c), rng, replace).take(n)
            value = floor if c == b else stats.jsd(sample, half_a)
            types = float(np.count_nonzero(sample))
            out["jsd"][c][r] = value
            out["noise_floor"][c][r] = floor
            out["excess_jsd"][c][r] = value - floor
            out["entropy"][c][r] = stats.entropy_bits(sample)
            out["zipf_exponent"][c][r] = stats.zipf_exponent(sample)
            out["ttr"][c][r] = types / sample.sum()
    return out


def top_movers(data: UnitCounts, c: int, b: int, top: int) -> pl.DataFrame:
    """Return the tokens contributing most to JSD(period, baseline) on the full counts, with counts."""
    p, q = data.cell_totals(c), data.cell_totals(b)
    terms = stats.jsd_terms(p, q)
    k = min(top, int(np.count_nonzero(terms)))
    idx = np.argsort(-terms, kind="stable")[:k]
    ps, qs = p / p.sum(), q / q.sum()
    # add-0.5 smoothing keeps the log ratio finite for tokens absent on one side
    ratio = np.log2(((p[idx] + 0.5) / (p.sum() + 0.5)) / ((q[idx] + 0.5) / (q.sum() + 0.5)))
    cell = data.cells[c]
    return pl.DataFrame({
        "period": [cell.period] * k, "lang": pl.Series([cell.lang] * k, dtype=pl.String),
        "token": data.vocab[idx].tolist(),
        "baseline_count": q[idx].astype(np.int64), "count": p[idx].astype(np.int64),
        "baseline_share": qs[idx], "share": ps[idx], "share_change": ps[idx] - qs[idx],
        "log2_ratio": ratio, "jsd_contribution": terms[idx],
    })


def _empty_movers() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "period": pl.String, "lang": pl.String, "token": pl.String, "baseline_count": pl.Int64,
        "count": pl.Int64, "baseline_share": pl.Float64, "share": pl.Float64, "share_change": pl.Float64,
        "log2_ratio": pl.Float64, "jsd_contribution": pl.Float64})
