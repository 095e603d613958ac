"""Yearly drift report: one model built from the store, rendered as HTML, Markdown or JSON.

    from provenance.report import ReportConfig, compute_missing, build_report, render
    with Store("web.duckdb") as store:
        compute_missing(store, ReportConfig())          # estimators / simulator runs the store lacks
        report = build_report(store, ReportConfig())
    text = render(report, "html")
"""
from __future__ import annotations

from pathlib import Path

from provenance.errors import UsageError
from provenance.report.compute import compute_missing, missing_steps, resolve_baseline
from provenance.report.config import FORMATS, ReportConfig
from provenance.report.model import SCHEMA_VERSION, Report, build_report
from provenance.report.monitoring import check_thresholds, parse_threshold
from provenance.report.render_html import render_html
from provenance.report.render_json import render_json
from provenance.report.render_md import render_markdown

__all__ = [
    "FORMATS", "SCHEMA_VERSION", "Report", "ReportConfig", "build_report", "check_thresholds", "compute_missing",
    "missing_steps", "parse_threshold", "render", "render_html", "render_json", "render_markdown", "resolve_baseline",
    "write_report",
]


def render(report: Report, fmt: str) -> str:
    """Return the report in one of FORMATS (html, md, json); raise UsageError otherwise."""
    renderers = {"html": render_html, "md": render_markdown, "json": render_json}
    if fmt not in renderers:
        raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return renderers[fmt](report)


def write_report(report: Report, fmt: str, out: str | Path) -> Path:
    """Render the report and write it to out (parent folders created); return the path."""
    path = Path(out)
    text = render(report, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
