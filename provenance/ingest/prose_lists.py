"""--prose-lists: keep prose lists in main text, wrapped so resiliparse's navigation rule lets them through.

Resiliparse's main-content heuristics drop every <ul> fewer than three elements below <body> as
global navigation, whatever it holds: the bulleted steps of a README-style page, an FAQ, the
paragraphs of a documentation page's list (36 of the fixtures' 814 HTML pages lost such text).
Before extraction, each outermost <ul> whose items are mostly not links (fewer links than half its
items) is wrapped in three <div>s, so it is deep enough to stay; menus (links in most items) are
left to the heuristics, and so is everything else about the page. Done on the bytes before decoding
(ASCII markup; not for UTF-16 or ISO-2022 bodies, whose bytes are not ASCII-compatible), by a scan
in C (_native/archive.c) or this reference code, which gives the same spans. Off by default: the
fixtures' ground truth (and Common Crawl-style pipelines) take resiliparse's main text as it is.
"""
from __future__ import annotations

from provenance.ingest.native import archive

WRAP_OPEN, WRAP_CLOSE = b"<div><div><div>", b"</div></div></div>"
MAX_LIST_DEPTH = 64  # lists open at once past which a page is left as it is
_NAME_ENDS = frozenset(b" \t\n\r\f>")


def keep_prose_lists(body: bytes, native: bool | None = None) -> bytes:
    """The body with its prose lists wrapped (the same bytes when there are none)."""
    if b"\x00" in body or b"\x1b" in body:  # UTF-16/32 or ISO-2022: bytes that look like markup may not be
        return body
    scan = getattr(archive(native), "prose_lists", prose_lists)  # a module built before this scan existed: the reference
    spans = scan(body)
    if not spans:
        return body
    out, last = [], 0
    for start, end in spans:
        out += (body[last:start], WRAP_OPEN, body[start:end], WRAP_CLOSE)
        last = end
    out.append(body[last:])
    return b"".join(out)


def prose_lists(body: bytes) -> list[tuple[int, int]]:
    """(start, end) of each outermost <ul> ... </ul> whose <li> items (its inner lists' too) outnumber
    twice its <a> links: wrapping it puts the lists inside it deep enough as well."""
    spans: list[tuple[int, int]] = []
    opened: list[int] = []
    at = body.find(b"<")
    while at >= 0:
        if _is_tag(body, at + 1, b"ul", slash_ends=True):
            if len(opened) == MAX_LIST_DEPTH:
                return []
            opened.append(at)
        elif opened and body[at + 1 : at + 2] == b"/" and _is_tag(body, at + 2, b"ul", slash_ends=False):
            start = opened.pop()
            close = body.find(b">", at)
            if close < 0:
                break
            items, links = _count(body, start, at, b"li", True), _count(body, start, at, b"a", False)
            if items and 2 * links < items:
                while spans and spans[-1][0] >= start:  # lists inside this one: it covers them
                    spans.pop()
                spans.append((start, close + 1))
            at = close  # the end tag ends at its '>': nothing inside it is markup, so spans never overlap
        at = body.find(b"<", at + 1)
    return spans


def _is_tag(body: bytes, at: int, name: bytes, slash_ends: bool) -> bool:
    """Whether body[at:] is the tag name `name` (any case), ended by white space or '>' (or '/')."""
    end = at + len(name)
    if end >= len(body) or body[at:end].lower() != name:
        return False
    return body[end] in _NAME_ENDS or (slash_ends and body[end] == 0x2F)


def _count(body: bytes, start: int, stop: int, name: bytes, slash_ends: bool) -> int:
    """Tags named `name` that begin in body[start:stop] and whose name ends before stop."""
    count, at = 0, body.find(b"<", start, stop)
    while at >= 0:
        if at + 1 + len(name) < stop and _is_tag(body, at + 1, name, slash_ends):
            count += 1
        at = body.find(b"<", at + 1, stop)
    return count
