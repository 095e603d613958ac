"""The synthetic share against several machine families at once: the mixture (1 - sum_k a_k) P + sum_k a_k Q_k.

Why. Machine text on the web comes from many models, and an estimate against one machine reference counts text like
it: read against SmolLM2, 30% of Claude-written pages came out as 0.02-0.04 (benchmarks/synth_families.py). A pooled
reference (as many documents of each family: `reference add --from-references`) sees both, but its bias correction is
measured on the pool's average machine document, so a period whose machine text is of one family is read off by
what tells the families apart (30% SmolLM2 text read as 0.34-0.41 against SmolLM2 and Claude pooled). Here each
family is a component of its own: `synth --machine smollm2+claude`.

Model. For family k, log Q_k(s)/P(s) is the occurrence model of the human reference against machine reference k
(estimate.py), over one vocabulary: words in >= min_units units of the human reference and of every machine one. The
raw estimate maximizes the mean of log(1 + sum_k a_k t_ks), t_ks = Q_k(s)/P(s) - 1, over a_k >= 0, sum_k a_k <= 1:
concave; solved by EM on the mixture's weights (the responsibility of family k in unit s is a_k (1 + t_ks) / (1 + sum_j
a_j t_js)) and exact one-family steps (mle_shares).

Bias correction. As estimate.py's, with K test functions, g_k(s) = t_ks / (1 + sum_j a0_j t_js) (the score at the raw
estimate a0) and G_kd their sums over a document's units. A period whose documents are of family j with share pi_j
has E[mean_d G_kd] = (1 - sum_j pi_j) E_P[G_k] + sum_j pi_j E_Qj[G_k], whatever the model's errors, so

    sum_j (M_Qj,k - M_P,k) pi_j = T_k - M_P,k,    k = 1..K,

a K x K linear system of means measured on held-out reference documents (M_P: the human reference's, M_Qj: family
j's) and on the target (T). The share reported is sum_j pi_j (clipped to [0, 1]); the family parts are that total
split among the families (a negative pi_j, noise around a family absent, is 0 and the others are scaled to the total:
_split), with intervals from the same replicates; they are noisier than the total (two families that write alike are
told apart by little). References that share documents are refused (_refuse_shared). The model of fold f for family k is fitted
without fold f of the human reference and of machine reference k; a reference document is scored by its fold's models
(a document of family j is in no model of family k != j); the target by every fold's, averaged. With one family this
is estimate.py's estimator. The bootstrap resamples the documents of the target and of every reference, as there (one draw of a corpus's
documents for its K test functions).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from provenance.errors import EstimatorError, UsageError
from provenance.synth.estimate import (
    ALPHA0_RANGE,
    LLR_CAP,
    NORMAL_LIMIT_DOCS,
    ShareEstimate,
    _at_least_sampling,
    _fold_counts,
    _unit,
    bounded_root,
    fit_model,
)
from provenance.synth.references import SEPARATOR, ReferenceTexts, family_names
from provenance.synth.units import EncodedUnits, check_unit, encode, occurrence_counts, split_units

EM_ITERATIONS = 2000
EM_TOLERANCE = 1e-12
SWEEPS = 200
MAX_SHARED = 0.1  # two machine references sharing more than this share of the smaller one's documents are refused


def mle_shares(t: np.ndarray, weights: np.ndarray | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """The a (a_k >= 0, sum <= 1) maximizing the (weighted) mean over units of log(1 + sum_k a_k t_ks); t: (K, units).

    EM on the mixture's weights, then sweeps of exact maximization over one a_k at a time (the others fixed; a
    bounded one-dimensional concave problem) alternating with EM steps: EM alone creeps towards a share of 0 (a family
    absent: 0.003 after 2,000 steps where the optimum is 0) and along nearly equal families; the sweeps put such a
    share on its bound, and EM moves along the face sum = 1, where one coordinate cannot. `start`: a point near the
    optimum (a bootstrap replicate's: the estimate's own), which skips the first EM steps."""
    k, n = t.shape
    if n == 0:
        return np.zeros(k)
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, np.float64) / float(np.sum(weights))
    a = _em(t, w, np.full(k, 0.5 / k), EM_ITERATIONS // 4) if start is None else np.array(start, np.float64)
    for _ in range(SWEEPS):
        before = a.copy()
        for j in range(k):
            rest = 1.0 + a @ t - a[j] * t[j]  # 1 + the other families' part of each unit (> 0)
            a[j] = bounded_root(t[j] / rest, w, max(0.0, 1.0 - (a.sum() - a[j])))
        a = _em(t, w, a, 20)
        if np.max(np.abs(a - before)) < EM_TOLERANCE:
            break
    return a


def _em(t: np.ndarray, w: np.ndarray, a: np.ndarray, steps: int) -> np.ndarray:
    ratio = 1.0 + t  # Q_k(s)/P(s)
    for _ in range(steps):
        new = (a[:, None] * ratio / (1.0 + a @ t)) @ w  # each family's mean responsibility
        if np.max(np.abs(new - a)) < EM_TOLERANCE:
            return new
        a = new
    return a


def mixture_loglik(t: np.ndarray, a: np.ndarray) -> float:
    """The mean over units of log(1 + sum_k a_k t_ks)."""
    return float(np.mean(np.log1p(np.asarray(a) @ t)))


@dataclass
class JointEstimate(ShareEstimate):
    """A ShareEstimate of the total machine share, with each family's part."""

    families: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # name -> (share, ci_low, ci_high)


class JointShareEstimator:
    """A human reference and K machine references turned into one estimator (interface of estimate.ShareEstimator)."""

    def __init__(self, human: ReferenceTexts, machines: Sequence[ReferenceTexts], unit: str = "document",
                 min_units: int = 2, smoothing: float = 0.5) -> None:
        self.unit, self.names = check_unit(unit), [m.name for m in machines]
        _refuse_shared(machines)
        self.folds = min([human.folds, *(m.folds for m in machines)])
        hu, mus = split_units(human.texts, unit), [split_units(m.texts, unit) for m in machines]
        self.vocab = _shared_vocabulary([hu, *mus], min_units)
        if self.vocab.len() < 10:
            raise EstimatorError(f"references {human.name!r} and {', '.join(map(repr, self.names))} share only {self.vocab.len()} "
                                 f"words seen in >= {min_units} units of each; add more text or lower --min-units")
        self.human, h_kept = encode(hu, self.vocab, len(human.texts)).with_units()
        hf = (human.fold % self.folds)[h_kept]
        hc, hn = _fold_counts(self.human, hf, self.folds, self.vocab.len())
        self.machines: list[EncodedUnits] = []
        self.full, self.models, machine_folds = [], [], []  # per family: its full model, its fold models
        for m, mu in zip(machines, mus):
            enc, kept = encode(mu, self.vocab, len(m.texts)).with_units()
            mf = (m.fold % self.folds)[kept]
            mc, mn = _fold_counts(enc, mf, self.folds, self.vocab.len())
            self.machines.append(enc)
            machine_folds.append(mf)
            self.full.append(fit_model(hc.sum(0), hn.sum(), mc.sum(0), mn.sum(), smoothing))
            self.models.append([fit_model(hc.sum(0) - hc[f], hn.sum() - hn[f], mc.sum(0) - mc[f], mn.sum() - mn[f], smoothing)
                                for f in range(self.folds)])
        self.human_heldout = self._heldout_t(self.human, hf)
        self.machine_heldout = [self._heldout_t(enc, mf) for enc, mf in zip(self.machines, machine_folds)]
        self.smoothing, self.min_units = smoothing, min_units

    def _t(self, models: Sequence[Any], enc: EncodedUnits) -> np.ndarray:
        return np.expm1(np.stack([m.llr(enc) for m in models]))

    def _heldout_t(self, enc: EncodedUnits, fold_of_doc: np.ndarray) -> np.ndarray:
        """t_ks of each reference unit, each family's scored by its model fitted without the unit's document's fold."""
        unit_fold = fold_of_doc[enc.doc]
        out = np.empty((len(self.models), enc.n_units))
        for f in range(self.folds):
            at = unit_fold == f
            out[:, at] = self._t([models[f] for models in self.models], enc)[:, at]
        return out

    def bias_at_zero(self) -> float:
        """The raw estimate's total on held-out human text (true share 0)."""
        return float(mle_shares(self.human_heldout).sum())

    def encode_texts(self, texts: Sequence[str] | pl.Series) -> EncodedUnits:
        """Split texts into units over this estimator's vocabulary; documents without units are dropped."""
        return encode(split_units(texts, self.unit), self.vocab, len(texts)).with_units()[0]

    def estimate(self, texts: Sequence[str] | pl.Series | EncodedUnits, bootstrap: int = 500, ci_level: float = 0.95,
                 seed: int = 0, calibrate: bool = True) -> JointEstimate:
        """Estimate the total machine share of a corpus and each family's part; EstimatorError without scorable text."""
        enc = texts if isinstance(texts, EncodedUnits) else self.encode_texts(texts)
        if enc.n_docs == 0 or enc.n_units == 0:
            raise EstimatorError("no document with words to score")
        t_full = self._t(self.full, enc)
        raw = mle_shares(t_full)
        rng = np.random.default_rng(seed)
        q = [(1 - ci_level) / 2, (1 + ci_level) / 2]
        if not calibrate:
            return self._uncalibrated(enc, t_full, raw, bootstrap, q, ci_level, rng)
        a0 = _test_point(raw)
        target = _JointSums(enc, np.mean([_g(self._t([m[f] for m in self.models], enc), a0) for f in range(self.folds)], axis=0))
        human = _JointSums(self.human, _g(self.human_heldout, a0))
        machines = [_JointSums(enc_j, _g(t_j, a0)) for enc_j, t_j in zip(self.machines, self.machine_heldout)]

        def solve(rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
            t_means, h_means, m_means = target.means(rng), human.means(rng), [m.means(rng) for m in machines]
            return tuple(_solve(t_means[:, i], h_means[:, i], [m[:, i] for m in m_means]) for i in range(2))  # type: ignore[return-value]

        docs, units = solve(None)
        reps = np.array([solve(rng)[0] for _ in range(bootstrap)]).reshape(bootstrap, len(self.names))
        total = float(docs.sum())
        low, high = _at_least_sampling(total, *np.quantile(reps.sum(1), q), enc.n_docs, ci_level) if bootstrap else (total, total)
        split = np.array([_split(r) for r in reps]).reshape(bootstrap, len(self.names))
        parts = {name: (float(_split(docs)[k]), *(float(x) for x in np.quantile(split[:, k], q))) if bootstrap else (float(_split(docs)[k]),) * 3
                 for k, name in enumerate(self.names)}
        return JointEstimate(_unit(total), _unit(low), _unit(high), _unit(float(units.sum())), float(raw.sum()), enc.n_docs,
                             enc.n_units, reps.sum(1), parts)

    def _uncalibrated(self, enc: EncodedUnits, t: np.ndarray, raw: np.ndarray, bootstrap: int, q: list[float], ci_level: float,
                      rng: np.random.Generator) -> JointEstimate:
        reps = np.array([mle_shares(t, np.bincount(rng.integers(0, enc.n_docs, enc.n_docs), minlength=enc.n_docs)[enc.doc], raw)
                         for _ in range(bootstrap)]).reshape(bootstrap, len(self.names))
        total = float(raw.sum())
        low, high = _at_least_sampling(total, *np.quantile(reps.sum(1), q), enc.n_units, ci_level) if bootstrap else (total, total)
        parts = {name: (float(raw[k]), *(float(x) for x in np.quantile(reps[:, k], q))) if bootstrap else (float(raw[k]),) * 3
                 for k, name in enumerate(self.names)}
        return JointEstimate(total, float(low), float(high), total, total, enc.n_docs, enc.n_units, reps.sum(1), parts)

    def describe(self) -> dict[str, Any]:
        """The estimator's settings for the metrics rows' parameters."""
        return {"unit": self.unit, "vocabulary": int(self.vocab.len()), "min_units": self.min_units,
                "smoothing": self.smoothing, "folds": self.folds, "human_units": self.human.n_units,
                "machine_units": sum(m.n_units for m in self.machines),
                "machine_units_by_family": {name: m.n_units for name, m in zip(self.names, self.machines)}}

    def machine_references(self) -> dict[str, EncodedUnits]:
        """Each machine reference's encoded units, by name."""
        return dict(zip(self.names, self.machines))


def _refuse_shared(machines: Sequence[ReferenceTexts]) -> None:
    """Families must be apart: a reference that shares documents with another (a pool and one of its members, a copy
    under another name) makes the held-out means of one family hold the other's, and the system nearly singular (a
    pool with its member read 30% of one family as 0.09)."""
    texts = [set(m.texts) for m in machines]
    for i in range(len(machines)):
        for j in range(i + 1, len(machines)):
            check_apart(machines[i].name, machines[j].name, len(texts[i] & texts[j]), len(texts[i]), len(texts[j]))


def check_apart(a: str, b: str, shared: int, n_a: int, n_b: int) -> None:
    """Raise UsageError when references a and b share more than MAX_SHARED of the smaller one's documents."""
    if shared > MAX_SHARED * min(n_a, n_b):
        raise UsageError(f"machine references {a!r} and {b!r} share {shared} documents (a pool and one of its members, or one "
                         "reference twice?): a joint estimate needs families apart; name each family once, or compare them "
                         "side by side with ',' instead of '+'")


def _shared_vocabulary(references: Sequence[pl.DataFrame], min_units: int) -> pl.Series:
    """The words occurring in >= min_units units of every reference, sorted."""
    words = None
    for units in references:
        seen = occurrence_counts(units).filter(pl.col("n_units") >= min_units).select("word")
        words = seen if words is None else words.join(seen, on="word", how="inner")
    assert words is not None
    return words["word"].sort()


def _test_point(raw: np.ndarray) -> np.ndarray:
    """The raw shares, each at least ALPHA0_RANGE's low end and summing to at most its high end (so |g| stays bounded)."""
    a0 = np.maximum(raw, ALPHA0_RANGE[0])
    return a0 * min(1.0, ALPHA0_RANGE[1] / a0.sum())


def _g(t: np.ndarray, a0: np.ndarray) -> np.ndarray:
    return t / (1.0 + a0 @ t)


class _JointSums:
    """Per-document sums of the K test functions and unit counts, with (resampled) means per document and per unit: as
    estimate._DocSums, one draw of documents shared by the K functions (their means are joint); above
    NORMAL_LIMIT_DOCS documents a replicate's means are drawn from their joint normal limit."""

    def __init__(self, enc: EncodedUnits, g: np.ndarray) -> None:
        self.g = np.stack([np.bincount(enc.doc, weights=row, minlength=enc.n_docs) for row in g])  # (K, documents)
        self.n = np.bincount(enc.doc, minlength=enc.n_docs).astype(np.float64)
        if self.n.size > NORMAL_LIMIT_DOCS:
            both = np.vstack([self.g, self.n])
            self.mean, self.cov = both.mean(1), np.cov(both) / self.n.size

    def means(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """(K, 2): each function's mean per document and per unit."""
        if rng is not None and self.n.size > NORMAL_LIMIT_DOCS:
            draw = rng.multivariate_normal(self.mean, self.cov)
            return np.stack([draw[:-1], draw[:-1] / draw[-1]], axis=1)
        g, n = self.g, self.n
        if rng is not None:
            idx = rng.integers(0, n.size, n.size)
            g, n = g[:, idx], n[idx]
        total = g.sum(1)
        return np.stack([total / n.size, total / n.sum()], axis=1)


def _split(pi: np.ndarray) -> np.ndarray:
    """The total share (clipped to [0, 1]) split among the families: a family's negative solution (noise around 0: a
    family absent) is 0, and the others are scaled to the total, so the parts are shares and sum to it."""
    kept = np.maximum(pi, 0.0)
    return kept * (_unit(float(pi.sum())) / kept.sum()) if kept.sum() > 0 else kept


def _solve(target: np.ndarray, human: np.ndarray, machines: Sequence[np.ndarray]) -> np.ndarray:
    """The family shares pi solving sum_j (M_Qj - M_P) pi_j = T - M_P (least squares where the references are alike)."""
    a = np.stack([m - human for m in machines], axis=1)
    return np.linalg.lstsq(a, target - human, rcond=None)[0]


__all__ = ["JointShareEstimator", "check_apart", "JointEstimate", "family_names", "mle_shares", "mixture_loglik", "SEPARATOR", "LLR_CAP"]
