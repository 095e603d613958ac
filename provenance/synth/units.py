"""Units of the synthetic-share estimator: documents split into sentences, sentences into word sets.

Words are those of the default word tokenizer (`provenance.ingest.tokenize`: NFKC, lower case,
runs of word characters). A sentence ends at '.', '!' or '?' followed by white space, or at a line
break (extracted web text puts block elements on their own lines). Only whether a word occurs in a
unit matters (Liang et al. 2024), so each unit keeps its set of distinct words.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from provenance.errors import UsageError
from provenance.ingest.tokenize import WORD_PATTERN, normalize

UNITS = ("sentence", "document")
_SENTENCE_END = r"([.!?])\s+"


def check_unit(unit: str) -> str:
    """Return unit if it is 'sentence' or 'document'; raise UsageError otherwise."""
    if unit not in UNITS:
        raise UsageError(f"--unit {unit!r}: expected sentence or document")
    return unit


def split_units(texts: Sequence[str] | pl.Series, unit: str = "sentence") -> pl.DataFrame:
    """Return one row per non-empty unit: doc (index of its text, UInt32) and words (distinct, list[str])."""
    series = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts), dtype=pl.String)
    # word_tokens(texts) == normalize + extract_all(WORD_PATTERN); normalizing whole documents once
    # (not every sentence) keeps the Python-level NFKC pass at one call per document.
    df = pl.DataFrame({"doc": np.arange(len(series), dtype=np.uint32), "text": normalize(series.rename("text"))})
    if check_unit(unit) == "sentence":
        df = df.with_columns(pl.col("text").str.replace_all(_SENTENCE_END, "${1}\n").str.split("\n")).explode("text")
    df = df.with_columns(words=pl.col("text").str.extract_all(WORD_PATTERN).list.unique()).drop("text")
    return df.filter(pl.col("words").list.len() > 0)


@dataclass
class EncodedUnits:
    """Units as sparse sets of vocabulary ids (CSR): unit u holds ids[indptr[u]:indptr[u+1]]."""

    doc: np.ndarray      # int64 document index of each unit
    indptr: np.ndarray   # int64, n_units + 1
    ids: np.ndarray      # int32 vocabulary ids
    n_docs: int

    @property
    def n_units(self) -> int:
        return int(self.doc.size)

    def unit_sums(self, weights: np.ndarray) -> np.ndarray:
        """Return, per unit, the sum of weights[id] over its entries (0 for a unit without entries)."""
        values = weights[self.ids]
        if values.size == 0:
            return np.zeros(self.n_units)
        starts = self.indptr[:-1]
        sums = np.add.reduceat(values, np.minimum(starts, values.size - 1))
        sums[starts == self.indptr[1:]] = 0.0  # reduceat returns values[start] for an empty unit
        return sums

    def with_units(self) -> tuple[EncodedUnits, np.ndarray]:
        """Return the documents that have a unit (a word), renumbered, and which those are (bool per document): a
        document without one (emoji alone) says nothing to score, in a target or a reference alike."""
        keep = np.zeros(self.n_docs, bool)
        keep[self.doc] = True
        return (self if keep.all() else self.docs_subset(keep)), keep

    def docs_subset(self, keep: np.ndarray) -> EncodedUnits:
        """Return the units of the documents where keep (bool per document) is true, renumbered."""
        unit_keep = keep[self.doc]
        counts = np.diff(self.indptr)[unit_keep]
        entry_keep = np.repeat(unit_keep, np.diff(self.indptr))
        new_doc = np.cumsum(keep) - 1
        return EncodedUnits(new_doc[self.doc[unit_keep]], np.concatenate(([0], np.cumsum(counts))),
                            self.ids[entry_keep], int(keep.sum()))


def occurrence_counts(units: pl.DataFrame) -> pl.DataFrame:
    """Return word, n_units: in how many units each word occurs."""
    return (units.select(pl.col("words").alias("word")).explode("word")
            .group_by("word").agg(pl.len().cast(pl.Int64).alias("n_units")))


def encode(units: pl.DataFrame, vocab: pl.Series, n_docs: int) -> EncodedUnits:
    """Map each unit's words to ids in vocab (words outside it are dropped; units stay, maybe empty)."""
    index = pl.DataFrame({"word": vocab, "id": np.arange(len(vocab), dtype=np.int32)})
    n = units.height
    entries = (units.select(pl.int_range(n, dtype=pl.Int64).alias("unit"), pl.col("words").alias("word"))
               .explode("word").join(index, on="word", how="inner", maintain_order="left"))
    unit = entries["unit"].to_numpy()
    indptr = np.concatenate(([0], np.cumsum(np.bincount(unit, minlength=n)))).astype(np.int64)
    return EncodedUnits(units["doc"].to_numpy().astype(np.int64), indptr, entries["id"].to_numpy(), n_docs)
