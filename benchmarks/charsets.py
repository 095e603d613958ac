"""Text in a legacy charset that a server or page labels wrongly: how much of it provenance reads right.

Real text in each language from the machine's gettext message catalogs (/usr/share/locale/<lang>/LC_MESSAGES/*.mo,
Debian's translations of its programs' messages), shuffled with a fixed seed and joined into passages of about 60,
150, 300 and 1,500 characters (up to 40 of each), encoded in the charsets the language was written in before UTF-8,
then read by ingest's decoder (extract._decode_text) under three labels: UTF-8 (a server's default on an old page),
none (charset detection alone) and, for HTML, a <meta charset> naming the right charset under a server's Latin-1
default. Printed per language and charset: passages, and how many come back exactly as they were under each label;
then the totals, and the time a passage takes.
Usage: python benchmarks/charsets.py [--locale-dir /usr/share/locale]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogs import messages, passages  # noqa: E402

# language: the charsets its text was written in
CASES = {
    "es": ["cp1252"], "fr": ["cp1252"], "de": ["cp1252"], "pt": ["cp1252"], "it": ["cp1252"], "nl": ["cp1252"], "sv": ["cp1252"],
    "da": ["cp1252"], "fi": ["cp1252"], "ca": ["cp1252"], "gl": ["cp1252"], "eu": ["cp1252"], "nb": ["cp1252"], "is": ["cp1252"],
    "ga": ["cp1252"], "af": ["cp1252"], "et": ["cp1252", "cp1257"],
    "pl": ["iso8859-2", "cp1250"], "cs": ["iso8859-2", "cp1250"], "sk": ["iso8859-2", "cp1250"], "hu": ["iso8859-2", "cp1250"],
    "sl": ["iso8859-2", "cp1250"], "hr": ["iso8859-2", "cp1250"], "bs": ["cp1250"], "ro": ["iso8859-16"],
    "tr": ["iso8859-9", "cp1254"], "lt": ["iso8859-13", "cp1257"], "lv": ["iso8859-13", "cp1257"],
    "ru": ["cp1251", "koi8-r"], "uk": ["cp1251", "koi8-u"], "bg": ["cp1251"], "el": ["iso8859-7", "cp1253"],
    "he": ["cp1255", "iso8859-8"], "ja": ["shift_jis", "euc_jp"], "zh_CN": ["gbk"], "zh_TW": ["big5"], "ko": ["euc-kr"],
    "th": ["cp874"], "vi": ["cp1258"],
}
SIZES = (60, 150, 300, 1500)
PASSAGES = 40

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locale-dir", default="/usr/share/locale")
    args = parser.parse_args()
    from resiliparse.parse.encoding import detect_encoding

    from provenance.ingest.extract import _decode_text

    rng = random.Random(1)
    totals = {"passages": 0, "utf-8": 0, "none": 0, "meta": 0}
    seconds = 0.0
    print(f"{'lang':<7}{'charset':<12}{'passages':>9}{'as UTF-8':>10}{'unlabelled':>11}{'meta under Latin-1':>20}")
    for lang, codecs in CASES.items():
        texts = messages(Path(args.locale_dir, lang, "LC_MESSAGES"), lambda text: not text.isascii())
        if not texts:
            print(f"{lang:<7}no message catalogs in {args.locale_dir}/{lang}/LC_MESSAGES")
            continue
        rng.shuffle(texts)
        for codec in codecs:
            right = {"utf-8": 0, "none": 0, "meta": 0}
            n = 0
            for size in SIZES:
                for text in passages(texts, size, PASSAGES, codec):
                    data = text.encode(codec)
                    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={codec}"></head><body><p>{text}</p></body></html>'
                    t0 = time.perf_counter()
                    right["utf-8"] += _decode_text(data, "utf-8") == text
                    right["none"] += _decode_text(data, detect_encoding(data)) == text
                    right["meta"] += _decode_text(page.encode(codec), "iso-8859-1", html=True) == page
                    seconds += time.perf_counter() - t0
                    n += 1
            totals["passages"] += n
            for key in right:
                totals[key] += right[key]
            print(f"{lang:<7}{codec:<12}{n:>9}{right['utf-8']:>10}{right['none']:>11}{right['meta']:>20}")
    n = totals["passages"]
    print(f"{'all':<19}{n:>9}" + "".join(f"{100 * totals[k] / max(n, 1):>{w}.1f}%" for k, w in (("utf-8", 9), ("none", 10), ("meta", 19))))
    print(f"{1e6 * seconds / max(n, 1) / 3:.0f} us a passage and label (all three labels, every size)")


if __name__ == "__main__":
    main()
