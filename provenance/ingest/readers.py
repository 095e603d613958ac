"""Read WARC (1.0/1.1, WET) and ARC records from plain, gzip or zstd files, with faults instead of exceptions.

`iter_records(path)` yields `RawRecord`s and `Fault`s. A fault never ends the file unless nothing
after it can be read: the reader resynchronizes at the next record header (or the next gzip
member or zstd frame), so good records before and after a fault are kept. Memory is bounded by
`max_record_bytes`: larger records are skipped, never buffered.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, Union

from provenance.ingest.remote import open_input
from provenance.ingest.native import archive
from provenance.ingest.streams import Break, Chunk, Event, Member, gzip_events, plain_events, sniff_compression
from provenance.ingest.zstdstream import zstd_events

MAX_HEADER_BYTES = 64 << 10
_NOT_WS = re.compile(rb"[^\r\n \t\x00]")
COMPACT_AT = 4 << 20
MAX_LEADING_BREAKS = 16  # corrupt members or frames before the first record, before the file is abandoned
SKIP_LOOKBACK = 8 << 20  # bytes kept, while an oversize block is skipped, from its first line that starts like a record
RECORD_GAP = 1 << 20  # white space after a skipped block looked through for the next record
WARC_STARTS = (b"WARC/",)
ARC_STARTS = (b"http", b"dns:", b"ftp:", b"filedesc:", b"HTTP")  # what an ARC header line's URL begins with
MEMBERS_LISTED = 4096  # member starts listed before those behind the read position are dropped


@dataclass
class RawRecord:
    """One archive record: lower-cased header names, the content block, where it started."""

    offset: int
    headers: dict[str, str]
    block: bytes
    fmt: str  # 'warc' | 'arc'
    type: str = field(init=False)  # WARC-Type, lower-cased ('unknown' if absent)

    def __post_init__(self) -> None:
        self.type = self.headers.get("warc-type", "unknown").lower()


@dataclass
class Fault:
    """Something in the file could not be read; `offset` is the record's (or gzip member's) offset."""

    offset: int | None
    kind: str
    reason: str
    record_id: str | None = None
    record_type: str | None = None  # of a record whose header was read and whose block was skipped (over --max-record-bytes)


Item = Union[RawRecord, Fault]


@dataclass
class FileInfo:
    """What the reader learned about the file as a whole."""

    compression: str = "none"
    format: str = "unknown"
    members: int = 0


class _Buffer:
    """A growable window over the decompressed stream, pulling events on demand."""

    def __init__(self, events: Iterator[Event], info: FileInfo) -> None:
        self.events, self.info = events, info
        self.buf = bytearray()
        self.pos = 0
        self.base = 0  # stream offset of buf[0]
        self.members: list[tuple[int, int]] = []  # (stream offset, file offset) of member starts
        self.brk: Break | None = None
        self.eof = False
        self.no_header_end_to = 0  # stream offset: a failed record-header search saw no header end before it
        self.skip_cut = False  # the last oversize block's skip ended at the end of the stream or a break (see _oversize)

    def pull(self) -> bool:
        """Append the next chunk; False at end of file or at a break."""
        if self.brk is not None or self.eof:
            return False
        for ev in self.events:
            if isinstance(ev, bytes):
                self.buf += ev
                return True
            if isinstance(ev, Chunk):
                at = self.base + len(self.buf)
                for out_at, offset in ev.members:
                    self._add_member(at + out_at, offset)
                self.info.members += len(ev.members)
                self.buf += ev.data
                if len(self.members) > MEMBERS_LISTED:
                    self._forget_members()
                return True
            if isinstance(ev, Member):
                self._add_member(self.base + len(self.buf), ev.offset)
                self.info.members += 1
                if len(self.members) > MEMBERS_LISTED:
                    self._forget_members()
            else:
                self.brk = ev
                return False
        self.eof = True
        return False

    def _add_member(self, at: int, offset: int) -> None:
        """List a member start; one after an empty member replaces it (file_offset gives the last start
        at or before a position), so the list is bounded by the bytes buffered, not the members read."""
        if self.members and self.members[-1][0] == at:
            self.members[-1] = (at, offset)
        else:
            self.members.append((at, offset))

    def _forget_members(self) -> None:
        """Drop the member starts no record can need: records still to come start at or after pos
        (file_offset is asked for a record's start before any of it is pulled). A file of empty
        members (no records between them) kept every start: 200 bytes each, ~1 GB for 5 million."""
        i = bisect.bisect_right(self.members, (self.base + self.pos, 1 << 62)) - 1
        if i > 0:
            del self.members[:i]

    def avail(self) -> int:
        return len(self.buf) - self.pos

    def ensure(self, n: int) -> bool:
        """Make n bytes available at pos; False if the stream ends (or breaks) first."""
        while self.avail() < n:
            if not self.pull():
                return False
        return True

    def find(self, pat: bytes, limit: int, skip: int = 0) -> int:
        """Index (in buf) of pat at or after pos (+ skip: bytes known not to hold it) within limit bytes, else -1."""
        start = self.pos + skip
        while True:
            i = self.buf.find(pat, start, self.pos + limit + len(pat))
            if i >= 0:
                return i
            if self.avail() >= limit + len(pat):  # the whole window was searched
                return -1
            start = max(self.pos, len(self.buf) - len(pat) + 1)  # a match may straddle the next chunk
            if not self.pull():
                return -1

    def scan_to(self, pat: bytes) -> bool:
        """Advance pos to the next occurrence of pat, dropping what it passes; False if none."""
        while True:
            i = self.buf.find(pat, self.pos)
            if i >= 0:
                self.pos = i
                return True
            self.pos = max(self.pos, len(self.buf) - len(pat))
            self.compact(force=True)
            if not self.pull():
                return False

    def skip_block(self, n: int, starts: tuple[bytes, ...]) -> str:
        """Move past an oversize record's n-byte block in bounded memory, trusting its length only where a
        record (a line that begins with one of `starts`) comes after it. Returns how it went:
          "done": past the block, or at an earlier gzip member or zstd frame start where a record starts
                  (one per record: the length was wrong); where no record starts after the block, reading
                  goes on there (a header fault, then the search for the next record, as after any fault);
          "back": the stream ends before the block does, or no record starts after it: reading goes back to
                  the first line in the block that starts like a record (kept while within SKIP_LOOKBACK);
          "cut":  the stream ends or breaks before the block's end, nothing kept to go back to.
        """
        start = self.base + self.pos
        end, pat, width = start + n, b"\n" + starts[0], max(map(len, starts))
        keep, keeping, searched = None, True, start  # keep: the stream offset of the first line that starts like a record
        while True:
            have = self.base + len(self.buf)
            for at, _ in self.members[bisect.bisect_right(self.members, (start, 1 << 62)):]:
                if self.base <= at < end and at + width <= have and self.buf.startswith(starts, at - self.base):
                    self.pos = at - self.base
                    return "done"
            if keeping and keep is None:
                i = self.buf.find(pat, searched - self.base, min(end, have) - self.base)
                searched = max(searched, have - len(pat) + 1)  # a line start cut by the chunk's end: searched again
                if i >= 0:
                    keep = self.base + i + 1
            if have >= end:
                self.pos = end - self.base
                if keep is None or self._record_follows(starts):
                    return "done"
                self.pos = keep - self.base
                return "back"
            if keep is not None and have - keep > SKIP_LOOKBACK:
                keep, keeping = None, False
            pending = [at for at, _ in self.members if start < at < end and at + width > have]  # not yet checked
            low = keep if keep is not None else max(start, searched) if keeping else have  # what must stay in memory
            self.pos = min(low, *pending, have) - self.base
            self.compact(force=True)
            if not self.pull():
                if keep is not None:
                    self.pos = keep - self.base
                    return "back"
                self.pos = len(self.buf)
                return "cut"

    def _record_follows(self, starts: tuple[bytes, ...]) -> bool:
        """Whether, past white space, a record or the end of the stream comes next (pos unmoved). Past
        RECORD_GAP bytes of white space, the length is trusted (the padding is kept in memory meanwhile)."""
        at, width = self.pos, max(map(len, starts))
        while True:
            m = _NOT_WS.search(self.buf, at)
            if m is not None and len(self.buf) - m.start() >= width:
                return self.buf.startswith(starts, m.start())
            at = m.start() if m is not None else len(self.buf)
            if at - self.pos > RECORD_GAP or not self.pull():
                return m is None

    def take(self, n: int) -> bytes | None:
        if not self.ensure(n):
            return None
        out = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return out

    def compact(self, force: bool = False) -> None:
        if self.pos > COMPACT_AT or (force and self.pos):
            del self.buf[: self.pos]
            self.base += self.pos
            self.pos = 0

    def file_offset(self, stream_pos: int) -> int:
        """Where a record starting at this stream position is in the file.

        Per-record gzip: the offset of its gzip member (as in Common Crawl's indexes);
        plain files and whole-file gzip: the offset in the uncompressed stream.
        """
        if self.info.compression == "none":
            return stream_pos
        if self.info.members <= 1:  # a record at the first member's start is at its offset (after a zstd dictionary frame: not 0)
            return self.members[0][1] if self.members and self.members[0][0] == stream_pos else stream_pos
        i = bisect.bisect_right(self.members, (stream_pos, 1 << 62)) - 1
        if i < 0:
            return stream_pos
        if i > 0:
            del self.members[:i]  # older members are never asked for again
        return self.members[0][1]

    def skip_ws(self) -> None:
        """Move past whitespace and NUL bytes (padding from block writers), in bounded memory."""
        while True:
            m = _NOT_WS.search(self.buf, self.pos)
            if m is not None:
                self.pos = m.start()
                return
            self.pos = len(self.buf)
            self.compact(force=True)
            if not self.pull():
                return

    def reset_after_break(self) -> Break:
        brk = self.brk
        assert brk is not None
        self.base += len(self.buf)
        self.buf, self.pos, self.brk = bytearray(), 0, None
        return brk


def iter_records(path: str, max_record_bytes: int = 16 << 20, info: FileInfo | None = None,
                 native: bool | None = None) -> Iterator[Item]:
    """Yield the records and faults of one WARC/WET/ARC file (plain or gzip), local or a remote URL."""
    info = info if info is not None else FileInfo()
    with open_input(path) as f:
        yield from read_stream(f, max_record_bytes, info, native)


def read_stream(f: BinaryIO, max_record_bytes: int, info: FileInfo, native: bool | None = None) -> Iterator[Item]:
    """Yield the records and faults of an open binary file object.

    Seeks are absolute and backward only to bytes just read (the sniff; a gzip resync from a
    corrupt member's start + 1), so a forward stream with a bounded window (remote.ForwardStream) works.
    The compiled module (native=None: when built) reads clean stretches; native=False: Python only.
    """
    head = f.read(4)
    f.seek(0)
    if not head:
        yield Fault(0, "empty", "empty file")
        return
    info.compression = sniff_compression(head)
    if info.compression == "gzip":
        events = gzip_events(f, native)
    elif info.compression == "zstd":
        events = zstd_events(f)
    else:
        events = plain_events(f)
    b = _Buffer(events, info)
    b.skip_ws()
    broken = 0
    while b.brk is not None:  # a corrupt first member or frame, or a bad zstd dictionary: the rest may still read
        yield Fault(b.brk.offset, b.brk.kind, b.brk.reason)
        broken += 1
        if broken == MAX_LEADING_BREAKS:  # junk behind a compression magic: each resync reads on to the end
            yield Fault(b.brk.offset, "format", f"no readable {info.compression} data in the first {broken} attempts; file abandoned")
            return
        b.reset_after_break()
        b.skip_ws()
    if not b.ensure(1):
        if not broken:
            yield Fault(0, "empty", "no records: the file holds only whitespace or NUL bytes")
        return
    b.ensure(16)
    if b.buf.startswith(b"\xef\xbb\xbf", b.pos):  # a byte order mark, from a text tool the file passed through
        b.pos += 3
        b.skip_ws()
        b.ensure(16)
    first = bytes(b.buf[b.pos : b.pos + 16])
    if first.startswith(b"WARC/"):
        info.format = "warc"
        yield from _warc_records(b, max_record_bytes, archive(native))
    elif first.startswith(b"filedesc://"):
        info.format = "arc"
        yield from _arc_records(b, max_record_bytes)
    else:
        yield Fault(b.file_offset(b.base + b.pos), "format", f"not a WARC or ARC file (starts with {first[:12]!r})")


# -- WARC -------------------------------------------------------------------------------------

def _warc_records(b: _Buffer, max_record_bytes: int, fast: object = None) -> Iterator[Item]:
    while True:
        b.compact()
        b.skip_ws()
        if b.avail() == 0:
            if b.brk is not None:
                brk = b.reset_after_break()
                yield Fault(brk.offset, brk.kind, brk.reason)
                continue
            return
        if fast is not None:  # the whole, plain records in the buffer in one call; the rest as below
            records, pos = fast.warc_records(b.buf, b.pos, max_record_bytes, MAX_HEADER_BYTES)
            if records:
                b.pos = pos
                for at, headers, block in records:
                    yield RawRecord(b.file_offset(b.base + at), headers, block, "warc")
                continue
        start = b.base + b.pos
        offset = b.file_offset(start)
        item = _one_warc(b, offset, max_record_bytes)
        if item is not None:
            overrun = _overrun(b, item) if isinstance(item, RawRecord) else None
            yield item
            if overrun is not None:
                yield overrun
            if _lost_place(item, b):
                yield from _recover(b, item, start, b"WARC/")


def _one_warc(b: _Buffer, offset: int, max_record_bytes: int) -> Item | None:
    if not b.ensure(5) and b.brk is not None:
        return Fault(offset, b.brk.kind, b.brk.reason)
    if bytes(b.buf[b.pos : b.pos + 5]) != b"WARC/":
        b.ensure(12)  # the same bytes in the message however much happened to be read
        got = bytes(b.buf[b.pos : b.pos + 12])
        return Fault(offset, "header", f"expected a WARC record header, found {got!r}")
    end, sep = _header_end(b)
    if end < 0:
        if b.brk is not None:
            return Fault(offset, b.brk.kind, f"{b.brk.reason}; record header cut off")
        if b.eof:
            return Fault(offset, "truncated", "file ends inside a record header")
        return Fault(offset, "header", f"record header longer than {MAX_HEADER_BYTES} bytes")
    headers = _parse_headers(bytes(b.buf[b.pos : end]))
    rid = headers.get("warc-record-id")
    length = _content_length(headers)
    if length is None:
        return Fault(offset, "header", f"broken record header: bad or missing Content-Length ({headers.get('content-length')!r})", rid)
    b.pos = end + sep
    if length > max_record_bytes:
        return _oversize(b, offset, length, max_record_bytes, WARC_STARTS, rid, headers.get("warc-type", "unknown").lower())
    block = b.take(length)
    if block is None:
        if b.brk is not None:
            return Fault(offset, b.brk.kind, f"{b.brk.reason}; record cut off", rid)
        return Fault(offset, "truncated", f"truncated record: file ends {length - b.avail()} bytes before the end of its {length}-byte block", rid)
    return RawRecord(offset, headers, block, "warc")


# A record header's first line, which may start inside a block whose length ran past it and end after it
_VERSION_LINE = re.compile(rb"[\n\x00]WARC/[0-9]{1,3}\.[0-9]{1,3}\r?\n")
VERSION_LINE_BYTES = 16


MAX_CHAIN = 64  # whole records looked back through, inside a block whose length ran past them


def _overrun(b: _Buffer, rec: RawRecord) -> Fault | None:
    """A block whose Content-Length is too long (a writer that counted characters, not bytes, or its header
    too) swallows the start of the next record, or more: what follows it is not a record. The last record header
    inside it whose own header and length run past the block's end starts the rest, and so does each whole record
    that leads up to it; the block is cut at the first of those, and reading goes on there (the block is still in
    the buffer, just before pos: nothing was compacted since). WARC text inside a page is a record that ends inside
    the block: never cut at. None when a record, white space to the end, or no such record follows."""
    if b._record_follows(WARC_STARTS):
        return None
    b.ensure(VERSION_LINE_BYTES)  # (a header's first line that the block's end cut)
    start, end = b.pos - len(rec.block), b.pos
    # (a list: an iterator would hold the buffer, which reading a header further may grow)
    starts = [m.start() + 1 for m in _VERSION_LINE.finditer(b.buf, start, end + VERSION_LINE_BYTES) if m.start() + 1 < end]
    if not starts or (_record_end(b, starts[-1], end) or 0) <= end:
        return None  # a length too short, or junk after the block: searched for as after any fault
    i = len(starts) - 1
    while i > 0 and len(starts) - i <= MAX_CHAIN:  # whole records just before it are records of their own
        before = _record_end(b, starts[i - 1], end)
        nxt = _NOT_WS.search(b.buf, before) if before is not None and before <= starts[i] else None
        if nxt is None or nxt.start() != starts[i]:
            break
        i -= 1
    at, length = starts[i], len(rec.block)
    b.pos = at
    cut = rec.block[: at - start].rstrip(b"\x00")  # (less the end of record its writer put before the next)
    rec.block = cut[:-4] if cut.endswith(b"\r\n\r\n") else cut[:-2] if cut.endswith(b"\n\n") else cut
    return Fault(rec.offset, "header", f"Content-Length {length} runs {end - at} bytes into the next record: its block is "
                 "cut where that record's header starts", rec.headers.get("warc-record-id"))


def _record_end(b: _Buffer, at: int, end: int) -> int | None:
    """Where the record whose header starts at buffer index `at` ends, by its Content-Length; None when the header
    has no end or no length (pos is left at `end`)."""
    b.pos = at
    head_end, sep = _header_end(b)
    b.pos = end
    if head_end < 0:  # (cut by the end of the file, or too long): not a record
        return None
    length = _content_length(_parse_headers(bytes(b.buf[at:head_end])))
    return None if length is None else head_end + sep + length


def _header_end(b: _Buffer) -> tuple[int, int]:
    # Bytes that a failed search already covered hold no header end: junk full of "WARC/" lines is
    # searched once, not once per line (1 MiB of them took 7.5 s, each line a 64 KiB search).
    # "\n\r\n" ends CRLF lines ("\r\n\r\n", from i - 1) and LF lines followed by a CRLF blank line (as
    # warcio reads them; a "\r\n\r\n" search took the HTTP head into the record header).
    skip = max(0, b.no_header_end_to - (b.base + b.pos) - 3)
    i = b.find(b"\n\r\n", MAX_HEADER_BYTES, skip)
    if i >= 0:
        j = b.buf.find(b"\n\n", b.pos + skip, i)
        if j >= 0:
            return j, 2
        return (i - 1, 4) if b.buf[i - 1] == 0x0D else (i, 3)
    j = b.find(b"\n\n", MAX_HEADER_BYTES, skip)
    if j < 0 and b.avail() >= MAX_HEADER_BYTES:  # the whole window was searched
        b.no_header_end_to = b.base + b.pos + MAX_HEADER_BYTES
    return (j, 2) if j >= 0 else (-1, 0)


def _parse_headers(raw: bytes) -> dict[str, str]:
    """Header fields after the first line: names lower-cased, folded lines joined. UTF-8, or Latin-1 when
    not valid UTF-8 (a URI's raw bytes, as warcio reads them); lines end at LF only (str.splitlines also
    splits at U+2028, U+0085 and form feeds, which cut a URI)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    headers: dict[str, str] = {}
    last = None
    for line in text.split("\n")[1:]:
        line = line.removesuffix("\r")
        if line[:1] in (" ", "\t") and last:  # folded continuation line
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            last = name.strip().lower()
            headers[last] = value.strip()
    return headers


def _content_length(headers: dict[str, str]) -> int | None:
    return _length(headers.get("content-length", ""))


def _length(raw: str) -> int | None:
    """A length field's value: 1-15 ASCII digits ("²".isdigit(), but int() refuses it), else None."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


def _oversize(b: _Buffer, offset: int, length: int, max_record_bytes: int, starts: tuple[bytes, ...], rid: str | None = None,
              record_type: str | None = None) -> Fault:
    """Skip a record's block by its length (see _Buffer.skip_block): searching it for the next record header
    instead read every line of a text block that starts like one (a URL list in an ARC file: "http...") as a
    broken record. A length that runs past the file is taken for a broken one, as a corrupt digit makes it."""
    how = b.skip_block(length, starts)
    b.skip_cut = how == "cut"
    if how == "cut" and b.brk is not None:  # its member or frame broke (a gzip bomb, a cut file): one fault says both
        return Fault(offset, b.brk.kind, f"{b.brk.reason} (a record of {length} bytes, over --max-record-bytes {max_record_bytes})", rid,
                     record_type)
    why = {"done": "", "back": "; its length runs past the file or past where the next record starts: read on from the first "
                              "record header inside it", "cut": "; the file ends before its end"}[how]
    return Fault(offset, "oversize", f"record of {length} bytes exceeds --max-record-bytes {max_record_bytes}; skipped{why}", rid,
                 record_type)


def _lost_place(item: Item, b: _Buffer) -> bool:
    """Whether reading must search for the next record after this item: after a fault, but an oversize
    record skipped by its length (unless the stream ended or broke first: see _oversize)."""
    return isinstance(item, Fault) and (item.kind != "oversize" or b.skip_cut)


def _recover(b: _Buffer, fault: Fault, start: int, marker: bytes) -> Iterator[Fault]:
    """After a fault: drop the rest of a broken gzip member, or move to the next record header."""
    if b.brk is None:
        b.pos = max(b.pos, start - b.base + 1)
        if b.scan_to(b"\n" + marker):
            b.pos += 1
            return
        b.pos = len(b.buf)
    if b.brk is not None:
        brk = b.reset_after_break()
        if fault.kind != brk.kind:  # not yet reported as this fault's cause
            yield Fault(brk.offset, brk.kind, brk.reason)


# -- ARC --------------------------------------------------------------------------------------

def _arc_records(b: _Buffer, max_record_bytes: int) -> Iterator[Item]:
    while True:
        b.compact()
        b.skip_ws()
        if b.avail() == 0:
            if b.brk is not None:
                brk = b.reset_after_break()
                yield Fault(brk.offset, brk.kind, brk.reason)
                continue
            return
        start = b.base + b.pos
        item = _one_arc(b, b.file_offset(start), max_record_bytes)
        if item is None:
            continue
        yield item
        if _lost_place(item, b):
            yield from _recover(b, item, start, b"http")


def _one_arc(b: _Buffer, offset: int, max_record_bytes: int) -> Item | None:
    end = b.find(b"\n", 8192)
    if end < 0:
        if b.brk is not None:
            return Fault(offset, b.brk.kind, f"{b.brk.reason}; record header cut off")
        return Fault(offset, "truncated" if b.eof else "header", "ARC record header line missing or too long")
    line = bytes(b.buf[b.pos : end]).decode("utf-8", "replace").strip()
    fields = line.split(" ")
    length = _length(fields[-1]) if len(fields) >= 5 else None
    if length is None:
        return Fault(offset, "header", f"broken ARC header line: {line[:80]!r}")
    b.pos = end + 1
    if length > max_record_bytes:
        return _oversize(b, offset, length, max_record_bytes, ARC_STARTS, None, "warcinfo" if fields[0].startswith("filedesc://") else "response")
    block = b.take(length)
    if block is None:
        if b.brk is not None:
            return Fault(offset, b.brk.kind, f"{b.brk.reason}; record cut off")
        return Fault(offset, "truncated", f"truncated ARC record: file ends before the end of its {length}-byte block")
    url, date, ctype = _arc_fields(fields)
    if url.startswith("filedesc://"):
        return RawRecord(offset, {"warc-type": "warcinfo", "arc-filedesc": url}, block, "arc")
    headers = {"warc-type": "response", "warc-target-uri": url, "warc-date": _arc_date(date), "arc-content-type": ctype}
    return RawRecord(offset, headers, block, "arc")


_ARC_IP = re.compile(r"[0-9A-Fa-f.:]+|-")
_ARC_DATE = re.compile(r"[0-9]{12,16}")


def _arc_fields(fields: list[str]) -> tuple[str, str, str]:
    """URL, date and content type of an ARC header line's fields (v1: URL IP date type length; v2: five
    more before the length). A URL with spaces (Common Crawl's 2012 ARC files have them) spans several
    fields: it ends before the first IP-address field followed by a date; its spaces become %20."""
    for i in range(1, len(fields) - 3):
        if _ARC_DATE.fullmatch(fields[i + 1]) and _ARC_IP.fullmatch(fields[i]):
            return "%20".join(fields[:i]), fields[i + 1], fields[i + 2]
    return fields[0], fields[2], fields[3]


def _arc_date(d: str) -> str:
    d = (d + "00000000000000")[:14]
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


__all__ = ["RawRecord", "Fault", "FileInfo", "iter_records", "read_stream"]
