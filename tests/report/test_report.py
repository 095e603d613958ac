"""The report model and its three renderers: golden files, agreement, escaping, schema, computing, monitoring."""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import polars as pl
import pytest

from provenance.errors import EstimatorError, UsageError
from provenance.report import (
    SCHEMA_VERSION, Report, ReportConfig, build_report, check_thresholds, compute_missing, missing_steps, parse_threshold,
    render, render_html, render_json, render_markdown,
)
from provenance.report.fmt import cell
from provenance.report.svg import nice_ticks
from provenance.report.tables import YEAR_COLUMNS
from provenance.store import Store
from tests.report.conftest import CONFIG, GOLDEN, XSS_TEXT, XSS_URL, clock, update_golden

TOP_KEYS = ["schema_version", "title", "generated_at", "tool", "store", "baseline", "tokenizer", "periods", "metrics", "years",
            "synthetic_share", "projection", "tail_tokens_lost", "top_movers", "thin_pages", "methods", "headline",
            "alerts", "unchecked", "notes"]
YEAR_KEYS = ["period", "is_baseline", "crawls", "documents", "tokens", "jsd", "noise_floor", "excess_jsd",
             "tail_survival", "exact_dup_rate", "near_dup_rate", "carryover_rate", "synthetic_share"]


@pytest.fixture
def report(report_store):
    return build_report(report_store, CONFIG, clock)


# -- golden files -------------------------------------------------------------------------------------
# golden/model.json is the report model of the test store; the renderers must turn it into golden/report.md
# and golden/report.html byte for byte. The model built from the store is compared with model.json exactly
# for text and counts and within a tolerance for estimates (resampling depends on the order DuckDB returns
# token lists in, see the lead's note), so a refresh is needed only when the model or a renderer changes.
def _golden_model(report, request) -> dict:
    path = GOLDEN / "model.json"
    if update_golden(request) or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_json(report), encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["json", "md", "html"])
def test_the_renderers_match_the_golden_files_byte_for_byte(report, fmt, request):
    model = Report(_golden_model(report, request))
    text = render(model, fmt)
    path = GOLDEN / ("model.json" if fmt == "json" else f"report.{fmt}")
    if fmt != "json" and (update_golden(request) or not path.exists()):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path} differs; refresh with PROVENANCE_UPDATE_GOLDEN=1"


def _same(a, b, where="$"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            if k in ("tokens",) and where.endswith(("tail_tokens_lost", "top_movers")):
                assert len(a[k]) == len(b[k]), where  # ties among tokens may order differently
                continue
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif where.rsplit(".", 1)[-1] in ("ci_low", "ci_high", "q05", "q95", "score", "median", "value", "change") \
            and where.startswith(("$.years", "$.headline", "$.projection.series", "$.projection.regimes")):
        # estimates: resampled intervals still vary run to run (estimator row order), see the module note
        assert (a is None) == (b is None), where
        if isinstance(a, float) and where.endswith((".value", ".median")):
            assert a == pytest.approx(b, rel=0.1, abs=0.02), where
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=0.1, abs=0.02), where
    elif isinstance(a, str) and where.endswith(".text"):
        assert re.sub(r"[\d.]+", "#", a) == re.sub(r"[\d.]+", "#", b), where  # sentences quote estimates
    else:
        assert a == b, where


def test_the_store_builds_the_golden_model(report, request):
    _same(report.data, _golden_model(report, request))


# -- the three formats never disagree ------------------------------------------------------------------
class _YearCells(HTMLParser):
    """Collect the text of every <td data-metric> of the per-year table, keyed by (period, metric)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.period: str | None = None
        self.metric: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-period" in a:
            self.period = a["data-period"]
        if tag == "td" and self.period and "data-metric" in a:
            self.metric = a["data-metric"]
            self.cells[(self.period, self.metric)] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.metric = None
        if tag == "tr":
            self.period = None

    def handle_data(self, data):
        if self.period and self.metric:
            self.cells[(self.period, self.metric)] += data


def _markdown_cells(text: str) -> dict[tuple[str, str], str]:
    section = text.split("## Per year", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in section.splitlines() if r.startswith("| ")][1:]  # skip the heading row
    out = {}
    for r in rows:
        parts = [p.strip() for p in r.strip("|").split(" | ")]
        period = parts[0].split()[0]
        for (key, _), value in zip(YEAR_COLUMNS, parts[1:]):
            out[(period, key)] = value
    return out


def test_json_markdown_and_html_show_the_same_numbers(report):
    data = json.loads(render_json(report))
    parser = _YearCells()
    parser.feed(render_html(report))
    md = _markdown_cells(render_markdown(report))
    checked = 0
    for y in data["years"]:
        for key, _ in YEAR_COLUMNS:
            expected = "not measured" if key == "synthetic_share" and data["synthetic_share"]["status"] != "measured" \
                else cell(key, y[key])
            assert parser.cells[(y["period"], key)] == expected, (y["period"], key)
            assert md[(y["period"], key)] == expected, (y["period"], key)
            checked += 1
    assert checked == len(data["years"]) * len(YEAR_COLUMNS)
    assert [f["text"] for f in data["headline"]] == [line[2:] for line in render_markdown(report).split("## What changed most\n\n")[1].split("\n\n")[0].splitlines()]


# -- escaping -------------------------------------------------------------------------------------------
def test_corpus_markup_is_escaped_in_html(report):
    html = render_html(report)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "Content-Security-Policy" in html and "default-src &#x27;none&#x27;" in html


def test_the_html_loads_nothing_from_the_network(report):
    html = render_html(report)
    assert not re.search(r"""\s(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)
    assert "@import" not in html and "url(" not in html


def test_corpus_markup_cannot_break_markdown(report):
    md = render_markdown(report)
    assert not re.search(r"(?<!\\)<(script|img)", md)  # every < of the corpus is backslash-escaped
    thin = [line for line in md.splitlines() if "search.example.org" in line]
    assert len(thin) == 1 and thin[0].count(" | ") == 3  # the URL's characters did not add table cells


def test_the_json_keeps_corpus_strings_verbatim(report):
    data = json.loads(render_json(report))
    urls = [p["url"] for p in data["thin_pages"]]
    assert XSS_URL in urls
    assert any(p["snippet"] == " ".join(XSS_TEXT[:80].split()) for p in data["thin_pages"])


# -- schema --------------------------------------------------------------------------------------------
def test_the_json_keys_are_the_documented_ones(report):
    data = json.loads(render_json(report))
    assert list(data) == TOP_KEYS
    assert data["schema_version"] == SCHEMA_VERSION
    for y in data["years"]:
        assert list(y) == YEAR_KEYS
        for key in YEAR_KEYS[5:12]:
            assert set(y[key]) == {"value", "ci_low", "ci_high"}
    assert data["periods"] == ["2019", "2021", "2023"] and data["baseline"] == "2019"
    assert set(data["projection"]["regimes"][0]) >= {"regime", "horizon_median", "horizon_q05", "horizon_q95", "collapsed_share"}


def test_the_schema_is_documented():
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "report.md").read_text()
    for key in TOP_KEYS + YEAR_KEYS:
        assert f"`{key}`" in doc, key


def test_an_unmeasured_synthetic_share_says_how_to_measure_it(report):
    for fmt in ("json", "md", "html"):
        assert "provenance reference" in render(report, fmt)
    assert report.data["synthetic_share"]["status"] == "not measured"


# -- computing what is missing ---------------------------------------------------------------------------
def test_nothing_is_recomputed_when_the_metrics_exist(report_store):
    assert missing_steps(report_store, CONFIG) == []


def test_missing_estimators_run_and_are_then_reused(tmp_path, report_db):
    db = str(tmp_path / "c.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        store.con.execute("DELETE FROM metrics WHERE estimator IN ('tails', 'dups')")
        store.con.execute("DELETE FROM sim_runs")
        seen = []
        assert compute_missing(store, CONFIG, lambda s, i, n: seen.append((s, i, n))) == ["tails", "dups", "simulate"]
        assert seen == [("tails", 0, 3), ("dups", 1, 3), ("simulate", 2, 3), ("done", 3, 3)]
        assert compute_missing(store, CONFIG) == []


def test_another_baseline_gets_its_own_runs(tmp_path, report_db):
    db = str(tmp_path / "b.duckdb")
    shutil.copy(report_db, db)
    config = ReportConfig(baseline="2021", generations=2, replicates=2)
    with Store(db) as store:
        assert missing_steps(store, config) == ["drift", "tails", "simulate"]  # dups does not depend on it
        compute_missing(store, config)
        data = build_report(store, config, clock).data
    assert data["baseline"] == "2021" and [y["is_baseline"] for y in data["years"]] == [False, True, False]
    assert data["years"][1]["excess_jsd"]["value"] == 0


SUBWORDS = "hf:pieces@0a1b2c3d"  # a tokenizer's name in the store, as ingest --tokenizer names one


def _add_subword_counts(store, since: int = 0) -> None:
    """Add the counts of a second tokenizer that cuts each word in two ("w0123" -> "w01", "##23"), as ingest
    --tokenizer adds a Hugging Face tokenizer's beside the word tokenizer's (for the years from `since`)."""
    words = store.frame("SELECT source_id, crawl, year, lang, block, token, count FROM token_counts WHERE tokenizer = 'word' "
                        f"AND year >= {since}")
    pieces = (words.with_columns(pl.concat_list(pl.col("token").str.slice(0, 3), "##" + pl.col("token").str.slice(3)).alias("token"))
              .explode("token").filter(pl.col("token") != "##")
              .group_by("source_id", "crawl", "year", "lang", "block", "token").agg(pl.col("count").sum())
              .select("source_id", "crawl", "year", "lang", "block", pl.lit(SUBWORDS).alias("tokenizer"), "token", "count"))
    store.insert_token_counts(pieces)


def test_the_report_reads_the_counts_of_the_tokenizer_it_is_given_and_keeps_each_tokenizers_runs_apart(tmp_path, report_db):
    db = str(tmp_path / "t.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _add_subword_counts(store)
        words = build_report(store, CONFIG, clock).data
        config = ReportConfig(**{**CONFIG.__dict__, "tokenizer": "hf:pieces"})  # the name before its '@'
        assert missing_steps(store, config) == ["drift", "tails", "simulate"]  # dups and synth read no token counts
        compute_missing(store, config)
        assert missing_steps(store, config) == [] and missing_steps(store, CONFIG) == []  # each reuses its own runs
        data = build_report(store, config, clock).data
        assert build_report(store, CONFIG, clock).data == words  # the word report is as it was
    assert data["tokenizer"] == SUBWORDS and words["tokenizer"] == "word"
    for step in ("drift", "tails", "simulate"):
        assert data["methods"][step]["parameters"]["tokenizer"] == SUBWORDS
        assert data["methods"][step]["run_id"] != words["methods"][step]["run_id"]
    assert data["methods"]["dups"] == words["methods"]["dups"]
    assert all(t["token"] == "##" or len(t["token"]) <= 3 or t["token"].startswith("##")
               for t in data["top_movers"]["tokens"] + data["tail_tokens_lost"]["tokens"])
    assert data["years"][-1]["jsd"] != words["years"][-1]["jsd"]
    assert any("read the token counts of hf:pieces@0a1b2c3d" in n for n in data["notes"])
    assert not any("read the token counts" in n for n in words["notes"])
    # its units are tokens, not words: said so wherever the word report speaks of words
    # (its own listing of lost tail tokens may be empty: in a store this small every tail piece is in every block)
    shown = Report({**data, "tail_tokens_lost": words["tail_tokens_lost"]})
    text = render(shown, "md") + render(shown, "html")
    assert "token distribution" in text and "Tokens whose share moved most" in text and "Rare tokens of 2019" in text
    assert "word distribution" not in text and "Words whose" not in text and "rare words" not in text.lower()
    assert "word distribution" in render(Report(words), "md")


def test_the_default_baseline_is_the_earliest_year_with_the_tokenizers_counts(tmp_path, report_db):
    db = str(tmp_path / "t.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _add_subword_counts(store, since=2021)  # the files of 2019 were ingested without it
        config = ReportConfig(**{**CONFIG.__dict__, "tokenizer": "hf:pieces"})
        compute_missing(store, config)
        data = build_report(store, config, clock).data
    assert data["baseline"] == "2021" and data["years"][-1]["jsd"]["value"] > 0
    assert not any("not measured" in n for n in data["notes"])


@pytest.mark.parametrize("tokenizer", [None, "", "  "])
def test_a_tokenizer_that_names_none_is_a_usage_error(tokenizer):
    with pytest.raises(UsageError, match="--tokenizer must name a tokenizer"):
        ReportConfig(tokenizer=tokenizer).validate()


def test_a_tokenizer_the_store_has_no_counts_of_is_named_with_those_it_has(report_store):
    with pytest.raises(EstimatorError, match="no token counts with tokenizer 'hf:other'; the store holds: word"):
        build_report(report_store, ReportConfig(tokenizer="hf:other"), clock)


def test_an_unknown_baseline_lists_the_years(report_store):
    with pytest.raises(EstimatorError, match="known|years in the store: 2019, 2021, 2023"):
        build_report(report_store, ReportConfig(baseline="1999"), clock)


def test_measured_synthetic_shares_are_reported_and_drive_the_projection(tmp_path, report_db):
    db = str(tmp_path / "s.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        run_id = store.new_run("synth", {"by": "year", "human": "h", "machine": "m"})
        for period, value in (("2019", 0.01), ("2021", 0.05), ("2023", 0.2)):
            store.con.execute("INSERT INTO metrics VALUES (?, 'synth', 'alpha', ?, NULL, ?, ?, ?, ?, now())",
                              [run_id, period, value, value / 2, value * 1.5,
                               json.dumps({"by": "year", "references": {"human": "h", "machine": "m"}})])
        assert missing_steps(store, CONFIG) == ["simulate"]  # the assumed-share projection is replaced
        compute_missing(store, CONFIG)
        report = build_report(store, CONFIG, clock)
    data = report.data
    assert data["synthetic_share"]["status"] == "measured"
    assert [y["synthetic_share"]["value"] for y in data["years"]] == [0.01, 0.05, 0.2]
    assert data["projection"]["schedule"] == "observed"
    html = render_html(report)
    assert 'id="chart-synth"' in html and "20.0% [10.0%, 30.0%]" in html
    assert any(f["metric"] == "synthetic_share" for f in data["headline"])


def test_estimates_against_several_machine_references_are_shown_side_by_side(tmp_path, report_db):
    db = str(tmp_path / "m.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        for machine, shares in (("gpt", (0.0, 0.04, 0.10)), ("llama", (0.01, 0.05, 0.20))):  # `synth --machine gpt,llama`
            run_id = store.new_run("synth", {"by": "year", "human": "h", "machine": machine})
            for period, value in zip(("2019", "2021", "2023"), shares):
                store.con.execute("INSERT INTO metrics VALUES (?, 'synth', 'alpha', ?, NULL, ?, ?, ?, ?, now())",
                                  [run_id, period, value, value / 2, value * 1.5,
                                   json.dumps({"by": "year", "references": {"human": "h", "machine": machine}})])
        report = build_report(store, CONFIG, clock)
    share = report.data["synthetic_share"]
    assert share["message"].endswith("h (human) and llama (machine)")  # the newest run leads
    assert [m["machine"] for m in share["machines"]] == ["llama", "gpt"]
    assert share["machines"][1]["periods"]["2023"] == {"value": 0.1, "ci_low": 0.05, "ci_high": 0.15}
    assert any("in 2023 it reads 10.0% against gpt and 20.0% against llama (2 machine references)" in n
               for n in report.data["notes"])
    markdown = render_markdown(report)
    assert "Synthetic share measured against references h (human) and llama (machine)." in markdown
    assert "| Year | llama (run" in markdown and "| 2023 | 20.0% [10.0%, 30.0%] | 10.0% [5.0%, 15.0%] |" in markdown
    html = render_html(report)
    assert "Synthetic share measured against references h (human) and llama (machine).</p>" in html
    assert 'class="synth-machines"' in html and 'class="legend">gpt</text>' in html  # the table, and gpt's line in the chart
    assert "Solid, with the band: against the machine reference llama" in html


def test_an_estimate_against_another_machine_made_before_the_documents_changed_is_not_compared(tmp_path, report_db):
    db = str(tmp_path / "m.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _synth_run(store, "gpt", {"2019": 0.0, "2021": 0.04, "2023": 0.10})
        store.new_run("remove", {"paths": ["x.warc.gz"]})  # the documents changed since gpt's estimate
        _synth_run(store, "llama", {"2019": 0.01, "2021": 0.05, "2023": 0.20})
        share = build_report(store, CONFIG, clock).data["synthetic_share"]
    assert share["message"].endswith("h (human) and llama (machine)") and "machines" not in share


def _synth_run(store: Store, machine: str, shares: dict[str, float], lang: str | None = None, **method: object) -> int:
    params = {"by": "year", "lang": lang, "references": {"human": "h", "machine": machine}, **method}
    run_id = store.new_run("synth", params)
    for period, value in shares.items():
        store.con.execute("INSERT INTO metrics VALUES (?, 'synth', 'alpha', ?, ?, ?, ?, ?, ?, now())",
                          [run_id, period, lang, value, value, value, json.dumps(params)])
    return run_id


def test_the_projection_follows_the_machine_reference_of_the_reports_synth_run(tmp_path, report_db):
    db = str(tmp_path / "p.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        own = _synth_run(store, "m-year", {"2019": 0.0, "2021": 0.05, "2023": 0.2})
        _synth_run(store, "m-en", {"2019": 0.0, "2021": 0.3, "2023": 0.6}, lang="en")  # newer, English only
        compute_missing(store, CONFIG)
        data = build_report(store, CONFIG, clock).data
        _synth_run(store, "m-new", {"2019": 0.0, "2021": 0.1, "2023": 0.4})  # a newer run against another reference
        assert missing_steps(store, CONFIG) == ["simulate"]  # the projection beside it would contradict it
        compute_missing(store, CONFIG)
        newer = build_report(store, CONFIG, clock).data
    assert data["synthetic_share"]["run_id"] == own
    assert data["projection"]["schedule_description"].endswith("against machine reference m-year")
    assert newer["projection"]["schedule_description"].endswith("against machine reference m-new")


def test_only_estimates_of_the_reports_method_are_compared(tmp_path, report_db):
    db = str(tmp_path / "u.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _synth_run(store, "sentences", {"2021": 0.1, "2023": 0.6}, unit="sentence", calibrate=False)  # Liang's raw MLE
        _synth_run(store, "docs", {"2021": 0.1, "2023": 0.3}, unit="document", calibrate=True)
        _synth_run(store, "docs2", {"2021": 0.1, "2023": 0.2}, unit="document", calibrate=True)
        data = build_report(store, CONFIG, clock).data
    assert [m["machine"] for m in data["synthetic_share"]["machines"]] == ["docs2", "docs"]


def test_calibration_alone_makes_another_method_and_a_share_of_sentences_is_not_the_reports(tmp_path, report_db):
    db = str(tmp_path / "k.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _synth_run(store, "cal", {"2021": 0.1, "2023": 0.3}, unit="document", calibrate=True)
        _synth_run(store, "raw", {"2021": 0.1, "2023": 0.6}, unit="document", calibrate=False)
        raw2 = _synth_run(store, "raw2", {"2021": 0.1, "2023": 0.5}, unit="document", calibrate=False)
        _synth_run(store, "sent", {"2021": 0.1, "2023": 0.9}, unit="sentence", calibrate=False, share="sentences")
        data = build_report(store, CONFIG, clock).data
    assert data["synthetic_share"]["run_id"] == raw2  # the newest share of documents
    assert [m["machine"] for m in data["synthetic_share"]["machines"]] == ["raw2", "raw"]


def test_estimates_written_without_their_references_are_still_measured(tmp_path, report_db):
    db = str(tmp_path / "h.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        for period, value in {"2021": 0.1, "2023": 0.3}.items():  # rows written by hand: no runs row, no parameters
            store.con.execute("INSERT INTO metrics VALUES (999, 'synth', 'alpha', ?, NULL, ?, ?, ?, '{}', now())",
                              [period, value, value, value])
        data = build_report(store, CONFIG, clock).data
    assert data["synthetic_share"]["message"] == "measured (synth run 999)"


def test_the_spread_note_leaves_out_estimates_that_are_no_number(tmp_path, report_db):
    db = str(tmp_path / "n.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _synth_run(store, "zz-nan", {"2021": 0.1, "2023": float("nan")})
        _synth_run(store, "aa-low", {"2021": 0.1, "2023": 0.1})
        _synth_run(store, "mm-high", {"2021": 0.1, "2023": 0.6})
        data = build_report(store, CONFIG, clock).data
    assert any("in 2023 it reads 10.0% against aa-low and 60.0% against mm-high (2 machine references)" in n for n in data["notes"])


def test_the_synth_charts_legend_stays_inside_the_chart(tmp_path, report_db):
    db = str(tmp_path / "l.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        for machine, share in (("gpt-4o-mini-2024-07-18", 0.9), ("llama-3.1-8b-instruct", 0.6), ("qwen2.5-7b-instruct", 0.2),
                               ("mistral-7b-v0.3", 0.3)):  # the newest (mistral) leads; the others drawn farthest first
            _synth_run(store, machine, {"2021": 0.1, "2023": share})
        html = render_html(build_report(store, CONFIG, clock))
    chart = html[html.index('id="chart-synth"'):]
    legend = re.findall(r'<text x="([\d.]+)" y="20" class="legend">([^<]*)</text>', chart[:chart.index("</svg>")])
    assert len(legend) >= 2 and max(float(x) + 7.2 * len(name) for x, name in legend) <= 560
    assert [name for _, name in legend][:3] == ["synthetic share", "gpt-4o-mini-202…", "llama-3.1-8b-in…"]


def test_a_projection_of_other_generations_or_replicates_than_the_reports_is_noted(tmp_path, report_db):
    db = str(tmp_path / "q.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        from provenance.simulate import SimulationConfig, simulate
        run_id = simulate(store, SimulationConfig(baseline="2019", schedule="0.5", generations=2, replicates=3)).run_id
        data = build_report(store, CONFIG, clock).data
    assert data["projection"]["run_id"] == run_id
    assert (f"the projection is simulator run {run_id} (2 generations, 3 replicates), the newest for baseline 2019, not one of "
            "the report's 4 generations and 4 replicates: 'provenance simulate --baseline 2019 --schedule 0.5 --generations 4 "
            "--replicates 4' makes one") in data["notes"]  # (no synthetic share measured: the report's assumed one)


def test_one_machine_reference_adds_no_comparison(report):
    assert "machines" not in report.data["synthetic_share"]
    assert "synth-machines" not in render_html(report) and "against each machine" not in render_markdown(report)


# -- monitoring -----------------------------------------------------------------------------------------
def test_thresholds_name_every_period_above_them(report):
    alerts = check_thresholds(report.data, [("near_dup_rate", 0.08), ("documents", 1000)])
    assert [(a["metric"], a["period"]) for a in alerts] == [("near_dup_rate", "2021"), ("near_dup_rate", "2023")]


def test_the_baseline_is_not_checked_against_itself(report):
    assert check_thresholds(report.data, [("jsd", 0.0)])[0]["period"] != "2019"


def test_alerts_are_part_of_every_format(report_store):
    report = build_report(report_store, ReportConfig(**{**CONFIG.__dict__, "thresholds": (("carryover_rate", 0.1),)}), clock)
    assert report.alerts == [{"metric": "carryover_rate", "period": "2023", "value": report.data["years"][2]["carryover_rate"]["value"],
                              "threshold": 0.1, "direction": "above"}]
    assert "Alerts" in render_markdown(report) and 'id="alerts"' in render_html(report)


@pytest.mark.parametrize("spec, expected", [("near_dup_rate=0.2", ("near_dup_rate", 0.2)),
                                            ("carryover_rate=15%", ("carryover_rate", 0.15)),
                                            (" jsd = 0.3 ", ("jsd", 0.3))])
def test_parse_threshold(spec, expected):
    assert parse_threshold(spec) == pytest.approx(expected)


@pytest.mark.parametrize("spec", ["near_dup_rate", "near_dup_rate=abc", "=0.2", "bogus=1"])
def test_a_bad_threshold_is_a_usage_error(spec):
    with pytest.raises(UsageError, match="--fail-above"):
        parse_threshold(spec)


# -- charts ---------------------------------------------------------------------------------------------
def test_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.0, 0.27) == [0.0, 0.1, 0.2, 0.3]
    ticks = nice_ticks(0.83, 1.31)
    assert ticks[0] <= 0.83 and ticks[-1] >= 1.31


def test_every_chart_has_data(report):
    html = render_html(report)
    figures = re.findall(r'<figure class="chart" id="chart-([\w-]+)">(.*?)</figure>', html, re.S)
    assert {name for name, _ in figures} == {"drift", "excess", "tails", "dups", "volume", "projection-tail", "projection-jsd"}
    for name, body in figures:
        assert "<svg" in body and ("<path" in body or "<rect class=\"bar\"" in body), name


def test_the_headline_says_within_noise_when_the_interval_holds_zero_and_ranks_unsized_changes_last():
    """A negative excess JSD whose interval holds 0 was told as "drifted ... beyond sampling noise", and a change of
    1e-5 in a metric with a zero-width interval ranked first (an infinite score)."""
    from provenance.report.model import headline

    def year(period, **metrics):
        return {"period": period, **{k: dict(zip(("value", "ci_low", "ci_high"), v)) for k, v in metrics.items()}}

    data = {"baseline": "2019", "projection": {"status": "none"}, "years": [
        year("2019", excess_jsd=(0.0, 0.0, 0.0), tail_survival=(1.0, 1.0, 1.0), near_dup_rate=(0.10, 0.08, 0.12)),
        year("2020", excess_jsd=(-0.001, -0.016, 0.015), tail_survival=(1.000014, 1.000014, 1.000014), near_dup_rate=(0.20, 0.17, 0.23)),
    ]}
    findings = headline(data)
    assert [f["metric"] for f in findings] == ["near_dup_rate", "excess_jsd", "tail_survival"]
    assert findings[1]["text"].startswith("2020's word distribution is within sampling noise of 2019's")
    assert findings[2]["score"] == 0.0


def test_a_store_too_small_for_tails_still_gets_its_report(make_warc, tmp_path):
    """With the default 500 documents a block, a store of a few dozen documents has one block a year: tails cannot
    choose a tail and measure it, and the report failed as a whole; now it says so and reports the rest."""
    from typer.testing import CliRunner

    from provenance.cli import app
    from tests.conftest import response_record, warcinfo

    records = [warcinfo(), *(response_record(i, date=f"{2019 + i % 2}-05-01T00:00:00Z") for i in range(40))]
    db, out = str(tmp_path / "s.duckdb"), tmp_path / "r.json"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(make_warc("small.warc.gz", records)), "--db", db]).exit_code == 0
    res = runner.invoke(app, ["report", "--out", str(out), "--db", db])
    assert res.exit_code == 0, res.output
    assert "Note: tails not measured: baseline 2019 has a single block" in res.stderr
    data = json.loads(out.read_text())
    assert any(n.startswith("tails: not measured: baseline 2019 has a single block") for n in data["notes"])
    assert [y["period"] for y in data["years"]] == ["2019", "2020"] and data["years"][1]["excess_jsd"] is not None


def test_the_report_takes_the_word_tokenizers_drift_run_though_a_newer_one_used_another(tmp_path, report_db):
    from provenance.estimators.drift import DriftConfig, estimate_drift
    from provenance.report.compute import latest_runs
    from provenance.store import Store

    db = shutil.copy(report_db, tmp_path / "r.duckdb")
    with Store(str(db)) as store:
        word_run = latest_runs(store, "2019")["drift"][0]
        # the same counts again under another tokenizer's name, and a drift run over them, newer than the report's
        store.insert_token_counts(store.con.sql("SELECT source_id, crawl, year, lang, block, 'hf:x@00000000' AS tokenizer, token, "
                                                "count FROM token_counts WHERE tokenizer = 'word'").pl())
        estimate_drift(store, DriftConfig(baseline="2019", tokenizer="hf:x", draws=2))

        assert latest_runs(store, "2019")["drift"][0] == word_run


def test_a_projection_whose_median_is_beyond_the_run_says_how_many_replicates_fell_below_half():
    from provenance.report.model import _projection_sentence
    from provenance.report.tables import horizon_rows

    some = {"regime": "replace", "horizon_median": None, "horizon_q05": 19, "horizon_q95": None,
            "horizon_year_median": None, "collapsed_share": 0.3}
    none = {**some, "regime": "accumulate", "horizon_q05": None, "collapsed_share": 0.0}
    projection = {"regimes": [some, none], "generations": 20, "schedule_description": "constant alpha = 0.5"}
    assert _projection_sentence(projection) == (
        "Projection (constant alpha = 0.5): under replace, the tail stays above 50% within 20 generations in most "
        "replicates (30% fell below it); under accumulate, the tail never falls below 50% within 20 generations.")
    assert [row[1] for row in horizon_rows(projection)] == ["beyond the run [19, beyond the run]", "beyond the run"]


def test_a_projection_without_a_tail_to_follow_says_so_not_that_the_tail_never_fell():
    """P0 without a type seen often enough has no tail: tail survival is NULL in every generation, so no replicate
    'fell below half', and the report said the tail never falls below 50%."""
    from provenance.report.model import _projection

    class Store:
        def query_frame(self, name, run_id):
            if name == "report_sim_series":
                return pl.DataFrame({"regime": ["replace"] * 2, "generation": [0, 1], "year": [2019.0, 2020.0], "alpha": [None, 0.5],
                                     **{f"{m}_{q}": [None, None] for m in ("tail_survival", "jsd") for q in ("median", "q05", "q95")}},
                                    schema_overrides={f"{m}_{q}": pl.Float64 for m in ("tail_survival", "jsd") for q in ("median", "q05", "q95")})
            return pl.DataFrame({"regime": ["replace"] * 2, "replicate": [0, 1], "horizon": [None, None], "horizon_year": [None, None]},
                                schema_overrides={"horizon": pl.Int64, "horizon_year": pl.Float64})

    sim = {"run_id": 1, "generations": 1, "regimes": "replace", **dict.fromkeys(
        ("schedule", "schedule_description", "tokens", "replicates", "temperature", "top_p", "seed", "years_per_generation",
         "start_year", "vocabulary", "baseline_tokens", "tail_types"))}
    projection = _projection(Store(), sim)
    assert projection["regimes"][0]["collapsed_share"] is None and projection["regimes"][0]["tail"] is False
    from provenance.report.model import _projection_sentence

    assert "no tail to follow" in _projection_sentence(projection) and "never falls" not in _projection_sentence(projection)


def test_after_an_ingest_of_a_new_crawl_the_report_measures_it_rather_than_reuse_runs_made_without_it(tmp_path):
    # a monitoring job ingests each new crawl, then reports: the runs of the last report were reused, and the new
    # year read "n/a" in every column, its duplicates uncounted and its carry-over from earlier years unmeasured
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from tests.conftest import FIXTURES

    db = str(tmp_path / "m.duckdb")
    crawls = sorted((FIXTURES / "crawl").iterdir())
    config = ReportConfig(generations=2, replicates=2)

    def ingested(*folders):
        ingest([str(f) for f in folders], IngestConfig(db=db, block_docs=20, workers=1))

    ingested(*crawls[:3])
    with Store(db) as store:
        compute_missing(store, config)
        assert missing_steps(store, config) == []
    ingested(crawls[3])
    with Store(db) as store:
        assert missing_steps(store, config) == ["drift", "tails", "dups", "simulate"]
        compute_missing(store, config)
        data = build_report(store, config, clock).data
    latest = data["years"][-1]
    assert latest["period"] == crawls[3].name[8:12]
    assert all(latest[key] is not None for key in ("jsd", "tail_survival", "near_dup_rate", "carryover_rate"))
    ingested(crawls[3])  # nothing new: the runs stand
    with Store(db) as store:
        assert missing_steps(store, config) == []


def test_a_run_of_other_options_than_the_reports_definitions_is_not_the_reports(tmp_path, report_db):
    # a notebook's dups at Jaccard 0.2 became the report's near-duplicate rate, defined there as ">= 0.8"
    from provenance.estimators import DriftConfig, DupsConfig, estimate_drift, estimate_dups

    db = str(tmp_path / "x.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        before = build_report(store, CONFIG, clock).data["methods"]
        estimate_dups(store, DupsConfig(threshold=0.2))
        estimate_drift(store, DriftConfig(baseline="2019", draws=3))
        estimate_dups(store, DupsConfig(confidence=0.9))
        after = build_report(store, CONFIG, clock).data["methods"]
    assert after["dups"] == before["dups"] and after["drift"] == before["drift"]


def _crawls_with_references(tmp_path, crawls: int) -> str:
    """A store of the fixtures' first crawls (blocks of 20 documents), with a human reference of 2013's documents (h)
    and the fixtures' machine text (m); returns its path."""
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from provenance.synth import add_reference, add_reference_from_store
    from provenance.synth.references import read_texts
    from tests.conftest import FIXTURES

    db = str(tmp_path / "crawls.duckdb")
    ingest([str(f) for f in sorted((FIXTURES / "crawl").iterdir())[:crawls]], IngestConfig(db=db, block_docs=20, workers=1))
    with Store(db) as store:
        add_reference_from_store(store, "h", "human", "2013")
        add_reference(store, "m", "machine", read_texts([str(FIXTURES / "machine" / "smollm2.jsonl")]), "machine")
    return db


def test_shares_of_one_year_give_the_projection_the_assumed_share_and_say_why(tmp_path):
    # a monitoring job's first crawls: the human reference's year and one more; "a trend needs 2 periods" left the
    # report without a projection, where the docs promise the assumed share
    from provenance.synth import SynthConfig, estimate_synth

    db = _crawls_with_references(tmp_path, 2)
    config = ReportConfig(generations=2, replicates=2)
    with Store(db) as store:
        estimate_synth(store, SynthConfig(human="h", machine="m", bootstrap=50))
        compute_missing(store, config)
        data = build_report(store, config, clock).data
        assert missing_steps(store, config) == []  # and so it stays: not run again at every report
    assert data["synthetic_share"]["status"] == "measured"
    assert data["projection"]["status"] == "simulated" and data["projection"]["schedule"] == "constant"
    assert any("fewer than the 2 years a trend needs" in n for n in data["notes"])


def test_years_ingested_at_different_sample_rates_are_said_to_be(tmp_path):
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest
    from tests.conftest import FIXTURES

    db = str(tmp_path / "s.duckdb")
    first, second = sorted((FIXTURES / "crawl").iterdir())[:2]
    ingest([str(first)], IngestConfig(db=db, block_docs=20, workers=1))
    with Store(db) as store:
        assert not any("--sample-rate" in n for n in build_report(store, CONFIG, clock).data["notes"])
    ingest([str(second)], IngestConfig(db=db, block_docs=20, workers=1, sample_rate=0.5))
    with Store(db) as store:
        notes = build_report(store, CONFIG, clock).data["notes"]
    assert any(n.startswith("the years were ingested at different --sample-rate (2013: 1.0; 2017: 0.5;") for n in notes)


def test_a_year_of_a_few_documents_is_not_the_headlines_latest_and_is_said_to_be_left_out(tmp_path, report_db):
    # a broken file's 3 pages under a crawl id of their own made "Near-duplicates fell from 2.0% in 2013 to 0.0% in 2024"
    from tests.estimators.helpers import insert_documents

    db = str(tmp_path / "s.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        insert_documents(store, ["a stray page", "another stray page"], [2025, 2025])
        compute_missing(store, CONFIG, unmeasured={})
        data = build_report(store, CONFIG, clock).data
    assert data["periods"][-1] == "2025" and {f["to"]["period"] for f in data["headline"] if f["to"]} == {"2023"}
    assert any(n.startswith("2025 (2 documents): left out of the headline, under 10% of the median year's") for n in data["notes"])


def test_the_projection_follows_the_reports_own_synth_run_not_a_newer_one_of_other_options(tmp_path):
    # a newer synth run at 90% intervals (not the report's) led the observed schedule: simulate ran again at every report
    from provenance.synth import SynthConfig, estimate_synth

    db = _crawls_with_references(tmp_path, 4)
    config = ReportConfig(generations=1, replicates=1)
    with Store(db) as store:
        own = estimate_synth(store, SynthConfig(human="h", machine="m", bootstrap=50)).run_id
        estimate_synth(store, SynthConfig(human="h", machine="m", bootstrap=50, ci_level=0.9))
        compute_missing(store, config)
        assert missing_steps(store, config) == []
        data = build_report(store, config, clock).data
    assert data["synthetic_share"]["run_id"] == own
    assert data["methods"]["simulate"]["parameters"]["synth_run"] == own



def test_a_share_against_one_machine_reference_says_it_counts_text_like_it(tmp_path, report_db):
    # one family's reference reads another family's text as human (benchmarks/synth_families.py): the report says so,
    # and how to estimate against several families jointly
    db = str(tmp_path / "one.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _synth_run(store, "gpt", {"2019": 0.0, "2021": 0.04, "2023": 0.10})
        notes = build_report(store, CONFIG, clock).data["notes"]
    assert any("counts text like the machine reference gpt's" in n and "--machine gpt+OTHER" in n for n in notes)


def test_a_joint_share_is_split_into_its_families_in_the_latest_year(tmp_path, report_db):
    db = str(tmp_path / "joint.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        params = {"by": "year", "lang": None, "references": {"human": "h", "machine": "gpt+llama", "machines": ["gpt", "llama"]}}
        run_id = store.new_run("synth", params)
        for period, value in (("2021", 0.05), ("2023", 0.12)):
            families = {"gpt": {"share": value - 0.02, "ci_low": 0.0, "ci_high": value}, "llama": {"share": 0.02, "ci_low": 0.0, "ci_high": 0.05}}
            store.con.execute("INSERT INTO metrics VALUES (?, 'synth', 'alpha', ?, NULL, ?, ?, ?, ?, now())",
                              [run_id, period, value, value / 2, value * 1.5, json.dumps({**params, "families": families})])
        data = build_report(store, CONFIG, clock).data
    assert data["synthetic_share"]["families"]["2023"]["gpt"] == {"share": 0.1, "ci_low": 0.0, "ci_high": 0.12}
    assert any("against 2 machine families jointly; in 2023 their parts (the share split among them) are gpt 10.0% [0.0%, 12.0%], "
               "llama 2.0% [0.0%, 5.0%]; each part is noisier than the share, and text of a family none of the references is like "
               "still reads as human" in n
               for n in data["notes"])
    assert not any("counts text like" in n for n in data["notes"])


def test_machine_references_side_by_side_need_no_word_on_unseen_families(tmp_path, report_db):
    db = str(tmp_path / "two.duckdb")
    shutil.copy(report_db, db)
    with Store(db) as store:
        _synth_run(store, "gpt", {"2019": 0.0, "2021": 0.04, "2023": 0.10})
        _synth_run(store, "llama", {"2019": 0.0, "2021": 0.05, "2023": 0.20})
        notes = build_report(store, CONFIG, clock).data["notes"]
    assert not any("counts text like" in n for n in notes) and any("depends on which machines the reference has seen" in n for n in notes)
