"""Every committed fixture goes through ingest and yields what fixtures/truth.json says it holds."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from provenance.cli import app
from provenance.store import Store
from tests.conftest import FIXTURES

TRUTH = json.loads((FIXTURES / "truth.json").read_text())
runner = CliRunner()


@pytest.fixture(scope="module")
def crawl_store(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("fx") / "fixtures.duckdb")
    result = runner.invoke(app, ["ingest", str(FIXTURES / "crawl"), "--db", db, "--block-docs", "20"])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("name", sorted(TRUTH["files"]))
def test_each_crawl_fixture_yields_its_documents_and_crawl(crawl_store, name):
    expected = TRUTH["files"][name]
    with Store(crawl_store, read_only=True) as s:
        n, crawls = s.sql("SELECT count(*), list(DISTINCT documents.crawl) FROM documents JOIN sources USING (source_id) WHERE sources.path LIKE '%' || ?",
                          [name]).fetchone()
    assert n == expected["docs"]
    assert crawls == [name.split("/")[1]]


def test_each_year_holds_its_documents_and_the_store_is_consistent(crawl_store):
    with Store(crawl_store, read_only=True) as s:
        got = dict(s.sql("SELECT year::VARCHAR, docs FROM yearly_summary").fetchall())
        assert s.check() == []
    assert got == {year: info["docs"] for year, info in TRUTH["years"].items()}


def test_exact_duplicates_per_year_match_the_construction(crawl_store):
    with Store(crawl_store, read_only=True) as s:
        got = dict(s.sql("""SELECT year::VARCHAR, sum(n - 1)::INT FROM
                            (SELECT year, text_hash, count(*) AS n FROM documents GROUP BY ALL) GROUP BY year""").fetchall())
    for year, info in TRUTH["years"].items():
        assert got[year] >= info["exact_dup_docs"], year


@pytest.mark.parametrize("name", sorted(TRUTH["broken"]))
def test_each_broken_fixture_gives_error_lines_keeps_its_good_documents_and_exits_1(tmp_path, name):
    expected = TRUTH["broken"][name]
    db = str(tmp_path / "b.duckdb")
    result = runner.invoke(app, ["ingest", str(FIXTURES / name), "--db", db, "--max-record-bytes", "100000"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"Error: {FIXTURES / name}") for line in lines)
    assert "Traceback" not in result.output
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM documents").fetchone()[0] == expected["docs_recoverable"]
        assert s.sql("SELECT count(*) FROM ingest_errors").fetchone()[0] >= 1
        assert s.check() == []


def test_an_unreadable_path_is_reported_not_raised(tmp_path):
    folder = tmp_path / "dir.warc.gz"
    folder.mkdir()  # a directory named like an archive: open() fails even for root
    (folder / "x.txt").write_text("not an archive")
    result = runner.invoke(app, ["ingest", str(tmp_path / "dir.warc.gz" / "x.txt"), str(FIXTURES / "broken" / "empty.warc.gz"),
                                 "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
