"""`provenance sql`, `info`, `check`: query and inspect the store."""
from __future__ import annotations

import os
from typing import Annotated, List

import typer

from provenance.cli.app import TABLE_MAX_ROWS, DbOption, JsonOption, app, fail, handled, print_json, print_table
from provenance.config import default_db_path


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SQL statement, e.g. \"SELECT * FROM yearly_summary\".")],
    db: DbOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table | csv | json | parquet (parquet needs --out).")] = "table",
    out: Annotated[str, typer.Option(help="Write the result to this file instead of stdout (- for stdout); with the "
                                          "table format, as CSV or Parquet by its extension, else JSON.")] = "",
) -> None:
    """Run SQL against the store and print the result (or write it with --out: its format by its extension, else JSON)."""
    from provenance.query import sql_result, write_result

    if format not in ("table", "csv", "json", "parquet"):
        fail(f"--format must be table, csv, json or parquet, not {format!r}", 2)
    store = db or default_db_path()
    if out == "-":  # stdout, as for `report --out -`
        out = ""
    if out and _is_part_of(out, store):
        fail(f"--out {out} would overwrite the store {store} (or its files); write the result elsewhere", 2)
    rows = TABLE_MAX_ROWS + 1 if format == "table" and not out else None  # a table fetches what it shows
    with handled(), sql_result(store, query, rows) as result:
        if format == "table" and not out:
            print_table(result.head(TABLE_MAX_ROWS), counted=False)
        else:
            fmt = format if format != "table" else {".csv": "csv", ".parquet": "parquet"}.get(os.path.splitext(out)[1].lower(), "json")
            write_result(result, fmt, out or None, lambda text: typer.echo(text, nl=False))


def _is_part_of(out: str, store: str) -> bool:
    """Whether a path is the store's file, its write-ahead log, or in its texts folder (see textfiles.py)."""
    from provenance.textfiles import texts_dir

    target, base = os.path.realpath(out), os.path.realpath(store)
    return target in (base, base + ".wal") or target.startswith(os.path.realpath(texts_dir(store)) + os.sep)


@app.command()
def info(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Summarize a store: files, documents, years, crawls, errors."""
    from provenance.query import store_info

    with handled():
        summary = store_info(db or default_db_path())
    if json_out:
        print_json({k: v.to_dicts() if hasattr(v, "to_dicts") else v for k, v in summary.items()})
        return
    typer.echo(f"store {summary['path']}: {summary['files']} files, {summary['documents']} documents, "
               f"{summary['tokens']} tokens, {summary['errors']} ingest errors; "
               f"{summary['store_bytes'] / 1e6:.1f} MB, texts {summary['texts_bytes'] / 1e6:.1f} MB in {summary['texts_dir']}")
    years = summary["years"]
    if "year" in years.columns and years["year"].null_count():  # errors of files that failed before any document had a year
        years = years.with_columns(years["year"].cast(str).fill_null("no year"))
    print_table(years, title="per year (yearly_summary)")


@app.command()
def check(db: DbOption = None) -> None:
    """Check the store's consistency; exit 1 when a check fails."""
    from provenance.store import Store, repeated_captures

    with handled():
        with Store(db or default_db_path(), read_only=True) as store:
            bad = store.check()
            repeated = repeated_captures(store)
    for name in bad:
        typer.echo(f"Error: consistency check failed: {name}", err=True)
    if bad:
        raise typer.Exit(1)
    typer.echo("store is consistent")
    if repeated:  # not an inconsistency: two files of the same records, each committed whole
        typer.echo(f"Note: {repeated}", err=True)


@app.command()
def remove(
    paths: Annotated[List[str], typer.Argument(help="Ingested files to remove, by path (as `provenance sql \"SELECT path FROM "
                                                    "sources\"` lists them, or relative), or folders: every file under them.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete ingested files' rows (documents, features, texts, errors, ledger) from the store, in one transaction."""
    from provenance.ingest.remove import remove_files
    from provenance.store import Store

    with handled():
        with Store(db or default_db_path(), create=False) as store:
            removed = remove_files(store, paths)
    if json_out:
        print_json({"run_id": removed.run_id, "files": [{"path": p, "documents": n} for p, n in removed.files],
                    "documents": removed.documents})
        return
    for path, n in removed.files:
        typer.echo(f"removed {path} ({n:,} documents)")
    typer.echo(f"removed {len(removed.files)} file(s), {removed.documents:,} documents; `provenance report` computes its "
               "estimates again")
