"""Fixtures of the synthetic-share tests."""
from __future__ import annotations

import pytest

from tests.synth.helpers import make_corpora


@pytest.fixture(scope="session")
def corpora() -> dict[str, list[str]]:
    """Synthetic human and machine corpora (not real text; see provenance.synth.synthetic)."""
    return make_corpora()
