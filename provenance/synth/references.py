"""Reference corpora of human and machine text: read, split into cross-fitting folds, store with
their word-occurrence statistics, and load back for the estimator.

Inputs: JSONL (one document per line, a `text` field or the one --field names; .jsonl or .jsonl.gz),
Parquet and CSV/TSV tables (a column of documents, rows picked by --where: synth/tables.py), plain text
(.txt: one document per file), or WARC/WET/ARC (plain or gzip) read with the ingest readers and extractors.
A store period (a year or a crawl id) can also be a reference: its documents are copied with their
doc_ids, so `provenance synth` leaves them out when it estimates that period.
"""
from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from provenance.arrow_views import registered
from provenance.errors import InputError, UsageError
from provenance.synth import tables
from provenance.synth.units import UNITS, occurrence_counts, split_units

LABELS = ("human", "machine")
DEFAULT_FOLDS = 5
ARCHIVE_RE = re.compile(r"\.(warc|wet|arc)(\.gz)?$", re.IGNORECASE)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_RECORD_BYTES = 16 << 20


@dataclass(frozen=True)
class ReferenceInfo:
    """A stored reference corpus."""

    name: str
    label: str
    n_docs: int
    n_sentences: int
    n_words: int
    vocabulary: int
    folds: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ReferenceTexts:
    """A reference's documents and the cross-fitting fold of each."""

    name: str
    label: str
    texts: list[str]
    fold: np.ndarray
    folds: int


SEPARATOR = "+"  # `synth --machine a+b`: the machine families a and b jointly (synth/joint.py); no name holds it


def family_names(machine: str) -> list[str]:
    """The machine references a `--machine` value names: 'a+b' -> ['a', 'b'], 'a' -> ['a']."""
    return [name.strip() for name in machine.split(SEPARATOR)]


def joint_name(machine: str | Sequence[str]) -> str:
    """The one name of families estimated jointly, however given (a `--machine` value or the names): in name order,
    without spaces ('b + a' -> 'a+b')."""
    return SEPARATOR.join(sorted(family_names(machine) if isinstance(machine, str) else machine))


def check_families(machine: str) -> list[str]:
    """The families a `--machine` value names; UsageError when one is named twice or a name is empty ('a+', 'a+b+a')."""
    families = family_names(machine)
    if len(families) != len(set(families)) or not all(families):
        raise UsageError(f"--machine {machine!r}: name each machine family once, joined by '+' (e.g. smollm2+gpt4)")
    return families


def check_name(name: str, label: str | None = None) -> None:
    """Raise UsageError for a bad reference name or label."""
    if not NAME_RE.fullmatch(name):
        raise UsageError(f"reference name {name!r}: use letters, digits, '_', '.', '-'")
    if label is not None and label not in LABELS:
        raise UsageError(f"--label {label!r}: expected human or machine")


def read_texts(paths: Sequence[str], field: str = "text", where: str | None = None) -> Iterator[str]:
    """Yield the documents of JSONL, Parquet, CSV/TSV, plain-text and WARC/WET/ARC files, in order; `field` names the
    tables' column of documents, `where` (DuckDB SQL over their columns) picks their rows (synth/tables.py)."""
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise InputError(path, "no such file")
        name = p.name.lower()
        if ARCHIVE_RE.search(name) or name.endswith((".txt", ".text", ".md")):
            if where is not None:
                raise UsageError(f"{path}: --where picks rows of tables (JSONL, Parquet, CSV), not of this file")
            yield from (_archive_texts(path) if ARCHIVE_RE.search(name) else [p.read_text(encoding="utf-8", errors="replace")])
        elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")) and where is None:
            yield from _jsonl_texts(path, field)
        elif tables.is_table(name):
            yield from tables.table_texts(path, field, where)
        else:
            raise InputError(path, "unknown format; expected .jsonl, .json, .parquet, .csv, .tsv, .txt, or .warc/.wet/.arc (optionally .gz)")


def _jsonl_texts(path: str, field: str = "text") -> Iterator[str]:
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(path, f"line {line_no}: not JSON ({exc.msg})") from None
            value = _field_of(row, field)
            if value is _MISSING:
                raise InputError(path, f"line {line_no}: no {field!r} field" + (" (--field names another)" if field == "text" else ""))
            yield tables.document(value, path, f"line {line_no}", field)


_MISSING = object()


def _field_of(row: Any, field: str) -> Any:
    """A JSON object's field; "meta.text" is the field text of the object meta, unless the row has a "meta.text" key."""
    if isinstance(row, dict) and field in row:
        return row[field]
    head, dot, rest = field.partition(".")
    if dot and isinstance(row, dict) and head in row:
        return _field_of(row[head], rest)
    return _MISSING


def _archive_texts(path: str) -> Iterator[str]:
    from provenance.ingest.extract import Extracted, extract
    from provenance.ingest.readers import RawRecord, iter_records

    for item in iter_records(path, MAX_RECORD_BYTES):
        if isinstance(item, RawRecord):
            got = extract(item, MAX_RECORD_BYTES)
            if isinstance(got, Extracted) and got.text.strip():
                yield got.text


def assign_folds(n_docs: int, folds: int, seed: int) -> np.ndarray:
    """Return a balanced, seeded random fold (0..folds-1) for each of n_docs documents."""
    order = np.random.default_rng(seed).permutation(n_docs)
    fold = np.empty(n_docs, np.int32)
    fold[order] = np.arange(n_docs) % folds
    return fold


def reference_stats(texts: Sequence[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """Return occurrence statistics (unit, word, n_units) for both units, and corpus totals."""
    frames, totals = [], {}
    for unit in UNITS:
        units = split_units(texts, unit)
        frames.append(occurrence_counts(units).select(pl.lit(unit).alias("unit"), "word", "n_units"))
        if unit == "sentence":
            totals["n_sentences"] = units.height
        else:
            totals["vocabulary"] = frames[-1].height
            totals["n_words"] = _count_words(texts)
    return pl.concat(frames), totals


def _count_words(texts: Sequence[str]) -> int:
    from provenance.ingest.tokenize import word_tokens

    return int(word_tokens(pl.Series(list(texts), dtype=pl.String)).list.len().sum())


def add_reference(store: Any, name: str, label: str, texts: Iterable[str], source: str,
                  doc_ids: Sequence[int] | None = None, replace: bool = False, folds: int = DEFAULT_FOLDS,
                  seed: int = 0) -> ReferenceInfo:
    """Store a reference corpus (documents, folds, occurrence statistics); return its summary.

    Raises UsageError if the name exists (unless replace), InputError if there are fewer than
    2 * folds non-empty documents.
    """
    check_name(name, label)
    store.require_writable(f"reference {name!r}")
    docs = [t for t in texts if t and t.strip()]
    if len(docs) < 2 * folds:
        raise InputError(source, f"reference {name!r} needs at least {2 * folds} non-empty documents, got {len(docs)}")
    if get_reference_or_none(store, name) is not None and not replace:
        raise UsageError(f"reference {name!r} exists; use --replace to rebuild it, or another name")
    fold = assign_folds(len(docs), folds, seed)
    stats, totals = reference_stats(docs)
    info = ReferenceInfo(name, label, len(docs), totals["n_sentences"], totals["n_words"], totals["vocabulary"], folds, source)
    _write(store, info, docs, fold, doc_ids, stats, {"seed": seed})
    return info


def _write(store: Any, info: ReferenceInfo, docs: list[str], fold: np.ndarray, doc_ids: Sequence[int] | None,
           stats: pl.DataFrame, options: dict[str, Any]) -> None:
    frame = pl.DataFrame({
        "doc_no": np.arange(len(docs), dtype=np.int64), "fold": fold,
        "doc_id": pl.Series(list(doc_ids) if doc_ids is not None else [None] * len(docs), dtype=pl.Int64),
        "text": pl.Series(docs, dtype=pl.String),
    })
    run_id = store.new_run("reference add", {**info.to_dict(), **options})
    with store.transaction() as con:
        for table in ("references", "reference_docs", "reference_stats"):
            store.query(f"synth_delete_{table}", reference=info.name)
        row = {("reference" if k == "name" else k): v for k, v in info.to_dict().items()}
        store.query("synth_insert_reference", **row, options=json.dumps(options), run_id=run_id)
        for rel, df, query in (("_synth_docs", frame, "synth_insert_reference_docs"),
                               ("_synth_stats", stats, "synth_insert_reference_stats")):
            with registered(con, **{rel: df.to_arrow()}):
                store.query(query, reference=info.name)
    store.finish_run(run_id)


def remove_reference(store: Any, name: str) -> dict[str, Any]:
    """Delete a reference corpus (its documents and statistics; the synth estimates made against it stay in metrics,
    naming it); return its name, label and n_docs. Raises UsageError naming the references when there is none."""
    row = get_reference_or_none(store, name)
    if row is None:
        known = ", ".join(list_references(store)["name"].to_list()) or "none"
        raise UsageError(f"no reference {name!r}; references: {known}")
    with store.transaction():
        for table in ("references", "reference_docs", "reference_stats"):
            store.query(f"synth_delete_{table}", reference=name)
    return {"name": row[0], "label": row[1], "n_docs": row[2]}


def add_reference_from_store(store: Any, name: str, label: str, period: str, by: str = "year",
                             lang: str | None = None, limit: int | None = None, replace: bool = False,
                             folds: int = DEFAULT_FOLDS, seed: int = 0) -> ReferenceInfo:
    """Store the documents of one or more periods ('2013,2017,2019') as a reference; `limit` keeps a
    seeded sample of that many documents."""
    from provenance.synth.estimate import period_texts

    check_name(name, label)
    store.require_writable(f"reference {name!r}")
    periods = [p.strip() for p in period.split(",") if p.strip()]
    frame = pl.concat([period_texts(store, by, p, lang, seed=seed) for p in periods])  # (--replace: its own documents again)
    if limit is not None and frame.height > limit:
        frame = frame.sample(limit, seed=seed).sort("doc_id")
    if frame.height == 0:
        raise UsageError(f"--from-store {period!r}: no documents with text in that {by}")
    source = f"store:{by}={','.join(periods)}" + (f",lang={lang}" if lang else "")
    return add_reference(store, name, label, frame["text"].to_list(), source, frame["doc_id"].to_list(),
                         replace, folds, seed)


def add_reference_from_references(store: Any, name: str, label: str, names: str, replace: bool = False,
                                  folds: int = DEFAULT_FOLDS, seed: int = 0) -> ReferenceInfo:
    """Pool stored references of one label ('gpt4,llama3,mistral': machine text of several model families) into one,
    each giving as many documents as the smallest has (a seeded sample of the larger ones): every family weighs the same
    in the pooled word distribution, however much text of each was at hand."""
    check_name(name, label)
    parts = [n.strip() for n in names.split(",") if n.strip()]
    if len(parts) < 2 or name in parts or len(set(parts)) < len(parts):
        raise UsageError(f"--from-references {names!r}: name two or more other references to pool, each once")
    for part in parts:
        checked_reference(store, part, label)
    frames = [store.query_frame("synth_reference_docs", reference=part) for part in parts]
    each = min(frame.height for frame in frames)
    rng = np.random.default_rng(seed)
    picked = pl.concat([frame[np.sort(rng.choice(frame.height, each, replace=False)).tolist()] for frame in frames])
    # a reference taken from the store keeps its doc_ids: synth leaves those documents out of their period's estimate
    return add_reference(store, name, label, picked["text"].to_list(), f"references:{','.join(parts)} ({each} documents each)",
                         picked["doc_id"].to_list(), replace, folds, seed)


def checked_reference(store: Any, name: str, label: str) -> ReferenceInfo:
    """The reference's summary; a UsageError if there is none of that name, or it has another label."""
    info = get_reference(store, name)
    if info.label != label:
        raise UsageError(f"reference {name!r} is labelled {info.label}, not {label}")
    return info


def list_references(store: Any) -> pl.DataFrame:
    """Return every stored reference with its size and source."""
    return store.query_frame("synth_references")


def get_reference(store: Any, name: str) -> ReferenceInfo:
    """Return a stored reference's summary; raise UsageError naming the known ones if absent."""
    row = store.query("synth_reference", reference=name).fetchone()
    if row is None:
        known = ", ".join(list_references(store)["name"].to_list()) or "none; add one with 'provenance reference add'"
        raise UsageError(f"no reference named {name!r}; known: {known}")
    return ReferenceInfo(*row[:8])


def load_reference(store: Any, name: str, label: str | None = None) -> ReferenceTexts:
    """Load a reference's documents and folds; check its label if one is expected."""
    info = get_reference(store, name) if label is None else checked_reference(store, name, label)
    df = store.query_frame("synth_reference_docs", reference=name)
    return ReferenceTexts(name, info.label, df["text"].to_list(), df["fold"].to_numpy().astype(np.int64), info.folds)




def generate_reference(store: Any, name: str, n: int, prompts: Sequence[str], config: Any,
                       progress: Any = None, replace: bool = False, out: str | None = None) -> ReferenceInfo:
    """Generate n machine texts with the local LLM (see synth.generate), store them as a machine reference
    and, if out is given, also write them as JSONL (text, prompt, seed, model)."""
    from provenance.synth.generate import MODEL_NAME, generate_texts

    check_name(name, "machine")
    if get_reference_or_none(store, name) is not None and not replace:
        raise UsageError(f"reference {name!r} exists; use --replace to rebuild it, or another name")
    if n < 2 * DEFAULT_FOLDS:  # (before the model loads and generates: add_reference would refuse them after)
        raise UsageError(f"--n {n}: a reference needs at least {2 * DEFAULT_FOLDS} documents")
    rows = list(generate_texts(list(prompts)[:n], config, progress))
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"text": r.text, "prompt": r.prompt, "seed": r.seed, "model": r.model}) + "\n" for r in rows)
    return add_reference(store, name, "machine", [r.text for r in rows], f"generate:{MODEL_NAME}", replace=True,
                         seed=config.seed)


def get_reference_or_none(store: Any, name: str) -> tuple | None:
    """Return a reference's row, or None."""
    return store.query("synth_reference", reference=name).fetchone()


def generation_prompts(store: Any, n: int, prompts_file: str | None, period: str | None, by: str = "year",
                       lang: str | None = None, seed: int = 0) -> list[str]:
    """Return n prompts from a file (cycled) or derived from a store period's documents."""
    from provenance.synth.generate import prompts_from_texts, read_prompts

    if (prompts_file is None) == (period is None):
        raise UsageError("give exactly one of --prompts FILE or --from-store PERIOD")
    if period is None:
        lines = read_prompts(str(prompts_file))
        return [lines[i % len(lines)] for i in range(n)]
    from provenance.synth.estimate import period_texts

    texts = period_texts(store, by, period, lang, limit=n, seed=seed)["text"].to_list()
    if not texts:
        raise UsageError(f"--from-store {period!r}: no documents with text in that {by}")
    return prompts_from_texts(texts, n)
