"""Imported once by the worker forkserver (pool.py): load and warm everything a worker uses.

Workers are forked from that process, so each one starts with the modules imported, the public
suffix list parsed, the tokenizer's character table unpacked and the language profiles loaded.
Nothing here may import DuckDB or polars (their thread pools do not survive a fork); numpy's
OpenBLAS and pyarrow's jemalloc threads have fork handlers (and pool.py forks only on Linux).
"""
from __future__ import annotations

try:
    import pyarrow.compute  # noqa: F401  (Table.filter in the first batch would import it: ~0.1 s)
    from resiliparse.parse.lang import detect_fast

    from provenance.ingest import worker  # noqa: F401  (the import is the point)
    from provenance.ingest.tokenize import select_kernels
    from provenance.ingest.urls import registered_domain
    from provenance.ingest.wordclass import class_table

    registered_domain("www.example.co.uk")
    class_table()
    select_kernels(None)
    detect_fast("warm up the language profiles")
except Exception:  # noqa: BLE001  a failure here would kill the forkserver; each worker meets (and reports) it instead
    pass
except KeyboardInterrupt:  # a Ctrl-C for the ingest (the forkserver ignores SIGINT from here on): its traceback beside the ingest's line
    pass
