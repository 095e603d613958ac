"""Reference documents from tables: a column of Parquet, CSV/TSV or JSONL files, rows picked by a SQL condition.

Datasets of machine text (detection benchmarks, a lab's own generations) come as tables with a row per text and
columns saying which model wrote it: `reference add gpt4 --label machine raid.parquet --field generation --where
"model = 'gpt4'"`. DuckDB reads the file (read_parquet, read_csv, read_json); the condition is DuckDB SQL over the
file's columns. A value is a document when it is text, or a chat (a list of messages with `role` and `content`: the
assistant's turns, joined by blank lines: what the model wrote, not the prompt; also when the chat is JSON text, as a
CSV holds one).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from provenance.errors import InputError

# DuckDB's table function per file suffix (a .gz stripped), and its options: a JSONL file's types from all its rows (a
# key first seen after DuckDB's sample of rows was no column; a value of another type there became JSON text), a TSV's
# tabs (the sniffer took the commas in its text for the delimiter)
READERS = {".parquet": ("read_parquet", ""), ".csv": ("read_csv", ""), ".tsv": ("read_csv", ", delim='\\t'"),
           ".jsonl": ("read_json", ", format='newline_delimited', sample_size=-1"),
           ".ndjson": ("read_json", ", format='newline_delimited', sample_size=-1"), ".json": ("read_json", ", sample_size=-1")}
FETCH_ROWS = 10_000
ASSISTANT = ("assistant", "model", "gpt", "bot")  # the model's turns: OpenAI and most, Gemini, ShareGPT, others


def _reader(name: str) -> tuple[str, str] | None:
    """The DuckDB table function and its options for a file name, or None."""
    name = name.lower().removesuffix(".gz")
    return next((reader for suffix, reader in READERS.items() if name.endswith(suffix)), None)


def is_table(name: str) -> bool:
    """Whether a file of this name is read as a table."""
    return _reader(name) is not None


def _source(path: str, column: str | None = None) -> str:
    """The table expression that reads path (its one parameter); a CSV's `column` read as text, though its values
    look like dates or numbers."""
    fn, options = _reader(path) or ("read_csv", "")
    if column is not None and fn == "read_csv":
        options += ", types={'" + column.replace("'", "''") + "': 'VARCHAR'}"
    return f"{fn}(?{options})"


def table_texts(path: str, field: str, where: str | None = None) -> Iterator[str]:
    """Yield the documents in column `field` of the file's rows (those where `where` holds), in file order."""
    import duckdb

    con = duckdb.connect()
    try:
        try:
            types = dict((row[0], row[1]) for row in con.execute(f"DESCRIBE SELECT * FROM {_source(path)}", [path]).fetchall())
        except duckdb.Error as exc:
            raise InputError(path, f"cannot read as a table: {_first_line(exc)}") from None
        column, inner = _column(field, types, path)
        quoted = '"' + column.replace('"', '""') + '"'
        # a column of another type than text (a chat: a list of structs; a struct; values of several types: JSON,
        # whose parts DuckDB gives as JSON text) is read as its JSON, and decoded here whole
        as_json = types[column] != "VARCHAR" or bool(inner)
        selected = f"to_json({quoted})" if as_json else quoted
        try:
            cur = con.execute(f"SELECT {selected} FROM {_source(path, column)}" + (f" WHERE ({where})" if where else ""), [path])
        except duckdb.Error as exc:
            raise InputError(path, f"--where {where!r}: {_first_line(exc)}" if where else _first_line(exc)) from None
        row_no = 0
        while rows := _fetch(cur, path):
            for (value,) in rows:
                row_no += 1
                where_text = f"row {row_no}" + (" of those --where picks" if where else "")
                if as_json and isinstance(value, str):
                    value = json.loads(value)
                for key in inner:  # meta.text: a field of a struct (or of a JSON object)
                    value = value.get(key) if isinstance(value, dict) else None
                yield document(value, path, where_text, field)
    finally:
        con.close()


def _column(field: str, types: dict[str, str], path: str) -> tuple[str, list[str]]:
    """The table's column that --field names (its case aside, where one column has the name), and the struct fields
    below it ('meta.text': column meta, field text)."""
    for name, *inner in ([field], field.split(".")):
        if name in types:
            return name, inner
        alike = [c for c in types if c.lower() == name.lower()]
        if len(alike) == 1:
            return alike[0], inner
    raise InputError(path, f"no column {field!r} (--field); its columns: {', '.join(types)}")


def document(value: Any, path: str, where: str, field: str) -> str:
    """The document a value holds: text, or a chat's model turns; an InputError naming the row otherwise.

    A chat is a list of messages, each {role, content} (OpenAI and most; Gemini's role 'model', and its own {role,
    parts}) or ShareGPT's {from, value} ('gpt'); a content that is a list of parts ({type: text, text} or {text}) is
    their text joined. A chat written as JSON text (a CSV column, a dataset that stored its messages as a string) is
    read as the chat it is: its JSON and its prompts are not what the model wrote."""
    if isinstance(value, str):
        chat = _json_chat(value)
        if chat is None:
            return value
        value = chat
    if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
        turns = _turns(value)
        if all(who is not None and said is not None for who, said in turns):
            texts = [_said(said) for who, said in turns if str(who).lower() in ASSISTANT]
            if any(texts):
                return "\n\n".join(t for t in texts if t)
            raise InputError(path, f"{where}: the chat in {field!r} has no turn of the model (role {' / '.join(ASSISTANT)})")
    kind = "null" if value is None else type(value).__name__
    raise InputError(path, f"{where}: {field!r} is {kind}, not text or a chat (a list of messages with role and content)")


def _turns(chat: list[dict]) -> list[tuple[Any, Any]]:
    """(who, what they said) of each message: role or from; content, value or parts."""
    return [(m.get("role", m.get("from")), m.get("content", m.get("value", m.get("parts")))) for m in chat]


def _json_chat(text: str) -> list[dict] | None:
    """The chat a text holds as JSON (a list of messages, each with its speaker and what they said), else None."""
    s = text.strip()
    if not (s.startswith("[{") and s.endswith("}]") and ('"role"' in s or '"from"' in s)):
        return None
    try:
        value = json.loads(s)
    except ValueError:
        return None
    if isinstance(value, list) and value and all(isinstance(m, dict) for m in value) and \
            all(who is not None and said is not None for who, said in _turns(value)):
        return value
    return None


def _said(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # parts: {type: text, text}, Gemini's {text}, or plain strings (its SDK's shorthand)
        return "\n".join(p if isinstance(p, str) else p["text"] for p in content
                         if isinstance(p, str) or (isinstance(p, dict) and isinstance(p.get("text"), str)))
    return ""


def _fetch(cur: Any, path: str) -> list:
    import duckdb

    try:
        return cur.fetchmany(FETCH_ROWS)
    except duckdb.Error as exc:  # a CSV line that does not parse, a truncated Parquet file: found as the rows are read
        raise InputError(path, _first_line(exc)) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
