"""Periods and their token counts: grouping options, the baseline, and block-level count matrices.

Counts are loaded once per estimator run as a CSR layout: resampling units (blocks of ~100
consecutive documents of one source) in rows, integer token ids in columns. Units of one cell
(period, language) are contiguous, so a cell's counts or a resample of its units is one bincount.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provenance.errors import EstimatorError, UsageError

PERIOD_KINDS = ("year", "crawl")


@dataclass(frozen=True)
class Grouping:
    """How rows are grouped: by year or crawl id, optionally also by language."""

    period: str = "year"
    by_lang: bool = False

    @property
    def label(self) -> str:
        return self.period + (",lang" if self.by_lang else "")


def parse_by(by: str) -> Grouping:
    """Parse --by ('year', 'crawl', 'year,lang', 'crawl,lang'); raise UsageError otherwise."""
    parts = [p.strip().lower() for p in by.split(",") if p.strip()]
    kinds = [p for p in parts if p in PERIOD_KINDS]
    rest = [p for p in parts if p not in PERIOD_KINDS and p != "lang"]
    if len(kinds) != 1 or rest or len(parts) != len(set(parts)):
        raise UsageError(f"--by {by!r}: expected year, crawl, year,lang or crawl,lang")
    return Grouping(kinds[0], "lang" in parts)


def period_sort_key(period: str) -> tuple[int, str]:
    """Order periods chronologically: years numerically, crawl ids (CC-MAIN-YYYY-WW) as text."""
    return (int(period), "") if re.fullmatch(r"-?\d+", period) else (10**9, period)


@dataclass(frozen=True)
class Cell:
    """One row of a result: a period, and a language when grouping by language."""

    period: str
    lang: str | None = None


@dataclass
class UnitCounts:
    """Token counts of resampling units, grouped into cells. Built by load_unit_counts."""

    cells: list[Cell]
    vocab: np.ndarray  # token strings by id (object array)
    cell_ptr: np.ndarray  # units of cell c: cell_ptr[c] .. cell_ptr[c+1]
    indptr: np.ndarray  # entries of unit u: indptr[u] .. indptr[u+1]
    token: np.ndarray  # int32 token id per entry
    count: np.ndarray  # float64 count per entry (float: bincount weights)
    blocks_per_unit: np.ndarray | None = None
    unit_tokens: np.ndarray = None  # type: ignore[assignment]  # tokens per unit; computed when not given
    block_ptr: np.ndarray | None = None  # entries of block k: block_ptr[k] .. block_ptr[k+1] (units merge blocks); indptr when None

    def __post_init__(self) -> None:
        if self.unit_tokens is None:
            cumulative = np.concatenate(([0.0], np.cumsum(self.count)))
            self.unit_tokens = cumulative[self.indptr[1:]] - cumulative[self.indptr[:-1]]
        if self.blocks_per_unit is None:
            self.blocks_per_unit = np.ones(len(self.indptr) - 1, np.int64)
        if self.block_ptr is None:
            self.block_ptr = self.indptr
        self._distinct: np.ndarray | None = None

    @property
    def distinct(self) -> np.ndarray:
        """Per entry, whether it is its token's first in its block (a block's rows repeat a token where it holds
        documents of several languages or years and those are not part of the grouping). Computed when first asked
        (tails ask; drift does not)."""
        if self._distinct is None:
            self._distinct = first_in_block(self.block_ptr, self.token, self.n_vocab)
            self._all_distinct = bool(self._distinct.all())
        return self._distinct

    @property
    def all_distinct(self) -> bool:
        """Whether no block repeats a token."""
        self.distinct  # noqa: B018  (computes it)
        return self._all_distinct

    def block_of(self, entries: np.ndarray) -> np.ndarray:
        """The block of each entry."""
        return np.searchsorted(self.block_ptr, entries, side="right") - 1

    def blocks_in(self, starts: np.ndarray, ends: np.ndarray) -> int:
        """How many blocks the nonempty entry runs starts[i] .. ends[i] span (a unit is a run of blocks)."""
        return int((self.block_of(np.asarray(ends) - 1) - self.block_of(starts) + 1).sum())

    @property
    def n_vocab(self) -> int:
        return int(self.vocab.size)

    def units(self, c: int) -> np.ndarray:
        """Return the unit indices of cell c."""
        return np.arange(self.cell_ptr[c], self.cell_ptr[c + 1])

    def cell_index(self, cell: Cell) -> int | None:
        """Return the index of a cell, or None if absent."""
        try:
            return self.cells.index(cell)
        except ValueError:
            return None

    def totals(self, units: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Return the dense count vector (over the vocabulary) of units, each times its weight."""
        if units.size == 0:
            return np.zeros(self.n_vocab)
        if weights is None and units.size and np.all(np.diff(units) == 1):
            s, e = self.indptr[units[0]], self.indptr[units[-1] + 1]
            return np.bincount(self.token[s:e], weights=self.count[s:e], minlength=self.n_vocab)
        starts, ends = self.indptr[units], self.indptr[units + 1]
        idx = ranges(starts, ends)
        w = self.count[idx]
        if weights is not None:
            w = w * np.repeat(weights, ends - starts)
        return np.bincount(self.token[idx], weights=w, minlength=self.n_vocab)

    def cell_totals(self, c: int) -> np.ndarray:
        """Return the dense count vector of cell c."""
        return self.totals(self.units(c))


def first_in_block(block_ptr: np.ndarray, token: np.ndarray, n_vocab: int, native: bool | None = None) -> np.ndarray:
    """Per entry, whether it is its token's first entry in its block (block k: entries block_ptr[k] .. block_ptr[k+1]).
    The compiled kernel when built (one pass; tested equal), else a sort of (block, token) keys."""
    from provenance.ingest.tokenize import select_kernels

    kernels = select_kernels(native)
    if kernels is None:
        return _first_in_block_reference(block_ptr, token, n_vocab)
    out = kernels.first_in_block(np.ascontiguousarray(block_ptr, np.int64), np.ascontiguousarray(token, np.int32), int(n_vocab))
    return np.frombuffer(out, np.uint8).astype(bool)


def _first_in_block_reference(block_ptr: np.ndarray, token: np.ndarray, n_vocab: int) -> np.ndarray:
    distinct = np.zeros(token.size, bool)
    key = np.repeat(np.arange(len(block_ptr) - 1, dtype=np.int64), np.diff(block_ptr)) * max(n_vocab, 1) + token
    _, first = np.unique(key, return_index=True)
    distinct[first] = True
    return distinct


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return the concatenation of arange(s, e) for each (s, e), vectorized."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def query_arrow(store: object, name: str, **params: object) -> pa.Table:
    """Run a named query and return an Arrow table (a relation: no extra copy of the rows).

    Runs on a cursor (DuckDB 2 refuses new relations on a connection with an unfinished result).
    """
    from provenance.sqlfiles import load_query

    cur = store.con.cursor()  # type: ignore[attr-defined]
    try:
        return cur.sql(load_query(name), params=params or None).to_arrow_table()
    finally:
        cur.close()


def load_unit_counts(
    store: object, grouping: Grouping, lang: str | None, tokenizer: str, max_units: int
) -> UnitCounts:
    """Load token counts per (cell, block) from the store; merge consecutive blocks beyond max_units.

    Merging neighbouring blocks (same source, consecutive documents) keeps the dependence inside a
    unit, so a bootstrap over fewer, larger units stays valid; it only bounds the cost.
    """
    params = dict(by=grouping.period, by_lang=grouping.by_lang, lang=lang, tokenizer=tokenizer)
    heads = query_arrow(store, "drift_block_headers", **params)
    if heads.num_rows == 0:
        where = f" for language {lang!r}" if lang else ""
        langs = query_arrow(store, "estimator_languages", tokenizer=tokenizer).column("lang").to_pylist() if lang else []
        if langs:  # (the store holds counts, of other languages)
            known = ", ".join(langs[:12]) + (f" and {len(langs) - 12} more" if len(langs) > 12 else "")
            raise EstimatorError(f"no token counts with tokenizer {tokenizer!r}{where}; languages with counts, most tokens "
                                 f"first: {known} (ISO 639-1 codes)")
        raise EstimatorError(f"no token counts with tokenizer {tokenizer!r}{where}; run 'provenance ingest' first")
    rows = query_arrow(store, "drift_block_counts", **params)
    periods = heads.column("period").to_pylist()
    langs = heads.column("lang").to_pylist()
    blocks = heads.column("block").to_pylist()
    rank = rows.column("rank").to_numpy()
    order = np.argsort(rank, kind="stable")  # entries grouped by rank
    row_offsets = np.concatenate([[0], np.cumsum(np.bincount(rank, minlength=len(periods)))])
    encoded = pc.dictionary_encode(rows.column("token_id").combine_chunks())
    ids = encoded.dictionary.to_numpy()
    by_id = np.argsort(ids)  # token index = rank of the id: the same vocabulary order whatever the scan order
    index_of = np.empty(len(ids), np.int32)
    index_of[by_id] = np.arange(len(ids), dtype=np.int32)
    token_ids = index_of[encoded.indices.to_numpy()][order]
    counts = rows.column("count").to_numpy()[order]
    vocab = _token_names(store, tokenizer, pa.array(ids[by_id], pa.uint64()))
    # a unit (period, lang, block) can span consecutive ranks: its entries are their concatenation
    starts = [i for i, key in enumerate(zip(periods, langs, blocks)) if i == 0 or key != (periods[i - 1], langs[i - 1], blocks[i - 1])]
    unit_periods, unit_langs = [periods[i] for i in starts], [langs[i] for i in starts]
    indptr = row_offsets[np.asarray([*starts, len(periods)], np.int64)].astype(np.int64)
    cells, cell_of_unit = _cells(unit_periods, unit_langs)
    return _merge_units(UnitCounts(cells, vocab, cell_of_unit, indptr, token_ids, counts), max_units)


def _token_names(store: object, tokenizer: str, ids: pa.Array) -> np.ndarray:
    """Return the token string of each id (object array), from the store's tokens dictionary."""
    names = query_arrow(store, "tokens_by_id", tokenizer=tokenizer)
    pos = pc.index_in(names.column("token_id"), value_set=ids)
    valid = pc.is_valid(pos).to_numpy(zero_copy_only=False)
    vocab = np.full(len(ids), None, dtype=object)
    vocab[pos.drop_null().to_numpy(zero_copy_only=False).astype(np.int64)] = np.asarray(names.column("token").to_pylist(), dtype=object)[valid]
    for i in np.flatnonzero(vocab == None):  # noqa: E711 -- an id without an entry keeps a visible name
        vocab[i] = f"#{ids[int(i)].as_py()}"
    return vocab


def _cells(periods: list[str], langs: list[str | None]) -> tuple[list[Cell], np.ndarray]:
    """Return the distinct cells in row order and the cell pointer (SQL sorts rows by cell).

    Periods sort as text, which is chronological for 4-digit years and CC-MAIN-YYYY-WW crawl ids.
    """
    cells: list[Cell] = []
    ptr = []
    for i, key in enumerate(zip(periods, langs)):
        if not cells or (cells[-1].period, cells[-1].lang) != key:
            cells.append(Cell(*key))
            ptr.append(i)
    ptr.append(len(periods))
    return cells, np.asarray(ptr, np.int64)


def _merge_units(data: UnitCounts, max_units: int) -> UnitCounts:
    """Merge runs of consecutive units so that no cell has more than max_units units."""
    if max_units < 2:
        raise UsageError("--max-units must be at least 2")
    keep = [np.int64(0)]
    cell_ptr = [0]
    blocks = []
    for c in range(len(data.cells)):
        lo, hi = int(data.cell_ptr[c]), int(data.cell_ptr[c + 1])
        n = hi - lo
        groups = min(n, max_units)
        # unit boundaries of the merged units: equal numbers of blocks, consecutive
        bounds = lo + (np.arange(1, groups + 1) * n) // groups
        keep.extend(bounds.tolist())
        blocks.extend(np.diff(np.concatenate(([lo], bounds))).tolist())
        cell_ptr.append(cell_ptr[-1] + groups)
    keep_at = np.asarray(keep, np.int64)
    per_unit = np.concatenate(([0.0], np.cumsum(data.unit_tokens)))[keep_at]
    return UnitCounts(data.cells, data.vocab, np.asarray(cell_ptr, np.int64), data.indptr[keep_at], data.token,
                      data.count, blocks_per_unit=np.asarray(blocks, np.int64), unit_tokens=np.diff(per_unit),
                      block_ptr=data.block_ptr)


SMALL_PERIOD_SHARE = 0.1  # of the median period's tokens: a period under it sets no shared budget


def comparable_cells(data: "UnitCounts", cells: list[int], b: int, tokens: dict[int, float], budget_given: bool,
                     per_budget: int, notes: list[str]) -> list[int]:
    """The cells one language's periods are compared in at one shared budget (a fraction 1/per_budget of the
    smallest): without --budget, periods holding fewer tokens than SMALL_PERIOD_SHARE of the median period's
    are left out, with a note (one 82-token year set every year's budget to 20 tokens: each JSD went from 0.32
    to 0.73); the baseline always stays."""
    if budget_given or len(cells) < 3:
        return cells
    median = float(np.median([tokens[c] for c in cells]))
    small = [c for c in cells if c != b and tokens[c] < SMALL_PERIOD_SHARE * median and tokens[c] < tokens[b]]  # (else the baseline sets the budget)
    if small:
        lang = data.cells[b].lang
        listed = ", ".join(f"{data.cells[c].period} ({int(tokens[c])} tokens)" for c in small)
        notes.append(f"{f'language {lang}: ' if lang else ''}{listed}: under {SMALL_PERIOD_SHARE:.0%} of the median period's "
                     f"{int(median)} tokens, left out (they would shrink every period's samples to theirs); "
                     f"--budget {max(1, int(min(tokens[c] for c in small)) // per_budget)} compares every period at that size")
    return [c for c in cells if c not in small]


def resolve_baseline(cells: list[Cell], baseline: str, grouping: Grouping) -> str:
    """Return the baseline period; raise EstimatorError listing the known periods if absent."""
    known = sorted({c.period for c in cells}, key=period_sort_key)
    if baseline in known:
        return baseline
    hint = ""
    if grouping.period == "year" and re.match(r"CC-MAIN-(\d{4})", baseline):
        hint = f" (grouping by year: use --baseline {baseline[8:12]} or --by crawl)"
    raise EstimatorError(f"unknown baseline period {baseline!r}{hint}; known {grouping.period}s: {', '.join(known)}")
