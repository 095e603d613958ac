"""The compiled ingest kernels give exactly what the numpy/polars reference code gives."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ingest.minhash import minhash_hashes
from provenance.ingest.tokenize import _kernels, word_token_batch
from provenance.ingest.wordclass import class_table, derive_class_table

needs_kernels = pytest.mark.skipif(
    _kernels() is None and not os.environ.get("PROVENANCE_REQUIRE_KERNELS"),
    reason="provenance._kernels not built (no C compiler at install); the reference code runs instead",
)

SCRIPTS = [
    "Hello, World! Caf\u00e9 na\u00efve \u00c9COLE don't web2.0",
    "\u6211\u7231\u5317\u4eac\u3002\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u30ab\u30bf\u30ab\u30ca",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",  # Thai with marks
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "e\u0301 \ufb01 \u216b \uff21\uff22\uff23 \u03a3\u0391\u03a3 \u039f\u0394\u039f\u03a3",  # marks, ligature, numerals, full width, final sigma
    "", "   ", "a b", "one two three four five six seven", "\U0001f600 emoji \U00020000 ext-B",
]


def assert_same(texts):
    native, reference = word_token_batch(texts, native=True), word_token_batch(texts, native=False)
    for name in ("hashes", "index", "lengths", "vocab_hashes"):
        a, b = getattr(native, name), getattr(reference, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert native.vocab.to_pylist() == reference.vocab.to_pylist()
    sig_n, keys_n = minhash_hashes(native.hashes, native.lengths, native=True)
    sig_r, keys_r = minhash_hashes(native.hashes, native.lengths, native=False)
    assert np.array_equal(sig_n, sig_r) and np.array_equal(keys_n, keys_r)


@pytest.mark.skipif(not os.environ.get("PROVENANCE_REQUIRE_KERNELS"), reason="only where CI requires the kernels")
def test_ci_builds_the_kernels():
    assert _kernels() is not None


@needs_kernels
def test_kernels_match_the_reference_on_every_script():
    assert_same(SCRIPTS)


@needs_kernels
def test_kernels_match_the_reference_on_random_code_points():
    rng = random.Random(7)
    pools = [(32, 127), (0x80, 0x3000), (0x3000, 0xD7FF), (0xE000, 0x10FFFF)]
    texts = []
    for _ in range(400):
        chars = [chr(rng.randrange(*rng.choice(pools))) if rng.random() < 0.7 else rng.choice(" .\u0301\u0e31\u3099")
                 for _ in range(rng.randrange(0, 80))]
        texts.append("".join(chars))
    assert_same(texts)


@needs_kernels
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60), max_size=12))
@settings(max_examples=150, deadline=None)
def test_kernels_match_the_reference_on_any_text(texts):
    assert_same(texts)


@needs_kernels
def test_minhash_kernel_matches_for_short_empty_and_long_documents():
    rng = np.random.default_rng(1)
    lengths = np.array([0, 1, 4, 5, 6, 300, 0, 2], np.int64)
    hashes = rng.integers(0, 2**63, int(lengths.sum()), dtype=np.uint64)
    a, b = minhash_hashes(hashes, lengths, native=True), minhash_hashes(hashes, lengths, native=False)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert (a[0][0] == 0xFFFFFFFF).all()  # an empty document has the empty signature


def test_the_shipped_character_classes_are_the_tokenizer_regex():
    """wordclass.bin must be rebuilt (python -m provenance.ingest.wordclass) when the regex or polars changes."""
    assert class_table() == derive_class_table()
