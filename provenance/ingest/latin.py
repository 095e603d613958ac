"""Which 8-bit Latin charset a text is in, where charset detection is unsure: the one whose reading uses one
language's letters.

Charset detection (uchardet) names Central European, Baltic and Turkish charsets rightly for text in them, but
names them for some Western text too (a short Spanish, Catalan or Icelandic passage is now and then
"iso8859-2" or "windows-1250"), and those charsets read the other's letters as letters of their own: Czech in
windows-1250 read as Windows-1252 is "nesplnìných", Spanish in Windows-1252 read as windows-1250 "seňor". So the
two readings are told apart by their letters: the one whose letters beyond ASCII belong to the alphabet of one
language written in that charset reads right ("ě", "ř" and "ů" together are Czech; "ì", "ø" and "ù" are no one
language's). Where they tie, Windows-1252, the charset of most such pages, is kept.
"""
from __future__ import annotations

import re
from collections import Counter

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
_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")


def letters_fit(text: str, charset: str) -> float:
    """The share of text's characters beyond ASCII that are letters of one language written in charset (the
    language whose letters cover most of them); 1.0 where there are none."""
    seen = Counter(_BEYOND_ASCII.findall(text.lower()))
    total = sum(seen.values())
    if not total:
        return 1.0
    return max(sum(n for ch, n in seen.items() if ch in letters) for letters in ALPHABETS[charset].values()) / total


def pick(data: bytes, candidate: str, default: str = "cp1252") -> str:
    """candidate (a charset of ALPHABETS, as detection named it) or default, whichever reads data as more of one
    language's letters; default where they tie."""
    fit = letters_fit(data.decode(candidate, "replace"), candidate)
    return candidate if fit > letters_fit(data.decode(default, "replace"), default) else default
