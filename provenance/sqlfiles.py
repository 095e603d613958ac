"""Locate and load the SQL files under sql/ (a checkout) or provenance/_sql (an installed wheel)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from provenance.errors import StoreError


@lru_cache(maxsize=1)
def sql_root() -> Path:
    """Return the directory holding schema/, views/ and queries/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_sql", here.parent / "sql"):
        if (candidate / "schema").is_dir():
            return candidate
    raise StoreError(f"SQL files not found next to {here}; reinstall provenance")


def schema_files() -> list[Path]:
    """Return the numbered schema files in the order they are applied."""
    return sorted((sql_root() / "schema").glob("[0-9][0-9][0-9][0-9]_*.sql"))


def view_files() -> list[Path]:
    """Return the view definitions (CREATE OR REPLACE VIEW), sorted by name."""
    return sorted((sql_root() / "views").glob("*.sql"))


def query_names() -> list[str]:
    """Return the names of the named queries under sql/queries/."""
    return sorted(p.stem for p in (sql_root() / "queries").glob("*.sql"))


@lru_cache(maxsize=None)
def load_query(name: str) -> str:
    """Return the text of sql/queries/<name>.sql; unknown names list the known ones."""
    path = sql_root() / "queries" / f"{name}.sql"
    if not path.is_file():
        raise StoreError(f"unknown query {name!r}; known: {', '.join(query_names())}")
    return path.read_text(encoding="utf-8")


def table_kind(con: Any, name: str) -> str | None:
    """'VIEW', 'BASE TABLE' or None (absent) for a name in the main schema of a DuckDB connection."""
    found = con.execute(load_query("table_kind"), {"name": name}).fetchall()  # fetchall: leaves no unfinished result
    return found[0][0] if found else None


def literal(text: str) -> str:
    """text as a SQL string literal, for DDL (which binds no parameters: paths go in escaped)."""
    return "'" + text.replace("'", "''") + "'"
