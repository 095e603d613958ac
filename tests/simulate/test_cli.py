"""The `provenance simulate` command: table, JSON, and exit codes."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
from typer.testing import CliRunner

import provenance.cli  # noqa: F401  (registers the commands)
from provenance.cli.app import app
from provenance.store import Store

runner = CliRunner()


def make_store(path) -> str:
    with Store(path) as store:
        counts = (1 + np.floor(2000 / np.arange(1, 201) ** 1.1)).astype(int)
        rows = pl.DataFrame({
            "source_id": 1, "crawl": "CC-MAIN-2019-35", "year": 2019, "lang": "en", "block": 0, "tokenizer": "word",
            "token": [f"w{i}" for i in range(counts.size)], "count": counts.astype(np.int64),
        })
        store.insert_token_counts(rows)
    return str(path)


def test_simulate_prints_both_regimes_side_by_side_and_the_horizon(tmp_path):
    db = make_store(tmp_path / "s.duckdb")
    args = ["simulate", "--db", db, "--baseline", "2019", "--schedule", "1", "--generations", "6", "--tokens", "300", "--replicates", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "tail replace" in result.output and "tail accumulate" in result.output
    assert "replace: collapse horizon (tail survival < 50%) at generation" in result.output


def test_simulate_json_reports_parameters_summary_and_horizons(tmp_path):
    db = make_store(tmp_path / "s.duckdb")
    args = ["simulate", "--db", db, "--baseline", "2019", "--schedule", "0.2", "--regime", "replace", "-g", "3", "-n", "500", "-r", "4", "--seed", "7", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["run_id"] == 1 and payload["config"]["seed"] == 7
    assert [row["generation"] for row in payload["summary"]] == [0, 1, 2, 3]
    assert payload["horizons"][0]["regime"] == "replace"


def test_observed_schedule_without_synth_estimates_exits_1_with_one_line(tmp_path):
    db = make_store(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["simulate", "--db", db, "--baseline", "2019"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: no observed synthetic shares in metrics (estimator 'synth', metric 'alpha'); "
        "run 'provenance synth' first, or pass --schedule CONST|FILE"
    )


def test_nonsensical_options_exit_2(tmp_path):
    db = make_store(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["simulate", "--db", db, "--baseline", "2019", "--schedule", "0.5", "--top-p", "1.5"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --top-p must be in (0, 1], not 1.5"


def test_a_band_is_printed_to_the_digits_of_its_median_so_it_holds_it():
    """At two digits a band printed around its own median: entropy 9.47 [9.5, 9.5], tail survival 0.997 [0.99, 1]."""
    import polars as pl

    from provenance.simulate.run import _bands

    frame = pl.DataFrame({"x_median": [9.474, 0.997], "x_q05": [9.465, 0.9912], "x_q95": [9.482, 0.99989]})
    assert _bands(frame, "x") == ["9.47 [9.46, 9.48]", "0.997 [0.991, 1]"]
