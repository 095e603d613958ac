"""The simulator over a store: P0 from token_counts, shares from metrics, results in sim_* tables."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from provenance.errors import EstimatorError, UsageError
from provenance.simulate import SimulationConfig, simulate
from provenance.store import Store

COUNTS = (1 + np.floor(4000 / np.arange(1, 301) ** 1.1)).astype(int)


def add_counts(store: Store, crawl: str, year: int, counts: np.ndarray, lang: str = "en", block: int = 0) -> None:
    rows = pl.DataFrame({
        "source_id": 1, "crawl": crawl, "year": year, "lang": lang, "block": block, "tokenizer": "word",
        "token": [f"w{i:04d}" for i in range(len(counts))], "count": np.asarray(counts, dtype=np.int64),
    })
    store.insert_token_counts(rows)


def add_share(store: Store, period: str, value: float, run_id: int = 1, lang: str | None = None, machine: str | None = None,
              by: str = "year", human: str = "hum") -> None:
    parameters = json.dumps({"by": by, "lang": lang, "references": {"human": human, "machine": machine}}) if machine else "{}"
    store.con.execute(
        "INSERT INTO metrics VALUES (?, 'synth', 'alpha', ?, ?, ?, ?, ?, ?, now())",
        [run_id, period, lang, value, value - 0.01, value + 0.01, parameters],
    )


@pytest.fixture
def s(tmp_path) -> Store:
    store = Store(tmp_path / "s.duckdb")
    half = COUNTS // 2
    add_counts(store, "CC-MAIN-2019-35", 2019, half, block=0)       # P0 is summed over blocks
    add_counts(store, "CC-MAIN-2019-35", 2019, COUNTS - half, block=1)
    add_counts(store, "CC-MAIN-2024-10", 2024, COUNTS[::-1])
    yield store
    store.close()


def small(**overrides) -> SimulationConfig:
    options = {"baseline": "2019", "schedule": "0.5", "regime": "both", "generations": 4, "tokens": 3000, "replicates": 5, "seed": 1}
    return SimulationConfig(**{**options, **overrides})


def test_p0_is_the_baseline_period_summed_over_blocks_and_sources(s):
    result = simulate(s, small(), record=False)
    assert result.baseline["vocabulary"] == COUNTS.size and result.baseline["tokens"] == COUNTS.sum()
    by_crawl = simulate(s, small(baseline="CC-MAIN-2019-35"), record=False)
    assert by_crawl.generations.drop("year").equals(result.generations.drop("year"))


def test_tokens_default_to_the_baseline_token_total(s):
    assert simulate(s, small(tokens=None), record=False).config.tokens == COUNTS.sum()


def test_a_run_is_recorded_and_the_summary_view_matches_the_returned_summary(s):
    result = simulate(s, small())
    run = s.con.execute("SELECT family, regimes, generations, vocabulary, start_year, parameters FROM sim_runs WHERE run_id = ?", [result.run_id]).fetchone()
    assert run[:5] == ("categorical", "replace,accumulate", 4, COUNTS.size, 2019.0)
    assert json.loads(run[5])["config"]["seed"] == 1
    assert s.con.execute("SELECT count(*) FROM sim_generations WHERE run_id = ?", [result.run_id]).fetchone()[0] == 2 * 5 * 5
    assert s.con.execute("SELECT finished_at IS NOT NULL FROM runs WHERE run_id = ?", [result.run_id]).fetchone()[0]
    view = s.con.execute(
        "SELECT jsd_median, tail_survival_q05, kl_q95 FROM sim_summary WHERE run_id = ? ORDER BY regime, generation", [result.run_id]
    ).fetchall()
    mine = result.summary.sort(["regime", "generation"]).select("jsd_median", "tail_survival_q05", "kl_q95")
    assert np.array(view) == pytest.approx(mine.to_numpy())


def test_the_horizon_view_agrees_with_the_returned_horizon(s):
    result = simulate(s, small(schedule="1", tokens=300, generations=6, replicates=9))
    per_replicate = s.con.execute(
        "SELECT coalesce(horizon, 99) FROM sim_horizons WHERE run_id = ? AND regime = 'replace' ORDER BY replicate", [result.run_id]
    ).fetchall()
    values = np.array([r[0] for r in per_replicate], dtype=float)
    row = result.horizons.filter(pl.col("regime") == "replace").row(0, named=True)
    assert row["horizon_median"] == int(np.quantile(values, 0.5, method="inverted_cdf"))
    assert row["collapsed_share"] == pytest.approx(np.mean(values < 99))


def test_observed_schedule_reads_the_latest_synth_estimate_per_period(s):
    for year, value in [(2020, 0.01), (2021, 0.02), (2022, 0.05)]:
        add_share(s, str(year), value)
    add_share(s, "2022", 0.2, run_id=2)  # a later run's estimate wins
    result = simulate(s, small(schedule="observed"), record=False)
    observed = {o["period"]: o["value"] for o in result.schedule.parameters["observations"]}
    assert observed == {"2020": 0.01, "2021": 0.02, "2022": 0.2}
    assert result.generations["year"].unique().sort().to_list() == [2019.0, 2020.0, 2021.0, 2022.0, 2023.0]


def test_observed_schedule_follows_one_machine_reference_never_a_mix(s):
    # `synth --machine a,b` writes a run per machine reference; b's run (newer) has no 2020 estimate
    for year, value in [(2020, 0.01), (2021, 0.02), (2022, 0.05)]:
        add_share(s, str(year), value, run_id=1, machine="a")
    for year, value in [(2021, 0.10), (2022, 0.30)]:
        add_share(s, str(year), value, run_id=2, machine="b")
    newest = simulate(s, small(schedule="observed"), record=False)
    assert {o["period"]: o["value"] for o in newest.schedule.parameters["observations"]} == {"2021": 0.10, "2022": 0.30}
    assert newest.schedule.parameters["machine"] == "b" and newest.schedule.description.endswith("against machine reference b")
    assert any("other machine references too (a)" in n for n in newest.notes)
    picked = simulate(s, small(schedule="observed", machine="a"), record=False)
    assert {o["period"]: o["value"] for o in picked.schedule.parameters["observations"]} == {"2020": 0.01, "2021": 0.02, "2022": 0.05}
    with pytest.raises(EstimatorError, match="no synthetic shares against machine reference 'c'; estimates exist against: a, b"):
        simulate(s, small(schedule="observed", machine="c"))
    s.con.execute("INSERT INTO synth_references (name, label) VALUES ('hum', 'human')")
    with pytest.raises(EstimatorError, match="'hum' is a human reference; estimates exist against: a, b"):
        simulate(s, small(schedule="observed", machine="hum"))


def test_yearly_estimates_are_preferred_to_a_newer_reference_measured_by_crawl_only(s):
    for year, value in [(2020, 0.01), (2021, 0.02)]:
        add_share(s, str(year), value, run_id=1, machine="a")
    for crawl, value in [("CC-MAIN-2020-10", 0.1), ("CC-MAIN-2021-10", 0.3)]:
        add_share(s, crawl, value, run_id=2, machine="b", by="crawl")
    result = simulate(s, small(schedule="observed"), record=False)
    assert result.schedule.parameters["machine"] == "a"
    assert [o["period"] for o in result.schedule.parameters["observations"]] == ["2020", "2021"]
    by_crawl = simulate(s, small(schedule="observed", machine="b"), record=False)  # b's own rows, by crawl
    assert [o["period"] for o in by_crawl.schedule.parameters["observations"]] == ["CC-MAIN-2020-10", "CC-MAIN-2021-10"]


def test_an_all_language_projection_does_not_follow_a_newer_language_only_run(s):
    for year, value in [(2020, 0.01), (2021, 0.02)]:
        add_share(s, str(year), value, run_id=1, machine="a")
    for year, value in [(2020, 0.3), (2021, 0.6)]:
        add_share(s, str(year), value, run_id=2, machine="b", lang="en")  # `synth --machine b --lang en`
    result = simulate(s, small(schedule="observed"), record=False)
    assert result.schedule.parameters["machine"] == "a" and result.schedule.parameters["synth_run"] == 1
    english = simulate(s, small(schedule="observed", lang="en"), record=False)
    assert {o["period"]: o["value"] for o in english.schedule.parameters["observations"]} == {"2020": 0.3, "2021": 0.6}
    assert not any("stand in" in n for n in english.notes)
    add_counts(s, "CC-MAIN-2019-35", 2019, COUNTS, lang="de")
    german = simulate(s, small(schedule="observed", lang="de"), record=False)  # no `synth --lang de` run
    assert any(n.startswith("no synthetic share of language de for any period: the all-language estimates stand in") for n in german.notes)


def test_estimates_of_one_machine_reference_with_two_human_references_are_not_mixed(s):
    for year, value in [(2020, 0.01), (2021, 0.02), (2022, 0.05)]:
        add_share(s, str(year), value, run_id=1, machine="a", human="h1")
    for year, value in [(2021, 0.30), (2022, 0.60)]:
        add_share(s, str(year), value, run_id=2, machine="a", human="h2")  # newest; no 2020 estimate
    result = simulate(s, small(schedule="observed"), record=False)
    assert {o["period"]: o["value"] for o in result.schedule.parameters["observations"]} == {"2021": 0.30, "2022": 0.60}


def test_the_recorded_configuration_names_the_machine_reference_followed(s):
    for year, value in [(2020, 0.01), (2021, 0.02)]:
        add_share(s, str(year), value, run_id=1, machine="a")
    result = simulate(s, small(schedule="observed"))
    assert result.config.machine == "a"
    assert json.loads(s.con.execute("SELECT parameters FROM sim_runs WHERE run_id = ?", [result.run_id]).fetchone()[0])["config"]["machine"] == "a"


def test_the_projection_follows_one_method_of_estimation(s):
    def share(period: str, value: float, run_id: int, **method: object) -> None:
        parameters = json.dumps({"by": "year", "references": {"human": "hum", "machine": "a"}, **method})
        s.con.execute("INSERT INTO metrics VALUES (?, 'synth', 'alpha', ?, NULL, ?, ?, ?, ?, now())",
                      [run_id, period, value, value - 0.01, value + 0.01, parameters])

    for year, value in [(2020, 0.01), (2021, 0.02), (2022, 0.05)]:
        share(str(year), value, 1, unit="document", calibrate=True)
    for year, value in [(2021, 0.40), (2022, 0.70)]:
        share(str(year), value, 2, unit="document", calibrate=False)  # newest; calibration alone differs; no 2020
    result = simulate(s, small(schedule="observed"), record=False)
    assert {o["period"]: o["value"] for o in result.schedule.parameters["observations"]} == {"2021": 0.40, "2022": 0.70}
    for year, value in [(2021, 0.5), (2022, 0.9)]:
        share(str(year), value, 3, unit="sentence", calibrate=False, share="sentences")  # a share of sentences: not led by
    result = simulate(s, small(schedule="observed"), record=False)
    assert result.schedule.parameters["synth_run"] == 2


def test_a_machine_reference_measured_in_another_language_is_told_the_language_to_run(s):
    add_counts(s, "CC-MAIN-2019-35", 2019, COUNTS, lang="de")
    s.con.execute("INSERT INTO synth_references (name, label) VALUES ('m', 'machine')")
    for year, value in [(2020, 0.1), (2021, 0.2)]:
        add_share(s, str(year), value, run_id=1, machine="m", lang="en")  # `synth --machine m --lang en`
    with pytest.raises(EstimatorError, match="no synthetic shares of language de against machine reference 'm' yet: "
                                             "run 'provenance synth --human H --machine m --lang de'"):
        simulate(s, small(schedule="observed", lang="de", machine="m"), record=False)


def test_machine_applies_to_the_observed_schedule_only(s):
    with pytest.raises(UsageError, match="--machine applies to --schedule observed only"):
        simulate(s, small(schedule="0.3", machine="a"))


def test_observed_schedule_without_synth_estimates_says_to_run_synth(s):
    with pytest.raises(EstimatorError, match="run 'provenance synth' first"):
        simulate(s, small(schedule="observed"))


def test_an_unknown_baseline_lists_the_periods_in_the_store(s):
    with pytest.raises(EstimatorError, match="periods in the store: 2019, 2024, CC-MAIN-2019-35, CC-MAIN-2024-10"):
        simulate(s, small(baseline="2015"))


def test_the_lang_option_filters_the_baseline(s):
    add_counts(s, "CC-MAIN-2019-35", 2019, np.full(10, 7), lang="de")
    assert simulate(s, small(lang="de"), record=False).baseline["vocabulary"] == 10


def test_nonsensical_options_are_usage_errors(s):
    with pytest.raises(UsageError, match="--top-p must be in"):
        simulate(s, small(top_p=0.0))
    with pytest.raises(UsageError, match="--baseline PERIOD is required"):
        simulate(s, small(baseline=None))
