"""The analytics engine, the mart loader and the mart lint (issue 4 point 2)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from careloop.analytics.engine import DuckDBEngine, Engine, to_spark_sql
from careloop.analytics.lint import lint_marts, lint_sql
from careloop.analytics.pipeline import load_marts, mart_order, table_references
from careloop.analytics.reference import calendar_days, reference_tables

MARTS = load_marts()


def test_duckdb_engine_round_trip(tmp_path):
    engine = DuckDBEngine()
    assert isinstance(engine, Engine)
    engine.register_arrow("t", pa.table({"patient_id": [1, 2, 2], "x": [1.5, 2.0, 3.0]}))
    assert engine.create_table("agg", "SELECT patient_id, sum(x) AS s FROM t GROUP BY 1") == 2
    engine.write_parquet("agg", tmp_path / "agg.parquet")
    engine.register_parquet("again", tmp_path / "agg.parquet")
    rows = sorted(engine.read_table("again").to_pylist(), key=lambda r: r["patient_id"])
    assert rows == [{"patient_id": 1, "s": 1.5}, {"patient_id": 2, "s": 5.0}]
    assert {"t", "agg", "again"} <= engine.tables()
    with pytest.raises(ValueError, match="bad table name"):
        engine.create_table("x; DROP TABLE t", "SELECT 1")
    engine.close()


def test_mart_order_follows_table_references():
    order = mart_order(MARTS)
    assert set(order) == set(MARTS)
    for i, name in enumerate(order):
        for dep in MARTS[name].reads & MARTS.keys():
            assert order.index(dep) < i, f"{name} runs before {dep}"
    assert mart_order(MARTS, ["lace"]) == [
        "facility_stay", "acute_stay", "ed_visit", "lace_input", "lace_input_condition", "lace"
    ]  # fmt: skip
    assert mart_order(MARTS) == mart_order(dict(reversed(list(MARTS.items()))))


def test_table_references_ignore_ctes():
    sql = "WITH a AS (SELECT * FROM claim) SELECT * FROM a JOIN params AS p ON TRUE"
    assert table_references(sql) == {"claim", "params"}


def test_mart_cycle_is_an_error(tmp_path):
    (tmp_path / "a.sql").write_text("SELECT * FROM b")
    (tmp_path / "b.sql").write_text("SELECT * FROM a")
    with pytest.raises(ValueError, match="cycle"):
        mart_order(load_marts(tmp_path))


def test_every_mart_passes_the_lint_and_transpiles_to_spark():
    assert len(MARTS) >= 10
    assert [str(f) for f in lint_marts()] == []
    for mart in MARTS.values():
        spark_sql = to_spark_sql(mart.sql)
        assert "SELECT" in spark_sql.upper() and "--" not in spark_sql, mart.name


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("SELECT string_agg(code, ',') FROM t", "L001"),
        ("SELECT list(code ORDER BY d) FROM t", "L001"),
        ("SELECT array_agg(code) FROM t", "L001"),
        ("SELECT discharge_date - admit_date FROM t", "L002"),
        ("SELECT CAST(a AS DATE) - CAST(b AS DATE) FROM t", "L002"),
        ("SELECT row_number() OVER (PARTITION BY patient_id ORDER BY visit_date) FROM t", "L003"),
        ("SELECT rank() OVER (ORDER BY visit_date, claim_id) FROM t", None),
        ("SELECT lag(d) OVER (PARTITION BY stay_seq ORDER BY d, claim_id) FROM t", "L003"),
        ("SELECT row_number() OVER (PARTITION BY patient_id) FROM t", "L003"),
        ("SELECT random() FROM t", "L004"),
        ("SELECT current_date FROM t", "L004"),
        ("SELECT now() FROM t", "L004"),
        ("SELECT string_agg(code, ',' ORDER BY code) FROM t", None),
        ("SELECT CAST(d - INTERVAL 1 YEAR AS DATE) FROM t", None),
        ("SELECT date_diff('day', admit_date, discharge_date) FROM t", None),
    ],
)
def test_lint_rejects_the_known_traps(sql, rule):
    rules = {f.rule.split()[0] for f in lint_sql("t", sql)}
    assert rules == ({rule} if rule else set())


def test_reference_tables_carry_the_one_value_set_definition():
    from careloop.analytics.chronic_conditions import CONDITIONS

    tables = reference_tables(date(2026, 3, 2))
    params = tables["params"].to_pylist()[0]
    assert params["as_of"] == date(2026, 3, 2)
    assert params["start_12m"] == date(2025, 3, 3)
    assert params["start_30d"] == date(2026, 2, 1)
    defs = {r["condition_id"]: r for r in tables["condition_def"].to_pylist()}
    assert defs.keys() == CONDITIONS.keys()
    assert defs["diabetes"]["reference_start"] == date(2024, 3, 3)
    entries = tables["valueset_icd10"].to_pylist()
    assert sum(len(c.icd10cm) for c in CONDITIONS.values()) == sum(
        1 for r in entries if r["role"] == "include"
    )


def test_business_days_skip_weekends_and_federal_holidays():
    days = {r["day"]: r for r in calendar_days(date(2025, 11, 24), date(2025, 12, 5)).to_pylist()}
    # Thanksgiving 2025 is Thursday 27 November
    assert not days[date(2025, 11, 27)]["is_business_day"]
    assert not days[date(2025, 11, 29)]["is_business_day"]
    seq = days[date(2025, 11, 26)]["business_seq"]
    second = next(
        d for d, r in days.items() if r["business_seq"] == seq + 2 and r["is_business_day"]
    )
    assert second == date(2025, 12, 1)  # Wed → (Thu holiday) Fri, Mon
