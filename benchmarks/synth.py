"""Benchmark the synthetic-share estimator: 1,000,000 documents generated at run time (synthetic
pseudo-word text, a known machine share), estimated against 20,000-document human and machine
references, with a 500-replicate bootstrap. Target: estimation (splitting, tokenizing, scoring with
six models, bootstrap) under 60 s on 2 cores.

With --families 2, half of the machine documents are of a second family, and the joint estimator
(`synth --machine a+b`) runs after the one-family one on the same text: its time and the ratio.

Run: python benchmarks/synth.py [--docs 1000000] [--alpha 0.1] [--bootstrap 500] [--families 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np
import polars as pl

from provenance.synth.estimate import ShareEstimator
from provenance.synth.references import ReferenceTexts, assign_folds
from provenance.synth.synthetic import SyntheticSource, synthetic_texts


def timed(make, texts, bootstrap: int):
    """(estimator, estimate, encoded texts, (seconds to fit the references, to encode the texts, to estimate))."""
    t = time.perf_counter()
    estimator = make()
    fitted = time.perf_counter() - t
    t = time.perf_counter()
    enc = estimator.encode_texts(texts)
    encoded = time.perf_counter() - t
    t = time.perf_counter()
    est = estimator.estimate(enc, bootstrap=bootstrap, seed=0)
    return estimator, est, enc, (fitted, encoded, time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--reference-docs", type=int, default=20_000)
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--unit", default="document")
    ap.add_argument("--families", type=int, default=1, help="machine families (2: half of the machine documents of a second "
                    "family, estimated jointly, provenance/synth/joint.py, after the one-family estimator on the same text)")
    args = ap.parse_args()
    source = SyntheticSource(vocabulary=5000, words_per_sentence=10, sentences_per_doc=(1, 5), seed=1)

    t = time.perf_counter()
    flags = np.zeros(args.docs, bool)
    flags[: round(args.alpha * args.docs)] = True
    texts = synthetic_texts(source, args.docs, flags, seed=3)
    n_ref = args.reference_docs
    human = ReferenceTexts("h", "human", synthetic_texts(source, n_ref, False, 1).to_list(), assign_folds(n_ref, 5, 0), 5)
    machine = ReferenceTexts("m", "machine", synthetic_texts(source, n_ref, True, 2).to_list(), assign_folds(n_ref, 5, 1), 5)
    if args.families == 2:  # the second half of the machine documents of another family
        other = SyntheticSource(vocabulary=5000, words_per_sentence=10, sentences_per_doc=(1, 5), seed=5)
        half = round(args.alpha * args.docs / 2)
        texts = pl.concat([texts[:half], synthetic_texts(other, 2 * half, True, 4)[half:], texts[2 * half:]])
        second = ReferenceTexts("m2", "machine", synthetic_texts(other, n_ref, True, 6).to_list(), assign_folds(n_ref, 5, 2), 5)
    generated = time.perf_counter() - t
    words = int(texts.str.count_matches(r"\S+").sum())

    estimator, est, enc, (fitted, encoded, scored) = timed(lambda: ShareEstimator(human, machine, args.unit), texts, args.bootstrap)

    total = fitted + encoded + scored
    print(f"python {platform.python_version()}, polars {pl.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus; polars threads {pl.thread_pool_size()}")
    print(f"generated {args.docs:,} documents ({words:,} words) + 2 x {n_ref:,} reference documents in {generated:.1f} s (not timed)")
    print(f"references -> vocabulary {estimator.vocab.len():,}, 6 models: {fitted:.1f} s")
    print(f"split + tokenize + encode {args.docs:,} documents ({enc.n_units:,} {args.unit}s): {encoded:.1f} s")
    print(f"score (6 models) + MLE + correction + {args.bootstrap} bootstrap replicates: {scored:.1f} s")
    print(f"total estimation: {total:.1f} s (target < 60 s) -> {'PASS' if total < 60 else 'FAIL'}")
    print(f"true share {flags.mean():.4f}; estimate {est.value:.4f} [{est.ci_low:.4f}, {est.ci_high:.4f}]; raw MLE {est.raw_mle:.4f}")
    if args.families == 2:
        from provenance.synth.joint import JointShareEstimator

        _, est2, _, (fitted2, encoded2, scored2) = timed(lambda: JointShareEstimator(human, [machine, second], args.unit), texts,
                                                          args.bootstrap)
        total2 = fitted2 + encoded2 + scored2
        print(f"\njointly against both families ({args.alpha / 2:.3f} of each): references {fitted2:.1f} s, encode {encoded2:.1f} s, "
              f"score + raw estimate + correction + bootstrap {scored2:.1f} s; total {total2:.1f} s = {total2 / total:.2f}x the "
              f"one-family estimator above (target < 60 s) -> {'PASS' if total2 < 60 else 'FAIL'}")
        parts = ", ".join(f"{name} {p[0]:.4f}" for name, p in est2.families.items())
        print(f"true share {flags.mean():.4f}; joint estimate {est2.value:.4f} [{est2.ci_low:.4f}, {est2.ci_high:.4f}] ({parts}); "
              f"the one-family estimate above sees the first family only")


if __name__ == "__main__":
    main()
