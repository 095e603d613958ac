"""The shard directory written by a distributed ingest, local or on an object store (pyarrow.fs).

```
DIR/<table>/crawl=<crawl>/<part-prefix>-<n>.parquet   Parquet parts, hive-partitioned by crawl
DIR/_ledger/<sha256>.json                              one finished file (FileResult metadata + faults)
DIR/_ledger/_fold/<seq>.parquet                        many of them, folded by compact (ledger.py)
DIR/_folded/<sha256>.json                              a folded one, moved aside for lookups by key
DIR/_errors/<address-key>.json                         one file that failed after its retries
DIR/_runs/<run_id>.json                                one driver run: options and counts
DIR/<table>/crawl=<crawl>/_compact/<token>.parquet     the rows of many parts, each row with its part's prefix (compact.py)
DIR/<table>/crawl=<crawl>/_compact/<token>.json        its manifest: the parts it holds (written last: the commit)
```
A part prefix is `<sha256[:16]>-<attempt token>`; the ledger entry names the prefix of its parts
and is written only after all of them are in place. Readers (`attach`) take only parts whose
prefix a ledger entry names, so parts of a killed or retried attempt are never read twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pyarrow import fs as pafs

from provenance.errors import StoreError
from provenance.ingest.remote import is_remote

LEDGER, ERRORS, RUNS = "_ledger", "_errors", "_runs"
# the ledger's folded entries, and their files moved aside (not under _ledger/: an object store's glob of _ledger/*.json
# lists every key under the prefix) (ledger.py)
FOLDS, FOLDED = f"{LEDGER}/_fold", "_folded"
COMPACT = "_compact"  # a crawl folder's compacted parts (compact.py)
EMPTY = "_empty"  # the name of a folder's placeholder file: no rows, named by no ledger entry (see attach.py)
SOURCE_ID_BITS = 31  # doc_id = (source_id << 32) | ordinal stays a positive BIGINT
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def address_key(path: str) -> str:
    """Return the sha256 hex of an input's address (its URL or absolute path; a file name's bytes as they are)."""
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def crawl_dir(crawl: str | None) -> str:
    """Return the partition folder name of a crawl id (characters outside [A-Za-z0-9._-] become '_')."""
    return "crawl=" + (_UNSAFE.sub("_", crawl or "unknown") or "unknown")


def allocate_source_ids(addresses: Iterable[str], used: set[int]) -> dict[str, int]:
    """Give each address a source id: the top 31 bits of sha256(address), probed past ids in use.

    The same address gets the same id in every run unless two addresses share the top 31 bits
    (then the later one, in argument order, takes the next free id). Ids are unique within a DIR
    because `used` holds every id its ledger already names.
    """
    out: dict[str, int] = {}
    for address in addresses:
        sid = int(address_key(address)[:8], 16) >> (32 - SOURCE_ID_BITS)
        while sid == 0 or sid in used:
            sid = (sid + 1) & ((1 << SOURCE_ID_BITS) - 1)
        used.add(sid)
        out[address] = sid
    return out


class ShardDir:
    """A shard directory on any pyarrow filesystem; paths below are relative to its root."""

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/") if is_remote(uri) else os.path.abspath(uri)
        self.local = not is_remote(uri)
        if self.local:
            self.fs: pafs.FileSystem = pafs.LocalFileSystem()
            self.root = self.uri
        else:
            self.fs, self.root = pafs.FileSystem.from_uri(self.uri)
            self.root = self.root.rstrip("/")

    def full(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def url(self, rel: str) -> str:
        """The address DuckDB reads rel at (an absolute path, or the s3:// URL)."""
        return f"{self.uri}/{rel}"

    # -- small JSON files -----------------------------------------------------------------------
    def write_json(self, rel: str, obj: dict[str, Any]) -> None:
        """Write obj as one JSON line; atomically (a temp name, then a rename) on local disks."""
        self.write_bytes(rel, (json.dumps(obj, sort_keys=True, default=str) + "\n").encode("utf-8"))

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a small file; atomically (a temp name, then a rename) on local disks."""
        target = self.full(rel)
        self.fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
        tmp = target + f".{uuid.uuid4().hex[:8]}.tmp" if self.local else target  # an S3 PUT is atomic
        with self.fs.open_output_stream(tmp) as f:
            f.write(data)
        if tmp != target:
            self.fs.move(tmp, target)

    def read_json(self, rel: str) -> dict[str, Any] | None:
        """Return the JSON object at rel, or None when there is none."""
        text = self.read_text(rel)
        return json.loads(text) if text and text.strip() else None  # (an empty file: a folder's placeholder, see attach.py)

    def read_text(self, rel: str) -> str | None:
        """The text of the file at rel, or None when there is none."""
        try:
            if self.local:  # (a third of pyarrow's time a file: a crawl's ledger is 90,000 files)
                with open(self.full(rel), "rb") as f:
                    return f.read().decode("utf-8")
            with self.fs.open_input_stream(self.full(rel)) as f:
                return f.read().decode("utf-8")
        except FileNotFoundError:
            return None

    def list(self, folder: str, suffix: str = "") -> list[str]:
        """Return the relative paths of the files directly in folder that end in suffix."""
        return sorted(self.files(folder, suffix))

    def files(self, folder: str, suffix: str = "") -> dict[str, pafs.FileInfo]:
        """Return the files directly in folder that end in suffix (their size, mtime), by relative path."""
        sel = pafs.FileSelector(self.full(folder), allow_not_found=True)
        prefix = self.root + "/"
        return {i.path[len(prefix):]: i for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.File and i.path.endswith(suffix)}

    def read_all(self, folder: str) -> list[dict[str, Any]]:
        """Read every *.json in folder (in parallel threads on object stores)."""
        return list(self.read_named(folder, ".json").values())

    def read_named(self, folder: str, suffix: str = ".json", pick: Callable[[list[str]], list[str]] | None = None) -> dict[str, dict[str, Any]]:
        """The JSON object of each file in folder that ends in suffix (those pick keeps; not the empty ones), by relative
        path; a file that is not one JSON object is a StoreError naming it."""
        objs = {}
        for rel, text in self.read_texts(folder, suffix, pick).items():
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                obj = None
            if not isinstance(obj, dict):
                raise StoreError(f"{self.url(rel)}: not a JSON object (cut short, or not written by provenance): "
                                 "move it away (a ledger entry's file is then ingested again)")
            objs[rel] = obj
        return objs

    def read_texts(self, folder: str, suffix: str = "", pick: Callable[[list[str]], list[str]] | None = None) -> dict[str, str]:
        """The text of each file in folder that ends in suffix (those pick keeps), by relative path (files gone meanwhile
        left out; read in parallel threads on object stores)."""
        names = pick(self.list(folder, suffix)) if pick else self.list(folder, suffix)
        if self.local:  # (a thread pool's hand-off costs more than a local read)
            return {rel: t for rel in names if (t := self.read_text(rel)) is not None}
        with ThreadPoolExecutor(max_workers=32) as pool:
            return {rel: t for rel, t in zip(names, pool.map(self.read_text, names)) if t is not None}

    def move_all(self, moves: list[tuple[str, str]]) -> None:
        """Move files (source, target) in order (a rename on local disks; a copy, then a delete, on object stores:
        in parallel threads)."""
        for folder in {target.rsplit("/", 1)[0] for _, target in moves}:
            self.fs.create_dir(self.full(folder), recursive=True)
        if self.local:
            for source, target in moves:
                os.replace(self.full(source), self.full(target))
            return
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda m: self.fs.move(self.full(m[0]), self.full(m[1])), moves))

    def delete(self, rel: str) -> None:
        try:
            self.fs.delete_file(self.full(rel))
        except FileNotFoundError:
            pass

    def holds_shards(self) -> bool:
        """Whether an ingest --output has written here (its ledger of files, or its errors of files that failed)."""
        return bool(self.list(LEDGER, ".json") or self.list(ERRORS, ".json") or self.list(FOLDS, ".parquet"))

    def has_parts(self, table: str, compacted: bool | None = None) -> bool:
        """True when at least one Parquet part of table exists (not counting attach's placeholders): a part as ingest
        published it, or a compacted file (compacted=None: either; True: compacted only; False: published only)."""
        return any(True for _ in self.parts(table, compacted))

    def parts(self, table: str, compacted: bool | None = None) -> Iterator[str]:
        """The Parquet files of table (not attach's placeholders), folder by folder; compacted as in has_parts."""
        folders = [f"{table}/{d}" for d in self.list_dirs(table)]
        where = {None: [*folders, *(f"{f}/{COMPACT}" for f in folders)], True: [f"{f}/{COMPACT}" for f in folders], False: folders}[compacted]
        return (rel for folder in where for rel in self.list(folder, ".parquet") if not rel.endswith(f"/{EMPTY}.parquet"))

    def list_dirs(self, folder: str) -> list[str]:
        sel = pafs.FileSelector(self.full(folder), allow_not_found=True)
        return sorted(i.base_name for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.Directory)

    # -- Parquet parts --------------------------------------------------------------------------
    def put_file(self, local_path: str, rel: str) -> None:
        """Move (or copy) a local file to rel; a local target appears atomically, by a rename."""
        target = self.full(rel)
        self.fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
        if self.local:
            try:
                os.replace(local_path, target)  # same filesystem: a rename
                return
            except OSError:
                pass
            tmp = target + ".tmp"
            shutil.copyfile(local_path, tmp)
            os.replace(tmp, target)
            return
        pafs.copy_files(local_path, target, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=self.fs)
