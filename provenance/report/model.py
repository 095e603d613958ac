"""The report model: one frozen, JSON-ready document built from the store's views and metrics.

The Markdown, HTML and JSON renderers all read `Report.data`, so they cannot disagree. Keys are
stable (docs/report.md documents them; `schema_version` changes when one is removed or renamed),
rows are sorted, floats are rounded to 6 significant digits, and the clock is injectable.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

import polars as pl

from provenance.report import compute, tables
from provenance.report.config import ReportConfig
from provenance.report.definitions import YEAR_METRICS
from provenance.report.fmt import finite, generation_text, number
from provenance.report.monitoring import (SMALL_YEAR, check_threshold_metrics, check_thresholds, headline_year,
                                          small_years, unchecked_thresholds)

SCHEMA_VERSION = 1
COUNT_KEYS = ("documents", "tokens")
SYNTH_HINT = "not measured: add references with `provenance reference ...`"
_VOLATILE = {"seconds", "db", "created_at"}


@dataclass(frozen=True)
class Report:
    """A built report: `data` is the JSON document every renderer reads."""

    data: Mapping[str, Any]

    @property
    def years(self) -> list[dict[str, Any]]:
        return list(self.data["years"])

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return list(self.data["alerts"])

    @property
    def unchecked(self) -> list[dict[str, Any]]:
        """Thresholds that could not be checked in a year (no value there); see unchecked_thresholds."""
        return list(self.data.get("unchecked", []))

    @property
    def failed(self) -> bool:
        """Whether a monitoring run fails: a threshold crossed, or one the newest year has no value to check."""
        return bool(self.alerts) or any(u["latest"] for u in self.unchecked)


def utc_now() -> datetime:
    """Return the current UTC time (the default clock)."""
    return datetime.now(timezone.utc)


def build_report(store: Any, config: ReportConfig, clock: Callable[[], datetime] = utc_now,
                 unmeasured: Mapping[str, str] | None = None) -> Report:
    """Build the report model from the store (views, metrics, simulator tables); never writes.

    unmeasured: steps compute_missing could not run (step -> reason), said in the notes."""
    config.validate()
    check_threshold_metrics(config.thresholds)
    check_threshold_metrics(config.floors, "--fail-below")
    config = compute.resolved(store, config)
    baseline = compute.resolve_baseline(store, config.baseline, config.tokenizer)
    runs = compute.latest_runs(store, baseline, config.tokenizer)
    metrics = _metric_rows(store, runs)
    years = _year_rows(store, metrics, baseline)
    listing = compute.listings(store, runs)
    sim = compute.sim_run(store, baseline, config.tokenizer)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "title": f"How the web drifted: {years[0]['period']}–{years[-1]['period']}",
        "generated_at": clock().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "provenance", "version": _version()},
        "store": _store_info(store),
        "baseline": baseline,
        "tokenizer": config.tokenizer,
        "periods": [y["period"] for y in years],
        "metrics": {k: {"label": v[2], "estimator": v[0], "format": v[3], "higher_means": v[4],
                        "definition": in_tokens(v[5], config.tokenizer)}
                    for k, v in YEAR_METRICS.items()},
        "years": years,
        "synthetic_share": _synth_status(runs, store),
        "projection": _projection(store, sim),
        "tail_tokens_lost": _listing(listing.get("tails"), years, baseline, config.top,
                                     ("token", "baseline_count", "count", "p_seen_baseline", "p_seen", "drop")),
        "top_movers": _listing(listing.get("drift"), years, baseline, config.top,
                               ("token", "baseline_count", "count", "baseline_share", "share", "log2_ratio")),
        "thin_pages": _thin_pages(store, config),
        "methods": _methods(runs, sim, config),
    }
    data["headline"] = headline(data)
    data["alerts"] = check_thresholds(data, config.thresholds, config.floors)
    data["unchecked"] = unchecked_thresholds(data, (*config.thresholds, *config.floors))
    data["notes"] = _notes(data, runs, unmeasured or {}, store.query("report_sample_rates").fetchall()) + _reused_projection(data["projection"], baseline, config, runs.get("synth"))
    return Report(_clean(data))


# -- pieces ---------------------------------------------------------------------------------------
def _version() -> str:
    from provenance import __version__

    return __version__


def _store_info(store: Any) -> dict[str, Any]:
    files, documents, tokens, errors, _ = store.query("report_store_info").fetchone()
    path = store.path if store.path == ":memory:" else os.path.basename(store.path)
    return {"path": path, "files": int(files), "documents": int(documents), "tokens": int(tokens),
            "ingest_errors": int(errors)}


def _metric_rows(store: Any, runs: dict[str, tuple[int, dict[str, Any]]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    ids = [run_id for run_id, _ in runs.values()]
    if not ids:
        return {}
    rows = store.query_frame("report_metrics", run_ids=ids).to_dicts()
    return {(r["estimator"], r["metric"], r["period"]): {k: r[k] for k in ("value", "ci_low", "ci_high")} for r in rows}


def _year_rows(store: Any, metrics: dict[tuple[str, str, str], dict[str, Any]], baseline: str) -> list[dict[str, Any]]:
    rows = []
    for r in store.query_frame("report_periods").to_dicts():
        row = {"period": r["period"], "is_baseline": r["period"] == baseline, "crawls": r["crawls"] or "",
               "documents": int(r["documents"]), "tokens": int(r["tokens"] or 0)}
        for key, (estimator, metric, *_rest) in YEAR_METRICS.items():
            row[key] = metrics.get((estimator, metric, r["period"]))
        rows.append(row)
    return rows


def _synth_status(runs: dict[str, tuple[int, dict[str, Any]]], store: Any) -> dict[str, Any]:
    if "synth" in runs:
        run_id, params = runs["synth"]
        refs = compute.references_of(params)
        against = (f" against references {refs.get('human')} (human) and {refs.get('machine')} (machine)"
                   if refs.get("human") and refs.get("machine") else f" (synth run {run_id})")  # (rows written by hand)
        status = {"status": "measured", "message": f"measured{against}", "run_id": run_id,
                  **({"machine": refs["machine"]} if refs.get("machine") else {})}
        if not store.query("report_synth_years", run_id=run_id).fetchone()[0]:  # (a run without any estimate)
            status.update(status="not measured", message=f"not measured: synth run {run_id}{against} has no estimate for any "
                          "year (each year's documents are all in a reference, or hold too few words of the references)")
        stored = set(store.query_frame("synth_references")["name"].to_list())
        named = [refs.get("human"), *(refs.get("machines") or [refs.get("machine")])]
        gone = [name for name in named if name and name not in stored]
        if gone:  # (reference remove: its estimates stay, and are no longer made again)
            status["references_removed"] = gone
        families = {period: json.loads(parts) for period, parts in store.query("report_synth_families", run_id=run_id).fetchall()}
        if families:  # a joint estimate (`synth --machine a+b`): each family's part, per year
            status["families"] = families
        machines, rebuilt = _synth_machines(store, run_id)
        if rebuilt:  # (reference add --replace of a reference compared side by side: its estimates are of the old texts)
            status["not_compared"] = [{"machine": machine, "human": refs.get("human")} for machine in rebuilt]
        return {**status, "machines": machines} if len(machines) > 1 else status
    message = SYNTH_HINT
    if len(compute.synth_references(store)) == 2 and compute.synth_api() is None:
        message = "not measured: the synthetic-share estimator is not available in this installation"
    return {"status": "not measured", "message": message, "run_id": None}


def _synth_machines(store: Any, own_run: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The newest yearly estimates against each machine reference measured as the report's run was (its human
    reference, unit and calibration; `synth --machine a,b,c`), newest run first: the report's own run is one of them;
    and the machine references whose newest such run was made before one of its references was made again (not
    compared)."""
    machines: dict[str, dict[str, Any]] = {}
    stale: list[str] = []
    for machine, run_id, period, value, low, high, old in store.query("report_synth_machines", run_id=own_run).fetchall():
        if old:
            if machine not in stale:
                stale.append(machine)
            continue
        entry = machines.setdefault(machine, {"machine": machine, "run_id": int(run_id), "periods": {}})
        entry["periods"][period] = {k: v if finite(v) else None for k, v in (("value", value), ("ci_low", low), ("ci_high", high))}
    return list(machines.values()), stale


def _projection(store: Any, sim: dict[str, Any] | None) -> dict[str, Any]:
    if sim is None:
        return {"status": "not run", "run_id": None, "regimes": [], "series": []}
    run_id = int(sim["run_id"])
    series = [{"regime": r["regime"], "generation": int(r["generation"]), "year": r["year"], "alpha": r["alpha"],
               "tail_survival": {"median": r["tail_survival_median"], "q05": r["tail_survival_q05"], "q95": r["tail_survival_q95"]},
               "jsd": {"median": r["jsd_median"], "q05": r["jsd_q05"], "q95": r["jsd_q95"]}}
              for r in store.query_frame("report_sim_series", run_id=run_id).to_dicts()]
    horizons = store.query_frame("report_sim_horizons", run_id=run_id)
    regimes = [_horizon(name, horizons.filter(pl.col("regime") == name), int(sim["generations"]),
                        any(r["tail_survival"]["median"] is not None for r in series if r["regime"] == name))
               for name in str(sim["regimes"]).split(",")]
    order = {name: i for i, name in enumerate(str(sim["regimes"]).split(","))}
    series.sort(key=lambda r: (order.get(r["regime"], 99), r["generation"]))
    keys = ("schedule", "schedule_description", "generations", "tokens", "replicates", "temperature", "top_p",
            "seed", "years_per_generation", "start_year", "vocabulary", "baseline_tokens", "tail_types")
    return {"status": "simulated", "run_id": run_id, **{k: sim[k] for k in keys}, "regimes": regimes, "series": series}


def _horizon(regime: str, frame: pl.DataFrame, generations: int, tail: bool = True) -> dict[str, Any]:
    """Median and 90% interval of the collapse horizon over replicates; None = beyond the run. Without a tail to follow
    (P0 has no type seen often enough: tail survival is NULL throughout) no replicate can collapse: no share either."""
    if not tail:
        return {"regime": regime, "horizon_median": None, "horizon_q05": None, "horizon_q95": None, "horizon_year_median": None,
                "collapsed_share": None, "replicates": frame.height, "generations": generations, "tail": False}
    values = sorted((h for h in frame["horizon"].to_list()), key=lambda h: math.inf if h is None else h)
    years = {h: y for h, y in zip(frame["horizon"].to_list(), frame["horizon_year"].to_list()) if h is not None}
    n = len(values)

    def q(p: float) -> int | None:  # inverted-CDF quantile; never-collapsed replicates sort last
        return values[max(0, math.ceil(p * n) - 1)] if n else None

    collapsed = sum(h is not None for h in values)
    median = q(0.5)
    return {"regime": regime, "horizon_median": median, "horizon_q05": q(0.05), "horizon_q95": q(0.95),
            "horizon_year_median": years.get(median) if median is not None else None,
            "collapsed_share": collapsed / n if n else None, "replicates": n, "generations": generations, "tail": True}


def _listing(details: pl.DataFrame | None, years: list[dict[str, Any]], baseline: str, top: int,
             columns: Sequence[str]) -> dict[str, Any]:
    latest = years[-1]["period"]
    if details is None or latest == baseline or details.height == 0:
        return {"period": None if latest == baseline else latest, "tokens": []}
    rows = details.filter((pl.col("period") == latest) & pl.col("lang").is_null()).head(top)
    return {"period": latest, "tokens": [{c: r[c] for c in columns} for r in rows.to_dicts()]}


def _thin_pages(store: Any, config: ReportConfig) -> list[dict[str, Any]]:
    if config.thin_pages == 0:
        return []
    rows = store.query_frame("report_thin_pages", per_period=config.thin_pages, chars=config.snippet_chars).to_dicts()
    return [{"period": r["period"], "url": r["url"] or "", "tokens": int(r["tokens"] or 0),
             "snippet": " ".join((r["snippet"] or "").split())} for r in rows]


def _methods(runs: dict[str, tuple[int, dict[str, Any]]], sim: dict[str, Any] | None, config: ReportConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in compute.ESTIMATORS:
        if name in runs:
            run_id, params = runs[name]
            out[name] = {"run_id": run_id, "parameters": _stable(params)}
    if sim is not None:
        params = json.loads(sim["parameters"]) if sim.get("parameters") else {}
        out["simulate"] = {"run_id": int(sim["run_id"]), "parameters": _stable(params.get("config", params))}
    out["report"] = {"run_id": None, "parameters": _stable(config.to_dict())}
    return out


def _stable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in sorted(params) if k not in _VOLATILE}


# -- headline ------------------------------------------------------------------------------------------
_HEADLINE_KEYS = ("near_dup_rate", "carryover_rate", "excess_jsd", "tail_survival", "synthetic_share", "exact_dup_rate")


def headline(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the findings, largest standardized change first: first year (baseline for drift and
    tails) against the latest, with the change in units of the latest year's interval half-width."""
    years, baseline = data["years"], data["baseline"]
    if len(years) < 2:
        return []
    last = headline_year(years)
    out = []
    for key in _HEADLINE_KEYS:
        measured = [y for y in years if y.get(key) and finite(y[key].get("value"))]
        if key in ("excess_jsd", "tail_survival"):
            measured = [y for y in measured if y["period"] == baseline]
        if not measured:
            continue
        first = measured[0]  # the earliest year with a value (the baseline for drift and tails)
        a, b = first.get(key), last.get(key)
        if first is last or not a or not b or not finite(a.get("value")) or not finite(b.get("value")):
            continue
        change = b["value"] - a["value"]
        if change == 0:  # nothing changed: not a finding
            continue
        half = (b["ci_high"] - b["ci_low"]) / 2 if finite(b.get("ci_low")) and finite(b.get("ci_high")) else 0.0
        score = abs(change) / half if half > 0 else 0.0  # no interval to size it against: listed last (it ranked first)
        out.append({"metric": key, "from": {"period": first["period"], "value": a["value"]},
                    "to": {"period": last["period"], **b}, "change": change,
                    "score": min(score, 1e6),
                    "text": in_tokens(_sentence(key, first["period"], a, last["period"], b, change), data.get("tokenizer", "word"))})
    out.sort(key=lambda f: (-f["score"], f["metric"]))
    projection = data["projection"]
    if projection["status"] == "simulated":
        out.append({"metric": "collapse_horizon", "from": None, "to": None, "change": None, "score": None,
                    "text": _projection_sentence(projection)})
    return out


_WORDS = re.compile(r"\b(?:(word distribution)|(rare-but-real words)|(rare words)|(Rare words)|(Words whose))\b")
_TOKENS = ("token distribution", "rare-but-real tokens", "rare tokens", "Rare tokens", "Tokens whose")


def in_tokens(text: str, tokenizer: str) -> str:
    """A sentence about the word tokenizer's counts, said of another tokenizer's (its units are tokens, not words)."""
    if tokenizer == "word":
        return text
    return _WORDS.sub(lambda m: _TOKENS[m.lastindex - 1], text)


def _sentence(key: str, p0: str, a: Mapping[str, Any], p1: str, b: Mapping[str, Any], change: float) -> str:
    kind = YEAR_METRICS[key][3]
    v1 = number(b["value"], kind)
    ci = (f" (95% interval {number(b['ci_low'], kind)} to {number(b['ci_high'], kind)})"
          if finite(b.get("ci_low")) and finite(b.get("ci_high")) else "")
    v0 = number(a["value"], kind)
    verb = "rose" if change > 0 else "fell"
    if key == "near_dup_rate":
        return f"Near-duplicates {verb} from {v0} of documents in {p0} to {v1} in {p1}{ci}."
    if key == "exact_dup_rate":
        return f"Exact duplicates {verb} from {v0} of documents in {p0} to {v1} in {p1}{ci}."
    if key == "carryover_rate":
        return f"{v1} of {p1}'s documents repeat a page from an earlier year{ci}; {p0}: {v0}."
    if key == "excess_jsd":
        if b["value"] <= 0 or (finite(b.get("ci_low")) and b["ci_low"] <= 0):
            return f"{p1}'s word distribution is within sampling noise of {p0}'s: {v1} bits of excess Jensen-Shannon divergence{ci}."
        return (f"The word distribution drifted: {p1} is {v1} bits of Jensen-Shannon divergence from {p0} beyond "
                f"sampling noise{ci}.")
    if key == "tail_survival":
        return f"{p1} sees {v1} as many of {p0}'s rare words as {p0} itself does{ci}."
    return f"The synthetic share {verb} from {v0} in {p0} to {v1} in {p1}{ci}."


def _projection_sentence(p: Mapping[str, Any]) -> str:
    parts = []
    for r in p["regimes"]:
        if not r.get("tail", True):  # (it said "the tail never falls below 50%": there was no tail)
            parts.append(f"under {r['regime']}, no tail to follow (the baseline has no type seen often enough)")
        elif r["horizon_median"] is None and finite(r.get("collapsed_share")) and r["collapsed_share"] > 0:
            parts.append(f"under {r['regime']}, the tail stays above 50% within {p['generations']} generations in most "
                         f"replicates ({number(r['collapsed_share'], 'share')} fell below it)")
        elif r["horizon_median"] is None:
            parts.append(f"under {r['regime']}, the tail never falls below 50% within {p['generations']} generations")
        else:
            year = f" (year {r['horizon_year_median']:.0f})" if finite(r.get("horizon_year_median")) else ""
            parts.append(f"under {r['regime']}, a model retrained every generation loses half the tail after "
                         f"{generation_text(r['horizon_median'])} generations{year}")
    schedule = p.get("schedule_description") or p.get("schedule")
    return f"Projection ({schedule}): " + "; ".join(parts) + "."


def _notes(data: Mapping[str, Any], runs: dict[str, tuple[int, dict[str, Any]]], unmeasured: Mapping[str, str],
           sampled: Sequence[tuple[str, str]] = ()) -> list[str]:
    """What is missing or assumed, and what the numbers do not say (sampled: report_sample_rates' rows)."""
    notes = []
    for name in ("drift", "tails", "dups"):
        if name in unmeasured:
            notes.append(f"{name}: not measured: {unmeasured[name]}")
        elif name not in runs:
            notes.append(f"{name}: no run in the metrics table for this baseline; run 'provenance report' "
                         f"(it computes missing estimates) or 'provenance {name}'")
    if sampled:
        listed = "; ".join(f"{period}: {rates}" for period, rates in sampled)
        notes.append(f"the years were ingested at different --sample-rate ({listed}; 1.0: every document): a sampled "
                     "year's duplicate rates count copies within its sample only, and its fewer tokens set a smaller "
                     "budget for every year's drift and tails; compare years sampled alike")
    newest, left_out = headline_year(data["years"])["period"], small_years(data["years"]) if data["headline"] else set()
    small = [y for y in data["years"] if y["period"] in left_out and y["period"] > newest]
    if small:
        listed = ", ".join(f"{y['period']} ({y['documents']:,} documents)" for y in small)
        notes.append(f"{listed}: left out of the headline, under {SMALL_YEAR:.0%} of the median year's documents (a few "
                     "pages of a stray crawl id, or a sampled file?); the table has its row")
    if data["tokenizer"] != "word":
        notes.append(f"drift, the tail vocabulary and the projection read the token counts of {data['tokenizer']}; the "
                     "Tokens column counts words (the default word tokenizer's)")
    spread = _machine_spread(data)
    if spread:
        notes.append(spread)
    notes.extend(_families_note(data, runs.get("synth")))
    share = data["synthetic_share"]
    if share.get("references_removed"):
        gone = ", ".join(share["references_removed"])
        notes.append(f"the synthetic share is synth run {share['run_id']}'s, against reference(s) no longer stored ({gone}: "
                     "'provenance reference remove'): after the next crawl the report estimates it against the references still "
                     "stored instead")
    for entry in share.get("not_compared") or []:
        notes.append(f"the estimates against {entry['machine']} were made before one of its references was made again "
                     f"('reference add --replace'), and are not compared: 'provenance synth --human {entry['human']} --machine "
                     f"{entry['machine']}' makes them again")
    for name in ("synth", "simulate"):
        if name in unmeasured:
            notes.append(f"{name}: not measured: {unmeasured[name]}")
    if data["projection"]["status"] != "simulated":
        if "simulate" not in unmeasured:
            notes.append("no simulator run for this baseline; run 'provenance report' or 'provenance simulate'")
    elif data["synthetic_share"]["status"] != "measured":
        p = data["projection"]
        notes.append(f"the projection assumes a synthetic share ({p.get('schedule_description') or p.get('schedule')}) "
                     "because none was measured")
    elif data["projection"].get("schedule") != "observed":
        p = data["projection"]
        notes.append(f"the projection assumes a synthetic share ({p.get('schedule_description') or p.get('schedule')}): "
                     "the measured shares cover fewer than the 2 years a trend needs")
    return notes


def _reused_projection(p: Mapping[str, Any], baseline: str, config: ReportConfig, synth: tuple[int, dict[str, Any]] | None) -> list[str]:
    """A note when the projection is a simulator run of other generations or replicates than the report's own
    (the newest run for the baseline is reused: one a user ran by hand with a few replicates, say), with the command
    that makes one as the report would (observed shares of its synth run's machine reference, else the assumed share)."""
    if p["status"] != "simulated" or (p["generations"], p["replicates"]) == (config.generations, config.replicates):
        return []
    machine = compute.machine_of(synth)
    schedule = (f" --machine {machine}" if machine else "") if synth else f" --schedule {config.assumed_share:g}"
    return [f"the projection is simulator run {p['run_id']} ({p['generations']} generations, {p['replicates']} replicates), "
            f"the newest for baseline {baseline}, not one of the report's {config.generations} generations and "
            f"{config.replicates} replicates: 'provenance simulate --baseline {baseline}{schedule} --generations "
            f"{config.generations} --replicates {config.replicates}' makes one"]


def family_split(data: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """A joint estimate's latest year with a split into its families, and that split ({name: {share, ci_low, ci_high}});
    (None, {}) for an estimate against one machine reference."""
    families = data["synthetic_share"].get("families") or {}
    latest = next((y["period"] for y in reversed(data["years"]) if y["period"] in families), None)
    return latest, families.get(latest, {}) if latest is not None else {}


def _families_note(data: Mapping[str, Any], synth: tuple[int, dict[str, Any]] | None) -> list[str]:
    """What the share counts: a joint estimate's split into its families in the latest year that has one; of one machine
    reference alone, that text of families it has not seen reads as human (unless references are set side by side:
    their spread says it, _machine_spread)."""
    share = data["synthetic_share"]
    if synth is None or share["status"] != "measured":
        return []
    latest, parts = family_split(data)
    if latest is not None:
        listed = ", ".join(f"{name} {number(p.get('share'), 'percent')} [{number(p.get('ci_low'), 'percent')}, "
                           f"{number(p.get('ci_high'), 'percent')}]" for name, p in parts.items())
        return [f"the synthetic share is estimated against {len(parts)} machine families jointly; in {latest} "
                f"their parts (the share split among them) are {listed}; each part is noisier than the share, and text of "
                "a family none of the references is like still reads as human"]
    machine = compute.references_of(synth[1]).get("machine")
    if share.get("machines") or share.get("not_compared") or not machine:
        return []
    return [f"the synthetic share counts text like the machine reference {machine}'s: text of model families it has not "
            "seen reads as human (30% of Claude-written pages read as 2-4% against a SmolLM2 reference: docs/metrics.md); "
            f"'provenance synth --machine {machine}+OTHER' estimates it against several families jointly"]


def _machine_spread(data: Mapping[str, Any]) -> str | None:
    """How far the latest period's share moves with the machine reference, when several were measured."""
    machines = data["synthetic_share"].get("machines") or []

    def values_in(period: str) -> list[tuple[float, str]]:
        return sorted((m["periods"][period]["value"], m["machine"]) for m in machines
                      if (m["periods"].get(period) or {}).get("value") is not None)

    latest, values = next(((y["period"], v) for y in reversed(data["years"]) if len(v := values_in(y["period"])) > 1), (None, []))
    if latest is None:
        return None
    (low, low_name), (high, high_name) = values[0], values[-1]
    own = tables.own_and_others(data["synthetic_share"])[0]
    uses = (f"the per-year table, the headline and the projection use {own['machine'] if own else 'the newest'} "
            f"(synth run {data['synthetic_share']['run_id']}, the newest)")
    if number(low, "percent") == number(high, "percent"):
        return f"the synthetic share in {latest} reads {number(low, 'percent')} against each of {len(values)} machine references; {uses}"
    return (f"the synthetic share depends on which machines the reference has seen: in {latest} it reads "
            f"{number(low, 'percent')} against {low_name} and {number(high, 'percent')} against {high_name} "
            f"({len(values)} machine references); {uses}")


# -- cleaning ------------------------------------------------------------------------------------------
def _clean(obj: Any) -> Any:
    """Round floats to 6 significant digits, NaN/inf to None, tuples to lists (stable JSON)."""
    if isinstance(obj, float):
        return float(f"{obj:.6g}") if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.strftime("%Y-%m-%dT%H:%M:%S")
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        return _clean(obj.item())
    return obj
