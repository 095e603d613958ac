"""--prose-lists: prose lists stay in main text; menus are still left to the main-content heuristics."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ingest.extract import _from_body
from provenance.ingest.native import archive
from provenance.ingest.prose_lists import keep_prose_lists, prose_lists

STEPS = "<ul><li>Download the archive from the releases page and unpack it.</li><li>Run make install as root.</li></ul>"
MENU = '<ul class="x"><li><a href="/">Home</a></li><li><a href="/blog">Blog</a></li></ul>'


def _text(body: str, prose_lists: bool = True) -> str:
    return _from_body(f"<!DOCTYPE html><html><body>{body}</body></html>".encode(), "text/html", "utf-8", None, prose_lists).text


def test_a_bulleted_list_near_the_top_of_a_page_is_main_text():
    text = _text(f"{MENU}<h1>Install</h1><p>To install:</p>{STEPS}")
    assert "Download the archive from the releases page" in text and "Run make install as root." in text  # was "Install\n\nTo install:"
    assert "Home" not in text and "Blog" not in text  # the menu is still navigation


def test_by_default_the_page_is_read_as_resiliparse_reads_it():
    # the default matches the fixtures' ground truth (resiliparse's main text); --prose-lists keeps the list
    assert _text(f"<h1>Install</h1><p>To install:</p>{STEPS}", prose_lists=False) == "Install\n\nTo install:"


def test_the_option_reaches_the_worker_and_the_ledger(tmp_path):
    import json

    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from provenance.store import Store
    from tests.conftest import gz, http_response, warc_record

    page = f"<!DOCTYPE html><html><body><h1>Install</h1><p>To install:</p>{STEPS}</body></html>".encode()
    path = tmp_path / "p.warc.gz"
    path.write_bytes(gz(warc_record("response", http_response(page), "https://example.com/install",
                                    content_type="application/http; msgtype=response")))
    texts = {}
    for on in (False, True):
        db = tmp_path / f"{on}.duckdb"
        ingest([str(path)], IngestConfig(db=str(db), workers=1, prose_lists=on))
        with Store(str(db), read_only=True) as s:
            texts[on] = s.con.execute("SELECT text FROM texts").fetchall()[0][0]
            assert json.loads(s.con.execute("SELECT options FROM sources").fetchall()[0][0])["prose_lists"] is on
    assert "make install" not in texts[False] and "Run make install as root." in texts[True]


def test_lists_of_links_inside_lists_and_odd_case_markup_are_read_as_browsers_parse_them():
    assert _text(STEPS.upper().replace("<UL>", "<Ul\n>")).count("RUN MAKE INSTALL AS ROOT.") == 1
    nested = "<ul><li>outer item, prose<ul><li>inner item, prose too</li></ul></li></ul>"
    assert "inner item, prose too" in _text(nested + "<p>x</p>")


@pytest.mark.parametrize("html, spans", [
    (b"<ul><li>a</li><li>b</li></ul>", [(0, 29)]),
    (b'<ul><li><a href="/">a</a></li><li>b</li></ul>', []),  # half the items are links: a menu
    (b"<ul><li>a<ul><li>b</li></ul></li></ul>", [(0, 38)]),  # the outermost: it holds the inner one
    (b'<ul><li><a href="/">a</a></li><li><a href="/b">b</a></li><li><a href="/c">c</a><ul><li>x</li><li>y</li></ul></li></ul>',
     [(79, 108)]),  # a prose list inside a menu: the list alone
    (b"<ul><li>a</li></ul >x</ul>", [(0, 20)]),
    (b"<ulx><li>a</li></ul>", []),  # not a list
    (b"<ul><li>a</li>", []),  # never closed
    (b"<ul/><li>a</li></ul>", [(0, 20)]),
    (b"<ul>" * 65 + b"<li>a</li>" + b"</ul>" * 65, []),  # absurd nesting: left as it is
    (b"<ul><li>one</li></ul\n<ul><li>two</li></ul>", [(0, 25)]),  # an end tag ends at its '>': spans never overlap
])
def test_prose_lists_are_the_outermost_lists_whose_items_are_mostly_not_links(html, spans):
    assert prose_lists(html) == spans
    if archive() is not None:
        assert archive().prose_lists(html) == spans


def test_bodies_whose_bytes_are_not_ascii_compatible_are_left_as_they_are():
    utf16 = "<ul><li>a</li></ul>".encode("utf-16-le")
    assert keep_prose_lists(utf16) == utf16
    jis = b"\x1b$B<ul\x1b(B"
    assert keep_prose_lists(jis) == jis


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from([b"<ul>", b"</ul>", b"<UL ", b"</Ul\n>", b"<ul/", b"<li>", b"<LI/", b"<a ", b"<A>", b"<a", b"<", b">",
                                 b"x", b" ", b"</u", b"l>", b"<li"]), max_size=40).map(b"".join))
def test_the_compiled_scan_finds_the_same_lists_as_the_reference(html):
    fast = archive()
    if fast is None:
        pytest.skip("the C extension is not built")
    assert fast.prose_lists(html) == prose_lists(html)
    ends = [0] + [x for span in prose_lists(html) for x in span]
    assert ends == sorted(ends) and all(a < b for a, b in prose_lists(html))  # in order, none inside another
    assert keep_prose_lists(html, native=True) == keep_prose_lists(html, native=False)
