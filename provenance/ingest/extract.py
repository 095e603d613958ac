"""From an archive record to main text: HTTP decoding, charset, HTML main-content extraction."""
from __future__ import annotations

import codecs
import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from urllib.parse import urlsplit

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLParserException, HTMLTree
from resiliparse.parse.encoding import bytes_to_str, detect_encoding

from provenance.ingest import deep_markup, latin, memory, ruby
from provenance.ingest.census import MARK, join_lone, tag_census
from provenance.ingest.http import UTF16_BOMS, WIDE_BOMS, looks_binary, media_type, parse_response
from provenance.ingest.prose_lists import keep_prose_lists
from provenance.ingest.readers import RawRecord

HTML_TYPES = {"text/html", "application/xhtml+xml", "application/xml+html"}
TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown"}
NOT_DOCUMENTS = {"request", "metadata", "revisit", "continuation", "warcinfo", "unknown"}
_CRAWL_RE = re.compile(r"CC-MAIN-\d{4}-\d{2}")
_CHARSET_RE = re.compile(r"[A-Za-z0-9._:-]{1,40}")


@dataclass
class Extracted:
    """Main text of a record and what was learned on the way."""

    text: str
    content_type: str
    problem: str | None = None  # a non-fatal decoding problem, recorded but the text is kept
    note: str | None = None  # a fallback the text was taken by (deep_markup.NOTE), counted per source


@dataclass
class Skipped:
    """Why a record is not a document (counted per source, not stored)."""

    reason: str


def warcinfo_crawl(rec: RawRecord) -> str | None:
    """Return the crawl id from a warcinfo record (isPartOf), if any."""
    text = rec.block[:65536].decode("utf-8", "replace")
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "ispartof" and value.strip():
            return value.strip()
    m = _CRAWL_RE.search(text)
    return m.group(0) if m else None


def crawl_from_name(path: str) -> str | None:
    """Return the CC-MAIN-YYYY-WW part of a file path, if any."""
    m = _CRAWL_RE.search(path)
    return m.group(0) if m else None


def crawl_year(crawl: str | None) -> int | None:
    """The year of a Common Crawl crawl id (CC-MAIN-2020-05: 2020; its pages were fetched then), else None."""
    return int(crawl[8:12]) if crawl and _CRAWL_RE.fullmatch(crawl) else None


def extract(rec: RawRecord, max_bytes: int, prose_lists: bool = False) -> Extracted | Skipped:
    """Turn a record into main text, or say why it is not a document (prose_lists: see prose_lists.py)."""
    kind = rec.type
    if kind in NOT_DOCUMENTS:
        return Skipped(kind)
    if is_robots_txt(rec.headers.get("warc-target-uri", "")):  # crawler directives, not a page (Common Crawl keeps them apart)
        return Skipped("robots-txt")
    if "warc-segment-number" in rec.headers:  # a part of a record split over several (WARC 1.1, 6.9): not a whole page
        return Skipped("segmented")
    if kind == "conversion":
        return Extracted(_decode_text(rec.block, "utf-8"), "text/plain")
    if kind == "resource":
        # Crawler artifacts are resources too: wget's log (metadata://), browsertrix's extracted text
        # of a page it also stored as a response (urn:text:...). Only web addresses are documents.
        if not _is_web(rec.headers.get("warc-target-uri", "")):
            return Skipped("resource-not-web")
        ctype, charset = media_type(rec.headers.get("content-type", ""))
        return _from_body(rec.block, ctype, charset, None, prose_lists)
    if kind != "response":
        return Skipped(f"type:{kind}")
    record_ctype = rec.headers.get("content-type", "application/http").lower()
    if rec.fmt == "warc" and "application/http" not in record_ctype and bytes(rec.block[:5]).upper() != b"HTTP/":
        return Skipped("non-http")  # (a response whose block is HTTP under another record type is read as HTTP)
    if rec.fmt == "arc" and not _is_web(rec.headers.get("warc-target-uri", "")):
        return Skipped("non-http")  # dns:, alexa/dat, metadata:// records: no HTTP response inside
    if rec.fmt == "arc" and _ARC_BODY_ALONE.match(rec.block):
        return _without_http(rec, prose_lists)
    http = parse_response(rec.block, max_bytes)
    if http.status is None:
        return Skipped("bad-http")
    if not 200 <= http.status < 300:
        return Skipped("http-status")
    if http.status == 206:  # a byte range of a page (a media player's, a download resumed): not the page
        return Skipped("partial-content")
    if http.problem and looks_binary(http.body, http.charset):  # still compressed (unknown or broken Content-Encoding): not text
        return Skipped("undecodable-body")
    return _from_body(http.body, _identified(http.content_type, rec), http.charset, http.problem, prose_lists)


UNLABELLED = {"", "application/octet-stream", "binary/octet-stream"}  # types that say nothing of what a body is
_ARC_BODY_ALONE = re.compile(rb"(?:\xef\xbb\xbf)?[\t\n\x0c\r ]*<[!A-Za-z]")  # markup first: no HTTP head (a status line, fields)


def _without_http(rec: RawRecord, prose_lists: bool) -> Extracted | Skipped:
    """An ARC record whose block starts with markup: a capture by HTTP/0.9 (no status line, no header fields, the
    body alone), typed by its ARC header line. A page so; typed otherwise, no HTTP."""
    ctype, charset = media_type(rec.headers.get("arc-content-type", ""))
    if ctype not in HTML_TYPES:
        return Skipped("bad-http")
    return _from_body(rec.block, ctype, charset, None, prose_lists)


def _identified(ctype: str, rec: RawRecord) -> str:
    """The HTTP Content-Type, or where it says nothing, the HTML type that the crawler identified from the payload
    (Common Crawl's WARC-Identified-Payload-Type, Tika's detection, which its WET extraction reads too): HTML
    served as application/octet-stream was non-text."""
    if ctype not in UNLABELLED or "warc-identified-payload-type" not in rec.headers:
        return ctype
    identified = media_type(rec.headers["warc-identified-payload-type"])[0]
    return identified if identified in HTML_TYPES else ctype


def _is_web(url: str) -> bool:
    """Whether a target URI is a web address (not dns:, metadata://, urn:, filedesc://)."""
    return url.strip("<> ").lower().startswith(("http://", "https://"))


def is_robots_txt(url: str) -> bool:
    """Whether a URL is a site's robots.txt (RFC 9309: the path /robots.txt, case-sensitive; any query)."""
    if "/robots.txt" not in url:
        return False
    try:
        return urlsplit(url.strip("<> ")).path == "/robots.txt"
    except ValueError:
        return False


def _from_body(body: bytes, ctype: str, charset: str | None, problem: str | None, prose_lists: bool = False) -> Extracted | Skipped:
    kind = _kind(body, ctype)
    if kind is None:
        return Skipped("non-text")
    charset = charset or (_wide_html(body) if kind == "html" else None)
    if body.startswith(BINARY_SIGNATURES) or looks_binary(body, _codec(charset) if charset else None):  # an image or archive labelled as text
        return Skipped("binary-body")
    if _is_json(body):  # an API's answer, not prose (under text/html or text/plain)
        return Skipped("json-body")
    if kind == "html":
        if prose_lists:
            body = keep_prose_lists(body)
        encoding = charset or detect_encoding(body, from_html_meta=True)
        html = _decode_text(body, encoding, html=True)
        tags = tag_census(html)  # (str's "<ruby" in html took 3 us a page, the census all it counts in 1)
        if tags.lone:  # CJK particles between two tags, which the heuristics drop (census.py)
            html = join_lone(html)
        start = time.perf_counter()
        try:
            tree = HTMLTree.parse(html)
        except HTMLParserException as exc:  # Lexbor's parse fails so when an allocation does
            if memory.in_force():
                raise MemoryError(f"the HTML parser failed under the memory budget: {exc}") from None
            raise
        if time.perf_counter() - start > SLOW_PARSE_S:  # a huge tree (memory grows with parse time): room left to extract it?
            memory.require_headroom()
        if tags.rubies:
            ruby.flatten_ruby(tree)
        whole = deep_markup.too_deep(html, tree, containers=tags.containers)
        text = main_text(tree, whole)
        return Extracted(text.replace(MARK, "") if tags.lone else text, "text/html", problem, deep_markup.NOTE if whole else None)
    text = _decode_text(body, charset or detect_encoding(body))
    if ctype in HTML_TYPES and "&" in text:  # served as HTML: its character references are still HTML's
        # numeric references lose their leading zeros and one past any code point is U+FFFD (as
        # unescape makes it) before unescape tries a number of more than 4,300 digits (Python's
        # limit, zeros included: ValueError, the record was lost)
        text = unescape(_LONG_REFERENCE.sub(_short_reference, text) if "&#" in text else text)
    return Extracted(text, "text/plain", problem)


_LONG_REFERENCE = re.compile(r"&#(?:([xX])0*([0-9a-fA-F]*)|0*([0-9]*))(;?)")


def _short_reference(m: re.Match) -> str:
    x, hex_digits, digits, end = m.groups()
    digits = hex_digits if x else digits
    if not digits:  # zeros only ("&#000;", U+FFFD as unescape makes it), or no number at all ("&#x;": as it is)
        return f"&#{x or ''}0{end}" if m.group().rstrip(";")[-1] == "0" else m.group()
    return "\ufffd" if len(digits) > (6 if x else 7) else f"&#{x or ''}{digits}{end}"


# Formats whose first kilobytes can pass for text (a PDF's header and XMP metadata, PostScript's
# comments): the signatures the WHATWG MIME sniffing standard reads, and common binary formats
BINARY_SIGNATURES = (b"%PDF-", b"%!PS-Adobe-", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"PK\x03\x04", b"Rar!\x1a\x07",
                     b"7z\xbc\xaf\x27\x1c", b"OggS\x00", b"ID3", b"fLaC", b"\x1aE\xdf\xa3", b"wOFF", b"wOF2", b"\x00\x00\x01\x00")
XML_TYPES = {"text/xml", "application/xml"}
SNIFF_BYTES = 512  # of a body's start, to tell what it is (as browsers sniff)
JSON_SNIFF_BYTES = 65536  # parsed to tell JSON from text (a whole API answer need not be built to know)


def _kind(body: bytes, ctype: str) -> str | None:
    """How to read a body: "html", "text", or None (not text) from its Content-Type and, where that is
    missing or wrong in a common way, its first bytes."""
    if ctype in HTML_TYPES:  # plain text served as text/html: no tag at all, so its line breaks are kept
        wide = body.find(b"\x00", 0, SNIFF_BYTES) >= 0  # UTF-16 or UTF-32: byte patterns cannot tell; as labelled
        if not wide and _is_feed(body[:SNIFF_BYTES]):  # a feed or sitemap that a generator served as HTML
            return None
        return "html" if wide or _TAG.search(body) else "text"  # the search ends at the first tag
    if ctype in TEXT_TYPES:  # as browsers show it: even HTML source served as text/plain is text
        return "text"
    if ctype in XML_TYPES:  # XHTML served as XML; feeds and sitemaps are not prose
        return "html" if _is_xhtml(body) else None
    if not ctype:
        return "html" if _looks_html(body) else None
    return None


# What the WHATWG MIME sniffing standard takes for HTML at the start of a body (after a BOM and
# white space): these tags followed by a space or ">", or a comment; XML only when it is XHTML
_HTML_START = re.compile(rb"(?:\xef\xbb\xbf)?[\t\n\x0c\r ]*(?:<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|"
                         rb"body|br|p)[\t\n\x0c\r >]|<!--)", re.IGNORECASE)
_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?[\t\n\x0c\r ]*<\?xml", re.IGNORECASE)
_XHTML_ROOT = re.compile(rb"<(?:!doctype html|html)[\t\n\x0c\r >]", re.IGNORECASE)
_TAG = re.compile(rb"<[A-Za-z!/?]")
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf|urlset|sitemapindex)[\t\n\x0c\r />]", re.IGNORECASE)
_SPACE = re.compile(rb"[\t\n\x0c\r ]*")


def _is_feed(head: bytes) -> bool:
    """Whether a body is a feed or sitemap by its root element, after white space, XML declarations and processing
    instructions, comments and a doctype that is not HTML's: what the WHATWG MIME sniffing standard reads as a feed
    served as text/html (RSS, Atom, RDF), and sitemaps (feed and sitemap generators send text/html by a common
    misconfiguration). A scan, not one regular expression: comments and declarations as alternatives of a repeated
    group backtracked exponentially ("<!---->" * 20 before a page took 28 s)."""
    at = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        at = _SPACE.match(head, at).end()
        if head.startswith(b"<?", at):
            end, close = head.find(b"?>", at + 2), 2
        elif head.startswith(b"<!--", at):
            end, close = head.find(b"-->", at + 4), 3
        elif head.startswith(b"<!", at) and not head[at + 2 : at + 14].lower().startswith(b"doctype html"):
            end, close = head.find(b">", at + 2), 1
        else:
            return _FEED_ROOT.match(head, at) is not None
        if end < 0:
            return False
        at = end + close
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[\t\n\r ]*[\[{]")


_MARKUP_START = frozenset(b"<\t\n\r ")


def _wide_html(body: bytes) -> str | None:
    """UTF-16 or UTF-32 HTML without a byte order mark or a label, told by its first character: a '<' or
    white space with its width's NUL bytes around it (else the NULs all through it made it binary-body)."""
    head = body[:4]
    if len(head) < 4:
        return None
    if head[:3] == b"\x00\x00\x00" and head[3] in _MARKUP_START:
        return "utf-32-be"
    if head[1:] == b"\x00\x00\x00" and head[0] in _MARKUP_START:
        return "utf-32-le"
    if head[0] == head[2] == 0 and head[1] in _MARKUP_START and head[3]:
        return "utf-16-be"
    if head[1] == head[3] == 0 and head[0] in _MARKUP_START and head[2]:
        return "utf-16-le"
    return None


def _looks_html(body: bytes) -> bool:
    return _HTML_START.match(body, 0, SNIFF_BYTES) is not None or _is_xhtml(body)


XHTML_ROOT_BYTES = 8192  # an XML document's start searched for an HTML root: a licence comment may come first


def _is_xhtml(body: bytes) -> bool:
    return _XML_START.match(body, 0, SNIFF_BYTES) is not None and _XHTML_ROOT.search(body, 0, XHTML_ROOT_BYTES) is not None


def _is_json(body: bytes) -> bool:
    """Whether a body is JSON: its first JSON_SNIFF_BYTES parse, or fail only where they (or the body, cut
    by the crawler) end. "[Verse 1]", "[INFO] ...", "{{ template }}" fail early: text."""
    start = _JSON_START.match(body)
    if start is None:
        return False
    head = body[start.end() - 1 : start.end() - 1 + JSON_SNIFF_BYTES].decode("utf-8", "replace")
    try:
        json.loads(head)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(head.rstrip()) or exc.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        return False
    return True


SLOW_PARSE_S = 0.25  # a parse this long may have built a tree of gigabytes (1.2 GB took 1.2 s); ordinary pages take ~0.1 ms
MIN_PAGE_CHARS = 200  # of text in a page whose main text came out empty, to look again
NAVIGATION = ["nav", "header", "[role=navigation]", "[role=menu]", "[role=menubar]"]


def main_text(page: str | HTMLTree, whole: bool = False) -> str:
    """The page's main text (resiliparse's main-content heuristics). When those leave nothing of a page
    that has text: what they leave with hidden-class wrappers and <noscript> kept, else the page's text
    without its navigation. A page wrapped whole in a "hidden md:block" (shown on desktops only), a
    sidebar, a <footer> or a display:none preloader is not an empty page; a short answer is kept as it is.
    whole: the page's words without its navigation, no heuristics and no layout (for markup nested too
    deep for them: see deep_markup.py)."""
    tree = page if isinstance(page, HTMLTree) else HTMLTree.parse(page)
    if whole:
        return extract_plain_text(tree, main_content=False, noscript=True, skip_elements=NAVIGATION, preserve_formatting=False)
    text = extract_plain_text(tree, main_content=True)
    if text.strip():
        return text
    whole = extract_plain_text(tree, main_content=False, noscript=True, skip_elements=NAVIGATION)
    if len(whole) < MIN_PAGE_CHARS:
        return text
    again = extract_plain_text(tree, main_content=True, hidden_elements=True, noscript=True)
    return again if again.strip() else whole


# Labels that servers and pages put on UTF-8 text by default or by mistake. Text that is valid UTF-8
# and not plain ASCII is read as UTF-8 under them: Latin-1 prose is almost never valid UTF-8 by
# chance, and read as Latin-1 a UTF-8 page becomes mojibake ("cafÃ©"): false rare tokens in the tails.
_LATIN_LABELS = {"cp1252", "iso-8859-15", "iso8859-15"}  # and every label read as Windows-1252 (_AS_BROWSERS_READ)
UTF16_SNIFF_BYTES = 4096
# UTF-32's first: its little-endian mark begins with UTF-16's (FF FE 00 00), read as UTF-16 its markup was kept as text
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (WIDE_BOMS[2], "utf-32-be"),
         *zip(UTF16_BOMS, ("utf-16-le", "utf-16-be")))


def _decode_text(data: bytes, encoding: str, html: bool = False) -> str:
    for bom, name in _BOMS:  # a byte order mark outranks any label (as in browsers)
        if data.startswith(bom):
            return data[len(bom):].decode(name, "replace")
    label = (encoding or "").lower()
    if not _known_label(label):  # 'none' (warcit's -c none), 'null', a typo, none at all: read as the bytes say
        encoding = "utf-8" if label.startswith("utf8mb") else detect_encoding(data, from_html_meta=html)  # (MySQL's UTF-8)
        label = encoding.lower()
    codec = _codec(label)
    if label not in _UTF8_LABELS and (codec == "utf-8" or label in _UTF16_LABELS):  # utf_8, u8; "unicode"
        label = encoding = codec
    if html and codec.startswith(("utf-16", "utf-32")) and data.find(b"\x00", 0, UTF16_SNIFF_BYTES) < 0:
        # HTML in UTF-16 has NUL bytes all through its markup; 8-bit HTML under a UTF-16 label (<meta
        # charset="utf-16">, "unicode" from MS Office) is read as UTF-8, as the HTML standard says
        label = encoding = "utf-8"
    if label not in _UTF8_LABELS and label not in _LATIN_LABELS and not codec.startswith(("utf-16", "utf-32")) and not data.isascii():
        # valid UTF-8 under another label (a server's default charset on a site moved to UTF-8: windows-1251,
        # Shift_JIS): text in those charsets is never valid UTF-8 by chance, and read so it is mojibake
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    # UTF-8 (most of the web: CPython's decoder gives what bytes_to_str would, faster), and UTF-8 under a Latin label
    if label in _UTF8_LABELS or (label in _LATIN_LABELS and not data.isascii()):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            # cut inside its last character: a record truncated by the crawler (under a UTF-8 label only)
            cut = label in _UTF8_LABELS and exc.end == len(data) and exc.reason == "unexpected end of data"
            text = data[: exc.start].decode("utf-8", "replace") if cut else data.decode("utf-8", "replace")
        if _mostly_valid(text, data):  # UTF-8 with a stray bad byte, or cut in a character: not another charset
            return text
        if label in _UTF8_LABELS:  # labelled UTF-8 but not: what the bytes (and a page's meta tag) say, not mojibake
            detected = detect_encoding(data, from_html_meta=html)
            if html and _codec(detected).startswith(("utf-8", "utf-16", "utf-32")):  # the meta tag repeats the wrong
                detected = detect_encoding(data)  # label (or says UTF-16, which 8-bit HTML is not): the bytes alone
            encoding = _not_utf8(detected, data)
    if html and label in _LATIN_LABELS and not data.isascii():  # (and not UTF-8: above)
        encoding = _declared_charset(data) or encoding
    if not _CHARSET_RE.fullmatch(encoding or ""):
        encoding = detect_encoding(data)  # a charset label from the wild can be anything
    superset = _superset(encoding)
    if superset in _WINDOWS_SIBLING and _C1.search(data) and _sibling_reads_better(data, superset, _WINDOWS_SIBLING[superset]):
        superset = _WINDOWS_SIBLING[superset]  # C1 controls are no text: the Windows sibling's letters, where they read so
    if superset == "koi8-r" and _KOI8_U_IN_WORDS.search(data):  # box-drawing inside words: Ukrainian in KOI8-U (detection
        superset = "koi8-u"  # calls it KOI8-R; the two differ only there)
    if superset is not None:  # replacement characters for the odd bad byte, never a whole page in a fallback charset
        return data.decode(superset, _ERRORS.get(superset, "replace"))
    try:
        return _decode_as(data, encoding)
    except (LookupError, UnicodeError, ValueError):  # unknown charset label: fall back to detection
        return _decode_as(data, detect_encoding(data))


# ISO-8859 charsets whose bytes 0x80-0x9F are C1 controls, and the Windows charset of the same letters that is
# written in their place (its letters there, and others moved in the upper half)
_WINDOWS_SIBLING = {"iso8859-2": "cp1250", "iso8859-16": "cp1250", "iso8859-4": "cp1257", "iso8859-13": "cp1257", "iso8859-7": "cp1253",
                    "iso8859-8": "cp1255", "iso8859-6": "cp1256"}
_C1 = re.compile(rb"[\x80-\x9f]")
# The bytes where KOI8-U has the Ukrainian letters є і ї ґ Є І Ї Ґ and KOI8-R box-drawing characters, beside a letter
_KOI8_U_IN_WORDS = re.compile(rb"[\xa4\xa6\xa7\xad\xb4\xb6\xb7\xbd](?=[\xc0-\xff])|(?<=[\xc0-\xff])[\xa4\xa6\xa7\xad\xb4\xb6\xb7\xbd]")
# What a page read in the wrong one of two sibling charsets has next to its letters: a C1 control, U+FFFD, a symbol
# of Latin-1's upper half ("¶" for "ś", "±" for "ą"; not the quotes, ¡, ¿ or the middle dot) or a spacing accent
_ODD = "\x80-\x9f\ufffd\xa2-\xaa\xac\xae-\xb6\xb8-\xba\xbc-\xbe\u02c7\u02d8-\u02dd"
_ODD_BY_LETTER = re.compile(rf"[{_ODD}](?=[^\W\d_])|(?<=[^\W\d_])[{_ODD}]")


# The bytes 0x80-0x9F that are letters in each Windows sibling (š ť ž ś ź in cp1250): a quote or a dash there is no sign
_C1_LETTERS = {name: re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in range(0x80, 0xA0)
                                              if bytes([c]).decode(name, "replace").isalpha()) + b"]")
               for name in set(_WINDOWS_SIBLING.values())}


def _sibling_reads_better(data: bytes, iso: str, windows: str) -> bool:
    """Whether bytes with C1 bytes in them are the Windows sibling's. Yes where both read the other bytes alike (the C1
    bytes are its quotes and dashes: Lithuanian „ “ – in cp1257); else where some C1 bytes are its letters and it reads
    with fewer odd characters next to letters (Czech in cp1250 read as ISO-8859-2 lost its š, ť and ž; ISO-8859-2
    Polish or Czech with stray curly quotes read as cp1250 got "gę¶l±" and "Přílią ľlu»oučký")."""
    rest = data.translate(None, _C1_BYTES)
    if rest.decode(iso, "replace") == rest.decode(windows, "replace"):
        return True
    if not _C1_LETTERS[windows].search(data):
        return False
    odd = [len(_ODD_BY_LETTER.findall(data.decode(name, "replace"))) for name in (iso, windows)]
    return odd[1] < odd[0]


# A charset declared by a <meta> tag, in the bytes browsers prescan for it (the HTML standard: the first 1,024, comments not)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
META_PRESCAN_BYTES = 1024


def _declared_charset(data: bytes) -> str | None:
    """The charset a page's <meta> tag declares where the bytes are in it, as detection says too, and it is neither
    Latin nor Unicode: it outranks a server's Latin-1 label, a default (Tomcat's, old Apache's) under which text in
    windows-1251, GBK or Shift_JIS was Windows-1252 mojibake whole. (Browsers let the label win, and show that
    mojibake; a wrong meta on a Western page, which detection does not back, leaves the label standing.)"""
    m = _META_CHARSET.search(_COMMENT.sub(b"", data[:META_PRESCAN_BYTES]))
    if m is None:
        return None
    label = m.group(1).decode("ascii").lower()
    codec = _superset(label)
    if codec is None or codec == "cp1252":  # unknown, Latin, or Unicode (UTF-8 was tried; UTF-16 is never 8-bit bytes)
        return None
    detected = _superset(detect_encoding(data))
    if _SIBLINGS.get(detected, detected) == _SIBLINGS.get(codec, codec):  # (detection names windows-1253 Greek
        # ISO-8859-7 on long pages, KOI8-U Ukrainian KOI8-R: the same letters, and the declared charset knows which),
        # but a Central European, Baltic or Turkish one, which detection names for some Western text too, only where its
        # reading is letters of one of its languages as much as Windows-1252's is of Western ones (latin.py)
        if codec not in latin.LANGUAGES or latin.fits_as_well(data, codec):
            return label
    return label if codec == "cp949" and _looks_korean(data) else None  # (detection calls EUC-KR "utf-8")


# Charsets of the same letters in other places (an ISO-8859 charset and its Windows sibling; KOI8-R and KOI8-U): a page's
# <meta> may name one where detection names the other
_SIBLINGS = {**_WINDOWS_SIBLING, "koi8-u": "koi8-r"}


def _superset(label: str) -> str | None:
    """The codec a charset label is read in, as browsers read it (_AS_BROWSERS_READ), or None where it is none of those."""
    return _AS_BROWSERS_READ.get(label.lower()) or _AS_BROWSERS_READ.get(_codec(label))


def _decode_as(data: bytes, encoding: str) -> str:
    """Bytes read in a charset; as UTF-8, a bad byte is U+FFFD (bytes_to_str drops it: a page in a charset
    that detection does not know lost every letter that is not ASCII)."""
    if _codec(encoding) == "utf-8":
        return data.decode("utf-8", "replace")
    return bytes_to_str(data, encoding)


_UTF8_LABELS = {"utf-8", "utf8"}
# Labels browsers read as a superset encoding (WHATWG Encoding Standard): pages under them use the
# superset's characters (GBK under gb2312, cp949 under euc-kr, NEC/IBM extensions under shift_jis,
# quotes and dashes at 0x80-0x9F under iso-8859-1), which Python's strict codecs reject: the whole
# page then became Windows-1252 mojibake.
_AS_BROWSERS_READ = {
    **dict.fromkeys(["iso-8859-1", "iso8859-1", "iso88591", "iso_8859-1:1987", "ansi_x3.4-1968", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819", "ibm819", "iso_8859-1",
                     "iso-ir-100", "csisolatin1", "x-cp1252", "windows-1252"], "cp1252"),
    **dict.fromkeys(["iso-8859-9", "iso8859-9", "latin5", "l5", "iso_8859-9", "iso-ir-148", "csisolatin5", "windows-1254", "iso88599",
                     "x-cp1254"], "cp1254"),
    **dict.fromkeys(["iso-8859-11", "iso8859-11", "iso885911", "tis-620", "dos-874", "windows-874"], "cp874"),
    **dict.fromkeys(["gb2312", "gb_2312", "gb_2312-80", "chinese", "csgb2312", "csiso58gb231280", "iso-ir-58", "gbk", "x-gbk",
                     "euc-cn"], "gb18030"),
    **dict.fromkeys(["euc-kr", "euc_kr", "cseuckr", "csksc56011987", "iso-ir-149", "korean", "ks_c_5601-1987", "ks_c_5601-1989",
                     "ksc5601", "ksc_5601", "windows-949"], "cp949"),
    **dict.fromkeys(["shift_jis", "shift-jis", "sjis", "x-sjis", "ms932", "ms_kanji", "csshiftjis", "windows-31j"], "cp932"),
    **dict.fromkeys(["big5", "cn-big5", "csbig5", "x-x-big5"], "big5hkscs"),
    # Python's names of the other single-byte charsets of the web (what codecs.lookup gives for any of
    # their labels: windows-1251, iso-8859-2, ...): bytes they leave undefined are replaced, one each
    **{name: name for name in ("cp1252", "cp1254", "cp1250", "cp1251", "cp1253", "cp1255", "cp1256", "cp1257", "cp1258", "koi8-r", "koi8-u",
                               "gb18030", "big5hkscs", "cp932", "cp949", "cp874", "mac-cyrillic", "cp866",
                               *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)))},
    **dict.fromkeys(["euc-jp", "euc_jp", "x-euc-jp", "cseucpkdfmtjapanese"], "euc_jp"),  # NEC's row 13 too (_EUC_JP_ERRORS)
    # WHATWG labels Python does not know (its codecs have other names): read as browsers read them
    **dict.fromkeys(["x-mac-cyrillic", "x-mac-ukrainian"], "mac-cyrillic"),
    **dict.fromkeys(["x-mac-roman", "mac", "macintosh", "csmacintosh"], "mac-roman"),
    "koi8-ru": "koi8-u",
}
_EUC_JP_ERRORS = "provenance-euc-jp"


def _euc_jp_errors(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler for EUC-JP, as browsers read it (WHATWG): a pair Python's euc_jp leaves
    undefined is looked up in the same JIS X 0208 index as Shift_JIS (NEC's row 13: ①, ㈱, ≒; the
    NEC-selected IBM kanji of rows 89-92: 髙), here through cp932 at the same index; what is not
    there is one U+FFFD per pair or 0x8F triple, so the decoder stays aligned on the page's
    characters (plain "replace" lost step after each)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, at = exc.object, exc.start
    if data[at] == 0x8F and len(data) >= at + 3 and data[at + 1] >= 0xA1 and data[at + 2] >= 0xA1:  # JIS X 0212
        return "\ufffd", at + 3
    if len(data) >= at + 2 and 0xA1 <= data[at] <= 0xFE and 0xA1 <= data[at + 1] <= 0xFE:
        pointer = (data[at] - 0xA1) * 94 + data[at + 1] - 0xA1
        lead, trail = divmod(pointer, 188)
        sjis = bytes((lead + (0x81 if lead < 0x1F else 0xC1), trail + (0x40 if trail < 0x3F else 0x41)))
        try:
            return sjis.decode("cp932"), at + 2
        except UnicodeDecodeError:
            return "\ufffd", at + 2
    return "\ufffd", at + 1


codecs.register_error(_EUC_JP_ERRORS, _euc_jp_errors)


def _gb18030_errors(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler for GBK and GB18030 as browsers read them (WHATWG): the byte 0x80 is the euro sign
    (Windows' GBK has it there); else as "replace"."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return ("\u20ac", exc.start + 1) if exc.object[exc.start] == 0x80 else ("\ufffd", exc.end)


def _big5_errors(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler for Big5 as browsers read it (WHATWG): the pair A3E1 that Big5-HKSCS leaves undefined is
    the euro sign (Windows' Big5 has it there); another undefined pair is one U+FFFD ("replace" gave two, the trail
    byte read as a lead), but a trail byte in ASCII's range is read again as itself."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, at = exc.object, exc.start
    if data[at : at + 2] == b"\xa3\xe1":
        return "\u20ac", at + 2
    return "\ufffd", at + 2 if 0x81 <= data[at] <= 0xFE and len(data) > at + 1 and data[at + 1] >= 0xA1 else at + 1


codecs.register_error("provenance-gb18030", _gb18030_errors)
codecs.register_error("provenance-big5", _big5_errors)
_ERRORS = {"euc_jp": _EUC_JP_ERRORS, "gb18030": "provenance-gb18030", "big5hkscs": "provenance-big5"}  # per superset (_AS_BROWSERS_READ)


_UTF16_LABELS = {"unicode": "utf-16-le", "csunicode": "utf-16-le", "ucs-2": "utf-16-le", "iso-10646-ucs-2": "utf-16-le",
                 "unicodefeff": "utf-16-le", "unicodefffe": "utf-16-be"}  # WHATWG's labels that Python does not know


@lru_cache(maxsize=1024)
def _known_label(label: str) -> bool:
    """Whether a charset label names a charset (Python's, or one browsers read as another)."""
    if label in _UTF8_LABELS or label in _UTF16_LABELS or _superset(label) is not None:
        return True
    try:
        codecs.lookup(label)
    except (LookupError, ValueError):
        return False
    return True


def _codec(label: str) -> str:
    """Python's name of a charset label ('windows-1251' -> 'cp1251'), or the label when Python has none."""
    if label.lower() in _UTF16_LABELS:
        return _UTF16_LABELS[label.lower()]
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return label
_LATIN_LABELS |= {label for label, codec in _AS_BROWSERS_READ.items() if codec == "cp1252"}
MIN_GOOD_PER_BAD = 2  # good non-ASCII characters per invalid sequence, at least, for text to count as UTF-8 with a few bad bytes


def _mostly_valid(text: str, data: bytes) -> bool:
    """Whether text decoded from UTF-8 with replacement has many good non-ASCII characters per bad sequence.

    Latin-1, Windows-125x, Shift_JIS or GBK read as UTF-8 are almost all bad sequences; UTF-8 with a
    stray byte has one among good characters. U+FFFD already in the page is not a bad sequence.
    """
    replaced = text.count("\ufffd")
    bad = replaced - data.count(b"\xef\xbf\xbd")
    good = len(text) - len(text.encode("ascii", "ignore")) - replaced
    return good > 0 and good >= MIN_GOOD_PER_BAD * bad


# What charset detection (uchardet) says of Western text mislabelled UTF-8: a Latin single-byte
# charset, often the wrong one (iso8859-10 for Spanish); Windows-1252 is what such pages are written in.
_LATIN_FAMILY = re.compile(r"(iso[-_]?8859[-_]?(1|2|3|4|9|10|13|14|15|16)|(windows|cp)-?125[0247]|latin.*|ascii|us-ascii|utf-?8)")


_C1_BYTES = bytes(range(0x80, 0xA0))


def _not_utf8(detected: str, data: bytes) -> str:
    """The charset to read text with that is not valid UTF-8 although labelled so, from what detection says."""
    detected = (detected or "").lower()
    if detected.replace("-", "") == "utf8":  # detection gave up (its answer when the bytes fit no charset whole)
        if _looks_korean(data):  # uchardet calls EUC-KR Korean "utf-8" (tested)
            return "cp949"
        # One byte a charset leaves undefined (0x98 in Windows-1251) makes uchardet refuse that charset:
        # ask again without the 0x80-0x9F bytes (typographic marks in Windows-125x, rare letters)
        detected = detect_encoding(data.translate(None, _C1_BYTES)).lower()
    named = _superset(detected)
    if named in latin.LANGUAGES:  # Central European, Baltic, Turkish: named rightly for text in them,
        return latin.pick(data, named)  # and now and then for Western text: the letters decide (latin.py)
    return "cp1252" if _LATIN_FAMILY.fullmatch(detected) else detected


# Byte pairs that start with a high byte, in order from the start (non-overlapping, so aligned on
# EUC-KR's double-byte characters: ASCII in between is single bytes). Of these, KS X 1001's Hangul
# syllables (lead 0xB0-0xC8, trail 0xA1-0xFE) must be most of those that are not its punctuation and
# symbol rows (_NEUTRAL_LEADS: “ ” · ※ ▶ ■ ☎ ⓒ, full-width forms), and several distinct: all-caps
# Portuguese in cp1252 ("INFORMAÇÕES", "AÇÃO") makes KS X 1001 pairs too, but only a couple of
# different ones. Hanja count against (GB2312 Chinese and EUC-JP kanji read as cp949 are Hanja and
# Hangul mixed: 50-75% "Hangul"), and so do the kana rows (0xA4-0xA5: EUC-JP's kana).
_HIGH_PAIR = re.compile(rb"[\x80-\xff][\x00-\xff]")
_NEUTRAL_LEADS = frozenset((0xA1, 0xA2, 0xA3, 0xA6, 0xA7, 0xA8))
KOREAN_MIN_SYLLABLES = 8
KOREAN_MIN_DISTINCT = 5
KOREAN_MIN_SHARE = 0.8  # the 2,350 KS X 1001 syllables are nearly all of real text; cp949 adds 8,822 rare ones


def _looks_korean(data: bytes) -> bool:
    """Whether bytes are EUC-KR (or cp949) Korean: mostly KS X 1001 Hangul syllables, and all valid cp949."""
    sample = data[:65536]
    pairs = _HIGH_PAIR.findall(sample)
    hangul = [p for p in pairs if 0xB0 <= p[0] <= 0xC8 and p[1] >= 0xA1 and p[1] != 0xFF]
    neutral = sum(1 for p in pairs if p[0] in _NEUTRAL_LEADS)
    if (len(hangul) < KOREAN_MIN_SYLLABLES or len(set(hangul)) < KOREAN_MIN_DISTINCT
            or len(hangul) < KOREAN_MIN_SHARE * (len(pairs) - neutral)):
        return False
    try:
        sample.decode("cp949")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 1  # only cut inside the sample's last character
    return True
