"""Tail-vocabulary loss: what happens, period by period, to the baseline's rarest reliable types.

The baseline's blocks are split once at random into a selection half and a reference half. The
tail T is chosen on the selection half only: the least-frequent types seen at least m times whose
tokens together hold at most a share q of it (ties broken by token text). Choosing and measuring on
the same tokens would favour the baseline: a type picked because it was seen >= m times is seen
again in its own sample by construction (regression to the mean), in no other period's.

At one budget n for all periods (half of the smallest period, the reference half standing for the
baseline), with x the counts of a sample of N tokens:
  tail_seen          = mean over t in T of P(t seen in n tokens) = 1 - C(K - b_t, k) / C(K, k), for a sample of
                       K blocks, b_t of them holding t, drawn by blocks: k = K n / N of them (as the baseline's
                       halves are drawn; token by token, a larger period saw a word of one document almost surely)
  tail_survival      = tail_seen(period) / tail_seen(baseline reference)
  tail_mass          = sum_{t in T} x_t / N;   tail_mass_ratio = tail_mass(period) / tail_mass(baseline)
  good_turing_unseen = E[f1(n)] / n, the expected Good-Turing unseen mass at the budget, with
                       E[f1(n)] = sum_t s_t C(K - b_t, k - 1) / C(K, k), t once in s_t of its b_t blocks
  chao1              = Chao1 richness of the whole period, with Chao's log-normal interval.
The hypergeometric terms are exact (log-gamma differences, vectorized over distinct counts).
Each draw splits a period's blocks into two token-balanced halves; every metric but chao1 is
computed on both, and their mean over draws is the estimate, (T_A - T_B)^2 / 4 its variance
(half-sample replication, as for drift).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from provenance.errors import EstimatorError, UsageError
from provenance.estimators import stats
from provenance.estimators.periods import Cell, UnitCounts, comparable_cells, ranges
from provenance.estimators.results import Estimate, estimate_from_store, metric_frame
from provenance.estimators.sampling import Draw, UnitStream, period_rng
from provenance.config import PeriodText

TAIL_METRICS = ("tail_survival", "tail_seen", "tail_mass_ratio", "tail_mass", "good_turing_unseen", "chao1")
_BOUNDS = {"tail_survival": (0.0, math.inf), "tail_seen": (0.0, 1.0), "tail_mass_ratio": (0.0, math.inf),
           "tail_mass": (0.0, 1.0), "good_turing_unseen": (0.0, 1.0)}


@dataclass(frozen=True)
class TailsConfig(PeriodText):
    """Options of the tails estimator (see the module docstring and docs/metrics.md)."""

    baseline: str
    by: str = "year"
    lang: str | None = None
    tokenizer: str = "word"
    tail_mass: float = 0.05  # q: the tail holds at most this share of the baseline's tokens
    min_count: int = 3  # m: tail types were seen at least this often in the selection half
    budget: int | None = None  # tokens; default: half the smallest period (reference half for the baseline)
    draws: int = 10  # random half-splits (point estimate and variance)
    confidence: float = 0.95
    max_units: int = 200
    top: int = 10  # lost tail tokens listed per period
    seed: int = 0


@dataclass
class _Tail:
    ids: np.ndarray  # token ids of the tail
    selection: np.ndarray  # their counts in the selection half
    reference: np.ndarray  # dense counts of the reference half (all types)
    reference_units: np.ndarray
    selection_tokens: int


def estimate_tails(store: object, config: TailsConfig, record_run: bool = True) -> Estimate:
    """Estimate tail-vocabulary loss against the baseline for every period; record the metrics."""
    if not 0 < config.tail_mass < 1 or config.min_count < 1:
        raise UsageError("--tail-mass must be in (0, 1) and --min-count at least 1")
    return estimate_from_store(store, "tails", config, tails_from_counts, record_run)


def tails_from_counts(data: UnitCounts, baseline: str, config: TailsConfig) -> Estimate:
    """Compute tail loss from loaded unit counts (the store-free core, used by tests and benchmarks)."""
    rows, summary, lost, notes, row_params = [], [], [], [], {}
    for lang in sorted({c.lang for c in data.cells}, key=lambda v: v or ""):
        cells = [i for i, c in enumerate(data.cells) if c.lang == lang]
        b = data.cell_index(Cell(baseline, lang))
        if b is None:
            notes.append(f"language {lang}: no baseline period {baseline}; skipped")
            continue
        for c, values, params, listing in _tails_group(data, b, cells, config, notes):
            cell = data.cells[c]
            row_params[(cell.period, cell.lang)] = params
            summary.append({"period": cell.period, "lang": cell.lang, **params,
                            **{m: values[m][0] for m in TAIL_METRICS}})
            rows.extend({"period": cell.period, "lang": cell.lang, "metric": m, "value": v[0],
                         "ci_low": v[1], "ci_high": v[2]} for m, v in values.items())
            if listing is not None:
                lost.append(listing)
    details = pl.concat(lost) if lost else _empty_lost()
    return Estimate("tails", metric_frame(rows), pl.DataFrame(summary), details,
                    asdict(config), tuple(notes), None, row_params)


def select_tail(counts: np.ndarray, vocab: np.ndarray, tail_mass: float, min_count: int) -> np.ndarray:
    """Return the token ids of the tail: least-frequent types with count >= min_count whose counts
    sum to at most tail_mass of all tokens; ties in count are broken by token text."""
    total = counts.sum()
    ids = np.flatnonzero(counts >= min_count)
    order = np.lexsort((vocab[ids].astype(str), counts[ids]))
    ids = ids[order]
    inside = np.cumsum(counts[ids]) <= tail_mass * total
    return ids[inside]


def _split_baseline(data: UnitCounts, b: int, config: TailsConfig) -> _Tail:
    """Split the baseline's blocks once into selection and reference halves; choose the tail."""
    rng = np.random.default_rng(config.seed + 7919)
    units = rng.permutation(data.units(b))
    cumulative = np.cumsum(data.unit_tokens[units])
    first = cumulative - data.unit_tokens[units] / 2 < cumulative[-1] / 2
    if first.all() or not first.any():
        lang = f" (language {data.cells[b].lang})" if data.cells[b].lang else ""
        raise EstimatorError(f"baseline {data.cells[b].period}{lang} has a single block; tails needs at least 2 "
                             "(one to choose the tail, one to measure it): a block is 'ingest --block-docs' documents of a "
                             "file (500 by default); re-ingest a sample this small with a smaller --block-docs, e.g. 20")
    selection = data.totals(np.sort(units[first]))
    ids = select_tail(selection, data.vocab, config.tail_mass, config.min_count)
    if ids.size == 0:
        raise EstimatorError(f"the baseline has no types seen >= {config.min_count} times within the lowest "
                             f"{config.tail_mass} of its mass; lower --min-count or raise --tail-mass")
    ref_units = np.sort(units[~first])
    return _Tail(ids, selection[ids], data.totals(ref_units), ref_units, int(selection.sum()))


def _tails_group(data: UnitCounts, b: int, cells: list[int], config: TailsConfig, notes: list[str]) -> list[tuple]:
    tail = _split_baseline(data, b, config)
    full = {c: data.cell_totals(c) for c in cells}
    full[b] = tail.reference
    tokens = {c: int(full[c].sum()) for c in cells}
    cells = comparable_cells(data, cells, b, tokens, config.budget is not None, 2, notes)
    largest = min(tokens[c] for c in cells) // 2
    n = config.budget or largest
    if n > largest or n < 1:
        raise EstimatorError(f"--budget {n}: must be between 1 and {largest} tokens "
                             "(half the smallest period; the baseline's reference half counts as the baseline)")
    units = {c: (tail.reference_units if c == b else data.units(c)) for c in cells}
    halves = _draws(data, cells, b, units, full, tail, n, config)
    few = [data.cells[c].period for c in cells if units[c].size < 2]
    if few:
        notes.append(f"fewer than 2 blocks in {', '.join(few)} (the baseline's reference half counts): "
                     "halves split a block; no intervals there")
    out = []
    for c in cells:
        no_ci = units[c].size < 2 or units[b].size < 2 or config.draws < 2
        values = {m: _summarize(halves[m][c], config.confidence, no_ci, *_BOUNDS[m]) for m in TAIL_METRICS if m != "chao1"}
        ch = stats.chao1(data.cell_totals(c), config.confidence)
        values["chao1"] = (ch.estimate, ch.ci_low, ch.ci_high)
        absent = int((full[c][tail.ids] == 0).sum())
        params = {"budget_tokens": int(n), "tokens": tokens[c], "units": int(units[c].size),
                  "tail_types": int(tail.ids.size), "tail_types_absent": absent,
                  "observed_types": ch.observed, "f1": ch.f1, "f2": ch.f2}
        listing = None if c == b else lost_tokens(data, c, full[c], tail, n, config.top)
        out.append((c, values, params, listing))
    return out


def _summarize(t: np.ndarray, confidence: float, no_ci: bool, lower: float, upper: float) -> tuple[float, float | None, float | None]:
    """Return (estimate, lo, hi) from (draws, 2) half-sample values (no interval when no_ci)."""
    value, lo, hi = stats.half_sample_interval(t, confidence, lower, upper)
    return (value, None, None) if no_ci else (value, lo, hi)


def _half_stats(half: Draw, tail: _Tail, n: int) -> dict[str, float]:
    x = half.counts
    total = float(x.sum())
    xt = x[tail.ids]
    k = _blocks_at(n, half.blocks, total)
    return {
        "tail_seen": stats.expected_seen_share(half.presence[tail.ids], half.blocks, k),
        "tail_mass": float(xt.sum() / total),
        "good_turing_unseen": stats.expected_block_singletons(half.presence, half.singles, half.blocks, k) / n,
    }


def _blocks_at(n: int, blocks: int, tokens: float) -> float:
    """The blocks that n of a sample's tokens fill, on average: a sample at the budget is drawn by blocks, as the
    baseline's halves are (a word's tokens come in documents: thinned token by token, a period larger than the budget
    saw a word held by one document's ten tokens almost surely, the baseline with the chance of that one document)."""
    return blocks * min(1.0, n / tokens) if tokens > 0 else 0.0


def _draws(data: UnitCounts, cells: list[int], b: int, units: dict[int, np.ndarray], full: dict[int, np.ndarray],
           tail: _Tail, n: int, config: TailsConfig) -> dict[str, dict[int, np.ndarray]]:
    """Return metric -> cell -> (draws, 2) half-sample values."""
    out = {m: {c: np.full((config.draws, 2), np.nan) for c in cells} for m in TAIL_METRICS if m != "chao1"}
    rngs = {c: period_rng(config.seed, data.cells[c].period, data.cells[c].lang) for c in cells}
    for r in range(config.draws):
        per_cell = {}
        for c in cells:
            stream = UnitStream(data, units[c], rngs[c], replace=False)
            total = int(full[c].sum())
            a = stream.draw(total // 2)
            per_cell[c] = (_half_stats(a, tail, n), _half_stats(stream.draw(total - total // 2), tail, n))
        for c in cells:
            for h in (0, 1):
                mine, base = per_cell[c][h], per_cell[b][h]
                row = {**mine, "tail_survival": _ratio(mine["tail_seen"], base["tail_seen"]),
                       "tail_mass_ratio": _ratio(mine["tail_mass"], base["tail_mass"])}
                for m, v in row.items():
                    out[m][c][r, h] = v
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def lost_tokens(data: UnitCounts, c: int, counts: np.ndarray, tail: _Tail, n: int, top: int) -> pl.DataFrame:
    """Return the tail tokens whose chance of being seen at the budget fell most from baseline to period."""
    ref_total, total = float(tail.reference.sum()), float(counts.sum())
    (seen_base, blocks_base), (seen, blocks) = _presence(data, tail.reference_units), _presence(data, data.units(c))
    p_base = stats.presence_probability(seen_base[tail.ids], blocks_base, _blocks_at(n, blocks_base, ref_total))
    p_now = stats.presence_probability(seen[tail.ids], blocks, _blocks_at(n, blocks, total))
    drop = p_base - p_now
    k = min(top, int((drop > 0).sum()))
    order = np.lexsort((data.vocab[tail.ids].astype(str), -drop))[:k]
    ids = tail.ids[order]
    cell = data.cells[c]
    return pl.DataFrame({
        "period": pl.Series([cell.period] * k, dtype=pl.String), "lang": pl.Series([cell.lang] * k, dtype=pl.String),
        "token": pl.Series(data.vocab[ids].tolist(), dtype=pl.String),
        "selection_count": tail.selection[order].astype(np.int64),
        "baseline_count": tail.reference[ids].astype(np.int64), "count": counts[ids].astype(np.int64),
        "p_seen_baseline": p_base[order], "p_seen": p_now[order], "drop": drop[order],
    })


def _presence(data: UnitCounts, units: np.ndarray) -> tuple[np.ndarray, int]:
    """In how many blocks of the units each token is, and how many blocks they hold."""
    units = units[data.indptr[units + 1] > data.indptr[units]]
    if not units.size:
        return np.zeros(data.n_vocab), 0
    starts, ends = data.indptr[units], data.indptr[units + 1]
    entries = ranges(starts, ends)
    if not data.all_distinct:
        entries = entries[data.distinct[entries]]
    return np.bincount(data.token[entries], minlength=data.n_vocab).astype(np.float64), data.blocks_in(starts, ends)


def _empty_lost() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "period": pl.String, "lang": pl.String, "token": pl.String, "selection_count": pl.Int64,
        "baseline_count": pl.Int64, "count": pl.Int64, "p_seen_baseline": pl.Float64, "p_seen": pl.Float64,
        "drop": pl.Float64})
