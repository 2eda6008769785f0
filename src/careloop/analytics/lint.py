"""Lint for the marts: reject SQL that DuckDB and Spark would answer differently.

Rules (each finding names its rule):

- ``L001 ordered-aggregate``: ``string_agg`` / ``group_concat`` / ``listagg`` without ORDER BY
  (the order of the result is the engine's), and ``list`` / ``array_agg`` / ``collect_list`` at
  all (SQLGlot transpiles ``list(x ORDER BY y)`` to Spark's ``COLLECT_LIST(x)``, dropping the
  order silently). Explanations are long tables of rows, not lists.
- ``L002 date-minus-date``: ``a - b`` where either side is a date or timestamp expression
  (DuckDB gives days, Spark an interval): use ``date_diff('day', b, a)``. Column names ending in
  ``_date``, ``_ts``, ``as_of``, ``start_*``, ``day`` and ``CAST(... AS DATE)`` count as dates;
  ``date - INTERVAL ...`` is allowed.
- ``L003 window-order``: ``row_number`` / ``rank`` / ``dense_rank`` / ``lag`` / ``lead`` /
  ``first_value`` / ``last_value`` / ``nth_value`` / ``ntile`` and running aggregates need an
  ORDER BY that ends in a tiebreak key (a column named ``id`` or ``*_id``), and when partitioned,
  a partition that includes ``patient_id``.
- ``L004 nondeterministic``: ``random``, ``rand``, ``uuid``, ``gen_random_uuid``, ``now``,
  ``current_date``, ``current_timestamp``, ``today``, ``get_current_time``: use ``params``.
- ``L005 transpile``: the mart must transpile to Spark with SQLGlot at ``ErrorLevel.RAISE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from careloop.analytics.engine import to_spark_sql

__all__ = ["Finding", "lint_sql", "lint_marts"]

_STRING_AGGS = {"string_agg", "group_concat", "listagg"}
_LIST_AGGS = {"list", "array_agg", "collect_list", "collect_set"}
_NONDETERMINISTIC = {
    "random",
    "rand",
    "uuid",
    "gen_random_uuid",
    "now",
    "current_date",
    "current_timestamp",
    "current_time",
    "today",
    "get_current_time",
    "localtimestamp",
}
_ORDERED_WINDOWS = (
    exp.RowNumber,
    exp.Lag,
    exp.Lead,
    exp.FirstValue,
    exp.LastValue,
    exp.NthValue,
)
_ORDERED_WINDOW_NAMES = {"rank", "dense_rank", "percent_rank", "cume_dist", "ntile"}


@dataclass(frozen=True)
class Finding:
    mart: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.mart}: {self.rule}: {self.message}"


def _func_name(node: Any) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower() if isinstance(node, exp.Func) else ""


def _is_dateish(node: exp.Expression) -> bool:
    if isinstance(node, exp.Paren):
        return _is_dateish(node.this)
    if isinstance(node, exp.Cast):
        return node.to.is_type(*exp.DataType.TEMPORAL_TYPES)
    if isinstance(node, exp.Column):
        name = node.name.lower()
        return (
            name.endswith(("_date", "_ts", "date"))
            or name in {"as_of", "day", "onset", "abatement", "occurrence", "performed"}
            or name.startswith("start_")
        )
    if isinstance(node, exp.CurrentDate | exp.CurrentTimestamp):
        return True
    return isinstance(node, exp.Coalesce | exp.Greatest | exp.Least) and any(
        _is_dateish(a) for a in [node.this, *node.expressions] if a is not None
    )


def _order_ok(order: exp.Order | None) -> bool:
    if order is None or not order.expressions:
        return False
    last = order.expressions[-1]
    key = last.this if isinstance(last, exp.Ordered) else last
    if not isinstance(key, exp.Column):
        return False
    name = key.name.lower()
    return name == "id" or name.endswith("_id")


def lint_sql(name: str, sql: str) -> list[Finding]:
    findings: list[Finding] = []
    tree = sqlglot.parse_one(sql, read="duckdb")
    for node in tree.walk():
        fname = _func_name(node) if isinstance(node, exp.Func) else ""
        if (isinstance(node, exp.GroupConcat) or fname in _STRING_AGGS) and not node.find(
            exp.Order
        ):
            findings.append(
                Finding(name, "L001 ordered-aggregate", f"{node.sql('duckdb')} has no ORDER BY")
            )
        if isinstance(node, exp.ArrayAgg) or fname in _LIST_AGGS:
            findings.append(
                Finding(
                    name,
                    "L001 ordered-aggregate",
                    f"{node.sql('duckdb')}: list aggregates lose their order on Spark",
                )
            )
        if isinstance(node, exp.Sub) and (
            (_is_dateish(node.this) and not isinstance(node.expression, exp.Interval))
            and (_is_dateish(node.expression))
        ):
            findings.append(
                Finding(
                    name,
                    "L002 date-minus-date",
                    f"{node.sql('duckdb')}: use date_diff('day', b, a)",
                )
            )
        if fname in _NONDETERMINISTIC or isinstance(
            node, exp.Rand | exp.Uuid | exp.CurrentDate | exp.CurrentTimestamp | exp.CurrentTime
        ):
            findings.append(
                Finding(name, "L004 nondeterministic", f"{node.sql('duckdb')}: use params")
            )
        if isinstance(node, exp.Window):
            fn = node.this
            ordered = isinstance(fn, _ORDERED_WINDOWS) or _func_name(fn) in _ORDERED_WINDOW_NAMES
            running = node.args.get("order") is not None and not ordered
            if ordered or running:
                order = node.args.get("order")
                if not _order_ok(order):
                    findings.append(
                        Finding(
                            name,
                            "L003 window-order",
                            f"{node.sql('duckdb')}: ORDER BY must end in a tiebreak *_id column",
                        )
                    )
                partition = node.args.get("partition_by") or []
                if partition and not any(
                    isinstance(p, exp.Column) and p.name.lower() == "patient_id" for p in partition
                ):
                    findings.append(
                        Finding(
                            name,
                            "L003 window-order",
                            f"{node.sql('duckdb')}: PARTITION BY must include patient_id",
                        )
                    )
    try:
        to_spark_sql(sql)
    except Exception as err:  # sqlglot raises ParseError / UnsupportedError
        findings.append(Finding(name, "L005 transpile", f"does not transpile to Spark: {err}"))
    return findings


def lint_marts(directory: Path | None = None) -> list[Finding]:
    from careloop.analytics.pipeline import MARTS_DIR, load_marts

    findings: list[Finding] = []
    for mart in load_marts(directory or MARTS_DIR).values():
        findings.extend(lint_sql(mart.name, mart.sql))
    return findings
