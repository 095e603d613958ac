"""The same records in two files, and `provenance remove`: a repackaged copy (a WACZ and its WARC, a recompressed or
concatenated file) has other bytes, so the ledger takes it for a new file; the ingest and `check` say so, and
`remove` takes a file's rows out whole."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from provenance.cli import app
from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.report import ReportConfig
from provenance.report.compute import missing_steps
from provenance.store import Store
from tests.conftest import response_record, warcinfo

runner = CliRunner()


def _records(first: int, n: int, date: str = "2019-08-17T10:00:00Z") -> list[bytes]:
    return [warcinfo()] + [response_record(i, date=date) for i in range(first, first + n)]


def _count(db: str, sql: str) -> int:
    with Store(db, read_only=True) as store:
        return store.sql(sql).fetchone()[0]


def test_the_same_records_in_a_file_of_other_bytes_are_stored_again_and_said_to_be(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    records = _records(0, 6)
    first = ingest([str(make_warc("a.warc.gz", records))], IngestConfig(db=db))
    assert not any("repeat a capture" in n for n in first.notes)
    # the same records, recompressed as one gzip stream and beside two new ones: other bytes, another sha256
    again = ingest([str(make_warc("b.warc.gz", records + [response_record(i) for i in (6, 7)], gzip_style="whole"))], IngestConfig(db=db))
    [note] = [n for n in again.notes if "repeat a capture" in n]
    assert note.startswith("6 document(s) of this run repeat a capture that another document holds")
    assert "b.warc.gz and " in note and "a.warc.gz" in note and "provenance remove PATH" in note
    checked = runner.invoke(app, ["check", "--db", db])
    assert checked.exit_code == 0 and checked.stdout == "store is consistent\n"
    assert checked.stderr.startswith("Note: 12 document(s) (each copy counted) repeat a capture")  # over the store


def test_remove_takes_a_files_rows_out_whole_and_the_report_measures_again(make_warc, tmp_path, monkeypatch):
    from provenance.report import compute_missing

    db = str(tmp_path / "s.duckdb")
    a = make_warc("a.warc.gz", _records(0, 40))
    b = make_warc("b.warc.gz", _records(100, 30, date="2021-05-01T10:00:00Z"))
    ingest([str(a), str(b)], IngestConfig(db=db, block_docs=5))
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        compute_missing(store, config)
        assert missing_steps(store, config) == []
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["remove", "b.warc.gz", "--db", db, "--json"])  # relative to the working directory
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["files"] == [{"path": str(b), "documents": 30}] and out["documents"] == 30
    assert _count(db, "SELECT count(*) FROM documents") == 40
    assert _count(db, "SELECT count(*) FROM sources") == 1
    assert _count(db, "SELECT count(*) FROM texts") == 40
    assert _count(db, "SELECT count(DISTINCT year) FROM token_counts") == 1
    assert not (tmp_path / "s.duckdb.texts" / "source-2.parquet").exists()
    assert runner.invoke(app, ["check", "--db", db]).stdout == "store is consistent\n"
    with Store(db) as store:  # the estimates were made with b's documents
        assert missing_steps(store, config) == ["drift", "tails", "dups", "simulate"]
    assert runner.invoke(app, ["ingest", str(b), "--db", db]).exit_code == 0  # read anew: its ledger row went with it
    assert _count(db, "SELECT count(*) FROM documents") == 70
    assert runner.invoke(app, ["remove", str(tmp_path), "--db", db]).exit_code == 0  # a folder: every file under it
    assert _count(db, "SELECT count(*) FROM documents") == 0 and _count(db, "SELECT count(*) FROM sources") == 0


def test_a_path_the_ledger_does_not_hold_removes_nothing_and_says_so(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    a = make_warc("a.warc.gz", _records(0, 3))
    ingest([str(a)], IngestConfig(db=db))
    result = runner.invoke(app, ["remove", str(a), str(tmp_path / "typo.warc.gz"), "--db", db])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'typo.warc.gz'}: no file of the store's ledger is at this path "
                             "(provenance sql \"SELECT path FROM sources\" lists them); nothing removed\n")
    assert _count(db, "SELECT count(*) FROM documents") == 3
    missing = runner.invoke(app, ["remove", str(a), "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and not (tmp_path / "none.duckdb").exists()


def test_a_file_that_fails_again_at_each_rerun_leaves_the_estimates_standing(make_warc, tmp_path):
    from provenance.report import compute_missing

    db = str(tmp_path / "s.duckdb")
    good = make_warc("a.warc.gz", _records(0, 40))
    (tmp_path / "bad.warc.gz").write_bytes(b"\x1f\x8b\x08\x00garbage, not gzip at all" * 10)
    config = ReportConfig(generations=1, replicates=1)
    ingest([str(good), str(tmp_path / "bad.warc.gz")], IngestConfig(db=db, block_docs=5))
    with Store(db) as store:
        compute_missing(store, config, unmeasured={})
    runs = _count(db, "SELECT count(*) FROM runs WHERE command <> 'ingest'")
    again = ingest([str(good), str(tmp_path / "bad.warc.gz")], IngestConfig(db=db, block_docs=5))
    assert again.failed == 1 and again.documents == 0
    with Store(db) as store:
        assert compute_missing(store, config, unmeasured={}) == []  # it ran everything again each time
    assert _count(db, "SELECT count(*) FROM runs WHERE command <> 'ingest'") == runs


def test_a_page_fetched_twice_into_one_file_is_no_repackaged_copy(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    twice = _records(0, 3) + [response_record(1)]  # the same capture twice in one file: a crawler's, dups counts it
    summary = ingest([str(make_warc("a.warc.gz", twice))], IngestConfig(db=db))
    assert summary.documents == 4 and not any("repeat a capture" in n for n in summary.notes)
    assert runner.invoke(app, ["check", "--db", db]).stderr == ""


def test_an_empty_path_removes_nothing(make_warc, tmp_path, monkeypatch):
    # "" is the working directory: `provenance remove "$UNSET"` removed every file under it
    db = str(tmp_path / "s.duckdb")
    ingest([str(make_warc("a.warc.gz", _records(0, 3)))], IngestConfig(db=db))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["remove", "", "--db", db])
    assert result.exit_code == 2 and "an empty one names none" in result.stderr
    assert _count(db, "SELECT count(*) FROM documents") == 3
