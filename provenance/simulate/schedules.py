"""Synthetic-share schedules alpha_t: a trend fitted to observed shares, a constant, or a CSV file.

Generation t trains on the web of calendar year start_year + t * years_per_generation, and its
synthetic share is the schedule's value at that year. Generation 0 is P0 itself (no alpha).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from provenance.errors import EstimatorError, InputError, UsageError, first_line

DEFAULT_CI_LEVEL = 0.95  # assumed level of metrics intervals whose parameters do not state one
_CRAWL = re.compile(r"^CC-MAIN-(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Observation:
    """One observed synthetic share: a period's estimate and its interval (None when unknown)."""

    period: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = DEFAULT_CI_LEVEL

    @property
    def year(self) -> float:
        """Return the calendar year of the period."""
        return period_year(self.period)

    @property
    def sd(self) -> float:
        """Return the standard error implied by a normal interval (0 when there is no interval)."""
        if self.ci_low is None or self.ci_high is None:
            return 0.0
        z = NormalDist().inv_cdf(0.5 + self.ci_level / 2)
        return max(self.ci_high - self.ci_low, 0.0) / (2 * z)


@dataclass(frozen=True)
class Schedule:
    """alpha per generation: `alphas` is (G + 1, R), one column per replicate; row 0 is NaN."""

    kind: str
    description: str
    years: np.ndarray
    alphas: np.ndarray
    point: np.ndarray
    parameters: dict[str, Any] = field(default_factory=dict)


def period_year(period: str) -> float:
    """Return the calendar year of a period: "2019" -> 2019.0, "CC-MAIN-2019-35" -> 2019 + 34/52."""
    text = str(period).strip()
    if re.fullmatch(r"\d{4}", text):
        return float(text)
    match = _CRAWL.match(text)
    if match:
        return int(match.group(1)) + (int(match.group(2)) - 1) / 52
    raise UsageError(f"cannot tell the calendar year of period {text!r}; pass --start-year")


def generation_years(start_year: float, years_per_generation: float, generations: int) -> np.ndarray:
    """Return the calendar year of each generation 0..G: start_year + t * years_per_generation."""
    return start_year + years_per_generation * np.arange(generations + 1, dtype=float)


def _with_generation_zero(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full((1, *values.shape[1:]), np.nan), values])


def constant_schedule(alpha: float, years: np.ndarray, replicates: int) -> Schedule:
    """Return alpha_t = alpha in every generation."""
    if not 0.0 <= alpha <= 1.0:
        raise UsageError(f"--schedule share must be in [0, 1], not {alpha}")
    point = _with_generation_zero(np.full(years.size - 1, alpha))
    alphas = np.repeat(point[:, None], replicates, axis=1)
    return Schedule("constant", f"constant alpha = {alpha:g}", years, alphas, point, {"alpha": alpha})


def file_schedule(path: str, years: np.ndarray, replicates: int) -> Schedule:
    """Read alpha per generation (columns generation,alpha) or per year (year,alpha) from a CSV.

    Yearly values are interpolated linearly at each generation's year and held constant beyond
    the first and last rows; per-generation files must cover generations 1..G.
    """
    key, keys, alpha_col = _read_schedule_csv(path)
    generations = years.size - 1
    if key == "generation":
        lookup = dict(zip(keys.astype(int).tolist(), alpha_col.tolist()))
        missing = [g for g in range(1, generations + 1) if g not in lookup]
        if missing:
            raise InputError(path, f"no alpha for generation {missing[0]} (the file must cover 1..{generations})")
        values = np.array([lookup[g] for g in range(1, generations + 1)], dtype=float)
    else:
        order = np.argsort(keys)
        values = np.interp(years[1:], keys[order], alpha_col[order])
    point = _with_generation_zero(values)
    alphas = np.repeat(point[:, None], replicates, axis=1)
    return Schedule("file", f"file {path}", years, alphas, point, {"path": str(path)})


def _read_schedule_csv(path: str) -> tuple[str, np.ndarray, np.ndarray]:
    """Return (key column name, its values, alpha) of a schedule CSV, validated."""
    import polars as pl

    if not Path(path).is_file():
        raise UsageError(f"--schedule {path!r}: not 'observed', a share in [0, 1], or an existing CSV file")
    try:
        frame = pl.read_csv(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(path, f"cannot read CSV: {first_line(exc)}") from None
    if "alpha" not in frame.columns or not ({"generation", "year"} & set(frame.columns)):
        raise InputError(path, "a schedule CSV needs columns alpha and generation (or year)")
    try:
        alpha = frame["alpha"].cast(pl.Float64).to_numpy()
        key = "generation" if "generation" in frame.columns else "year"
        keys = frame[key].cast(pl.Float64).to_numpy()
    except pl.exceptions.PolarsError:
        raise InputError(path, "alpha, generation and year must be numbers") from None
    if frame.height == 0 or np.isnan(alpha).any() or (alpha < 0).any() or (alpha > 1).any():
        raise InputError(path, "alpha must be a number in [0, 1] on every row")
    return key, keys, alpha


# -- observed trend ------------------------------------------------------------------------
def fit_trend(years: np.ndarray, shares: np.ndarray, trend: str, origin: float,
              sds: np.ndarray | None = None) -> tuple[float, float]:
    """Fit alpha(year); return (intercept at origin, slope per year).

    logistic: alpha = 1 / (1 + exp(-(a + b (year - origin)))), a weighted fractional logit (Papke & Wooldridge 1996):
              (a, b) maximize sum_i m_i [s_i log alpha_i + (1 - s_i) log(1 - alpha_i)] + log N(a; 0, 10^2) +
              log N(b; 0, 1^2), m_i a share's effective sample size from its standard error (s(1 - s) / sd^2, s at
              least sd: a share of 0 with a narrow interval is evidence too). A
              share of 0 needs no clip. (Least squares on logit(share), shares clipped to [1e-4, 1 - 1e-4], let the clip
              set the slope: two years of 0.000 at logit -9.2 drew the curve through 0.062 where a year measured 0.195
              [0.097, 0.276]; with a clip of 1e-6 its 2025 read 0.64 for a measured 0.32.) A share without an interval
              weighs as the median share with one (EXACT_WEIGHT where none has one). The priors only matter
              where the shares say little: all 0, the slope 0 (a rise is not read into noise around 0).
    linear:   alpha = a + b (year - origin) by least squares, predictions clipped to [0, 1].
    """
    x = np.asarray(years, dtype=float) - origin
    y = np.asarray(shares, dtype=float)
    if not np.isfinite(y).all():
        raise EstimatorError("a trend needs a number for every observed share (found NaN)")
    if trend != "logistic":
        b, a = np.polyfit(x, y, 1)
        return float(a), float(b)
    y = np.clip(y, 0.0, 1.0)
    sd = np.full(y.size, np.nan) if sds is None else np.asarray(sds, dtype=float)
    known = np.isfinite(sd) & (sd > 0)
    weights = np.full(y.size, EXACT_WEIGHT)  # shares without an interval, where none has one
    if known.any():
        floor = np.minimum(sd[known], 0.5)
        share = np.clip(y[known], floor, 1 - floor)  # (a share of 0 counts as one of its sd)
        weights[known] = share * (1 - share) / sd[known] ** 2
        # beside shares with intervals, one without weighs as their median (taken as exact, one set the slope alone)
        weights[~known] = np.median(weights[known])
    center = float(x.mean())  # (centred, a slope moves the early and the late years both: all-0 shares give slope 0)
    a, b = _fractional_logit(x - center, y, weights)
    return a - b * center, b


EXACT_WEIGHT = 1e9  # effective sample size of a share without an interval (taken as exact: the priors then weigh nothing)
PRIOR_SD = (10.0, 1.0)  # of the intercept (logit) and the slope (logit per year): weak beside any measured share


def _fractional_logit(x: np.ndarray, y: np.ndarray, w: np.ndarray, iterations: int = 200) -> tuple[float, float]:
    """Newton's method with step halving on the weighted Bernoulli quasi-likelihood plus the normal priors."""
    design = np.column_stack([np.ones_like(x), x])
    precision = np.array([1 / PRIOR_SD[0] ** 2, 1 / PRIOR_SD[1] ** 2])
    mean = min(max(float(np.average(y, weights=w)), 1e-6), 1 - 1e-6)
    beta = np.array([np.log(mean / (1 - mean)), 0.0])

    def loss(c: np.ndarray) -> float:
        z = design @ c
        return float(np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * np.sum(precision * c * c))

    current = loss(beta)
    for _ in range(iterations):
        mu = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (w * (mu - y)) + precision * beta
        hessian = design.T @ (design * (w * mu * (1 - mu))[:, None]) + np.diag(precision)
        step = np.linalg.solve(hessian, gradient)
        t = 1.0
        while t > 1e-12 and loss(beta - t * step) > current:
            t /= 2
        if t <= 1e-12:
            break
        beta = beta - t * step
        current = loss(beta)
        if np.max(np.abs(t * step)) < 1e-12:
            break
    return float(beta[0]), float(beta[1])


def predict_trend(a: float | np.ndarray, b: float | np.ndarray, years: np.ndarray, trend: str, origin: float) -> np.ndarray:
    """Evaluate a fitted trend at years (broadcasting over arrays of a and b)."""
    z = a + b * (np.asarray(years, dtype=float) - origin)
    return 1.0 / (1.0 + np.exp(-z)) if trend == "logistic" else np.clip(z, 0.0, 1.0)


def observed_schedule(
    observations: Sequence[Observation], years: np.ndarray, replicates: int, seed: int, trend: str = "logistic"
) -> Schedule:
    """Fit a trend to observed shares and extrapolate it, with a parametric bootstrap per replicate.

    Replicate r redraws every observation from N(value, sd) (sd from its interval, clipped to
    [0, 1]) on its own stream (seed, 0, r), refits the trend and evaluates it at each generation's
    year; the spread over replicates carries the estimates' uncertainty into the simulation.
    """
    from provenance.simulate.regimes import STREAM_SCHEDULE, stream

    obs_years = np.array([o.year for o in observations])
    if np.unique(obs_years).size < 2:
        found = ", ".join(o.period for o in observations) or "none"
        raise EstimatorError(f"a trend needs observed synthetic shares for at least 2 periods (found: {found}); use --schedule CONST")
    values = np.array([o.value for o in observations])
    sds = np.array([o.sd for o in observations])
    origin = float(obs_years.max())
    a, b = fit_trend(obs_years, values, trend, origin, sds)
    fits = np.array([fit_trend(obs_years, _redraw(stream(seed, STREAM_SCHEDULE, r), values, sds), trend, origin, sds)
                     for r in range(replicates)])
    alphas = predict_trend(fits[:, 0][None, :], fits[:, 1][None, :], years[1:, None], trend, origin)
    point = predict_trend(a, b, years[1:], trend, origin)
    parameters = {
        "trend": trend, "origin_year": origin, "intercept": a, "slope_per_year": b,
        "observations": [{"period": o.period, "value": o.value, "ci_low": o.ci_low, "ci_high": o.ci_high} for o in observations],
    }
    description = f"{trend} trend fitted to {len(observations)} observed shares ({observations[0].period}..{observations[-1].period})"
    return Schedule("observed", description, years, _with_generation_zero(alphas), _with_generation_zero(point), parameters)


def _redraw(rng: np.random.Generator, values: np.ndarray, sds: np.ndarray) -> np.ndarray:
    return np.clip(values + sds * rng.standard_normal(values.size), 0.0, 1.0)


def observations_from_rows(rows: Sequence[tuple[str, float, float | None, float | None, str | None]]) -> list[Observation]:
    """Build observations from metrics rows (period, value, ci_low, ci_high, parameters JSON)."""
    out = []
    for period, value, low, high, parameters in rows:
        params = json.loads(parameters) if parameters else {}
        level = float(params.get("ci_level", DEFAULT_CI_LEVEL)) if isinstance(params, dict) else DEFAULT_CI_LEVEL
        level = level / 100 if level > 1 else level  # a level written as a percentage (95)
        out.append(Observation(str(period), float(value), low, high, level))
    return sorted(out, key=lambda o: o.year)


def build_schedule(spec: str, years: np.ndarray, replicates: int, seed: int, trend: str, observations: Sequence[Observation] | None = None) -> Schedule:
    """Return the schedule a --schedule value names: 'observed', a share in [0, 1], or a CSV path."""
    if spec == "observed":
        return observed_schedule(observations or [], years, replicates, seed, trend)
    try:
        share = float(spec)
    except ValueError:
        return file_schedule(spec, years, replicates)
    return constant_schedule(share, years, replicates)
