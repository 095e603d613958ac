"""Configuration: frozen dataclasses with defaults; each option is defined once."""
from __future__ import annotations

import json
import numbers
import os
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_MAX_RECORD_BYTES = 16 << 20
MAX_RECORD_BYTES_LIMIT = 1 << 40  # past any memory; larger values overflowed the reader's C sizes (records lost one by one)
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 0.001, 1e9  # a shorter limit rounded to none; a longer one overflowed the timer
DEFAULT_RECORD_TIMEOUT = 60.0  # seconds: sound records, even 1 MiB of real HTML, take well under one
DEFAULT_WORKER_MEMORY_MB = 4096  # beyond what a worker holds when it starts a file: 16 MiB of dense markup (<p>a) peaks at 2.4 GB
MIN_WORKER_MEMORY_MB = 1024  # a batch (32 Mi characters of text and their features) takes a few hundred MB


DEFAULT_DB = "provenance.duckdb"


def default_db_path() -> str:
    """Return the store path: $PROVENANCE_DB, else provenance.duckdb in the working directory."""
    return os.environ.get("PROVENANCE_DB") or DEFAULT_DB


def period_text(period: object) -> object:
    """A period as the store names it: a year given as a number (baseline=2013, from Python) is the text '2013'."""
    return str(int(period)) if isinstance(period, numbers.Integral) and not isinstance(period, bool) else period  # (numpy's too)


class PeriodText:
    """A config's `baseline` read as text (period_text) when the config is made."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "baseline", period_text(getattr(self, "baseline")))


MIN_YEAR, MAX_YEAR = 1900, 2999  # --year: the years a document's date can hold (documents.year is a SMALLINT)


def known_languages() -> frozenset[str]:
    """The codes the language detector gives (resiliparse's fast detector: ISO 639-1), and 'unknown'."""
    from resiliparse.parse.lang import supported_langs

    return frozenset(supported_langs()) | {"unknown"}


# ledger option -> the command-line option that sets it (for messages)
OPTION_NAMES = {"sample_rate": "--sample-rate", "langs": "--lang", "tokenizer": "--tokenizer", "year": "--year", "crawl": "--crawl"}
FLAGS = {"keep_text": ("--no-text", "--text"), "prose_lists": ("--no-prose-lists", "--prose-lists")}  # (off, on), as typed


def _comparable(option: str, value: object) -> object:
    """A ledger option's value as compared: --lang is a set of codes (any order, any case)."""
    return sorted(map(str.lower, value or [])) if option == "langs" else value


def _shown(value: object) -> str:
    if value is None or value == []:
        return "none"
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class IngestConfig:
    """Options of one ingest run."""

    db: str = field(default_factory=default_db_path)  # $PROVENANCE_DB, else provenance.duckdb (as Store())
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    crawl: str | None = None  # overrides warcinfo isPartOf and the file name
    year: int | None = None  # overrides the year of WARC-Date
    sample_rate: float = 1.0  # keep a URL when its hash falls under this
    langs: tuple[str, ...] = ()  # keep only these languages (empty: all)
    tokenizer: str | None = None  # path of a local Hugging Face tokenizer, counted beside the word tokenizer
    keep_text: bool = True
    prose_lists: bool = False  # keep <ul> lists of prose near the top of a page in main text (ingest/prose_lists.py)
    force: bool = False
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    batch_docs: int = 1000  # documents per feature batch: bounds worker memory
    block_docs: int = 500  # documents per resampling block (token_counts.block); divides batch_docs
    file_timeout: float | None = None  # seconds per input file; None: no limit
    record_timeout: float | None = DEFAULT_RECORD_TIMEOUT  # seconds to extract one record, in worker processes (ingest/watch.py); None: no limit
    worker_memory_mb: int | None = DEFAULT_WORKER_MEMORY_MB  # MiB the process reading a file may allocate beyond what it held (ingest/memory.py); None: no limit
    paths_prefix: str | None = None  # where relative entries of *.paths listings live

    def ledger_options(self) -> dict:
        """The options that shape a file's rows, as its ledger entry records them (sources.options)."""
        return {"sample_rate": self.sample_rate, "langs": list(self.langs), "tokenizer": self.tokenizer, "year": self.year,
                "crawl": self.crawl, "keep_text": self.keep_text, "prose_lists": self.prose_lists}

    def changed_options(self, recorded: str | dict | None) -> list[str]:
        """The ledger options (JSON as sources.options holds it) that differ from these, as 'name: was -> now'.

        Options a ledger entry does not record (written by an older version) are not compared."""
        if isinstance(recorded, str):
            recorded = _options_json(recorded)  # a rerun over a crawl's 90,000 files: a few distinct strings
        if not isinstance(recorded, dict):
            return []
        now = self.ledger_options()
        return [f"{FLAGS[k][bool(recorded[k])]} -> {FLAGS[k][bool(v)]}" if k in FLAGS
                else f"{OPTION_NAMES.get(k, k)}: {_shown(recorded[k])} -> {_shown(v)}"
                for k, v in now.items() if k in recorded and _comparable(k, recorded[k]) != _comparable(k, v)]

    def __post_init__(self) -> None:
        from provenance.errors import UsageError

        if not 0.0 < self.sample_rate <= 1.0:
            raise UsageError(f"--sample-rate must be in (0, 1], got {self.sample_rate}")
        if self.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {self.workers}")
        if not 1024 <= self.max_record_bytes <= MAX_RECORD_BYTES_LIMIT:
            raise UsageError(f"--max-record-bytes must be at least 1024 and at most {MAX_RECORD_BYTES_LIMIT}, got {self.max_record_bytes}")
        for name in ("record_timeout", "file_timeout"):
            seconds = getattr(self, name)
            if seconds == 0:  # no limit, as on the command line
                object.__setattr__(self, name, None)
            elif seconds is not None and not MIN_TIMEOUT_S <= seconds < MAX_TIMEOUT_S:
                raise UsageError(f"--{name.replace('_', '-')} must be a number of seconds from {MIN_TIMEOUT_S} (0: no limit), got {seconds}")
        if self.worker_memory_mb is not None and self.worker_memory_mb < MIN_WORKER_MEMORY_MB:
            raise UsageError(f"--worker-memory must be at least {MIN_WORKER_MEMORY_MB} MiB (0: no limit), got {self.worker_memory_mb}")
        if self.year is not None and not MIN_YEAR <= self.year <= MAX_YEAR:
            raise UsageError(f"--year must be a year between {MIN_YEAR} and {MAX_YEAR}, got {self.year}")
        if self.crawl is not None:
            object.__setattr__(self, "crawl", self.crawl.strip())
            if not self.crawl:
                raise UsageError("--crawl needs a crawl id (e.g. CC-MAIN-2024-10); leave it out to take each file's own")
        if isinstance(self.langs, str):  # langs="en" (Python): one code, not its letters
            object.__setattr__(self, "langs", (self.langs,))
        if self.langs:
            codes = (code.strip().lower() for lang in self.langs for code in lang.split(","))  # "EN" is en; "en,fr" is two
            object.__setattr__(self, "langs", tuple(dict.fromkeys(code for code in codes if code)))  # ("en," is en)
            if not self.langs:
                raise UsageError("--lang needs a language code, e.g. --lang en")
            known = known_languages()
            unknown = [lang for lang in self.langs if lang not in known]
            if unknown:  # a code the detector never gives would drop every document, and mark the files done
                raise UsageError(f"--lang {', '.join(unknown)}: not a language the detector knows; one of {' '.join(sorted(known))}")
        if self.block_docs < 1 or self.batch_docs % self.block_docs:
            raise UsageError(f"--block-docs must divide the batch size {self.batch_docs}, got {self.block_docs}")
        if self.tokenizer is not None and not self.tokenizer.strip():  # ("" read as the working directory)
            raise UsageError("--tokenizer needs the path of a tokenizer (a folder, a tokenizer.json or a GGUF file)")


@lru_cache(maxsize=64)
def _options_json(text: str) -> object:
    """sources.options parsed (None when it is not JSON); callers only read it."""
    try:
        return json.loads(text)
    except ValueError:
        return None
