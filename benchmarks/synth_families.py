"""The synthetic share on real LLM text of two model families: each read against a machine reference of its own
family, of the other, and of both pooled.

Machine text: fixtures/machine/smollm2.jsonl (SmolLM2-135M-Instruct, the packaged local model) and
fixtures/machine/claude.jsonl (Claude, a large model of another maker, answering the same prompts: see
fixtures/machine/README.md). Human text: the fixture crawl's Python-documentation pages (fixtures/truth.json, origin
python3-doc). The human reference is the crawl's pre-LLM years 2013, 2017 and 2019 (as a user would take it); the
target periods are built of the later years' human pages (2021-2025: other pages, and a topic mix that drifts by
construction) with machine texts mixed in at known shares. Each family's texts are split in two by line number:
SmolLM2's odd lines are its reference (as in tests/synth/test_fixture_truth.py) and even lines go into periods;
Claude's odd lines are its reference and even lines go into periods. `pooled` is both references, as many
documents of each (`reference add --from-references`).

Prints, for each period, the true shares and the estimate (document unit, calibrated: synth's defaults) against each
machine reference and against both families jointly (`synth --machine smollm2+claude`: provenance/synth/joint.py),
then the joint estimate's family parts, in a temporary store, ~10 seconds. The figures are quoted in docs/metrics.md.

Run: python benchmarks/synth_families.py [--bootstrap 500] [--unit document|sentence] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

import numpy as np
import polars as pl

import provenance
from provenance.config import IngestConfig
from provenance.store import Store
from provenance.synth import references as refs
from provenance.synth.estimate import SynthConfig, estimate_synth

FIXTURES = ROOT / "fixtures"
HUMAN_REFERENCE_YEARS = "2013,2017,2019"
TARGET_YEARS = (2021, 2023, 2025)
# period -> (human documents, Claude documents, SmolLM2 documents)
PERIODS = {
    2101: (200, 0, 0),
    2102: (170, 30, 0),
    2103: (140, 60, 0),
    2104: (170, 0, 30),
    2105: (140, 0, 60),
    2106: (140, 30, 30),
}
SOURCE_ID = 1 << 20  # the periods' documents' source (no ingested file)
FIRST_DOC_ID = SOURCE_ID << 32  # (a doc_id is its source_id << 32 | its ordinal)


def machine_texts(name: str) -> tuple[list[str], list[str]]:
    """(reference texts, texts to mix into periods) of fixtures/machine/<name>.jsonl: odd and even lines, each its topic
    and text as the fixture crawl's pages hold them."""
    rows = [json.loads(line) for line in (FIXTURES / "machine" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [f"{r['topic']}\n{r['text']}" for r in rows]
    return texts[1::2], texts[0::2]


def human_pool(store: Store) -> list[str]:
    """The texts of the target years' documents that the fixtures' truth says are human (Python documentation)."""
    truth = json.loads((FIXTURES / "truth.json").read_text())
    human = {(d["year"], d["url"]) for d in truth["documents"] if d["origin"] == "python3-doc" and d["year"] in TARGET_YEARS}
    frame = store.frame("SELECT d.year, d.url, t.text FROM documents d JOIN texts t USING (doc_id) WHERE d.year IN "
                        f"({', '.join(map(str, TARGET_YEARS))}) ORDER BY d.doc_id")
    return [text for year, url, text in frame.iter_rows() if (year, url) in human]


def put_periods(store: Store, human: list[str], claude: list[str], smol: list[str], seed: int) -> dict[int, tuple[float, float]]:
    """Insert the periods' documents; return each period's true (Claude, SmolLM2) shares of documents."""
    rng = np.random.default_rng(seed)
    store.con.execute(f"INSERT INTO sources (source_id, path, status) VALUES ({SOURCE_ID}, 'benchmarks/synth_families.py', 'done')")
    truth, used_c, used_s, doc_id = {}, 0, 0, FIRST_DOC_ID
    for year, (nh, nc, ns) in PERIODS.items():
        picked = [human[i] for i in rng.choice(len(human), nh, replace=False)]  # (each period its own draw)
        texts = picked + claude[used_c:used_c + nc] + smol[used_s:used_s + ns]
        if len(texts) != nh + nc + ns:
            raise SystemExit(f"not enough machine texts for period {year}")
        used_c, used_s = used_c + nc, used_s + ns
        ids = np.arange(doc_id, doc_id + len(texts), dtype=np.int64)
        doc_id += len(texts)
        docs = pl.DataFrame({"doc_id": ids, "source_id": np.full(len(texts), SOURCE_ID, np.int64),
                             "crawl": [f"period-{year}"] * len(texts), "fetch_time": [datetime(2030, 1, 1)] * len(texts),
                             "year": np.full(len(texts), year, np.int16), "lang": ["en"] * len(texts)})
        store.con.register("_docs", docs.to_arrow())
        store.con.execute("INSERT INTO documents BY NAME SELECT * FROM _docs")
        store.con.unregister("_docs")
        store.insert_texts(pl.DataFrame({"doc_id": ids, "text": texts}).to_arrow())
        truth[year] = (nc / len(texts), ns / len(texts))
    return truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--unit", default="document", choices=("document", "sentence"))
    ap.add_argument("--seed", type=int, default=0, help="of the periods' draws of human pages")
    a = ap.parse_args()
    claude_ref, claude_mix = machine_texts("claude")
    smol_ref, smol_mix = machine_texts("smollm2")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "families.duckdb")
        provenance.ingest([str(FIXTURES / "crawl")], IngestConfig(db=db, workers=1))
        with Store(db) as store:
            human = human_pool(store)
            truth = put_periods(store, human, claude_mix, smol_mix, a.seed)
            refs.add_reference_from_store(store, "human", "human", HUMAN_REFERENCE_YEARS)
            refs.add_reference(store, "smollm2", "machine", smol_ref, "fixtures/machine/smollm2.jsonl (odd lines)")
            refs.add_reference(store, "claude", "machine", claude_ref, "fixtures/machine/claude.jsonl (odd lines)")
            refs.add_reference_from_references(store, "pooled", "machine", "smollm2,claude")
            machines = ("smollm2", "claude", "pooled", "smollm2+claude")
            rows = {m: {r["period"]: r for r in estimate_synth(store, SynthConfig("human", m, unit=a.unit, bootstrap=a.bootstrap,
                                                                                   seed=a.seed).validate()).table.to_dicts()}
                    for m in machines}
        print(f"human pages: {len(human)} (of {', '.join(map(str, TARGET_YEARS))}); references: human {HUMAN_REFERENCE_YEARS}, "
              f"smollm2 {len(smol_ref)}, claude {len(claude_ref)} documents; unit {a.unit}; {a.bootstrap} bootstrap replicates")
        print(f"{'period':7s} {'truth':>34s}  " + "  ".join(f"{'against ' + m:>22s}" for m in machines))
        for year, (c, s) in truth.items():
            cells = [f"{r['alpha']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]" for r in (rows[m][str(year)] for m in machines)]
            print(f"{year:<7d} {f'{c + s:.3f} (Claude {c:.2f}, SmolLM2 {s:.2f})':>34s}  " + "  ".join(f"{x:>22s}" for x in cells))
        print("\nthe joint estimate's parts (each family's share of documents; truth in brackets)")
        for year, (c, s) in truth.items():
            row = rows["smollm2+claude"][str(year)]
            print(f"{year:<7d} claude {row['of claude']:.3f} ({c:.2f})   smollm2 {row['of smollm2']:.3f} ({s:.2f})")


if __name__ == "__main__":
    main()
