"""--fail-above and --fail-below: which years' values crossed a threshold, and which a threshold could not check.

A monitoring job runs the report on every new crawl and exits non-zero when a threshold is crossed, or when the
newest year has no value to check (a threshold that never checks anything is no monitor); a year of a few pages is
neither checked nor the headline's latest year.
"""
from __future__ import annotations

import math
import statistics
from typing import Any, Mapping, Sequence

from provenance.errors import UsageError
from provenance.report.definitions import YEAR_METRICS
from provenance.report.fmt import finite

SMALL_YEAR = 0.1  # of the median year's documents: a year under it is not the headline's latest (drift's rule too)


def small_years(years: Sequence[Mapping[str, Any]]) -> set[str]:
    """The periods of under SMALL_YEAR of the median year's documents: neither checked nor the headline's latest (a few
    pages of a stray crawl id, a sampled file, are not "the web in 2024"). None when a year's count is unknown."""
    counts = [y.get("documents") for y in years]
    if not counts or None in counts:
        return set()
    floor = SMALL_YEAR * statistics.median(counts)
    return {y["period"] for y in years if y["documents"] < floor}


def headline_year(years: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The latest year the headline compares with: the newest that is not small (small_years)."""
    small = small_years(years)
    return next((y for y in reversed(years) if y["period"] not in small), years[-1])


MONITORED = ("documents", "tokens", *YEAR_METRICS)
_SELF_COMPARED = ("jsd", "noise_floor", "excess_jsd", "tail_survival")  # the baseline against itself


def check_threshold_metrics(thresholds: Sequence[tuple[str, float]], option: str = "--fail-above") -> None:
    """Raise UsageError for a --fail-above (or --fail-below) metric the report does not have."""
    for metric, _ in thresholds:
        if metric not in MONITORED:
            raise UsageError(f"{option} {metric}: unknown metric; known: {', '.join(MONITORED)}")


def check_thresholds(data: Mapping[str, Any], thresholds: Sequence[tuple[str, float]],
                     floors: Sequence[tuple[str, float]] = ()) -> list[dict[str, Any]]:
    """Return one alert per (metric, period) whose value is above its threshold, or below its floor (--fail-below: tail
    survival falling is how collapse begins); the baseline is not checked for metrics that compare it with itself."""
    alerts, small = [], small_years(data["years"])
    for direction, limits in (("above", thresholds), ("below", floors)):
        for metric, limit in limits:
            for y in data["years"]:
                if (y["is_baseline"] and metric in _SELF_COMPARED) or y["period"] in small:
                    continue
                value = _value(y, metric)
                if finite(value) and (value > limit if direction == "above" else value < limit):
                    alerts.append({"metric": metric, "period": y["period"], "value": value, "threshold": limit,
                                   "direction": direction})
    return alerts


def unchecked_thresholds(data: Mapping[str, Any], thresholds: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """The (metric, period) pairs a --fail-above did not check: a year without a value (`why` "no value": not measured,
    or left out: the year that is the synthetic share's human reference), or of a few pages (`why` "small": under
    SMALL_YEAR of the median year's documents, whose values say little); `latest` marks the newest checkable year's
    missing value, which a monitoring run fails on: its threshold was not checked where it matters most."""
    out, small = [], small_years(data["years"])
    latest = headline_year(data["years"])
    for metric, limit in thresholds:
        for y in data["years"]:
            if y["is_baseline"] and metric in _SELF_COMPARED:
                continue
            if y["period"] in small:  # (its values, if any, are of a few pages: a note, never an alert)
                out.append({"metric": metric, "period": y["period"], "threshold": limit, "latest": False, "why": "small"})
            elif not finite(_value(y, metric)):
                out.append({"metric": metric, "period": y["period"], "threshold": limit, "latest": y is latest, "why": "no value"})
    return out


def _value(year: Mapping[str, Any], metric: str) -> Any:
    """A year's value of a metric: an estimate's `value`, or a count as it is (documents, tokens)."""
    v = year.get(metric)
    return v.get("value") if isinstance(v, Mapping) else v


def parse_threshold(spec: str, option: str = "--fail-above") -> tuple[str, float]:
    """Parse METRIC=VALUE (VALUE a number; a trailing % divides by 100); raise UsageError otherwise."""
    metric, sep, raw = spec.partition("=")
    metric, raw = metric.strip(), raw.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = math.nan
    if not sep or not metric or not math.isfinite(value):
        raise UsageError(f"{option} {spec!r}: expected METRIC=VALUE, e.g. near_dup_rate=0.2")
    check_threshold_metrics([(metric, value)], option)
    return metric, value
