"""Imported once by the worker forkserver (pool.py): load and warm everything a worker uses.

Workers are forked from that process, so each one starts with the modules imported, the public
suffix list parsed, the tokenizer's character table unpacked and the language profiles loaded.
Nothing here may import DuckDB or polars (their thread pools do not survive a fork); numpy's
OpenBLAS and pyarrow's jemalloc threads have fork handlers (and pool.py forks only on Linux).
"""
from __future__ import annotations

import sys

_PARENT_GONE = (FileNotFoundError, EOFError, ConnectionError)  # its semaphores and pipes removed as the ingest ends


def _one_line(kind: type, exc: BaseException, tb: object) -> None:
    """What the forkserver prints of an exception that ends a worker outside any task (the forkserver calls
    sys.excepthook in its child): nothing when the ingest was ending as the worker started (a Ctrl-C or SIGTERM
    during the forking: the worker found its pool's semaphore gone, a 15-line traceback under the ingest's own
    line), one line otherwise. The ingest reports a worker that never ran a task itself."""
    if not isinstance(exc, _PARENT_GONE):
        sys.stderr.write(f"provenance: a worker process ended: {kind.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n")


sys.excepthook = _one_line  # in the forkserver, and so in every worker it forks

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
