"""Pages nested too deep for main-content extraction: their words are taken whole instead.

Resiliparse's main-content heuristics cost time in proportion to the pairs of nested <div> (and
<article>) elements, one inside the other: quadratic in the depth of a chain. Markup that opens divs
and never closes them (a template's loop, a spam page) makes such chains: measured here, 2,000
unclosed divs take 0.07 s, 10,000 take 1.9 s and 100,000 more than two minutes, in one call that no
deadline interrupts, while the rest of the worker's files wait. Nested lists (<ul>, <ol>) cost output
instead: each item is indented by its depth, so 10,000 unclosed <ul><li> (100 KB) came out as 100
million characters, and a few megabytes of them would exhaust memory. Other elements nested as deep
cost neither (measured: <section>, <blockquote>, <span>, <table>, <font>, <object>, <dl>, ...).

The measure is the parsed tree's own: the sum, over its <div>, <article>, <ul> and <ol> elements, of
how many of them enclose each beyond NESTING_FLOOR (real pages stay under it, so a large shallow page
counts nothing); none inside <script>, <style> or <template>, which the extraction skips. Past
MAX_NESTED_PAIRS (a chain of about 1,480) the page's words are taken without the main-content
heuristics (navigation still left out) and without layout (no indentation, no line breaks), in linear
time and size, and the page is counted as `deep-markup` in its source's skip_counts.

The tree, not the markup: end tags that a parser ignores (a </div> inside an <object> or a <table>
cell opened after the div), that an ancestor's end implies (a <ul><li> left open inside a closed
<div>), or that foreign content hides (<svg><div> leaves the svg) are the parser's business, and a
scan of the markup that imitates it gets them wrong both ways (an earlier one, three reviews and
eleven mends later, still missed chains built from "<div><object></div></object>" and from
"<svg><div><script>x</div></script>", and read product lists as deep). So, cheapest first:
  1. the count of "<div", "<article", "<ul" and "<ol" in the page (C, no copy; a few microseconds)
     bounds the pairs: n containers make at most m(m+1)/2 pairs beyond the floor, m = n - floor - 1.
     Under the limit (pages with fewer than ~1,480 such tags: nearly all), nothing more is done;
  2. else the tree as its serializer writes it (Lexbor, linear) is read by a C scan: every element
     is written with its end tag, so the nesting is explicit (serialized_pairs, _native/archive.c).
     The text of <script>, <style>, <xmp>, <iframe>, <noembed>, <noframes> and <plaintext> is
     written as it was, and may look like markup: the scan reads each to its first end tag, which
     is its own where it holds text alone without that end tag, as the tree shows (checked first);
  3. where it does not (a script's "<!--<script></script>", an SVG <xmp> holding elements, any of
     them inside a <template>), the tree is walked (exact, ~3 us an element).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provenance.ingest.census import tag_census
from provenance.ingest.native import archive

if TYPE_CHECKING:
    from resiliparse.parse.html import HTMLTree

MAX_NESTED_PAIRS = 1_000_000
NESTING_FLOOR = 64  # containers that may enclose an element before its nesting counts (real pages: under 40)
NOTE = "deep-markup"
CONTAINERS = frozenset({"div", "article", "ul", "ol"})
SKIPPED = frozenset({"script", "style", "template"})  # what they hold is not extracted, so not counted


def too_deep(html: str, tree: HTMLTree, limit: int = MAX_NESTED_PAIRS, floor: int = NESTING_FLOOR, native: bool | None = None,
             containers: int | None = None) -> bool:
    """Whether the tree parsed from html nests past what main-content extraction does in reasonable time and
    size (containers: the page's container_tags, when known)."""
    if containers is None:
        containers = container_tags(html, native)
    beyond = max(0, containers - floor - 1)  # the most containers that can be beyond the floor
    if beyond * (beyond + 1) // 2 <= limit:
        return False
    return nested_pairs(tree, floor, limit, native) > limit


def container_tags(html: str, native: bool | None = None) -> int:
    """How many '<' in html are followed by div, article, ul or ol (any ASCII case): at least as many
    as the parsed tree has such elements (each is made from one start tag; census.py)."""
    return tag_census(html, native).containers


def nested_pairs(tree: HTMLTree, floor: int = NESTING_FLOOR, limit: int | None = None, native: bool | None = None) -> int:
    """The tree's pairs of nested containers beyond floor (see the module docstring); with limit, the
    count may stop at the first sum past it."""
    document = tree.document
    if document is None:
        return 0
    fast = archive(native)
    if fast is not None and hasattr(fast, "serialized_pairs") and serializes_plainly(document):
        pairs = fast.serialized_pairs(document.html, floor)
        if pairs >= 0:
            return pairs
    return walked_pairs(tree, floor, limit)


_RAW_TEXT = ("script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext")  # written as their text was


def serializes_plainly(document: Any) -> bool:
    """Whether the C scan reads the tree's serialization exactly: every element whose text the
    serializer writes as it was (any namespace) holds text alone, its serialization ending at its
    first end tag (a script's text may hold "</script>" after "<!--<script>"; an SVG <xmp> holds
    elements and CDATA), and no <template> holds any of them (selectors do not look inside)."""
    for template in document.query_selector_all("template"):  # its content is written, all escaped but those
        outer = template.html
        if any(f"<{name}" in outer for name in _RAW_TEXT):
            return False
    for node in document.query_selector_all(",".join(_RAW_TEXT)):
        outer, end = node.html, f"</{node.tag}>"
        if node.first_element_child is not None or outer.find(end) != len(outer) - len(end):
            return False
    return True


class _Past(Exception):
    """The count went past its limit: the walk can stop."""


def walked_pairs(tree: HTMLTree, floor: int = NESTING_FLOOR, limit: int | None = None) -> int:
    """nested_pairs by walking the tree (the reference, and the way for trees the C scan cannot read)."""
    from resiliparse.parse.html import traverse_dom

    root = tree.document.first_element_child if tree.document is not None else None
    if root is None:
        return 0
    # traverse_dom calls its end callback only for elements with children, so what is open is told
    # by depth: an element at depth d closes every open one at depth >= d
    open_: list[tuple[int, bool]] = []  # (depth, a container: else a skipped element) of the open ones
    count = {"containers": 0, "skipped": 0, "pairs": 0}

    def start(ctx) -> None:
        depth = ctx.depth
        while open_ and open_[-1][0] >= depth:
            count["containers" if open_.pop()[1] else "skipped"] -= 1
        tag = ctx.node.tag
        if tag in CONTAINERS and not count["skipped"]:
            count["pairs"] += max(0, count["containers"] - floor)
            if limit is not None and count["pairs"] > limit:
                raise _Past
            open_.append((depth, True))
            count["containers"] += 1
        elif tag in SKIPPED:
            open_.append((depth, False))
            count["skipped"] += 1

    try:
        traverse_dom(root, start, None, elements_only=True)
    except _Past:
        pass
    return count["pairs"]
