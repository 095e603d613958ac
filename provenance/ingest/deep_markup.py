"""Pages nested too deep for main-content extraction: their words are taken whole instead.

Resiliparse's main-content heuristics cost time in proportion to the pairs of nested <div> (and
<article>, <ol>) elements, one inside the other: quadratic in the depth of a chain. Markup that
opens divs and never closes them (a template's loop, a spam page) makes such chains: measured here,
2,000 unclosed divs take 0.07 s, 10,000 take 1.9 s and 100,000 more than two minutes, in one call
that no deadline interrupts, while the rest of the worker's files wait. Nested lists (<ul>, <ol>)
cost output instead: each item is indented by its depth, so 10,000 unclosed <ul><li> (100 KB) came
out as 100 million characters, and a few megabytes of them would exhaust memory.
Before extraction, a scan of the bytes (C, or this reference code, which gives the same counts)
sums over those start tags how many of them are open there; past MAX_NESTED_PAIRS (about 1,400
in one chain, ~50 ms) the page's words are taken without the main-content heuristics (navigation
still left out) and without layout (no indentation, no line breaks), in linear time and size, and
the page is counted as `deep-markup` in its source's skip_counts. The count needs no parse: end
tags that an ancestor's end tag implies are not seen, so a page that leaves many divs open inside
closed list items counts more than it nests, and may be read whole too. benchmarks/deep_markup.py
measures both paths.
"""
from __future__ import annotations

from provenance.ingest.native import archive

MAX_NESTED_PAIRS = 1_000_000
NOTE = "deep-markup"
_NESTING = (b"div", b"article", b"ol", b"ul")
_RAW_TEXT = (b"script", b"style", b"textarea", b"title", b"xmp")
_NAME_ENDS = frozenset(b" \t\n\r\f>/")


def too_deep(body: bytes, native: bool | None = None) -> bool:
    """Whether the page's nesting is past what main-content extraction does in reasonable time."""
    scan = getattr(archive(native), "nested_pairs", nested_pairs)  # a module built before this scan existed: the reference
    return scan(body, MAX_NESTED_PAIRS) > MAX_NESTED_PAIRS


def nested_pairs(body: bytes, limit: int) -> int:
    """Sum, over the <div>, <article>, <ol> and <ul> start tags, of how many of them are open there;
    the scan stops once the sum is past limit. Comments and raw text (<script>...) are skipped."""
    depth = pairs = 0
    at = body.find(b"<")
    while at >= 0 and pairs <= limit:
        if body.startswith(b"<!--", at):
            at = body.find(b"-->", at + 2)  # "<!-->" is a whole (empty) comment
            if at < 0:
                break
        elif body.startswith(b"</", at):
            if depth and _tag_in(body, at + 2, _NESTING):
                depth -= 1
        elif _tag_in(body, at + 1, _NESTING):
            pairs += depth
            depth += 1
        elif raw := _tag_in(body, at + 1, _RAW_TEXT):
            at = _end_tag(body, at + 1, raw)
            if at < 0:  # an unclosed <script> holds the rest of the page
                break
        at = body.find(b"<", at + 1)
    return pairs


def _tag_in(body: bytes, at: int, names: tuple[bytes, ...]) -> bytes | None:
    for name in names:
        end = at + len(name)
        if end < len(body) and body[at:end].lower() == name and body[end] in _NAME_ENDS:
            return name
    return None


def _end_tag(body: bytes, at: int, name: bytes) -> int:
    """Offset of the first </name at or after `at`, or -1."""
    at = body.find(b"</", at)
    while at >= 0 and not _tag_in(body, at + 2, (name,)):
        at = body.find(b"</", at + 1)
    return at
