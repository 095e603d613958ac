"""URLs: host, registered domain (public suffix list, bundled), and the panel-sampling hash."""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

import idna
import xxhash

_PSL = None
_IP_FIRST = frozenset("0123456789[")
# scheme://host[:port] followed by a path, query, fragment or the end: the common case, where the
# host is exactly what urlsplit(...).hostname returns (tested); anything else goes to urlsplit.
_PLAIN_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9._~-]+)(?::[0-9]*)?(?=[/?#]|$)")


def split_host(url: str) -> str | None:
    """Return the lower-cased host of a URL, or None; a host in Unicode as its ASCII (punycode) form,
    without the dot of a fully qualified name ('example.com.' is example.com: one site, one host)."""
    url = url.strip()
    m = _PLAIN_HOST.match(url)
    if m is not None:
        host: str | None = m.group(1)
    else:
        try:
            host = ascii_host(urlsplit(_slashes(url)).hostname)
        except ValueError:
            return None
    return (host.rstrip(".").lower() or None) if host else None


# the scheme at the URL's start, then the authority's user information: up to its last '@' (a password may hold one;
# the host begins after the last, as urlsplit reads it), never past the authority's end (/ ? # or \)
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\\]*@")


def without_credentials(url: str) -> str:
    """The URL without its user information ('https://user:secret@host/x' -> 'https://host/x'): a crawler that
    logged in wrote its password into WARC-Target-URI, and a store's URLs are shared, reported and queried. Only the
    authority's: an '@' or another URL in the path, query or fragment is left as it is."""
    if "@" not in url:
        return url
    m = _USERINFO.match(url)
    return m.group(1) + url[m.end():] if m else url


def _slashes(url: str) -> str:
    """Backslashes before the query or fragment as slashes, as browsers read http(s) URLs (one ends the host)."""
    if "\\" not in url:
        return url
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:cut].replace("\\", "/") + url[cut:]


def ascii_host(host: str | None) -> str | None:
    """The host's ASCII form as browsers make it (UTS 46, non-transitional: 'bücher.de' -> 'xn--bcher-kva.de',
    'faß.de' -> 'xn--fa-hia.de'), so a site spelled both ways is one host; else Python's IDNA 2003
    (it takes emoji hosts); a host both refuse stays as it is."""
    if not host or host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@lru_cache(maxsize=1 << 16)
def registered_domain(host: str | None) -> str | None:
    """Return the registered domain (eTLD+1) of a host; IP addresses and bare suffixes map to themselves."""
    global _PSL
    if not host:
        return None
    if host[0] in _IP_FIRST or ":" in host:  # an IP address begins with a digit (v4) or holds a colon (v6)
        try:
            ipaddress.ip_address(host.strip("[]"))
            return host
        except ValueError:
            pass
    if _PSL is None:
        from publicsuffixlist import PublicSuffixList

        _PSL = PublicSuffixList()  # bundled list: no network
    return _PSL.privatesuffix(host) or host


def normalize_url(url: str) -> str:
    """Return the URL's identity across crawls: no scheme, no 'www.', no default port or fragment."""
    try:
        parts = urlsplit(_slashes(url.strip()))
        host = (ascii_host(parts.hostname) or "").rstrip(".").removeprefix("www.")
        port = parts.port
    except ValueError:
        return url.strip().lower()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    return f"{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def sample_key(url: str) -> float:
    """Return a uniform number in [0, 1) fixed by the normalized URL (same in every crawl)."""
    return xxhash.xxh64_intdigest(normalize_url(url).encode("utf-8", "surrogatepass")) / 2.0**64


def keep_url(url: str, rate: float) -> bool:
    """Keep a document when its URL's sample key falls under rate: a panel across years."""
    return rate >= 1.0 or sample_key(url) < rate
