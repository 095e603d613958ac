"""Hugging Face tokenizers for --tokenizer: loaded through transformers from local files only, and counted over whole texts.

* Loading: AutoTokenizer.from_pretrained(folder, local_files_only=True), a tokenizer.json file given
  itself, or a GGUF model file (llama.cpp's: the tokenizer its metadata holds, through transformers'
  gguf_file=, which needs the gguf package and imports torch: ~5 s). A folder without a tokenizer's
  files, a missing package: one line that says so.
* Whole texts: padding and truncation that a tokenizer.json carries (many published ones truncate at 512
  tokens, or pad) are switched off on the loaded copy, and no special tokens are added: the counts are
  those of each text's own tokens, whatever batch it is in.
* Memory: the Rust library holds ~460 bytes per token while it encodes (a 12 MB text: 2 GB) and aborts
  the process when an allocation fails. Texts are encoded in pieces of at most PIECE_CHARS characters,
  at most CALL_CHARS characters per call; the counts keep only token ids (numpy), named once per
  distinct id. A piece is cut where the tokenizer's pre-tokenizer splits anyway (_CUTS: between words,
  at line breaks; the rules a tokenizer breaks on probe texts are not used for it, and each cut is
  checked on CHECK_CHARS characters either side: the tokens there must be those of the text uncut).
  Only a text with no such place in PIECE_CHARS / 2 characters (CJK without spaces or line breaks,
  a run of white space) is cut anywhere, where a token or two can differ from the whole text's.
* Name: "hf:" + the folder's name (a Hugging Face cache snapshot: its repository's, "org/name"; a GGUF
  file's name without .gguf) + "@" +
  8 hex digits of a hash of the loaded tokenizer as the library writes it out (with padding and
  truncation off). Two tokenizers in folders of one name are two names; a copy in a folder of the same
  name has the same name. `resolve` turns what a user types (a name, its part before "@", or the path
  given to ingest) into a name the store holds.
* Counted by id: text the tokenizer cannot represent counts as its unknown token, as a model sees it. A
  slow tokenizer (pure Python, no Rust backend) is counted by its token strings, a text at a time.
* Loaded once per ingest in the workers' forkserver (preload.py), which its workers share.
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa

from provenance.errors import InputError
from provenance.ingest.tokenize import WORD_TOKENIZER

PIECE_CHARS = 100_000  # 25,000 (English) to 140,000 (CJK under byte-level BPE) tokens: 12-65 MB in the Rust library
CALL_CHARS = 300_000  # per encode_batch call: at most ~200 MB there (1.4 tokens a character, ~460 bytes a token)
CHECK_CHARS = 200  # a cut is checked on this many characters either side of it
TRIES = 8  # places tried per cut rule before the next rule
PREFIX = "hf:"
# the files a tokenizer folder holds: a fast tokenizer's, or a slow one's vocabulary
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")
# Where a text may be cut, best first (searched in the second half of each piece): before a single space between two
# words (the space begins the next word's token: " the", "▁the"); after a line break between two words (a
# line break ends the token before it); before a line break after a letter or digit (punctuation and the line
# breaks after it are one token to Llama 3). (pattern, cut after the match rather than before it)
_CUTS = ((re.compile(r"(?<=\S) (?=\S)"), False), (re.compile(r"(?<=\S)\n(?=\S)"), True), (re.compile(r"(?<=[^\W_])\n"), False))


class HFTokenizer:
    """A Hugging Face tokenizer loaded through transformers from local files only."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._tok, self.name, self._cuts = _load(path)

    def counts(self, texts: Sequence[str]) -> tuple[np.ndarray, pa.Array, np.ndarray]:
        """Return (dictionary index of every token, flattened in text order; the distinct tokens; tokens per text)."""
        backend = getattr(self._tok, "backend_tokenizer", None)
        if backend is None:  # a slow tokenizer (no Rust backend, pure Python): its token strings, a text at a time
            from provenance.ingest.minhash import encode_tokens

            return encode_tokens([self._tok.tokenize(t) for t in texts])
        ids = self._ids(backend, texts)
        lengths = np.fromiter((len(a) for a in ids), np.int64, len(ids))
        flat = np.concatenate(ids) if ids else np.zeros(0, np.int32)
        present = np.zeros(int(flat.max()) + 1 if flat.size else 0, bool)  # ids are below the vocabulary's size: no sort
        present[flat] = True
        distinct = np.flatnonzero(present)
        index = (np.cumsum(present, dtype=np.int32) - 1)[flat]
        vocab = pa.array([backend.id_to_token(int(i)) for i in distinct], pa.string())
        return index.astype(np.int32, copy=False), vocab, lengths

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Return the token strings of each text (no special tokens): what counts() counts."""
        index, vocab, lengths = self.counts(texts)
        names = vocab.to_pylist()
        flat = [names[i] for i in index]
        ends = np.cumsum(lengths)
        return [flat[e - n:e] for e, n in zip(ends.tolist(), lengths.tolist())]

    def _ids(self, backend: Any, texts: Sequence[str]) -> list[np.ndarray]:
        def holds(text: str, at: int) -> bool:
            return cut_holds(backend, text, at, CHECK_CHARS)

        per_text: list[list[np.ndarray]] = [[] for _ in texts]
        call: list[tuple[int, str]] = []
        size = 0
        for i, text in enumerate(texts):
            for piece in pieces(text, PIECE_CHARS, self._cuts, holds):
                if call and size + len(piece) > CALL_CHARS:
                    _encode(backend, call, per_text)
                    call, size = [], 0
                call.append((i, piece))
                size += len(piece)
        if call:
            _encode(backend, call, per_text)
        return [np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros(0, np.int32) for parts in per_text]


def cut_holds(backend: Any, text: str, at: int, span: int | None = None) -> bool:
    """Whether cutting text at `at` leaves its tokens (of the `span` characters either side; all of text by default)
    as they are uncut."""
    start = 0 if span is None else max(0, at - span)
    window = text[start:] if span is None else text[start:at + span]
    k = at - start

    def ids(part: str) -> list[int]:
        return backend.encode(part, add_special_tokens=False).ids

    return ids(window) == ids(window[:k]) + ids(window[k:])


def _encode(backend: Any, call: list[tuple[int, str]], per_text: list[list[np.ndarray]]) -> None:
    for (i, _), enc in zip(call, backend.encode_batch([piece for _, piece in call], add_special_tokens=False)):
        per_text[i].append(np.asarray(enc.ids, np.int32))


def pieces(text: str, limit: int = PIECE_CHARS, cuts: Sequence[tuple[re.Pattern, bool]] = _CUTS,
           holds: Callable[[str, int], bool] | None = None) -> list[str]:
    """Cut text into pieces of at most `limit` characters, each at the last place in the second half of its piece that
    the first of `cuts` to have one finds (and where `holds(text, at)`, if given: up to TRIES places a rule), else at
    the limit."""
    out, start = [], 0
    while len(text) - start > limit:
        end = start + limit
        cut = next((at for pattern, after in cuts for at in _places(pattern, text, start, end, after)
                    if holds is None or holds(text, at)), end)
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return out


def _places(pattern: re.Pattern, text: str, start: int, end: int, after: bool) -> list[int]:
    """Where the last TRIES matches of pattern in the second half of text[start:end] start (or end, after=True), last first."""
    found = [m.end() if after else m.start() for m in pattern.finditer(text, start + (end - start) // 2, end)]
    return [at for at in reversed(found[-TRIES:]) if at > start]


# Text that meets each cut: a rule is used for a tokenizer only where cutting these there changes none of its tokens
_PROBES = ("The quick brown fox, jumps over the lazy dog.\nA second line\n\nand a third one.\n    indented 3.8\n-- end",
           "Ein Beispiel: Grüße aus Köln!\nZweite Zeile\n\tTab\n")


def safe_cuts(backend: Any) -> tuple[tuple[re.Pattern, bool], ...]:
    """The _CUTS at which this tokenizer's tokens of the probe texts are those of the whole (a tokenizer that puts a
    space or "▁" before a text's first word takes only cuts before a space)."""
    def holds(pattern: re.Pattern, after: bool) -> bool:
        return all(cut_holds(backend, text, m.end() if after else m.start()) for text in _PROBES for m in pattern.finditer(text))

    return tuple(cut for cut in _CUTS if holds(*cut))


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Any, str, tuple[tuple[re.Pattern, bool], ...]]:
    """(the tokenizer, its name, where its texts may be cut); raise InputError with one line saying what is wrong."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "tokenizer path does not exist")
    _check_files(p)
    try:
        from transformers import AutoTokenizer, PreTrainedTokenizerFast
        from transformers.utils import logging as hf_logging
    except ImportError:
        raise InputError(path, "--tokenizer needs transformers: pip install 'provenance[hf]'") from None
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its warnings (a slow tokenizer converted, a missing file) are not ours to print
    try:
        if _is_gguf(p):
            tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name, local_files_only=True)
        elif p.is_file():
            tok = PreTrainedTokenizerFast(tokenizer_file=str(p))
        else:
            tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True)
    except Exception as exc:  # a corrupt tokenizer.json fails in any of the loaders' ways (KeyError, TypeError, a Rust exception)
        what = "the tokenizer of this GGUF file" if _is_gguf(p) else "tokenizer"
        raise InputError(path, f"cannot load {what}: {_said(exc)}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is not None:
        backend.no_truncation()
        backend.no_padding()
        fingerprint = hashlib.sha256(backend.to_str().encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cuts = safe_cuts(backend)
    else:  # a slow tokenizer: its folder's files say what it is
        digest = hashlib.sha256()
        for f in sorted(x for x in p.iterdir() if x.is_file()):
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
        fingerprint, cuts = digest.hexdigest()[:8], ()
    return tok, f"{PREFIX}{label(p)}@{fingerprint}", cuts


def _check_files(p: Path) -> None:
    """Refuse, in one line, what cannot be a tokenizer before transformers says so in many."""
    if p.is_file():
        if _is_gguf(p):
            with open(p, "rb") as f:
                if f.read(4) != b"GGUF":
                    raise InputError(str(p), "not a GGUF file (it does not begin with GGUF's magic bytes)")
            if importlib.util.find_spec("gguf") is None:
                raise InputError(str(p), "a GGUF model file's tokenizer needs the gguf package: pip install 'provenance[llm]'")
            return
        if p.name != "tokenizer.json":
            raise InputError(str(p), "not a tokenizer: give a folder holding tokenizer.json (or a slow tokenizer's vocabulary), "
                                     "a tokenizer.json file or a GGUF model file")
        return
    names = {x.name for x in p.iterdir()} if p.is_dir() else set()
    if not names & set(TOKENIZER_FILES):
        raise InputError(str(p), f"no tokenizer files in this folder (one of {', '.join(TOKENIZER_FILES)})")
    if "tokenizer.json" not in names and names & {"tokenizer.model", "spiece.model", "sentencepiece.bpe.model"} \
            and importlib.util.find_spec("sentencepiece") is None:
        raise InputError(str(p), "a SentencePiece tokenizer without tokenizer.json needs the sentencepiece package: "
                                 "pip install sentencepiece")


def _said(exc: BaseException, limit: int = 300) -> str:
    """The exception on one line: its message's lines joined (transformers' first line alone says 'one of:')."""
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text[:limit]}"


def _is_gguf(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() == ".gguf"


def label(p: Path) -> str:
    """The folder's name; for a Hugging Face cache snapshot (models--org--name/snapshots/<commit>), 'org/name'; a GGUF
    file's name without its suffix."""
    if _is_gguf(p):
        return p.stem
    folder = (p.parent if p.is_file() else p).resolve()
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--"):
        return folder.parent.parent.name[len("models--"):].replace("--", "/")
    return folder.name or "tokenizer"


def resolve(given: str, held: Sequence[str]) -> str | None:
    """The tokenizer name among `held` (the store's) that `given` means: the name itself, the part before its "@"
    (when one name has it), or the path of a tokenizer (loaded to learn its name). None when nothing matches."""
    if given in held:
        return given
    before = [name for name in held if name.split("@", 1)[0] == given]
    if len(before) == 1:
        return before[0]
    if len(before) > 1:
        raise InputError(given, f"means more than one tokenizer in the store: {', '.join(sorted(before))}; give the whole name")
    if given != WORD_TOKENIZER and Path(given).exists():  # (a folder named 'word' in the working directory is not meant)
        name = _load(given)[1]
        return name if name in held else None
    return None
