"""`provenance demo`: the main job on the bundled fixtures."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from provenance.cli.app import JsonOption, app, handled, print_json, print_table


@app.command()
def demo(
    db: Annotated[str, typer.Option("--db", help="Store to (re)create.")] = "provenance-demo.duckdb",
    fixtures: Annotated[Optional[Path], typer.Option(help="Folder of archives [default: fixtures/crawl of the checkout].")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    json_out: JsonOption = False,
) -> None:
    """Build a fresh store from the bundled fixtures and print what changed across the years."""
    from provenance.demo import run_demo

    with handled():
        result = run_demo(db, fixtures, workers)
    if json_out:
        print_json({"db": result.db, "ingest": result.ingest.to_dict(), "years": result.years.to_dicts()})
        return
    s = result.ingest
    typer.echo(f"ingested {s.ingested} files, {s.documents} documents in {s.seconds:.1f} s into {result.db}")
    print_table(result.years, title="per year")
    typer.echo(f"query it: provenance sql \"SELECT * FROM yearly_summary\" --db {result.db}")
