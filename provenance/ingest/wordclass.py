"""The word tokenizer's character classes, one byte per code point, for the compiled tokenizer.

Derived from tokenize.WORD_PATTERN itself by the same regex engine (polars), so the compiled kernel
and the regex agree character by character; the table ships zlib-compressed in wordclass.bin and
`python -m provenance.ingest.wordclass` rebuilds it (a test checks it still matches the regex).
Bits: 1 = word character outside the no-space scripts, 2 = character that is a token of a no-space
script (with its marks), 4 = mark, 8 = word character that never starts a token (marks, joiners).
"""
from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from provenance.ingest.tokenize import _NO_SPACE, _NO_START

N_CODEPOINTS = 0x110000
WORD, NO_SPACE, MARK, NO_START = 1, 2, 4, 8
TABLE_PATH = Path(__file__).with_name("wordclass.bin")


def derive_class_table() -> bytes:
    """Classify every code point (surrogates excluded: class 0) with the tokenizer's regex classes."""
    import polars as pl  # only to rebuild the table: worker processes never import it

    cps = np.r_[np.arange(0, 0xD800), np.arange(0xE000, N_CODEPOINTS)]
    chars = pl.Series([chr(c) for c in cps.tolist()], dtype=pl.String)
    table = np.zeros(N_CODEPOINTS, np.uint8)
    for bit, pattern in ((WORD, rf"^[\w--[{_NO_SPACE}]]$"), (NO_SPACE, rf"^[[{_NO_SPACE}]&&[\w--[{_NO_START}]]]$"), (MARK, r"^\p{M}$"),
                         (NO_START, rf"^[{_NO_START}]$")):
        table[cps[chars.str.contains(pattern).to_numpy()]] |= bit
    return table.tobytes()


@lru_cache(maxsize=1)
def class_table() -> bytes:
    """The shipped table (0x110000 bytes)."""
    return zlib.decompress(TABLE_PATH.read_bytes())


if __name__ == "__main__":
    TABLE_PATH.write_bytes(zlib.compress(derive_class_table(), 9))
    print(f"wrote {TABLE_PATH} ({TABLE_PATH.stat().st_size} bytes)")
