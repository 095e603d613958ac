"""Arrow tables seen by SQL for the length of a block: registered as views, then unregistered."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: worker processes import modules that use this, never DuckDB (tests/ingest/test_pool.py)
    import duckdb


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables: Any) -> Iterator[None]:
    """Register each table (Arrow, or anything DuckDB registers) under its name for the block.

    Unregistering never hides the block's own error: a query interrupted by Ctrl-C or SIGTERM aborts
    the transaction, and an unregister then fails too (its traceback replaced the one-line message).
    """
    import duckdb

    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            with suppress(duckdb.Error):
                con.unregister(name)
