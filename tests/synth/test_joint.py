"""The joint estimator (`synth --machine a+b`): several machine families as components of one mixture. Its raw
estimate solves the concave problem on the simplex; with one family it is the two-reference estimator; with two
families it recovers the total share whatever their mix, where one family's reference misses the other's text and a
pooled reference reads a period of one family off; and runs against it are stored, shown and reused as any other."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from provenance.cli import app
from provenance.errors import UsageError
from provenance.store import Store
from provenance.synth.estimate import ShareEstimator, SynthConfig, estimate_synth
from provenance.synth.joint import JointShareEstimator, mixture_loglik, mle_shares
from provenance.synth.references import ReferenceTexts, add_reference, add_reference_from_references, assign_folds
from provenance.synth.synthetic import SyntheticSource, synthetic_texts

A, B = SyntheticSource(vocabulary=2000, seed=3), SyntheticSource(vocabulary=2000, seed=4)  # one human distribution, two tilts
runner = CliRunner()


def test_the_raw_estimate_is_the_best_point_of_the_simplex():
    rng = np.random.default_rng(5)
    for trial in range(6):
        t = np.expm1(rng.normal(rng.normal(0, 1), 1.5, (2, 80)))
        grid = [(a, b) for a in np.linspace(0, 1, 401) for b in np.linspace(0, 1, 401) if a + b <= 1 + 1e-12]
        best = max(mixture_loglik(t, np.array(g)) for g in grid)
        shares = mle_shares(t)
        assert shares.min() >= 0 and shares.sum() <= 1 + 1e-9
        assert mixture_loglik(t, shares) >= best - 1e-6, trial


def test_the_raw_estimate_is_liangs_when_the_families_are_one():
    from provenance.synth.estimate import mle_alpha

    llr = np.random.default_rng(1).normal(-0.5, 2, 300)
    assert mle_shares(np.expm1(llr)[None, :])[0] == pytest.approx(mle_alpha(llr), abs=1e-7)


def _ref(name: str, label: str, texts, seed: int) -> ReferenceTexts:
    texts = list(texts)
    return ReferenceTexts(name, label, texts, assign_folds(len(texts), 5, seed), 5)


@pytest.fixture(scope="module")
def references():
    return (_ref("h", "human", synthetic_texts(A, 1500, False, 1), 0), _ref("a", "machine", synthetic_texts(A, 800, True, 2), 1),
            _ref("b", "machine", synthetic_texts(B, 800, True, 3), 2))


def _period(share_a: float, share_b: float, seed: int, n: int = 1200) -> list[str]:
    na, nb = round(share_a * n), round(share_b * n)
    from_a = synthetic_texts(A, n, np.arange(n) < na, seed).to_list()
    from_b = synthetic_texts(B, n, np.arange(n) < nb, seed + 1).to_list()
    return from_a[:na] + from_b[:nb] + from_a[na + nb:]


def test_with_one_family_it_is_the_two_reference_estimator(references):
    human, a, _ = references
    texts = _period(0.2, 0, 11)
    one, joint = ShareEstimator(human, a), JointShareEstimator(human, [a])
    e1, e2 = one.estimate(texts, bootstrap=100, seed=3), joint.estimate(texts, bootstrap=100, seed=3)
    assert e2.value == pytest.approx(e1.value, abs=1e-6)
    assert (e2.ci_low, e2.ci_high) == pytest.approx((e1.ci_low, e1.ci_high), abs=1e-6)  # the same draws, the same interval
    assert e2.families["a"][0] == pytest.approx(e1.value, abs=1e-6)


def test_above_the_normal_limit_its_interval_is_the_two_reference_estimators_too(references, monkeypatch):
    # a period of more documents than NORMAL_LIMIT_DOCS draws its bootstrap means from their normal limit
    import provenance.synth.estimate as scalar
    import provenance.synth.joint as joint

    monkeypatch.setattr(scalar, "NORMAL_LIMIT_DOCS", 500)
    monkeypatch.setattr(joint, "NORMAL_LIMIT_DOCS", 500)
    human, a, _ = references
    texts = _period(0.2, 0, 12)
    e1, e2 = ShareEstimator(human, a).estimate(texts, bootstrap=100, seed=4), JointShareEstimator(human, [a]).estimate(texts, bootstrap=100, seed=4)
    assert (e2.value, e2.ci_low, e2.ci_high) == pytest.approx((e1.value, e1.ci_low, e1.ci_high), abs=1e-6)


@pytest.mark.parametrize("share_a, share_b", [(0.0, 0.0), (0.3, 0.0), (0.0, 0.3), (0.075, 0.075), (0.2, 0.1)])
def test_two_families_give_the_total_share_whatever_their_mix(references, share_a, share_b):
    human, a, b = references
    est = JointShareEstimator(human, [a, b]).estimate(_period(share_a, share_b, 21), bootstrap=200)
    total = share_a + share_b
    assert est.ci_low <= total <= est.ci_high
    assert est.value == pytest.approx(total, abs=0.03)
    assert est.families["a"][0] == pytest.approx(share_a, abs=0.05) and est.families["b"][0] == pytest.approx(share_b, abs=0.05)
    for share, low, high in est.families.values():
        assert 0 <= low <= share <= high <= 1


def test_one_familys_reference_misses_the_other_and_the_joint_estimate_does_not(references):
    # the failure the joint estimator is for: 30% of family B's text read against A's reference alone
    human, a, b = references
    texts = _period(0.0, 0.3, 31)
    assert ShareEstimator(human, a).estimate(texts, bootstrap=100).value < 0.1
    assert JointShareEstimator(human, [a, b]).estimate(texts, bootstrap=100).value == pytest.approx(0.3, abs=0.03)


def test_uncalibrated_it_is_the_raw_estimate(references):
    human, a, b = references
    joint = JointShareEstimator(human, [a, b])
    texts = _period(0.1, 0.1, 41)
    est = joint.estimate(texts, bootstrap=60, calibrate=False)
    raw = mle_shares(joint._t(joint.full, joint.encode_texts(texts)))
    assert est.value == est.raw_mle == pytest.approx(raw.sum())
    assert est.families["a"][0] == pytest.approx(raw[0])


# -- the store and the CLI ---------------------------------------------------------------------------------------

@pytest.fixture()
def store_db(tmp_path):
    """A store with two periods of synthetic text (2020: 30% of family B; 2021: 10% of each) and references h, a, b."""
    from datetime import datetime

    import polars as pl

    db = str(tmp_path / "joint.duckdb")
    with Store(db) as store:
        store.con.execute("INSERT INTO sources (source_id, path, status) VALUES (1, 'generated', 'done')")
        for k, (year, (sa, sb)) in enumerate({2020: (0.0, 0.3), 2021: (0.1, 0.1)}.items()):
            texts = _period(sa, sb, 50 + k, n=600)
            ids = (1 << 32) + 1000 * k + np.arange(len(texts), dtype=np.int64)
            docs = pl.DataFrame({"doc_id": ids, "source_id": np.ones(len(texts), np.int64), "crawl": [f"CC-MAIN-{year}-10"] * len(texts),
                                 "fetch_time": [datetime(year, 3, 1)] * len(texts), "year": np.full(len(texts), year, np.int16),
                                 "lang": ["en"] * len(texts)})
            store.con.register("_docs", docs.to_arrow())
            store.con.execute("INSERT INTO documents BY NAME SELECT * FROM _docs")
            store.con.unregister("_docs")
            store.insert_texts(pl.DataFrame({"doc_id": ids, "text": texts}).to_arrow())
        add_reference(store, "h", "human", synthetic_texts(A, 1500, False, 1).to_list(), "synthetic")
        add_reference(store, "a", "machine", synthetic_texts(A, 800, True, 2).to_list(), "synthetic")
        add_reference(store, "b", "machine", synthetic_texts(B, 800, True, 3).to_list(), "synthetic")
    return db


def test_a_joint_run_is_stored_with_its_families_and_read_as_any_other(store_db):
    with Store(store_db) as store:
        result = estimate_synth(store, SynthConfig("h", "a+b", bootstrap=100))
        assert result.parameters["references"] == {"human": "h", "machine": "a+b", "machines": ["a", "b"]}
        assert {"of a", "of b"} <= set(result.table.columns)
        rows = store.frame("SELECT period, machine, value, parameters FROM synth_shares ORDER BY period")
    assert rows["machine"].to_list() == ["a+b", "a+b"]
    assert rows["value"][0] == pytest.approx(0.3, abs=0.05) and rows["value"][1] == pytest.approx(0.2, abs=0.05)
    families = json.loads(rows["parameters"][0])["families"]
    assert set(families) == {"a", "b"} and families["b"]["share"] > families["a"]["share"]
    assert set(families["a"]) == {"share", "ci_low", "ci_high"}


def test_the_cli_takes_families_joined_by_plus_beside_single_references(store_db):
    out = runner.invoke(app, ["synth", "--human", "h", "--machine", "a,a+b", "--bootstrap", "50", "--db", store_db, "--json"])
    assert out.exit_code == 0, out.output
    runs = json.loads(out.stdout)
    assert [r["parameters"]["machine"] for r in runs] == ["a", "a+b"]
    a_alone, joint = ({p["period"]: p["alpha"] for p in r["periods"]} for r in runs)
    assert a_alone["2020"] < 0.1 and joint["2020"] == pytest.approx(0.3, abs=0.05)  # B's text: unseen by a, seen jointly
    out = runner.invoke(app, ["synth", "--human", "h", "--machine", "a+b", "--bootstrap", "50", "--db", store_db])
    assert out.exit_code == 0 and "of a" in out.output and "of b" in out.output


@pytest.mark.parametrize("machine, message", [("a+a", "name each machine family once"), ("a+", "name each machine family once"),
                                              ("a+nope", "no reference named 'nope'"), ("a+h", "labelled human")])
def test_a_bad_family_list_fails_in_one_line_before_any_run(store_db, machine, message):
    out = runner.invoke(app, ["synth", "--human", "h", "--machine", f"b,{machine}", "--bootstrap", "50", "--db", store_db])
    assert out.exit_code == 2 and message in out.output and "Traceback" not in out.output
    with Store(store_db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM metrics WHERE estimator = 'synth'").fetchone()[0] == 0


def test_the_config_refuses_a_family_twice():
    with pytest.raises(UsageError, match="once"):
        SynthConfig("h", "a+b+a").validate()


@pytest.mark.parametrize("machine", ["ab+a", "a+acopy"])
def test_families_that_share_documents_are_refused_before_any_run(store_db, machine):
    # a pool with one of its members (or a reference under two names): one family's held-out means would hold the
    # other's text, and the system is nearly singular (in benchmarks/synth_families.py 30% Claude text read as 0.09)
    with Store(store_db) as store:
        add_reference_from_references(store, "ab", "machine", "a,b")
        add_reference(store, "acopy", "machine", synthetic_texts(A, 800, True, 2).to_list(), "synthetic")
    out = runner.invoke(app, ["synth", "--human", "h", "--machine", f"b,{machine}", "--bootstrap", "50", "--db", store_db])
    assert out.exit_code == 2 and "share 800 documents" in out.output and "Traceback" not in out.output
    with Store(store_db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM metrics WHERE estimator = 'synth'").fetchone()[0] == 0
    human, a, _ = (_ref("h", "human", synthetic_texts(A, 100, False, 1), 0), _ref("a", "machine", synthetic_texts(A, 100, True, 2), 1), None)
    with pytest.raises(UsageError, match="share 100 documents"):
        JointShareEstimator(human, [a, _ref("a2", "machine", a.texts, 3)])


def test_a_name_with_spaces_is_the_same_families_and_each_set_of_families_is_estimated_once(store_db):
    assert SynthConfig("h", " b + a ").machine == "a+b"  # one name, in name order
    out = runner.invoke(app, ["synth", "--human", "h", "--machine", "a+b,b+a", "--bootstrap", "50", "--db", store_db])
    assert out.exit_code == 2 and "more than once" in out.output
    out = runner.invoke(app, ["synth", "--human", "h", "--machine", "b + a", "--bootstrap", "50", "--db", store_db, "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["parameters"]["machine"] == "a+b"
    parts = json.loads(out.stdout)["periods"][0]["families"]
    assert set(parts) == {"a", "b"} and set(parts["a"]) == {"share", "ci_low", "ci_high"}


def test_the_family_parts_are_the_share_split_among_them(references):
    human, a, b = references
    for texts in (_period(0.0, 0.0, 61), _period(0.0, 0.3, 62), _period(0.15, 0.15, 63)):
        est = JointShareEstimator(human, [a, b]).estimate(texts, bootstrap=60)
        assert sum(p[0] for p in est.families.values()) == pytest.approx(est.value, abs=1e-9)
        assert all(p[0] >= 0 for p in est.families.values())


def test_the_raw_estimate_puts_an_absent_family_on_its_bound():
    # EM alone crept towards 0 (0.003 after 2,000 steps where the optimum is 0)
    from provenance.synth.estimate import mle_alpha

    rng = np.random.default_rng(9)
    llr = rng.normal(-0.2, 0.2, 2000)  # weak evidence, all of it against the machine
    assert mle_alpha(llr) == 0.0 and mle_shares(np.expm1(llr)[None, :])[0] == 0.0
    t = np.expm1(np.stack([llr, llr + rng.normal(0, 0.01, llr.size)]))  # two families nearly alike
    grid = [(x, y) for x in np.linspace(0, 1, 201) for y in np.linspace(0, 1, 201) if x + y <= 1]
    assert mixture_loglik(t, mle_shares(t)) >= max(mixture_loglik(t, np.array(g)) for g in grid) - 1e-12


def test_the_simulator_follows_a_joint_estimate_named_in_any_order(store_db):
    with Store(store_db) as store:
        estimate_synth(store, SynthConfig("h", "a+b", bootstrap=50))
    out = runner.invoke(app, ["simulate", "--baseline", "2020", "--schedule", "observed", "--machine", "b + a", "--generations", "2",
                              "--replicates", "2", "--family", "gaussian", "--db", store_db, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["schedule"]["machine"] == "a+b"


def test_the_simulator_takes_a_joint_name_as_given_first_and_refuses_a_family_twice(store_db):
    from provenance.simulate.run import _joint_name

    with Store(store_db) as store:
        estimate_synth(store, SynthConfig("h", "a+b", bootstrap=50))
        for run_id, name in ((90, "b+a"),):  # a run stored under another order (by a development version)
            store.con.execute("INSERT INTO metrics SELECT ?, estimator, metric, period, lang, value, ci_low, ci_high, "
                              "replace(parameters::VARCHAR, '\"machine\": \"a+b\"', '\"machine\": \"' || ? || '\"')::JSON, created_at "
                              "FROM metrics WHERE estimator = 'synth'", [run_id, name])
        assert _joint_name(store, None, "b+a") == "b+a" and _joint_name(store, None, "b + a") == "a+b"
        with pytest.raises(UsageError, match="once"):
            _joint_name(store, None, "a+b+a")
