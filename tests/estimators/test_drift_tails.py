"""Drift and tail loss on stores built from known distributions."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from provenance.errors import EstimatorError, UsageError
from provenance.estimators import (
    DRIFT_METRICS, TAIL_METRICS, DriftConfig, TailsConfig, drift_from_counts, estimate_drift, estimate_tails,
    tails_from_counts,
)
from provenance.estimators.periods import UnitCounts, parse_by
from provenance.estimators.tails import select_tail
from tests.estimators.helpers import counts_frame, insert_token_counts, sample_blocks, unit_counts

V = 3000
ZIPF = np.arange(1, V + 1) ** -1.1
ZIPF = ZIPF / ZIPF.sum()


def _shifted(step: float) -> np.ndarray:
    """The base Zipf distribution with the rarest half of the vocabulary thinned by exp(-step)."""
    p = ZIPF * np.where(np.arange(V) >= V // 2, np.exp(-step), 1.0)
    return p / p.sum()


@pytest.fixture(scope="module")
def drifting():
    """Years 2019..2022: the rare half of the vocabulary shrinks a little more every year."""
    rng = np.random.default_rng(1)
    return {str(2019 + k): sample_blocks(rng, _shifted(1.0 * k), 24, 1500, topics=10, topic_strength=2.0) for k in range(4)}


@pytest.fixture
def drift_store(store, drifting):
    frames = [counts_frame(int(y), m, block_offset=100 * i) for i, (y, m) in enumerate(drifting.items())]
    insert_token_counts(store, pl.concat(frames))
    return store


def _values(est, metric):
    return {r["period"]: r["value"] for r in est.metrics.filter(pl.col("metric") == metric).iter_rows(named=True)}


# -- drift ---------------------------------------------------------------------------------------------------
def test_a_language_without_counts_is_refused_with_the_languages_that_have_them(drift_store):
    """`drift --lang fr` on a store of English said "run 'provenance ingest' first", as if nothing were ingested."""
    for estimate, config in ((estimate_drift, DriftConfig), (estimate_tails, TailsConfig)):
        with pytest.raises(EstimatorError, match=r"for language 'fr'; languages with counts, most tokens first: en \(ISO"):
            estimate(drift_store, config(baseline="2019", lang="fr"))


def test_drift_writes_every_metric_for_every_period(drift_store):
    est = estimate_drift(drift_store, DriftConfig(baseline="2019"))
    rows = drift_store.con.execute("SELECT estimator, metric, period, lang, value, ci_low, ci_high, parameters FROM metrics").fetchall()
    assert {(r[0], r[1]) for r in rows} == {("drift", m) for m in DRIFT_METRICS}
    assert {r[2] for r in rows} == {"2019", "2020", "2021", "2022"} and all(r[3] is None for r in rows)
    params = json.loads(rows[0][7])
    assert params["baseline"] == "2019" and params["budget_tokens"] == 24 * 1500 // 4
    assert all(r[5] <= r[4] <= r[6] for r in rows)
    assert drift_store.con.execute("SELECT command, finished_at IS NOT NULL FROM runs").fetchall() == [("drift", True)]
    assert est.run_id == 1


def test_drift_ranks_years_by_how_far_they_moved(drift_store):
    est = estimate_drift(drift_store, DriftConfig(baseline="2019"))
    excess = _values(est, "excess_jsd")
    assert excess["2019"] == 0.0
    assert excess["2020"] < excess["2021"] < excess["2022"]
    ci = est.metrics.filter((pl.col("metric") == "excess_jsd") & (pl.col("period") == "2022")).row(0, named=True)
    assert ci["ci_low"] > 0  # a clear shift is distinguishable from the noise floor
    ttr = _values(est, "ttr")
    assert ttr["2022"] < ttr["2019"]  # fewer rare types at the same budget


def test_drift_of_periods_drawn_from_one_distribution_is_within_noise():
    rng = np.random.default_rng(4)
    same = {str(y): sample_blocks(rng, ZIPF, 24, 1500, topics=10, topic_strength=2.0) for y in (2019, 2020)}
    est = drift_from_counts(unit_counts(same), "2019", DriftConfig(baseline="2019"))
    row = est.metrics.filter((pl.col("metric") == "excess_jsd") & (pl.col("period") == "2020")).row(0, named=True)
    assert row["ci_low"] <= 0 <= row["ci_high"]


def test_top_movers_list_the_thinned_tokens_with_counts(drift_store):
    est = estimate_drift(drift_store, DriftConfig(baseline="2019", top=5))
    movers = est.details.filter(pl.col("period") == "2022")
    assert movers.height == 5
    assert set(movers.columns) >= {"token", "baseline_count", "count", "share_change", "g2"}
    assert movers["g2"].is_sorted(descending=True)


def test_an_unknown_baseline_lists_the_known_years(drift_store):
    with pytest.raises(EstimatorError, match=r"unknown baseline period '2018'; known years: 2019, 2020, 2021, 2022"):
        estimate_drift(drift_store, DriftConfig(baseline="2018"))


def test_a_crawl_id_baseline_while_grouping_by_year_suggests_the_fix(drift_store):
    with pytest.raises(EstimatorError, match="use --baseline 2019 or --by crawl"):
        estimate_drift(drift_store, DriftConfig(baseline="CC-MAIN-2019-10"))


def test_grouping_by_crawl_uses_crawl_ids(drift_store):
    est = estimate_drift(drift_store, DriftConfig(baseline="CC-MAIN-2019-10", by="crawl"), record_run=False)
    assert est.metrics["period"].unique().sort().to_list()[0] == "CC-MAIN-2019-10"


def test_a_budget_beyond_the_largest_equal_budget_is_refused(drift_store):
    with pytest.raises(EstimatorError, match="exceeds the largest equal budget, 9000 tokens"):
        estimate_drift(drift_store, DriftConfig(baseline="2019", budget=10**6))


@pytest.mark.parametrize("by", ["week", "year,crawl", "lang", ""])
def test_bad_grouping_is_a_usage_error(by):
    with pytest.raises(UsageError):
        parse_by(by)


def test_by_year_and_lang_reports_each_language_against_its_own_baseline(store, drifting):
    rng = np.random.default_rng(9)
    frames = [counts_frame(int(y), m, block_offset=100 * i) for i, (y, m) in enumerate(drifting.items())]
    frames += [counts_frame(y, sample_blocks(rng, ZIPF, 8, 1000), block_offset=1000 + 10 * i, lang="de")
               for i, y in enumerate((2019, 2020))]
    insert_token_counts(store, pl.concat(frames))
    est = estimate_drift(store, DriftConfig(baseline="2019", by="year,lang"))
    cells = set(est.metrics.select("period", "lang").unique().iter_rows())
    assert cells == {("2019", "en"), ("2020", "en"), ("2021", "en"), ("2022", "en"), ("2019", "de"), ("2020", "de")}
    only_de = estimate_drift(store, DriftConfig(baseline="2019", lang="de"), record_run=False)
    assert set(only_de.metrics["period"]) == {"2019", "2020"}
    assert only_de.metrics["lang"].null_count() == only_de.metrics.height


def test_periods_with_few_blocks_get_values_but_no_intervals(store):
    rng = np.random.default_rng(2)
    insert_token_counts(store, pl.concat([counts_frame(2019, sample_blocks(rng, ZIPF, 1, 4000)),
                                          counts_frame(2020, sample_blocks(rng, ZIPF, 2, 3000), block_offset=5)]))
    est = estimate_drift(store, DriftConfig(baseline="2019"))
    assert est.metrics["value"].is_not_null().all()
    assert est.metrics["ci_low"].null_count() == est.metrics.height
    assert any("fewer than 4 blocks" in n for n in est.notes)


def test_drift_is_reproducible_with_a_seed(drifting):
    data = unit_counts(drifting)
    a = drift_from_counts(data, "2019", DriftConfig(baseline="2019", seed=3)).metrics
    b = drift_from_counts(data, "2019", DriftConfig(baseline="2019", seed=3)).metrics
    assert a.equals(b)


def test_a_years_estimates_do_not_move_when_a_new_year_joins_the_run(drifting):
    # one random stream for all periods: a new crawl moved every earlier year's values and intervals at the same
    # budget (a monitoring job's alert on 2017 came and went from one report to the next)
    earlier = {y: m for y, m in drifting.items() if y != "2022"}
    for estimate_from, config in ((drift_from_counts, DriftConfig), (tails_from_counts, TailsConfig)):
        budget = {"budget": 5000} if config is DriftConfig else {}
        before = estimate_from(unit_counts(earlier), "2019", config(baseline="2019", draws=6, **budget)).metrics
        after = estimate_from(unit_counts(drifting), "2019", config(baseline="2019", draws=6, **budget)).metrics
        assert after.filter(pl.col("period") != "2022").sort("period", "metric").equals(before.sort("period", "metric"))


# -- tails ---------------------------------------------------------------------------------------------------
def test_the_tail_is_the_rarest_reliable_types_up_to_the_mass_share():
    counts = np.array([1, 2, 3, 3, 4, 10, 77])  # 100 tokens; types seen >= 3: 3, 3, 4, 10, 77
    vocab = np.array(list("abcdefg"), dtype=object)
    assert select_tail(counts, vocab, 0.10, 3).tolist() == [2, 3, 4]  # 3 + 3 + 4 = 10 <= 10% of 100
    assert select_tail(counts, vocab, 0.09, 3).tolist() == [2, 3]
    assert select_tail(counts, vocab, 0.05, 3).tolist() == [2]  # ties broken by token text


def test_tails_write_every_metric_and_rank_the_years(drift_store):
    est = estimate_tails(drift_store, TailsConfig(baseline="2019", tail_mass=0.03))  # inside the thinned half
    assert {m for m in est.metrics["metric"]} == set(TAIL_METRICS)
    survival = _values(est, "tail_survival")
    assert survival["2019"] == pytest.approx(1.0)
    assert survival["2022"] < survival["2021"] < survival["2020"] < 1.0
    rarest = estimate_tails(drift_store, TailsConfig(baseline="2019", tail_mass=0.01), record_run=False)
    assert _values(rarest, "tail_mass_ratio")["2022"] < 0.8
    lost = est.details.filter(pl.col("period") == "2022")
    assert lost.height == 10 and (lost["drop"] > 0).all()
    chao = est.metrics.filter(pl.col("metric") == "chao1")
    assert (chao["ci_low"] <= chao["value"]).all() and (chao["value"] <= chao["ci_high"]).all()


def test_tail_survival_is_the_exact_rarefaction_ratio():
    rng = np.random.default_rng(5)
    same = {str(y): sample_blocks(rng, ZIPF, 4, 2000) for y in (2019, 2020)}
    est = tails_from_counts(unit_counts(same), "2019", TailsConfig(baseline="2019", draws=2))
    seen = _values(est, "tail_seen")
    assert 0 < seen["2020"] <= 1 and 0 < seen["2019"] <= 1
    assert _values(est, "tail_survival")["2020"] == pytest.approx(seen["2020"] / seen["2019"], rel=0.05)


def _bursty_year(rng, docs: int, per_block: int = 10, common: int = 1500, rare: int = 600, words: int = 150,
                 copies: int = 3, docs_per_rare: float = 4.0) -> np.ndarray:
    """(blocks, V) counts of documents from one source whose rare words come in documents (as real text's do): each
    rare word is in Poisson(docs_per_rare) of every 400 documents, `copies` times in each."""
    counts = np.zeros((docs, common + rare), np.int64)
    counts[:, :common] = rng.multinomial(words, ZIPF[:common] / ZIPF[:common].sum(), size=docs)
    for r in range(rare):
        holders = rng.choice(docs, size=min(docs, rng.poisson(docs_per_rare * docs / 400)), replace=False)
        counts[holders, common + r] += copies
    return counts.reshape(docs // per_block, per_block, -1).sum(axis=1)


def test_tail_survival_of_a_larger_year_from_the_same_source_is_one_when_rare_words_come_in_documents():
    """Thinned token by token to the budget, a year three times the baseline's reference half saw a rare word held by
    one document's three tokens almost surely, the baseline with that document's chance: survival read 1.17-1.31 with
    intervals that missed 1. Drawn by blocks, as the baseline's halves are, both read the same chance."""
    rng = np.random.default_rng(3)
    years = {"2019": _bursty_year(rng, 400), "2020": _bursty_year(rng, 1200)}
    est = tails_from_counts(unit_counts(years), "2019", TailsConfig(baseline="2019", draws=10))
    row = est.metrics.filter((pl.col("metric") == "tail_survival") & (pl.col("period") == "2020")).row(0, named=True)
    assert row["value"] == pytest.approx(1.0, abs=0.08)
    assert row["ci_low"] <= 1.0 <= row["ci_high"]
    # the Good-Turing unseen mass at the budget likewise (token by token, a word's three tokens thinned made singletons:
    # the larger year read 0.0265 against the baseline's 0.0209)
    unseen = est.metrics.filter(pl.col("metric") == "good_turing_unseen").sort("period").rows(named=True)
    assert unseen[1]["value"] == pytest.approx(unseen[0]["value"], rel=0.05)
    assert unseen[0]["ci_low"] <= unseen[1]["value"] <= unseen[0]["ci_high"]


def test_blocks_holding_a_token_are_counted_per_block_also_inside_merged_units_and_once_per_block():
    """Units merge blocks past --max-units, and a block's rows may repeat a token (documents of two languages): a
    token's holders are still its blocks, each once."""
    from provenance.estimators.periods import _merge_units
    from provenance.estimators.tails import _presence

    rng = np.random.default_rng(8)
    blocks = rng.poisson(0.3, size=(12, 30))
    data = unit_counts({"2019": blocks})
    merged = _merge_units(data, 3)
    assert merged.units(0).size == 3
    for d in (data, merged):
        seen, n = _presence(d, d.units(0))
        assert n == 12 and seen.tolist() == (blocks > 0).sum(axis=0).tolist()
    # a block written as two rows (two languages' documents): 'row' repeats tokens of its block
    split = unit_counts({"2019": np.vstack([blocks[:1] - blocks[:1] // 2, blocks[:1] // 2, blocks[1:]])})
    one_block = UnitCounts(split.cells, split.vocab, np.array([0, 12]), np.delete(split.indptr, 1), split.token, split.count,
                           block_ptr=np.delete(split.indptr, 1))
    seen, n = _presence(one_block, one_block.units(0))
    assert n == 12 and seen.tolist() == (blocks > 0).sum(axis=0).tolist()


def test_a_period_that_lost_no_tail_token_lists_none_beside_one_that_did():
    """A period with no tail token less likely seen than in the baseline has an empty list of lost tokens, and the
    lists of all periods still make one table (an empty list's period column was of type Null: a SchemaError)."""
    from provenance.estimators.tails import _Tail, lost_tokens

    data = unit_counts({"2019": np.array([[50, 3, 2, 1]]), "2020": np.array([[50, 3, 2, 1]]), "2021": np.array([[50, 0, 0, 1]])})
    reference = np.array([50.0, 3.0, 2.0, 1.0])
    tail = _Tail(ids=np.array([1, 2]), selection=np.array([3, 2]), reference=reference, reference_units=np.array([0]), selection_tokens=56)
    same = lost_tokens(data, 1, reference.copy(), tail, 20, 10)
    fewer = lost_tokens(data, 2, np.array([50.0, 0.0, 0.0, 1.0]), tail, 20, 10)
    assert same.height == 0 and fewer["token"].to_list() == ["t1", "t2"]
    assert pl.concat([same, fewer])["period"].to_list() == ["2021", "2021"]


def test_tails_without_a_usable_tail_explain_what_to_change(drift_store):
    with pytest.raises(EstimatorError, match="lower --min-count or raise --tail-mass"):
        estimate_tails(drift_store, TailsConfig(baseline="2019", min_count=10**6))


def test_tail_options_are_validated(drift_store):
    with pytest.raises(UsageError):
        estimate_tails(drift_store, TailsConfig(baseline="2019", tail_mass=1.5))


# -- interval coverage -----------------------------------------------------------------------------------------
def _truth(metric_fn, probs, blocks, tokens, rng, sims=400):
    return float(np.mean([metric_fn(sample_blocks(rng, probs, blocks, tokens, topics=5, topic_strength=3.0).sum(axis=0))
                          for _ in range(sims)]))


def test_drift_intervals_cover_the_truth_in_90_to_99_percent_of_simulations():
    """TTR at the budget: truth = mean TTR of a fresh budget-sized sample of whole blocks."""
    rng = np.random.default_rng(21)
    probs = ZIPF[:800] / ZIPF[:800].sum()
    blocks, tokens = 16, 250  # budget = 16 * 250 / 4 = 1000 tokens = 4 blocks
    truth = _truth(lambda c: np.count_nonzero(c) / c.sum(), probs, 4, tokens, rng)
    covered, sims = 0, 200
    for k in range(sims):
        data = unit_counts({"2019": sample_blocks(rng, probs, blocks, tokens, topics=5, topic_strength=3.0)})
        row = drift_from_counts(data, "2019", DriftConfig(baseline="2019", draws=10, seed=k)).metrics
        r = row.filter(pl.col("metric") == "ttr").row(0, named=True)
        covered += r["ci_low"] <= truth <= r["ci_high"]
    assert 0.90 <= covered / sims <= 0.99


def test_tails_intervals_cover_the_truth_in_90_to_99_percent_of_simulations():
    """Good-Turing unseen mass at the budget: truth = mean f1 / n of a fresh budget-sized block sample."""
    rng = np.random.default_rng(22)
    probs = ZIPF[:800] / ZIPF[:800].sum()
    blocks, tokens = 16, 250  # budget = half of 4000 = 2000 tokens = 8 blocks; baseline reference half too
    truth = _truth(lambda c: (c == 1).sum() / c.sum(), probs, 8, tokens, rng)
    covered, sims = 0, 200
    for k in range(sims):
        cells = {y: sample_blocks(rng, probs, blocks if y == "2020" else 2 * blocks, tokens, topics=5, topic_strength=3.0)
                 for y in ("2019", "2020")}
        m = tails_from_counts(unit_counts(cells), "2019", TailsConfig(baseline="2019", draws=10, seed=k)).metrics
        r = m.filter((pl.col("metric") == "good_turing_unseen") & (pl.col("period") == "2020")).row(0, named=True)
        covered += r["ci_low"] <= truth <= r["ci_high"]
    assert 0.90 <= covered / sims <= 0.99


@pytest.mark.parametrize("option", [{"draws": 0}, {"draws": 1}, {"budget": 0}, {"confidence": 1.0}])
def test_resampling_options_that_give_no_interval_are_usage_errors(drift_store, option):
    """--draws 0 wrote NULL metrics over an earlier run's (the report then showed n/a everywhere); --budget 0 meant the default."""
    for estimate, config in ((estimate_drift, DriftConfig), (estimate_tails, TailsConfig)):
        with pytest.raises(UsageError):
            estimate(drift_store, config(baseline="2019", **option))


def test_a_tiny_period_is_left_out_instead_of_shrinking_every_sample():
    """One small year set the shared budget of all (82 tokens: every JSD 0.32 -> 0.73); it is left out with a note
    naming it and the --budget that would include it, and the other years keep the budget they had without it."""
    rng = np.random.default_rng(11)
    years = {str(y): sample_blocks(rng, ZIPF, 8, 1500) for y in (2019, 2020, 2021)}
    tiny = {**years, "2015": sample_blocks(rng, ZIPF, 1, 80)}
    for estimate_from, config in ((drift_from_counts, DriftConfig), (tails_from_counts, TailsConfig)):
        alone = estimate_from(unit_counts(years), "2019", config(baseline="2019", draws=4))
        est = estimate_from(unit_counts(tiny), "2019", config(baseline="2019", draws=4))
        assert set(est.metrics["period"]) == {"2019", "2020", "2021"}
        assert est.summary["budget_tokens"].to_list() == alone.summary["budget_tokens"].to_list()
        assert any(n.startswith("2015 (80 tokens): under 10% of the median period's") for n in est.notes)
        forced = estimate_from(unit_counts(tiny), "2019", config(baseline="2019", draws=4, budget=20))
        assert set(forced.metrics["period"]) == {"2015", "2019", "2020", "2021"}


def test_a_period_larger_than_a_small_baseline_is_kept():
    """The baseline sets the budget when it is the smallest: leaving out a larger period lowered nothing."""
    rng = np.random.default_rng(12)
    cells = {"2019": sample_blocks(rng, ZIPF, 2, 400), "2018": sample_blocks(rng, ZIPF, 2, 500),
             **{str(y): sample_blocks(rng, ZIPF, 8, 1500) for y in (2020, 2021, 2022)}}
    for estimate_from, config in ((drift_from_counts, DriftConfig), (tails_from_counts, TailsConfig)):
        est = estimate_from(unit_counts(cells), "2019", config(baseline="2019", draws=2))
        assert set(est.metrics["period"]) == set(cells) and not any("left out" in n for n in est.notes)


def test_a_baseline_of_one_block_in_one_language_names_the_language():
    import dataclasses

    from provenance.estimators.periods import Cell

    rng = np.random.default_rng(4)
    one = unit_counts({"2019": sample_blocks(rng, ZIPF, 1, 1000), "2020": sample_blocks(rng, ZIPF, 4, 1000)})
    data = dataclasses.replace(one, cells=[Cell(c.period, "de") for c in one.cells])
    with pytest.raises(EstimatorError, match=r"baseline 2019 \(language de\) has a single block.*a smaller --block-docs"):
        tails_from_counts(data, "2019", TailsConfig(baseline="2019", by="year,lang", draws=2))


def test_a_period_of_documents_without_tokens_is_named_not_dropped_silently(drift_store):
    from tests.estimators.helpers import insert_documents

    insert_documents(drift_store, ["\U0001f600 !!!", "\u2728 ..."], [2018, 2018])  # documents, no token counts
    for estimate, config in ((estimate_drift, DriftConfig), (estimate_tails, TailsConfig)):
        est = estimate(drift_store, config(baseline="2019", draws=2), record_run=False)
        assert "2018" not in set(est.metrics["period"])
        assert any(n.startswith("2018: documents but no 'word' token counts") for n in est.notes)


def test_a_language_of_a_period_without_tokens_is_named_when_grouping_by_language(store, drifting):
    from tests.estimators.helpers import insert_documents

    insert_token_counts(store, pl.concat([counts_frame(2019, drifting["2019"]), counts_frame(2020, drifting["2020"], block_offset=100)]))
    insert_documents(store, ["\U0001f600 !!!", "\u2728 ..."], [2020, 2020], lang="ja")
    est = estimate_drift(store, DriftConfig(baseline="2019", by="year,lang", draws=2), record_run=False)
    assert any(n.startswith("2020 (ja): documents but no 'word' token counts") for n in est.notes)
