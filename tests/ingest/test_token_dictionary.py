"""The token dictionary: files append their tokens as pending rows, merges add each (tokenizer, token_id)
once, and the `tokens` view reads merged and pending entries alike (sql/schema/0010)."""
from __future__ import annotations

import pytest

from provenance.config import IngestConfig
from provenance.ingest import commit, dictionary
from provenance.ingest.pipeline import ingest
from provenance.store import Store
from provenance.tokencounts import token_id
from tests.conftest import response_record, warcinfo


def _file(make_warc, name: str, start: int, n: int = 8, word: str = "gardens"):
    records = [response_record(i, text=f"Page {i} of {name}: {word} and tok{i} near shared words. " * 4) for i in range(start, start + n)]
    return str(make_warc(name, [warcinfo(), *records]))


def _dictionary(s: Store) -> list[tuple]:
    return sorted(s.sql("SELECT tokenizer, token_id, token FROM tokens").fetchall())


@pytest.mark.parametrize("direct_max", [3_000_000, 1, 0])  # direct only; direct for the first file, then pending; pending only
def test_an_ingest_ends_with_nothing_pending_and_each_token_once(make_warc, tmp_path, monkeypatch, direct_max):
    monkeypatch.setattr(dictionary, "DIRECT_MAX_ROWS", direct_max)
    merges = []
    real = Store.merge_tokens
    monkeypatch.setattr(Store, "merge_tokens", lambda self: (merges.append(self.token_dictionary_rows()), real(self))[1])
    db = str(tmp_path / "s.duckdb")
    paths = [_file(make_warc, f"CC-MAIN-2021-04-{k}.warc.gz", 4 * k) for k in range(3)]  # overlapping pages: shared tokens
    summary = ingest(paths, IngestConfig(db=db, workers=1))
    assert summary.ok
    assert len(merges) == (direct_max < 3_000_000)  # one merge, at the end, of what the files left pending
    assert all(pending > 0 for _, pending in merges) and (direct_max != 1 or merges[0][0] > 0)  # 1: the first file went in directly
    with Store(db, read_only=True) as s:
        assert s.token_dictionary_rows()[1] == 0
        names = _dictionary(s)
        assert len(names) == len({(t, i) for t, i, _ in names}) and all(i == token_id(tok) for _, i, tok in names)
        assert sorted(s.sql("SELECT * FROM token_dict").fetchall()) == names
        used = {i for (i,) in s.sql("SELECT DISTINCT token_id FROM block_tokens").fetchall()}
        assert used == {i for _, i, _ in names}  # every counted token is named, and nothing else
        assert s.check() == []


def test_many_pending_tokens_are_merged_during_the_run_with_the_same_result(make_warc, tmp_path, monkeypatch):
    paths = [_file(make_warc, f"CC-MAIN-2021-04-{k}.warc.gz", 3 * k) for k in range(4)]
    ingest(paths, IngestConfig(db=str(tmp_path / "once.duckdb"), workers=1))
    merges = []
    real = Store.merge_tokens
    monkeypatch.setattr(Store, "merge_tokens", lambda self: (merges.append(self.token_dictionary_rows()), real(self))[1])
    monkeypatch.setattr(dictionary, "DIRECT_MAX_ROWS", 0)  # a large dictionary: files append to the pending tokens
    monkeypatch.setattr(dictionary, "MERGE_MIN_ROWS", 1)
    monkeypatch.setattr(dictionary, "MERGE_SHARE", 10**9)  # any pending row: a merge after every commit
    monkeypatch.setattr(commit, "GROUP_MAX_FILES", 1)  # a commit per file, though files finish together
    ingest(paths, IngestConfig(db=str(tmp_path / "each.duckdb"), workers=1))
    assert len(merges) == 4 and all(pending > 0 for _, pending in merges)
    assert [merged for merged, _ in merges] == sorted(merged for merged, _ in merges) and merges[0][0] == 0
    with Store(str(tmp_path / "once.duckdb"), read_only=True) as once, Store(str(tmp_path / "each.duckdb"), read_only=True) as each:
        assert _dictionary(each) == _dictionary(once) and each.check() == []


def test_a_small_dictionary_takes_new_tokens_directly_and_a_large_one_through_the_pending(make_warc, tmp_path, monkeypatch):
    paths = [_file(make_warc, f"CC-MAIN-2021-04-{k}.warc.gz", 3 * k) for k in range(2)]
    monkeypatch.setattr(dictionary, "merge_pending", lambda store: False)  # what each commit leaves, before the run's merge
    ingest(paths, IngestConfig(db=str(tmp_path / "small.duckdb"), workers=1))
    monkeypatch.setattr(dictionary, "DIRECT_MAX_ROWS", 0)
    ingest(paths, IngestConfig(db=str(tmp_path / "large.duckdb"), workers=1))
    with Store(str(tmp_path / "small.duckdb"), read_only=True) as small, Store(str(tmp_path / "large.duckdb"), read_only=True) as large:
        assert small.token_dictionary_rows()[1] == 0
        merged, pending = large.token_dictionary_rows()
        assert merged == 0 and pending > len(_dictionary(large))  # both files' tokens, the shared ones twice
        assert _dictionary(large) == _dictionary(small) and large.check() == [] and small.check() == []


def test_a_merge_waits_for_a_quarter_of_the_dictionary(tmp_path, monkeypatch):
    monkeypatch.setattr(dictionary, "MERGE_MIN_ROWS", 10)
    with Store(str(tmp_path / "s.duckdb")) as s:
        s.sql("INSERT INTO token_dict SELECT 'word', i, 't' || i FROM range(100) t(i)")
        s.sql("INSERT INTO tokens_pending SELECT 'word', i, 't' || i FROM range(90, 114) t(i)")  # 24 rows: 14 new
        assert not dictionary.merge_if_large(s) and s.token_dictionary_rows() == (100, 24)  # 24 < 100 / 4
        s.sql("INSERT INTO tokens_pending SELECT 'word', i, 't' || i FROM range(110, 111) t(i)")  # 25 rows, a repeat among them
        assert dictionary.merge_if_large(s) and s.token_dictionary_rows() == (114, 0)
        assert s.sql("SELECT count(DISTINCT token_id), count(*) FROM tokens").fetchone() == (114, 114)
        assert not dictionary.merge_pending(s)


def test_pending_tokens_left_by_a_killed_run_are_read_once_and_merged_by_the_next_ingest(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([_file(make_warc, "CC-MAIN-2021-04-a.warc.gz", 0)], IngestConfig(db=db, workers=1))
    with Store(db) as s:  # what a run killed after a file's commit, before its merge, leaves
        s.sql("INSERT INTO tokens_pending SELECT tokenizer, token_id, token FROM token_dict LIMIT 5")
        s.sql("INSERT INTO tokens_pending VALUES ('word', 1, 'x'), ('word', 1, 'x'), ('word', 2, 'y'), ('word', ?, 'orchards')",
              [token_id("orchards")])  # also in the next file, whose commit adds it to the merged dictionary directly
        assert s.token_dictionary_rows()[1] == 9
        names = _dictionary(s)
        assert ("word", 1, "x") in names and len(names) == len({(t, i) for t, i, _ in names})
        assert s.check() == []
    ingest([_file(make_warc, "CC-MAIN-2021-04-b.warc.gz", 20, word="orchards")], IngestConfig(db=db, workers=1))
    with Store(db, read_only=True) as s:
        assert s.token_dictionary_rows()[1] == 0
        merged = s.sql("SELECT token, count(*) FROM token_dict WHERE token IN ('x', 'y', 'orchards', 'gardens') GROUP BY token").fetchall()
        assert sorted(merged) == [("gardens", 1), ("orchards", 1), ("x", 1), ("y", 1)]
        assert s.check() == []


def test_a_store_from_before_the_pending_tokens_keeps_its_dictionary(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([_file(make_warc, "CC-MAIN-2021-04-a.warc.gz", 0)], IngestConfig(db=db, workers=1))
    with Store(db) as s:
        before = _dictionary(s)
        s.sql("DROP VIEW tokens")  # back to the layout of schema 0009: a `tokens` table
        s.sql("DROP TABLE tokens_pending")
        s.sql("ALTER TABLE token_dict RENAME TO tokens")
        s.sql("DELETE FROM _migrations WHERE name = '0010_token_dictionary.sql'")
    with Store(db) as s:
        kinds = dict(s.sql("SELECT table_name, table_type FROM information_schema.tables WHERE table_name LIKE 'token%'").fetchall())
        assert kinds["tokens"] == "VIEW" and kinds["token_dict"] == kinds["tokens_pending"] == "BASE TABLE"
        assert "token_dict_0010" not in kinds
        assert _dictionary(s) == before and s.check() == []
    ingest([_file(make_warc, "CC-MAIN-2021-04-b.warc.gz", 20, word="orchards")], IngestConfig(db=db, workers=1))
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM tokens WHERE token = 'orchards'").fetchone()[0] == 1 and s.check() == []


def test_the_consistency_check_names_a_token_twice_in_the_dictionary(tmp_path):
    with Store(str(tmp_path / "s.duckdb")) as s:
        s.sql("INSERT INTO token_dict VALUES ('word', 7, 'seven'), ('word', 8, 'eight')")
        assert s.check() == []
        s.sql("INSERT INTO token_dict VALUES ('word', 7, 'seven')")
        assert s.check() == ["token id twice in the dictionary"]
