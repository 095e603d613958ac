"""Inputs: files, folders, globs and Common Crawl *.paths listings expand to archive files."""
from __future__ import annotations

import gzip

from provenance.ingest.inputs import InputFile, expand_inputs
from tests.conftest import response_record


def test_folders_recurse_to_archives_only_and_globs_expand(make_warc, tmp_path):
    a = make_warc("a.warc.gz", [response_record(1)])
    (tmp_path / "sub").mkdir()
    b = (tmp_path / "sub" / "b.arc.gz")
    b.write_bytes(a.read_bytes())
    (tmp_path / "notes.txt").write_text("skip me")
    assert [i.path for i in expand_inputs([str(tmp_path)])] == [str(a), str(b)]
    assert [i.path for i in expand_inputs([str(tmp_path / "*.warc.gz")])] == [str(a)]
    assert expand_inputs([str(tmp_path / "*.nothing")])[0].problem == "no files match this pattern"


def test_folders_linked_into_a_tree_are_walked_once_and_hidden_files_and_broken_links_are_not_archives(make_warc, tmp_path):
    real = tmp_path / "disk2" / "CC-MAIN-2013-20"
    real.mkdir(parents=True)
    (real / "a.arc.gz").write_bytes(make_warc("x.warc.gz", [response_record(1)]).read_bytes())
    top = tmp_path / "crawl"
    top.mkdir()
    (top / "CC-MAIN-2013-20").symlink_to(real)  # a crawl's folders linked in from other disks
    (top / "again").symlink_to(top)  # a loop
    (top / ".part.warc.gz").write_bytes(b"a download in progress")
    (top / ".cache").mkdir()
    (top / ".cache" / "b.warc.gz").write_bytes(b"a tool's state")
    (top / "gone.warc.gz").symlink_to(tmp_path / "missing.warc.gz")
    found = expand_inputs([str(top)])
    assert [(i.path, i.problem) for i in found] == [(str(top / "CC-MAIN-2013-20" / "a.arc.gz"), None),
                                                    (str(top / "gone.warc.gz"), "a symbolic link to a missing file")]


def test_a_paths_listing_resolves_entries_under_the_prefix(make_warc, tmp_path):
    make_warc("x.warc.gz", [response_record(1)])
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/CC-MAIN-2024-10/segments/1/warc/x.warc.gz\nmissing.warc.gz\n"))
    items = expand_inputs([str(listing)])
    assert items[0].path == str(tmp_path / "x.warc.gz") and items[0].problem is None
    assert "not found; set --paths-prefix" in items[1].problem


def test_the_same_file_named_twice_is_read_once(make_warc):
    a = make_warc("a.warc.gz", [response_record(1)])
    assert len(expand_inputs([str(a), str(a)])) == 1


def test_a_listing_with_a_byte_order_mark_and_indented_comments_lists_only_its_entries(make_warc, tmp_path):
    make_warc("x.warc.gz", [response_record(1)])
    listing = tmp_path / "warc.paths"
    listing.write_bytes("\ufeffx.warc.gz\r\n  # downloaded on Monday\r\n\r\n".encode())
    assert expand_inputs([str(listing)], str(tmp_path)) == [InputFile(str(tmp_path / "x.warc.gz"))]


def test_a_file_found_beside_its_listing_takes_its_crawl_from_the_listed_path(make_warc, tmp_path):
    # Common Crawl's WARC file names hold a timestamp; the crawl id is in the listed folders
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from provenance.store import Store

    make_warc("CC-MAIN-20190817203056-00000.warc.gz", [response_record(1)])  # no warcinfo record
    listing = tmp_path / "warc.paths"
    listing.write_text("crawl-data/CC-MAIN-2019-35/segments/1566027312025.20/warc/CC-MAIN-20190817203056-00000.warc.gz\n")
    db = tmp_path / "s.duckdb"
    ingest([str(listing)], IngestConfig(db=str(db), workers=1))
    with Store(str(db), read_only=True) as s:
        assert s.con.execute("SELECT DISTINCT crawl FROM documents").fetchall() == [("CC-MAIN-2019-35",)]
