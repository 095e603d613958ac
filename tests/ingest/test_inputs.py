"""Inputs: files, folders, globs and Common Crawl *.paths listings expand to archive files."""
from __future__ import annotations

import gzip

from provenance.ingest.inputs import expand_inputs
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
