"""The report as one self-contained HTML file: inline CSS and SVG charts, no script, no network.

Every string goes through html.escape (corpus URLs, tokens and text included), and a strict
Content-Security-Policy forbids scripts and remote loads as a second line of defence.
"""
from __future__ import annotations

import html
from typing import Any, Mapping, Sequence

from provenance.report import svg, tables
from provenance.report.fmt import alert_value, number
from provenance.report.model import Report, in_tokens

TEXT = ' class="text"'
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body{font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;font-size:13px;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:12px 14px;background:#fff}
.card .big{font-size:24px;font-weight:600}.card .what{color:#57606a;font-size:13px}
.card p{margin:6px 0 0;font-size:14px}
.alerts{border:1px solid #d1242f;background:#ffebe9;border-radius:8px;padding:8px 14px}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
#year-table td{white-space:nowrap;padding:4px 5px}#year-table{font-size:12px}.scroll{overflow-x:auto}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f6f8fa}td.text,th.text{text-align:left}
tr.baseline td{background:#f6f8fa}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
figure.chart{margin:0;border:1px solid #d0d7de;border-radius:8px;padding:8px}
figure.chart .chart-title{font-weight:600;font-size:14px;margin:0 0 2px}
figure.chart figcaption{font-size:13px;color:#57606a;margin-top:4px}
svg text{font:11px -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;fill:#57606a}
svg text.legend{fill:#1f2328;font-size:12px}svg text.axis{font-size:12px}
.snippet{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.muted{color:#57606a}dl.params{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px}
dl.params dt{font-family:ui-monospace,Menlo,Consolas,monospace}dl.params dd{margin:0}
"""


def e(text: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if text is None else str(text), quote=True)


def render_html(report: Report) -> str:
    """Return the report as a self-contained HTML document."""
    d = report.data
    body = [f"<h1>{e(d['title'])}</h1>",
            f"<p class=\"meta\">Store <code>{e(d['store']['path'])}</code>: {e(number(d['store']['documents'], 'count'))} "
            f"documents, {e(number(d['store']['tokens'], 'count'))} tokens from {e(d['store']['files'])} files. "
            f"Baseline year {e(d['baseline'])}. Generated {e(d['generated_at'])} by provenance {e(d['tool']['version'])}.</p>"]
    body += _headline(d) + _alerts(d) + _years(d) + _charts(d) + _projection(d) + _listings(d) + _thin(d) + _methods(d)
    if d["notes"]:
        body += ["<h2 id=\"notes\">Notes</h2>", "<ul>"] + [f"<li>{e(n)}</li>" for n in d["notes"]] + ["</ul>"]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(d['title'])}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
        *body, "</main>", "</body>", "</html>", ""])


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], text_cols: Sequence[int] = (0,), cls: str = "") -> list[str]:
    def td(i: int, v: str, tag: str) -> str:
        cls_attr = ' class="text"' if i in text_cols else ""
        return f"<{tag}{cls_attr}>{e(v)}</{tag}>"

    out = [f'<table class="{e(cls)}">' if cls else "<table>", "<thead><tr>" + "".join(td(i, h, "th") for i, h in enumerate(head)) + "</tr></thead>", "<tbody>"]
    out += ["<tr>" + "".join(td(i, v, "td") for i, v in enumerate(r)) + "</tr>" for r in rows]
    return out + ["</tbody></table>"]


def _headline(d: Mapping[str, Any]) -> list[str]:
    out = ['<h2 id="headline">What changed most</h2>', '<div class="cards">']
    for f in d["headline"]:
        if f["metric"] == "collapse_horizon":
            big, label = "projection", "retraining simulator"
        else:
            m = d["metrics"][f["metric"]]
            big, label = number(f["to"]["value"], m["format"]), f"{m['label']} in {f['to']['period']}"
        out.append(f'<div class="card" data-metric="{e(f["metric"])}"><div class="big">{e(big)}</div>'
                   f'<div class="what">{e(label)}</div><p>{e(f["text"])}</p></div>')
    return out + ["</div>"]


def _alerts(d: Mapping[str, Any]) -> list[str]:
    unchecked = d.get("unchecked", [])
    if not d["alerts"] and not unchecked:
        return []
    items = []
    for a in d["alerts"]:
        value, limit = alert_value(a["metric"], a["value"]), alert_value(a["metric"], a["threshold"])
        items.append(f"<li><strong>{e(a['metric'])}</strong> = {e(value)} in {e(a['period'])} is {e(a.get('direction', 'above'))} {e(limit)}</li>")
    for u in unchecked:
        items.append(f"<li><strong>{e(u['metric'])}</strong> not measured in {e(u['period'])}: its threshold "
                     f"{e(alert_value(u['metric'], u['threshold']))} was not checked</li>")
    return ['<h2 id="alerts">Alerts</h2>', '<div class="alerts"><ul>'] + items + ["</ul></div>"]


def _years(d: Mapping[str, Any]) -> list[str]:
    head = ["Year"] + [h for _, h in tables.YEAR_COLUMNS]
    out = ['<h2 id="years">Per year</h2>', '<div class="scroll"><table id="year-table">',
           "<thead><tr>" + "".join(f"<th{TEXT if i == 0 else ''}>{e(h)}</th>" for i, h in enumerate(head)) + "</tr></thead>",
           "<tbody>"]
    for y in d["years"]:
        cls = ' class="baseline"' if y["is_baseline"] else ""
        cells = "".join(f'<td data-metric="{e(k)}">{e(t)}</td>' for k, t in tables.year_cells(y, d["synthetic_share"]))
        out.append(f'<tr data-period="{e(y["period"])}"{cls}><td class="text" data-metric="period">{e(tables.period_label(y))}</td>{cells}</tr>')
    out.append("</tbody></table></div>")
    out.append('<p class="muted">Brackets: 95% confidence intervals. JSD and tail survival compare each year with the '
               "baseline at an equal token budget; the baseline row compares the baseline with itself.</p>")
    # (measured: against which references, as the share is the share of text like the machine reference's)
    out.append(f'<p class="muted">Synthetic share {e(d["synthetic_share"]["message"])}.</p>')
    return out + _machines(d)


def _machines(d: Mapping[str, Any]) -> list[str]:
    head, rows = tables.machine_table(d["synthetic_share"], d["periods"])
    if not rows:
        return []
    return ['<h3 id="synth-machines">Synthetic share against each machine reference</h3>',
            '<p class="muted">The share counts text like its machine reference; each column is one reference\'s newest '
            "estimate [95% CI]. Their spread is the part of the answer that depends on which machines the reference has seen.</p>",
            '<div class="scroll">'] + _table(head, rows, cls="synth-machines") + ["</div>"]


CHART_MACHINES = 3  # dashed lines for other machine references, at most (the table has them all)
LEGEND_NAME = 16  # characters of a reference's name in the legend, which holds one row


def _machine_series(d: Mapping[str, Any], labels: list[str]) -> list[svg.Series]:
    """A dashed line per machine reference other than the report's own (its line, with the band, is drawn first),
    those farthest from it in the latest period first (the spread note's extremes), as many as the legend's row
    holds beside "synthetic share"."""
    others = sorted(tables.own_and_others(d["synthetic_share"])[1], key=lambda m: -_distance(m, d))[:CHART_MACHINES]
    colors = [svg.PALETTE[i] for i in (0, 2, 3)]  # (not 5, the report's own line, nor red, close to it)
    names = [m["machine"] if len(m["machine"]) <= LEGEND_NAME else m["machine"][:LEGEND_NAME - 1] + "…" for m in others]
    while names and svg.legend_width(["synthetic share", *names]) > svg.WIDTH - svg.MARGIN["left"]:
        names.pop()
    return [svg.Series(name, [(m["periods"].get(p) or {}).get("value") for p in labels], color=colors[i], dashed=True)
            for i, (m, name) in enumerate(zip(others, names))]


def _distance(machine: Mapping[str, Any], d: Mapping[str, Any]) -> float:
    """How far a machine reference's estimate is from the report's own in the latest period both have (0: none)."""
    for y in reversed(d["years"]):
        theirs, ours = (machine["periods"].get(y["period"]) or {}).get("value"), (y.get("synthetic_share") or {}).get("value")
        if theirs is not None and ours is not None:
            return abs(theirs - ours)
    return 0.0


def _synth_caption(d: Mapping[str, Any]) -> str:
    caption = "Estimated share of machine-written documents with its 95% interval."
    own = tables.own_and_others(d["synthetic_share"])[0]
    if own is not None:
        caption += (f" Solid, with the band: against the machine reference {own['machine']}; dashed: against other machine references "
                    f"(up to {CHART_MACHINES}, those farthest from it; all in the table above, names cut at {LEGEND_NAME} characters).")
    return caption


def _series(d: Mapping[str, Any], key: str, name: str, color: str, dashed: bool = False) -> svg.Series:
    cells = [y.get(key) or {} for y in d["years"]]
    return svg.Series(name, [c.get("value") for c in cells], [c.get("ci_low") for c in cells],
                      [c.get("ci_high") for c in cells], color, dashed)


def _figure(svg_text: str, chart_id: str, caption: str, title: str = "") -> str:
    heading = f'<div class="chart-title">{e(title)}</div>' if title else ""
    return f'<figure class="chart" id="chart-{e(chart_id)}">{heading}{svg_text}<figcaption>{e(caption)}</figcaption></figure>'


def _line(chart: svg.Chart, chart_id: str, caption: str) -> str:
    return _figure(svg.line_chart(chart), chart_id, caption, chart.title)


def _charts(d: Mapping[str, Any]) -> list[str]:
    labels = [y["period"] for y in d["years"]]
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    pct1 = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    jsd = lambda v: f"{v:.2f}"  # noqa: E731
    p = svg.PALETTE
    figs = [
        _line(svg.Chart("drift", "Drift from the baseline (Jensen-Shannon divergence, bits)", labels,
                                         [_series(d, "jsd", "JSD to baseline", p[0]), _series(d, "noise_floor", "noise floor", p[6], True)],
                                         jsd, y_min=0.0, x_title="year", y_title="JSD (bits)"),
                "drift", "JSD of each year to the baseline with its 95% interval; dashed: the noise floor (two halves of the baseline)."),
        _line(svg.Chart("excess", "Drift beyond sampling noise", labels,
                                         [_series(d, "excess_jsd", "JSD above noise floor", p[4])], lambda v: f"{v:.3f}",
                                         x_title="year", y_title="excess JSD (bits)", ref_lines=[svg.RefLine(0.0, "no drift")]),
                "excess", "JSD minus the noise floors: the part of the drift that sampling does not explain."),
        _line(svg.Chart("tails", in_tokens("Tail survival: the baseline's rare words still in use", d["tokenizer"]), labels,
                                         [_series(d, "tail_survival", "tail survival", p[2])], pct, y_min=0.0,
                                         x_title="year", y_title="share of baseline tail", ref_lines=[svg.RefLine(1.0, "baseline")]),
                "tails", "Share of the baseline's tail vocabulary seen at an equal token budget, relative to the baseline; band: 95% interval."),
        _line(svg.Chart("dups", "Duplicate rates", labels,
                                         [_series(d, "exact_dup_rate", "exact", p[3]), _series(d, "near_dup_rate", "near", p[1]),
                                          _series(d, "carryover_rate", "carry-over", p[0])], pct1, y_min=0.0,
                                         x_title="year", y_title="share of documents"),
                "dups", "Exact and near duplicates within a year, and carry-over from earlier years; bands: 95% intervals."),
    ]
    if d["synthetic_share"]["status"] == "measured":
        figs.append(_line(svg.Chart("synth", "Synthetic share", labels,
                                                     [_series(d, "synthetic_share", "synthetic share", p[5])] + _machine_series(d, labels),
                                                     pct1, y_min=0.0,
                                                     x_title="year", y_title="share of documents"),
                            "synth", _synth_caption(d)))
    figs.append(_figure(svg.bar_chart("volume", "Documents per year", labels, [y["documents"] for y in d["years"]],
                                      lambda v: number(v, "count")),
                        "volume", "Documents ingested per year (the sample every estimate rests on).", "Documents per year"))
    out = ['<h2 id="charts">Over the years</h2>', '<div class="charts">'] + figs + ["</div>"]
    if d["synthetic_share"]["status"] != "measured":
        out.append(f'<p class="muted">No synthetic-share chart: the synthetic share was {e(d["synthetic_share"]["message"])}.</p>')
    return out


def _projection(d: Mapping[str, Any]) -> list[str]:
    p = d["projection"]
    out = ['<h2 id="projection">Projection: retraining on a web that grows synthetic</h2>']
    if p["status"] != "simulated":
        return out + ['<p class="muted">No simulator run for this baseline.</p>']
    out.append(f"<p>Simulator run {e(p['run_id'])}: a model fitted to the {e(d['baseline'])} {in_tokens('word distribution', d['tokenizer'])} "
               f"({e(number(p['vocabulary'], 'count'))} types, {e(number(p['tail_types'], 'count'))} in the tail) is retrained "
               f"each generation on {e(number(p['tokens'], 'count'))} tokens, part fresh human text and part its predecessor's output "
               f"({e(p['schedule_description'] or p['schedule'])}). <em>replace</em> trains on the newest data only; "
               "<em>accumulate</em> keeps all earlier data. The collapse horizon is the first generation whose tail survival "
               f"falls below 50%. Bands: 90% of {e(p['replicates'])} replicates.</p>")
    out += _table(["Regime", "Collapse horizon, generations [90%]", "Year", "Replicates collapsed"], tables.horizon_rows(p))
    regimes = [r["regime"] for r in p["regimes"]]
    colors = {name: svg.PALETTE[1 if name == "replace" else 0] for name in regimes}
    gens = sorted({s["generation"] for s in p["series"]})
    labels = [str(g) for g in gens]

    def series(metric: str) -> list[svg.Series]:
        out_s = []
        for name in regimes:
            by_gen = {s["generation"]: s[metric] for s in p["series"] if s["regime"] == name}
            vals = [by_gen.get(g, {}) for g in gens]
            out_s.append(svg.Series(name, [v.get("median") for v in vals], [v.get("q05") for v in vals],
                                    [v.get("q95") for v in vals], colors[name]))
        return out_s

    markers = [(gens.index(r["horizon_median"]), f"{r['regime']}: {r['horizon_median']}", colors[r["regime"]])
               for r in p["regimes"] if r["horizon_median"] in gens]
    out += ['<div class="charts">',
            _line(svg.Chart("projection-tail", "Projected tail survival per generation", labels, series("tail_survival"),
                                             lambda v: f"{100 * v:.0f}%", y_min=0.0, y_max=1.0, x_title="generation",
                                             y_title="tail survival", ref_lines=[svg.RefLine(0.5, "collapse: 50%")], markers=markers),
                    "projection-tail", "Median share of the baseline's tail types the model can still produce, replace vs accumulate."),
            _line(svg.Chart("projection-jsd", "Projected divergence from the human distribution", labels, series("jsd"),
                                             lambda v: f"{v:.3f}", y_min=0.0, x_title="generation", y_title="JSD to P0 (bits)"),
                    "projection-jsd", "Median JSD between each generation's model and the baseline distribution."),
            "</div>"]
    out += _table(["Regime", "Generation", "Tail survival [90%]", "JSD to P0 [90%]"], tables.final_generation(p))
    return out


def _listings(d: Mapping[str, Any]) -> list[str]:
    out = []
    lost, movers = d["tail_tokens_lost"], d["top_movers"]
    out.append('<h2 id="tail-tokens">Tail tokens lost</h2>')
    if lost["tokens"]:
        out.append(f"<p>{in_tokens('Rare words', d['tokenizer'])} of {e(d['baseline'])} whose chance of appearing in {e(lost['period'])} at an equal "
                   "token budget fell most.</p>")
        out += _table(list(tables.LOST_COLUMNS), tables.lost_rows(lost), cls="tokens")
    else:
        out.append('<p class="muted">No tail tokens lost (or no tails run).</p>')
    if movers["tokens"]:
        out.append(f'<h2 id="movers">{in_tokens("Words whose", d["tokenizer"])} share moved most, {e(d["baseline"])} to {e(movers["period"])}</h2>')
        out += _table(list(tables.MOVER_COLUMNS), tables.mover_rows(movers), cls="tokens")
    return out


def _thin(d: Mapping[str, Any]) -> list[str]:
    if not d["thin_pages"]:
        return []
    out = ['<h2 id="thin-pages">Thinnest pages per year</h2>',
           '<p class="muted">The shortest documents of each year (search results, error pages, stubs), and pages whose URL or text carries HTML markup: candidates for quality filters.</p>',
           '<table id="thin-pages-table"><thead><tr><th class="text">Year</th><th class="text">URL</th><th>Tokens</th>'
           '<th class="text">Opening text</th></tr></thead><tbody>']
    for p in d["thin_pages"]:
        out.append(f'<tr><td class="text">{e(p["period"])}</td><td class="text snippet">{e(p["url"])}</td>'
                   f'<td>{e(number(p["tokens"], "count"))}</td><td class="text snippet">{e(p["snippet"])}</td></tr>')
    return out + ["</tbody></table>"]


def _methods(d: Mapping[str, Any]) -> list[str]:
    out = ['<h2 id="methods">Methods</h2>', "<p>What each number means:</p>", "<ul>"]
    out += [f"<li><strong>{e(m['label'])}</strong> (<code>{e(k)}</code>): {e(m['definition'])}</li>" for k, m in d["metrics"].items()]
    out += ["</ul>", "<p>Parameters of the runs behind this report (the metrics table keeps them under these run ids):</p>"]
    for name, run in d["methods"].items():
        run_text = f" (run {run['run_id']})" if run["run_id"] is not None else ""
        out.append(f"<h3>{e(name)}{e(run_text)}</h3>")
        out.append('<dl class="params">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in tables.method_items(run["parameters"])) + "</dl>")
    return out
