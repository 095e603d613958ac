"""`provenance ingest`: archive files into the store."""
from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from provenance.cli.app import DbOption, JsonOption, app, fail, handled, print_json
from provenance.config import DEFAULT_MAX_RECORD_BYTES, DEFAULT_RECORD_TIMEOUT, DEFAULT_WORKER_MEMORY_MB, IngestConfig, default_db_path
from provenance.ingest.progress import Progress

MAX_FAULT_LINES = 20
# The options of `provenance ingest` that take no value, and those that take one: tested against the command
FLAGS = frozenset({"--json", "--text", "--no-text", "--prose-lists", "--no-prose-lists", "--force", "--no-force", "-h", "--help"})
VALUED = frozenset({"--db", "--workers", "--crawl", "--year", "--sample-rate", "--lang", "--tokenizer", "--max-record-bytes",
                    "--file-timeout", "--record-timeout", "--worker-memory", "--paths-prefix", "--block-docs", "--executor",
                    "--address", "--output"})
# Option values that fail the command before it forks a worker (a usage error, or a tokenizer not found; the ranges
# of numbers are IngestConfig's alone)
_FAILS = {"--db": lambda v: v in ("", ":memory:"), "--tokenizer": lambda v: not os.path.exists(v), "--executor": lambda v: v != "local",
          **dict.fromkeys(("--workers", "--year", "--max-record-bytes", "--worker-memory", "--block-docs"), lambda v: not _reads(int, v)),
          **dict.fromkeys(("--sample-rate", "--file-timeout", "--record-timeout"), lambda v: not _reads(float, v))}


def _reads(kind: type, text: str) -> bool:
    """Whether text reads as a number of this kind (int, float)."""
    try:
        kind(text)
    except ValueError:
        return False
    return True


def start_workers_early(args: list[str]) -> None:
    """For `provenance ingest ...` as typed (args: sys.argv[1:]), start the workers' forkserver before typer parses
    the options (its parsing imports pydantic, ~0.25 s): the forkserver's imports (~0.6 s) then overlap this
    process's. Only where the run forks workers (not --output, --help, or one small file read in-process), and not
    for an unknown option or a value the command refuses before it forks (_FAILS). A wrong guess costs a forkserver
    that is killed at exit (pool._stop), or a start as late as ingest() makes it."""
    if args[:1] != ["ingest"]:
        return
    paths, rest, named, tokenizer = [], iter(args[1:]), set(), None
    for arg in rest:
        if arg == "--":
            paths.extend(rest)
        elif arg.startswith("-"):
            name, eq, value = arg.partition("=")
            if name in ("-h", "--help", "--output") or name not in FLAGS | VALUED or (eq and name in FLAGS):
                return
            if name in VALUED and not eq:
                value = next(rest, None)
                if value is None:  # (its value missing)
                    return
            if name in _FAILS and _FAILS[name](value):
                return
            named.add(name)
            tokenizer = value if name == "--tokenizer" else tokenizer
        else:
            paths.append(arg)
    if "--db" not in named and os.environ.get("PROVENANCE_DB") == ":memory:":  # (config.default_db_path)
        return
    if paths:
        from provenance.ingest import pool

        pool.start_for(paths, tokenizer)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="WARC/WET/ARC files (.gz, .zst or not), WACZ files, directories, globs, or Common Crawl *.paths(.gz) listings.")],
    db: DbOption = None,
    workers: Annotated[int, typer.Option(help="Worker processes over files.")] = os.cpu_count() or 1,
    crawl: Annotated[Optional[str], typer.Option(help="Crawl id for every document (else warcinfo isPartOf, else CC-MAIN-YYYY-WW in the file name).")] = None,
    year: Annotated[Optional[int], typer.Option(help="Year for every document (else the year of WARC-Date).")] = None,
    sample_rate: Annotated[float, typer.Option(help="Keep a document when the hash of its normalized URL falls under this; the same URLs are kept in every crawl.")] = 1.0,
    lang: Annotated[Optional[list[str]], typer.Option(help="Keep only documents detected in this language (repeatable, or comma-separated), e.g. --lang en.")] = None,
    tokenizer: Annotated[Optional[str], typer.Option(help="Local Hugging Face tokenizer (a folder, a tokenizer.json or a GGUF model file): its token counts are stored beside the word tokenizer's.")] = None,
    text: Annotated[bool, typer.Option("--text/--no-text", help="Keep document text in the texts table.")] = True,
    prose_lists: Annotated[bool, typer.Option("--prose-lists/--no-prose-lists", help="Keep bulleted lists of prose near the top of a page in its main text (resiliparse drops every <ul> fewer than 3 elements below <body> as navigation).")] = False,
    force: Annotated[bool, typer.Option(help="Re-ingest files already in the ledger, replacing their rows.")] = False,
    max_record_bytes: Annotated[int, typer.Option(help="Skip (and report) records larger than this.")] = DEFAULT_MAX_RECORD_BYTES,
    file_timeout: Annotated[Optional[float], typer.Option(help="Give up on a file after this many seconds (its records so far are kept; 0: no limit).")] = None,
    record_timeout: Annotated[float, typer.Option(help="Skip (and report) a record whose extraction runs longer than this many seconds "
                                                        "(a parser's worst case); the worker is ended and the file reread without it. 0: no limit.")] = DEFAULT_RECORD_TIMEOUT,
    worker_memory: Annotated[int, typer.Option(help="MiB the process reading a file may allocate beyond what it holds when it starts: a record "
                                                    "whose parse needs more is skipped (and reported) instead of exhausting the machine. 0: no limit.")] = DEFAULT_WORKER_MEMORY_MB,
    paths_prefix: Annotated[Optional[str], typer.Option(help="Folder that relative entries of *.paths listings are under.")] = None,
    block_docs: Annotated[int, typer.Option(help="Documents per resampling block of token_counts (intervals need >= 30 blocks per period); divides 1000.")] = 500,
    executor: Annotated[str, typer.Option(help="local (process pool) or ray (a Ray cluster; needs --output).")] = "local",
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (e.g. auto, ray://head:10001); default: start a local Ray.")] = None,
    output: Annotated[Optional[str], typer.Option(help="Write Parquet shards partitioned by crawl to this folder or s3:// URL instead of the store; see 'provenance attach'.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Ingest Common Crawl WARC / WET / ARC files into the DuckDB store (or Parquet shards with --output)."""
    if executor not in ("local", "ray"):
        fail(f"--executor must be local or ray, not {executor!r}", 2)
    if executor == "ray" and not output:
        fail("--executor ray writes Parquet shards: give --output DIR, then 'provenance attach DIR'", 2)
    if (db or default_db_path()) == ":memory:" and not output:
        fail("--db :memory: would keep nothing once the ingest ends; give a store file", 2)
    with handled():
        config = IngestConfig(db=db or default_db_path(), workers=workers, crawl=crawl, year=year, sample_rate=sample_rate,
                              langs=tuple(lang or ()), tokenizer=tokenizer, keep_text=text, prose_lists=prose_lists, force=force,
                              max_record_bytes=max_record_bytes, file_timeout=file_timeout, record_timeout=record_timeout or None,
                              worker_memory_mb=worker_memory or None, paths_prefix=paths_prefix, block_docs=block_docs)
        if not output and not (tokenizer and _FAILS["--tokenizer"](tokenizer)):  # (a tokenizer not found fails before any fork)
            from provenance.ingest import pool  # first: the workers' forkserver imports their code (~0.6 s) while this

            pool.start_for(paths, tokenizer)  # process imports DuckDB and opens the store
        from provenance.ingest.pipeline import ingest as run_ingest
        with _progress(json_out) as progress:
            if output:
                from provenance.scale import ingest_shards

                summary = ingest_shards(paths, config, output, executor, address, progress)
            else:
                summary = run_ingest(paths, config, progress)
    _report_faults(summary)
    if json_out:
        print_json(summary.to_dict())
    else:
        typer.echo(_summary_line(summary, output or config.db, shards=bool(output)))
    raise typer.Exit(0 if summary.ok else 1)


def _summary_line(s, db: str, shards: bool = False) -> str:
    """The run's summary; db: the store or, with shards, the output folder it wrote."""
    parts = [f"{s.ingested} file(s) ingested", f"{s.documents} documents"]
    sampled, filtered = s.sampled_out, s.lang_filtered
    if sampled:  # (a sample or a filter that kept nothing otherwise reads like an empty input)
        parts.append(f"{sampled} left out by --sample-rate")
    if filtered:
        parts.append(f"{filtered} left out by --lang")
    if s.skipped:
        parts.append(f"{s.skipped} already in {'the output' if shards else 'the store'} (nothing added"
                     + (f"; {s.other_options} ingested with other options, see above)" if s.other_options else ")"))
    if s.failed:
        parts.append(f"{s.failed} failed")
    if s.errors:
        parts.append(f"{s.errors} error(s) recorded" + (" with the shards (ingest_errors once attached)" if shards else " in ingest_errors"))
    return f"{', '.join(parts)} in {s.seconds:.1f} s -> {db}"


def _report_faults(summary) -> None:
    for note in summary.notes:
        typer.echo(f"Note: {note}", err=True)
    noted = summary.noted
    for res in noted[:MAX_FAULT_LINES]:
        typer.echo(f"Note: {res.path}: {res.note}", err=True)
    if len(noted) > MAX_FAULT_LINES:
        typer.echo(f"Note: ... and {len(noted) - MAX_FAULT_LINES} more file(s) ingested before with other options, cut short, or changed since",
                   err=True)
    for res in summary.results:
        for fault in res.faults[:MAX_FAULT_LINES]:
            where = f"{res.path}: offset {fault.offset}" if fault.offset is not None else res.path
            typer.echo(f"Error: {where}: {fault.reason}", err=True)
        if res.n_faults > MAX_FAULT_LINES:
            typer.echo(f"Error: {res.path}: ... and {res.n_faults - MAX_FAULT_LINES} more (see the ingest_errors table)", err=True)


class _progress:
    """A rich progress bar on a terminal (nothing otherwise): the bytes read of the run's files, also inside a file
    being read, their rate and the time left; files ended, and documents read."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar = None

    def __enter__(self) -> "Progress | None":
        if not self.enabled:
            return None
        from rich.console import Console

        self.bar = _bar(Console(stderr=True))  # (on stderr, as the check above reads: stdout may be a file)
        self.bar.start()
        return _BarProgress(self.bar)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _bar(console, get_time=None):
    """The bar's columns. 78 columns at a crawl's scale ("125.4/456.7 GB 427.0 MB/s 37,035/90,000 files 12,345,680
    docs"): a line that wraps is drawn again below itself at each refresh; a narrower terminal cuts fields, never wraps."""
    from rich.progress import BarColumn, DownloadColumn, Progress as Bar, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    from rich.table import Column

    def one_line() -> dict:
        return {"table_column": Column(no_wrap=True)}

    return Bar(BarColumn(bar_width=8), DownloadColumn(**one_line()), TransferSpeedColumn(**one_line()),
               TextColumn("{task.fields[ended]:,}/{task.fields[files]:,} files", **one_line()),
               TextColumn("{task.fields[docs]:,} docs", **one_line()), TimeRemainingColumn(**one_line()),
               console=console, get_time=get_time, transient=True)


class _BarProgress(Progress):
    def __init__(self, bar) -> None:
        self.bar, self.task, self.ended = bar, None, 0

    def start(self, files: int, size: int | None) -> None:
        self.task = self.bar.add_task("ingest", total=size, files=files, ended=0, docs=0)

    def file(self, res, files: int) -> None:
        self.ended += 1
        self.bar.update(self.task, ended=self.ended)

    def read(self, size: int, docs: int) -> None:
        self.bar.update(self.task, completed=size, docs=docs)
