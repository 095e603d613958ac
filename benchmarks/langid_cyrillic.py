"""The Slavic languages written in Cyrillic: the detector alone against provenance's language (langid.settle).

Real text in each language from the machine's gettext message catalogs (/usr/share/locale/<lang>/LC_MESSAGES/*.mo,
Debian's translations of its programs' messages), shuffled with a fixed seed and joined into passages of about 200,
1,000 and 4,000 characters, up to 60 of each, lower-cased and NFKC-folded as ingest gives them to the detector (its
first 2,000 characters). Printed per language and length: passages, the share the detector alone reads right, the
share provenance reads right, and provenance's commonest answers; then the time each takes a passage.
Usage: python benchmarks/langid_cyrillic.py [--locale-dir /usr/share/locale]
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogs import messages, passages  # noqa: E402

LANGS = ("ru", "uk", "be", "bg", "mk", "sr", "kk")
SIZES = (200, 1000, 4000)
PASSAGES = 60

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locale-dir", default="/usr/share/locale")
    args = parser.parse_args()
    from resiliparse.parse.lang import detect_fast

    from provenance.ingest.features import LANG_CHARS
    from provenance.ingest.langid import settle
    from provenance.ingest.tokenize import normalize_texts

    rng = random.Random(1)
    seconds = {"detector": 0.0, "provenance": 0.0}
    n = 0
    print(f"{'lang':<5}{'chars':>6}{'passages':>9}{'detector':>10}{'provenance':>11}  provenance's answers")
    for lang in LANGS:
        texts = messages(Path(args.locale_dir, lang, "LC_MESSAGES"), lambda text: re.search("[а-яА-Я]", text) is not None)
        if not texts:
            print(f"{lang:<5} no message catalogs in {args.locale_dir}/{lang}/LC_MESSAGES")
            continue
        rng.shuffle(texts)
        for size in SIZES:
            samples = [t[:LANG_CHARS] for t in normalize_texts(passages(texts, size, PASSAGES))]
            if not samples:
                continue
            t0 = time.perf_counter()
            alone = [detect_fast(t)[0] for t in samples]
            t1 = time.perf_counter()
            told = [settle(t, *detect_fast(t))[0] for t in samples]
            t2 = time.perf_counter()
            seconds["detector"] += t1 - t0
            seconds["provenance"] += t2 - t1
            n += len(samples)
            right = lambda answers: sum(a == lang for a in answers) / len(samples)  # noqa: E731
            answers = ", ".join(f"{code} {k}" for code, k in Counter(told).most_common(3))
            print(f"{lang:<5}{size:>6}{len(samples):>9}{right(alone):>10.0%}{right(told):>11.0%}  {answers}")
    if n:
        d, p = (seconds[k] / n * 1e6 for k in ("detector", "provenance"))
        print(f"per passage: detector {d:.0f} us, provenance {p:.0f} us ({p / d:.2f}x the detector alone)")


if __name__ == "__main__":
    main()
