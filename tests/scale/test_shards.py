"""`ingest --output` (local executor) and `attach`: shards, ledger, reruns, errors, and queries on views."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import provenance.cli.scale_cmds  # noqa: F401  (registers `attach` until the CLI package lists it)
from provenance.cli import app
from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.scale import attach, ingest_shards, task
from provenance.ingest.jobs import TABLES
from provenance.scale.layout import ShardDir, allocate_source_ids
from provenance.store import Store
from tests.conftest import FIXTURES, gz, response_record, warcinfo
from tests.scale.conftest import content

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def inputs(make_warc) -> list[str]:
    a = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(30))])
    b = make_warc("CC-MAIN-20200301-00001.warc.gz", [warcinfo("CC-MAIN-2020-10"),
                  *(response_record(i, date="2020-03-01T00:00:00Z", url=f"https://x{i}.example.net/a") for i in range(40, 70))], "whole")
    return [str(a), str(b), str(FIXTURES / "broken" / "corrupt-gzip.warc.gz"), str(FIXTURES / "broken" / "not-a-warc.warc")]


def test_cli_shards_then_attach_equal_the_local_store(inputs, tmp_path):
    out, db, local = str(tmp_path / "shards"), str(tmp_path / "attached.duckdb"), str(tmp_path / "local.duckdb")
    res = run("ingest", *inputs, "--output", out, "--workers", "2", "--json")
    assert res.exit_code == 1  # a file failed and one had faults: reported, as the store executor does
    assert run("ingest", *inputs, "--db", local, "--workers", "2").exit_code == 1
    with Store(local, read_only=True) as s:
        assert json.loads(res.stdout)["documents"] == s.sql("SELECT count(*) FROM documents").fetchone()[0] > 60
    res = run("attach", out, "--db", db)
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"attached {out}: 3 file(s), ")
    with Store(local, read_only=True) as a, Store(db, read_only=True) as b:
        assert content(a) == content(b)
        assert b.check() == []
    assert sorted(p.name for p in (tmp_path / "shards" / "documents").iterdir()) == [
        "crawl=CC-MAIN-2019-35", "crawl=CC-MAIN-2020-10", "crawl=CC-MAIN-2024-10", "crawl=_empty"]  # (attach's placeholder)
    yearly = run("sql", "SELECT * FROM yearly_summary", "--db", db, "--format", "csv")
    assert yearly.exit_code == 0 and yearly.stdout.splitlines()[1].startswith("2019,30,")


def test_an_estimator_like_query_runs_unchanged_on_the_views(inputs, tmp_path):
    ingest_shards(inputs, IngestConfig(workers=1), str(tmp_path / "shards"))
    ingest(inputs, IngestConfig(db=str(tmp_path / "local.duckdb"), workers=1))
    attach(str(tmp_path / "a.duckdb"), str(tmp_path / "shards"))
    jsd = """WITH c AS (SELECT year, token, sum(count) AS n FROM token_counts WHERE tokenizer = 'word' GROUP BY ALL),
             p AS (SELECT year, token, n / sum(n) OVER (PARTITION BY year) AS p FROM c),
             pairs AS (SELECT coalesce(a.token, b.token) AS token, coalesce(a.p, 0) AS pa, coalesce(b.p, 0) AS pb
                       FROM (SELECT * FROM p WHERE year = 2019) a FULL JOIN (SELECT * FROM p WHERE year = 2020) b USING (token))
             SELECT round(sum(CASE WHEN pa > 0 THEN 0.5 * pa * log2(pa / ((pa + pb) / 2)) ELSE 0 END
                            + CASE WHEN pb > 0 THEN 0.5 * pb * log2(pb / ((pa + pb) / 2)) ELSE 0 END), 12) FROM pairs"""
    lsh = """SELECT count(*) FROM (SELECT DISTINCT least(a.doc_id, b.doc_id), greatest(a.doc_id, b.doc_id)
             FROM band_keys a JOIN band_keys b ON a.band = b.band AND a.key = b.key AND a.doc_id < b.doc_id)"""
    with Store(str(tmp_path / "local.duckdb"), read_only=True) as a, Store(str(tmp_path / "a.duckdb")) as b:
        assert a.sql(jsd).fetchall() == b.sql(jsd).fetchall()
        assert a.sql(lsh).fetchall() == b.sql(lsh).fetchall()
        b.sql("INSERT INTO metrics SELECT 1, 'test', 'jsd', '2020', NULL, 0.1, NULL, NULL, NULL, NULL")  # results stay tables


def test_a_rerun_skips_finished_files_and_retries_failed_ones(inputs, tmp_path):
    out = tmp_path / "shards"
    first = ingest_shards(inputs, IngestConfig(workers=2), str(out))
    assert (first.ingested, first.failed) == (3, 1)
    errors = list((out / "_errors").glob("*.json"))
    assert len(errors) == 1 and json.loads(errors[0].read_text())["faults"][0]["kind"] == "format"
    again = ingest_shards(inputs, IngestConfig(workers=2), str(out))
    assert (again.ingested, again.skipped, again.failed) == (0, 3, 1)
    # the broken file gets fixed (replaced by a good one at the same path): the next run ingests it
    shutil.copy(inputs[0], tmp_path / "fixed.warc.gz")
    bad = tmp_path / "not-a-warc.warc"
    shutil.copy(inputs[3], bad)
    ingest_shards([str(bad)], IngestConfig(workers=1), str(out))
    bad.write_bytes(_plain_warc())
    fixed = ingest_shards([str(bad)], IngestConfig(workers=1), str(out))
    assert (fixed.ingested, fixed.failed) == (1, 0)
    assert not any(json.loads(p.read_text())["path"] == str(bad) for p in (out / "_errors").glob("*.json"))


def _plain_warc() -> bytes:
    return b"".join([warcinfo("CC-MAIN-2021-31"), *(response_record(i, url=f"https://fixed{i}.example.com/") for i in range(3))])


def test_parts_without_a_ledger_entry_are_never_read(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(out))
    part = next((out / "documents").rglob("*.parquet"))
    orphan = part.with_name("0123456789abcdef-deadbeef-00000.parquet")  # a killed attempt's part
    shutil.copy(part, orphan)
    a = attach(str(tmp_path / "a.duckdb"), str(out))
    assert a.documents == 30
    with Store(str(tmp_path / "a.duckdb"), read_only=True) as s:
        assert s.check() == []
    raw = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{out}/documents/*/*.parquet')").fetchone()[0]
    assert raw == 60  # DuckDB alone sees both; the views see only the ledger's parts


def test_attach_refuses_a_store_with_ingested_rows_and_refreshes_an_attached_one(inputs, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest(inputs[:1], IngestConfig(db=db, workers=1))
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(tmp_path / "shards"))
    res = run("attach", str(tmp_path / "shards"), "--db", db)
    assert res.exit_code == 1
    assert res.output.strip() == (f"Error: {db}: the store already holds ingested rows (1 in sources); "
                                  "attach shards to a new store, e.g. --db shards.duckdb")
    fresh = str(tmp_path / "fresh.duckdb")
    assert attach(fresh, str(tmp_path / "shards")).documents == 30
    ingest_shards(inputs[1:2], IngestConfig(workers=1), str(tmp_path / "shards"))
    with Store(fresh, read_only=True) as s:  # the views see new parts without a new attach
        assert s.sql("SELECT count(*) FROM documents").fetchone()[0] == 60
    again = attach(fresh, str(tmp_path / "shards"))
    assert (again.files, again.documents) == (2, 60)
    with Store(fresh, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM attachments").fetchone()[0] == 2


def test_a_store_whose_shards_moved_says_so_in_one_line_and_attach_points_it_at_them_again(inputs, tmp_path):
    db, old, new = str(tmp_path / "a.duckdb"), tmp_path / "shards", tmp_path / "moved"
    ingest_shards(inputs[:2], IngestConfig(workers=1), str(old))
    attach(db, str(old))
    old.rename(new)
    for command in (["info"], ["check"], ["sql", "SELECT count(*) FROM documents"], ["ingest", inputs[0]]):
        res = run(*command, "--db", db)
        assert res.exit_code == 1 and res.output.strip() == (
            f"Error: {db}: the store reads shards at {old}, which are gone (moved or deleted); point it at them where they "
            f"are now: provenance attach NEW_FOLDER --db {db}")  # a traceback from every command, attach included, before
    assert run("attach", str(new), "--db", db).exit_code == 0
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM documents").fetchone()[0] == 60 and s.check() == []


def test_an_attach_interrupted_before_it_records_its_shards_leaves_the_store_as_it_was(inputs, tmp_path, monkeypatch):
    """Killed between its views and their attachments row, a store read its local (empty) texts and took local ingests."""
    db = str(tmp_path / "a.duckdb")
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(tmp_path / "shards"))
    query = Store.query

    def interrupted(self, name, **params):
        if name == "scale_insert_attachment":
            raise KeyboardInterrupt  # the moment a SIGTERM or Ctrl-C may come
        return query(self, name, **params)

    monkeypatch.setattr(Store, "query", interrupted)
    with pytest.raises(KeyboardInterrupt):
        attach(db, str(tmp_path / "shards"))
    monkeypatch.setattr(Store, "query", query)
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT (SELECT count(*) FROM attachments), (SELECT count(*) FROM documents), (SELECT count(*) FROM texts)").fetchone() == (0, 0, 0)
    assert attach(db, str(tmp_path / "shards")).documents == 30  # and the rerun attaches


def test_shards_without_text_attach_an_empty_texts_view(inputs, tmp_path):
    ingest_shards(inputs[:1], IngestConfig(workers=1, keep_text=False), str(tmp_path / "shards"))
    a = attach(str(tmp_path / "a.duckdb"), str(tmp_path / "shards"))
    assert "texts" not in a.tables
    with Store(str(tmp_path / "a.duckdb"), read_only=True) as s:
        assert s.sql("SELECT count(*) FROM texts").fetchone() == (0,)
        assert s.sql("SELECT count(*) FROM documents").fetchone() == (30,)


def test_an_attached_store_sees_later_runs_failures_files_and_first_parts_of_a_table(inputs, tmp_path):
    # an empty folder froze its view empty: attached after a run without failures, later failures never showed in
    # ingest_errors; attached after a failed run only, later files never showed; and a table's first part neither
    out, db = str(tmp_path / "shards"), str(tmp_path / "a.duckdb")
    ingest_shards(inputs[3:], IngestConfig(workers=1), out)  # a file that fails: no ledger entry, no parts
    attach(db, out)
    ingest_shards(inputs[:1], IngestConfig(workers=1, keep_text=False), out)
    ingest_shards(inputs[2:3], IngestConfig(workers=1), out)  # a file with faults
    ingest_shards(inputs[1:2], IngestConfig(workers=1), out)  # the first texts
    fresh = str(tmp_path / "fresh.duckdb")
    attach(fresh, out)
    with Store(db, read_only=True) as a, Store(fresh, read_only=True) as b:
        assert content(a) == content(b)
        assert a.sql("SELECT count(*) FILTER (WHERE status = 'failed'), count(*) FROM sources").fetchone() == (1, 4)
        assert a.sql("SELECT count(DISTINCT source_id) FROM ingest_errors").fetchone() == (2,)
        docs = a.sql("SELECT count(*) FROM documents").fetchone()[0]
        assert docs > 60 and a.sql("SELECT count(*) FROM texts").fetchone() == (docs - 30,)  # the first file's were not kept
        assert a.check() == []
    assert len(ShardDir(out).read_all("_ledger")) == 3 and len(ShardDir(out).read_all("_errors")) == 1  # placeholders are no entries


def test_source_ids_come_from_the_address_and_never_repeat_within_a_directory():
    ids = allocate_source_ids(["s3://commoncrawl/a.warc.gz", "s3://commoncrawl/b.warc.gz"], set())
    assert ids == allocate_source_ids(["s3://commoncrawl/b.warc.gz", "s3://commoncrawl/a.warc.gz"], set())
    assert all(0 < i < 2**31 for i in ids.values())
    taken = {ids["s3://commoncrawl/a.warc.gz"]}
    probed = allocate_source_ids(["s3://commoncrawl/a.warc.gz"], taken)
    assert probed["s3://commoncrawl/a.warc.gz"] == ids["s3://commoncrawl/a.warc.gz"] + 1


def test_ray_without_output_is_a_usage_error(inputs):
    res = run("ingest", inputs[0], "--executor", "ray")
    assert res.exit_code == 2
    assert res.output.strip() == "Error: --executor ray writes Parquet shards: give --output DIR, then 'provenance attach DIR'"


def test_a_record_that_kills_its_worker_is_found_and_skipped_in_shards_too(make_warc, tmp_path, monkeypatch):
    from provenance.scale import executor
    from tests.ingest import pool_tasks

    records = [warcinfo(), *(response_record(i) for i in range(40))]
    records.insert(20, response_record(999, url="https://x.example.org/deadly"))
    deadly = make_warc("deadly.warc.gz", records)
    other = make_warc("ok.warc.gz", [warcinfo(), *(response_record(i + 100) for i in range(30))])
    monkeypatch.setattr(executor, "shard_file", pool_tasks.shard_file_with_a_deadly_record)  # what the pool runs in each worker
    out = tmp_path / "shards"
    leftovers = lambda: set(Path(tempfile.gettempdir()).glob("provenance-shard*"))  # noqa: E731
    before = leftovers()
    summary = ingest_shards([str(deadly), str(other)], IngestConfig(workers=2), str(out))

    assert (summary.ingested, summary.failed, summary.documents) == (2, 0, 70)
    assert leftovers() <= before  # the dead workers' staging went with the run's scratch folder
    [ledger] = [json.loads(p.read_text()) for p in (out / "_ledger").glob("*.json") if json.loads(p.read_text())["path"] == str(deadly)]
    assert [(f["kind"], f["offset"] > 0) for f in ledger["faults"]] == [("crash", True)]
    assert not list((out / "_errors").glob("*.json"))


@pytest.mark.parametrize("force", [False, True])
def test_a_task_rerun_after_its_result_was_lost_reports_what_it_published(make_warc, tmp_path, force):
    # A pool broken by another worker's death (or Ray retrying a task whose worker died after
    # publishing) reruns a task that had already published its file in this run.
    from provenance.scale.task import ShardTask, shard_file

    path = str(make_warc("once.warc.gz", [warcinfo(), *(response_record(i) for i in range(12))]))
    out = tmp_path / "shards"
    task = ShardTask(path, 7, str(out), IngestConfig(workers=1, force=force), run_id=1)
    first = shard_file(task)
    parts = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))

    again = shard_file(task)
    later_run = shard_file(ShardTask(path, 7, str(out), IngestConfig(workers=1), run_id=2))  # without --force

    assert (first.status, first.n_docs) == ("done", 12)
    assert (again.status, again.n_docs, again.crawl, again.parts) == ("done", 12, first.crawl, first.parts)
    assert sorted(p.relative_to(out) for p in out.rglob("*.parquet")) == parts  # nothing published twice
    assert (later_run.status, later_run.n_docs) == ("skipped", 0)


def test_force_replaces_a_files_earlier_shards_as_it_replaces_its_rows_in_a_store(make_warc, tmp_path):
    """--force re-ingests a file in place of its earlier ingest: of changed content at the same path (its
    earlier ledger entry was read beside the new one: both versions' documents) or of the same content (the
    earlier parts stayed on disk, named by no ledger entry)."""
    path = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    out = tmp_path / "shards"
    ingest_shards([str(path)], IngestConfig(workers=1), str(out))
    ingest_shards([str(path)], IngestConfig(workers=1, force=True), str(out))  # same content
    make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(20, 32))])  # changed content
    ingest_shards([str(path)], IngestConfig(workers=1, force=True), str(out))

    entries = [json.loads(p.read_text()) for p in (out / "_ledger").glob("*.json")]
    assert len(entries) == 1 and entries[0]["n_docs"] == 12
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet"))
    assert on_disk == sorted(rel for rels in entries[0]["parts"].values() for rel in rels)
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "a.duckdb"), read_only=True) as s:
        assert s.sql("SELECT count(*), count(DISTINCT source_id) FROM documents").fetchone() == (12, 1)
        assert s.sql("SELECT count(*) FROM sources").fetchone()[0] == 1


def test_a_query_of_an_attached_store_reads_the_ledger_once(inputs, tmp_path):
    """A crawl's ledger is 90,000 JSON files: `sources` read them twice (for finished files, and to leave out the
    failures finished since), 11.6 s instead of 3.6 s for count(*) at 5,000."""
    out, db = str(tmp_path / "shards"), str(tmp_path / "a.duckdb")
    summary = ingest_shards(inputs, IngestConfig(workers=1), out)  # finished files and failed ones: both folders hold entries
    assert summary.ingested and summary.failed
    attach(db, out)
    with Store(db, read_only=True) as s:
        plan = s.sql("EXPLAIN SELECT count(*) FROM sources").fetchall()[0][1]
        assert plan.count("READ_TEXT") == 2  # the ledger, and the error records
        assert s.sql("SELECT status, count(*) FROM sources GROUP BY ALL ORDER BY ALL").fetchall() == [("done", summary.ingested),
                                                                                              ("failed", summary.failed)]


def test_attach_reads_the_latest_ledger_entry_of_a_path(make_warc, tmp_path):
    """A driver killed between publishing a forced re-ingest and removing what it replaced leaves two entries
    of one path, and the parts of both: the views read the later one only."""
    path = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    out, saved = tmp_path / "shards", tmp_path / "saved"
    ingest_shards([str(path)], IngestConfig(workers=1), str(out))
    shutil.copytree(out, saved)
    make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(20, 32))])
    ingest_shards([str(path)], IngestConfig(workers=1, force=True), str(out))
    shutil.copytree(saved, out, dirs_exist_ok=True)  # the earlier entry and parts, as if never removed
    assert len(list((out / "_ledger").glob("*.json"))) == 2
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "a.duckdb"), read_only=True) as s:
        assert s.sql("SELECT count(*) FROM documents").fetchone()[0] == 12
        assert s.sql("SELECT count(*), max(n_docs) FROM sources").fetchone() == (1, 12)


def test_a_run_removes_the_scratch_folder_a_killed_driver_left(inputs, tmp_path, monkeypatch):
    """A SIGKILLed driver cannot remove its scratch folder (its workers' staging parts): the next run does,
    and leaves alone those of processes still running."""
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    left = tmp_path / "tmp" / f"provenance-shards-{gone}-x1"
    (left / "7").mkdir(parents=True)
    (left / "7" / "documents-00000.arrow").write_bytes(b"x" * 1000)
    running = tmp_path / "tmp" / "provenance-shards-1-x2"  # pid 1 runs
    running.mkdir()
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(tmp_path / "shards"))
    assert not left.exists() and running.exists()
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == [running.name]  # the run's own is gone too


def test_a_rerun_with_other_options_says_so_as_the_store_does(inputs, tmp_path):
    out = str(tmp_path / "shards")
    ingest_shards(inputs[:1], IngestConfig(workers=1), out)
    again = ingest_shards(inputs[:1], IngestConfig(workers=1, langs=("de",)), out)
    (res,) = again.results
    assert res.status == "skipped" and again.other_options == 1
    assert res.note == "in the ledger of the output directory, with other options (--lang: none -> de): kept as it was; --force re-ingests it with these"


def test_force_keeps_what_it_published_when_content_moves_between_paths_in_one_run(make_warc, tmp_path):
    """B now holds A's old bytes and A new ones: B's new entry has A's old key, and A's replacement removed it."""
    out = tmp_path / "shards"
    a = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    b = make_warc("CC-MAIN-20190817-00001.warc.gz", [warcinfo(), *(response_record(i) for i in range(50, 55))])
    ingest_shards([str(a), str(b)], IngestConfig(workers=1), str(out))
    shutil.copyfile(a, b)
    make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(20, 32))])
    ingest_shards([str(b), str(a)], IngestConfig(workers=1, force=True), str(out))
    entries = sorted((Path(e["path"]).name, e["n_docs"]) for e in (json.loads(p.read_text()) for p in (out / "_ledger").glob("*.json")))
    assert entries == [("CC-MAIN-20190817-00000.warc.gz", 12), ("CC-MAIN-20190817-00001.warc.gz", 10)]
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "a.duckdb"), read_only=True) as s:
        assert s.sql("SELECT count(*) FROM documents").fetchone()[0] == 22


def test_attach_refuses_a_folder_no_ingest_wrote_and_keeps_the_store_as_it_was(inputs, tmp_path):
    # a typo swapped an attached store's data for nothing, exit 0
    out, db = tmp_path / "shards", str(tmp_path / "a.duckdb")
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    assert run("attach", str(out), "--db", db).exit_code == 0
    (tmp_path / "empty").mkdir()
    for wrong in (tmp_path / "empty", tmp_path / "nosuch", Path(db)):
        result = run("attach", str(wrong), "--db", db)
        assert result.exit_code == 2 and "not a shard folder" in result.output
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM documents").fetchone()[0] > 0


def test_an_output_that_cannot_be_a_folder_is_one_line(inputs, tmp_path):
    (tmp_path / "a.duckdb").write_text("a store, named by mistake")
    for wrong in (tmp_path / "a.duckdb", "/proc/no/such"):
        result = run("ingest", *map(str, inputs), "--output", str(wrong))
        assert result.exit_code == 2 and result.output.startswith(f"Error: --output {wrong}: cannot be a shard folder")


def test_an_attached_store_still_reads_a_folder_that_later_runs_empty(make_warc, tmp_path):
    # a folder that held files at the attach and none later (the last error record removed when its file succeeded;
    # --force --no-text): its glob matched nothing and every query on sources, or on texts, failed
    path = tmp_path / "in" / "a.warc.gz"
    path.parent.mkdir()
    path.write_bytes(b"not a warc at all\n" * 10)
    out, db = str(tmp_path / "shards"), str(tmp_path / "a.duckdb")
    ingest_shards([str(path)], IngestConfig(workers=1), out)
    first = attach(db, out)
    path.write_bytes(make_warc("x.warc.gz", [warcinfo(), *(response_record(i) for i in range(3))]).read_bytes())
    ingest_shards([str(path)], IngestConfig(workers=1), out)  # its error record goes
    ingest_shards([str(path)], IngestConfig(workers=1, keep_text=False, force=True), out)  # and its texts' only part
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT status, n_docs FROM sources").fetchall() == [("done", 3)]
        assert s.sql("SELECT count(*) FROM texts").fetchone() == (0,) and s.check() == []
    assert first.tables == () and attach(db, out).tables == tuple(t for t in first.tables + TABLES if t != "texts")  # placeholders are no parts


def test_two_names_of_one_content_read_at_once_publish_one_and_count_one(make_warc, tmp_path, monkeypatch):
    # each task's ledger check ran before the other published: both published, the later entry overwrote the earlier,
    # the summary said 2 files and twice the documents, and the other's parts stayed in DIR, read by nothing
    from provenance.ingest import pool

    data = make_warc("x.warc.gz", [warcinfo(), *(response_record(i) for i in range(5))]).read_bytes()
    (tmp_path / "in").mkdir()
    for name in ("x", "y"):
        (tmp_path / "in" / f"{name}.warc.gz").write_bytes(data)
    monkeypatch.setattr(pool, "in_process", lambda paths: True)  # one after the other, here: the race made sure
    monkeypatch.setattr(task, "_known", lambda *args: None)
    out = tmp_path / "shards"
    summary = ingest_shards([str(tmp_path / "in")], IngestConfig(workers=1), str(out))
    assert (summary.ingested, summary.skipped, summary.documents) == (1, 1, 5)
    lost = next(r for r in summary.results if r.status == "skipped")
    assert lost.note.startswith("same content as ") and lost.note.endswith("(its rows kept)")
    named = {rel for e in ShardDir(str(out)).read_all("_ledger") for rels in e["parts"].values() for rel in rels}
    assert {str(p.relative_to(out)) for p in out.rglob("*.parquet")} == named  # no parts left that no entry names
    a = attach(str(tmp_path / "a.duckdb"), str(out))
    assert (a.files, a.documents) == (1, 5)


def test_force_over_two_names_of_one_content_counts_the_one_kept(make_warc, tmp_path):
    data = make_warc("x.warc.gz", [warcinfo(), *(response_record(i) for i in range(5))]).read_bytes()
    (tmp_path / "in").mkdir()
    for name in ("x", "y"):
        (tmp_path / "in" / f"{name}.warc.gz").write_bytes(data)
    db = str(tmp_path / "s.duckdb")
    summary = ingest([str(tmp_path / "in")], IngestConfig(db=db, workers=1, force=True))
    with Store(db, read_only=True) as s:
        stored = s.sql("SELECT count(*) FROM documents").fetchone()[0]
    assert (summary.ingested, summary.skipped, summary.documents) == (1, 1, stored) == (1, 1, 5)  # said 2 files, 10 documents


def test_a_file_appended_to_while_its_task_hashes_it_is_recorded_under_the_hash_of_what_was_read(make_warc, tmp_path, monkeypatch):
    # the task hashed first and the worker took the file's size after: the ledger named a hash of no version it read, and
    # the next run (size and time as recorded) never read the file again
    import hashlib

    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"".join(gz(response_record(i)) for i in range(3)))
    real = task.sha256_file
    calls = []

    def hash_then_append(p):
        digest = real(p)
        if not calls:
            calls.append(p)
            with open(path, "ab") as f:
                f.write(gz(response_record(3)))
        return digest

    monkeypatch.setattr(task, "sha256_file", hash_then_append)
    out = str(tmp_path / "shards")
    summary = ingest_shards([str(path)], IngestConfig(workers=1), out)
    [entry] = ShardDir(out).read_all("_ledger")
    assert summary.documents == entry["n_docs"] == 4 and entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_files_batches_make_one_part_per_table_and_a_crawl_change_mid_file_splits_it_by_crawl(make_warc, tmp_path):
    """A Common Crawl file is ~40 batches: a part per batch made 280 files of each input (25 million for a crawl).
    Each table's part is one file of a row group per batch; a warcinfo record mid-file (batch 2 holds both crawls)
    puts a piece of each part in each crawl's folder, row group by row group, and the rows equal a store's."""
    path = make_warc("CC-MAIN-20190817-00000.warc.gz", [
        warcinfo(), *(response_record(i) for i in range(15)),
        warcinfo("CC-MAIN-2020-10"), *(response_record(i, date="2020-03-01T00:00:00Z") for i in range(15, 30))])
    config = dict(workers=1, batch_docs=10, block_docs=5)
    out = tmp_path / "shards"
    ingest_shards([str(path)], IngestConfig(**config), str(out))
    ingest([str(path)], IngestConfig(db=str(tmp_path / "local.duckdb"), **config))

    def parts(table: str) -> dict[str, list[int]]:  # crawl folder -> row groups of each part
        return {d.name: [pq.ParquetFile(p).num_row_groups for p in sorted(d.glob("*.parquet"))] for d in sorted((out / table).iterdir())}

    assert parts("documents") == parts("signatures") == parts("texts") == {"crawl=CC-MAIN-2019-35": [2], "crawl=CC-MAIN-2020-10": [2]}
    assert parts("tokens") == {"crawl=CC-MAIN-2019-35": [3]}  # the dictionary belongs to no crawl
    entry = json.loads(next((out / "_ledger").glob("*.json")).read_text())
    assert {table: len(rels) for table, rels in entry["parts"].items()} == {t: 1 if t == "tokens" else 2 for t in TABLES}
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "local.duckdb"), read_only=True) as a, Store(str(tmp_path / "a.duckdb"), read_only=True) as b:
        assert content(a) == content(b)
        assert b.sql("SELECT crawl, count(*) FROM documents GROUP BY ALL ORDER BY ALL").fetchall() == [
            ("CC-MAIN-2019-35", 15), ("CC-MAIN-2020-10", 15)]
        assert b.check() == []


def test_an_upload_that_fails_once_midway_is_retried_from_where_it_stopped(make_warc, tmp_path, monkeypatch):
    """A transient failure after some pieces were up: the retry uploads the rest (a local piece is moved up, so
    starting over found its staged file gone, and every try failed)."""
    path = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(12))])
    real, calls = ShardDir.put_file, []

    def put_file(self, local, rel):
        calls.append(rel)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        real(self, local, rel)

    monkeypatch.setattr(ShardDir, "put_file", put_file)
    monkeypatch.setattr(task, "BACKOFF_SECONDS", 0.0)
    out = tmp_path / "shards"
    summary = ingest_shards([str(path)], IngestConfig(workers=1), str(out))
    assert (summary.ingested, summary.failed, summary.documents) == (1, 0, 12)
    assert len(calls) == len(TABLES) + 1  # one piece twice
    ingest([str(path)], IngestConfig(db=str(tmp_path / "local.duckdb"), workers=1))
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "local.duckdb"), read_only=True) as a, Store(str(tmp_path / "a.duckdb"), read_only=True) as b:
        assert content(a) == content(b)


def test_an_output_that_refuses_every_upload_fails_the_file_in_one_line(make_warc, tmp_path, monkeypatch):
    """Past its retries, an upload that keeps failing fails its file (an error record, exit code 1), not the run with
    a traceback; nothing it put up is read."""
    path = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(12))])

    def put_file(self, local, rel):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(ShardDir, "put_file", put_file)
    monkeypatch.setattr(task, "BACKOFF_SECONDS", 0.0)
    out = tmp_path / "shards"
    res = run("ingest", str(path), "--output", str(out), "--workers", "1")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"cannot publish its parts to {out}: Input/output error; the next run reads the file again" in res.output
    assert [json.loads(p.read_text())["status"] for p in (out / "_errors").glob("*.json")] == ["failed"]
    assert list((out / "_ledger").glob("*.json")) == []


@pytest.mark.parametrize("older", ["part", "placeholder"])
def test_parts_of_one_layout_are_read_by_one_schema_and_a_dir_with_an_older_layout_by_name(inputs, tmp_path, older):
    """Reading by the union of the parts' schemas reads every part's footer each time a query is planned (2,000 files:
    attach 4.3 s -> 2.0 s, yearly_summary 1.7 s -> 1.2 s without it). Parts of one layout are read by one schema; where a
    table's files differ (a DIR that another version wrote to: a column missing from a part, or from attach's placeholder,
    which a view may bind on), its view reads them by name as before."""
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    attach(str(tmp_path / "first.duckdb"), str(out))  # (puts the placeholders in place)
    path = (sorted((out / "documents").glob("crawl=CC-MAIN-2019-35/*.parquet"))[0] if older == "part"
            else out / "documents" / "crawl=_empty" / "_empty.parquet")
    pq.write_table(pq.read_table(path).drop_columns(["lang_score"]), path)  # as a layout without the column wrote it
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "a.duckdb"), read_only=True) as s:
        by_name = dict(s.sql("SELECT view_name, contains(sql, 'union_by_name = true') FROM duckdb_views() "
                             "WHERE contains(sql, 'read_parquet') AND view_name IN ?", [list(TABLES)]).fetchall())
        assert by_name == {**{t: False for t in TABLES}, "documents": True}
        assert s.sql("SELECT crawl, count(*), count(lang_score) FROM documents GROUP BY ALL ORDER BY ALL").fetchall() == [
            ("CC-MAIN-2019-35", 30, 0 if older == "part" else 30), ("CC-MAIN-2020-10", 30, 30), ("CC-MAIN-2024-10", 4, 4)]


def test_a_ledger_record_that_is_not_one_json_object_fails_queries_naming_its_file(inputs, tmp_path):
    """Blank lines and several records in one file read as they did; a record cut short names its file (the error
    showed the record's first bytes only: sorted keys, no path)."""
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    db = str(tmp_path / "a.duckdb")
    attach(db, str(out))
    done = "SELECT path FROM sources WHERE status = 'done' ORDER BY path"
    with Store(db, read_only=True) as s:
        before = s.sql(done).fetchall()
    first, second = sorted((out / "_ledger").glob("[0-9a-f]*.json"))[:2]
    first.write_text("\n" + first.read_text() + "\n \n" + second.read_text())  # two records, blank lines around them
    second.unlink()
    (out / "_ledger" / "blank.json").write_text(" \n\t\n")
    with Store(db, read_only=True) as s:
        assert s.sql(done).fetchall() == before and len(before) == 3
    first.write_text(first.read_text()[:200])
    res = run("sql", "SELECT count(*) FROM sources", "--db", db)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert f"not a JSON object in {first} (cut short, or not written by provenance)" in res.output


def test_the_summary_of_shards_speaks_of_the_output_not_of_a_store(tmp_path):
    broken = str(FIXTURES / "broken" / "corrupt-gzip.warc.gz")
    out = str(tmp_path / "out")
    first = runner.invoke(app, ["ingest", broken, "--output", out, "--workers", "1"])
    assert first.exit_code == 1 and "error(s) recorded with the shards (ingest_errors once attached)" in first.output
    assert "in ingest_errors ->" not in first.output
    again = runner.invoke(app, ["ingest", broken, "--output", out, "--workers", "1"])
    assert "1 already in the output (nothing added)" in again.output and "the store" not in again.output


def test_a_store_attached_to_shards_measures_again_after_an_ingest_into_them(make_warc, tmp_path):
    # the shards' ledgers carry their writers' run ids: only an attach moved the store's data version, and a crawl
    # ingested into the shards showed through the views as "n/a" in every column of the report
    from provenance.report import ReportConfig, compute_missing, missing_steps

    out, db = str(tmp_path / "shards"), str(tmp_path / "attached.duckdb")
    first = make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(30))])
    later = make_warc("CC-MAIN-20200301-00001.warc.gz", [warcinfo("CC-MAIN-2020-10"),
                      *(response_record(i, date="2020-03-01T00:00:00Z", url=f"https://x{i}.example.net/a") for i in range(40, 70))])
    assert run("ingest", str(first), "--output", out).exit_code == 0
    assert run("attach", out, "--db", db).exit_code == 0
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        compute_missing(store, config, unmeasured={})
        assert missing_steps(store, config) == [] or "dups" not in missing_steps(store, config)
    assert run("ingest", str(later), "--output", out).exit_code == 0
    with Store(db) as store:
        assert "dups" in missing_steps(store, config)
