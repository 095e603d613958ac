"""Schedules: observed trends with uncertainty, constants, CSV files, and generation -> year."""
from __future__ import annotations

import numpy as np
import pytest

from provenance.errors import EstimatorError, InputError, UsageError
from provenance.simulate.schedules import (
    Observation,
    build_schedule,
    fit_trend,
    generation_years,
    observations_from_rows,
    observed_schedule,
    period_year,
    predict_trend,
)

YEARS = generation_years(2019, 1.0, 10)  # generations 0..10 = 2019..2029


def logistic(year: float, a: float = -1.0, b: float = 0.8, origin: float = 2024) -> float:
    return float(1 / (1 + np.exp(-(a + b * (year - origin)))))


def test_generation_t_stands_for_start_year_plus_t_years_per_generation():
    assert generation_years(2019, 2.5, 3).tolist() == [2019, 2021.5, 2024, 2026.5]


def test_periods_map_to_calendar_years():
    assert period_year("2019") == 2019.0
    assert period_year("CC-MAIN-2019-35") == pytest.approx(2019 + 34 / 52)
    with pytest.raises(UsageError, match="pass --start-year"):
        period_year("spring")


def test_a_constant_schedule_has_that_share_in_every_generation_and_none_at_zero():
    schedule = build_schedule("0.3", YEARS, replicates=4, seed=0, trend="logistic")
    assert np.isnan(schedule.alphas[0]).all() and (schedule.alphas[1:] == 0.3).all()
    with pytest.raises(UsageError, match=r"in \[0, 1\]"):
        build_schedule("1.5", YEARS, replicates=4, seed=0, trend="logistic")


def test_a_logistic_trend_recovers_exact_logistic_shares():
    years = np.array([2021.0, 2022, 2023, 2024])
    a, b = fit_trend(years, np.array([logistic(y) for y in years]), "logistic", origin=2024)
    assert (a, b) == (pytest.approx(-1.0), pytest.approx(0.8))


def test_observed_schedule_extrapolates_the_trend_with_a_band_from_the_intervals():
    observations = [Observation(str(y), logistic(y), logistic(y) - 0.02, logistic(y) + 0.02) for y in (2021, 2022, 2023, 2024)]
    schedule = observed_schedule(observations, YEARS, replicates=200, seed=1)
    # (the slope's weak prior, N(0, 1) per year, draws the curve ~0.1% towards flat: 1% ten years out)
    assert schedule.point[1:] == pytest.approx([logistic(y) for y in YEARS[1:]], rel=0.02)
    low, high = np.quantile(schedule.alphas[1:], [0.05, 0.95], axis=1)
    assert np.all(low <= schedule.point[1:]) and np.all(schedule.point[1:] <= high)
    assert np.all(high - low > 0)                  # the intervals carry into the schedule
    assert np.all(np.diff(schedule.point[1:]) > 0)  # a rising trend keeps rising


def test_observed_shares_without_intervals_give_a_degenerate_band():
    observations = [Observation(str(y), logistic(y)) for y in (2021, 2024)]
    schedule = observed_schedule(observations, YEARS, replicates=5, seed=1)
    assert np.allclose(schedule.alphas[1:], schedule.point[1:, None])


def test_a_linear_trend_is_clipped_to_zero_one():
    observations = [Observation("2020", 0.1), Observation("2022", 0.5)]
    schedule = observed_schedule(observations, YEARS, replicates=2, seed=0, trend="linear")
    assert schedule.point[1] == pytest.approx(0.1) and schedule.point[-1] == 1.0


def test_a_trend_needs_two_periods():
    with pytest.raises(EstimatorError, match="at least 2 periods"):
        observed_schedule([Observation("2023", 0.1)], YEARS, replicates=2, seed=0)


def test_metrics_rows_become_observations_sorted_by_year_with_their_stated_level():
    rows = [("2024", 0.2, 0.1, 0.3, '{"ci_level": 90}'), ("2021", 0.05, None, None, None)]
    observations = observations_from_rows(rows)
    assert [o.period for o in observations] == ["2021", "2024"]
    assert observations[1].sd == pytest.approx(0.2 / (2 * 1.6448536), rel=1e-6)
    assert observations[0].sd == 0.0


def test_a_csv_schedule_by_generation_must_cover_every_generation(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("generation,alpha\n" + "".join(f"{g},{g / 20}\n" for g in range(1, 11)))
    schedule = build_schedule(str(path), YEARS, replicates=3, seed=0, trend="logistic")
    assert schedule.point[1:] == pytest.approx([g / 20 for g in range(1, 11)])
    path.write_text("generation,alpha\n1,0.1\n")
    with pytest.raises(InputError, match="no alpha for generation 2"):
        build_schedule(str(path), YEARS, replicates=3, seed=0, trend="logistic")


def test_a_csv_schedule_by_year_is_interpolated_and_held_beyond_its_ends(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("year,alpha\n2022,0.1\n2024,0.3\n")
    point = build_schedule(str(path), YEARS, replicates=1, seed=0, trend="logistic").point
    assert point[1:6] == pytest.approx([0.1, 0.1, 0.1, 0.2, 0.3]) and point[-1] == pytest.approx(0.3)


def test_a_schedule_that_is_neither_a_share_nor_a_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not 'observed', a share"):
        build_schedule(str(tmp_path / "missing.csv"), YEARS, replicates=1, seed=0, trend="logistic")
    bad = tmp_path / "bad.csv"
    bad.write_text("when,share\n1,0.1\n")
    with pytest.raises(InputError, match="needs columns alpha"):
        build_schedule(str(bad), YEARS, replicates=1, seed=0, trend="logistic")


DEMO = [("2017", 0.0, 0.0, 0.023), ("2019", 0.0, 0.0, 0.030), ("2021", 0.003, 0.0, 0.079), ("2023", 0.195, 0.097, 0.276),
        ("2025", 0.324, 0.253, 0.400)]  # the demo's measured shares and their 95% intervals


def test_the_logistic_trend_passes_inside_every_measured_interval_however_many_years_read_zero():
    """Least squares on logit(share) with shares clipped to 1e-4 let two years of 0.000 set the slope: the curve passed
    0.062 where 2023 measured 0.195 [0.097, 0.276], and its 2025 moved from 0.31 to 0.64 as the clip went 1e-3 -> 1e-6."""
    observations = [Observation(p, v, lo, hi) for p, v, lo, hi in DEMO]
    schedule = observed_schedule(observations, np.array([2017.0, 2019, 2021, 2023, 2025]), replicates=2, seed=0)
    for (period, _, lo, hi), fitted in zip(DEMO[1:], schedule.point[1:]):
        assert lo <= fitted <= hi, period
    # a share read as 0 or as 0.001 (both well inside an interval of +-0.006) is the same evidence
    years = np.array([2017.0, 2019, 2021, 2023, 2025])
    sds = np.array([Observation(p, v, lo, hi).sd for p, v, lo, hi in DEMO])
    zero = fit_trend(years, np.array([0, 0, 0.003, 0.195, 0.324]), "logistic", 2025, sds)
    small = fit_trend(years, np.array([0.001, 0.001, 0.003, 0.195, 0.324]), "logistic", 2025, sds)
    assert zero == (pytest.approx(small[0], abs=0.05), pytest.approx(small[1], abs=0.05))


def test_shares_of_zero_every_year_project_no_rise():
    observations = [Observation(str(y), 0.0, 0.0, 0.02) for y in (2017, 2019, 2021, 2023, 2025)]
    schedule = observed_schedule(observations, YEARS, replicates=50, seed=0)
    assert np.all(schedule.point[1:] < 0.01)
    assert np.median(schedule.alphas[-1]) < 0.05


def test_a_share_without_an_interval_weighs_as_much_as_a_typical_one_not_as_if_exact():
    """Beside shares with intervals, a share without one was taken as exact (weight 1e9): .3 (no interval), then
    .05, .1, .15, .2 (with intervals) gave a falling trend through 0.089 where 2024 measured 0.20 +- 0.05."""
    years = np.array([2020.0, 2021, 2022, 2023, 2024])
    shares = np.array([0.3, 0.05, 0.1, 0.15, 0.2])
    sds = np.array([np.nan, 0.02, 0.03, 0.04, 0.05])
    a, b = fit_trend(years, shares, "logistic", 2024, sds)
    weights = [s * (1 - s) / d**2 for s, d in zip(shares[1:], sds[1:])]  # effective sample sizes; their median's sd:
    typical = fit_trend(years, shares, "logistic", 2024, np.array([np.sqrt(0.3 * 0.7 / np.median(weights)), *sds[1:]]))
    assert b == pytest.approx(typical[1], abs=0.03)  # (was -0.37 against -0.08)
    assert predict_trend(a, b, np.array([2024.0]), "logistic", 2024)[0] > 0.12  # (was 0.089)
    with pytest.raises(EstimatorError, match="NaN"):
        fit_trend(years, np.array([0.1, np.nan, 0.1, 0.1, 0.1]), "logistic", 2024, sds)
