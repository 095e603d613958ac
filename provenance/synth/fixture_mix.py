"""Machine documents for the test fixtures: which generated texts go into which crawl year.

`fixtures/machine/smollm2.jsonl` (written by scripts/generate_machine_text.py) is split in two by
line number: even lines (0, 2, 4, ...) are the mixing pool, odd lines are held apart as the machine
reference for tests (they never appear in a crawl). `fixture_mix` hands out the mixing pool in
order, year by year, so that a year with n human documents gets k = round(s n / (1 - s)) machine
documents and its machine share of documents is k / (n + k), close to the target s.

What scripts/build_fixtures.py does with it (one more list passed to documents_for_year):
  1. rows = read_machine_rows(); plan = fixture_mix(rows, {year: n_human_docs}, MACHINE_SHARES)
  2. each planned row becomes one fresh HTML page (or a WET conversion record in the WET year) whose
     main text is row["text"] (title: row["topic"]), origin "smollm2", with its own URL;
  3. truth.json gets "machine_share": {"2021": k/(n+k), ...} for every year (0.0 for years without
     machine documents) and "machine_lines": the jsonl line numbers mixed in, per year.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MACHINE_SHARES = {2021: 0.05, 2023: 0.15, 2025: 0.30}
MACHINE_FIXTURE = Path(__file__).resolve().parent.parent.parent / "fixtures" / "machine" / "smollm2.jsonl"


def read_machine_rows(path: str | Path = MACHINE_FIXTURE) -> list[dict[str, Any]]:
    """Return the generated rows of a machine JSONL file, each with its 0-based `line` number."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f):
            if line.strip():
                rows.append({**json.loads(line), "line": line_no})
    return rows


def mixing_pool(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows that may be mixed into crawl years (even line numbers)."""
    return [r for r in rows if r["line"] % 2 == 0]


def held_apart(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows held apart as the tests' machine reference (odd line numbers)."""
    return [r for r in rows if r["line"] % 2 == 1]


def machine_count(n_human: int, share: float) -> int:
    """Return k, the machine documents that make k / (n_human + k) closest to share."""
    return round(share * n_human / (1.0 - share))


def fixture_mix(rows: list[dict[str, Any]], human_docs: dict[int, int],
                shares: dict[int, float] = MACHINE_SHARES) -> dict[int, list[dict[str, Any]]]:
    """Return the machine rows to add to each year (years in order; the pool is used front to back).

    Raises ValueError if the pool is too small for the requested shares."""
    pool, plan, used = mixing_pool(rows), {}, 0
    for year in sorted(shares):
        k = machine_count(human_docs[year], shares[year])
        if used + k > len(pool):
            raise ValueError(f"{k} machine documents needed for {year}, {len(pool) - used} left in the pool")
        plan[year], used = pool[used:used + k], used + k
    return plan


def realized_shares(plan: dict[int, list[dict[str, Any]]], human_docs: dict[int, int]) -> dict[str, float]:
    """Return the machine share of documents of every year, as truth.json's "machine_share" holds it."""
    return {str(y): len(plan.get(y, [])) / (n + len(plan.get(y, []))) for y, n in sorted(human_docs.items())}
