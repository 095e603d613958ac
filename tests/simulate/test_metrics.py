"""Distances to P0, the tail definition, and the fast scorer agreeing with the definitions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.simulate import metrics
from provenance.simulate.config import SimulationConfig
from provenance.simulate.models import fit_categorical
from provenance.simulate.regimes import _empty, _Scorer


@st.composite
def distribution_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Two distributions over the same 2-12 types, zeros allowed."""
    size = draw(st.integers(min_value=2, max_value=12))
    weights = st.lists(st.integers(min_value=0, max_value=20), min_size=size, max_size=size).filter(any)
    p, q = (np.array(draw(weights), dtype=float) for _ in range(2))
    return p / p.sum(), q / q.sum()


@given(distribution_pairs())
@settings(max_examples=100, deadline=None)
def test_jsd_is_symmetric_in_zero_one_and_zero_on_identical_inputs(pair):
    p, q = pair
    assert metrics.jsd(p, q) == pytest.approx(metrics.jsd(q, p), abs=1e-12)
    assert 0.0 <= metrics.jsd(p, q) <= 1.0
    assert metrics.jsd(p, p) == pytest.approx(0.0, abs=1e-12)


def test_jsd_of_disjoint_distributions_is_one_bit_and_entropy_of_uniform_is_log2_v():
    assert metrics.jsd(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    assert metrics.entropy(np.full(8, 1 / 8)) == pytest.approx(3.0)


def test_kl_smooths_the_model_so_a_lost_type_costs_a_finite_amount():
    p0 = np.array([0.5, 0.5])
    # model counts [4, 0] smoothed add-0.5 -> q = [4.5, 0.5] / 5
    expected = 0.5 * np.log2(0.5 / 0.9) + 0.5 * np.log2(0.5 / 0.1)
    assert metrics.kl_smoothed(p0, np.array([4, 0])) == pytest.approx(expected)


def test_the_tail_is_the_rarest_types_seen_at_least_m_times_holding_at_most_q_of_mass():
    counts = np.array([500, 300, 100, 40, 20, 10, 10, 5, 3, 2, 1, 1])  # total 992
    tail = metrics.tail_mask(counts, q=0.05, min_count=3)
    # eligible ascending: 3, 5, 10, 10, 20 ... cumulative 3, 8, 18, 28, 48 (4.8%), 88 (> 5%)
    assert np.flatnonzero(tail).tolist() == [4, 5, 6, 7, 8]
    assert not tail[counts < 3].any()


def test_the_tail_is_never_empty_while_a_type_qualifies():
    assert metrics.tail_mask(np.array([90, 10]), q=0.05, min_count=3).tolist() == [False, True]
    assert not metrics.tail_mask(np.array([2, 1]), q=0.05, min_count=3).any()


def test_fast_scorer_agrees_with_the_direct_definitions():
    rng = np.random.default_rng(0)
    p0_counts = 1 + np.floor(3000 / np.arange(1, 301) ** 1.2).astype(np.int64)
    for smoothing_k in (0.0, 0.5):
        scorer = _Scorer(p0_counts, SimulationConfig(baseline="x", smoothing_k=smoothing_k))
        counts = rng.multinomial(2000, scorer.p0)
        p = fit_categorical(counts, smoothing_k)
        out = _empty(1, 1)
        scorer.score(out, 1, 0, counts, p)
        tail = metrics.tail_mask(p0_counts)
        assert out["jsd"][1, 0] == pytest.approx(metrics.jsd(scorer.p0, p), abs=1e-12)
        assert out["entropy"][1, 0] == pytest.approx(metrics.entropy(p), abs=1e-12)
        assert out["kl"][1, 0] == pytest.approx(metrics.kl_smoothed(scorer.p0, counts + smoothing_k), abs=1e-12)
        assert out["tail_survival"][1, 0] == metrics.tail_survival(counts, tail)
        assert out["homozygosity"][1, 0] == pytest.approx(metrics.homozygosity(p))
