"""A shard folder's ledger folded by `compact` into one Parquet file: read as its entry files were, at every step."""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import provenance.cli.scale_cmds  # noqa: F401  (registers `attach` and `compact`)
import importlib

import provenance.scale.executor
from provenance.cli import app
from provenance.config import IngestConfig
from provenance.errors import StoreError
from provenance.ingest.pipeline import ingest
from provenance.scale import attach, ingest_shards, ledger
from provenance.scale.compact import compact
from provenance.scale.attach import _json_records, columns_of
from provenance.scale.layout import ShardDir
from provenance.scale.ledger import record_columns
from provenance.store import Store
from tests.conftest import response_record, warcinfo
from tests.scale.conftest import content, files_of_two_crawls, read_only

runner = CliRunner()


@pytest.fixture
def inputs(make_warc) -> list[str]:
    """Four files of two crawls."""
    return files_of_two_crawls(make_warc, 4, 5)


def entry_files(out: Path) -> list[str]:
    """The ledger's entry files (and tombstones), not attach's placeholder, not the mark of a folded ledger."""
    return sorted(p.name for p in (out / "_ledger").glob("[0-9a-f]*.json"))


def folds(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "_ledger" / "_fold").glob("[0-9]*.parquet"))


def by_path(out: Path) -> dict[str, tuple[str, str]]:
    """The ledger as ingest reads it: (sha256, part prefix) by file name."""
    entries = ledger.read_ledger(ShardDir(str(out)))
    assert len({e["path"] for e in entries}) == len(entries)
    return {Path(e["path"]).name: (e["sha256"], e["part_prefix"]) for e in entries}


def expected_of(paths: list[str], db: Path) -> dict[str, list[tuple]]:
    """What a store ingest of these files holds."""
    ingest(paths, IngestConfig(db=str(db), workers=1))
    with Store(str(db), read_only=True) as s:
        return content(s)


def read(db: Path) -> dict[str, list[tuple]]:
    with Store(str(db), read_only=True) as s:
        return content(s)


def fold_only(shards: ShardDir, tmp: Path) -> ledger.Fold:
    """Fold the ledger alone (compact merges the parts first)."""
    with Store(":memory:") as s:
        return ledger.fold(shards, s.con, columns_of(s, "sources"), str(tmp))


def new_version(make_warc, name: str, n: int) -> None:
    """The file at name rewritten with other records (a new version of it)."""
    make_warc(name, [warcinfo("CC-MAIN-2019-35"), *(response_record(500 + 10 * n + i, date="2019-08-17T10:00:00Z") for i in range(3))])


def test_a_folded_ledger_is_read_as_its_entry_files_were_by_queries_and_by_ingest(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    attach(str(tmp_path / "before.duckdb"), str(out))
    expected, ledger_before = read(tmp_path / "before.duckdb"), by_path(out)

    result = compact(str(out))

    assert (result.ledger.entries, result.ledger.rows, result.ledger.note, result.notes) == (4, 4, None, [])
    assert entry_files(out) == [] and folds(out) == ["00000001.parquet"]
    assert len(list((out / "_folded").glob("*.json"))) == 4  # for lookups by content
    attach(str(tmp_path / "after.duckdb"), str(out))
    for db in ("before.duckdb", "after.duckdb"):  # a store attached before the fold reads it too
        assert read(tmp_path / db) == expected
    assert by_path(out) == ledger_before
    again = ingest_shards(inputs, IngestConfig(workers=1), str(out))  # known by address
    assert (again.ingested, again.skipped) == (0, 4)
    copy = tmp_path / "copy.warc.gz"  # known by content, through its folded entry
    copy.write_bytes(Path(inputs[0]).read_bytes())
    res = ingest_shards([str(copy)], IngestConfig(workers=1), str(out))
    assert (res.ingested, res.skipped) == (0, 1)
    assert compact(str(out)).ledger.entries == 0 and folds(out) == ["00000001.parquet"]  # nothing new to fold


def test_files_ingested_again_after_a_fold_override_their_folded_entries_and_the_next_fold_takes_them(make_warc, inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    attach(str(tmp_path / "a.duckdb"), str(out))
    new_version(make_warc, "f0.warc.gz", 0)  # new content at its path: its old entry is removed
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    ingest_shards(inputs[1:2], IngestConfig(workers=1, force=True), str(out))  # the same content again: its key's entry rewritten
    expected = expected_of(inputs, tmp_path / "local.duckdb")

    tombstones = [n for n in entry_files(out) if json.loads((out / "_ledger" / n).read_text()) == ledger.TOMBSTONE]
    assert len(tombstones) == 1 and len(entry_files(out)) == 3  # the new f0's entry, f1's again, and f0's old one's tombstone
    assert read(tmp_path / "a.duckdb") == expected
    written = by_path(out)

    result = compact(str(out))

    assert (result.ledger.entries, result.ledger.removed, result.ledger.rows) == (2, 1, 4)
    assert entry_files(out) == [] and folds(out) == ["00000002.parquet"]
    assert not (out / "_folded" / tombstones[0]).exists()  # a lookup of the old content finds nothing
    assert read(tmp_path / "a.duckdb") == expected and by_path(out) == written


def test_content_forced_in_at_another_path_after_a_fold_is_read_at_that_path_only(inputs, tmp_path):
    """Its new entry has the key of its folded one (the content's) and another path: it overrides the folded one."""
    out, db, local = tmp_path / "shards", tmp_path / "a.duckdb", str(tmp_path / "local.duckdb")
    moved = tmp_path / "moved.warc.gz"
    moved.write_bytes(Path(inputs[0]).read_bytes())
    for run in (lambda **kw: ingest_shards(inputs, IngestConfig(**kw), str(out)), lambda **kw: ingest(inputs, IngestConfig(db=local, **kw))):
        run(workers=1)
    compact(str(out))
    ingest_shards([str(moved)], IngestConfig(workers=1, force=True), str(out))
    ingest([str(moved)], IngestConfig(db=local, workers=1, force=True))
    attach(str(db), str(out))
    expected = read(Path(local))
    assert sorted(r[0] for r in expected["sources"]) == ["f1.warc.gz", "f2.warc.gz", "f3.warc.gz", "moved.warc.gz"]
    assert read(db) == expected
    compact(str(out))
    assert read(db) == expected


def test_a_fold_of_tombstones_only_leaves_no_fold(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    shards = ShardDir(str(out))
    for e in ledger.read_ledger(shards):
        ledger.remove(shards, e["sha256"], folded=True)
    assert len(entry_files(out)) == 4 and by_path(out) == {}  # tombstones over the folded entries
    assert all(ledger.lookup(shards, name[: -len('.json')]) is None for name in entry_files(out))
    result = compact(str(out))
    assert (result.ledger.entries, result.ledger.removed, result.ledger.rows) == (0, 4, 0)
    assert folds(out) == [] and entry_files(out) == [] and by_path(out) == {}
    assert list((out / "_folded").glob("*.json")) == []
    assert not (out / "_ledger" / "_folded.json").exists()  # no fold left: no mark (views that read no fold are right)


class Killed(BaseException):
    pass


KILLS = ["before the new fold is in place", "after the new fold, before the older one is deleted",
         "between a tombstone's folded copy and itself", "midway through moving the entries aside"]


def killed_fold(out: Path, monkeypatch, kill_at: str) -> None:
    """Run a compaction of out whose fold dies at kill_at (its process killed there: nothing after it runs)."""
    puts, deletes, moves = ShardDir.put_file, ShardDir.delete, ShardDir.move_all

    def put_file(self, local, rel):
        if kill_at == KILLS[0] and rel.startswith("_ledger/_fold/"):
            raise Killed
        puts(self, local, rel)

    def delete(self, rel):
        if kill_at == KILLS[1] and rel.startswith("_ledger/_fold/"):
            raise Killed
        deletes(self, rel)
        if kill_at == KILLS[2] and rel.startswith("_folded/"):
            raise Killed

    def move_all(self, pairs):
        if kill_at == KILLS[3]:
            moves(self, pairs[:1])
            raise Killed
        moves(self, pairs)

    with monkeypatch.context() as m:
        m.setattr(ShardDir, "put_file", put_file)
        m.setattr(ShardDir, "delete", delete)
        m.setattr(ShardDir, "move_all", move_all)
        with pytest.raises(Killed):
            compact(str(out))


@pytest.mark.parametrize("kill_at", KILLS)
def test_a_fold_killed_at_any_step_reads_every_entry_once_and_the_next_one_finishes_it(make_warc, inputs, tmp_path, monkeypatch, kill_at):
    out, db = tmp_path / "shards", tmp_path / "a.duckdb"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))  # an older fold, then a tombstone and new entries to fold with it
    new_version(make_warc, "f0.warc.gz", 0)
    new_version(make_warc, "f3.warc.gz", 3)
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    attach(str(db), str(out))
    expected, entries = read(db), by_path(out)

    killed_fold(out, monkeypatch, kill_at)

    assert read(db) == expected and by_path(out) == entries
    again = ingest_shards(inputs, IngestConfig(workers=1), str(out))  # every file known, by address and by content
    assert (again.ingested, again.skipped) == (0, 4)
    result = compact(str(out))
    assert result.notes == [] and entry_files(out) == [] and len(folds(out)) == 1
    assert read(db) == expected and by_path(out) == entries
    assert expected == expected_of(inputs, tmp_path / "local.duckdb")


def test_no_fold_while_an_ingest_is_writing_and_an_ingest_holds_the_ledger_while_it_runs(inputs, tmp_path, monkeypatch):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    fd = os.open(out / ledger.INGEST_LOCK, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_SH)  # an ingest running
    try:
        result = compact(str(out))
        res = runner.invoke(app, ["compact", str(out)])
    finally:
        os.close(fd)
    assert "an ingest is writing into it" in result.ledger.note and result.notes == [] and len(entry_files(out)) == 4
    assert res.exit_code == 0 and "ledger not folded: an ingest is writing into it" in res.output

    seen = []
    planned = provenance.scale.executor.plan

    def plan(out_dir, *args):
        fd = os.open(out / ledger.INGEST_LOCK, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append("free")
        except BlockingIOError:
            seen.append("held")
        finally:
            os.close(fd)
        return planned(out_dir, *args)

    monkeypatch.setattr(provenance.scale.executor, "plan", plan)
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    assert seen == ["held"]
    assert compact(str(out)).ledger.entries == 4  # free again once it ended


def test_on_an_object_store_ingests_and_folds_leave_markers_and_each_keeps_the_other_off(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    remote = ShardDir(str(out))
    remote.local = False  # (the object store's paths: markers, not locks; moves are copies, then deletes)
    with ledger.writing(remote, 42):  # an ingest running: no fold
        assert (out / "_runs" / "42.running").exists()
        note = fold_only(remote, tmp_path).note
        assert "an ingest is writing into it, or was killed" in note and "42.running" in note
    assert sorted(p.name for p in (out / "_runs").iterdir() if not p.name.endswith(".json")) == []  # both markers gone

    fold_marker = out / "_runs" / "fold-1234.folding"  # a fold running: an ingest refuses at once, and leaves no marker
    fold_marker.write_text("{}")
    with pytest.raises(StoreError, match="a compaction is folding its ledger .*fold-1234.folding"):
        with ledger.writing(remote, 43):
            pass
    assert not (out / "_runs" / "43.running").exists()
    os.utime(fold_marker, (1e9, 1e9))  # a killed fold's, hours old: ingests go on
    with ledger.writing(remote, 44):
        pass

    expected = by_path(out)
    folded = fold_only(remote, tmp_path)
    assert (folded.entries, folded.rows, folded.note) == (4, 4, None) and entry_files(out) == []
    assert by_path(out) == expected


def test_on_an_object_store_a_fold_stops_exact_where_an_ingest_began_meanwhile(inputs, tmp_path, monkeypatch):
    """Its marker is refreshed, and ingests' looked for again, between its steps (an ingest ignores a fold's marker an
    hour old: a long fold's)."""
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    remote = ShardDir(str(out))
    remote.local = False
    expected, moves = by_path(out), ShardDir.move_all
    monkeypatch.setattr(ledger, "MOVES_A_STEP", 1)

    def move_all(self, pairs):
        moves(self, pairs)
        (out / "_runs" / "7.running").write_text("{}")  # an ingest begins

    with monkeypatch.context() as m:
        m.setattr(ShardDir, "move_all", move_all)
        stopped = fold_only(remote, tmp_path)
    assert (stopped.entries, stopped.rows) == (1, 4) and "an ingest began meanwhile" in stopped.note
    assert len(entry_files(out)) == 3 and by_path(out) == expected
    assert list((out / "_runs").glob("*.folding")) == []
    (out / "_runs" / "7.running").unlink()
    assert fold_only(remote, tmp_path).entries == 3
    assert entry_files(out) == [] and by_path(out) == expected


def test_the_lock_file_is_made_readable_to_all_and_opened_for_writing_where_it_can_be(inputs, tmp_path):
    """Other users open it (whatever the umask of its maker), and an exclusive flock on NFS needs a file opened for writing."""
    out = tmp_path / "shards"
    old = os.umask(0o077)
    try:
        ingest_shards(inputs[:1], IngestConfig(workers=1), str(out))
    finally:
        os.umask(old)
    assert (out / ledger.INGEST_LOCK).stat().st_mode & 0o777 == 0o644
    fd = ledger._lock_file(ShardDir(str(out)))
    try:
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR
    finally:
        os.close(fd)


def test_a_lock_file_this_user_cannot_open_is_one_line(inputs, tmp_path, monkeypatch):
    out = tmp_path / "shards"
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(out))
    opened = os.open

    def refuse(path, flags, *args, **kwargs):
        if str(path).endswith(ledger.INGEST_LOCK):
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    res = runner.invoke(app, ["ingest", inputs[0], "--output", str(out)])
    assert res.exit_code == 1 and f"{out / ledger.INGEST_LOCK}: cannot open the lock" in res.output and "Traceback" not in res.output


def test_a_read_only_folder_marked_folded_without_a_fold_is_one_line_at_attach(inputs, tmp_path, monkeypatch):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    next((out / "_ledger" / "_fold").glob("0*.parquet")).unlink()  # (a fold killed, or deleted by hand)
    read_only(monkeypatch)
    with pytest.raises(StoreError, match="its ledger is marked folded .* but holds no fold"):
        attach(str(tmp_path / "a.duckdb"), str(out))


def test_a_lock_file_this_user_cannot_write_still_locks(inputs, tmp_path, monkeypatch):
    """An flock needs no write access: another user's lock file (0644) is opened read-only."""
    out = tmp_path / "shards"
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(out))
    opened = os.open

    def no_writes(path, flags, *args, **kwargs):
        if str(path).endswith(ledger.INGEST_LOCK) and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_writes)
    with ledger.writing(ShardDir(str(out)), 1):
        fd = opened(out / ledger.INGEST_LOCK, os.O_RDONLY)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
        assert "an ingest is writing" in compact(str(out)).ledger.note
    assert compact(str(out)).ledger.entries == 1


@pytest.mark.parametrize("shards_read_only", [True, False])
def test_a_store_whose_views_read_no_fold_fails_naming_the_mark_of_a_folded_ledger(inputs, tmp_path, monkeypatch, shards_read_only):
    """A store attached before the first fold where no placeholder could be put (read-only shards), or by a version
    before folds: its view reads the entry files only. After a fold it fails, not reads an empty ledger."""
    out, db = tmp_path / "shards", tmp_path / "a.duckdb"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    with monkeypatch.context() as m:
        if shards_read_only:
            read_only(m)
        else:  # (as the view of a version before folds reads the ledger)
            m.setattr(importlib.import_module("provenance.scale.attach"), "_ledger_view", lambda out, columns, folded: old_ledger_view(out, columns))
        attach(str(db), str(out))
    assert read(db)["sources"] != []
    assert fold_only(ShardDir(str(out)), tmp_path).rows == 4  # (a compaction of the parts leaves a read-only store's glob of them empty)
    with Store(str(db), read_only=True) as s:
        with pytest.raises(Exception, match="_ledger/_folded.json .*folded by compact: attach again"):
            s.sql("SELECT count(*) FROM sources").fetchall()
    attach(str(db), str(out))
    assert len(read(db)["sources"]) == 4


def old_ledger_view(out: ShardDir, columns: list[tuple[str, str]]) -> str:
    """_scale_files as a version before folds made it: the entry files, and the error records."""
    done, failed = (_json_records(out, folder, record_columns(columns)) for folder in ("_ledger", "_errors"))
    return (f"CREATE OR REPLACE VIEW _scale_files AS WITH done AS MATERIALIZED {done} SELECT * FROM done QUALIFY row_number() "
            f"OVER (PARTITION BY path ORDER BY finished_at DESC, run_id DESC) = 1 UNION ALL SELECT * FROM {failed} AS e "
            "WHERE e.path NOT IN (SELECT path FROM done)")


def test_a_damaged_fold_is_one_line_naming_it(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    compact(str(out))
    fold = out / "_ledger" / "_fold" / "00000001.parquet"
    fold.write_bytes(fold.read_bytes()[:200])
    for args in (["compact", str(out)], ["ingest", inputs[0], "--output", str(out)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1 and f"{fold}: the ledger's fold cannot be read" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("step", [1, 2])
def test_an_entry_removed_after_a_fold_is_gone_for_lookups_and_reads_alike_at_every_step(inputs, tmp_path, monkeypatch, step):
    out = tmp_path / "shards"
    ingest_shards(inputs[:1], IngestConfig(workers=1), str(out))
    compact(str(out))
    shards = ShardDir(str(out))
    [key] = [e["sha256"] for e in ledger.read_ledger(shards)]
    writes, deletes = ShardDir.write_json, ShardDir.delete
    calls = []

    def count(fn):
        def step_of(self, *args):
            calls.append(args[0])
            if len(calls) == step:
                raise Killed
            return fn(self, *args)
        return step_of

    with monkeypatch.context() as m:
        m.setattr(ShardDir, "write_json", count(writes))
        m.setattr(ShardDir, "delete", count(deletes))
        with pytest.raises(Killed):
            ledger.remove(shards, key, folded=True)
    assert (ledger.lookup(shards, key) is None) == (ledger.read_ledger(shards) == [])


def test_a_ledger_entry_that_is_not_json_is_one_line_naming_it_and_nothing_is_folded(inputs, tmp_path):
    out = tmp_path / "shards"
    ingest_shards(inputs, IngestConfig(workers=1), str(out))
    first = sorted((out / "_ledger").glob("[0-9a-f]*.json"))[0]
    first.write_text('{"path": "cut sh')
    for args in (["compact", str(out)], ["ingest", inputs[0], "--output", str(out)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1 and f"{first}: not a JSON object" in res.output and "Traceback" not in res.output
    assert len(entry_files(out)) == 4 and folds(out) == []
