"""Per-document CPU cost of the ingest kernels, each next to what it replaces, in one process.

  * tokenize (provenance._kernels.tokenize: word tokens, xxh3, dictionary encoding) against the same
    kernel built from an earlier revision of kernels.c (--baseline-rev, default: the last revision
    before the ASCII fast path; built in a temporary folder, the tree is not touched), on the same
    NFKC-normalized texts;
  * token-block counting (features.count_blocks: counts per (group, token)) against its numpy
    reference path (native=False), on the tokenize output.

Input: --docs English-like texts of ~4,000 characters (650 Zipf-distributed words of a 50,000-word
vocabulary, as benchmarks/ingest.py generates) and --other-docs texts of ~4,000 characters in each of
four other scripts (accented Latin, Cyrillic, Chinese, Thai; Zipf draws from 20,000 words each), in
batches of 1,000 as the ingest worker takes them. Counting uses two groups per batch (blocks of 500
documents: the default) and a mixed-language case with ten.

Each figure is CPU time of this thread (the machine may be shared: wall time would count other
processes' turns), per batch the fastest of --repeat rounds, the implementations alternating within
a round (the machine's speed drifts between minutes). Part of the cost is page faults on each
batch's fresh buffers (megabytes), which depends on the C allocator's state (glibc moves its mmap
threshold with the sizes freed): the two tokenizers share one process, hence one state, and the
absolute figures vary between processes by up to a third; compare the columns of one run.
Usage: python benchmarks/kernels.py [--docs 2500] [--other-docs 250] [--repeat 9] [--baseline-rev d8f2003] [--only tokenize|count]
"""
from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from hatch_build import SOURCE, compile_kernels  # noqa: E402
from provenance.ingest.features import count_blocks  # noqa: E402
from provenance.ingest.tokenize import _kernels, normalize_texts  # noqa: E402
from provenance.ingest.wordclass import class_table  # noqa: E402

BATCH = 1000
BLOCK_DOCS = 500
SCRIPTS = {  # consonants, vowels (or marks), word separator
    "accented Latin": ("bcdfglmnprstv\u00e9\u00e8\u00e0\u00e7\u00f4\u00fc", "aeiou", " "),  # ASCII runs with non-ASCII inside
    "Cyrillic": ("\u0431\u0432\u0433\u0434\u0436\u0437\u043a\u043b\u043c\u043d\u043f\u0440\u0441\u0442", "\u0430\u0435\u0438\u043e\u0443", " "),
    "Chinese": ("".join(chr(c) for c in range(0x4E00, 0x4E00 + 6000, 3)), "", "\u3002"),  # a token per character
    "Thai": ("\u0e01\u0e02\u0e04\u0e07\u0e08\u0e0a\u0e14\u0e15\u0e17\u0e19\u0e1a\u0e1b", "\u0e31\u0e34\u0e35\u0e38", " "),  # with marks
}


def zipf_cum(n: int) -> list[float]:
    return np.cumsum(1.0 / np.arange(1, n + 1)).tolist()


def english_texts(rng: random.Random, n: int) -> list[str]:
    vocab = [f"{rng.choice('bcdfghklmnprstvw')}{rng.choice('aeiou')}{rng.choice('bcdfghklmnprstvw')}{i:x}" for i in range(50_000)]
    cum = zipf_cum(len(vocab))
    texts = []
    for _ in range(n):
        words = rng.choices(vocab, cum_weights=cum, k=650)
        texts.append("\n".join(" ".join(words[k : k + 13]).capitalize() + "." for k in range(0, 650, 13)))
    return texts


def script_texts(rng: random.Random, script: str, n: int) -> list[str]:
    """n texts of 4,000 characters: Zipf draws from 20,000 words of 1-4 syllables of the script."""
    consonants, vowels, sep = SCRIPTS[script]
    vocab = ["".join(rng.choice(consonants) + (rng.choice(vowels) if vowels else "") for _ in range(rng.randrange(1, 5)))
             for _ in range(20_000)]
    cum = zipf_cum(len(vocab))
    texts = []
    for _ in range(n):
        text = ""
        while len(text) < 4000:
            text += sep.join(rng.choices(vocab, cum_weights=cum, k=200)) + sep
        texts.append(text[:4000])
    return texts


def baseline_kernels(rev: str) -> Any:
    """The kernels module built from kernels.c at git revision rev (None if it cannot be built)."""
    folder = Path(tempfile.mkdtemp(prefix="kernels-baseline-"))
    try:
        (folder / SOURCE.parent).mkdir(parents=True)
        for name in ("kernels.c", "xxhash.h"):
            path = SOURCE.parent / name
            blob = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True).stdout
            (folder / path).write_bytes(blob)
        built = compile_kernels(folder)
        if built is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader("baseline._kernels", str(built))
        module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("baseline._kernels", built, loader=loader))
        loader.exec_module(module)
        return module  # loaded: the file can go
    except subprocess.CalledProcessError as exc:
        print(f"no baseline: {exc.stderr.decode().strip()}")
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def batches(texts: list[str]) -> list[list[str]]:
    return [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]


def fastest(runs: dict[str, Callable[[int], Any]], n_batches: int, repeat: int) -> dict[str, float]:
    """CPU seconds of this thread per implementation: per batch the fastest of `repeat` rounds, summed.

    runs[name](b) runs batch b; within a round the implementations alternate, batch by batch."""
    best = {name: [float("inf")] * n_batches for name in runs}
    for _ in range(repeat):
        for b in range(n_batches):
            for name, run in runs.items():
                t0 = time.thread_time()
                run(b)
                best[name][b] = min(best[name][b], time.thread_time() - t0)
    return {name: sum(seconds) for name, seconds in best.items()}


def report(title: str, best: dict[str, float], docs: int) -> None:
    cells = "   ".join(f"{name} {seconds / docs * 1e6:7.2f} us/doc" for name, seconds in best.items())
    names = list(best)
    ratio = f"   ({best[names[0]] / best[names[-1]]:.2f}x as fast)" if len(names) > 1 else ""
    print(f"{title:38s} {cells}{ratio}")


def count_batch(tokenized: tuple, of_doc: np.ndarray, native: bool) -> None:
    _, index, lengths, vocab_hashes = tokenized[:4]
    count_blocks(of_doc, np.frombuffer(index, np.int32), np.frombuffer(vocab_hashes, np.uint64), np.frombuffer(lengths, np.int64),
                 int(of_doc.max()) + 1, native=native)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2500, help="English-like texts")
    ap.add_argument("--other-docs", type=int, default=250, help="texts of each other script")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--only", choices=("tokenize", "count"), help="run one of the two measurements")
    ap.add_argument("--baseline-rev", default="d8f2003", help="git revision of kernels.c to compare tokenize with ('' = none)")
    a = ap.parse_args()
    current = _kernels()
    if current is None:
        sys.exit("provenance._kernels is not built: python hatch_build.py")
    baseline = baseline_kernels(a.baseline_rev) if a.baseline_rev and a.only != "count" else None
    rng = random.Random(7)
    table = class_table()
    corpora = {"English": english_texts(rng, a.docs), **{script: script_texts(rng, script, a.other_docs) for script in SCRIPTS}}
    corpora = {kind: batches(normalize_texts(texts)) for kind, texts in corpora.items()}
    print(f"{a.docs} English-like texts, {a.other_docs} of each other script; CPU time per document, fastest of {a.repeat}\n")
    if a.only != "count":
        for kind, batched in corpora.items():
            runs = {"new": lambda b, batched=batched: current.tokenize(batched[b], table)}
            if baseline is not None:
                runs = {a.baseline_rev: lambda b, batched=batched: baseline.tokenize(batched[b], table), **runs}
            report(f"tokenize, {kind}", fastest(runs, len(batched), a.repeat), sum(map(len, batched)))
    if a.only != "tokenize":
        other = batches([t for kind, batched in corpora.items() if kind != "English" for b in batched for t in b])
        for kind, batched in (("English", corpora["English"]), ("other scripts", other)):
            tokenized = [current.tokenize(b, table) for b in batched]
            for label, k in (("2 groups", 1), ("10 groups", 5)):  # blocks of 500 x k languages
                groups = [np.arange(len(b), dtype=np.int64) // BLOCK_DOCS * k + np.arange(len(b)) % k for b in batched]
                runs = {name: lambda b, native=native, tokenized=tokenized, groups=groups: count_batch(tokenized[b], groups[b], native)
                        for name, native in (("numpy", False), ("kernel", True))}
                report(f"count blocks, {kind}, {label}", fastest(runs, len(batched), a.repeat), sum(map(len, batched)))


if __name__ == "__main__":
    main()
