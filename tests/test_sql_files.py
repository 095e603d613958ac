"""Every schema file applies, every view runs on an empty store, and every named query is used."""
from __future__ import annotations

import re

import pytest

from provenance.sqlfiles import load_query, query_names, schema_files, view_files
from provenance.errors import StoreError
from tests.conftest import ROOT


def test_migrations_are_recorded_once_each(store):
    names = [r[0] for r in store.sql("SELECT name FROM _migrations ORDER BY name").fetchall()]
    assert names == [p.name for p in schema_files()]
    assert store.migrate() == []


@pytest.mark.parametrize("view", [p.stem for p in view_files()])
def test_every_view_runs_on_an_empty_store(store, view):
    text = (ROOT / "sql" / "views" / f"{view}.sql").read_text()
    found = re.search(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", text, re.I)
    if found is None:  # a table macro: call it with NULL arguments (a file pattern where it reads files)
        name, args = re.search(r"MACRO\s+(\w+)\(([^)]*)\)\s+AS\s+TABLE", text, re.I).groups()
        values = {"pattern": f"'{store.texts_dir}/*.parquet'"}
        source = f"{name}({', '.join(values.get(a.strip(), 'NULL') for a in args.split(','))})"
    else:
        source = found.group(1)
    store.sql(f"SELECT * FROM {source} LIMIT 1").fetchall()


def test_every_named_query_is_used_by_the_code():
    code = "\n".join(p.read_text() for p in (ROOT / "provenance").rglob("*.py"))
    unused = [n for n in query_names() if f'"{n}"' not in code and f"'{n}'" not in code and not _used_by_prefix(n, code)]
    assert unused == []


def _used_by_prefix(name: str, code: str) -> bool:
    """Queries named in an f-string over an allowlist, e.g. f"ingest_load_{table}"."""
    return any(f'"{prefix}{{' in code or f"f\"{prefix}{{" in code for prefix in {name[: i + 1] for i, c in enumerate(name) if c == "_"})


def test_an_unknown_query_name_lists_the_known_ones():
    with pytest.raises(StoreError, match="known: .*consistency_check"):
        load_query("no_such_query")
