"""`provenance attach`: query Parquet shards written by `ingest --output` through the store."""
from __future__ import annotations

from typing import Annotated

import typer

from provenance.cli.app import DbOption, JsonOption, app, handled, print_json
from provenance.store import default_db_path


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
                    "documents": result.documents, "tables": list(result.tables)})
        return
    typer.echo(f"attached {result.path}: {result.files} file(s), {result.documents} documents, "
               f"{result.failed} failed file(s) -> {db or default_db_path()}")
