"""The compiled archive module reads exactly what the Python reader reads: records, faults, offsets.

provenance._archive only takes the clean stretches of a file (whole gzip members, plain-ASCII WARC
headers, HTTP heads) and leaves every other spot to the Python code; these tests read the same
bytes both ways and compare everything the reader and the HTTP parser return.
"""
from __future__ import annotations

import io
import os
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.fuzzing import mutate
from provenance.ingest.http import looks_binary, parse_response
from provenance.ingest.native import archive
from provenance.ingest.readers import FileInfo, RawRecord, read_stream
from tests.conftest import FIXTURES, gz, http_response, response_record, warc_record, warcinfo

needs_archive = pytest.mark.skipif(
    archive() is None and not os.environ.get("PROVENANCE_REQUIRE_KERNELS"),
    reason="provenance._archive not built (no C compiler or zlib header at install); the Python reader runs instead",
)
pytestmark = needs_archive


def read_both_ways(data: bytes, max_record_bytes: int = 1 << 20) -> tuple[list, list]:
    """(compiled, Python) readings of data: each item as a comparable tuple, then the FileInfo."""
    out = []
    for native in (True, False):
        info = FileInfo()
        items = [("record", i.offset, i.headers, i.block, i.fmt) if isinstance(i, RawRecord) else ("fault", i.offset, i.kind, i.reason, i.record_id)
                 for i in read_stream(io.BytesIO(data), max_record_bytes, info, native)]
        # A file that is no archive stops at its first bytes: how many gzip members were seen by then
        # depends on how much was read at once (only whether there were several is used, see worker).
        members = info.members if info.format != "unknown" else min(info.members, 2)
        out.append(items + [(info.compression, info.format, members)])
    return out[0], out[1]


def assert_same_reading(data: bytes, **kw) -> list:
    compiled, python = read_both_ways(data, **kw)
    assert compiled == python
    for item in compiled[:-1]:
        if item[0] == "record":
            assert parse_response(item[3], 1 << 20, native=True) == parse_response(item[3], 1 << 20, native=False)
    return compiled


def styles(records: list[bytes]) -> list[bytes]:
    """The records as a plain file, one gzip member per record, and one gzip member for all."""
    return [b"".join(records), b"".join(gz(r) for r in records), gz(b"".join(records))]


def archive_files() -> list:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".gz", ".warc", ".wet", ".arc"))


def test_ci_builds_the_archive_module():
    assert archive() is not None
    if os.environ.get("PROVENANCE_REQUIRE_LIBDEFLATE"):  # (.ci/run, where libdeflate's header is installed)
        assert archive().libdeflate_version is not None


@pytest.mark.parametrize("path", archive_files(), ids=lambda p: p.name)
def test_every_fixture_reads_the_same_both_ways(path):
    items = assert_same_reading(path.read_bytes())
    assert items


def test_records_across_read_buffer_boundaries_read_the_same_both_ways():
    # ~2.6 MiB: records straddle the 1 MiB reads (plain, per-member gzip) and decompressed chunks (whole gzip)
    records = [warcinfo()] + [response_record(i, text=f"word{i} " * (300 + 37 * (i % 50))) for i in range(300)]
    for data in styles(records):
        items = assert_same_reading(data)
        assert sum(1 for i in items[:-1] if i[0] == "record") == 301


def test_the_compiled_path_stops_at_faults_and_the_python_reader_reports_them():
    good = [warcinfo(), response_record(1), response_record(2)]
    broken = [
        [good[1].replace(b"Content-Length: ", b"Content-Length: x"), good[2]],  # a bad Content-Length
        [b"garbage between records\r\n", good[2]],
        [good[2][:-100]],  # the file ends inside a record's block
    ]
    for bad in broken:
        for data in styles([good[0], good[1], *bad]):
            items = assert_same_reading(data)
            assert any(i[0] == "fault" for i in items[:-1])
    corrupt = gz(good[1])[:40] + b"\x00" * 5 + gz(good[1])[45:]
    assert any(i[0] == "fault" for i in assert_same_reading(gz(good[0]) + corrupt + gz(good[2]))[:-1])


def test_a_header_that_is_not_ascii_is_left_to_the_python_reader():
    latin = response_record(1).replace(b"WARC-Date", b"WARC-D\xe4te")
    for data in styles([warcinfo(), latin, response_record(2)]):
        records = [i for i in assert_same_reading(data)[:-1] if i[0] == "record"]
        assert len(records) == 3 and "warc-d\u00e4te" in records[1][2]  # not UTF-8: read as Latin-1


def test_a_record_over_the_size_limit_and_a_large_member_read_the_same_both_ways():
    big = warc_record("resource", os.urandom(3000).hex().encode() * 1000, "https://x.example/big", content_type="text/plain")
    for data in styles([warcinfo(), big, response_record(3)]):
        assert_same_reading(data, max_record_bytes=1 << 20)
        assert_same_reading(data, max_record_bytes=1 << 23)


@pytest.mark.parametrize("seed", range(0, 160, 4))
def test_fuzzed_archives_read_the_same_both_ways(seed):
    originals = [p.read_bytes() for p in archive_files() if "crawl" in p.parts][:4]
    for k, original in enumerate(originals):
        _, data = mutate(original, seed * 10 + k)
        assert_same_reading(data)


def lf_record(body: bytes) -> bytes:
    """A record whose header lines end in a bare LF (some old writers)."""
    return b"WARC/1.0\nContent-Length: %d\n\n%s" % (len(body), body)


CLEAN = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize("data", [
    b"WARC/1.1\r\n: x\r\n y\r\nContent-Length: 1\r\n\r\nz",  # an empty name takes no continuation line
    gz(lf_record(b"a") + lf_record(b"b")) + gz(lf_record(b"c")),  # LF headers: Python reads ahead for CRLF CRLF
    gz(CLEAN) + gz(lf_record(b"a") + b"junk\n" + lf_record(b"b")) + b"\x1f\x8b\x08\x00garbage",
    gz(CLEAN) + gz(b"junk\r\n") + gz(CLEAN),  # the fault quotes the same bytes however much was read
    gz(b"junk") + gz(b"more junk, and more") * 3,  # not an archive, several members
], ids=["empty-name-continuation", "lf-headers", "lf-headers-then-break", "fault-text", "not-an-archive"])
def test_cases_a_review_found_read_the_same_both_ways(data):
    assert_same_reading(data)


def test_a_header_end_straddling_a_member_boundary_at_the_header_limit_reads_the_same_both_ways():
    from provenance.ingest.readers import MAX_HEADER_BYTES as limit

    pre = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 5\r\nX-Pad: "
    record = pre + b"a" * (limit - 1 - len(pre)) + b"\r\n\r\nhello\r\n\r\n"  # CRLF CRLF at limit - 1: inside the window
    items = assert_same_reading(gz(CLEAN) + gz(record[:limit]) + gz(record[limit:]))
    assert [i[0] for i in items[:-1]] == ["record", "record"]


HEADER_BYTES = st.sampled_from([b"a", b"Z", b"-", b":", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\x00", b"\x0b", b"\x1c", b"\x85",
                                b"\xc3\xa9", b"\xff", b"1", b"WARC/", b"Content-Length: 5\r\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.lists(HEADER_BYTES, max_size=12).map(b"".join), max_size=8),
       length=st.sampled_from([b"5", b"05", b" 5 ", b"5\t", b"", b"x", b"0", b"1234567890123456", b"\xd9\xa5"]),
       newline=st.sampled_from([b"\r\n", b"\n"]), style=st.integers(0, 3))
def test_any_warc_header_reads_the_same_both_ways(lines, length, newline, style):
    head = newline.join([b"WARC/1.1", b"WARC-Type: resource", *lines, b"Content-Length: " + length]) + newline * 2
    record = head + b"hello\r\n\r\n"
    files = [*styles([record, response_record(1)]), gz(record + response_record(1)) + gz(response_record(2))]
    assert_same_reading(files[style])


@settings(max_examples=300, deadline=None)
@given(status=st.sampled_from([b"HTTP/1.1 200 OK", b"http/1.0 404", b"HTTP/2 0200", b"  HTTP/1.1\t301 Moved", b"HTTP/1.1 99999999999 x",
                               b"HTTP/1.1 2OO", b"ICY 200 OK", b"", b"HTTP/1.1 \xa0200", b"\r\nHTTP/1.1 200 OK",
                               b"\n\nHTTP/1.0 200"]),
       lines=st.lists(st.lists(HEADER_BYTES, max_size=10).map(b"".join), max_size=6),
       end=st.sampled_from([b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n", b""]))
def test_any_http_head_parses_the_same_both_ways(status, lines, end):
    block = status + b"".join(b"\r\n" + line for line in lines) + end + b"<html>body</html>"
    assert parse_response(block, 1 << 20, native=True) == parse_response(block, 1 << 20, native=False)


def test_repeated_http_fields_are_joined_and_the_status_read():
    block = http_response(b"<p>x</p>", extra=[("Set-Cookie", "a=1"), ("set-cookie", " b=2 "), ("X-Empty", "")])
    head = parse_response(block, 1 << 20, native=True)
    assert head.status == 200 and head.headers["set-cookie"] == "a=1, b=2" and head.headers["x-empty"] == ""
    assert head.body == b"<p>x</p>"


def test_inflate_members_stops_before_a_cut_off_member():
    members = [gz(b"one" * 100), gz(b"two" * 100)]
    data = members[0] + members[1][:-3]
    out, starts, used = archive().inflate_members(data, 0, 1 << 20, 1 << 20)
    assert out == b"one" * 100 and starts == [(0, 0)] and used == len(members[0])
    assert zlib.decompress(members[1], 31) == b"two" * 100


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=6000) | st.lists(st.sampled_from([b"text ", b"\x00", b"\x01", b"\t", b"\r\n", b"\x0c", b"\x1b", b"\x7f"]),
                                                  max_size=3000).map(b"".join))
def test_binary_sniffing_agrees_both_ways(body):
    assert looks_binary(body, native=True) == looks_binary(body, native=False)


def member(payload: bytes, flags: int = 0, header_crc: int | None = None, level: int = 6) -> bytes:
    """A gzip member with the optional header fields of `flags` (FEXTRA 4, FNAME 8, FCOMMENT 16, FHCRC 2)."""
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\x00\x00\x00\x00\x00\x03"
    if flags & 4:
        head += b"\x06\x00" + b"ab\x02\x00xy"
    if flags & 8:
        head += b"page.html\x00"
    if flags & 16:
        head += b"a comment\x00"
    if flags & 2:
        head += (zlib.crc32(head) & 0xFFFF if header_crc is None else header_crc).to_bytes(2, "little")
    c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return head + c.compress(payload) + c.flush() + zlib.crc32(payload).to_bytes(4, "little") + (len(payload) & 0xFFFFFFFF).to_bytes(4, "little")


def inflate_by_zlib(data: bytes, at: int, max_out: int, max_member_out: int) -> tuple[bytes, list, int]:
    """What inflate_members gives, by Python's zlib one member at a time."""
    out, starts, p = b"", [], at
    while len(out) < max_out and len(data) - p >= 20 and data[p:p + 2] == b"\x1f\x8b":
        d = zlib.decompressobj(31)
        try:
            got = d.decompress(data[p:], max_member_out + 1)
        except zlib.error:
            break
        if not d.eof or len(got) > max_member_out:  # cut off by the end of data, or over the limit
            break
        starts.append((len(out), p - at))
        out += got
        p = len(data) - len(d.unused_data)
    return out, starts, p - at


TEXT = b"".join(b"line %d of a page, with words that repeat and some that do not: %x\n" % (i, i * 7919) for i in range(3000))


@pytest.mark.parametrize("data", [
    member(TEXT[:5000]) + member(TEXT[5000:9000], 4 | 8 | 16) + member(b"") + member(TEXT[:300], 2),
    member(TEXT[:100]) + member(TEXT[:100], 2, header_crc=0x1234) + member(TEXT[:100]),  # a wrong header CRC: zlib stops there
    member(TEXT[:100]) + member(TEXT[:100])[:-4] + b"\x00\x00\x00\x00" + member(TEXT[:100]),  # a wrong length in the trailer
    member(TEXT[:100]) + member(TEXT[:100])[:-8] + b"\x00\x00\x00\x00" + member(TEXT[:100])[-4:],  # a wrong CRC-32
    member(TEXT[:200]) + member(TEXT)[:-1],  # cut off by the end of the data
    member(TEXT[:200]) + member(TEXT * 40, level=9) + member(TEXT[:200]),  # ~8 MB from one member: over the limit
    member(TEXT[:200]) + member(TEXT * 3) + member(TEXT[:50]),  # larger than the room left in the output, under the limit
    member(os.urandom(70000), level=0) * 3,  # stored blocks
], ids=["header-fields", "bad-header-crc", "bad-length", "bad-crc", "cut-off", "over-the-limit", "larger-than-the-room", "stored"])
def test_inflate_members_inflates_what_zlib_inflates_and_stops_where_it_stops(data):
    """With libdeflate built in (tried first, ~2x zlib's speed) or without: the same output, members and bytes used."""
    for at in (0, 1):
        padded = b"x" * at + data
        for max_out, max_member_out in ((1 << 20, 4 << 20), (100, 1 << 20), (1 << 20, 300_000)):
            assert archive().inflate_members(padded, at, max_out, max_member_out) == inflate_by_zlib(padded, at, max_out, max_member_out)


class Bits:
    """A DEFLATE bit stream: fields least significant bit first, Huffman codes most significant bit first."""

    def __init__(self) -> None:
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value: int, count: int) -> None:
        for i in range(count):
            self.acc |= ((value >> i) & 1) << self.n
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                self.acc, self.n = 0, 0

    def code(self, code: int, length: int) -> None:
        for i in reversed(range(length)):
            self.put((code >> i) & 1, 1)

    def align(self) -> None:
        if self.n:
            self.out.append(self.acc)
            self.acc, self.n = 0, 0


CODE_LENGTH_ORDER = (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15)  # of a dynamic block's code length code


def member_zlib_rejects(payload: bytes) -> bytes:
    """A gzip member of payload (its CRC-32 and length right) whose first block, an empty one, codes its end by the bit
    that its literal code of one codeword does not use: zlib finds no such code; libdeflate reads any bit as that
    codeword. No encoder writes this: such a member is a corrupt file's."""
    b = Bits()
    b.put(0, 1), b.put(2, 2)  # not the final block; dynamic Huffman codes
    b.put(0, 5), b.put(0, 5), b.put(14, 4)  # 257 literal/length codes, 1 distance code, 18 code length codes
    lengths = {18: 1, 0: 2, 1: 2}  # the code length code: 18 '0', 0 '10', 1 '11'
    for symbol in CODE_LENGTH_ORDER[:18]:
        b.put(lengths.get(symbol, 0), 3)
    b.code(0, 1), b.put(127, 7), b.code(0, 1), b.put(107, 7)  # 138 + 118 zeros: no literal is used
    b.code(3, 2), b.code(2, 2)  # end of block: length 1 (its codeword '0'); the one distance code: length 0
    b.code(1, 1)  # the end of block, coded '1'
    b.put(1, 1), b.put(0, 2), b.align()  # the final block, stored
    b.out += len(payload).to_bytes(2, "little") + (len(payload) ^ 0xFFFF).to_bytes(2, "little") + payload
    return _gzip(bytes(b.out), payload)


def _gzip(deflate: bytes, payload: bytes) -> bytes:
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + deflate + zlib.crc32(payload).to_bytes(4, "little") + len(payload).to_bytes(4, "little")


def _fixed(b: Bits, symbol: int) -> None:
    """A literal/length symbol in the fixed Huffman code."""
    if symbol < 144:
        b.code(0x30 + symbol, 8)
    elif symbol < 256:
        b.code(0x190 + symbol - 144, 9)
    elif symbol < 280:
        b.code(symbol - 256, 7)
    else:
        b.code(0xC0 + symbol - 280, 8)


def member_with_a_reserved_length() -> tuple[bytes, bytes]:
    """A fixed-code block: the literal 'a', then the reserved length symbol 286 at distance 1 (libdeflate reads it as
    length 258; zlib: "invalid literal/length code"), then its end."""
    b = Bits()
    b.put(1, 1), b.put(1, 2)
    _fixed(b, ord("a")), _fixed(b, 286), b.code(0, 5), _fixed(b, 256)
    b.align()
    return _gzip(bytes(b.out), b"a" * 259), b"a" * 259


def member_with_too_many_length_codes() -> tuple[bytes, bytes]:
    """A dynamic block that declares 288 literal/length codes (HLIT 31; at most 286 exist: zlib "too many length or distance
    symbols"), codes 'x' and its end with one bit each."""
    lengths = [0] * 288 + [0]  # 288 literal/length code lengths, then the one distance code's
    lengths[ord("x")] = lengths[256] = 1
    b = Bits()
    b.put(1, 1), b.put(2, 2), b.put(31, 5), b.put(0, 5), b.put(14, 4)
    for symbol in CODE_LENGTH_ORDER[:18]:
        b.put({18: 1, 0: 2, 1: 2}.get(symbol, 0), 3)  # the code length code: 18 '0', 0 '10', 1 '11'
    i = 0
    while i < len(lengths):
        run = next((j for j in range(i, min(i + 138, len(lengths))) if lengths[j]), min(i + 138, len(lengths))) - i
        if run >= 11:
            b.code(0, 1), b.put(run - 11, 7)
            i += run
        else:
            b.code(3 if lengths[i] else 2, 2)
            i += 1
    b.code(0, 1), b.code(1, 1)  # 'x', the end of block
    b.align()
    return _gzip(bytes(b.out), b"x"), b"x"


@pytest.mark.parametrize("odd, payload, zlib_says", [
    (member_zlib_rejects(b"hello, world"), b"hello, world", "invalid literal/length code"),
    (*member_with_a_reserved_length(), "invalid literal/length code"),
    (*member_with_too_many_length_codes(), "too many length or distance symbols"),
])
def test_members_only_libdeflate_decodes_are_read_where_libdeflate_is_built_in_their_crc_checked(odd, payload, zlib_says):
    """The known differences of the two builds (a differential fuzz of both found the first in ~1 of 20,000 mutated files,
    a review the others): libdeflate reads a Huffman code of one codeword from either bit, the reserved length symbols
    286-287 and distance codes 30-31, more code lengths than there are symbols, and a code-length repeat past the last,
    where zlib reports a corrupt stream. A member so coded decodes, with its CRC-32 and length right, only where
    libdeflate is built in: it is read there (its data as written), and zlib's reading stops before it, as at any corrupt
    member. Encoders never write these; corrupt files can."""
    with pytest.raises(zlib.error, match=zlib_says):
        zlib.decompress(odd, 31)
    assert inflate_by_zlib(odd + member(b"next"), 0, 1 << 20, 1 << 20) == (b"", [], 0)
    got = archive().inflate_members(odd + member(b"next"), 0, 1 << 20, 1 << 20)
    if archive().libdeflate_version is not None:
        assert got == (payload + b"next", [(0, 0), (len(payload), len(odd))], len(odd) + len(member(b"next")))
    else:
        assert got == (b"", [], 0)


@pytest.mark.parametrize("at, max_out, max_member_out", [(-1, 1 << 20, 1 << 20), (99, 1 << 20, 1 << 20), (0, 0, 1 << 20),
                                                         (0, 1 << 20, 0), (0, 1 << 62, 1 << 20)])
def test_inflate_members_refuses_an_offset_outside_the_data_and_limits_it_cannot_hold(at, max_out, max_member_out):
    # (a limit near the address space's size overflowed the output buffer's first size: a MemoryError, or worse)
    with pytest.raises(ValueError, match="at outside the data, or a limit"):
        archive().inflate_members(member(b"x"), at, max_out, max_member_out)
