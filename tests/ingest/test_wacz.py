"""WACZ inputs (Browsertrix Crawler, ArchiveWeb.page): the WARC files of the ZIP's archive/ folder, read in turn."""
from __future__ import annotations

import gzip
import json
import zipfile
import zlib

from tests.conftest import response_record, warcinfo
from tests.ingest.test_ingest import rows, run


def make_wacz(path, warcs: dict[str, bytes], compress=zipfile.ZIP_STORED):
    """A WACZ as the spec lays it out (WACZ 1.1.1): datapackage.json, archive/, indexes/, pages/; WARC files stored."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in warcs.items():
            z.writestr(zipfile.ZipInfo(f"archive/{name}", (2024, 5, 1, 0, 0, 0)), data, compress_type=compress)
        z.writestr("indexes/index.cdx", "com,example)/ 20240501000000 {}\n", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0", "id": "pages"}\n', compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1",
                                                   "resources": [{"path": f"archive/{n}"} for n in warcs]}))
    return path


def members(records: list[bytes]) -> bytes:
    return b"".join(gzip.compress(r, mtime=0) for r in records)


def test_a_wacz_gives_the_documents_of_its_warc_files_each_at_its_offset_in_the_wacz(tmp_path):
    first = members([warcinfo("my-crawl"), *(response_record(i) for i in range(3))])
    second = members([response_record(i) for i in range(3, 5)])
    path = make_wacz(tmp_path / "crawl.wacz", {"rec-1.warc.gz": first, "rec-2.warc.gz": second})
    db = tmp_path / "w.duckdb"
    res = run("ingest", str(path), "--db", str(db), "--json")
    assert res.exit_code == 0, res.output
    assert rows(db, "SELECT count(*), min(crawl) FROM documents") == [(5, "my-crawl")]
    assert rows(db, "SELECT format, compression, n_errors FROM sources") == [("wacz", "gzip-members", 0)]
    data = path.read_bytes()
    for url, offset in rows(db, "SELECT url, record_offset FROM documents"):  # a player's (and dd's) way in: the record's gzip member
        record = zlib.decompressobj(wbits=31).decompress(data[offset:], 4096)
        assert record.startswith(b"WARC/1.0") and url.encode() in record


def test_warc_files_deflated_into_the_zip_are_read_too_without_offsets(tmp_path):
    path = make_wacz(tmp_path / "d.wacz", {"a.warc.gz": members([response_record(i) for i in range(4)]),
                                           "b.warc": b"".join(response_record(i) for i in range(4, 6))}, zipfile.ZIP_DEFLATED)
    db = tmp_path / "d.duckdb"
    assert run("ingest", str(path), "--db", str(db)).exit_code == 0
    assert rows(db, "SELECT count(*), count(record_offset) FROM documents") == [(6, 0)]


def test_a_corrupt_warc_file_inside_is_a_fault_naming_it_and_the_other_records_are_kept(tmp_path):
    good = members([response_record(i) for i in range(3)])
    bad = bytearray(members([response_record(i) for i in range(3, 6)]))
    bad[len(bad) // 2] ^= 0xFF
    path = make_wacz(tmp_path / "c.wacz", {"bad.warc.gz": bytes(bad), "good.warc.gz": good})
    db = tmp_path / "c.duckdb"
    res = run("ingest", str(path), "--db", str(db))
    assert res.exit_code == 1
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 5  # the corrupt member's record alone lost
    (reason,), = rows(db, "SELECT reason FROM ingest_errors")
    assert reason.startswith("archive/bad.warc.gz: ")
    assert "Traceback" not in res.output


def test_a_broken_or_empty_wacz_gets_one_clear_line(tmp_path):
    not_zip = tmp_path / "a.wacz"
    not_zip.write_bytes(response_record(1))
    cut = make_wacz(tmp_path / "cut.wacz", {"x.warc.gz": members([response_record(1)])})
    cut.write_bytes(cut.read_bytes()[:-40])  # a download cut short: the ZIP's index is at its end
    empty = make_wacz(tmp_path / "e.wacz", {})
    db = tmp_path / "b.duckdb"
    res = run("ingest", str(not_zip), str(cut), str(empty), "--db", str(db))
    assert res.exit_code == 1 and "Traceback" not in res.output
    reasons = dict(rows(db, "SELECT path, reason FROM ingest_errors"))
    assert "not a readable WACZ file" in reasons[str(not_zip)] and "not a whole WACZ file" in reasons[str(cut)]
    assert "its end is missing: a download or copy cut off?" in reasons[str(cut)]  # (it said "File is not a zip file")
    assert "cut off" not in reasons[str(not_zip)]
    assert "without WARC files" in reasons[str(empty)]


def test_a_wacz_cut_off_before_its_index_keeps_the_records_of_its_stored_warc_files_up_to_the_cut(tmp_path):
    """A download cut short: the ZIP's index (at its end) is gone, and every record with it; the members' own headers
    still say where each stored WARC file is (the same bytes as a .warc.gz cut there kept its records)."""
    first = members([warcinfo("my-crawl"), *(response_record(i) for i in range(3))])
    second = members([response_record(i) for i in range(3, 9)])
    whole = make_wacz(tmp_path / "whole.wacz", {"a.warc.gz": first, "b.warc.gz": second}).read_bytes()
    cut_at = whole.index(second) + len(second) * 2 // 3  # inside the second WARC file
    cut = tmp_path / "cut.wacz"
    cut.write_bytes(whole[:cut_at])
    db = tmp_path / "c.duckdb"
    result = run("ingest", str(cut), "--db", str(db))
    assert result.exit_code == 1 and "Traceback" not in result.output
    expected = [whole.index(first) + len(members([warcinfo("my-crawl"), *(response_record(i) for i in range(k))])) for k in range(3)]
    expected += [whole.index(second) + len(members([response_record(i) for i in range(3, k)])) for k in range(3, 9)]
    got = [o for (o,) in rows(db, "SELECT record_offset FROM documents ORDER BY record_offset")]
    assert got == [o for o in expected if o + 200 < cut_at][: len(got)] and len(got) >= 6  # the records before the cut, at their offsets
    reasons = [r for (r,) in rows(db, "SELECT reason FROM ingest_errors")]
    assert any("not a whole WACZ file" in r for r in reasons) and any(r.startswith("archive/b.warc.gz: ") for r in reasons)


def test_a_wacz_beside_the_warc_files_it_packs_is_left_out_of_a_folder_with_a_note(tmp_path):
    # Browsertrix Crawler's collection folder: archive/*.warc.gz and the WACZ made of them
    coll = tmp_path / "collections" / "site"
    (coll / "archive").mkdir(parents=True)
    warc = members([response_record(i) for i in range(4)])
    (coll / "archive" / "rec-1.warc.gz").write_bytes(warc)
    make_wacz(coll / "site.wacz", {"rec-1.warc.gz": warc})
    db = tmp_path / "f.duckdb"
    res = run("ingest", str(tmp_path / "collections"), "--db", str(db), "--json")
    assert res.exit_code == 0, res.output
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 4  # once, not twice
    assert rows(db, "SELECT path FROM sources") == [(str(coll / "archive" / "rec-1.warc.gz"),)]
    assert any("WACZ" in note for note in json.loads(res.stdout)["notes"])
    alone = tmp_path / "g.duckdb"
    assert run("ingest", str(coll / "site.wacz"), "--db", str(alone)).exit_code == 0  # on its own, it is read
    assert rows(alone, "SELECT count(*) FROM documents")[0][0] == 4


def test_a_stored_warc_file_gzipped_whole_gives_its_first_record_an_offset_and_the_rest_none(tmp_path):
    whole = gzip.compress(b"".join(response_record(i) for i in range(3)), mtime=0)  # positions in what it holds are no .wacz bytes
    path = make_wacz(tmp_path / "w.wacz", {"a.warc.gz": whole})
    db = tmp_path / "w.duckdb"
    assert run("ingest", str(path), "--db", str(db)).exit_code == 0
    (first,), *rest = rows(db, "SELECT record_offset FROM documents ORDER BY doc_id")
    assert path.read_bytes()[first : first + 2] == b"\x1f\x8b" and rest == [(None,), (None,)]


def test_a_corrupt_lzma_member_costs_its_own_records_only(tmp_path):
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("archive/a.warc.gz"), members([response_record(i) for i in range(3)]))
        z.writestr(zipfile.ZipInfo("archive/b.warc.gz"), members([response_record(i) for i in range(3, 6)]), compress_type=zipfile.ZIP_LZMA)
    data = bytearray(buf.getvalue())
    at = data.index(b"archive/b.warc.gz") + 60  # inside b's compressed bytes
    data[at] ^= 0xFF
    data[at + 1] ^= 0xFF
    path = tmp_path / "l.wacz"
    path.write_bytes(bytes(data))
    db = tmp_path / "l.duckdb"
    res = run("ingest", str(path), "--db", str(db))
    assert res.exit_code == 1 and "internal error" not in res.output
    assert rows(db, "SELECT count(*) FROM documents")[0][0] >= 3  # a.warc.gz's (was: none, the whole WACZ failed)


def test_a_warc_file_of_the_same_name_from_another_crawl_does_not_leave_a_wacz_out(tmp_path):
    make_wacz(tmp_path / "a.wacz", {"data.warc": b"".join(response_record(i) for i in range(5))})
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "data.warc").write_bytes(b"".join(response_record(i, url=f"https://other.example/{i}") for i in range(2)))
    db = tmp_path / "s.duckdb"
    assert run("ingest", str(tmp_path / "a.wacz"), str(tmp_path / "b" / "data.warc"), "--db", str(db)).exit_code == 0
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 7


def test_a_remote_wacz_is_refused_before_it_is_fetched():
    from provenance.ingest.inputs import expand_inputs

    (item,) = expand_inputs(["https://example.org/crawl.wacz"])
    assert item.problem.startswith("a WACZ file is read from a local copy")
