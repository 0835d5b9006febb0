"""A key -> text store in one SQLite file (WAL, one table) for caches that outlive a run.

Each row carries a digest of its key and text, so a row damaged on disk reads as missing.
A damaged file is moved aside and started again, an unusable one (locked, read-only) is
left alone; either way the caller goes on without what it cannot trust, after one warning.
Used from one thread; several processes may share the file."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repomill.engine.keys import stable_hash
from repomill.errors import warn

_CHUNK = 500  # keys per SELECT (SQLite's limit on parameters is 999 in old versions)


class TextStore:
    def __init__(self, path: Path | None, table: str, what: str, without: str,
                 column: str = "value"):  # fmt: skip
        """`path` None keeps nothing. `table` and `column` name where texts are kept; `what`
        names the store in warnings ("verification cache"), `without` what happens instead
        ("verifying")."""
        self.path = path
        self._table = table
        self._columns = ["key", column, "digest"]
        self._what = what
        self._without = without
        self._db: sqlite3.Connection | None = None
        self._damaged_rows = 0
        if path is not None:
            self._guard(self._open, None)

    def get_many(self, keys: list[str]) -> dict[str, str]:
        """The texts held for `keys` (damaged rows left out, and counted in one warning)."""
        found: dict[str, str] = {}
        damaged = self._damaged_rows
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            for key, text, digest in self._guard(lambda c=chunk: self._select(c), []):
                if isinstance(text, str) and digest == stable_hash(key, text):
                    found[key] = text
                else:
                    self._damaged_rows += 1
        if self._damaged_rows > damaged:
            warn(f"{self._what} {self.path}: {self._damaged_rows} damaged entries ignored "
                 f"and done again")  # fmt: skip
        return found

    def get(self, key: str) -> str | None:
        return self.get_many([key]).get(key)

    def put(self, key: str, text: str) -> None:
        self._guard(lambda: self._insert(key, text), None)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _open(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} "
                f"(key TEXT PRIMARY KEY, {self._columns[1]} TEXT NOT NULL, digest TEXT NOT NULL)"
            )
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({self._table})")]
            if columns != self._columns:  # a file of another program, or of another version
                raise sqlite3.DatabaseError(f"unexpected columns {columns}")
        except BaseException:
            db.close()
            raise
        self._db = db

    def _select(self, keys: list[str]) -> list[tuple[str, Any, Any]]:
        if self._db is None:
            return []
        marks = ",".join("?" * len(keys))
        query = f"SELECT {', '.join(self._columns)} FROM {self._table} WHERE key IN ({marks})"
        return self._db.execute(query, keys).fetchall()

    def _insert(self, key: str, text: str) -> None:
        if self._db is not None:
            self._db.execute(f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?, ?)",
                             (key, text, stable_hash(key, text)))  # fmt: skip

    def _guard(self, action: Callable[[], Any], fallback: Any) -> Any:
        """Run `action`; on a database error, start a damaged file again (once) or stop
        using an unusable one, warn, and answer `fallback`."""
        try:
            return action()
        except sqlite3.OperationalError as error:  # locked, unreadable, read-only, I/O
            self.close()
            warn(f"{self._what} {self.path} cannot be used ({error}): {self._without} "
                 "without it")  # fmt: skip
        except sqlite3.DatabaseError as error:  # not a database, malformed, not ours
            self.close()
            self._start_again(error)
        return fallback

    def _start_again(self, error: sqlite3.DatabaseError) -> None:
        assert self.path is not None
        aside = self.path.with_name(self.path.name + ".damaged")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._open()
        except (OSError, sqlite3.Error) as again:
            self.close()
            warn(f"{self._what} {self.path} is damaged ({error}) and cannot be replaced "
                 f"({again}): {self._without} without it")  # fmt: skip
            return
        warn(f"{self._what} {self.path} is damaged ({error}): moved to {aside.name}, "
             f"{self._without} again")  # fmt: skip
