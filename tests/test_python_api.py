"""The Python API as a researcher's script or notebook uses it: `provenance.ingest(...)` however often and after
whatever imports, one path given alone, a script without a main guard, a Store shared by threads, years as numbers."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

import provenance
from provenance.config import IngestConfig
from provenance.store import Store
from tests.conftest import ROOT, response_record, warcinfo


def _warc(make_warc, name: str, first: int, n: int) -> Path:
    return make_warc(name, [warcinfo()] + [response_record(i) for i in range(first, first + n)])


def test_provenance_ingest_is_the_ingest_function_after_its_package_is_imported_and_on_every_call(make_warc, tmp_path):
    # importing a module of the package made `provenance.ingest` the package: "'module' object is not callable"
    from provenance.ingest.progress import Progress  # noqa: F401  (as the README has library callers do)

    path, db = _warc(make_warc, "a.warc.gz", 0, 3), str(tmp_path / "s.duckdb")
    assert provenance.ingest([str(path)], IngestConfig(db=db)).documents == 3
    assert provenance.ingest([str(path)], IngestConfig(db=db)).skipped == 1


def test_one_path_given_alone_is_one_input_not_its_characters(make_warc, tmp_path):
    # a string was iterated: '/', 't', 'm', ... and '/' ingested the whole disk
    path = _warc(make_warc, "a.warc.gz", 0, 3)
    assert provenance.ingest(str(path), IngestConfig(db=str(tmp_path / "s.duckdb"))).files == 1
    assert provenance.ingest(path, IngestConfig(db=str(tmp_path / "t.duckdb"))).documents == 3  # a Path too
    assert provenance.ingest([path], IngestConfig(db=str(tmp_path / "u.duckdb"))).documents == 3
    assert IngestConfig(langs="en").langs == ("en",)  # (it was "e", "n": two unknown languages)


def test_a_script_without_a_main_guard_ingests_with_worker_processes(make_warc, tmp_path):
    # spawn and forkserver workers ran the script again: each failed, and every file was "the worker process died"
    paths = [str(_warc(make_warc, f"{k}.warc.gz", 10 * k, 3)) for k in range(3)]
    script = tmp_path / "script.py"
    script.write_text("import provenance\nfrom provenance.config import IngestConfig\n"
                      f"s = provenance.ingest({paths!r}, IngestConfig(db={str(tmp_path / 's.duckdb')!r}, workers=2))\n"
                      "print(s.files, s.documents, s.failed)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout == "3 9 0\n", out.stderr


def test_a_store_shared_by_threads_gives_each_caller_its_own_rows(make_warc, tmp_path):
    db = str(tmp_path / "s.duckdb")
    provenance.ingest(str(_warc(make_warc, "a.warc.gz", 0, 5)), IngestConfig(db=db))
    wrong: list[int] = []
    with Store(db, read_only=True) as store:
        def work(k: int) -> None:
            for _ in range(30):
                if store.frame(f"SELECT {k} AS k, count(*) AS n FROM documents")["k"][0] != k:
                    wrong.append(k)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert wrong == []


@pytest.mark.parametrize("config", ["DriftConfig", "TailsConfig", "DupsConfig", "SimulationConfig", "ReportConfig"])
def test_a_baseline_year_given_as_a_number_is_the_years_period(config):
    import provenance.estimators as estimators
    import provenance.report as report
    import provenance.simulate as simulate

    import numpy as np

    cls = next(getattr(m, config) for m in (estimators, report, simulate) if hasattr(m, config))
    assert cls(baseline=2013).baseline == "2013" and cls(baseline=np.int64(2013)).baseline == "2013"


def test_the_store_of_an_ingest_config_is_the_one_store_opens_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "env.duckdb"))
    assert IngestConfig().db == str(tmp_path / "env.duckdb")


def test_recording_a_run_in_a_read_only_or_closed_store_is_a_store_error_before_any_work(make_warc, tmp_path):
    # DuckDB's own exceptions (InvalidInputException, ConnectionException) escaped `except ProvenanceError`
    from provenance.errors import StoreError
    from provenance.estimators import DriftConfig, DupsConfig, estimate_drift, estimate_dups
    from provenance.simulate import SimulationConfig, simulate

    db = str(tmp_path / "s.duckdb")
    provenance.ingest(str(_warc(make_warc, "a.warc.gz", 0, 8)), IngestConfig(db=db))
    with Store(db, read_only=True) as store:
        for run in (lambda: estimate_drift(store, DriftConfig(baseline=2019)), lambda: estimate_dups(store, DupsConfig()),
                    lambda: simulate(store, SimulationConfig(baseline="2019", schedule="0.5"))):
            with pytest.raises(StoreError, match="opened read-only, so a .* run cannot be recorded"):
                run()
        assert estimate_dups(store, DupsConfig(), record_run=False).metrics.height > 0  # reading is fine
    store = Store(db)
    store.close()
    with pytest.raises(StoreError, match="the store was closed"):
        store.frame("SELECT 1")
    with pytest.raises(StoreError, match="the store was closed"):
        store.new_run("drift", {})
