"""`provenance demo`: the main job on the bundled fixtures."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from provenance.cli.app import JsonOption, app, handled, print_json, print_table


@app.command()
def demo(
    db: Annotated[str, typer.Option("--db", help="Store to (re)create.")] = "provenance-demo.duckdb",
    fixtures: Annotated[Optional[Path], typer.Option(help="Folder of archives (default: fixtures/crawl of the checkout).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="HTML report to write (default: the store's name with .html).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    json_out: JsonOption = False,
) -> None:
    """Build a fresh store from the bundled fixtures, run every analysis, and write the HTML report."""
    from provenance.demo import run_demo
    from provenance.report.fmt import number
    from provenance.report.model import family_split
    from provenance.report.tables import YEAR_COLUMNS, period_label, year_cells

    with handled():
        result = run_demo(db, fixtures, workers, None if json_out else lambda s: typer.echo(f"... {s}", err=True), out)
    if json_out:
        print_json(result.to_dict())
        return
    s, data = result.ingest, result.report.data
    typer.echo(f"ingested {s.ingested} files, {s.documents} documents in {result.seconds['ingest']:.1f} s into {result.db}; "
               f"ran {', '.join(result.steps) or 'nothing new'}; total {result.seconds['total']:.1f} s")
    typer.echo("\nWhat changed most:")
    for line in result.headline:
        typer.echo(f"  - {line}")
    import polars as pl

    rows = [[period_label(y)] + [t for _, t in year_cells(y, data["synthetic_share"])] for y in data["years"]]
    table = pl.DataFrame(rows, schema=["year"] + [h for _, h in YEAR_COLUMNS], orient="row")
    print_table(table, title="per year (95% intervals in brackets)")
    share = data["synthetic_share"]
    if share["status"] == "measured":  # what the share counts: its references, and a joint estimate's split
        latest, parts = family_split(data)
        split = (f", the {len(parts)} families jointly; in {latest}: "
                 + ", ".join(f"{name} {number(p.get('share'), 'percent')}" for name, p in parts.items())) if latest else ""
        typer.echo(f"synthetic share {share['message']}{split}")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"report: {result.report_path.resolve()}")
    typer.echo(f"query it: provenance sql \"SELECT * FROM yearly_summary\" --db {result.db}")
