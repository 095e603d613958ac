"""The report as Markdown: GitHub-flavoured tables, readable in a terminal."""
from __future__ import annotations

from typing import Any, Sequence

from provenance.report import tables
from provenance.report.fmt import alert_value, number
from provenance.report.model import Report, in_tokens


def _md(text: Any) -> str:
    """Escape a corpus string for a Markdown table cell or line: no HTML, no table breaks, no links."""
    s = " ".join(str(text).split())
    for ch in ("\\", "`", "*", "_", "[", "]", "<", ">", "|", "#"):
        s = s.replace(ch, "\\" + ch)
    return s


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(report: Report) -> str:
    """Return the report as Markdown text ending in a newline."""
    d = report.data
    out = [f"# {d['title']}", "",
           f"Store `{_md(d['store']['path'])}`: {number(d['store']['documents'], 'count')} documents, "
           f"{number(d['store']['tokens'], 'count')} tokens from {d['store']['files']} files; baseline year "
           f"{d['baseline']}; generated {d['generated_at']} by provenance {d['tool']['version']}.", ""]
    out += ["## What changed most", ""] + [f"- {_md(f['text'])}" for f in d["headline"]] + [""]
    unchecked = d.get("unchecked", [])
    if d["alerts"] or unchecked:
        out += ["## Alerts", ""] + [f"- **{a['metric']}** = {alert_value(a['metric'], a['value'])} in {a['period']} is "
                                    f"{a.get('direction', 'above')} {alert_value(a['metric'], a['threshold'])}" for a in d["alerts"]]
        out += [f"- **{u['metric']}** not measured in {u['period']}: its threshold {alert_value(u['metric'], u['threshold'])} was not checked"
                for u in unchecked] + [""]
    out += ["## Per year", ""]
    head = ["Year"] + [h for _, h in tables.YEAR_COLUMNS]
    rows = [[tables.period_label(y)] + [t for _, t in tables.year_cells(y, d["synthetic_share"])] for y in d["years"]]
    out += _table(head, rows) + [""]
    share = d["synthetic_share"]  # measured: against which references (names from the store: escaped)
    out += [f"Synthetic share {_md(share['message']) if share['status'] == 'measured' else share['message']}.", ""]
    out += _machines(d) + _projection(d) + _listings(d) + _thin(d) + _methods(d)
    if d["notes"]:
        out += ["## Notes", ""] + [f"- {_md(n)}" for n in d["notes"]] + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def _machines(d: dict[str, Any]) -> list[str]:
    head, rows = tables.machine_table(d["synthetic_share"], d["periods"])
    if not rows:
        return []
    return ["## Synthetic share against each machine reference", "",
            "The share counts text like its machine reference; each column is one reference's newest estimate "
            "[95% CI]. Their spread is the part of the answer that depends on which machines the reference has seen.", ""] + \
        _table([_md(h) for h in head], rows) + [""]


def _projection(d: dict[str, Any]) -> list[str]:
    p = d["projection"]
    out = ["## Projection: retraining on the web as it grows synthetic", ""]
    if p["status"] != "simulated":
        return out + ["No simulator run for this baseline.", ""]
    out += [f"Simulator run {p['run_id']}: P0 = {d['baseline']} ({number(p['vocabulary'], 'count')} types, "
            f"{number(p['tail_types'], 'count')} in the tail), {number(p['tokens'], 'count')} training tokens per generation, "
            f"{p['replicates']} replicates, schedule: {_md(p['schedule_description'] or p['schedule'])}.", ""]
    out += _table(["Regime", "Collapse horizon, generations [90%]", "Year", "Replicates collapsed"], tables.horizon_rows(p)) + [""]
    out += _table(["Regime", "Generation", "Tail survival [90%]", "JSD to P0 [90%]"], tables.final_generation(p)) + [""]
    return out


def _listings(d: dict[str, Any]) -> list[str]:
    out = []
    lost, movers = d["tail_tokens_lost"], d["top_movers"]
    if lost["tokens"]:
        out += [f"## Tail tokens lost by {lost['period']}", "",
                in_tokens(f"Rare words of {d['baseline']} whose chance of appearing at an equal token budget fell most.", d["tokenizer"]), ""]
        out += _table(list(tables.LOST_COLUMNS), [[_md(r[0])] + r[1:] for r in tables.lost_rows(lost)]) + [""]
    if movers["tokens"]:
        out += [in_tokens(f"## Words whose share moved most, {d['baseline']} to {movers['period']}", d["tokenizer"]), ""]
        out += _table(list(tables.MOVER_COLUMNS), [[_md(r[0])] + r[1:] for r in tables.mover_rows(movers)]) + [""]
    return out


def _thin(d: dict[str, Any]) -> list[str]:
    if not d["thin_pages"]:
        return []
    rows = [[p["period"], _md(p["url"]), number(p["tokens"], "count"), _md(p["snippet"])] for p in d["thin_pages"]]
    return ["## Thinnest pages per year", "", "The shortest documents of each year, and pages whose URL or text carries HTML markup: candidates for quality filters.", ""] + \
        _table(["Year", "URL", "Tokens", "Opening text"], rows) + [""]


def _methods(d: dict[str, Any]) -> list[str]:
    out = ["## Methods", ""]
    out += [f"- **{m['label']}** (`{key}`): {m['definition']}" for key, m in d["metrics"].items()] + [""]
    for name, run in d["methods"].items():
        run_text = f" (run {run['run_id']})" if run["run_id"] is not None else ""
        items = ", ".join(f"{k}={_md(v)}" for k, v in tables.method_items(run["parameters"]))
        out.append(f"- {name}{run_text}: {items}")
    return out + [""]
