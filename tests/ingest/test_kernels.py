"""The compiled ingest kernels give exactly what the numpy/polars reference code gives."""
from __future__ import annotations

import os
import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ingest.features import count_blocks
from provenance.ingest.minhash import minhash_hashes
from provenance.ingest.tokenize import _kernels, _reference_batch, normalize_texts, word_token_batch
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


def assert_same(texts, reference=None):
    native, reference = word_token_batch(texts, native=True), reference or word_token_batch(texts, native=False)
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
def test_kernels_match_the_reference_where_ascii_and_other_scripts_meet():
    """ASCII words are found 16 bytes at a time: runs of every length, at the end of a text, straddling
    non-ASCII word characters, marks and no-space characters."""
    rng = random.Random(11)
    pieces = ["a", "Z", "9", "_", "x" * 15, "y" * 16, "q7_" * 11, "\u00e9", "\u00df", "\u0436", "\u0301", "\u4e2d",
              "\u0e01\u0e31", "\U0001d400", " ", ".", "-", "'", "\n", "\u00a0", "\x00", "\x7f", "\x80", "\u2028",
              "\u200d", "\u200c", "\ufe0f", "\u00ad", "\u2060", "\ufeff", "\u0f0b", "\u0f7c", "\u17d4", "\U0001f468"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(400)]
    texts += ["w" * n for n in range(70)] + ["w" * n + "\u00e9" + "v" * n for n in range(40)]
    assert_same(texts)


@needs_kernels
def test_a_lone_surrogate_separates_tokens_in_both_paths():
    assert_same(["ab\ud800cd", "\udfff", "x\udc80\u4e2d"])
    assert word_token_batch(["ab\ud800cd"], native=False).vocab.to_pylist() == ["ab", "cd"]


@needs_kernels
def test_kernels_match_the_reference_on_a_large_vocabulary():
    """More distinct tokens than the kernel's initial map holds, and found in chunks once it is large."""
    rng = random.Random(5)
    texts = [" ".join(f"w{rng.randrange(60_000):x}" for _ in range(rng.randrange(0, 400))) for _ in range(300)]
    assert_same(texts)
    assert len(word_token_batch(texts, native=True).vocab) > 32_768  # half the initial slots: the map grows


@needs_kernels
def test_kernels_treat_a_lone_surrogate_as_a_separator():
    """A lone surrogate (surrogatepass bytes) ends a token, as a space does; the regex reference cannot encode it."""
    texts = ["ab\ud800cd", "\udfffx", "y\udbff", "\u4e2d\ud800\u0301", "caf\u00e9\udc00\u00e9t\u00e9 q" * 5, "\ud800" * 3, ""]
    spaced = [re.sub("[\ud800-\udfff]", " ", t) for t in normalize_texts(texts)]
    assert_same(texts, _reference_batch(spaced))


def random_counting_input(rng: np.random.Generator, n_docs: int, n_groups: int, n_vocab: int, ids: str):
    lengths = rng.integers(0, 30, n_docs) * (rng.random(n_docs) < 0.8)  # some empty documents
    index = rng.integers(0, max(n_vocab, 1), int(lengths.sum())).astype(np.int32)
    group = rng.integers(0, max(n_groups, 1), n_docs)
    if ids == "hashes":
        vocab_ids = rng.integers(0, 2**64, n_vocab, dtype=np.uint64)
    else:  # few distinct values: equal ids keep dictionary order
        vocab_ids = rng.integers(0, 8, n_vocab).astype(np.uint64)
    return group.astype(np.int64), index, vocab_ids, lengths.astype(np.int64), n_groups


def assert_same_counts(*args):
    native, reference = count_blocks(*args, native=True), count_blocks(*args, native=False)
    for a, b in zip(native, reference):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@needs_kernels
@pytest.mark.parametrize("ids", ["hashes", "ties"])
def test_counting_kernel_matches_the_reference(ids):
    rng = np.random.default_rng(3)
    for n_docs, n_groups, n_vocab in [(1, 1, 1), (5, 1, 3), (40, 1, 200), (40, 7, 50), (300, 60, 2000), (10, 25, 10)]:
        for _ in range(20):
            assert_same_counts(*random_counting_input(rng, n_docs, n_groups, n_vocab, ids))


@needs_kernels
def test_counting_kernel_on_empty_input_and_groups_without_tokens():
    empty = np.zeros(0, np.int64)
    assert_same_counts(empty, np.zeros(0, np.int32), np.zeros(0, np.uint64), empty, 0)  # an empty batch
    ids = np.array([9, 3, 7], np.uint64)
    assert_same_counts(np.array([0, 1, 1], np.int64), np.zeros(0, np.int32), ids, np.zeros(3, np.int64), 2)  # empty documents
    # group 1 has only an empty document; group 2 has none
    assert_same_counts(np.array([0, 1, 0], np.int64), np.array([2, 0, 2, 1, 0], np.int32), ids, np.array([3, 0, 2], np.int64), 3)
    group, token_id, count, n_tokens = count_blocks(np.array([0, 1, 0], np.int64), np.array([2, 0, 2, 1, 0], np.int32), ids,
                                                    np.array([3, 0, 2], np.int64), 3)
    assert group.tolist() == [0, 0, 0] and token_id.tolist() == [3, 7, 9] and count.tolist() == [1, 2, 2]
    assert n_tokens.tolist() == [5, 0, 0]


@needs_kernels
@pytest.mark.parametrize("group, index, lengths, n_groups", [
    ([0, 1], [0, 1, 1], [1, 1], 2),  # lengths do not sum to the tokens
    ([0, 1], [0, 1], [1, 2], 2),
    ([0, 2], [0, 1], [1, 1], 2),  # a group out of range
    ([0, -1], [0, 1], [1, 1], 2),
    ([0, 0], [0, 3], [1, 1], 1),  # a token outside the vocabulary
    ([0, 0], [-1, 0], [1, 1], 1),
    ([0, 0], [0, 1], [3, -1], 1),  # a negative length
    ([0, 0], [0, 1], [1, 1], -1),
])
def test_counting_kernel_rejects_inconsistent_input(group, index, lengths, n_groups):
    with pytest.raises(ValueError):
        _kernels().count_blocks(np.array(index, np.int32), np.array(lengths, np.int64), np.array(group, np.int64),
                                np.array([5, 6, 7], np.uint64), n_groups)


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


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), max_size=30), max_size=12))
def test_first_in_block_matches_the_reference(blocks):
    """Which entries are their token's first in their block (tails' holders of a token): the kernel's one pass equals a sort."""
    from provenance.estimators.periods import _first_in_block_reference, first_in_block

    block_ptr = np.concatenate([[0], np.cumsum([len(b) for b in blocks])]).astype(np.int64)
    token = np.asarray([t for b in blocks for t in b], np.int32)
    got = first_in_block(block_ptr, token, 13, native=True)
    assert got.tolist() == _first_in_block_reference(block_ptr, token, 13).tolist()
    assert got.sum() == sum(len(set(b)) for b in blocks)


@needs_kernels
def test_first_in_block_refuses_buffers_that_do_not_describe_blocks():
    from provenance.estimators.periods import first_in_block

    with pytest.raises(ValueError):
        first_in_block(np.array([0, 3], np.int64), np.zeros(2, np.int32), 5, native=True)  # blocks hold 3 entries, 2 given
    with pytest.raises(ValueError):
        first_in_block(np.array([0, 2], np.int64), np.array([0, 9], np.int32), 5, native=True)  # token outside the vocabulary
