"""Draws of an exact token budget from resampling units, with or without replacement.

A draw walks a sequence of units, takes whole units while they fit, and thins the next one
by a hypergeometric draw of exactly the missing number of its tokens, so a draw holds exactly
`budget` tokens, whole blocks of co-occurring tokens except at its edge.
"""
from __future__ import annotations

import zlib
from typing import Iterator

import numpy as np

from provenance.estimators.periods import UnitCounts


def period_rng(seed: int, period: str, lang: str | None = None) -> np.random.Generator:
    """A period's own random stream: its draws depend on the seed and the period alone, not on which other periods a
    run holds (with one stream for all, a new crawl moved every earlier year's estimates and intervals, and an alert
    on an old year came and went from one report to the next)."""
    return np.random.default_rng([seed, zlib.crc32(f"{period}\x00{lang or ''}".encode())])


class UnitStream:
    """A stream of units to draw budgets from: a random permutation, or i.i.d. with replacement."""

    def __init__(self, data: UnitCounts, units: np.ndarray, rng: np.random.Generator, replace: bool) -> None:
        self.data, self.units, self.rng, self.replace = data, units, rng, replace
        self._order = self._orders()
        self._left: tuple[np.ndarray, np.ndarray] | None = None  # remainder of a thinned unit

    def _orders(self) -> Iterator[int]:
        while True:
            if self.replace:
                yield from self.rng.choice(self.units, size=max(64, self.units.size)).tolist()
            else:
                yield from self.rng.permutation(self.units).tolist()
                return

    def take(self, budget: int) -> np.ndarray:
        """Return the dense count vector of the next `budget` tokens (fewer if the units run out)."""
        d = self.data
        toks, cnts = [], []
        need = int(budget)
        while need > 0:
            if self._left is not None:
                tok, cnt = self._left
                self._left = None
            else:
                u = next(self._order, None)
                if u is None:
                    break  # without replacement the units ran out: the draw is short
                s, e = d.indptr[u], d.indptr[u + 1]
                tok, cnt = d.token[s:e], d.count[s:e]
            size = int(cnt.sum())
            if size <= need:
                toks.append(tok)
                cnts.append(cnt)
                need -= size
                continue
            kept = self.rng.multivariate_hypergeometric(cnt.astype(np.int64), need, method="count").astype(np.float64)
            toks.append(tok)
            cnts.append(kept)
            if not self.replace:
                self._left = (tok, cnt - kept)
            need = 0
        if not toks:
            return np.zeros(d.n_vocab)
        return np.bincount(np.concatenate(toks), weights=np.concatenate(cnts), minlength=d.n_vocab)
