"""provenance: measure how much of the web is turning synthetic, and what that does to models."""
from __future__ import annotations

__version__ = "0.1.0"

from provenance.errors import EstimatorError, InputError, ProvenanceError, StoreError  # noqa: E402

__all__ = ["__version__", "ProvenanceError", "InputError", "StoreError", "EstimatorError", "ingest", "Store"]


def __getattr__(name: str):  # lazy: keep `import provenance` cheap
    if name == "ingest":
        from provenance.ingest.pipeline import ingest

        return ingest
    if name == "Store":
        from provenance.store import Store

        return Store
    raise AttributeError(name)
