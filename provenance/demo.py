"""The demo: a fresh store from the bundled fixtures, then every analysis that is available."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import polars as pl

from provenance.config import IngestConfig
from provenance.errors import InputError
from provenance.ingest.pipeline import IngestSummary, ingest
from provenance.store import Store


def default_fixtures() -> Path:
    """Return the fixture crawl folder of a checkout (the demo runs from a clone)."""
    return Path(__file__).resolve().parent.parent / "fixtures" / "crawl"


@dataclass
class DemoResult:
    db: str
    ingest: IngestSummary
    years: pl.DataFrame
    sections: dict[str, Any] = field(default_factory=dict)


def run_demo(db: str, fixtures: Path | None = None, workers: int = 2, step: Callable[[str], None] | None = None) -> DemoResult:
    """Build a fresh store at `db` from the fixture crawls and summarize it per year."""
    folder = fixtures or default_fixtures()
    if not folder.is_dir():
        raise InputError(str(folder), "fixture folder not found; run the demo from a clone of the repository or pass --fixtures")
    for suffix in ("", ".wal"):
        Path(db + suffix).unlink(missing_ok=True)
    (step or (lambda s: None))("ingesting fixtures")
    summary = ingest([str(folder)], IngestConfig(db=db, workers=workers, block_docs=20))  # tiny fixtures: many small blocks
    with Store(db, read_only=True) as store:
        years = store.frame("SELECT year, docs, tokens, hosts, domains, languages, top_lang, crawls, errors FROM yearly_summary")
    return DemoResult(db, summary, years)
