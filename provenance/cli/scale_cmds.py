"""`provenance attach` and `compact`: query Parquet shards written by `ingest --output` through the store, and merge their parts."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from provenance.cli.app import DbOption, JsonOption, app, handled, print_json
from provenance.config import default_db_path

COMPACT_HINT_FILES = 1000  # published parts (or ledger entry files) past which attach suggests compact (~0.2 s a query)


@app.command()
def attach(
    directory: Annotated[str, typer.Argument(help="Shard directory written by 'provenance ingest --output' (a folder or s3:// URL).")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Make Parquet shards queryable: the store's core tables become views over DIR (rerun to refresh)."""
    from provenance.scale import attach as run_attach

    with handled():
        result = run_attach(db or default_db_path(), directory)
    if json_out:
        print_json({"path": result.path, "files": result.files, "failed": result.failed,
                    "documents": result.documents, "tables": list(result.tables), "parts": result.parts, "entries": result.entries})
        return
    typer.echo(f"attached {result.path}: {result.files} file(s), {result.documents} documents, "
               f"{result.failed} failed file(s) -> {db or default_db_path()}")
    many = [f"{n:,} {what}" for n, what in ((result.parts, "Parquet parts"), (result.entries, "ledger entry files")) if n >= COMPACT_HINT_FILES]
    if many:
        typer.echo(f"Note: {' and '.join(many)}, and a query opens each one it reads (~0.2 ms a file): "
                   f"'provenance compact {directory}' merges them", err=True)


@app.command()
def compact(
    directory: Annotated[str, typer.Argument(help="Shard directory written by 'provenance ingest --output' (a folder or s3:// URL).")],
    target_mb: Annotated[int, typer.Option("--target-mb", min=1, help="Parts merged into one file, in MiB.")] = 256,
    json_out: JsonOption = False,
) -> None:
    """Merge a shard folder's parts into a few large files, and fold its ledger into one (a query opens every file it
    reads: ~0.2 ms each)."""
    from provenance.scale.compact import compact as run_compact

    with handled():
        result = run_compact(directory, target_mb << 20)
    for note in result.notes:
        typer.echo(f"left as they are: {note}", err=True)
    if json_out:
        print_json(asdict(result))
    else:
        again = f" (with {result.merged:,} compacted before)" if result.merged else ""
        finished = (f"; finished an interrupted compaction ({result.finished:,} files deleted, {result.removed:,} unfinished removed)"
                    if result.finished or result.removed else "")
        merged = (f"{result.parts:,} parts into {result.files:,} files{again}, {result.bytes_before / 1e6:,.1f} MB -> "
                  f"{result.bytes_after / 1e6:,.1f} MB" if result.parts or result.merged else "nothing to merge")
        folded = (f"; ledger: {result.ledger.entries + result.ledger.removed:,} entries folded ({result.ledger.rows:,} in all)"
                  if result.ledger.entries or result.ledger.removed else "")
        typer.echo(f"compacted {result.path}: {merged}{folded} in {result.seconds:.1f} s{finished}")
    if result.ledger.note:
        typer.echo(f"Note: ledger not folded: {result.ledger.note}", err=True)
    if result.notes:
        raise typer.Exit(1)
