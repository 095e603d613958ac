"""Markup nested too deep for main-content extraction (its cost is quadratic in the depth) is read whole, in linear time."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ingest.deep_markup import MAX_NESTED_PAIRS, NESTING_FLOOR, nested_pairs, too_deep
from provenance.ingest.extract import _from_body
from provenance.ingest.native import archive

NAV = '<nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li></ul></nav>'
PROSE = "The river rose overnight and the ferry did not run; the village waited on the bank for news. " * 3
UNCLOSED = 2000  # unclosed <div>s: ~1,936 x 1,935 / 2 pairs beyond the floor, about twice MAX_NESTED_PAIRS


def _page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><body>{NAV}{body}</body></html>".encode()


def test_a_page_that_never_closes_its_divs_keeps_its_text_without_the_navigation():
    out = _from_body(_page('<div class="post">' * UNCLOSED + f"<p>{PROSE}</p>"), "text/html", "utf-8", None)
    assert out.note == "deep-markup"
    assert PROSE.strip() in out.text and "Home" not in out.text and "Shop" not in out.text


def test_an_ordinary_page_is_read_by_the_main_content_heuristics():
    out = _from_body(_page(f"<main><article><div><div><p>{PROSE}</p></div></div></article></main><footer>Contact us</footer>"),
                     "text/html", "utf-8", None)
    assert out.note is None and out.text == PROSE.strip() and "Contact" not in out.text


def test_lists_nested_without_end_are_read_in_linear_size():
    # each item is indented by its depth: 10,000 of them came out as 100 million characters
    out = _from_body(_page("<ul><li>item " * 10_000), "text/html", "utf-8", None)
    assert out.note == "deep-markup" and out.text.split() == ["item"] * 10_000


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-7"])
def test_the_deep_markup_of_a_page_whose_bytes_are_not_ascii_is_found_too(codec):
    body = _page("<div>" * UNCLOSED + f"<p>{PROSE}</p>").decode().encode(codec)  # "<" is "+ADw-" in UTF-7
    out = _from_body(body, "text/html", codec.split("-le")[0], None)
    assert out.note == "deep-markup" and PROSE.strip() in out.text


def test_the_page_is_a_document_and_its_source_counts_it(make_warc, tmp_path):
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from provenance.store import Store
    from tests.conftest import http_response, warc_record

    deep = warc_record("response", http_response(_page("<div>" * UNCLOSED + f"<p>{PROSE}</p>")), "https://example.com/deep",
                       content_type="application/http; msgtype=response")
    path = make_warc("deep.warc.gz", [deep])
    db = tmp_path / "s.duckdb"
    assert ingest([str(path)], IngestConfig(db=str(db), workers=1)).documents == 1
    with Store(str(db), read_only=True) as s:
        assert json.loads(s.con.execute("SELECT skip_counts FROM sources").fetchall()[0][0]) == {"deep-markup": 1}


@pytest.mark.parametrize("html, pairs", [
    (b"<div><div></div><div>", 2),  # 0 + 1 + 1: the second and third divs each inside one
    (b"<div><article><ol><li>x", 3),  # 0 + 1 + 2
    (b"</div></div><div><div>", 1),  # end tags with nothing open are ignored (as parsers do)
    (b"<div></ul></OL><div>", 1),  # and so are end tags of what is not open: the div stays open
    (b"<DIV class=a><Div\n><div/><div>", 6),  # any case; '<div/>' opens a div in HTML
    (b"<ul><li>a<ul><li>b<UL\n><li>c", 3),  # lists: each item is indented by its depth
    (b"<div><object></div><div>", 2),  # an <object> (<table>, <template>, ...) nests too: parsers ignore that </div>
    (b"<divx><dl><o><olx><ulx><section><div>", 0),  # other tags
    (b"<div><!-- <div><div> --><div>", 1),  # comments are not markup
    (b"<div><!--><div>", 1),  # "<!-->" is a whole comment
    (b"<div><!-- <div> --!><div>", 1),  # and "--!>" ends one
    (b"<div><script>'<div><div>'</script><div>", 1),  # nor is a script's text
    (b"<div><STYLE>x</style ><div><title><div></title>", 1),
    (b"<svg><style><div><div>", 1),  # inside <svg> or <math>, <style> and <title> hold markup
    (b"<div><svg></svg><style><div></style><div>", 1),
    (b"<div><script><div><div>", 0),  # an unclosed script holds the rest
    (b"<div><!-- <div><div>", 0),  # so does an unclosed comment
    (b'<p title="<!--"><div><div>', 1),  # a tag ends at its '>' outside quoted values
    (b"<div><i title='</div>' x=a>y</i><div>", 1),
    # a quote opens a value only after an attribute's "=": after "=" that starts a name, or inside an
    # unquoted value, it is a character, and the tag ends at the next '>'
    (b'<p ="><div><div>"', 1), (b'<p/="><div><div>"', 1), (b'<p x="a"="><div><div>"', 1),
    (b'<p x=="><div><div>"', 1), (b'<p x=a="><div><div>"', 1),
    (b"<div><!x </div>><div>", 1),  # "<!...>", "<?...>" and "</" + not a letter are bogus comments
    (b"<div><?php </div> ?><div></ 1 </div>><div>", 3),  # each ends at its first ">"
    (b"<div><svg><![CDATA[</div>]]></svg><div>", 1),  # CDATA inside <svg>
    # <desc>, <mi>, <foreignObject> nest: parsers ignore the </div> in them; here it closes the div, but
    # each stays open, so "<div><svg><desc></div>" repeated nests one deeper each time, as in the tree
    (b"<div><svg><desc></div><div>", 2),
    (b"<div><math><mi></div><div>", 2),
    (b"<div><svg><foreignObject></div></svg><div>", 2),
    (b"<svg></math><style><div><div>", 1),  # a stray </math> does not end the <svg>
    (b"<div><desc></div><div>", 0),  # <desc> outside <svg> is nothing special
    (b'<div x="1', 0),  # a tag the file ends in is no tag
])
def test_nesting_is_counted_as_pairs_of_open_containers(html, pairs):
    assert nested_pairs(html, 10**9, floor=0) == pairs
    if archive() is not None:
        assert archive().nested_pairs(html, 10**9, 0) == pairs
        assert archive().nested_pairs(html.decode(), 10**9, 0) == pairs  # a str: its UTF-8


def test_only_nesting_beyond_the_floor_counts_so_a_large_shallow_page_is_not_deep():
    row = "<div class=post><div class=body><ul><li>reply</li></ul></div></div>"
    page = "<div>" * 20 + row * 50_000 + "</div>" * 20  # 3.4 MB, 24 deep at most
    assert nested_pairs(page, 10**12, floor=0) > MAX_NESTED_PAIRS and not too_deep(page)
    chain = "<div>" * (NESTING_FLOOR + 1415)  # 1,415 x 1,414 / 2 = 1,000,405 pairs beyond the floor
    assert nested_pairs(chain[:-5], 10**9) == 1414 * 1413 // 2 <= MAX_NESTED_PAIRS and not too_deep(chain[:-5])
    assert too_deep(chain) and too_deep(chain, native=False)
    assert nested_pairs("<div>" * 100, 10, floor=0) == 15  # 0+1+2+3+4+5: the first sum past 10


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from([b"<div>", b"</div>", b"<DIV ", b"</Div\n>", b"<div/", b"<article>", b"</ol>", b"<ol", b"<!--", b"-->",
                                 b"<ul>", b"</UL>", b"<object>", b"<TABLE ", b"<svg>", b"</svg>", b"<math ", b"</math>", b"--!>", b"--", b"<script>", b"</script>",
                                 b"'", b'"', b"=", b" a=", b" =", b"==", b'"="', b"/=", b"<!", b"<?", b"</>", b"</ ", b"<![CDATA[", b"]]>", b"<desc>", b"</desc>",
                                 b"<mi ", b"<foreignObject>", b"<title>", b"<Style>", b"</STYLE", b"<title", b"</title>", b"<", b">", b"/", b"x",
                                 b" ", b"</", b"<!", b"di", b"v>"]), max_size=40).map(b"".join),
       st.integers(0, 40), st.integers(0, 3))
def test_the_compiled_scan_counts_as_the_reference_does(html, limit, floor):
    fast = archive()
    if fast is None:
        assert not os.environ.get("PROVENANCE_REQUIRE_KERNELS"), "CI requires the C extension"
        pytest.skip("the C extension is not built")
    assert fast.nested_pairs(html, limit, floor) == nested_pairs(html, limit, floor)
