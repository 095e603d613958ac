"""`provenance reference add|list|generate` and `provenance synth` through the CLI: exit codes,
exact error lines, and the rows written to the store."""
from __future__ import annotations

import json
import os
import re
import sys

import pytest
from typer.testing import CliRunner

from provenance.cli import app
from provenance.store import Store
from provenance import textfiles
from tests.synth.helpers import mixture, put_documents

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def write_jsonl(path, texts):
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path, corpora):
    """A store with 2019 (all human) and 2023 (30% machine) documents, and two references from files."""
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        put_documents(store, 2019, mixture(600, 0.0, seed=1), first_id=1)
        put_documents(store, 2023, mixture(600, 0.3, seed=2), first_id=10_000)
    human = write_jsonl(tmp_path / "human.jsonl", corpora["human"][:1500])
    machine = write_jsonl(tmp_path / "machine.jsonl", corpora["machine"][:800])
    assert run("reference", "add", "hum", human, "--label", "human", "--db", path).exit_code == 0
    assert run("reference", "add", "mac", machine, "--label", "machine", "--db", path).exit_code == 0
    return path


def test_reference_add_and_list(db):
    out = run("reference", "list", "--db", db, "--json")
    assert out.exit_code == 0
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["hum"]["label"] == "human" and rows["hum"]["n_docs"] == 1500
    assert rows["mac"]["label"] == "machine" and rows["mac"]["n_sentences"] > 800
    with Store(db, read_only=True) as store:
        units = dict(store.sql("SELECT unit, count(*) FROM synth_reference_stats WHERE name = 'hum' GROUP BY unit").fetchall())
    assert set(units) == {"sentence", "document"}


def test_reference_add_reads_text_and_warc_files(tmp_path, make_warc):
    from tests.conftest import response_record, warcinfo

    warc = make_warc("a.warc.gz", [warcinfo()] + [response_record(i) for i in range(12)])
    txt = tmp_path / "one.txt"
    txt.write_text("A plain text document. It has two sentences.", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    out = run("reference", "add", "web", warc, txt, "--db", db, "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["n_docs"] == 13


def test_reference_errors(db, tmp_path):
    again = run("reference", "add", "hum", write_jsonl(tmp_path / "x.jsonl", ["a b c"] * 20), "--db", db)
    assert again.exit_code == 2
    assert again.stderr.strip() == "Error: reference 'hum' exists; use --replace to rebuild it, or another name"
    bad = run("reference", "add", "x", tmp_path / "missing.jsonl", "--db", db)
    assert bad.exit_code == 1 and bad.stderr.strip() == f"Error: {tmp_path / 'missing.jsonl'}: no such file"
    label = run("synth", "--human", "mac", "--machine", "mac", "--db", db)
    assert label.exit_code == 2 and label.stderr.strip() == "Error: reference 'mac' is labelled machine, not human"
    unknown = run("synth", "--human", "nope", "--machine", "mac", "--db", db)
    assert unknown.stderr.strip() == "Error: no reference named 'nope'; known: hum, mac"


def test_synth_writes_metrics_rows_the_simulator_reads(db):
    out = run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "200", "--db", db, "--json")
    assert out.exit_code == 0, out.output
    periods = {r["period"]: r for r in json.loads(out.stdout)["periods"]}
    assert periods["2019"]["alpha"] == pytest.approx(0.0, abs=0.03)
    assert periods["2023"]["alpha"] == pytest.approx(0.3, abs=0.06)
    assert periods["2023"]["ci_low"] <= 0.3 <= periods["2023"]["ci_high"]
    with Store(db, read_only=True) as store:
        rows = store.query_frame("simulate_observed_alpha", lang=None, machine=None, run_id=None)
    assert rows["period"].to_list() == ["2019", "2023"]
    params = json.loads(rows["parameters"][1])
    assert params["ci_level"] == 0.95 and params["unit"] == "document" and params["references"] == {"human": "hum", "machine": "mac"}


def test_a_period_without_words_of_the_references_has_no_estimate(db):
    """Emoji and punctuation pages, or text in another language, share no words with English references: their
    units were scored on absent words alone, read as certain evidence (alpha 1 [1, 1]); now: no estimate, and a note."""
    with Store(db) as store:
        put_documents(store, 2016, ["\U0001f600\U0001f389 !!! \u2728 ... \U0001f44d"] * 10, first_id=50_000)
        put_documents(store, 2017, ["\u6771\u4eac\u3068\u5927\u962a\u306b\u4f4f\u3093\u3067\u3044\u307e\u3059\u3002" * 20] * 3, first_id=60_000)
    out = run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "100", "--db", db, "--json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert [r["period"] for r in result["periods"]] == ["2019", "2023"]
    assert any(n.startswith("2016: its 10 document(s) hold 0 word(s) of the references' vocabulary") for n in result["notes"])
    assert any(n.startswith("2017: its 3 document(s) hold 0 word(s)") for n in result["notes"])


def test_reference_from_store_leaves_its_documents_out_of_the_estimate(db):
    out = run("reference", "add", "h2019", "--from-store", "2019", "--limit", "400", "--db", db, "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["n_docs"] == 400
    est = run("synth", "--human", "h2019", "--machine", "mac", "--bootstrap", "100", "--db", db, "--json")
    assert est.exit_code == 0, est.output
    periods = {r["period"]: r for r in json.loads(est.stdout)["periods"]}
    assert periods["2019"]["n_docs"] == 200  # 600 minus the 400 in the reference


def test_synth_on_a_store_without_texts(tmp_path, db):
    with Store(db) as store:
        textfiles.remove(store.texts_dir, [0])  # what ingest --no-text leaves: no texts file for the source
    out = run("synth", "--human", "hum", "--machine", "mac", "--db", db)
    assert out.exit_code == 1
    assert out.stderr.strip() == (f"Error: {db}: the store holds no document texts (ingested with --no-text); "
                                  "re-ingest without --no-text to estimate the synthetic share")


def test_too_few_texts_to_generate_are_refused_before_the_model_loads(db, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # the model is never reached
    out = run("reference", "generate", "gen", "--n", "2", "--prompts", __file__, "--db", db)
    assert out.exit_code == 2 and out.stderr.strip() == "Error: --n 2: a reference needs at least 10 documents"


def test_references_from_a_store_need_the_store_and_a_language_it_has(db, tmp_path):
    missing = str(tmp_path / "typo.duckdb")
    out = run("reference", "add", "h", "--from-store", "2019", "--db", missing)
    assert out.exit_code != 0 and not os.path.exists(missing)
    lang = run("synth", "--human", "hum", "--machine", "mac", "--lang", "english", "--db", db)
    assert lang.exit_code == 1 and "no documents in language 'english'; languages in the store, most documents first: " in lang.stderr


def test_a_reference_is_removed_whole_and_its_estimates_stay(db):
    assert run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "50", "--db", db).exit_code == 0
    out = run("reference", "remove", "mac", "--db", db)
    assert out.exit_code == 0 and out.stdout.strip() == "removed reference mac (machine, 800 documents)"
    with Store(db, read_only=True) as store:
        left = [store.sql(f"SELECT count(*) FROM {t} WHERE name = 'mac'").fetchone()[0]
                for t in ("synth_references", "synth_reference_docs", "synth_reference_stats")]
        estimates = store.sql("SELECT count(*) FROM metrics WHERE estimator = 'synth'").fetchone()[0]
    assert left == [0, 0, 0] and estimates > 0
    again = run("reference", "remove", "mac", "--db", db)
    assert again.exit_code == 2 and again.stderr.strip() == "Error: no reference 'mac'; references: hum"


def test_generate_without_the_llm_extra_names_it(db, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    out = run("reference", "generate", "gen", "--n", "10", "--prompts", __file__, "--db", db)
    assert out.exit_code == 1
    assert out.stderr.strip().startswith("Error: install the llm extra: pip install 'provenance[llm]'")


def test_the_simulator_reads_the_yearly_shares_when_synth_also_ran_by_crawl(db):
    """synth --by crawl beside synth --by year: the simulator took both (the same documents twice, and crawl
    'unknown' has no calendar year: simulate and report failed); it reads the yearly rows."""
    assert run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "50", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "50", "--by", "crawl", "--db", db).exit_code == 0
    with Store(db, read_only=True) as store:
        rows = store.query_frame("simulate_observed_alpha", lang=None, machine=None, run_id=None)
    assert rows["period"].to_list() == ["2019", "2023"]


def test_references_of_several_model_families_pool_with_as_many_documents_of_each(db, corpora, tmp_path):
    small = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1000])  # a second family: 200 texts beside 800
    assert run("reference", "add", "mac2", small, "--label", "machine", "--db", db).exit_code == 0
    pooled = run("reference", "add", "llms", "--label", "machine", "--from-references", "mac,mac2", "--db", db, "--json")
    assert pooled.exit_code == 0, pooled.output
    info = json.loads(pooled.stdout)
    assert (info["n_docs"], info["source"]) == (400, "references:mac,mac2 (200 documents each)")
    mixed = run("reference", "add", "both", "--label", "machine", "--from-references", "mac,hum", "--db", db)
    assert mixed.exit_code == 2 and mixed.stderr.strip() == "Error: reference 'hum' is labelled human, not machine"
    alone = run("reference", "add", "one", "--label", "machine", "--from-references", "mac", "--db", db)
    assert alone.exit_code == 2 and "name two or more other references to pool" in alone.stderr


def test_synth_against_several_machine_references_gives_an_estimate_each(db, corpora, tmp_path):
    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    one = run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "50", "--db", db, "--json")
    both = run("synth", "--human", "hum", "--machine", "mac, mac2", "--bootstrap", "50", "--db", db, "--json")
    assert both.exit_code == 0, both.output
    results = json.loads(both.stdout)
    assert [r["parameters"]["references"]["machine"] for r in results] == ["mac", "mac2"]
    assert results[0]["periods"] == json.loads(one.stdout)["periods"]  # seeded: the same estimate each time
    shown = run("synth", "--human", "hum", "--machine", "mac,mac2", "--bootstrap", "50", "--db", db)
    assert "machine share of documents against 'mac'" in shown.stdout and "against 'mac2'" in shown.stdout
    across = shown.stdout[shown.stdout.index("by machine reference"):]  # the same estimates, read across
    for result in results:
        alpha = result["periods"][-1]
        assert f"{alpha['alpha']:.3f} [{alpha['ci_low']:.3f}, {alpha['ci_high']:.3f}]" in across
    twice = run("synth", "--human", "hum", "--machine", "mac,mac", "--db", db)
    assert twice.exit_code == 2 and "names mac more than once" in twice.stderr


def test_a_failing_estimate_after_stored_ones_shows_them_and_says_so(db, tmp_path):
    far = write_jsonl(tmp_path / "far.jsonl", [f"机器 生成 的 文本 第 {i} 号" for i in range(40)])  # no word in common with hum
    assert run("reference", "add", "far", far, "--label", "machine", "--db", db).exit_code == 0
    out = run("synth", "--human", "hum", "--machine", "mac,far", "--bootstrap", "50", "--db", db)
    assert out.exit_code == 1
    assert "machine share of documents against 'mac'" in out.stdout  # the run stored before the failure
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("Error: against far: references 'hum' and 'far' share only 0 words")
    assert re.search(r"\(stored before it: run \d+ against mac\)$", line)


def test_an_uncalibrated_sentence_estimate_is_a_share_of_sentences(db):
    out = run("synth", "--human", "hum", "--machine", "mac", "--unit", "sentence", "--no-calibrate", "--bootstrap", "50", "--db", db)
    assert out.exit_code == 0 and "machine share of sentences" in out.stdout
    calibrated = run("synth", "--human", "hum", "--machine", "mac", "--unit", "sentence", "--bootstrap", "50", "--db", db, "--json")
    assert json.loads(calibrated.stdout)["parameters"]["share"] == "documents"


def test_the_synth_shares_view_reads_what_each_run_measured_against_out_of_its_parameters(db):
    assert run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "50", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac", "--unit", "sentence", "--no-calibrate", "--by", "crawl",
               "--bootstrap", "50", "--db", db).exit_code == 0
    with Store(db, read_only=True) as store:
        rows = store.sql("SELECT run_id, period, human, machine, grouped_by, run_lang, unit, calibrated, share, n_docs, value "
                         "FROM synth_shares ORDER BY run_id, period").fetchall()
        metrics = store.sql("SELECT run_id, period, value FROM metrics WHERE estimator = 'synth' AND metric = 'alpha' "
                            "ORDER BY run_id, period").fetchall()
    assert [(r[0], r[1], r[10]) for r in rows] == metrics
    first, second = rows[0][0], rows[-1][0]
    assert {r[1:10] for r in rows if r[0] == first} == {
        ("2019", "hum", "mac", "year", None, "document", True, "documents", 600),
        ("2023", "hum", "mac", "year", None, "document", True, "documents", 600)}
    assert {r[1:10] for r in rows if r[0] == second} == {
        ("CC-MAIN-2019-10", "hum", "mac", "crawl", None, "sentence", False, "sentences", 600),
        ("CC-MAIN-2023-10", "hum", "mac", "crawl", None, "sentence", False, "sentences", 600)}


def test_a_pool_is_of_distinct_references_and_keeps_the_store_documents_of_those_taken_from_it(db):
    assert run("reference", "add", "y2019", "--from-store", "2019", "--limit", "40", "--db", db).exit_code == 0
    twice = run("reference", "add", "p", "--from-references", "hum,hum,y2019", "--db", db)
    assert twice.exit_code == 2 and "each once" in twice.stderr
    ignored = run("reference", "add", "p", "--from-references", "hum,y2019", "--limit", "5", "--db", db)
    assert ignored.exit_code == 2 and "--limit, --lang and --by pick documents of --from-store" in ignored.stderr
    assert run("reference", "add", "p", "--from-references", "hum,y2019", "--db", db).exit_code == 0
    with Store(db, read_only=True) as store:
        [(kept,)] = store.sql("SELECT count(doc_id) FROM synth_reference_docs WHERE name = 'p'").fetchall()
    assert kept == 40  # synth leaves them out of 2019's estimate, as it does for y2019


def test_synth_checks_every_reference_before_it_writes_any_run(db):
    with Store(db, read_only=True) as store:
        [(before,)] = store.sql("SELECT count(*) FROM runs").fetchall()
    bad = run("synth", "--human", "hum", "--machine", "mac,nope", "--bootstrap", "50", "--db", db)
    assert bad.exit_code == 2 and bad.stderr.strip().startswith("Error: no reference named 'nope'")
    empty = run("synth", "--human", "hum", "--machine", ",", "--db", db)
    assert empty.exit_code == 2 and "name a machine reference" in empty.stderr
    with Store(db, read_only=True) as store:
        assert store.sql("SELECT count(*) FROM runs").fetchall() == [(before,)]


def test_a_period_of_documents_much_longer_than_the_references_gets_a_note(db):
    # occurrence in a document depends on its length (docs/metrics.md: 5x either way moved a 30% share by ~0.05)
    texts = mixture(600, 0.3, seed=5)
    with Store(db) as store:
        put_documents(store, 2030, [" ".join(texts[i:i + 6]) for i in range(0, 600, 6)], first_id=50_000)
    out = run("synth", "--human", "hum", "--machine", "mac", "--bootstrap", "50", "--db", db, "--json")
    assert out.exit_code == 0, out.output
    notes = json.loads(out.stdout)["notes"]
    assert [n.split(":")[0] for n in notes if "longer than reference" in n] == ["2030", "2030"]
    assert not any(n.startswith(("2019", "2023")) for n in notes)


@pytest.mark.parametrize("params, calibrated, share", [
    ({"calibrate": True, "unit": "sentence"}, True, "documents"),
    ({"calibrate": "False", "unit": "document"}, False, "documents"),
    ({"calibrate": 0, "unit": "document"}, False, "documents"),
    ({"calibrate": False, "unit": "sentence"}, False, "sentences"),  # written before `share` was recorded
    ({"calibrate": False, "unit": "sentence", "share": "sentences"}, False, "sentences"),
    ({}, True, "documents"),  # the oldest runs: calibrated, documents
])
def test_the_synth_shares_view_reads_hand_written_and_older_parameters_as_what_they_mean(tmp_path, params, calibrated, share):
    with Store(tmp_path / "s.duckdb") as store:
        store.sql("INSERT INTO metrics VALUES (1, 'synth', 'alpha', '2023', NULL, 0.1, 0.0, 0.2, ?, now())", [json.dumps(params)])
        assert store.sql("SELECT calibrated, share FROM synth_shares").fetchall() == [(calibrated, share)]


def test_after_the_documents_change_the_report_estimates_again_against_each_machine_reference_it_showed(db, corpora, tmp_path):
    from provenance.report import ReportConfig, build_report, compute_missing

    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac2,mac", "--bootstrap", "50", "--db", db).exit_code == 0  # mac leads
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        store.new_run("remove", {"paths": []})  # the documents changed since: every estimate is made again
        compute_missing(store, config, unmeasured={})
        runs = store.sql("SELECT run_id, machine FROM synth_shares GROUP BY ALL ORDER BY run_id").fetchall()
        share = build_report(store, config).data["synthetic_share"]
    assert [m for _, m in runs] == ["mac2", "mac", "mac2", "mac"]  # again, each, the lead last
    assert share["run_id"] == runs[-1][0] and share["message"].endswith("hum (human) and mac (machine)")
    assert [m["machine"] for m in share["machines"]] == ["mac", "mac2"]
    assert {m["run_id"] for m in share["machines"]} == {r for r, _ in runs[2:]}


def test_a_reference_made_again_makes_the_reports_synthetic_share_be_estimated_again(db, corpora, tmp_path):
    from provenance.report import ReportConfig, compute_missing, missing_steps

    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        compute_missing(store, config, unmeasured={})
        assert "synth" not in missing_steps(store, config)
    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac", other, "--label", "machine", "--replace", "--db", db).exit_code == 0
    with Store(db) as store:
        assert "synth" in missing_steps(store, config)  # it was of the old texts under that name


def test_a_joint_estimate_is_made_again_after_the_documents_change_and_after_a_family_is_made_again(db, corpora, tmp_path):
    # `synth --machine mac+mac2` leads the report: a new crawl estimates it again as it was (jointly), and a family's
    # reference rebuilt (--replace) makes it stale, as a single reference's rebuild does
    from provenance.report import ReportConfig, build_report, compute_missing, missing_steps

    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac+mac2", "--bootstrap", "50", "--db", db).exit_code == 0
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        assert "synth" not in missing_steps(store, config)
        store.new_run("remove", {"paths": []})  # the documents changed since
        compute_missing(store, config, unmeasured={})
        runs = store.sql("SELECT run_id, machine FROM synth_shares GROUP BY ALL ORDER BY run_id").fetchall()
        share = build_report(store, config).data["synthetic_share"]
    assert [m for _, m in runs] == ["mac+mac2", "mac+mac2"]
    assert share["run_id"] == runs[-1][0] and share["message"].endswith("hum (human) and mac+mac2 (machine)")
    assert run("reference", "add", "mac2", other, "--label", "machine", "--replace", "--db", db).exit_code == 0
    with Store(db) as store:
        assert "synth" in missing_steps(store, config)


def test_after_a_family_is_made_again_the_report_estimates_its_lead_again_rather_than_fall_back(db, corpora, tmp_path):
    # the newest run (joint) is of mac2's old texts: the report led with an older run against mac alone, and set the
    # stale joint run beside it
    from provenance.report import ReportConfig, build_report, compute_missing, missing_steps

    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac,mac2+mac", "--bootstrap", "50", "--db", db).exit_code == 0
    assert run("reference", "add", "mac2", other, "--label", "machine", "--replace", "--db", db).exit_code == 0
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        assert "synth" in missing_steps(store, config)
        before = store.sql("SELECT max(run_id) FROM synth_shares").fetchone()[0]
        compute_missing(store, config, unmeasured={})
        again = store.sql("SELECT run_id, machine FROM synth_shares WHERE run_id > ? GROUP BY ALL ORDER BY run_id", [before]).fetchall()
        share = build_report(store, config).data["synthetic_share"]
    assert [m for _, m in again] == ["mac", "mac+mac2"]  # each estimated again, the lead last
    assert share["run_id"] == again[-1][0] and share["message"].endswith("hum (human) and mac+mac2 (machine)")
    assert {m["run_id"] for m in share["machines"]} == {r for r, _ in again}


def test_a_report_whose_synth_run_names_a_removed_reference_says_so(db, corpora, tmp_path):
    from provenance.report import ReportConfig, build_report

    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac+mac2", "--bootstrap", "50", "--db", db).exit_code == 0
    assert run("reference", "remove", "mac2", "--db", db).exit_code == 0
    with Store(db) as store:
        data = build_report(store, ReportConfig(generations=1, replicates=1)).data
    assert data["synthetic_share"]["references_removed"] == ["mac2"]
    assert any("against reference(s) no longer stored (mac2" in n and "against the references still stored instead" in n
               for n in data["notes"])


def test_a_first_report_estimates_against_every_machine_reference_jointly_unless_they_share_documents(db, corpora, tmp_path):
    # one family's reference reads another's text as human: with several stored, the report's first synth run is
    # against them jointly; a pool beside its members cannot be a family of its own, so then the newest alone
    from provenance.report import ReportConfig, build_report, compute_missing
    from provenance.report.compute import default_machine

    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        compute_missing(store, config, unmeasured={})
        share = build_report(store, config).data["synthetic_share"]
    assert share["machine"] == "mac+mac2" and set(share["families"]["2023"]) == {"mac", "mac2"}
    assert run("reference", "add", "pool", "--from-references", "mac,mac2", "--label", "machine", "--db", db).exit_code == 0
    with Store(db) as store:
        assert default_machine(store, "pool") == "pool"


def test_a_machine_reference_compared_side_by_side_and_made_again_is_said_not_compared(db, corpora, tmp_path):
    from provenance.report import ReportConfig, build_report

    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    assert run("reference", "add", "mac2", other, "--label", "machine", "--db", db).exit_code == 0
    assert run("synth", "--human", "hum", "--machine", "mac2,mac", "--bootstrap", "50", "--db", db).exit_code == 0  # mac leads
    assert run("reference", "add", "mac2", other, "--label", "machine", "--replace", "--db", db).exit_code == 0
    with Store(db) as store:
        data = build_report(store, ReportConfig(generations=1, replicates=1)).data
    assert data["synthetic_share"]["not_compared"] == [{"machine": "mac2", "human": "hum"}]
    assert any("estimates against mac2 were made before one of its references was made again" in n
               and "synth --human hum --machine mac2" in n for n in data["notes"])


def test_a_first_report_leaves_out_small_references_and_falls_back_when_the_families_share_too_few_words(db, corpora, tmp_path):
    from provenance.report import ReportConfig, build_report, compute_missing
    from provenance.report.compute import default_machine

    # a family of another language: all the families share too few words, the joint estimate fails, the newest stands
    german = write_jsonl(tmp_path / "de.jsonl", [f"Die Katze schläft {i} mal auf dem warmen Sofa, und der Hund bellt laut." for i in range(300)])
    other = write_jsonl(tmp_path / "other.jsonl", corpora["machine"][800:1400])
    tiny = write_jsonl(tmp_path / "tiny.jsonl", corpora["machine"][1400:1410])
    for name, path in (("de", german), ("tiny", tiny), ("mac2", other)):
        assert run("reference", "add", name, path, "--label", "machine", "--db", db).exit_code == 0
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        assert default_machine(store, "mac2") == "de+mac+mac2"  # tiny's ten documents: left out
        assert default_machine(store, "tiny") == "tiny"
        compute_missing(store, config, unmeasured={})
        share = build_report(store, config).data["synthetic_share"]
    assert share["status"] == "measured" and share["machine"] == "mac2"


def test_a_reference_from_the_store_can_be_made_again_from_the_same_period(db):
    # its own documents were left out of the period it was made from: --replace found "no documents with text"
    assert run("reference", "add", "h2019", "--from-store", "2019", "--label", "human", "--db", db).exit_code == 0
    out = run("reference", "add", "h2019", "--from-store", "2019", "--label", "human", "--replace", "--db", db, "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["n_docs"] == 600


def test_a_store_of_the_human_references_years_alone_is_measured_once_and_says_why_there_is_no_share(db):
    # a monitoring job's first crawl is the human reference's: the synth run wrote no row, so every report made it
    # (and the projection) again, and said "add references" of a store that holds them
    from provenance.report import ReportConfig, build_report, compute_missing, missing_steps

    assert run("reference", "add", "hall", "--from-store", "2019,2023", "--label", "human", "--db", db).exit_code == 0
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        steps = compute_missing(store, config, unmeasured={})
        assert "synth" in steps and "synth" not in missing_steps(store, config)  # (this store has no token counts: no drift)
        share = build_report(store, config).data["synthetic_share"]
        rows = store.sql("SELECT period, value FROM synth_shares ORDER BY period").fetchall()
    assert rows == [("2019", None), ("2023", None)]
    assert share["status"] == "not measured" and "has no estimate for any year" in share["message"]
