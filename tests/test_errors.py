"""One-line error texts: what the CLI prints and faults record must never be empty or span lines."""
from __future__ import annotations

import functools
import importlib
import sys

import pytest

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


def _run_main(monkeypatch, capsys, argv):
    import gc
    import signal

    cli_app = importlib.import_module("provenance.cli.app")  # (the package's `app` is the typer application)

    monkeypatch.setattr(sys, "argv", ["provenance", *argv])
    monkeypatch.setattr(cli_app.Terminated, "received", False)
    old = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as exit_:
            cli_app.main()
    finally:
        signal.signal(signal.SIGTERM, old)
        gc.unfreeze()
    return exit_.value.code, capsys.readouterr().err


def test_a_ctrl_c_as_the_workers_forkserver_starts_early_is_one_line_and_exit_130(monkeypatch, capsys):
    from provenance.cli import ingest_cmds

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_cmds, "start_workers_early", interrupted)
    code, err = _run_main(monkeypatch, capsys, ["ingest", "a.warc.gz", "b.warc.gz"])
    assert code == 130 and err.startswith("Error: interrupted") and "Traceback" not in err


@pytest.mark.parametrize("received, expected", [(False, 130), (True, 143)])
def test_an_interrupt_in_a_commands_imports_before_its_handler_is_one_line_with_its_signals_code(monkeypatch, capsys, received, expected):
    # typer answers a KeyboardInterrupt outside handled() with exit 130 and no word (a SIGTERM while `info` imports DuckDB)
    cli_app = importlib.import_module("provenance.cli.app")  # (the package's `app` is the typer application)

    command = next(c for c in cli_app.app.registered_commands if getattr(c.callback, "__name__", "") == "info")

    @functools.wraps(command.callback)  # (its options, as typer reads them)
    def info(*args, **kwargs):
        cli_app.Terminated.received = received
        raise cli_app.Terminated() if received else KeyboardInterrupt()

    monkeypatch.setattr(command, "callback", info)
    code, err = _run_main(monkeypatch, capsys, ["info"])
    assert code == expected and err.strip().splitlines() == [f"Error: {cli_app.INTERRUPTED}"]
