"""The optional compiled modules (_kernels: tokens, MinHash, counts; _archive: gzip members, WARC
framing, HTTP heads), each loaded once; None when it was not built (no C compiler or zlib header).

Each has a Python reference that gives identical results; `native=False` anywhere it is taken forces
the reference code, `native=True` requires the module.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any


def select(name: str, native: bool | None = None) -> Any:
    """Module provenance.<name> for native=None (when built) or True (required); None for False or not built."""
    module = load(name) if native is not False else None
    if native and module is None:
        raise RuntimeError(f"provenance.{name} is not built")
    return module


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """The compiled module provenance.<name>, or None when it was not built."""
    try:
        return importlib.import_module(f"provenance.{name}")
    except ImportError:
        return None


def archive(native: bool | None = None) -> Any:
    """The archive reader module (see _native/archive.c), as select() gives it."""
    return select("_archive", native)
