"""Helpers of the synthetic-share tests: synthetic corpora and a store holding texts per year."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from provenance.synth.synthetic import SyntheticSource, synthetic_texts

SOURCE = SyntheticSource(vocabulary=2000, seed=3)


def put_documents(store, year: int, texts: list[str], first_id: int, crawl: str | None = None) -> None:
    """Insert documents of one year with their texts (what ingest would have written)."""
    n = len(texts)
    docs = pl.DataFrame({
        "doc_id": np.arange(first_id, first_id + n, dtype=np.int64), "source_id": np.full(n, year, np.int64),
        "crawl": [crawl or f"CC-MAIN-{year}-10"] * n, "fetch_time": [datetime(year, 3, 1)] * n,
        "year": np.full(n, year, np.int16), "lang": ["en"] * n,
    })
    store.con.register("_docs", docs.to_arrow())
    store.con.execute("INSERT INTO documents BY NAME SELECT * FROM _docs")
    store.con.unregister("_docs")
    store.insert_texts(pl.DataFrame({"doc_id": docs["doc_id"], "text": texts}).to_arrow())
    # texts show for sources in the ledger; these doc ids (< 2**32) belong to source 0
    store.con.execute("INSERT INTO sources (source_id, path, status) SELECT 0, 'generated', 'done' "
                      "WHERE NOT EXISTS (SELECT 1 FROM sources WHERE source_id = 0)")


def make_corpora() -> dict[str, list[str]]:
    """Synthetic human and machine corpora (not real text; see provenance.synth.synthetic)."""
    return {"human": synthetic_texts(SOURCE, 4000, False, 1).to_list(),
            "machine": synthetic_texts(SOURCE, 2500, True, 2).to_list()}


def mixture(n: int, alpha: float, seed: int) -> list[str]:
    """Exactly round(alpha n) machine documents among n, from sources disjoint from `corpora`."""
    flags = np.zeros(n, bool)
    flags[: round(alpha * n)] = True
    return synthetic_texts(SOURCE, n, flags, 10_000 + seed).to_list()
