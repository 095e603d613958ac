"""Run what a report needs and the metrics table lacks: estimators, the synthetic share, the simulator.

A run is reused when it matches the report: rows by year over all languages, and (drift, tails,
simulator) the report's baseline. The listings that estimators do not store (top movers, lost tail
tokens) are recomputed from a recorded run's own parameters; estimators are seeded, so they match it.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import fields, replace
from types import SimpleNamespace
from typing import Any, Callable

import polars as pl

from provenance.errors import EstimatorError
from provenance.report.config import ReportConfig

Progress = Callable[[str, int, int], None]  # (step description, steps done, steps in all)
ESTIMATORS = ("drift", "tails", "dups", "synth")


def periods(store: Any) -> list[str]:
    """Return the store's years as period strings, oldest first; raise EstimatorError if there are none."""
    years = store.query_frame("report_periods")["period"].to_list()
    if not years:
        raise EstimatorError(f"{store.path}: no documents; run 'provenance ingest' first")
    return years


def resolved(store: Any, config: ReportConfig) -> ReportConfig:
    """The config with its tokenizer as the store names it ('hf:gpt2' or a path -> 'hf:gpt2@1a2b3c4d'); an
    EstimatorError naming the store's tokenizers when it holds no such counts. 'word' is taken as it is."""
    if config.tokenizer == "word":
        return config
    from provenance.tokencounts import tokenizer_name

    return replace(config, tokenizer=tokenizer_name(store, config.tokenizer))


def resolve_baseline(store: Any, baseline: str | None, tokenizer: str = "word") -> str:
    """Return the report's baseline year: the given one, the newest drift run's (in tokenizer's counts), or the
    earliest year with tokenizer's counts (the earliest year when none has)."""
    known = periods(store)
    if baseline is not None:
        if baseline not in known:
            raise EstimatorError(f"unknown baseline year {baseline!r}; years in the store: {', '.join(known)}")
        return baseline
    row = store.query("report_drift_baseline", tokenizer=tokenizer).fetchone()
    if row and row[0] in known:
        return row[0]
    counted = [r[0] for r in store.query("report_tokenizer_years", tokenizer=tokenizer).fetchall()]
    return next((year for year in known if year in counted), known[0])  # (files ingested without that tokenizer: later)


def latest_runs(store: Any, baseline: str, tokenizer: str = "word") -> dict[str, tuple[int, dict[str, Any]]]:
    """Return estimator -> (run_id, run configuration) of the newest run usable against baseline (drift and tails:
    in tokenizer's counts)."""
    out = {}
    for name, run_id, config in store.query("report_runs", baseline=baseline, tokenizer=tokenizer).fetchall():
        out[name] = (int(run_id), json.loads(config) if config else {})
    return out


SYNTH_NAMES = ("SynthConfig", "estimate_synth", "add_reference", "add_reference_from_store", "read_texts")


def synth_api() -> Any | None:
    """Return the synthetic-share API (SYNTH_NAMES) when available, else None.

    Taken from `provenance.synth` when the package exports the names, else from its modules `estimate`
    and `references` (where they live while the package has no exports).
    """
    found: dict[str, Any] = {}
    for module in ("provenance.synth", "provenance.synth.estimate", "provenance.synth.references"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for name in SYNTH_NAMES:
            if name not in found and hasattr(mod, name):
                found[name] = getattr(mod, name)
    return SimpleNamespace(**found) if all(n in found for n in SYNTH_NAMES) else None


def synth_references(store: Any) -> dict[str, str]:
    """Return label -> name of the newest human and machine reference corpora (empty when absent)."""
    return dict(store.query("report_synth_references").fetchall())


def sim_run(store: Any, baseline: str, tokenizer: str = "word") -> dict[str, Any] | None:
    """Return the newest categorical simulator run with P0 = baseline in tokenizer's counts, or None."""
    cur = store.query("report_sim_run", baseline=baseline, tokenizer=tokenizer)
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row))


def missing_steps(store: Any, config: ReportConfig) -> list[str]:
    """Return the steps (estimator names, then 'simulate') the report still needs, in run order."""
    config = resolved(store, config)
    baseline = resolve_baseline(store, config.baseline, config.tokenizer)
    runs = latest_runs(store, baseline, config.tokenizer)
    steps = [e for e in ("drift", "tails", "dups") if e not in runs]
    synth_possible = synth_api() is not None and len(synth_references(store)) == 2
    if "synth" not in runs and synth_possible:
        steps.append("synth")
    measured = "synth" in steps or ("synth" in runs and trend_possible(store, runs["synth"][0]))
    sim = sim_run(store, baseline, config.tokenizer)
    if sim is None or (measured and (sim["schedule"] != "observed" or "synth" in steps or _follows_another(sim, runs))):
        steps.append("simulate")
    return steps


def trend_possible(store: Any, synth_run: int) -> bool:
    """Whether a synth run's estimates cover the 2 years a trend needs (the simulator's observed schedule)."""
    return store.query("report_synth_years", run_id=synth_run).fetchone()[0] >= 2


def _follows_another(sim: dict[str, Any], runs: dict[str, tuple[int, dict[str, Any]]]) -> bool:
    """Whether an observed-schedule simulator run followed another synth run than the report's (a newer run, or
    another machine reference's: the projection would contradict the synthetic shares beside it). Runs that
    recorded none (older versions) are taken as they are."""
    followed = json.loads(sim["parameters"] or "{}").get("schedule", {}).get("synth_run")
    return followed is not None and "synth" in runs and followed != runs["synth"][0]


def compute_missing(store: Any, config: ReportConfig, progress: Progress | None = None,
                    unmeasured: dict[str, str] | None = None) -> list[str]:
    """Run every missing step against the report's baseline; return the steps run (progress per step).

    A step the store cannot support (a baseline of one block for tails, too few documents) is left out
    and its reason put in `unmeasured` (step -> reason) for the report to say, instead of failing the
    report: a small store still gets its drift and duplicates."""
    config = resolved(store, config)
    baseline = resolve_baseline(store, config.baseline, config.tokenizer)
    steps = missing_steps(store, config)
    report = progress or (lambda *_: None)
    ran = []
    for i, step in enumerate(steps):
        report(step, i, len(steps))
        try:
            _RUNNERS[step](store, baseline, config)
        except EstimatorError as exc:
            if unmeasured is None:
                raise
            unmeasured[step] = str(exc)
            continue
        ran.append(step)
    report("done", len(steps), len(steps))
    return ran


def _drift(store: Any, baseline: str, config: ReportConfig) -> None:
    from provenance.estimators import DriftConfig, estimate_drift

    estimate_drift(store, DriftConfig(baseline=baseline, top=config.top, seed=config.seed, tokenizer=config.tokenizer))


def _tails(store: Any, baseline: str, config: ReportConfig) -> None:
    from provenance.estimators import TailsConfig, estimate_tails

    estimate_tails(store, TailsConfig(baseline=baseline, top=config.top, seed=config.seed, tokenizer=config.tokenizer))


def _dups(store: Any, baseline: str, config: ReportConfig) -> None:
    from provenance.estimators import DupsConfig, estimate_dups

    estimate_dups(store, DupsConfig(baseline=baseline, seed=config.seed))


def _synth(store: Any, baseline: str, config: ReportConfig) -> None:
    """Estimate the synthetic share: against the references and method of the estimates the report would have shown
    had the documents not changed since (each of their machine references, the lead's last: its table of references
    side by side stays), else against the newest human reference and the machine references (default_machine)."""
    api = synth_api()
    refs = synth_references(store)
    if api is None or len(refs) != 2:  # pragma: no cover - missing_steps checked both
        return
    again = store.query("report_synth_again").fetchall()
    if not again:  # a first run: the machine references jointly, else (too little in common: it fails) the newest alone
        joint = default_machine(store, refs["machine"])
        if joint != refs["machine"]:
            try:
                api.estimate_synth(store, api.SynthConfig(human=refs["human"], machine=joint, seed=config.seed))
                return
            except EstimatorError:  # (the families share too few words: a reference of another language)
                pass
        again = [(refs["human"], refs["machine"], "document", True)]
    for i, (human, machine, unit, calibrated) in enumerate(again):
        try:
            api.estimate_synth(store, api.SynthConfig(human=human, machine=machine, unit=unit, calibrate=calibrated, seed=config.seed))
        except EstimatorError:  # another reference's failure leaves the others, and the lead's, standing; the lead's is the step's
            if i == len(again) - 1:
                raise


MIN_FAMILY_DOCS = 50  # a machine reference joins a report's first joint estimate with at least this many documents ...
FAMILY_SIZE_RATIO = 0.1  # ... and a tenth of the largest one's


def default_machine(store: Any, newest: str) -> str:
    """What a first synth run is made against: the stored machine references jointly (`synth --machine a+b`: one
    family's reference reads another's text as human) when there are several of MIN_FAMILY_DOCS documents and a tenth
    of the largest one's, with the newest among them, and no two share documents (a pool and its members), else the
    newest alone (also when the joint estimate fails: _synth)."""
    from provenance.errors import UsageError
    from provenance.synth.estimate import families_apart
    from provenance.synth.references import joint_name

    sizes = {r["name"]: r["n_docs"] for r in store.query_frame("synth_references").to_dicts() if r["label"] == "machine"}
    # (a reference of a few documents, beside families of hundreds, would shrink the vocabulary all share to a few words)
    names = [name for name, n in sizes.items() if n >= max(MIN_FAMILY_DOCS, FAMILY_SIZE_RATIO * max(sizes.values()))]
    if len(names) < 2 or newest not in names:
        return newest
    try:
        families_apart(store, names)
    except UsageError:
        return newest
    return joint_name(names)


def _simulate(store: Any, baseline: str, config: ReportConfig) -> None:
    from provenance.simulate import SimulationConfig, simulate

    synth = latest_runs(store, baseline, config.tokenizer).get("synth")
    if synth is not None and not trend_possible(store, synth[0]):  # (a first crawl or two: the assumed share, said so)
        synth = None
    schedule = "observed" if synth else f"{config.assumed_share:g}"
    sim = SimulationConfig(baseline=baseline, schedule=schedule, regime="both", generations=config.generations,
                           replicates=config.replicates, seed=config.seed, machine=machine_of(synth),
                           synth_run=synth[0] if synth else None, tokenizer=config.tokenizer)
    simulate(store, sim.validate())


def references_of(params: dict[str, Any]) -> dict[str, Any]:
    """A synth run's human and machine references, from its configuration (older runs: flat keys)."""
    return params.get("references") or {"human": params.get("human"), "machine": params.get("machine")}


def machine_of(synth: tuple[int, dict[str, Any]] | None) -> str | None:
    """The machine reference of the report's synth run, for the projection to follow its estimates."""
    return None if synth is None else references_of(synth[1]).get("machine")


_RUNNERS: dict[str, Callable[[Any, str, ReportConfig], None]] = {
    "drift": _drift, "tails": _tails, "dups": _dups, "synth": _synth, "simulate": _simulate,
}


def listings(store: Any, runs: dict[str, tuple[int, dict[str, Any]]]) -> dict[str, pl.DataFrame]:
    """Recompute the token listings of the recorded drift and tails runs (top movers, lost tail tokens)."""
    from provenance.estimators import DriftConfig, TailsConfig, estimate_drift, estimate_tails

    out: dict[str, pl.DataFrame] = {}
    for name, cls, fn in (("drift", DriftConfig, estimate_drift), ("tails", TailsConfig, estimate_tails)):
        if name not in runs:
            continue
        params = runs[name][1]
        kwargs = {f.name: params[f.name] for f in fields(cls) if f.name in params}
        try:
            out[name] = fn(store, cls(**kwargs), record_run=False).details
        except EstimatorError:  # the store changed since the run; the metrics still stand
            continue
    return out
