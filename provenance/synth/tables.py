"""Reference documents from tables: a column of Parquet, CSV/TSV or JSONL files, rows picked by a SQL condition.

Datasets of machine text (detection benchmarks, a lab's own generations) come as tables with a row per text and
columns saying which model wrote it: `reference add gpt4 --label machine raid.parquet --field generation --where
"model = 'gpt4'"`. DuckDB reads the file (read_parquet, read_csv, read_json); the condition is DuckDB SQL over the
file's columns. A value is a document when it is text, or a chat (a list of messages with `role` and `content`: the
assistant's turns, joined by blank lines: what the model wrote, not the prompt).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from provenance.errors import InputError

READERS = {".parquet": "read_parquet", ".csv": "read_csv", ".tsv": "read_csv", ".jsonl": "read_json", ".ndjson": "read_json"}
FETCH_ROWS = 10_000


def reader_of(name: str) -> str | None:
    """The DuckDB table function for a file name (its .gz stripped), or None."""
    name = name.lower().removesuffix(".gz")
    return next((fn for suffix, fn in READERS.items() if name.endswith(suffix)), None)


def table_texts(path: str, field: str, where: str | None = None) -> Iterator[str]:
    """Yield the documents in column `field` of the file's rows (those where `where` holds), in file order."""
    import duckdb

    source = f"{reader_of(path)}(?)"
    con = duckdb.connect()
    try:
        try:
            columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}", [path]).fetchall()]
        except duckdb.Error as exc:
            raise InputError(path, f"cannot read as a table: {_first_line(exc)}") from None
        if field not in columns:
            raise InputError(path, f"no column {field!r} (--field); its columns: {', '.join(columns)}")
        quoted = '"' + field.replace('"', '""') + '"'
        try:
            cur = con.execute(f"SELECT {quoted} FROM {source}" + (f" WHERE {where}" if where else ""), [path])
        except duckdb.Error as exc:
            raise InputError(path, f"--where {where!r}: {_first_line(exc)}" if where else _first_line(exc)) from None
        row_no = 0
        while rows := _fetch(cur, path):
            for (value,) in rows:
                row_no += 1
                yield document(value, path, f"row {row_no}", field)
    finally:
        con.close()


def document(value: Any, path: str, where: str, field: str) -> str:
    """The document a value holds: text, or a chat's assistant turns; an InputError naming the row otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(m, dict) and "role" in m and "content" in m for m in value):
        said = [m["content"] for m in value if m["role"] == "assistant" and isinstance(m["content"], str)]
        if said:
            return "\n\n".join(said)
        raise InputError(path, f"{where}: the chat in {field!r} has no assistant turn")
    kind = "null" if value is None else type(value).__name__
    raise InputError(path, f"{where}: {field!r} is {kind}, not text or a chat (a list of messages with role and content)")


def _fetch(cur: Any, path: str) -> list:
    import duckdb

    try:
        return cur.fetchmany(FETCH_ROWS)
    except duckdb.Error as exc:  # a CSV line that does not parse, a truncated Parquet file: found as the rows are read
        raise InputError(path, _first_line(exc)) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
