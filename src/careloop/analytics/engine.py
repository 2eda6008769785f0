"""SQL engines for the marts: DuckDB (default) and Apache Spark (optional extra ``careloop[spark]``).

Architecture §2 rule 9: the same SQL runs on both. Marts are written in the DuckDB dialect; the
Spark engine transpiles each statement with SQLGlot at ``ErrorLevel.RAISE`` (an unsupported
construct is an error, never a silent rewrite). Tables are exchanged as Parquet files or Arrow
tables, so a result can be compared across engines row by row.

No Django here (import-linter contract "Pure cores import no Django").
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import ErrorLevel

__all__ = ["DuckDBEngine", "Engine", "SparkEngine", "make_engine", "to_spark_sql"]

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
DEFAULT_PARTITION_PATIENTS = 100_000  # measured in decision 0015


def _ident(name: str) -> str:
    """A table name as it may appear in SQL text: lower-case snake_case only (never user data)."""
    if not _IDENT.match(name):
        raise ValueError(f"bad table name {name!r}: expected lower-case snake_case")
    return name


def to_spark_sql(sql: str) -> str:
    """Transpile one DuckDB statement to Spark SQL; raises ``sqlglot.errors`` on anything unsupported."""
    out = sqlglot.transpile(
        sql,
        read="duckdb",
        write="spark",
        error_level=ErrorLevel.RAISE,
        unsupported_level=ErrorLevel.RAISE,
    )
    if len(out) != 1:
        raise ValueError(f"expected one SQL statement, got {len(out)}")
    return out[0]


@runtime_checkable
class Engine(Protocol):
    """What the pipeline needs from an engine. Table names are snake_case identifiers."""

    name: str

    def run_sql(self, sql: str) -> pa.Table:
        """Run one query (DuckDB dialect) and return its rows."""
        ...

    def create_table(self, name: str, sql: str) -> int:
        """Materialize the query (DuckDB dialect) as table ``name``; return its row count."""
        ...

    def register_parquet(self, name: str, path: Path, where: str | None = None) -> None:
        """Register a Parquet file as table ``name``, only its rows matching ``where`` if set."""
        ...

    def register_arrow(self, name: str, table: pa.Table) -> None: ...

    def create_view(self, name: str, sql: str) -> None:
        """Name the query (DuckDB dialect) ``name`` without materializing it."""
        ...

    def rename_table(self, old: str, new: str) -> None: ...

    def drop_table(self, name: str) -> None: ...

    def read_table(self, name: str) -> pa.Table: ...

    def write_parquet(self, name: str, path: Path) -> None: ...

    def tables(self) -> set[str]: ...

    def close(self) -> None: ...


class DuckDBEngine:
    """In-process DuckDB. ``threads`` and ``memory_limit`` bound it on a shared machine.

    ``partition_patients``: the pipeline runs the per-patient marts on slices of this many
    patients at a time (``pipeline.run_marts``; decision 0015), so a run's working set is that
    of one slice, whatever the population; ``None`` runs the whole snapshot at once.
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        partition_patients: int | None = DEFAULT_PARTITION_PATIENTS,
    ) -> None:
        import duckdb

        # Marts are sets: a table's row order means nothing (every reader sorts, and a mart
        # that needs an order says ORDER BY), so DuckDB may build and write tables in parallel
        # without keeping insertion order (measured ~1.4x on the whole pipeline at 20,000).
        config: dict[str, Any] = {
            "preserve_insertion_order": False,
            # keep freed blocks and buffers instead of handing them back to the OS after every
            # operator: a fifth of the CPU went to the kernel (page faults) otherwise, measured
            # at 100,000 patients (decision 0015)
            "block_allocator_memory": "2GB",
            "allocator_flush_threshold": "2GB",
        }
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self._con = duckdb.connect(":memory:", config=config)
        self._version = duckdb.__version__
        self.partition_patients = partition_patients

    @property
    def version(self) -> str:
        return f"duckdb {self._version}"

    def run_sql(self, sql: str) -> pa.Table:
        return self._con.sql(sql).to_arrow_table()

    def create_table(self, name: str, sql: str) -> int:
        self._con.execute(f"CREATE OR REPLACE TABLE {_ident(name)} AS {sql}")
        row = self._con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchall()[0]
        return int(row[0]) if row else 0

    def register_parquet(self, name: str, path: Path, where: str | None = None) -> None:
        relation = self._con.read_parquet(str(path))
        if where:
            relation = relation.filter(where)
        relation.create_view(_ident(name), replace=True)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self._con.register(f"_arrow_{_ident(name)}", table)
        self._con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _arrow_{name}")
        self._con.unregister(f"_arrow_{name}")

    def create_view(self, name: str, sql: str) -> None:
        self._con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS {sql}")

    def rename_table(self, old: str, new: str) -> None:
        self.drop_table(new)
        self._con.execute(f"ALTER TABLE {_ident(old)} RENAME TO {_ident(new)}")

    def drop_table(self, name: str) -> None:
        self._con.execute(f"DROP TABLE IF EXISTS {_ident(name)}")

    def read_table(self, name: str) -> pa.Table:
        return self._con.table(_ident(name)).to_arrow_table()

    def write_parquet(self, name: str, path: Path) -> None:
        self._con.table(_ident(name)).write_parquet(str(path))

    def tables(self) -> set[str]:
        rows = self._con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return {str(r[0]) for r in rows}

    def close(self) -> None:
        self._con.close()


class SparkEngine:
    """A Spark session (local or a cluster's). Each mart becomes a cached temporary view.

    ``SparkEngine.local()`` starts a small local session (one core, one shuffle partition, no UI)
    for tests; pass an existing ``SparkSession`` to run on a cluster.
    """

    name = "spark"
    partition_patients: int | None = None  # Spark spreads a whole run over its executors

    def __init__(self, session: Any) -> None:
        self._spark = session
        self._tmp = tempfile.TemporaryDirectory(prefix="careloop-spark-")
        self._views: set[str] = set()

    @classmethod
    def local(cls, cores: int = 1) -> SparkEngine:
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("careloop-analytics")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.default.parallelism", "1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.driver.memory", "1g")
            # a quicker JVM start on small machines: C1 compiler only, serial GC
            .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return cls(session)

    @property
    def version(self) -> str:
        return f"spark {self._spark.version}"

    def run_sql(self, sql: str) -> pa.Table:
        return self._to_arrow(self._spark.sql(to_spark_sql(sql)))

    def create_table(self, name: str, sql: str) -> int:
        # materialize and cut the lineage, so a later mart does not re-plan every earlier one
        df = self._spark.sql(to_spark_sql(sql)).localCheckpoint(eager=True)
        count = int(df.count())
        df.createOrReplaceTempView(_ident(name))
        self._views.add(name)
        return count

    def register_parquet(self, name: str, path: Path, where: str | None = None) -> None:
        frame = self._spark.read.parquet(str(path))
        if where:
            frame = frame.where(where)  # the pipeline's patient ranges: the same in both dialects
        frame.createOrReplaceTempView(_ident(name))
        self._views.add(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        path = Path(self._tmp.name) / f"{_ident(name)}.parquet"
        pq.write_table(table, path)
        self._spark.read.parquet(str(path)).cache().createOrReplaceTempView(name)
        self._views.add(name)

    def create_view(self, name: str, sql: str) -> None:
        self._spark.sql(to_spark_sql(sql)).createOrReplaceTempView(_ident(name))
        self._views.add(name)

    def rename_table(self, old: str, new: str) -> None:
        self._spark.table(_ident(old)).createOrReplaceTempView(_ident(new))
        self._views.add(new)
        self.drop_table(old)

    def drop_table(self, name: str) -> None:
        self._spark.catalog.dropTempView(_ident(name))
        self._views.discard(name)

    def read_table(self, name: str) -> pa.Table:
        return self._to_arrow(self._spark.table(_ident(name)))

    def write_parquet(self, name: str, path: Path) -> None:
        pq.write_table(self.read_table(name), path)

    def tables(self) -> set[str]:
        return set(self._views)

    def close(self) -> None:
        for view in self._views:
            self._spark.catalog.dropTempView(view)
        self._views.clear()
        self._tmp.cleanup()

    @staticmethod
    def _to_arrow(df: Any) -> pa.Table:
        if hasattr(df, "toArrow"):  # Spark >= 4.0
            return df.toArrow()
        return pa.Table.from_pandas(df.toPandas(), preserve_index=False)


def make_engine(name: str = "duckdb", **options: Any) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(**options)
    if name == "spark":
        return SparkEngine.local(**options)
    raise ValueError(f"unknown engine {name!r}: expected duckdb or spark")
