"""`provenance report`: compute what is missing, render the yearly drift report, check thresholds."""
from __future__ import annotations

from typing import Annotated, Any, Callable, List, Optional

import typer

from provenance.cli.app import DbOption, app, fail, handled


@app.command()
def report(
    out: Annotated[str, typer.Option("--out", "-o", help="File to write ('-' for stdout).")] = "report.html",
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="html, md or json (default: from --out's suffix, else html).")] = None,
    baseline: Annotated[Optional[str], typer.Option("--baseline", help="Baseline year (default: the newest drift run's, else the earliest year).")] = None,
    fail_above: Annotated[Optional[List[str]], typer.Option("--fail-above", help="METRIC=VALUE: exit 1 when a year's value is above it (repeatable).")] = None,
    fail_below: Annotated[Optional[List[str]], typer.Option("--fail-below", help="METRIC=VALUE: exit 1 when a year's value is below it, e.g. tail_survival=90% (repeatable).")] = None,
    assume_share: Annotated[float, typer.Option("--assume-share", help="Synthetic share the simulator assumes when none was measured.")] = 0.5,
    tokenizer: Annotated[str, typer.Option("--tokenizer", help="Whose token counts drift, tails and the simulator read: word, or a "
                                           "Hugging Face tokenizer the store was ingested with (its name or the path given to ingest).")] = "word",
    db: DbOption = None,
) -> None:
    """Write the yearly drift report (HTML, Markdown or JSON), computing missing estimates first."""
    from provenance.report import ReportConfig, build_report, compute_missing, parse_threshold, render
    from provenance.store import Store

    with handled():
        config = ReportConfig(baseline=baseline, assumed_share=assume_share, tokenizer=tokenizer,
                              thresholds=tuple(parse_threshold(s) for s in fail_above or ()),
                              floors=tuple(parse_threshold(s, "--fail-below") for s in fail_below or ())).validate()
        fmt = fmt or _format_from(out)
        unmeasured: dict[str, str] = {}
        with Store(db, create=False) as store, _progress() as progress:
            compute_missing(store, config, progress, unmeasured)
            result = build_report(store, config, unmeasured=unmeasured)
        text = render(result, fmt)
    _write(text, out, fmt)
    for step, reason in unmeasured.items():
        typer.echo(f"Note: {step} not measured: {reason}", err=True)
    for line in _alert_lines(result.alerts, result.data["synthetic_share"].get("machine")):
        typer.echo(f"Error: {line}", err=True)
    for latest, line in _unchecked_lines(result.unchecked):
        typer.echo(f"{'Error' if latest else 'Note'}: {line}", err=True)
    if result.failed:
        raise typer.Exit(1)


def _format_from(out: str) -> str:
    suffix = out.rsplit(".", 1)[-1].lower() if "." in out else ""
    return {"htm": "html", "html": "html", "md": "md", "markdown": "md", "json": "json"}.get(suffix, "html")


def _write(text: str, out: str, fmt: str) -> None:
    if out == "-":
        typer.echo(text, nl=False)
        return
    from pathlib import Path

    import os
    import tempfile

    path = Path(os.path.realpath(out))  # a link's target is written, and the link kept
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # whole or not at all: a dashboard polling the file never reads half of it, a failed write leaves the old one
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()  # the file's own, else a new one's
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        fail(f"{out}: cannot write the report: {exc.strerror}")
    typer.echo(f"wrote {fmt} report: {out}", err=True)


def _umask() -> int:
    """The process's umask, read where Linux shows it (setting it to read it races with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _alert_lines(alerts: list[dict[str, Any]], synth_machine: str | None = None) -> list[str]:
    """Return one line per metric: which years crossed which threshold, with their values (shares in percent, as the
    report shows them; the synthetic share with the machine reference it was measured against)."""
    from provenance.report.fmt import alert_value

    by_metric: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in alerts:
        by_metric.setdefault((a["metric"], a.get("direction", "above")), []).append(a)
    lines = []
    for (m, direction), rows in by_metric.items():
        against = f" (against machine reference {synth_machine})" if m == "synthetic_share" and synth_machine else ""
        lines.append(f"{m} {direction} {alert_value(m, rows[0]['threshold'])} in "
                     + ", ".join(f"{a['period']} ({alert_value(m, a['value'])})" for a in rows) + against)
    return lines


def _unchecked_lines(unchecked: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    """One line per metric and threshold: the years whose value was missing, so the threshold was not checked there;
    (whether the newest year is one, the line)."""
    from provenance.report.fmt import alert_value

    by_metric: dict[tuple[str, str, bool, float], list[str]] = {}
    for u in unchecked:  # the newest year's on a line of its own: the Error; earlier years' a Note
        periods = by_metric.setdefault((u["metric"], u.get("why", "no value"), u["latest"], u["threshold"]), [])
        if u["period"] not in periods:
            periods.append(u["period"])
    said = {"no value": "not measured in", "small": "not checked in the small year(s)"}
    return [(latest,
             f"{m} {said[why]} {', '.join(periods)}: its threshold {alert_value(m, threshold)} was not "
             "checked there" + (" (under 10% of the median year's documents)" if why == "small" else ""))
            for (m, why, latest, threshold), periods in sorted(by_metric.items(), key=lambda kv: kv[0][2])]


class _progress:
    """A rich progress bar on stderr for the steps compute_missing runs (silent when there are none)."""

    def __enter__(self) -> Callable[[str, int, int], None]:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self.shown = console.is_terminal  # (elsewhere, a cron job's log: the bar left an empty line there)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TimeElapsedColumn(), console=console, transient=True)
        self.task: Any = None
        return self.update

    def update(self, step: str, done: int, total: int) -> None:
        if total == 0 or not self.shown:
            return
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("computing", total=total)
        label = "done" if step == "done" else f"computing {step}"
        self.bar.update(self.task, completed=done, description=label)

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.bar.stop()


