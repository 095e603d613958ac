"""Expand ingest arguments into input files: files, directories, globs, Common Crawl *.paths listings."""
from __future__ import annotations

import glob
import gzip
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from provenance.errors import path_text
from provenance.ingest.pages import peek, read_pages, twin
from provenance.ingest.remote import address_path, is_remote, read_remote_text, url_join
from provenance.ingest.wacz import NOT_REMOTE, is_wacz, member_files

if TYPE_CHECKING:
    from provenance.ingest.jobs import FileResult

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".warc.zst", ".arc", ".arc.gz", ".arc.zst", ".wet", ".wet.gz", ".wet.zst", ".warc.wet",
                    ".warc.wet.gz", ".warc.wet.zst", ".wat.gz", ".wat.zst", ".wacz")
LISTING_SUFFIXES = (".paths", ".paths.gz")
OPEN_SUFFIXES = tuple(f"{suffix}.open" for suffix in ARCHIVE_SUFFIXES)  # a file a crawler is still writing (Heritrix, warcprox)
# Where relative entries of a remote Common Crawl listing live: the root of the host or bucket it is read from.
CC_HOSTS = {"data.commoncrawl.org", "commoncrawl.s3.amazonaws.com", "ds5q9oxwqwsfj.cloudfront.net"}


@dataclass(frozen=True)
class InputFile:
    """One input: a path to read, or a reason it cannot be read."""

    path: str
    problem: str | None = None
    listed_as: str | None = None  # the listing's entry, when found elsewhere: its folders may name the crawl
    walked: bool = False  # found in a folder below the one named (not named, globbed, listed, or in the named folder itself)
    still_open: bool = False  # found in a folder, named as a crawler names a file it is still writing (OPEN_SUFFIXES)


def expand_inputs(args: list[str], paths_prefix: str | None = None) -> list[InputFile]:
    """Return input files in argument order (directories sorted), without duplicates; local files by their
    absolute paths (the ledger's key: a relative one named another file from another folder, and --force
    there replaced that file's rows)."""
    seen: set[str] = set()
    out: list[InputFile] = []
    for arg in args:
        for item in _expand_one(arg, paths_prefix):
            if not is_remote(item.path):  # (a missing one too: its failed row is replaced by path when it turns up)
                item = replace(item, path=os.path.abspath(item.path))
            elif is_wacz(item.path) and not item.problem:  # (its reading would fetch it whole for its hash, then fail)
                item = replace(item, problem=NOT_REMOTE)
            if item.path not in seen:
                seen.add(item.path)
                out.append(item)
    return out


def _expand_one(arg: str, paths_prefix: str | None) -> list[InputFile]:
    if is_remote(arg):  # (a presigned address ends in its query)
        return _read_remote_listing(arg, paths_prefix) if address_path(arg).lower().endswith(LISTING_SUFFIXES) else [InputFile(arg)]
    if any(ch in arg for ch in "*?[") and not os.path.lexists(arg):  # (a file named "crawl [copy].warc.gz" is that file)
        matches = sorted(glob.glob(arg, recursive=True))
        return [f for m in matches for f in _expand_path(m, paths_prefix)] or [InputFile(arg, "no files match this pattern")]
    return _expand_path(arg, paths_prefix)


def _expand_path(arg: str, paths_prefix: str | None) -> list[InputFile]:
    path = Path(arg)
    if path.is_dir():
        return _archives_under(arg) or [InputFile(arg, "directory holds no .warc/.wet/.arc files")]
    if not path.exists():
        return [InputFile(arg, "no such file or directory")]
    if not path.is_file():  # /dev/stdin, a FIFO, /dev/zero: hashing it first would drain it, or never end
        return [InputFile(arg, "not a regular file (a pipe, device or socket): an ingest reads its input twice (its hash, then its "
                               "records); save it to a file first")]
    if arg.lower().endswith(LISTING_SUFFIXES):
        return _read_listing(path, paths_prefix)
    return [InputFile(arg)]


WAT_SUFFIXES = (".wat.gz", ".wat.zst")
NO_PAGES_FOLDERS = {"robotstxt": "robots.txt files", "crawldiagnostics": "redirects and errors"}  # a Common Crawl segment's


@dataclass(frozen=True)
class Known:
    """What the ledger knows of a WARC file read before: its size and mtime then, and whether it held pages (pages.py)."""

    size: int | None
    mtime: float | None
    pages: bool | None


def leave_out_derived(inputs: list[InputFile], known: Mapping[str, Known] | None = None) -> tuple[list[InputFile], list[str]]:
    """Leave out inputs that would count pages twice or hold no pages, and say so. A Common Crawl segment's
    folder holds its WARC files and the WET and WAT files made from them (`warc/X.warc.gz`, `wet/X.warc.wet.gz`,
    `wat/X.warc.wat.gz`), and WARC files of robots.txt fetches and of redirects and errors (`robotstxt/`,
    `crawldiagnostics/`). A WET whose WARC is an input too (by file name, in any folder but those two; a Common Crawl
    file out of its warc/ folder unless known to hold no pages: pages.py, and `known`, the ledger's of files read
    before and unchanged since) holds the same pages again, as Common Crawl extracted them; found in
    folders, a WAT holds metadata and no text, and the other two no pages. Files named on the command line, globbed
    or listed stay (but a twin WET)."""
    ok = [i for i in inputs if not i.problem]
    no_pages = [i for i in ok if i.walked and _folder(i) in NO_PAGES_FOLDERS]
    wat = [i for i in ok if i.walked and i.path.lower().endswith(WAT_SUFFIXES)]
    wets = {_stem(_basename(i.path), _WET) for i in ok} - {None}
    warcs: dict[str, list[InputFile]] = {}  # the WARC files named as a WET input is, by that name
    for i in ok:
        if _stem(_basename(i.path), _WARC) in wets and _folder(i) not in NO_PAGES_FOLDERS:
            warcs.setdefault(_stem(_basename(i.path), _WARC), []).append(i)
    paged = {stem for stem, items in warcs.items() if any(_holds_pages(i, known or {}) for i in items)}
    twins = [i for i in ok if _stem(_basename(i.path), _WET) in paged]
    pageless = [i for stem, items in warcs.items() if stem not in paged for i in items]
    packed = _packed_again(ok)
    still_open = [i for i in ok if i.still_open]
    notes = []
    if still_open:
        notes.append(f"{len(still_open)} file(s) found in folders left out, their crawler still writing them (.open), e.g. "
                     f"{still_open[0].path}; ingest them once they are closed")
    if twins:
        notes.append(f"{len(twins)} WET file(s) left out of this run, their WARC files being inputs too (the same pages twice), e.g. "
                     f"{twins[0].path}; ingest WET files into a store of their own for the text Common Crawl extracted")
    if pageless:
        notes.append(f"{len(pageless)} WARC file(s) named as WET files hold robots.txt fetches or redirects and errors (most of their "
                     f"responses), not those WET files' pages, e.g. {pageless[0].path}")
    if packed:
        notes.append(f"{len(packed)} WACZ file(s) left out of this run, all of their WARC files being inputs too (the same pages "
                     f"twice), e.g. {packed[0].path}")
    if wat:
        notes.append(f"{len(wat)} WAT file(s) found in folders left out: they hold metadata, no text (e.g. {wat[0].path})")
    for folder, what in NO_PAGES_FOLDERS.items():
        found = [i for i in no_pages if _folder(i) == folder]
        if found:
            notes.append(f"{len(found)} file(s) found in {folder}/ folders left out: they hold {what}, no pages (e.g. {found[0].path})")
    dropped = {id(i) for i in (*twins, *packed, *wat, *no_pages, *still_open)}
    return [i for i in inputs if id(i) not in dropped], notes


def _holds_pages(item: InputFile, known: Mapping[str, Known]) -> bool:
    """Whether a WARC input of a WET's name is its twin (pages.py): by its name (by_name), else by the ledger (a file
    read before and unchanged since), else by its first responses."""
    if by_name(item.path):
        return True
    entry = known.get(path_text(item.path))
    return twin(entry.pages if entry is not None and _unchanged(item.path, entry) else peek(item.path))


def _unchanged(path: str, entry: Known) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime) == (entry.size, entry.mtime)


CC_NAMES = ("cc-main-", "cc-news-")  # Common Crawl's file names (lower-cased): unique, each naming one segment's file


def by_name(path: str) -> bool:
    """Whether a WARC of a WET's name is its twin by the name alone (pages.py): a name not Common Crawl's (no robots.txt
    or crawldiagnostics file shares it), a file in a warc/ folder, an address (Common Crawl's keep their folders)."""
    return not _basename(path).startswith(CC_NAMES) or _basename(_dirname(path)) == "warc" or is_remote(path)


def is_twin(path: str, pages: bool | None) -> bool:
    """Whether a WARC file read (pages: pages.read_pages of its counts) is the twin of the WET file of its name."""
    return by_name(path) or twin(pages)


def read_is_twin(res: "FileResult") -> bool:
    """Whether a WARC file just read is the twin of the WET file of its name (commit.py, scale/executor.py)."""
    return is_twin(res.path, read_pages(res.record_counts, res.skip_counts, res.n_sampled_out))


# A ledger's finished file, as settle_inputs needs it: path, size, mtime, record_counts, skip_counts (dicts, or a
# store's JSON text), n_sampled_out
LedgerFile = tuple[str, "int | None", "float | None", object, object, "int | None"]


def settle_inputs(inputs: list[InputFile], ledger: list[LedgerFile]) -> tuple[list[InputFile], dict[str, list[str]], list[str]]:
    """The inputs a run reads, against each other (leave_out_derived) and the ledger (twins_in_ledger): (the inputs
    kept, each WARC's path -> the ledger paths of the WET files it replaces if it holds pages, notes)."""
    known = _known(inputs, ledger)
    inputs, notes = leave_out_derived(inputs, known)
    inputs, replaces, twin_notes = twins_in_ledger(inputs, [row[0] for row in ledger], known)
    return inputs, replaces, notes + twin_notes


def _known(inputs: list[InputFile], ledger: list[LedgerFile]) -> dict[str, Known]:
    """What the ledger knows of the WARC files named as Common Crawl WET files among the inputs or in the ledger (a
    store of 90,000 WARC files and no WET: nothing to look at)."""
    stems = {stem for stem in (_stem(_basename(p), _WET) for p in (*(i.path for i in inputs), *(row[0] for row in ledger))
                               if _basename(p).startswith(CC_NAMES)) if stem is not None}
    if not stems:
        return {}
    return {path: Known(size, mtime, read_pages(_counts(records), _counts(skips), sampled or 0))
            for path, size, mtime, records, skips, sampled in ledger
            if _basename(path).startswith(CC_NAMES) and _stem(_basename(path), _WARC) in stems}


def _counts(counts: object) -> dict:
    return json.loads(counts) if isinstance(counts, str) else counts or {}


def twins_in_ledger(inputs: list[InputFile], ingested: Iterable[str],
                    known: Mapping[str, Known]) -> tuple[list[InputFile], dict[str, list[str]], list[str]]:
    """Settle inputs twinned with files an earlier run ingested (`ingested`: the ledger's paths of finished files;
    `known`: of its WARC files, whether each held pages) as one run over all of them does (leave_out_derived): a WET
    whose WARC is in the ledger is left out (but one this run reads again: leave_out_derived settled it), and a WARC
    whose WET is in the ledger replaces it once read (commit.py), but a WARC known to hold no pages (is_twin); by
    Common Crawl's file names only, which are unique. Ingesting WET files first and their WARC files later counted every page twice. Returns (the inputs
    kept, each WARC's path -> the ledger paths of the WET files it replaces if it holds pages, notes)."""
    warcs: dict[str, str] = {}
    wets: dict[str, list[str]] = {}
    ingested = set(ingested)
    reread = {path_text(i.path) for i in inputs if not i.problem}
    for path in ingested:
        name = _basename(path)
        if not name.startswith(CC_NAMES):  # a store's lifetime of other names ("a.warc.gz"): one name need not be one file
            continue
        if _stem(name, _WET) is not None:
            wets.setdefault(_stem(name, _WET), []).append(path)
        elif (_stem(name, _WARC) is not None and path not in reread and _basename(_dirname(path)) not in NO_PAGES_FOLDERS  # (_folder's)
              and is_twin(path, _pages(known, path))):
            warcs[_stem(name, _WARC)] = path
    if not warcs and not wets:
        return inputs, {}, []
    kept, left, replaces = [], [], {}
    for item in inputs:
        name = _basename(item.path)
        if not item.problem and _stem(name, _WET) in warcs:
            left.append((item.path, warcs[_stem(name, _WET)]))
            continue
        if (not item.problem and _stem(name, _WARC) in wets and _folder(item) not in NO_PAGES_FOLDERS
                and (path_text(item.path) not in ingested or not is_twin(item.path, _pages(known, path_text(item.path))))):  # (a rerun of
            # the replacing WARC: its WET is gone; but a WARC read before as no twin, its WET kept, read again once changed)
            replaces[path_text(item.path)] = wets[_stem(name, _WARC)]
        kept.append(item)
    notes = []
    if left:
        notes.append(f"{len(left)} WET file(s) left out of this run, their WARC files being ingested already (the same pages twice), "
                     f"e.g. {left[0][0]} (its WARC: {left[0][1]})")
    return kept, replaces, notes


def _pages(known: Mapping[str, Known], path: str) -> bool | None:
    entry = known.get(path)
    return entry.pages if entry is not None else None


def twins_note(replaced: Mapping[int, tuple[str, list[str]]]) -> str | None:
    """The run's note on the WARC files whose rows replaced the WET files of their pages (twins_in_ledger): of each
    (by source id), its path and the WET files' ledger paths."""
    if not replaced:
        return None
    warc, wets = next(iter(replaced.values()))
    return (f"{len(replaced)} WARC file(s) replace the WET files of their pages ingested before, as one run over both keeps the "
            f"WARC's (the same pages twice otherwise), e.g. {warc} replaces {wets[0]}")


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1].lower()  # of a local path or an address


def _dirname(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] if "/" in path else ""


def _packed_again(inputs: list[InputFile]) -> list[InputFile]:
    """The WACZ files among inputs whose WARC files are all inputs too, by file name and size (Browsertrix Crawler
    leaves a collection's WARC files in its archive/ folder beside the WACZ it packs them into)."""
    waczs = [i for i in inputs if is_wacz(i.path) and not is_remote(i.path)]
    if not waczs:  # (no stat of every input)
        return []
    files = {(os.path.basename(i.path).lower(), _size(i.path)) for i in inputs if not is_wacz(i.path) and not is_remote(i.path)}
    packed = []
    for item in waczs:
        inside = member_files(item.path)
        if inside and all((name.lower(), size) in files for name, size in inside):
            packed.append(item)
    return packed


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def _folder(item: InputFile) -> str:
    return _basename(_dirname(item.path))


_WET = re.compile(r"(.*)\.warc\.wet(?:\.gz|\.zst)?$")
_WARC = re.compile(r"(.*)\.warc(?:\.gz|\.zst)?$")


def _stem(name: str, pattern: re.Pattern[str]) -> str | None:
    """What a Common Crawl file name says before .warc (X of X.warc.gz) or .warc.wet (of X.warc.wet.gz), any compression."""
    m = pattern.match(name)
    return m.group(1) if m else None


def _archives_under(folder: str) -> list[InputFile]:
    """The archive files under a folder, recursively, sorted: links to folders followed (each folder
    once: a link loop ends), hidden files and folders (".name": a download in progress, a tool's
    state) left out, a link to a missing archive reported."""
    found, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            lower = name.lower()
            if name.startswith(".") or not lower.endswith((*ARCHIVE_SUFFIXES, *OPEN_SUFFIXES)):
                continue
            path = os.path.join(root, name)
            below = root != folder  # a folder named on the command line is read whole, whatever its name
            if lower.endswith(OPEN_SUFFIXES):
                found.append(InputFile(path, walked=below, still_open=True))
            else:
                found.append(InputFile(path, walked=below) if os.path.isfile(path) else InputFile(path, "a symbolic link to a missing file"))
    return sorted(found, key=lambda f: f.path)


def _read_listing(path: Path, paths_prefix: str | None) -> list[InputFile]:
    """Read a Common Crawl listing: one path per line, relative to --paths-prefix or the listing's folder."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as f:  # -sig: a byte order mark is not part of the first entry
            lines = _entries(f)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        return [InputFile(str(path), f"cannot read listing: {exc}")]
    if not lines:  # as a folder of no archives is
        return [InputFile(str(path), "listing holds no entries")]
    if paths_prefix and is_remote(paths_prefix):  # (an entry that is an address already stays one)
        return [InputFile(line if is_remote(line) else url_join(paths_prefix, line)) for line in lines]
    base = Path(paths_prefix) if paths_prefix else path.parent
    out = []
    for line in lines:
        if is_remote(line):
            out.append(InputFile(line))
            continue
        candidate = Path(line) if os.path.isabs(line) else base / line
        listed_as = None
        if not candidate.exists() and not paths_prefix:
            candidate, listed_as = base / Path(line).name, line  # a listing next to its downloaded files
        if candidate.is_file():
            out.append(InputFile(str(candidate), listed_as=listed_as))
        else:
            hint = f"under --paths-prefix {paths_prefix}" if paths_prefix else "beside it; set --paths-prefix to the folder its entries are in"
            out.append(InputFile(str(candidate), f"listed in {path.name} but not found {hint}"))
    return out


def _entries(lines: Iterable[str]) -> list[str]:
    """A listing's entries: its lines stripped, without blank lines and comments (# after any indent)."""
    return [entry for entry in (line.strip() for line in lines) if entry and not entry.startswith("#")]


def _cc_root(url: str) -> str | None:
    """The root that a Common Crawl listing's entries are relative to, when url is on one of its hosts (any case, http
    or https) or in its bucket; entries were joined to the listing's folder on other hosts ('.../CC-MAIN-2024-10/crawl-data/...')."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if scheme.lower() == "s3" and host.lower() == "commoncrawl" or scheme.lower() in ("http", "https") and host.lower() in CC_HOSTS:
        return f"{scheme}://{host}/"
    return None


def _read_remote_listing(url: str, paths_prefix: str | None) -> list[InputFile]:
    """Read a remote listing; entries are relative to --paths-prefix, the Common Crawl root, or the listing's folder."""
    try:
        lines = _entries(read_remote_text(url).removeprefix("\ufeff").splitlines())
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        return [InputFile(url, f"cannot read listing: {exc}")]
    if lines and lines[0].startswith("<"):  # a 200 with an error or login page: its lines were taken for addresses
        return [InputFile(url, "cannot read listing: the server sent a web page, not a list of paths")]
    base = paths_prefix or _cc_root(url) or address_path(url).rsplit("/", 1)[0]
    return [InputFile(ln if is_remote(ln) else url_join(base, ln)) for ln in lines]
