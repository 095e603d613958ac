"""Run the retrain simulator: load P0 and the schedule, simulate each regime, summarize, record."""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from provenance.arrow_views import registered
from provenance.errors import EstimatorError
from provenance.simulate import metrics
from provenance.simulate.config import SimulationConfig
from provenance.simulate.regimes import COLUMNS, Trajectories, run_categorical, run_gaussian
from provenance.simulate.schedules import (
    Observation,
    Schedule,
    build_schedule,
    generation_years,
    observations_from_rows,
    period_year,
)
from provenance.synth.references import SEPARATOR, check_families, family_names, joint_name
from provenance.tokencounts import tokenizer_name

COLLAPSE_THRESHOLD = 0.5  # the collapse horizon is the first generation with tail survival below this
SUMMARY_METRICS = ("alpha", "tail_survival", "jsd", "entropy", "kl", "support", "variance")


@dataclass(frozen=True)
class Baseline:
    """The true distribution P0: token counts of one period, most frequent first."""

    period: str | None
    tokens: Sequence[str]
    counts: np.ndarray

    def describe(self, config: SimulationConfig) -> dict[str, Any]:
        """Return the vocabulary size, token total and tail size, for reports."""
        tail = metrics.tail_mask(self.counts, config.tail_q, config.tail_min_count)
        return {"period": self.period, "vocabulary": int(self.counts.size), "tokens": int(self.counts.sum()), "tail_types": int(tail.sum())}


@dataclass(frozen=True)
class SimulationResult:
    """What a simulation returns: per generation-replicate rows, their summary, and the horizon."""

    config: SimulationConfig
    schedule: Schedule
    baseline: dict[str, Any]
    generations: pl.DataFrame
    summary: pl.DataFrame
    horizons: pl.DataFrame
    seconds: float
    run_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: parameters, schedule fit, horizons and the per-generation summary."""
        return {
            "run_id": self.run_id,
            "config": self.config.to_dict(),
            "baseline": self.baseline,
            "schedule": {"kind": self.schedule.kind, "description": self.schedule.description, **self.schedule.parameters},
            "horizons": self.horizons.to_dicts(),
            "summary": self.summary.to_dicts(),
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


# -- store I/O -----------------------------------------------------------------------------
def load_baseline(store: Any, config: SimulationConfig) -> Baseline:
    """Return P0 from the store's token counts; raise EstimatorError naming valid periods if empty."""
    rows = store.query("simulate_baseline_counts", period=config.baseline, lang=config.lang, tokenizer=config.tokenizer).fetchall()
    if not rows:
        periods = [r[0] for r in store.query("simulate_periods", tokenizer=config.tokenizer).fetchall()]
        known = ", ".join(periods) if periods else "none; run 'provenance ingest' first"
        where = f" (lang {config.lang!r})" if config.lang else ""
        raise EstimatorError(f"no {config.tokenizer!r} token counts for baseline period {config.baseline!r}{where}; periods in the store: {known}")
    return Baseline(config.baseline, [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.int64))


def load_observations(store: Any, lang: str | None, machine: str | None = None,
                      synth_run: int | None = None) -> tuple[list[Observation], str | None, int | None, list[str]]:
    """Return the observed synthetic shares of one pair of references (see simulate_observed_alpha.sql:
    `machine`'s, or the newest synth run's), the machine reference's name, the synth run that led the
    choice, and the periods whose share is of all languages though `lang` was asked for; raise
    EstimatorError when `provenance synth` has not run (against `machine`)."""
    if machine is not None and SEPARATOR in machine:  # families estimated jointly: 'b + a' names the run of 'a+b'
        machine = _joint_name(store, lang, machine)
    rows = store.query("simulate_observed_alpha", lang=lang, machine=machine, run_id=synth_run).fetchall()
    if not rows and machine is not None:
        raise EstimatorError(_no_shares_against(store, lang, machine))
    if not rows:
        raise EstimatorError("no observed synthetic shares in metrics (estimator 'synth', metric 'alpha'); run 'provenance synth' first, or pass --schedule CONST|FILE")
    stand_ins = [str(r[0]) for r in rows if lang is not None and r[7] is None]
    return observations_from_rows([r[:5] for r in rows]), rows[0][5], int(rows[0][6]), stand_ins


def _joint_name(store: Any, lang: str | None, machine: str) -> str:
    """The name synth stored for these families estimated jointly, however given: the name as given when a run has it,
    else in name order (joint_name, as synth stores it), else a stored name of the same families."""
    families = check_families(machine)
    known = [r[0] for r in store.query("simulate_synth_machines", lang=lang).fetchall()]
    for name in (machine, joint_name(machine)):
        if name in known:
            return name
    return next((name for name in known if frozenset(family_names(name)) == frozenset(families)), joint_name(machine))


def _no_shares_against(store: Any, lang: str | None, machine: str) -> str:
    """Why --machine NAME has no shares: no such reference, a human one, or no `synth` run against it yet."""
    known = [r[0] for r in store.query("simulate_synth_machines", lang=lang).fetchall()]
    reference = store.query("synth_reference", reference=machine).fetchone()
    of_lang, with_lang = (f" of language {lang}", f" --lang {lang}") if lang else ("", "")
    if reference is not None and reference[1] != "machine":
        why = f"{machine!r} is a {reference[1]} reference"
    elif reference is not None:
        why = f"no synthetic shares{of_lang} against machine reference {machine!r} yet: run 'provenance synth --human H --machine {machine}{with_lang}'"
    else:
        why = f"no synthetic shares{of_lang} against machine reference {machine!r}"
    return why + (f"; estimates{of_lang} exist against: {', '.join(known)}" if known else f"; no estimate{of_lang} in the store names its machine reference")


def _other_machines(store: Any, lang: str | None, used: str | None) -> list[str]:
    return [r[0] for r in store.query("simulate_synth_machines", lang=lang).fetchall() if r[0] != used]


def simulate(store: Any, config: SimulationConfig, record: bool = True) -> SimulationResult:
    """Simulate retraining on a store's baseline period and schedule; record the run unless record=False."""
    if record:
        store.require_writable("a simulator run")
    config.validate()
    if config.family == "categorical":
        config = replace(config, tokenizer=tokenizer_name(store, config.tokenizer))  # the name the run records
    baseline = load_baseline(store, config) if config.family == "categorical" else None
    if config.schedule != "observed":
        return _recorded(store, simulate_counts(baseline, config), record)
    observations, machine, lead_run, stand_ins = load_observations(store, config.lang, config.machine, config.synth_run)
    result = simulate_counts(baseline, config, observations)
    if stand_ins:  # (no `synth --lang` estimate of a period: the all-language one stands in)
        which = "any period" if len(stand_ins) == len(observations) else ", ".join(stand_ins)
        result = replace(result, notes=result.notes + [f"no synthetic share of language {config.lang} for {which}: the "
                                                       f"all-language estimates stand in ('provenance synth --lang {config.lang}' makes them)"])
    return _recorded(store, _against(result, machine, lead_run, _other_machines(store, config.lang, machine)), record)


def _recorded(store: Any, result: SimulationResult, record: bool) -> SimulationResult:
    return record_result(store, result) if record else result


def _against(result: SimulationResult, machine: str | None, lead_run: int, others: list[str]) -> SimulationResult:
    """Name the machine reference and the synth run the observed schedule follows (the run recorded with the
    name it resolved to), and the other references that estimates exist against."""
    parameters = {**result.schedule.parameters, "synth_run": lead_run}
    if machine is None:  # (estimates whose parameters name no reference: rows written by hand, or by old versions)
        return replace(result, schedule=replace(result.schedule, parameters=parameters))
    schedule = replace(result.schedule, description=f"{result.schedule.description} against machine reference {machine}",
                       parameters={**parameters, "machine": machine})
    notes = result.notes + ([f"synthetic shares exist against other machine references too ({', '.join(others)}); "
                             f"this projection follows {machine}'s: --machine NAME picks another"] if others else [])
    return replace(result, config=replace(result.config, machine=machine), schedule=schedule, notes=notes)


def record_result(store: Any, result: SimulationResult) -> SimulationResult:
    """Write the run's parameters and per generation-replicate rows; return the result with its run_id."""
    config = result.config
    with store.transaction():
        run_id = store.new_run("simulate", config.to_dict())
        store.query("simulate_insert_run", **_run_row(run_id, result))
        with registered(store.con, sim_generations_in=result.generations.to_arrow()):
            store.query("simulate_insert_generations", run_id=run_id)
        store.finish_run(run_id)
    return replace(result, run_id=run_id)


def _run_row(run_id: int, result: SimulationResult) -> dict[str, Any]:
    c, b = result.config, result.baseline
    parameters = {"config": c.to_dict(), "schedule": result.schedule.parameters, "notes": result.notes}
    return {
        "run_id": run_id, "family": c.family, "baseline": c.baseline if c.family == "categorical" else None,
        "lang": c.lang, "tokenizer": c.tokenizer, "schedule": result.schedule.kind,
        "schedule_description": result.schedule.description, "regimes": ",".join(c.regimes),
        "generations": c.generations, "tokens": c.tokens, "replicates": c.replicates,
        "temperature": c.temperature, "top_p": c.top_p, "seed": c.seed,
        "years_per_generation": c.years_per_generation, "start_year": float(result.schedule.years[0]),
        "vocabulary": b.get("vocabulary"), "baseline_tokens": b.get("tokens"), "tail_types": b.get("tail_types"),
        "parameters": json.dumps(parameters, default=str, sort_keys=True), "seconds": result.seconds,
    }


# -- simulation without a store ------------------------------------------------------------
def simulate_counts(baseline: Baseline | np.ndarray | None, config: SimulationConfig, observations: Sequence[Observation] | None = None) -> SimulationResult:
    """Simulate from P0's counts (a Baseline or an array; None for the Gaussian family), no store needed."""
    config.validate()
    started = time.perf_counter()
    if baseline is not None and not isinstance(baseline, Baseline):
        baseline = Baseline(config.baseline, [], np.asarray(baseline, dtype=np.int64))
    config = config.resolved(int(baseline.counts.sum()) if baseline is not None else None)
    years = generation_years(_start_year(config), config.years_per_generation, config.generations)
    schedule = build_schedule(config.schedule, years, config.replicates, config.seed, config.trend, observations)
    trajectories = [_run_regime(baseline, schedule, config, regime) for regime in config.regimes]
    generations = generations_frame(trajectories, years)
    described = baseline.describe(config) if baseline is not None else {"period": None, "family": "gaussian", "p0": "N(0, 1)"}
    return SimulationResult(
        config, schedule, described, generations, summarize(generations), horizons(generations, config),
        time.perf_counter() - started, notes=_notes(config, described),
    )


def _start_year(config: SimulationConfig) -> float:
    if config.start_year is not None:
        return float(config.start_year)
    if config.baseline:
        return period_year(config.baseline)
    return 0.0  # Gaussian without a calendar: "year" counts generations


def _run_regime(baseline: Baseline | None, schedule: Schedule, config: SimulationConfig, regime: str) -> Trajectories:
    if config.family == "gaussian":
        return run_gaussian(schedule.alphas, config, regime)
    if baseline is None or baseline.counts.size == 0:
        raise EstimatorError("the categorical family needs P0's token counts")
    return run_categorical(baseline.counts, schedule.alphas, config, regime)


def _notes(config: SimulationConfig, baseline: dict[str, Any]) -> list[str]:
    notes = []
    if config.family == "categorical" and baseline.get("tail_types", 0) == 0:
        notes.append(f"P0 has no type seen at least {config.tail_min_count} times: tail survival is undefined")
    if config.smoothing_k > 0:
        notes.append("add-k smoothing gives every type mass; tail survival still counts types seen in training data")
    return notes


# -- tables --------------------------------------------------------------------------------
def generations_frame(trajectories: Sequence[Trajectories], years: np.ndarray) -> pl.DataFrame:
    """Return one row per (regime, generation, replicate); undefined metrics are null."""
    frames = []
    for trajectory in trajectories:
        g1, reps = trajectory.values["alpha"].shape
        columns: dict[str, Any] = {
            "regime": [trajectory.regime] * (g1 * reps),
            "generation": np.repeat(np.arange(g1, dtype=np.int32), reps),
            "replicate": np.tile(np.arange(reps, dtype=np.int32), g1),
            "year": np.repeat(years, reps),
        }
        columns.update({name: trajectory.values[name].ravel() for name in COLUMNS})
        frames.append(pl.DataFrame(columns))
    frame = pl.concat(frames)
    return frame.with_columns(
        [pl.col(name).fill_nan(None) for name in COLUMNS]
    ).with_columns(pl.col("support").cast(pl.Int64))


def summarize(generations: pl.DataFrame) -> pl.DataFrame:
    """Return per (regime, generation): the median and the 5% and 95% quantiles over replicates.

    Quantiles interpolate linearly, as DuckDB's quantile_cont in the sim_summary view.
    """
    aggregations: list[pl.Expr] = [pl.col("year").first(), pl.len().alias("replicates")]
    for name in SUMMARY_METRICS:
        aggregations += [
            pl.col(name).quantile(0.5, interpolation="linear").alias(f"{name}_median"),
            pl.col(name).quantile(0.05, interpolation="linear").alias(f"{name}_q05"),
            pl.col(name).quantile(0.95, interpolation="linear").alias(f"{name}_q95"),
        ]
    order = {"replace": 0, "accumulate": 1}
    return (
        generations.group_by(["regime", "generation"], maintain_order=True)
        .agg(aggregations)
        .sort([pl.col("regime").replace_strict(order, default=2), "generation"])
    )


def horizons(generations: pl.DataFrame, config: SimulationConfig) -> pl.DataFrame:
    """Return the collapse horizon per regime: quantiles over replicates of the first generation
    whose tail survival is under 50%, as whole generations (inverted-CDF quantiles); null when
    that quantile does not collapse within the run, with the share of replicates that did.
    """
    rows = []
    for regime in config.regimes:
        frame = generations.filter(pl.col("regime") == regime)
        first = (
            frame.filter(pl.col("tail_survival") < COLLAPSE_THRESHOLD)
            .group_by("replicate").agg(pl.col("generation").min())
        )
        values = np.full(config.replicates, np.inf)
        values[first["replicate"].to_numpy()] = first["generation"].to_numpy()
        defined = frame["tail_survival"].null_count() < frame.height
        rows.append(_horizon_row(regime, values, config, defined))
    return pl.DataFrame(rows, schema=_HORIZON_SCHEMA, orient="row")


_HORIZON_SCHEMA = {
    "regime": pl.String, "horizon_median": pl.Int64, "horizon_q05": pl.Int64, "horizon_q95": pl.Int64,
    "year_median": pl.Float64, "year_q05": pl.Float64, "year_q95": pl.Float64, "collapsed_share": pl.Float64,
}


def _horizon_row(regime: str, values: np.ndarray, config: SimulationConfig, defined: bool) -> tuple[Any, ...]:
    if not defined:
        return (regime, None, None, None, None, None, None, None)
    quantiles = np.quantile(values, [0.5, 0.05, 0.95], method="inverted_cdf")
    gens = [int(v) if np.isfinite(v) else None for v in quantiles]
    start = _start_year(config)
    years = [start + g * config.years_per_generation if g is not None else None for g in gens]
    return (regime, *gens, *years, float(np.isfinite(values).mean()))


def side_by_side(result: SimulationResult) -> pl.DataFrame:
    """Return the printable summary: one row per generation, each metric as 'median [q05, q95]'
    with the regimes in adjacent columns."""
    metric_names = ("tail_survival", "jsd", "entropy", "kl") if result.config.family == "categorical" else ("variance", "kl", "entropy")
    short = {"tail_survival": "tail", "jsd": "JSD", "entropy": "H", "kl": "KL", "variance": "var"}
    summary = result.summary
    first = summary.filter(pl.col("regime") == result.config.regimes[0])
    columns: dict[str, list[str]] = {
        "gen": [str(g) for g in first["generation"]],
        "year": [f"{y:g}" for y in first["year"]],
        "alpha": _bands(first, "alpha"),
    }
    for name in metric_names:
        for regime in result.config.regimes:
            label = f"{short[name]} {regime}" if len(result.config.regimes) > 1 else short[name]
            columns[label] = _bands(summary.filter(pl.col("regime") == regime), name)
    return pl.DataFrame(columns)


def _bands(frame: pl.DataFrame, name: str) -> list[str]:
    out = []
    for m, lo, hi in zip(frame[f"{name}_median"], frame[f"{name}_q05"], frame[f"{name}_q95"]):
        if m is None:
            out.append("-")
        elif lo is None or hi is None or np.isclose(lo, hi, rtol=1e-9, atol=1e-12):
            out.append(f"{m:.3g}")
        else:
            out.append(f"{m:.3g} [{lo:.3g}, {hi:.3g}]")  # (at 2 digits a band printed around its median: 9.47 [9.5, 9.5])
    return out


def describe_horizons(result: SimulationResult) -> list[str]:
    """Return one sentence per regime on the collapse horizon, for the CLI to print under the table."""
    lines = []
    for row in result.horizons.iter_rows(named=True):
        if row["collapsed_share"] is None:
            continue
        if row["horizon_median"] is None:
            lines.append(f"{row['regime']}: tail survival stays >= 50% within {result.config.generations} generations in most replicates ({row['collapsed_share']:.0%} collapsed)")
            continue
        hi = "beyond the run" if row["horizon_q95"] is None else str(row["horizon_q95"])
        lines.append(
            f"{row['regime']}: collapse horizon (tail survival < 50%) at generation {row['horizon_median']} "
            f"(90% interval {row['horizon_q05']}-{hi}; year ~{row['year_median']:g}); {row['collapsed_share']:.0%} of replicates collapsed"
        )
    return lines
