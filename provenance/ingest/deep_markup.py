"""Pages nested too deep for main-content extraction: their words are taken whole instead.

Resiliparse's main-content heuristics cost time in proportion to the pairs of nested <div> (and
<article>, <ol>) elements, one inside the other: quadratic in the depth of a chain. Markup that
opens divs and never closes them (a template's loop, a spam page) makes such chains: measured here,
2,000 unclosed divs take 0.07 s, 10,000 take 1.9 s and 100,000 more than two minutes, in one call
that no deadline interrupts, while the rest of the worker's files wait. Nested lists (<ul>, <ol>)
cost output instead: each item is indented by its depth, so 10,000 unclosed <ul><li> (100 KB) came
out as 100 million characters, and a few megabytes of them would exhaust memory.

Before extraction, a scan of the decoded page (C, or this reference code, which gives the same
counts) sums over the start tags of nesting containers how many are open there beyond a floor of
NESTING_FLOOR (real pages stay under it, so a large shallow page counts nothing); past
MAX_NESTED_PAIRS (a chain of about 1,480) the page's words are taken without the main-content
heuristics (navigation still left out) and without layout (no indentation, no line breaks), in
linear time and size, and the page is counted as `deep-markup` in its source's skip_counts. The
scan reads markup as an HTML tokenizer does, where markup could hide depth from it (three reviews
found eleven ways): a tag ends at its '>' outside quoted attribute values, read in the tokenizer's
attribute states (a quote opens a value only after an attribute's "="); comments end at "-->" or
"--!>"; "<!...>", "<?...>" and "</" + not a letter are bogus comments; an end tag closes its name
only when one is open; <object>, <table>, <template>, <marquee> and <applet> count too (a parser
ignores end tags of divs opened outside them), and so do <desc>, <title>, <foreignObject>, <mi>,
<mo>, <mn>, <ms>, <mtext> and <annotation-xml> inside <svg> and <math>, where raw text is markup
and CDATA sections are skipped. It builds no tree, so it may count more than a page nests (end
tags implied by an ancestor's are not seen; a page over 64 deep with tens of thousands of rows):
such a page is read whole, never a deep one read by the heuristics. The page is scanned as UTF-8, so a charset whose bytes are not ASCII's (UTF-16,
UTF-7) hides nothing. benchmarks/deep_markup.py measures both paths.
"""
from __future__ import annotations

import re

from provenance.ingest.native import archive

MAX_NESTED_PAIRS = 1_000_000
NESTING_FLOOR = 64  # open containers a page may have at any point before its nesting counts (real pages: under 40)
NOTE = "deep-markup"
# Containers that nest when left open; <object>, <table>, <template>, <marquee> and <applet> also make
# a parser ignore end tags of the ones opened outside them (so "<div><object></div>" nests), and so do
# the last nine inside <svg> and <math>: those nest only there.
_NESTING = (b"div", b"article", b"ol", b"ul", b"table", b"object", b"marquee", b"applet", b"template",
            b"desc", b"title", b"foreignobject", b"mi", b"mo", b"mn", b"ms", b"mtext", b"annotation-xml")
_HTML_NESTING = 9
_RAW_TEXT = (b"script", b"style", b"textarea", b"title", b"xmp")  # text, not markup (outside <svg> and <math>)
_FOREIGN = (b"svg", b"math")
_SPACE = b" \t\n\r\f"
_COMMENT_END = re.compile(rb"--!?>")
_NAME = re.compile(rb"[^ \t\n\r\f/>]*")
_ATTRIBUTE_NAME = re.compile(rb"[^ \t\n\r\f/>=]*")
_UNQUOTED = re.compile(rb"[^ \t\n\r\f>]*")


def too_deep(html: str, native: bool | None = None) -> bool:
    """Whether the page's nesting is past what main-content extraction does in reasonable time and size.

    The decoded page is scanned as UTF-8 (what CPython keeps of it is what the parser reads too), so
    a charset whose bytes are not ASCII's (UTF-16, UTF-7, ISO-2022) hides no markup."""
    scan = getattr(archive(native), "nested_pairs", nested_pairs)  # a module built before this scan existed: the reference
    try:
        return scan(html, MAX_NESTED_PAIRS, NESTING_FLOOR) > MAX_NESTED_PAIRS
    except UnicodeEncodeError:  # lone surrogates: no cached UTF-8
        return scan(html.encode("utf-8", "surrogatepass"), MAX_NESTED_PAIRS, NESTING_FLOOR) > MAX_NESTED_PAIRS


def nested_pairs(html: str | bytes, limit: int, floor: int = NESTING_FLOOR) -> int:
    """Sum, over the start tags of nesting containers, of how many of them are open there beyond
    floor; the scan stops once the sum is past limit. Markup is read as an HTML tokenizer reads it
    (see the C scan's comment in _native/archive.c). A str is read as its UTF-8."""
    body = html.encode("utf-8") if isinstance(html, str) else html
    open_ = dict.fromkeys(_NESTING, 0)
    foreign = dict.fromkeys(_FOREIGN, 0)
    depth = pairs = 0
    at = body.find(b"<")
    while at >= 0 and pairs <= limit:
        in_foreign = any(foreign.values())
        nxt = body[at + 1 : at + 2]
        if body.startswith(b"<!--", at):
            end = _COMMENT_END.search(body, at + 2)  # "<!-->" is a whole (empty) comment
            at = end.end() - 1 if end else -1
        elif in_foreign and body.startswith(b"<![CDATA[", at):
            at = body.find(b"]]>", at + 9)
            at = at + 2 if at >= 0 else -1
        elif nxt in (b"!", b"?"):
            at = body.find(b">", at + 1)  # a bogus comment (a doctype too)
        elif nxt == b"/" and body[at + 2 : at + 3].isalpha():
            name, gt = _tag(body, at + 2)
            if gt < 0:  # a tag the file ends in is no tag
                break
            if name in open_:
                if open_[name]:
                    open_[name] -= 1
                    depth -= 1
            elif name in foreign and foreign[name]:
                foreign[name] -= 1
            at = gt
        elif nxt == b"/":
            at = at + 2 if body[at + 2 : at + 3] == b">" else body.find(b">", at + 1)  # "</>" is nothing; else a bogus comment
        elif nxt.isalpha():
            name, gt = _tag(body, at + 1)
            if gt < 0:
                break
            if name in _NESTING[: len(_NESTING) if in_foreign else _HTML_NESTING]:
                pairs += max(0, depth - floor)
                open_[name] += 1
                depth += 1
            elif not in_foreign and name in _RAW_TEXT:
                end = _end_tag(body, gt + 1, name)
                gt = end - 1 if end >= 0 else -1  # on at the end tag's '<'; an unclosed <script> holds the rest
            elif name in foreign:
                foreign[name] += 1
            at = gt
        if at < 0:  # an unclosed comment holds the rest of the page
            break
        at = body.find(b"<", at + 1)
    return pairs


def _tag(body: bytes, at: int) -> tuple[bytes, int]:
    """(lower-cased name, offset of the '>' that ends it) of the tag whose name starts at `at`, or -1
    when the file ends first; its attributes read as the C scan reads them (the tokenizer's states)."""
    p = _NAME.match(body, at).end()
    name, n = body[at:p].lower(), len(body)
    while True:
        while p < n and (body[p] in _SPACE or body[p] == 47):  # before an attribute's name ("/" skipped)
            p += 1
        if p >= n:
            return name, -1
        if body[p] == 62:  # ">"
            return name, p
        p = _ATTRIBUTE_NAME.match(body, p + 1).end()  # its first character may be any, "=" too
        while p < n and body[p] in _SPACE:
            p += 1
        if p >= n or body[p] != 61:  # not "=": a new name
            continue
        p += 1
        while p < n and body[p] in _SPACE:
            p += 1
        if p < n and body[p] in b"\"'":
            q = body.find(body[p : p + 1], p + 1)
            if q < 0:
                return name, -1
            p = q + 1
        else:
            p = _UNQUOTED.match(body, p).end()


def _end_tag(body: bytes, at: int, name: bytes) -> int:
    """Offset of the first </name at or after `at`, or -1."""
    at = body.find(b"</", at)
    while at >= 0 and body[at + 2 : _NAME.match(body, at + 2).end()].lower() != name:
        at = body.find(b"</", at + 1)
    return at
