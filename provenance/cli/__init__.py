"""Command-line interface: thin typer commands over the library API.

Each module registers its commands on the shared `app`; this package imports them all.
"""
from __future__ import annotations

from provenance.cli.app import app, main
from provenance.cli import demo_cmds, ingest_cmds, store_cmds  # noqa: F401,E402

import importlib as _importlib

# Optional command modules written by later issues register themselves when present.
for _name in ("estimators_cmds", "simulate_cmds", "synth_cmds", "report_cmds", "scale_cmds"):
    try:
        _importlib.import_module(f"provenance.cli.{_name}")
    except ModuleNotFoundError as _exc:  # pragma: no cover - only while a module does not exist yet
        if _exc.name != f"provenance.cli.{_name}":
            raise

__all__ = ["app", "main"]
