"""HTTP payloads inside archive records: status, headers, and a decoded body (chunked, gzip, deflate)."""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from provenance.ingest.native import archive
from provenance.ingest.streams import is_zstd


@dataclass
class HttpPayload:
    """A parsed HTTP response: status code, lower-cased headers, decoded body, and any decoding problem."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    problem: str | None = None
    _media: tuple[str, str | None] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def _media_type(self) -> tuple[str, str | None]:
        # (not a functools.cached_property: on Python 3.11 it takes a lock at each first read, 2% of the worker)
        if self._media is None:
            self._media = media_type(self.headers.get("content-type", ""))
        return self._media

    @property
    def content_type(self) -> str:
        return self._media_type[0]

    @property
    def charset(self) -> str | None:
        return self._media_type[1]


def media_type(value: str) -> tuple[str, str | None]:
    """The lower-cased type/subtype and charset of a Content-Type value.

    A repeated field arrives joined with commas ("text/html, text/html; charset=utf-8", from
    misconfigured servers): the last type/subtype wins, with its charset, or the charset of an
    earlier one of the same type (as browsers read it: Fetch, "extract a MIME type").
    """
    essence, charset = "", None
    for item in value.split(",") if "," in value else ():
        kind = _essence(item.split(";")[0].strip().lower())
        if kind:
            item_charset = charset_of(item)
            if kind != essence:
                essence, charset = kind, item_charset
            elif item_charset:
                charset = item_charset
    if not essence:  # a single value, or no type/subtype in any item: read it whole
        return _essence(value.split(";")[0].strip().lower()), charset_of(value)
    return essence, charset


_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+")  # token "/" token (RFC 9110)
# Types that say nothing of the body (WHATWG MIME Sniffing's "unknown type"; Chromium's own label for
# it, which browser-based crawlers record)
UNKNOWN_TYPES = frozenset({"unknown/unknown", "application/unknown", "*/*", "application/x-unknown-content-type"})


def _essence(kind: str) -> str:
    """A lower-cased type/subtype as it is, or "" (its body tells what it is, as browsers read it) when it is
    not one ("text/html charset=utf-8": a semicolon missing; '"text/html"') or one of UNKNOWN_TYPES."""
    return kind if kind not in UNKNOWN_TYPES and _TYPE.fullmatch(kind) else ""


def charset_of(content_type: str) -> str | None:
    """The lower-cased charset parameter of a Content-Type value, if any."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").lower() or None
    return None


MAX_INTERIM = 8  # interim (1xx) responses read past before the final one


def parse_response(block: bytes, max_body_bytes: int, native: bool | None = None) -> HttpPayload:
    """Split an HTTP response into status, headers and a decoded body (bounded by max_body_bytes)."""
    fast = archive(native)
    at = 0
    for i in range(MAX_INTERIM):
        rest = block[at:] if at else block
        head = fast.http_head(rest) if fast is not None else None  # None: not plain ASCII, or no end
        if head is None:
            head = _head(rest)
        if head is None:
            return HttpPayload(None, {}, b"", "no end of HTTP headers")
        status, headers, body_at = head
        # an interim response ("100 Continue"), or a proxy's "200 Connection established" to a CONNECT (no Content-*
        # or Transfer-* field), recorded before the real one
        # (another response after the head is checked first: it is rare, and the fields' scan is not)
        interim = rest[body_at : body_at + 5].upper() == b"HTTP/" and status is not None
        interim = interim and (100 <= status < 200 or (status == 200 and i == 0 and not _describes_body(headers)))
        if not interim or i == MAX_INTERIM - 1:  # past the bound, the last one read stands with the rest as its body
            break
        at += body_at
    body_at += at
    body, problem = decode_body(block[body_at:], headers, max_body_bytes)
    return HttpPayload(status, headers, body, problem)


def _describes_body(headers: dict[str, str]) -> bool:
    return any(name.startswith(("content-", "transfer-")) for name in headers)


_BLANK = re.compile(rb"[\r\n\t ]*")
_HEAD_END = re.compile(rb"\n\r?\n")  # an empty line: CRLF CRLF, LF LF, or a LF-ended field before a CRLF


def _head(block: bytes) -> tuple[int | None, dict[str, str], int] | None:
    """(status, lower-cased header fields, where the body starts), or None when the head has no end.

    Blank lines before the status line are skipped (some archive writers leave one), and a field
    folded onto lines that start with a space or tab (obs-fold, RFC 9112 5.2) is one value.
    """
    start = _BLANK.match(block).end()
    blank = _HEAD_END.search(block, start)  # the first empty line, whatever the line ends (CRLF, LF, mixed)
    if blank is None:
        return None
    lines = block[start : blank.start()].decode("latin-1").splitlines()
    status = _status(lines[0] if lines else "")
    values: dict[str, list[list[str]]] = {}  # per field, its values, each in its folded pieces: joined once
    pieces: list[str] | None = None  # (joined at each repeat or fold, 2.6 MB of "X-A: b" lines took 3.8 s)
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if pieces is not None:
                pieces.append(line.strip())
            continue
        name, ok, value = line.partition(":")
        if ok:
            pieces = [value.strip()]
            values.setdefault(name.strip().lower(), []).append(pieces)
    headers = {key: ", ".join(" ".join(p for p in folded if p) for folded in field) for key, field in values.items()}
    return status, headers, blank.end()


def _status(line: str) -> int | None:
    parts = line.split(None, 2)
    if len(parts) >= 2 and parts[0].upper().startswith("HTTP/") and parts[1].isascii() and parts[1].isdigit():
        return int(parts[1])
    return None


def decode_body(body: bytes, headers: dict[str, str], max_bytes: int) -> tuple[bytes, str | None]:
    """Undo Transfer-Encoding: chunked and Content-Encoding (gzip, deflate, br; stacked ones in reverse order).

    Returns (body, problem). A body that does not decode as labelled is returned as it is with a
    problem: crawlers often store the decoded body under the original header.
    """
    problem = None
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, problem = dechunk(body)
    codings = [c.strip() for c in headers.get("content-encoding", "").lower().split(",") if c.strip()]
    for coding in reversed(codings):  # "gzip, br" was gzipped first, then brotli'd
        if coding in ("gzip", "x-gzip", "deflate"):
            body, problem2 = _inflate(body, coding, max_bytes)
        elif coding == "br":
            body, problem2 = _unbrotli(body, max_bytes)
        elif coding == "zstd":
            body, problem2 = _unzstd(body, max_bytes)
        elif coding in ("identity", "none"):
            continue
        else:
            problem2 = f"unsupported Content-Encoding {coding!r}"
        problem = problem or problem2
        if problem2 and not problem2.endswith(CUT_OFF):  # a cut stream's output is the start of the next coding's
            break
    if not codings and body[:2] == b"\x1f\x8b":  # gzip sent without its header (misconfigured servers)
        inflated, problem2 = _inflate(body, "gzip", max_bytes)
        if inflated is not body:  # decoded (whole, cut off or bounded)
            body, problem = inflated, problem or problem2
    return body, problem


_HEX = re.compile(rb"0*[0-9A-Fa-f]{1,16}")
_CAPITALIZED = re.compile(rb"[A-F][a-f]+")  # a word of hex letters as text writes it ("Face"), never a server's size


def dechunk(body: bytes) -> tuple[bytes, str | None]:
    """Decode chunked transfer encoding; a malformed stream keeps what decoded cleanly."""
    out, pos = bytearray(), 0
    while True:
        eol = body.find(b"\n", pos)
        if eol < 0:  # at the start: one line (minified HTML) stored de-chunked under the header, as below
            return (body, None) if pos == 0 else (bytes(out), "chunked body ends without a last chunk")
        size_text = body[pos:eol].split(b";")[0].strip()
        if not _HEX.fullmatch(size_text):  # int() would also take "-5", "+5", "1_0": a negative size looped forever
            # Many crawlers store the de-chunked body but keep the header: then it is not chunked at all.
            return (body, None) if pos == 0 else (bytes(out), "malformed chunk size")
        size = int(size_text, 16)
        if size == 0:
            return bytes(out), None
        if pos == 0 and eol + 1 + size > len(body) and (body[eol - 1 : eol] != b"\r" or _CAPITALIZED.fullmatch(size_text)):
            # a first chunk past the body's end, its line not CRLF-ended or its size a capitalized word
            # ("Face", "Dead"): text stored de-chunked (a real chunked body cut by the crawler has a CRLF
            # after a size its server writes in one case: "1f40", "1F40", "ffff", "FFFF")
            return body, None
        end = eol + 1 + size
        if pos == 0 and end < len(body) and body[end : end + 1] not in (b"\r", b"\n"):
            # a first chunk whose data no line end follows: text stored de-chunked whose first line reads as a
            # size ("a", "1" of a subtitle file, "2024"); decoded, it was cut to that many bytes
            return body, None
        out += body[eol + 1 : end]
        pos = end
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
        elif body[pos : pos + 1] == b"\n":
            pos += 1


def _inflate(body: bytes, encoding: str, max_bytes: int) -> tuple[bytes, str | None]:
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    for bits in (wbits, -zlib.MAX_WBITS, 32 + zlib.MAX_WBITS):  # deflate is raw or zlib-wrapped in the wild
        try:
            d = zlib.decompressobj(bits)
            out = d.decompress(body, max_bytes + 1)
        except zlib.error:
            continue
        if d.eof and bits > zlib.MAX_WBITS and d.unused_data[:2] == GZIP_MAGIC:  # gzip members one after another (RFC 1952)
            return _more_members(out, d.unused_data, max_bytes)
        if len(out) > max_bytes:
            return out[:max_bytes], f"decoded body exceeds {max_bytes} bytes; truncated"
        return out, None if d.eof else _problem("cut", encoding, max_bytes)  # (a record cut by its crawler: as brotli's, zstd's)
    return body, f"cannot decode Content-Encoding {encoding}"


GZIP_MAGIC = b"\x1f\x8b"
MAX_GZIP_MEMBERS = 4096  # a body of tiny members costs a decoder each: bounded like the body's size


def _more_members(out: bytes, rest: bytes, max_bytes: int) -> tuple[bytes, str | None]:
    """The first member's output and the members after it, as gzip(1) reads a file of several."""
    parts, size, problem = [out], len(out), None
    view, pos = memoryview(rest), 0
    for _ in range(MAX_GZIP_MEMBERS):
        if size > max_bytes or view[pos : pos + 2] != GZIP_MAGIC:  # bytes after the last member (a stray CRLF) are ignored, as by gzip(1)
            break
        try:
            out, ended, pos = _member(view, pos, max_bytes + 1 - size)
        except zlib.error:
            problem = "gzip body: a later member cannot be decoded"
            break
        parts.append(out)
        size += len(out)
        if not ended:  # cut off (as a first member may be), or past max_bytes
            problem = problem if size > max_bytes else _problem("cut", "gzip", max_bytes)
            break
    else:
        problem = f"gzip body of more than {MAX_GZIP_MEMBERS} members; the rest ignored"
    if size > max_bytes:
        return b"".join(parts)[:max_bytes], f"decoded body exceeds {max_bytes} bytes; truncated"
    return b"".join(parts), problem


MEMBER_FEED = 1 << 16  # input per call: at a member's end zlib copies the input left over, so it is fed in slices


def _member(view: memoryview, pos: int, room: int) -> tuple[bytes, bool, int]:
    """Inflate the gzip member at view[pos:], up to room bytes: (output, whether it ended, where it ended)."""
    d, parts, size = zlib.decompressobj(16 + zlib.MAX_WBITS), [], 0
    while not d.eof and pos < len(view) and size < room:
        piece = view[pos : pos + MEMBER_FEED]
        parts.append(d.decompress(piece, room - size))
        size += len(parts[-1])
        # unconsumed input (the room ran out) is fed again; at the member's end what is left is not its own
        pos += len(piece) - (len(d.unused_data) if d.eof else len(d.unconsumed_tail))
    return b"".join(parts), d.eof, pos


FEED_BYTES = 1024  # input per call: brotli and zstd objects have no output limit, so bodies are fed in small slices


def _unbrotli(body: bytes, max_bytes: int) -> tuple[bytes, str | None]:
    """Content-Encoding: br. Bytes after the end of the stream (a stray CRLF, the next response) are ignored
    when the stream is most of the body: a body stored decoded may begin with bytes that are a whole
    (empty, or short) brotli stream on their own ("3 reasons to ...": the byte 3 is one)."""
    import brotli

    out, state, used = _stream(lambda: _Brotli(brotli.Decompressor()), brotli.error, memoryview(body), max_bytes)
    if (state == "corrupt" or (state == "end" and used < len(body) and (not out or used < len(body) - used))
            or (state == "cut" and len(out) < len(body))):  # a stream that never ends and gave less than it took: no stream
        # ("Lorem ipsum" stored decoded: brotli reads "L" as the start of a stream and waits for the rest)
        return body, "cannot decode Content-Encoding br"
    return out, _problem(state, "brotli", max_bytes)


def _unzstd(body: bytes, max_bytes: int) -> tuple[bytes, str | None]:
    """Content-Encoding: zstd (sent by servers to browsers since 2024; browser-based crawlers keep it).

    A body may hold several frames, skippable frames among them (RFC 8878), each decoded in turn;
    bytes after the last frame that do not begin another are ignored.
    """
    import zstandard

    def new() -> _Zstd:
        return _Zstd(zstandard.ZstdDecompressor().decompressobj())

    frames: list[bytes] = []
    size, rest = 0, memoryview(body)
    while len(frames) < MAX_ZSTD_FRAMES:
        out, state, used = _stream(new, zstandard.ZstdError, rest, max_bytes - size)
        if state == "corrupt":  # the first frame: stored decoded under the header; a later one: keep the frames before it
            return (body, "cannot decode Content-Encoding zstd") if not frames else (b"".join(frames), "zstd body: a later frame cannot be decoded")
        frames.append(out)
        size += len(out)
        rest = rest[used:]
        if state != "end" or not is_zstd(bytes(rest[:4])):
            return b"".join(frames), _problem(state, "zstd", max_bytes)
    return b"".join(frames), f"zstd body of more than {MAX_ZSTD_FRAMES} frames; the rest ignored"


def _problem(state: str, name: str, max_bytes: int) -> str | None:
    """The problem to record for a stream's end state (see _stream)."""
    return {"bound": f"decoded body exceeds {max_bytes} bytes; truncated", "cut": f"{name} {CUT_OFF}"}.get(state)


CUT_OFF = "body cut off"


MAX_ZSTD_FRAMES = 4096  # a body of tiny (skippable) frames costs a decoder each: bounded like the body's size


class _Brotli:
    def __init__(self, d: Any) -> None:
        self.feed, self.finished = d.process, d.is_finished

    def unused(self) -> bytes:
        return b""  # brotli raises on bytes past the end instead (see _stream)


class _Zstd:
    def __init__(self, d: Any) -> None:
        self.d, self.feed = d, d.decompress

    def finished(self) -> bool:
        return self.d.eof

    def unused(self) -> bytes:
        return self.d.unused_data


def _stream(new: Callable[[], Any], error: type[Exception], body: memoryview, max_bytes: int) -> tuple[bytes, str, int]:
    """Decode the compressed stream at the start of body, FEED_BYTES at a time, up to max_bytes of output.

    Returns (output, state, input bytes used): state "end" (the stream ended), "bound" (max_bytes
    reached), "cut" (the body ends first) or "corrupt". A decoder that rejects a slice holding its
    stream's end and bytes after it (brotli) is run again up to that slice and given it a byte at a
    time, so the end is found and the rest left.
    """
    s, out, size, i = new(), [], 0, 0
    while i < len(body):
        piece = body[i : i + FEED_BYTES]
        try:
            chunk = s.feed(piece)
        except error:
            s, chunk, piece = _end_within(new, error, body[:i], piece)
            if s is None:
                return b"", "corrupt", 0
        out.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(out)[:max_bytes], "bound", len(body)
        i += len(piece)
        if s.finished():
            return b"".join(out), "end", i - len(s.unused())
    return b"".join(out), ("end" if s.finished() else "cut"), len(body)


def _end_within(new: Callable[[], Any], error: type[Exception], before: bytes, piece: bytes) -> tuple[Any, bytes, bytes]:
    """(decoder, output of piece, the bytes of piece used) if the stream ends inside piece, else (None, b"", b"")."""
    s = new()
    for j in range(0, len(before), FEED_BYTES):  # these decoded before: replayed only to reach the same state
        s.feed(before[j : j + FEED_BYTES])
    got = []
    for k in range(len(piece)):
        try:
            got.append(s.feed(piece[k : k + 1]))
        except error:
            break
        if s.finished():
            return s, b"".join(got), piece[: k + 1]
    return None, b"", b""


_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13))
BINARY_SNIFF_BYTES = 4096
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # little-, big-endian
WIDE_BOMS = (*UTF16_BOMS, b"\x00\x00\xfe\xff")  # and UTF-32's (its little-endian one begins with UTF-16's)


def looks_binary(body: bytes, charset: str | None = None, native: bool | None = None) -> bool:
    """Whether a payload is not text: over 2% control bytes (not tab, newlines, form feed) in its first 4 KB.

    UTF-16 and UTF-32 text (a BOM or the charset says so) is full of NUL bytes and is text; ISO-2022-JP
    text (an ESC $ designation) is full of ESC bytes and is text (ISO-2022-KR/CN's shift bytes are not
    exempted: browsers do not read those charsets either).
    """
    if body.startswith(WIDE_BOMS) or (charset or "").lower().startswith(("utf-16", "utf-32", "utf16", "utf32")):
        return False
    fast = archive(native)
    n = min(len(body), BINARY_SNIFF_BYTES)
    if fast is not None:
        controls = fast.control_bytes(body, BINARY_SNIFF_BYTES)
    else:
        head = body[:BINARY_SNIFF_BYTES]
        controls = n - len(head.translate(None, _CONTROL_BYTES))
    if controls > n // 50 and b"\x1b$" in body[:n]:  # ISO-2022-JP text: escapes switch its character sets
        controls -= body.count(b"\x1b", 0, n)
    return controls > n // 50
