"""`provenance ingest` end to end: documents, features, ledger, idempotence, sampling, errors."""
from __future__ import annotations

import gzip
import json
import os
import time
from datetime import datetime
import zlib

import duckdb
import pytest
from typer.testing import CliRunner

from provenance.cli import app
from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.ingest.dates import parse_warc_date
from provenance.store import Store
from tests.conftest import gz, html_page, http_response, response_record, warc_record, warcinfo

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def rows(db, sql):
    with Store(str(db), read_only=True) as s:
        return s.sql(sql).fetchall()


@pytest.fixture
def corpus(make_warc):
    return make_warc("CC-MAIN-20190817-00000.warc.gz", [warcinfo(), *(response_record(i) for i in range(30))])


def test_ingest_stores_one_document_per_html_response_with_its_metadata(corpus, tmp_path):
    db = tmp_path / "s.duckdb"
    result = run("ingest", str(corpus), "--db", str(db), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT count(*), count(DISTINCT record_id), min(crawl), min(year), min(lang) FROM documents") == [
        (30, 30, "CC-MAIN-2019-35", 2019, "en")]
    url, host, domain = rows(db, "SELECT url, host, domain FROM documents ORDER BY doc_id LIMIT 1")[0]
    assert (url, host, domain) == ("https://site0.example.org/page/0", "site0.example.org", "example.org")
    assert rows(db, "SELECT count(*) FROM texts")[0][0] == 30
    assert rows(db, "SELECT count(*) FROM signatures WHERE octet_length(minhash) = 512")[0][0] == 30
    assert rows(db, "SELECT count(*) FROM band_keys")[0][0] == 30 * 16
    assert rows(db, "SELECT sum(count) FROM token_counts")[0][0] == rows(db, "SELECT sum(n_tokens) FROM documents")[0][0]
    assert Store(str(db)).check() == []


def test_a_second_run_adds_nothing_and_says_so(corpus, tmp_path):
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db)
    again = run("ingest", str(corpus), "--db", db)
    assert again.exit_code == 0
    assert "already in the store (nothing added)" in again.output
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 30


def test_a_rerun_with_other_options_says_which_and_how_to_apply_them(corpus, tmp_path):
    """A file is ingested once: a rerun with other options (a sample rate, a language, a tokenizer) leaves its
    rows as they were, and says so, naming the options and --force, instead of changing nothing silently."""
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db)
    again = run("ingest", str(corpus), "--db", db, "--sample-rate", "0.5", "--lang", "en", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["skipped_with_other_options"] == 1
    assert again.stderr.splitlines() == [f"Note: {corpus}: unchanged since its last ingest, with other options (--sample-rate: 1.0 -> 0.5; "
                                         "--lang: none -> en): kept as it was; --force re-ingests it with these"]
    same = run("ingest", str(corpus), "--db", db)
    assert same.stderr == "" and same.stdout.startswith("0 file(s) ingested, 0 documents, 1 already in the store (nothing added) in")
    assert IngestConfig(langs=("ja", "EN")).changed_options({"langs": ["en", "ja"]}) == []  # a set of codes, in any order and case
    assert IngestConfig(keep_text=True).changed_options({"keep_text": False}) == ["--no-text -> --text"]  # as typed, not "False -> True"
    forced = run("ingest", str(corpus), "--db", db, "--sample-rate", "0.5", "--force")
    assert forced.exit_code == 0 and 0 < rows(db, "SELECT count(*) FROM documents")[0][0] < 30
    assert json.loads(rows(db, "SELECT options FROM sources")[0][0])["sample_rate"] == 0.5


def test_a_copy_of_an_ingested_file_is_recognized_by_content(corpus, tmp_path):
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db)
    copy = tmp_path / "copy.warc.gz"
    copy.write_bytes(corpus.read_bytes())
    result = run("ingest", str(copy), "--db", db, "--json")
    assert json.loads(result.stdout)["skipped"] == 1
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 30


def test_force_replaces_a_files_rows_instead_of_adding_them(corpus, tmp_path):
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db)
    result = run("ingest", str(corpus), "--db", db, "--force")
    assert result.exit_code == 0
    assert rows(db, "SELECT count(*), count(DISTINCT source_id) FROM documents")[0] == (30, 1)
    assert rows(db, "SELECT count(*) FROM sources")[0][0] == 1
    assert Store(db).check() == []


def test_json_summary_is_machine_readable(corpus, tmp_path):
    result = run("ingest", str(corpus), "--db", str(tmp_path / "s.duckdb"), "--json")
    summary = json.loads(result.stdout)
    assert summary["documents"] == 30 and summary["ingested"] == 1 and summary["faults"] == []


def test_other_record_types_are_counted_per_source_not_stored(make_warc, tmp_path):
    recs = [warcinfo(), warc_record("request", b"GET / HTTP/1.1\r\n\r\n", "https://a.example/"),
            response_record(1),
            warc_record("metadata", b"fetchTimeMs: 12\r\n", "https://a.example/"),
            warc_record("revisit", b"", "https://a.example/"),
            warc_record("response", http_response(b"\x89PNG....", "image/png"), "https://a.example/x.png", content_type="application/http; msgtype=response")]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("m.warc.gz", recs)), "--db", db)
    counts, skips = rows(db, "SELECT record_counts, skip_counts FROM sources")[0]
    assert json.loads(counts) == {"warcinfo": 1, "request": 1, "response": 2, "metadata": 1, "revisit": 1}
    assert json.loads(skips) == {"request": 1, "metadata": 1, "revisit": 1, "non-text": 1}
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 1


def test_a_urls_user_and_password_are_not_stored(make_warc, tmp_path):
    """A crawler that logged in writes its password into WARC-Target-URI; a store's URLs are shared, reported, queried."""
    recs = [response_record(1, url="https://crawler:s3cret@intranet.example.com/a"), response_record(2, url="https://example.com/@someone/post")]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("w.warc.gz", recs)), "--db", db)
    assert rows(db, "SELECT url, host FROM documents ORDER BY url") == [
        ("https://example.com/@someone/post", "example.com"), ("https://intranet.example.com/a", "intranet.example.com")]


def test_a_record_over_max_record_bytes_is_a_fault_and_still_counted_among_the_files_records(make_warc, tmp_path):
    """Its header was read and its block skipped: the file's record totals left it out (9 responses read as 8)."""
    big = response_record(2, text="A page far larger than the limit. " * 3000)
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(make_warc("m.warc.gz", [warcinfo(), response_record(1), big, response_record(3)])), "--db", db,
                 "--max-record-bytes", "50000")
    assert result.exit_code == 1 and "exceeds --max-record-bytes 50000" in result.stderr
    n_records, counts = rows(db, "SELECT n_records, record_counts FROM sources")[0]
    assert (n_records, json.loads(counts)) == (4, {"warcinfo": 1, "response": 3})
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_a_record_without_a_date_takes_its_crawls_year(make_warc, tmp_path):
    """Undated documents were left out of every yearly estimate; a Common Crawl crawl id says when they were fetched."""
    undated = warc_record("conversion", b"Text of a page whose record carries no date at all. " * 5, "https://u.example/", "",
                          "text/plain").replace(b"WARC-Date: \r\n", b"")
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("w.warc.wet.gz", [warcinfo("CC-MAIN-2020-05"), undated])), "--db", db).exit_code == 0
    assert rows(db, "SELECT year, fetch_time FROM documents") == [(2020, None)]
    other = str(tmp_path / "o.duckdb")
    run("ingest", str(make_warc("x.warc.wet.gz", [warcinfo("my-crawl"), undated])), "--db", other)
    assert rows(other, "SELECT year FROM documents") == [(None,)]  # no year to be had


def test_a_warc_date_that_cannot_be_read_or_is_out_of_range_takes_its_crawls_year_and_is_counted(make_warc, tmp_path):
    recs = [warcinfo("CC-MAIN-2020-05"), response_record(1, date="yesterday"), response_record(2, date="1890-01-01T00:00:00Z"),
            response_record(3, date="3020-01-01T00:00:00Z"), response_record(4)]
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("w.warc.gz", recs)), "--db", db).exit_code == 0
    assert rows(db, "SELECT year, fetch_time IS NULL FROM documents ORDER BY record_offset") == [(2020, True)] * 3 + [(2019, False)]
    assert json.loads(rows(db, "SELECT skip_counts FROM sources")[0][0]) == {"bad-date": 3}


def test_a_truncated_payload_is_a_document_and_counted(make_warc, tmp_path):
    """Common Crawl cuts payloads at 1 MiB and says so (WARC-Truncated: length): the page's text so far is kept."""
    page = http_response(html_page("Cut", "A long page about rivers and gardens that the crawler cut short. " * 40))
    recs = [warcinfo(), response_record(1),
            warc_record("response", page[: len(page) - 300], "https://cut.example/", content_type="application/http; msgtype=response",
                        extra={"WARC-Truncated": "length"})]
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("t.warc.gz", recs)), "--db", db).exit_code == 0
    assert json.loads(rows(db, "SELECT skip_counts FROM sources")[0][0]) == {"truncated": 1}
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_http_bodies_are_dechunked_inflated_and_decoded_by_charset(make_warc, tmp_path):
    page = html_page("Caf\u00e9", "cr\u00e8me br\u00fbl\u00e9e et na\u00efvet\u00e9 " * 10)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(page[i:i + 50]), page[i:i + 50]) for i in range(0, len(page), 50)) + b"0\r\n\r\n"
    deflater = zlib.compressobj(6, zlib.DEFLATED, 31)
    gzipped = deflater.compress(page) + deflater.flush()
    latin = page.decode().encode("cp1252")
    recs = [
        warc_record("response", http_response(chunked, extra=[("Transfer-Encoding", "chunked")]), "https://a.example/1", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(gzipped, extra=[("Content-Encoding", "gzip")]), "https://a.example/2", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(latin, "text/html; charset=windows-1252"), "https://a.example/3", content_type="application/http; msgtype=response"),
    ]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("h.warc.gz", recs)), "--db", db)
    texts = [t for (t,) in rows(db, "SELECT text FROM texts ORDER BY doc_id")]
    assert len(texts) == 3
    assert all("cr\u00e8me br\u00fbl\u00e9e" in t for t in texts)


def test_brotli_and_stacked_content_encodings_are_decoded_and_undecodable_bodies_skipped(make_warc, tmp_path):
    import brotli

    page = html_page("Caf\u00e9", "cr\u00e8me br\u00fbl\u00e9e et na\u00efvet\u00e9 " * 10)
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)
    gzipped = gz.compress(page) + gz.flush()
    binary = bytes(range(256)) * 8  # what a zstd or garbled body looks like
    recs = [
        warc_record("response", http_response(brotli.compress(page), extra=[("Content-Encoding", "br")]), "https://b.example/1", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(brotli.compress(gzipped), extra=[("Content-Encoding", "gzip, br")]), "https://b.example/2", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(page, extra=[("Content-Encoding", "br")]), "https://b.example/3", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(binary, extra=[("Content-Encoding", "zstd")]), "https://b.example/4", content_type="application/http; msgtype=response"),
    ]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("br.warc.gz", recs)), "--db", db)
    texts = [t for (t,) in rows(db, "SELECT text FROM texts ORDER BY doc_id")]
    assert len(texts) == 3 and all("cr\u00e8me br\u00fbl\u00e9e" in t for t in texts)  # 3: stored decoded, header kept
    skips = json.loads(rows(db, "SELECT skip_counts FROM sources")[0][0])
    assert skips == {"decode-warning": 1, "undecodable-body": 1}


def test_wet_conversion_records_are_kept_as_they_are(make_warc, tmp_path):
    text = "Plain extracted text from a WET file.\nSecond line about tidal pools."
    recs = [warcinfo("CC-MAIN-2021-04"), warc_record("conversion", text.encode(), "https://w.example/", "2021-01-20T00:00:00Z", "text/plain")]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("x.warc.wet.gz", recs)), "--db", db)
    assert rows(db, "SELECT d.crawl, d.year, t.text FROM documents d JOIN texts t USING (doc_id)") == [("CC-MAIN-2021-04", 2021, text)]


def test_crawl_comes_from_the_file_name_then_the_option(make_warc, tmp_path):
    path = make_warc("CC-MAIN-20230201-1.warc.gz", [response_record(1)])
    path = path.rename(path.parent / "CC-MAIN-2023-06-part.warc.gz")
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(path), "--db", db)
    assert rows(db, "SELECT crawl FROM documents") == [("CC-MAIN-2023-06",)]
    run("ingest", str(path), "--db", db, "--force", "--crawl", "mine", "--year", "2030")
    assert rows(db, "SELECT crawl, year FROM documents") == [("mine", 2030)]


def test_sampling_keeps_the_same_urls_in_every_crawl(make_warc, tmp_path):
    urls = [f"https://www.site{i}.example/p/{i}" for i in range(200)]
    old = make_warc("old.warc.gz", [response_record(i, url=u, date="2017-01-01T00:00:00Z") for i, u in enumerate(urls)])
    new = make_warc("new.warc.gz", [response_record(i, url=u.replace("https://www.", "http://"), date="2024-01-01T00:00:00Z") for i, u in enumerate(urls)])
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(old), str(new), "--db", db, "--sample-rate", "0.3")
    kept = rows(db, "SELECT year, list_sort(list(regexp_extract(url, '/p/(\\d+)', 1))) FROM documents GROUP BY year ORDER BY year")
    assert kept[0][1] == kept[1][1]
    assert 30 <= len(kept[0][1]) <= 90
    assert rows(db, "SELECT sum(n_sampled_out) FROM sources")[0][0] == 400 - 2 * len(kept[0][1])


def test_language_filter_keeps_only_the_asked_language(make_warc, tmp_path):
    recs = [response_record(1), response_record(2, text="Der schnelle braune Fuchs springt \u00fcber den faulen Hund und l\u00e4uft weiter durch den Wald. " * 4)]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("l.warc.gz", recs)), "--db", db, "--lang", "en")
    assert rows(db, "SELECT lang FROM documents") == [("en",)]
    assert json.loads(rows(db, "SELECT skip_counts FROM sources")[0][0]) == {"lang-filtered": 1}
    both = str(tmp_path / "b.duckdb")  # comma-separated, as users write it (it was refused with the list of every code)
    assert run("ingest", str(make_warc("m.warc.gz", recs)), "--db", both, "--lang", "en,DE").exit_code == 0
    assert sorted(rows(both, "SELECT lang FROM documents")) == [("de",), ("en",)]


def test_the_summary_says_how_many_documents_the_sample_and_the_language_filter_left_out(make_warc, tmp_path):
    """A filter that kept nothing read like an empty input: "1 file(s) ingested, 0 documents"."""
    path = make_warc("f.warc.gz", [warcinfo(), *(response_record(i) for i in range(20))])
    res = run("ingest", str(path), "--db", str(tmp_path / "a.duckdb"), "--lang", "ja")
    assert res.exit_code == 0 and res.stdout.startswith("1 file(s) ingested, 0 documents, 20 left out by --lang in ")
    res = run("ingest", str(path), "--db", str(tmp_path / "b.duckdb"), "--sample-rate", "0.5")
    kept = rows(str(tmp_path / "b.duckdb"), "SELECT count(*) FROM documents")[0][0]
    assert res.stdout.startswith(f"1 file(s) ingested, {kept} documents, {20 - kept} left out by --sample-rate in ")


def test_the_summary_keeps_the_files_it_tells_of_and_only_counts_the_others(make_warc, tmp_path):
    """A crawl's 90,000 files: the summary held each file's result (~2 KB each) until the run ended."""
    paths = [make_warc(f"f{k}.warc.gz", [warcinfo(), *(response_record(10 * k + i) for i in range(4))]) for k in range(12)]
    bad = make_warc("bad.warc.gz", [warcinfo(), response_record(900), b"WARC/1.0\r\nContent-Length: x\r\n\r\n"])
    summary = ingest([*map(str, paths), str(bad)], IngestConfig(db=str(tmp_path / "s.duckdb"), workers=2, sample_rate=0.5))
    assert [r.path for r in summary.results] == [str(bad)]  # the one with a fault
    assert (summary.files, summary.ingested, summary.with_errors, summary.errors) == (13, 13, 1, 1)
    with Store(str(tmp_path / "s.duckdb"), read_only=True) as s:
        assert (summary.documents, summary.sampled_out) == s.sql("SELECT sum(n_docs), sum(n_sampled_out) FROM sources").fetchone()
    assert 0 < summary.sampled_out < 49


def test_language_is_read_regardless_of_case_and_width(make_warc, tmp_path):
    """All-caps text (licences, headlines) and full-width Latin are their language, not Chinese."""
    texts = {
        "en": "THE SOFTWARE IS PROVIDED AS IS, WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO "
              "THE WARRANTIES OF MERCHANTABILITY. IN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM.",
        "de": "DIE SOFTWARE WIRD OHNE JEDE AUSDR\u00dcCKLICHE ODER IMPLIZIERTE GARANTIE BEREITGESTELLT, EINSCHLIESSLICH DER GARANTIE "
              "ZUR BENUTZUNG F\u00dcR DEN VORGESEHENEN ODER EINEM BESTIMMTEN ZWECK.",
        "fr": "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in  # full width
                      "Le logiciel est fourni tel quel, sans garantie d'aucune sorte, explicite ou implicite, notamment sans "
                      "garantie de qualit\u00e9 marchande, d'ad\u00e9quation \u00e0 un usage particulier et d'absence de contrefa\u00e7on."),
    }
    recs = [response_record(i, url=f"http://{lang}.example.org/", text=text) for i, (lang, text) in enumerate(texts.items())]
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(make_warc("caps.warc.gz", recs)), "--db", db)
    assert rows(db, "SELECT host, lang FROM documents ORDER BY host") == [(f"{lang}.example.org", lang) for lang in sorted(texts)]


def test_no_text_drops_the_text_table_but_keeps_features(corpus, tmp_path):
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db, "--no-text")
    assert rows(db, "SELECT (SELECT count(*) FROM texts), (SELECT count(*) FROM signatures)")[0] == (0, 30)


def test_bad_inputs_each_give_one_line_and_exit_1_while_good_files_land(corpus, tmp_path):
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.warc"
    junk.write_text("just some text, not an archive\n")
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(corpus), str(empty), str(junk), str(tmp_path / "missing.warc.gz"), "--db", db)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 3
    assert any("missing.warc.gz" in e and "no such file" in e for e in errors)
    assert any("empty.warc.gz" in e and "empty file" in e for e in errors)
    assert any("junk.warc: offset 0: not a WARC or ARC file" in e for e in errors)
    assert "Traceback" not in result.output
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 30
    assert rows(db, "SELECT count(*) FROM ingest_errors")[0][0] == 3


def test_a_corrupt_member_is_reported_with_file_and_offset_and_neighbours_are_kept(tmp_path):
    members = [gz(response_record(i)) for i in range(3)]
    bad = bytearray(members[1])
    bad[40:44] = b"\xff\xff\xff\xff"
    path = tmp_path / "c.warc.gz"
    path.write_bytes(members[0] + bytes(bad) + members[2])
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(path), "--db", db)
    assert result.exit_code == 1
    assert f"Error: {path}: offset {len(members[0])}: corrupt gzip member" in result.stderr
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 2
    assert rows(db, 'SELECT "offset", kind FROM ingest_errors') == [(len(members[0]), "gzip")]


def test_a_whole_file_gzip_that_fails_midway_keeps_every_record_inflated_before_the_fault(tmp_path):
    records = b"".join(response_record(i, text=" ".join(f"w{i * 7919 + k:x}" for k in range(120))) for i in range(40))
    whole = zlib.compress(records, 6, wbits=31)  # one gzip member for the whole file
    for at in range(len(whole) // 2, len(whole)):  # the first byte whose flip zlib reports as bad data (not a bad check)
        bad = bytearray(whole)
        bad[at] ^= 0xFF
        d, out = zlib.decompressobj(31), b""
        try:
            for i in range(len(bad)):
                out += d.decompress(bytes(bad[i : i + 1]))
        except zlib.error as exc:
            if "check" not in str(exc):
                break
    whole_records = out.count(b"WARC/1.0\r\n") - 1  # (the last one begun is cut by the fault)
    assert 10 < whole_records < 40
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(bytes(bad))
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(path), "--db", db)
    assert result.exit_code == 1
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == whole_records  # (were: those before its last 32 KiB slice)
    (reason,), = rows(db, "SELECT reason FROM ingest_errors WHERE kind = 'gzip'")
    assert "bytes into it" in reason


def test_a_member_whose_check_fails_is_one_fault_and_none_of_its_bytes_are_read(tmp_path):
    members = [gz(response_record(i)) for i in range(3)]
    long_page = response_record(1, text="Gardens, rivers and archives. " * 3000)  # past zlib's first slice (32 KiB of input)
    stored = bytearray(gzip.compress(long_page, compresslevel=0, mtime=0))  # stored blocks: a flipped byte inflates
    at = stored.index(b"Content-Length")  # the record header's, garbled: the data inflates, the CRC-32 fails at the end
    stored[at : at + 7] = b"Xontent"
    path = tmp_path / "c.warc.gz"
    path.write_bytes(members[0] + bytes(stored) + members[2])
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(path), "--db", db)
    assert result.exit_code == 1
    assert rows(db, 'SELECT "offset", kind FROM ingest_errors') == [(len(members[0]), "gzip")]  # (also a 'header' fault, was)
    assert "incorrect data check" in result.stderr
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_a_whole_file_gzip_whose_check_fails_keeps_its_records_and_says_so(tmp_path):
    """A member of many records is not one record's member: its CRC failing loses none of them (a first version held a
    member's first 2 MiB until its end and dropped them: a 1 MB file lost every record; before, its last slice's)."""
    records = b"".join(response_record(i, text=" ".join(f"w{i * 7919 + k:x}" for k in range(120))) for i in range(200))
    whole = bytearray(zlib.compress(records, 6, wbits=31))
    whole[-8] ^= 0x01  # the CRC-32 in the trailer
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(bytes(whole))
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(path), "--db", db)
    assert result.exit_code == 1 and "incorrect data check" in result.stderr
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 200
    assert rows(db, "SELECT kind, count(*) FROM ingest_errors GROUP BY kind") == [("gzip", 1)]


def test_bytes_between_or_after_members_that_are_not_gzip_are_said_so_and_the_next_member_is_read(tmp_path):
    members = [gz(response_record(i)) for i in range(2)]
    path = tmp_path / "padded.warc.gz"
    path.write_bytes(members[0] + b"\x00" * 100 + members[1] + b"GARBAGE" * 10)
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(path), "--db", db)
    assert result.exit_code == 1
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 2
    assert rows(db, 'SELECT "offset", reason FROM ingest_errors ORDER BY 1') == [  # (were: "corrupt gzip member (... incorrect header check)")
        (len(members[0]), "100 bytes that are not gzip data between members; skipped"),
        (len(members[0]) + 100 + len(members[1]), "bytes that are not gzip data run to the end of the file")]


def test_failed_files_are_retried_on_the_next_run_without_piling_up_errors(tmp_path):
    db = str(tmp_path / "s.duckdb")
    missing = str(tmp_path / "later.warc.gz")
    run("ingest", missing, "--db", db)
    run("ingest", missing, "--db", db)
    assert rows(db, "SELECT count(*) FROM ingest_errors")[0][0] == 1
    assert rows(db, "SELECT count(*) FROM sources")[0][0] == 1


def test_usage_errors_exit_2(corpus, tmp_path):
    result = run("ingest", str(corpus), "--db", str(tmp_path / "s.duckdb"), "--sample-rate", "1.5")
    assert result.exit_code == 2
    assert "--sample-rate must be in (0, 1]" in result.stderr


@pytest.mark.parametrize("option, value, says", [
    # each was a per-file "internal error" written into the store (exit 1), or records lost one by one
    ("--file-timeout", "-1", "--file-timeout must be"), ("--file-timeout", "nan", "--file-timeout must be"),
    ("--file-timeout", "inf", "--file-timeout must be"), ("--record-timeout", "1e-300", "--record-timeout must be"),
    ("--max-record-bytes", "9223372036854775807", "--max-record-bytes must be"),
])
def test_option_values_out_of_range_are_usage_errors_before_the_store_is_touched(corpus, tmp_path, option, value, says):
    db = tmp_path / "s.duckdb"
    result = run("ingest", str(corpus), "--db", str(db), option, value)
    assert result.exit_code == 2 and says in result.stderr and not db.exists()


def test_an_in_memory_store_is_refused_as_it_would_keep_nothing(corpus):
    result = run("ingest", str(corpus), "--db", ":memory:")
    assert result.exit_code == 2 and "--db :memory: would keep nothing" in result.stderr


def test_a_file_timeout_of_0_is_no_limit(corpus, tmp_path):
    assert run("ingest", str(corpus), "--db", str(tmp_path / "s.duckdb"), "--file-timeout", "0").exit_code == 0


def test_a_store_being_written_by_another_process_gives_a_clear_line(corpus, tmp_path):
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db)
    import subprocess
    import sys
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({db!r}); print('ok', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = run("ingest", str(corpus), "--db", db, "--force")
        assert result.exit_code == 1
        assert result.stderr.strip() == f"Error: {db}: store is locked by another process; wait for it to finish or use another --db"
    finally:
        holder.kill()
        holder.wait()


def test_two_workers_give_the_same_store_as_one(make_warc, tmp_path):
    files = [make_warc(f"f{k}.warc.gz", [response_record(i + 100 * k) for i in range(20)]) for k in range(3)]
    stores = []
    for workers in (1, 2):
        db = str(tmp_path / f"w{workers}.duckdb")
        ingest([str(f) for f in files], IngestConfig(db=db, workers=workers))
        stores.append(rows(db, "SELECT url, n_tokens, text_hash FROM documents ORDER BY url"))
        sig = rows(db, "SELECT d.url, s.minhash FROM signatures s JOIN documents d USING (doc_id) ORDER BY url")
        stores.append(sig)
    assert stores[0] == stores[2] and stores[1] == stores[3]


def test_the_store_opens_in_plain_duckdb(corpus, tmp_path):
    db = str(tmp_path / "s.duckdb")
    run("ingest", str(corpus), "--db", db)
    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT docs FROM yearly_summary").fetchall() == [(30,)]


def test_an_absurd_charset_label_falls_back_to_detection(make_warc, tmp_path):
    rec = warc_record("response", http_response(html_page("T", "caf\u00e9 " * 20), "text/html; charset=\x00\x00bad"),
                      "https://a.example/", content_type="application/http; msgtype=response")
    db = str(tmp_path / "s.duckdb")
    result = run("ingest", str(make_warc("c.warc.gz", [rec])), "--db", db)
    assert result.exit_code == 0, result.output
    assert "caf\u00e9" in rows(db, "SELECT text FROM texts")[0][0]


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "windows-1252", "us-ascii"])
def test_utf8_text_under_a_latin_label_is_read_as_utf8_not_mojibake(make_warc, tmp_path, label):
    page = html_page("Caf\u00e9", "cr\u00e8me br\u00fbl\u00e9e, na\u00efvet\u00e9 and \u4e2d\u6587 " * 10)  # UTF-8 bytes
    rec = warc_record("response", http_response(page, f"text/html; charset={label}"), "https://a.example/",
                      content_type="application/http; msgtype=response")
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("u.warc.gz", [rec])), "--db", db).exit_code == 0
    text = rows(db, "SELECT text FROM texts")[0][0]
    assert "cr\u00e8me br\u00fbl\u00e9e" in text and "\u4e2d\u6587" in text and "\u00c3" not in text


def test_a_byte_order_mark_outranks_the_label(make_warc, tmp_path):
    text = "gr\u00fc\u00dfe aus K\u00f6ln " * 20
    recs = [
        warc_record("response", http_response(b"\xef\xbb\xbf" + html_page("T", text), "text/html; charset=iso-8859-1"),
                    "https://a.example/1", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(b"\xff\xfe" + html_page("T", text).decode().encode("utf-16-le"), "text/html"),
                    "https://a.example/2", content_type="application/http; msgtype=response"),
    ]
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("b.warc.gz", recs)), "--db", db).exit_code == 0
    texts = [t for (t,) in rows(db, "SELECT text FROM texts ORDER BY doc_id")]
    assert len(texts) == 2 and all("gr\u00fc\u00dfe aus K\u00f6ln" in t for t in texts)


def test_a_gzip_body_without_its_header_is_inflated_and_a_binary_body_labelled_html_is_not_a_document(make_warc, tmp_path):
    page = html_page("Tide", "tidal pools and the quiet work of keeping archives " * 10)
    deflater = zlib.compressobj(6, zlib.DEFLATED, 31)
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16
    recs = [
        warc_record("response", http_response(deflater.compress(page) + deflater.flush()), "https://g.example/1",
                    content_type="application/http; msgtype=response"),
        warc_record("response", http_response(image), "https://g.example/2", content_type="application/http; msgtype=response"),
        warc_record("response", http_response(b"\xff\xfe" + page.decode().encode("utf-16-le")), "https://g.example/3",
                    content_type="application/http; msgtype=response"),
    ]
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("g.warc.gz", recs)), "--db", db).exit_code == 0
    texts = [t for (t,) in rows(db, "SELECT text FROM texts ORDER BY doc_id")]
    assert len(texts) == 2 and all("tidal pools" in t for t in texts)  # the gzip body and the UTF-16 page
    assert json.loads(rows(db, "SELECT skip_counts FROM sources")[0][0]) == {"binary-body": 1}


def test_resource_records_are_documents_only_at_web_addresses(make_warc, tmp_path):
    text = b"Notes about tidal pools and the quiet work of keeping archives. " * 5
    recs = [
        warc_record("resource", text, "https://r.example/notes.txt", content_type="text/plain"),
        warc_record("resource", b"Opening WARC file... Downloaded: 3 files " * 5, "metadata://gnu.org/software/wget/warc/wget.log",
                    content_type="text/plain"),  # wget's own log
        warc_record("resource", text, "urn:text:https://r.example/page", content_type="text/plain"),  # browsertrix: a page's text, again
    ]
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(make_warc("r.warc.gz", recs)), "--db", db).exit_code == 0
    assert rows(db, "SELECT url FROM documents") == [("https://r.example/notes.txt",)]
    assert json.loads(rows(db, "SELECT skip_counts FROM sources")[0][0]) == {"resource-not-web": 2}


@pytest.mark.parametrize("value, expected", [
    ("2019-08-17T12:34:56Z", datetime(2019, 8, 17, 12, 34, 56)),
    ("2019-08-17T12:34:56.123456789Z", datetime(2019, 8, 17, 12, 34, 56, 123456)),  # any fraction digits (Python 3.10 took 3 or 6)
    ("2019-08-17T12:34:56,5Z", datetime(2019, 8, 17, 12, 34, 56, 500000)),
    ("2019-08-17T14:34:56 +0200", datetime(2019, 8, 17, 12, 34, 56)),  # a space before the zone: UTC
    ("20190817123456", datetime(2019, 8, 17, 12, 34, 56)),  # ARC-style, from converted archives
    ("Sat, 17 Aug 2019 12:34:56 GMT", datetime(2019, 8, 17, 12, 34, 56)),  # HTTP-style, from odd writers
    ("2019-13-45T00:00:00Z", None), ("garbage", None), ("1899-01-01T00:00:00Z", None), ("", None),
    ("0001-01-01T00:00:00+01:00", None), ("9999-12-31T23:59:59-01:00", None), ("00010101000000+0100", None),  # no OverflowError
])
def test_warc_dates_are_read_in_the_forms_writers_use(value, expected):
    assert parse_warc_date(value) == expected


def test_sql_tables_show_values_as_they_are_not_as_rich_markup(tmp_path):
    Store(str(tmp_path / "m.duckdb")).close()
    res = run("sql", "SELECT 'if(t[r]) [b]x[/b]' AS \"[i]code\"", "--db", str(tmp_path / "m.duckdb"))
    assert res.exit_code == 0
    assert "if(t[r]) [b]x[/b]" in res.output and "[i]code" in res.output  # was "if(t)" and a bold x


def test_files_named_in_bytes_that_are_not_utf8_or_with_a_newline_are_ingested_and_named_on_one_line(tmp_path):
    # a Latin-1 name from an older system: Python holds its byte as a surrogate, which DuckDB refused (a traceback)
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    latin = os.fsdecode(os.fsencode(folder) + b"/caf\xe9.warc.gz")
    newline = str(folder / "two\nlines.warc")
    with open(latin, "wb") as f:
        f.write(b"".join(gz(r) for r in [warcinfo(), response_record(1)]))
    with open(newline, "wb") as f:
        f.write(response_record(2))
    db = tmp_path / "n.duckdb"
    first = run("ingest", str(folder), os.fsdecode(os.fsencode(folder) + b"/gone\xff.warc"), "--db", str(db))
    assert first.exit_code == 1 and "Traceback" not in first.output
    assert sorted(rows(db, "SELECT path, status FROM sources")) == [
        (f"{folder}/caf\\xe9.warc.gz", "done"), (f"{folder}/gone\\xff.warc", "failed"), (f"{folder}/two\\nlines.warc", "done")]
    assert f"{folder}/gone\\xff.warc: no such file or directory" in first.output
    again = run("ingest", str(folder), "--db", str(db))  # the ledger knows them by these names
    assert again.exit_code == 0 and "2 already in the store" in again.output
    out = tmp_path / "shards"
    assert run("ingest", str(folder), "--output", str(out)).exit_code == 0
    assert "2 already" in run("ingest", str(folder), "--output", str(out)).output


def test_files_named_relative_to_other_folders_are_told_apart_and_force_replaces_only_its_own(tmp_path, monkeypatch, make_warc):
    # the ledger kept paths as typed: "f.warc.gz" from two folders was one path, and --force in one folder deleted the other's rows
    db = str(tmp_path / "rel.duckdb")
    for name, n in (("a", 3), ("b", 5)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.warc.gz").write_bytes(b"".join(gz(response_record(i, url=f"https://{name}.example/{i}")) for i in range(n)))
    for name in ("a", "b"):
        monkeypatch.chdir(tmp_path / name)
        assert run("ingest", "f.warc.gz", "--db", db).exit_code == 0
    assert run("ingest", "f.warc.gz", "--db", db, "--force").exit_code == 0
    assert sorted(rows(db, "SELECT path, n_docs FROM sources")) == [(str(tmp_path / "a" / "f.warc.gz"), 3), (str(tmp_path / "b" / "f.warc.gz"), 5)]


def test_a_rerun_says_which_files_file_timeout_cut_short_before(corpus, tmp_path, monkeypatch):
    # the rerun said "already in the store (nothing added)", exit 0, and the rest of the file was never read
    from provenance.ingest import worker

    real = worker.extract
    monkeypatch.setattr(worker, "extract", lambda *args: (time.sleep(0.2), real(*args))[1])  # cut after a few records
    # (a deadline of 1 ms sometimes fell before the first record: a file of no records is failed, and read again)
    db = str(tmp_path / "s.duckdb")
    assert "gave up after --file-timeout" in run("ingest", str(corpus), "--db", db, "--file-timeout", "1").stderr
    assert 0 < rows(db, "SELECT n_records FROM sources")[0][0] < 31
    monkeypatch.setattr(worker, "extract", real)
    again = run("ingest", str(corpus), "--db", db)
    assert again.exit_code == 0 and "cut short by --file-timeout then: --force reads it again" in again.stderr
    assert "cut short" not in run("ingest", str(corpus), "--db", str(tmp_path / "t.duckdb")).stderr
    shards = str(tmp_path / "shards")  # and the ledger of an output directory (it said "in the ledger", exit 0)
    monkeypatch.setattr(worker, "extract", lambda *args: (time.sleep(0.2), real(*args))[1])
    assert "gave up after --file-timeout" in run("ingest", str(corpus), "--output", shards, "--file-timeout", "1").stderr
    monkeypatch.setattr(worker, "extract", real)
    again = run("ingest", str(corpus), "--output", shards)
    assert again.exit_code == 0 and "cut short by --file-timeout then: --force reads it again" in again.stderr


def test_a_missing_file_named_relatively_that_turns_up_replaces_its_failed_row(tmp_path, monkeypatch):
    db = str(tmp_path / "m.duckdb")
    monkeypatch.chdir(tmp_path)
    assert run("ingest", "later.warc.gz", "--db", db).exit_code == 1
    (tmp_path / "later.warc.gz").write_bytes(gz(response_record(1)))
    assert run("ingest", "later.warc.gz", "--db", db).exit_code == 0
    assert rows(db, "SELECT path, status FROM sources") == [(str(tmp_path / "later.warc.gz"), "done")]


@pytest.mark.parametrize("target", ["--db", "--output"])
def test_a_file_changed_since_its_ingest_replaces_its_earlier_version_and_a_touched_one_adds_nothing(tmp_path, target, monkeypatch):
    # a download completed, a WARC file appended to: the store kept both versions (every page twice), shards the old one only
    from provenance.scale import attach

    path = tmp_path / "in" / "a.warc.gz"
    path.parent.mkdir()
    path.write_bytes(b"".join(gz(response_record(i)) for i in range(3)))
    dest = str(tmp_path / ("s.duckdb" if target == "--db" else "shards"))
    assert run("ingest", str(path), target, dest).exit_code == 0
    with open(path, "ab") as f:
        f.write(b"".join(gz(response_record(i)) for i in range(3, 5)))
    again = run("ingest", str(path), target, dest, "--json")
    summary = json.loads(again.stdout)
    assert again.exit_code == 0 and (summary["ingested"], summary["documents"]) == (1, 5)
    assert f"Note: {path}: changed since its ingest: its rows replace the earlier version's" in again.stderr
    assert summary["file_notes"] == [{"path": str(path), "note": "changed since its ingest: its rows replace the earlier version's"}]
    os.utime(path, (1e9, 1e9))  # its time alone changed: read, known by its content, nothing added
    touched = run("ingest", str(path), target, dest)
    assert touched.exit_code == 0 and "0 file(s) ingested" in touched.stdout and "changed since" not in touched.stderr
    from provenance.ingest import worker
    from provenance.scale import task

    hashed = []  # its new time was recorded: the next run reads nothing of it (it hashed the file again in every run)
    for module in (worker, task):
        monkeypatch.setattr(module, "sha256_file", lambda p: hashed.append(p) or "0" * 64)
    assert "0 file(s) ingested" in run("ingest", str(path), target, dest).stdout and hashed == []
    monkeypatch.undo()
    db = dest
    if target == "--output":
        db = str(tmp_path / "attached.duckdb")
        attach(db, dest)
    assert rows(db, "SELECT count(*), count(DISTINCT record_id) FROM documents") == [(5, 5)]
    assert rows(db, "SELECT count(*), sum(n_docs) FROM sources") == [(1, 5)]
    with Store(db, read_only=True) as s:
        assert s.check() == []


def test_a_changed_file_whose_new_version_fails_keeps_the_earlier_versions_rows(tmp_path):
    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"".join(gz(response_record(i)) for i in range(3)))
    db = str(tmp_path / "s.duckdb")
    assert run("ingest", str(path), "--db", db).exit_code == 0
    path.write_bytes(b"\x1f\x8b\x08\x00garbage, not a gzip member at all" * 10)
    assert run("ingest", str(path), "--db", db).exit_code == 1
    assert rows(db, "SELECT status, n_docs FROM sources ORDER BY source_id") == [("done", 3), ("failed", 0)]
    assert rows(db, "SELECT count(*) FROM documents") == [(3,)]


def test_a_file_appended_to_while_it_is_read_says_so_and_the_rerun_reads_its_new_version(tmp_path, monkeypatch):
    # its hash was of the version before the read: the rows of a longer one were stored under it, without a word
    from provenance.ingest import worker

    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"".join(gz(response_record(i)) for i in range(3)))
    read = worker._read_file

    def appending(job, res):
        with open(path, "ab") as f:
            f.write(gz(response_record(3)))
        read(job, res)

    monkeypatch.setattr(worker, "_read_file", appending)
    db = str(tmp_path / "s.duckdb")
    first = run("ingest", str(path), "--db", db)
    assert first.exit_code == 1 and "the file changed while it was read" in first.stderr
    monkeypatch.setattr(worker, "_read_file", read)
    again = run("ingest", str(path), "--db", db)
    assert again.exit_code == 0 and "changed since its ingest" in again.stderr
    assert rows(db, "SELECT count(*), count(DISTINCT record_id) FROM documents") == [(4, 4)]
