"""Units: sentences end at . ! ? before white space or at line breaks; words are the default
tokenizer's, and a unit keeps each word once."""
from __future__ import annotations

import polars as pl

from provenance.ingest.tokenize import word_tokenize
from provenance.synth.units import encode, occurrence_counts, split_units


def test_sentences_split_at_end_marks_and_line_breaks():
    units = split_units(["Hello world. Is it? Yes! Version 3.11 works\nTitle line", "", "  "], "sentence")
    assert units["words"].to_list() == [["hello", "world"], ["is", "it"], ["yes"], ["version", "3", "11", "works"], ["title", "line"]]
    assert units["doc"].to_list() == [0, 0, 0, 0, 0]


def test_words_are_the_default_tokenizers_and_distinct_per_unit():
    text = "Straße STRASSE ﬁle file Ｆｕｌｌ width, 東京 file"
    (words,) = split_units([text], "document")["words"].to_list()
    assert sorted(words) == sorted(set(word_tokenize(text)))


def test_occurrence_counts_units_not_tokens():
    counts = occurrence_counts(split_units(["a a a. b", "a"], "sentence"))
    assert dict(counts.iter_rows()) == {"a": 2, "b": 1}


def test_encode_drops_words_outside_the_vocabulary():
    enc = encode(split_units(["x a b. c"], "sentence"), pl.Series(["a", "c"]), 1)
    assert enc.indptr.tolist() == [0, 1, 2] and enc.ids.tolist() == [0, 1] and enc.n_units == 2
