"""Which 8-bit Latin charset a text is in, where charset detection is unsure: the one whose reading uses one
language's letters.

Charset detection (uchardet) names Central European, Baltic and Turkish charsets rightly for text in them, but
names them for some Western text too (a short Spanish, Catalan or Icelandic passage is now and then
"iso8859-2" or "windows-1250"), and those charsets read the other's letters as letters of their own: Czech in
windows-1250 read as Windows-1252 is "nesplnìných", Spanish in Windows-1252 read as windows-1250 "seňor". So the
two readings are told apart by their letters: the one whose letters beyond ASCII belong to the alphabet of one
language written in that charset reads right ("ě", "ř" and "ů" together are Czech; "ì", "ø" and "ù" are no one
language's). Text mixes two languages' letters where it names people and places ("Fernández met Søren", a Slovene
page's "Müller"), so Windows-1252's reading may use two Western alphabets (not Icelandic's: its ð þ ý are what Turkish
ğ ş ı read as), the others' one of theirs with German's.
Where the readings tie (Latvian's ā č ē read as French â è ç), the language detector decides: the other charset's
reading is taken where it reads as one of that charset's languages, unless Windows-1252's reads as a Western language
and is written in that language's letters; else Windows-1252, the charset of most such pages, is kept. (Measured: benchmarks/charsets.py, and a helper's corpus of man
pages, glibc locales and mixed-language passages; see the CHANGELOG.)
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import combinations

from provenance.ingest.tokenize import normalize_texts

# The lower-case letters beyond ASCII of the languages written in each charset family (their standard alphabets,
# with the letters of loanwords they commonly print)
_WESTERN = {
    "es": "áéíóúüñ", "pt": "áâãàçéêíóôõúü", "fr": "àâæçéèêëîïôœùûüÿ", "de": "äöüß", "it": "àèéìíîòóùú",
    "nl": "éëïóöüèáíú", "ca": "àéèíïóòúüç·", "gl": "áéíóúñü", "eu": "ñüáé", "sv": "åäöé", "fi": "åäöšž",
    "da": "æøåé", "no": "æøåéèóô", "is": "áéíóúýþæöð", "ga": "áéíóú", "af": "êëéèîïôöûüáóú", "et": "õäöüšž",
    "en": "éèïçñ", "sq": "çë", "cy": "âêîôûŵŷäëïöüáéíóú",
}
_CENTRAL = {  # windows-1250, ISO-8859-2, ISO-8859-16
    "pl": "ąćęłńóśźż", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž", "hu": "áéíóöőúüű", "sl": "čšžćđ",
    "hr": "čćđšž", "ro": "ăâîșțşţ", "de": "äöüß", "sq": "çë",
}
_BALTIC = {  # windows-1257, ISO-8859-13, ISO-8859-4
    "lt": "ąčęėįšųūž", "lv": "āčēģīķļņšūž", "et": "õäöüšž", "de": "äöüß", "fi": "åäöšž", "sv": "åäöé",
}
_TURKISH = {"tr": "çğıöşüâîû", "az": "çəğıöşü", "de": "äöüß"}  # windows-1254, ISO-8859-9
ALPHABETS = {
    "cp1252": _WESTERN, "cp1250": _CENTRAL, "iso8859-2": _CENTRAL, "iso8859-16": _CENTRAL,
    "cp1257": _BALTIC, "iso8859-13": _BALTIC, "iso8859-4": _BALTIC, "cp1254": _TURKISH, "iso8859-9": _TURKISH,
}
# The languages written in each charset (besides Western ones), as the language detector names them
LANGUAGES = {
    **dict.fromkeys(("cp1250", "iso8859-2", "iso8859-16"), frozenset({"pl", "cs", "sk", "hu", "sl", "hr", "ro", "bs", "sr", "sq"})),
    **dict.fromkeys(("cp1257", "iso8859-13", "iso8859-4"), frozenset({"lt", "lv", "et"})),
    **dict.fromkeys(("cp1254", "iso8859-9"), frozenset({"tr", "az"})),
}
UNPAIRED = ("is",)  # Western languages whose letters a Western text does not mix with another's
_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")
_MARKUP = re.compile(r"<[^>]*>|&\w+;")
SAMPLE_BYTES = 65536  # of a page, read both ways: its letters are known long before its end (a 16 MB page took 1.8 s)


@lru_cache(maxsize=None)
def _letter_sets(charset: str) -> tuple[frozenset[str], ...]:
    """The alphabets a reading in charset may use: one language's; in Windows-1252 two Western languages' (a Søren and a
    Fernández); in the others one language's with German's (a Slovene page names a Müller). (Measured: two of any of
    their family lost twice as many mixed Western passages, 32 of 9,054, for the same Central European ones.)"""
    alphabets = ALPHABETS[charset]
    sets = [frozenset(letters) for letters in alphabets.values()]
    if charset == "cp1252":
        pairable = [frozenset(letters) for lang, letters in alphabets.items() if lang not in UNPAIRED]
        return tuple(sets + [a | b for a, b in combinations(pairable, 2)])
    return tuple(sets + [frozenset(letters) | frozenset(alphabets["de"]) for lang, letters in alphabets.items() if lang != "de"])


def letters_fit(text: str, charset: str) -> float:
    """The share of text's characters beyond ASCII that are letters of an alphabet a reading in charset may use (the
    one that covers most of them: _letter_sets); 1.0 where there are none."""
    seen = _beyond_ascii(text)
    return max(_share(seen, letters) for letters in _letter_sets(charset))


def fits_as_well(data: bytes, candidate: str, default: str = "cp1252") -> bool:
    """Whether data read in candidate (a charset of LANGUAGES) is letters of its alphabets as much as read in default
    is of Western ones (the first SAMPLE_BYTES)."""
    fit, default_fit, _, _ = _fits(data, candidate, default)
    return fit >= default_fit


def pick(data: bytes, candidate: str, default: str = "cp1252") -> str:
    """candidate (a charset of LANGUAGES, as detection named it) or default (Windows-1252): whichever reads data as
    more of an alphabet's letters; where they tie, candidate where its reading is one of its languages to the language
    detector and default's is not a Western language written in that language's letters; else default."""
    fit, default_fit, ours, theirs = _fits(data, candidate, default)
    if fit != default_fit or not fit:
        return candidate if fit > default_fit else default
    from provenance.ingest.features import detect_languages  # (here: rare, and it imports pyarrow; pages.py imports this
    # module in the writer)
    words = normalize_texts([_MARKUP.sub(" ", text) for text in (ours, theirs)])  # (an HTML page's tags read as English)
    (ours_lang, theirs_lang), _ = detect_languages(words)
    if ours_lang not in LANGUAGES[candidate]:
        return default
    western = ALPHABETS[default].get(theirs_lang)  # a Western answer stands where the reading is that language's letters
    return default if western is not None and _share(_beyond_ascii(theirs), frozenset(western)) == 1.0 else candidate


def _fits(data: bytes, candidate: str, default: str) -> tuple[float, float, str, str]:
    """letters_fit of data's first SAMPLE_BYTES read in candidate and in default, and the two readings."""
    sample = data[:SAMPLE_BYTES]
    ours, theirs = sample.decode(candidate, "replace"), sample.decode(default, "replace")
    return letters_fit(ours, candidate), letters_fit(theirs, default), ours, theirs


def _beyond_ascii(text: str) -> Counter[str]:
    return Counter(_BEYOND_ASCII.findall(text.lower()))


def _share(seen: Counter[str], letters: frozenset[str]) -> float:
    """The share of the characters counted in seen that are in letters; 1.0 where none were counted."""
    total = sum(seen.values())
    return sum(n for ch, n in seen.items() if ch in letters) / total if total else 1.0
