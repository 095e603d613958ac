"""Tokenizers: the default Unicode word tokenizer (vectorized in polars) and Hugging Face tokenizers.

Default word tokenizer: NFKC, lower-case, then tokens are maximal runs of word characters (\\w), except
that scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, Tibetan) yield
one token per character (with its combining marks), so a Chinese sentence never becomes one token.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import polars as pl

from provenance.errors import InputError

_NO_SPACE = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}"
WORD_PATTERN = rf"[{_NO_SPACE}]\p{{M}}*|[\w--[{_NO_SPACE}]]+"
WORD_TOKENIZER = "word"


def normalize(texts: pl.Series) -> pl.Series:
    """Return NFKC-normalized, lower-cased texts."""
    # CPython's NFKC has a quick-check fast path (ASCII and already-normal text cost ~nothing);
    # polars' normalize always rebuilds the string and is ~100x slower on typical web text.
    nfkc = [None if t is None else unicodedata.normalize("NFKC", t) for t in texts.to_list()]
    return pl.Series(texts.name, nfkc, dtype=pl.String).str.to_lowercase()


def word_tokens(texts: pl.Series) -> pl.Series:
    """Return one list of word tokens per text (see the module docstring for the rules)."""
    return normalize(texts).str.extract_all(WORD_PATTERN).fill_null([])


def word_tokenize(text: str) -> list[str]:
    """Tokenize one text with the default word tokenizer (convenience for tests and small jobs)."""
    return word_tokens(pl.Series([text], dtype=pl.String)).to_list()[0]


class HFTokenizer:
    """A Hugging Face tokenizer loaded through transformers from local files only."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = "hf:" + Path(path).name
        self._tok = _load_hf(path)

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Return the token strings of each text (no special tokens)."""
        backend = getattr(self._tok, "backend_tokenizer", None)
        if backend is not None:  # fast tokenizer: batch encode in Rust
            return [e.tokens for e in backend.encode_batch(list(texts), add_special_tokens=False)]
        return [self._tok.tokenize(t) for t in texts]


@lru_cache(maxsize=4)
def _load_hf(path: str) -> Any:
    if not Path(path).exists():
        raise InputError(path, "tokenizer path does not exist")
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise InputError(path, "--tokenizer needs transformers: pip install 'provenance[hf]'") from None
    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot load tokenizer: {str(exc).splitlines()[0]}") from None
