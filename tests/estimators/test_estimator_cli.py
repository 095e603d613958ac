"""The drift, tails and dups commands: tables, JSON, metrics rows and exit codes."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import provenance.cli  # noqa: F401  (registers the commands)
from provenance.cli.app import app
from provenance.store import Store
from tests.estimators.helpers import counts_frame, insert_documents, insert_token_counts, sample_blocks

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "e.duckdb")
    rng = np.random.default_rng(0)
    probs = np.arange(1, 2001) ** -1.0
    probs /= probs.sum()
    with Store(path) as store:
        insert_token_counts(store, pl.concat([counts_frame(y, sample_blocks(rng, probs, 8, 800), block_offset=10 * i)
                                              for i, y in enumerate((2019, 2020, 2021))]))
        words = [" ".join(f"x{v}" for v in rng.integers(0, 10**6, 50)) for _ in range(12)]
        insert_documents(store, words + words[:3], [2019] * 12 + [2020] * 3, blocks=[i // 3 for i in range(15)])
    return path


@pytest.mark.parametrize("command", ["drift", "tails"])
def test_token_estimators_print_a_table_and_record_metrics(db, command):
    result = runner.invoke(app, [command, "--db", db, "--baseline", "2019"])
    assert result.exit_code == 0, result.output
    assert "2021" in result.stdout and "[" in result.stdout  # values with intervals
    with Store(db, read_only=True) as store:
        n = store.con.execute("SELECT count(*) FROM metrics WHERE estimator = ?", [command]).fetchone()[0]
    assert n > 0


def test_drift_json_has_metrics_summary_and_details(db):
    result = runner.invoke(app, ["drift", "--db", db, "--baseline", "2019", "--json", "--top", "3"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["estimator"] == "drift" and doc["run_id"] >= 1
    assert {r["metric"] for r in doc["metrics"]} >= {"jsd", "noise_floor", "excess_jsd", "entropy", "zipf_exponent", "ttr"}
    assert len([d for d in doc["details"] if d["period"] == "2021"]) == 3


def test_dups_prints_rates_and_accepts_a_threshold(db):
    result = runner.invoke(app, ["dups", "--db", db, "--threshold", "0.9", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rates = {(r["period"], r["metric"]): r["value"] for r in doc["metrics"]}
    assert rates[("2020", "carryover_rate")] == 1.0
    assert doc["parameters"]["bands"] * doc["parameters"]["rows"] <= 128


def test_an_unknown_baseline_exits_1_with_one_line(db):
    result = runner.invoke(app, ["tails", "--db", db, "--baseline", "1999"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: unknown baseline period '1999'; known years: 2019, 2020, 2021"


def test_a_bad_grouping_exits_2(db):
    result = runner.invoke(app, ["drift", "--db", db, "--baseline", "2019", "--by", "week"])
    assert result.exit_code == 2
    assert "Error: --by 'week': expected year, crawl, year,lang or crawl,lang" in result.stderr


def test_an_empty_store_reports_no_counts_and_a_missing_one_is_not_made(tmp_path):
    Store(str(tmp_path / "empty.duckdb")).close()
    result = runner.invoke(app, ["drift", "--db", str(tmp_path / "empty.duckdb"), "--baseline", "2019"])
    assert result.exit_code == 1
    assert "no token counts with tokenizer 'word'" in result.stderr
    missing = runner.invoke(app, ["drift", "--db", str(tmp_path / "none.duckdb"), "--baseline", "2019"])
    assert missing.exit_code == 1 and "no such store" in missing.stderr and not (tmp_path / "none.duckdb").exists()
