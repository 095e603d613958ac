"""The result every estimator returns, and how it is recorded in the metrics table."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import polars as pl

from provenance.errors import UsageError

METRIC_SCHEMA = {
    "period": pl.String, "lang": pl.String, "metric": pl.String,
    "value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
}


@dataclass(frozen=True)
class Estimate:
    """An estimator's output: long metric rows, a readable per-period table, and details.

    metrics: one row per (period, lang, metric) with value, ci_low, ci_high (the rows written to the
    metrics table); summary: one row per (period, lang) with the metrics side by side; details: the
    estimator's token or cluster listing (top movers, lost tail tokens, largest clusters).
    """

    estimator: str
    metrics: pl.DataFrame
    summary: pl.DataFrame
    details: pl.DataFrame
    parameters: dict[str, Any]
    notes: tuple[str, ...] = ()
    run_id: int | None = None
    row_parameters: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)

    def table(self) -> pl.DataFrame:
        """Return one row per (period, lang): each metric as 'value [ci_low, ci_high]' text."""
        m = self.metrics.with_columns(
            pl.struct("value", "ci_low", "ci_high").map_elements(_fmt, return_dtype=pl.String).alias("text"))
        if m.height == 0:
            return pl.DataFrame(schema={"period": pl.String})
        keys = ["period", "lang"] if m["lang"].drop_nulls().len() else ["period"]
        order = m.select(keys).unique(maintain_order=True)
        wide = m.pivot(on="metric", index=keys, values="text", maintain_order=True)
        extra = [c for c in ("documents", "tokens", "budget_tokens") if c in self.summary.columns]
        if extra:
            wide = wide.join(self.summary.select(keys + extra), on=keys, how="left", nulls_equal=True)
            wide = wide.select(keys + extra + [c for c in wide.columns if c not in keys + extra])
        return order.join(wide, on=keys, how="left", nulls_equal=True)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN becomes null)."""
        return {
            "estimator": self.estimator,
            "run_id": self.run_id,
            "parameters": self.parameters,
            "notes": list(self.notes),
            "metrics": _rows(self.metrics),
            "summary": _rows(self.summary),
            "details": _rows(self.details),
        }


def _fmt(row: dict[str, Any]) -> str:
    v, lo, hi = row["value"], row["ci_low"], row["ci_high"]
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    text = f"{v:.4g}"
    return text if lo is None or hi is None else f"{text} [{lo:.4g}, {hi:.4g}]"


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.iter_rows(named=True)]


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def metric_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Return metric rows as a DataFrame with the canonical columns and types."""
    return pl.DataFrame(rows, schema=METRIC_SCHEMA) if rows else pl.DataFrame(schema=METRIC_SCHEMA)


def record(store: Any, command: str, estimate: Estimate, extra: Callable[[int], None] | None = None) -> Estimate:
    """Create a run, write the estimate's metric rows (and `extra(run_id)` in the same transaction),
    finish the run; return the estimate with its run_id."""
    run_id = store.new_run(command, estimate.parameters)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    m = estimate.metrics
    params = [
        json.dumps({**estimate.parameters, **estimate.row_parameters.get((p, lang), {})}, sort_keys=True, default=str)
        for p, lang in zip(m["period"].to_list(), m["lang"].to_list())
    ]
    rows = m.select(
        pl.lit(run_id, pl.Int64).alias("run_id"), pl.lit(estimate.estimator).alias("estimator"),
        "metric", "period", "lang",
        pl.col("value").fill_nan(None), pl.col("ci_low").fill_nan(None), pl.col("ci_high").fill_nan(None),
        pl.Series("parameters", params, pl.String), pl.lit(now).alias("created_at"),
    )
    with store.transaction():
        store.insert_metrics(rows.to_arrow())
        if extra is not None:
            extra(run_id)
    store.finish_run(run_id)
    return Estimate(estimate.estimator, estimate.metrics, estimate.summary, estimate.details,
                    estimate.parameters, estimate.notes, run_id, estimate.row_parameters)


def check_resampling(option: str, count: int, confidence: float) -> None:
    """Refuse resampling counts that give no interval (below 2) and confidence levels outside (0, 1)."""
    if count < 2:
        raise UsageError(f"{option} must be at least 2 (an interval needs two resamples), got {count}")
    if not 0 < confidence < 1:
        raise UsageError(f"the confidence level must be between 0 and 1, got {confidence}")


def estimate_from_store(store: Any, name: str, config: Any, core: Callable[[Any, str, Any], Estimate],
                        record_run: bool = True) -> Estimate:
    """Load the store's per-block counts for config, run `core(data, baseline, config)`, record the result."""
    from dataclasses import asdict, replace

    if record_run:
        store.require_writable(f"a {name} run")
    from provenance.estimators.periods import load_unit_counts, parse_by, resolve_baseline
    from provenance.tokencounts import tokenizer_name

    check_resampling("--draws", config.draws, config.confidence)
    if config.budget is not None and config.budget < 1:
        raise UsageError(f"--budget must be a number of tokens (at least 1), got {config.budget}")
    grouping = parse_by(config.by)
    config = replace(config, tokenizer=tokenizer_name(store, config.tokenizer))  # the name the run records
    data = load_unit_counts(store, grouping, config.lang, config.tokenizer, config.max_units)
    baseline = resolve_baseline(data.cells, config.baseline, grouping)
    est = core(data, baseline, config)
    counted = {(c.period, c.lang) for c in data.cells}
    tokenless = [p if lang is None else f"{p} ({lang})" for p, lang in
                 store.query("estimators_document_periods", by=grouping.period, by_lang=grouping.by_lang, lang=config.lang).fetchall()
                 if (p, lang) not in counted]
    notes = (*est.notes, *([f"{', '.join(tokenless)}: documents but no {config.tokenizer!r} token counts (pages of emoji or "
                             "punctuation only, or files not ingested with this tokenizer); left out"] if tokenless else []))
    est = Estimate(est.estimator, est.metrics, est.summary, est.details,
                   {**asdict(config), "by": grouping.label}, notes, None, est.row_parameters)
    return record(store, name, est) if record_run else est
