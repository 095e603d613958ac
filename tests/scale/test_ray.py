"""The Ray executor on a local cluster: the same rows as the local executor, remote inputs, reruns, failures."""
from __future__ import annotations

import json
import shutil

import pytest

ray = pytest.importorskip("ray")

from provenance.config import IngestConfig
from provenance.ingest import remote
from provenance.ingest.pipeline import ingest
from provenance.scale import attach, ingest_shards
from provenance.scale.executor import _run_ray
from provenance.scale.task import ShardTask
from provenance.store import Store
from tests.conftest import FIXTURES, response_record, warcinfo
from tests.scale.conftest import content


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def fixture_inputs() -> list[str]:
    crawl = sorted(str(p) for p in (FIXTURES / "crawl").rglob("*.gz"))
    return [*crawl, str(FIXTURES / "broken" / "truncated-gzip.warc.gz"), str(FIXTURES / "broken" / "garbage.warc.gz")]


def test_ray_output_equals_the_local_executor_on_the_fixtures(tmp_path, make_warc):
    generated = make_warc("CC-MAIN-20190817-00009.warc.gz", [warcinfo(), *(response_record(i) for i in range(1200))])
    inputs = [*fixture_inputs(), str(generated)]
    local = str(tmp_path / "local.duckdb")
    ingest(inputs, IngestConfig(db=local, workers=2))
    summary = ingest_shards(inputs, IngestConfig(workers=2), str(tmp_path / "shards"), executor="ray")
    assert summary.ingested + summary.failed == len(inputs)
    attach(str(tmp_path / "a.duckdb"), str(tmp_path / "shards"))
    with Store(local, read_only=True) as a, Store(str(tmp_path / "a.duckdb"), read_only=True) as b:
        want, got = content(a), content(b)
        assert len(want["documents"]) > 1000
        for table in want:
            assert got[table] == want[table], table
        assert b.check() == []


def test_ray_streams_http_inputs_and_records_what_fails(tmp_path, serve, make_warc, monkeypatch):
    monkeypatch.setattr(remote, "BACKOFF_SECONDS", 0.01)  # the driver's copy; workers use the default
    path = make_warc("CC-MAIN-20190817-00001.warc.gz", [warcinfo(), *(response_record(i) for i in range(50))])
    shutil.copy(path, serve.handler.root / path.name)
    serve.fail(path.name, "cut")  # the first response is cut short: resumed with a Range request
    urls = [serve.url(path.name), serve.url("gone.warc.gz")]
    out = tmp_path / "shards"
    summary = ingest_shards(urls, IngestConfig(workers=2), str(out), executor="ray", attempts=2)
    assert (summary.ingested, summary.failed) == (1, 1)
    [error] = [json.loads(p.read_text()) for p in (out / "_errors").glob("*.json")]
    assert error["path"] == urls[1] and "HTTP 404" in error["faults"][0]["reason"] and error["attempts"] == 2
    ingest([str(path)], IngestConfig(db=str(tmp_path / "local.duckdb"), workers=1))
    attach(str(tmp_path / "a.duckdb"), str(out))
    with Store(str(tmp_path / "local.duckdb"), read_only=True) as a, Store(str(tmp_path / "a.duckdb"), read_only=True) as b:
        assert content(a)["documents"] == content(b)["documents"]
        assert content(a)["signatures"] == content(b)["signatures"]
        assert b.sql("SELECT sha256 FROM sources WHERE status = 'done'").fetchall() == a.sql("SELECT sha256 FROM sources").fetchall()
    again = ingest_shards(urls, IngestConfig(workers=2), str(out), executor="ray", attempts=1)
    assert (again.skipped, again.failed) == (1, 1)  # done files are skipped; the failed one is tried again


def test_a_task_that_fails_past_its_retries_gets_an_error_record(tmp_path, make_warc):
    path = make_warc("CC-MAIN-20190817-00002.warc.gz", [warcinfo(), response_record(1)])
    out = tmp_path / "shards"
    out.mkdir()
    (out / "_ledger").write_text("not a folder: every ledger write fails")
    task = ShardTask(str(path), 12345, str(out), IngestConfig(workers=1), run_id=1, attempts=1)
    [res] = list(_run_ray([task], None, 1))
    assert res.status == "failed" and res.faults[0].kind == "worker"
    [error] = [json.loads(p.read_text()) for p in (out / "_errors").glob("*.json")]
    assert error["path"] == str(path) and error["source_id"] == 12345
