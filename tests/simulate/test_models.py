"""Model families: the fit, temperature, top-p (the nucleus exactly), and sampling."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.simulate.models import (
    GaussianData,
    decode,
    fit_categorical,
    nucleus_mask,
    sample_counts,
    sample_training_counts,
    temper,
    top_p_filter,
)

probabilities = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30).filter(any).map(
    lambda xs: np.array(xs, dtype=float) / sum(xs)
)


def test_fit_is_the_maximum_likelihood_estimate_and_add_k_smooths_every_type():
    counts = np.array([6, 3, 1, 0])
    assert fit_categorical(counts).tolist() == [0.6, 0.3, 0.1, 0.0]
    assert np.allclose(fit_categorical(counts, smoothing_k=1.0), (counts + 1) / 14)


def test_temperature_raises_probabilities_to_one_over_t_and_renormalizes():
    p = np.array([0.5, 0.3, 0.2, 0.0])
    for t in (0.5, 2.0):
        expected = p ** (1 / t) / np.sum(p ** (1 / t))
        assert np.allclose(temper(p, t), expected)
    assert temper(p, 1.0) is p


def test_a_tiny_temperature_concentrates_on_the_mode_without_overflow():
    p = np.array([0.4, 0.35, 0.25])
    assert np.allclose(temper(p, 1e-3), [1.0, 0.0, 0.0])


@given(probabilities, st.floats(min_value=0.01, max_value=1.0))
@settings(max_examples=200, deadline=None)
def test_top_p_keeps_exactly_the_nucleus(p, top_p):
    kept = nucleus_mask(p, top_p)
    mass = p[kept].sum()
    assert mass >= top_p - 1e-9                                   # enough mass
    assert mass - p[kept].min() < top_p + 1e-9 or kept.sum() == 1  # and no smaller set would do
    if (~kept & (p > 0)).any():                                    # the most probable types
        assert p[kept].min() >= p[~kept].max()
    assert not kept[p == 0].any()


def test_top_p_filter_renormalizes_the_nucleus_and_decode_applies_temperature_first():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert np.allclose(top_p_filter(p, 0.8), [0.625, 0.375, 0, 0])
    # At T = 0.5 the first type holds 0.25/0.365 = 0.685 >= 0.65, so the nucleus is that type alone;
    # top-p applied before the temperature would keep two types (0.5 < 0.65).
    assert np.allclose(decode(p, 0.5, 0.65), [1, 0, 0, 0])


def test_sampled_synthetic_data_stays_inside_the_nucleus():
    rng = np.random.default_rng(0)
    p0 = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    q = decode(p0, 1.0, 0.75)
    counts = sample_training_counts(rng, 10_000, 1.0, p0, q)
    assert counts.sum() == 10_000
    assert counts[~nucleus_mask(p0, 0.75)].sum() == 0 and (counts[:3] > 0).all()


@pytest.mark.parametrize("split", ["mixture", "exact"])
def test_training_data_has_n_tokens_and_the_fresh_human_share(split):
    rng = np.random.default_rng(1)
    p0, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.0, 1.0])   # synthetic tokens are type 2 only
    shares = [sample_training_counts(rng, 1000, 0.3, p0, q, split)[2] / 1000 for _ in range(200)]
    assert np.mean(shares) == pytest.approx(0.3, abs=0.005)      # 4 standard errors of the mixture
    if split == "exact":
        assert set(shares) == {0.3}


def test_sample_counts_draws_n_tokens_and_zero_tokens_for_n_zero():
    rng = np.random.default_rng(2)
    assert sample_counts(rng, 500, np.array([0.2, 0.8])).sum() == 500
    assert sample_counts(rng, 0, np.array([0.2, 0.8])).tolist() == [0, 0]


def test_pooled_gaussian_statistics_equal_those_of_the_concatenated_samples():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1, 2, size=7), rng.normal(-1, 0.5, size=12)

    def stats(x: np.ndarray) -> GaussianData:
        return GaussianData(np.array([x.size]), np.array([x.mean()]), np.array([((x - x.mean()) ** 2).sum()]))

    pooled = stats(a).combine(stats(b))
    both = np.concatenate([a, b])
    mean, var = pooled.fit()
    assert mean[0] == pytest.approx(both.mean()) and var[0] == pytest.approx(both.var())
