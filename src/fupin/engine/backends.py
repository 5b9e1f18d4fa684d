"""Where the compiled SQL runs: DuckDB (embedded default), PostgreSQL, or Spark.

Each backend is given the input tables as Arrow and returns the result as Arrow. The SQL is the
same query transpiled by SQLGlot; a backend is a constructor argument, not a fork of the rules.
Data reaches PostgreSQL through ADBC (Arrow in, Arrow out) and Spark through Parquet files, because
DuckDB's own sqlite/postgres extensions cannot be downloaded on these machines.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

ENGINES = ("duckdb", "postgres", "spark")


class Query(Protocol):
    """Anything that gives its SQL in an engine's dialect: a compiled pack, an indicator query."""

    def for_dialect(self, dialect: str) -> str: ...


class Backend(Protocol):
    name: str

    def run(self, compiled: Query, data: Mapping[str, pa.Table]) -> pa.Table: ...


class DuckDBBackend:
    """In-process DuckDB. One database per backend object; each run gets its own cursor, so runs
    from several threads (web requests) do not see each other's tables."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        self.threads = threads
        self.memory_limit = memory_limit
        self._database: Any = None
        self._lock = threading.Lock()

    def _cursor(self) -> Any:
        import duckdb

        with self._lock:
            if self._database is None:
                config: dict[str, Any] = {}
                if self.threads:
                    config["threads"] = int(self.threads)
                if self.memory_limit:
                    config["memory_limit"] = self.memory_limit
                self._database = duckdb.connect(config=config)
            return self._database.cursor()

    def run(self, compiled: Query, data: Mapping[str, pa.Table]) -> pa.Table:
        cursor = self._cursor()
        try:
            for name, table in data.items():
                cursor.register(name, table)
            result: pa.Table = cursor.sql(compiled.for_dialect("duckdb")).to_arrow_table()
            return result
        finally:
            cursor.close()

    def run_parquet(self, compiled: Query, files: Mapping[str, Path]) -> pa.Table:
        """Screen straight from Parquet files (a province or national snapshot) without loading them first."""
        cursor = self._cursor()
        try:
            for name, path in files.items():
                cursor.read_parquet(str(path)).create_view(name)
            result: pa.Table = cursor.sql(compiled.for_dialect("duckdb")).to_arrow_table()
            return result
        finally:
            cursor.close()


_default_duckdb: DuckDBBackend | None = None


def default_duckdb() -> DuckDBBackend:
    """The process's shared in-process DuckDB (the county's default engine)."""
    global _default_duckdb
    if _default_duckdb is None:
        _default_duckdb = DuckDBBackend()
    return _default_duckdb


class PostgresBackend:
    """Runs in the database: the tables are loaded into a scratch schema, screened, and dropped."""

    name = "postgres"

    def __init__(self, uri: str) -> None:
        self.uri = uri.replace("postgres://", "postgresql://", 1)

    def run(self, compiled: Query, data: Mapping[str, pa.Table]) -> pa.Table:
        import adbc_driver_postgresql.dbapi as pg

        schema = f"fupin_screen_{uuid.uuid4().hex[:12]}"
        with pg.connect(self.uri) as connection:
            cursor = connection.cursor()
            try:
                cursor.execute(f'CREATE SCHEMA "{schema}"')
                for name, table in data.items():
                    cursor.adbc_ingest(name, table, mode="create", db_schema_name=schema)
                cursor.execute(f'SET search_path TO "{schema}"')
                connection.commit()
                return self.run_in_place(cursor, compiled)
            finally:
                connection.rollback()
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                connection.commit()
                cursor.close()

    @staticmethod
    def run_in_place(cursor: Any, compiled: Query) -> pa.Table:
        """Screen tables that are already in the cursor's search path (in-database screening)."""
        # The planner misjudges the joins of grouped sub-queries by orders of magnitude and then
        # spends longer compiling the query (JIT) than running it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(compiled.for_dialect("postgres"))
        result: pa.Table = cursor.fetch_arrow_table()
        return result


_spark_session: Any = None


def spark_session(driver_memory: str = "4g") -> Any:
    """One local Spark session per process (starting the JVM takes seconds); the first call's
    driver memory holds for the life of the process."""
    global _spark_session
    if _spark_session is None:
        import os

        from pyspark.sql import SparkSession

        # Bind to the loopback interface only: local mode needs no network, and nothing else is allowed.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

        _spark_session = (
            SparkSession.builder.master("local[2]")
            .appName("fupin-screening")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        _spark_session.sparkContext.setLogLevel("ERROR")
    return _spark_session


class SparkBackend:
    name = "spark"

    def __init__(self, session: Any = None) -> None:
        self.session = session

    def run(self, compiled: Query, data: Mapping[str, pa.Table]) -> pa.Table:
        with tempfile.TemporaryDirectory(prefix="fupin-spark-") as folder:
            files = {}
            for name, table in data.items():
                path = Path(folder) / f"{name}.parquet"
                pq.write_table(table, path)
                files[name] = path
            return self.run_parquet(compiled, files)

    def run_parquet(self, compiled: Query, files: Mapping[str, Path]) -> pa.Table:
        session = self.session or spark_session()
        for name, path in files.items():
            session.read.parquet(str(path)).createOrReplaceTempView(name)
        result = session.sql(compiled.for_dialect("spark"))
        table: pa.Table = result.toArrow()
        return table


def backend(name: str, *, database_uri: str | None = None) -> Backend:
    if name == "duckdb":
        return default_duckdb()
    if name == "postgres":
        if not database_uri:
            raise ValueError("the postgres engine needs a PostgreSQL database URL")
        return PostgresBackend(database_uri)
    if name == "spark":
        return SparkBackend()
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
