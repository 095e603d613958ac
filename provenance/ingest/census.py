"""One pass over a page's markup for what later steps ask about: the start tags of nesting containers
(deep_markup.py's first bound) and of <ruby> (ruby.py), and CJK characters that stand alone between
two tags. In C, in the str's own code units (_native/archive.c: a few microseconds a page); the regex
here is the reference it is tested against.

Lone characters: resiliparse's main-content extraction drops a text node that is one character of
three UTF-8 bytes (a bullet or an arrow between links is navigation), and so drops the particles and
conjunctions of Chinese, Japanese and Korean between two links or bold words ("私は<a>東京</a>と<a>大阪</a>"
lost its と: "東京大阪", a false word; 8 of 11 odd tokens on 220 real pages), also when the page writes
it as a character reference (&#12392;: pages served in an 8-bit charset write all their CJK so). A mark
after each such character makes the node two characters; extract.py takes the marks out of the text
again. The mark is U+FDD0, a noncharacter (Unicode reserves it for a program's internal use: no page
text holds it), so taking every one out removes exactly what was put in; resiliparse keeps it as text.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from provenance.ingest.native import archive

_TAGS = re.compile(r"<(?:(div|article|ul|ol)|ruby)", re.IGNORECASE | re.ASCII)
LONE_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"  # CJK to ideographs, Hangul, compatibility, full width
_CJK = re.compile(f"[{LONE_CJK}]")
MAX_REFERENCE_DIGITS = 8  # as in the C census
_LONE = re.compile(rf">[ \t\n\r\f]*(?:([{LONE_CJK}])|&#([0-9]{{1,{MAX_REFERENCE_DIGITS}}});|&#[xX]([0-9a-fA-F]{{1,{MAX_REFERENCE_DIGITS}}});)"
                   r"[ \t\n\r\f]*(?=<)")
MARK = "\ufdd0"


class Census(NamedTuple):
    containers: int  # '<' followed by div, article, ul or ol (any ASCII case; a prefix is enough)
    rubies: int  # '<' followed by ruby
    lone: int  # CJK characters (or references to one) alone between a '>' and a '<'


def tag_census(html: str, native: bool | None = None) -> Census:
    """Count the '<' in html followed by a container's name, and by "ruby" (at least as many as the
    parsed tree has such elements: each is made from one start tag), and the lone CJK characters."""
    fast = archive(native)
    if fast is not None and hasattr(fast, "tag_census"):
        return Census(*fast.tag_census(html))
    containers = rubies = 0
    for m in _TAGS.finditer(html):
        if m.group(1):
            containers += 1
        else:
            rubies += 1
    return Census(containers, rubies, len(_lone_ends(html)))


def join_lone(html: str, native: bool | None = None) -> str:
    """html with MARK after each lone CJK character (after the ';' of a reference to one)."""
    fast = archive(native)
    if fast is not None and hasattr(fast, "join_lone"):
        return fast.join_lone(html, MARK)
    cuts = [0, *_lone_ends(html), len(html)]
    return MARK.join(html[a:b] for a, b in zip(cuts, cuts[1:]))


def _lone_ends(html: str) -> list[int]:
    """Where each lone CJK character ends (past the ';' of a reference to one)."""
    ends = []
    for m in _LONE.finditer(html):
        char, decimal, hexadecimal = m.groups()
        if char:
            ends.append(m.end(1))
        elif _is_cjk(int(decimal) if decimal else int(hexadecimal, 16)):
            ends.append(m.end(m.lastindex) + 1)
    return ends


def _is_cjk(code_point: int) -> bool:
    return code_point < 0x110000 and _CJK.fullmatch(chr(code_point)) is not None
