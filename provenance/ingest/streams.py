"""Byte streams over input files: plain or gzip (one member per record, or one for the whole file).

Decompression is our own loop over zlib so that a corrupt or truncated member becomes a *break*
event with the member's offset, after which reading resumes at the next gzip member instead of
giving up on the file; output per call is bounded, and a member that expands past a ratio limit
(a gzip bomb) is abandoned.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Union

from provenance.ingest.native import archive

GZIP_MAGIC = b"\x1f\x8b\x08"
READ_SIZE = 1 << 20
OUT_SIZE = 1 << 20
FEED_SIZE = 32 << 10
HOLD_BYTES = 2 << 20  # a member's output held until it ends sound (see _member)
SALVAGE_STEP = 256  # input bytes a step, inflating again up to a fault (see _up_to_fault)
BOMB_MIN_BYTES = 64 << 20  # a member may always expand this far ...
BOMB_RATIO = 200  # ... and beyond it, at most this many times its compressed size
FAST_MEMBER_BYTES = 4 << 20  # the compiled path inflates members up to this size; larger ones (bomb checks) stay here
# After a corrupt member, reading resumes at the next gzip magic; a false one in junk may read on to
# the end of the file before failing, so resyncs in a row that do are bounded (else quadratic).
MAX_RUNS_TO_THE_END = 8
TRUNCATED_MEMBER = "truncated gzip member (file ends inside it)"
ZSTD_FRAME_MAGIC = b"\x28\xb5\x2f\xfd"  # little-endian 0xFD2FB528 (RFC 8878)


@dataclass(frozen=True)
class Member:
    """A gzip member starts here: `offset` in the compressed file."""

    offset: int


@dataclass(frozen=True)
class Break:
    """The decompressed stream is discontinuous here (corrupt or truncated member or frame)."""

    offset: int
    reason: str
    kind: str = "gzip"  # the fault kind it becomes: gzip, zstd


@dataclass(frozen=True)
class Chunk:
    """Decompressed bytes of whole gzip members: `members` holds (start in data, offset in the compressed file)."""

    data: bytes
    members: list[tuple[int, int]]


Event = Union[bytes, Member, Break, Chunk]


def sniff_compression(head: bytes) -> str:
    """Return 'gzip' or 'zstd' when the bytes start a gzip member or a zstd (or skippable) frame, else 'none'."""
    return "gzip" if head.startswith(b"\x1f\x8b") else "zstd" if is_zstd(head) else "none"


def is_zstd(head: bytes) -> bool:
    """Whether the bytes start a zstd frame or a skippable frame."""
    return head.startswith(ZSTD_FRAME_MAGIC) or is_skippable(head)


def is_skippable(head: bytes) -> bool:
    """Whether the bytes start a zstd skippable frame (magic 0x184D2A50-0x184D2A5F, little-endian)."""
    return len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == b"\x2a\x4d\x18"


def plain_events(f: BinaryIO) -> Iterator[Event]:
    """Yield the file's bytes in chunks."""
    yield Member(0)
    while chunk := f.read(READ_SIZE):
        yield chunk


def gzip_events(f: BinaryIO, native: bool | None = None) -> Iterator[Event]:
    """Yield decompressed chunks, Member starts and Breaks for a (multi-member) gzip file.

    With the compiled module, the whole and sound members in the read buffer are inflated in one
    call (a Chunk); a member it leaves (cut off by the buffer's end, corrupt, large) is read here,
    and so is the first one, so that a second member becomes known exactly when it does here.
    """
    fast = archive(native)
    if fast is not None and fast.zlib_version != zlib.ZLIB_RUNTIME_VERSION:
        fast = None  # another zlib than Python's might accept or reject other members
    pos = 0  # compressed offset of buf[at]
    buf, at = b"", 0
    to_the_end = 0  # candidate members in a row that ran on to the end of the file
    while True:
        if len(buf) - at < 2:
            buf, at = buf[at:] + f.read(READ_SIZE), 0
            if not buf:
                return
        if fast is not None and pos > 0:  # the first member here: until a second one is seen, offsets are stream positions (readers.file_offset)
            data, members, used = fast.inflate_members(buf, at, OUT_SIZE, FAST_MEMBER_BYTES)
            if members:
                yield Chunk(data, [(out_at, pos + in_at) for out_at, in_at in members])
                pos, at = pos + used, at + used
                continue
        start = pos
        yield Member(start)
        first, magic = buf[at], buf[at : at + 2] == GZIP_MAGIC[:2]
        result = yield from _member(f, buf, at, start)
        if isinstance(result, Break):
            if first == 0 and _zeros_to_end(f, start):  # NUL padding after the last member (block or tape writers): as gzip(1), not a fault
                return
            resume = yield from _skip_to_magic(f, start + 1)
            if not magic:  # junk or padding between members (zlib: "incorrect header check"), said as what it is
                result = Break(start, "bytes that are not gzip data run to the end of the file" if resume is None else
                               f"{resume[0] - start:,} bytes that are not gzip data between members; skipped")
            yield result
            to_the_end = to_the_end + 1 if result.reason == TRUNCATED_MEMBER else 0
            if to_the_end == MAX_RUNS_TO_THE_END:
                yield Break(start, f"{to_the_end} gzip members in a row run on to the end of the file; the rest is not read")
                return
            if resume is None:
                return
            (pos, buf), at = resume, 0
        else:
            pos, buf, at, to_the_end = *result, 0


def _member(f: BinaryIO, buf: bytes, at: int, start: int) -> Iterator[Event]:
    """Decompress the member at buf[at:]; return (next offset, buffer, its position there) or a Break.

    Input goes to zlib in FEED_SIZE slices of the read buffer: at a member's end zlib copies the
    unused input, so a small member behind a 1 MiB read would copy up to 1 MiB (measured: half of
    the decompression time of a per-record gzip WET file).
    The member's first HOLD_BYTES of output are held until it ends sound: a member of one record whose
    check (CRC-32, length) fails at its end gives nothing, not bytes that zlib inflated without
    complaint and a garbled record header's fault beside the member's (a member of several gives them). Where
    zlib fails on the data itself (an invalid code or distance), what it inflated before that byte is
    given: in a whole-file gzip, the records before the fault are kept.
    """
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(buf)
    consumed, produced = 0, 0
    held: list[bytes] | None = []  # None once the member's output is given as it comes
    while True:
        if at >= len(view):
            buf = f.read(READ_SIZE)
            if not buf:
                yield from held or ()
                return Break(start, TRUNCATED_MEMBER)
            view, at = memoryview(buf), 0
        data = view[at : at + FEED_SIZE]
        before = d.copy()  # (~3% of inflating) what a fault in this slice would lose is inflated again from here
        try:
            out = d.decompress(data, OUT_SIZE)
        except zlib.error as exc:
            check = _is_check(exc)  # (its CRC-32 or length: the output is wrong somewhere, nobody knows where)
            if check and not (held and _several_records(b"".join(held))):
                # one record's member gives nothing (its garbled header was a second fault); one of many records (a
                # file gzipped whole) gives what it inflated, as past HOLD_BYTES (a bit flip in a 1 MB file lost its
                # every record: most flips fail the CRC, not the data)
                return Break(start, f"corrupt gzip member ({exc})")
            yield from held or ()
            good, fed = _up_to_fault(before, data)  # (a check failed on the trailer: the whole slice)
            if good:
                yield good
            return Break(start, f"corrupt gzip member ({exc})" if check else f"corrupt gzip member ({exc}, {consumed + fed:,} bytes into it)")
        # At the end of a member zlib may report the leftover bytes as both unconsumed_tail and
        # unused_data; they are counted once. Unconsumed input is fed again from the buffer.
        used = len(data) - (len(d.unused_data) if d.eof else len(d.unconsumed_tail))
        at += used
        consumed += used
        produced += len(out)
        if out:
            if held is None:
                yield out
            else:
                held.append(out)
                if produced > HOLD_BYTES:
                    yield from held
                    held = None
        if produced > BOMB_MIN_BYTES and produced > BOMB_RATIO * max(consumed, 1):
            return Break(start, f"gzip member expands over {BOMB_RATIO}x past {produced >> 20} MiB (gzip bomb?); skipped")
        if d.eof:
            yield from held or ()
            return start + consumed, buf, at


# a second record's start: a WARC header line, or an ARC v1/v2 header line (URL, IP address, 14-digit date, ...)
_RECORD_START = re.compile(rb"\nWARC/\d|\n\S+ \d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3} \d{14} ")


def _several_records(data: bytes) -> bool:
    """Whether inflated bytes hold the start of a record past their first line (a member of several records)."""
    return _RECORD_START.search(data, 1) is not None


def _is_check(exc: zlib.error) -> bool:
    """Whether zlib failed on the member's trailer (its CRC-32 or length), not on its data."""
    return "check" in str(exc)  # "incorrect data check", "incorrect length check"


def _up_to_fault(d: "zlib._Decompress", data: memoryview) -> tuple[bytes, int]:
    """What d inflates of data before the byte where it fails, and how many bytes of data that took.

    Slices of SALVAGE_STEP bytes, then the failing slice a byte at a time, each from a copy of the state
    before it; at most OUT_SIZE of output (what the failing call could have given)."""
    out: list[bytes] = []
    fed, budget, step = 0, OUT_SIZE, SALVAGE_STEP
    while fed < len(data) and budget > 0:
        trial = d.copy()
        piece = data[fed : fed + step]
        try:
            got = trial.decompress(piece, budget)
        except zlib.error:
            if step == 1:
                break
            step = 1
            continue
        d = trial
        fed += len(piece) - len(d.unconsumed_tail)
        budget -= len(got)
        out.append(got)
        if d.eof or (d.unconsumed_tail and not got):
            break
    return b"".join(out), fed


def _zeros_to_end(f: BinaryIO, offset: int) -> bool:
    """Whether the file holds only NUL bytes from offset to its end."""
    f.seek(offset)
    while chunk := f.read(READ_SIZE):
        if chunk.count(0) != len(chunk):
            return False
    return True


def _skip_to_magic(f: BinaryIO, offset: int) -> Iterator[Event]:
    """Find the next gzip magic at or after offset; return (offset, bytes from there) or None."""
    f.seek(offset)
    carry = b""
    base = offset
    while True:
        chunk = f.read(READ_SIZE)
        if not chunk:
            return None
        buf = carry + chunk
        i = buf.find(GZIP_MAGIC)
        if i >= 0:
            return base + i, buf[i:]
        carry = buf[-2:]
        base += len(buf) - 2
    yield  # pragma: no cover  (makes this a generator for `yield from`)
