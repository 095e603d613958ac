"""The store and its query commands meet real users: foreign DuckDB files, odd SQL, big results, interrupts."""
from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from provenance.arrow_views import registered
from provenance.cli import app
from provenance.cli.app import TABLE_MAX_ROWS
from provenance.config import IngestConfig
from provenance.errors import StoreError, UsageError
from provenance.store import Store
from tests.conftest import response_record

runner = CliRunner()


@pytest.fixture()
def store_path(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["ingest", str(make_warc("a.warc.gz", [response_record(i) for i in range(3)])), "--db", db]).exit_code == 0
    return db


def _duckdb_file(path, *statements):
    con = duckdb.connect(str(path))
    for sql in statements:
        con.execute(sql)
    con.close()
    return str(path)


def test_a_duckdb_file_of_other_tables_is_never_taken_for_a_store_nor_changed(tmp_path):
    other = _duckdb_file(tmp_path / "sales.duckdb", "CREATE TABLE orders (id INT)")
    for read_only in (True, False):
        with pytest.raises(StoreError, match="not a provenance store .*orders"):
            Store(other, read_only=read_only)
    for command in (["info"], ["check"], ["dups"], ["sql", "SELECT 1"]):
        result = runner.invoke(app, [*command, "--db", other])
        assert result.exit_code == 1 and "not a provenance store" in result.output and "Traceback" not in result.output
    con = duckdb.connect(other, read_only=True)
    assert con.execute("SHOW TABLES").fetchall() == [("orders",)]  # no provenance table was added


@pytest.mark.parametrize("statements", [
    ["CREATE TABLE _migrations (version INT, name VARCHAR)", "INSERT INTO _migrations VALUES (1, 'init')", "CREATE TABLE users (id INT)"],
    ["CREATE SEQUENCE ids", "CREATE MACRO plus_one(x) AS x + 1"],  # no table, but not empty
    ["CREATE TABLE _migrations (name VARCHAR, applied_at TIMESTAMP)", "INSERT INTO _migrations VALUES ('001_init.sql', now())"],
    ["CREATE TABLE _migrations (id INT, applied TIMESTAMP)"],  # alone, with its own columns: a traceback before
])
def test_another_tools_migrations_table_or_a_database_of_sequences_and_macros_is_not_a_store(tmp_path, statements):
    other = _duckdb_file(tmp_path / "other.duckdb", *statements)
    for read_only in (True, False):
        with pytest.raises(StoreError, match="not a provenance store"):
            Store(other, read_only=read_only)


def test_an_empty_duckdb_file_is_no_store_to_read_but_becomes_one_by_an_ingest(make_warc, tmp_path):
    empty = _duckdb_file(tmp_path / "left.duckdb")  # an ingest interrupted before it made its tables
    result = runner.invoke(app, ["info", "--db", empty])
    assert result.exit_code == 1 and "an empty DuckDB file" in result.output
    assert runner.invoke(app, ["ingest", str(make_warc("a.warc.gz", [response_record(1)])), "--db", empty]).exit_code == 0
    assert runner.invoke(app, ["check", "--db", empty]).exit_code == 0


@pytest.mark.parametrize("query", ["", "   ", "-- only a comment"])
def test_sql_without_a_statement_is_a_usage_error(store_path, query):
    result = runner.invoke(app, ["sql", "--db", store_path, "--", query])
    assert result.exit_code == 2 and "no SQL statement" in result.output


def test_binary_and_nested_columns_print_as_csv_and_json(store_path):
    query = "SELECT doc_id, minhash, [1, 2] AS l, {'a': 1} AS s FROM signatures ORDER BY doc_id LIMIT 2"
    rows = json.loads(runner.invoke(app, ["sql", query, "--db", store_path, "-f", "json"]).output)
    assert len(rows) == 2 and len(rows[0]["minhash"]) == 128 * 4 * 2 and rows[0]["l"] == [1, 2]  # 128 uint32, in hex
    csv = runner.invoke(app, ["sql", query, "--db", store_path, "-f", "csv"])
    assert csv.exit_code == 0 and csv.output.splitlines()[1].endswith(',"[1, 2]","{""a"": 1}"')


def test_bytes_inside_lists_and_structs_print_as_hex_too(store_path):
    query = "SELECT list(minhash ORDER BY doc_id) AS l, {'m': min(minhash)} AS s FROM signatures"
    row = json.loads(runner.invoke(app, ["sql", query, "--db", store_path, "-f", "json"]).output)[0]  # a Rust panic before
    assert len(row["l"]) == 3 and all(len(h) == 1024 for h in row["l"]) and len(row["s"]["m"]) == 1024
    csv = runner.invoke(app, ["sql", query, "--db", store_path, "-f", "csv"]).output
    assert "b'" not in csv and row["s"]["m"] in csv


def test_a_result_that_cannot_be_written_is_one_line(store_path, tmp_path):
    for fmt, out in (("csv", tmp_path / "no" / "such" / "dir.csv"), ("parquet", tmp_path)):
        result = runner.invoke(app, ["sql", "SELECT 1", "--db", store_path, "-f", fmt, "--out", str(out)])
        assert result.exit_code == 1 and result.output.startswith(f"Error: {out}: cannot write the result")


def test_a_result_is_never_written_over_the_store_itself(store_path):
    # it was: the store became 4 bytes of CSV, exit code 0
    before = open(store_path, "rb").read()
    for out in (store_path, store_path + ".wal", store_path + ".texts/x.parquet"):
        result = runner.invoke(app, ["sql", "SELECT 1 AS x", "--db", store_path, "-f", "csv", "--out", out])
        assert result.exit_code == 2 and "would overwrite the store" in result.output
    assert open(store_path, "rb").read() == before


def test_a_result_written_with_the_default_format_takes_the_format_of_its_file_name(store_path, tmp_path):
    runner.invoke(app, ["sql", "SELECT 1 AS x", "--db", store_path, "--out", str(tmp_path / "r.csv")])
    assert (tmp_path / "r.csv").read_text() == "x\n1\n"


def test_a_table_shows_its_first_rows_and_says_there_are_more(store_path):
    result = runner.invoke(app, ["sql", f"SELECT range AS n FROM range({TABLE_MAX_ROWS + 5})", "--db", store_path])
    assert result.exit_code == 0 and f"{TABLE_MAX_ROWS - 1} " in result.output and f"{TABLE_MAX_ROWS} " not in result.output
    assert f"the first {TABLE_MAX_ROWS:,} rows, and there are more" in result.output
    whole = runner.invoke(app, ["sql", f"SELECT range AS n FROM range({TABLE_MAX_ROWS})", "--db", store_path])
    assert whole.exit_code == 0 and f"{TABLE_MAX_ROWS - 1} " in whole.output and "there are more" not in whole.output


@pytest.fixture()
def fetched(monkeypatch):
    """The sizes of the batches that `provenance sql` fetches."""
    from provenance import query

    sizes = []
    real = query._read

    def counting(reader):
        for batch in real(reader):
            sizes.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(query, "_read", counting)
    return sizes


def test_a_table_reads_no_more_rows_than_it_shows(store_path, fetched):
    # a result of any size is shown in the memory of its first rows: the rest is never fetched
    result = runner.invoke(app, ["sql", "SELECT range AS n FROM range(1000000)", "--db", store_path])
    assert result.exit_code == 0 and sum(fetched) <= TABLE_MAX_ROWS + 100


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_csv_json_and_parquet_are_written_a_batch_at_a_time_and_hold_every_row_once(store_path, tmp_path, monkeypatch, fmt):
    from provenance import query

    monkeypatch.setattr(query, "BATCH_ROWS", 7)
    sql = "SELECT range AS n, 'x' || range AS s FROM range(100)"
    out = tmp_path / f"r.{fmt}"
    result = runner.invoke(app, ["sql", sql, "--db", store_path, "-f", fmt, "--out", str(out)])
    assert result.exit_code == 0
    if fmt == "csv":
        rows = out.read_text().splitlines()
        assert rows[0] == "n,s" and rows[1:] == [f"{i},x{i}" for i in range(100)]
    elif fmt == "json":
        assert json.loads(out.read_text()) == [{"n": i, "s": f"x{i}"} for i in range(100)]
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(out).to_pylist() == [{"n": i, "s": f"x{i}"} for i in range(100)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("r.")] == [out.name]  # no file left beside it


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_empty_result_is_its_header_or_an_empty_array(store_path, fmt):
    result = runner.invoke(app, ["sql", "SELECT range AS n FROM range(0)", "--db", store_path, "-f", fmt])
    assert result.exit_code == 0 and result.output == {"csv": "n\n", "json": "[]\n"}[fmt]


def test_a_query_that_fails_while_its_rows_are_written_leaves_no_file_and_says_so_in_one_line(store_path, tmp_path, monkeypatch):
    from provenance import query

    monkeypatch.setattr(query, "BATCH_ROWS", 10)
    out = tmp_path / "r.csv"
    out.write_text("an older result\n")
    sql = "SELECT CAST(CASE WHEN range > 50 THEN 'x' ELSE '1' END AS INTEGER) AS n FROM range(100)"
    result = runner.invoke(app, ["sql", sql, "--db", store_path, "-f", "csv", "--out", str(out)])
    assert result.exit_code == 1 and result.output.startswith("Error: SQL error: Conversion Error") and len(result.output.splitlines()) == 1
    assert out.read_text() == "an older result\n" and [p.name for p in tmp_path.iterdir() if p.name.startswith("r.")] == ["r.csv"]


def test_intervals_unions_bits_and_repeated_column_names_print_in_every_format(store_path):
    # polars reads none of the first three (a traceback; inside a list, a Rust panic), nor two columns of one name
    sql = ("SELECT INTERVAL 3 DAY AS i, union_value(k := 1) AS u, [INTERVAL 2 MONTH] AS l, '0101'::BIT AS b, "
           "1 AS a, 2 AS a, {'x': INTERVAL 1 HOUR} AS s")
    rows = json.loads(runner.invoke(app, ["sql", sql, "--db", store_path, "-f", "json"]).output)
    assert rows == [{"i": "3 days", "u": "1", "l": "[2 months]", "b": "0101", "a": 1, "a_1": 2, "s": "{'x': '01:00:00'}"}]
    csv = runner.invoke(app, ["sql", sql, "--db", store_path, "-f", "csv"]).output
    assert csv.splitlines() == ["i,u,l,b,a,a_1,s", "3 days,1,[2 months],0101,1,2,{'x': '01:00:00'}"]
    table = runner.invoke(app, ["sql", sql, "--db", store_path])
    assert table.exit_code == 0 and "3 days" in table.output and "a_1" in table.output


def test_a_struct_field_named_like_such_a_type_keeps_its_column_nested(store_path):
    rows = json.loads(runner.invoke(app, ["sql", "SELECT {'BIT': 1, 'x': [2]} AS s, 'a'::ENUM('a', 'INTERVAL') AS e",
                                          "--db", store_path, "-f", "json"]).output)
    assert rows == [{"s": {"BIT": 1, "x": [2]}, "e": "a"}]


def test_out_through_a_link_writes_the_file_it_names_and_keeps_its_mode(store_path, tmp_path):
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    real.chmod(0o600)
    link.symlink_to(real)
    assert runner.invoke(app, ["sql", "SELECT 1 AS x", "--db", store_path, "-f", "csv", "--out", str(link)]).exit_code == 0
    assert link.is_symlink() and real.read_text() == "x\n1\n" and real.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_out_to_a_pipe_is_written_to_not_replaced(store_path, tmp_path, fmt):
    # Parquet to a pipe failed (pyarrow's own file seeks); a regular file's write-and-rename would replace the pipe
    import os
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(app, ["sql", "SELECT range AS n FROM range(1000)", "--db", store_path, "-f", fmt, "--out", str(fifo)])
    reader.join(30)
    assert result.exit_code == 0 and fifo.is_fifo()
    if fmt == "csv":
        assert got[0].decode().splitlines() == ["n", *map(str, range(1000))]
    else:
        import io

        import pyarrow.parquet as pq

        assert pq.read_table(io.BytesIO(got[0]))["n"].to_pylist() == list(range(1000))


def test_a_wide_result_is_fetched_in_fewer_rows_a_batch(store_path, fetched):
    from provenance import query

    columns = ", ".join(f"i + {k} AS c{k}" for k in range(2048))
    result = runner.invoke(app, ["sql", f"SELECT {columns} FROM range(2000) t(i)", "--db", store_path, "-f", "csv"])
    assert result.exit_code == 0 and len(result.output.splitlines()) == 2001
    assert max(fetched) <= query.BATCH_CELLS // 2048 and sum(fetched) == 2000


def test_several_statements_are_a_usage_error_not_the_last_ones_rows(store_path):
    result = runner.invoke(app, ["sql", "SELECT 1; SELECT 2", "--db", store_path])
    assert result.exit_code == 2 and "one SQL statement at a time, please: this text holds 2" in result.output


def test_control_characters_of_a_crawled_page_are_shown_escaped_in_a_table(store_path):
    result = runner.invoke(app, ["sql", "SELECT chr(27) || '[2J' || chr(7) || 'x' AS v", "--db", store_path])
    assert result.exit_code == 0 and "\\x1b[2J\\x07x" in result.output and "\x1b" not in result.output


def test_out_dash_is_stdout(store_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["sql", "SELECT 1 AS x", "--db", store_path, "-f", "csv", "--out", "-"])
    assert result.exit_code == 0 and result.output == "x\n1\n" and not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", [["drift", "--baseline", "2013"], ["tails", "--baseline", "2013"], ["dups"], ["report"], ["simulate", "--baseline", "2013"],
                                     ["synth", "--human", "h", "--machine", "m"]])
def test_an_analysis_of_a_store_that_does_not_exist_creates_none(tmp_path, command):
    db = tmp_path / "mistyped.duckdb"
    result = runner.invoke(app, [*command, "--db", str(db)])
    assert result.exit_code == 1 and "no such store; create one with 'provenance ingest'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_language_codes_are_read_in_any_case_and_an_unknown_one_is_a_usage_error():
    assert IngestConfig(langs=("EN", " de", "en")).langs == ("en", "de")
    with pytest.raises(UsageError, match="--lang xx"):
        IngestConfig(langs=("en", "xx"))


@pytest.mark.parametrize("year", [0, -5, 99999])
def test_a_year_no_document_can_have_is_a_usage_error(year):
    with pytest.raises(UsageError, match="--year"):
        IngestConfig(year=year)


def test_an_error_inside_a_registered_block_is_the_one_raised_even_where_unregistering_fails():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INT)")
    con.execute("BEGIN")
    with pytest.raises(duckdb.ConversionException):  # the transaction is aborted: unregister fails too (was raised instead)
        with registered(con, v=pa.table({"x": ["a"]})):
            con.execute("INSERT INTO t SELECT x::INT FROM v")


def test_info_names_the_errors_of_files_that_never_gave_a_year(tmp_path):
    """A failed file's errors have no year: info showed them on a row with an empty year cell."""
    from tests.conftest import FIXTURES

    db = str(tmp_path / "f.duckdb")
    runner.invoke(app, ["ingest", str(FIXTURES / "broken" / "not-a-warc.warc"), "--db", db])
    out = runner.invoke(app, ["info", "--db", db])
    assert out.exit_code == 0 and any(line.split("│")[1].strip() == "no year" for line in out.stdout.splitlines() if "│" in line)


@pytest.mark.parametrize("argv, message", [
    (["ingest", "x.warc", "--bogus"], "No such option: --bogus (see '"),
    (["ingest", "x.warc", "--sample-rate", "abc"], "Invalid value for '--sample-rate'"),
    (["bogus"], "No such command 'bogus' (see '"),
    (["sql"], "Missing argument"),
    (["ingest", "x.warc", "--db", ""], "Invalid value for '--db'"),  # not the default store in silence
])
def test_a_mistyped_command_line_is_one_line_and_exit_code_2(argv, message, tmp_path):
    out = subprocess.run([sys.executable, "-m", "provenance", *argv], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("Error: ") and message in out.stderr and "provenance" in out.stderr and out.stderr.count("\n") == 1  # typer drew a box of 6 lines


@pytest.mark.parametrize("option, message", [
    (["--executor", "foo"], "--executor must be local or ray, not 'foo'"),  # ran as local
    (["--crawl", "  "], "--crawl needs a crawl id"),  # a crawl id of spaces, or "" recorded as an option
    (["--lang", ","], "--lang needs a language code"),
    (["--tokenizer", ""], "--tokenizer needs the path of a tokenizer"),  # read the working directory's files as one
])
def test_an_ingest_option_without_a_value_it_can_use_is_a_usage_error(make_warc, tmp_path, option, message):
    path = make_warc("a.warc.gz", [response_record(1)])
    result = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), *option])
    assert result.exit_code == 2 and message in result.output and not (tmp_path / "s.duckdb").exists()


def test_an_empty_code_in_a_lang_list_is_left_out_and_a_crawl_id_is_stripped():
    config = IngestConfig(langs=("en,",), crawl=" CC-MAIN-2024-10 ")
    assert config.langs == ("en",) and config.crawl == "CC-MAIN-2024-10"


def test_the_command_alone_shows_its_help_and_a_failing_command_keeps_its_exit_code(tmp_path):
    alone = subprocess.run([sys.executable, "-m", "provenance"], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert alone.returncode == 2 and "Usage: " in alone.stdout and "COMMAND" in alone.stdout
    missing = subprocess.run([sys.executable, "-m", "provenance", "ingest", str(tmp_path / "gone.warc"), "--db", str(tmp_path / "s.duckdb")],
                             capture_output=True, text=True, cwd=tmp_path, check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    ok = subprocess.run([sys.executable, "-m", "provenance", "sql", "SELECT 42 AS answer", "--db", str(tmp_path / "s.duckdb"), "--format", "csv"],
                        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert ok.returncode == 0 and "42" in ok.stdout


def test_the_ingest_writer_bounds_duckdbs_memory_and_restores_the_store_settings_after(tmp_path):
    """DuckDB's defaults let the writer's cache and its data not yet checkpointed grow with the run (135 MB after
    20,000 pages, 515-573 MB after 140,000: benchmarks/writer_memory.py); a load runs with 512 MiB and a checkpoint
    each 256 MiB of WAL, and the store's own settings come back for what follows."""
    with Store(str(tmp_path / "s.duckdb")) as s:
        setting = lambda name: s.sql(f"SELECT current_setting('{name}')").fetchall()[0][0]  # noqa: E731
        before = setting("memory_limit"), setting("checkpoint_threshold")
        with s.bulk_load():
            assert (setting("memory_limit"), setting("checkpoint_threshold")) == ("512.0 MiB", "256.0 MiB")
        assert (setting("memory_limit"), setting("checkpoint_threshold")) == before


def test_a_store_of_a_newer_schema_is_read_but_never_written(make_warc, tmp_path):
    """An older provenance put its own views back over a newer layout (texts read from files it no longer reads)."""
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["ingest", str(make_warc("a.warc.gz", [response_record(1)])), "--db", db]).exit_code == 0
    con = duckdb.connect(db)
    con.execute("INSERT INTO _migrations VALUES ('0099_future.sql', now())")
    con.close()
    result = runner.invoke(app, ["ingest", str(make_warc("b.warc.gz", [response_record(2)])), "--db", db])
    assert result.exit_code == 1 and "written by a newer provenance (schema 0099_future.sql)" in result.output
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["sql", "SELECT count(*) FROM documents", "--db", db]).exit_code == 0


def test_a_view_an_older_provenance_did_not_make_is_there_for_a_read_only_query_and_the_file_is_left_as_it_was(store_path):
    con = duckdb.connect(store_path)
    con.execute("DROP VIEW synth_shares")  # as a store written before the view existed
    con.execute("DROP VIEW yearly_summary")
    con.close()
    result = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM synth_shares, yearly_summary", "--db", store_path, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "n\n0\n"
    con = duckdb.connect(store_path, read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name IN ('synth_shares', 'yearly_summary')").fetchone() == (0,)
    con.close()
    with Store(store_path):  # a writable open makes them in the store
        pass
    con = duckdb.connect(store_path, read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name IN ('synth_shares', 'yearly_summary')").fetchone() == (2,)
    con.close()
