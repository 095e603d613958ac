"""Markup nested too deep for main-content extraction (its cost is quadratic in the depth) is read whole, in linear time.

Depth is the parsed tree's: end tags the parser ignores or implies count as the parser counts them."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resiliparse.parse.html import HTMLTree

from provenance.ingest.deep_markup import MAX_NESTED_PAIRS, NESTING_FLOOR, container_tags, nested_pairs, serializes_plainly, too_deep, walked_pairs
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


def _deep(html: str, **kw) -> bool:
    return too_deep(html, HTMLTree.parse(html), **kw)


# Chains of 2,000 divs (~1.87 million pairs beyond the floor) whose end tags a scan of the markup
# sees closing them, while the parser ignores them: an earlier scan counted none of these pairs, and
# resiliparse took 3.3 s on 10,000 of the first (quadratic: ~5 minutes on 100,000, 3 MB)
@pytest.mark.parametrize("unit", [
    "<div><object></div></object>x ",  # </div> inside an <object> opened after the div: ignored
    "<div><table><tr><td></div></td></tr></table>x ",  # and inside a table cell
    "<div><marquee></div></marquee>x ",
    "<svg><div><script>x</div></script>y ",  # <div> leaves the svg: the script is HTML's, its text no markup
    "<svg><desc></div><div></desc></svg>x ",  # </div> inside <desc>: ignored
])
def test_a_chain_the_parser_builds_from_end_tags_it_ignores_is_deep(unit):
    page = f"<html><body>{unit * UNCLOSED}</body></html>"
    assert _deep(page) and _deep(page, native=False)
    assert _from_body(page.encode(), "text/html", "utf-8", None).note == "deep-markup"


# Pages whose markup leaves thousands of containers open, but whose tree is shallow: an ancestor's end,
# the next row or the next item closes them. An earlier scan of the markup read the first as deep.
@pytest.mark.parametrize("body", [
    '<div class="item"><ul><li>Blue kettle, 1.7 l</div>' * 2_000,  # </div> closes the <ul> and <li> inside it
    "<table>" + "<tr><td><div>row" * 20_000 + "</table>",  # each row closes the cell and its divs
    "<ul>" + "<li><div>item" * 20_000 + "</ul>",  # each item closes the one before and its div
    "<span>" * 20_000 + "<div>x</div>" * 20_000,
])
def test_containers_left_open_that_the_parser_closes_are_not_deep(body):
    page = f"<html><body>{body}</body></html>"
    assert container_tags(page) >= 2_000 and not _deep(page) and not _deep(page, native=False)


@pytest.mark.parametrize("html, pairs", [
    ("<div><div></div><div>", 2),  # 0 + 1 + 1: the second and third divs each inside one
    ("<div><article><ol><li>x", 3),  # 0 + 1 + 2
    ("</div></div><div><div>", 1),  # end tags with nothing open are ignored
    ("<DIV class=a><Div\n><div/><div>", 6),  # any case; '<div/>' opens a div in HTML
    ("<ul><li>a<ul><li>b<UL\n><li>c", 3),  # lists: each item is indented by its depth
    ("<div><object></div><div>", 1),  # the </div> is ignored, the object is no container
    ("<div><ul><li>a</div><div><ul><li>b</div>", 2),  # </div> closes the list inside it
    ("<section><div><p><div><blockquote><div>", 3),  # what lies between does not matter
    ("<div><!-- <div><div> --><div>", 1),  # comments are no elements
    ("<div><script>'<div><div>'</script><div>", 1),  # nor is a script's text
    ("<div><svg><script><div><div>", 3),  # the divs leave the svg: HTML's, in the first div
    ("<div><svg><script><article><article>", 0),  # an SVG script's elements: not extracted, not counted
    ("<div><template><div><div></template><div>", 1),  # nor is a template's content
    ('<div><xmp></div><div></xmp><div>', 1),  # <xmp> text is written as it was: the tree is walked
    ('<div><iframe><div></iframe><div>', 1),
    ('<div><svg><style><![CDATA[</style></div><div>]]></style></svg><div>', 1),
    ('<p title="<div>"><div><div>', 1),
])
def test_nesting_is_counted_as_the_tree_nests(html, pairs):
    tree = HTMLTree.parse(html)
    assert walked_pairs(tree, floor=0) == pairs
    assert nested_pairs(tree, floor=0) == pairs
    if archive() is not None and serializes_plainly(tree.document):
        assert archive().serialized_pairs(tree.document.html, 0) == pairs


CHAIN = "<div>" * 3_000 + "</div>" * 3_000  # 4,308,580 pairs beyond the floor


# The serializer writes the text of <script>, <style>, <xmp>, <iframe>, <noembed>, <noframes> and
# <plaintext> as it was, in any namespace: text that looks like tags must not hide a chain from the
# reading of the serialization (a review found each of these read as 0 pairs)
@pytest.mark.parametrize("page", [
    "<xmp><style></xmp>" + CHAIN + "<xmp></style></xmp>",  # a start tag in one text, its end in another
    "<iframe><style></iframe>" + CHAIN + "<iframe></style></iframe>",
    "<body><script><!--<script></script><style>--></script>" + CHAIN + "<style></style>",  # "</script>" in a script
    "<body><svg><script>&lt;/script&gt;&lt;/svg&gt;&lt;style&gt;</script></svg>" + CHAIN + "<style></style>",
    "<body><svg><xmp>&lt;script&gt;</xmp></svg>" + CHAIN + "<svg><xmp><script></script></xmp></svg>",
    "<body><script><!--<script></script><template><script>--></script>" + CHAIN + "<script><!--<script></script></template><script>--></script>",
    "<body><svg><xmp><!--</xmp>--><article>" + "<div>" * 3_000 + "</article></xmp></svg>",  # a comment's "</xmp>"
])
def test_text_written_as_it_was_hides_no_chain(page):
    assert _deep(page) and walked_pairs(HTMLTree.parse(page)) > MAX_NESTED_PAIRS


def test_only_nesting_beyond_the_floor_counts_so_a_large_shallow_page_is_not_deep():
    row = "<div class=post><div class=body><ul><li>reply</li></ul></div></div>"
    page = "<div>" * 20 + row * 50_000 + "</div>" * 20  # 3.4 MB, 24 deep at most
    assert nested_pairs(HTMLTree.parse(page), floor=0) > MAX_NESTED_PAIRS and not _deep(page)
    chain = "<div>" * (NESTING_FLOOR + 1415)  # 1,414 x 1,415 / 2 = 1,000,405 pairs beyond the floor
    assert nested_pairs(HTMLTree.parse(chain[:-5])) == 1413 * 1414 // 2 <= MAX_NESTED_PAIRS and not _deep(chain[:-5])
    assert _deep(chain) and _deep(chain, native=False)
    assert walked_pairs(HTMLTree.parse("<div>" * 100), floor=0, limit=10) == 15  # 0+1+2+3+4+5: the first sum past 10


def test_the_count_of_container_tags_bounds_the_elements_and_ignores_other_names():
    assert container_tags("<DIV><ul><Ol><article><a><uL><divider><olx>") == 7  # any ASCII case; a prefix is enough
    assert container_tags("\u00fc<div>\u20ac<ol>\U0001f600<ul>") == 3  # in every width of str
    assert container_tags("<d\u0130v><\u0131ul>") == 0


TOKENS = ["<xmp><style></xmp>", "<xmp></style></xmp>", "<script><!--<script></script>", "--></script>", "<svg><xmp>&lt;script&gt;</xmp></svg>",
          "<svg><xmp><script></script></xmp></svg>", "<iframe><div></iframe>", "<noframes></noframes>", "<svg><link></link></svg>",
          "<div>", "</div>", "<DIV ", "</Div\n>", "<div/", "<article>", "</ol>", "<ol", "<ul>", "</UL>", "<li>", "<object>",
          "</object>", "<TABLE ", "<tr>", "<td>", "</table>", "<svg>", "</svg>", "<math ", "</math>", "<mi>", "<desc>", "</desc>",
          "<foreignObject>", "<script>", "</script>", "<style>", "</style>", "<template>", "</template>", "<xmp>", "</xmp>",
          "<iframe>", "</iframe>", "<noembed>", "<plaintext>", "<textarea>", "<title>", "<link>", "</link>", "<track>", "<br>",
          "<![CDATA[", "]]>", "<!--", "-->", "--!>", "<b>", "</b>", "<a>", "</a>", "<p>", "<!", "<?", "</", "x", " ", "=", '"', "'",
          "<", ">", "/", "&lt;", "\u00e9"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.integers(0, 12), st.integers(0, 3))
def test_every_shortcut_decides_as_the_walk_of_the_tree_does(html, limit, floor):
    tree = HTMLTree.parse(html)
    pairs = walked_pairs(tree, floor)
    assert nested_pairs(tree, floor) == pairs  # the C reading of the serialized tree, or the walk where it cannot read it
    assert too_deep(html, tree, limit, floor) == (pairs > limit)  # with the bound from the count of tags first
    assert too_deep(html, tree, limit, floor, native=False) == (pairs > limit)
    assert container_tags(html) == container_tags(html, native=False)


def test_the_compiled_module_is_there_when_ci_requires_it():
    if archive() is None:
        assert not os.environ.get("PROVENANCE_REQUIRE_KERNELS"), "CI requires the C extension"
        pytest.skip("the C extension is not built")
    assert archive().serialized_pairs(HTMLTree.parse("<div><div>").document.html, 0) == 1


# Whole constructs, so that random pages often read as serializations: text written as it was that
# looks like tags (in <xmp>, <iframe>, <noembed>, a script's "<!--<script>", SVG), around chains
BLOCKS = ["<div>", "</div>", "<div><div></div></div>", "<ul><li>", "<article>", "</article>", "x",
          "<xmp><style></xmp>", "<xmp></style></xmp>", "<iframe><script></iframe>", "<noembed></script></noembed>",
          "<script><!--<script></script>", "<style>--></script>", "<style></style>", "--></script>",
          "<svg><xmp>&lt;script&gt;</xmp></svg>", "<svg><xmp><script></script></xmp></svg>",
          "<svg><script>&lt;/script&gt;&lt;/svg&gt;&lt;style&gt;</script></svg>", "<template>", "</template>",
          "<svg><xmp><!--</xmp>--><article>", "</xmp></svg>", "<svg><link><div></link></svg>", "<plaintext>"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(BLOCKS), max_size=30).map("".join), st.integers(0, 2))
def test_text_that_looks_like_tags_never_changes_the_count(html, floor):
    tree = HTMLTree.parse(html)
    assert nested_pairs(tree, floor) == walked_pairs(tree, floor)


@pytest.mark.parametrize("native", [True, False])
def test_the_census_counts_container_and_ruby_start_tags_in_one_pass(native):
    from provenance.ingest.census import Census, tag_census

    assert tag_census("<DIV><ruby>\u6771<rt>x</rt></RUBY><Ruby><rub><rubyx>", native) == Census(1, 3, 1)  # end tags are not '<' + name
    assert tag_census("\u00fc<rUby>\u20ac<ol>\U0001f600<ruby>", native) == Census(1, 2, 0)  # in every width of str
    assert tag_census("<r\u00fcby><\u0131ul>", native) == Census(0, 0, 0)


LONE = "\u3068<a>\u3068</a> \u548c\n<b>\u548c\u548c<i>\u2022<i>\uac00<\U0001f600"


@pytest.mark.parametrize("native", [True, False])
def test_a_mark_follows_each_cjk_character_alone_between_tags(native):
    from provenance.ingest.census import MARK, join_lone, tag_census

    # in 2- and 4-byte strs; not two, not a bullet, not at the start
    assert tag_census(LONE, native).lone == 3
    assert join_lone(LONE, native) == LONE.replace("\u3068<", "\u3068" + MARK + "<", 2).replace("\u3068" + MARK, "\u3068", 1) \
        .replace(" \u548c\n", " \u548c" + MARK + "\n").replace("\uac00<", "\uac00" + MARK + "<")
    assert join_lone("<p>plain</p>", native) == "<p>plain</p>"


@pytest.mark.parametrize("native", [True, False])
def test_a_lone_cjk_character_written_as_a_reference_is_marked_after_its_semicolon(native):
    from provenance.ingest.census import MARK, join_lone, tag_census

    # pages in an 8-bit charset write every CJK character so; decimal and hex, any case, leading zeros
    page = "<a>x</a>&#12392;<a>y</a> &#x548C; <b>z</b>&#X00AC00;<i>&#65;</i>&#1234567890;<i>&#x3068</i>&#xZ;<i>"
    assert tag_census(page, native).lone == 3
    assert join_lone(page, native) == page.replace("&#12392;", "&#12392;" + MARK).replace("&#x548C;", "&#x548C;" + MARK) \
        .replace("&#X00AC00;", "&#X00AC00;" + MARK)
    assert join_lone(page + "\u3068", native).endswith("\u3068")  # the str's width does not matter


def test_marked_lone_characters_keep_the_particles_in_the_main_text():
    """The heuristics drop a text node of one CJK character; with the mark it is two, and the mark leaves the text."""
    from resiliparse.parse.html import HTMLTree

    from provenance.ingest.census import MARK, join_lone
    from provenance.ingest.extract import main_text

    page = "<html><body><article><p>" + "\u79c1\u306f<a href=/a>\u6771\u4eac</a>&#12392;<a href=/b>\u5927\u962a</a>\u306b\u4f4f\u3080\u3002" * 3 \
        + "</p></article></body></html>"
    assert "\u6771\u4eac\u5927\u962a" in main_text(HTMLTree.parse(page))  # what the heuristics alone make of it
    assert "\u6771\u4eac\u3068\u5927\u962a" in main_text(HTMLTree.parse(join_lone(page))).replace(MARK, "")


_PIECES = ["<", ">", " ", "\n", "a", "\u3068", "\u548c", "\u2022", "\uac00", "\uff0c", "\U0001f600", "&#", "&#x", "&#X", "1", "9", "0", "A", "c",
           "x", ";", "12392", "x548c", "65", "000000012392"]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
@settings(max_examples=500, deadline=None)
def test_the_census_in_c_finds_what_the_reference_finds(html):
    from provenance.ingest.census import join_lone, tag_census

    assert tag_census(html, native=True) == tag_census(html, native=False)
    assert join_lone(html, native=True) == join_lone(html, native=False)
