"""One pass over a page's markup for what later steps ask about: the start tags of nesting containers
(deep_markup.py's first bound) and of <ruby> (ruby.py), and CJK characters that stand alone between
two tags. In C, in the str's own code units (_native/archive.c: a few microseconds a page); the regex
here is the reference it is tested against.

Lone characters: resiliparse's main-content extraction drops a text node that is one character of
three UTF-8 bytes (a bullet or an arrow between links is navigation), and so drops the particles and
conjunctions of Chinese, Japanese and Korean between two links or bold words ("私は<a>東京</a>と<a>大阪</a>"
lost its と: "東京大阪", a false word; 8 of 11 odd tokens on 220 real pages). A word joiner (U+2060,
invisible) after each such CJK character makes the node two characters; extract.py takes them out of
the text again.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from provenance.ingest.native import archive

_TAGS = re.compile(r"<(?:(div|article|ul|ol)|ruby)", re.IGNORECASE | re.ASCII)
LONE_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"  # CJK to ideographs, Hangul, compatibility, full width
_LONE = re.compile(rf">[ \t\n\r\f]*([{LONE_CJK}])[ \t\n\r\f]*(?=<)")
JOINER = "\u2060"


class Census(NamedTuple):
    containers: int  # '<' followed by div, article, ul or ol (any ASCII case; a prefix is enough)
    rubies: int  # '<' followed by ruby
    lone: list[int]  # the position just past each CJK character alone between a '>' and a '<'


def tag_census(html: str, native: bool | None = None) -> Census:
    """Count the '<' in html followed by a container's name, and by "ruby" (at least as many as the
    parsed tree has such elements: each is made from one start tag), and find the lone CJK characters."""
    fast = archive(native)
    if fast is not None and hasattr(fast, "tag_census"):
        return Census(*fast.tag_census(html))
    containers = rubies = 0
    for m in _TAGS.finditer(html):
        if m.group(1):
            containers += 1
        else:
            rubies += 1
    return Census(containers, rubies, [m.end(1) for m in _LONE.finditer(html)])


def join_lone(html: str, lone: list[int]) -> str:
    """html with a word joiner after each lone character (the census's positions)."""
    cuts = [0, *lone, len(html)]
    return JOINER.join(html[a:b] for a, b in zip(cuts, cuts[1:]))
