"""One-line error texts: what the CLI prints and faults record must never be empty or span lines."""
from __future__ import annotations

from provenance.errors import first_line, one_line


def test_the_first_line_of_an_exception_is_its_message_or_its_type_when_the_message_is_empty():
    assert first_line(ValueError("bad value\nmore detail")) == "bad value"
    assert first_line(OSError()) == "OSError"  # str(exc).splitlines()[0] raised IndexError here
    assert first_line(RuntimeError("  \n")) == "RuntimeError"
    assert first_line(ValueError("x" * 500), limit=10) == "x" * 10


def test_one_line_names_the_type_before_the_first_line():
    assert one_line(KeyError("k")) == "KeyError: 'k'"
    assert one_line(ValueError("a\nb")) == "ValueError: a"


def test_a_failure_of_the_store_itself_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    # a disk that fills or a folder gone read-only during a command: DuckDB's error, not its stack
    import duckdb
    from typer.testing import CliRunner

    from provenance.cli import app

    def boom(*args, **kwargs):
        raise duckdb.IOException('Could not write file "x.duckdb.wal": No space left on device')

    monkeypatch.setattr("provenance.query.sql_result", boom)
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    result = CliRunner().invoke(app, ["sql", "SELECT 1", "--db", str(db)])
    assert result.exit_code == 1 and result.output.strip() == (
        'Error: the store failed: Could not write file "x.duckdb.wal": No space left on device')


def test_a_store_whose_folder_went_read_only_is_one_line(tmp_path, monkeypatch):
    # its write-ahead log cannot be made: the migration at the opening failed with a traceback
    import duckdb
    import pytest

    from provenance.errors import StoreError
    from provenance.store import Store

    Store(str(tmp_path / "s.duckdb")).close()

    def no_wal(self):
        raise duckdb.TransactionException('Failed to commit: Cannot open file "s.duckdb.wal": Operation not permitted')

    monkeypatch.setattr(Store, "migrate", no_wal)
    with pytest.raises(StoreError, match=r"s.duckdb: cannot write the store: Failed to commit: Cannot open file"):
        Store(str(tmp_path / "s.duckdb"))
