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

ABSURD = [b"999999999999999", b"-1", b"0x10", b"", b"12 34", b"\xff\xfe", b"1e9", b"00000000000000000000000000000001"]
HEADER_RE = re.compile(rb"(Content-Length|WARC-Date|WARC-Type|WARC-Target-URI|Content-Type|Transfer-Encoding|Content-Encoding): ([^\r\n]*)")


def gunzip_all(data: bytes) -> bytes:
    """Decompress every gzip member (stopping at the first bad one)."""
    out, rest = [], data
    while rest[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(31)
        try:
            out.append(d.decompress(rest))
        except zlib.error:
            break
        if not d.eof:
            break
        rest = d.unused_data
    return b"".join(out)


def as_zstd(data: bytes) -> bytes:
    """The same archive as zstd: a frame per gzip member (a WARC-zstd file), or one frame for a plain file."""
    import zstandard

    z = zstandard.ZstdCompressor(level=3, write_checksum=True)
    if data[:2] != b"\x1f\x8b":
        return z.compress(data)
    out, rest = [], data
    while rest[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(31)
        try:
            out.append(z.compress(d.decompress(rest)))
        except zlib.error:
            break
        if not d.eof:
            break
        rest = d.unused_data
    return b"".join(out)


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
    gz, zst = data[:2] == b"\x1f\x8b", data[:4] == b"\x28\xb5\x2f\xfd"
    plain = gunzip_all(data) if gz else unzstd_all(data) if zst else data
    matches = list(HEADER_RE.finditer(plain))
    if not matches:
        return bit_flips(data, rng)
    for m in rng.sample(matches, min(len(matches), rng.randint(1, 3))):
        value = rng.choice(ABSURD) if m.group(1) == b"Content-Length" else rng.choice([b"", b"\x00" * 5, b"x" * 5000, b"9999-99-99T99:99:99Z", b"<script>"])
        plain = plain[: m.start(2)] + value + plain[m.end(2) :] if len(plain) >= m.end(2) else plain
    return gzip.compress(plain, mtime=0) if gz else as_zstd(plain) if zst else plain


def unzstd_all(data: bytes) -> bytes:
    """Decompress every zstd frame (stopping at the first bad one)."""
    import zstandard

    out, rest = [], data
    while rest[:4] == b"\x28\xb5\x2f\xfd":
        d = zstandard.ZstdDecompressor().decompressobj()
        try:
            out.append(d.decompress(rest))
        except zstandard.ZstdError:
            break
        if not d.eof:
            break
        rest = d.unused_data
    return b"".join(out)


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
