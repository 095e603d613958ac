"""Tokenizers: Unicode words, one token per character in scripts without spaces, HF tokenizers from local files."""
from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ingest.hftokens import HFTokenizer
from provenance.ingest.tokenize import word_tokenize


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Caf\u00e9 na\u00efve \u00c9COLE", ["caf\u00e9", "na\u00efve", "\u00e9cole"]),  # accented Latin, lower-cased
        ("\uff26\uff35\uff2c\uff2c width", ["full", "width"]),  # NFKC folds full-width letters
        ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!", ["\u043f\u0440\u0438\u0432\u0435\u0442", "\u043c\u0438\u0440"]),  # Cyrillic
        ("\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", ["\u0645\u0631\u062d\u0628\u0627", "\u0628\u0627\u0644\u0639\u0627\u0644\u0645"]),  # Arabic words split on spaces
        ("\u6211\u7231\u5317\u4eac", ["\u6211", "\u7231", "\u5317", "\u4eac"]),  # Chinese: one token per character
        ("\u3053\u3093\u306b\u3061\u306f\u4e16\u754c", ["\u3053", "\u3093", "\u306b", "\u3061", "\u306f", "\u4e16", "\u754c"]),  # Japanese kana + kanji
        ("\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", ["\u0e2a", "\u0e27\u0e31", "\u0e2a", "\u0e14\u0e35"]),  # Thai: characters with their marks
        ("web2.0 e-mail don't", ["web2", "0", "e", "mail", "don", "t"]),
        # a browser shows one word across a soft hyphen, a word joiner or a zero-width no-break space
        ("Donau\u00addampf\u00adschiff x\u2060y a\ufeffb", ["donaudampfschiff", "xy", "ab"]),
        # the ZWJ and variation selectors inside emoji sequences are no tokens (family, technologist, eye in bubble)
        ("family \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f469\u200d\U0001f4bb \U0001f441\ufe0f\u200d\U0001f5e8\ufe0f end",
         ["family", "end"]),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0645", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"]),  # Persian: a ZWNJ inside a word stays in it
        ("\u0301abc", ["abc"]),  # a mark with no base starts no token
        # punctuation of scripts without spaces is no token: Tibetan tsheg and shad, Khmer and Myanmar full stops, Chinese full stop
        ("\u0f56\u0f7c\u0f51\u0f0b\u0f0d \u1780\u17d4 \u1019\u104b \u4e2d\u3002", ["\u0f56\u0f7c", "\u0f51", "\u1780", "\u1019", "\u4e2d"]),
    ],
)
def test_word_tokenizer_splits_each_script_sensibly(text, tokens):
    assert word_tokenize(text) == tokens


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_no_token_is_empty_or_contains_whitespace_and_cjk_runs_are_never_one_token(text):
    for tok in word_tokenize(text):
        assert tok and not any(c.isspace() for c in tok)
        assert not (len(tok) > 1 and all("\u4e00" <= c <= "\u9fff" for c in tok))


@pytest.fixture(scope="module")
def local_tokenizer(tmp_path_factory):
    """Build and save a tiny WordPiece tokenizer with `tokenizers`, as a user's local folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[UNK]", "[PAD]"])
    tok.train_from_iterator(["the quick brown fox jumps over the lazy dog"] * 20 + ["archives keep the web"] * 20, trainer)
    folder = tmp_path_factory.mktemp("tok")
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(folder)
    return str(folder)


def test_a_local_hugging_face_tokenizer_loads_through_transformers_offline(local_tokenizer, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tok = HFTokenizer(local_tokenizer)
    assert tok.tokens(["the quick fox"]) == [["the", "quick", "fox"]]
    assert tok.name.startswith("hf:")


def test_ingest_with_tokenizer_stores_its_counts_beside_the_word_counts(local_tokenizer, make_warc, tmp_path):
    from typer.testing import CliRunner

    from provenance.cli import app
    from provenance.store import Store
    from tests.conftest import response_record

    db = str(tmp_path / "s.duckdb")
    path = make_warc("t.warc.gz", [response_record(1, text="the quick brown fox jumps over the lazy dog")])
    result = CliRunner().invoke(app, ["ingest", str(path), "--db", db, "--tokenizer", local_tokenizer, "--json"])
    assert result.exit_code == 0, result.output
    with Store(db, read_only=True) as s:
        names = dict(s.sql("SELECT tokenizer, sum(count) FROM token_counts GROUP BY 1").fetchall())
    assert names["word"] == 11  # 'page 1' title + 9 words
    assert sum(v for k, v in names.items() if k.startswith("hf:")) >= 9


def test_a_missing_tokenizer_path_is_a_one_line_error(make_warc, tmp_path):
    from typer.testing import CliRunner

    from provenance.cli import app
    from tests.conftest import response_record

    path = make_warc("t.warc.gz", [response_record(1)])
    result = CliRunner().invoke(app, ["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--tokenizer", str(tmp_path / "nope")])
    assert result.exit_code == 2  # a usage error, before the store is made
    assert f"--tokenizer {tmp_path / 'nope'}: tokenizer path does not exist" in result.stderr and not (tmp_path / "s.duckdb").exists()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", ['{"version": "1.0", "model": {"type": "WordPiece"}}', "[]",
                                     '{"version": "1.0", "added_tokens": [], "model": {"type": "Nope"}}'])
def test_a_corrupt_tokenizer_file_is_a_one_line_error(make_warc, tmp_path, content):
    # KeyError, TypeError and a Rust exception from the loaders were tracebacks
    from typer.testing import CliRunner

    from provenance.cli import app
    from tests.conftest import response_record

    (tmp_path / "tok").mkdir()
    (tmp_path / "tok" / "tokenizer.json").write_text(content)
    path = make_warc("t.warc.gz", [response_record(1)])
    result = CliRunner().invoke(app, ["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--tokenizer", str(tmp_path / "tok")])
    assert result.exit_code == 2 and "cannot load tokenizer: " in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
