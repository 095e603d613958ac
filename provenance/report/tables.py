"""Row-and-column views of the report model shared by the Markdown and HTML renderers."""
from __future__ import annotations

from typing import Any, Mapping

from provenance.report.fmt import cell, finite, generation_text, number

# The per-year table: (key, column heading); keys are the model's per-year keys.
YEAR_COLUMNS = (
    ("documents", "Documents"), ("tokens", "Tokens"),
    ("jsd", "JSD to baseline [95% CI]"), ("noise_floor", "Noise floor"),
    ("tail_survival", "Tail survival [95% CI]"),
    ("exact_dup_rate", "Exact dups"), ("near_dup_rate", "Near dups"), ("carryover_rate", "Carry-over"),
    ("synthetic_share", "Synthetic share [95% CI]"),
)


def period_label(row: Mapping[str, Any]) -> str:
    """Return a year's label: '2013 (baseline)' for the baseline."""
    return f"{row['period']} (baseline)" if row["is_baseline"] else str(row["period"])


def year_cells(row: Mapping[str, Any], synth_status: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (metric key, text) for every column of a year's row."""
    out = []
    for key, _ in YEAR_COLUMNS:
        if key == "synthetic_share" and synth_status["status"] != "measured":
            out.append((key, "not measured"))
        else:
            out.append((key, cell(key, row.get(key))))
    return out


def own_and_others(synth_status: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """Return the machine references compared (synthetic_share.machines): the report's own run's entry (None when
    there is no comparison), and the others."""
    machines = synth_status.get("machines") or []
    own = next((m for m in machines if m["run_id"] == synth_status["run_id"]), None)
    return own, [m for m in machines if m is not own]


def machine_table(synth_status: Mapping[str, Any], periods: list[str]) -> tuple[list[str], list[list[str]]]:
    """Return (heading, rows) of the synthetic share per period against each machine reference (none: [], [])."""
    machines = synth_status.get("machines") or []
    if not machines:
        return [], []
    head = ["Year"] + [f"{m['machine']} (run {m['run_id']})" for m in machines]
    rows = [[p] + [cell("synthetic_share", m["periods"].get(p)) for m in machines]
            for p in periods if any(p in m["periods"] for m in machines)]
    return head, rows


def horizon_rows(projection: Mapping[str, Any]) -> list[list[str]]:
    """Return rows (regime, horizon [90% interval], year, share collapsed) for the projection table."""
    rows = []
    for r in projection["regimes"]:
        horizon = generation_text(r["horizon_median"])
        if r["horizon_median"] is not None or r["horizon_q05"] is not None:  # (a median beyond the run, some replicates within it)
            horizon += f" [{generation_text(r['horizon_q05'])}, {generation_text(r['horizon_q95'])}]"
        year = f"{r['horizon_year_median']:.0f}" if finite(r.get("horizon_year_median")) else "–"
        rows.append([r["regime"], horizon, year, number(r["collapsed_share"], "share")])
    return rows


def final_generation(projection: Mapping[str, Any]) -> list[list[str]]:
    """Return rows (regime, generation, tail survival [90%], JSD to P0 [90%]) at the last generation."""
    rows = []
    for regime in [r["regime"] for r in projection["regimes"]]:
        pts = [s for s in projection["series"] if s["regime"] == regime]
        if not pts:
            continue
        s = pts[-1]
        ts, j = s["tail_survival"], s["jsd"]
        rows.append([regime, str(s["generation"]),
                     f"{number(ts['median'], 'percent')} [{number(ts['q05'], 'percent')}, {number(ts['q95'], 'percent')}]",
                     f"{number(j['median'], 'jsd')} [{number(j['q05'], 'jsd')}, {number(j['q95'], 'jsd')}]"])
    return rows


LOST_COLUMNS = ("Token", "Baseline count", "Count", "P(seen), baseline", "P(seen), now")
MOVER_COLUMNS = ("Token", "Baseline count", "Count", "Baseline share", "Share", "log2 ratio")


def lost_rows(listing: Mapping[str, Any]) -> list[list[str]]:
    """Return the lost tail tokens as text rows."""
    return [[str(t["token"]), number(t["baseline_count"], "count"), number(t["count"], "count"),
             number(t["p_seen_baseline"], "percent"), number(t["p_seen"], "percent")] for t in listing["tokens"]]


def mover_rows(listing: Mapping[str, Any]) -> list[list[str]]:
    """Return the top movers as text rows."""
    return [[str(t["token"]), number(t["baseline_count"], "count"), number(t["count"], "count"),
             f"{100 * t['baseline_share']:.3f}%", f"{100 * t['share']:.3f}%", f"{t['log2_ratio']:+.2f}"]
            for t in listing["tokens"]]


def method_items(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (name, value text) pairs of a run's parameters, sorted by name."""
    out = []
    for k in sorted(params):
        v = params[k]
        if isinstance(v, (list, tuple)):
            text = ", ".join(str(x) for x in v) or "none"
        else:
            text = "none" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
        out.append((k, text))
    return out
