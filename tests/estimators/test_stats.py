"""The statistics behind the estimators, checked against exact answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from provenance.estimators import stats

counts_strategy = st.lists(st.integers(0, 50), min_size=1, max_size=40).filter(lambda c: sum(c) > 0)


# -- Jensen-Shannon divergence ------------------------------------------------------------------------
@given(counts_strategy)
def test_jsd_of_a_distribution_with_itself_is_zero(p):
    assert stats.jsd(p, p) == pytest.approx(0.0, abs=1e-12)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=40)
       .filter(lambda r: sum(a for a, _ in r) > 0 and sum(b for _, b in r) > 0))
def test_jsd_is_symmetric_and_between_zero_and_one(pairs):
    p, q = [a for a, _ in pairs], [b for _, b in pairs]
    assert stats.jsd(p, q) == pytest.approx(stats.jsd(q, p), abs=1e-12)
    assert 0.0 <= stats.jsd(p, q) <= 1.0


def test_jsd_of_disjoint_supports_is_exactly_one_bit():
    assert stats.jsd([1, 2, 0, 0], [0, 0, 5, 1]) == pytest.approx(1.0, abs=1e-12)


def test_jsd_hand_computed_case():
    # P = (1/2, 1/2, 0), Q = (0, 1/2, 1/2): M = (1/4, 1/2, 1/4), H(M) = 1.5 bits, H(P) = H(Q) = 1 bit.
    assert stats.jsd([1, 1, 0], [0, 1, 1]) == pytest.approx(0.5, abs=1e-12)


def test_jsd_terms_sum_to_the_divergence_and_agree_with_scipy():
    rng = np.random.default_rng(3)
    p, q = rng.integers(0, 30, 200), rng.integers(0, 30, 200)
    assert stats.jsd_terms(p, q).sum() == pytest.approx(stats.jsd(p, q), abs=1e-12)
    from scipy.spatial.distance import jensenshannon

    assert stats.jsd(p, q) == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)


@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=60))
@settings(max_examples=60)
def test_the_equal_total_shortcut_matches_the_general_formula(pairs):
    p = np.array([a for a, _ in pairs] + [1])
    q = np.array([b for _, b in pairs] + [0])
    q[-1] += p.sum() - q.sum() if p.sum() > q.sum() else 0
    p[-1] += q.sum() - p.sum() if q.sum() > p.sum() else 0
    table = stats.xlog2x_table(int(2 * p.sum()))
    fast = stats.jsd_equal_totals(p, q, stats.xlog2x_sum(p, table), stats.xlog2x_sum(q, table), p.sum(), table)
    assert fast == pytest.approx(stats.jsd(p, q), abs=1e-9)


def test_entropy_matches_scipy():
    c = np.array([5, 0, 3, 1, 1, 10])
    assert stats.entropy_bits(c) == pytest.approx(sps.entropy(c, base=2), abs=1e-12)


# -- log-gamma and rarefaction ---------------------------------------------------------------------------
def test_lgamma_matches_the_standard_library():
    x = np.concatenate([np.linspace(0.01, 30, 3000), np.logspace(1.5, 9, 300)])
    ref = np.array([math.lgamma(v) for v in x])
    assert np.allclose(stats.lgamma(x), ref, rtol=1e-13, atol=1e-11)


def test_log_comb_ratio_is_exact_against_integer_binomials():
    for total, n, j in [(60, 25, 0), (60, 25, 1), (2000, 700, 0), (2000, 1999, 1)]:
        k = np.arange(0, 40)
        want = [math.log(math.comb(total - kk, n - j) / math.comb(total, n)) if total - kk >= n - j and kk >= j else -math.inf for kk in k]
        got = stats.log_comb_ratio(total, k, n, j)
        finite = np.isfinite(want)
        assert np.array_equal(np.isfinite(got), finite)
        assert np.allclose(got[finite], np.array(want)[finite], atol=1e-10)


def test_rarefaction_equals_the_mean_of_many_brute_force_subsamples():
    rng = np.random.default_rng(0)
    counts = np.array([1, 1, 2, 3, 5, 8, 13, 40, 1, 2, 4, 100])
    pool = np.repeat(np.arange(counts.size), counts)
    n, reps = 60, 20_000
    seen = np.zeros(counts.size)
    singles = 0.0
    for _ in range(reps):
        sub = np.bincount(rng.choice(pool, n, replace=False), minlength=counts.size)
        seen += sub > 0
        singles += (sub == 1).sum()
    exact = stats.presence_probability(counts, counts.sum(), n)
    assert np.allclose(seen / reps, exact, atol=0.012)  # 4 standard errors at 20,000 subsamples
    assert stats.expected_types(counts, counts.sum(), n) == pytest.approx(seen.sum() / reps, rel=0.005)
    assert stats.expected_singletons(counts, counts.sum(), n) == pytest.approx(singles / reps, rel=0.01)


def test_rarefaction_of_a_type_seen_once_is_the_sampling_fraction():
    assert stats.presence_probability(np.array([1]), 1000, 250)[0] == pytest.approx(0.25, abs=1e-12)


def test_rarefaction_agrees_with_scipy_hypergeometric():
    total, n = 10_000, 3_000
    k = np.array([1, 2, 7, 50, 400])
    assert np.allclose(stats.presence_probability(k, total, n), 1 - sps.hypergeom(total, k, n).pmf(0), atol=1e-12)


# -- Good-Turing, Chao1 --------------------------------------------------------------------------------
def test_good_turing_unseen_mass_textbook_example():
    # Jurafsky & Martin's fishing example: 10 carp, 3 perch, 2 whitefish, 1 trout, 1 salmon, 1 eel:
    # N = 18, two singletons among... three singletons (trout, salmon, eel): P(unseen) = 3/18.
    assert stats.good_turing_unseen(np.array([10, 3, 2, 1, 1, 1])) == pytest.approx(3 / 18)


def test_chao1_textbook_values():
    # S_obs = 6, f1 = 3, f2 = 1, n = 18: Chao1 = 6 + (17/18) * 9 / 2 = 10.25
    c = stats.chao1(np.array([10, 3, 2, 1, 1, 1]))
    assert (c.observed, c.f1, c.f2) == (6, 3, 1)
    assert c.estimate == pytest.approx(6 + (17 / 18) * 9 / 2)
    assert c.ci_low >= c.observed and c.ci_low < c.estimate < c.ci_high


def test_chao1_variance_formula_by_hand():
    counts = np.array([1] * 10 + [2] * 5 + [3] * 20)  # f1 = 10, f2 = 5, S_obs = 35, n = 80
    a, r = 79 / 80, 2.0
    var = 5 * (a * r**2 / 2 + a * a * r**3 + a * a * r**4 / 4)
    t = a * 100 / 10
    k = math.exp(1.959963984540054 * math.sqrt(math.log(1 + var / t**2)))
    c = stats.chao1(counts)
    assert c.estimate == pytest.approx(35 + t)
    assert (c.ci_low, c.ci_high) == pytest.approx((35 + t / k, 35 + t * k), rel=1e-8)


def test_chao1_without_doubletons_uses_the_bias_corrected_form():
    c = stats.chao1(np.array([1, 1, 1, 5]))  # f1 = 3, f2 = 0, n = 8
    assert c.estimate == pytest.approx(4 + (7 / 8) * 3 * 2 / 2)


def test_chao1_without_singletons_is_the_observed_richness():
    c = stats.chao1(np.array([2, 3, 4]))
    assert (c.estimate, c.ci_low, c.ci_high) == (3.0, 3.0, 3.0)


def test_chao1_interval_covers_the_true_richness_about_95_percent_of_the_time():
    # Chao1 is unbiased for equal abundances and a lower bound otherwise (docs/metrics.md: with
    # gamma(4) abundances at n = 2 S coverage falls to ~89%), so the coverage check uses equal ones.
    rng = np.random.default_rng(11)
    true_s, n, sims = 400, 400, 300
    probs = np.full(true_s, 1 / true_s)
    covered = 0
    for _ in range(sims):
        c = stats.chao1(rng.multinomial(n, probs))
        covered += c.ci_low <= true_s <= c.ci_high
    assert 0.90 <= covered / sims <= 0.99


# -- Zipf, quantiles, intervals ---------------------------------------------------------------------------
def test_zipf_exponent_recovers_the_generating_exponent():
    rng = np.random.default_rng(2)
    v, s = 5000, 1.2
    p = np.arange(1, v + 1) ** -s
    counts = rng.multinomial(2_000_000, p / p.sum())
    assert stats.zipf_exponent(counts, min_count=5, max_rank=2000) == pytest.approx(s, abs=0.02)


def test_normal_and_t_quantiles_match_scipy():
    for p in (0.001, 0.025, 0.3, 0.5, 0.9, 0.975):
        assert stats.normal_quantile(p) == pytest.approx(sps.norm.ppf(p), abs=1e-8)
    for df in (5, 10, 30, 200):
        assert stats.t_quantile(0.975, df) == pytest.approx(sps.t.ppf(0.975, df), abs=2e-3)


def test_half_sample_interval_of_independent_halves():
    t = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])  # mean 2, mean (A - B)^2 / 4 = 8/3 / 4... per row
    value, lo, hi = stats.half_sample_interval(t, 0.95)
    se = math.sqrt(np.mean([(1 - 3) ** 2, 0, (3 - 1) ** 2]) / 4)
    q = stats.t_quantile(0.975, 3)
    assert (value, lo, hi) == pytest.approx((2.0, 2 - q * se, 2 + q * se))


def test_half_sample_interval_needs_two_splits():
    assert stats.half_sample_interval(np.array([[1.0, 2.0]]), 0.95) == (1.5, None, None)


def test_expected_singletons_of_a_block_sample_are_the_mean_over_every_sample_of_k_blocks():
    """E[f1] when k of K blocks are drawn: a type is once in the sample when one of its blocks that holds it once is
    drawn and none of its other blocks; checked against every one of the C(7, 3) samples."""
    from itertools import combinations

    rng = np.random.default_rng(4)
    blocks = rng.poisson(0.6, size=(7, 40)) * rng.integers(1, 3, size=(7, 40))  # (block, type) counts, many 0 and 1
    exact = np.mean([((blocks[list(chosen)].sum(axis=0)) == 1).sum() for chosen in combinations(range(7), 3)])
    presence, singles = (blocks > 0).sum(axis=0), (blocks == 1).sum(axis=0)
    assert stats.expected_block_singletons(presence, singles, 7, 3) == pytest.approx(exact, rel=1e-12)
    assert stats.expected_block_singletons(presence, singles, 7, 7) == ((blocks.sum(axis=0)) == 1).sum()  # all drawn
