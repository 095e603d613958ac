"""Benchmark the retrain simulator: vocabulary 50,000, n = 1,000,000 tokens per generation,
50 generations, 100 replicates, one regime, on one core (target: under 60 s).

It also times a naive simulator in the same process, one that samples every token with
rng.choice and counts them with np.bincount, over a few generations, and scales that time to the
full run to print the speed-up. Run: python benchmarks/simulate.py [--regime replace|accumulate|both]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np

from provenance.simulate import SimulationConfig, simulate_counts
from provenance.simulate.models import decode, fit_categorical
from provenance.simulate.regimes import COLUMNS, _Scorer, stream

VOCABULARY, TOKENS, GENERATIONS, REPLICATES = 50_000, 1_000_000, 50, 100
NAIVE_GENERATIONS, NAIVE_REPLICATES = 3, 2


def zipf_counts(vocabulary: int, total: int, exponent: float = 1.1) -> np.ndarray:
    """Return Zipf-like baseline counts (every type seen at least once), most frequent first."""
    weights = 1.0 / np.arange(1, vocabulary + 1) ** exponent
    return 1 + np.floor(total * weights / weights.sum()).astype(np.int64)


def naive_seconds_per_generation(counts: np.ndarray, config: SimulationConfig) -> float:
    """Time the same generation step with per-token sampling (rng.choice + np.bincount)."""
    scorer = _Scorer(counts, config)
    out = {name: np.zeros((NAIVE_GENERATIONS + 1, NAIVE_REPLICATES)) for name in COLUMNS}
    alpha = float(config.schedule)
    started = time.perf_counter()
    for r in range(NAIVE_REPLICATES):
        rng, p = stream(config.seed, 1, r), scorer.p0
        for t in range(1, NAIVE_GENERATIONS + 1):
            mixture = (1 - alpha) * scorer.p0 + alpha * decode(p, config.temperature, config.top_p)
            tokens = rng.choice(counts.size, size=config.tokens, p=mixture / mixture.sum())
            data = np.bincount(tokens, minlength=counts.size)
            p = fit_categorical(data)
            scorer.score(out, t, r, data, p)
    return (time.perf_counter() - started) / (NAIVE_GENERATIONS * NAIVE_REPLICATES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regime", default="replace", choices=["replace", "accumulate", "both"])
    parser.add_argument("--schedule", default="0.5", help="constant synthetic share (default 0.5)")
    args = parser.parse_args()
    counts = zipf_counts(VOCABULARY, 10 * TOKENS)
    config = SimulationConfig(
        baseline="2019", schedule=args.schedule, regime=args.regime, generations=GENERATIONS,
        tokens=TOKENS, replicates=REPLICATES, seed=0,
    )
    started = time.perf_counter()
    result = simulate_counts(counts, config)
    seconds = time.perf_counter() - started
    steps = GENERATIONS * REPLICATES * len(config.regimes)
    naive = naive_seconds_per_generation(counts, config) * steps
    last = result.summary.filter(result.summary["generation"] == GENERATIONS)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"vocabulary {VOCABULARY:,}, tokens/generation {TOKENS:,}, generations {GENERATIONS}, "
          f"replicates {REPLICATES}, regime {args.regime}, alpha {args.schedule}")
    print(f"simulator: {seconds:.1f} s ({1e3 * seconds / steps:.2f} ms per generation and replicate)")
    print(f"naive (rng.choice + bincount, {NAIVE_GENERATIONS} generations x {NAIVE_REPLICATES} replicates, "
          f"scaled to {steps:,} steps): {naive:.0f} s")
    print(f"speed-up: {naive / seconds:.1f}x; under 60 s: {'yes' if seconds < 60 else 'NO'}")
    for row in last.iter_rows(named=True):
        print(f"generation {GENERATIONS} {row['regime']}: tail survival {row['tail_survival_median']:.3f}, "
              f"JSD {row['jsd_median']:.4f} bits, KL {row['kl_median']:.4f} bits")


if __name__ == "__main__":
    main()
