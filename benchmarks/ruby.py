"""Ruby flattening (provenance/ingest/ruby.py) stays linear in a page's rubies, on the shapes that
were quadratic: many rubies in one parent (resiliparse's NodeList iteration: 4,000 took 34 s) and
bare rubies alternating with wrapped ones (a parent walked once per wrapped one: 4,000 took 93 s).
Printed per shape and size: seconds, microseconds per ruby, and the per-ruby cost against the
smallest size in the same run (about 1.0 when linear), and the extraction of the same page without
flattening (the baseline: the cost ruby adds to a page that has it; measured ~30 us a ruby, about
ten times the extraction's own cost per ruby: each DOM step is a Python call into resiliparse, and
pages without ruby pay nothing but the census).
Usage: python benchmarks/ruby.py [--max-rubies 16000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHAPES = {
    "one parent": "私は<ruby>東<rt>とう</rt></ruby>に住む。",
    "alternating": "<ruby>漢<rt>かん</rt></ruby><b><ruby>字<rt>じ</rt></ruby></b>",
}


def main() -> None:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    from provenance.ingest.ruby import flatten_ruby

    ap = argparse.ArgumentParser()
    ap.add_argument("--max-rubies", type=int, default=16000)
    a = ap.parse_args()
    for shape, unit in SHAPES.items():
        base = None
        n = 1000
        while n <= a.max_rubies:
            page = f"<html><body><div><p>{unit * n}</p></div></body></html>"
            tree = HTMLTree.parse(page)
            t0 = time.perf_counter()
            flatten_ruby(tree)
            flat = time.perf_counter() - t0
            t0 = time.perf_counter()
            extract_plain_text(HTMLTree.parse(page), main_content=True)
            extract = time.perf_counter() - t0
            rubies = n * unit.count("<ruby>")
            per = flat / rubies * 1e6
            base = base or per
            print(f"{shape:12s} {rubies:7,} rubies: flatten {flat:6.3f} s ({per:5.1f} us/ruby, {per / base:4.2f}x the smallest's), "
                  f"extraction alone {extract:6.3f} s")
            n *= 2


if __name__ == "__main__":
    main()
