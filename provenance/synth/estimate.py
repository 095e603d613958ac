"""Synthetic share: the corpus-level maximum-likelihood estimate of Liang et al. (ICML 2024), with a
bias correction from held-out reference folds and a bootstrap interval over documents.

Model. A unit s (a sentence, or a whole document) is a set of vocabulary words. Under the human
reference P each vocabulary word w occurs independently with probability p_w (share of the human
reference's units containing w, add-k smoothed), under the machine reference Q with q_w, so

    log Q(s)/P(s) = sum_w log((1-q_w)/(1-p_w)) + sum_{w in s} [log(q_w/p_w) - log((1-q_w)/(1-p_w))],

one bincount over the (unit, word) pairs. Liang's estimate is the alpha in [0, 1] maximizing the mean
of log((1 - alpha) + alpha r_s), r_s = Q(s)/P(s): concave, solved by safeguarded Newton on its
derivative mean(t_s / (1 + alpha t_s)), t_s = r_s - 1.

Bias. Independence across words is false and P, Q are estimated from finite samples, so that MLE is
biased (Liang et al. report about +0.02 at alpha = 0). The correction is exact in expectation: with
g(s) = t_s / (1 + alpha0 t_s) (the score at the raw estimate alpha0), a mixture with document share pi
has E[mean over documents of G_d] = (1 - pi) E_P[G] + pi E_Q[G], G_d = sum of g over d's units. E_P[G]
and E_Q[G] are measured on reference documents held out of the model that scores them (K-fold
cross-fitting: model k is fitted without fold k of both references); the target is scored with every
fold model and averaged, so all three means use the same models. Solving for pi gives

    pi = (M_P - T) / (M_P - M_Q),

the share of documents (the same with per-unit means gives the share of units). It is a ratio of
means, so the bootstrap (documents of the target and of both held-out references resampled) is exact
and cheap: a gather and a sum per replicate.
"""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from provenance.errors import EstimatorError, UsageError
from provenance.synth.references import (
    SEPARATOR,
    ReferenceTexts,
    check_families,
    checked_reference,
    family_names,
    joint_name,
    load_reference,
)
from provenance.synth.units import (
    EncodedUnits,
    check_unit,
    encode,
    occurrence_counts,
    split_units,
)

LLR_CAP = 30.0          # |log Q(s)/P(s)| is clipped here: e^30 is "certain" and keeps t finite
ALPHA0_RANGE = (0.01, 0.99)  # the test function's alpha0 stays here so |g| <= 100
NORMAL_LIMIT_DOCS = 200_000  # bootstrap the target's means from their normal limit above this
# A period whose text holds fewer words of the references' vocabulary than this has no estimate: its units
# are scored on absent words alone (emoji and punctuation pages, another language), which the models read
# as certain evidence (alpha 1 [1, 1] on ten emoji pages).
MIN_EVIDENCE_WORDS = 50
LENGTH_RATIO_NOTE = 3.0  # a period's documents this many times longer or shorter than a reference's get a note
PERIOD_KINDS = ("year", "crawl")


@dataclass(frozen=True)
class SynthConfig:
    """Options of `provenance synth`."""

    human: str
    machine: str
    by: str = "year"
    unit: str = "document"
    lang: str | None = None
    min_units: int = 2          # vocabulary: words occurring in >= min_units units of each reference
    smoothing: float = 0.5      # add-k on occurrence counts (k = 0.5: Jeffreys)
    bootstrap: int = 500
    ci_level: float = 0.95
    seed: int = 0
    max_docs: int | None = None  # per period: a seeded sample of this many documents
    calibrate: bool = True

    def __post_init__(self) -> None:
        if SEPARATOR in self.machine:  # several families: one name for them, as later lookups read it ('s + c', 'c+s': 'c+s')
            object.__setattr__(self, "machine", joint_name(self.machine))

    def validate(self) -> SynthConfig:
        """Return self; raise UsageError for values that make no sense."""
        check_unit(self.unit)
        check_families(self.machine)
        if self.by not in PERIOD_KINDS:
            raise UsageError(f"--by {self.by!r}: expected year or crawl")
        if not 0.5 < self.ci_level < 1:
            raise UsageError(f"--ci-level {self.ci_level}: expected a value in (0.5, 1)")
        if self.bootstrap < 50:
            raise UsageError(f"--bootstrap {self.bootstrap}: use at least 50 replicates")
        if self.min_units < 1 or self.smoothing <= 0:
            raise UsageError("--min-units must be >= 1 and --smoothing > 0")
        if self.max_docs is not None and self.max_docs < 1:
            raise UsageError("--max-docs must be >= 1")
        return self


# -- the maximum-likelihood estimate ------------------------------------------------------------

def mixture_loglik(llr: np.ndarray, alpha: float) -> float:
    """Return the mean of log((1 - alpha) + alpha Q(s)/P(s)) over units."""
    return float(np.mean(np.log1p(alpha * np.expm1(np.clip(llr, -LLR_CAP, LLR_CAP)))))


def mle_alpha(llr: np.ndarray, weights: np.ndarray | None = None, tol: float = 1e-12) -> float:
    """Return the alpha in [0, 1] maximizing the (weighted) mean of log((1-alpha) + alpha r)."""
    t = np.expm1(np.clip(np.asarray(llr, np.float64), -LLR_CAP, LLR_CAP))
    w = np.ones_like(t) if weights is None else np.asarray(weights, np.float64)
    return bounded_root(t, w, 1.0, tol) if t.size else 0.0


def bounded_root(t: np.ndarray, w: np.ndarray, hi: float, tol: float = 1e-12) -> float:
    """The x in [0, hi] maximizing sum w log(1 + x t) (concave): the root of its decreasing derivative sum w t / (1 + x t),
    by safeguarded Newton; 0 or hi when the derivative keeps its sign."""
    score = lambda x: float(np.dot(w, t / (1.0 + x * t)))
    if hi <= 0 or score(0.0) <= 0:
        return 0.0
    if score(hi) >= 0:
        return hi
    lo, up, x = 0.0, hi, hi / 2
    for _ in range(200):
        ratio = t / (1.0 + x * t)
        s, curvature = float(np.dot(w, ratio)), float(np.dot(w, ratio * ratio))
        lo, up = (x, up) if s > 0 else (lo, x)
        step = x + s / curvature if curvature > 0 else (lo + up) / 2
        new = step if lo < step < up else (lo + up) / 2
        if abs(new - x) < tol or up - lo < tol:
            return new
        x = new
    return x


# -- occurrence models --------------------------------------------------------------------------

@dataclass
class OccurrenceModel:
    """Per-word log-ratio weights of a unit's log Q(s)/P(s) (see the module docstring)."""

    present: np.ndarray  # float64 per vocabulary id
    absent: float        # sum over the vocabulary of log((1-q)/(1-p))

    def llr(self, units: EncodedUnits) -> np.ndarray:
        """Return log Q(s)/P(s) per unit, clipped to +-LLR_CAP."""
        return np.clip(units.unit_sums(self.present) + self.absent, -LLR_CAP, LLR_CAP)


def fit_model(human: np.ndarray, n_human: float, machine: np.ndarray, n_machine: float, k: float) -> OccurrenceModel:
    """Fit occurrence probabilities from counts of units containing each word (add-k smoothed)."""
    p = (human + k) / (n_human + 2 * k)
    q = (machine + k) / (n_machine + 2 * k)
    absent = np.log1p(-q) - np.log1p(-p)
    return OccurrenceModel(np.log(q) - np.log(p) - absent, float(absent.sum()))


def choose_vocabulary(human: pl.DataFrame, machine: pl.DataFrame, min_units: int) -> pl.Series:
    """Return the words occurring in >= min_units units of both references, sorted."""
    h = occurrence_counts(human).filter(pl.col("n_units") >= min_units)
    m = occurrence_counts(machine).filter(pl.col("n_units") >= min_units)
    return h.join(m, on="word", how="inner")["word"].sort()


def _fold_counts(enc: EncodedUnits, fold_of_doc: np.ndarray, folds: int, n_vocab: int) -> tuple[np.ndarray, np.ndarray]:
    unit_fold = fold_of_doc[enc.doc]
    entry_fold = np.repeat(unit_fold, np.diff(enc.indptr))
    counts = np.stack([np.bincount(enc.ids[entry_fold == f], minlength=n_vocab) for f in range(folds)]).astype(np.float64)
    return counts, np.bincount(unit_fold, minlength=folds).astype(np.float64)


# -- the estimator --------------------------------------------------------------------------------

@dataclass
class ShareEstimate:
    """One corpus's estimate: document share (value) with its interval, and diagnostics."""

    value: float
    ci_low: float
    ci_high: float
    unit_share: float      # share of units (sentences) rather than documents
    raw_mle: float         # Liang's uncorrected MLE (share of units) under the full-reference model
    n_docs: int
    n_units: int
    replicates: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


class ShareEstimator:
    """Two references turned into an estimator: vocabulary, cross-fitted models, held-out scores."""

    def __init__(self, human: ReferenceTexts, machine: ReferenceTexts, unit: str = "document",
                 min_units: int = 2, smoothing: float = 0.5) -> None:
        self.unit, self.folds, self.machine_name = check_unit(unit), min(human.folds, machine.folds), machine.name
        hu, mu = split_units(human.texts, unit), split_units(machine.texts, unit)
        self.vocab = choose_vocabulary(hu, mu, min_units)
        if self.vocab.len() < 10:
            raise EstimatorError(f"references {human.name!r} and {machine.name!r} share only {self.vocab.len()} "
                                 f"words seen in >= {min_units} units; add more text or lower --min-units")
        # (a reference's documents without a word are left out, as a target's are: counted as zeros in the
        # per-document means, they moved the corrected share)
        self.human, h_kept = encode(hu, self.vocab, len(human.texts)).with_units()
        self.machine, m_kept = encode(mu, self.vocab, len(machine.texts)).with_units()
        hf, mf = (human.fold % self.folds)[h_kept], (machine.fold % self.folds)[m_kept]
        hc, hn = _fold_counts(self.human, hf, self.folds, self.vocab.len())
        mc, mn = _fold_counts(self.machine, mf, self.folds, self.vocab.len())
        self.full = fit_model(hc.sum(0), hn.sum(), mc.sum(0), mn.sum(), smoothing)
        self.models = [fit_model(hc.sum(0) - hc[f], hn.sum() - hn[f], mc.sum(0) - mc[f], mn.sum() - mn[f], smoothing)
                       for f in range(self.folds)]
        self.human_heldout = self._heldout_llr(self.human, hf)
        self.machine_heldout = self._heldout_llr(self.machine, mf)
        self.smoothing, self.min_units = smoothing, min_units

    def _heldout_llr(self, enc: EncodedUnits, fold_of_doc: np.ndarray) -> np.ndarray:
        """Score each reference unit with the model fitted without its document's fold."""
        unit_fold = fold_of_doc[enc.doc]
        out = np.empty(enc.n_units)
        for f, model in enumerate(self.models):
            out[unit_fold == f] = model.llr(enc)[unit_fold == f]
        return out

    def bias_at_zero(self) -> float:
        """Return Liang's raw MLE on held-out human text (true share 0): the bias the correction removes."""
        return mle_alpha(self.human_heldout)

    def encode_texts(self, texts: Sequence[str] | pl.Series) -> EncodedUnits:
        """Split texts into units over this estimator's vocabulary; documents without units are dropped."""
        return encode(split_units(texts, self.unit), self.vocab, len(texts)).with_units()[0]

    def estimate(self, texts: Sequence[str] | pl.Series | EncodedUnits, bootstrap: int = 500, ci_level: float = 0.95,
                 seed: int = 0, calibrate: bool = True) -> ShareEstimate:
        """Estimate the machine share of a corpus; raise EstimatorError if it has no scorable text."""
        enc = texts if isinstance(texts, EncodedUnits) else self.encode_texts(texts)
        if enc.n_docs == 0 or enc.n_units == 0:
            raise EstimatorError("no document with words to score")
        raw = mle_alpha(self.full.llr(enc))
        rng = np.random.default_rng(seed)
        if not calibrate:
            return self._uncalibrated(enc, raw, bootstrap, ci_level, rng)
        alpha0 = float(np.clip(raw, *ALPHA0_RANGE))
        target = _DocSums(enc, np.mean([_g(m.llr(enc), alpha0) for m in self.models], axis=0))
        human = _DocSums(self.human, _g(self.human_heldout, alpha0))
        machine = _DocSums(self.machine, _g(self.machine_heldout, alpha0))
        doc_share, unit_share = _corrected(target.means(), human.means(), machine.means())
        reps = np.array([_corrected(target.means(rng), human.means(rng), machine.means(rng))[0] for _ in range(bootstrap)])
        low, high = _at_least_sampling(doc_share, *np.quantile(reps, [(1 - ci_level) / 2, (1 + ci_level) / 2]), enc.n_docs, ci_level)
        return ShareEstimate(_unit(doc_share), _unit(low), _unit(high), _unit(unit_share), raw, enc.n_docs, enc.n_units, reps)

    def _uncalibrated(self, enc: EncodedUnits, raw: float, bootstrap: int, ci_level: float,
                      rng: np.random.Generator) -> ShareEstimate:
        llr = self.full.llr(enc)
        reps = np.array([mle_alpha(llr, np.bincount(rng.integers(0, enc.n_docs, enc.n_docs), minlength=enc.n_docs)[enc.doc])
                         for _ in range(bootstrap)])
        low, high = _at_least_sampling(raw, *np.quantile(reps, [(1 - ci_level) / 2, (1 + ci_level) / 2]), enc.n_units, ci_level)
        return ShareEstimate(raw, float(low), float(high), raw, raw, enc.n_docs, enc.n_units, reps)

    def machine_references(self) -> dict[str, EncodedUnits]:
        """The machine reference's encoded units, by name (as JointShareEstimator's, one per family)."""
        return {self.machine_name: self.machine}

    def describe(self) -> dict[str, Any]:
        """Return the estimator's settings for the metrics rows' parameters."""
        return {"unit": self.unit, "vocabulary": int(self.vocab.len()), "min_units": self.min_units,
                "smoothing": self.smoothing, "folds": self.folds,
                "human_units": self.human.n_units, "machine_units": self.machine.n_units}


def _g(llr: np.ndarray, alpha0: float) -> np.ndarray:
    t = np.expm1(llr)
    return t / (1.0 + alpha0 * t)


class _DocSums:
    """Per-document sums of g and unit counts, with (resampled) means per document and per unit.

    Above NORMAL_LIMIT_DOCS documents a replicate's means are drawn from their joint normal limit
    (the bootstrap distribution of a mean of that many i.i.d. terms, to O(n^-1/2)) instead of
    resampling a million documents per replicate."""

    def __init__(self, enc: EncodedUnits, g: np.ndarray) -> None:
        self.g = np.bincount(enc.doc, weights=g, minlength=enc.n_docs)
        self.n = np.bincount(enc.doc, minlength=enc.n_docs).astype(np.float64)
        if self.g.size > NORMAL_LIMIT_DOCS:
            self.mean = np.array([self.g.mean(), self.n.mean()])
            self.cov = np.cov(np.stack([self.g, self.n])) / self.g.size

    def means(self, rng: np.random.Generator | None = None) -> tuple[float, float]:
        g, n = self.g, self.n
        if rng is not None and g.size > NORMAL_LIMIT_DOCS:
            mean_g, mean_n = rng.multivariate_normal(self.mean, self.cov)
            return mean_g, mean_g / mean_n
        if rng is not None:
            idx = rng.integers(0, g.size, g.size)
            g, n = g[idx], n[idx]
        total = g.sum()
        return total / g.size, total / n.sum()


def _corrected(target: tuple[float, float], human: tuple[float, float], machine: tuple[float, float]) -> tuple[float, float]:
    """Return (document share, unit share) = (M_P - T) / (M_P - M_Q) for both kinds of mean."""
    out = []
    for i in range(2):
        gap = human[i] - machine[i]
        out.append((human[i] - target[i]) / gap if gap != 0 else float("nan"))
    return out[0], out[1]


def _at_least_sampling(value: float, low: float, high: float, n: int, ci_level: float) -> tuple[float, float]:
    """The bootstrap's interval, widened to the sampling noise of n units alone where it is narrower (Wilson's): a
    share near 0 or 1 is clipped in every replicate of a small period, and 3 documents that all read as human gave
    [0, 0]. On periods of hundreds of documents the bootstrap's is the wider (it holds the references' noise too)."""
    from provenance.estimators.stats import wilson_interval

    w_low, w_high = wilson_interval(_unit(value), n, ci_level)
    return min(float(low), w_low), max(float(high), w_high)


def _unit(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


# -- the store ----------------------------------------------------------------------------------

@dataclass
class SynthResult:
    """Per-period estimates (written to metrics under run_id) and the settings behind them."""

    run_id: int | None
    table: pl.DataFrame
    parameters: dict[str, Any]
    notes: list[str]
    families: list[dict[str, tuple[float, float, float]] | None] = field(default_factory=list)  # a joint run's: per row, {family: (share, ci_low, ci_high)}

    def to_dict(self) -> dict[str, Any]:
        periods = [{**row, **_families(parts)} for row, parts in zip(self.table.to_dicts(), self.families or [None] * self.table.height)]
        return {"run_id": self.run_id, "parameters": self.parameters, "notes": self.notes, "periods": periods}


def period_texts(store: Any, by: str, period: str, lang: str | None, exclude: Sequence[str] = (),
                 limit: int | None = None, seed: int = 0) -> pl.DataFrame:
    """Return doc_id, text of a period's documents that are not in the excluded references."""
    return store.query_frame("synth_period_texts", by=by, period=period, lang=lang, exclude=list(exclude),
                             limit=limit, seed=seed)


def store_periods(store: Any, by: str, lang: str | None) -> pl.DataFrame:
    """Return the store's periods with document and text counts; raise EstimatorError without texts."""
    periods = store.query_frame("synth_periods", by=by, lang=lang)
    if periods.height == 0 and lang:
        langs = [r[0] for r in store.query("synth_languages").fetchall()]
        known = ", ".join(langs[:12]) + (f" and {len(langs) - 12} more" if len(langs) > 12 else "")
        raise EstimatorError(f"{store.path}: no documents in language {lang!r}" +
                             (f"; languages in the store, most documents first: {known} (ISO 639-1 codes)" if langs else "; run 'provenance ingest' first"))
    if periods.height == 0:
        raise EstimatorError(f"{store.path}: no documents; run 'provenance ingest' first")
    if periods["n_texts"].sum() == 0:
        raise EstimatorError(f"{store.path}: the store holds no document texts (ingested with --no-text); "
                             "re-ingest without --no-text to estimate the synthetic share")
    return periods


def estimate_synth(store: Any, config: SynthConfig) -> SynthResult:
    """Estimate the machine share of every period and write the rows to metrics (estimator 'synth')."""
    from provenance.estimators.periods import period_sort_key

    config.validate()
    store.require_writable("a synth run")
    t0 = time.perf_counter()
    periods = store_periods(store, config.by, config.lang)
    families = family_names(config.machine)
    estimator = _estimator(store, config, families)
    references = {"human": config.human, "machine": config.machine, **({"machines": families} if len(families) > 1 else {})}
    parameters = {**asdict(config), **estimator.describe(), "references": references,
                  "bias_correction": "cross-fitted moment correction on held-out reference folds" if config.calibrate else "none",
                  "raw_bias_at_zero": round(estimator.bias_at_zero(), 6),
                  # uncalibrated, the estimate is Liang's MLE: the share of units (sentences with --unit sentence)
                  "share": "documents" if config.calibrate or config.unit == "document" else "sentences"}
    rows, notes, parts = [], [], []  # (parts: a joint estimate's families, each's share and interval)
    skipped: dict[str, int] = {}  # period -> documents, of the periods without an estimate
    lengths = {config.human: median_words(estimator.human),
               **{name: median_words(enc) for name, enc in estimator.machine_references().items()}}
    for period in sorted(periods["period"].to_list(), key=period_sort_key):
        frame = period_texts(store, config.by, period, config.lang, [config.human, *families], config.max_docs, config.seed)
        if frame.height == 0:
            notes.append(f"{period}: every document is part of a reference; no estimate")
            skipped[period] = 0
            continue
        enc = estimator.encode_texts(frame["text"])
        if enc.ids.size < MIN_EVIDENCE_WORDS:
            notes.append(f"{period}: its {frame.height} document(s) hold {enc.ids.size} word(s) of the references' vocabulary "
                         f"(fewer than {MIN_EVIDENCE_WORDS}: another language, or no prose); no estimate")
            skipped[period] = frame.height
            continue
        est = estimator.estimate(enc, config.bootstrap, config.ci_level, config.seed, config.calibrate)
        notes.extend(length_notes(period, median_words(enc), lengths))
        rows.append({"period": period, "n_docs": est.n_docs, "n_units": est.n_units, "alpha": est.value,
                     "ci_low": est.ci_low, "ci_high": est.ci_high, "unit_share": est.unit_share, "raw_mle": est.raw_mle,
                     **{f"of {name}": part[0] for name, part in getattr(est, "families", {}).items()}})
        parts.append(getattr(est, "families", None))
    if not rows:  # no period has an estimate (a store of the human reference's year alone): rows without a value, so
        # the run is found (a report reuses it, and says why there is no share) rather than made again at every report
        rows = [{"period": p, "n_docs": n, "n_units": 0, "alpha": None, "ci_low": None, "ci_high": None, "unit_share": None,
                 "raw_mle": None} for p, n in skipped.items()]
        parts = [None] * len(rows)
    table = (pl.DataFrame(rows, schema_overrides={k: pl.Float64 for k in ("alpha", "ci_low", "ci_high", "unit_share", "raw_mle")})
             if rows else pl.DataFrame(schema={"period": pl.String, "alpha": pl.Float64}))
    parameters["seconds"] = round(time.perf_counter() - t0, 3)
    run_id = _record(store, table, parameters, config.lang, parts)
    return SynthResult(run_id, table, parameters, notes, parts if any(parts) else [])


def _estimator(store: Any, config: SynthConfig, families: list[str]) -> Any:
    """The estimator of config's references: a ShareEstimator, or with several machine families ('a+b') a joint one."""
    human = load_reference(store, config.human, "human")
    if len(families) == 1:
        return ShareEstimator(human, load_reference(store, config.machine, "machine"), config.unit, config.min_units, config.smoothing)
    from provenance.synth.joint import JointShareEstimator

    return JointShareEstimator(human, [load_reference(store, name, "machine") for name in families], config.unit, config.min_units,
                               config.smoothing)




def median_words(enc: EncodedUnits) -> float:
    """The median document's words of the vocabulary (each counted once per unit); 0 without documents."""
    per_doc = np.bincount(enc.doc, weights=np.diff(enc.indptr), minlength=enc.n_docs)
    return float(np.median(per_doc)) if enc.n_docs else 0.0


def length_notes(period: str, mine: float, references: dict[str, float]) -> list[str]:
    """A note per reference whose documents' median length (median_words) the period's differs from LENGTH_RATIO_NOTE
    times or more: occurrence depends on length, and the bias correction is measured on the references' documents
    (docs/metrics.md: 5x either way moved a 30% share by about 0.05)."""
    notes = []
    for name, theirs in references.items():
        if mine > 0 and theirs > 0 and max(mine / theirs, theirs / mine) >= LENGTH_RATIO_NOTE:
            how = f"{mine / theirs:.1f}x longer" if mine > theirs else f"{theirs / mine:.1f}x shorter"
            notes.append(f"{period}: its documents are {how} than reference {name!r}'s (median {mine:.0f} vs {theirs:.0f} words "
                         "of the vocabulary); the estimate can be off by a few points (docs/metrics.md)")
    return notes


class SynthRunsError(EstimatorError):
    """An estimate of estimate_synth_each failed after others were stored: they stand (`results`), and the message
    names them."""

    def __init__(self, exc: EstimatorError, machine: str, results: list[SynthResult]) -> None:
        stored = ", ".join(f"run {r.run_id} against {r.parameters['machine']}" for r in results)
        super().__init__(f"against {machine}: {exc} (stored before it: {stored})")
        self.results = results


def estimate_synth_each(store: Any, configs: Sequence[SynthConfig]) -> list[SynthResult]:
    """estimate_synth for each config (one per machine reference), once every reference is known with its label: an
    unknown or mislabelled one fails before any run is written; a machine reference twice is refused. An estimate
    that fails after others were stored raises SynthRunsError, which holds them."""
    machines = [frozenset(family_names(config.machine)) for config in configs]  # (a+b and b+a: one estimate)
    twice = sorted({config.machine for config, m in zip(configs, machines) if machines.count(m) > 1})
    if twice:
        raise UsageError(f"--machine names {', '.join(twice)} more than once: name each machine reference (or set of families) once")
    for config in configs:
        checked_reference(store, config.human, "human")
        families = family_names(config.machine)
        for name in families:
            checked_reference(store, name, "machine")
        families_apart(store, families)
    results: list[SynthResult] = []
    for config in configs:
        try:
            results.append(estimate_synth(store, config))
        except EstimatorError as exc:
            if not results:
                raise
            raise SynthRunsError(exc, config.machine, results) from None
    return results


def families_apart(store: Any, families: Sequence[str]) -> None:
    """A joint estimate's families share no documents (joint.check_apart), checked in the store before any run."""
    from provenance.synth.joint import check_apart

    for i, a in enumerate(families):
        for b in families[i + 1:]:
            check_apart(a, b, *store.query("synth_shared_documents", a=a, b=b).fetchone())


def side_by_side(results: Sequence[SynthResult]) -> pl.DataFrame:
    """Return one row per period and a column per result, "<machine reference> (run <id>)" (its estimate "alpha
    [ci_low, ci_high]", or null where it has none): the estimates of `synth --machine a,b,c` read across."""
    columns: dict[str, dict[str, str]] = {}
    for r in results:
        columns[f"{r.parameters['machine']} (run {r.run_id})"] = {
            p: f"{a:.3f} [{lo:.3f}, {hi:.3f}]" for p, a, lo, hi in r.table.select("period", "alpha", "ci_low", "ci_high").iter_rows()}
    periods = sorted({p for col in columns.values() for p in col})
    return pl.DataFrame({"period": periods, **{m: [col.get(p) for p in periods] for m, col in columns.items()}},
                        schema={"period": pl.String, **{m: pl.String for m in columns}})


def _families(parts: dict[str, tuple[float, float, float]] | None) -> dict[str, Any]:
    """A joint estimate's family parts for a row's parameters: {"families": {name: {share, ci_low, ci_high}}}."""
    if not parts:
        return {}
    return {"families": {name: dict(zip(("share", "ci_low", "ci_high"), values)) for name, values in parts.items()}}


def _record(store: Any, table: pl.DataFrame, parameters: dict[str, Any], lang: str | None, parts: Sequence[Any] = ()) -> int:
    from datetime import datetime, timezone

    run_id = store.new_run("synth", parameters)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    extra = ("n_docs", "n_units", "unit_share", "raw_mle")
    rows = pl.DataFrame({
        "run_id": [run_id] * table.height, "estimator": ["synth"] * table.height, "metric": ["alpha"] * table.height,
        "period": table["period"].to_list() if table.height else [], "lang": pl.Series([lang] * table.height, dtype=pl.String),
        "value": table["alpha"].to_list() if table.height else [],
        "ci_low": table["ci_low"].to_list() if table.height else [], "ci_high": table["ci_high"].to_list() if table.height else [],
        "parameters": [json.dumps({**parameters, **{k: r[k] for k in extra}, "ci_level": parameters["ci_level"],
                                   **_families(parts[i] if i < len(parts) else None)},
                                  sort_keys=True, default=str) for i, r in enumerate(table.to_dicts())],
        "created_at": [now] * table.height,
    }, schema={"run_id": pl.Int64, "estimator": pl.String, "metric": pl.String, "period": pl.String, "lang": pl.String,
               "value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "parameters": pl.String,
               "created_at": pl.Datetime("us")})
    with store.transaction():
        store.insert_metrics(rows.to_arrow())
    store.finish_run(run_id)
    return run_id
