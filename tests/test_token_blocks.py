"""Token counts are stored per block as token-id lists with a token dictionary; token_counts is their row view."""
from __future__ import annotations

from collections import Counter

import duckdb
import polars as pl

from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.ingest.tokenize import word_tokenize
from provenance.sqlfiles import schema_files
from provenance.store import Store
from provenance.tokencounts import token_id
from tests.conftest import response_record, warcinfo


def test_blocks_hold_ascending_distinct_ids_whose_counts_recount_the_texts_exactly(make_warc, tmp_path):
    path = make_warc("CC-MAIN-2021-04-x.warc.gz", [warcinfo(), *(response_record(i) for i in range(45))])
    db = str(tmp_path / "s.duckdb")
    ingest([str(path)], IngestConfig(db=db, workers=1, block_docs=20))
    with Store(db, read_only=True) as s:
        for ids, counts, n in s.sql("SELECT token_ids, counts, n_tokens FROM token_blocks").fetchall():
            assert ids == sorted(set(ids)) and len(counts) == len(ids) and sum(counts) == n and min(counts) > 0
        assert s.sql("SELECT count(*) FROM token_blocks").fetchone()[0] == 3  # 45 documents in blocks of 20
        expected = Counter(tok for (text,) in s.sql("SELECT text FROM texts").fetchall() for tok in word_tokenize(text))
        stored = dict(s.sql("SELECT token, sum(count) FROM token_counts GROUP BY token").fetchall())
        assert stored == expected
        names = s.sql("SELECT token_id, token FROM tokens").fetchall()
        assert all(tid == token_id(tok) for tid, tok in names)  # ids are xxh3 of the token, as documented
        assert s.check() == []


def test_a_second_file_adds_only_tokens_the_dictionary_lacks(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    for name in ("CC-MAIN-2021-04-a.warc.gz", "CC-MAIN-2022-05-b.warc.gz"):
        ingest([str(make_warc(name, [warcinfo(), *(response_record(i) for i in range(10))]))], IngestConfig(db=db, workers=1))
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) - count(DISTINCT (tokenizer, token_id)) FROM tokens").fetchone()[0] == 0


def test_the_consistency_check_names_a_token_id_missing_from_the_dictionary(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(make_warc("a.warc.gz", [response_record(i) for i in range(5)]))], IngestConfig(db=db, workers=1))
    with Store(db) as s:
        s.sql("DELETE FROM tokens WHERE token_id = (SELECT min(token_id) FROM tokens)")
        assert s.check() == ["token id without a dictionary entry"]


def test_a_store_with_the_old_token_counts_table_is_upgraded_on_open(tmp_path):
    db = str(tmp_path / "old.duckdb")
    con = duckdb.connect(db)
    con.execute("CREATE TABLE _migrations (name VARCHAR, applied_at TIMESTAMP)")
    for path in schema_files():
        if path.name < "0006":
            con.execute(path.read_text())
            con.execute("INSERT INTO _migrations VALUES (?, now())", [path.name])
    rows = pl.DataFrame({"source_id": [1, 1, 1, 1], "crawl": "CC-MAIN-2019-35", "year": [2019] * 4, "lang": "en",
                         "block": [7, 7, 7, 8], "tokenizer": "word", "token": ["b", "a", "\u00e9t\u00e9", "a"],
                         "count": [3, 2, 5, 1]})
    con.register("r", rows.to_arrow())
    con.execute("INSERT INTO token_counts SELECT * FROM r")
    con.execute("INSERT INTO texts VALUES (1, 'kept')")
    con.close()
    with Store(db, read_only=True) as s:  # a read-only open upgrades once with write access
        got = s.sql("SELECT block, token, count FROM token_counts ORDER BY block, token").fetchall()
        assert got == [(7, "a", 2), (7, "b", 3), (7, "\u00e9t\u00e9", 5), (8, "a", 1)]
        assert s.sql("SELECT n_tokens FROM token_blocks ORDER BY block").fetchall() == [(10,), (1,)]
        assert s.sql("SELECT text FROM texts").fetchall() == [("kept",)]
