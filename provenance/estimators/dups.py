"""Near-duplicates: MinHash LSH candidates, verified, clustered across the whole store.

1. Bands. A pair with Jaccard s shares at least one of b bands of r rows with probability
   P(s) = 1 - (1 - s^r)^b (the S-curve). For a threshold t we take the steepest curve (largest r,
   b = 128 // r) that still catches a pair at the threshold with P(t) >= 0.9; for t = 0.8 that is
   the stored 16 x 8 bands (P = 0.947 at 0.8, 0.9997 at 0.9, 0.61 at 0.7, 0.24 at 0.6). Other
   thresholds re-band the stored signatures.
2. Candidates: per band, documents are sorted by key; each document of a bucket is paired with the
   bucket's first document and with its predecessor (linear in bucket size, never quadratic).
3. Verification: a candidate pair is kept when its signature agreement (the unbiased MinHash
   estimate of Jaccard) is >= t.
4. Clusters: connected components of the kept pairs, by vectorized hook-and-compress (each root
   hooks to the smallest root it touches, then pointer jumping), O(log n) numpy rounds over the
   edge arrays. A cluster is named by its smallest doc_id.
Per period: exact_dup_rate (documents whose text hash occurred earlier in the period),
near_dup_rate (documents beyond the first of their cluster within the period; includes exact
duplicates), carryover_rate (documents whose cluster holds a document of an earlier period) and,
with a baseline, baseline_overlap_rate (documents of other periods whose cluster holds a baseline
document). Intervals: block bootstrap of the per-document indicators (ratio of block sums).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from provenance.arrow_views import registered
from provenance.errors import EstimatorError, UsageError
from provenance.estimators import stats
from provenance.estimators.periods import parse_by, period_sort_key, query_arrow
from provenance.estimators.sampling import period_rng
from provenance.estimators.results import Estimate, check_resampling, metric_frame, record
from provenance.ingest import minhash
from provenance.config import PeriodText

DUP_METRICS = ("exact_dup_rate", "near_dup_rate", "carryover_rate", "baseline_overlap_rate")
NUM_PERM = minhash.NUM_PERM
MIN_RECALL_AT_THRESHOLD = 0.9
_EDGE_CHUNK = 1 << 17  # candidate pairs verified per chunk: 2 x 128K x 512 B = 128 MiB


@dataclass(frozen=True)
class DupsConfig(PeriodText):
    """Options of the near-duplicate estimator (see the module docstring and docs/metrics.md)."""

    baseline: str | None = None
    by: str = "year"
    lang: str | None = None
    threshold: float = 0.8  # Jaccard of word 5-shingle sets
    replicates: int = 200  # block-bootstrap replicates for the intervals
    confidence: float = 0.95
    top: int = 10  # largest clusters listed
    seed: int = 0


def candidate_probability(s: float | np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Return P(a pair with Jaccard s shares a band): 1 - (1 - s^rows)^bands."""
    return 1.0 - (1.0 - np.asarray(s, dtype=np.float64) ** rows) ** bands


def choose_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """Return (bands, rows): the largest rows with bands = num_perm // rows and P(threshold) >= 0.9."""
    if not 0 < threshold <= 1:
        raise UsageError(f"--threshold {threshold}: must be in (0, 1]")
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= MIN_RECALL_AT_THRESHOLD:
            return bands, rows
    return num_perm, 1


# -- candidates, verification, components ------------------------------------------------------------
def candidate_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return unique candidate pairs (i < j) from an (n_docs, bands) key matrix.

    Per band: a stable sort by key groups each bucket in document order; every member is paired with
    the bucket's first member and with its predecessor.
    """
    n, bands = keys.shape
    pairs = []
    for band in range(bands):
        k = keys[:, band]
        order = np.argsort(k, kind="stable")
        ks = k[order]
        same = np.concatenate(([False], ks[1:] == ks[:-1]))
        if not same.any():
            continue
        start = np.maximum.accumulate(np.where(same, 0, np.arange(n)))
        idx = np.flatnonzero(same)
        doc = order[idx]
        pairs.append(np.stack([order[start[idx]], doc]))
        pairs.append(np.stack([order[idx - 1], doc]))
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    e = np.concatenate(pairs, axis=1).astype(np.int64)
    a, b = np.minimum(e[0], e[1]), np.maximum(e[0], e[1])
    code = np.unique(a * n + b)
    return code // n, code % n


def verify_pairs(sig: np.ndarray, a: np.ndarray, b: np.ndarray, threshold: float) -> np.ndarray:
    """Return a boolean mask of pairs whose signature agreement is >= threshold (chunked)."""
    keep = np.zeros(a.size, bool)
    need = math.ceil(threshold * sig.shape[1] - 1e-9)  # agreement count, exact integer comparison
    for s in range(0, a.size, _EDGE_CHUNK):
        e = slice(s, s + _EDGE_CHUNK)
        keep[e] = (sig[a[e]] == sig[b[e]]).sum(axis=1) >= need
    return keep


def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return each node's component label (the smallest node in its component).

    Hook and compress: every edge between two roots hooks the larger root under the smaller
    (np.minimum.at resolves conflicting hooks to the smallest), then pointer jumping flattens the
    forest; edges inside one tree drop out. Labels only decrease, so it terminates; rounds are
    O(log n) on typical graphs and each is a few vectorized passes over the remaining edges.
    """
    parent = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    while a.size:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        np.minimum.at(parent, hi, lo)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        a, b = parent[a], parent[b]
        live = a != b
        a, b = a[live], b[live]
    return parent


def cluster_signatures(sig: np.ndarray, threshold: float, keys: np.ndarray | None = None) -> np.ndarray:
    """Return the cluster label (smallest member index) of every signature row.

    keys: precomputed (n, bands) LSH keys; None bands the signatures for the threshold. Rows that are
    all 0xFFFFFFFF (documents without a shingle) are never candidates.
    """
    n = sig.shape[0]
    if keys is None:
        bands, rows = choose_bands(threshold, sig.shape[1])
        keys = minhash.band_keys(sig, bands, rows)
    empty = (sig == minhash.EMPTY).all(axis=1)
    if empty.any():  # give each empty row unique keys so it collides with nothing
        keys = keys.copy()
        keys[empty] = (np.uint64(1) << np.uint64(63)) + np.flatnonzero(empty).astype(np.uint64)[:, None]
    a, b = candidate_pairs(keys)
    keep = verify_pairs(sig, a, b, threshold)
    return connected_components(n, a[keep], b[keep])


# -- the estimator ---------------------------------------------------------------------------------------
def estimate_dups(store: object, config: DupsConfig, record_run: bool = True) -> Estimate:
    """Cluster near-duplicates over the store, estimate per-period rates; record metrics and clusters."""
    check_resampling("--replicates", config.replicates, config.confidence)
    if record_run:
        store.require_writable("a dups run")  # type: ignore[attr-defined]
    grouping = parse_by(config.by)
    docs = pl.from_arrow(query_arrow(store, "dups_documents", by=grouping.period, by_lang=grouping.by_lang,
                                     lang=config.lang))
    if docs.height == 0:
        raise EstimatorError("no documents" + (f" in language {config.lang!r}" if config.lang else "")
                             + "; run 'provenance ingest' first")
    periods = sorted(docs["period"].unique().to_list(), key=period_sort_key)
    if config.baseline is not None and config.baseline not in periods:
        raise EstimatorError(f"unknown baseline period {config.baseline!r}; known {grouping.period}s: {', '.join(periods)}")
    bands, rows = choose_bands(config.threshold)
    doc_ids, sig = _load_signatures(store, config.lang)
    keys = _load_keys(store, config.lang, doc_ids) if (bands, rows) == (minhash.BANDS, minhash.ROWS) else None
    labels = cluster_signatures(sig, config.threshold, keys)
    clusters = _join_exact_copies(pl.DataFrame({"doc_id": doc_ids, "cluster_id": doc_ids[labels]}), docs,
                                  (sig == minhash.EMPTY).all(axis=1))
    est = dups_from_clusters(docs, clusters, config)
    params = {**asdict(config), "by": grouping.label, "bands": bands, "rows": rows,
              "stored_band_keys": keys is not None, "documents_with_signature": int(doc_ids.size)}
    est = Estimate(est.estimator, est.metrics, est.summary, est.details, params, est.notes, None, est.row_parameters)
    if not record_run:
        return est
    members = clusters.filter(pl.col("cluster_id").count().over("cluster_id") > 1)
    return record(store, "dups", est, lambda run_id: _write_clusters(store, run_id, members))


def _join_exact_copies(clusters: pl.DataFrame, docs: pl.DataFrame, empty: np.ndarray) -> pl.DataFrame:
    """Documents without a shingle (emoji, punctuation: no MinHash to compare) are never LSH candidates; the
    identical ones among them (one text hash) form one cluster, so near duplicates include exact ones for them
    too (exact_dup_rate 0.97 beside near_dup_rate 0, found on such a year). Any other exact copies share
    their signature, and so their cluster, already."""
    if not empty.any():
        return clusters
    hashes = docs.select("doc_id", "text_hash").unique("doc_id")
    joined = (clusters.filter(pl.Series(empty)).join(hashes, on="doc_id", how="left")
              .with_columns(cluster_id=pl.when(pl.col("text_hash").is_null()).then(pl.col("doc_id"))
                            .otherwise(pl.col("doc_id").min().over("text_hash")))
              .select("doc_id", "cluster_id"))
    return clusters.update(joined, on="doc_id")


def _load_signatures(store: object, lang: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Return (sorted doc_ids, (n, 128) uint32 signatures), read from the BLOBs' Arrow buffers."""
    tbl = query_arrow(store, "dups_signatures", lang=lang)
    doc_ids = tbl.column("doc_id").to_numpy().astype(np.int64)
    blobs = tbl.column("minhash").combine_chunks()
    width = 4 * NUM_PERM
    if len(blobs) == 0:
        return doc_ids, np.zeros((0, NUM_PERM), np.uint32)
    if blobs.null_count or not (pa.types.is_binary(blobs.type) or pa.types.is_large_binary(blobs.type)):
        raise EstimatorError("signatures must be non-null BLOBs; run 'provenance check'")
    offsets = np.frombuffer(blobs.buffers()[1], np.int64 if pa.types.is_large_binary(blobs.type) else np.int32)
    offsets = offsets[blobs.offset: blobs.offset + len(blobs) + 1]
    if not np.all(np.diff(offsets) == width):
        raise EstimatorError(f"signatures must be {width} bytes (128 uint32 each); re-ingest the store")
    data = np.frombuffer(blobs.buffers()[2], np.uint8)[offsets[0]: offsets[0] + width * len(blobs)]
    return doc_ids, data.view("<u4").reshape(-1, NUM_PERM)  # a view of the Arrow buffer: no copy


def _load_keys(store: object, lang: str | None, doc_ids: np.ndarray) -> np.ndarray:
    """Return the stored band keys as an (n_docs, BANDS) matrix aligned with doc_ids."""
    tbl = query_arrow(store, "dups_band_keys", lang=lang)
    res = {name: tbl.column(name).to_numpy() for name in ("doc_id", "band", "key")}
    keys = np.zeros((doc_ids.size, minhash.BANDS), np.uint64)
    filled = np.zeros((doc_ids.size, minhash.BANDS), bool)
    pos = np.searchsorted(doc_ids, res["doc_id"])
    ok = (pos < doc_ids.size) & (doc_ids[np.minimum(pos, doc_ids.size - 1)] == res["doc_id"])
    band = res["band"].astype(np.int64)
    keys[pos[ok], band[ok]] = res["key"][ok]
    filled[pos[ok], band[ok]] = True
    if not filled.all():
        raise EstimatorError("some documents have a signature but no stored band keys; run 'provenance check'")
    return keys


def _write_clusters(store: object, run_id: int, members: pl.DataFrame) -> None:
    rows = members.select(pl.lit(run_id, pl.Int64).alias("run_id"), "doc_id", "cluster_id")
    with registered(store.con, _dup_cluster_rows=rows.to_arrow()):  # type: ignore[attr-defined]
        store.query("dups_insert_clusters")  # type: ignore[attr-defined]


def dups_from_clusters(docs: pl.DataFrame, clusters: pl.DataFrame, config: DupsConfig) -> Estimate:
    """Compute the per-period rates from documents (doc_id, period, lang, text_hash, block) and
    clusters (doc_id, cluster_id); documents without a cluster row are their own cluster."""
    periods = sorted(docs["period"].unique().to_list(), key=period_sort_key)
    rank = pl.DataFrame({"period": periods, "period_rank": list(range(len(periods)))})
    d = (docs.join(clusters, on="doc_id", how="left")
         .with_columns(pl.col("cluster_id").fill_null(pl.col("doc_id")))
         .join(rank, on="period").sort("doc_id"))
    first_rank = pl.col("period_rank").min().over("cluster_id")
    d = d.with_columns(
        exact_dup_rate=~pl.struct("period", "lang", "text_hash").is_first_distinct(),
        near_dup_rate=~pl.struct("period", "lang", "cluster_id").is_first_distinct(),
        carryover_rate=first_rank < pl.col("period_rank"),
        baseline_overlap_rate=(pl.col("period") == config.baseline).any().over("cluster_id")
        & (pl.col("period") != config.baseline) if config.baseline else pl.lit(None, pl.Boolean),
    )
    rows, summary, notes, row_params = [], [], [], {}
    for (period, lang), g in sorted(d.group_by(["period", "lang"]), key=lambda kv: (period_sort_key(kv[0][0]), kv[0][1] or "")):
        blocks = g["block"].fill_null(-1)
        n_blocks = int(blocks.n_unique())
        per_block = (g.group_by(blocks.alias("block")).agg(pl.len().alias("docs"), *[pl.col(m).sum() for m in DUP_METRICS])
                     .sort("block"))  # bootstrap draws index rows: their order must be fixed
        entry = {"period": period, "lang": lang, "documents": g.height, "blocks": n_blocks}
        rng = period_rng(config.seed, period, lang)
        for m in DUP_METRICS:
            if m == "baseline_overlap_rate" and (config.baseline is None or period == config.baseline):
                continue
            value, lo, hi = _block_ratio(per_block[m].to_numpy(), per_block["docs"].to_numpy(), rng, config)
            rows.append({"period": period, "lang": lang, "metric": m, "value": value, "ci_low": lo, "ci_high": hi})
            entry[m] = value
        summary.append(entry)
        row_params[(period, lang)] = {"documents": g.height, "blocks": n_blocks}
        if n_blocks < 2:
            notes.append(f"{period}{'/' + lang if lang else ''}: fewer than 2 blocks, no intervals")
    return Estimate("dups", metric_frame(rows), pl.DataFrame(summary), largest_clusters(d, config.top),
                    asdict(config), tuple(notes), None, row_params)


def _block_ratio(hits: np.ndarray, docs: np.ndarray, rng: np.random.Generator, config: DupsConfig) -> tuple[float, float | None, float | None]:
    """Return the share of documents flagged, with a block-bootstrap percentile interval."""
    hits, docs = hits.astype(np.float64), docs.astype(np.float64)
    value = float(hits.sum() / docs.sum())
    if hits.size < 2 or config.replicates < 2:
        return value, None, None
    w = stats.multinomial_weights(rng, hits.size, config.replicates)
    reps = (w @ hits) / (w @ docs)
    alpha = (1 - config.confidence) / 2
    lo, hi = np.quantile(reps, [alpha, 1 - alpha])
    return value, float(min(lo, value)), float(max(hi, value))


def largest_clusters(d: pl.DataFrame, top: int) -> pl.DataFrame:
    """Return the largest clusters: size, periods spanned, first period, first member."""
    return (d.group_by("cluster_id")
            .agg(pl.len().alias("size"), pl.col("period").n_unique().alias("periods"),
                 pl.col("period").sort_by("period_rank").first().alias("first_period"),
                 pl.col("doc_id").min().alias("first_doc_id"))
            .filter(pl.col("size") > 1)
            .sort(["size", "cluster_id"], descending=[True, False])
            .head(top))
