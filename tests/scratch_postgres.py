"""A throw-away PostgreSQL database beside the one FUPIN_DATABASE_URL names, for tests that start
fupin in subprocesses (a live server, a worker) which cannot share the test's transaction."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


class ScratchPostgres:
    def __init__(self, url: str, prefix: str) -> None:
        parts = urlsplit(url)
        self.name = f"{prefix}_{os.getpid()}"
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql)

    def create(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
