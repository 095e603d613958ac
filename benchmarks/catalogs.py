"""Real text in many languages from the machine's gettext message catalogs (/usr/share/locale/<lang>/LC_MESSAGES/*.mo,
Debian's translations of its programs' messages), for the benchmarks of language and charset reading."""
from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Callable

_MARKUP = re.compile(r"%[a-z0-9.$-]*|\{[^}]*\}|<[^>]*>|&\w+;")


def messages(folder: Path, keep: Callable[[str], bool]) -> list[str]:
    """The translated messages of one language's catalogs over 20 characters that `keep` keeps (not the header), with
    printf formats, placeholders, markup and newlines made spaces."""
    out = []
    for path in sorted(folder.glob("*.mo")):
        try:
            with open(path, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 (the only way to list a catalog)
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        out += [_MARKUP.sub(" ", text).replace("\n", " ") for key, text in catalog.items()
                if key and isinstance(text, str) and len(text) > 20 and keep(text)]
    return out


def passages(texts: list[str], size: int, count: int, codec: str | None = None) -> list[str]:
    """Up to `count` passages of about `size` characters, texts joined in order (only those `codec` can encode)."""
    out, current = [], ""
    for text in texts:
        if codec is not None:
            try:
                text.encode(codec)
            except UnicodeEncodeError:
                continue
        current += text + " "
        if len(current) >= size:
            out.append(current)
            current = ""
            if len(out) == count:
                break
    return out
