"""Imported once by the worker forkserver (pool.py): load and warm everything a worker uses.

Workers are forked from that process, so each one starts with the modules imported, the public
suffix list parsed, the tokenizer's character table unpacked and the language profiles loaded.
Nothing here may import DuckDB or polars (their thread pools do not survive a fork); numpy's
OpenBLAS and pyarrow's jemalloc threads have fork handlers (and pool.py forks only on Linux).
"""
from __future__ import annotations

import gc
import os
import sys

# What a worker meets as it starts when its ingest has ended meanwhile (a Ctrl-C or SIGTERM while the pool forks):
# its pool's semaphore gone (multiprocessing/synchronize.py), or the pipe to it closed (spawn.py, connection.py)
_INGEST_GONE = {FileNotFoundError: ("synchronize.py",), EOFError: ("spawn.py", "connection.py"),
                ConnectionError: ("spawn.py", "connection.py")}


def _one_line(kind: type, exc: BaseException, tb: object) -> None:
    """What the forkserver prints of an exception that ends a worker outside any task (it calls sys.excepthook in
    its child): nothing when the worker's ingest was ending as it started (a 15-line traceback under the ingest's
    own line), else one line naming where it was raised (the ingest records only that the worker died)."""
    while tb is not None and tb.tb_next is not None:  # type: ignore[attr-defined]
        tb = tb.tb_next  # type: ignore[attr-defined]
    where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ("", 0)  # type: ignore[attr-defined]
    if any(isinstance(exc, gone) and os.path.basename(where[0]) in files for gone, files in _INGEST_GONE.items()):
        return
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    at = f" ({where[0]}, line {where[1]})" if where[0] else ""
    sys.stderr.write(f"provenance: a worker process ended: {kind.__name__}: {text}{at}\n")


sys.excepthook = _one_line  # in the forkserver, and so in every worker it forks

# numpy's OpenBLAS starts a thread per core as it is imported, and each spins ~0.1 CPU-s before it sleeps: ~0.1 CPU-s
# of a 2-core machine's forkserver, ~6 CPU-s of a 64-core one's. No worker multiplies matrices (a worker per core is
# the parallelism); a user's own setting stands.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

TOKENIZER_ENV = "PROVENANCE_PRELOAD_TOKENIZER"  # set by pool.start(tokenizer) before the forkserver starts

gc.disable()  # imports make next to no garbage, and their collections cost the forkserver ~30 ms; their objects are frozen below
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
    if os.environ.get(TOKENIZER_ENV):  # --tokenizer: transformers and torch imported and the tokenizer loaded once, here
        from provenance.ingest.hftokens import HFTokenizer  # (~1.8 CPU-s and ~250 MB a worker otherwise, each its own)

        HFTokenizer(os.environ[TOKENIZER_ENV])
except Exception:  # noqa: BLE001  a failure here would kill the forkserver; each worker meets (and reports) it instead
    pass
except KeyboardInterrupt:  # a Ctrl-C for the ingest (the forkserver ignores SIGINT from here on): its traceback beside the ingest's line
    pass
finally:  # a worker's collections then never walk the modules' objects (nor write to their pages, shared with the forkserver)
    gc.freeze()
    gc.enable()
