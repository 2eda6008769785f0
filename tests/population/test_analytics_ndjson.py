"""`careloop analytics ndjson`: a Bulk FHIR export analysed straight from its files (decision
0013), with no import: the shared Synthea Bulk export (100 patients, no Coverage resources)."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from careloop.population.models import AnalyticsRun


@pytest.mark.django_db
def test_a_bulk_export_is_analysed_without_touching_the_database(shared_data, tmp_path):
    out = io.StringIO()
    call_command(
        "analytics",
        "ndjson",
        str(shared_data / "bulk-fhir"),
        "--out",
        str(tmp_path),
        "--quiet",
        stdout=out,
    )
    printed = out.getvalue()
    assert "as of 2020-05-06: 100 patients, 0 problems" in printed  # the data's latest date
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["as_of"] == "2020-05-06" and manifest["snapshot_rows"]["patient"] == 100
    eligibility = pq.read_table(tmp_path / "program_eligibility.parquet")
    assert eligibility.num_rows == 100
    assert pq.read_table(tmp_path / "chronic_conditions.parquet").num_rows > 0
    coverage = pq.read_table(tmp_path / "snapshot" / "coverage.parquet").to_pylist()
    assert {c["kind"] for c in coverage} >= {"part-b", "medicaid", "private"}  # from the claims
    assert not AnalyticsRun.objects.exists()


def test_a_missing_path_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"no such file or folder: .*nowhere"):
        call_command("analytics", "ndjson", str(tmp_path / "nowhere"), "--out", str(tmp_path))


def test_the_memory_limit_setting_bounds_duckdb(settings, shared_data, tmp_path, monkeypatch):
    from careloop.population import pipeline_run

    seen = {}
    real = pipeline_run.make_engine

    def engine(name, **options):
        seen.update(options)
        made = real(name, **options)
        seen["limit"] = made._con.execute("SELECT current_setting('memory_limit')").fetchall()
        return made

    settings.ANALYTICS_MEMORY_LIMIT = "512MB"
    monkeypatch.setattr(pipeline_run, "make_engine", engine)
    pipeline_run.analyse_ndjson([shared_data / "bulk-fhir"], tmp_path)
    assert seen["memory_limit"] == "512MB"
    assert "488.2 MiB" in str(seen["limit"])  # DuckDB reports 512 MB in MiB
