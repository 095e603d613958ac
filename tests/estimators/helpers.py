"""Builders for estimator tests: token-count stores, document stores with MinHash, pair corpora."""
from __future__ import annotations

import numpy as np
import polars as pl

from provenance.estimators.periods import Cell, UnitCounts
from provenance.ingest.minhash import minhash_texts_tokens, shingle_hashes, token_hashes
from provenance.ingest.tokenize import word_tokens


def insert_token_counts(store, rows: pl.DataFrame) -> None:
    """Insert token_counts rows from a frame with year, block, token, count (crawl, lang optional)."""
    df = rows.with_columns(
        pl.col("year").cast(pl.Int16),
        (pl.col("crawl") if "crawl" in rows.columns else pl.format("CC-MAIN-{}-10", pl.col("year"))).alias("crawl"),
        (pl.col("lang") if "lang" in rows.columns else pl.lit("en")).alias("lang"),
        pl.lit(1, pl.Int64).alias("source_id"), pl.lit("word").alias("tokenizer"),
    ).select("source_id", "crawl", "year", "lang", "block", "tokenizer", "token", "count")
    store.insert_token_counts(df)


def sample_blocks(rng, probs: np.ndarray, blocks: int, tokens_per_block: int, topics: int = 0,
                  topic_strength: float = 0.0) -> np.ndarray:
    """Return (blocks, V) counts; with topics, each block over-weights a random subset of types."""
    out = np.zeros((blocks, probs.size), np.int64)
    for k in range(blocks):
        p = probs
        if topics:
            boost = np.ones(probs.size)
            boost[rng.integers(0, probs.size, probs.size // topics)] += topic_strength
            p = probs * boost
            p = p / p.sum()
        out[k] = rng.multinomial(tokens_per_block, p)
    return out


def counts_frame(year: int, block_counts: np.ndarray, block_offset: int = 0, lang: str = "en") -> pl.DataFrame:
    """Return token_counts rows (year, lang, block, token, count) from a (blocks, V) matrix."""
    b, t = np.nonzero(block_counts)
    return pl.DataFrame({"year": [year] * b.size, "lang": [lang] * b.size, "block": (b + block_offset).astype(np.int64),
                         "token": [f"t{i}" for i in t], "count": block_counts[b, t].astype(np.int64)})


def unit_counts(cells: dict[str, np.ndarray]) -> UnitCounts:
    """Return UnitCounts from {period: (blocks, V) count matrix} (all over one vocabulary)."""
    names, ptr, indptr, toks, cnts = [], [0], [0], [], []
    for period, m in cells.items():
        for row in m:
            nz = np.flatnonzero(row)
            toks.append(nz.astype(np.int32))
            cnts.append(row[nz].astype(np.float64))
            indptr.append(indptr[-1] + nz.size)
        names.append(Cell(period))
        ptr.append(ptr[-1] + m.shape[0])
    v = next(iter(cells.values())).shape[1]
    return UnitCounts(names, np.array([f"t{i}" for i in range(v)], dtype=object), np.array(ptr), np.array(indptr),
                      np.concatenate(toks), np.concatenate(cnts))


def insert_documents(store, texts: list[str], years: list[int], blocks: list[int] | None = None,
                     lang: str = "en") -> np.ndarray:
    """Insert documents (+ sources, signatures, band keys) for texts; return their doc_ids."""
    n = len(texts)
    doc_ids = np.arange(n, dtype=np.int64) + (1 << 32)
    blocks = blocks if blocks is not None else [i // 10 for i in range(n)]
    sig, keys = minhash_texts_tokens(word_tokens(pl.Series(texts)))
    hashes = pl.Series(texts).hash(seed=7).to_numpy()
    docs = pl.DataFrame({
        "doc_id": doc_ids, "source_id": [1] * n, "url": [f"https://example.org/{i}" for i in range(n)],
        "crawl": [f"CC-MAIN-{y}-10" for y in years], "year": pl.Series(years, dtype=pl.Int16), "lang": [lang] * n,
        "n_tokens": [len(t.split()) for t in texts], "text_hash": pl.Series(hashes, dtype=pl.UInt64),
        "block": pl.Series(blocks, dtype=pl.Int64),
    })
    con = store.con
    con.register("_docs", docs.to_arrow())
    con.execute("INSERT INTO documents (doc_id, source_id, url, crawl, year, lang, n_tokens, text_hash, block) "
                "SELECT doc_id, source_id, url, crawl, year, lang, n_tokens, text_hash, block FROM _docs")
    sigs = pl.DataFrame({"doc_id": doc_ids, "minhash": [row.astype("<u4").tobytes() for row in sig]})
    con.register("_sigs", sigs.to_arrow())
    con.execute("INSERT INTO signatures SELECT doc_id, minhash FROM _sigs")
    bk = pl.DataFrame({"doc_id": np.repeat(doc_ids, keys.shape[1]),
                       "band": np.tile(np.arange(keys.shape[1]), n).astype(np.uint8),
                       "key": keys.reshape(-1)})
    con.register("_bk", bk.to_arrow())
    con.execute("INSERT INTO band_keys SELECT doc_id, band, key FROM _bk")
    for name in ("_docs", "_sigs", "_bk"):
        con.unregister(name)
    return doc_ids


def pair_corpus(n_pairs: int, seed: int, words: int = 120, j_low: float = 0.3, j_high: float = 1.0) -> tuple[list[str], np.ndarray]:
    """Return texts in pairs (2i, 2i+1) whose word 5-shingle sets have a chosen Jaccard in [j_low, j_high].

    The second text keeps the first k words of the first and continues with fresh random words; with
    S = words - 4 shingles each, s = k - 4 are shared and J = s / (2S - s). Words come from a large
    vocabulary, so unrelated texts share (almost) no shingles. Returns the texts and the target J.
    """
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i:06d}" for i in range(200_000)])
    s_total = words - 4
    texts, targets = [], []
    for _ in range(n_pairs):
        j = rng.uniform(j_low, j_high)
        shared = int(round(2 * s_total * j / (1 + j)))
        base = vocab[rng.integers(0, vocab.size, words)]
        other = np.concatenate([base[: shared + 4], vocab[rng.integers(0, vocab.size, words - shared - 4)]]) if shared < s_total else base
        texts += [" ".join(base), " ".join(other)]
        targets.append(shared / (2 * s_total - shared))
    return texts, np.array(targets)


def exact_jaccard_matrix(texts: list[str]):
    """Return the exact all-pairs Jaccard of the texts' word 5-shingle sets (scipy sparse, tests only)."""
    from scipy import sparse

    hashes, lengths = token_hashes(word_tokens(pl.Series(texts)))
    sh, doc = shingle_hashes(hashes, lengths)
    uniq, col = np.unique(sh, return_inverse=True)
    m = sparse.csr_matrix((np.ones(sh.size), (doc, col)), shape=(len(texts), uniq.size))
    m.data[:] = 1.0
    m.sum_duplicates()
    m.data[:] = 1.0
    inter = (m @ m.T).toarray()
    size = np.asarray(m.sum(axis=1)).ravel()
    union = size[:, None] + size[None, :] - inter
    return inter / np.maximum(union, 1)
