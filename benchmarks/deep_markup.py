"""Pages that never close their <div>s: resiliparse's main-content extraction against ours, same process.

Main-content extraction costs time in proportion to the pairs of nested divs (quadratic in a chain's
depth); provenance reads such pages whole, in linear time (provenance/ingest/deep_markup.py). Printed
per number of unclosed divs: seconds of resiliparse's main-content call on the page (the baseline),
of provenance's extraction of the same body (the depth check included), and their ratio; then the
cost of the check on an ordinary page (a count of container tags: the price every HTML page pays),
on a large shallow page (past that count's bound: the tree serialized and read in C), and on the same
page where the serialized text cannot be read (the tree walked), each against the page's extraction.
Usage: python benchmarks/deep_markup.py [--max-divs 16000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def seconds(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    from provenance.ingest.deep_markup import NESTING_FLOOR, container_tags, too_deep, walked_pairs
    from provenance.ingest.extract import _from_body

    ap = argparse.ArgumentParser()
    ap.add_argument("--max-divs", type=int, default=16_000)
    a = ap.parse_args()
    prose = "The ferry did not run and the village waited on the bank for news of the river. "
    print(f"{'unclosed divs':>14} {'resiliparse main content':>25} {'provenance':>11} {'ratio':>8}")
    n = 500
    while n <= a.max_divs:
        body = f"<html><body><nav>menu</nav>{'<div>' + prose * 2}{'<div>' * (n - 1)}</body></html>".encode()
        base = seconds(lambda body=body: extract_plain_text(HTMLTree.parse(body.decode()), main_content=True))
        ours = seconds(lambda body=body: _from_body(body, "text/html", "utf-8", None))
        print(f"{n:>14,} {base:>24.4f}s {ours:>10.4f}s {base / ours:>7.1f}x")
        n *= 2
    def rows(n: int) -> str:
        return "".join(f'<div class="row"><p>{prose * 3}</p><a href="/x">more</a></div>' for _ in range(n))

    for label, text in [("an ordinary", f"<html><body>{rows(60)}</body></html>"),
                        ("a large shallow", f"<html><body><main><ul>{'<li>' + rows(1) * 2}</ul>{rows(1600)}</main></body></html>")]:
        tree = HTMLTree.parse(text)
        reps = max(20, 2_000_000 // len(text))
        check = seconds(lambda text=text, tree=tree, reps=reps: [too_deep(text, tree) for _ in range(reps)]) / reps
        body, times = text.encode(), max(5, reps // 50)
        whole = seconds(lambda body=body, times=times: [_from_body(body, "text/html", "utf-8", None) for _ in range(times)]) / times
        print(f"check of {label} {len(text) // 1000} KB page ({container_tags(text):,} container tags, bound at "
              f"{NESTING_FLOOR + 1 + 1414:,}): {check * 1e6:,.1f} us, {100 * check / whole:.1f}% of its extraction ({whole * 1e6:,.0f} us)")
    walk = seconds(lambda: walked_pairs(tree), repeat=3)
    print(f"  the same page walked (where its serialization cannot be read): {walk * 1e6:,.0f} us, {100 * walk / whole:.0f}% of its extraction")

if __name__ == "__main__":
    main()
