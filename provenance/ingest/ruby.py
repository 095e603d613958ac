"""Ruby annotations (furigana) read as the words they annotate.

<ruby>東<rt>とう</rt>京<rt>きょう</rt></ruby> shows 東京 with its reading in small type above. Resiliparse's
main-content heuristics keep the readings and drop the base characters, the words themselves
("私はとうきょうに住んでいます"); without them, base and reading run together ("東とう京きょう"). Before
extraction each <ruby> of a page that has readings becomes a text node of its base text (without
<rt>, <rtc>, <rp>), as a reader takes it. Japanese educational, news and manga sites use ruby often.
"""
from __future__ import annotations

from resiliparse.parse.html import DOMNode, HTMLTree, NodeType

ANNOTATIONS = frozenset({"rt", "rtc", "rp"})


def has_readings(html: str) -> bool:
    """Whether a page may hold ruby readings (a cheap test on the markup: most pages have none)."""
    return "<rt" in html or "<RT" in html


def flatten_ruby(tree: HTMLTree) -> None:
    """Replace each outermost <ruby> element in the tree by a text node of its base text."""
    if tree.body is None:
        return
    for ruby in tree.body.query_selector_all("ruby"):  # document order: an outer one before those inside it
        parent = ruby.parent
        if parent is None or not _outermost(ruby):
            continue
        # one text node with the text around it: the heuristics drop a text node between two others ("電車で会社" lost its で)
        before, after, text = ruby.prev, ruby.next, base_text(ruby)
        if before is not None and before.type == NodeType.TEXT:
            text = before.text + text
            parent.remove_child(before)
        if after is not None and after.type == NodeType.TEXT:
            text += after.text
            parent.remove_child(after)
        parent.replace_child(tree.create_text_node(text), ruby)


def _outermost(node: DOMNode) -> bool:
    """Whether no ancestor of node is a <ruby> (one inside another went with it when the outer was replaced)."""
    up = node.parent
    while up is not None:
        if up.type == NodeType.ELEMENT and up.tag == "ruby":
            return False
        up = up.parent
    return True


def base_text(ruby: DOMNode) -> str:
    """The text of an element without its ruby annotations, in document order (no recursion: markup nests deep)."""
    out: list[str] = []
    stack = list(ruby.child_nodes)[::-1]
    while stack:
        node = stack.pop()
        if node.type == NodeType.TEXT:
            out.append(node.text)
        elif node.type == NodeType.ELEMENT and node.tag not in ANNOTATIONS:
            stack.extend(list(node.child_nodes)[::-1])
    return "".join(out)
