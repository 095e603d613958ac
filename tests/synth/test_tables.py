"""`reference add` from tables: a column of Parquet, CSV or JSONL files (text, or a chat's assistant turns), rows picked
by --where, and one clear line for what does not fit."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from provenance.cli import app
from provenance.errors import InputError, UsageError
from provenance.store import Store
from provenance.synth.references import read_texts

runner = CliRunner()
ROWS = [("gpt", "The tapestry of the web is vast."), ("llama", "Certainly! Here is a summary."), ("gpt", "Delve into the data."),
        ("human", "i wrote this myself, typos and all")]


def _parquet(path, times: int = 1):
    rows = ROWS * times
    pq.write_table(pa.table({"model": [m for m, _ in rows], "generation": [f"{t} ({i})" if times > 1 else t for i, (_, t) in enumerate(rows)]}), path)
    return str(path)


def test_a_parquet_column_gives_the_documents_of_the_rows_the_condition_picks(tmp_path):
    path = _parquet(tmp_path / "raid.parquet")
    assert list(read_texts([path], "generation", "model = 'gpt'")) == [ROWS[0][1], ROWS[2][1]]
    assert list(read_texts([path], "generation")) == [t for _, t in ROWS]


def test_csv_and_jsonl_tables_take_the_same_condition(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("model,generation\n" + "".join(f'{m},"{t}"\n' for m, t in ROWS))
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(json.dumps({"model": m, "generation": t}) + "\n" for m, t in ROWS))
    for path in (csv, jsonl):
        assert list(read_texts([str(path)], "generation", "model <> 'human'")) == [t for m, t in ROWS if m != "human"]


def test_a_chat_gives_its_assistant_turns_not_its_prompt(tmp_path):
    path = tmp_path / "chats.jsonl"
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Summarize the crawl."},
            {"role": "assistant", "content": "The crawl grew."}, {"role": "user", "content": "More?"},
            {"role": "assistant", "content": "It doubled."}]
    path.write_text(json.dumps({"messages": chat}) + "\n")
    assert list(read_texts([str(path)], "messages")) == ["The crawl grew.\n\nIt doubled."]
    assert list(read_texts([str(path)], "messages", "len(messages) > 2")) == ["The crawl grew.\n\nIt doubled."]


@pytest.mark.parametrize("field, where, says", [
    ("text", None, "no column 'text' (--field); its columns: model, generation"),
    ("generation", "modle = 'gpt'", "--where \"modle = 'gpt'\": "),
    ("model", "model IS NULL OR true", None),
])
def test_a_missing_column_or_a_bad_condition_is_one_line_naming_the_file(tmp_path, field, where, says):
    path = _parquet(tmp_path / "raid.parquet")
    if says is None:  # a column of text is documents, whichever it is
        assert len(list(read_texts([path], field, where))) == len(ROWS)
        return
    with pytest.raises(InputError) as caught:
        list(read_texts([path], field, where))
    assert str(caught.value).startswith(f"{path}: {says}") and "\n" not in str(caught.value)


def test_a_value_that_is_no_text_names_its_row(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + json.dumps({"text": 3}) + "\n")
    with pytest.raises(InputError, match=r"line 2: 'text' is int, not text or a chat"):
        list(read_texts([str(path)]))


def test_a_condition_on_a_file_that_is_no_table_is_a_usage_error(tmp_path):
    page = tmp_path / "one.txt"
    page.write_text("a page of text")
    with pytest.raises(UsageError, match="--where picks rows of tables"):
        list(read_texts([str(page)], "text", "true"))


def test_reference_add_reads_the_picked_rows_and_says_so_in_its_source(tmp_path):
    path = _parquet(tmp_path / "raid.parquet", times=6)  # 12 rows of 'gpt' (a reference needs at least 10)
    db = str(tmp_path / "s.duckdb")
    done = runner.invoke(app, ["reference", "add", "gpt", path, "--label", "machine", "--field", "generation",
                               "--where", "model = 'gpt'", "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["n_docs"] == 12
    with Store(db, read_only=True) as store:
        [(source,)] = store.sql("SELECT source FROM synth_references WHERE name = 'gpt'").fetchall()
    assert source == f"{path} --field generation --where model = 'gpt'"
    refused = runner.invoke(app, ["reference", "add", "x", "--from-store", "2019", "--where", "true", "--db", db])
    assert refused.exit_code == 2 and "--field and --where pick documents of files" in refused.stderr


@pytest.mark.parametrize("chat, said", [
    ([{"role": "user", "content": "Q"}, {"role": "assistant", "content": [{"type": "text", "text": "In parts."}]}], "In parts."),
    ([{"role": "user", "content": "Q"}, {"role": "model", "content": "Gemini's turn."}], "Gemini's turn."),
    ([{"from": "human", "value": "Q"}, {"from": "gpt", "value": "ShareGPT's turn."}], "ShareGPT's turn."),
    ([{"role": "user", "parts": [{"text": "Q"}]}, {"role": "model", "parts": [{"text": "Gemini's"}, {"text": "own."}]}], "Gemini's\nown."),
    ([{"role": "user", "parts": ["Q"]}, {"role": "model", "parts": ["Plain", "strings."]}], "Plain\nstrings."),
])
def test_the_chat_formats_of_common_datasets_give_the_models_turns(tmp_path, chat, said):
    path = tmp_path / "chats.jsonl"
    path.write_text(json.dumps({"m": "x", "messages": chat}) + "\n")
    assert list(read_texts([str(path)], "messages")) == [said]
    assert list(read_texts([str(path)], "messages", "m = 'x'")) == [said]  # through DuckDB's reader too


def test_a_chat_stored_as_json_text_gives_its_models_turns_and_other_text_stays_as_it_is(tmp_path):
    chat = [{"role": "user", "content": "Summarize the crawl."}, {"role": "assistant", "content": "The crawl grew, \"a lot\"."}]
    texts = ["[not a chat]", '[{"role": "user"}]', "[{\"role\": broken json}]", " plain text "]
    csv = tmp_path / "chats.csv"
    pq.write_table(pa.table({"messages": [json.dumps(chat), *texts]}), tmp_path / "chats.parquet")
    import duckdb

    duckdb.sql(f"COPY (SELECT * FROM '{tmp_path / 'chats.parquet'}') TO '{csv}' (HEADER)")
    for path in (csv, tmp_path / "chats.parquet"):
        assert list(read_texts([str(path)], "messages")) == ['The crawl grew, "a lot".', *texts]


def test_a_jsonl_tables_types_come_from_all_its_rows(tmp_path):
    # DuckDB's reader guesses types from a sample of rows: a key first seen later was no column, and values of
    # several types in one column came back as their JSON text ('"quoted"')
    late = tmp_path / "late.jsonl"
    late.write_text("".join(json.dumps({"m": "a", "x": i}) + "\n" for i in range(25_000)) + json.dumps({"m": "b", "gen": "G"}) + "\n")
    assert list(read_texts([str(late)], "gen", "m = 'b'")) == ["G"]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps({"text": "a line\nand é"}) + "\n" + json.dumps({"text": 7}) + "\n")
    with pytest.raises(InputError, match=r"row 2 of those --where picks: 'text' is int"):
        list(read_texts([str(mixed)], "text", "true"))


def test_a_tsvs_tabs_and_a_csv_column_of_numbers_or_dates_read_as_text(tmp_path):
    tsv = tmp_path / "t.tsv"
    tsv.write_text("model\ttext\n" + "".join(f"gpt\tHello, world, with commas {i}\n" for i in range(30)))
    assert list(read_texts([str(tsv)], "text", "model = 'gpt'"))[:2] == ["Hello, world, with commas 0", "Hello, world, with commas 1"]
    csv = tmp_path / "d.csv"
    csv.write_text("text\n2024-01-01\n2024-01-02\n")
    assert list(read_texts([str(csv)], "text", "true")) == ["2024-01-01", "2024-01-02"]


def test_a_json_array_a_field_inside_a_struct_and_a_column_named_in_another_case(tmp_path):
    rows = [{"meta": {"model": "gpt", "text": "Inside a struct."}, "Text": "Top level."}] * 2
    array = tmp_path / "rows.json"
    array.write_text(json.dumps(rows))
    assert list(read_texts([str(array)], "meta.text")) == ["Inside a struct."] * 2
    assert list(read_texts([str(array)], "text", "meta.model = 'gpt'")) == ["Top level."] * 2  # one column 'Text'
    pq.write_table(pa.table({"meta": [r["meta"] for r in rows]}), tmp_path / "rows.parquet")
    assert list(read_texts([str(tmp_path / "rows.parquet")], "meta.text")) == ["Inside a struct."] * 2
    lines = tmp_path / "rows.jsonl"  # JSONL without --where is read line by line, not by DuckDB: the same path
    lines.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert list(read_texts([str(lines)], "meta.text")) == ["Inside a struct."] * 2
