"""How an ingest adds each file's tokens to the token dictionary (see sql/schema/0010).

While the merged dictionary (`token_dict`) is small, a file's commit adds its new tokens directly,
skipping those it holds with an anti-join: a scan of the whole dictionary, whose cost grows with
it (benchmarks/token_dictionary.py: 37 ms per file of 50,000 tokens at 1 million entries, 379 ms at
20 million). Past DIRECT_MAX_ROWS a commit appends the file's tokens to `tokens_pending` unchecked,
and a merge adds the new ones with one scan, once pending rows reach a quarter of the dictionary
(and MERGE_MIN_ROWS): the scans' total stays linear in the rows added however large the store
grows (107 ms per file at 20 million). Every ingest ends with a merge, so readers find nothing
pending unless a run was killed; the `tokens` view shows pending entries (once each) until the next
ingest merges them.
"""
from __future__ import annotations

from provenance.store import Store

DIRECT_MAX_ROWS = 3_000_000  # merged entries up to which files add their new tokens directly (the crossover, measured)
MERGE_MIN_ROWS = 2_000_000  # pending rows before a merge during a run, at least
MERGE_SHARE = 4  # ... and at least 1/MERGE_SHARE of the merged dictionary


def load_query(store: Store) -> str:
    """The query that loads a file's tokens (Store.load_parts): direct, or appended to the pending ones."""
    merged, _ = store.token_dictionary_rows()
    return "ingest_load_tokens" if merged < DIRECT_MAX_ROWS else "ingest_load_tokens_pending"


def merge_if_large(store: Store) -> bool:
    """Merge when the pending tokens are many (after a file's commit); return whether it did."""
    merged, pending = store.token_dictionary_rows()
    if pending and pending >= max(MERGE_MIN_ROWS, merged // MERGE_SHARE):
        store.merge_tokens()
        return True
    return False


def merge_pending(store: Store) -> bool:
    """Merge whatever is pending (the end of an ingest); return whether there was anything."""
    if store.token_dictionary_rows()[1]:
        store.merge_tokens()
        return True
    return False


__all__ = ["load_query", "merge_if_large", "merge_pending", "DIRECT_MAX_ROWS", "MERGE_MIN_ROWS", "MERGE_SHARE"]
