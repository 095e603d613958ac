"""Benchmark the synthetic-share estimator: 1,000,000 documents generated at run time (synthetic
pseudo-word text, a known machine share), estimated against 20,000-document human and machine
references, with a 500-replicate bootstrap. Target: estimation (splitting, tokenizing, scoring with
six models, bootstrap) under 60 s on 2 cores.

Run: python benchmarks/synth.py [--docs 1000000] [--alpha 0.1] [--bootstrap 500]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--reference-docs", type=int, default=20_000)
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--unit", default="document")
    args = ap.parse_args()
    source = SyntheticSource(vocabulary=5000, words_per_sentence=10, sentences_per_doc=(1, 5), seed=1)

    t = time.perf_counter()
    flags = np.zeros(args.docs, bool)
    flags[: round(args.alpha * args.docs)] = True
    texts = synthetic_texts(source, args.docs, flags, seed=3)
    n_ref = args.reference_docs
    human = ReferenceTexts("h", "human", synthetic_texts(source, n_ref, False, 1).to_list(), assign_folds(n_ref, 5, 0), 5)
    machine = ReferenceTexts("m", "machine", synthetic_texts(source, n_ref, True, 2).to_list(), assign_folds(n_ref, 5, 1), 5)
    generated = time.perf_counter() - t
    words = int(texts.str.count_matches(r"\S+").sum())

    t = time.perf_counter()
    estimator = ShareEstimator(human, machine, args.unit)
    fitted = time.perf_counter() - t
    t = time.perf_counter()
    enc = estimator.encode_texts(texts)
    encoded = time.perf_counter() - t
    t = time.perf_counter()
    est = estimator.estimate(enc, bootstrap=args.bootstrap, seed=0)
    scored = time.perf_counter() - t

    total = fitted + encoded + scored
    print(f"python {platform.python_version()}, polars {pl.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus; polars threads {pl.thread_pool_size()}")
    print(f"generated {args.docs:,} documents ({words:,} words) + 2 x {n_ref:,} reference documents in {generated:.1f} s (not timed)")
    print(f"references -> vocabulary {estimator.vocab.len():,}, 6 models: {fitted:.1f} s")
    print(f"split + tokenize + encode {args.docs:,} documents ({enc.n_units:,} {args.unit}s): {encoded:.1f} s")
    print(f"score (6 models) + MLE + correction + {args.bootstrap} bootstrap replicates: {scored:.1f} s")
    print(f"total estimation: {total:.1f} s (target < 60 s) -> {'PASS' if total < 60 else 'FAIL'}")
    print(f"true share {flags.mean():.4f}; estimate {est.value:.4f} [{est.ci_low:.4f}, {est.ci_high:.4f}]; raw MLE {est.raw_mle:.4f}")


if __name__ == "__main__":
    main()
