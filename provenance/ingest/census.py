"""One pass over a page's markup for the start tags that later steps ask about: the nesting
containers (deep_markup.py's first bound) and <ruby> (ruby.py). In C, in the str's own code units
(_native/archive.c: a few microseconds a page); this regex is the reference it is tested against.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from provenance.ingest.native import archive

_TAGS = re.compile(r"<(?:(div|article|ul|ol)|ruby)", re.IGNORECASE | re.ASCII)


class Census(NamedTuple):
    containers: int  # '<' followed by div, article, ul or ol (any ASCII case; a prefix is enough)
    rubies: int  # '<' followed by ruby


def tag_census(html: str, native: bool | None = None) -> Census:
    """Count the '<' in html followed by a container's name, and by "ruby": at least as many as the
    parsed tree has such elements (each is made from one start tag)."""
    fast = archive(native)
    if fast is not None and hasattr(fast, "tag_census"):
        return Census(*fast.tag_census(html))
    containers = rubies = 0
    for m in _TAGS.finditer(html):
        if m.group(1):
            containers += 1
        else:
            rubies += 1
    return Census(containers, rubies)
