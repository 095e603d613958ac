"""How the synthetic share reads text unlike its references: machine text of a family the machine reference has not
seen (and what pooling does), and documents longer or shorter than the references'.

Synthetic corpora (provenance.synth.synthetic, not real text): one human word distribution, two machine "families"
that tilt it independently (SyntheticSource seeds 3 and 4: the worst case; real families share much of their style).
Families: three years of 600 documents: 30% of family A; 30% of family B; 7.5% of each; references of 1,500 human
documents, 800 of each family, and the two pooled (`reference add --from-references`); each year's estimate against A,
B, the pool and both jointly (`synth --machine familyA+familyB`). Lengths: references of 2-6 sentences a document;
years of 10-30 and of 1-2 sentences, at 0% and 30% machine; each year's estimate with document and with sentence
units. Real text of two families: benchmarks/synth_families.py. Prints the figures quoted in docs/metrics.md,
in temporary stores, ~2 minutes.

Run: python benchmarks/synth_mismatch.py [--bootstrap 200]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np
import polars as pl

from provenance.store import Store
from provenance.synth import references as refs
from provenance.synth.estimate import SynthConfig, estimate_synth
from provenance.synth.synthetic import SyntheticSource, synthetic_texts

A, B = SyntheticSource(vocabulary=2000, seed=3), SyntheticSource(vocabulary=2000, seed=4)
N = 600


def year_texts(share_a: float, share_b: float, seed: int) -> list[str]:
    """N documents: the first share_a of them family A's, the next share_b family B's, the rest human."""
    na, nb = round(share_a * N), round(share_b * N)
    from_a = synthetic_texts(A, N, np.arange(N) < na, seed).to_list()
    from_b = synthetic_texts(B, N, (np.arange(N) >= na) & (np.arange(N) < na + nb), seed + 1).to_list()
    return from_a[:na] + from_b[na:na + nb] + from_a[na + nb:]


def put_year(store: Store, year: int, texts: list[str], first_id: int) -> None:
    docs = pl.DataFrame({"doc_id": np.arange(first_id, first_id + len(texts), dtype=np.int64), "source_id": np.zeros(len(texts), np.int64),
                         "crawl": [f"CC-MAIN-{year}-10"] * len(texts), "fetch_time": [datetime(year, 3, 1)] * len(texts),
                         "year": np.full(len(texts), year, np.int16), "lang": ["en"] * len(texts)})
    store.con.register("_docs", docs.to_arrow())
    store.con.execute("INSERT INTO documents BY NAME SELECT * FROM _docs")
    store.con.unregister("_docs")
    store.insert_texts(pl.DataFrame({"doc_id": docs["doc_id"], "text": texts}).to_arrow())


def families(bootstrap: int) -> None:
    years = {2020: (0.3, 0.0), 2021: (0.0, 0.3), 2022: (0.075, 0.075)}
    with tempfile.TemporaryDirectory() as tmp, Store(str(Path(tmp) / "f.duckdb")) as store:
        store.con.execute("INSERT INTO sources (source_id, path, status) VALUES (0, 'generated', 'done')")
        for k, (year, (sa, sb)) in enumerate(years.items()):
            put_year(store, year, year_texts(sa, sb, 500 + 10 * k), 1 + 10_000 * k)
        refs.add_reference(store, "human", "human", synthetic_texts(A, 1500, False, 1).to_list(), "synthetic")
        refs.add_reference(store, "familyA", "machine", synthetic_texts(A, 800, True, 2).to_list(), "synthetic")
        refs.add_reference(store, "familyB", "machine", synthetic_texts(B, 800, True, 3).to_list(), "synthetic")
        refs.add_reference_from_references(store, "pooled", "machine", "familyA,familyB")
        machines = ("familyA", "familyB", "pooled", "familyA+familyB")
        print(f"{'year':6s} {'truth':>22s}  " + "  ".join(f"{'against ' + m:>22s}" for m in machines))
        rows = {m: estimate_synth(store, SynthConfig("human", m, bootstrap=bootstrap).validate()).table.to_dicts()
                for m in machines}
        for i, (year, (sa, sb)) in enumerate(years.items()):
            cells = [f"{r[i]['alpha']:.3f} [{r[i]['ci_low']:.3f}, {r[i]['ci_high']:.3f}]" for r in rows.values()]
            print(f"{year:<6d} {f'{sa + sb:.3f} (A {sa}, B {sb})':>22s}  " + "  ".join(f"{c:>22s}" for c in cells))



def lengths(bootstrap: int) -> None:
    years = {2020: ((2, 6), 0.0), 2021: ((10, 30), 0.0), 2022: ((10, 30), 0.3), 2023: ((1, 2), 0.0), 2024: ((1, 2), 0.3)}
    with tempfile.TemporaryDirectory() as tmp, Store(str(Path(tmp) / "l.duckdb")) as store:
        store.con.execute("INSERT INTO sources (source_id, path, status) VALUES (0, 'generated', 'done')")
        for k, (year, (sentences, share)) in enumerate(years.items()):
            source = replace(A, sentences_per_doc=sentences)
            put_year(store, year, synthetic_texts(source, N, np.arange(N) < round(share * N), 700 + k).to_list(), 1 + 10_000 * k)
        refs.add_reference(store, "human", "human", synthetic_texts(A, 1500, False, 1).to_list(), "synthetic")
        refs.add_reference(store, "machine", "machine", synthetic_texts(A, 800, True, 2).to_list(), "synthetic")
        rows = {unit: estimate_synth(store, SynthConfig("human", "machine", unit=unit, bootstrap=bootstrap).validate()).table.to_dicts()
                for unit in ("document", "sentence")}
        print(f"\n{'year':6s} {'sentences a document':>20s} {'truth':>6s}  " + "  ".join(f"{u + ' unit':>22s}" for u in rows))
        for i, (year, (sentences, share)) in enumerate(years.items()):
            cells = [f"{r[i]['alpha']:.3f} [{r[i]['ci_low']:.3f}, {r[i]['ci_high']:.3f}]" for r in rows.values()]
            print(f"{year:<6d} {f'{sentences[0]}-{sentences[1]}' + (' (as refs)' if sentences == (2, 6) else ''):>20s} {share:>6.3f}  "
                  + "  ".join(f"{c:>22s}" for c in cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=int, default=200)
    a = ap.parse_args()
    families(a.bootstrap)
    lengths(a.bootstrap)


if __name__ == "__main__":
    main()
