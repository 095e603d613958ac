"""A small deterministic store for report tests: three years of generated pages with drift, near-duplicates,
carry-over and one hostile page (markup in its URL and text), estimators and simulator already run."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from provenance.ingest.tokenize import word_tokens
from provenance.report import ReportConfig, compute_missing
from provenance.store import Store
from tests.estimators.helpers import insert_documents

GOLDEN = Path(__file__).resolve().parent / "golden"
XSS_URL = 'https://search.example.org/?q=<script>alert(1)</script>"><img src=x onerror=alert(2)>'
XSS_TEXT = 'Results for <script>alert(1)</script> and "><img src=x onerror=alert(2)> : none found'
FIXED_CLOCK = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
CONFIG = ReportConfig(generations=4, replicates=4, top=5, thin_pages=2, snippet_chars=80)


def clock() -> datetime:
    return FIXED_CLOCK


def update_golden(request: pytest.FixtureRequest) -> bool:
    """True with `pytest --update-golden` (option registered in tests/conftest.py) or PROVENANCE_UPDATE_GOLDEN=1."""
    try:
        flag = bool(request.config.getoption("--update-golden"))
    except ValueError:
        flag = False
    return flag or os.environ.get("PROVENANCE_UPDATE_GOLDEN") == "1"


def _texts(seed: int = 7) -> tuple[list[str], list[int]]:
    """Pages of three years: the topic vocabulary shifts, rare words fade, copies grow."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i:04d}" for i in range(1500)])
    ranks = np.arange(1, vocab.size + 1, dtype=float)
    texts, years = [], []
    previous: list[str] = []
    for k, year in enumerate((2019, 2021, 2023)):
        weights = ranks ** -1.05
        weights[1000:] *= (1.0, 0.4, 0.1)[k]  # the rare end fades
        weights[200:300] *= (1.0, 3.0, 6.0)[k]  # a topic grows
        p = weights / weights.sum()
        fresh = [" ".join(rng.choice(vocab, size=120, p=p)) for _ in range(36)]
        copies = [t.replace(t.split()[5], "changed", 1) for t in fresh[: 2 + 2 * k]]
        carried = previous[: 3 * k]
        page = fresh + copies + carried
        texts += page
        years += [year] * len(page)
        previous = fresh
    texts.append(XSS_TEXT)
    years.append(2023)
    return texts, years


def build_store(path: str) -> Store:
    """Create the report test store at path (documents, texts, token counts) and run every analysis."""
    store = Store(path)
    texts, years = _texts()
    blocks = []
    for i, y in enumerate(years):
        blocks.append(y * 100 + (sum(1 for yy in years[:i] if yy == y) // 10))
    doc_ids = insert_documents(store, texts, years, blocks)
    store.con.execute("INSERT INTO sources (source_id, path, status) VALUES (1, 'generated', 'done')")
    store.con.execute("UPDATE documents SET url = ? WHERE doc_id = ?", [XSS_URL, int(doc_ids[-1])])
    frame = pl.DataFrame({"doc_id": doc_ids, "text": texts})
    store.insert_texts(frame.to_arrow())
    tokens = word_tokens(pl.Series(texts))
    counts = (pl.DataFrame({"year": years, "block": blocks, "token": tokens}).explode("token")
              .group_by("year", "block", "token").len("count").sort("year", "block", "token"))
    tc = counts.select(pl.lit(1, pl.Int64).alias("source_id"), pl.format("CC-MAIN-{}-10", "year").alias("crawl"),
                       pl.col("year").cast(pl.Int16), pl.lit("en").alias("lang"), pl.col("block").cast(pl.Int64),
                       pl.lit("word").alias("tokenizer"), "token", pl.col("count").cast(pl.Int64))
    store.insert_token_counts(tc)
    compute_missing(store, CONFIG)
    return store


@pytest.fixture(scope="session")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("report") / "report.duckdb")
    build_store(path).close()
    return path


@pytest.fixture
def report_store(report_db: str):
    with Store(report_db, read_only=True) as store:
        yield store
