"""Number formats shared by the Markdown and HTML renderers, so the two always print the same text."""
from __future__ import annotations

import math
from typing import Any, Mapping

# How each per-year metric is printed: "percent" (one decimal), "jsd" (three decimals), "count".
METRIC_FORMATS = {
    "documents": "count", "tokens": "count",
    "jsd": "jsd", "noise_floor": "jsd", "excess_jsd": "jsd",
    "tail_survival": "percent", "exact_dup_rate": "percent", "near_dup_rate": "percent",
    "carryover_rate": "percent", "synthetic_share": "percent",
}
MISSING = "n/a"


def finite(x: Any) -> bool:
    """Return True for a finite int or float (not None, NaN or infinite)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def number(x: Any, kind: str) -> str:
    """Format one number: kind is percent, jsd, count, share (0..1 as percent, no decimals) or plain."""
    if not finite(x):
        return MISSING
    if kind == "percent":
        return f"{100 * x:.1f}%"
    if kind == "share":
        return f"{100 * x:.0f}%"
    if kind == "jsd":
        return f"{x:.3f}"
    if kind == "count":
        return f"{int(round(x)):,}"
    return f"{x:.4g}"


def interval(cell: Mapping[str, Any] | None, kind: str) -> str:
    """Format {'value', 'ci_low', 'ci_high'} as 'v [lo, hi]' (just 'v' without an interval)."""
    if not cell or not finite(cell.get("value")):
        return MISSING
    text = number(cell["value"], kind)
    lo, hi = cell.get("ci_low"), cell.get("ci_high")
    if finite(lo) and finite(hi):
        text += f" [{number(lo, kind)}, {number(hi, kind)}]"
    return text


def cell(metric: str, value: Any) -> str:
    """Format a per-year table cell: counts as integers, metrics as value [interval]."""
    kind = METRIC_FORMATS.get(metric, "plain")
    if isinstance(value, Mapping) or value is None:
        return interval(value, kind)
    return number(value, kind)


def generation_text(g: Any) -> str:
    """Format a generation count ('beyond the run' when None)."""
    return "beyond the run" if g is None else f"{int(g)}"


def alert_value(metric: str, v: float) -> str:
    """A metric's value or threshold in an alert: shares in percent as the report shows them (31.53%), counts in full
    (30,273, not 3.027e+04), rates and JSD to 4 digits."""
    from provenance.report.definitions import YEAR_METRICS

    if metric in YEAR_METRICS and YEAR_METRICS[metric][3] == "percent":
        return f"{100 * v:.4g}%"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
