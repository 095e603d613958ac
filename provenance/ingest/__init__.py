"""Ingest: read WARC/WET/ARC records, extract text, compute features, write the store.

`provenance.ingest(paths, config)` is the ingest function (pipeline.ingest): this package is callable as it, so the
name means the same whether or not a module of the package has been imported (once one was, `provenance.ingest` was
the package, and the README's call failed the second time a notebook ran it: "'module' object is not callable").
"""
from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from provenance.ingest.pipeline import ingest

        return ingest(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
