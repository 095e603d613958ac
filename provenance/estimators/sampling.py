"""Draws of an exact token budget from resampling units, with or without replacement.

A draw walks a sequence of units, takes whole units while they fit, and thins the next one
by a hypergeometric draw of exactly the missing number of its tokens, so a draw holds exactly
`budget` tokens, whole blocks of co-occurring tokens except at its edge.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
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
        return self.draw(budget, presence=False).counts

    def draw(self, budget: int, presence: bool = True) -> "Draw":
        """The next `budget` tokens (fewer if the units run out): their counts and, with presence, in how many of
        the draw's blocks each token is (of a thinned unit, the blocks that kept any of their tokens)."""
        d = self.data
        vocab = max(d.n_vocab, 1)
        toks, cnts, held, single, blocks = [], [], [], [], 0
        need = int(budget)
        while need > 0:
            if self._left is not None:  # the rest of a unit thinned by the last draw
                s, e, cnt = self._left
                self._left = None
                whole = False
            else:
                u = next(self._order, None)
                if u is None:
                    break  # without replacement the units ran out: the draw is short
                s, e = int(d.indptr[u]), int(d.indptr[u + 1])
                cnt = d.count[s:e]
                whole = True
            size = int(cnt.sum())
            if size > need:
                kept = self.rng.multivariate_hypergeometric(cnt.astype(np.int64), need, method="count").astype(np.float64)
                if not self.replace:
                    self._left = (s, e, cnt - kept)
                cnt, need, whole = kept, 0, False
            else:
                need -= size
            tok = d.token[s:e]
            toks.append(tok)
            cnts.append(cnt)
            if presence and e > s:
                if whole and (d.all_distinct or d.distinct[s:e].all()):  # each entry a (block, token): as they are
                    held.append(tok)
                    single.append(cnt)
                    blocks += d.blocks_in(np.array([s]), np.array([e]))
                else:  # a thinned unit, or blocks that repeat a token: its counts summed per (block, token)
                    present = np.flatnonzero(cnt > 0)
                    keys, inverse = np.unique(d.block_of(present + s) * vocab + tok[present], return_inverse=True)
                    held.append((keys % vocab).astype(d.token.dtype))
                    single.append(np.bincount(inverse, weights=cnt[present], minlength=keys.size))
                    blocks += int(np.unique(keys // vocab).size)
        if not toks:
            return Draw(np.zeros(d.n_vocab), np.zeros(d.n_vocab), np.zeros(d.n_vocab), 0)
        counts = np.bincount(np.concatenate(toks), weights=np.concatenate(cnts), minlength=d.n_vocab)
        if not held:
            return Draw(counts, np.zeros(d.n_vocab), np.zeros(d.n_vocab), 0)
        # one pass for both: each (block, token) adds 1 to its token's blocks and ONCE to its blocks of one token
        both = np.bincount(np.concatenate(held), weights=1.0 + ONCE * (np.concatenate(single) == 1), minlength=d.n_vocab)
        once = np.floor(both / ONCE)
        return Draw(counts, both - ONCE * once, once, blocks)


ONCE = float(1 << 26)  # (a token is in fewer blocks than this: the two counts share one float64 exactly)


@dataclass
class Draw:
    """A draw's tokens: counts per token, in how many of its blocks each is (presence) and in how many of them it is
    once (singles), of `blocks` blocks."""

    counts: np.ndarray
    presence: np.ndarray
    singles: np.ndarray
    blocks: int
