"""Token counts are stored as a header row per block (token_blocks) and one row per (block, token) (block_tokens),
with a token dictionary; token_counts is their row view."""
from __future__ import annotations

from collections import Counter
import re

import duckdb
import polars as pl

from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.ingest.tokenize import word_tokenize
from provenance.sqlfiles import schema_files
from provenance.store import Store
from provenance.tokencounts import token_id, upgrade_token_counts_table
from tests.conftest import response_record, warcinfo


def test_blocks_hold_distinct_ids_whose_counts_recount_the_texts_exactly(make_warc, tmp_path):
    path = make_warc("CC-MAIN-2021-04-x.warc.gz", [warcinfo(), *(response_record(i) for i in range(45))])
    db = str(tmp_path / "s.duckdb")
    ingest([str(path)], IngestConfig(db=db, workers=1, block_docs=20))
    with Store(db, read_only=True) as s:
        heads = s.sql("SELECT block_id, source_id, n_tokens FROM token_blocks ORDER BY block_id").fetchall()
        assert len(heads) == 3  # 45 documents in blocks of 20
        assert [b >> 24 for b, _, _ in heads] == [src for _, src, _ in heads]  # block_id = source_id << 24 | number
        assert [b & 0xFFFFFF for b, _, _ in heads] == [0, 1, 2]
        for block_id, _, n in heads:
            ids, counts = zip(*s.sql("SELECT token_id, count FROM block_tokens WHERE block_id = ?", [block_id]).fetchall())
            assert len(set(ids)) == len(ids) and sum(counts) == n and min(counts) > 0
        expected = Counter(tok for (text,) in s.sql("SELECT text FROM texts").fetchall() for tok in word_tokenize(text))
        stored = dict(s.sql("SELECT token, sum(count) FROM token_counts GROUP BY token").fetchall())
        assert stored == expected
        names = s.sql("SELECT token_id, token FROM tokens").fetchall()
        assert all(tid == token_id(tok) for tid, tok in names)  # ids are xxh3 of the token, as documented
        assert s.check() == []


def test_a_forced_reingest_replaces_the_files_block_rows(make_warc, tmp_path):
    path = str(make_warc("CC-MAIN-2021-04-x.warc.gz", [warcinfo(), *(response_record(i) for i in range(30))]))
    db = str(tmp_path / "s.duckdb")
    ingest([path], IngestConfig(db=db, workers=1, block_docs=10))
    with Store(db, read_only=True) as s:
        before = s.sql("SELECT token, sum(count) FROM token_counts GROUP BY token ORDER BY token").fetchall()
    ingest([path], IngestConfig(db=db, workers=1, block_docs=10, force=True))
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT token, sum(count) FROM token_counts GROUP BY token ORDER BY token").fetchall() == before
        assert s.sql("SELECT count(*) FROM token_blocks").fetchone()[0] == 3
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
        s.sql("DELETE FROM token_dict WHERE token_id = (SELECT min(token_id) FROM token_dict)")  # the merged dictionary (schema 0010)
        assert s.check() == ["token id without a dictionary entry"]


def test_a_store_with_the_old_token_counts_table_is_upgraded_on_open(tmp_path):
    db = str(tmp_path / "old.duckdb")
    con = _store_before(db, "0006")
    rows = pl.DataFrame({"source_id": [1, 1, 1, 1], "crawl": "CC-MAIN-2019-35", "year": [2019] * 4, "lang": "en",
                         "block": [7, 7, 7, 8], "tokenizer": "word", "token": ["b", "a", "\u00e9t\u00e9", "a"],
                         "count": [3, 2, 5, 1]})
    con.register("r", rows.to_arrow())
    con.execute("INSERT INTO token_counts SELECT * FROM r")
    con.execute("INSERT INTO texts VALUES (1, 'kept')")
    con.execute("INSERT INTO sources (source_id, path, status) VALUES (0, 'old.warc.gz', 'done')")
    con.close()
    with Store(db, read_only=True) as s:  # a read-only open upgrades once with write access
        got = s.sql("SELECT block, token, count FROM token_counts ORDER BY block, token").fetchall()
        assert got == [(7, "a", 2), (7, "b", 3), (7, "\u00e9t\u00e9", 5), (8, "a", 1)]
        assert s.sql("SELECT n_tokens FROM token_blocks ORDER BY block").fetchall() == [(10,), (1,)]
        assert s.sql("SELECT text FROM texts").fetchall() == [("kept",)]
        assert s.sql("SELECT count(*) FROM duckdb_views() WHERE view_name = 'texts' AND NOT temporary").fetchall() == [(1,)]
    assert (tmp_path / "old.duckdb.texts" / "source-0.parquet").exists()  # 0008 moved the table's rows to a file


def test_a_store_with_token_id_lists_is_split_into_block_rows_on_open(tmp_path):
    db = str(tmp_path / "lists.duckdb")
    con = _store_before(db, "0007")
    upgrade_token_counts_table(con)  # what 0006 ran
    a, b = token_id("a"), token_id("b")
    con.execute("INSERT INTO token_blocks VALUES (3, 'CC-MAIN-2019-35', 2019, 'en', 7, 'word', 5, ?, [2, 3]), "
                "(3, 'CC-MAIN-2019-35', 2019, 'en', 8, 'word', 1, ?, [1]), (4, 'CC-MAIN-2019-35', 2019, 'de', 9, 'word', 4, ?, [4])",
                [sorted([a, b]), [a], [b]])
    con.execute("INSERT INTO tokens VALUES ('word', ?, 'a'), ('word', ?, 'b')", [a, b])
    con.close()
    with Store(db) as s:
        got = s.sql("SELECT source_id, block, token, count FROM token_counts ORDER BY source_id, block, token").fetchall()
        counts = dict(zip(sorted([a, b]), [2, 3]))
        assert got == [(3, 7, "a", counts[a]), (3, 7, "b", counts[b]), (3, 8, "a", 1), (4, 9, "b", 4)]
        ids = s.sql("SELECT source_id, block, block_id FROM token_blocks ORDER BY source_id, block").fetchall()
        assert [i for _, _, i in ids] == [(3 << 24) | 0, (3 << 24) | 1, 4 << 24]
        assert "block_tokens" in {r[0] for r in s.sql("SELECT table_name FROM duckdb_tables()").fetchall()}


def _store_before(db: str, version: str) -> duckdb.DuckDBPyConnection:
    """A store as an older provenance left it: the schema files before `version`, nothing else."""
    con = duckdb.connect(db)
    con.execute("CREATE TABLE _migrations (name VARCHAR, applied_at TIMESTAMP)")
    for path in schema_files():
        if path.name < version:
            con.execute(path.read_text())
            con.execute("INSERT INTO _migrations VALUES (?, now())", [path.name])
    return con


def test_a_file_read_in_many_batches_adds_each_token_to_the_dictionary_once(make_warc, tmp_path):
    path = make_warc("CC-MAIN-2021-04-x.warc.gz", [warcinfo(), *(response_record(i) for i in range(45))])
    db = str(tmp_path / "s.duckdb")
    ingest([str(path)], IngestConfig(db=db, workers=1, batch_docs=10, block_docs=10))  # 5 batches
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) - count(DISTINCT (tokenizer, token_id)) FROM tokens").fetchone()[0] == 0
        expected = Counter(tok for (text,) in s.sql("SELECT text FROM texts").fetchall() for tok in word_tokenize(text))
        assert s.sql("SELECT count(*) FROM tokens").fetchone()[0] == len(expected)
        assert s.check() == []


def test_a_store_before_0009_keeps_its_rows_and_gets_uncompressed_hash_columns(tmp_path):
    from provenance.store import _DATA_UPGRADES

    db = str(tmp_path / "old.duckdb")
    con = _store_before(db, "0009")
    for name in ("0006_store_layout.sql", "0007_block_tokens.sql", "0008_texts_files.sql"):
        _DATA_UPGRADES[name](con)  # what those versions ran after their schema files
    con.execute("INSERT INTO signatures VALUES (7, '\\x01\\x02'::BLOB)")
    con.execute("INSERT INTO band_keys VALUES (7, 3, 99)")
    con.execute("INSERT INTO block_tokens VALUES (1, 42, 5)")
    con.execute("INSERT INTO tokens VALUES ('word', 42, 'garden')")
    con.close()
    with Store(db) as s:
        assert s.sql("SELECT doc_id, minhash FROM signatures").fetchall() == [(7, b"\x01\x02")]
        assert s.sql("SELECT * FROM band_keys").fetchall() == [(7, 3, 99)]
        assert s.sql("SELECT * FROM block_tokens").fetchall() == [(1, 42, 5)]
        assert s.sql("SELECT * FROM tokens").fetchall() == [("word", 42, "garden")]
        ddl = dict(s.sql("SELECT table_name, sql FROM duckdb_tables() WHERE table_name IN "
                         "('signatures', 'band_keys', 'block_tokens', 'token_dict')").fetchall())  # tokens: its view (0010)
        assert sorted(ddl) == ["band_keys", "block_tokens", "signatures", "token_dict"]
        assert all("USING COMPRESSION Uncompressed" in sql for sql in ddl.values())


def test_a_store_before_0012_keeps_its_token_counts_and_declares_their_compression(tmp_path):
    from provenance.store import _DATA_UPGRADES

    db = str(tmp_path / "old.duckdb")
    con = _store_before(db, "0012")
    for name in ("0006_store_layout.sql", "0007_block_tokens.sql", "0008_texts_files.sql",
                 "0009_hash_columns_uncompressed.sql", "0010_token_dictionary.sql"):
        _DATA_UPGRADES[name](con)  # what those versions ran after their schema files
    con.execute("INSERT INTO block_tokens VALUES (1, 42, 5), (1, 43, 1), (2, 42, 7)")
    con.close()
    with Store(db) as s:
        assert s.sql("SELECT * FROM block_tokens ORDER BY ALL").fetchall() == [(1, 42, 5), (1, 43, 1), (2, 42, 7)]
        (ddl,) = s.sql("SELECT sql FROM duckdb_tables() WHERE table_name = 'block_tokens'").fetchone()
        for column, method in (("block_id", "RLE"), ("token_id", "Uncompressed"), ("count", "BitPacking")):
            assert re.search(rf"\b{column} \w+ USING COMPRESSION {method}\b", ddl, re.I), ddl
        assert s.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%_0012'").fetchone()[0] == 0
