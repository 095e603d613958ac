"""Seeded mutations of archive files, for the fuzz tests and benchmarks/fuzz.py.

Each mutation keeps the file small and is reproducible from (seed, case number): bit flips,
truncations, spliced and duplicated byte ranges, and absurd header values written into the
decompressed records (then recompressed, so the parser, not only zlib, sees them).
"""
from __future__ import annotations

import gzip
import random
import re
import zlib
from typing import Any, Callable, Iterator

from provenance.ingest.streams import ZSTD_FRAME_MAGIC

ABSURD = [b"999999999999999", b"-1", b"0x10", b"", b"12 34", b"\xff\xfe", b"1e9", b"00000000000000000000000000000001"]
HEADER_RE = re.compile(rb"(Content-Length|WARC-Date|WARC-Type|WARC-Target-URI|Content-Type|Transfer-Encoding|Content-Encoding): ([^\r\n]*)")


def _members(data: bytes, magic: bytes, decompressobj: Callable[[], Any], error: type[Exception]) -> Iterator[bytes]:
    """Each gzip member or zstd frame decompressed, in order (stopping at a bad one, or after a cut one)."""
    rest = data
    while rest[: len(magic)] == magic:
        d = decompressobj()
        try:
            out = d.decompress(rest)
        except error:
            return
        yield out  # a cut last member's bytes too
        if not d.eof:
            return
        rest = d.unused_data


def _gzip_members(data: bytes) -> Iterator[bytes]:
    return _members(data, b"\x1f\x8b", lambda: zlib.decompressobj(31), zlib.error)


def gunzip_all(data: bytes) -> bytes:
    """Decompress every gzip member (stopping at the first bad one)."""
    return b"".join(_gzip_members(data))


def unzstd_all(data: bytes) -> bytes:
    """Decompress every zstd frame (stopping at the first bad one)."""
    import zstandard

    return b"".join(_members(data, ZSTD_FRAME_MAGIC, lambda: zstandard.ZstdDecompressor().decompressobj(), zstandard.ZstdError))


def as_zstd(data: bytes) -> bytes:
    """The same archive as zstd: a frame per gzip member (a WARC-zstd file), or one frame for a plain file."""
    import zstandard

    z = zstandard.ZstdCompressor(level=3, write_checksum=True)
    return b"".join(map(z.compress, _gzip_members(data))) if data[:2] == b"\x1f\x8b" else z.compress(data)


def bit_flips(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


def truncation(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def splice(data: bytes, rng: random.Random) -> bytes:
    a, b = sorted(rng.randrange(len(data)) for _ in range(2))
    at = rng.randrange(len(data))
    return data[:at] + data[a:b] + data[at:]


def duplicate(data: bytes, rng: random.Random) -> bytes:
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 4096))
    return data[:b] + data[a:b] * rng.randint(1, 3) + data[b:]


def absurd_header(data: bytes, rng: random.Random) -> bytes:
    gz, zst = data[:2] == b"\x1f\x8b", data[:4] == ZSTD_FRAME_MAGIC
    plain = gunzip_all(data) if gz else unzstd_all(data) if zst else data
    matches = list(HEADER_RE.finditer(plain))
    if not matches:
        return bit_flips(data, rng)
    for m in rng.sample(matches, min(len(matches), rng.randint(1, 3))):
        value = rng.choice(ABSURD) if m.group(1) == b"Content-Length" else rng.choice([b"", b"\x00" * 5, b"x" * 5000, b"9999-99-99T99:99:99Z", b"<script>"])
        plain = plain[: m.start(2)] + value + plain[m.end(2) :] if len(plain) >= m.end(2) else plain
    return gzip.compress(plain, mtime=0) if gz else as_zstd(plain) if zst else plain


MUTATIONS = [bit_flips, truncation, splice, duplicate, absurd_header]


def mutate(data: bytes, seed: int) -> tuple[str, bytes]:
    """Return (mutation name, mutated bytes) for one seeded case."""
    rng = random.Random(seed)
    op = MUTATIONS[seed % len(MUTATIONS)]
    base = data or b"\0"  # the empty fixture still gets mutated
    out = base
    for _ in range(rng.randint(1, 2)):
        out = op(out or base, rng)
    return op.__name__, out
