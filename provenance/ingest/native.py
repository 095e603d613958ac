"""The optional compiled archive module (provenance._archive, from _native/archive.c): loaded once.

It makes clean input fast and leaves everything else to the Python reader, which stays the
reference (see archive.c); `native=False` anywhere it is taken forces the Python code.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any


def archive(native: bool | None = None) -> Any:
    """The _archive module for native=None (when built) or True (required); None for False or not built."""
    module = _archive() if native is not False else None
    if native and module is None:
        raise RuntimeError("provenance._archive is not built")
    return module


@lru_cache(maxsize=1)
def _archive() -> Any:
    try:
        from provenance import _archive
    except ImportError:
        return None
    return _archive
