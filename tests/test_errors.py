"""One-line error texts: what the CLI prints and faults record must never be empty or span lines."""
from __future__ import annotations

from provenance.errors import first_line, one_line


def test_the_first_line_of_an_exception_is_its_message_or_its_type_when_the_message_is_empty():
    assert first_line(ValueError("bad value\nmore detail")) == "bad value"
    assert first_line(OSError()) == "OSError"  # str(exc).splitlines()[0] raised IndexError here
    assert first_line(RuntimeError("  \n")) == "RuntimeError"
    assert first_line(ValueError("x" * 500), limit=10) == "x" * 10


def test_one_line_names_the_type_before_the_first_line():
    assert one_line(KeyError("k")) == "KeyError: 'k'"
    assert one_line(ValueError("a\nb")) == "ValueError: a"
