"""Byte events over zstd-compressed archives (.warc.zst): a frame per record, or frames for the whole file.

The IIPC's WARC-zstd layout compresses each record as a frame of its own, with an optional
dictionary in a skippable frame (magic 0x184D2A5D) at the start of the file, itself
zstd-compressed or raw (Archive Team's wget-at writes such files); `zstd file.warc` makes one
frame (or a few) for the whole file. Like streams.gzip_events, this yields Member at each frame's
start, the decompressed bytes, and Break where a frame is corrupt, then resumes at the next frame.

Frames are walked by their block headers (RFC 8878, 3.1.1) and each block goes to the decoder on
its own, so one call yields at most 128 KiB however a frame was crafted, and a frame's end is
known without decoding past it. A frame that expands past BOMB_RATIO times its compressed size
(beyond BOMB_MIN_BYTES) is abandoned, as a gzip member is.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

from provenance.ingest import streams
from provenance.ingest.streams import READ_SIZE, ZSTD_FRAME_MAGIC, Break, Event, Member, is_skippable

DICTIONARY_MAGIC = 0x184D2A5D  # a skippable frame holding the file's dictionary (WARC-zstd)
MAX_BLOCK_BYTES = 128 << 10  # RFC 8878: a block never exceeds 128 KiB, compressed or not
MAX_DICTIONARY_BYTES = 64 << 20
MAX_WINDOW_MIB = 128  # libzstd's default limit for decoding, as the zstd command's (more needs --memory)
KEEP_BYTES = 16 << 20  # a frame's bytes kept buffered for a resync just past its start
_FCS_BYTES = (0, 2, 4, 8)  # Frame_Content_Size field per FCS_flag (0 -> 1 byte when single-segment)
_DID_BYTES = (0, 1, 2, 4)


class _Input:
    """A forward reader over a file object that knows its absolute offset and can go back to a mark.

    Bytes from the mark on (a frame's start) stay buffered, up to KEEP_BYTES, so that after a
    corrupt frame reading resumes just past its start: a frame cut short (a truncated record) is
    followed by the next frame, which its block lengths may have swallowed.
    """

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.buf, self.at, self.pos = f, b"", 0, 0
        self.mark: int | None = None

    def peek(self, n: int) -> bytes:
        while len(self.buf) - self.at < n:
            more = self.f.read(max(READ_SIZE, n))
            if not more:
                break
            drop = self.at
            if self.mark is not None and self.pos - self.mark <= KEEP_BYTES:
                drop = max(0, self.at - (self.pos - self.mark))
            self.buf, self.at = self.buf[drop:] + more, self.at - drop
        return self.buf[self.at : self.at + n]

    def read(self, n: int) -> bytes:
        out = self.peek(n)
        self.at += len(out)
        self.pos += len(out)
        return out

    def skip(self, n: int) -> bool:
        """Move n bytes on, in bounded memory; False if the file ends first."""
        while n > 0:
            got = len(self.read(min(n, READ_SIZE)))
            if not got:
                return False
            n -= got
        return True

    def back_to(self, offset: int) -> None:
        """Go back to offset if it is still buffered (else stay)."""
        if self.pos - self.at <= offset <= self.pos:
            self.at -= self.pos - offset
            self.pos = offset

    def to_next_frame(self) -> bool:
        """Move to the next frame magic number at or after the position; False if there is none."""
        while True:
            i = self.buf.find(ZSTD_FRAME_MAGIC, self.at)
            if i >= 0:
                self.pos += i - self.at
                self.at = i
                return True
            keep = max(self.at, len(self.buf) - len(ZSTD_FRAME_MAGIC) + 1)  # a magic number may straddle the next read
            self.pos += keep - self.at
            self.at = keep
            held = len(self.buf) - self.at
            if len(self.peek(held + 1)) <= held:
                return False

    def skip_zeros(self) -> bool:
        """Move past NUL bytes; False if the file ends with them."""
        while chunk := self.peek(READ_SIZE):
            zeros = len(chunk) - len(chunk.lstrip(b"\0"))
            self.read(zeros)
            if zeros < len(chunk):
                return True
        return False


def zstd_events(f: BinaryIO) -> Iterator[Event]:
    """Yield decompressed chunks, Member starts and Breaks for a zstd-compressed file."""
    import zstandard

    src, decoder = _Input(f), zstandard.ZstdDecompressor()
    to_the_end = 0  # candidate frames in a row that ran on to the end of the file (see streams.MAX_RUNS_TO_THE_END)
    while True:
        start = src.pos
        head = src.peek(8)
        if not head:
            return
        if is_skippable(head):
            if len(head) < 8:
                yield Break(start, "truncated zstd skippable frame (file ends inside its header)", "zstd")
                return
            size = int.from_bytes(head[4:8], "little")
            if start == 0 and int.from_bytes(head[:4], "little") == DICTIONARY_MAGIC:
                decoder, problem = _with_dictionary(src, size, zstandard)
                if problem:
                    yield Break(start, problem, "zstd")
                continue
            src.mark = start
            src.read(8)
            ended = not src.skip(size)
            src.mark = None
            if not ended:
                continue
            yield Break(start, "truncated zstd skippable frame (file ends inside it)", "zstd")  # or its size is corrupt:
            src.back_to(start)  # look for frames inside it
        elif not head.startswith(ZSTD_FRAME_MAGIC):
            if head[0] == 0 and not src.skip_zeros():  # NUL padding after the last frame (block writers): not a fault
                return
            yield Break(start, f"not a zstd frame at this offset (starts with {head[:4]!r})", "zstd")
            if src.pos > start:  # past the NUL bytes: a frame may start right here
                if src.to_next_frame():
                    continue
                return
        else:
            yield Member(start)
            src.mark = start
            brk = yield from _frame(src, decoder, start, zstandard.ZstdError)
            src.mark = None
            if brk is None:
                to_the_end = 0
                continue
            yield brk
            to_the_end = to_the_end + 1 if brk.reason.startswith("truncated zstd frame") else 0
            if to_the_end == streams.MAX_RUNS_TO_THE_END:
                yield Break(start, f"{to_the_end} zstd frames in a row run on to the end of the file; the rest is not read", "zstd")
                return
            src.back_to(start)
        src.read(1)
        if not src.to_next_frame():
            return


def _with_dictionary(src: _Input, size: int, zstandard: object) -> tuple[object, str | None]:
    """Read the dictionary frame at the file's start: (a decoder using it, or a plain one, and a problem)."""
    plain = zstandard.ZstdDecompressor()
    if size > MAX_DICTIONARY_BYTES:
        src.read(8)
        src.skip(size)
        return plain, f"zstd dictionary frame of {size} bytes is over {MAX_DICTIONARY_BYTES} bytes; frames needing it are skipped"
    src.read(8)
    data = src.read(size)
    if len(data) < size:
        return plain, "truncated zstd dictionary frame (file ends inside it)"
    try:
        if data.startswith(ZSTD_FRAME_MAGIC):  # the dictionary itself zstd-compressed (as wget-at writes it)
            data = zstandard.ZstdDecompressor().decompress(data, max_output_size=MAX_DICTIONARY_BYTES)
        return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(data)), None
    except zstandard.ZstdError as exc:
        return plain, f"zstd dictionary frame cannot be read ({exc}); frames needing it are skipped"


def _frame(src: _Input, decoder: object, start: int, error: type[Exception]) -> Iterator[Event]:
    """Decode the frame at src block by block, yielding its bytes; return None at its end, or a Break."""
    head = src.peek(5)
    if len(head) < 5:
        return Break(start, "truncated zstd frame (file ends inside its header)", "zstd")
    desc = head[4]
    single = desc >> 5 & 1
    fcs = _FCS_BYTES[desc >> 6] or single
    size = 5 + (not single) + _DID_BYTES[desc & 3] + fcs
    header = src.read(size)
    if len(header) < size:
        return Break(start, "truncated zstd frame (file ends inside its header)", "zstd")
    d = decoder.decompressobj()
    consumed, produced = size, 0
    try:
        d.decompress(header)
        while True:
            block = src.read(3)
            if len(block) < 3:
                return Break(start, "truncated zstd frame (file ends inside it)", "zstd")
            value = int.from_bytes(block, "little")
            kind, length = value >> 1 & 3, value >> 3
            if kind == 3 or length > MAX_BLOCK_BYTES:
                return Break(start, "corrupt zstd frame (bad block header)", "zstd")
            body = src.read(1 if kind == 1 else length)
            if len(body) < (1 if kind == 1 else length):
                return Break(start, "truncated zstd frame (file ends inside it)", "zstd")
            if value & 1 and desc >> 2 & 1:  # the last block and a content checksum: checked in the same call,
                checksum = src.read(4)       # so a frame that fails it yields nothing of its last block
                if len(checksum) < 4:
                    return Break(start, "truncated zstd frame (file ends inside its checksum)", "zstd")
                body += checksum
            out = d.decompress(block + body)
            consumed += 3 + len(body)
            produced += len(out)
            if out:
                yield out
            if produced > streams.BOMB_MIN_BYTES and produced > streams.BOMB_RATIO * consumed:
                return Break(start, f"zstd frame expands over {streams.BOMB_RATIO}x past {produced >> 20} MiB (zstd bomb?); skipped", "zstd")
            if value & 1:  # the last block
                return None
    except error as exc:
        if "too much memory" in str(exc):
            return Break(start, f"zstd frame needs a window over {MAX_WINDOW_MIB} MiB (zstd --long=28 or more); not read", "zstd")
        return Break(start, f"corrupt zstd frame ({exc})", "zstd")
