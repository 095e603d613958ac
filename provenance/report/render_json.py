"""The report as JSON: the model itself, keys in a fixed order (docs/report.md describes the schema)."""
from __future__ import annotations

import json

from provenance.report.model import Report


def render_json(report: Report) -> str:
    """Return the report as indented JSON text ending in a newline."""
    return json.dumps(report.data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
