"""Ruby annotations (furigana) read as the words they annotate.

<ruby>東<rt>とう</rt>京<rt>きょう</rt></ruby> shows 東京 with its reading in small type above. Resiliparse's
main-content heuristics keep the readings and drop the base characters, the words themselves
("私はとうきょうに住んでいます"); without them, base and reading run together ("東とう京きょう"). Before
extraction, each run of text and <ruby> elements side by side becomes one text node: the text with
each ruby's base text (without <rt>, <rtc>, <rp>), as a reader takes it. One node, not a node per
ruby: the heuristics drop a node of one character between two others (census.py; "電車で会社" lost
its で). Japanese educational, news and manga sites use ruby often.

Linear in the page: the tree is walked by sibling links (resiliparse's NodeList is quadratic to
iterate: 4,000 rubies took 34 s), each run is joined once.
"""
from __future__ import annotations

from resiliparse.parse.html import DOMNode, HTMLTree, NodeType

ANNOTATIONS = frozenset({"rt", "rtc", "rp"})


def flatten_ruby(tree: HTMLTree) -> None:
    """Replace each run of text nodes and outermost <ruby> elements in the tree by one text node."""
    if tree.body is None:
        return
    for parent in dict.fromkeys(ruby.parent for ruby in _outermost_rubies(tree.body)):  # each once: a parent's rubies
        _join_runs(tree, parent)  # may alternate with a child element's (<ruby/><b><ruby/></b> ...: quadratic before)


def _outermost_rubies(root: DOMNode) -> list[DOMNode]:
    """The <ruby> elements under root that are inside no other, in document order (not descending into them)."""
    found = []
    node = root.first_child
    while node is not None:
        child = None
        if node.type == NodeType.ELEMENT:
            if node.tag == "ruby":
                found.append(node)
            else:
                child = node.first_child
        if child is not None:
            node = child
            continue
        while node is not None and node.next is None:  # up to the next sibling of an ancestor below root
            node = node.parent
            if node is None or node == root:
                return found
        node = node.next
    return found


def _join_runs(tree: HTMLTree, parent: DOMNode) -> None:
    """Make each run of text nodes and <ruby> elements among parent's children one text node."""
    run: list[DOMNode] = []
    node = parent.first_child
    while True:
        if node is not None and (node.type == NodeType.TEXT or (node.type == NodeType.ELEMENT and node.tag == "ruby")):
            run.append(node)
        else:
            if any(n.type == NodeType.ELEMENT for n in run):
                parent.insert_before(tree.create_text_node("".join(_text(n) for n in run)), run[0])
                for n in run:
                    parent.remove_child(n)
            run = []
        if node is None:
            return
        node = node.next


def _text(node: DOMNode) -> str:
    return node.text if node.type == NodeType.TEXT else base_text(node)


def base_text(ruby: DOMNode) -> str:
    """The text of an element without its ruby annotations, in document order (no recursion: markup nests deep)."""
    out: list[str] = []
    stack = [ruby.first_child]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        stack.append(node.next)
        if node.type == NodeType.TEXT:
            out.append(node.text)
        elif node.type == NodeType.ELEMENT and node.tag not in ANNOTATIONS:
            stack.append(node.first_child)
    return "".join(out)
