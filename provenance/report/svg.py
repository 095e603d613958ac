"""A small SVG chart helper: line charts with interval bands, and bar charts. No JavaScript.

Every text that reaches the SVG goes through html.escape; coordinates are printed with one decimal,
so the same data always gives the same bytes.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#57606a")
WIDTH, HEIGHT = 560, 300
MARGIN = {"left": 64, "right": 16, "top": 40, "bottom": 44}


@dataclass(frozen=True)
class Series:
    """One line: values (None = missing) with optional lower/upper band, a legend name and a style."""

    name: str
    values: Sequence[float | None]
    lows: Sequence[float | None] | None = None
    highs: Sequence[float | None] | None = None
    color: str = PALETTE[0]
    dashed: bool = False


@dataclass(frozen=True)
class RefLine:
    """A horizontal reference line (e.g. 50% tail survival) with a label."""

    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A line chart over categorical or numeric x positions."""

    chart_id: str
    title: str
    x_labels: Sequence[str]
    series: Sequence[Series]
    y_format: Callable[[float], str] = lambda v: f"{v:.3g}"
    y_min: float | None = None
    y_max: float | None = None
    x_title: str = ""
    y_title: str = ""
    ref_lines: Sequence[RefLine] = field(default_factory=tuple)
    markers: Sequence[tuple[int, str, str]] = field(default_factory=tuple)  # (x index, label, color)


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _f(x: float) -> str:
    return f"{x:.1f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Return round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks, v = [], start
    while v <= hi + step * 1e-6:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi - 1e-12:
        ticks.append(round(v, 12))
    return ticks


def _x_positions(labels: Sequence[str]) -> list[float]:
    """Return x in [0, 1]: proportional when every label is a number (years), evenly spaced otherwise."""
    try:
        xs = [float(v) for v in labels]
    except ValueError:
        xs = list(range(len(labels)))
    if len(xs) == 1:
        return [0.5]
    lo, hi = min(xs), max(xs)
    return [(x - lo) / (hi - lo) if hi > lo else 0.5 for x in xs]


def _y_range(chart: Chart) -> tuple[float, float]:
    values = [v for s in chart.series for seq in (s.values, s.lows or (), s.highs or ()) for v in seq
              if v is not None and math.isfinite(v)]
    values += [r.y for r in chart.ref_lines]
    lo = chart.y_min if chart.y_min is not None else min(values, default=0.0)
    hi = chart.y_max if chart.y_max is not None else max(values, default=1.0)
    if hi <= lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    return lo, hi


def line_chart(chart: Chart) -> str:
    """Return the chart as an <svg> element (inline, self-contained)."""
    left, right, top, bottom = MARGIN["left"], MARGIN["right"], MARGIN["top"], MARGIN["bottom"]
    pw, ph = WIDTH - left - right, HEIGHT - top - bottom
    lo, hi = _y_range(chart)
    ticks = nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    xs = [left + x * pw for x in _x_positions(chart.x_labels)]

    def y(v: float) -> float:
        return top + ph - (v - lo) / (hi - lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
           f'role="img" aria-labelledby="{_esc(chart.chart_id)}-title" class="chart-svg" data-chart="{_esc(chart.chart_id)}">',
           f'<title id="{_esc(chart.chart_id)}-title">{_esc(chart.title)}</title>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" stroke="#d0d7de"/>']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_f(y(t))}" y2="{_f(y(t))}" stroke="#eaeef2"/>')
        out.append(f'<text x="{left - 6}" y="{_f(y(t) + 4)}" text-anchor="end" class="tick">{_esc(chart.y_format(t))}</text>')
    step = max(1, math.ceil(len(xs) / 12))
    for i, (x, label) in enumerate(zip(xs, chart.x_labels)):
        if i % step == 0 or i == len(xs) - 1:
            out.append(f'<text x="{_f(x)}" y="{top + ph + 16}" text-anchor="middle" class="tick">{_esc(label)}</text>')
    for r in chart.ref_lines:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_f(y(r.y))}" y2="{_f(y(r.y))}" stroke="#6e7781" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{left + pw - 4}" y="{_f(y(r.y) - 4)}" text-anchor="end" class="ref">{_esc(r.label)}</text>')
    for s in chart.series:
        out.extend(_series(s, xs, y))
    for i, label, color in chart.markers:
        if 0 <= i < len(xs):
            out.append(f'<line x1="{_f(xs[i])}" x2="{_f(xs[i])}" y1="{top}" y2="{top + ph}" stroke="{color}" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{_f(xs[i] + 3)}" y="{top + 12}" class="ref" fill="{color}">{_esc(label)}</text>')
    out.extend(_legend(chart.series, left))
    if chart.x_title:
        out.append(f'<text x="{_f(left + pw / 2)}" y="{HEIGHT - 6}" text-anchor="middle" class="axis">{_esc(chart.x_title)}</text>')
    if chart.y_title:
        out.append(f'<text transform="translate(14 {_f(top + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis">{_esc(chart.y_title)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _series(s: Series, xs: list[float], y: Callable[[float], float]) -> list[str]:
    out = []
    if s.lows is not None and s.highs is not None:
        pts = [(x, lo, hi) for x, lo, hi in zip(xs, s.lows, s.highs) if _ok(lo) and _ok(hi)]
        if len(pts) >= 2:
            upper = " ".join(f"{_f(x)},{_f(y(hi))}" for x, _, hi in pts)
            lower = " ".join(f"{_f(x)},{_f(y(lo))}" for x, lo, _ in reversed(pts))
            out.append(f'<polygon class="band" points="{upper} {lower}" fill="{s.color}" fill-opacity="0.15" stroke="none"/>')
        for x, lo, hi in pts:
            out.append(f'<line class="whisker" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(y(lo))}" y2="{_f(y(hi))}" stroke="{s.color}" stroke-opacity="0.5"/>')
    segments: list[list[tuple[float, float]]] = [[]]
    for x, v in zip(xs, s.values):
        if _ok(v):
            segments[-1].append((x, y(v)))
        elif segments[-1]:
            segments.append([])
    dash = ' stroke-dasharray="6 4"' if s.dashed else ""
    for seg in segments:
        if len(seg) >= 2:
            d = "M" + " L".join(f"{_f(x)},{_f(yy)}" for x, yy in seg)
            out.append(f'<path class="line" d="{d}" fill="none" stroke="{s.color}" stroke-width="2"{dash}/>')
        for x, yy in seg:
            out.append(f'<circle cx="{_f(x)}" cy="{_f(yy)}" r="3" fill="{s.color}"/>')
    return out


def _legend(series: Sequence[Series], left: int) -> list[str]:
    out, x = [], float(left)
    for s in series:
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        out.append(f'<line x1="{_f(x)}" x2="{_f(x + 18)}" y1="16" y2="16" stroke="{s.color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{_f(x + 22)}" y="20" class="legend">{_esc(s.name)}</text>')
        x += _legend_entry(s.name)
    return out


def _legend_entry(name: str) -> float:
    return 30 + 7.2 * len(name)  # (12px text: ~6.5 px a character in sans-serif, ~7 in the serif fallbacks)


def legend_width(names: Sequence[str]) -> float:
    """The width of a legend's row of these series names, in the chart's pixels (the last one's trailing gap not counted)."""
    return sum(_legend_entry(name) for name in names) - 8 if names else 0.0


def _ok(v: float | None) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def bar_chart(chart_id: str, title: str, labels: Sequence[str], values: Sequence[float],
              value_format: Callable[[float], str], color: str = PALETTE[0]) -> str:
    """Return a bar chart (one bar per label, value printed above it) as an <svg> element."""
    left, right, top, bottom = MARGIN["left"], MARGIN["right"], MARGIN["top"], MARGIN["bottom"]
    pw, ph = WIDTH - left - right, HEIGHT - top - bottom
    ticks = nice_ticks(0.0, max([v for v in values if _ok(v)], default=1.0))
    hi = ticks[-1] or 1.0
    n = max(len(labels), 1)
    slot = pw / n
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
           f'role="img" aria-labelledby="{_esc(chart_id)}-title" class="chart-svg" data-chart="{_esc(chart_id)}">',
           f'<title id="{_esc(chart_id)}-title">{_esc(title)}</title>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" stroke="#d0d7de"/>']
    for t in ticks:
        yy = top + ph - t / hi * ph
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_f(yy)}" y2="{_f(yy)}" stroke="#eaeef2"/>')
        out.append(f'<text x="{left - 6}" y="{_f(yy + 4)}" text-anchor="end" class="tick">{_esc(value_format(t))}</text>')
    for i, (label, v) in enumerate(zip(labels, values)):
        x = left + i * slot + slot * 0.2
        h = (v / hi * ph) if _ok(v) else 0.0
        out.append(f'<rect class="bar" x="{_f(x)}" y="{_f(top + ph - h)}" width="{_f(slot * 0.6)}" height="{_f(h)}" fill="{color}"/>')
        out.append(f'<text x="{_f(x + slot * 0.3)}" y="{_f(top + ph - h - 4)}" text-anchor="middle" class="tick">{_esc(value_format(v))}</text>')
        out.append(f'<text x="{_f(x + slot * 0.3)}" y="{top + ph + 16}" text-anchor="middle" class="tick">{_esc(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)
