"""The default Unicode word tokenizer: a compiled kernel, and a polars regex reference (Hugging Face tokenizers: hftokens.py).

Default word tokenizer: NFKC, lower-case, invisible in-word format characters removed (soft hyphen,
word joiner, zero-width no-break space: a browser shows "Donau&shy;dampf" as one word), then tokens
are maximal runs of word characters (\\w), except that scripts written without spaces (Han, Hiragana,
Katakana, Thai, Lao, Khmer, Myanmar, Tibetan) yield one token per character (with its combining
marks), so a Chinese sentence never becomes one token; their punctuation (Tibetan tsheg and shad,
Khmer and Myanmar full stops) is no token, as Chinese punctuation is not. Combining marks and joiners
(ZWJ, ZWNJ) continue a token but never start one: the ZWJ and variation selectors between the
pictographs of an emoji sequence are no tokens; Persian's ZWNJ inside a word stays in it.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pyarrow as pa

from provenance.ingest.native import load, select

_NO_SPACE = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}"
_NO_START = r"\p{M}\p{Join_Control}"  # word characters that continue a token, never start one
WORD_PATTERN = rf"[[{_NO_SPACE}]&&[\w--[{_NO_START}]]]\p{{M}}*|[\w--[{_NO_SPACE}{_NO_START}]][\w--[{_NO_SPACE}]]*"
_INVISIBLE = {0xAD: None, 0x2060: None, 0xFEFF: None}  # soft hyphen, word joiner, zero-width no-break space
WORD_TOKENIZER = "word"

if TYPE_CHECKING:  # polars is imported only by the reference paths: worker processes start without it
    import polars as pl


def normalize_texts(texts: Sequence[str | None]) -> list[str | None]:
    """Return NFKC-normalized, lower-cased texts (CPython's str.lower: full Unicode case mapping)
    without the invisible in-word format characters (see the module docstring)."""
    # CPython's NFKC has a quick-check fast path (ASCII and already-normal text cost ~nothing);
    # polars' normalize always rebuilds the string and is ~100x slower on typical web text.
    return [None if t is None else _visible(unicodedata.normalize("NFKC", t).lower()) for t in texts]


def _visible(text: str) -> str:
    if "\xad" in text or "\u2060" in text or "\ufeff" in text:  # three scans cost less than a translate of every text
        return text.translate(_INVISIBLE)
    return text


def normalize(texts: pl.Series) -> pl.Series:
    """Return NFKC-normalized, lower-cased texts."""
    import polars as pl

    return pl.Series(texts.name, normalize_texts(texts.to_list()), dtype=pl.String)


def word_tokens(texts: pl.Series) -> pl.Series:
    """Return one list of word tokens per text (see the module docstring for the rules)."""
    return normalize(texts).str.extract_all(WORD_PATTERN).fill_null([])


@dataclass
class TokenBatch:
    """A batch's word tokens, dictionary-encoded: what the features need, without token strings per position."""

    hashes: np.ndarray  # uint64 xxh3 of each token's UTF-8, flattened over the texts
    index: np.ndarray  # int32 position of each token in vocab
    lengths: np.ndarray  # int64 tokens per text
    vocab_hashes: np.ndarray  # uint64 xxh3 of each distinct token
    vocab: pa.Array  # the distinct tokens (strings)


def word_token_batch(texts: Sequence[str], native: bool | None = None, *, normalized: bool = False) -> TokenBatch:
    """Tokenize, hash and dictionary-encode texts (normalized: already through normalize_texts): the
    compiled kernel when built, else polars + numpy.

    Both paths give identical results (tested); `native=False` forces the reference path.
    """
    kernels = select_kernels(native)
    ready = list(texts) if normalized else normalize_texts(texts)
    if kernels is None:
        return _reference_batch(ready)
    from provenance.ingest.wordclass import class_table

    hashes, index, lengths, vocab_hashes, offsets, data = kernels.tokenize(ready, class_table())
    vocab = pa.Array.from_buffers(pa.string(), len(offsets) // 4 - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return TokenBatch(np.frombuffer(hashes, np.uint64), np.frombuffer(index, np.int32), np.frombuffer(lengths, np.int64),
                      np.frombuffer(vocab_hashes, np.uint64), vocab)


def _reference_batch(normalized: list[str | None]) -> TokenBatch:
    import polars as pl

    from provenance.ingest.minhash import encode_tokens, hash_strings

    # a lone surrogate (no UTF-8 form: polars cannot hold it) separates tokens, as in the kernel
    texts = [t if t is None or t.isascii() else t.encode("utf-8", "replace").decode("utf-8") for t in normalized]
    tokens = pl.Series(texts, dtype=pl.String).str.extract_all(WORD_PATTERN).fill_null([])
    index, vocab, lengths = encode_tokens(tokens)
    vocab_hashes = hash_strings(vocab)
    return TokenBatch(vocab_hashes[index], index.astype(np.int32, copy=False), lengths, vocab_hashes, vocab)


def select_kernels(native: bool | None) -> Any:
    """The kernels module for native=None (when built) or True (required); None for False or not built."""
    return select("_kernels", native)


def _kernels() -> Any:
    """The compiled kernels module, or None when it was not built (no C compiler at install)."""
    return load("_kernels")


def word_tokenize(text: str) -> list[str]:
    """Tokenize one text with the default word tokenizer (convenience for tests and small jobs)."""
    import polars as pl

    return word_tokens(pl.Series([text], dtype=pl.String)).to_list()[0]
