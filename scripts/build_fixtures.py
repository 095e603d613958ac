#!/usr/bin/env python3
"""Rebuild the committed test fixtures under fixtures/ from Debian's python3-doc HTML.

    python scripts/build_fixtures.py [--source-dir DIR] [--out fixtures]

Every byte is a function of the source documentation, the fixed seed and the versions of Python,
zlib and Resiliparse (recorded in fixtures/truth.json): record IDs are derived from SHA-256, dates
are fixed, gzip members carry mtime=0, and nothing iterates over a set or the file system unsorted.

The builder is a chain of small steps so that later issues can add inputs (for example LLM-written
machine documents for 2021-2025): load_sections -> documents_for_year (one call per YearSpec) ->
extract texts -> measure truth -> write one file per format -> write broken files -> truth.json and
README.md. Machine documents would be one more list passed to documents_for_year.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import gzip
import hashlib
import html
import json
import math
import platform
import random
import re
import sys
import unicodedata
import uuid
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from importlib.metadata import version as package_version
from pathlib import Path

from resiliparse.extract.html2text import extract_plain_text

SEED = 20241125
SOURCE_CANDIDATES = ("/usr/share/doc/python3-doc/html", "/usr/share/doc/python3.11/html")
SHINGLE_SIZE = 5
NEAR_DUP_JACCARD = 0.9          # planned near-copies are at least this similar
UNRELATED_MAX_JACCARD = 0.5     # any other pair of documents stays below this
TRUTH_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)   # counts must not change across these
WORDS_PER_EDIT = 160            # 1 changed word per 160: 5-shingle Jaccard ~0.94 (>= 0.9 checked)
MAX_SECTION_HTML = 5000
MIN_SECTION_WORDS = 120
BROKEN_CRAWL = "CC-MAIN-2024-10"

TOPIC_OF_DIR = {
    "library": "reference", "c-api": "reference", "reference": "reference",
    "tutorial": "guide", "howto": "guide", "faq": "guide", "using": "guide", "extending": "guide",
    "installing": "guide", "install": "guide", "distributing": "guide", "distutils": "guide",
    "whatsnew": "news",
}
TOPICS = ("reference", "guide", "news")
WWW_HOSTS = (3, 11, 19, 27, 35)
N_HOSTS = 40
SERVERS = ("nginx/1.18.0", "Apache/2.4.41 (Ubuntu)", "nginx", "Apache", "cloudflare", "Microsoft-IIS/10.0")
REPLACEMENT_WORDS = ("value", "object", "method", "module", "string", "number", "example", "default",
                     "function", "argument", "result", "instance", "program", "version", "system")
WORD_RE = re.compile(r"\w+")


# ---------------------------------------------------------------------------------------------
# Specification of the crawl years
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearSpec:
    """Everything that distinguishes one crawl year's fixture."""

    year: int
    crawl: str
    start: datetime
    fmt: str                 # arc | warc-member | warc-file | wet
    n_docs: int              # documents in the main file (plus plain_docs in the .warc)
    topic_mix: tuple[float, float, float]   # reference, guide, news share of fresh pages
    tail_bias: float         # +: seek the baseline's tail vocabulary, -: avoid it (see fresh_sections)
    near_dup_rate: float     # target share of docs beyond the first of their in-year cluster
    carry_rate: float        # target share of docs that are copies of an earlier year's page
    exact_dups: int          # same extracted text, different URL, within the year
    https_share: float
    url_reuse: float         # share of fresh pages published at a URL of the previous year
    warc_version: str = "1.0"
    is_part_of: bool = True
    plain_docs: int = 0      # documents moved into an extra uncompressed .warc file
    requests: bool = True
    metadata: bool = False


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


YEARS = (
    YearSpec(2013, "CC-MAIN-2013-20", utc(2013, 5, 18, 5, 27, 41), "arc", 150, (1.00, 0.00, 0.00),
             0.00, 0.02, 0.00, 1, 0.00, 0.00, requests=False),
    YearSpec(2017, "CC-MAIN-2017-34", utc(2017, 8, 16, 12, 3, 9), "warc-member", 160,
             (0.80, 0.12, 0.08), 0.60, 0.05, 0.05, 2, 0.30, 0.15),
    YearSpec(2019, "CC-MAIN-2019-35", utc(2019, 8, 17, 9, 45, 21), "warc-file", 170,
             (0.60, 0.24, 0.16), 0.20, 0.08, 0.08, 2, 0.70, 0.15, is_part_of=False, requests=False),
    YearSpec(2021, "CC-MAIN-2021-31", utc(2021, 7, 23, 22, 14, 3), "wet", 180, (0.40, 0.36, 0.24),
             -0.30, 0.12, 0.10, 3, 0.85, 0.15),
    YearSpec(2023, "CC-MAIN-2023-23", utc(2023, 5, 27, 19, 31, 58), "warc-member", 165,
             (0.20, 0.48, 0.32), -0.60, 0.18, 0.15, 3, 0.95, 0.15, plain_docs=25, metadata=True),
    YearSpec(2025, "CC-MAIN-2025-05", utc(2025, 1, 13, 16, 51, 7), "warc-member", 200,
             (0.00, 0.60, 0.40), -0.85, 0.25, 0.20, 4, 1.00, 0.15, warc_version="1.1", metadata=True),
)


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    key: str          # "library/json.html#basic-usage"
    topic: str
    title: str
    html: str         # the section's own HTML (child sections removed)
    words: tuple[str, ...]


@dataclass
class Doc:
    doc_id: str
    year: int
    url: str
    title: str
    body: str                    # article HTML, or the payload text for text/plain documents
    role: str                    # fresh | near_dup | exact_dup | carry_exact | carry_near | special
    source: str                  # section key or special name
    of: str | None = None        # doc_id this one copies
    topic: str = "special"
    lang: str = "en"
    charset: str = "utf-8"
    charset_in: str = "header+meta"   # where the charset is declared: header | meta | header+meta
    transport: str = "identity"
    media: str = "text/html"
    origin: str = "python3-doc"
    file: str = ""
    record_id: str = ""
    text: str = ""


@dataclass
class Capture:
    """A non-document capture (image, PDF, error page, revisit)."""

    kind: str        # png | pdf | 404 | revisit
    url: str
    payload: bytes = b""
    media: str = ""
    refers_to: Doc | None = None


@dataclass
class YearPlan:
    spec: YearSpec
    docs: list[Doc]
    extras: list[Capture] = field(default_factory=list)


def words_of(text: str) -> list[str]:
    """Tokenize as the truth does: NFKC, lower case, regex \\w+."""
    return WORD_RE.findall(unicodedata.normalize("NFKC", text).lower())


def shingles(text: str) -> frozenset[str]:
    """Word 5-shingles; a text of fewer than 5 words is one shingle of all its words."""
    w = words_of(text)
    if len(w) < SHINGLE_SIZE:
        return frozenset([" ".join(w)]) if w else frozenset()
    return frozenset(" ".join(w[i:i + SHINGLE_SIZE]) for i in range(len(w) - SHINGLE_SIZE + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# ---------------------------------------------------------------------------------------------
# Source sections
# ---------------------------------------------------------------------------------------------

SECTION_TAG_RE = re.compile(r'<section id="([^"]+)">|</section>')
TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>", re.S)
VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
HEADERLINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
HEADING_RE = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.S)


def strip_tags(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def truncate_html(fragment: str, limit: int) -> str:
    """Cut HTML at the last top-level element boundary before limit characters."""
    depth, best = 0, 0
    for m in TAG_RE.finditer(fragment):
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if name in VOID_TAGS or selfclosing:
            continue
        depth += -1 if closing else 1
        if depth == 0 and closing:
            if m.end() > limit:
                break
            best = m.end()
    return fragment[:best]


def split_sections(page: str) -> list[tuple[str, str]]:
    """Return (anchor, own HTML) for every <section> of a Sphinx page, child sections removed."""
    spans: list[tuple[str, int, int, list[tuple[int, int]]]] = []
    stack: list[tuple[str, int, int, list[tuple[int, int]]]] = []
    for m in SECTION_TAG_RE.finditer(page):
        if m.group(1) is not None:
            stack.append((m.group(1), m.start(), m.end(), []))
        elif stack:
            anchor, start, body_start, children = stack.pop()
            spans.append((anchor, body_start, m.start(), children))
            if stack:
                stack[-1][3].append((start, m.end()))
    out = []
    for anchor, body_start, body_end, children in spans:
        parts, pos = [], body_start
        for c_start, c_end in sorted(children):
            parts.append(page[pos:c_start])
            pos = c_end
        parts.append(page[pos:body_end])
        out.append((anchor, HEADERLINK_RE.sub("", "".join(parts)).strip()))
    return out


def load_sections(source_dir: Path) -> list[Section]:
    """Read every topic page, split it into sections and drop short and mutually similar ones."""
    sections = []
    for path in sorted(source_dir.rglob("*.html")):
        rel = path.relative_to(source_dir).as_posix()
        topic = TOPIC_OF_DIR.get(rel.split("/")[0]) if "/" in rel else None
        if topic is None:
            continue
        for anchor, own in split_sections(path.read_text(encoding="utf-8")):
            own = truncate_html(own, MAX_SECTION_HTML)
            heading = HEADING_RE.search(own)
            if heading is None or len(words_of(strip_tags(own))) < MIN_SECTION_WORDS:
                continue
            title = strip_tags(heading.group(1))
            # Resiliparse's main-content heuristics drop list-heavy sections: keep what survives.
            words = tuple(words_of(extract_text(Doc("", 0, "", title, own, "fresh", ""))))
            if len(words) < MIN_SECTION_WORDS or len(words) < 0.5 * len(words_of(strip_tags(own))):
                continue
            sections.append(Section(f"{rel}#{anchor}", topic, title, own, words))
    return dedup_pool(sorted(sections, key=lambda s: s.key))


def dedup_pool(sections: list[Section], max_jaccard: float = 0.3) -> list[Section]:
    """Keep sections (in key order) that share little text with every section kept before."""
    index: dict[str, list[int]] = {}
    kept: list[tuple[Section, frozenset[str]]] = []
    for s in sections:
        sh = shingles(" ".join(s.words))
        counts: dict[int, int] = {}
        for g in sh:
            for k in index.get(g, ()):
                counts[k] = counts.get(k, 0) + 1
        if any(c / (len(sh) + len(kept[k][1]) - c) >= max_jaccard for k, c in counts.items()):
            continue
        for g in sh:
            index.setdefault(g, []).append(len(kept))
        kept.append((s, sh))
    return [s for s, _ in kept]


# ---------------------------------------------------------------------------------------------
# Planning the years
# ---------------------------------------------------------------------------------------------

def record_uuid(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in ("provenance-fixtures", *parts)).encode()).digest()
    return f"<urn:uuid:{uuid.UUID(bytes=digest[:16])}>"


def host_for(n: int) -> str:
    return f"www.example-{n}.org" if n in WWW_HOSTS else f"docs.example-{n}.org"


def url_for(section_key: str, scheme: str, host_n: int | None = None, prefix: str = "3") -> str:
    page, anchor = section_key.split("#", 1)
    directory, name = page.rsplit("/", 1)
    if host_n is None:
        host_n = int(hashlib.sha256(page.encode()).hexdigest(), 16) % N_HOSTS + 1
    return f"{scheme}://{host_for(host_n)}/{prefix}/{directory}/{name[:-5]}/{anchor}.html"


def swap_scheme(url: str, scheme: str) -> str:
    return scheme + url[url.index("://"):]


def largest_remainder(total: int, shares: tuple[float, ...]) -> list[int]:
    raw = [total * s / sum(shares) for s in shares]
    counts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def near_copy_body(src: Doc, rng: random.Random) -> str:
    """Edit src's body until its extracted text has 5-shingle Jaccard in [0.9, 1) with the original."""
    original = shingles(extract_text(replace(src, charset="utf-8")))
    n_edits = max(1, round(len(words_of(strip_tags(src.body))) / WORDS_PER_EDIT))
    for _ in range(20):
        body = edit_words(src.body, rng, n_edits)
        j = jaccard(original, shingles(extract_text(replace(src, body=body, charset="utf-8"))))
        if NEAR_DUP_JACCARD + 0.005 <= j < 1.0:
            return body
        n_edits = max(1, n_edits - (j < NEAR_DUP_JACCARD))
    raise SystemExit(f"cannot make a near copy of {src.source}")


def edit_words(body: str, rng: random.Random, n_edits: int) -> str:
    """Replace n_edits words in the text (not the markup) of an HTML body."""
    spans: list[tuple[int, int]] = []
    code = [(m.start(), m.end()) for m in re.finditer(r"<pre\b.*?</pre>", body, re.S)]
    for m in re.finditer(r">([^<]+)<", body):
        if any(a <= m.start() < b for a, b in code):
            continue   # leave code examples alone
        spans.extend((w.start() + m.start(1), w.end() + m.start(1))
                     for w in re.finditer(r"\b[a-z]{4,}\b", m.group(1)))
    chosen = sorted(rng.sample(range(len(spans)), min(n_edits, len(spans))))
    out, pos = [], 0
    for i in chosen:
        start, end = spans[i]
        old = body[start:end]
        new = rng.choice([w for w in REPLACEMENT_WORDS if w != old])
        out.append(body[pos:start] + new)
        pos = end
    out.append(body[pos:])
    return "".join(out)


class Planner:
    """Draws each year's documents from the section pool; state carries across years."""

    def __init__(self, pool: list[Section], rng: random.Random) -> None:
        self.pool = pool
        self.rng = rng
        self.used: set[str] = set()
        self.plans: list[YearPlan] = []
        self.tail_types: frozenset[str] = frozenset()
        self._tail_cache: dict[str, frozenset[str]] = {}

    def fresh_sections(self, spec: YearSpec, n: int, carried: list[Doc]) -> list[Section]:
        """Sample n unused sections by the year's topic mix, steering away from the baseline's tail.

        After the baseline, each pick is drawn from the (1 - |tail_bias|) share of candidates that add
        the most (tail_bias > 0) or fewest (tail_bias < 0) baseline tail types not yet covered this
        year, so tail survival falls as tail_bias falls.
        """
        chosen: list[Section] = []
        covered: set[str] = set()   # tail types the year already holds (carried pages included)
        for d in carried:
            covered |= frozenset(words_of(d.text)) & self.tail_types
        for topic, k in zip(TOPICS, largest_remainder(n, spec.topic_mix), strict=True):
            cands = sorted((s for s in self.pool if s.topic == topic and s.key not in self.used),
                           key=lambda s: s.key)
            if not self.tail_types:
                chosen.extend(self.rng.sample(cands, k))
                continue
            sign = -1 if spec.tail_bias > 0 else 1
            for _ in range(k):
                cands.sort(key=lambda s: (sign * len(self.tail_of(s) - covered), s.key))
                window = max(1, math.ceil((1 - abs(spec.tail_bias)) * len(cands)))
                pick = cands.pop(self.rng.randrange(window))
                covered |= self.tail_of(pick)
                chosen.append(pick)
        for s in chosen:
            self.used.add(s.key)
        return sorted(chosen, key=lambda s: s.key)

    def tail_of(self, s: Section) -> frozenset[str]:
        """The baseline tail types a section contains (cached)."""
        if s.key not in self._tail_cache:
            self._tail_cache[s.key] = frozenset(s.words) & self.tail_types
        return self._tail_cache[s.key]

    def scheme(self, spec: YearSpec) -> str:
        return "https" if self.rng.random() < spec.https_share else "http"

    def documents_for_year(self, spec: YearSpec, specials: list[Doc],
                           extra_docs: list[Doc] | None = None) -> YearPlan:
        """Plan one year: fresh pages, in-year near and exact copies, carry-over, specials.

        extra_docs (e.g. machine-written documents, later) are appended as they are.
        """
        total = spec.n_docs + spec.plain_docs
        n_dup = round(spec.near_dup_rate * total)
        n_near = n_dup - spec.exact_dups
        n_carry = round(spec.carry_rate * total)
        n_fresh = total - n_dup - n_carry - len(specials)
        y, docs = spec.year, []
        prev = self.plans[-1].docs if self.plans else []
        carry_src = self.carry_sources(prev, n_carry)
        for s in self.fresh_sections(spec, n_fresh, carry_src):
            docs.append(Doc("", y, url_for(s.key, self.scheme(spec)), s.title, s.html, "fresh", s.key,
                            topic=s.topic))
        carried_urls = {d.url for d in carry_src}
        self.reuse_urls(spec, docs, [d for d in prev if d.url not in carried_urls])
        fresh = list(docs)
        sources = self.rng.sample(fresh, n_near + spec.exact_dups)
        copies: list[tuple[Doc, Doc]] = []
        for i, src in enumerate(sources):
            exact = i >= n_near
            taken = {d.url.split("://", 1)[1] for d in docs} | {d.url.split("://", 1)[1] for d in carry_src}
            other = int(hashlib.sha256(src.url.encode()).hexdigest(), 16) + 7 + i
            url = url_for(src.source, self.scheme(spec), other % N_HOSTS + 1, "3" if exact else "3.11")
            while url.split("://", 1)[1] in taken:     # a mirror never collides with another page
                other += 1
                url = url_for(src.source, self.scheme(spec), other % N_HOSTS + 1, "3" if exact else "3.11")
            body = src.body if exact else near_copy_body(src, self.rng)
            copy = replace(src, url=url, body=body, role="exact_dup" if exact else "near_dup")
            copies.append((copy, src))
            docs.append(copy)
        for i, src in enumerate(carry_src):
            exact = i < n_carry // 2
            body = src.body if exact else near_copy_body(src, self.rng)
            docs.append(replace(src, year=y, url=swap_scheme(src.url, self.scheme(spec)), body=body,
                                role="carry_exact" if exact else "carry_near", of=src.doc_id,
                                transport="identity", charset="utf-8", charset_in="header+meta"))
        docs.extend(replace(d, year=y) for d in specials)
        docs.extend(extra_docs or [])
        self.rng.shuffle(docs)
        for i, d in enumerate(docs):
            d.doc_id = f"{y}-{i:04d}"
        for copy, src in copies:
            copy.of = src.doc_id
        seen: dict[str, Doc] = {}
        for d in docs:
            if d.url.split("://", 1)[1] in seen:
                raise SystemExit(f"{y}: URL used twice: {d.url} ({d.role}, {seen[d.url.split('://', 1)[1]].role})")
            seen[d.url.split("://", 1)[1]] = d
        assign_transport(docs, spec, self.rng)
        plan = YearPlan(spec, docs)
        self.plans.append(plan)
        if not self.tail_types:
            self.tail_types = baseline_tail_types(docs)
        return plan

    def carry_sources(self, prev: list[Doc], n: int) -> list[Doc]:
        """Pages that persist: drawn from the half of last year's pages poorest in baseline tail types."""
        if not n:
            return []
        cands = sorted((d for d in prev if d.role == "fresh"),
                       key=lambda d: (self.tail_share(d), d.doc_id))
        return self.rng.sample(cands[: max(n, len(cands) // 2)], n)

    def tail_share(self, d: Doc) -> float:
        words = words_of(d.text)
        return len(frozenset(words) & self.tail_types) / max(1, len(words))

    def reuse_urls(self, spec: YearSpec, docs: list[Doc], prev: list[Doc]) -> None:
        """Publish some fresh pages at URLs seen the year before (the page changed, the URL did not)."""
        if not prev:
            return
        pool = sorted((d.url for d in prev if d.role == "fresh"))
        k = round(spec.url_reuse * len(docs))
        for d, old in zip(self.rng.sample(docs, k), self.rng.sample(pool, k), strict=True):
            d.url = swap_scheme(old, self.scheme(spec))
            d.role = "fresh"


def baseline_tail_types(docs: list[Doc]) -> frozenset[str]:
    """Types seen 2 to 4 times in the baseline year: the vocabulary later years should lose."""
    counts: dict[str, int] = {}
    for d in docs:
        for w in words_of(d.text or extract_text(d)):
            counts[w] = counts.get(w, 0) + 1
    return frozenset(w for w, c in counts.items() if 2 <= c <= 4)


TRANSPORTS = (("identity", 60), ("chunked", 10), ("gzip", 12), ("deflate", 6), ("gzip+chunked", 5))
CHARSETS = (("utf-8", "header+meta", 70), ("utf-8", "meta", 10), ("utf-8", "header", 6),
            ("windows-1252", "header", 8), ("iso-8859-1", "meta", 6))


def weighted(rng: random.Random, options: tuple) -> tuple:
    return rng.choices(options, weights=[o[-1] for o in options])[0]


def assign_transport(docs: list[Doc], spec: YearSpec, rng: random.Random) -> None:
    """Pick HTTP transport and charset for ordinary pages (specials keep theirs)."""
    for d in docs:
        if d.role == "special":
            continue
        d.transport = weighted(rng, TRANSPORTS)[0]
        d.charset, d.charset_in = weighted(rng, CHARSETS)[:2]
    if spec.fmt == "warc-member" and spec.year >= 2023:
        # Common Crawl style since 2018: payload stored decoded, original headers renamed.
        plain = [d for d in docs if d.role == "fresh" and d.transport == "identity"]
        for d, t in zip(plain[:2], ("cc-decoded-gzip", "cc-decoded-chunked"), strict=True):
            d.transport = t
    if spec.year == 2017:
        next(d for d in docs if d.role == "fresh" and d.transport == "identity").transport = "deflate-raw"


# ---------------------------------------------------------------------------------------------
# Special pages: other languages and charsets, text/plain, the XSS probe
# ---------------------------------------------------------------------------------------------

# Short texts written for these fixtures by the fixture author (not taken from python3-doc).
SNIPPETS = {
    "fr-cp1252": ("fr", "windows-1252", "header", "Notes de lecture : les fichiers texte en Python",
                  "Lorsqu’on ouvre un fichier texte en Python, il faut toujours préciser l’encodage. "
                  "Sur une machine configurée en français, l’encodage par défaut n’est pas forcément "
                  "UTF-8, et un caractère comme « é » ou le symbole € peut alors être mal décodé. "
                  "J’ai perdu une après-midi entière à chercher pourquoi mon script affichait des "
                  "caractères étranges : le fichier avait été enregistré en Windows-1252 par un vieil "
                  "éditeur. Depuis, j’écris systématiquement open(chemin, encoding=\"utf-8\") et je "
                  "conseille à mes élèves d’en faire autant. C’est une petite habitude qui évite bien "
                  "des soucis, surtout quand on échange des fichiers avec des collègues."),
    "de-latin1": ("de", "iso-8859-1", "meta", "Übungsblatt für den Programmierkurs",
                  "Schreiben Sie eine Funktion, die für eine gegebene Liste von Wörtern die Häufigkeit "
                  "jedes Wortes zählt. Größere Dateien sollen zeilenweise gelesen werden, damit der "
                  "Speicherverbrauch gering bleibt. Prüfen Sie außerdem, ob Umlaute wie ä, ö und ü sowie "
                  "das scharfe ß korrekt verarbeitet werden. Die Lösung ist bis Donnerstag abzugeben; "
                  "Rückfragen bitte während der Sprechstunde oder per E-Mail an die Übungsleitung."),
    "es-latin1": ("es", "iso-8859-1", "header", "Apuntes de la clase de programación",
                  "En la clase de hoy aprendimos a usar diccionarios en Python. La profesora explicó que "
                  "un diccionario guarda pares de clave y valor, y que buscar una clave es muy rápido "
                  "aunque el diccionario tenga miles de elementos. Después hicimos un ejercicio: contar "
                  "cuántas veces aparece cada palabra en un poema de Antonio Machado. Al final comparamos "
                  "nuestras soluciones y descubrimos que había muchas maneras de resolver el mismo "
                  "problema, algunas más claras que otras."),
    "ja-sjis": ("ja", "shift_jis", "header+meta", "Python勉強会の記録",
                "先週の勉強会では、標準ライブラリのpathlibモジュールについて話し合いました。"
                "古いコードではos.pathを使うことが多いですが、pathlibを使うとファイルのパスを"
                "オブジェクトとして扱えるので、読みやすくなると感じました。参加者の一人は、"
                "WindowsとMacの両方で同じスクリプトが動くようになったと喜んでいました。"
                "次回は正規表現を取り上げる予定です。初めての方も歓迎しますので、気軽に参加してください。"),
    "zh-utf8": ("zh", "utf-8", "header+meta", "学习笔记：列表推导式",
                "今天在读官方教程的时候，终于弄明白了列表推导式的写法。以前我总是先创建一个空列表，"
                "再用循环一个一个地添加元素，代码又长又不好看。用列表推导式只要一行就能完成同样的工作。"
                "不过老师提醒我们，如果表达式太复杂，还是写成普通的循环更清楚，因为代码首先是写给人看的。"
                "下周我打算继续学习字典和集合。"),
    "zh-wet": ("zh", "utf-8", "header+meta", "周末读书会通知",
               "本周六下午两点，我们将在图书馆三楼的小会议室举行读书会。这次要讨论的是一本关于软件工程的书，"
               "重点是第四章关于代码审查的内容。请大家提前读完这一章，并准备一两个问题。"
               "如果有同学想分享自己在项目中遇到的实际例子，也非常欢迎。活动结束后我们会一起整理讨论记录，发到群里。"),
    "ru-utf8": ("ru", "utf-8", "header+meta", "Заметки о виртуальных окружениях",
                "Когда я только начинал программировать на Python, я устанавливал все пакеты прямо в "
                "систему. Через полгода у меня на компьютере было несколько проектов, которым нужны были "
                "разные версии одной и той же библиотеки, и ничего не работало. Коллега показал мне модуль "
                "venv, и с тех пор для каждого проекта я создаю отдельное окружение. Это занимает меньше "
                "минуты, а экономит часы."),
    "ru-cp1251": ("ru", "windows-1251", "header", "Объявление для студентов",
                  "Уважаемые студенты! Лабораторная работа номер три переносится на следующую среду. "
                  "Не забудьте принести ноутбуки с установленным интерпретатором Python версии не ниже 3.8. "
                  "Задания будут опубликованы на сайте кафедры в понедельник утром. Если у вас возникнут "
                  "вопросы по установке, пишите на почту преподавателя или приходите на консультацию."),
    "ar-utf8": ("ar", "utf-8", "header+meta", "ملاحظات حول تعلم البرمجة",
                "بدأت تعلم لغة بايثون في الصيف الماضي، وكان أصعب شيء في البداية هو فهم المسافات البادئة. "
                "في معظم اللغات الأخرى تستخدم الأقواس لتحديد الكتل، أما في بايثون فالمسافات هي التي تحدد "
                "بنية البرنامج. بعد أسبوعين من التمرين أصبحت أرى أن هذه الطريقة تجعل الشيفرة أوضح وأسهل "
                "في القراءة. أنصح كل مبتدئ بأن يكتب برامج صغيرة كل يوم."),
    "ar-wet": ("ar", "utf-8", "header+meta", "إعلان عن ورشة عمل",
               "تنظم المكتبة العامة ورشة عمل مجانية لتعليم أساسيات البرمجة يوم السبت القادم من الساعة "
               "العاشرة صباحا حتى الثانية ظهرا. لا يشترط وجود خبرة سابقة، ولكن يرجى إحضار حاسوب محمول. "
               "سيتعرف المشاركون على كيفية كتابة برنامج بسيط يقرأ ملفا نصيا ويحسب عدد الكلمات فيه. "
               "عدد المقاعد محدود، لذلك نرجو التسجيل مسبقا."),
}
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(2)>'

SPECIALS_BY_YEAR = {
    2013: ("de-latin1", "text:bugs.rst.txt"),
    2017: ("fr-cp1252", "ja-sjis"),
    2019: ("es-latin1", "ru-utf8", "text:about.rst.txt"),
    2021: ("zh-wet", "ar-wet"),
    2023: ("ar-utf8", "ru-cp1251"),
    2025: ("zh-utf8", "xss"),
}
EXTRAS_BY_YEAR = {2013: ("png", "404"), 2017: ("png", "pdf"), 2019: ("404",),
                  2023: ("pdf", "revisit"), 2025: ("png", "404")}


def special_docs(year: int, source_dir: Path) -> list[Doc]:
    docs = []
    for i, name in enumerate(SPECIALS_BY_YEAR[year]):
        host = f"{'https' if year >= 2019 else 'http'}://{host_for(37 + i)}"
        if name.startswith("text:"):
            body = (source_dir / "_sources" / name[5:]).read_text(encoding="utf-8")
            docs.append(Doc("", year, f"{host}/3/_sources/{name[5:]}", name[5:], body, "special", name,
                            charset="utf-8", charset_in="header", media="text/plain"))
        elif name == "xss":
            body = ("<h1>Search results</h1>\n<p>Your search for &lt;script&gt;alert(1)&lt;/script&gt; "
                    "and &quot;&gt;&lt;img src=x onerror=alert(2)&gt; did not match any documents in the "
                    "Python documentation mirror.</p>\n<p>Suggestions: make sure that all words are spelled "
                    "correctly, try different keywords, or try more general keywords. Searching for a "
                    "module name such as json or pathlib usually finds its reference page.</p>")
            docs.append(Doc("", year, f"https://{host_for(7)}/3/search.html?q={XSS_SCRIPT}",
                            f"Search: {XSS_IMG}", body, "special", "xss", origin="written-for-fixtures"))
        else:
            lang, charset, where, title, text = SNIPPETS[name]
            body = f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(text)}</p>"
            docs.append(Doc("", year, f"{host}/blog/{name}.html", title, body, "special", name, lang=lang,
                            charset=charset, charset_in=where, origin="written-for-fixtures"))
    return docs


# ---------------------------------------------------------------------------------------------
# Rendering pages and HTTP messages
# ---------------------------------------------------------------------------------------------

def render_html(doc: Doc) -> str:
    meta = f'<meta charset="{doc.charset}">\n' if "meta" in doc.charset_in else ""
    direction = ' dir="rtl"' if doc.lang == "ar" else ""
    return (f'<!DOCTYPE html>\n<html lang="{doc.lang}"{direction}>\n<head>\n{meta}'
            f"<title>{doc.title if doc.source == 'xss' else html.escape(doc.title)}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n</head>\n<body>\n'
            '<header><nav><a href="/">Home</a> | <a href="/3/library/index.html">Library</a> | '
            '<a href="/3/tutorial/index.html">Tutorial</a> | <a href="/3/search.html">Search</a></nav>'
            f"</header>\n<main>\n<article>\n{doc.body}\n</article>\n</main>\n"
            "<footer><p>&copy; Copyright 2001-2023, Python Software Foundation. This page is licensed "
            "under the Python Software Foundation License Version 2.</p></footer>\n</body>\n</html>\n")


def page_bytes(doc: Doc) -> bytes:
    if doc.media == "text/plain":
        return doc.body.encode(doc.charset)
    return render_html(doc).encode(doc.charset, errors="xmlcharrefreplace")


def decoded_page(doc: Doc) -> str:
    return page_bytes(doc).decode(doc.charset)


def extract_text(doc: Doc) -> str:
    """The ground-truth text: main text of the page as decoded with its declared charset."""
    if doc.media == "text/plain":
        return decoded_page(doc)
    return extract_plain_text(decoded_page(doc), main_content=True)


def http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt, usegmt=True)


def chunked(body: bytes, rng: random.Random) -> bytes:
    out, pos = [], 0
    while pos < len(body):
        n = rng.randint(700, 3000)
        piece = body[pos:pos + n]
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        pos += n
    return b"".join(out) + b"0\r\n\r\n"


def encode_body(body: bytes, transport: str, rng: random.Random) -> tuple[list[tuple[str, str]], bytes]:
    """Apply the transport to a body; return (extra headers, bytes as sent)."""
    if transport == "gzip":
        sent = gzip.compress(body, compresslevel=6, mtime=0)
        return [("Content-Encoding", "gzip"), ("Content-Length", str(len(sent)))], sent
    if transport == "deflate":
        sent = zlib.compress(body, 6)
        return [("Content-Encoding", "deflate"), ("Content-Length", str(len(sent)))], sent
    if transport == "deflate-raw":   # what many servers really send for "deflate"
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        sent = c.compress(body) + c.flush()
        return [("Content-Encoding", "deflate"), ("Content-Length", str(len(sent)))], sent
    if transport == "chunked":
        return [("Transfer-Encoding", "chunked")], chunked(body, rng)
    if transport == "gzip+chunked":
        return [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], \
            chunked(gzip.compress(body, compresslevel=6, mtime=0), rng)
    if transport == "cc-decoded-gzip":
        original = len(gzip.compress(body, compresslevel=6, mtime=0))
        return [("X-Crawler-Content-Encoding", "gzip"), ("X-Crawler-Content-Length", str(original)),
                ("Content-Length", str(len(body)))], body
    if transport == "cc-decoded-chunked":
        return [("X-Crawler-Transfer-Encoding", "chunked"), ("Content-Length", str(len(body)))], body
    return [("Content-Length", str(len(body)))], body


def http_response(status: str, content_type: str, body: bytes, transport: str, when: datetime,
                  rng: random.Random) -> tuple[bytes, bytes]:
    """Return (full HTTP response, payload as sent after the headers)."""
    extra, sent = encode_body(body, transport, rng)
    headers = [("Date", http_date(when)), ("Server", rng.choice(SERVERS)), ("Content-Type", content_type),
               ("Last-Modified", http_date(when - timedelta(days=rng.randint(3, 900))))]
    headers += extra + [("Connection", "close")]
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1"), sent


def content_type_header(doc: Doc) -> str:
    if "header" in doc.charset_in:
        return f"{doc.media}; charset={doc.charset}"
    return doc.media


def http_request(url: str) -> bytes:
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    lines = [f"GET /{path} HTTP/1.1", f"Host: {host}",
             "User-Agent: provenance-fixtures/1.0 (test data; not a real crawler)",
             "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
             "Accept-Language: en-US,en;q=0.5", "Accept-Encoding: br,gzip", "Connection: Keep-Alive"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


NOT_FOUND = (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>\n<h1>Not Found</h1>\n"
             b"<p>The requested URL was not found on this server.</p>\n</body></html>\n")


def tiny_pdf() -> bytes:
    """A minimal valid one-page PDF, offsets computed so the xref table is correct."""
    stream = b"BT /F1 18 Tf 72 720 Td (provenance fixture: a PDF payload) Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def extra_captures(plan: YearPlan, source_dir: Path, rng: random.Random) -> list[Capture]:
    y, out = plan.spec.year, []
    scheme = "https" if y >= 2019 else "http"
    for kind in EXTRAS_BY_YEAR.get(y, ()):
        if kind == "png":
            out.append(Capture("png", f"{scheme}://{host_for(5)}/3/_images/pathlib-inheritance.png",
                               (source_dir / "_images" / "pathlib-inheritance.png").read_bytes(), "image/png"))
        elif kind == "pdf":
            out.append(Capture("pdf", f"{scheme}://{host_for(9)}/3/archives/python-notes.pdf", tiny_pdf(),
                               "application/pdf"))
        elif kind == "404":
            out.append(Capture("404", f"{scheme}://{host_for(14)}/3/library/no-such-page.html", NOT_FOUND,
                               "text/html; charset=utf-8"))
        elif kind == "revisit":
            target = sorted((d for d in plan.docs if d.media == "text/html"), key=lambda d: d.doc_id)[0]
            out.append(Capture("revisit", target.url, refers_to=target))
    return out


# ---------------------------------------------------------------------------------------------
# WARC / ARC / WET writing
# ---------------------------------------------------------------------------------------------

def digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def warc_date(dt: datetime, version: str) -> str:
    if version == "1.1":
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def warc_record(version: str, headers: list[tuple[str, str]], block: bytes) -> bytes:
    """Serialize one record: version line, headers, blank line, block, two CRLF."""
    lines = [f"WARC/{version}"] + [f"{k}: {v}" for k, v in headers]
    lines.insert(4, f"Content-Length: {len(block)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def warcinfo_block(spec_crawl: str | None, filename: str, fmt: str) -> bytes:
    fields = ([("isPartOf", spec_crawl)] if spec_crawl else []) + [
        ("publisher", "provenance test fixtures (synthetic test data, not Common Crawl data)"),
        ("description", f"Pages derived from the Python 3.11 documentation (PSF licence); {fmt}"),
        ("software", "provenance scripts/build_fixtures.py"),
        ("format", "WARC File Format 1.1" if "1.1" in fmt else "WARC File Format 1.0"),
        ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/")]
    return "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")


class WarcBuilder:
    """Collects records for one file and remembers what it wrote for truth.json."""

    def __init__(self, name: str, version: str, start: datetime, rng: random.Random) -> None:
        self.name, self.version, self.rng = name, version, rng
        self.clock = start
        self.records: list[bytes] = []
        self.types: dict[str, int] = {}
        self.warcinfo_id = record_uuid(name, "warcinfo")

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=self.rng.randint(1, 40),
                                microseconds=self.rng.randint(0, 999999) if self.version == "1.1" else 0)
        return self.clock

    def add(self, rtype: str, headers: list[tuple[str, str]], block: bytes, rid: str | None = None,
            when: datetime | None = None) -> str:
        rid = rid or record_uuid(self.name, len(self.records), rtype)
        when = when or self.clock
        base = [("WARC-Type", rtype), ("WARC-Date", warc_date(when, self.version)), ("WARC-Record-ID", rid)]
        if rtype != "warcinfo":
            base.append(("WARC-Warcinfo-ID", self.warcinfo_id))
        self.records.append(warc_record(self.version, base + headers, block))
        self.types[rtype] = self.types.get(rtype, 0) + 1
        return rid

    def warcinfo(self, crawl: str | None) -> None:
        block = warcinfo_block(crawl, self.name, f"WARC {self.version}")
        self.add("warcinfo", [("Content-Type", "application/warc-fields"), ("WARC-Filename", self.name),
                              ("WARC-Block-Digest", digest(block))], block, rid=self.warcinfo_id)

    def capture(self, url: str, http_head: bytes, payload: bytes, request: bool, metadata: bool,
                ident_type: str) -> str:
        when = self.tick()
        ip = f"203.0.113.{int(hashlib.sha256(url.split('/')[2].encode()).hexdigest(), 16) % 250 + 1}"
        req_id = None
        if request:
            block = http_request(url)
            req_id = self.add("request", [("Content-Type", "application/http; msgtype=request"),
                                          ("WARC-IP-Address", ip), ("WARC-Target-URI", url),
                                          ("WARC-Block-Digest", digest(block))], block, when=when)
        block = http_head + payload
        headers = [("Content-Type", "application/http; msgtype=response")]
        headers += [("WARC-Concurrent-To", req_id)] if req_id else []
        headers += [("WARC-IP-Address", ip), ("WARC-Target-URI", url),
                    ("WARC-Payload-Digest", digest(payload)), ("WARC-Block-Digest", digest(block)),
                    ("WARC-Identified-Payload-Type", ident_type)]
        rid = self.add("response", headers, block, when=when)
        if metadata:
            meta = f"fetchTimeMs: {self.rng.randint(40, 900)}\r\n".encode()
            self.add("metadata", [("Content-Type", "application/warc-fields"), ("WARC-Concurrent-To", rid),
                                  ("WARC-Target-URI", url), ("WARC-Block-Digest", digest(meta))], meta,
                     when=when)
        return rid

    def revisit(self, cap: Capture, original: tuple[str, datetime, bytes, bytes]) -> None:
        rid, when, http_head, payload = original
        self.tick()
        headers = [("Content-Type", "application/http; msgtype=response"),
                   ("WARC-Target-URI", cap.url), ("WARC-Refers-To", rid),
                   ("WARC-Refers-To-Target-URI", cap.url),
                   ("WARC-Refers-To-Date", warc_date(when, self.version)),
                   ("WARC-Profile", f"http://netpreserve.org/warc/{self.version}/revisit/identical-payload-digest"),
                   ("WARC-Payload-Digest", digest(payload)), ("WARC-Block-Digest", digest(http_head)),
                   ("WARC-Truncated", "length")]
        self.add("revisit", headers, http_head)

    def serialize(self, compression: str) -> bytes:
        if compression == "member":
            return b"".join(gzip.compress(r, compresslevel=9, mtime=0) for r in self.records)
        if compression == "file":
            return gzip.compress(b"".join(self.records), compresslevel=9, mtime=0)
        return b"".join(self.records)


def add_doc(b: WarcBuilder, doc: Doc, spec: YearSpec, originals: dict[str, tuple]) -> None:
    body = page_bytes(doc)
    when = b.clock
    head, payload = http_response("200 OK", content_type_header(doc), body, doc.transport, when, b.rng)
    doc.record_id = b.capture(doc.url, head, payload, spec.requests, spec.metadata, doc.media)
    originals[doc.url] = (doc.record_id, b.clock, head, payload)


def add_extra(b: WarcBuilder, cap: Capture, spec: YearSpec, originals: dict[str, tuple]) -> None:
    if cap.kind == "revisit":
        b.revisit(cap, originals[cap.url])
        return
    status = "404 Not Found" if cap.kind == "404" else "200 OK"
    head, payload = http_response(status, cap.media, cap.payload, "identity", b.clock, b.rng)
    b.capture(cap.url, head, payload, spec.requests, spec.metadata, cap.media.split(";")[0])


def crawl_file_stem(spec: YearSpec, serial: int) -> str:
    start = spec.start.strftime("%Y%m%d%H%M%S")
    end = (spec.start + timedelta(hours=2, minutes=17)).strftime("%Y%m%d%H%M%S")
    return f"CC-MAIN-{start}-{end}-{serial:05d}"


def write_warc_year(plan: YearPlan, out: Path, rng: random.Random) -> list[tuple[str, bytes, dict]]:
    """Write the year's WARC file(s): the main file and, if asked, a plain uncompressed one."""
    spec = plan.spec
    n_main = len(plan.docs) - spec.plain_docs  # machine pages (if any) join the main file
    main_docs = plan.docs[:n_main]
    parts = [(main_docs, plan.extras, "member" if spec.fmt == "warc-member" else "file", ".warc.gz")]
    if spec.plain_docs:
        revisit = [c for c in plan.extras if c.kind == "revisit"]
        parts[0] = (main_docs, [c for c in plan.extras if c.kind != "revisit"], parts[0][2], parts[0][3])
        parts.append((plan.docs[n_main:], revisit, "none", ".warc"))
    written = []
    for serial, (docs, extras, compression, ext) in enumerate(parts):
        name = crawl_file_stem(spec, serial) + ext
        b = WarcBuilder(name, spec.warc_version, spec.start + timedelta(minutes=serial * 5), rng)
        b.warcinfo(spec.crawl if spec.is_part_of else None)
        originals: dict[str, tuple] = {}
        slots = spread(len(docs), len(extras))
        for i, doc in enumerate(docs):
            doc.file = f"crawl/{spec.crawl}/{name}"
            add_doc(b, doc, spec, originals)
            for cap in (extras[j] for j in range(len(extras)) if slots[j] == i):
                if cap.kind == "revisit" and cap.url not in originals:
                    continue
                add_extra(b, cap, spec, originals)
        for cap in (c for c in extras if c.kind == "revisit" and c.url not in originals):
            cap.url = docs[0].url          # revisit of the first page of this file
            add_extra(b, cap, spec, originals)
        data = b.serialize(compression)
        written.append((f"crawl/{spec.crawl}/{name}", data,
                        {"format": f"WARC/{spec.warc_version}", "compression": compression,
                         "is_part_of": spec.crawl if spec.is_part_of else None,
                         "records": dict(sorted(b.types.items())),
                         "docs": len(docs), "non_document_captures": sorted(c.kind for c in extras)}))
    return written


def spread(n_docs: int, n_extras: int) -> list[int]:
    """Positions (after which document) to place each extra capture, evenly spaced."""
    return [(j + 1) * n_docs // (n_extras + 1) for j in range(n_extras)]


def write_wet_year(plan: YearPlan, out: Path, rng: random.Random) -> list[tuple[str, bytes, dict]]:
    spec = plan.spec
    name = crawl_file_stem(spec, 0) + ".warc.wet.gz"
    b = WarcBuilder(name, "1.0", spec.start, rng)
    b.warcinfo(spec.crawl)
    for doc in plan.docs:
        block = doc.text.encode("utf-8")
        b.tick()
        doc.file = f"crawl/{spec.crawl}/{name}"
        lang = {"en": "eng", "zh": "zho", "ar": "ara"}.get(doc.lang, "eng")
        doc.record_id = b.add("conversion", [("WARC-Target-URI", doc.url),
                                             ("WARC-Refers-To", record_uuid(spec.crawl, doc.url, "response")),
                                             ("WARC-Block-Digest", digest(block)),
                                             ("WARC-Identified-Content-Language", lang),
                                             ("Content-Type", "text/plain")], block)
    return [(doc.file, b.serialize("member"), {"format": "WET (WARC/1.0)", "compression": "member",
                                               "is_part_of": spec.crawl, "records": dict(sorted(b.types.items())),
                                               "docs": len(plan.docs), "non_document_captures": []})]


def arc_record(url: str, ip: str, when: datetime, content_type: str, block: bytes) -> bytes:
    line = f"{url} {ip} {when.strftime('%Y%m%d%H%M%S')} {content_type} {len(block)}\n"
    return line.encode("utf-8") + block + b"\n"


def write_arc_year(plan: YearPlan, out: Path, rng: random.Random) -> list[tuple[str, bytes, dict]]:
    """ARC v1, one gzip member per record, starting with the filedesc:// record."""
    spec = plan.spec
    name = crawl_file_stem(spec, 0) + ".arc.gz"
    version_block = b"1 0 provenance-fixtures\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [arc_record(f"filedesc://{name}", "0.0.0.0", spec.start, "text/plain", version_block)]
    clock = spec.start
    slots = spread(len(plan.docs), len(plan.extras))
    items: list[Doc | Capture] = []
    for i, doc in enumerate(plan.docs):
        items.append(doc)
        items.extend(plan.extras[j] for j in range(len(plan.extras)) if slots[j] == i)
    for item in items:
        clock += timedelta(seconds=rng.randint(1, 40))
        ip = f"198.51.100.{int(hashlib.sha256(item.url.split('/')[2].encode()).hexdigest(), 16) % 250 + 1}"
        if isinstance(item, Doc):
            head, payload = http_response("200 OK", content_type_header(item), page_bytes(item), item.transport,
                                          clock, rng)
            item.file = f"crawl/{spec.crawl}/{name}"
            item.record_id = f"arc:{item.url} {clock.strftime('%Y%m%d%H%M%S')}"
            media = item.media
        else:
            status = "404 Not Found" if item.kind == "404" else "200 OK"
            head, payload = http_response(status, item.media, item.payload, "identity", clock, rng)
            media = item.media.split(";")[0]
        records.append(arc_record(item.url, ip, clock, media, head + payload))
    data = b"".join(gzip.compress(r, compresslevel=9, mtime=0) for r in records)
    return [(f"crawl/{spec.crawl}/{name}", data,
             {"format": "ARC v1", "compression": "member", "is_part_of": None,
              "records": {"filedesc": 1, "response": len(items)}, "docs": len(plan.docs),
              "non_document_captures": sorted(c.kind for c in plan.extras)})]


WRITERS = {"arc": write_arc_year, "warc-member": write_warc_year, "warc-file": write_warc_year,
           "wet": write_wet_year}


# ---------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------

class UnionFind:
    def __init__(self, items: list[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = sorted((self.find(a), self.find(b)))
        self.parent[rb] = ra


def similar_pairs(docs: list[Doc], floor: float) -> list[tuple[str, str, float]]:
    """All document pairs with exact 5-shingle Jaccard >= floor (inverted index, then exact)."""
    sh = {d.doc_id: shingles(d.text) for d in docs}
    index: dict[str, list[str]] = {}
    for d in docs:
        for g in sorted(sh[d.doc_id]):
            index.setdefault(g, []).append(d.doc_id)
    shared: dict[tuple[str, str], int] = {}
    for ids in index.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                shared[(a, b)] = shared.get((a, b), 0) + 1
    pairs = []
    for (a, b), c in sorted(shared.items()):
        a, b = sorted((a, b))
        j = c / (len(sh[a]) + len(sh[b]) - c)
        if j >= floor:
            pairs.append((a, b, j))
    return pairs


def measure(plans: list[YearPlan], threshold: float, pairs: list[tuple[str, str, float]]) -> dict:
    """Exact per-year counts of exact duplicates, near duplicates and carry-over at a threshold."""
    docs = [d for p in plans for d in p.docs]
    year_of = {d.doc_id: d.year for d in docs}
    within = {p.spec.year: UnionFind([d.doc_id for d in p.docs]) for p in plans}
    every = UnionFind([d.doc_id for d in docs])
    for a, b, j in pairs:
        if j < threshold:
            continue
        every.union(a, b)
        if year_of[a] == year_of[b]:
            within[year_of[a]].union(a, b)
    earliest: dict[str, int] = {}
    for d in docs:
        r = every.find(d.doc_id)
        earliest[r] = min(earliest.get(r, d.year), d.year)
    out = {}
    for p in plans:
        ids = [d.doc_id for d in p.docs]
        texts = [d.text for d in p.docs]
        out[str(p.spec.year)] = {
            "docs": len(ids),
            "exact_dup_docs": len(texts) - len(set(texts)),
            "near_dup_docs": len(ids) - len({within[p.spec.year].find(i) for i in ids}),
            "carry_over_docs": sum(earliest[every.find(i)] < p.spec.year for i in ids),
        }
    return out


def check_plan(plans: list[YearPlan], pairs: list[tuple[str, str, float]]) -> dict:
    """Fail unless every planned copy is >= 0.9 similar and every other pair < 0.5."""
    by_id = {d.doc_id: d for p in plans for d in p.docs}
    planned = {tuple(sorted((d.doc_id, d.of))) for d in by_id.values() if d.of}
    found = {(a, b): j for a, b, j in pairs}
    for a, b in sorted(planned):
        j = found.get((a, b), 0.0)
        kind = by_id[a].role if by_id[a].of else by_id[b].role
        if j < NEAR_DUP_JACCARD or (kind in ("near_dup", "carry_near") and j == 1.0):
            raise SystemExit(f"planned copy {a} ~ {b} ({kind}) has Jaccard {j:.3f}")

    def group(x: str) -> str:
        """The original a document was copied from (itself if it is no copy)."""
        while (of := by_id[x].of) is not None:
            x = of
        return x
    stray = [(a, b, j) for a, b, j in pairs if j >= UNRELATED_MAX_JACCARD and group(a) != group(b)]
    if stray:
        raise SystemExit(f"unplanned similar pairs: {stray[:5]}")
    near_j = sorted(j for (a, b), j in found.items() if (a, b) in planned and j < 1.0)
    return {"planned_near_copy_jaccard_min": round(near_j[0], 4), "planned_near_copy_jaccard_max": round(near_j[-1], 4),
            "max_unrelated_jaccard_below": UNRELATED_MAX_JACCARD}


def token_counts(docs: list[Doc]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in docs:
        for w in words_of(d.text):
            counts[w] = counts.get(w, 0) + 1
    return counts


def count_list(words: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


def jsd(p: dict[str, int], q: dict[str, int]) -> float:
    np_, nq = sum(p.values()), sum(q.values())
    total = 0.0
    for w in sorted(set(p) | set(q)):
        a, b = p.get(w, 0) / np_, q.get(w, 0) / nq
        m = (a + b) / 2
        total += (a * math.log2(a / m) if a else 0.0) + (b * math.log2(b / m) if b else 0.0)
    return total / 2


def log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def tail_survival(base: dict[str, int], year: dict[str, int], budget: int, q: float, m: int) -> float:
    """Expected share of the baseline tail types seen in `budget` tokens drawn from the year (rarefaction)."""
    total = sum(base.values())
    tail, mass = [], 0
    for w, c in sorted(((w, c) for w, c in base.items() if c >= m), key=lambda x: (x[1], x[0])):
        if (mass + c) / total > q:
            break
        tail.append(w)
        mass += c
    n = sum(year.values())
    seen = [1 - math.exp(log_comb(n - year.get(w, 0), budget) - log_comb(n, budget))
            if n - year.get(w, 0) >= budget else 1.0 for w in tail]
    return sum(seen) / len(tail)


def sanity_metrics(plans: list[YearPlan]) -> dict:
    """Simple checks that the intended orderings hold on the extracted texts."""
    counts = {p.spec.year: token_counts([d for d in p.docs if d.lang == "en"]) for p in plans}
    base_year = plans[0].spec.year
    base = counts[base_year]
    budget = min(sum(c.values()) for c in counts.values())
    halves = [token_counts([d for i, d in enumerate(plans[0].docs) if i % 2 == k and d.lang == "en"])
              for k in (0, 1)]
    streams = {p.spec.year: [w for d in sorted(p.docs, key=lambda d: d.doc_id) if d.lang == "en"
                             for w in words_of(d.text)][:budget] for p in plans}
    at_budget = {y: count_list(ws) for y, ws in streams.items()}
    half = budget // 2
    return {
        "tokens_per_year": {str(y): sum(c.values()) for y, c in counts.items()},
        "jsd_to_baseline_equal_budget": {"budget_tokens": budget, "method": "first budget tokens of each year "
                                         "(documents in doc_id order)",
                                         "values": {str(y): round(jsd(at_budget[base_year], c), 4)
                                                    for y, c in at_budget.items()},
                                         "noise_floor_baseline_halves_at_half_budget":
                                             round(jsd(count_list(streams[base_year][:half]),
                                                       count_list(streams[base_year][half:])), 4)},
        "jsd_to_baseline_full_counts": {str(y): round(jsd(base, c), 4) for y, c in counts.items()},
        "jsd_noise_floor_baseline_halves": round(jsd(halves[0], halves[1]), 4),
        "tail_survival_rarefied": {"q": 0.1, "m": 2, "budget_tokens": budget,
                                   "values": {str(y): round(tail_survival(base, c, budget, 0.1, 2), 4)
                                              for y, c in counts.items()}},
    }


# ---------------------------------------------------------------------------------------------
# Broken files
# ---------------------------------------------------------------------------------------------

def broken_files(pool: list[Section], used: set[str], rng: random.Random) -> list[tuple[str, bytes, dict]]:
    """One small file per error path; every good record is a real page not used elsewhere."""
    spare = iter(sorted((s for s in pool if s.key not in used), key=lambda s: s.key))
    start = utc(2024, 2, 20, 10, 0, 0)
    spec = YearSpec(2024, BROKEN_CRAWL, start, "warc-member", 0, (1, 0, 0), 0, 0, 0, 0, 1, 0, requests=False)

    def builder(name: str) -> WarcBuilder:
        b = WarcBuilder(name, "1.0", start, rng)
        b.warcinfo(BROKEN_CRAWL)
        return b

    def good(b: WarcBuilder, n: int) -> None:
        for _ in range(n):
            s = next(spare)
            doc = Doc("", 2024, url_for(s.key, "https"), s.title, s.html, "fresh", s.key)
            b.tick()
            add_doc(b, doc, spec, {})

    out = []

    def emit(name: str, data: bytes, before: int, after: int, fault: str, kept: int | None = None) -> None:
        out.append((f"broken/{name}", data, {"docs_before_fault": before, "docs_after_fault": after,
                                            "fault": fault,
                                            "docs_recoverable": before + after if kept is None else kept}))

    b = builder("corrupt-gzip.warc.gz")
    good(b, 2)
    members = [gzip.compress(r, 9, mtime=0) for r in b.records]
    good(b, 3)
    members += [gzip.compress(r, 9, mtime=0) for r in b.records[3:]]
    bad = bytearray(members[2])
    mid = len(bad) // 2
    for k in range(mid, mid + 16):
        bad[k] ^= 0xFF
    try:
        gzip.decompress(bytes(bad))
        raise SystemExit("corrupt member still decompresses")
    except (OSError, zlib.error, EOFError):
        pass
    members[2] = bytes(bad)
    emit("corrupt-gzip.warc.gz", b"".join(members), 1, 3,
         "the 2nd response (3rd gzip member) has 16 inverted bytes mid-stream: zlib error or CRC mismatch")

    b = builder("truncated-gzip.warc.gz")
    good(b, 4)
    data = b.serialize("member")
    last = gzip.compress(b.records[-1], 9, mtime=0)
    emit("truncated-gzip.warc.gz", data[: len(data) - len(last) // 2], 3, 0,
         "file ends halfway through the 5th gzip member (4th response); warcio and FastWARC yield the "
         "partial 4th record without raising, so the reader must notice the missing gzip trailer")

    emit("garbage.warc.gz", bytes(rng.getrandbits(8) for _ in range(4096)), 0, 0,
         "4096 pseudo-random bytes, no gzip magic")
    s = next(spare)
    emit("not-a-warc.warc", render_html(Doc("", 0, "", s.title, s.html, "fresh", s.key)).encode(), 0, 0,
         "an HTML page, no WARC version line")
    emit("empty.warc.gz", b"", 0, 0, "zero bytes")

    for name, fix, fault in (
        ("broken-header.warc.gz", lambda r: r.replace(b"Content-Length: ", b"Content-Length: 12O4x", 1),
         "the 3rd response (own gzip member) has a non-numeric Content-Length ('12O4x<n>')"),
        ("missing-content-length.warc.gz", lambda r: re.sub(rb"Content-Length: \d+\r\n", b"", r, count=1),
         "the 3rd response (own gzip member) has no Content-Length header"),
    ):
        b = builder(name)
        good(b, 5)
        b.records[3] = fix(b.records[3])
        emit(name, b.serialize("member"), 2, 2, fault)

    b = builder("oversize-record.warc.gz")
    good(b, 1)
    big = []
    for s in sorted((s for s in pool if s.key not in used), key=lambda s: s.key)[200:]:
        big.append(s.html)
        if sum(map(len, big)) > 400_000:
            break
    doc = Doc("", 2024, "https://docs.example-2.org/3/library/all-in-one.html", "All sections",
              "\n".join(big)[:400_000].rsplit("</p>", 1)[0] + "</p>", "fresh", "oversize")
    b.tick()
    add_doc(b, doc, spec, {})
    good(b, 1)
    b.tick()
    b.add("response", [("Content-Type", "application/http; msgtype=response"),
                              ("WARC-Target-URI", "https://docs.example-2.org/3/huge.html")],
          b"HTTP/1.1 200 OK\r\n\r\n")
    b.records[-1] = re.sub(rb"Content-Length: \d+", b"Content-Length: 999999999999", b.records[-1], count=1)
    good(b, 1)
    emit("oversize-record.warc.gz", b.serialize("member"), 1, 2,
         "the 2nd response is a real ~400 KB page (a 4th document when no size limit applies); the 4th "
         "claims Content-Length 999999999999 but holds 19 bytes in its own gzip member; docs counted with "
         "--max-record-bytes 100000", kept=3)

    b = builder("gzip-bomb.warc.gz")
    good(b, 2)
    head = b.records[:]
    good(b, 1)
    bomb_len = 500 * 1024 * 1024
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    hdr = warc_record("1.0", [("WARC-Type", "resource"), ("WARC-Date", "2024-02-20T10:30:00Z"),
                              ("WARC-Record-ID", record_uuid("gzip-bomb", "bomb")),
                              ("WARC-Target-URI", "https://docs.example-2.org/3/spaces.txt"),
                              ("Content-Type", "text/plain")], b"")[:-4]
    hdr = hdr.replace(b"Content-Length: 0", f"Content-Length: {bomb_len}".encode())
    parts = [comp.compress(hdr)]
    chunk = b" " * (1 << 20)
    for _ in range(bomb_len >> 20):
        parts.append(comp.compress(chunk))
    parts.append(comp.compress(b"\r\n\r\n") + comp.flush())
    bomb = b"".join(parts)
    bomb = bomb[:4] + b"\x00\x00\x00\x00" + bomb[8:]    # gzip mtime field = 0
    data = b"".join(gzip.compress(r, 9, mtime=0) for r in head) + bomb + gzip.compress(b.records[-1], 9, mtime=0)
    emit("gzip-bomb.warc.gz", data, 2, 1,
         f"3rd gzip member inflates to {bomb_len + len(hdr) + 4} bytes (a resource record of 500 MiB of spaces)")

    b = builder("truncated-record.warc")
    good(b, 4)
    data = b.serialize("none")
    emit("truncated-record.warc", data[: len(data) - len(b.records[-1]) // 2], 3, 0,
         "uncompressed; the 4th response's block stops halfway, shorter than its Content-Length; warcio "
         "and FastWARC yield it without raising, so the reader must compare lengths")
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def find_source(arg: str | None) -> Path:
    for cand in ([arg] if arg else list(SOURCE_CANDIDATES)):
        if cand and (Path(cand) / "library" / "json.html").exists():
            return Path(cand)
    raise SystemExit("python3-doc HTML not found; run 'apt-get install -y python3-doc' or pass --source-dir")


def machine_plan(out: Path) -> dict[int, list[dict]]:
    """Machine documents (SmolLM2, fixtures/machine/smollm2.jsonl) per year, at rising known shares.

    The share is of documents: k = round(s n / (1 - s)) machine pages beside n human ones; see
    provenance/synth/fixture_mix.py (even lines are mixed in, odd lines are held apart for tests).
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from provenance.synth.fixture_mix import MACHINE_SHARES, fixture_mix, read_machine_rows

    human = {spec.year: spec.n_docs + spec.plain_docs for spec in YEARS if spec.year in MACHINE_SHARES}
    return fixture_mix(read_machine_rows(out / "machine" / "smollm2.jsonl"), human, MACHINE_SHARES)


def machine_doc(row: dict, year: int) -> Doc:
    """One machine-written page: its topic as the title, its paragraphs as the article."""
    paras = [p.strip() for p in row["text"].split("\n") if p.strip()]
    body = f"<h1>{html.escape(row['topic'])}</h1>" + "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    host = f"blog{row['line'] % 12 + 1}.example-writer.net"
    url = f"https://{host}/{year}/posts/{row['line']:04d}-{re.sub(r'[^a-z0-9]+', '-', row['topic'].lower()).strip('-')[:40]}.html"
    return Doc("", year, url, row["topic"], body, "machine", f"smollm2-{row['line']}", topic="machine", origin="smollm2")


def build(source_dir: Path, out: Path) -> dict:
    rng = random.Random(SEED)
    pool = load_sections(source_dir)
    planner = Planner(pool, rng)
    machine = machine_plan(out)
    for spec in YEARS:
        extra = [machine_doc(row, spec.year) for row in machine.get(spec.year, [])]
        plan = planner.documents_for_year(spec, special_docs(spec.year, source_dir), extra_docs=extra)
        plan.extras = extra_captures(plan, source_dir, rng)
        for d in plan.docs:
            d.text = extract_text(d)
    plans = planner.plans
    pairs = similar_pairs([d for p in plans for d in p.docs], min(TRUTH_THRESHOLDS))
    separation = check_plan(plans, pairs)
    xss = next(d for p in plans for d in p.docs if d.source == "xss")
    if XSS_SCRIPT not in xss.text or XSS_IMG not in xss.text or XSS_SCRIPT not in xss.url:
        raise SystemExit("XSS probe strings missing from the extracted text or URL")
    by_threshold = {str(t): measure(plans, t, pairs) for t in TRUTH_THRESHOLDS}
    if len({json.dumps(v, sort_keys=True) for v in by_threshold.values()}) != 1:
        raise SystemExit("duplicate counts depend on the Jaccard threshold; fixtures are not well separated")
    files = []
    for plan in plans:
        files += WRITERS[plan.spec.fmt](plan, out, rng)
    broken = broken_files(pool, planner.used, rng)
    written = {out / rel for rel, _, _ in files + broken}
    for sub in ("crawl", "broken"):          # drop files a previous build wrote under other names
        for stale in sorted((out / sub).rglob("*")) if (out / sub).exists() else []:
            if stale.is_file() and stale not in written:
                stale.unlink()
    for rel, data, _ in files + broken:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    truth = make_truth(plans, files, broken, by_threshold["0.8"], separation, len(pool), source_dir)
    truth["machine_share"] = {str(p.spec.year): round(sum(d.role == "machine" for d in p.docs) / len(p.docs), 6) for p in plans}
    truth["machine_lines"] = {str(y): [r["line"] for r in rows] for y, rows in sorted(machine.items())}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False, sort_keys=False) + "\n",
                                    encoding="utf-8")
    (out / "README.md").write_text(make_readme(truth), encoding="utf-8")
    return truth


def planned_counts(plan: YearPlan) -> dict:
    roles = [d.role for d in plan.docs]
    return {r: roles.count(r) for r in ("fresh", "near_dup", "exact_dup", "carry_exact", "carry_near", "special")}


def make_truth(plans, files, broken, measured, separation, pool_size, source_dir) -> dict:
    years = {}
    url_years: dict[str, list[int]] = {}
    for p in plans:
        for d in p.docs:
            url_years.setdefault(d.url, []).append(p.spec.year)
    path_years: dict[str, set[int]] = {}
    for p in plans:
        for d in p.docs:
            path_years.setdefault(d.url.split("://", 1)[1], set()).add(p.spec.year)
    hostpaths: dict[str, set[str]] = {}
    for u in url_years:
        hostpaths.setdefault(u.split("://", 1)[1], set()).add(u.split("://", 1)[0])
    for p in plans:
        s = p.spec
        m = measured[str(s.year)]
        years[str(s.year)] = {
            "crawl": s.crawl, "format": s.fmt, "files": sorted({d.file for d in p.docs}),
            "docs": m["docs"], "planned_roles": planned_counts(p),
            "topic_mix_of_fresh_pages": dict(zip(TOPICS, s.topic_mix, strict=True)), "tail_bias": s.tail_bias,
            "target_near_dup_rate": s.near_dup_rate, "target_carry_over_rate": s.carry_rate,
            "exact_dup_docs": m["exact_dup_docs"], "near_dup_docs": m["near_dup_docs"],
            "near_dup_rate": round(m["near_dup_docs"] / m["docs"], 4),
            "carry_over_docs": m["carry_over_docs"], "carry_over_rate": round(m["carry_over_docs"] / m["docs"], 4),
            "host_paths_seen_in_previous_year": sum(
                1 for d in p.docs if p is not plans[0]
                and plans[plans.index(p) - 1].spec.year in path_years[d.url.split("://", 1)[1]]),
            "languages": {lang: [d.lang for d in p.docs].count(lang)
                          for lang in sorted({d.lang for d in p.docs})},
        }
    sanity = sanity_metrics(plans)
    file_info = {rel: {**info, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                 for rel, data, info in files}
    broken_info = {rel: {**info, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                   for rel, data, info in broken}
    docs = [{"doc_id": d.doc_id, "year": d.year, "file": d.file, "record_id": d.record_id, "url": d.url,
             "role": d.role, "of": d.of, "topic": d.topic, "lang": d.lang, "media": d.media,
             "charset": d.charset, "charset_declared_in": d.charset_in, "transport": d.transport,
             "origin": d.origin, "words": len(words_of(d.text)),
             "text_sha256": hashlib.sha256(d.text.encode()).hexdigest()[:16]}
            for p in plans for d in sorted(p.docs, key=lambda d: d.doc_id)]
    return {
        "generator": {"script": "scripts/build_fixtures.py", "seed": SEED, "python": platform.python_version(),
                      "zlib": zlib.ZLIB_RUNTIME_VERSION, "resiliparse": package_version("resiliparse"),
                      "source": f"Debian python3-doc {debian_version('python3-doc')} / python3.11-doc "
                                f"{debian_version('python3.11-doc')}, /usr/share/doc/python3-doc/html",
                      "section_pool_size": pool_size},
        "definitions": {
            "document": "a 200 response with text/html or text/plain payload (ARC/WARC), or a WET conversion "
                        "record; images, PDFs, 404s, revisits, requests and metadata are not documents",
            "text": "HTML: resiliparse extract_plain_text(page decoded with its declared charset, main_content=True); "
                    "text/plain: the decoded payload; WET: the record block",
            "tokens": "NFKC, lower case, regex \\w+",
            "shingles": "word 5-shingles over tokens (a text under 5 tokens is one shingle)",
            "exact_dup_docs": "documents of a year whose text equals the text of an earlier document of that year",
            "near_dup_docs": "documents beyond the first of their cluster within a year (union-find over pairs with "
                             "exact Jaccard >= threshold; includes the exact duplicates)",
            "carry_over_docs": "documents whose cluster over all years holds a document of an earlier year",
            "thresholds_checked": list(TRUTH_THRESHOLDS),
            "note": "counts are identical at every checked threshold; planned copies have Jaccard >= 0.9 and "
                    "every other pair < 0.5",
        },
        "separation": separation,
        "years": years,
        "rankings": {
            "drift_jsd_to_2013_ascending": [str(p.spec.year) for p in plans],
            "tail_survival_descending": [str(p.spec.year) for p in plans],
            "near_dup_rate_ascending": [str(p.spec.year) for p in plans],
            "carry_over_rate_ascending": [str(p.spec.year) for p in plans],
        },
        "sanity": sanity,
        "url_panel": {
            "urls_in_more_than_one_year": sum(len(set(v)) > 1 for v in url_years.values()),
            "host_paths_in_more_than_one_year": sum(len(v) > 1 for v in path_years.values()),
            "host_paths_seen_with_http_and_https": sum(len(v) > 1 for v in hostpaths.values()),
            "hosts": len({u.split("/")[2] for u in url_years}),
        },
        "specials": {
            "xss_url": next(d.url for p in plans for d in p.docs if d.source == "xss"),
            "xss_strings": [XSS_SCRIPT, XSS_IMG],
            "written_for_fixtures": sorted(d.doc_id for p in plans for d in p.docs if d.origin != "python3-doc"),
        },
        "files": file_info,
        "broken": broken_info,
        "documents": docs,
    }


def debian_version(package: str) -> str:
    status = Path("/var/lib/dpkg/status")
    if not status.exists():
        return "unknown"
    for block in status.read_text(encoding="utf-8", errors="replace").split("\n\n"):
        if block.startswith(f"Package: {package}\n"):
            m = re.search(r"^Version: (.+)$", block, re.M)
            return m.group(1) if m else "unknown"
    return "unknown"


PURPOSE = {
    "arc": "ARC v1 reader (warcio `arc2warc=True`; FastWARC does not read ARC); crawl id only from the "
           "path; 2013 is the baseline year",
    "warc-member": "WARC, one gzip member per record (Common Crawl style)",
    "warc-file": "WARC compressed as one gzip stream (FastWARC reads it; warcio's ArchiveIterator refuses "
                 "it as 'non-chunked gzip', so gunzip first); warcinfo without isPartOf, so the crawl must "
                 "come from the path",
    "wet": "WET conversion records (plain text, no HTTP)",
    "none": "uncompressed WARC",
}
BROKEN_PURPOSE = {
    "corrupt-gzip.warc.gz": "corrupt deflate data inside one member; resync at the next member",
    "truncated-gzip.warc.gz": "file cut inside a gzip member",
    "garbage.warc.gz": "not gzip, not WARC",
    "not-a-warc.warc": "plain HTML file with a .warc name",
    "empty.warc.gz": "empty input",
    "broken-header.warc.gz": "non-numeric Content-Length",
    "missing-content-length.warc.gz": "Content-Length header missing",
    "oversize-record.warc.gz": "records over --max-record-bytes 100000 (real and claimed size)",
    "gzip-bomb.warc.gz": "decompression bomb; needs a decompressed-size limit",
    "truncated-record.warc": "uncompressed file whose last block is shorter than Content-Length",
}


def make_readme(truth: dict) -> str:
    """Render fixtures/README.md from the truth, so the numbers in it are always the built ones."""
    g = truth["generator"]
    lines = [
        "# Test fixtures", "",
        "Small WARC, ARC and WET files for tests and `provenance demo`, with known near-duplicate, carry-over,",
        "drift and tail-loss structure, plus one broken file per error path. Everything here is generated by",
        "`scripts/build_fixtures.py`; do not edit by hand. `truth.json` holds every number below (and one entry",
        "per document), machine-readable.", "",
        "## Rebuild", "",
        "```",
        "apt-get install -y python3-doc      # Debian/Ubuntu: /usr/share/doc/python3-doc/html",
        "python scripts/build_fixtures.py    # [--source-dir DIR] [--out fixtures]",
        "```", "",
        f"Deterministic: seed `{g['seed']}`, record IDs are `<urn:uuid:...>` built from SHA-256 of fixed names,",
        "dates are fixed, every gzip member has mtime 0, and no step depends on set or file-system order.",
        "Two runs give identical bytes. The bytes also depend on the zlib and Resiliparse versions used",
        f"(this build: Python {g['python']}, zlib {g['zlib']}, Resiliparse {g['resiliparse']}); another",
        "version may change compressed bytes or extracted text but not the planned structure.", "",
        "## Sources and licences", "",
        f"- Text and HTML: the Python 3.11 documentation as packaged by Debian: {g['source']}.",
        "  Copyright 2001-2023 Python Software Foundation; licensed under the PSF License Agreement",
        "  (see `license.html` in that package, /usr/share/doc/python3.11-doc/copyright, and",
        "  https://docs.python.org/3/license.html). Pages are the docs' own `<section>`s (child sections",
        "  removed, cut to about 5 KB of HTML) wrapped in a minimal page with a nav bar and a footer. The two",
        "  text/plain documents are the docs' reStructuredText sources (`_sources/bugs.rst.txt`,",
        "  `_sources/about.rst.txt`). The PNG is the docs' `_images/pathlib-inheritance.png`.",
        "- Written for these fixtures (not from python3-doc): short pages in French, German, Spanish,",
        "  Japanese, Chinese, Russian and Arabic (charset tests), the XSS probe page, a 404 page and a",
        "  one-page PDF. They were written by the fixture author (an AI coding assistant), so they are not",
        "  human-written in the strict sense; `truth.json` lists them under `specials.written_for_fixtures`",
        "  (`origin: written-for-fixtures`) so synthetic-share tests can leave them out. They are "
        f"{len(truth['specials']['written_for_fixtures'])} of",
        f"  {sum(y['docs'] for y in truth['years'].values())} documents.",
        "- Hosts are `docs.example-N.org` / `www.example-N.org`, IPs are documentation ranges (RFC 5737).",
        "  The warcinfo records say `publisher: provenance test fixtures (synthetic test data, not Common",
        "  Crawl data)`; only the file and crawl names follow Common Crawl conventions.",
        "- The fixtures are distributed with the project; the PSF licence permits redistribution of the",
        "  documentation with its copyright notice, which the footer of every page and this file carry.", "",
        "## Files", "",
        "| file | bytes | what it is for |", "|---|---:|---|",
    ]
    for rel, info in truth["files"].items():
        what = PURPOSE["none" if info["compression"] == "none" else
                       {"ARC v1": "arc", "WET (WARC/1.0)": "wet"}.get(info["format"],
                       "warc-member" if info["compression"] == "member" else "warc-file")]
        extra = ", ".join(info["non_document_captures"])
        lines.append(f"| `{rel}` | {info['bytes']} | {info['format']}; {what}; {info['docs']} documents"
                     f"{'; also ' + extra if extra else ''} |")
    for rel, info in truth["broken"].items():
        lines.append(f"| `{rel}` | {info['bytes']} | {BROKEN_PURPOSE[rel.split('/')[1]]} |")
    lines += ["| `truth.json` | | ground truth for every test below |",
              "| `README.md` | | this file |", "",
              "Total size is under 5 MiB; every file is under 1 MiB. Only `crawl/` holds good data: ingest",
              f"`fixtures/crawl` for the demo. Broken files use crawl id `{BROKEN_CRAWL}` (a year that has no good",
              "data) so they can never change a year's numbers.", "",
              "## Years", "",
              "A document is a 200 response with a text/html or text/plain payload (ARC, WARC) or a WET",
              "conversion record. Images, the PDF, 404s, revisits, requests and metadata records are not",
              "documents. Counts are exact, computed by the builder on the extracted text (resiliparse",
              "`extract_plain_text(html, main_content=True)` on the page decoded with its declared charset;",
              "tokens are NFKC, lower case, `\\w+`; word 5-shingles). Planned copies have Jaccard "
              f"{truth['separation']['planned_near_copy_jaccard_min']}-{truth['separation']['planned_near_copy_jaccard_max']}",
              "to their original and every other pair of documents is below 0.5, so the counts are the same",
              f"at every threshold in {truth['definitions']['thresholds_checked']}.", "",
              "| year | crawl | format | docs | exact dups | near dups (incl. exact) | near-dup rate | "
              "carry-over | carry-over rate | host+path also in previous year |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for y, v in truth["years"].items():
        lines.append(f"| {y} | {v['crawl']} | {v['format']} | {v['docs']} | {v['exact_dup_docs']} | "
                     f"{v['near_dup_docs']} | {v['near_dup_rate']} | {v['carry_over_docs']} | "
                     f"{v['carry_over_rate']} | {v['host_paths_seen_in_previous_year']} |")
    sanity = truth["sanity"]
    jsd_eq = sanity["jsd_to_baseline_equal_budget"]
    jsd_v = jsd_eq["values"]
    tail_v = sanity["tail_survival_rarefied"]["values"]
    lines += ["",
              "- exact dups: documents whose text equals an earlier document's text in the same year (mirrors:",
              "  same page on another host).",
              "- near dups: documents beyond the first of their within-year cluster (union-find over pairs",
              "  with Jaccard >= threshold); the mirrors under `/3.11/` change one word in about 160.",
              "- carry-over: documents whose cluster over all years holds a document from an earlier year",
              "  (pages that persist from the previous year at the same host and path, half unchanged,",
              "  half with one word in 160 changed; the scheme may switch between http and https).", "",
              "## Drift and tail loss", "",
              "Fresh pages of each year come from the docs with a topic mix that moves away from the 2013",
              "baseline (share of library/C-API/language reference pages 100%, 80%, 60%, 40%, 20%, 0%; the",
              "rest tutorial/HOWTO/FAQ pages and What's New pages). Later years also pick pages that hold",
              "fewer of the baseline's rare types (types seen 2-4 times in 2013): see `tail_bias` in",
              "`truth.json` and `Planner.fresh_sections`.", "",
              "Intended rankings (checked on the built data with simple reference implementations, values",
              "in `truth.json` under `sanity`):", "",
              "- JSD to 2013 rises: "
              + " < ".join(f"{y} ({jsd_v[y]})" for y in truth["rankings"]["drift_jsd_to_2013_ascending"]),
              f"  (equal budget of {jsd_eq['budget_tokens']} tokens; the noise floor of two baseline halves at half"
              f" that budget is {jsd_eq['noise_floor_baseline_halves_at_half_budget']}, so raw values are mostly"
              " sampling noise; the ranking is the signal).",
              "- Baseline tail survival falls (q = 0.1, m = 2, rarefied to the same budget): "
              + " > ".join(f"{y} ({tail_v[y]})" for y in truth["rankings"]["tail_survival_descending"]) + ".",
              "- Near-dup and carry-over rates rise with the year (table above).", "",
              "## Realism features", "",
              "- Common Crawl file names and crawl directories; warcinfo first in every WARC/WET file;",
              "  WARC/1.0 except 2025 (WARC/1.1, microsecond dates); WARC-Block-Digest and WARC-Payload-Digest",
              "  (sha1, base32) on every record (`warcio check` passes).",
              "- request records before every response in 2017, 2023 and 2025 (none in 2019), a metadata record",
              "  (`fetchTimeMs`) after each response in 2023 and 2025; one `revisit` record",
              "  (identical-payload-digest) in the 2023 `.warc`.",
              "- HTTP bodies with `Transfer-Encoding: chunked`, `Content-Encoding: gzip`, `deflate` (zlib) and",
              "  one raw-deflate body labelled `deflate` (2017); gzip inside chunked; in 2023/2025 two Common",
              "  Crawl style records whose payload is stored decoded with `X-Crawler-Content-Encoding` /",
              "  `X-Crawler-Transfer-Encoding` headers (do not decode these again).",
              "- Charsets: utf-8 (in header and meta, meta only, header only), windows-1252 in the header,",
              "  iso-8859-1 only in `<meta charset>`; characters outside those charsets are numeric character",
              "  references. Special pages: French windows-1252 (with the euro sign and curly quotes, bytes that",
              "  latin-1 decodes wrongly), German iso-8859-1 (meta only), Spanish iso-8859-1 (header), Japanese",
              "  Shift_JIS, Chinese utf-8, Russian utf-8 and windows-1251, Arabic utf-8 (`dir=rtl`).",
              "- Non-documents to be counted but not stored: image/png (2013, 2017, 2025), application/pdf",
              "  (2017, 2023), 404 pages (2013, 2019, 2025). text/plain documents in 2013 and 2019.",
              f"- XSS probe (2025): URL `{truth['specials']['xss_url']}`; its title and text contain",
              "  `<script>alert(1)</script>` and `\"><img src=x onerror=alert(2)>` literally (escaped in the HTML",
              "  body, raw in `<title>`). Reports must escape both.",
              "- URL panel: 40 hosts plus `www.` variants; pages persist across years at the same host and path",
              f"  ({truth['url_panel']['host_paths_in_more_than_one_year']} host+paths occur in more than one year,",
              f"  {truth['url_panel']['host_paths_seen_with_http_and_https']} of them with both http and https).", "",
              "## Broken files", "",
              "Each holds real pages (not used in `crawl/`). Documents are counted as in the table above;",
              "the warcinfo record is not a document. 'recoverable' is what a reader that skips the bad",
              "record and resynchronises at the next gzip member (or record) keeps.", "",
              "| file | docs before fault | docs after fault | recoverable | fault |", "|---|---:|---:|---:|---|"]
    for rel, info in truth["broken"].items():
        lines.append(f"| `{rel}` | {info['docs_before_fault']} | {info['docs_after_fault']} | "
                     f"{info['docs_recoverable']} | {info['fault']} |")
    lines += ["",
              "## truth.json", "",
              "`generator` (versions, seed), `definitions`, `separation`, `years` (per year: files, planned roles,",
              "topic mix, tail bias, targets and exact measured counts), `rankings`, `sanity` (reference values",
              "of JSD and tail survival), `url_panel`, `specials`, `files` and `broken` (bytes, sha256, record",
              "counts, fault description), and `documents`: one entry per document with doc_id, year, file,",
              "WARC-Record-ID (ARC: `arc:<url> <date>`), URL, role (fresh, near_dup, exact_dup, carry_exact,",
              "carry_near, special), `of` (the doc_id it copies), topic, language, media type, charset and where",
              "it is declared, HTTP transport, origin, word count and the first 16 hex digits of the SHA-256",
              "of its extracted text.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", help="python3-doc html directory (default: auto-detect)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "fixtures"))
    args = ap.parse_args()
    truth = build(find_source(args.source_dir), Path(args.out))
    for y, v in truth["years"].items():
        print(y, v["docs"], "near", v["near_dup_docs"], "exact", v["exact_dup_docs"], "carry", v["carry_over_docs"])
    print(json.dumps(truth["sanity"], indent=1))


if __name__ == "__main__":
    main()
