"""Error hierarchy: every handled failure is a ProvenanceError with a one-line message."""
from __future__ import annotations

import re


def one_line(exc: BaseException, limit: int = 300) -> str:
    """'Type: first line of the message', for faults and summaries that must stay on one line."""
    first = (str(exc).strip().splitlines() or [""])[0][:limit]
    return f"{type(exc).__name__}: {first}"


def path_text(path: str) -> str:
    """A path as the store and messages hold it: valid UTF-8, on one line. A file name's bytes that are
    not UTF-8 (a Latin-1 name from an older system; Python holds them as surrogates, which DuckDB
    refuses: the ingest failed with a traceback) read \\xe9, and control characters (a newline in a
    name would split its error line) \\n, \\x01."""
    if path.isprintable():
        return path
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], utf8_text(path))


def utf8_text(text: str) -> str:
    """text with the surrogates that stand for undecodable bytes (or any other) written \\xNN (\\udNNN)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# DuckDB's errors that come of a machine's limits (a full disk, a folder gone read-only), not of a bug in
# our SQL; by name, so that code which never opens a store need not import duckdb to tell them
_MACHINE_LIMITS = {"IOException", "PermissionException", "OutOfMemoryException", "TransactionException"}


def machine_limit(exc: BaseException) -> bool:
    """Whether exc is the store's failure on a machine's limits: an OSError, or one of DuckDB's such errors."""
    kind = type(exc)
    return isinstance(exc, OSError) or (kind.__module__.split(".")[0].lstrip("_") == "duckdb" and kind.__name__ in _MACHINE_LIMITS)


_FILE_IN_MESSAGE = re.compile(r"\b[Ff]ile '([^']+)'")


def unreadable_file(exc: BaseException) -> str | None:
    """The file a DuckDB error says it could not read (a texts file or a part damaged, cut short or replaced by hand:
    "No magic bytes found at end of file '...'", "Footer length error in file '...'"), else None: not a bug in our
    SQL, which keeps its traceback."""
    if type(exc).__module__.split(".")[0].lstrip("_") != "duckdb":
        return None
    found = _FILE_IN_MESSAGE.search(str(exc))
    return found.group(1) if found else None


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message (its type's name when the message is empty)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]


class ProvenanceError(Exception):
    """A handled failure; the CLI prints its one-line message and exits 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\n", " "))


class InputError(ProvenanceError):
    """An input file or path cannot be read or parsed."""

    def __init__(self, path: str, reason: str, offset: int | None = None) -> None:
        where = f"{path}" if offset is None else f"{path}: offset {offset}"
        super().__init__(f"{where}: {reason}")
        self.path, self.reason, self.offset = path, reason, offset


class StoreError(ProvenanceError):
    """The DuckDB store cannot be opened, migrated or queried."""


class StoreLockedError(StoreError):
    """Another process holds the store's write lock."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: store is locked by another process; wait for it to finish or use another --db")


class EstimatorError(ProvenanceError):
    """An estimator cannot run on the data it was given."""


class UsageError(ProvenanceError):
    """Options that make no sense together; the CLI exits 2."""


def interrupt_inside(exc: BaseException) -> bool:
    """Whether DuckDB reports a Ctrl-C or SIGTERM as its own error: one that came during a query ("Query interrupted"),
    or one raised in Python code it called (an Arrow stream it was reading), which it wraps."""
    text = str(exc)
    return text.startswith("Query interrupted") or (
        type(exc).__module__.startswith(("duckdb", "_duckdb")) and ("KeyboardInterrupt" in text or "Terminated" in text))
