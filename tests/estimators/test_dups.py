"""Near-duplicates: band choice, candidates, union-find, accuracy against exact Jaccard, per-period rates."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import EstimatorError, UsageError
from provenance.estimators.dups import (
    DupsConfig, candidate_pairs, candidate_probability, choose_bands, cluster_signatures, connected_components,
    estimate_dups,
)
from provenance.ingest.minhash import minhash_texts_tokens
from provenance.ingest.tokenize import word_tokens
from tests.estimators.helpers import exact_jaccard_matrix, insert_documents, pair_corpus


# -- bands ------------------------------------------------------------------------------------------------
def test_the_default_threshold_uses_the_stored_16_by_8_bands():
    assert choose_bands(0.8) == (16, 8)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9, 0.95])
def test_chosen_bands_catch_pairs_at_the_threshold_with_probability_at_least_0_9(threshold):
    b, r = choose_bands(threshold)
    assert b * r <= 128
    assert candidate_probability(threshold, b, r) >= 0.9
    # and the next steeper curve (one more row) would not
    assert candidate_probability(threshold, 128 // (r + 1), r + 1) < 0.9


def test_the_s_curve_of_the_stored_bands():
    p = candidate_probability(np.array([0.6, 0.7, 0.8, 0.9]), 16, 8)
    assert p == pytest.approx([0.2374, 0.6133, 0.9470, 0.99988], abs=1e-4)  # 1 - (1 - s^8)^16


def test_a_threshold_outside_0_1_is_a_usage_error():
    with pytest.raises(UsageError):
        choose_bands(1.5)


# -- union-find --------------------------------------------------------------------------------------------
def _reference_components(n, a, b):
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in zip(a, b):
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return np.array([find(x) for x in range(n)])


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))))
@settings(max_examples=150)
def test_vectorized_components_equal_a_sequential_union_find(case):
    n, edges = case
    a = np.array([u for u, _ in edges], np.int64)
    b = np.array([v for _, v in edges], np.int64)
    assert np.array_equal(connected_components(n, a, b), _reference_components(n, a, b))


def test_components_of_a_long_chain_collapse_to_its_smallest_node():
    n = 100_000
    perm = np.random.default_rng(0).permutation(n)
    labels = connected_components(n, perm[:-1], perm[1:])
    assert (labels == 0).all()


def test_candidate_pairs_link_every_member_of_a_bucket():
    keys = np.array([[5, 1], [7, 2], [5, 3], [5, 4], [9, 2]], np.uint64)
    a, b = candidate_pairs(keys)
    pairs = set(zip(a.tolist(), b.tolist()))
    assert {(0, 2), (0, 3), (2, 3), (1, 4)} <= pairs
    labels = connected_components(5, a, b)
    assert labels.tolist() == [0, 1, 0, 0, 1]


@given(st.lists(st.text(alphabet="abc de", min_size=0, max_size=60), min_size=1, max_size=12))
@settings(max_examples=40, deadline=None)
def test_exact_duplicates_are_always_clustered_together(texts):
    corpus = texts + texts[::-1]
    sig, keys = minhash_texts_tokens(word_tokens(pl.Series(corpus)))
    labels = cluster_signatures(sig, 0.8, keys)
    n = len(texts)
    for i in range(n):
        if word_tokens(pl.Series([texts[i]])).to_list()[0]:  # empty texts are never candidates
            assert labels[i] == labels[2 * n - 1 - i]


# -- accuracy against brute force ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair_case():
    texts, _ = pair_corpus(n_pairs=400, seed=5, words=120)
    exact = exact_jaccard_matrix(texts)
    sig, keys = minhash_texts_tokens(word_tokens(pl.Series(texts)))
    return texts, exact, sig, keys


def _pair_stats(labels, exact):
    i = np.arange(0, exact.shape[0], 2)
    j_pair = exact[i, i + 1]
    same = labels[i] == labels[i + 1]
    return j_pair, same


@pytest.mark.parametrize("rebanded", [False, True])
def test_near_duplicates_match_exact_jaccard(pair_case, rebanded):
    texts, exact, sig, keys = pair_case
    labels = cluster_signatures(sig, 0.8, None if rebanded else keys)
    j_pair, same = _pair_stats(labels, exact)
    assert (j_pair >= 0.9).sum() >= 40 and (j_pair <= 0.6).sum() >= 100  # the corpus spans 0.3 .. 1.0
    recall = same[j_pair >= 0.9].mean()
    false_positive = same[j_pair <= 0.6].mean()
    assert recall >= 0.95
    assert false_positive <= 0.02
    # unrelated documents (exact Jaccard ~ 0) never share a cluster
    off_pair = labels[:, None] == labels[None, :]
    idx = np.arange(len(texts))
    off_pair[idx, idx] = False
    off_pair[idx[::2], idx[::2] + 1] = off_pair[idx[::2] + 1, idx[::2]] = False
    assert not off_pair.any()


def test_a_stricter_threshold_rebands_and_still_finds_identical_pairs(pair_case):
    texts, exact, sig, _ = pair_case
    labels = cluster_signatures(sig, 0.95)
    j_pair, same = _pair_stats(labels, exact)
    assert same[j_pair >= 0.99].all()
    assert same[j_pair <= 0.8].mean() <= 0.02


# -- rates on a store ------------------------------------------------------------------------------------------
def _text(seed: int, words: int = 60) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(f"v{x}" for x in rng.integers(0, 10**6, words))


def _near(text: str) -> str:
    w = text.split()
    return " ".join(w[:-2] + ["changed", "ending"])  # Jaccard ~ 0.93 for 60 words


@pytest.fixture
def dup_store(store):
    a, b, c = _text(1), _text(2), _text(3)
    texts = [a, a, _near(b), b] + [_text(10 + i) for i in range(6)]  # 2019: 10 docs
    years = [2019] * 10
    texts += [a, _near(c), c, _text(30)] + [_text(40 + i) for i in range(6)]  # 2020: 10 docs
    years += [2020] * 10
    insert_documents(store, texts, years, blocks=[i // 5 for i in range(20)])
    return store


def test_rates_per_period_match_the_construction(dup_store):
    est = estimate_dups(dup_store, DupsConfig(baseline="2019"))
    v = {(r["period"], r["metric"]): r["value"] for r in est.metrics.iter_rows(named=True)}
    # 2019: a twice (1 exact dup); near(b) and b (1 near dup) -> exact 1/10, near 2/10, no earlier period
    assert v[("2019", "exact_dup_rate")] == pytest.approx(0.1)
    assert v[("2019", "near_dup_rate")] == pytest.approx(0.2)
    assert v[("2019", "carryover_rate")] == 0.0
    # 2020: a again (carried over from 2019, first of its cluster within 2020); near(c) ~ c
    assert v[("2020", "exact_dup_rate")] == 0.0
    assert v[("2020", "near_dup_rate")] == pytest.approx(0.1)
    assert v[("2020", "carryover_rate")] == pytest.approx(0.1)
    assert v[("2020", "baseline_overlap_rate")] == pytest.approx(0.1)
    assert ("2019", "baseline_overlap_rate") not in v


def test_identical_documents_without_a_shingle_are_near_duplicates_too(store):
    """Emoji or punctuation pages have no word to shingle, so no MinHash to compare: exact copies among them were
    never near duplicates (exact_dup_rate above near_dup_rate)."""
    texts = ["\U0001f600 !!!"] * 4 + ["\u2728 ..."] * 2 + [_text(50 + i) for i in range(4)]
    insert_documents(store, texts, [2019] * 10, blocks=[i // 5 for i in range(10)])
    v = {r["metric"]: r["value"] for r in estimate_dups(store, DupsConfig()).metrics.iter_rows(named=True)}
    assert v["exact_dup_rate"] == pytest.approx(0.4) and v["near_dup_rate"] == pytest.approx(0.4)


@pytest.mark.parametrize("option", [{"replicates": 0}, {"replicates": 1}, {"confidence": 0.0}])
def test_replicates_that_give_no_interval_are_usage_errors(dup_store, option):
    with pytest.raises(UsageError):
        estimate_dups(dup_store, DupsConfig(baseline="2019", **option))


def test_dups_records_metrics_clusters_and_the_view(dup_store):
    est = estimate_dups(dup_store, DupsConfig())
    rows = dup_store.con.execute("SELECT DISTINCT estimator, run_id FROM metrics").fetchall()
    assert rows == [("dups", est.run_id)]
    clusters = dup_store.con.execute(
        "SELECT cluster_size, count(*) FROM dup_clusters_view GROUP BY ALL ORDER BY 1 DESC").fetchall()
    assert clusters == [(3, 3), (2, 4)]  # {a, a, a}, {near b, b}, {near c, c}
    urls = dup_store.con.execute("SELECT url FROM dup_clusters_view LIMIT 1").fetchone()[0]
    assert urls.startswith("https://example.org/")


def test_intervals_are_null_with_fewer_than_two_blocks(store):
    insert_documents(store, [_text(1), _text(1), _text(2)], [2019] * 3, blocks=[0, 0, 0])
    est = estimate_dups(store, DupsConfig())
    assert est.metrics["ci_low"].null_count() == est.metrics.height
    assert any("fewer than 2 blocks" in n for n in est.notes)


def test_unknown_baseline_lists_the_known_periods(dup_store):
    with pytest.raises(EstimatorError, match="unknown baseline period '2018'; known years: 2019, 2020"):
        estimate_dups(dup_store, DupsConfig(baseline="2018"))
