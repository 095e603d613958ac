"""Small texts files are merged into bundles (layout 0011): every text is read once, from the one file that holds it."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from provenance import textfiles
from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.store import Store
from tests.conftest import response_record, warcinfo


@pytest.fixture
def six_files(make_warc):
    return [str(make_warc(f"CC-MAIN-2019-35-{k}.warc.gz", [warcinfo(), *(response_record(i + 100 * k) for i in range(5))]))
            for k in range(6)]


@pytest.fixture
def bundle_at_four(monkeypatch):
    monkeypatch.setattr(textfiles, "MIN_SMALL_FILES", 4)


def _texts(db: str) -> list[tuple[int, str]]:
    with Store(db, read_only=True) as s:
        return s.sql("SELECT doc_id, text FROM texts ORDER BY doc_id").fetchall()


def _files(db: str) -> list[str]:
    return sorted(p.name for p in Path(db + ".texts").glob("*.parquet"))


def _check(db: str) -> list[str]:
    with Store(db, read_only=True) as s:
        return s.check()


def test_many_small_texts_files_become_one_bundle_that_reads_the_same(six_files, tmp_path, bundle_at_four):
    plain, bundled = str(tmp_path / "plain.duckdb"), str(tmp_path / "bundled.duckdb")
    ingest(six_files[:3], IngestConfig(db=plain, workers=1))  # 3 files: under the threshold, as they are
    ingest(six_files[3:], IngestConfig(db=plain, workers=1))  # 6 now: merged at the end of the run
    textfiles.MIN_SMALL_FILES = 10**9
    ingest(six_files, IngestConfig(db=bundled, workers=1))  # (the same documents, never merged)
    assert len(_texts(plain)) == 30 and _texts(plain) == [(d, t) for d, t in _texts(bundled)]
    (bundle,) = [n for n in _files(plain) if n.startswith("bundle-")]
    assert _files(plain) == ["_schema.parquet", bundle] and len(_files(bundled)) == 7
    with Store(plain, read_only=True) as s:
        assert s.sql("SELECT count(DISTINCT source_id), min(file), max(file) FROM texts_bundles").fetchall() == [(6, bundle, bundle)]
    assert _check(plain) == []
    ordered = duckdb.connect().execute(f"SELECT doc_id FROM read_parquet('{tmp_path}/plain.duckdb.texts/{bundle}')").fetchall()
    assert ordered == sorted(ordered)  # by doc_id: a lookup of one text reads one row group


def test_a_compaction_killed_before_it_recorded_its_bundle_shows_each_text_once(six_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files, IngestConfig(db=db, workers=1))
    want = _texts(db)
    folder = tmp_path / "s.duckdb.texts"
    left = folder / "bundle-1-6-0123abcd.parquet"  # written and renamed, then killed before its transaction
    duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{folder}/source-*.parquet')) TO '{left}' (FORMAT parquet)")
    assert _texts(db) == want and _check(db) == []
    ingest([], IngestConfig(db=db, workers=1))  # the next ingest removes it
    assert not left.exists() and _texts(db) == want


def test_a_compaction_killed_before_it_deleted_the_bundled_files_shows_each_text_once(six_files, tmp_path, bundle_at_four):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files[:3], IngestConfig(db=db, workers=1))
    folder = tmp_path / "s.duckdb.texts"
    kept = tmp_path / "kept"
    shutil.copytree(folder, kept)
    ingest(six_files[3:], IngestConfig(db=db, workers=1))
    want = _texts(db)
    for path in kept.glob("source-*.parquet"):  # as if the process died after COMMIT, before deleting these
        shutil.copy(path, folder / path.name)
    assert _texts(db) == want and _check(db) == []
    ingest([], IngestConfig(db=db, workers=1))
    assert [n for n in _files(db) if n.startswith("source-")] == [] and _texts(db) == want


def test_force_over_a_bundled_file_reads_its_new_texts_and_never_the_old(six_files, tmp_path, bundle_at_four):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files, IngestConfig(db=db, workers=1))
    before = _texts(db)
    ingest(six_files[:1], IngestConfig(db=db, workers=1, force=True))
    after = _texts(db)
    assert sorted(t for _, t in after) == sorted(t for _, t in before) and len(after) == 30  # once each
    with Store(db, read_only=True) as s:
        new_id = s.sql("SELECT max(source_id) FROM sources").fetchone()[0]
        assert s.sql("SELECT count(*) FROM texts_bundles").fetchone()[0] == 5  # the replaced source's row went
    assert f"source-{new_id}.parquet" in _files(db) and _check(db) == []


def test_a_bundle_whose_sources_were_all_replaced_goes(six_files, tmp_path, bundle_at_four):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files[:4], IngestConfig(db=db, workers=1))
    (old,) = [n for n in _files(db) if n.startswith("bundle-")]
    ingest(six_files[:4], IngestConfig(db=db, workers=1, force=True))  # 4 new small files: a new bundle
    assert old not in _files(db) and len(_texts(db)) == 20 and _check(db) == []


def test_added_texts_of_a_bundled_source_move_it_to_a_file_of_its_own(six_files, tmp_path, bundle_at_four):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files[:4], IngestConfig(db=db, workers=1))
    with Store(db) as s:
        sid = s.sql("SELECT min(source_id) FROM sources").fetchone()[0]
        s.insert_texts(pa.table({"doc_id": pa.array([(sid << 32) | 99], pa.int64()), "text": ["one more"]}))
        mine = s.sql(f"SELECT text FROM texts WHERE doc_id >> 32 = {sid} ORDER BY doc_id").fetchall()
        assert s.sql(f"SELECT count(*) FROM texts_bundles WHERE source_id = {sid}").fetchone()[0] == 0
        assert s.sql("SELECT count(*) FROM texts").fetchone()[0] == 21
    assert len(mine) == 6 and mine[-1] == ("one more",)
    assert f"source-{sid}.parquet" in _files(db)


def test_large_texts_files_stay_as_they_are(six_files, tmp_path, monkeypatch):
    monkeypatch.setattr(textfiles, "MIN_SMALL_FILES", 4)
    monkeypatch.setattr(textfiles, "SMALL_FILE_BYTES", 100)  # every file is "large"
    db = str(tmp_path / "s.duckdb")
    ingest(six_files, IngestConfig(db=db, workers=1))
    assert [n for n in _files(db) if n.startswith("bundle-")] == [] and len(_texts(db)) == 30


def test_a_merge_that_fails_is_a_note_and_every_text_stays(six_files, tmp_path, bundle_at_four, monkeypatch):
    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(textfiles, "_groups", full_disk)
    db = str(tmp_path / "s.duckdb")
    summary = ingest(six_files, IngestConfig(db=db, workers=1))
    assert summary.ok and summary.ingested == 6 and len(_texts(db)) == 30 and _check(db) == []
    assert any("not merged into bundles (No space left on device)" in note for note in summary.notes)
    assert [n for n in _files(db) if n.startswith("bundle-")] == []


def test_a_damaged_small_file_is_a_note_and_the_run_succeeds(six_files, tmp_path, bundle_at_four):
    from typer.testing import CliRunner

    from provenance.cli import app

    db = str(tmp_path / "s.duckdb")
    textfiles.MIN_SMALL_FILES = 10**9
    ingest(six_files[:5], IngestConfig(db=db, workers=1))
    (tmp_path / "s.duckdb.texts" / "source-2.parquet").write_bytes(b"garbage")  # damaged by hand
    textfiles.MIN_SMALL_FILES = 4
    result = CliRunner().invoke(app, ["ingest", six_files[5], "--db", db, "--workers", "1"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "small texts files were not merged into bundles" in result.output
    assert [n for n in _files(db) if n.startswith("bundle-")] == []


def test_half_written_temporary_files_are_removed_by_the_next_ingest(six_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files[:1], IngestConfig(db=db, workers=1))
    folder = tmp_path / "s.duckdb.texts"
    left = [folder / ".bundle-1-9-0123abcd.parquet.tmp", folder / ".source-3.parquet.tmp", folder / ".notes.tmp"]
    for path in left:
        path.write_bytes(b"half")
    ingest(six_files[1:2], IngestConfig(db=db, workers=1))
    assert [p.exists() for p in left] == [False, False, True]  # (not ours: kept)


def test_a_source_id_that_comes_back_reads_its_own_texts_not_an_old_bundle(six_files, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest(six_files[:1], IngestConfig(db=db, workers=1))
    with Store(db) as s:  # what an older provenance leaves: a bundle row of a source it deleted, whose id is next
        nxt = s.sql("SELECT max(source_id) + 1 FROM sources").fetchone()[0]
        s.sql(f"INSERT INTO texts_bundles VALUES ({nxt}, 'bundle-1-9-0123abcd.parquet')")
    ingest(six_files[1:2], IngestConfig(db=db, workers=1))
    assert len(_texts(db)) == 10 and _check(db) == []
