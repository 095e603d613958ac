"""Files that finish while the writer is busy commit together: one transaction, the rows of one commit per file."""
from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from provenance.config import IngestConfig
from provenance.ingest import commit, pool
from provenance.ingest.commit import commit_files, commit_groups
from provenance.ingest.jobs import FileJob, FileResult, run_job
from provenance.store import Store
from tests.conftest import response_record, warcinfo
from tests.ingest import pool_tasks

TABLES = {  # every row of each table a commit writes, in an order of its own (times and run ids left out)
    "sources": "SELECT source_id, path, sha256, status, n_docs, n_errors, record_counts, skip_counts FROM sources ORDER BY ALL",
    "documents": "SELECT * EXCLUDE (fetch_time) FROM documents ORDER BY doc_id",
    "texts": "SELECT * FROM texts ORDER BY doc_id",
    "tokens": "SELECT * FROM tokens ORDER BY ALL",
    "token_blocks": "SELECT * FROM token_blocks ORDER BY ALL",
    "block_tokens": "SELECT * FROM block_tokens ORDER BY ALL",
    "signatures": "SELECT * FROM signatures ORDER BY ALL",
    "band_keys": "SELECT * FROM band_keys ORDER BY ALL",
    "ingest_errors": "SELECT source_id, path, \"offset\", kind, reason FROM ingest_errors ORDER BY ALL",
}


def _files(make_warc, n: int) -> list[Path]:
    """n files whose pages share most of their words (so their tokens), one with a broken record."""
    paths = []
    for k in range(n):
        records = [warcinfo("CC-MAIN-2021-04"), *(response_record(10 * k + i) for i in range(3))]
        if k == 1:
            records.insert(2, b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: nine\r\n\r\nbroken")
        paths.append(make_warc(f"CC-MAIN-2021-04-{k}.warc.gz", records))
    return paths


def _read(paths: list[Path], staging: Path, config: IngestConfig, first_id: int = 1) -> list[FileResult]:
    """Each file read as the ingest's workers read it: staged parts, a texts file, a result."""
    results = []
    for source_id, path in enumerate(paths, first_id):
        folder = staging / str(source_id)
        results.append(run_job(FileJob(str(path), source_id, str(folder), config, part_format="arrow",
                                       texts_file=str(folder / "texts.parquet"))))
    return results


def _rows(db: str) -> dict[str, list[tuple]]:
    with Store(db, read_only=True) as s:
        assert s.check() == []
        return {name: s.sql(sql).fetchall() for name, sql in TABLES.items()}


def test_files_committed_in_one_transaction_hold_exactly_the_rows_of_one_commit_each(make_warc, tmp_path, monkeypatch):
    paths = _files(make_warc, 5)
    stores = {}
    for name, groups in (("one_each", [[0], [1], [2], [3], [4]]), ("together", [[0, 1, 2, 3, 4]])):
        config = IngestConfig(db=str(tmp_path / f"{name}.duckdb"))
        results = _read(paths, tmp_path / f"staging-{name}", config)
        transactions = []
        with Store(config.db) as store:
            real = store.transaction
            monkeypatch.setattr(store, "transaction", lambda: (transactions.append(1), real())[1])
            run_id = store.new_run("ingest", {})
            for group in groups:
                assert commit_files(store, [results[i] for i in group], run_id, config) == [[] for _ in group]
        assert len(transactions) == len(groups)
        stores[name] = _rows(config.db)
    assert stores["together"] == stores["one_each"]
    assert len(stores["together"]["sources"]) == 5 and len(stores["together"]["ingest_errors"]) == 1
    tokens = stores["together"]["tokens"]
    assert len(tokens) == len({(t[0], t[1]) for t in tokens})  # tokens the files share: in the dictionary once


def test_a_group_closes_at_its_bounds_and_before_a_second_file_of_one_path_or_content(tmp_path, monkeypatch):
    def result(name: str, sha256: str | None, part_bytes: int) -> FileResult:
        part = tmp_path / f"{name}.arrow"
        part.write_bytes(b"x" * part_bytes)
        texts = tmp_path / f"{name}-texts.parquet"
        texts.write_bytes(b"x" * 10_000)  # moved into the store, not loaded: not counted
        return FileResult(name, 0, sha256=sha256, parts={"documents": [str(part)], "texts": [str(texts)]})

    monkeypatch.setattr(commit, "GROUP_MAX_FILES", 3)
    monkeypatch.setattr(commit, "GROUP_MAX_BYTES", 1000)
    names = lambda results: [[r.path for r in group] for group in commit_groups(results)]  # noqa: E731
    assert names([result(f"f{i}", f"h{i}", 10) for i in range(7)]) == [["f0", "f1", "f2"], ["f3", "f4", "f5"], ["f6"]]
    assert names([result("a", "h1", 600), result("b", "h2", 600), result("big", "h3", 5000), result("c", "h4", 10)]) == \
        [["a"], ["b"], ["big"], ["c"]]
    assert names([result("a", "h1", 10), result("b", "h2", 10), result("copy", "h1", 10)]) == [["a", "b"], ["copy"]]
    assert names([result("a", None, 10), result("b", None, 10)]) == [["a", "b"]]  # no content known (a remote read cut)


@pytest.mark.parametrize("force", [False, True])
def test_two_names_of_one_content_finishing_together_are_in_the_store_once(make_warc, tmp_path, force):
    (first,) = _files(make_warc, 1)
    second = tmp_path / "copy-of-it.warc.gz"
    second.write_bytes(first.read_bytes())
    config = IngestConfig(db=str(tmp_path / "s.duckdb"), force=force)
    results = _read([first, second], tmp_path / "staging", config)
    with Store(config.db) as store:
        run_id = store.new_run("ingest", {})
        replaced = [commit_files(store, group, run_id, config) for group in commit_groups(results)]
        paths = store.sql("SELECT path FROM sources").fetchall()
        docs = store.sql("SELECT count(*) FROM documents").fetchone()[0]
    assert len(replaced) == 2  # one content: two commits, the second seeing the first
    if force:  # the later one replaces the earlier one's rows
        assert replaced[1] == [[1]] and paths == [(str(second),)]
    else:  # the later one is a copy, skipped
        assert results[1].status == "skipped" and results[1].note == f"same content as {first}" and paths == [(str(first),)]
    assert docs == 3


def test_results_finishing_while_the_consumer_is_busy_come_together_in_the_order_they_finished():
    tasks = [f"t{i}" for i in range(8)]
    groups = []
    for ready in pool.run_ready(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died):
        groups.append(ready)
        time.sleep(1.5)  # a slow commit: the quick tasks finish meanwhile
    assert sorted(r for g in groups for r in g) == sorted(f"done {t}" for t in tasks)
    assert len(groups) < len(tasks)
    assert list(pool.run(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died, in_process=True)) == [f"done {t}" for t in tasks]


def test_results_ready_together_are_not_held_back_by_a_rerun_alone_among_them():
    tasks = ["a", "b", "bad", "c"]  # "bad" raises in its worker; `died` answers with a changed task, rerun alone
    groups = []
    for ready in pool.run_ready(pool_tasks.raise_on_bad, tasks, 2, lambda task, reason: pool.Retry("fixed")):
        groups.append(ready)
        time.sleep(1.5)
    assert sorted(r for g in groups for r in g) == ["done a", "done b", "done c", "done fixed"]
    assert ["done fixed"] in groups  # in a list of its own, after what was ready with it


def test_a_files_batches_stage_one_part_per_table_a_record_batch_each_and_commit_as_batch_parts_did(make_warc, tmp_path):
    """The writer loads one Arrow file per table of a file, whatever its number of batches (a Common Crawl
    file: 40), and the store holds the rows of the same file ingested in one batch."""
    path = make_warc("CC-MAIN-2021-04-0.warc.gz", [warcinfo("CC-MAIN-2021-04"), *(response_record(i) for i in range(25))])
    stores = {}
    for name, batch_docs in (("batches", 10), ("one", 1000)):
        config = IngestConfig(db=str(tmp_path / f"{name}.duckdb"), batch_docs=batch_docs, block_docs=5)
        [res] = _read([path], tmp_path / f"staging-{name}", config)
        if name == "batches":
            assert {table: len(files) for table, files in res.parts.items()} == {table: 1 for table in TABLES if table not in (
                "sources", "ingest_errors")}
            with pa.ipc.open_file(pa.memory_map(res.parts["documents"][0])) as part:
                assert [part.get_batch(i).num_rows for i in range(part.num_record_batches)] == [10, 10, 5]
            assert pq.ParquetFile(res.parts["texts"][0]).num_row_groups == 3
        with Store(config.db) as store:
            assert commit_files(store, [res], store.new_run("ingest", {}), config) == [[]]
        stores[name] = _rows(config.db)
    assert stores["batches"] == stores["one"] and len(stores["one"]["documents"]) == 25


def test_a_ctrl_c_that_came_during_a_commit_keeps_the_committed_files_texts(make_warc, tmp_path, monkeypatch):
    # DuckDB does not interrupt a COMMIT: the KeyboardInterrupt is raised as it returns, its rows committed; the texts
    # files placed for them were deleted then (documents without their texts, for good: a rerun skips those files)
    from contextlib import contextmanager

    from typer.testing import CliRunner

    from provenance.cli import app

    real, real_load, loaded = Store.transaction, commit._load_parts, []

    @contextmanager
    def interrupted_as_it_commits(self):
        with real(self) as con:
            yield con
        if loaded:  # a file's commit (not the store's making)
            raise KeyboardInterrupt

    monkeypatch.setattr(Store, "transaction", interrupted_as_it_commits)
    monkeypatch.setattr(commit, "_load_parts", lambda *a: (loaded.append(1), real_load(*a)))
    db = str(tmp_path / "s.duckdb")
    result = CliRunner().invoke(app, ["ingest", str(_files(make_warc, 1)[0]), "--db", db])
    assert result.exit_code == 130 and loaded
    with Store(db, read_only=True) as store:
        assert store.check() == [] and store.con.execute("SELECT count(*) FROM texts").fetchone()[0] == 3


def test_a_store_whose_making_stopped_before_its_texts_view_reads_as_one_without_texts(tmp_path):
    # a Ctrl-C between the committed migrations and the texts view: check and every query of texts were a traceback
    import shutil

    import duckdb

    from provenance import textfiles

    db = str(tmp_path / "s.duckdb")
    Store(db).close()
    con = duckdb.connect(db)
    con.execute("DROP VIEW texts")
    con.close()
    shutil.rmtree(textfiles.texts_dir(db))
    with Store(db, read_only=True) as store:
        assert store.check() == [] and store.con.execute("SELECT count(*) FROM texts").fetchone()[0] == 0
    with Store(db) as store:  # a writable open makes them
        assert (textfiles.texts_dir(db) / textfiles.SCHEMA_FILE).exists()

