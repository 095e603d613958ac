"""Synthetic corpora with a known machine share, for tests and benchmarks (not real text).

Two word distributions over one vocabulary of pseudo-words: "human" is Zipfian, "machine" is the
same tilted by seeded log-normal noise, so the two differ the way word usage of people and of a
model differ (most words similar, some much more or less frequent). Sentences draw words i.i.d.;
documents have a few sentences. Everything is vectorized: a million documents take seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ba", "de", "fu", "gi", "ho", "ja", "ku", "pe")


@dataclass(frozen=True)
class SyntheticSource:
    """The two word distributions and document shape."""

    vocabulary: int = 3000
    zipf: float = 1.05
    tilt: float = 0.6            # sd of the log-normal tilt of machine word probabilities
    words_per_sentence: float = 12.0
    sentences_per_doc: tuple[int, int] = (2, 6)
    seed: int = 0

    def words(self) -> np.ndarray:
        """Return the pseudo-words (distinct strings of syllables)."""
        n, base = np.arange(self.vocabulary), len(_SYLLABLES)
        out = []
        for i in n:
            parts, j = [], int(i) + base
            while j:
                parts.append(_SYLLABLES[j % base])
                j //= base
            out.append("".join(parts))
        return np.array(out, dtype=object)

    def probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (human, machine) word probabilities."""
        human = 1.0 / np.arange(1, self.vocabulary + 1) ** self.zipf
        human /= human.sum()
        tilt = np.random.default_rng(self.seed + 7919).normal(0, self.tilt, self.vocabulary)
        machine = human * np.exp(tilt)
        return human, machine / machine.sum()


def synthetic_texts(source: SyntheticSource, n_docs: int, machine: bool | np.ndarray, seed: int) -> pl.Series:
    """Return n_docs texts; machine is one flag for all, or a bool per document."""
    rng = np.random.default_rng(seed)
    is_machine = np.broadcast_to(np.asarray(machine, bool), (n_docs,))
    lo, hi = source.sentences_per_doc
    n_sent = rng.integers(lo, hi + 1, n_docs)
    sent_doc = np.repeat(np.arange(n_docs), n_sent)
    sent_len = 3 + rng.poisson(source.words_per_sentence - 3, sent_doc.size)
    word_sent = np.repeat(np.arange(sent_doc.size), sent_len)
    human_p, machine_p = source.probabilities()
    word_machine = is_machine[sent_doc[word_sent]]
    ids = np.empty(word_sent.size, np.int64)
    for flag, p in ((False, human_p), (True, machine_p)):
        where = word_machine == flag
        ids[where] = np.searchsorted(np.cumsum(p), rng.random(int(where.sum())) * (1 - 1e-12))
    words = pl.Series(source.words(), dtype=pl.String)
    frame = pl.DataFrame({"sent": word_sent, "word": words.gather(ids)})
    sentences = frame.group_by("sent", maintain_order=True).agg(pl.col("word").str.join(" "))
    docs = (pl.DataFrame({"doc": sent_doc, "s": sentences["word"] + "."})
            .group_by("doc", maintain_order=True).agg(pl.col("s").str.join(" ")))
    return docs["s"].rename("text")
