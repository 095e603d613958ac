"""The typer application, shared options, and the mapping of errors to exit codes."""
from __future__ import annotations

import gc
import json
import os
import re
import signal
import sys
from contextlib import contextmanager
from typing import Annotated, Any, Iterator, NoReturn, Optional

import typer

try:  # typer >= 0.22 carries its own click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer
    from click import exceptions as click_errors

from provenance.errors import ProvenanceError, UsageError, first_line, interrupt_inside, machine_limit, unreadable_file

app = typer.Typer(
    name="provenance",
    help="Measure how much of the web is turning synthetic, and what that does to models trained on it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _a_path(value: Optional[str]) -> Optional[str]:
    if value is not None and not value.strip():  # `--db "$UNSET"`: not the default store in silence
        raise typer.BadParameter("needs a store file's path (leave it out for provenance.duckdb, or $PROVENANCE_DB)")
    return value


DbOption = Annotated[
    Optional[str],
    typer.Option("--db", envvar="PROVENANCE_DB", callback=_a_path,
                 help="DuckDB store file (default: provenance.duckdb, or $PROVENANCE_DB)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one 'Error: ...' line on stderr and exit with code."""
    global _failed
    _failed = True
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


_failed = False  # whether fail() said why the command ends

INTERRUPTED = "interrupted (what was already committed to the store is kept; an ingest rerun finishes the rest)"


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's or a service manager's stop): the same orderly end as Ctrl-C, exit code 143."""

    received = False  # DuckDB reports a signal that came during a query as its own error ("Query interrupted")


def _terminate(signum: int, frame: object) -> None:
    Terminated.received = True
    raise Terminated()


def _exit_code(exc: BaseException | None = None) -> int:
    return 143 if isinstance(exc, Terminated) or Terminated.received else 130  # 128 + the signal's number, as a shell reports it


@contextmanager
def handled() -> Iterator[None]:
    """Turn ProvenanceErrors into one line on stderr and exit code 1 (2 for usage errors); Ctrl-C into 130, SIGTERM 143."""
    try:
        yield
    except UsageError as exc:
        fail(str(exc), 2)
    except ProvenanceError as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt as exc:  # typer would exit 130 without a word
        fail(INTERRUPTED, _exit_code(exc))
    except RuntimeError as exc:
        if interrupt_inside(exc):
            fail(INTERRUPTED, _exit_code())
        raise
    except Exception as exc:  # the store's failures on a machine's limits (a full disk), or on a file of it that is damaged:
        # one line; DuckDB's others (a binder error in our SQL) are bugs, and keep their traceback
        if interrupt_inside(exc):
            fail(INTERRUPTED, _exit_code())
        if unreadable_file(exc) is not None:
            fail(f"a file of the store cannot be read (damaged, cut short or replaced?): {first_line(exc)}", 1)
        if isinstance(exc, OSError) or not machine_limit(exc):
            raise
        fail(f"the store failed: {first_line(exc)}", 1)


def print_json(obj: Any) -> None:
    """Print obj as indented JSON on stdout."""
    typer.echo(json.dumps(obj, indent=2, default=str, sort_keys=False))


TABLE_MAX_ROWS = 1000  # a rich table lays out every cell: 2 million rows took minutes; csv and json print all


def print_table(df: Any, title: str | None = None, counted: bool = True) -> None:
    """Print a polars DataFrame as a rich table (plain text when not a terminal), its first TABLE_MAX_ROWS rows;
    counted=False: df holds one row more than those when the result has more, and how many more is unknown."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not str: values are shown as they are ("if(t[r])" is not Rich markup, "[b]" not bold)
    table = Table(title=Text(title) if title else None, show_lines=False)
    for name in df.columns:
        table.add_column(Text(_visible(str(name))), overflow="fold")
    for row in df.head(TABLE_MAX_ROWS).iter_rows():
        table.add_row(*(Text(_cell(v)) for v in row))
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)
    if len(df) > TABLE_MAX_ROWS:
        shown = f"the first {TABLE_MAX_ROWS:,} of {len(df):,} rows" if counted else f"the first {TABLE_MAX_ROWS:,} rows, and there are more"
        typer.echo(f"({shown}; --format csv, json or parquet gives them all)", err=True)


# control characters, shown escaped: a crawled page's ESC or BEL would act on the terminal (line breaks and tabs stay)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return _visible(str(value))


def main() -> None:
    """Entry point of the `provenance` command."""
    try:
        _main()
    finally:  # the objects of now are kept to the end: the interpreter's exit then skips a collection over all of them
        gc.freeze()  # (~0.1-0.15 s of every command's exit with DuckDB, pyarrow and typer loaded)


def _main() -> None:
    global _failed
    _failed = False
    # before numpy is imported: its OpenBLAS threads, one per core, each spin ~0.1 CPU-s as they start, and this
    # process and the workers' forkserver (which inherits it) use none (their parallelism is a process per core)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from provenance import cli  # noqa: F401  (registers the commands)
    from provenance.cli.ingest_cmds import start_workers_early

    _main_is_the_package()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        start_workers_early(sys.argv[1:])
        code = app(standalone_mode=False)  # click's own errors come here, to be said in one line
        sys.stdout.flush()  # here, not at exit: a closed pipe is met below
        if code == 130 and not _failed:  # typer's answer to an interrupt outside handled() (a command's imports): said as ours are
            raise Terminated() if Terminated.received else KeyboardInterrupt()
    except BrokenPipeError:  # `provenance info | true`, met as the output is flushed: exit code 1 without a word, as
        # click says a pipe closed while a command writes (Python's own flush at exit would print a traceback)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt as exc:  # outside a command (handled() covers those)
        typer.echo(f"Error: {INTERRUPTED}", err=True)
        sys.exit(_exit_code(exc))
    except click_errors.ClickException as exc:  # an unknown option, `--sample-rate abc`: typer drew a box of lines
        if isinstance(exc, getattr(click_errors, "NoArgsIsHelpError", ())):  # `provenance` alone: the help
            exc.show()
        else:
            typer.echo(f"Error: {usage_line(exc)}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:  # click's form of an EOFError that no command handled
        typer.echo("Error: aborted at an unexpected end of input (what was already committed to the store is kept)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)  # typer.Exit's code (a command's fail()); commands return None


def usage_line(exc: click_errors.ClickException) -> str:
    """One line for one of click's errors: its message, and where the command's help is."""
    text = " ".join(exc.format_message().split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    return f"{text} (see '{ctx.command_path} -h')" if ctx is not None else text


def _main_is_the_package() -> None:
    """Run from the `provenance` script, say that __main__ is `provenance.__main__` (as `python -m` does).

    Otherwise every worker process re-runs the script first (multiprocessing's main-module fix-up):
    the CLI, typer and DuckDB imported again in each worker, ~0.13 CPU-s, for nothing.
    """
    import importlib.util

    main_module = sys.modules.get("__main__")
    if main_module is not None and getattr(main_module, "__spec__", None) is None:
        main_module.__spec__ = importlib.util.find_spec("provenance.__main__")
