"""`provenance compact`: a shard folder's parts merged into a few files, read exactly once at every step."""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import provenance.cli.scale_cmds  # noqa: F401  (registers `attach` and `compact`)
from provenance.cli import app
from provenance.config import IngestConfig
from provenance.errors import StoreError
from provenance.ingest.jobs import TABLES
from provenance.ingest.pipeline import ingest
from provenance.scale import attach, ingest_shards
from provenance.scale.compact import LOCK, compact
from provenance.scale.layout import ShardDir
from provenance.store import Store
from tests.conftest import response_record, warcinfo
from tests.scale.conftest import content, files_of_two_crawls, read_only

runner = CliRunner()


@pytest.fixture
def inputs(make_warc) -> list[str]:
    """Six files of two crawls (three each)."""
    return files_of_two_crawls(make_warc, 6, 8)


def published(out: Path) -> list[Path]:
    """The parts as ingest published them (not attach's placeholders, not compacted files)."""
    return [p for p in out.glob("*/crawl=*/*.parquet") if p.parent.name != "crawl=_empty"]


def compacted(out: Path) -> list[Path]:
    return [p for p in out.glob("*/crawl=*/_compact/*.parquet") if p.parent.parent.name != "crawl=_empty"]


class Killed(BaseException):
    pass


def killed_compaction(out: Path, monkeypatch, kill_at: str) -> None:
    """Run a compaction of out that dies at kill_at (its process killed there: nothing after it runs)."""
    writes, deletes = ShardDir.write_json, ShardDir.delete
    deleted = []

    def write_json(self, rel, obj):
        if kill_at == "before its manifest" and "/_compact/" in rel:
            raise Killed
        writes(self, rel, obj)
        if kill_at == "after its manifest" and "/_compact/" in rel:
            raise Killed

    def delete(self, rel):
        if kill_at == "midway through deleting its parts" and len(deleted) == 1:
            raise Killed
        deletes(self, rel)
        deleted.append(rel)
        if kill_at == "between a merged file and its manifest" and rel.endswith(".parquet") and "/_compact/" in rel:
            raise Killed

    with monkeypatch.context() as m:
        m.setattr(ShardDir, "write_json", write_json)
        m.setattr(ShardDir, "delete", delete)
        with pytest.raises(Killed):
            compact(str(out))


def killed_then_finished(out: Path, db: Path, monkeypatch, kill_at: str):
    """Attach out, kill a compaction at kill_at, run the next: the store reads the same rows after each, and the next
    compaction leaves no published part and no note. Returns what the next one did."""
    attach(str(db), str(out))
    with Store(str(db), read_only=True) as s:
        expected = content(s)
    killed_compaction(out, monkeypatch, kill_at)
    with Store(str(db), read_only=True) as s:
        assert content(s) == expected
    again = compact(str(out))
    assert published(out) == [] and again.notes == []
    with Store(str(db), read_only=True) as s:
        assert content(s) == expected
    return again


def test_compacted_shards_read_as_their_parts_did_also_by_a_store_attached_before(inputs, tmp_path):
    out, local = tmp_path / "shards", str(tmp_path / "local.duckdb")
    ingest_shards(inputs, IngestConfig(workers=2), str(out))
    ingest(inputs, IngestConfig(db=local, workers=2))
    attach(str(tmp_path / "before.duckdb"), str(out))
    assert len(published(out)) == 6 * len(TABLES)

    result = compact(str(out))

    assert (result.parts, result.files, result.finished, result.removed, result.notes) == (6 * len(TABLES), 2 * len(TABLES), 0, 0, [])
    assert published(out) == [] and len(compacted(out)) == 2 * len(TABLES)  # a file per table and crawl
    assert result.bytes_after > 0 and result.bytes_before > 0
    attach(str(tmp_path / "after.duckdb"), str(out))
    with Store(local, read_only=True) as s:
        expected = content(s)
    for db in ("before.duckdb", "after.duckdb"):  # the views attach made before the compaction read its files too
        with Store(str(tmp_path / db), read_only=True) as s:
            assert content(s) == expected
            assert s.check() == []
    assert compact(str(out)).files == 0  # nothing left to merge


def test_compacted_files_are_read_by_one_schema_and_a_filter_reaches_their_scan(inputs, tmp_path):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    attach(db, str(out))
    with Store(db, read_only=True) as s:
        view = s.sql("SELECT sql FROM duckdb_views() WHERE view_name = 'documents'").fetchall()[0][0]
        assert view.count("union_by_name = false") == 2  # (union_by_name reads every file's footer at each query)
        plan = s.sql("EXPLAIN SELECT url FROM documents WHERE doc_id = 42").fetchall()[0][1]
        assert plan.count("doc_id=42") + plan.count("doc_id = 42") == 2  # into both scans: published parts and compacted files


@pytest.mark.parametrize("kill_at", ["before its manifest", "after its manifest", "midway through deleting its parts"])
def test_a_compaction_killed_at_any_step_reads_every_row_once_and_the_next_one_finishes_it(inputs, tmp_path, monkeypatch, kill_at):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    again = killed_then_finished(out, tmp_path / "a.duckdb", monkeypatch, kill_at)
    expected_finish = {"before its manifest": (0, 1), "after its manifest": (3, 0), "midway through deleting its parts": (2, 0)}[kill_at]
    assert (again.finished, again.removed) == expected_finish


def test_a_file_ingested_again_after_a_compaction_is_read_from_its_new_parts_only_and_the_next_drops_its_old_rows(make_warc, inputs, tmp_path):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    attach(db, str(out))
    ingest_shards(inputs[:1], IngestConfig(workers=1, force=True), str(out))  # same content: a new prefix for the same file
    make_warc("f1.warc.gz", [warcinfo("CC-MAIN-2019-35"), *(response_record(900 + i, date="2019-08-17T10:00:00Z") for i in range(3))])
    ingest_shards(inputs[1:2], IngestConfig(workers=1, force=True), str(out))  # a new version: 3 documents in place of 8
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*), count(DISTINCT source_id) FROM documents").fetchone() == (5 * 8 + 3, 6)
        assert s.sql("SELECT count(*) FROM signatures").fetchone()[0] == 5 * 8 + 3
        expected = content(s)

    result = compact(str(out))  # each folder: its compacted file (rows of a dead prefix) and the new part, into one

    assert (result.parts, result.merged, result.files) == (2 * len(TABLES), 2 * len(TABLES), 2 * len(TABLES))
    on_disk = sum(pq.ParquetFile(f).metadata.num_rows for f in compacted(out) if f.parts[-4] == "documents")
    assert on_disk == 5 * 8 + 3  # the rows of the earlier ingests are gone
    names = {n for m in out.glob("documents/crawl=*/_compact/[0-9a-f]*.json") for n in json.loads(m.read_text())["parts"]}
    assert len(names) == 6  # a manifest names the part of each file's live ingest, and no other
    with Store(db, read_only=True) as s:
        assert content(s) == expected


def test_later_compactions_merge_new_parts_with_small_compacted_files(make_warc, inputs, tmp_path):
    out, local, db = tmp_path / "shards", str(tmp_path / "local.duckdb"), str(tmp_path / "a.duckdb")
    ingest_shards(inputs[:4], IngestConfig(workers=1), str(out))
    compact(str(out))
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    assert len(published(out)) == 2 * len(TABLES)

    result = compact(str(out))

    assert (result.parts, result.merged, result.files) == (2 * len(TABLES), 2 * len(TABLES), 2 * len(TABLES))
    assert published(out) == [] and len(compacted(out)) == 2 * len(TABLES)  # still a file per table and crawl
    assert len(list(out.glob("*/crawl=CC-*/_compact/*.json"))) == 2 * len(TABLES)  # the merged ones' manifests went with them
    big = compact(str(out), target_bytes=1)  # a file of the target size or more is left as it is
    assert (big.parts, big.merged, big.files) == (0, 0, 0)
    attach(db, str(out))
    ingest(inputs, IngestConfig(db=local, workers=1))
    with Store(local, read_only=True) as a, Store(db, read_only=True) as b:
        assert content(a) == content(b)


@pytest.mark.parametrize("kill_at", ["before its manifest", "after its manifest", "between a merged file and its manifest"])
def test_a_compaction_that_merges_compacted_files_killed_at_any_step_reads_every_row_once(inputs, tmp_path, monkeypatch, kill_at):
    out = tmp_path / "shards"
    ingest_shards(inputs[:4], IngestConfig(workers=1), str(out))
    compact(str(out))
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    killed_then_finished(out, tmp_path / "a.duckdb", monkeypatch, kill_at)
    assert len(compacted(out)) == 2 * len(TABLES)
    manifests = [m for m in out.glob("*/crawl=CC-*/_compact/*.json")]
    assert sorted(m.with_suffix(".parquet") for m in manifests) == sorted(compacted(out))  # none left without its file


def test_parts_no_ledger_entry_names_yet_are_left_for_the_next_compaction(inputs, tmp_path):
    """An ingest publishing meanwhile puts its parts up before its ledger entry: they are not merged."""
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    entry = next((out / "_ledger").glob("[0-9a-f]*.json"))
    held = json.loads(entry.read_text())
    entry.unlink()
    result = compact(str(out))
    assert result.parts == 5 * len(TABLES)
    assert sorted(str(p.relative_to(out)) for p in published(out)) == sorted(r for rels in held["parts"].values() for r in rels)


def test_a_second_compaction_at_once_refuses_in_one_line_and_a_lock_no_process_holds_is_taken(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    (out / LOCK).write_text("otherhost pid 1\n")  # left by a process that ended (killed): no flock on it
    fd = os.open(out / LOCK, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a compaction running
    try:
        with pytest.raises(StoreError, match="another compaction is running"):
            compact(str(out))
    finally:
        os.close(fd)
    assert len(published(out)) == 6 * len(TABLES)
    assert compact(str(out)).parts == 6 * len(TABLES)


def test_a_folder_that_cannot_be_written_is_one_line(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    (out / LOCK).mkdir()  # (the lock cannot be opened for writing, as in a read-only folder; root writes anywhere)
    with pytest.raises(StoreError, match="cannot compact a folder this process cannot write"):
        compact(str(out))
    res = runner.invoke(app, ["compact", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output


@pytest.mark.parametrize("compacted_first", [False, True])
def test_a_read_only_folder_attaches_what_it_holds(inputs, tmp_path, monkeypatch, compacted_first):
    out, local = tmp_path / "shards", str(tmp_path / "local.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    if compacted_first:
        compact(str(out))  # (no published part left: that glob matches nothing)

    read_only(monkeypatch)
    attach(str(tmp_path / "a.duckdb"), str(out))
    ingest(inputs, IngestConfig(db=local, workers=1))
    with Store(local, read_only=True) as a, Store(str(tmp_path / "a.duckdb"), read_only=True) as b:
        assert content(a) == content(b)


def test_parts_of_an_older_layout_are_compacted_with_every_column_a_store_attached_before_reads(inputs, tmp_path):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    for part in out.glob("documents/crawl=CC-MAIN-2019-35/*.parquet"):  # written before lang_score was a column
        pq.write_table(pq.read_table(part).drop_columns(["lang_score"]), part)
    attach(db, str(out))
    compact(str(out))
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT crawl, count(*), count(lang_score) FROM documents GROUP BY ALL ORDER BY ALL").fetchall() == [
            ("CC-MAIN-2019-35", 24, 0), ("CC-MAIN-2020-10", 24, 24)]


def test_a_compacted_file_whose_rows_are_all_ingested_again_is_deleted_not_rewritten_empty(make_warc, inputs, tmp_path):
    out, local, db = tmp_path / "shards", str(tmp_path / "local.duckdb"), str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    for n in (0, 2, 4):  # the 2020 crawl's files: new versions, of the 2019 crawl
        make_warc(f"f{n}.warc.gz", [warcinfo("CC-MAIN-2019-35"), response_record(700 + n, date="2019-08-17T10:00:00Z")])
    ingest_shards(inputs, IngestConfig(workers=1, force=True), str(out))

    result = compact(str(out))

    assert list(out.glob("*/crawl=CC-MAIN-2020-10/_compact/*")) == []  # nothing is left of that crawl
    assert result.files == len(TABLES) and result.notes == []  # the 2019 folder's, written; no file of no rows
    attach(db, str(out))
    ingest(inputs, IngestConfig(db=local, workers=1))
    with Store(local, read_only=True) as a, Store(db, read_only=True) as b:
        assert content(a) == content(b)


def test_a_compacted_file_removed_by_hand_is_a_note_and_the_parts_still_there_are_read_again(inputs, tmp_path, monkeypatch):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    attach(db, str(out))
    with Store(db, read_only=True) as s:
        expected = content(s)
    killed_compaction(out, monkeypatch, "after its manifest")  # its parts are still there
    manifest = next(out.glob("*/crawl=*/_compact/[0-9a-f]*.json"))
    manifest.with_suffix(".parquet").unlink()
    result = compact(str(out))
    assert len(result.notes) == 1 and "is missing (removed by hand?)" in result.notes[0] and "the 3 of its 3 parts" in result.notes[0]
    with Store(db, read_only=True) as s:
        assert content(s) == expected


def test_a_manifest_that_is_not_json_fails_queries_naming_its_file(inputs, tmp_path):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    attach(db, str(out))
    manifest = next((out / "documents").glob("crawl=CC-*/_compact/*.json"))
    manifest.write_text('{"parts": ["cut sh')
    with Store(db, read_only=True) as s:
        with pytest.raises(Exception, match=f"not a JSON object in .*{manifest.name}"):
            s.sql("SELECT count(*) FROM documents").fetchall()


def test_the_cli_says_what_it_merged_and_refuses_a_folder_no_ingest_wrote(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    res = runner.invoke(app, ["compact", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["parts"] == 6 * len(TABLES)
    res = runner.invoke(app, ["compact", str(out)])
    assert res.exit_code == 0 and res.stdout.startswith(f"compacted {out}: nothing to merge in ")
    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, ["compact", str(tmp_path / "empty")])
    assert res.exit_code == 2 and "not a shard folder" in res.output and "Traceback" not in res.output


def test_attach_suggests_compact_where_a_folder_holds_many_parts(inputs, tmp_path, monkeypatch):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    monkeypatch.setattr(provenance.cli.scale_cmds, "COMPACT_HINT_FILES", 6)
    res = runner.invoke(app, ["attach", str(out), "--db", db])
    assert res.exit_code == 0 and f"provenance compact {out}" in res.stderr
    assert f"Note: {6 * len(TABLES)} Parquet parts and 6 ledger entry files, and a query opens" in res.stderr
    compact(str(out))
    res = runner.invoke(app, ["attach", str(out), "--db", db, "--json"])
    assert res.exit_code == 0 and (json.loads(res.stdout)["parts"], json.loads(res.stdout)["entries"]) == (0, 0) and "compact" not in res.stderr


def test_a_rerun_over_compacted_shards_skips_every_file_as_before(inputs, tmp_path):
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    attach(db, str(out))
    with Store(db, read_only=True) as s:
        expected = content(s)
    again = ingest_shards(inputs, IngestConfig(workers=1), str(out))
    assert (again.ingested, again.skipped, again.documents) == (0, 6, 0)
    assert published(out) == []
    with Store(db, read_only=True) as s:
        assert content(s) == expected
