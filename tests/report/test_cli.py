"""`provenance report`: formats, output, thresholds and exit codes."""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import provenance.cli  # noqa: F401  (registers the commands)
from provenance.cli.app import app

runner = CliRunner()


def test_json_report_to_a_file(report_db, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["report", "--db", report_db, "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1 and data["periods"] == ["2019", "2021", "2023"]
    assert f"wrote json report: {out}" in result.stderr


@pytest.mark.parametrize("suffix, marker", [(".md", "# How the web drifted"), (".html", "<!DOCTYPE html>")])
def test_the_format_follows_the_suffix(report_db, tmp_path, suffix, marker):
    out = tmp_path / f"r{suffix}"
    assert runner.invoke(app, ["report", "--db", report_db, "--out", str(out)]).exit_code == 0
    assert out.read_text().startswith(marker)


def test_dash_writes_to_stdout(report_db):
    result = runner.invoke(app, ["report", "--db", report_db, "--out", "-", "--format", "md"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# How the web drifted: 2019–2023")


def test_a_crossed_threshold_exits_1_and_names_the_metric(report_db, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(out),
                                 "--fail-above", "near_dup_rate=0.08", "--fail-above", "documents=1000"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and re.match(r"Error: near_dup_rate above 8% in 2021 \(9\.\d*%\), 2023 \(12\.\d*%\)$", lines[0]), lines
    assert len(json.loads(out.read_text())["alerts"]) == 2  # the report is written all the same


def test_thresholds_not_crossed_exit_0(report_db, tmp_path):
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(tmp_path / "r.md"), "--fail-above", "carryover_rate=50%"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, message", [
    (["--fail-above", "bogus=1"], "Error: --fail-above bogus: unknown metric; known: documents, tokens, jsd,"),
    (["--fail-above", "jsd"], "Error: --fail-above 'jsd': expected METRIC=VALUE, e.g. near_dup_rate=0.2"),
    (["--format", "pdf"], "Error: --format 'pdf': expected one of html, md, json"),
])
def test_usage_errors_exit_2(report_db, tmp_path, args, message):
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(tmp_path / "r"), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_a_missing_store_is_a_handled_error(tmp_path):
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")




def test_a_tokenizer_without_counts_in_the_store_is_one_line_naming_those_it_holds(report_db, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(out), "--tokenizer", "hf:gpt2"])
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr == "Error: no token counts with tokenizer 'hf:gpt2'; the store holds: word\n"


def test_a_threshold_the_newest_year_has_no_value_for_fails_the_run_and_says_so(report_db, tmp_path):
    # a monitoring job's --fail-above synthetic_share on a store without references exited 0: never checked
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(out), "--fail-above", "synthetic_share=10%",
                                 "--fail-above", "near_dup_rate=0.99"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "Note: synthetic_share not measured in 2019, 2021: its threshold 10% was not checked there",
        "Error: synthetic_share not measured in 2023: its threshold 10% was not checked there"]
    data = json.loads(out.read_text())
    assert data["alerts"] == [] and [(u["metric"], u["period"], u["latest"]) for u in data["unchecked"]] == [
        ("synthetic_share", "2019", False), ("synthetic_share", "2021", False), ("synthetic_share", "2023", True)]


def test_a_threshold_without_a_value_in_an_earlier_year_only_is_a_note():
    from provenance.report.monitoring import unchecked_thresholds

    years = [{"period": "2013", "is_baseline": True, "synthetic_share": None},
             {"period": "2025", "is_baseline": False, "synthetic_share": {"value": 0.2, "ci_low": 0.1, "ci_high": 0.3}}]
    unchecked = unchecked_thresholds({"years": years}, [("synthetic_share", 0.5), ("jsd", 0.1)])
    assert unchecked == [{"metric": "synthetic_share", "period": "2013", "threshold": 0.5, "latest": False, "why": "no value"},
                         {"metric": "jsd", "period": "2025", "threshold": 0.1, "latest": True, "why": "no value"}]


def test_a_year_of_a_few_pages_is_neither_checked_nor_a_failure_but_a_note():
    # a broken file's 3 pages dated 2024: no drift for them (too small to sample) failed every monitoring run
    from provenance.report.monitoring import check_thresholds, unchecked_thresholds

    def year(period, docs, jsd):
        return {"period": period, "is_baseline": period == "2013", "documents": docs,
                "jsd": None if jsd is None else {"value": jsd, "ci_low": jsd, "ci_high": jsd},
                "near_dup_rate": {"value": 0.9, "ci_low": 0.5, "ci_high": 1.0} if docs < 10 else None}
    data = {"years": [year("2013", 150, 0.26), year("2019", 170, 0.3), year("2024", 3, None)]}
    thresholds = [("jsd", 0.9), ("near_dup_rate", 0.5)]
    assert check_thresholds(data, thresholds) == []  # 2024's 90% near-duplicates are of 3 pages
    unchecked = unchecked_thresholds(data, thresholds)
    assert {(u["metric"], u["period"], u["why"], u["latest"]) for u in unchecked} == {
        ("jsd", "2024", "small", False), ("near_dup_rate", "2024", "small", False),
        ("near_dup_rate", "2013", "no value", False), ("near_dup_rate", "2019", "no value", True)}


def test_a_report_written_through_a_link_updates_the_links_target_and_keeps_the_link(report_db, tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    (served / "real.json").write_text("old")
    (served / "real.json").chmod(0o640)
    (tmp_path / "link.json").symlink_to(served / "real.json")
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(tmp_path / "link.json")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "link.json").is_symlink() and json.loads((served / "real.json").read_text())["schema_version"] == 1
    assert (served / "real.json").stat().st_mode & 0o777 == 0o640 and list(served.iterdir()) == [served / "real.json"]


def test_a_value_below_a_floor_exits_1_and_names_the_metric(report_db, tmp_path):
    # tail survival falling is how collapse begins: --fail-above could not say "below 90%" but with a negative hack
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["report", "--db", report_db, "--out", str(out), "--fail-below", "tail_survival=115%",
                                 "--fail-below", "documents=1"])
    assert result.exit_code == 1
    [line] = [l for l in result.stderr.splitlines() if l.startswith("Error: ")]
    assert line.startswith("Error: tail_survival below 115% in 2021 (") and "2023 (" in line
    alerts = json.loads(out.read_text())["alerts"]
    assert {(a["metric"], a["direction"]) for a in alerts} == {("tail_survival", "below")}
    assert "2019" not in {a["period"] for a in alerts}  # the baseline against itself is not checked
    assert runner.invoke(app, ["report", "--db", report_db, "--out", str(out), "--fail-below", "tail_survival=0"]).exit_code == 0
    bad = runner.invoke(app, ["report", "--db", report_db, "--out", str(out), "--fail-below", "tail=0.9"])
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: --fail-below tail: unknown metric")


def test_a_synthetic_share_alert_names_its_machine_reference_and_reads_in_percent():
    from provenance.cli.report_cmds import _alert_lines

    alerts = [{"metric": "synthetic_share", "period": "2025", "value": 0.3153, "threshold": 0.2, "direction": "above"}]
    assert _alert_lines(alerts, "a+b") == ["synthetic_share above 20% in 2025 (31.53%) (against machine reference a+b)"]


def test_each_threshold_not_checked_is_its_own_line_and_each_year_is_named_once():
    from provenance.cli.report_cmds import _unchecked_lines

    unchecked = [{"metric": "synthetic_share", "period": "2013", "threshold": t, "latest": False, "why": "no value"} for t in (0.2, 0.05)]
    assert _unchecked_lines(unchecked + unchecked[:1]) == [
        (False, "synthetic_share not measured in 2013: its threshold 20% was not checked there"),
        (False, "synthetic_share not measured in 2013: its threshold 5% was not checked there")]


def test_the_written_reports_alerts_read_shares_in_percent_too():
    from provenance.report.fmt import alert_value

    assert (alert_value("synthetic_share", 0.323554), alert_value("tail_survival", 1.2), alert_value("jsd", 0.0523)) == ("32.36%", "120%", "0.0523")
