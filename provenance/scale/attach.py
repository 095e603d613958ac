"""Make a shard directory queryable: the store's core tables become views over its Parquet and JSON.

Every query, view, estimator and report then runs on the shards unchanged: DuckDB reads the
Parquet parts directly (and prunes partitions on `crawl`). Views are typed exactly like the
tables they replace, and read only parts that a ledger entry names (see layout.py).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from provenance.errors import StoreError, UsageError, first_line
from provenance.ingest.jobs import SHARED_TABLES, TABLES
from provenance.scale.layout import COMPACT, EMPTY, ERRORS, FOLDS, LEDGER, ShardDir
from provenance.scale.ledger import FOLD_MARK, entry_files, fold_columns, record_columns
from provenance.sqlfiles import literal as _literal, table_kind
from provenance.store import Store

SOURCE_TABLES = ("sources", "ingest_errors")
CORE_TABLES = (*TABLES, *SOURCE_TABLES)
_PREFIX_RE = r"([0-9a-f]+-[0-9a-f]+)-[0-9]+[.]parquet$"
_PARTS_GLOB = "{table}/*/*.parquet"  # published parts: DIR/<table>/crawl=<crawl>/<prefix>-<n>.parquet (layout.py)
_COMPACTED_GLOB = "{table}/*/" + COMPACT + "/*.parquet"  # compacted files, a folder deeper (compact.py)
COMPACTED_PREFIX = ("part_prefix", "VARCHAR")  # the column of a compacted file's rows that names their part


@dataclass(frozen=True)
class Attachment:
    """What `attach` made visible."""

    path: str
    files: int
    failed: int
    documents: int
    tables: tuple[str, ...]  # tables that held parts at the attach (the others' views read the parts later runs add)
    parts: int = 0  # Parquet files as ingest published them (one per table and input file): `compact` merges them
    entries: int = 0  # ledger entry files not folded (one per input file): `compact` folds them


def attach(db: str, output: str) -> Attachment:
    """Replace the core tables of the store at db with views over the shard directory output (also
    to point a store at its shards where they were moved)."""
    out = shard_folder(output)  # before the store is opened (or made)
    with Store(db, reattach=True) as store:
        attached = attach_store(store, out)
        store.migrate()  # the store's own views, over the new ones (not built at the opening where the old shards are gone)
    return attached


def attach_store(store: Store, output: "str | ShardDir") -> Attachment:
    """Attach output to an open store; refuses a store that holds ingested rows."""
    out = output if isinstance(output, ShardDir) else shard_folder(output)
    _refuse_ingested(store)
    if not out.local:
        load_httpfs(store.con)
    columns = {t: columns_of(store, t) for t in CORE_TABLES}
    published = {t: sum(1 for _ in out.parts(t, compacted=False)) for t in TABLES}  # (listed once: a crawl's are 630,000)
    with_parts = tuple(t for t in TABLES if published[t] or out.has_parts(t, compacted=True))
    readable, folded = _hold_a_file_each(out, store, columns)
    statements = [_ledger_view(out, columns["sources"], folded), *_source_views(columns)]
    statements += [_parts_view(out, t, columns[t], *readable[t], by_name=_by_name(store, out, t, columns[t], readable[t])) if any(readable[t])
                   else _empty_view(t, columns[t]) for t in TABLES]
    run_id = store.new_run("attach", {"path": out.uri})
    with store.transaction() as con:  # the views and the attachments row that says what they read: together or not at all
        for table in CORE_TABLES:
            con.execute(f"DROP {_kind(store, table)} {table}")
        for sql in statements:
            con.execute(sql)
        files, failed = store.sql("SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') FROM sources").fetchone()
        documents = store.sql("SELECT count(*) FROM documents").fetchone()[0]
        store.query("scale_insert_attachment", path=out.uri, run_id=run_id, files=files, failed=failed,
                    documents=documents, tables=json.dumps(list(with_parts)),
                    attached_at=datetime.now(timezone.utc).replace(tzinfo=None))
    store.finish_run(run_id)
    entries = len(entry_files(out.list(LEDGER, ".json")))
    return Attachment(out.uri, files, failed, documents, with_parts, sum(published.values()), entries)


def _hold_a_file_each(out: ShardDir, store: Store, columns: dict[str, list[tuple[str, str]]]) -> tuple[dict[str, tuple[bool, bool]], bool]:
    """Put a file of no rows in each folder the views read, once, so that each view reads a glob that always matches:
    one over a folder empty at the attach (the error records of a run without failures, a table without parts) was an
    empty view for good (later failures never showed in ingest_errors), and one over a folder emptied later (its last
    error record removed when the file succeeded, --force --no-text) failed every query; so would a view of a store
    attached before the first `compact` (compact.py) over its compacted files, or its ledger's folds (ledger.py).
    Returns, by table, whether its view can read published parts and compacted files, and whether the ledger's view
    can read folds; where DIR cannot be written, only what is there now (the rest is read once attach runs again)."""
    placeholders = {f"{FOLDS}/{EMPTY}.parquet": fold_columns(columns["sources"])}
    for t in TABLES:  # (as deep as the views' globs)
        placeholders[f"{t}/crawl={EMPTY}/{EMPTY}.parquet"] = columns[t]
        placeholders[f"{t}/crawl={EMPTY}/{COMPACT}/{EMPTY}.parquet"] = [*columns[t], COMPACTED_PREFIX]
    try:
        for rel in (f"{LEDGER}/{EMPTY}.json", f"{ERRORS}/{EMPTY}.json", *(f"{t}/crawl={EMPTY}/{COMPACT}/{EMPTY}.json" for t in TABLES)):
            if rel not in out.list(rel.rsplit("/", 1)[0], ".json"):
                out.write_bytes(rel, b"")
        missing = [rel for rel in placeholders if rel not in out.list(rel.rsplit("/", 1)[0], ".parquet")]
        if missing:
            with tempfile.TemporaryDirectory(prefix="provenance-attach-") as tmp:
                for n, rel in enumerate(missing):
                    local = os.path.join(tmp, f"{n}.parquet")
                    store.con.execute(f"COPY ({no_rows(placeholders[rel])}) TO {_literal(local)} (FORMAT parquet)")
                    out.put_file(local, rel)
        return {t: (True, True) for t in TABLES}, True
    except OSError:  # a folder this machine cannot write (read-only shards)
        folded = bool(out.list(FOLDS, ".parquet"))
        if not folded and FOLD_MARK in out.list(LEDGER, ".json"):  # (its view would fail on the mark: ledger.py)
            raise StoreError(f"{out.uri}: its ledger is marked folded ({FOLD_MARK}) but holds no fold (a compaction killed?): "
                             "run 'provenance compact' on it where it can be written, then attach it") from None
        return {t: _globs_match(out, t) for t in TABLES}, folded


def _globs_match(out: ShardDir, table: str) -> tuple[bool, bool]:
    """Whether the globs of table's view match a file now: its published parts', and its compacted files' and their
    manifests' (an empty glob fails every query)."""
    folders = [f"{table}/{d}" for d in out.list_dirs(table)]
    compacted = [f"{f}/{COMPACT}" for f in folders]
    return (any(out.list(f, ".parquet") for f in folders),
            any(out.list(f, ".parquet") for f in compacted) and any(out.list(f, ".json") for f in compacted))


def shard_folder(output: str) -> ShardDir:
    """The shard folder at output; a UsageError where no ingest --output wrote (a typo swapped a store's data for nothing)."""
    out = ShardDir(output)
    try:
        holds = out.holds_shards()
    except OSError as exc:
        raise UsageError(f"{output}: cannot read it as a shard folder: {first_line(exc)}") from None
    if not holds:
        raise UsageError(f"{output}: not a shard folder (no ledger of an 'ingest --output' there)")
    return out


def _refuse_ingested(store: Store) -> None:
    for table in ("sources", "documents"):
        if _kind(store, table) == "TABLE":
            n = store.sql(f"SELECT count(*) FROM {table}").fetchone()[0]
            if n:
                raise StoreError(f"{store.path}: the store already holds ingested rows ({n} in {table}); "
                                 "attach shards to a new store, e.g. --db shards.duckdb")


def _kind(store: Store, table: str) -> str:
    kind = table_kind(store.con, table)
    if kind is None:
        raise StoreError(f"{store.path}: table {table} is missing; is this a provenance store?")
    return "VIEW" if kind == "VIEW" else "TABLE"


def columns_of(store: Store, table: str) -> list[tuple[str, str]]:
    return store.sql("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
                     "ORDER BY column_index", [table]).fetchall()


def load_httpfs(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error:
        try:
            con.execute("INSTALL httpfs; LOAD httpfs")
        except duckdb.Error as exc:
            raise StoreError(f"reading s3:// shards needs DuckDB's httpfs extension: {first_line(exc)}") from None


# -- view definitions (DDL cannot bind parameters: paths go in as escaped string literals) ----------

def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(columns: list[tuple[str, str]], alias: str) -> str:
    return ", ".join(f"CAST({alias}.{_ident(c)} AS {t}) AS {_ident(c)}" for c, t in columns)


def _json_records(out: ShardDir, folder: str, typed: list[tuple[str, str]], keyed: bool = False, but: str | None = None) -> str:
    """The records of a folder of JSON-lines files (ledger entries, error records: one object each) with these columns
    (keyed: and each file's key, its name without .json), but the file `but` (relative path).

    Read as text and parsed by from_json, not by read_json: read_json costs ~0.25 ms a file whatever its size
    (3.2-3.5x slower on 2,000-20,000 ledger entries, same rows: benchmarks/shard_ledger.py), and a crawl's ledger
    is 90,000 files until it is folded (ledger.py). Keys the columns do not name are left out; a missing key, or a value
    not of its column's type, is NULL (provenance writes neither); blank lines and attach's empty placeholders are no
    record; a line that is not one JSON object fails the query, naming its file.
    """
    if not out.list(folder, ".json"):
        return f"({no_rows([('key', 'VARCHAR'), *typed] if keyed else typed)})"
    glob = _literal(out.url(f"{folder}/*.json"))
    structure = _literal(json.dumps(dict(typed)))
    fields = ", ".join(f"r.j.{_ident(c)} AS {_ident(c)}" for c, _ in typed)
    key = "regexp_extract(r.filename, '([^/]*)[.]json$', 1) AS key, " if keyed else ""
    # (a WHERE does not keep from_json from the lines it drops: the optimizer may run it first; the CASE does)
    lines = f"SELECT filename, trim(unnest(string_split(content, chr(10))), ' ' || chr(9) || chr(13)) AS line FROM read_text({glob})"
    if but:
        lines += f" WHERE filename <> {_literal(out.url(but))}"
    record = (f"CASE WHEN line = '' THEN NULL WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN from_json(line, {structure}) "
              f"ELSE error('not a JSON object in ' || filename || ' (cut short, or not written by provenance): ' || left(line, 80)) END")
    return f"(SELECT {key}{fields} FROM (SELECT filename, {record} AS j FROM ({lines})) AS r WHERE r.j IS NOT NULL)"


def _ledger_view(out: ShardDir, columns: list[tuple[str, str]], folded: bool) -> str:
    """_scale_files: finished files (the ledger: its entry files, and the rows of its newest fold that no entry file
    overrides; ledger.py) plus failed ones (error records) not finished since. folded: read the folds' glob."""
    typed = record_columns(columns)
    names = ", ".join(_ident(c) for c, _ in typed)
    # (a view that reads no fold reads the mark of a folded ledger, and fails naming it: see ledger.FOLD_MARK)
    entries = _json_records(out, LEDGER, [*typed, ("tombstone", "BOOLEAN")], keyed=True, but=FOLD_MARK if folded else None)
    failed = _json_records(out, ERRORS, typed)
    done = f"SELECT {names} FROM entries WHERE tombstone IS NOT TRUE"
    if folded:  # (the newest fold's rows: an older one is left only by a fold killed before it deleted it)
        newest = (f"SELECT * FROM read_parquet({_literal(out.url(f'{FOLDS}/*.parquet'))}, union_by_name = true, filename = true) "
                  "QUALIFY filename = max(filename) OVER ()")
        done += f" UNION ALL SELECT {names} FROM ({newest}) AS f WHERE f.key NOT IN (SELECT key FROM entries)"
    # the latest entry of a path: --force writes its new entry before it removes the one it replaces
    # (each read once: a crawl's ledger is 90,000 entries, and `done` is read by both branches)
    return (f"CREATE OR REPLACE VIEW _scale_files AS WITH entries AS MATERIALIZED {entries}, done AS MATERIALIZED ({done}) "
            "SELECT * FROM done AS l QUALIFY row_number() OVER (PARTITION BY l.path ORDER BY l.finished_at DESC, l.run_id DESC) = 1 "
            f"UNION ALL SELECT * FROM {failed} AS e WHERE e.path NOT IN (SELECT path FROM done)")


def _source_views(columns: dict[str, list[tuple[str, str]]]) -> list[str]:
    err = columns["ingest_errors"]
    fields = {"source_id": "s.source_id", "path": "s.path", "offset": 'f."offset"', "record_id": "f.record_id",
              "kind": "f.kind", "reason": "f.reason", "run_id": "s.run_id", "created_at": "s.finished_at"}
    picks = ", ".join(f"CAST({fields[c]} AS {t}) AS {_ident(c)}" for c, t in err)
    return [
        f"CREATE VIEW sources AS SELECT {_select(columns['sources'], 's')} FROM _scale_files s",
        f"CREATE VIEW ingest_errors AS SELECT {picks} FROM _scale_files s, unnest(s.faults) AS t(f)",
    ]


def _by_name(store: Store, out: ShardDir, table: str, columns: list[tuple[str, str]], readable: tuple[bool, bool]) -> tuple[bool, bool]:
    """Whether the view reads table's published parts, and its compacted files, by the union of their schemas: unless
    every file of the glob read now, attach's placeholder too (it may be the file a view binds on), has the view's
    columns with one type each (sql/queries/scale_parts_uniform.sql). Files written later by this version have them
    too; a DIR that also holds parts of another layout is read by name."""
    names = [c for c, _ in columns]
    globs = ((_PARTS_GLOB.format(table=table), names), (_COMPACTED_GLOB.format(table=table), [*names, "part_prefix"]))
    return tuple(read and not store.query("scale_parts_uniform", glob=out.url(glob), names=wanted).fetchall()[0][0]
                 for (glob, wanted), read in zip(globs, readable))  # (a glob a read-only DIR has no file of is not read)


def _parts_view(out: ShardDir, table: str, columns: list[tuple[str, str]], published: bool = True, compacted: bool = True,
                by_name: tuple[bool, bool] = (True, True)) -> str:
    """The rows of table's parts that a ledger entry names: from the published parts (each file's prefix in its name)
    that no compaction's manifest names, and from the compacted files that a manifest commits and no other manifest
    replaces (each row's prefix in its column part_prefix; compact.py). by_name: read each glob by the union of its
    files' schemas (each file's footer read as each query is planned), else by the first file's (the others' columns
    matched to it by name)."""
    def scan(glob: str, by: bool) -> str:
        return (f"read_parquet({_literal(out.url(glob.format(table=table)))}, hive_partitioning = true, union_by_name = {str(by).lower()}, "
                "hive_types = {'crawl': VARCHAR}, filename = true)")

    branches = []
    if published:
        branches.append(f"SELECT {_select(columns, 'p')} FROM {scan(_PARTS_GLOB, by_name[0])} AS p "
                        f"SEMI JOIN live AS l ON regexp_extract(p.filename, {_literal(_PREFIX_RE)}, 1) = l.part_prefix"
                        + (" ANTI JOIN held AS h ON p.filename = h.part" if compacted else ""))
    if compacted:
        branches.append(f"SELECT {_select(columns, 'c')} FROM {scan(_COMPACTED_GLOB, by_name[1])} AS c "
                        "SEMI JOIN kept AS k ON c.filename = k.compacted "
                        "SEMI JOIN live AS l ON c.part_prefix = l.part_prefix")
    # (each read once a query: a crawl's ledger is 90,000 JSON files)
    ctes = ["live AS MATERIALIZED (SELECT part_prefix FROM _scale_files WHERE status = 'done')"]
    if compacted:
        ctes += [f"manifests AS MATERIALIZED ({_manifests(out, table)})",
                 "held AS MATERIALIZED (SELECT compacted, folder || unnest(m.parts) AS part FROM manifests)",
                 "kept AS MATERIALIZED (SELECT compacted FROM manifests WHERE compacted NOT IN "
                 f"(SELECT folder || '{COMPACT}/' || unnest(m.replaces) FROM manifests))"]
    body = f"WITH {', '.join(ctes)} {' UNION ALL '.join(branches)}"
    if table in SHARED_TABLES:  # every file carries its own tokens: one row per (tokenizer, token_id)
        return f"CREATE VIEW {table} AS SELECT tokenizer, token_id, any_value(token) AS token FROM ({body}) GROUP BY tokenizer, token_id"
    return f"CREATE VIEW {table} AS {body}"


def _manifests(out: ShardDir, table: str) -> str:
    """(compacted, folder, m): each manifest of compact.py for table, its compacted file and folder (addresses as the
    parquet globs give them), and m its parts and the compacted files it replaces. A manifest that is not one JSON
    object fails the query, naming its file."""
    glob = _literal(out.url(f"{table}/*/{COMPACT}/*.json"))
    m = ("CASE WHEN trim(content, ' ' || chr(9) || chr(10) || chr(13)) = '' THEN NULL "
         "WHEN json_valid(content) AND json_type(content) = 'OBJECT' "
         "THEN from_json(content, '{\"parts\": [\"VARCHAR\"], \"replaces\": [\"VARCHAR\"]}') "
         "ELSE error('not a JSON object in ' || filename || ' (cut short, or not written by provenance)') END")
    return (f"SELECT * FROM (SELECT regexp_replace(filename, '[.]json$', '.parquet') AS compacted, "
            f"regexp_replace(filename, '/{COMPACT}/[^/]*$', '/') AS folder, {m} AS m FROM read_text({glob})) WHERE m IS NOT NULL")


def _empty_view(table: str, columns: list[tuple[str, str]]) -> str:
    return f"CREATE VIEW {table} AS {no_rows(columns)}"


def no_rows(columns: list[tuple[str, str]]) -> str:
    """A SELECT of no rows with these (name, type) columns."""
    return f"SELECT {', '.join(f'CAST(NULL AS {t}) AS {_ident(c)}' for c, t in columns)} WHERE false"
