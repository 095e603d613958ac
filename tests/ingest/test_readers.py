"""The record reader: both gzip styles, ARC, and faults that never lose good records."""
from __future__ import annotations

import zlib

import pytest

from provenance.ingest.readers import Fault, FileInfo, RawRecord, iter_records
from tests.conftest import gz, response_record, warc_record, warcinfo


def split(path, **kw):
    items = list(iter_records(str(path), **kw))
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, Fault)]


def test_per_record_gzip_reports_each_record_at_its_member_offset(make_warc):
    recs = [warcinfo(), response_record(1), response_record(2)]
    path = make_warc("a.warc.gz", recs, "members")
    good, faults = split(path)
    members = [gz(r) for r in recs]
    assert faults == []
    assert [r.offset for r in good] == [0, len(members[0]), len(members[0]) + len(members[1])]
    assert [r.type for r in good] == ["warcinfo", "response", "response"]


def test_whole_file_gzip_and_plain_files_read_the_same_records(make_warc):
    recs = [warcinfo(), *(response_record(i) for i in range(5))]
    whole, _ = split(make_warc("w.warc.gz", recs, "whole"))
    plain, _ = split(make_warc("p.warc", recs, None))
    assert [r.block for r in whole] == [r.block for r in plain]
    assert len(plain) == 6
    info = FileInfo()
    list(iter_records(str(make_warc("w2.warc.gz", recs, "whole")), info=info))
    assert (info.compression, info.members) == ("gzip", 1)


def test_a_corrupt_gzip_member_is_one_fault_and_the_records_after_it_are_kept(make_warc, tmp_path):
    members = [gz(response_record(i)) for i in range(4)]
    bad = bytearray(members[1])
    bad[len(bad) // 2] ^= 0xFF
    bad[len(bad) // 2 + 1] ^= 0xFF
    path = tmp_path / "c.warc.gz"
    path.write_bytes(members[0] + bytes(bad) + members[2] + members[3])
    good, faults = split(path)
    assert len(good) == 3
    assert len(faults) == 1 and faults[0].offset == len(members[0])
    assert "gzip" in faults[0].reason


def test_a_corrupt_first_gzip_member_loses_only_its_record(tmp_path):
    members = [gz(response_record(i)) for i in range(4)]
    bad = bytearray(members[0])
    bad[len(bad) // 2] ^= 0xFF
    bad[len(bad) // 2 + 1] ^= 0xFF
    path = tmp_path / "f.warc.gz"
    path.write_bytes(bytes(bad) + b"".join(members[1:]))
    good, faults = split(path)
    assert [r.offset for r in good] == [len(bad) + sum(map(len, members[1:i])) for i in range(1, 4)]  # was: nothing after it
    assert len(faults) == 1 and faults[0].offset == 0 and faults[0].kind == "gzip"


def test_a_truncated_file_keeps_every_complete_record(make_warc, tmp_path):
    data = b"".join(gz(response_record(i)) for i in range(3))
    path = tmp_path / "t.warc.gz"
    path.write_bytes(data[: len(data) - 40])
    good, faults = split(path)
    assert len(good) == 2
    assert len(faults) == 1 and "truncated" in faults[0].reason


def test_a_broken_header_between_good_records_is_skipped(make_warc):
    broken = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: lots\r\n\r\nsome bytes\r\n\r\n"
    good, faults = split(make_warc("b.warc", [response_record(1), broken, response_record(2)], None))
    assert len(good) == 2
    assert len(faults) == 1 and "Content-Length" in faults[0].reason


def with_length(record: bytes, length: int) -> bytes:
    """The record with its Content-Length field set to length (its block unchanged)."""
    head, sep, rest = record.partition(b"\r\n\r\n")
    lines = [b"Content-Length: %d" % length if line.startswith(b"Content-Length:") else line for line in head.split(b"\r\n")]
    return b"\r\n".join(lines) + sep + rest


@pytest.mark.parametrize("chunk", [None, 64, 7])
def test_a_content_length_too_long_is_cut_at_the_next_record_which_is_kept(make_warc, monkeypatch, chunk):
    """A writer that counted characters, not bytes, or its header too: the block runs into the next record, or past
    it (each record here is ~600 bytes); whatever the read chunks."""
    from provenance.ingest import streams

    if chunk:
        monkeypatch.setattr(streams, "READ_SIZE", chunk)
        monkeypatch.setattr(streams, "OUT_SIZE", chunk)
    recs = [response_record(i) for i in range(4)]
    block = recs[0].partition(b"\r\n\r\n")[2][:-4]
    for over in (5, 10, 40, 300, 1000):
        for style in ("members", "whole", None):
            good, faults = split(make_warc(f"long{over}.warc{'.gz' if style else ''}", [with_length(recs[0], len(block) + over), *recs[1:]], style))
            assert [r.block for r in good] == [block, *(r.partition(b"\r\n\r\n")[2][:-4] for r in recs[1:])], (over, style)
            assert len(faults) == 1 and faults[0].kind == "header" and faults[0].offset == 0
            assert f"Content-Length {len(block) + over} runs" in faults[0].reason


def test_a_block_holding_a_record_header_is_kept_whole_whatever_follows_it(make_warc):
    """A WARC file's text inside a response (a page about the format) is no record: it ends inside the block."""
    inner = warc_record("response", b"inner", "https://inner.example/")
    page = warc_record("resource", b"See this record:\n" + inner + b"\nThe end.", "https://about.example/", content_type="text/plain")
    for style in ("members", "whole", None):
        good, faults = split(make_warc("about.warc" + (".gz" if style else ""), [page, response_record(1)], style))
        assert faults == [] and len(good) == 2 and good[0].block.endswith(b"The end.")
    good, faults = split(make_warc("junk.warc", [page, b"\x1a\r\n", response_record(1)], None))  # junk after it: one fault, no record invented
    assert [r.headers.get("warc-target-uri") for r in good] == ["https://about.example/", "https://site1.example.org/page/1"]
    assert good[0].block.endswith(b"The end.") and len(faults) == 1


def test_a_content_length_too_long_in_a_file_of_lf_lines_is_cut_without_its_blank_lines(make_warc):
    def lf(record: bytes, extra: int = 0) -> tuple[bytes, bytes]:
        head, _, rest = with_length(record, len(record.partition(b"\r\n\r\n")[2]) - 4 + extra).partition(b"\r\n\r\n")
        block = rest[:-4]
        return head.replace(b"\r\n", b"\n") + b"\n\n" + block + b"\n\n", block

    (first, block1), (second, block2) = lf(response_record(1), extra=30), lf(response_record(2))
    good, faults = split(make_warc("lf.warc", [first, second], None))
    assert [r.block for r in good] == [block1, block2] and len(faults) == 1


def test_an_oversize_record_is_skipped_without_buffering_and_reading_resumes(make_warc):
    big = warc_record("response", b"x" * 300_000, "https://big.example/", content_type="application/http; msgtype=response")
    good, faults = split(make_warc("o.warc", [response_record(1), big, response_record(2)], None), max_record_bytes=100_000)
    assert len(good) == 2
    assert [f.kind for f in faults] == ["oversize"]


def test_an_oversize_record_is_skipped_by_its_length_not_searched_for_record_headers(make_warc, tmp_path):
    # its lines were read as record headers: one false fault per line starting "WARC/" (or "http" in ARC)
    lines = b"".join(b"WARC/1.0 is line %d of a text about WARC files\n" % i for i in range(3000))
    big = warc_record("response", b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + lines, "https://big.example/",
                      content_type="application/http; msgtype=response")
    for compression in (None, "members", "whole"):
        for native in (None, False):
            good, faults = split(make_warc(f"o-{compression}.warc", [response_record(1), big, response_record(2)], compression),
                                 max_record_bytes=50_000, native=native)
            assert len(good) == 2 and [f.kind for f in faults] == ["oversize"], (compression, native)
    urls = b"HTTP/1.0 200 OK\nContent-Type: text/plain\n\n" + b"".join(b"http://site%d.example.com/p\n" % i for i in range(3000))
    path = tmp_path / "big.arc"
    path.write_bytes(_arc(b"http://a.example.com/urls.txt 1.2.3.4 20130405060708 text/plain %d\n" % len(urls) + urls + b"\n", _ARC_PAGE))
    good, faults = split(path, max_record_bytes=50_000)
    assert [r.headers.get("warc-target-uri") for r in good[1:]] == ["http://old.example.com/a"]
    assert [f.kind for f in faults] == ["oversize"]
    dns = b"dns:old.example.com 1.2.3.4 20130405060708 text/dns 14\n20130405060708\n"  # Internet Archive's ARC files have them
    path.write_bytes(_arc(b"http://a.example.com/urls.txt 1.2.3.4 20130405060708 text/plain %d\n" % len(urls) + urls + b"\n", dns, _ARC_PAGE))
    good, faults = split(path, max_record_bytes=50_000)
    assert [r.headers.get("warc-target-uri") for r in good[1:]] == ["dns:old.example.com", "http://old.example.com/a"]
    assert [f.kind for f in faults] == ["oversize"]  # was one false fault per URL line, the dns record lost


def test_an_oversize_record_whose_length_is_wrong_loses_only_itself_in_a_plain_or_whole_gzip_file(make_warc):
    big = warc_record("response", b"HTTP/1.1 200 OK\r\n\r\n" + b"y" * 3_000_000, "https://big.example/",  # past a read's chunk
                      content_type="application/http; msgtype=response")
    past_the_end = big.replace(b"Content-Length: 3000019", b"Content-Length: 30000019")  # a digit too many: was all the rest lost
    inside = big.replace(b"Content-Length: 3000019", b"Content-Length: 2000019")  # ends inside its own block
    for odd, kinds in ((past_the_end, ["oversize"]), (inside, ["oversize", "header"])):
        for compression in (None, "whole"):
            good, faults = split(make_warc(f"w-{compression}.warc", [response_record(1), odd, response_record(2), response_record(3)],
                                           compression), max_record_bytes=100_000)
            assert [r.headers["warc-target-uri"] for r in good] == [f"https://site{i}.example.org/page/{i}" for i in (1, 2, 3)]
            assert [f.kind for f in faults] == kinds, compression
            assert ("read on from the first record header inside it" in faults[0].reason) == (odd is past_the_end)


def test_gzip_members_that_are_not_one_per_record_do_not_end_an_oversize_block(tmp_path):
    # BGZF-style blocks of 64 KiB: a member start inside the block is no record start (was a false header fault)
    big = warc_record("response", b"x" * 300_000, "https://big.example/", content_type="application/http; msgtype=response")
    data = b"".join([response_record(0), big, response_record(1), response_record(2)])
    path = tmp_path / "bgzf.warc.gz"
    path.write_bytes(b"".join(gz(data[i : i + 65280]) for i in range(0, len(data), 65280)))
    for native in (None, False):
        good, faults = split(path, max_record_bytes=100_000, native=native)
        assert len(good) == 3 and [f.kind for f in faults] == ["oversize"], native


def test_records_read_ahead_past_a_later_break_are_kept_after_an_oversize_record(tmp_path):
    # LF-only records: the header search read ahead into a corrupt member; the skip ended inside what was
    # read, and the break then threw away the records read ahead with it, without a fault
    def lf_record(i, size=40):
        block = b"HTTP/1.0 200 OK\nContent-Type: text/plain\n\n" + (b"words of record %d " % i) * size
        return b"WARC/1.0\nWARC-Type: response\nWARC-Target-URI: https://lf.example/%d\nContent-Length: %d\n\n" % (i, len(block)) + block + b"\n\n"
    members = [gz(lf_record(i, 60 if i == 1 else 2)) for i in range(6)]
    bad = bytearray(members[4])
    bad[len(bad) // 2] ^= 0xFF
    bad[len(bad) // 2 + 1] ^= 0xFF
    members[4] = bytes(bad)
    path = tmp_path / "lf.warc.gz"
    path.write_bytes(b"".join(members))
    for native in (None, False):
        good, faults = split(path, max_record_bytes=500, native=native)
        assert [r.headers["warc-target-uri"][-1] for r in good] == ["0", "2", "3", "5"], native
        assert [f.kind for f in faults] == ["oversize", "gzip"]


def test_an_oversize_record_cut_off_by_the_end_of_the_file_says_so(make_warc):
    big = warc_record("response", b"x" * 300_000, "https://big.example/", content_type="application/http; msgtype=response")
    path = make_warc("cut.warc", [response_record(1), big[:200_000]], None)
    good, faults = split(path, max_record_bytes=100_000)
    assert len(good) == 1 and [f.kind for f in faults] == ["oversize"]
    assert "the file ends" in faults[0].reason


def test_a_header_of_lf_lines_ended_by_a_crlf_blank_line_ends_there(make_warc):
    # warcio reads such records; the reader searched on for "\r\n\r\n", took the HTTP head into the
    # record header (its Content-Type made the response "non-http") and the next record into the block
    rec = response_record(1)
    head, rest = rec.split(b"\r\n\r\n", 1)
    odd = head.replace(b"\r\n", b"\n") + b"\n\r\n" + rest
    for native in (None, False):
        good, faults = split(make_warc("lfcr.warc", [odd, response_record(2)], None), native=native)
        assert faults == [] and len(good) == 2, native
        assert good[0].headers["content-type"] == "application/http; msgtype=response"
        assert good[0].block.startswith(b"HTTP/1.1 200")


def test_a_byte_order_mark_before_the_first_record_is_passed_over(tmp_path):
    path = tmp_path / "bom.warc"
    path.write_bytes(b"\xef\xbb\xbf" + response_record(1) + response_record(2))
    good, faults = split(path)
    assert faults == [] and len(good) == 2 and good[0].offset == 3


def test_an_absurd_content_length_loses_only_its_own_record(make_warc):
    absurd = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 999999999999\r\n\r\nshort\r\n\r\n"
    good, faults = split(make_warc("x.warc.gz", [response_record(1), absurd, response_record(2)], "members"), max_record_bytes=100_000)
    assert len(good) == 2 and len(faults) == 1


def test_a_length_of_non_ascii_digits_loses_only_its_own_record(make_warc, tmp_path):
    # "²".isdigit() is true and int("²") raises: the whole file failed, the records around it lost too
    odd = "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: \u00b2\r\n\r\nxx\r\n\r\n".encode()
    good, faults = split(make_warc("d.warc", [response_record(1), odd, response_record(2)], None))
    assert len(good) == 2 and [f.kind for f in faults] == ["header"]
    arc = _arc(b"http://a.example.com/ 1.2.3.4 20130405060708 text/html \xc2\xb2\nxx\n", _ARC_PAGE)
    path = tmp_path / "d.arc"
    path.write_bytes(arc)
    good, faults = split(path)
    assert [r.headers["warc-target-uri"] for r in good[1:]] == ["http://old.example.com/a"] and [f.kind for f in faults] == ["header"]


def test_a_uri_keeps_characters_that_are_line_breaks_only_to_python_and_its_latin1_bytes():
    import io

    from provenance.ingest.readers import read_stream

    for raw, uri in ((b"http://a.example.com/a\xe2\x80\xa8b", "http://a.example.com/a\u2028b"),  # U+2028 (str.splitlines splits there)
                     (b"http://a.example.com/a\x0cb", "http://a.example.com/a\x0cb"),
                     (b"http://a.example.com/caf\xe9", "http://a.example.com/caf\u00e9")):  # not UTF-8: Latin-1, as warcio reads it
        block = b"HTTP/1.1 200 OK\r\n\r\nhi"
        rec = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + raw +
               b"\r\nContent-Type: application/http\r\nContent-Length: %d\r\n\r\n" % len(block) + block + b"\r\n\r\n")
        [got] = list(read_stream(io.BytesIO(rec), 1 << 20, FileInfo()))
        assert got.headers["warc-target-uri"] == uri


def test_a_gzip_bomb_is_abandoned_with_a_fault(tmp_path, monkeypatch):
    from provenance.ingest import streams

    monkeypatch.setattr(streams, "BOMB_MIN_BYTES", 4 << 20)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = bomb.compress(b"\0" * (40 << 20)) + bomb.flush()
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(gz(response_record(1)) + data + gz(response_record(2)))
    good, faults = split(path)
    assert len(good) == 2
    assert any("bomb" in f.reason for f in faults)


def test_an_oversize_record_whose_member_is_a_gzip_bomb_is_one_fault_that_says_both(tmp_path, monkeypatch):
    # fixtures/broken/gzip-bomb.warc.gz: a record of 500 MiB of spaces in one member; two lines at one offset before
    from provenance.ingest import streams

    monkeypatch.setattr(streams, "BOMB_MIN_BYTES", 4 << 20)
    n = 40 << 20
    head = (b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: http://a.example.com/big\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % n)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = bomb.compress(head + b" " * n + b"\r\n\r\n") + bomb.flush()
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(gz(response_record(1)) + data + gz(response_record(2)))
    good, faults = split(path, max_record_bytes=1 << 20)
    assert len(good) == 2
    [fault] = faults
    assert fault.kind == "gzip" and fault.offset == len(gz(response_record(1)))
    assert fault.reason.endswith(f"(gzip bomb?); skipped (a record of {n} bytes, over --max-record-bytes {1 << 20})")


def test_garbage_empty_and_non_warc_files_are_one_fault_each(tmp_path):
    cases = {"garbage.warc.gz": bytes(range(256)) * 4, "empty.warc": b"", "page.warc": b"<html>hello</html>"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        good, faults = split(tmp_path / name)
        assert good == [] and len(faults) == 1, name


def test_nul_padding_after_the_last_record_is_not_a_fault(tmp_path):
    records = [warcinfo(), *(response_record(i) for i in range(3))]
    padded = {  # block and tape writers pad files with NUL bytes; gzip(1) ignores them too
        "members.warc.gz": b"".join(gz(r) for r in records) + b"\0" * 5000,
        "whole.warc.gz": gz(b"".join(records)) + b"\0" * 512,
        "plain.warc": b"".join(records) + b"\0" * 300_000,
    }
    for name, data in padded.items():
        (tmp_path / name).write_bytes(data)
        good, faults = split(tmp_path / name)
        assert (len(good), faults) == (4, []), name


def test_a_file_of_nul_bytes_is_one_fault_not_a_record(tmp_path):
    (tmp_path / "zeros.warc.gz").write_bytes(b"\0" * 1_000_000)  # a preallocated download that never arrived
    good, faults = split(tmp_path / "zeros.warc.gz")
    assert good == [] and [f.kind for f in faults] == ["empty"] and "NUL" in faults[0].reason


def test_arc_records_become_responses_with_url_and_date(tmp_path):
    body = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>old page</p></body></html>"
    filedesc = b"1 0 Internet Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = (b"filedesc://x.arc 0.0.0.0 20130101000000 text/plain %d\n" % len(filedesc)) + filedesc + b"\n"
    arc += b"http://old.example.com/a 1.2.3.4 20130405060708 text/html %d\n" % len(body) + body + b"\n"
    path = tmp_path / "x.arc.gz"
    path.write_bytes(gz(arc))
    good, faults = split(path)
    assert faults == []
    assert good[1].headers["warc-target-uri"] == "http://old.example.com/a"
    assert good[1].headers["warc-date"] == "2013-04-05T06:07:08Z"


_ARC_PAGE = b"http://old.example.com/a 1.2.3.4 20130405060708 text/html %d\n" % len(b"HTTP/1.0 200 OK\r\n\r\n<p>x</p>") + b"HTTP/1.0 200 OK\r\n\r\n<p>x</p>\n"


def _arc(*records: bytes) -> bytes:
    filedesc = b"1 0 Internet Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    return (b"filedesc://x.arc 0.0.0.0 20130101000000 text/plain %d\n" % len(filedesc)) + filedesc + b"\n" + b"".join(records)


def test_an_arc_url_with_spaces_keeps_its_whole_url_and_date(tmp_path):
    # Common Crawl's 2012 ARC files have such lines: the URL was cut at its first space, the IP read as the date
    body = b"HTTP/1.0 200 OK\r\n\r\n<p>x</p>"
    v1 = b"http://b.example.com/my page.html 1.2.3.4 20100107145725 text/html %d\n" % len(body) + body + b"\n"
    v2 = b"http://b.example.com/a b c 1.2.3.4 20100107145726 text/html 200 - - 0 x.arc %d\n" % len(body) + body + b"\n"
    path = tmp_path / "s.arc"
    path.write_bytes(_arc(v1, v2))
    good, faults = split(path)
    assert faults == []
    assert [(r.headers["warc-target-uri"], r.headers["warc-date"]) for r in good[1:]] == [
        ("http://b.example.com/my%20page.html", "2010-01-07T14:57:25Z"), ("http://b.example.com/a%20b%20c", "2010-01-07T14:57:26Z")]


def test_arc_records_that_are_not_http_are_counted_as_such():
    from provenance.ingest.extract import Skipped, extract

    rec = RawRecord(0, {"warc-type": "response", "warc-target-uri": "dns:www.example.com"}, b"20100107 www.example.com. 300 IN A 1.2.3.4", "arc")
    assert extract(rec, 1 << 20) == Skipped("non-http")


def test_minhash_of_documents_shorter_than_a_shingle_is_defined():
    import polars as pl

    from provenance.ingest.minhash import minhash_texts_tokens
    from provenance.ingest.tokenize import word_tokens

    sig, keys = minhash_texts_tokens(word_tokens(pl.Series(["one two three", "", "one two three"])))
    assert (sig[0] == sig[2]).all() and (sig[1] == 0xFFFFFFFF).all()
    assert keys.shape == (3, 16)


def test_records_are_the_same_whatever_the_chunk_boundaries(monkeypatch):
    """Headers and blocks straddling decompression / read chunks must parse exactly as in one piece."""
    from provenance.ingest import streams
    from tests.conftest import FIXTURES

    paths = sorted(p for p in (FIXTURES / "crawl").rglob("*") if p.is_file())
    expected = {p: [(r.offset, r.headers, r.block) for r in iter_records(str(p)) if isinstance(r, RawRecord)] for p in paths}
    for size in (7, 64, 1000):
        monkeypatch.setattr(streams, "READ_SIZE", size)
        monkeypatch.setattr(streams, "OUT_SIZE", size)
        for p in paths:
            got = list(iter_records(str(p)))
            assert not [f for f in got if isinstance(f, Fault)], (p, size)
            assert [(r.offset, r.headers, r.block) for r in got] == expected[p], (p, size)


def test_member_starts_are_not_kept_without_bound(tmp_path, monkeypatch):
    # a file of empty gzip members (no records between them) kept every start: ~1 GB for 5 million
    from provenance.ingest import readers

    seen = []
    real = readers._Buffer.pull
    monkeypatch.setattr(readers._Buffer, "pull", lambda self: (real(self), seen.append(len(self.members)))[0])
    empty = gz(b"")
    records = [gz(response_record(i)) for i in range(3)]
    path = tmp_path / "e.warc.gz"
    path.write_bytes(records[0] + empty * 60_000 + records[1] + empty * 60_000 + records[2])
    for native in (None, False):
        seen.clear()
        good, faults = split(path, native=native)
        assert faults == [] and len(good) == 3
        assert [r.offset for r in good] == [0, len(records[0]) + 60_000 * len(empty), len(records[0]) + len(records[1]) + 120_000 * len(empty)]
        assert max(seen) < 60_000  # well under the members read


def test_junk_behind_a_gzip_magic_gives_a_bounded_list_of_faults(tmp_path):
    # every fake member reads on to the end of the file: resyncing at each of 20,000 would be quadratic
    path = tmp_path / "j.warc.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage!" * 20_000)
    good, faults = split(path)
    assert good == [] and len(faults) == 17 and faults[-1].kind == "format" and "abandoned" in faults[-1].reason


def test_a_readable_member_that_is_not_an_archive_is_named_at_its_offset(tmp_path):
    bad = bytearray(gz(b"WARC/1.0\r\n" + b"x" * 500))
    bad[len(bad) // 2] ^= 0xFF
    path = tmp_path / "n.warc.gz"
    path.write_bytes(bytes(bad) + gz(b"hello world, this is not an archive"))
    good, faults = split(path)
    assert good == [] and [(f.kind, f.offset) for f in faults] == [("gzip", 0), ("format", len(bad))]


def test_empty_members_inside_a_record_are_not_listed_one_by_one(tmp_path, monkeypatch):
    from provenance.ingest import readers

    seen = []
    real = readers._Buffer.pull
    monkeypatch.setattr(readers._Buffer, "pull", lambda self: (real(self), seen.append(len(self.members)))[0])
    record = response_record(1)
    path = tmp_path / "s.warc.gz"
    path.write_bytes(gz(record[:300]) + gz(b"") * 100_000 + gz(record[300:]))  # a record split around a run of empty members
    for native in (None, False):
        seen.clear()
        good, faults = split(path, native=native)
        assert faults == [] and [(r.offset, r.block) for r in good] == [(0, split_block(record))]
        assert max(seen) < 100  # was: every one of the 100,000 starts, ahead of the read position


def split_block(record: bytes) -> bytes:
    return record.split(b"\r\n\r\n", 1)[1][: -4]


def test_junk_of_false_gzip_members_after_a_record_is_bounded(tmp_path):
    # FLG 0x1f: each false member looks for a NUL-ended name and reads on to the end of the file;
    # resyncing at each of them was quadratic (20,000 here: minutes)
    path = tmp_path / "k.warc.gz"
    path.write_bytes(gz(response_record(1)) + b"\x1f\x8b\x08\x1f" * 20_000)
    for native in (None, False):
        good, faults = split(path, native=native)
        assert len(good) == 1 and len(faults) == 9 and "in a row run on to the end of the file" in faults[-1].reason


def _items(path: str) -> list:
    return [(i.offset, i.kind, i.reason) if isinstance(i, Fault) else (i.offset, i.headers.get("warc-target-uri"), i.block)
            for i in iter_records(path, native=False)]


def test_junk_full_of_record_markers_reads_as_if_every_marker_were_searched_afresh(tmp_path, monkeypatch):
    # a failed search for a header's end remembers how far it looked (the next marker's search starts
    # there: 1 MiB of "WARC/" lines took 10 s, one 64 KiB search each); the records and faults are
    # those of a search from each marker (the code before that memory)
    from provenance.ingest import readers

    def afresh(b):
        i = b.find(b"\r\n\r\n", readers.MAX_HEADER_BYTES)
        if i >= 0:
            j = b.buf.find(b"\n\n", b.pos, i)
            return (j, 2) if j >= 0 else (i, 4)
        j = b.find(b"\n\n", readers.MAX_HEADER_BYTES)
        return (j, 2) if j >= 0 else (-1, 0)

    monkeypatch.setattr(readers, "MAX_HEADER_BYTES", 300)  # windows of 300 bytes: the markers' windows overlap
    good = response_record(1, text="short")
    for k, junk in enumerate([b"\nWARC/1.0 junk" * 60, b"\nWARC/1.0 x\r\n" * 40 + b"\nWARC/1.0 y\n\n", b"\nWARC/" * 100 + b"\r\n\r\n"]):
        path = tmp_path / f"j{k}.warc"
        path.write_bytes(warcinfo() + junk + b"\r\n\r\n" + good + junk[: len(junk) // 2] + good)
        remembered = _items(str(path))
        monkeypatch.setattr(readers, "_header_end", afresh)
        assert remembered == _items(str(path)) and sum(len(i) == 3 and isinstance(i[2], bytes) for i in remembered) >= 2
        monkeypatch.undo()
        monkeypatch.setattr(readers, "MAX_HEADER_BYTES", 300)
