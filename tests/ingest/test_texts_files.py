"""Document texts live in Parquet files beside the store (layout 0008): one per ingested file, shown by `texts` once committed."""
from __future__ import annotations

import json
import shutil
import time

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from provenance import textfiles
from provenance.cli import app
from provenance.config import IngestConfig
from provenance.ingest import worker
from provenance.ingest.pipeline import ingest
from provenance.store import Store
from tests.conftest import response_record, warcinfo


@pytest.fixture
def two_files(make_warc):
    return [make_warc(f"CC-MAIN-2019-35-{k}.warc.gz", [warcinfo(), *(response_record(i + 100 * k) for i in range(12))]) for k in range(2)]


def _texts(db: str) -> list[tuple[int, str]]:
    with Store(db, read_only=True) as s:
        return s.sql("SELECT doc_id, text FROM texts ORDER BY doc_id").fetchall()


def test_each_ingested_file_gets_one_zstd_parquet_file_of_its_texts(two_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(p) for p in two_files], IngestConfig(db=db, workers=2))
    folder = tmp_path / "s.duckdb.texts"
    with Store(db, read_only=True) as s:
        ids = [r[0] for r in s.sql("SELECT source_id FROM sources ORDER BY 1").fetchall()]
        per_file = s.sql("SELECT doc_id >> 32, count(*) FROM texts GROUP BY 1 ORDER BY 1").fetchall()
        assert s.check() == []
    assert sorted(p.name for p in folder.glob("source-*.parquet")) == sorted(f"source-{i}.parquet" for i in ids)
    assert per_file == [(i, 12) for i in ids]
    con = duckdb.connect()
    codecs = {r[0] for r in con.execute(f"SELECT compression FROM parquet_metadata('{folder}/source-*.parquet') WHERE path_in_schema = 'text'").fetchall()}
    assert codecs == {"ZSTD"}
    first = con.execute(f"SELECT text FROM read_parquet('{folder}/source-{ids[0]}.parquet') ORDER BY doc_id LIMIT 1").fetchone()[0]
    assert first.startswith("Page 0") and "Document number 0 talks about gardens" in first


def test_force_replaces_the_files_texts_and_deletes_the_old_file(two_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1))
    before = _texts(db)
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1, force=True))
    after = _texts(db)
    assert [t for _, t in after] == [t for _, t in before] and len(after) == 12
    assert [p.name for p in (tmp_path / "s.duckdb.texts").glob("source-*.parquet")] == [f"source-{after[0][0] >> 32}.parquet"]


def test_a_texts_file_whose_ingest_never_committed_is_invisible_and_removed_by_the_next_ingest(two_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1))
    folder = tmp_path / "s.duckdb.texts"
    (sid,) = [int(p.stem.split("-")[1]) for p in folder.glob("source-*.parquet")]
    orphan = textfiles.source_file(folder, sid + 7)  # what a process killed between rename and COMMIT leaves
    shutil.copy(textfiles.source_file(folder, sid), orphan)
    duckdb.connect().execute(f"COPY (SELECT doc_id + (7::BIGINT << 32) AS doc_id, text FROM read_parquet('{orphan}')) "
                             f"TO '{orphan}.x' (FORMAT parquet)")
    shutil.move(f"{orphan}.x", orphan)
    assert len(_texts(db)) == 12
    with Store(db, read_only=True) as s:
        assert s.check() == []
    ingest([str(two_files[1])], IngestConfig(db=db, workers=1))
    assert not orphan.exists()
    assert len(_texts(db)) == 24


def test_a_store_moved_with_its_folder_reads_its_texts(two_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1))
    want = _texts(db)
    (tmp_path / "moved").mkdir()
    shutil.move(db, tmp_path / "moved" / "m.duckdb")
    shutil.move(db + ".texts", tmp_path / "moved" / "m.duckdb.texts")
    assert _texts(str(tmp_path / "moved" / "m.duckdb")) == want  # read-only: a temporary view over the new folder
    with Store(str(tmp_path / "moved" / "m.duckdb")):  # writable: the stored view is re-pointed
        pass
    con = duckdb.connect(str(tmp_path / "moved" / "m.duckdb"), read_only=True)  # plain DuckDB uses the stored view
    assert con.execute("SELECT doc_id, text FROM texts ORDER BY doc_id").fetchall() == want


def test_opening_a_store_in_place_leaves_its_texts_view_as_it_is(two_files, tmp_path, monkeypatch):
    """Creating the view lists the texts folder, a file per source: 0.2 s per open at 20,000 sources, each open."""
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1))
    want = _texts(db)
    made = []
    real = textfiles.view_sql
    monkeypatch.setattr(textfiles, "view_sql", lambda *args: (made.append(args), real(*args))[1])
    with Store(db) as store:
        store.con.register("_rows", pa.table({"a": [1]}))  # the check left no unfinished result on the connection
    assert _texts(db) == want and made == []
    shutil.move(db, tmp_path / "m.duckdb")
    shutil.move(db + ".texts", tmp_path / "m.duckdb.texts")
    assert _texts(str(tmp_path / "m.duckdb")) == want and len(made) == 1  # moved: a temporary view over its folder


def test_no_text_writes_no_texts_file(two_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1, keep_text=False))
    assert list((tmp_path / "s.duckdb.texts").glob("source-*.parquet")) == []
    assert _texts(db) == []


def test_a_deadline_waits_until_a_batch_is_written_whole():
    with pytest.raises(worker._Timeout):
        with worker._deadline(0.05):
            with worker._Guard.hold():
                time.sleep(0.2)  # the alarm fires here: deferred, not raised mid-write
                wrote_whole_batch = True
    assert wrote_whole_batch


def test_info_reports_the_store_file_and_its_texts_folder(two_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1))
    out = json.loads(CliRunner().invoke(app, ["info", "--db", db, "--json"]).stdout)
    folder = tmp_path / "s.duckdb.texts"
    assert (out["documents"], out["texts_dir"]) == (12, str(folder))
    assert out["texts_bytes"] == sum(p.stat().st_size for p in folder.glob("*.parquet")) > 0
    assert out["store_bytes"] == (tmp_path / "s.duckdb").stat().st_size


def test_the_consistency_check_finds_documents_whose_texts_file_is_gone_but_not_those_kept_without_text(two_files, tmp_path):
    # a texts file deleted by hand left its documents without text, and the check said the store was consistent
    db = str(tmp_path / "s.duckdb")
    ingest([str(two_files[0])], IngestConfig(db=db, workers=1))
    ingest([str(two_files[1])], IngestConfig(db=db, workers=1, keep_text=False))
    with Store(db, read_only=True) as s:
        assert s.check() == []
        first = s.sql("SELECT min(source_id) FROM sources").fetchone()[0]
    (tmp_path / "s.duckdb.texts" / f"source-{first}.parquet").unlink()
    with Store(db, read_only=True) as s:
        assert s.check() == ["document without its text"]


@pytest.mark.parametrize("damage", [b"garbage", b"PAR1" + b"x" * 40 + b"PAR1"])
def test_a_texts_file_damaged_by_hand_is_one_line_and_a_violation_never_a_traceback(two_files, tmp_path, damage):
    db = str(tmp_path / "s.duckdb")
    ingest([str(p) for p in two_files], IngestConfig(db=db, workers=1))
    damaged = sorted((tmp_path / "s.duckdb.texts").glob("source-*.parquet"))[0]
    damaged.write_bytes(damage)
    runner = CliRunner()
    check = runner.invoke(app, ["check", "--db", db])
    assert check.exit_code == 1 and "Traceback" not in check.output and check.exception is None or isinstance(check.exception, SystemExit)
    assert "consistency check failed: a file it reads cannot be read" in check.output and str(damaged) in check.output
    report = runner.invoke(app, ["report", "--db", db, "--format", "md", "--out", str(tmp_path / "r.md")])
    assert report.exit_code == 1 and isinstance(report.exception, SystemExit)
    assert "a file of the store cannot be read" in report.output and str(damaged) in report.output
