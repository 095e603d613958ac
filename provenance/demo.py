"""The demo: a fresh store from the bundled fixtures, every estimator, the simulator, and the HTML report."""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import polars as pl

from provenance import textfiles
from provenance.config import IngestConfig
from provenance.errors import InputError, ProvenanceError
from provenance.ingest.pipeline import IngestSummary, ingest
from provenance.report import Report, ReportConfig, build_report, compute_missing, write_report
from provenance.report.compute import periods, synth_api
from provenance.report.model import utc_now
from provenance.store import Store

Step = Callable[[str], None]


def default_fixtures() -> Path:
    """Return the fixture crawl folder of a checkout (the demo runs from a clone)."""
    return Path(__file__).resolve().parent.parent / "fixtures" / "crawl"


@dataclass
class DemoResult:
    db: str
    ingest: IngestSummary
    years: pl.DataFrame
    report: Report | None = None
    report_path: Path | None = None
    steps: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> list[str]:
        """Return the report's headline findings as sentences."""
        return [f["text"] for f in self.report.data["headline"]] if self.report else []

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (the report itself is in the written file)."""
        return {"db": self.db, "report": str(self.report_path) if self.report_path else None,
                "ingest": self.ingest.to_dict(), "steps": self.steps, "seconds": self.seconds,
                "headline": self.headline, "notes": self.notes, "years": self.years.to_dicts()}


def run_demo(db: str, fixtures: Path | None = None, workers: int = 2, step: Step | None = None,
             report_out: str | Path | None = None, clock: Callable[[], datetime] = utc_now) -> DemoResult:
    """Build a fresh store at `db` from the fixture crawls, run every analysis, write the HTML report."""
    folder = fixtures or default_fixtures()
    if not folder.is_dir():
        raise InputError(str(folder), "fixture folder not found; run the demo from a clone of the repository or pass --fixtures")
    say = step or (lambda s: None)
    for suffix in ("", ".wal"):
        Path(db + suffix).unlink(missing_ok=True)
    shutil.rmtree(textfiles.texts_dir(db), ignore_errors=True)
    t0 = time.perf_counter()
    say("ingesting fixtures")
    summary = ingest([str(folder)], IngestConfig(db=db, workers=workers, block_docs=20))  # tiny fixtures: many small blocks
    seconds = {"ingest": time.perf_counter() - t0}
    out = Path(report_out) if report_out else Path(db).with_suffix(".html")
    with Store(db) as store:
        years = store.frame("SELECT year, docs, tokens, hosts, domains, languages, top_lang, crawls, errors FROM yearly_summary")
        config = ReportConfig()
        t1 = time.perf_counter()
        notes, ran = _add_references(store, folder.parent / "machine", say, config)
        unmeasured: dict[str, str] = {}
        steps = ran + compute_missing(store, config, lambda name, i, n: say(f"running {name} ({i + 1}/{n})") if name != "done" else None,
                                unmeasured)
        seconds["estimators"] = time.perf_counter() - t1
        report = build_report(store, config, clock, unmeasured)
    path = write_report(report, "html", out)
    seconds["total"] = time.perf_counter() - t0
    notes += [f"{step} not measured: {reason}" for step, reason in unmeasured.items()]
    return DemoResult(db, summary, years, report, path, steps, {k: round(v, 2) for k, v in seconds.items()}, notes)


def _add_references(store: Store, machine_dir: Path, say: Step, config: ReportConfig) -> tuple[list[str], list[str]]:
    """Store the demo's reference corpora (the earliest year as human text; each model family's text in fixtures/machine,
    `<family>.jsonl`, as machine reference `demo-<family>`) when the synthetic-share estimator is available, and estimate
    the share against each family and, leading the report, against all jointly (`synth --machine a+b`): the report
    sets them side by side. Return notes on what was skipped, and the steps run (["synth"], or none)."""
    api = synth_api()
    if api is None:
        return ["synthetic share not measured: provenance.synth has no usable API in this installation"], []
    files = sorted(machine_dir.glob("*.jsonl")) if machine_dir.is_dir() else []
    if not files:
        return [f"synthetic share not measured: no machine-text reference in {machine_dir}"], []
    earliest = periods(store)[0]
    say("adding reference corpora")
    human, families = f"demo-human-{earliest}", [f"demo-{path.stem}" for path in files]
    try:
        api.add_reference_from_store(store, human, "human", earliest, replace=True)
        for name, path in zip(families, files):
            api.add_reference(store, name, "machine", api.read_texts([str(path)]), str(path), replace=True)
    except ProvenanceError as exc:
        return [f"synthetic share not measured: {exc}"], []
    from provenance.synth.references import joint_name

    machines = families + ([joint_name(families)] if len(families) > 1 else [])  # the joint estimate last: it leads
    for i, machine in enumerate(machines):
        say(f"running synth against {machine} ({i + 1}/{len(machines)})")
        try:
            api.estimate_synth(store, api.SynthConfig(human=human, machine=machine, seed=config.seed))
        except ProvenanceError as exc:  # (the report's own synth step says why, if none stands)
            return [f"synthetic share against {machine} not measured: {exc}"], ["synth"] if i else []
    return [], ["synth"]
