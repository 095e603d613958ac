"""WACZ files (Web Archive Collection Zipped: Webrecorder's format, written by Browsertrix Crawler,
ArchiveWeb.page and py-wacz): the WARC files in the ZIP's `archive/` folder, read one after another.

The format stores them uncompressed in the ZIP ("stored", so that a player can seek to a record):
a record's offset is then its offset in the .wacz file itself, as in a plain WARC file. A WARC
compressed into the ZIP ("deflated") is read as well, its records without an offset (there is no
byte of the .wacz to point at), and so are the records after the first of a stored WARC file gzipped
whole. A fault names the WARC file it is in. A WACZ is read from a local file: its index of files is
at its end; one cut off before it (a download that did not finish) is walked by its members' own headers.
"""
from __future__ import annotations

import lzma
import os
import struct
import zipfile
import zlib
from typing import BinaryIO, Iterator

from provenance.ingest.readers import Fault, FileInfo, Item, read_stream
from provenance.ingest.remote import is_remote

SUFFIX = ".wacz"
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.zst")
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and the extra field's lengths
NOT_REMOTE = "a WACZ file is read from a local copy (its index of files is at its end): download it first"


def is_wacz(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


def read_input(f: BinaryIO, path: str, max_record_bytes: int, info: FileInfo) -> Iterator[Item]:
    """The records and faults of an open input: a WACZ's WARC files in turn, else the file itself."""
    if not is_wacz(path):
        yield from read_stream(f, max_record_bytes, info)
        return
    if is_remote(path):
        yield Fault(None, "format", NOT_REMOTE)
        return
    try:
        archive = zipfile.ZipFile(f)
        members = warc_members(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        cut = _cut_note(f)
        if cut:  # a ZIP without its end (its index): its stored WARC files read by their own headers
            yield Fault(None, "truncated", f"not a whole WACZ file: {_why(exc)}{cut}; its WARC files are read from "
                        "their own headers up to the cut")
            info.format = "wacz"
            yield from _read_cut(f, max_record_bytes, info)
            return
        yield Fault(None, "format", f"not a readable WACZ file: {_why(exc)}")
        return
    info.format = "wacz"
    if not members:
        yield Fault(None, "format", "a WACZ file without WARC files in its archive/ folder")
        return
    for member in members:
        yield from _read_member(f, archive, member, max_record_bytes, info)


def warc_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The WARC files in a WACZ's archive/ folder, in the ZIP's order (the order they were written)."""
    return [m for m in archive.infolist() if m.filename.startswith("archive/") and m.filename.lower().endswith(WARC_SUFFIXES)]


def member_files(path: str) -> list[tuple[str, int]] | None:
    """The file names and sizes of a local WACZ's WARC files, or None when it cannot be read (its reading says why)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [(os.path.basename(m.filename), m.file_size) for m in warc_members(archive)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None


def _read_member(f: BinaryIO, archive: zipfile.ZipFile, member: zipfile.ZipInfo, max_record_bytes: int,
                 info: FileInfo) -> Iterator[Item]:
    name = member.filename
    try:
        at = _data_offset(f, member) if member.compress_type == zipfile.ZIP_STORED else None
        stream = archive.open(member)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError, EOFError, struct.error) as exc:  # RuntimeError: encrypted
        yield Fault(None, "format", f"{name}: cannot be read: {_why(exc)}")
        return
    try:
        with stream:
            yield from _items(stream, name, at, max_record_bytes, info)
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError) as exc:  # a bad CRC at its end, a corrupt stream
        yield Fault(at, "format", f"{name}: {_why(exc)}; its records read so far are kept")


def _items(stream: BinaryIO, name: str, at: int | None, max_record_bytes: int, info: FileInfo) -> Iterator[Item]:
    """The records and faults of one WARC file of the ZIP (its bytes start at `at` in the .wacz where stored, else None),
    each fault naming it; what was learned of its compression goes to info."""
    part = FileInfo()
    try:
        for item in read_stream(stream, max_record_bytes, part):
            # an offset in the member's bytes: one in the .wacz where those are stored as they are, and
            # either plain or a gzip member (zstd frame) per record (else: a position in what they hold)
            real = at is not None and item.offset is not None and (part.compression == "none" or part.members > 1 or item.offset == 0)
            if isinstance(item, Fault):
                item.reason = f"{name}: {item.reason}" + ("" if real or item.offset is None else f" (offset {item.offset} in it)")
            item.offset = item.offset + at if real else None  # type: ignore[operator]
            yield item
    finally:
        info.members += part.members
        if info.compression == "none":
            info.compression = part.compression


def _data_offset(f: BinaryIO, member: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes start in the ZIP file (after its local header, whose extra field may differ from the index's)."""
    f.seek(member.header_offset)
    signature, name_len, extra_len = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no file header at offset {member.header_offset}")
    return member.header_offset + _LOCAL_HEADER.size + name_len + extra_len


_FILE_HEADER = struct.Struct("<4sHHHHHIIIHH")  # signature, version, flags, method, time, date, crc, sizes, name and extra lengths
_SIZES_AFTER = 0x08  # flag: the sizes follow the data (a data descriptor); the header's are 0


def _read_cut(f: BinaryIO, max_record_bytes: int, info: FileInfo) -> Iterator[Item]:
    """The WARC files of a ZIP cut off before its index, found by walking the members' own headers from the start: each
    stored one read to its end or to the cut, a record's offset its offset in the .wacz as for a whole one. A member
    whose size its header does not give (written as a stream) is read to the cut; a compressed one cannot be walked past
    (its size unknown) and ends the walk, with a fault."""
    end = f.seek(0, os.SEEK_END)
    at = 0
    while at + _FILE_HEADER.size <= end:
        f.seek(at)
        fields = _FILE_HEADER.unpack(f.read(_FILE_HEADER.size))
        signature, _, flags, method, _, _, _, size, _, name_len, extra_len = fields
        if signature != b"PK\x03\x04":
            return  # the members end here (the index would follow)
        name = f.read(name_len).decode("utf-8", "replace")
        start = at + _FILE_HEADER.size + name_len + extra_len
        known = not flags & _SIZES_AFTER
        stop = min(start + size, end) if known else end
        is_warc = name.startswith("archive/") and name.lower().endswith(WARC_SUFFIXES)
        if is_warc and method == zipfile.ZIP_STORED:
            yield from _items(_Slice(f, start, stop), name, start, max_record_bytes, info)
        elif is_warc:
            yield Fault(start, "format", f"{name}: compressed in the ZIP, and the ZIP is cut off: not read")
        if not known:
            return
        at = start + size


class _Slice:
    """Bytes start..stop of a file, read and sought as a file of their own."""

    def __init__(self, f: BinaryIO, start: int, stop: int) -> None:
        self.f, self.start, self.stop, self.pos = f, start, stop, 0

    def read(self, n: int = -1) -> bytes:
        left = self.stop - self.start - self.pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        self.f.seek(self.start + self.pos)
        data = self.f.read(n)
        self.pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.pos, os.SEEK_END: self.stop - self.start}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos


def _cut_note(f: BinaryIO) -> str:
    """What a ZIP that begins as one but has no central directory (the end of the file, where ZIP keeps it) most
    likely is: a download or copy cut off."""
    try:
        f.seek(0)
        head = f.read(4)
    except (OSError, ValueError):
        return ""
    return " (it begins as a ZIP but its end is missing: a download or copy cut off?)" if head == b"PK\x03\x04" else ""


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
