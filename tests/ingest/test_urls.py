"""URL parts: the fast host path agrees with urllib (hosts in ASCII form) on every URL, and registered domains follow the public suffix list."""
from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ingest.urls import ascii_host, registered_domain, split_host

HOST_CHARS = "abcXYZ019.-_~%:@[]\u00e9\t "
TAIL_CHARS = "/?#:@ab\t\n%"


def _reference(url: str) -> str | None:
    try:
        host = ascii_host(urlsplit(url.strip()).hostname)  # urlsplit's host, in its ASCII (IDNA) form
    except ValueError:
        return None
    return (host.rstrip(".").lower() or None) if host else None  # without a fully qualified name's dot


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["http", "https", "HTTP", "ftp", "h2+x", ""]),
       st.text(HOST_CHARS, max_size=12), st.sampled_from(["", ":80", ":", ":8x", ":65536"]), st.text(TAIL_CHARS, max_size=8))
def test_the_host_is_what_urlsplit_says_for_any_url(scheme, host, port, tail):
    url = f"{scheme}://{host}{port}{tail}"
    assert split_host(url) == _reference(url)


def test_a_fully_qualified_name_is_the_same_host_domain_and_sample_key():
    from provenance.ingest.urls import sample_key

    for url in ("http://user:pw@sub.example.co.uk./x", "https://SUB.Example.CO.UK:443/x"):
        assert split_host(url) == "sub.example.co.uk" and registered_domain(split_host(url)) == "example.co.uk"
    assert sample_key("http://sub.example.co.uk./x") == sample_key("http://sub.example.co.uk/x")
    assert split_host("http://./") is None


def test_common_urls_give_lower_case_hosts():
    assert split_host("https://WWW.Example.COM:8080/a?b#c") == "www.example.com"
    assert split_host("http://user:pw@host.example/") == "host.example"
    assert split_host("http://[::1]:80/") == "::1"
    assert split_host("not a url") is None


def test_registered_domains_follow_the_public_suffix_list():
    assert registered_domain("a.b.example.co.uk") == "example.co.uk"
    assert registered_domain("192.0.2.7") == "192.0.2.7"
    assert registered_domain(None) is None


def test_ip_addresses_are_their_own_domain_and_names_beginning_with_digits_are_not_addresses():
    assert [registered_domain(h) for h in ("2001:db8::7", "[2001:db8::7]", "::1")] == ["2001:db8::7", "[2001:db8::7]", "::1"]
    assert registered_domain("1password.com") == "1password.com"
    assert registered_domain("www.163.com") == "163.com"
    assert registered_domain("192.0.2.7.nip.io") == "nip.io"


def test_a_host_spelled_in_unicode_or_punycode_is_one_host_one_domain_and_one_sample_key():
    from provenance.ingest.urls import sample_key

    assert {split_host(u) for u in ("https://bücher.de/x", "https://BÜCHER.de/x", "https://xn--bcher-kva.de/x")} == {"xn--bcher-kva.de"}
    assert registered_domain(split_host("http://www.例え.公司.cn/")) == "xn--r8jz45g.xn--55qx5d.cn"  # 公司.cn is a public suffix
    assert sample_key("https://bücher.de/x") == sample_key("https://xn--bcher-kva.de/x")


def test_a_backslash_ends_the_host_as_browsers_read_it():
    from provenance.ingest.urls import normalize_url

    assert split_host("https://example.com\\path\\to") == "example.com"
    assert normalize_url("https://example.com\\a?q=1\\2") == "example.com/a?q=1\\2"  # in the query it is a character


def test_hosts_take_the_ascii_form_browsers_give_them():
    assert [split_host(u) for u in ("http://faß.de/", "http://ς.gr/", "https://☃.net/")] == ["xn--fa-hia.de", "xn--3xa.gr", "xn--n3h.net"]


def test_credentials_are_dropped_from_the_authority_alone():
    """The user information of the URL's own authority, up to its last '@' (as urlsplit finds the host); an '@' or a
    URL in the path or query is text (a first version rewrote '?next=http://cdn...&email=alice@example.org')."""
    from provenance.ingest.urls import without_credentials

    cases = {
        "https://user:secret@example.com/x": "https://example.com/x",
        "https://user:p@ss@host.com/": "https://host.com/",
        "https://a.example/track?next=http://cdn.example.com&email=alice@example.org": None,
        "https://example.com/share/http://bob@mail.example.org": None,
        "https://example.com/@someone/post": None,
        "https://h.example#x@y": None,
        "mailto:a@b.example": None,
    }
    for url, expected in cases.items():
        assert without_credentials(url) == (expected or url), url
        assert split_host(without_credentials(url)) == split_host(url), url
