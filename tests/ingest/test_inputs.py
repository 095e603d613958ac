"""Inputs: files, folders, globs and Common Crawl *.paths listings expand to archive files."""
from __future__ import annotations

import gzip
import os

import pytest

from provenance.ingest.inputs import InputFile, expand_inputs, leave_out_derived
from tests.conftest import http_response, response_record, warc_record, warcinfo


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


def test_files_a_crawler_is_still_writing_are_left_out_of_a_folder_with_a_note(make_warc, tmp_path):
    """Heritrix and warcprox write X.warc.gz.open and rename it when it is whole: read now, it was cut short."""
    done = make_warc("a.warc.gz", [response_record(1)])
    (tmp_path / "jobs").mkdir()
    open_file = tmp_path / "jobs" / "b.warc.gz.open"
    open_file.write_bytes(done.read_bytes()[:100])
    inputs, notes = leave_out_derived(expand_inputs([str(tmp_path)]))
    assert [i.path for i in inputs] == [str(done)]
    assert len(notes) == 1 and notes[0].startswith("1 file(s) found in folders left out, their crawler still writing them (.open)")
    assert str(open_file) in notes[0]


def test_a_paths_listing_resolves_entries_under_the_prefix(make_warc, tmp_path):
    make_warc("x.warc.gz", [response_record(1)])
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/CC-MAIN-2024-10/segments/1/warc/x.warc.gz\nmissing.warc.gz\n"))
    items = expand_inputs([str(listing)])
    assert items[0].path == str(tmp_path / "x.warc.gz") and items[0].problem is None
    assert items[1].problem == "listed in warc.paths.gz but not found beside it; set --paths-prefix to the folder its entries are in"
    with_prefix = expand_inputs([str(listing)], paths_prefix=str(tmp_path / "dl"))
    assert [i.problem for i in with_prefix] == [f"listed in warc.paths.gz but not found under --paths-prefix {tmp_path / 'dl'}"] * 2


def test_an_empty_listing_is_a_failed_input_as_an_empty_folder_is(tmp_path):
    (tmp_path / "none.paths").write_text("# nothing yet\n\n")
    assert [(i.path, i.problem) for i in expand_inputs([str(tmp_path / "none.paths")])] == [(str(tmp_path / "none.paths"),
                                                                                          "listing holds no entries")]


@pytest.mark.parametrize("name", ["crawl [copy].warc.gz", "what?.warc.gz", "a*b.warc.gz"])
def test_a_file_or_folder_whose_name_looks_like_a_pattern_is_read_as_itself(make_warc, tmp_path, name):
    path = make_warc(name, [response_record(1)])
    assert [(i.path, i.problem) for i in expand_inputs([str(path)])] == [(str(path), None)]
    folder = tmp_path / "d[1]"
    folder.mkdir()
    path.rename(folder / name)
    assert [(i.path, i.problem) for i in expand_inputs([str(folder)])] == [(str(folder / name), None)]
    assert [(i.path, i.problem) for i in expand_inputs([str(tmp_path / "d?1?" / "*.gz")])] == [(str(folder / name), None)]  # globbed


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


def test_a_crawl_folder_is_read_once_per_page_wets_beside_their_warcs_and_wats_left_out(make_warc, tmp_path):
    """A mirrored Common Crawl segment holds each WARC and the WET and WAT made from it: the WET's pages are the
    WARC's again (every page counted twice), the WAT holds no text. Both are left out, and the run says so; a WET
    whose WARC is not an input, and a WAT named on the command line, stay."""
    import json

    from typer.testing import CliRunner

    from provenance.cli import app
    from provenance.store import Store

    seg = tmp_path / "crawl-data" / "CC-MAIN-2019-35" / "segments" / "1566027312025.20"
    for kind in ("warc", "wet", "wat", "robotstxt", "crawldiagnostics"):
        (seg / kind).mkdir(parents=True)
    stem = "CC-MAIN-20190817085028-20190817111028-00000"
    wet_page = warc_record("conversion", b"The text of a page as Common Crawl extracted it, long enough. " * 3, "https://only-wet.example/",
                           content_type="text/plain")
    (seg / "warc" / f"{stem}.warc.gz").write_bytes(make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(5))]).read_bytes())
    (seg / "wet" / f"{stem}.warc.wet.gz").write_bytes(make_warc("t.warc.wet.gz", [warcinfo(), wet_page] * 5).read_bytes())
    (seg / "wet" / "CC-MAIN-20190817085028-20190817111028-00001.warc.wet.gz").write_bytes(make_warc("u.warc.wet.gz", [warcinfo(), wet_page]).read_bytes())
    for kind in ("robotstxt", "crawldiagnostics"):  # the same file names as warc/'s: no WET is their twin
        (seg / kind / f"{stem[:-1]}1.warc.gz").write_bytes(make_warc(f"{kind}.warc.gz", [warcinfo(), response_record(9)]).read_bytes())
    (seg / "wat" / f"{stem}.warc.wat.gz").write_bytes(make_warc("m.warc.wat.gz", [warcinfo(), warc_record("metadata", b"{}", "https://a.example/")]).read_bytes())
    db = str(tmp_path / "s.duckdb")
    res = CliRunner().invoke(app, ["ingest", str(tmp_path / "crawl-data"), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (summary["files"], summary["documents"]) == (2, 6)  # the WARC's 5 pages and the lone WET's page
    assert res.stderr.splitlines() == [
        f"Note: 1 WET file(s) left out of this run, their WARC files being inputs too (the same pages twice), e.g. {seg / 'wet' / stem}.warc.wet.gz; "
        "ingest WET files into a store of their own for the text Common Crawl extracted",
        f"Note: 1 WAT file(s) found in folders left out: they hold metadata, no text (e.g. {seg / 'wat' / stem}.warc.wat.gz)",
        f"Note: 1 file(s) found in robotstxt/ folders left out: they hold robots.txt files, no pages (e.g. {seg / 'robotstxt' / stem[:-1]}1.warc.gz)",
        f"Note: 1 file(s) found in crawldiagnostics/ folders left out: they hold redirects and errors, no pages "
        f"(e.g. {seg / 'crawldiagnostics' / stem[:-1]}1.warc.gz)"]
    named = CliRunner().invoke(app, ["ingest", str(seg / "wat" / f"{stem}.warc.wat.gz"), "--db", db, "--json"])
    assert json.loads(named.stdout)["ingested"] == 1
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM sources").fetchone()[0] == 3


def test_a_named_folder_is_read_whole_and_twins_match_whatever_their_compression(make_warc, tmp_path):
    from provenance.ingest.inputs import leave_out_derived

    seg = tmp_path / "seg"
    for kind in ("warc", "wet", "wat", "crawldiagnostics"):
        (seg / kind).mkdir(parents=True)
    page = make_warc("page.warc", [warcinfo(), response_record(1)], gzip_style=None).read_bytes()
    for rel in ("warc/X.warc.gz", "wet/X.warc.wet", "wet/Y.warc.wet.zst", "warc/Y.warc", "wat/X.warc.wat.gz", "crawldiagnostics/X.warc.gz"):
        (seg / rel).write_bytes(page)  # (their content is not read but to tell whether a WARC holds pages)
    kept, notes = leave_out_derived(expand_inputs([str(seg)]))
    assert sorted(os.path.relpath(i.path, seg) for i in kept) == ["warc/X.warc.gz", "warc/Y.warc"]
    assert len(notes) == 3
    for kind in ("wat", "crawldiagnostics"):  # named: read, whatever the folder's name
        kept, notes = leave_out_derived(expand_inputs([str(seg / kind)]))
        assert len(kept) == 1 and notes == []


def robots_txt(host: str) -> bytes:
    return warc_record("response", http_response(b"User-agent: *\nDisallow: /private\n", "text/plain"), f"https://{host}/robots.txt",
                       content_type="application/http; msgtype=response", seed=f"robots{host}")


def redirect(url: str, status: str = "302 Found") -> bytes:
    return warc_record("response", http_response(b"", status=status, extra=[("Location", "https://a.example.com/")]), url,
                       content_type="application/http; msgtype=response", seed=f"moved{url}")


def robots_file(n: int = 6) -> list[bytes]:
    """A Common Crawl robotstxt/ file: robots.txt fetches, one redirected to its site's home page, whose capture it
    keeps too (commoncrawl/nutch#19)."""
    return [warcinfo("CC-MAIN-2023-06"), *(robots_txt(f"h{i}.example.com") for i in range(n)), redirect("https://h0.example.com/robots.txt"),
            response_record(0, url="https://h0.example.com/")]


def test_a_common_crawl_warc_holds_pages_when_most_of_its_first_responses_are_2xx_pages(make_warc, tmp_path):
    """What pairs a Common Crawl WARC out of its folder with the WET of its name: a segment's robots.txt and
    crawldiagnostics files are named as its page WARC is, and are each nearly all of their kind."""
    from provenance.ingest.pages import PEEK_RESPONSES, peek, read_pages

    assert peek(str(make_warc("pages.warc.gz", [warcinfo(), *(response_record(i) for i in range(40))]))) is True
    assert peek(str(make_warc("robotstxt.warc.gz", robots_file()))) is False  # its one page is not most of it
    assert peek(str(make_warc("crawldiagnostics.warc.gz", [warcinfo(), *(redirect(f"https://a.example.com/{i}") for i in range(5)),
                                                           response_record(1)]))) is False
    assert peek(str(make_warc("late.warc.gz", [warcinfo(), *(robots_txt(f"h{i}.example.com") for i in range(PEEK_RESPONSES)),
                                               *(response_record(i) for i in range(40))]))) is False  # (the first responses)
    request = warc_record("request", b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n", "https://a.example.com/",
                          content_type="application/http; msgtype=request")
    assert peek(str(make_warc("cut.warc.gz", [warcinfo(), request]))) is None  # no response read: unknown, the name decides
    (tmp_path / "junk.warc.gz").write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    assert peek(str(tmp_path / "junk.warc.gz")) is None and peek(str(tmp_path / "missing.warc.gz")) is None
    # once read, by its counts: sampling comes before a record is looked at
    assert read_pages({"response": 7, "request": 7}, {"robots-txt": 6}, 0) is False
    assert read_pages({"response": 7}, {"http-status": 1, "lang-filtered": 6}, 0) is True
    assert read_pages({"response": 7}, {"robots-txt": 1}, 6) is False  # all but one left out by --sample-rate: a robots.txt
    assert read_pages({"response": 7}, {}, 7) is None and read_pages({}, {}, 0) is None


@pytest.mark.parametrize("target", ["--db", "--output"])
def test_a_robots_txt_or_diagnostics_warc_out_of_its_folder_is_no_twin_of_the_wet_of_its_name(make_warc, tmp_path, target):
    """Common Crawl names a segment's robots.txt and crawldiagnostics WARC files as its page WARC: downloaded into
    folders of other names (or one flat folder), the robots.txt WARC replaced the WET's documents with none when
    ingested after it, and kept the WET out when ingested first or beside it. A WARC pairs with a WET once it is known
    to hold pages."""
    import json

    from typer.testing import CliRunner

    from provenance.cli import app
    from provenance.scale import attach
    from provenance.store import Store

    stem = "CC-MAIN-20230126210844-20230127000844-00000"
    text = warc_record("conversion", b"The text of a page as Common Crawl extracted it, long enough to keep. " * 3, "https://a.example.com/",
                       content_type="text/plain", extra={"WARC-Refers-To": "<urn:uuid:00000000-0000-0000-0000-000000000001>"})
    for kind in ("text", "robots", "diagnostics", "flat"):
        (tmp_path / kind).mkdir()
    wet = tmp_path / "text" / f"{stem}.warc.wet.gz"
    wet.write_bytes(make_warc("t.gz", [warcinfo("CC-MAIN-2023-06"), text, text, text]).read_bytes())
    for kind, records in (("robots", robots_file()), ("diagnostics", [warcinfo("CC-MAIN-2023-06"), redirect("https://a.example.com/old")])):
        (tmp_path / kind / f"{stem}.warc.gz").write_bytes(make_warc(f"{kind}.gz", records).read_bytes())
    (tmp_path / "flat" / f"{stem}.warc.gz").write_bytes((tmp_path / "robots" / f"{stem}.warc.gz").read_bytes())
    (tmp_path / "flat" / wet.name).write_bytes(wet.read_bytes())

    def ingest(dest, *args):
        res = CliRunner().invoke(app, ["ingest", *map(str, args), target, dest, "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    def documents(name, dest):
        db = dest if target == "--db" else str(tmp_path / f"{name}.duckdb")
        if target == "--output":
            attach(db, dest)
        with Store(db, read_only=True) as s:
            return s.sql("SELECT count(*) FROM documents").fetchone()[0], s.sql("SELECT count(*) FROM sources").fetchone()[0]

    for name, runs in (("after", [[tmp_path / "text"], [tmp_path / "robots"], [tmp_path / "diagnostics"]]),
                       ("first", [[tmp_path / "robots"], [tmp_path / "diagnostics"], [tmp_path / "text"], [tmp_path / "text", "--force"]]),
                       ("flat", [[tmp_path / "flat"]])):
        dest = str(tmp_path / name / ("s.duckdb" if target == "--db" else "shards"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        for args in runs:
            summary = ingest(dest, *args)
            assert not any("replace" in note or "left out" in note for note in summary["notes"]), (name, args, summary["notes"])
        assert documents(name, dest) == (3 + 1, 3 if name != "flat" else 2), name  # the WET's, and the robots.txt file's page
    assert any("hold robots.txt fetches or redirects and errors (most of their responses), not those WET files' pages" in note
               for note in summary["notes"])


@pytest.mark.parametrize("target", ["--db", "--output"])
def test_a_warc_that_changes_between_runs_is_paired_by_what_it_holds_now_and_runs_end_as_one_run_does(make_warc, tmp_path, target):
    """The ledger's verdict on a WARC (pages or not) is of the file it read: a file changed since is looked at again.
    A robots.txt file that became the page WARC of its name replaced its own rows but not the WET's in shards (8
    documents for 5, for good); a page WARC that became a robots.txt file kept the WET out (1 for 4)."""
    import json
    import shutil

    from typer.testing import CliRunner

    from provenance.cli import app
    from provenance.scale import attach
    from provenance.store import Store

    stem = "CC-MAIN-20230126210844-20230127000844-00000"
    text = warc_record("conversion", b"The text of a page as Common Crawl extracted it, long enough to keep. " * 3, "https://a.example.com/",
                       content_type="text/plain")
    files = {"wet": make_warc("wet.gz", [warcinfo("CC-MAIN-2023-06"), text, text, text]),
             "pages": make_warc("pages.gz", [warcinfo("CC-MAIN-2023-06"), *(response_record(i) for i in range(5))]),
             "robots": make_warc("robots.gz", robots_file()),
             "late": make_warc("late.gz", [warcinfo("CC-MAIN-2023-06"), *(redirect(f"https://a.example.com/{i}") for i in range(30)),
                                           response_record(1)])}

    def run(name, steps):
        dest = str(tmp_path / name / ("s.duckdb" if target == "--db" else "shards"))
        for step in steps:
            for rel, kind in step.items():  # files to put in place, then a run over the folders named by None
                if kind is not None:
                    (tmp_path / name / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(files[kind], tmp_path / name / rel)
            args = [str(tmp_path / name / rel) for rel, kind in step.items() if kind is None]
            res = CliRunner().invoke(app, ["ingest", *args, target, dest, "--json"])
            assert res.exit_code == 0, res.output
            assert not any("read too" in n for n in json.loads(res.stdout)["notes"])
        db = dest if target == "--db" else str(tmp_path / name / "attached.duckdb")
        if target == "--output":
            attach(db, dest)
        with Store(db, read_only=True) as s:
            return s.sql("SELECT count(*) FROM documents").fetchone()[0]

    wet, warc = f"dl/{stem}.warc.wet.gz", f"dl/{stem}.warc.gz"
    assert run("robots-then-pages", [{wet: "wet", warc: "robots", "dl": None}, {warc: "pages", "dl": None}]) == 5
    assert run("pages-then-robots", [{wet: "wet", warc: "pages", "dl": None}, {warc: "robots", "dl": None}]) == 3 + 1
    seg_wet, seg_warc = f"seg/wet/{stem}.warc.wet.gz", f"seg/warc/{stem}.warc.gz"  # in warc/: the name decides, in every order
    assert run("one-run", [{seg_wet: "wet", seg_warc: "late", "seg": None}]) == 1
    assert run("wet-first", [{seg_wet: "wet", "seg/wet": None}, {seg_warc: "late", "seg/warc": None}]) == 1
    assert run("warc-first", [{seg_warc: "late", "seg/warc": None}, {seg_wet: "wet", "seg/wet": None}]) == 1


def test_a_page_warc_whose_first_responses_are_redirects_still_pairs_in_its_folder_or_by_a_name_not_common_crawls(make_warc, tmp_path):
    # only a Common Crawl name out of its warc/ folder is looked into: a crawl's file of any other name pairs by name, as before
    records = [warcinfo(), *(redirect(f"https://a.example.com/{i}") for i in range(30)), response_record(1)]
    stem = "CC-MAIN-20230126210844-20230127000844-00000"
    for rel in (f"seg/warc/{stem}.warc.gz", f"seg/wet/{stem}.warc.wet.gz", "mine/crawl.warc.gz", "mine/crawl.warc.wet.gz",
                f"flat/{stem}.warc.gz", f"flat/{stem}.warc.wet.gz"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(make_warc("x.gz", records).read_bytes())
    for folder, kept in (("seg", "warc"), ("mine", "crawl.warc.gz"), ("flat", None)):
        inputs, notes = leave_out_derived(expand_inputs([str(tmp_path / folder)]))
        assert len(inputs) == (1 if kept else 2), folder  # flat: a Common Crawl file of redirects is a crawldiagnostics one


def test_a_pipe_or_device_is_refused_with_a_reason_not_read_forever(tmp_path):
    # its hash drained a pipe before its records were read (nothing ingested), and /dev/zero never ended
    fifo = tmp_path / "x.warc.gz"
    os.mkfifo(fifo)
    for arg in (str(fifo), "/dev/zero"):
        (item,) = expand_inputs([arg])
        assert item.problem.startswith("not a regular file (a pipe, device or socket)")


def test_wets_and_their_warcs_ingested_in_separate_runs_count_each_page_once_as_one_run_does(make_warc, tmp_path):
    """WET files ingested first and their WARC files later counted every page twice (the twin check saw one run's
    inputs). A WARC now replaces the WET of its pages, a WET whose WARC is in already is left out, into a store and
    into shards alike: the end is one run's."""
    import json

    from typer.testing import CliRunner

    from provenance.cli import app
    from provenance.scale import attach
    from provenance.store import Store

    stem = "CC-MAIN-20190817085028-20190817111028-00000"
    for kind in ("warc", "wet", "other"):
        (tmp_path / kind).mkdir()
    warc = tmp_path / "warc" / f"{stem}.warc.gz"
    wet = tmp_path / "wet" / f"{stem}.warc.wet.gz"
    lone = tmp_path / "wet" / f"{stem[:-1]}1.warc.wet.gz"  # its WARC never comes
    warc.write_bytes(make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(5))]).read_bytes())
    page = warc_record("conversion", b"The text of a page as Common Crawl extracted it, long enough. " * 3, "https://wet.example/", content_type="text/plain")
    wet.write_bytes(make_warc("t.warc.wet.gz", [warcinfo(), *[page] * 3]).read_bytes())
    lone.write_bytes(make_warc("u.warc.wet.gz", [warcinfo(), page]).read_bytes())

    def ingest(*args):
        res = CliRunner().invoke(app, ["ingest", *map(str, args), "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout), res.stderr

    def contents(db):
        with Store(db, read_only=True) as s:
            return (sorted(r[0] for r in s.sql("SELECT path FROM sources").fetchall()), s.sql("SELECT count(*) FROM documents").fetchone()[0],
                    s.sql("SELECT count(*) FROM texts").fetchone()[0], s.check())

    one_run = str(tmp_path / "one.duckdb")
    ingest(tmp_path / "warc", tmp_path / "wet", "--db", one_run)
    assert contents(one_run) == (sorted([str(lone), str(warc)]), 6, 6, [])
    for target in ("--db", "--output"):
        db = str(tmp_path / f"{target[2:]}.duckdb")
        dest = db if target == "--db" else str(tmp_path / "shards")
        summary, notes = ingest(wet, lone, target, dest)
        assert summary["documents"] == 4
        summary, notes = ingest(warc, target, dest)
        assert summary["documents"] == 5 and "1 WARC file(s) replace the WET files of their pages ingested before" in notes
        assert f"e.g. {warc} replaces {wet}" in notes
        summary, notes = ingest(wet, target, dest)  # again: its WARC is in
        assert summary["files"] == 0 and "1 WET file(s) left out of this run, their WARC files being ingested already" in notes
        if target == "--output":
            attach(db, dest)
        assert contents(db) == contents(one_run)


def test_twins_across_runs_are_common_crawl_files_only_whose_names_are_unique():
    from provenance.ingest.inputs import Known, twins_in_ledger

    stem = "CC-MAIN-20190817085028-20190817111028-00000"
    inputs = [InputFile(f"/new/{stem}.warc.gz"), InputFile("/new/a.warc.gz"), InputFile(f"/new/{stem}.warc.wet.gz")]
    for warc in (f"/old/warc/{stem}.warc.gz", f"/old/dl/{stem}.warc.gz"):
        ledger = [f"/old/wet/{stem}.warc.wet.gz", "/old/a.warc.wet.gz", warc]
        for held in (True, None):  # (None: no response examined, all sampled out say; the name decides)
            kept, replaces, notes = twins_in_ledger(inputs, ledger, {warc: Known(1, 1.0, held)})
            assert [i.path for i in kept] == [f"/new/{stem}.warc.gz", "/new/a.warc.gz"]  # "a.warc.gz" of another folder is no twin
            assert replaces == {f"/new/{stem}.warc.gz": [f"/old/wet/{stem}.warc.wet.gz"]} and len(notes) == 1
        # it held robots.txt files, no pages: out of a warc/ folder, no twin; in one, the name decides (as in one run)
        kept, _, notes = twins_in_ledger(inputs, ledger, {warc: Known(1, 1.0, False)})
        assert len(kept) == (2 if "/warc/" in warc else 3)


def test_the_note_on_warcs_replacing_wets_counts_those_whose_rows_stay():
    # two copies of one WARC read in one run into shards: the one dropped was counted and named too
    from provenance.ingest.inputs import twins_note
    from provenance.ingest.jobs import FileResult
    from provenance.ingest.pipeline import IngestSummary

    summary = IngestSummary(1)
    for source_id, path in ((5, "/dl/a/X.warc.gz"), (6, "/dl/b/X.warc.gz")):
        summary.add(FileResult(path, source_id, n_docs=3, twins=["/wet/X.warc.wet.gz"]))
    summary.supersede(5, FileResult("/dl/b/X.warc.gz", 6))
    assert twins_note(summary.twins) == ("1 WARC file(s) replace the WET files of their pages ingested before, as one run over both "
                                         "keeps the WARC's (the same pages twice otherwise), e.g. /dl/b/X.warc.gz replaces /wet/X.warc.wet.gz")
