"""A feature batch ends at batch_docs documents or at its text budget, whichever comes first: memory follows
the text a worker holds, not the number of documents, and the store's rows are the same either way."""
from __future__ import annotations

from provenance.config import IngestConfig
from provenance.ingest import worker
from provenance.ingest.pipeline import ingest
from provenance.store import Store
from tests.conftest import response_record, warcinfo

ROWS = {
    "documents": "SELECT doc_id, url, n_chars, n_tokens, text_hash, block FROM documents ORDER BY doc_id",
    "token totals per block": """SELECT b.block, c.token_id, sum(c.count) FROM block_tokens c JOIN token_blocks b USING (block_id)
                                 GROUP BY ALL ORDER BY ALL""",
    "signatures": "SELECT doc_id, minhash FROM signatures ORDER BY doc_id",
    "texts": "SELECT doc_id, text FROM texts ORDER BY doc_id",
}


def _ingest(path, db) -> tuple[dict, int]:
    ingest([str(path)], IngestConfig(db=str(db), workers=1, block_docs=10, batch_docs=1000))
    with Store(str(db), read_only=True) as s:
        assert s.check() == []
        return {name: s.sql(q).fetchall() for name, q in ROWS.items()}, s.sql("SELECT count(*) FROM token_blocks").fetchone()[0]


def test_a_batch_ends_at_its_text_budget_and_the_rows_are_those_of_one_batch(make_warc, tmp_path, monkeypatch):
    long = "A long document about rivers, ferries, mills and the people who kept their records for a century. " * 30
    path = make_warc("long.warc.gz", [warcinfo(), *(response_record(i, text=f"{i} {long}") for i in range(30))])
    whole, blocks_whole = _ingest(path, tmp_path / "whole.duckdb")  # one batch of 30 documents: 3 blocks of 10
    monkeypatch.setattr(worker, "MAX_BATCH_CHARS", 7_000)  # about 2.3 documents' text: a batch of 3
    budget, blocks_budget = _ingest(path, tmp_path / "budget.duckdb")

    assert len(whole["documents"]) == 30 and budget == whole
    assert (blocks_whole, blocks_budget) == (3, 12)  # each block of 10 documents now spans 4 batches
